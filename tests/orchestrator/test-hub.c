/* The hub's call state machine and presence, driven without sockets. */
#include "hub-harness.h"
#include "hub.h"

#include <string.h>

#define S(o, m) json_object_get_string_member ((o), (m))

static void
setup_open (HubFixture * f, gconstpointer data)
{
  hub_fixture_init (f, CNV_POLICY_OPEN);
  hub_fixture_add_user (f, "alice", NULL);
  hub_fixture_add_user (f, "bob", NULL);
  hub_fixture_add_user (f, "carol", NULL);
}

static void
setup_contacts (HubFixture * f, gconstpointer data)
{
  hub_fixture_init (f, CNV_POLICY_CONTACTS);
  hub_fixture_add_user (f, "alice", "bob");
  hub_fixture_add_user (f, "bob", "alice");
  hub_fixture_add_user (f, "carol", NULL);
}

static void
teardown (HubFixture * f, gconstpointer data)
{
  hub_fixture_clear (f);
}

/* alice calls bob; returns the call id; both sides have consumed the
 * ringing phase and presence. */
static char *
ring (FakeClient * a, FakeClient * b)
{
  JsonObject *o;
  char *id;

  fake_send (a, "{\"type\":\"call\",\"to\":\"bob\"}");
  o = fake_expect (a, "calling", NULL);
  id = g_strdup (S (o, "call_id"));
  g_assert_cmpstr (S (o, "peer"), ==, "bob");
  o = fake_expect (b, "incoming", NULL);
  g_assert_cmpstr (S (o, "call_id"), ==, id);
  g_assert_cmpstr (S (o, "peer"), ==, "alice");
  o = fake_expect (a, "ringing", NULL);
  g_assert_cmpstr (S (o, "call_id"), ==, id);
  fake_drop_presence (a);
  fake_drop_presence (b);
  return id;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
send_on_call (FakeClient * c, const char *type, const char *id)
{
  fake_sendf (c, "{\"type\":\"%s\",\"call_id\":\"%s\"}", type, id);
}

/* alice calls bob, who has two connections; both ring. */
static char *
ring_two_tabs (HubFixture * f, FakeClient ** a, FakeClient ** b,
    FakeClient ** b2)
{
  char *id;

  *a = fake_login (f, "alice");
  *b = fake_login (f, "bob");
  *b2 = fake_login (f, "bob");
  fake_drop_presence (*a);
  fake_drop_presence (*b);
  id = ring (*a, *b);
  fake_drop_presence (*b2);
  fake_expect (*b2, "incoming", NULL);
  return id;
}

static void
test_accept_relay_hangup (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *b = fake_login (f, "bob");
  g_autofree char *id = NULL;
  JsonObject *o;

  fake_drop_presence (a);
  id = ring (a, b);
  /* sdp before accept is refused */
  fake_sendf (a, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":\"offer\","
      "\"sdp\":\"v=0\"}", id);
  fake_expect (a, "error", "bad-state");
  send_on_call (b, "accept", id);
  o = fake_expect (a, "accepted", NULL);
  g_assert_cmpstr (S (o, "role"), ==, "offerer");
  g_assert_cmpstr (S (o, "peer"), ==, "bob");
  o = fake_expect (b, "accepted", NULL);
  g_assert_cmpstr (S (o, "role"), ==, "answerer");
  g_assert_cmpstr (S (o, "peer"), ==, "alice");
  g_assert_cmpuint (cnv_hub_get_n_calls (f->hub), ==, 1);

  fake_sendf (a, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":\"offer\","
      "\"sdp\":\"v=0\\r\\n\"}", id);
  o = fake_expect (b, "sdp", NULL);
  g_assert_cmpstr (S (o, "sdp"), ==, "v=0\r\n");
  g_assert_cmpstr (S (o, "peer"), ==, "alice");
  g_assert_cmpstr (S (o, "sdp_type"), ==, "offer");
  fake_sendf (b, "{\"type\":\"ice\",\"call_id\":\"%s\",\"candidate\":"
      "\"candidate:1 1 UDP 1 127.0.0.1 5000 typ host\",\"sdp_mline_index\":0,"
      "\"sdp_mid\":\"0\"}", id);
  o = fake_expect (a, "ice", NULL);
  g_assert_cmpint (json_object_get_int_member (o, "sdp_mline_index"), ==, 0);
  g_assert_cmpstr (S (o, "sdp_mid"), ==, "0");
  g_assert_cmpstr (S (o, "peer"), ==, "bob");
  fake_sendf (b, "{\"type\":\"ice\",\"call_id\":\"%s\",\"candidate\":\"\","
      "\"sdp_mline_index\":0}", id);
  o = fake_expect (a, "ice", NULL);
  g_assert_false (json_object_has_member (o, "sdp_mid"));

  send_on_call (a, "hangup", id);
  fake_expect (a, "ended", "hangup");
  o = fake_expect (b, "ended", "hangup");
  g_assert_cmpstr (S (o, "peer"), ==, "alice");
  g_assert_cmpuint (cnv_hub_get_n_calls (f->hub), ==, 0);
  /* late messages about the ended call */
  fake_drop_presence (a);
  fake_drop_presence (b);
  send_on_call (b, "accept", id);
  fake_expect (b, "error", "bad-state");
  fake_sendf (b, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":\"answer\","
      "\"sdp\":\"v=0\"}", id);
  fake_expect (b, "error", "bad-state");
  fake_expect_nothing (a);
  g_assert_cmpuint (cnv_hub_get_metrics (f->hub)->calls[CNV_OUTCOME_ACCEPTED],
      ==, 1);
  g_assert_cmpuint (cnv_hub_get_metrics (f->hub)->setup_count, ==, 1);
  fake_free (a);
  fake_free (b);
}

static void
test_reject (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *b = fake_login (f, "bob");
  g_autofree char *id = NULL;

  fake_drop_presence (a);
  id = ring (a, b);
  send_on_call (a, "reject", id);
  fake_expect (a, "error", "bad-state");
  send_on_call (b, "reject", id);
  fake_expect (a, "ended", "rejected");
  fake_expect (b, "ended", "rejected");
  g_assert_cmpuint (cnv_hub_get_metrics (f->hub)->calls[CNV_OUTCOME_REJECTED],
      ==, 1);
  fake_free (a);
  fake_free (b);
}

static void
test_busy_offline_self_unknown (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *b = fake_login (f, "bob");
  FakeClient *c = fake_login (f, "carol");
  g_autofree char *id = NULL;
  JsonObject *o;

  fake_drop_presence (a);
  fake_drop_presence (b);
  id = ring (a, b);
  fake_drop_presence (c);
  fake_send (c, "{\"type\":\"call\",\"to\":\"bob\"}");
  o = fake_expect (c, "calling", NULL);
  o = fake_expect (c, "ended", "busy");
  g_assert_cmpstr (S (o, "peer"), ==, "bob");
  fake_expect_nothing (b);
  fake_send (a, "{\"type\":\"call\",\"to\":\"carol\"}");
  fake_expect (a, "error", "already-in-call");
  fake_send (c, "{\"type\":\"call\",\"to\":\"carol\"}");
  fake_expect (c, "error", "self-call");
  fake_send (c, "{\"type\":\"call\",\"to\":\"nobody\"}");
  fake_expect (c, "error", "unknown-user");
  fake_send (c, "{\"type\":\"call\",\"to\":\"../etc\"}");
  fake_expect (c, "error", "bad-message");
  fake_free (a);
  fake_drop_presence (c);
  fake_expect (b, "ended", "disconnected");
  fake_free (b);
  fake_drop_presence (c);
  fake_send (c, "{\"type\":\"call\",\"to\":\"bob\"}");
  fake_expect (c, "calling", NULL);
  fake_expect (c, "ended", "offline");
  g_assert_cmpuint (cnv_hub_get_metrics (f->hub)->calls[CNV_OUTCOME_BUSY],
      ==, 1);
  g_assert_cmpuint (cnv_hub_get_metrics (f->hub)->calls[CNV_OUTCOME_OFFLINE],
      ==, 1);
  fake_free (c);
}

static void
test_no_answer (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *b = fake_login (f, "bob");
  g_autofree char *id = NULL;

  fake_drop_presence (a);
  id = ring (a, b);
  fake_wait (a, "ended", "no-answer", 5000);
  fake_expect (b, "ended", "no-answer");
  send_on_call (b, "accept", id);
  fake_drop_presence (b);
  fake_expect (b, "error", "bad-state");
  g_assert_cmpuint (cnv_hub_get_metrics (f->hub)->calls
      [CNV_OUTCOME_NO_ANSWER], ==, 1);
  /* later the ended call is forgotten altogether */
  {
    gboolean later = FALSE;
    g_timeout_add (3 * f->config->ring_timeout_ms, set_flag, &later);
    while (!later)
      g_main_context_iteration (NULL, TRUE);
  }
  send_on_call (b, "accept", id);
  fake_expect (b, "error", "unknown-call");
  fake_free (a);
  fake_free (b);
}

static void
test_cancel (HubFixture * f, gconstpointer data)
{
  FakeClient *a, *b, *b2;
  g_autofree char *id = ring_two_tabs (f, &a, &b, &b2);

  send_on_call (b, "cancel", id);
  fake_expect (b, "error", "bad-state");
  /* hangup from the caller while ringing acts as cancel */
  send_on_call (a, "hangup", id);
  fake_expect (b, "ended", "cancelled");
  fake_drop_presence (b2);
  fake_expect (b2, "ended", "cancelled");
  fake_expect (a, "ended", "cancelled");
  g_assert_cmpuint (cnv_hub_get_metrics (f->hub)->calls
      [CNV_OUTCOME_CANCELLED], ==, 1);
  fake_free (a);
  fake_free (b);
  fake_free (b2);
}

static void
test_answered_elsewhere (HubFixture * f, gconstpointer data)
{
  FakeClient *a, *b, *b2;
  g_autofree char *id = ring_two_tabs (f, &a, &b, &b2);

  send_on_call (b2, "accept", id);
  fake_expect (a, "accepted", NULL);
  fake_expect (b2, "accepted", NULL);
  fake_expect (b, "ended", "answered-elsewhere");
  /* the other connection is no longer a party */
  fake_sendf (b, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":\"answer\","
      "\"sdp\":\"v=0\"}", id);
  fake_expect (b, "error", "unknown-call");
  fake_sendf (a, "{\"type\":\"sdp\",\"call_id\":\"%s\",\"sdp_type\":\"offer\","
      "\"sdp\":\"v=0\"}", id);
  fake_expect (b2, "sdp", NULL);
  fake_expect_nothing (b);
  /* bob's relay connection drops: alice hears "disconnected" */
  fake_free (b2);
  fake_expect (a, "ended", "disconnected");
  fake_free (a);
  fake_free (b);
}

static void
test_late_tab_rings (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *b = fake_login (f, "bob");
  FakeClient *b2;
  g_autofree char *id = NULL;
  JsonObject *o;

  fake_drop_presence (a);
  id = ring (a, b);
  b2 = fake_login (f, "bob");
  o = fake_expect (b2, "incoming", NULL);
  g_assert_cmpstr (S (o, "call_id"), ==, id);
  send_on_call (b2, "accept", id);
  fake_expect (a, "accepted", NULL);
  fake_expect (b, "ended", "answered-elsewhere");
  fake_free (a);
  fake_free (b);
  fake_free (b2);
}

static void
test_disconnect_ringing (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *b = fake_login (f, "bob");
  g_autofree char *id = NULL;

  fake_drop_presence (a);
  id = ring (a, b);
  fake_free (b);
  fake_expect (a, "ended", "disconnected");
  fake_free (a);
}

static JsonObject *
expect_presence (FakeClient * c, const char *user, const char *status)
{
  JsonObject *o = fake_expect (c, "presence", NULL);

  g_assert_cmpstr (S (o, "user"), ==, user);
  g_assert_cmpstr (S (o, "status"), ==, status);
  return o;
}

static void
test_presence (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *b, *c;
  g_autofree char *id = NULL;
  JsonObject *o;

  b = fake_login (f, "bob");
  o = expect_presence (a, "bob", "online");
  g_assert_cmpint (json_object_get_int_member (o, "last_seen"), >, 0);
  c = fake_login (f, "carol");
  expect_presence (a, "carol", "online");
  expect_presence (b, "carol", "online");
  fake_send (a, "{\"type\":\"call\",\"to\":\"bob\"}");
  fake_expect (a, "calling", NULL);
  fake_expect (a, "ringing", NULL);
  expect_presence (a, "bob", "busy");
  fake_expect (b, "incoming", NULL);
  expect_presence (b, "alice", "busy");
  expect_presence (c, "alice", "busy");
  expect_presence (c, "bob", "busy");
  fake_free (b);
  fake_expect (a, "ended", "disconnected");
  expect_presence (a, "bob", "offline");
  expect_presence (c, "alice", "online");
  expect_presence (c, "bob", "offline");
  fake_expect_nothing (a);
  fake_free (a);
  fake_free (c);
}

static void
test_welcome_contacts (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *c = fake_connect (f->hub);
  g_autofree char *token = hub_fixture_token (f, "carol", 600);
  JsonObject *w;
  JsonArray *contacts;

  fake_sendf (c, "{\"type\":\"hello\",\"token\":\"%s\",\"client\":\"t\"}",
      token);
  w = fake_expect (c, "welcome", NULL);
  g_assert_cmpstr (S (w, "policy"), ==, "open");
  contacts = json_object_get_array_member (w, "contacts");
  g_assert_cmpuint (json_array_get_length (contacts), ==, 2);
  g_assert_cmpstr (S (json_array_get_object_element (contacts, 0), "user"),
      ==, "alice");
  g_assert_cmpstr (S (json_array_get_object_element (contacts, 0), "status"),
      ==, "online");
  g_assert_cmpstr (S (json_array_get_object_element (contacts, 1), "status"),
      ==, "offline");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element
          (contacts, 1), "last_seen"), ==, 0);
  g_assert_true (json_array_get_length (json_object_get_array_member (w,
              "ice_servers")) == 0);
  fake_send (c, "{\"type\":\"ping\"}");
  fake_expect (c, "pong", NULL);
  fake_free (a);
  fake_free (c);
}

