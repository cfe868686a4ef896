/* The real convened over real WebSockets: a full call, abuse of every kind
 * while an unrelated call keeps relaying, metrics, static files, SIGTERM. */
#include "daemon-harness.h"
#include "token.h"

#include <glib/gstdio.h>
#include <string.h>

#define S(o, m) json_object_get_string_member ((o), (m))
#define WAIT 5000

static const char *const users[] = {
  "alice", "bob", "carol", "dave", NULL
};

typedef struct
{
  WsClient *a;                  /* caller */
  WsClient *b;                  /* callee */
  char *id;
  guint n;
} Call;

static Call *
call_setup (Daemon * d, const char *from, const char *to)
{
  Call *c = g_new0 (Call, 1);
  JsonObject *o;

  c->a = ws_login (d, from);
  c->b = ws_login (d, to);
  ws_sendf (c->a, "{\"type\":\"call\",\"to\":\"%s\"}", to);
  o = ws_expect (c->a, "calling", NULL, WAIT);
  c->id = g_strdup (S (o, "call_id"));
  o = ws_expect (c->b, "incoming", NULL, WAIT);
  g_assert_cmpstr (S (o, "call_id"), ==, c->id);
  g_assert_cmpstr (S (o, "peer"), ==, from);
  ws_expect (c->a, "ringing", NULL, WAIT);
  ws_sendf (c->b, "{\"type\":\"accept\",\"call_id\":\"%s\"}", c->id);
  o = ws_expect (c->a, "accepted", NULL, WAIT);
  g_assert_cmpstr (S (o, "role"), ==, "offerer");
  o = ws_expect (c->b, "accepted", NULL, WAIT);
  g_assert_cmpstr (S (o, "role"), ==, "answerer");
  return c;
}

/* One sdp each way and one candidate each way must cross the call. */
static void
call_check_relay (Call * c)
{
  JsonObject *o;

  c->n++;
  ws_sendf (c->a, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":"
      "\"offer\",\"sdp\":\"v=0 offer %u\"}", c->id, c->n);
  o = ws_expect (c->b, "sdp", NULL, WAIT);
  g_assert_cmpstr (S (o, "call_id"), ==, c->id);
  g_assert_cmpstr (S (o, "sdp_type"), ==, "offer");
  {
    g_autofree char *want = g_strdup_printf ("v=0 offer %u", c->n);
    g_assert_cmpstr (S (o, "sdp"), ==, want);
  }
  ws_sendf (c->b, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":"
      "\"answer\",\"sdp\":\"v=0 answer\"}", c->id);
  o = ws_expect (c->a, "sdp", NULL, WAIT);
  g_assert_cmpstr (S (o, "sdp_type"), ==, "answer");
  ws_sendf (c->a, "{\"type\":\"ice\",\"call_id\":\"%s\",\"candidate\":"
      "\"candidate:1 1 UDP 2122260223 127.0.0.1 5000 typ host\","
      "\"sdp_mline_index\":0,\"sdp_mid\":\"0\"}", c->id);
  o = ws_expect (c->b, "ice", NULL, WAIT);
  g_assert_cmpint (json_object_get_int_member (o, "sdp_mline_index"), ==, 0);
  ws_sendf (c->b, "{\"type\":\"ice\",\"call_id\":\"%s\",\"candidate\":\"\","
      "\"sdp_mline_index\":1}", c->id);
  o = ws_expect (c->a, "ice", NULL, WAIT);
  g_assert_cmpstr (S (o, "candidate"), ==, "");
}

static void
call_free (Call * c)
{
  ws_free (c->a);
  ws_free (c->b);
  g_free (c->id);
  g_free (c);
}

static void
assert_healthy (Daemon * d, Call * other)
{
  guint status = 0;
  g_autofree char *body = daemon_get (d, "/healthz", &status);

  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (body, ==, "ok\n");
  call_check_relay (other);
}

static void
test_call_flow (void)
{
  Daemon *d = daemon_start (users, NULL);
  Call *c = call_setup (d, "alice", "bob");
  guint status;
  g_autofree char *metrics = NULL;

  call_check_relay (c);
  call_check_relay (c);
  ws_sendf (c->b, "{\"type\":\"hangup\",\"call_id\":\"%s\"}", c->id);
  ws_expect (c->b, "ended", "hangup", WAIT);
  ws_expect (c->a, "ended", "hangup", WAIT);
  ws_send (c->a, "{\"type\":\"ping\"}");
  ws_expect (c->a, "presence", NULL, WAIT);
  metrics = daemon_get (d, "/metrics", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (metrics, "convene_connections 2\n"));
  g_assert_nonnull (strstr (metrics,
          "convene_calls_total{outcome=\"accepted\"} 1\n"));
  g_assert_nonnull (strstr (metrics, "convene_call_setup_seconds_count 1\n"));
  g_assert_nonnull (strstr (metrics,
          "convene_call_setup_seconds_bucket{le=\"+Inf\"} 1\n"));
  g_assert_nonnull (strstr (metrics, "convene_ws_messages_total "));
  g_assert_nonnull (strstr (metrics, "convene_errors_total{code=\"bad-json\"}"));
  call_free (c);
  daemon_stop (d);
}

