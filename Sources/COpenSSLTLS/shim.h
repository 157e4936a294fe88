/* libssl's DTLS, X.509 and EC key API for the WebRTC stack. OpenSSL spells several calls as macros over
 * SSL_ctrl/BIO_ctrl, which Swift cannot import: the inline functions below give them a callable form. */
#include <openssl/ssl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/pem.h>

static inline long mr_bio_pending(BIO *bio) { return (long)BIO_ctrl_pending(bio); }
static inline long mr_bio_set_mem_eof_return(BIO *bio, int v) { return BIO_set_mem_eof_return(bio, v); }
static inline long mr_ssl_set_mtu(SSL *ssl, long mtu) {
    SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
    return SSL_set_mtu(ssl, mtu);
}
static inline long mr_dtls_get_timeout_us(SSL *ssl) {
    struct timeval tv;
    if (DTLSv1_get_timeout(ssl, &tv) != 1) return -1;
    return (long)tv.tv_sec * 1000000L + (long)tv.tv_usec;
}
static inline int mr_dtls_handle_timeout(SSL *ssl) { return (int)DTLSv1_handle_timeout(ssl); }
static inline int mr_ssl_ctx_set_ecdh_auto(SSL_CTX *ctx) { return (int)SSL_CTX_set_ecdh_auto(ctx, 1); }
static inline int mr_ssl_ctx_set_min_dtls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
}
static inline int mr_ssl_ctx_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline int mr_ssl_ctx_set_read_ahead(SSL_CTX *ctx) { SSL_CTX_set_read_ahead(ctx, 1); return 1; }
/* Accept any peer certificate: its fingerprint is checked against the SDP after the handshake (RFC 8827 6.5). */
static int mr_accept_any_cert(int ok, X509_STORE_CTX *ctx) { (void)ok; (void)ctx; return 1; }
static inline void mr_ssl_ctx_verify_peer_by_fingerprint(SSL_CTX *ctx) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, mr_accept_any_cert);
}

#include <openssl/core_names.h>
#include <openssl/params.h>
/* An HMAC-SHA1 context keyed once; EVP_MAC_init(ctx, NULL, 0, NULL) then restarts it per packet without
 * rehashing the key (OpenSSL 3 keeps the inner and outer pads). */
static inline EVP_MAC_CTX *mr_hmac_sha1_new(const unsigned char *key, size_t length) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (ctx == NULL) return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key, length, params) != 1) { EVP_MAC_CTX_free(ctx); return NULL; }
    return ctx;
}
static inline int mr_gcm_get_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, length, tag);
}
static inline int mr_gcm_set_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int length) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, length, tag);
}

/* A self-signed ECDSA P-256 certificate for DTLS (RFC 8827 6.5: WebRTC peers authenticate by the SDP
 * fingerprint, so a self-signed one is the norm; aiortc offers only ECDHE-ECDSA suites). */
static inline X509 *mr_self_signed_p256(const char *common_name, long serial, long valid_seconds, EVP_PKEY **key_out) {
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (key == NULL) return NULL;
    X509 *x = X509_new();
    if (x == NULL) { EVP_PKEY_free(key); return NULL; }
    X509_NAME *name = NULL;
    int ok = X509_set_version(x, 2)
        && ASN1_INTEGER_set(X509_get_serialNumber(x), serial)
        && X509_gmtime_adj(X509_getm_notBefore(x), -86400) != NULL
        && X509_gmtime_adj(X509_getm_notAfter(x), valid_seconds) != NULL
        && X509_set_pubkey(x, key)
        && (name = X509_get_subject_name(x)) != NULL
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)common_name, -1, -1, 0)
        && X509_set_issuer_name(x, name)
        && X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) { X509_free(x); EVP_PKEY_free(key); return NULL; }
    *key_out = key;
    return x;
}
static inline int mr_ssl_selected_srtp_profile(SSL *ssl) {
    SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(ssl);
    return p == NULL ? 0 : (int)p->id;
}
