/* Spawns the real convened and talks to it over real WebSockets. */
#include "daemon-harness.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <string.h>

static const char *
convened_bin (void)
{
  const char *bin = g_getenv ("CONVENE_BIN");

  if (!bin)
    g_error ("CONVENE_BIN is not set (run through meson test)");
  return bin;
}

static gboolean
set_true (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
wait_until (gboolean * flag, guint ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (ms, set_true, &expired);

  while (!*flag && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return *flag;
}

char *
daemon_cli (Daemon * d, int *status, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  const char *arg;
  va_list ap;
  int wait_status = 0;

  g_ptr_array_add (argv, (char *) convened_bin ());
  g_ptr_array_add (argv, (char *) "--data-dir");
  g_ptr_array_add (argv, d->dir);
  va_start (ap, status);
  while ((arg = va_arg (ap, const char *)))
      g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL,
      NULL, &out, NULL, &wait_status, &error);
  g_assert_no_error (error);
  *status = g_spawn_check_wait_status (wait_status, NULL) ? 0 :
      (WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1);
  return out;
}

char *
daemon_token (Daemon * d, const char *user)
{
  int status;
  char *t = daemon_cli (d, &status, "token", "--user", user, NULL);

  g_assert_cmpint (status, ==, 0);
  return g_strstrip (t);
}

GBytes *
daemon_secret (Daemon * d)
{
  g_autofree char *path = g_build_filename (d->dir, "secret", NULL);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

/* A failed assertion must not leave a daemon behind holding the pipe. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

Daemon *
daemon_start (const char *const *users, const char *const *extra)
{
  Daemon *d = g_new0 (Daemon, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GDataInputStream) in = NULL;
  g_autofree char *line = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  int status;

  d->dir = g_dir_make_tmp ("convene-daemon-XXXXXX", &error);
  g_assert_no_error (error);
  for (gsize i = 0; users && users[i]; i++) {
    g_auto (GStrv) parts = g_strsplit (users[i], ":", 2);
    g_autofree char *out = NULL;
    if (parts[1]) {
      g_autofree char *contacts = g_strdelimit (g_strdup (parts[1]), "+", ',');
      out = daemon_cli (d, &status, "user", "add", parts[0], "--contacts",
          contacts, NULL);
    } else {
      out = daemon_cli (d, &status, "user", "add", parts[0], NULL);
    }
    g_assert_cmpint (status, ==, 0);
  }

  g_ptr_array_add (argv, (char *) convened_bin ());
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  g_ptr_array_add (argv, (char *) "--data-dir");
  g_ptr_array_add (argv, d->dir);
  for (gsize i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (char *) extra[i]);
  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
      NULL);
  d->proc = g_subprocess_launcher_spawnv (launcher,
      (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (d->proc));
  /* The daemon prints this line only after binding, or exits. */
  line = g_data_input_stream_read_line (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "convened: listening on http://"));
  d->base = g_strdup (line + strlen ("convened: listening on "));
  d->session = soup_session_new ();
  return d;
}

void
rm_rf (const char *dir)
{
  g_autoptr (GDir) gd = g_dir_open (dir, 0, NULL);
  const char *name;

  while (gd && (name = g_dir_read_name (gd))) {
    g_autofree char *p = g_build_filename (dir, name, NULL);
    g_unlink (p);
  }
  g_rmdir (dir);
}

void
daemon_stop (Daemon * d)
{
  if (!d)
    return;
  if (d->proc) {
    /* Every test ends with a clean shutdown (and, under ASan, no leak). */
    g_subprocess_send_signal (d->proc, SIGTERM);
    g_subprocess_wait (d->proc, NULL, NULL);
    g_assert_true (g_subprocess_get_if_exited (d->proc));
    g_assert_cmpint (g_subprocess_get_exit_status (d->proc), ==, 0);
    g_clear_object (&d->proc);
  }
  g_clear_object (&d->session);
  rm_rf (d->dir);
  g_free (d->dir);
  g_free (d->base);
  g_free (d);
}

char *
daemon_get (Daemon * d, const char *path, guint * status)
{
  return daemon_get_typed (d, path, status, NULL);
}

