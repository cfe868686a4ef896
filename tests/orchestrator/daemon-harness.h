/* Spawns the real convened and talks to it over real WebSockets. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

typedef struct
{
  char *dir;
  GSubprocess *proc;
  char *base;                   /* http://127.0.0.1:PORT/ */
  SoupSession *session;
} Daemon;

typedef struct
{
  SoupWebsocketConnection *ws;
  GQueue msgs;                  /* JsonObject*, oldest first */
  gboolean closed;
  gushort close_code;
} WsClient;

/* Creates a data dir, the users (NAME or NAME:CONTACT+CONTACT), and starts
 * convened with @extra_args (NULL-terminated) on 127.0.0.1:0. */
Daemon *daemon_start (const char *const *users, const char *const *extra);
void daemon_stop (Daemon * d);
/* Removes @dir and the files in it (one level). */
void rm_rf (const char *dir);
/* Runs "convened --data-dir DIR ARGS..."; returns stdout, exit status in
 * @status. */
char *daemon_cli (Daemon * d, int *status, ...) G_GNUC_NULL_TERMINATED;
char *daemon_token (Daemon * d, const char *user);
GBytes *daemon_secret (Daemon * d);
/* GET @path: returns the body, status in @status. */
char *daemon_get (Daemon * d, const char *path, guint * status);
char *daemon_get_typed (Daemon * d, const char *path, guint * status,
    char **content_type);

/* @method on @path with an optional bearer @token and JSON @body. */
char *daemon_request (Daemon * d, const char *method, const char *path,
    const char *token, const char *body, guint * status);

WsClient *ws_connect (Daemon * d);
/* Connects, says hello with a fresh token for @user, waits for welcome. */
WsClient *ws_login (Daemon * d, const char *user);
void ws_send (WsClient * c, const char *text);
void ws_sendf (WsClient * c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Waits up to @ms for the next message, which must be of @type (and
 * code/reason @detail). Returns it (owned by the client). */
JsonObject *ws_expect (WsClient * c, const char *type, const char *detail,
    guint ms);
/* Waits up to @ms for the connection to close; returns the close code. */
gushort ws_wait_closed (WsClient * c, guint ms);
void ws_free (WsClient * c);
/* Iterates the default main context until *@flag or @ms elapse. */
gboolean wait_until (gboolean * flag, guint ms);

/* "convened token" for @user with @grants, scoped to @meeting (nullable). */
char *daemon_token_with (Daemon * d, const char *user, const char *meeting,
    const char *grants);
/* Connects and says hello with @token; waits for welcome. */
WsClient *ws_login_with (Daemon * d, const char *token);
/* Skips messages until one of @type (fails the test after @ms). */
JsonObject *ws_until (WsClient * c, const char *type, guint ms);
JsonObject *json_parse_object (const char *text);
/* Waits for a file "PREFIX.PID" in @dir other than @not_pid; returns PID
 * (0 after @ms). */
gint64 wait_file (const char *dir, const char *prefix, gint64 not_pid,
    guint ms);
/* The lines of @dir/argv.PID written by fake-worker.sh. */
GStrv read_argv (const char *dir, gint64 pid);