static WsClient *
fresh_hello (Daemon * d, const char *token)
{
  WsClient *c = ws_connect (d);

  ws_sendf (c, "{\"type\":\"hello\",\"token\":\"%s\"}", token);
  return c;
}

static char *
b64url (const char *s)
{
  char *b = g_base64_encode ((const guchar *) s, strlen (s));

  g_strdelimit (b, "+", '-');
  g_strdelimit (b, "/", '_');
  for (char *p = b + strlen (b); p > b && p[-1] == '='; p--)
    p[-1] = '\0';
  return b;
}

static void
test_abuse (void)
{
  const char *const extra[] = { NULL };
  Daemon *d = daemon_start (users, extra);
  Call *cd = call_setup (d, "carol", "dave");
  g_autoptr (GBytes) secret = daemon_secret (d);
  static const char *const grants[] = { "publish", NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  WsClient *c;
  JsonObject *o;

  call_check_relay (cd);

  /* malformed JSON as the first frame: error, close 1008 */
  c = ws_connect (d);
  ws_send (c, "{\"type\":");
  ws_expect (c, "error", "bad-json", WAIT);
  g_assert_cmpuint (ws_wait_closed (c, WAIT), ==, 1008);
  ws_free (c);
  assert_healthy (d, cd);

  /* anything but hello first */
  c = ws_connect (d);
  ws_send (c, "{\"type\":\"call\",\"to\":\"bob\"}");
  ws_expect (c, "error", "auth-required", WAIT);
  g_assert_cmpuint (ws_wait_closed (c, WAIT), ==, 1008);
  ws_free (c);

  /* expired token, token of another key, alg none, garbage */
  {
    g_autofree char *expired = cnv_token_mint (secret, "alice", NULL, grants,
        now - 100, 10, NULL);
    g_autoptr (GBytes) other = g_bytes_new_static ("0123456789abcdef0123456789"
        "abcdef", 32);
    g_autofree char *forged = cnv_token_mint (other, "alice", NULL, grants,
        now, 600, NULL);
    g_autofree char *claims = g_strdup_printf ("{\"sub\":\"alice\",\"exp\":%"
        G_GINT64_FORMAT ",\"grants\":[\"publish\"]}", now + 600);
    g_autofree char *h = b64url ("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    g_autofree char *p = b64url (claims);
    g_autofree char *none = g_strdup_printf ("%s.%s.", h, p);
    const struct
    {
      const char *token;
      const char *code;
    } cases[] = {
      {expired, "token-expired"},
      {forged, "auth-failed"},
      {none, "auth-failed"},
      {"garbage", "auth-failed"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
      c = fresh_hello (d, cases[i].token);
      ws_expect (c, "error", cases[i].code, WAIT);
      g_assert_cmpuint (ws_wait_closed (c, WAIT), ==, 1008);
      ws_free (c);
    }
  }
  assert_healthy (d, cd);

  /* after hello: bad input is answered and the connection stays */
  c = ws_login (d, "alice");
  {
    const struct
    {
      const char *text;
      const char *code;
      const char *names;
    } cases[] = {
      {"{oops", "bad-json", NULL},
      {"42", "bad-json", NULL},
      {"{\"type\":\"teleport\"}", "unknown-type", NULL},
      {"{\"to\":\"bob\"}", "bad-message", "type"},
      {"{\"type\":7}", "bad-message", "type"},
      {"{\"type\":\"call\"}", "bad-message", "to"},
      {"{\"type\":\"call\",\"to\":5}", "bad-message", "to"},
      {"{\"type\":\"ice\",\"call_id\":\"x\",\"candidate\":\"\","
            "\"sdp_mline_index\":-1}", "bad-message", "sdp_mline_index"},
      {"{\"type\":\"ice\",\"call_id\":\"x\",\"candidate\":\"\","
            "\"sdp_mline_index\":\"0\"}", "bad-message", "sdp_mline_index"},
      {"{\"type\":\"sdp\",\"call_id\":\"x\",\"sdp_type\":\"pranswer\","
            "\"sdp\":\"\"}", "bad-message", "sdp_type"},
      {"{\"type\":\"ping\",\"extra\":1}", "bad-message", "extra"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
      ws_send (c, cases[i].text);
      o = ws_expect (c, "error", cases[i].code, WAIT);
      if (cases[i].names)
        g_assert_nonnull (strstr (S (o, "message"), cases[i].names));
    }
  }
  /* alice acting on carol and dave's call */
  ws_sendf (c, "{\"type\":\"accept\",\"call_id\":\"%s\"}", cd->id);
  ws_expect (c, "error", "unknown-call", WAIT);
  ws_sendf (c, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":\"offer\","
      "\"sdp\":\"v=0\"}", cd->id);
  ws_expect (c, "error", "unknown-call", WAIT);
  ws_sendf (c, "{\"type\":\"hangup\",\"call_id\":\"%s\"}", cd->id);
  ws_expect (c, "error", "unknown-call", WAIT);
  ws_sendf (c, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":\"offer\","
      "\"sdp\":\"v=0\",\"from\":\"carol\"}", cd->id);
  o = ws_expect (c, "error", "bad-message", WAIT);
  g_assert_nonnull (strstr (S (o, "message"), "from"));
  ws_send (c, "{\"type\":\"ping\"}");
  ws_expect (c, "pong", NULL, WAIT);
  g_assert_false (c->closed);
  assert_healthy (d, cd);

  /* 1 MiB frame: 1009 */
  {
    gsize n = 1 << 20;
    g_autofree char *big = g_malloc (n + 1);
    memset (big, 'x', n);
    memcpy (big, "{\"type\":\"ping\",\"pad\":\"", 22);
    memcpy (big + n - 2, "\"}", 2);
    big[n] = '\0';
    ws_send (c, big);
    g_assert_cmpuint (ws_wait_closed (c, 10000), ==, 1009);
    ws_free (c);
  }
  assert_healthy (d, cd);

  /* 10,000 messages at once: rate-limited, then closed */
  c = ws_login (d, "alice");
  for (int i = 0; i < 10000; i++)
    ws_send (c, "{\"type\":\"ping\"}");
  {
    gboolean limited = FALSE;
    guint pongs = 0;
    while (!limited) {
      o = g_queue_peek_head (&c->msgs) ? NULL : NULL;
      while (g_queue_is_empty (&c->msgs) && !c->closed)
        g_main_context_iteration (NULL, TRUE);
      o = g_queue_pop_head (&c->msgs);
      if (!o)
        break;
      if (g_strcmp0 (S (o, "type"), "pong") == 0)
        pongs++;
      else if (g_strcmp0 (S (o, "type"), "error") == 0
          && g_strcmp0 (S (o, "code"), "rate-limited") == 0)
        limited = TRUE;
      json_object_unref (o);
    }
    g_assert_true (limited);
    g_assert_cmpuint (pongs, <, 1000);
  }
  g_assert_cmpuint (ws_wait_closed (c, 20000), ==, 1008);
  ws_free (c);
  assert_healthy (d, cd);

  /* the unrelated call ends normally */
  ws_sendf (cd->a, "{\"type\":\"hangup\",\"call_id\":\"%s\"}", cd->id);
  ws_expect (cd->b, "ended", "hangup", WAIT);
  call_free (cd);
  {
    guint status;
    g_autofree char *m = daemon_get (d, "/metrics", &status);
    g_assert_nonnull (strstr (m, "convene_errors_total{code=\"rate-limited\"} "
            "1\n"));
    g_assert_nonnull (strstr (m, "convene_errors_total{code=\"unknown-call\"} "
            "3\n"));
  }
  daemon_stop (d);
}

/* Sends @path as is, bypassing any client-side normalisation; returns the
 * status line. */
static char *
raw_get (Daemon * d, const char *path)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autofree char *req = NULL;
  g_autofree char *hostport = g_strndup (d->base + 7, strlen (d->base) - 8);

  conn = g_socket_client_connect_to_host (client, hostport, 80, NULL, &error);
  g_assert_no_error (error);
  req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: %s\r\n"
      "Connection: close\r\n\r\n", path, hostport);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM
          (conn)), req, strlen (req), NULL, NULL, &error);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)));
  return g_data_input_stream_read_line (in, NULL, NULL, NULL);
}