char *
daemon_get_typed (Daemon * d, const char *path, guint * status,
    char **content_type)
{
  g_autofree char *url = g_strconcat (d->base, path + (path[0] == '/'),
      NULL);
  g_autoptr (SoupSession) s = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;

  body = soup_session_send_and_read (s, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  if (content_type)
    *content_type = g_strdup (soup_message_headers_get_one
        (soup_message_get_response_headers (msg), "Content-Type"));
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

char *
daemon_request (Daemon * d, const char *method, const char *path,
    const char *token, const char *body, guint * status)
{
  g_autofree char *url = g_strconcat (d->base, path + (path[0] == '/'),
      NULL);
  g_autoptr (SoupSession) s = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) reply = NULL;

  if (token) {
    g_autofree char *auth = g_strdup_printf ("Bearer %s", token);
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", auth);
  }
  if (body) {
    g_autoptr (GBytes) b = g_bytes_new (body, strlen (body));
    soup_message_set_request_body_from_bytes (msg, "application/json", b);
  }
  reply = soup_session_send_and_read (s, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
}

static void
on_ws_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer user_data)
{
  WsClient *c = user_data;
  g_autoptr (JsonParser) p = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  g_assert_true (json_parser_load_from_data (p, data, len, NULL));
  g_queue_push_tail (&c->msgs,
      json_object_ref (json_node_get_object (json_parser_get_root (p))));
}

static void
on_ws_error (SoupWebsocketConnection * ws, GError * error, gpointer user_data)
{
  g_test_message ("websocket error: %s", error->message);
}

static void
on_ws_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  WsClient *c = user_data;

  c->closed = TRUE;
  c->close_code = soup_websocket_connection_get_close_code (ws);
}

typedef struct
{
  SoupWebsocketConnection *ws;
  GError *error;
  gboolean done;
} ConnectResult;

static void
connected (GObject * source, GAsyncResult * res, gpointer data)
{
  ConnectResult *r = data;

  r->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res,
      &r->error);
  r->done = TRUE;
}

WsClient *
ws_connect (Daemon * d)
{
  g_autofree char *url = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  ConnectResult r = { 0 };
  WsClient *c;

  url = g_strconcat ("ws", d->base + 4, "ws", NULL);
  msg = soup_message_new ("GET", url);
  soup_session_websocket_connect_async (d->session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, connected, &r);
  g_assert_true (wait_until (&r.done, 10000));
  g_assert_no_error (r.error);
  c = g_new0 (WsClient, 1);
  c->ws = r.ws;
  /* Our own 1 MiB frame must leave; what comes back is small. */
  soup_websocket_connection_set_max_incoming_payload_size (c->ws, 1 << 20);
  g_signal_connect (c->ws, "message", G_CALLBACK (on_ws_message), c);
  g_signal_connect (c->ws, "closed", G_CALLBACK (on_ws_closed), c);
  g_signal_connect (c->ws, "error", G_CALLBACK (on_ws_error), c);
  return c;
}

WsClient *
ws_login (Daemon * d, const char *user)
{
  WsClient *c = ws_connect (d);
  g_autofree char *token = daemon_token (d, user);

  ws_sendf (c, "{\"type\":\"hello\",\"token\":\"%s\"}", token);
  ws_expect (c, "welcome", NULL, 10000);
  return c;
}