static void
test_policy_contacts (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  FakeClient *b = fake_login (f, "bob");
  FakeClient *c = fake_login (f, "carol");
  g_autofree char *id = NULL;

  expect_presence (a, "bob", "online");
  /* carol is in nobody's list and lists nobody */
  fake_expect_nothing (a);
  fake_expect_nothing (c);
  fake_send (c, "{\"type\":\"call\",\"to\":\"alice\"}");
  fake_expect (c, "error", "forbidden");
  fake_send (a, "{\"type\":\"call\",\"to\":\"carol\"}");
  fake_expect (a, "error", "forbidden");
  id = ring (a, b);
  fake_expect_nothing (c);
  fake_free (a);
  fake_free (b);
  fake_free (c);
}

static void
test_auth (HubFixture * f, gconstpointer data)
{
  FakeClient *c = fake_connect (f->hub);
  g_autofree char *expired = hub_fixture_token (f, "alice", -10);
  g_autofree char *ghost = hub_fixture_token (f, "ghost", 600);

  fake_send (c, "{\"type\":\"ping\"}");
  fake_expect (c, "error", "auth-required");
  g_assert_true (c->closed);
  g_assert_cmpuint (c->close_code, ==, 1008);
  fake_free (c);

  c = fake_connect (f->hub);
  fake_send (c, "not json");
  fake_expect (c, "error", "bad-json");
  g_assert_cmpuint (c->close_code, ==, 1008);
  fake_free (c);

  c = fake_connect (f->hub);
  fake_sendf (c, "{\"type\":\"hello\",\"token\":\"%s\"}", expired);
  fake_expect (c, "error", "token-expired");
  g_assert_cmpuint (c->close_code, ==, 1008);
  fake_free (c);

  c = fake_connect (f->hub);
  fake_sendf (c, "{\"type\":\"hello\",\"token\":\"%s\"}", ghost);
  fake_expect (c, "error", "unknown-user");
  g_assert_true (c->closed);
  fake_free (c);

  c = fake_connect (f->hub);
  fake_send (c, "{\"type\":\"hello\",\"token\":\"x.y.z\"}");
  fake_expect (c, "error", "auth-failed");
  fake_free (c);

  c = fake_connect (f->hub);
  fake_send (c, "{\"type\":\"hello\",\"token\":\"x\",\"from\":\"bob\"}");
  fake_expect (c, "error", "bad-message");
  g_assert_true (c->closed);
  fake_free (c);
  g_assert_cmpuint (cnv_hub_get_n_sessions (f->hub), ==, 0);
}