static void
test_static (void)
{
  g_autofree char *web = g_dir_make_tmp ("convene-web-XXXXXX", NULL);
  g_autofree char *set = g_strdup_printf ("server.web-dir=%s", web);
  const char *const extra[] = { "--set", set, NULL };
  const struct
  {
    const char *file;
    const char *body;
    const char *type;
  } files[] = {
    {"index.html", "<!doctype html>", "text/html; charset=utf-8"},
    {"app.js", "export {}", "text/javascript; charset=utf-8"},
    {"style.css", "body{}", "text/css; charset=utf-8"},
    {"logo.svg", "<svg/>", "image/svg+xml"},
    {"icon.png", "\x89PNG", "image/png"},
  };
  Daemon *d;
  guint status;

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *p = g_build_filename (web, files[i].file, NULL);
    g_assert_true (g_file_set_contents (p, files[i].body, -1, NULL));
  }
  d = daemon_start (users, extra);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *path = g_strconcat ("/", files[i].file, NULL);
    g_autofree char *type = NULL;
    g_autofree char *body = daemon_get_typed (d, path, &status, &type);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (body, ==, files[i].body);
    g_assert_cmpstr (type, ==, files[i].type);
  }
  {
    g_autofree char *type = NULL;
    g_autofree char *body = daemon_get_typed (d, "/", &status, &type);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpstr (body, ==, "<!doctype html>");
  }
  {
    g_autofree char *a = daemon_get (d, "/%2e%2e/%2e%2e/etc/passwd",
        &status);
    /* libsoup may normalise the dots away before we see them: either way
     * nothing outside web-dir is served. */
    g_assert_cmpuint (status, !=, 200);
    g_free (a);
    a = daemon_get (d, "/..%2f..%2fetc%2fpasswd", &status);
    g_assert_cmpuint (status, !=, 200);
    g_free (a);
    a = daemon_get (d, "/no-such-file.js", &status);
    g_assert_cmpuint (status, ==, 404);
  }
  {
    const char *const raw[] = { "/../../../../etc/passwd",
      "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%5c..%5cetc%5cpasswd",
      "/a/../../etc/passwd",
    };
    for (gsize i = 0; i < G_N_ELEMENTS (raw); i++) {
      g_autofree char *line = raw_get (d, raw[i]);
      g_assert_nonnull (line);
      g_test_message ("%s -> %s", raw[i], line);
      g_assert_false (g_str_has_prefix (line, "HTTP/1.1 200"));
    }
  }
  daemon_stop (d);
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *p = g_build_filename (web, files[i].file, NULL);
    g_unlink (p);
  }
  g_rmdir (web);
}

