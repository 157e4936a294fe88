/*
 * debugshell: a telnet-style debug shell for MediaRouter, written as a third-party plugin in plain C
 * against mediarouter_plugin.h alone.
 *
 *     cc -shared -fPIC -O2 -Wall -Wextra -I Sources/PluginABI/include \
 *        -o libmr_debugshell.so examples/debug-shell/debug_shell.c
 *
 * Threads, in the header's terms: init/start/reconfigure/stop/destroy run on the control thread; every
 * connection callback runs on that connection's loop, and connections are spread over all loops. So the
 * session list and the banner are shared and sit behind one mutex. A session is freed only in its
 * on_close, which the host never delivers from inside a host call, so no other code has to expect its
 * session to vanish under it.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mediarouter_plugin.h"

#if defined(__GNUC__)
#define DS_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#define DS_EXPORT __attribute__((visibility("default")))
#else
#define DS_PRINTF(fmt_index, first_arg)
#define DS_EXPORT
#endif

#define DS_DEFAULT_PORT 9023
#define DS_DEFAULT_BIND "127.0.0.1"
#define DS_DEFAULT_BANNER "MediaRouter debug shell. Type 'help' for commands."
#define DS_PROMPT "> "
#define DS_LINE_MAX 1024    /* including the terminating NUL */
#define DS_MAX_SESSIONS 32  /* an unauthenticated shell should not be a way to exhaust memory */
#define DS_BIND_MAX 256
#define DS_BANNER_MAX 512

/* Both structs that travel as a callback's `void *user` start with a magic number: until conn_set_user
 * runs (and forever, for a connection we refused) the host hands connection callbacks the listener's
 * pointer, i.e. the plugin, so each callback must be able to tell which one it got. */
enum { DS_MAGIC_PLUGIN = 0x64735047, DS_MAGIC_SESSION = 0x64735353 };

enum { DS_KEEP = 0, DS_QUIT = 1 };

/* Telnet clients may send option negotiation inline (IAC ...); it must not end up in a command line. */
enum { TN_DATA, TN_IAC, TN_OPTION, TN_SUB, TN_SUB_IAC };
enum { TN_SE = 240, TN_SB = 250, TN_WILL = 251, TN_DONT = 254, TN_IAC_BYTE = 255 };

typedef struct ds_plugin ds_plugin;

typedef struct ds_session {
    uint32_t magic;
    ds_plugin *plugin;
    mr_conn *conn;              /* valid until on_close returns, which frees the session */
    uint64_t id;                /* for log lines */
    int32_t loop;               /* the connection's loop; fixed for its life */
    int closing;                /* we asked for a close; ignore further input */
    int overflow;               /* the current line passed DS_LINE_MAX and is being discarded */
    int telnet;
    size_t len;
    char line[DS_LINE_MAX];
} ds_session;

struct ds_plugin {
    uint32_t magic;
    mr_host *host;
    const mr_host_api *api;

    /* Control thread only. */
    mr_listener *listener;
    int64_t port;
    char bind[DS_BIND_MAX];

    /* Shared with the loops; guarded by `lock`. */
    pthread_mutex_t lock;
    int running;                /* 0 before start and from stop on: on_open refuses */
    uint64_t next_id;
    size_t session_count;
    ds_session *sessions[DS_MAX_SESSIONS];
    char banner[DS_BANNER_MAX];
};

typedef struct ds_config {
    int64_t port;
    char bind[DS_BIND_MAX];
    char banner[DS_BANNER_MAX];
} ds_config;

/* ------------------------------------------------------------------------------------------------ */
/* Plugin state and logging                                                                          */
/* ------------------------------------------------------------------------------------------------ */

static ds_plugin *plugin_of(void *user)
{
    ds_plugin *p = user;
    return (p != NULL && p->magic == DS_MAGIC_PLUGIN) ? p : NULL;
}

static void plugin_log(ds_plugin *p, int32_t level, const char *fmt, ...) DS_PRINTF(3, 4);

static void plugin_log(ds_plugin *p, int32_t level, const char *fmt, ...)
{
    char message[512];
    va_list args;

    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    p->api->log(p->host, level, message);
}

/* last_error is only good until the next host call on this thread, so callers read it right away. */
static const char *host_error(const ds_plugin *p)
{
    const char *message = p->api->last_error();
    return (message != NULL && message[0] != '\0') ? message : "unknown error";
}