static void
test_hello_timeout (HubFixture * f, gconstpointer data)
{
  FakeClient *c;

  f->config->hello_timeout_ms = 50;
  c = fake_connect (f->hub);
  while (!c->closed)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (c->close_code, ==, 1008);
  fake_free (c);
}

static void
test_errors_after_hello (HubFixture * f, gconstpointer data)
{
  FakeClient *a = fake_login (f, "alice");
  JsonObject *o;

  fake_send (a, "[1,2]");
  fake_expect (a, "error", "bad-json");
  fake_send (a, "{\"type\":\"dance\"}");
  o = fake_expect (a, "error", "unknown-type");
  g_assert_cmpstr (S (o, "ref"), ==, "dance");
  fake_send (a, "{\"type\":\"accept\"}");
  o = fake_expect (a, "error", "bad-message");
  g_assert_nonnull (strstr (S (o, "message"), "call_id"));
  g_assert_cmpstr (S (o, "ref"), ==, "accept");
  fake_send (a, "{\"type\":\"accept\",\"call_id\":\"c-1\",\"from\":\"bob\"}");
  o = fake_expect (a, "error", "bad-message");
  g_assert_nonnull (strstr (S (o, "message"), "from"));
  fake_send (a, "{\"type\":\"accept\",\"call_id\":\"c-1\"}");
  fake_expect (a, "error", "unknown-call");
  fake_send (a, "{\"type\":\"hello\",\"token\":\"x\"}");
  fake_expect (a, "error", "bad-state");
  fake_expect_nothing (a);
  g_assert_false (a->closed);
  fake_free (a);
}

