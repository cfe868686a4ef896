/* Meetings in the hub, driven without sockets or processes: membership,
 * scope and grant rules, relay by participant id, and the mesh <-> SFU
 * switch with a fake worker launcher. */
#include "hub-harness.h"
#include "hub.h"
#include "protocol.h"

#include <string.h>

#define S(o, m) json_object_get_string_member ((o), (m))
#define WAIT 3000

static void
setup (HubFixture * f, gconstpointer data)
{
  hub_fixture_init (f, CNV_POLICY_OPEN);
  /* Short timers: the tests wait for them through the main context. */
  f->config->mesh_max = 2;
  f->config->mesh_linger_ms = 50;
  f->config->worker_stop_timeout_ms = 100;
  hub_fixture_restart_hub (f);
  for (int i = 0; i < 6; i++) {
    static const char *const names[] = { "alice", "bob", "carol", "dave",
      "erin", "frank"
    };
    hub_fixture_add_user (f, names[i], NULL);
  }
}

static void
teardown (HubFixture * f, gconstpointer data)
{
  hub_fixture_clear (f);
}

/* Logs in with a token scoped to @meeting (NULL: unscoped). */
static FakeClient *
login (HubFixture * f, const char *user, const char *meeting,
    const char *grants)
{
  g_autofree char *token = hub_fixture_token_full (f, user, meeting,
      grants ? grants : "publish,subscribe");

  return fake_login_token (f, token);
}

/* Joins; returns the joined message (participant_id inside). */
static JsonObject *
join (FakeClient * c, const char *meeting)
{
  JsonObject *o;

  fake_sendf (c, "{\"type\":\"join\",\"meeting\":\"%s\",\"tracks\":"
      "[{\"id\":\"a0\",\"kind\":\"audio\"},{\"id\":\"v0\",\"kind\":"
      "\"video\"}]}", meeting);
  o = fake_next (c, "joined", NULL);
  g_assert_cmpstr (S (o, "meeting"), ==, meeting);
  return o;
}

static const char *
pid_of (JsonObject * joined)
{
  return S (joined, "participant_id");
}

static void
test_join_leave (HubFixture * f, gconstpointer data)
{
  FakeClient *a = login (f, "alice", "m1", NULL);
  FakeClient *b = login (f, "bob", "m1", NULL);
  FakeClient *c = login (f, "carol", NULL, NULL);
  JsonObject *ja, *jb, *o;
  JsonArray *list;

  ja = join (a, "m1");
  g_assert_cmpstr (S (ja, "mode"), ==, "mesh");
  g_assert_true (json_object_get_null_member (ja, "sfu"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (ja,
              "participants")), ==, 0);
  g_assert_cmpuint (cnv_hub_get_n_meetings (f->hub), ==, 1);

  jb = join (b, "m1");
  list = json_object_get_array_member (jb, "participants");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  o = json_array_get_object_element (list, 0);
  g_assert_cmpstr (S (o, "participant_id"), ==, pid_of (ja));
  g_assert_cmpstr (S (o, "user"), ==, "alice");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o,
              "tracks")), ==, 2);
  /* Ids sort by join order: the mesh offer rule depends on it. */
  g_assert_cmpint (strcmp (pid_of (ja), pid_of (jb)), <, 0);

  o = fake_next (a, "participant-joined", NULL);
  o = json_object_get_object_member (o, "participant");
  g_assert_cmpstr (S (o, "participant_id"), ==, pid_of (jb));
  g_assert_cmpstr (S (o, "user"), ==, "bob");

  /* In a meeting is busy, for the contacts that watch. */
  fake_drop_presence (c);
  fake_sendf (a, "{\"type\":\"tracks\",\"meeting\":\"m1\",\"tracks\":"
      "[{\"id\":\"s0\",\"kind\":\"screen\"}]}");
  o = fake_next (b, "tracks", NULL);
  g_assert_cmpstr (S (o, "participant_id"), ==, pid_of (ja));
  g_assert_cmpstr (S (json_array_get_object_element
          (json_object_get_array_member (o, "tracks"), 0), "kind"), ==,
      "screen");
  fake_expect_nothing (a);

  /* Joining twice is refused; the first membership stays. */
  fake_send (a, "{\"type\":\"join\",\"meeting\":\"m1\"}");
  fake_next (a, "error", "bad-state");

  fake_send (b, "{\"type\":\"leave\",\"meeting\":\"m1\"}");
  o = fake_next (a, "participant-left", NULL);
  g_assert_cmpstr (S (o, "participant_id"), ==, pid_of (jb));
  fake_send (b, "{\"type\":\"leave\",\"meeting\":\"m1\"}");
  fake_next (b, "error", "not-in-meeting");

  /* The last one out: the meeting is forgotten. */
  fake_disconnect (a);
  g_assert_cmpuint (cnv_hub_get_n_meetings (f->hub), ==, 0);
  fake_free (a);
  fake_free (b);
  fake_free (c);
}