/* ------------------------------------------------------------------------------------------------ */
/* Sessions: registry shared between the loops and the control thread                               */
/* ------------------------------------------------------------------------------------------------ */

static ds_session *session_of(void *user)
{
    ds_session *s = user;
    return (s != NULL && s->magic == DS_MAGIC_SESSION) ? s : NULL;
}

/* Fails with MR_ERR_CLOSED after stop() began (an accept may still be in flight when the listener
 * closes) and with MR_ERR_BUSY when the table is full. */
static mr_status session_register(ds_plugin *p, ds_session *s)
{
    mr_status rc = MR_OK;

    pthread_mutex_lock(&p->lock);
    if (!p->running) {
        rc = MR_ERR_CLOSED;
    } else if (p->session_count >= DS_MAX_SESSIONS) {
        rc = MR_ERR_BUSY;
    } else {
        s->id = ++p->next_id;
        p->sessions[p->session_count++] = s;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static void session_unregister(ds_session *s)
{
    ds_plugin *p = s->plugin;
    size_t i;

    pthread_mutex_lock(&p->lock);
    for (i = 0; i < p->session_count; i++) {
        if (p->sessions[i] == s) {
            p->sessions[i] = p->sessions[--p->session_count];
            p->sessions[p->session_count] = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
}

static ds_session *session_new(ds_plugin *p, mr_conn *conn)
{
    ds_session *s = calloc(1, sizeof *s);

    if (s == NULL)
        return NULL;
    s->magic = DS_MAGIC_SESSION;
    s->plugin = p;
    s->conn = conn;
    s->loop = p->api->conn_loop(conn);
    s->telnet = TN_DATA;
    return s;
}

static void session_free(ds_session *s)
{
    s->magic = 0;
    free(s);
}

static const char *peer_of(const ds_plugin *p, mr_conn *conn)
{
    const char *peer = p->api->conn_peer(conn);
    return peer != NULL ? peer : "?";
}

/* ------------------------------------------------------------------------------------------------ */
/* Output                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

static void send_bytes(ds_session *s, const char *data, size_t len)
{
    if (len == 0)
        return;
    /* A failure here means the connection is going away; on_close will follow and clean up. */
    (void)s->plugin->api->conn_send_bytes(s->conn, data, len);
}

static void say(ds_session *s, const char *text)
{
    send_bytes(s, text, strlen(text));
}

static void say_line(ds_session *s, const char *text)
{
    say(s, text);
    say(s, "\r\n");
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Host text (JSON, the configured banner) may use bare LF; terminals on the other end of a raw socket
 * want CRLF, and every reply must end with exactly one. */
static void say_text(ds_session *s, const char *text, size_t len)
{
    size_t start = 0;
    size_t i;

    while (len > 0 && is_space(text[len - 1]))
        len--;
    for (i = 0; i < len; i++) {
        size_t end = i;
        if (text[i] != '\n')
            continue;
        if (end > start && text[end - 1] == '\r')
            end--;
        send_bytes(s, text + start, end - start);
        say(s, "\r\n");
        start = i + 1;
    }
    send_bytes(s, text + start, len - start);
    say(s, "\r\n");
}

static void say_host_error(ds_session *s, const char *what)
{
    char message[320];

    snprintf(message, sizeof message, "error: %s failed: %s", what, host_error(s->plugin));
    say_line(s, message);
}

/* Takes the caller's reference on `buf`. */
static void say_json(ds_session *s, mr_buf *buf, const char *what)
{
    const mr_host_api *api = s->plugin->api;
    const uint8_t *data;

    if (buf == NULL) {
        say_host_error(s, what);
        return;
    }
    data = api->buf_data(buf);
    if (data != NULL)
        say_text(s, (const char *)data, api->buf_len(buf));
    else
        say_line(s, "error: empty reply");
    api->buf_release(buf);
}

/* ------------------------------------------------------------------------------------------------ */
/* Commands                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

typedef int (*ds_command_fn)(ds_session *s, char *args);

typedef struct ds_command {
    const char *name;
    const char *usage;  /* NULL hides an alias from help */
    const char *summary;
    ds_command_fn run;
} ds_command;

static int cmd_help(ds_session *s, char *args);
static int cmd_plugins(ds_session *s, char *args);
static int cmd_streams(ds_session *s, char *args);
static int cmd_readers(ds_session *s, char *args);
static int cmd_reload(ds_session *s, char *args);
static int cmd_quit(ds_session *s, char *args);

static const ds_command ds_commands[] = {
    { "help", "help", "list commands", cmd_help },
    { "plugins", "plugins", "loaded plugins (JSON)", cmd_plugins },
    { "streams", "streams", "streams on the bus (JSON)", cmd_streams },
    { "readers", "readers [vhost/]app/stream", "readers of one stream (JSON)", cmd_readers },
    { "reload", "reload", "re-read plugins.conf and apply it", cmd_reload },
    { "quit", "quit, exit", "close this session", cmd_quit },
    { "exit", NULL, NULL, cmd_quit },
};

#define DS_COMMAND_COUNT (sizeof ds_commands / sizeof ds_commands[0])

static int no_args(ds_session *s, const char *args, const char *usage)
{
    if (args[0] == '\0')
        return 1;
    say(s, "usage: ");
    say_line(s, usage);
    return 0;
}

static int cmd_help(ds_session *s, char *args)
{
    char row[160];
    size_t i;

    (void)args;
    say_line(s, "commands:");
    for (i = 0; i < DS_COMMAND_COUNT; i++) {
        if (ds_commands[i].usage == NULL)
            continue;
        snprintf(row, sizeof row, "  %-28s %s", ds_commands[i].usage, ds_commands[i].summary);
        say_line(s, row);
    }
    return DS_KEEP;
}

static int cmd_plugins(ds_session *s, char *args)
{
    ds_plugin *p = s->plugin;

    if (no_args(s, args, "plugins"))
        say_json(s, p->api->describe_plugins(p->host), "describe_plugins");
    return DS_KEEP;
}

static int cmd_streams(ds_session *s, char *args)
{
    ds_plugin *p = s->plugin;

    if (no_args(s, args, "streams"))
        say_json(s, p->api->describe_streams(p->host), "describe_streams");
    return DS_KEEP;
}

/* Splits "app/stream" or "vhost/app/stream" in place; every part must be non-empty. */
static int parse_stream_key(char *text, mr_stream_key *key)
{
    char *parts[3];
    size_t count = 0;
    size_t i;

    if (text[0] == '\0' || strchr(text, ' ') != NULL)
        return 0;
    for (;;) {
        char *slash;
        if (count == 3)
            return 0;
        parts[count++] = text;
        slash = strchr(text, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
        text = slash + 1;
    }
    for (i = 0; i < count; i++) {
        if (parts[i][0] == '\0')
            return 0;
    }
    if (count < 2)
        return 0;
    key->vhost = count == 3 ? parts[0] : NULL;
    key->app = parts[count - 2];
    key->stream = parts[count - 1];
    return 1;
}

static int cmd_readers(ds_session *s, char *args)
{
    ds_plugin *p = s->plugin;
    mr_stream_key key;

    if (!parse_stream_key(args, &key)) {
        say_line(s, "usage: readers [vhost/]app/stream");
        return DS_KEEP;
    }
    say_json(s, p->api->describe_readers(p->host, &key), "describe_readers");
    return DS_KEEP;
}

static int cmd_reload(ds_session *s, char *args)
{
    ds_plugin *p = s->plugin;

    if (!no_args(s, args, "reload"))
        return DS_KEEP;
    if (p->api->request_reload(p->host) == MR_OK)
        say_line(s, "reload requested");
    else
        say_host_error(s, "request_reload");
    return DS_KEEP;
}

static int cmd_quit(ds_session *s, char *args)
{
    (void)args;
    say_line(s, "bye");
    return DS_QUIT;
}

static const ds_command *find_command(const char *name)
{
    size_t i;

    for (i = 0; i < DS_COMMAND_COUNT; i++) {
        if (strcmp(ds_commands[i].name, name) == 0)
            return &ds_commands[i];
    }
    return NULL;
}

static char *trim(char *text)
{
    size_t len;

    while (*text == ' ')
        text++;
    len = strlen(text);
    while (len > 0 && text[len - 1] == ' ')
        text[--len] = '\0';
    return text;
}

/* Cuts `line` after its first word and returns the rest, trimmed. */
static char *split_word(char *line)
{
    char *space = strchr(line, ' ');

    if (space == NULL)
        return line + strlen(line);
    *space = '\0';
    return trim(space + 1);
}

static int run_line(ds_session *s, char *line)
{
    const ds_command *command;
    char *name = trim(line);
    char *args;
    int verdict = DS_KEEP;

    if (name[0] != '\0') {
        args = split_word(name);
        command = find_command(name);
        if (command != NULL) {
            verdict = command->run(s, args);
        } else {
            say(s, "unknown command: ");
            say(s, name);
            say_line(s, " (try help)");
        }
    }
    if (verdict == DS_KEEP)
        say(s, DS_PROMPT);
    return verdict;
}

/* ------------------------------------------------------------------------------------------------ */
/* Input: telnet filtering and the bounded line buffer                                               */
/* ------------------------------------------------------------------------------------------------ */

/* Returns 1 when `c` is data rather than part of a telnet command. */
static int telnet_filter(ds_session *s, unsigned char c)
{
    switch (s->telnet) {
    case TN_IAC:
        if (c == TN_IAC_BYTE) {
            s->telnet = TN_DATA;
            return 1;
        }
        s->telnet = (c >= TN_WILL && c <= TN_DONT) ? TN_OPTION : (c == TN_SB) ? TN_SUB : TN_DATA;
        return 0;
    case TN_OPTION:
        s->telnet = TN_DATA;
        return 0;
    case TN_SUB:
        if (c == TN_IAC_BYTE)
            s->telnet = TN_SUB_IAC;
        return 0;
    case TN_SUB_IAC:
        s->telnet = (c == TN_SE) ? TN_DATA : TN_SUB;
        return 0;
    default:
        if (c == TN_IAC_BYTE) {
            s->telnet = TN_IAC;
            return 0;
        }
        return 1;
    }
}

/* Appends one byte; returns 1 when a line is complete. CR is dropped so "\r\n" and "\n" both work, and
 * other control bytes are dropped so they cannot reach the terminal in an "unknown command" echo. */
static int line_feed(ds_session *s, unsigned char c)
{
    if (c == '\n')
        return 1;
    if (c == '\t')
        c = ' ';
    else if (c < 0x20 || c == 0x7f)
        return 0;
    if (s->overflow)
        return 0;
    if (s->len >= sizeof s->line - 1) {
        s->overflow = 1;
        return 0;
    }
    s->line[s->len++] = (char)c;
    return 0;
}

static int take_line(ds_session *s)
{
    int verdict = DS_KEEP;

    if (s->overflow) {
        say_line(s, "error: line too long");
        say(s, DS_PROMPT);
    } else {
        s->line[s->len] = '\0';
        verdict = run_line(s, s->line);
    }
    s->len = 0;
    s->overflow = 0;
    return verdict;
}

static int feed(ds_session *s, const uint8_t *data, size_t len)
{
    size_t i;

    for (i = 0; i < len && !s->closing; i++) {
        if (!telnet_filter(s, data[i]) || !line_feed(s, data[i]))
            continue;
        if (take_line(s) == DS_QUIT)
            return DS_QUIT;
    }
    return DS_KEEP;
}

/* ------------------------------------------------------------------------------------------------ */
/* Connection callbacks                                                                              */
/* ------------------------------------------------------------------------------------------------ */

static const char *close_reason_name(int32_t reason)
{
    static const char *const names[] = { "local", "peer", "error", "timeout", "shutdown", "connect failed" };

    if (reason < 0 || (size_t)reason >= sizeof names / sizeof names[0])
        return "unknown";
    return names[reason];
}

static void refuse(ds_plugin *p, mr_conn *conn, mr_status why)
{
    const char *text = why == MR_ERR_BUSY ? "error: too many debug sessions\r\n"
                     : why == MR_ERR_NOMEM ? "error: out of memory\r\n"
                     : "error: shutting down\r\n";

    (void)p->api->conn_send_bytes(conn, text, strlen(text));
    p->api->conn_close(conn, 0);
}

static void greet(ds_session *s)
{
    ds_plugin *p = s->plugin;
    char banner[DS_BANNER_MAX];

    pthread_mutex_lock(&p->lock);
    memcpy(banner, p->banner, sizeof banner);
    pthread_mutex_unlock(&p->lock);

    p->api->conn_cork(s->conn, 1);
    say_text(s, banner, strlen(banner));
    say(s, DS_PROMPT);
    p->api->conn_cork(s->conn, 0);
}

static void on_open(void *user, mr_conn *conn)
{
    ds_plugin *p = plugin_of(user);
    ds_session *s;
    mr_status rc;

    if (p == NULL)
        return; /* the listener is the only source of connections and always carries the plugin */
    s = session_new(p, conn);
    rc = s != NULL ? session_register(p, s) : MR_ERR_NOMEM;
    if (rc != MR_OK) {
        free(s);
        refuse(p, conn, rc);
        return;
    }
    p->api->conn_set_user(conn, s);
    p->api->stat_add(p->host, "sessions", 1);
    plugin_log(p, MR_LOG_INFO, "session %llu opened from %s", (unsigned long long)s->id, peer_of(p, conn));
    greet(s);
}

static void on_data(void *user, mr_conn *conn, const uint8_t *data, size_t len)
{
    ds_session *s = session_of(user);
    const mr_host_api *api;
    int quit;

    if (s == NULL)
        return; /* a refused connection */
    api = s->plugin->api;
    /* Cork so a reply, its CRLF and the next prompt leave in one write rather than many tiny ones. */
    api->conn_cork(conn, 1);
    quit = feed(s, data, len) == DS_QUIT;
    api->conn_cork(conn, 0);
    if (quit) {
        s->closing = 1; /* input may still arrive before on_close; feed ignores it */
        api->conn_close(conn, 0);
    }
}

/* A client that pipes in commands without reading the answers would otherwise grow the output queue
 * without bound; stop reading until it drains. */
static void on_writable(void *user, mr_conn *conn, int writable)
{
    ds_session *s = session_of(user);

    if (s != NULL)
        s->plugin->api->conn_set_reading(conn, writable ? 1 : 0);
}

/* The one place a session is freed. */
static void on_close(void *user, mr_conn *conn, int32_t reason, const char *message)
{
    ds_session *s = session_of(user);

    if (s == NULL)
        return; /* a refused connection: nothing of ours was attached to it */
    plugin_log(s->plugin, MR_LOG_INFO, "session %llu from %s closed (%s%s%s)", (unsigned long long)s->id,
               peer_of(s->plugin, conn), close_reason_name(reason), message[0] != '\0' ? ": " : "", message);
    session_unregister(s);
    session_free(s);
}

static const mr_conn_callbacks ds_conn_callbacks = {
    .size = sizeof(mr_conn_callbacks),
    .on_open = on_open,
    .on_data = on_data,
    .on_writable = on_writable,
    .on_close = on_close,
};

/* ------------------------------------------------------------------------------------------------ */
/* Closing sessions from stop()                                                                      */
/* ------------------------------------------------------------------------------------------------ */

/* Queued by stop() on each loop that has sessions; the host runs it before destroy. Sending the goodbye
 * is what needs the loop (conn_send_bytes is [owner loop]). The sessions of this loop are freed only by
 * on_close on this same loop, so the pointers collected under the lock stay valid while the task runs. */
static void goodbye_task(void *user)
{
    ds_plugin *p = user;
    int32_t loop = p->api->loop_current(p->host);
    ds_session *mine[DS_MAX_SESSIONS];
    size_t count = 0;
    size_t i;

    pthread_mutex_lock(&p->lock);
    for (i = 0; i < p->session_count; i++) {
        if (p->sessions[i]->loop == loop)
            mine[count++] = p->sessions[i];
    }
    pthread_mutex_unlock(&p->lock);

    for (i = 0; i < count; i++) {
        ds_session *s = mine[i];
        if (s->closing)
            continue; /* said bye already */
        s->closing = 1;
        say(s, "\r\nserver stopping, bye\r\n");
        p->api->conn_close(s->conn, 0);
    }
}

/* Without a task there is no goodbye, but conn_close works from any thread. The lock keeps each session
 * (and so its conn) from being freed meanwhile: on_close must take it to unregister, and conn_close
 * never calls on_close itself. A session that already asked to close just gets a second, ignored call. */
static void close_sessions_now(ds_plugin *p, int32_t loop)
{
    size_t i;

    pthread_mutex_lock(&p->lock);
    for (i = 0; i < p->session_count; i++) {
        if (p->sessions[i]->loop == loop)
            p->api->conn_close(p->sessions[i]->conn, 0);
    }
    pthread_mutex_unlock(&p->lock);
}

/* Stops new sessions in the same critical section that lists the loops of the old ones, so none slips
 * between. Returns the number of sessions; `loops` gets each of their loops once. */
static size_t stop_accepting(ds_plugin *p, int32_t *loops, size_t *loop_count)
{
    size_t count;
    size_t i;
    size_t j;

    pthread_mutex_lock(&p->lock);
    p->running = 0;
    count = p->session_count;
    *loop_count = 0;
    for (i = 0; i < count; i++) {
        int32_t loop = p->sessions[i]->loop;
        for (j = 0; j < *loop_count && loops[j] != loop; j++)
            continue;
        if (j == *loop_count)
            loops[(*loop_count)++] = loop;
    }
    pthread_mutex_unlock(&p->lock);
    return count;
}

/* ------------------------------------------------------------------------------------------------ */
/* Configuration                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

static int copy_config_string(ds_plugin *p, const char *key, const char *def, char *out, size_t cap)
{
    /* Never NULL: a missing key gives `def`. */
    const char *value = p->api->config_string(p->host, key, def);
    size_t len = strlen(value);

    if (len >= cap) {
        plugin_log(p, MR_LOG_ERROR, "%s is too long (%zu bytes, at most %zu)", key, len, cap - 1);
        return 0;
    }
    memcpy(out, value, len + 1);
    return 1;
}

static mr_status config_read(ds_plugin *p, ds_config *cfg)
{
    cfg->port = p->api->config_int(p->host, "port", DS_DEFAULT_PORT);
    if (cfg->port < 0 || cfg->port > 65535) {
        plugin_log(p, MR_LOG_ERROR, "port %lld is out of range", (long long)cfg->port);
        return MR_ERR_INVALID;
    }
    if (!copy_config_string(p, "bind", DS_DEFAULT_BIND, cfg->bind, sizeof cfg->bind)
        || !copy_config_string(p, "banner", DS_DEFAULT_BANNER, cfg->banner, sizeof cfg->banner))
        return MR_ERR_INVALID;
    /* An empty bind would mean "all interfaces" to some hosts; this shell has no authentication. */
    if (cfg->bind[0] == '\0') {
        plugin_log(p, MR_LOG_ERROR, "bind must not be empty");
        return MR_ERR_INVALID;
    }
    return MR_OK;
}

static void set_running(ds_plugin *p, int running)
{
    pthread_mutex_lock(&p->lock);
    p->running = running;
    pthread_mutex_unlock(&p->lock);
}

static void set_banner(ds_plugin *p, const char *banner)
{
    pthread_mutex_lock(&p->lock);
    snprintf(p->banner, sizeof p->banner, "%s", banner);
    pthread_mutex_unlock(&p->lock);
}

/* ------------------------------------------------------------------------------------------------ */
/* Lifecycle                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

/* Minor 0 is the first table, so a major match should guarantee every entry; a short or partly empty
 * table is still refused here rather than crashing later on a loop. */
static int api_usable(const mr_host_api *api)
{
    return api->abi_major == MR_ABI_MAJOR && MR_HAS_FIELD(api, mr_host_api, request_reload)
        && api->last_error && api->log && api->config_string && api->config_int && api->buf_data
        && api->buf_len && api->buf_release && api->loop_current && api->run_on_loop && api->tcp_listen
        && api->listener_port && api->listener_close && api->conn_set_user && api->conn_send_bytes
        && api->conn_cork && api->conn_set_reading && api->conn_close && api->conn_loop && api->conn_peer
        && api->stat_add && api->describe_plugins && api->describe_streams && api->describe_readers
        && api->request_reload;
}

static mr_status plugin_init(mr_host *host, const mr_host_api *api, void **state)
{
    ds_plugin *p;

    if (host == NULL || api == NULL || state == NULL)
        return MR_ERR_INVALID;
    if (!api_usable(api))
        return MR_ERR_UNSUPPORTED;
    p = calloc(1, sizeof *p);
    if (p == NULL)
        return MR_ERR_NOMEM;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return MR_ERR;
    }
    p->magic = DS_MAGIC_PLUGIN;
    p->host = host;
    p->api = api;
    snprintf(p->banner, sizeof p->banner, "%s", DS_DEFAULT_BANNER);
    *state = p;
    return MR_OK;
}

static mr_status plugin_start(void *state)
{
    ds_plugin *p = plugin_of(state);
    mr_listen_options options;
    ds_config cfg;
    mr_status rc;

    if (p == NULL)
        return MR_ERR_INVALID;
    if (p->listener != NULL)
        return MR_OK;
    rc = config_read(p, &cfg);
    if (rc != MR_OK)
        return rc;
    set_banner(p, cfg.banner);

    memset(&options, 0, sizeof options);
    options.size = sizeof options;
    options.bind_address = cfg.bind;
    options.port = (uint16_t)cfg.port;

    /* Accept sessions from the first connection on: the listener is live before tcp_listen returns. */
    set_running(p, 1);

    rc = p->api->tcp_listen(p->host, &options, &ds_conn_callbacks, p, &p->listener);
    if (rc != MR_OK || p->listener == NULL) {
        plugin_log(p, MR_LOG_ERROR, "cannot listen on %s:%lld: %s", cfg.bind, (long long)cfg.port,
                   host_error(p));
        p->listener = NULL;
        set_running(p, 0);
        return rc != MR_OK ? rc : MR_ERR;
    }
    p->port = cfg.port;
    memcpy(p->bind, cfg.bind, sizeof p->bind);
    plugin_log(p, MR_LOG_INFO, "listening on %s:%u", p->bind, (unsigned)p->api->listener_port(p->listener));
    return MR_OK;
}

static mr_status plugin_reconfigure(void *state)
{
    ds_plugin *p = plugin_of(state);
    ds_config cfg;
    mr_status rc;

    if (p == NULL)
        return MR_ERR_INVALID;
    rc = config_read(p, &cfg);
    if (rc != MR_OK)
        return rc; /* keep serving on the old settings; the error is logged */
    if (p->listener == NULL || cfg.port != p->port || strcmp(cfg.bind, p->bind) != 0)
        return MR_RESTART;
    set_banner(p, cfg.banner);
    return MR_OK;
}

/* Also called after a failed start, and always before destroy. */
static void plugin_stop(void *state)
{
    ds_plugin *p = plugin_of(state);
    int32_t loops[DS_MAX_SESSIONS];
    size_t loop_count;
    size_t count;
    size_t i;

    if (p == NULL)
        return;
    count = stop_accepting(p, loops, &loop_count);
    if (p->listener != NULL) {
        p->api->listener_close(p->listener);
        p->listener = NULL;
    }
    for (i = 0; i < loop_count; i++) {
        if (p->api->run_on_loop(p->host, loops[i], goodbye_task, p) != MR_OK)
            close_sessions_now(p, loops[i]);
    }
    plugin_log(p, MR_LOG_INFO, "stopped; closing %zu session%s", count, count == 1 ? "" : "s");
}

/* stop ran, its tasks ran, and every connection got on_close: no session is left. */
static void plugin_destroy(void *state)
{
    ds_plugin *p = plugin_of(state);

    if (p == NULL)
        return;
    p->magic = 0;
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static const char *plugin_status(void *state)
{
    /* status() may be called from several threads at once: each gets its own buffer. */
    static _Thread_local char text[48];
    ds_plugin *p = plugin_of(state);
    size_t count;

    if (p == NULL)
        return "";
    pthread_mutex_lock(&p->lock);
    count = p->session_count;
    pthread_mutex_unlock(&p->lock);
    snprintf(text, sizeof text, "%zu session%s", count, count == 1 ? "" : "s");
    return text;
}

/* ------------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

static const mr_config_key ds_config_keys[] = {
    { "bind", MR_CONFIG_STRING, "address to listen on (default 127.0.0.1; the shell has no authentication)" },
    { "banner", MR_CONFIG_STRING, "greeting printed when a session opens" },
};

static const mr_plugin_descriptor ds_descriptor = {
    .size = sizeof(mr_plugin_descriptor),
    .abi_major = MR_ABI_MAJOR,
    .abi_minor = MR_ABI_MINOR,
    .name = "debugshell",
    .version = "1.0.0",
    .description = "telnet-style debug shell: list plugins, streams and readers; request a reload",
    .license = "MIT",
    .build_signature = "mr-abi " MR_ABI_VERSION_STRING "; cc",
    .config_keys = ds_config_keys,
    .config_key_count = sizeof ds_config_keys / sizeof ds_config_keys[0],
    .init = plugin_init,
    .start = plugin_start,
    .reconfigure = plugin_reconfigure,
    .stop = plugin_stop,
    .destroy = plugin_destroy,
    .status = plugin_status,
};

DS_EXPORT const mr_plugin_descriptor *mr_plugin_entry_v1(void);

DS_EXPORT const mr_plugin_descriptor *mr_plugin_entry_v1(void)
{
    return &ds_descriptor;
}
