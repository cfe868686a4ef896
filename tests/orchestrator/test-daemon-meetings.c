/* Meetings in the real convened: the HTTP API with its tokens, a join over
 * real WebSockets, and a real worker process (tests/orchestrator/
 * fake-worker.sh) started, restarted after SIGKILL and stopped with
 * SIGTERM. */
#include "daemon-harness.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define S(o, m) json_object_get_string_member ((o), (m))
#define WAIT 5000

static const char *const users[] = { "alice", "bob", "root", NULL };

static void
expect_api_error (const char *body, const char *code)
{
  g_autoptr (JsonObject) o = json_parse_object (body);

  g_assert_cmpstr (S (o, "type"), ==, "error");
  g_assert_cmpstr (S (o, "code"), ==, code);
  g_assert_nonnull (S (o, "message"));
}

static void
test_api (void)
{
  Daemon *d = daemon_start (users, NULL);
  g_autofree char *admin = daemon_token_with (d, "root", NULL, "admin");
  g_autofree char *plain = daemon_token_with (d, "alice", NULL, "publish,subscribe");
  g_autofree char *body = NULL;
  g_autoptr (JsonObject) o = NULL;
  guint status;

  body = daemon_request (d, "POST", "/api/meetings", NULL, "{}", &status);
  g_assert_cmpuint (status, ==, 401);
  expect_api_error (body, "auth-required");
  g_free (body);
  body = daemon_request (d, "GET", "/api/meetings", "not.a.jwt", NULL,
      &status);
  g_assert_cmpuint (status, ==, 401);
  expect_api_error (body, "auth-failed");
  g_free (body);
  body = daemon_request (d, "POST", "/api/meetings", plain, "{}", &status);
  g_assert_cmpuint (status, ==, 403);
  expect_api_error (body, "forbidden");
  g_free (body);
  body = daemon_request (d, "GET", "/api/meetings", plain, NULL, &status);
  g_assert_cmpuint (status, ==, 403);
  g_free (body);

  body = daemon_request (d, "POST", "/api/meetings", admin,
      "{\"id\":\"standup\"}", &status);
  g_assert_cmpuint (status, ==, 201);
  o = json_parse_object (body);
  g_assert_cmpstr (S (o, "id"), ==, "standup");
  g_clear_pointer (&o, json_object_unref);
  g_free (body);
  body = daemon_request (d, "POST", "/api/meetings", admin,
      "{\"id\":\"standup\"}", &status);
  g_assert_cmpuint (status, ==, 409);
  g_free (body);
  body = daemon_request (d, "POST", "/api/meetings", admin,
      "{\"id\":\"bad id!\"}", &status);
  g_assert_cmpuint (status, ==, 400);
  expect_api_error (body, "bad-message");
  g_free (body);
  body = daemon_request (d, "POST", "/api/meetings", admin, "[", &status);
  g_assert_cmpuint (status, ==, 400);
  g_free (body);
  /* No body: the server names it. */
  body = daemon_request (d, "POST", "/api/meetings", admin, NULL, &status);
  g_assert_cmpuint (status, ==, 201);
  o = json_parse_object (body);
  g_assert_true (g_str_has_prefix (S (o, "id"), "m-"));
  g_clear_pointer (&o, json_object_unref);
  g_free (body);

  /* An unscoped token joins the created meeting over a real WebSocket. */
  {
    WsClient *a = ws_login_with (d, plain);
    JsonObject *j;
    JsonArray *ms;

    ws_send (a, "{\"type\":\"join\",\"meeting\":\"standup\",\"tracks\":"
        "[{\"id\":\"mic\",\"kind\":\"audio\"}]}");
    j = ws_expect (a, "joined", NULL, WAIT);
    g_assert_cmpstr (S (j, "mode"), ==, "mesh");
    body = daemon_request (d, "GET", "/api/meetings", admin, NULL, &status);
    g_assert_cmpuint (status, ==, 200);
    o = json_parse_object (body);
    ms = json_object_get_array_member (o, "meetings");
    g_assert_cmpuint (json_array_get_length (ms), ==, 2);
    for (guint i = 0; i < 2; i++) {
      JsonObject *m = json_array_get_object_element (ms, i);
      JsonArray *ps = json_object_get_array_member (m, "participants");
      if (strcmp (S (m, "id"), "standup") != 0)
        continue;
      g_assert_cmpstr (S (m, "mode"), ==, "mesh");
      g_assert_true (json_object_get_null_member (m, "worker"));
      g_assert_cmpuint (json_array_get_length (ps), ==, 1);
      g_assert_cmpstr (S (json_array_get_object_element (ps, 0), "user"), ==,
          "alice");
      g_assert_cmpstr (S (json_array_get_object_element (ps, 0),
              "participant_id"), ==, S (j, "participant_id"));
    }
    ws_free (a);
  }
  daemon_stop (d);
}