static void
test_presence_busy (HubFixture * f, gconstpointer data)
{
  FakeClient *c = login (f, "carol", NULL, NULL);
  FakeClient *a = login (f, "alice", "m1", NULL);
  JsonObject *o;

  fake_drop_presence (c);
  join (a, "m1");
  o = fake_expect (c, "presence", NULL);
  g_assert_cmpstr (S (o, "user"), ==, "alice");
  g_assert_cmpstr (S (o, "status"), ==, "busy");
  fake_send (a, "{\"type\":\"leave\",\"meeting\":\"m1\"}");
  o = fake_expect (c, "presence", NULL);
  g_assert_cmpstr (S (o, "status"), ==, "online");
  fake_free (a);
  fake_free (c);
}

static void
test_scope (HubFixture * f, gconstpointer data)
{
  FakeClient *a = login (f, "alice", "m1", NULL);
  FakeClient *b = login (f, "bob", "m2", NULL);
  FakeClient *c = login (f, "carol", NULL, NULL);
  FakeClient *d = login (f, "dave", NULL, "admin,subscribe");
  FakeClient *e = login (f, "erin", "m1", "subscribe");
  FakeClient *x = login (f, "frank", "m1", "publish");
  JsonObject *ja, *o;
  g_autofree char *made = NULL;

  ja = join (a, "m1");
  /* Scoped to another meeting. */
  fake_send (b, "{\"type\":\"join\",\"meeting\":\"m1\"}");
  fake_next (b, "error", "forbidden");
  /* Unscoped: only meetings that exist. */
  fake_send (c, "{\"type\":\"join\",\"meeting\":\"nope\"}");
  fake_next (c, "error", "unknown-meeting");
  join (c, "m1");
  fake_next (a, "participant-joined", NULL);
  g_assert_true (cnv_hub_create_meeting (f->hub, "api-1", &made));
  g_assert_cmpstr (made, ==, "api-1");
  g_assert_false (cnv_hub_create_meeting (f->hub, "api-1", NULL));
  fake_send (c, "{\"type\":\"join\",\"meeting\":\"api-1\"}");
  fake_next (c, "joined", NULL);
  /* Admin: anywhere, creating it. */
  fake_send (d, "{\"type\":\"join\",\"meeting\":\"admins-only\"}");
  fake_next (d, "joined", NULL);
  /* Grants: joining needs subscribe, publishing needs publish. */
  fake_send (x, "{\"type\":\"join\",\"meeting\":\"m1\"}");
  fake_next (x, "error", "forbidden");
  fake_send (e, "{\"type\":\"join\",\"meeting\":\"m1\",\"tracks\":"
      "[{\"id\":\"a\",\"kind\":\"audio\"}]}");
  fake_next (e, "error", "forbidden");
  fake_send (e, "{\"type\":\"join\",\"meeting\":\"m1\",\"tracks\":[]}");
  fake_next (e, "joined", NULL);
  fake_sendf (e, "{\"type\":\"tracks\",\"meeting\":\"m1\",\"tracks\":"
      "[{\"id\":\"a\",\"kind\":\"audio\"}]}");
  fake_next (e, "error", "forbidden");

  /* Bad input: a publish outside the token's scope is refused and the
   * meeting goes on: the next relay still arrives. */
  fake_send (b, "{\"type\":\"tracks\",\"meeting\":\"m1\",\"tracks\":"
      "[{\"id\":\"v\",\"kind\":\"video\"}]}");
  fake_next (b, "error", "forbidden");
  fake_drop_presence (a);
  while (!g_queue_is_empty (&a->msgs))
    fake_next (a, "participant-joined", NULL);
  fake_sendf (c, "{\"type\":\"sdp\",\"meeting\":\"m1\",\"to\":\"%s\","
      "\"session\":\"mesh\",\"sdp_type\":\"offer\",\"sdp\":\"v=0\"}",
      pid_of (ja));
  o = fake_next (a, "sdp", NULL);
  g_assert_cmpstr (S (o, "sdp"), ==, "v=0");

  fake_free (a);
  fake_free (b);
  fake_free (c);
  fake_free (d);
  fake_free (e);
  fake_free (x);
  /* The API meeting stays while empty; the others are gone. */
  g_assert_cmpuint (cnv_hub_get_n_meetings (f->hub), ==, 1);
}