static void
test_sigterm (void)
{
  Daemon *d = daemon_start (users, NULL);
  WsClient *a = ws_login (d, "alice");
  WsClient *b = ws_connect (d);
  g_autoptr (GError) error = NULL;

  g_subprocess_send_signal (d->proc, SIGTERM);
  g_assert_cmpuint (ws_wait_closed (a, 10000), ==, 1001);
  g_assert_cmpuint (ws_wait_closed (b, 10000), ==, 1001);
  g_subprocess_wait (d->proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (d->proc));
  g_assert_cmpint (g_subprocess_get_exit_status (d->proc), ==, 0);
  g_clear_object (&d->proc);
  ws_free (a);
  ws_free (b);
  daemon_stop (d);
}

static void
test_hello_timeout (void)
{
  const char *const extra[] = { "--set", "server.hello-timeout=200", NULL };
  Daemon *d = daemon_start (users, extra);
  WsClient *c = ws_connect (d);
  WsClient *ok = ws_login (d, "alice");

  g_assert_cmpuint (ws_wait_closed (c, 5000), ==, 1008);
  /* an authenticated connection is not affected */
  ws_send (ok, "{\"type\":\"ping\"}");
  ws_expect (ok, "pong", NULL, WAIT);
  ws_free (c);
  ws_free (ok);
  daemon_stop (d);
}

static void
test_cli (void)
{
  Daemon *d = daemon_start (users, NULL);
  int status;
  g_autofree char *out = NULL;

  out = daemon_cli (d, &status, "token", "--user", "nobody", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_free (out);
  out = daemon_cli (d, &status, "user", "add", "bad/name", NULL);
  g_assert_cmpint (status, !=, 0);
  g_free (out);
  out = daemon_cli (d, &status, "--set", "limits.rate=fast", "token",
      "--user", "alice", NULL);
  g_assert_cmpint (status, ==, 2);
  g_free (out);
  out = daemon_cli (d, &status, "token", "--user", "alice", "--grants",
      "publish,fly", NULL);
  g_assert_cmpint (status, ==, 1);
  g_free (out);
  out = daemon_cli (d, &status, "token", "--user", "alice", "--meeting",
      "m1", "--grants", "subscribe,record", "--ttl", "60", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpuint (strlen (g_strstrip (out)), >, 20);
  g_assert_null (strchr (out, '\n'));
  daemon_stop (d);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon/call-flow", test_call_flow);
  g_test_add_func ("/daemon/abuse-while-calling", test_abuse);
  g_test_add_func ("/daemon/static", test_static);
  g_test_add_func ("/daemon/sigterm", test_sigterm);
  g_test_add_func ("/daemon/hello-timeout", test_hello_timeout);
  g_test_add_func ("/daemon/cli", test_cli);
  return g_test_run ();
}