static void
test_worker_process (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = g_dir_make_tmp ("convene-worker-XXXXXX", &error);
  g_autofree char *script = g_build_filename (g_getenv
      ("CONVENE_SOURCE_ROOT"), "tests", "orchestrator", "fake-worker.sh",
      NULL);
  g_autofree char *cmd = g_strdup_printf ("meetings.worker-command=sh %s %s",
      script, out);
  const char *extra[] = { "--set", "meetings.mesh-max=1", "--set", cmd,
    "--set", "meetings.pipeline=/pipelines/meeting.pipeline", NULL
  };
  Daemon *d = daemon_start (users, extra);
  g_autofree char *ta = daemon_token_with (d, "alice", "room", "publish,subscribe");
  g_autofree char *tb = daemon_token_with (d, "bob", "room", "publish,subscribe");
  g_autofree char *admin = daemon_token_with (d, "root", NULL, "admin");
  g_autofree char *expect_uri = NULL;
  g_autofree char *body = NULL;
  g_autofree char *metrics = NULL;
  g_auto (GStrv) argv = NULL;
  g_auto (GStrv) argv2 = NULL;
  WsClient *a, *b;
  gint64 pid, pid2;
  guint status;

  g_assert_no_error (error);
  a = ws_login_with (d, ta);
  b = ws_login_with (d, tb);
  ws_send (a, "{\"type\":\"join\",\"meeting\":\"room\"}");
  ws_expect (a, "joined", NULL, WAIT);
  g_assert_cmpint (wait_file (out, "argv", 0, 300), ==, 0);
  /* The second participant passes mesh-max = 1. */
  ws_send (b, "{\"type\":\"join\",\"meeting\":\"room\"}");
  ws_expect (b, "joined", NULL, WAIT);
  pid = wait_file (out, "argv", 0, WAIT);
  g_assert_cmpint (pid, >, 0);
  argv = read_argv (out, pid);
  g_assert_cmpuint (g_strv_length (argv), ==, 8);
  g_assert_cmpstr (argv[0], ==, "/pipelines/meeting.pipeline");
  g_assert_cmpstr (argv[1], ==, "MEETING_ID=room");
  expect_uri = g_strdup_printf ("SIGNALING_URI=ws://%s/ws",
      d->base + strlen ("http://"));
  /* base ends with "/": drop it from the host:port part. */
  {
    char *slash = strstr (expect_uri, "//ws");
    if (slash)
      memmove (slash, slash + 1, strlen (slash));
  }
  g_assert_cmpstr (argv[2], ==, expect_uri);
  g_assert_true (g_str_has_prefix (argv[3], "WORKER_TOKEN=ey"));
  g_assert_true (g_str_has_prefix (argv[4], "DATA_DIR="));
  g_assert_cmpstr (argv[4] + strlen ("DATA_DIR="), ==, d->dir);
  g_assert_cmpstr (argv[5], ==, "ALLOW_LOOPBACK=false");
  g_assert_true (g_str_has_prefix (argv[6], "RECORDER_PIPELINE="));
  g_assert_cmpstr (argv[7], ==, "CHUNK_DURATION=2000000000");

  /* The worker token authenticates as the worker of this meeting. */
  {
    WsClient *w = ws_login_with (d, argv[3] + strlen ("WORKER_TOKEN="));
    ws_send (w, "{\"type\":\"join\",\"meeting\":\"other\"}");
    ws_expect (w, "error", "forbidden", WAIT);
    ws_send (w, "{\"type\":\"join\",\"meeting\":\"room\"}");
    ws_expect (w, "joined", NULL, WAIT);
    g_assert_cmpstr (S (ws_until (a, "mode", WAIT), "mode"), ==, "sfu");
    ws_free (w);
    ws_until (a, "participant-left", WAIT);
  }

  body = daemon_request (d, "GET", "/api/meetings", admin, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  {
    g_autofree char *want = g_strdup_printf ("\"worker\":{\"pid\":%"
        G_GINT64_FORMAT ",\"restarts\":0}", pid);
    g_assert_nonnull (strstr (body, want));
  }

  /* SIGKILL: convened starts another one. */
  g_assert_cmpint (kill ((pid_t) pid, SIGKILL), ==, 0);
  pid2 = wait_file (out, "argv", pid, WAIT);
  g_assert_cmpint (pid2, >, 0);
  argv2 = read_argv (out, pid2);
  g_assert_cmpstr (argv2[1], ==, "MEETING_ID=room");
  g_free (body);
  body = daemon_request (d, "GET", "/api/meetings", admin, NULL, &status);
  g_assert_nonnull (strstr (body, "\"restarts\":1"));
  metrics = daemon_get (d, "/metrics", &status);
  g_assert_nonnull (strstr (metrics, "convene_worker_restarts_total 1\n"));

  /* The meeting empties: SIGTERM, recorded by the worker. */
  ws_free (a);
  ws_free (b);
  g_assert_cmpint (wait_file (out, "term", 0, WAIT), ==, pid2);
  daemon_stop (d);
  rm_rf (out);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon-meetings/api", test_api);
  g_test_add_func ("/daemon-meetings/worker-process", test_worker_process);
  return g_test_run ();
}