static void
test_relay (HubFixture * f, gconstpointer data)
{
  FakeClient *a = login (f, "alice", "m1", NULL);
  FakeClient *b = login (f, "bob", "m1", NULL);
  FakeClient *c = login (f, "carol", "m1", NULL);
  JsonObject *ja, *jb, *o;

  ja = join (a, "m1");
  jb = join (b, "m1");
  fake_sendf (c, "{\"type\":\"sdp\",\"meeting\":\"m1\",\"to\":\"%s\","
      "\"session\":\"mesh\",\"sdp_type\":\"offer\",\"sdp\":\"v=0\"}",
      pid_of (ja));
  fake_next (c, "error", "not-in-meeting");
  fake_sendf (a, "{\"type\":\"sdp\",\"meeting\":\"m1\",\"to\":\"%s\","
      "\"session\":\"mesh\",\"sdp_type\":\"offer\",\"sdp\":\"v=0 a\"}",
      pid_of (jb));
  o = fake_next (b, "sdp", NULL);
  /* from is the real sender; to is not echoed. */
  g_assert_cmpstr (S (o, "from"), ==, pid_of (ja));
  g_assert_cmpstr (S (o, "meeting"), ==, "m1");
  g_assert_cmpstr (S (o, "session"), ==, "mesh");
  g_assert_cmpstr (S (o, "sdp_type"), ==, "offer");
  g_assert_false (json_object_has_member (o, "to"));
  fake_sendf (b, "{\"type\":\"ice\",\"meeting\":\"m1\",\"to\":\"%s\","
      "\"session\":\"mesh\",\"candidate\":\"\",\"sdp_mline_index\":1}",
      pid_of (ja));
  fake_drop_presence (a);
  fake_next (a, "participant-joined", NULL);
  o = fake_next (a, "ice", NULL);
  g_assert_cmpstr (S (o, "from"), ==, pid_of (jb));
  g_assert_cmpint (json_object_get_int_member (o, "sdp_mline_index"), ==, 1);

  fake_send (a, "{\"type\":\"sdp\",\"meeting\":\"m1\",\"to\":\"p0\","
      "\"session\":\"mesh\",\"sdp_type\":\"offer\",\"sdp\":\"v=0\"}");
  fake_next (a, "error", "unknown-participant");
  /* call_id and meeting together: never. */
  fake_sendf (a, "{\"type\":\"sdp\",\"meeting\":\"m1\",\"call_id\":\"c-1\","
      "\"to\":\"%s\",\"session\":\"mesh\",\"sdp_type\":\"offer\","
      "\"sdp\":\"v=0\"}", pid_of (jb));
  fake_next (a, "error", "bad-message");
  /* A client cannot claim to be someone else. */
  fake_sendf (a, "{\"type\":\"sdp\",\"meeting\":\"m1\",\"from\":\"%s\","
      "\"to\":\"%s\",\"session\":\"mesh\",\"sdp_type\":\"offer\","
      "\"sdp\":\"v=0\"}", pid_of (jb), pid_of (jb));
  fake_next (a, "error", "bad-message");
  /* Only the worker speaks for the active speaker. */
  fake_sendf (a, "{\"type\":\"active-speaker\",\"meeting\":\"m1\","
      "\"participant_id\":\"%s\"}", pid_of (ja));
  fake_next (a, "error", "forbidden");
  /* Views in mesh mode go nowhere. */
  fake_sendf (a, "{\"type\":\"view\",\"meeting\":\"m1\",\"participant_id\":"
      "\"%s\",\"track\":\"v0\",\"width\":320,\"height\":180}", pid_of (jb));
  fake_drop_presence (b);
  fake_expect_nothing (a);
  fake_expect_nothing (b);
  fake_free (a);
  fake_free (b);
  fake_free (c);
}