void
ws_send (WsClient * c, const char *text)
{
  if (soup_websocket_connection_get_state (c->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (c->ws, text);
}

void
ws_sendf (WsClient * c, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  ws_send (c, text);
}

static GPtrArray *kept;

JsonObject *
ws_expect (WsClient * c, const char *type, const char *detail, guint ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (ms, set_true, &expired);
  JsonObject *o;
  const char *t;

  /* Presence arrives whenever anybody comes and goes: skip it unless it is
   * what the test waits for. */
  for (;;) {
    while (g_queue_is_empty (&c->msgs) && !expired && !c->closed)
      g_main_context_iteration (NULL, TRUE);
    o = g_queue_peek_head (&c->msgs);
    if (!o || strcmp (type, "presence") == 0
        || g_strcmp0 (json_object_get_string_member (o, "type"),
            "presence") != 0)
      break;
    json_object_unref (g_queue_pop_head (&c->msgs));
  }
  if (!expired)
    g_source_remove (id);
  o = g_queue_pop_head (&c->msgs);
  if (!o)
    g_error ("expected \"%s\" (%s): %s", type, detail ? detail : "",
        c->closed ? "connection closed" : "timed out");
  t = json_object_get_string_member (o, "type");
  if (g_strcmp0 (t, type) != 0 || (detail
          && g_strcmp0 (json_object_get_string_member_with_default (o,
                  strcmp (type, "error") == 0 ? "code" : "reason", ""),
              detail) != 0)) {
    g_autoptr (JsonNode) n = json_node_init_object (json_node_alloc (), o);
    g_autofree char *s = json_to_string (n, FALSE);
    g_error ("expected \"%s\" (%s), got %s", type, detail ? detail : "", s);
  }
  if (!kept)
    kept = g_ptr_array_new_with_free_func ((GDestroyNotify)
        json_object_unref);
  g_ptr_array_add (kept, o);
  return o;
}

gushort
ws_wait_closed (WsClient * c, guint ms)
{
  wait_until (&c->closed, ms);
  g_assert_true (c->closed);
  return c->close_code;
}

void
ws_free (WsClient * c)
{
  if (!c)
    return;
  g_signal_handlers_disconnect_by_data (c->ws, c);
  if (soup_websocket_connection_get_state (c->ws) ==
      SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (c->ws, 1000, NULL);
  g_object_unref (c->ws);
  g_queue_clear_full (&c->msgs, (GDestroyNotify) json_object_unref);
  g_free (c);
}

/* Shared by the daemon tests. */

char *
daemon_token_with (Daemon * d, const char *user, const char *meeting, const char *grants)
{
  int status;
  char *t;

  if (meeting)
    t = daemon_cli (d, &status, "token", "--user", user, "--meeting",
        meeting, "--grants", grants, NULL);
  else
    t = daemon_cli (d, &status, "token", "--user", user, "--grants", grants,
        NULL);
  g_assert_cmpint (status, ==, 0);
  return g_strstrip (t);
}

WsClient *
ws_login_with (Daemon * d, const char *tok)
{
  WsClient *c = ws_connect (d);

  ws_sendf (c, "{\"type\":\"hello\",\"token\":\"%s\"}", tok);
  ws_expect (c, "welcome", NULL, 5000);
  return c;
}

/* Skips messages (presence, participant-joined...) until one of @type. */
JsonObject *
ws_until (WsClient * c, const char *type, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * (gint64) 1000;

  while (g_get_monotonic_time () < deadline) {
    JsonObject *o;
    while (g_queue_is_empty (&c->msgs) && g_get_monotonic_time () < deadline)
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    o = g_queue_peek_head (&c->msgs);
    if (o && g_strcmp0 (json_object_get_string_member (o, "type"), type) == 0)
      return ws_expect (c, type, NULL, ms);
    if (o)
      json_object_unref (g_queue_pop_head (&c->msgs));
  }
  g_error ("no \"%s\" within %u ms", type, ms);
  return NULL;
}

JsonObject *
json_parse_object (const char *text)
{
  g_autoptr (JsonParser) p = json_parser_new ();

  g_assert_true (json_parser_load_from_data (p, text, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

/* Waits for a file "PREFIX.PID" in @dir other than @not_pid; returns PID. */
gint64
wait_file (const char *dir, const char *prefix, gint64 not_pid, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * (gint64) 1000;

  while (g_get_monotonic_time () < deadline) {
    g_autoptr (GDir) gd = g_dir_open (dir, 0, NULL);
    const char *name;
    while (gd && (name = g_dir_read_name (gd))) {
      gint64 pid;
      if (!g_str_has_prefix (name, prefix) || name[strlen (prefix)] != '.')
        continue;
      pid = g_ascii_strtoll (name + strlen (prefix) + 1, NULL, 10);
      if (pid > 0 && pid != not_pid)
        return pid;
    }
    g_main_context_iteration (NULL, FALSE);
    g_usleep (20000);
  }
  return 0;
}

GStrv
read_argv (const char *dir, gint64 pid)
{
  g_autofree char *path = g_strdup_printf ("%s/argv.%" G_GINT64_FORMAT, dir,
      pid);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  g_strchomp (text);
  return g_strsplit (text, "\n", -1);
}