static void
test_rate_limit (HubFixture * f, gconstpointer data)
{
  FakeClient *a;
  guint errors = 0, pongs = 0;

  f->config->burst = 10;
  f->config->rate = 1;
  a = fake_login (f, "alice");
  for (int i = 0; i < 3000 && !a->closed; i++)
    fake_send (a, "{\"type\":\"ping\"}");
  g_assert_true (a->closed);
  g_assert_cmpuint (a->close_code, ==, 1008);
  while (!g_queue_is_empty (&a->msgs)) {
    JsonObject *o = g_queue_pop_head (&a->msgs);
    if (g_strcmp0 (S (o, "type"), "pong") == 0)
      pongs++;
    else if (g_strcmp0 (S (o, "code"), "rate-limited") == 0)
      errors++;
    json_object_unref (o);
  }
  /* the hello took one token */
  g_assert_cmpuint (pongs, <=, 10);
  g_assert_cmpuint (errors, ==, 1);
  fake_free (a);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, setup, fn) \
  g_test_add (name, HubFixture, NULL, setup, fn, teardown)
  ADD ("/hub/accept-relay-hangup", setup_open, test_accept_relay_hangup);
  ADD ("/hub/reject", setup_open, test_reject);
  ADD ("/hub/busy-offline-self-unknown", setup_open,
      test_busy_offline_self_unknown);
  ADD ("/hub/no-answer", setup_open, test_no_answer);
  ADD ("/hub/cancel", setup_open, test_cancel);
  ADD ("/hub/answered-elsewhere", setup_open, test_answered_elsewhere);
  ADD ("/hub/late-tab-rings", setup_open, test_late_tab_rings);
  ADD ("/hub/disconnect-ringing", setup_open, test_disconnect_ringing);
  ADD ("/hub/presence", setup_open, test_presence);
  ADD ("/hub/welcome-contacts", setup_open, test_welcome_contacts);
  ADD ("/hub/policy-contacts", setup_contacts, test_policy_contacts);
  ADD ("/hub/auth", setup_open, test_auth);
  ADD ("/hub/hello-timeout", setup_open, test_hello_timeout);
  ADD ("/hub/errors-after-hello", setup_open, test_errors_after_hello);
  ADD ("/hub/rate-limit", setup_open, test_rate_limit);
#undef ADD
  return g_test_run ();
}