static void
test_meeting_full (HubFixture * f, gconstpointer data)
{
  FakeClient *a, *b;

  f->config->max_participants = 1;
  a = login (f, "alice", "m1", NULL);
  b = login (f, "bob", "m1", NULL);
  join (a, "m1");
  fake_send (b, "{\"type\":\"join\",\"meeting\":\"m1\"}");
  fake_next (b, "error", "meeting-full");
  fake_free (a);
  fake_free (b);
}

/* ------------------------------------------------------------------ */
/* Mesh <-> SFU */

typedef struct
{
  HubFixture *f;
  guint n;
} WantWorkers;

static gboolean
has_n_workers (gpointer data)
{
  WantWorkers *w = data;

  return w->f->launcher.workers->len >= w->n;
}

static FakeWorker *
worker (HubFixture * f, guint i)
{
  g_assert_cmpuint (f->launcher.workers->len, >, i);
  return g_ptr_array_index (f->launcher.workers, i);
}

static gboolean
terminated (gpointer data)
{
  return ((FakeWorker *) data)->terminated;
}

/* The worker's connection: hello with its token, join; returns its id. */
static char *
worker_join (HubFixture * f, FakeWorker * w, FakeClient ** out, guint n_people)
{
  FakeClient *c = fake_login_token (f, w->token);
  JsonObject *o;

  fake_sendf (c, "{\"type\":\"join\",\"meeting\":\"%s\"}", w->meeting);
  o = fake_next (c, "joined", NULL);
  g_assert_cmpstr (S (o, "mode"), ==, "sfu");
  g_assert_cmpstr (S (o, "sfu"), ==, S (o, "participant_id"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o,
              "participants")), ==, n_people);
  *out = c;
  return g_strdup (S (o, "participant_id"));
}

static void
expect_mode (FakeClient * c, const char *mode, const char *sfu)
{
  JsonObject *o = fake_next (c, "mode", NULL);

  g_assert_cmpstr (S (o, "mode"), ==, mode);
  if (sfu)
    g_assert_cmpstr (S (o, "sfu"), ==, sfu);
  else
    g_assert_true (json_object_get_null_member (o, "sfu"));
}

/* Pops every leading message of @type. */
static void
drain (FakeClient * c, const char *type)
{
  fake_drop_presence (c);
  while (!g_queue_is_empty (&c->msgs)
      && g_strcmp0 (S (g_queue_peek_head (&c->msgs), "type"), type) == 0)
    fake_next (c, type, NULL);
}

