/* System OpenSSL (libssl-dev), linked dynamically: one copy in the process for every plugin that needs it. */
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
