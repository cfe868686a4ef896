/* Recording control, events, stats and notifications in the real convened:
 * real WebSockets and HTTP, a stand-in worker (fake-worker.sh) whose token
 * the test uses to play the worker, and a stand-in archiver
 * (fake-archiver.sh) that leaves a marker per run. */
#include "daemon-harness.h"
#include "recordings.h"
#include "token.h"

#include <glib/gstdio.h>
#include <string.h>

#define S(o, m) json_object_get_string_member ((o), (m))
#define WAIT 5000

static const char *const users[] = { "alice", "bob", "carol", "root", NULL };

typedef struct
{
  Daemon *d;
  char *out;                    /* where the stand-ins leave markers */
} Fixture;

static char *
script (const char *name)
{
  return g_build_filename (g_getenv ("CONVENE_SOURCE_ROOT"), "tests",
      "orchestrator", name, NULL);
}

static void
fixture_start (Fixture * f, const char *mesh_max)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *worker = script ("fake-worker.sh");
  g_autofree char *archiver = script ("fake-archiver.sh");
  g_autofree char *wcmd = NULL;
  g_autofree char *acmd = NULL;
  g_autofree char *mm = g_strdup_printf ("meetings.mesh-max=%s", mesh_max);

  f->out = g_dir_make_tmp ("convene-rec-XXXXXX", &error);
  g_assert_no_error (error);
  wcmd = g_strdup_printf ("meetings.worker-command=sh %s %s", worker, f->out);
  acmd = g_strdup_printf ("recording.archiver-command=sh %s %s", archiver,
      f->out);
  {
    const char *extra[] = { "--set", mm, "--set", wcmd, "--set", acmd,
      "--set", "meetings.pipeline=/pipelines/meeting.pipeline", NULL
    };
    f->d = daemon_start (users, extra);
  }
}

static void
fixture_stop (Fixture * f)
{
  daemon_stop (f->d);
  rm_rf (f->out);
  g_free (f->out);
}