static void
test_sfu_switch (HubFixture * f, gconstpointer data)
{
  static const char *const names[] = { "alice", "bob", "carol", "dave" };
  FakeClient *p[4];
  JsonObject *j[4];
  FakeClient *wc = NULL, *wc2 = NULL;
  g_autofree char *wid = NULL;
  g_autofree char *wid2 = NULL;
  g_autofree char *api = NULL;
  g_autoptr (CnvTokenClaims) claims = NULL;
  g_autofree char *why = NULL;
  CnvErrorCode code;
  WantWorkers want = { f, 1 };
  JsonObject *o;

  for (int i = 0; i < 3; i++) {
    p[i] = login (f, names[i], "m1", NULL);
    j[i] = join (p[i], "m1");
  }
  /* The third participant passed mesh-max = 2: a worker is started, with
   * a worker token for this meeting only. */
  g_assert_cmpuint (f->launcher.workers->len, ==, 1);
  g_assert_cmpstr (worker (f, 0)->meeting, ==, "m1");
  claims = cnv_token_verify (f->secret, worker (f, 0)->token,
      g_get_real_time () / G_USEC_PER_SEC, &code, &why);
  g_assert_nonnull (claims);
  g_assert_cmpstr (claims->meeting, ==, "m1");
  g_assert_true (cnv_token_claims_has_grant (claims, "worker"));
  /* Nobody hears of it before it joined. */
  for (int i = 0; i < 3; i++)
    drain (p[i], "participant-joined");

  wid = worker_join (f, worker (f, 0), &wc, 3);
  for (int i = 0; i < 3; i++)
    expect_mode (p[i], "sfu", wid);

  /* A late joiner hears sfu at once; the worker sees it join. */
  p[3] = login (f, names[3], "m1", NULL);
  j[3] = join (p[3], "m1");
  g_assert_cmpstr (S (j[3], "mode"), ==, "sfu");
  g_assert_cmpstr (S (j[3], "sfu"), ==, wid);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (j[3],
              "participants")), ==, 3);
  o = fake_next (wc, "participant-joined", NULL);
  g_assert_cmpstr (S (json_object_get_object_member (o, "participant"),
          "participant_id"), ==, pid_of (j[3]));
  for (int i = 0; i < 3; i++)
    drain (p[i], "participant-joined");

  /* view goes to the worker only, with the real sender. */
  fake_sendf (p[0], "{\"type\":\"view\",\"meeting\":\"m1\",\"participant_id\":"
      "\"%s\",\"track\":\"v0\",\"width\":320,\"height\":180}", pid_of (j[1]));
  o = fake_next (wc, "view", NULL);
  g_assert_cmpstr (S (o, "from"), ==, pid_of (j[0]));
  g_assert_cmpstr (S (o, "participant_id"), ==, pid_of (j[1]));
  g_assert_cmpint (json_object_get_int_member (o, "width"), ==, 320);
  for (int i = 0; i < 4; i++) {
    fake_drop_presence (p[i]);
    fake_expect_nothing (p[i]);
  }
  /* active-speaker from the worker reaches every participant. */
  fake_sendf (wc, "{\"type\":\"active-speaker\",\"meeting\":\"m1\","
      "\"participant_id\":\"%s\"}", pid_of (j[2]));
  for (int i = 0; i < 4; i++) {
    o = fake_next (p[i], "active-speaker", NULL);
    g_assert_cmpstr (S (o, "participant_id"), ==, pid_of (j[2]));
  }
  fake_send (wc, "{\"type\":\"active-speaker\",\"meeting\":\"m1\","
      "\"participant_id\":\"p-gone\"}");
  fake_next (wc, "error", "unknown-participant");
  /* Publish / subscribe sessions relay through the worker's id. */
  fake_sendf (p[1], "{\"type\":\"sdp\",\"meeting\":\"m1\",\"to\":\"%s\","
      "\"session\":\"publish\",\"sdp_type\":\"offer\",\"sdp\":\"v=0\"}", wid);
  o = fake_next (wc, "sdp", NULL);
  g_assert_cmpstr (S (o, "session"), ==, "publish");
  g_assert_cmpstr (S (o, "from"), ==, pid_of (j[1]));

  /* The worker dies: everyone hears it left; a new one is started after
   * the back-off and announced when it joins. */
  g_test_expect_message ("convene", G_LOG_LEVEL_WARNING, "*died; restarting");
  fake_worker_exit (worker (f, 0));
  g_test_assert_expected_messages ();
  for (int i = 0; i < 4; i++) {
    o = fake_next (p[i], "participant-left", NULL);
    g_assert_cmpstr (S (o, "participant_id"), ==, wid);
  }
  want.n = 2;
  g_assert_true (wait_for (has_n_workers, &want, WAIT));
  api = cnv_hub_render_meetings (f->hub);
  g_assert_nonnull (strstr (api, "\"restarts\":1"));
  {
    g_autofree char *m = cnv_hub_render_metrics (f->hub);
    g_assert_nonnull (strstr (m, "convene_worker_restarts_total 1\n"));
  }
  /* The old connection closing late changes nothing. */
  fake_free (wc);
  wid2 = worker_join (f, worker (f, 1), &wc2, 4);
  g_assert_cmpstr (wid2, !=, wid);
  for (int i = 0; i < 4; i++)
    expect_mode (p[i], "sfu", wid2);

  /* Down to 2 (= mesh-max): after the linger, mode mesh; the worker is
   * stopped once both confirm. */
  fake_free (p[3]);
  fake_free (p[2]);
  for (int i = 0; i < 2; i++) {
    drain (p[i], "participant-left");
    o = fake_wait (p[i], "mode", NULL, WAIT);
    g_assert_cmpstr (S (o, "mode"), ==, "mesh");
  }
  drain (wc2, "participant-left");
  expect_mode (wc2, "mesh", NULL);
  fake_send (p[0], "{\"type\":\"media-ready\",\"meeting\":\"m1\","
      "\"mode\":\"mesh\"}");
  g_assert_false (worker (f, 1)->terminated);
  fake_send (p[1], "{\"type\":\"media-ready\",\"meeting\":\"m1\","
      "\"mode\":\"mesh\"}");
  g_assert_true (worker (f, 1)->terminated);
  /* It ends after SIGTERM: no restart. */
  fake_worker_exit (worker (f, 1));
  for (int i = 0; i < 2; i++) {
    o = fake_next (p[i], "participant-left", NULL);
    g_assert_cmpstr (S (o, "participant_id"), ==, wid2);
  }
  want.n = 3;
  g_assert_false (wait_for (has_n_workers, &want, 400));

  fake_free (wc2);
  fake_free (p[0]);
  fake_free (p[1]);
  g_assert_cmpuint (cnv_hub_get_n_meetings (f->hub), ==, 0);
}

static void
test_stop_without_media_ready (HubFixture * f, gconstpointer data)
{
  static const char *const names[] = { "alice", "bob", "carol" };
  FakeClient *p[3];
  FakeClient *wc = NULL;
  g_autofree char *wid = NULL;

  for (int i = 0; i < 3; i++) {
    p[i] = login (f, names[i], "m1", NULL);
    join (p[i], "m1");
  }
  wid = worker_join (f, worker (f, 0), &wc, 3);
  fake_free (p[2]);
  /* Nobody confirms mesh: the worker is stopped after the timeout. */
  g_assert_true (wait_for (terminated, worker (f, 0), WAIT));
  for (int i = 0; i < 2; i++)
    fake_free (p[i]);
  fake_free (wc);
}

static void
test_worker_config_error (HubFixture * f, gconstpointer data)
{
  static const char *const names[] = { "alice", "bob", "carol" };
  FakeClient *p[3];
  WantWorkers want = { f, 2 };

  for (int i = 0; i < 3; i++) {
    p[i] = login (f, names[i], "m1", NULL);
    join (p[i], "m1");
  }
  /* Exit 2 means the pipeline text or the arguments are wrong: a restart
   * would fail the same way, so none is scheduled. */
  g_test_expect_message ("convene", G_LOG_LEVEL_WARNING, "*not restarting*");
  fake_worker_fail_permanently (worker (f, 0));
  g_test_assert_expected_messages ();
  g_assert_false (wait_for (has_n_workers, &want, 1500));
  for (int i = 0; i < 3; i++)
    fake_free (p[i]);
}

static void
test_empty_stops_worker (HubFixture * f, gconstpointer data)
{
  static const char *const names[] = { "alice", "bob", "carol" };
  FakeClient *p[3];

  for (int i = 0; i < 3; i++) {
    p[i] = login (f, names[i], "m1", NULL);
    join (p[i], "m1");
  }
  /* The worker never joined; everyone leaves: it is stopped at once. */
  for (int i = 0; i < 3; i++)
    fake_free (p[i]);
  g_assert_true (worker (f, 0)->terminated);
  g_assert_cmpuint (cnv_hub_get_n_meetings (f->hub), ==, 0);
}

static void
test_worker_identity (HubFixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token = hub_fixture_token_full (f, "_worker", "m1",
      "worker");
  FakeClient *w;

  /* Nobody can take the workers' name. */
  g_assert_false (cnv_users_add (f->users, "_worker", NULL, &error));
  g_assert_nonnull (error);
  /* A worker token works without a directory entry, but only for a
   * meeting that runs a worker. */
  w = fake_login_token (f, token);
  fake_send (w, "{\"type\":\"join\",\"meeting\":\"m1\"}");
  fake_next (w, "error", "bad-state");
  fake_send (w, "{\"type\":\"call\",\"to\":\"alice\"}");
  fake_next (w, "error", "forbidden");
  fake_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/meetings/" name, HubFixture, NULL, \
      setup, fn, teardown)
  ADD ("join-leave", test_join_leave);
  ADD ("presence-busy", test_presence_busy);
  ADD ("scope", test_scope);
  ADD ("relay", test_relay);
  ADD ("meeting-full", test_meeting_full);
  ADD ("sfu-switch", test_sfu_switch);
  ADD ("stop-without-media-ready", test_stop_without_media_ready);
  ADD ("worker-config-error", test_worker_config_error);
  ADD ("empty-stops-worker", test_empty_stops_worker);
  ADD ("worker-identity", test_worker_identity);
  return g_test_run ();
}