/* The events in <data>/events.jsonl, oldest first. */
static GPtrArray *
read_events (Daemon * d)
{
  g_autofree char *path = g_build_filename (d->dir, "events.jsonl", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return list;
  lines = g_strsplit (text, "\n", -1);
  for (gsize i = 0; lines[i]; i++)
    if (*lines[i])
      g_ptr_array_add (list, json_parse_object (lines[i]));
  return list;
}

/* Waits for an event of @type whose string member @key is @value (both
 * nullable); returns it (a new reference). */
static JsonObject *
wait_event (Daemon * d, const char *type, const char *key, const char *value)
{
  gint64 deadline = g_get_monotonic_time () + WAIT * (gint64) 1000;

  do {
    g_autoptr (GPtrArray) events = read_events (d);
    for (guint i = 0; i < events->len; i++) {
      JsonObject *e = g_ptr_array_index (events, i);
      if (g_strcmp0 (S (e, "type"), type) != 0)
        continue;
      if (key && g_strcmp0 (json_object_get_string_member_with_default (e,
                  key, NULL), value) != 0)
        continue;
      g_assert_cmpint (json_object_get_int_member (e, "version"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (e, "ts"), >, 0);
      return json_object_ref (e);
    }
    g_main_context_iteration (NULL, FALSE);
    g_usleep (10000);
  } while (g_get_monotonic_time () < deadline);
  g_error ("no event %s with %s=%s", type, key, value);
  return NULL;
}

static WsClient *
join (Daemon * d, const char *user, const char *grants)
{
  g_autofree char *t = daemon_token_with (d, user, "room", grants);
  WsClient *c = ws_login_with (d, t);

  ws_send (c, "{\"type\":\"join\",\"meeting\":\"room\"}");
  ws_until (c, "joined", WAIT);
  return c;
}

/* The client answers ping with pong next: nothing else is queued for it. */
static void
expect_quiet (WsClient * c)
{
  ws_send (c, "{\"type\":\"ping\"}");
  ws_expect (c, "pong", NULL, WAIT);
}

static char *
marker_text (const char *dir, const char *prefix, gint64 pid)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.%" G_GINT64_FORMAT, dir,
      prefix, pid);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

/* Start and stop over the protocol and the API; grants; everyone told;
 * the worker told (again after a restart); events; the embedded archiver
 * run on stop and recover at start; the recordings list. */
static void
test_control (void)
{
  Fixture f;
  WsClient *a, *b, *w;
  JsonObject *m;
  g_autoptr (JsonObject) ev = NULL;
  g_autofree char *rec_id = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *body = NULL;
  g_autofree char *rec_token = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *recover = NULL;
  g_autofree char *assemble = NULL;
  g_auto (GStrv) argv = NULL;
  gint64 pid;
  guint status;

  fixture_start (&f, "4");
  /* recover runs once at start, with CONVENE_URL. */
  pid = wait_file (f.out, "recover", 0, WAIT);
  g_assert_cmpint (pid, >, 0);
  recover = marker_text (f.out, "recover", pid);
  g_assert_nonnull (strstr (recover, "--data-dir\n"));
  g_assert_nonnull (strstr (recover, "\nrecover\nCONVENE_URL=http://127.0.0.1:"));

  a = join (f.d, "alice", "publish,subscribe,record");
  b = join (f.d, "bob", "publish,subscribe");
  ws_until (a, "participant-joined", WAIT);

  /* Without the grant: refused, and the connection goes on. */
  ws_send (b, "{\"type\":\"record\",\"meeting\":\"room\",\"action\":\"start\"}");
  ws_expect (b, "error", "forbidden", WAIT);
  ws_send (a, "{\"type\":\"record\",\"meeting\":\"room\",\"action\":\"stop\"}");
  ws_expect (a, "error", "bad-state", WAIT);

  ws_send (a, "{\"type\":\"record\",\"meeting\":\"room\",\"action\":\"start\"}");
  m = ws_until (a, "recording", WAIT);
  g_assert_cmpstr (S (m, "state"), ==, "started");
  g_assert_cmpstr (S (m, "by"), ==, "alice");
  rec_id = g_strdup (S (m, "recording_id"));
  g_assert_true (g_str_has_prefix (rec_id, "room-20"));
  m = ws_until (b, "recording", WAIT);
  g_assert_cmpstr (S (m, "state"), ==, "started");
  g_assert_cmpstr (S (m, "recording_id"), ==, rec_id);

  /* Two people, mesh-max 4: recording alone starts the worker. */
  pid = wait_file (f.out, "argv", 0, WAIT);
  g_assert_cmpint (pid, >, 0);
  argv = read_argv (f.out, pid);
  w = ws_login_with (f.d, argv[3] + strlen ("WORKER_TOKEN="));
  ws_send (w, "{\"type\":\"join\",\"meeting\":\"room\"}");
  ws_expect (w, "joined", NULL, WAIT);
  m = ws_expect (w, "recording", NULL, WAIT);
  g_assert_cmpstr (S (m, "meeting"), ==, "room");
  g_assert_cmpstr (S (m, "action"), ==, "start");
  g_assert_cmpstr (S (m, "recording_id"), ==, rec_id);
  dir = g_build_filename (f.d->dir, "recordings", rec_id, NULL);
  g_assert_cmpstr (S (m, "dir"), ==, dir);
  g_assert_cmpstr (S (ws_until (a, "mode", WAIT), "mode"), ==, "sfu");

  /* A restarted worker hears start again, same id and dir. */
  ws_free (w);
  ws_until (a, "participant-left", WAIT);
  w = ws_login_with (f.d, argv[3] + strlen ("WORKER_TOKEN="));
  ws_send (w, "{\"type\":\"join\",\"meeting\":\"room\"}");
  ws_expect (w, "joined", NULL, WAIT);
  m = ws_expect (w, "recording", NULL, WAIT);
  g_assert_cmpstr (S (m, "action"), ==, "start");
  g_assert_cmpstr (S (m, "recording_id"), ==, rec_id);
  g_assert_cmpstr (S (m, "dir"), ==, dir);

  ev = wait_event (f.d, "recording.started", "recording_id", rec_id);
  g_assert_cmpstr (S (ev, "meeting"), ==, "room");
  g_assert_cmpstr (S (ev, "by"), ==, "alice");
  g_clear_pointer (&ev, json_object_unref);

  /* The API: a token without record for this meeting is refused. */
  plain = daemon_token_with (f.d, "bob", "room", "publish,subscribe");
  body = daemon_request (f.d, "POST", "/api/meetings/room/recording", plain,
      "{\"action\":\"stop\"}", &status);
  g_assert_cmpuint (status, ==, 403);
  g_free (body);
  rec_token = daemon_token_with (f.d, "alice", "other", "record");
  body = daemon_request (f.d, "POST", "/api/meetings/room/recording",
      rec_token, "{\"action\":\"stop\"}", &status);
  g_assert_cmpuint (status, ==, 403);
  g_free (body);
  g_free (rec_token);
  rec_token = daemon_token_with (f.d, "alice", "room", "record");
  body = daemon_request (f.d, "POST", "/api/meetings/room/recording",
      rec_token, "{\"action\":\"pause\"}", &status);
  g_assert_cmpuint (status, ==, 400);
  g_free (body);
  body = daemon_request (f.d, "POST", "/api/meetings/room/recording",
      rec_token, "{\"action\":\"stop\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  {
    g_autoptr (JsonObject) o = json_parse_object (body);
    g_assert_cmpstr (S (o, "recording_id"), ==, rec_id);
    g_assert_cmpstr (S (o, "state"), ==, "stopped");
  }
  m = ws_until (w, "recording", WAIT);
  g_assert_cmpstr (S (m, "action"), ==, "stop");
  g_assert_cmpstr (S (m, "recording_id"), ==, rec_id);
  m = ws_until (a, "recording", WAIT);
  g_assert_cmpstr (S (m, "state"), ==, "stopped");
  m = ws_until (b, "recording", WAIT);
  g_assert_cmpstr (S (m, "state"), ==, "stopped");
  g_assert_cmpstr (S (m, "by"), ==, "alice");

  ev = wait_event (f.d, "recording.stopped", "recording_id", rec_id);
  {
    JsonArray *ps = json_object_get_array_member (ev, "participants");
    g_assert_cmpuint (json_array_get_length (ps), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (ps, 0), ==, "alice");
    g_assert_cmpstr (json_array_get_string_element (ps, 1), ==, "bob");
    g_assert_cmpint (json_object_get_int_member (ev, "duration_ms"), >=, 0);
  }
  g_clear_pointer (&ev, json_object_unref);

  /* Embedded archiver: "assemble ID" once the recording stopped. */
  pid = wait_file (f.out, "assemble", 0, WAIT);
  g_assert_cmpint (pid, >, 0);
  assemble = marker_text (f.out, "assemble", pid);
  {
    g_autofree char *want = g_strdup_printf ("\nassemble\n%s\nCONVENE_URL="
        "http://127.0.0.1:", rec_id);
    g_autofree char *dd = g_strdup_printf ("--data-dir\n%s\n", f.d->dir);
    g_assert_nonnull (strstr (assemble, want));
    g_assert_nonnull (strstr (assemble, dd));
    g_assert_nonnull (strstr (assemble, "--set\nmeetings.mesh-max=4\n"));
  }

  /* The list: stopped, no download yet; a stranger sees nothing. */
  g_free (body);
  body = daemon_request (f.d, "GET", "/api/recordings?meeting=room", plain,
      NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  {
    g_autoptr (JsonObject) o = json_parse_object (body);
    JsonArray *rs = json_object_get_array_member (o, "recordings");
    JsonObject *r;
    g_assert_cmpuint (json_array_get_length (rs), ==, 1);
    r = json_array_get_object_element (rs, 0);
    g_assert_cmpstr (S (r, "id"), ==, rec_id);
    g_assert_cmpstr (S (r, "status"), ==, "stopped");
    g_assert_cmpint (json_object_get_int_member (r, "progress"), ==, 0);
    g_assert_true (json_object_get_null_member (r, "download_url"));
  }
  g_free (body);
  g_free (plain);
  plain = daemon_token_with (f.d, "carol", NULL, "publish,subscribe");
  body = daemon_request (f.d, "GET", "/api/recordings?meeting=room", plain,
      NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (body, "\"recordings\":[]"));
  g_free (body);
  body = daemon_request (f.d, "GET", "/api/recordings", NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 401);

  /* The other event families of this meeting. */
  ev = wait_event (f.d, "meeting.started", "meeting", "room");
  g_clear_pointer (&ev, json_object_unref);
  ev = wait_event (f.d, "participant.joined", "user", "bob");
  g_assert_cmpstr (S (ev, "meeting"), ==, "room");
  g_clear_pointer (&ev, json_object_unref);
  ev = wait_event (f.d, "meeting.mode-changed", "mode", "sfu");
  g_clear_pointer (&ev, json_object_unref);
  ws_free (b);
  ev = wait_event (f.d, "participant.left", "user", "bob");
  g_assert_cmpint (json_object_get_int_member (ev, "duration_ms"), >=, 0);
  g_clear_pointer (&ev, json_object_unref);
  ws_free (a);
  ws_free (w);
  ev = wait_event (f.d, "meeting.ended", "meeting", "room");
  fixture_stop (&f);
}

static char *
archiver_token (Daemon * d, const char *const *grants)
{
  g_autoptr (GBytes) secret = daemon_secret (d);
  g_autoptr (GError) error = NULL;
  char *t = cnv_token_mint (secret, "_archiver", NULL, grants,
      g_get_real_time () / G_USEC_PER_SEC, 600, &error);

  g_assert_no_error (error);
  return t;
}

/* The archiver finished: pushed to who is online, kept for who is not and
 * given once at the next sign-in; the download needs a participant. */
static void
test_notifications (void)
{
  static const char *const archiver[] = { "archiver", NULL };
  static const char *const admin[] = { "admin", NULL };
  Fixture f;
  WsClient *a, *b;
  JsonObject *m;
  g_autoptr (CnvRecordings) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *rec_id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *url = NULL;
  g_autofree char *body = NULL;
  g_autofree char *tok = NULL;
  g_autofree char *fetch = NULL;
  guint status;

  fixture_start (&f, "1");
  a = join (f.d, "alice", "publish,subscribe,record");
  b = join (f.d, "bob", "publish,subscribe");
  ws_send (a, "{\"type\":\"record\",\"meeting\":\"room\",\"action\":\"start\"}");
  rec_id = g_strdup (S (ws_until (a, "recording", WAIT), "recording_id"));
  ws_send (a, "{\"type\":\"record\",\"meeting\":\"room\",\"action\":\"stop\"}");
  ws_until (a, "recording", WAIT);
  ws_until (b, "recording", WAIT);
  ws_free (b);

  /* What the archiver writes before it calls convened. */
  path = g_build_filename (f.d->dir, "out.mp4", NULL);
  g_assert_true (g_file_set_contents (path, "not really an mp4", -1, NULL));
  store = cnv_recordings_open (f.d->dir, &error);
  g_assert_no_error (error);
  g_assert_true (cnv_recordings_set_status (store, rec_id, "ready", 100,
          path, NULL, &error));
  g_assert_no_error (error);

  url = g_strdup_printf ("/internal/recordings/%s/ready", rec_id);
  tok = daemon_token_with (f.d, "alice", "room", "publish,subscribe,record");
  body = daemon_request (f.d, "POST", url, tok, "{\"status\":\"ready\"}",
      &status);
  g_assert_cmpuint (status, ==, 403);
  g_free (body);
  g_free (tok);
  tok = archiver_token (f.d, admin);
  body = daemon_request (f.d, "POST", url, tok, "{\"status\":\"ready\"}",
      &status);
  g_assert_cmpuint (status, ==, 403);
  g_free (body);
  g_free (tok);
  tok = archiver_token (f.d, archiver);
  body = daemon_request (f.d, "POST", url, tok,
      "{\"status\":\"ready\",\"user\":\"x\"}", &status);
  g_assert_cmpuint (status, ==, 400);
  g_free (body);
  body = daemon_request (f.d, "POST", "/internal/recordings/nope/ready", tok,
      "{\"status\":\"ready\"}", &status);
  g_assert_cmpuint (status, ==, 404);
  g_free (body);
  body = daemon_request (f.d, "POST", url, tok, "{\"status\":\"ready\","
      "\"url\":\"file:///x\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (body, "\"notified\":2"));

  /* alice is online: at once. */
  m = ws_until (a, "notification", WAIT);
  g_assert_cmpstr (S (m, "kind"), ==, "recording-ready");
  g_assert_cmpstr (S (m, "recording_id"), ==, rec_id);
  g_assert_cmpstr (S (m, "meeting"), ==, "room");
  fetch = g_strdup (S (m, "url"));
  g_assert_true (g_str_has_prefix (fetch, "/api/recordings/"));

  /* bob was not: after welcome at the next sign-in, and only once. */
  g_free (tok);
  tok = daemon_token_with (f.d, "bob", NULL, "publish,subscribe");
  b = ws_login_with (f.d, tok);
  m = ws_expect (b, "notification", NULL, WAIT);
  g_assert_cmpstr (S (m, "recording_id"), ==, rec_id);
  g_assert_cmpstr (S (m, "url"), ==, fetch);
  ws_free (b);
  b = ws_login_with (f.d, tok);
  expect_quiet (b);
  ws_free (b);

  /* The list now offers the download. */
  g_free (body);
  body = daemon_request (f.d, "GET", "/api/recordings?meeting=room", tok,
      NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (body, "\"status\":\"ready\""));
  g_assert_nonnull (strstr (body, "\"progress\":100"));
  g_assert_nonnull (strstr (body, fetch));

  /* Download: a participant by Bearer or ?token=, nobody else. */
  g_free (body);
  body = daemon_request (f.d, "GET", fetch + 1, tok, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (body, ==, "not really an mp4");
  g_free (body);
  {
    g_autofree char *q = g_strdup_printf ("%s?token=%s", fetch + 1, tok);
    body = daemon_get (f.d, q, &status);
    g_assert_cmpuint (status, ==, 200);
  }
  g_free (body);
  g_free (tok);
  tok = daemon_token_with (f.d, "carol", "room", "publish,subscribe,record");
  body = daemon_request (f.d, "GET", fetch + 1, tok, NULL, &status);
  g_assert_cmpuint (status, ==, 403);
  g_free (body);
  body = daemon_request (f.d, "GET", fetch + 1, NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 401);

  ws_free (a);
  fixture_stop (&f);
}

/* call.started / call.ended with the duration between two users. */
static void
test_call_events (void)
{
  Fixture f;
  WsClient *a, *b;
  g_autoptr (JsonObject) ev = NULL;
  g_autofree char *call_id = NULL;

  fixture_start (&f, "4");
  a = ws_login (f.d, "alice");
  b = ws_login (f.d, "bob");
  ws_send (a, "{\"type\":\"call\",\"to\":\"bob\"}");
  call_id = g_strdup (S (ws_until (a, "calling", WAIT), "call_id"));
  ws_until (b, "incoming", WAIT);
  ws_sendf (b, "{\"type\":\"accept\",\"call_id\":\"%s\"}", call_id);
  ws_until (a, "accepted", WAIT);
  ws_until (b, "accepted", WAIT);
  g_usleep (50000);             /* a measurable duration, not a sync */
  ws_sendf (a, "{\"type\":\"hangup\",\"call_id\":\"%s\"}", call_id);
  ws_until (b, "ended", WAIT);

  ev = wait_event (f.d, "call.started", "call_id", call_id);
  g_assert_cmpstr (S (ev, "caller"), ==, "alice");
  g_assert_cmpstr (S (ev, "callee"), ==, "bob");
  g_clear_pointer (&ev, json_object_unref);
  ev = wait_event (f.d, "call.ended", "call_id", call_id);
  g_assert_cmpstr (S (ev, "caller"), ==, "alice");
  g_assert_cmpstr (S (ev, "callee"), ==, "bob");
  g_assert_cmpstr (S (ev, "outcome"), ==, "answered");
  g_assert_cmpstr (S (ev, "reason"), ==, "hangup");
  g_assert_cmpint (json_object_get_int_member (ev, "duration_ms"), >=, 50);
  g_clear_pointer (&ev, json_object_unref);

  /* Unanswered: outcome from the table, duration 0. */
  ws_send (a, "{\"type\":\"call\",\"to\":\"carol\"}");
  g_free (call_id);
  call_id = g_strdup (S (ws_until (a, "calling", WAIT), "call_id"));
  ev = wait_event (f.d, "call.ended", "call_id", call_id);
  g_assert_cmpstr (S (ev, "outcome"), ==, "offline");
  g_assert_cmpint (json_object_get_int_member (ev, "duration_ms"), ==, 0);

  ws_free (a);
  ws_free (b);
  fixture_stop (&f);
}

/* stats: validated, published as client.stats with the connection's user;
 * a height change is quality.changed; the dropped counter is exported. */
static void
test_stats (void)
{
  Fixture f;
  WsClient *a, *b;
  JsonObject *m;
  g_autoptr (JsonObject) ev = NULL;
  g_autofree char *metrics = NULL;
  guint status;

  fixture_start (&f, "4");
  a = join (f.d, "alice", "publish,subscribe");
  b = ws_login (f.d, "bob");

  ws_send (a, "{\"type\":\"stats\",\"meeting\":\"room\",\"width\":1280,"
      "\"height\":720,\"frame_rate\":29.5,\"send_bitrate\":1200000,"
      "\"recv_bitrate\":800000.5,\"loss\":0.01,\"rtt_ms\":35,"
      "\"path\":\"direct\",\"device\":\"desktop\",\"network\":\"wifi\"}");
  ev = wait_event (f.d, "client.stats", "user", "alice");
  g_assert_cmpstr (S (ev, "meeting"), ==, "room");
  g_assert_cmpint (json_object_get_int_member (ev, "height"), ==, 720);
  g_assert_cmpfloat (json_object_get_double_member (ev, "loss"), ==, 0.01);
  g_assert_cmpstr (S (ev, "network"), ==, "wifi");
  g_clear_pointer (&ev, json_object_unref);

  /* Nobody reports in another's name. */
  ws_send (b, "{\"type\":\"stats\",\"user\":\"alice\",\"rtt_ms\":1}");
  m = ws_expect (b, "error", "bad-message", WAIT);
  g_assert_nonnull (strstr (S (m, "message"), "\"user\""));
  ws_send (b, "{\"type\":\"stats\",\"from\":\"alice\",\"rtt_ms\":1}");
  ws_expect (b, "error", "bad-message", WAIT);
  /* Bad values, each named; the connection keeps working. */
  ws_send (b, "{\"type\":\"stats\",\"loss\":1.5}");
  m = ws_expect (b, "error", "bad-message", WAIT);
  g_assert_nonnull (strstr (S (m, "message"), "\"loss\""));
  ws_send (b, "{\"type\":\"stats\",\"height\":-1}");
  m = ws_expect (b, "error", "bad-message", WAIT);
  g_assert_nonnull (strstr (S (m, "message"), "\"height\""));
  ws_send (b, "{\"type\":\"stats\",\"width\":12.5}");
  ws_expect (b, "error", "bad-message", WAIT);
  ws_send (b, "{\"type\":\"stats\",\"network\":\"pigeon\"}");
  ws_expect (b, "error", "bad-message", WAIT);
  ws_send (b, "{\"type\":\"stats\",\"frame_rate\":\"30\"}");
  ws_expect (b, "error", "bad-message", WAIT);
  ws_send (b, "{\"type\":\"stats\",\"meeting\":\"room\",\"rtt_ms\":1}");
  ws_expect (b, "error", "not-in-meeting", WAIT);
  ws_send (b, "{\"type\":\"stats\",\"rtt_ms\":12,\"device\":\"mobile\"}");
  expect_quiet (b);
  ev = wait_event (f.d, "client.stats", "user", "bob");
  g_assert_cmpstr (S (ev, "device"), ==, "mobile");
  g_clear_pointer (&ev, json_object_unref);

  ws_send (a, "{\"type\":\"stats\",\"meeting\":\"room\",\"height\":360}");
  ev = wait_event (f.d, "quality.changed", "user", "alice");
  g_assert_cmpint (json_object_get_int_member (ev, "from_height"), ==, 720);
  g_assert_cmpint (json_object_get_int_member (ev, "to_height"), ==, 360);

  metrics = daemon_get (f.d, "/metrics", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (metrics, "\nconvene_events_dropped_total 0\n"));
  ws_free (a);
  ws_free (b);
  fixture_stop (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/daemon-recording/control", test_control);
  g_test_add_func ("/daemon-recording/notifications", test_notifications);
  g_test_add_func ("/daemon-recording/call-events", test_call_events);
  g_test_add_func ("/daemon-recording/stats", test_stats);
  return g_test_run ();
}
