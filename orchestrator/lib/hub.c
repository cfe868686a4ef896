/* The Convene hub: authentication of sessions, presence and the 1:1 call
 * state machine, driven only by "this session sent this text".
 *
 * Ownership: sessions and calls are GObjects owned by the hub's hash tables
 * (destroy notifies unref them). Other tables borrow them. A user is in at
 * most one call (ringing or accepted), which is what makes them "busy". */
#include "hub.h"
#include "hub-objects.h"
#include "hub-private.h"
#include "meetings.h"
#include "protocol.h"
#include "token.h"
#include "turn.h"

#include <string.h>

/* An ended call is remembered for twice the ring timeout, so that late
 * messages about it get bad-state rather than unknown-call. */
#define ENDED_LINGER_FACTOR 2

struct _CnvHub
{
  GObject parent;
  const CnvConfig *config;
  CnvUsers *users;
  GBytes *secret;
  GMainContext *context;
  GHashTable *sessions;         /* id -> CnvSession, owned */
  GHashTable *user_sessions;    /* user -> GPtrArray of CnvSession, borrowed */
  GHashTable *calls;            /* id -> CnvCall, owned (ended ones too) */
  GHashTable *user_calls;       /* user -> CnvCall not ended, borrowed */
  GHashTable *last_seen;        /* user -> gint64 ms */
  GHashTable *published;        /* user -> last presence status sent */
  CnvMeetings *meetings;
  CnvEvents *events;            /* borrowed, nullable */
  CnvRecordings *recordings;    /* borrowed, nullable */
  CnvRecordingStoppedFunc recording_stopped;
  gpointer recording_stopped_data;
  /* The real worker launcher, used unless a test injects another. */
  CnvSubprocessLauncher *subprocess_launcher;
  CnvMetrics metrics;
};

G_DEFINE_TYPE (CnvHub, cnv_hub, G_TYPE_OBJECT)

typedef struct
{
  CnvHub *hub;
  char *id;
} TimeoutData;

static void
timeout_data_free (gpointer p)
{
  TimeoutData *d = p;

  g_free (d->id);
  g_free (d);
}

static GSource *
hub_timeout (CnvHub * self, guint ms, GSourceFunc func, const char *id)
{
  GSource *source = g_timeout_source_new (ms);
  TimeoutData *d = g_new0 (TimeoutData, 1);

  d->hub = self;
  d->id = g_strdup (id);
  g_source_set_callback (source, func, d, timeout_data_free);
  g_source_attach (source, self->context);
  return source;
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* ------------------------------------------------------------------ */
/* Sending */

static void
send_text (CnvSession * s, char *text)
{
  if (s->send)
    s->send (text, s->user_data);
  g_free (text);
}

static void
send_error (CnvHub * self, CnvSession * s, CnvErrorCode code,
    const char *message, const char *ref)
{
  self->metrics.errors[code]++;
  send_text (s, cnv_msg_error (code, message, ref));
}

static GPtrArray *
sessions_of (CnvHub * self, const char *user)
{
  return user ? g_hash_table_lookup (self->user_sessions, user) : NULL;
}

static void
send_to_user (CnvHub * self, const char *user, const char *except_id,
    const char *text)
{
  GPtrArray *list = sessions_of (self, user);

  for (guint i = 0; list && i < list->len; i++) {
    CnvSession *s = g_ptr_array_index (list, i);
    if (g_strcmp0 (s->id, except_id) != 0 && s->send)
      s->send (text, s->user_data);
  }
}

static void
send_to_session_id (CnvHub * self, const char *id, char *text)
{
  CnvSession *s = id ? g_hash_table_lookup (self->sessions, id) : NULL;

  if (s)
    send_text (s, text);
  else
    g_free (text);
}

/* ------------------------------------------------------------------ */
/* Presence */

static const char *
status_of (CnvHub * self, const char *user)
{
  GPtrArray *list;

  if (g_hash_table_contains (self->user_calls, user)
      || cnv_meetings_user_count (self->meetings, user) > 0)
    return "busy";
  list = sessions_of (self, user);
  return list && list->len ? "online" : "offline";
}

static gint64
last_seen_of (CnvHub * self, const char *user)
{
  gpointer v;

  if (!g_hash_table_lookup_extended (self->last_seen, user, NULL, &v))
    return 0;
  return *(gint64 *) v;
}

static void
touch (CnvHub * self, const char *user)
{
  gint64 *v = g_new (gint64, 1);

  *v = now_ms ();
  g_hash_table_replace (self->last_seen, g_strdup (user), v);
}

static gboolean
has_contact (CnvSession * s, const char *user)
{
  return g_strcmp0 (s->user, user) != 0
      && (s->all_contacts || g_hash_table_contains (s->contacts, user));
}

static void
publish_presence (CnvHub * self, const char *user)
{
  const char *status = status_of (self, user);
  GHashTableIter iter;
  gpointer value;
  g_autofree char *text = NULL;

  /* Media workers are nobody's contact. */
  if (strcmp (user, CNV_WORKER_USER) == 0)
    return;
  if (g_strcmp0 (g_hash_table_lookup (self->published, user), status) == 0)
    return;
  g_hash_table_replace (self->published, g_strdup (user), (gpointer) status);
  text = cnv_msg_presence (user, status, last_seen_of (self, user));
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    CnvSession *s = value;
    if (s->user && has_contact (s, user) && s->send)
      s->send (text, s->user_data);
  }
}

/* ------------------------------------------------------------------ */
/* Calls */

static gboolean
is_party (CnvCall * call, CnvSession * s)
{
  if (g_strcmp0 (call->caller_session, s->id) == 0)
    return TRUE;
  if (g_strcmp0 (call->callee, s->user) != 0)
    return FALSE;
  /* While ringing every connection of the callee is a party; afterwards
   * only the one that accepted. */
  return call->callee_session == NULL
      || g_strcmp0 (call->callee_session, s->id) == 0;
}

static gboolean
ended_linger_cb (gpointer data)
{
  TimeoutData *d = data;

  g_hash_table_remove (d->hub->calls, d->id);
  return G_SOURCE_REMOVE;
}

static void
unmap_user_call (CnvHub * self, const char *user, CnvCall * call)
{
  if (user && g_hash_table_lookup (self->user_calls, user) == call)
    g_hash_table_remove (self->user_calls, user);
}

/* call.ended: who called whom, how it ended and, for an answered call,
 * how long it lasted (the audit trail of calls between users). */
static void
publish_call_ended (CnvHub * self, CnvCall * call, int outcome,
    const char *reason)
{
  g_autoptr (JsonObject) f = json_object_new ();
  gint64 now = g_get_monotonic_time ();

  json_object_set_string_member (f, "call_id", call->id);
  json_object_set_string_member (f, "caller", call->caller);
  json_object_set_string_member (f, "callee", call->callee);
  json_object_set_string_member (f, "outcome", call->accepted_us ?
      "answered" : cnv_call_outcome_to_string (outcome));
  json_object_set_string_member (f, "reason", reason);
  json_object_set_int_member (f, "duration_ms", call->accepted_us ?
      (now - call->accepted_us) / 1000 : 0);
  json_object_set_int_member (f, "ring_ms", ((call->accepted_us ?
              call->accepted_us : now) - call->created_us) / 1000);
  cnv_hub_publish (self, "call.ended", call->id, f);
}

/* Ends @call: it stays known (ENDED) for a while; presence follows.
 * @reason is the "ended" reason the parties got. */
static void
finish_call (CnvHub * self, CnvCall * call, int outcome, const char *reason)
{
  g_autofree char *caller = g_strdup (call->caller);
  g_autofree char *callee = g_strdup (call->callee);

  if (call->state == CNV_CALL_ENDED)
    return;
  publish_call_ended (self, call, outcome, reason);
  call->state = CNV_CALL_ENDED;
  if (outcome >= 0 && outcome < CNV_OUTCOME_COUNT)
    self->metrics.calls[outcome]++;
  unmap_user_call (self, call->caller, call);
  unmap_user_call (self, call->callee, call);
  cnv_call_set_timeout (call, hub_timeout (self,
          ENDED_LINGER_FACTOR * self->config->ring_timeout_ms,
          ended_linger_cb, call->id));
  publish_presence (self, caller);
  publish_presence (self, callee);
}

/* ended to every connection of the callee that is a party. */
static void
end_to_callee (CnvHub * self, CnvCall * call, const char *reason)
{
  g_autofree char *text = cnv_msg_ended (call->id, call->caller, reason);

  if (call->callee_session) {
    send_to_session_id (self, call->callee_session, g_steal_pointer (&text));
    return;
  }
  send_to_user (self, call->callee, NULL, text);
}

static void
end_to_caller (CnvHub * self, CnvCall * call, const char *reason)
{
  send_to_session_id (self, call->caller_session,
      cnv_msg_ended (call->id, call->callee, reason));
}

static gboolean
ring_timeout_cb (gpointer data)
{
  TimeoutData *d = data;
  CnvHub *self = d->hub;
  CnvCall *call = g_hash_table_lookup (self->calls, d->id);

  if (call && call->state == CNV_CALL_RINGING) {
    g_object_ref (call);
    /* finish_call replaces the source that is running now; keep it alive
     * until we return. */
    g_source_ref (call->timeout);
    {
      GSource *running = call->timeout;
      end_to_caller (self, call, "no-answer");
      end_to_callee (self, call, "no-answer");
      finish_call (self, call, CNV_OUTCOME_NO_ANSWER, "no-answer");
      g_source_unref (running);
    }
    g_object_unref (call);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
lookup_call (CnvHub * self, CnvSession * s, JsonObject * msg,
    const char *ref, CnvCall ** out)
{
  const char *id = json_object_get_string_member (msg, "call_id");
  CnvCall *call = g_hash_table_lookup (self->calls, id);

  if (!call || !is_party (call, s)) {
    send_error (self, s, CNV_ERR_UNKNOWN_CALL,
        "call_id does not name a call of this connection", ref);
    return FALSE;
  }
  if (call->state == CNV_CALL_ENDED) {
    send_error (self, s, CNV_ERR_BAD_STATE, "the call has ended", ref);
    return FALSE;
  }
  *out = call;
  return TRUE;
}

static void
handle_call (CnvHub * self, CnvSession * s, JsonObject * msg)
{
  const char *to = json_object_get_string_member (msg, "to");
  g_autoptr (GError) err = NULL;
  CnvCall *call;
  GPtrArray *callee_sessions;

  if (!cnv_token_claims_has_grant (s->claims, "publish")) {
    send_error (self, s, CNV_ERR_FORBIDDEN,
        "the token lacks the publish grant", "call");
    return;
  }
  if (strcmp (to, s->user) == 0) {
    send_error (self, s, CNV_ERR_SELF_CALL, "you cannot call yourself",
        "call");
    return;
  }
  if (!cnv_users_exists (self->users, to, &err)) {
    if (err) {
      g_warning ("user lookup failed: %s", err->message);
      send_error (self, s, CNV_ERR_INTERNAL, "user lookup failed", "call");
    } else {
      send_error (self, s, CNV_ERR_UNKNOWN_USER,
          "field \"to\" names no user of the directory", "call");
    }
    return;
  }
  if (self->config->policy == CNV_POLICY_CONTACTS
      && !g_hash_table_contains (s->contacts, to)) {
    send_error (self, s, CNV_ERR_FORBIDDEN,
        "the contact policy does not allow calling that user", "call");
    return;
  }
  if (g_hash_table_contains (self->user_calls, s->user)) {
    send_error (self, s, CNV_ERR_ALREADY_IN_CALL, "you are already in a call",
        "call");
    return;
  }

  call = cnv_call_new (s->user, s->id, to);
  g_hash_table_insert (self->calls, call->id, call);
  g_hash_table_insert (self->user_calls, g_strdup (s->user), call);
  send_text (s, cnv_msg_call_event ("calling", call->id, to));
  {
    g_autoptr (JsonObject) f = json_object_new ();
    json_object_set_string_member (f, "call_id", call->id);
    json_object_set_string_member (f, "caller", call->caller);
    json_object_set_string_member (f, "callee", call->callee);
    cnv_hub_publish (self, "call.started", call->id, f);
  }

  callee_sessions = sessions_of (self, to);
  if (!callee_sessions || callee_sessions->len == 0) {
    end_to_caller (self, call, "offline");
    finish_call (self, call, CNV_OUTCOME_OFFLINE, "offline");
    return;
  }
  if (g_hash_table_contains (self->user_calls, to)) {
    end_to_caller (self, call, "busy");
    finish_call (self, call, CNV_OUTCOME_BUSY, "busy");
    return;
  }
  g_hash_table_insert (self->user_calls, g_strdup (to), call);
  call->state = CNV_CALL_RINGING;
  {
    g_autofree char *incoming = cnv_msg_call_event ("incoming", call->id,
        s->user);
    send_to_user (self, to, NULL, incoming);
  }
  send_text (s, cnv_msg_call_event ("ringing", call->id, to));
  cnv_call_set_timeout (call, hub_timeout (self,
          self->config->ring_timeout_ms, ring_timeout_cb, call->id));
  publish_presence (self, s->user);
  publish_presence (self, to);
}

static void
handle_accept (CnvHub * self, CnvSession * s, JsonObject * msg)
{
  CnvCall *call;
  GPtrArray *list;

  if (!lookup_call (self, s, msg, "accept", &call))
    return;
  if (call->state != CNV_CALL_RINGING
      || g_strcmp0 (call->callee, s->user) != 0) {
    send_error (self, s, CNV_ERR_BAD_STATE,
        "only the callee can accept, and only while the call rings",
        "accept");
    return;
  }
  if (!cnv_token_claims_has_grant (s->claims, "publish")) {
    send_error (self, s, CNV_ERR_FORBIDDEN,
        "the token lacks the publish grant", "accept");
    return;
  }
  call->state = CNV_CALL_ACCEPTED;
  call->accepted_us = g_get_monotonic_time ();
  call->callee_session = g_strdup (s->id);
  cnv_call_set_timeout (call, NULL);
  self->metrics.calls[CNV_OUTCOME_ACCEPTED]++;
  cnv_metrics_observe_setup (&self->metrics,
      (g_get_monotonic_time () - call->created_us) / (double) G_USEC_PER_SEC);

  send_to_session_id (self, call->caller_session,
      cnv_msg_accepted (call->id, call->callee, "offerer"));
  send_text (s, cnv_msg_accepted (call->id, call->caller, "answerer"));
  list = sessions_of (self, s->user);
  if (list) {
    g_autofree char *text = cnv_msg_ended (call->id, call->caller,
        "answered-elsewhere");
    send_to_user (self, s->user, s->id, text);
  }
}

static void
do_reject (CnvHub * self, CnvCall * call)
{
  end_to_caller (self, call, "rejected");
  end_to_callee (self, call, "rejected");
  finish_call (self, call, CNV_OUTCOME_REJECTED, "rejected");
}

static void
do_cancel (CnvHub * self, CnvCall * call)
{
  end_to_callee (self, call, "cancelled");
  end_to_caller (self, call, "cancelled");
  finish_call (self, call, CNV_OUTCOME_CANCELLED, "cancelled");
}

static void
handle_reject_cancel (CnvHub * self, CnvSession * s, JsonObject * msg,
    CnvMsgType type)
{
  const char *ref = cnv_msg_type_to_string (type);
  CnvCall *call;
  gboolean is_caller;

  if (!lookup_call (self, s, msg, ref, &call))
    return;
  is_caller = g_strcmp0 (call->caller_session, s->id) == 0;
  g_object_ref (call);
  if (type == CNV_MSG_HANGUP && call->state == CNV_CALL_ACCEPTED) {
    char *for_caller = cnv_msg_ended (call->id, call->callee, "hangup");
    char *for_callee = cnv_msg_ended (call->id, call->caller, "hangup");
    send_to_session_id (self, call->caller_session, for_caller);
    send_to_session_id (self, call->callee_session, for_callee);
    finish_call (self, call, -1, "hangup");
  } else if (call->state != CNV_CALL_RINGING) {
    send_error (self, s, CNV_ERR_BAD_STATE,
        "the call was accepted: use hangup", ref);
  } else if (type == CNV_MSG_REJECT && is_caller) {
    send_error (self, s, CNV_ERR_BAD_STATE,
        "only the callee can reject: the caller cancels", ref);
  } else if (type == CNV_MSG_CANCEL && !is_caller) {
    send_error (self, s, CNV_ERR_BAD_STATE,
        "only the caller can cancel: the callee rejects", ref);
  } else if (is_caller) {
    do_cancel (self, call);
  } else {
    do_reject (self, call);
  }
  g_object_unref (call);
}

static void
handle_relay (CnvHub * self, CnvSession * s, JsonObject * msg,
    CnvMsgType type)
{
  const char *ref = cnv_msg_type_to_string (type);
  CnvCall *call;
  gboolean from_caller;

  if (!lookup_call (self, s, msg, ref, &call))
    return;
  if (call->state != CNV_CALL_ACCEPTED) {
    send_error (self, s, CNV_ERR_BAD_STATE,
        "media messages need an accepted call", ref);
    return;
  }
  from_caller = g_strcmp0 (call->caller_session, s->id) == 0;
  send_to_session_id (self,
      from_caller ? call->callee_session : call->caller_session,
      cnv_msg_relay (msg, s->user));
}

/* ------------------------------------------------------------------ */
/* Sessions */

static void
add_ice_servers (CnvHub * self, JsonBuilder * b, const char *user)
{
  const CnvConfig *c = self->config;

  json_builder_set_member_name (b, "ice_servers");
  json_builder_begin_array (b);
  if (c->stun[0]) {
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "urls");
    json_builder_begin_array (b);
    for (gsize i = 0; c->stun[i]; i++)
      json_builder_add_string_value (b, c->stun[i]);
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  if (c->turn[0] && c->turn_secret) {
    g_autofree char *username = NULL;
    g_autofree char *credential = NULL;

    cnv_turn_credentials (c->turn_secret, user,
        g_get_real_time () / G_USEC_PER_SEC + c->turn_ttl, &username,
        &credential);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "urls");
    json_builder_begin_array (b);
    for (gsize i = 0; c->turn[i]; i++)
      json_builder_add_string_value (b, c->turn[i]);
    json_builder_end_array (b);
    json_builder_set_member_name (b, "username");
    json_builder_add_string_value (b, username);
    json_builder_set_member_name (b, "credential");
    json_builder_add_string_value (b, credential);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

static char *
build_welcome (CnvHub * self, CnvSession * s, char **contacts)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "welcome");
  json_builder_set_member_name (b, "user");
  json_builder_add_string_value (b, s->user);
  json_builder_set_member_name (b, "session_id");
  json_builder_add_string_value (b, s->id);
  add_ice_servers (self, b, s->user);
  json_builder_set_member_name (b, "contacts");
  json_builder_begin_array (b);
  for (gsize i = 0; contacts && contacts[i]; i++) {
    if (strcmp (contacts[i], s->user) == 0)
      continue;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "user");
    json_builder_add_string_value (b, contacts[i]);
    json_builder_set_member_name (b, "status");
    json_builder_add_string_value (b, status_of (self, contacts[i]));
    json_builder_set_member_name (b, "last_seen");
    json_builder_add_int_value (b, last_seen_of (self, contacts[i]));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "policy");
  json_builder_add_string_value (b, cnv_policy_to_string (self->config->policy));
  json_builder_end_object (b);
  return cnv_msg_to_string (b);
}

static void remove_session (CnvHub * self, CnvSession * s);

/* Error, then close: the session is forgotten before the transport hears
 * of it, so a re-entrant disconnect is harmless. */
static void
close_session (CnvHub * self, CnvSession * s, gushort code,
    const char *reason)
{
  g_autoptr (CnvSession) ref = g_object_ref (s);

  if (!g_hash_table_contains (self->sessions, s->id))
    return;
  remove_session (self, s);
  if (s->close)
    s->close (code, reason, s->user_data);
}

static void
refuse (CnvHub * self, CnvSession * s, CnvErrorCode code,
    const char *message, const char *ref)
{
  send_error (self, s, code, message, ref);
  close_session (self, s, CNV_CLOSE_POLICY, cnv_error_code_to_string (code));
}

/* Notifications stored while the user was offline, once, after welcome. */
static void
deliver_pending (CnvHub * self, CnvSession * s)
{
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (GError) err = NULL;

  if (!self->recordings || strcmp (s->user, CNV_WORKER_USER) == 0)
    return;
  pending = cnv_notifications_take_pending (self->recordings, s->user, &err);
  if (!pending) {
    g_warning ("notifications of %s: %s", s->user, err->message);
    return;
  }
  for (guint i = 0; i < pending->len; i++)
    if (s->send)
      s->send (g_ptr_array_index (pending, i), s->user_data);
}

static void
handle_hello (CnvHub * self, CnvSession * s, JsonObject * msg)
{
  const char *token = json_object_get_string_member (msg, "token");
  g_autoptr (CnvTokenClaims) claims = NULL;
  g_autoptr (GError) err = NULL;
  g_autofree char *why = NULL;
  g_auto (GStrv) contacts = NULL;
  CnvErrorCode code;
  GPtrArray *list;
  CnvCall *call;

  claims = cnv_token_verify (self->secret, token,
      g_get_real_time () / G_USEC_PER_SEC, &code, &why);
  if (!claims) {
    refuse (self, s, code, why, "hello");
    return;
  }
  /* A media worker is not in the directory: its token, minted by this
   * server, is all it has. */
  if (cnv_token_claims_has_grant (claims, CNV_GRANT_WORKER)
      && strcmp (claims->user, CNV_WORKER_USER) == 0) {
    contacts = g_new0 (char *, 1);
  } else if (!cnv_users_exists (self->users, claims->user, &err)) {
    if (err) {
      g_warning ("user lookup failed: %s", err->message);
      refuse (self, s, CNV_ERR_INTERNAL, "user lookup failed", "hello");
    } else {
      refuse (self, s, CNV_ERR_UNKNOWN_USER,
          "the token's user is not in the directory", "hello");
    }
    return;
  }
  if (!contacts)
    contacts = cnv_users_get_contacts (self->users, claims->user, &err);
  if (!contacts) {
    refuse (self, s, CNV_ERR_INTERNAL, "contact lookup failed", "hello");
    return;
  }
  cnv_session_set_hello_timeout (s, NULL);
  s->user = g_strdup (claims->user);
  s->claims = g_steal_pointer (&claims);
  for (gsize i = 0; contacts[i]; i++)
    g_hash_table_add (s->contacts, g_strdup (contacts[i]));
  s->all_contacts = contacts[0] == NULL
      && self->config->policy == CNV_POLICY_OPEN
      && strcmp (s->user, CNV_WORKER_USER) != 0;
  if (s->all_contacts) {
    g_strfreev (contacts);
    contacts = cnv_users_list (self->users, NULL);
  }

  list = g_hash_table_lookup (self->user_sessions, s->user);
  if (!list) {
    list = g_ptr_array_new ();
    g_hash_table_insert (self->user_sessions, g_strdup (s->user), list);
  }
  g_ptr_array_add (list, s);
  touch (self, s->user);
  send_text (s, build_welcome (self, s, contacts));
  /* A tab opened while the user is being called rings too. */
  call = g_hash_table_lookup (self->user_calls, s->user);
  if (call && call->state == CNV_CALL_RINGING
      && g_strcmp0 (call->callee, s->user) == 0)
    send_text (s, cnv_msg_call_event ("incoming", call->id, call->caller));
  deliver_pending (self, s);
  publish_presence (self, s->user);
}

/* Ends whatever the departing session was a party to. */
static void
leave_calls (CnvHub * self, CnvSession * s)
{
  CnvCall *call = s->user ? g_hash_table_lookup (self->user_calls,
      s->user) : NULL;
  GPtrArray *left;

  if (!call || !is_party (call, s))
    return;
  g_object_ref (call);
  if (call->state == CNV_CALL_ACCEPTED) {
    if (g_strcmp0 (call->caller_session, s->id) == 0)
      end_to_callee (self, call, "disconnected");
    else
      end_to_caller (self, call, "disconnected");
    finish_call (self, call, -1, "disconnected");
  } else if (g_strcmp0 (call->caller_session, s->id) == 0) {
    end_to_callee (self, call, "disconnected");
    finish_call (self, call, CNV_OUTCOME_CANCELLED, "disconnected");
  } else {
    /* s is already out of user_sessions: ring on until the callee's last
     * connection is gone. */
    left = sessions_of (self, s->user);
    if (!left || left->len == 0) {
      end_to_caller (self, call, "disconnected");
      finish_call (self, call, CNV_OUTCOME_NO_ANSWER, "disconnected");
    }
  }
  g_object_unref (call);
}

static void
remove_session (CnvHub * self, CnvSession * s)
{
  g_autoptr (CnvSession) ref = g_object_ref (s);

  if (!g_hash_table_remove (self->sessions, s->id))
    return;
  cnv_session_set_hello_timeout (s, NULL);
  if (s->user) {
    GPtrArray *list = g_hash_table_lookup (self->user_sessions, s->user);
    if (list) {
      g_ptr_array_remove (list, s);
      if (list->len == 0)
        g_hash_table_remove (self->user_sessions, s->user);
    }
    touch (self, s->user);
    leave_calls (self, s);
    cnv_meetings_session_gone (self->meetings, s);
    publish_presence (self, s->user);
  }
}

static gboolean
hello_timeout_cb (gpointer data)
{
  TimeoutData *d = data;
  CnvSession *s = g_hash_table_lookup (d->hub->sessions, d->id);

  if (s && !s->user) {
    /* The running source is dropped by remove_session; keep it alive. */
    GSource *running = g_source_ref (s->hello_timeout);
    close_session (d->hub, s, CNV_CLOSE_POLICY, "hello timeout");
    g_source_unref (running);
  }
  return G_SOURCE_REMOVE;
}

char *
cnv_hub_connect (CnvHub * self, CnvSendFunc send, CnvCloseFunc close,
    gpointer user_data, GDestroyNotify notify)
{
  CnvSession *s = cnv_session_new (send, close, user_data, notify);

  cnv_token_bucket_init (&s->bucket, self->config->rate, self->config->burst,
      g_get_monotonic_time ());
  g_hash_table_insert (self->sessions, s->id, s);
  cnv_session_set_hello_timeout (s, hub_timeout (self,
          self->config->hello_timeout_ms, hello_timeout_cb, s->id));
  return g_strdup (s->id);
}

/* Rate limiting before anything else: a flood costs a few comparisons. */
static gboolean
admit (CnvHub * self, CnvSession * s)
{
  gint64 now = g_get_monotonic_time ();

  if (cnv_token_bucket_take (&s->bucket, now))
    return TRUE;
  if (++s->dropped > CNV_MAX_DROPPED) {
    close_session (self, s, CNV_CLOSE_POLICY, "rate limit exceeded");
    return FALSE;
  }
  if (s->last_rate_error_us == 0
      || now - s->last_rate_error_us >= G_USEC_PER_SEC) {
    s->last_rate_error_us = now;
    send_error (self, s, CNV_ERR_RATE_LIMITED,
        "too many messages: this one was dropped", NULL);
  }
  return FALSE;
}

static void
handle_stats (CnvHub * self, CnvSession * s, JsonObject * msg)
{
  const char *meeting = json_object_get_string_member_with_default (msg,
      "meeting", NULL);
  const char *call_id = json_object_get_string_member_with_default (msg,
      "call_id", NULL);
  g_autoptr (JsonObject) f = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  CnvCall *call;
  const char *key;

  if (meeting && call_id) {
    send_error (self, s, CNV_ERR_BAD_MESSAGE,
        "give \"meeting\" or \"call_id\", not both", "stats");
    return;
  }
  if (meeting && !cnv_meetings_has_session (self->meetings, meeting, s->id)) {
    send_error (self, s, CNV_ERR_NOT_IN_MEETING,
        "stats about a meeting this connection is not in", "stats");
    return;
  }
  if (call_id && (!(call = g_hash_table_lookup (self->calls, call_id))
          || !is_party (call, s))) {
    send_error (self, s, CNV_ERR_UNKNOWN_CALL,
        "call_id does not name a call of this connection", "stats");
    return;
  }
  /* Who reports is the connection's user: the message has no say. */
  json_object_set_string_member (f, "user", s->user);
  json_object_set_string_member (f, "session_id", s->id);
  json_object_iter_init (&iter, msg);
  while (json_object_iter_next (&iter, &name, &node))
    if (strcmp (name, "type") != 0)
      json_object_set_member (f, name, json_node_copy (node));
  key = meeting ? meeting : call_id ? call_id : s->user;
  cnv_hub_publish (self, "client.stats", key, f);

  if (json_object_has_member (msg, "height")) {
    gint height = json_object_get_int_member (msg, "height");

    if (s->last_height >= 0 && height != s->last_height) {
      g_autoptr (JsonObject) q = json_object_new ();
      json_object_set_string_member (q, "user", s->user);
      json_object_set_string_member (q, "session_id", s->id);
      if (meeting)
        json_object_set_string_member (q, "meeting", meeting);
      if (call_id)
        json_object_set_string_member (q, "call_id", call_id);
      json_object_set_int_member (q, "from_height", s->last_height);
      json_object_set_int_member (q, "to_height", height);
      if (json_object_has_member (msg, "width"))
        json_object_set_int_member (q, "width",
            json_object_get_int_member (msg, "width"));
      cnv_hub_publish (self, "quality.changed", key, q);
    }
    s->last_height = height;
  }
}

static void
dispatch (CnvHub * self, CnvSession * s, CnvMsgType type, JsonObject * msg)
{
  switch (type) {
    case CNV_MSG_HELLO:
      send_error (self, s, CNV_ERR_BAD_STATE, "already authenticated",
          "hello");
      break;
    case CNV_MSG_CALL:
      handle_call (self, s, msg);
      break;
    case CNV_MSG_ACCEPT:
      handle_accept (self, s, msg);
      break;
    case CNV_MSG_REJECT:
    case CNV_MSG_CANCEL:
    case CNV_MSG_HANGUP:
      handle_reject_cancel (self, s, msg, type);
      break;
    case CNV_MSG_SDP:
    case CNV_MSG_ICE:
      if (json_object_has_member (msg, "meeting"))
        cnv_meetings_handle (self->meetings, s, type, msg);
      else
        handle_relay (self, s, msg, type);
      break;
    case CNV_MSG_JOIN:
    case CNV_MSG_LEAVE:
    case CNV_MSG_TRACKS:
    case CNV_MSG_VIEW:
    case CNV_MSG_MEDIA_READY:
    case CNV_MSG_ACTIVE_SPEAKER:
    case CNV_MSG_RECORD:
      cnv_meetings_handle (self->meetings, s, type, msg);
      break;
    case CNV_MSG_STATS:
      handle_stats (self, s, msg);
      break;
    case CNV_MSG_PING:
      send_text (s, cnv_msg_pong ());
      break;
    case CNV_MSG_COUNT:
    default:
      send_error (self, s, CNV_ERR_INTERNAL, "unhandled message", NULL);
      break;
  }
}

void
cnv_hub_receive (CnvHub * self, const char *session_id, const char *text,
    gsize len)
{
  CnvSession *found = g_hash_table_lookup (self->sessions, session_id);
  g_autoptr (CnvSession) s = NULL;
  g_autoptr (JsonObject) msg = NULL;
  g_autofree char *message = NULL;
  g_autofree char *ref = NULL;
  CnvErrorCode code;
  CnvMsgType type = CNV_MSG_COUNT;
  gboolean ok;

  if (!found)
    return;
  s = g_object_ref (found);
  self->metrics.ws_messages++;
  if (!admit (self, s))
    return;
  ok = cnv_protocol_parse (text, len, &type, &msg, &code, &message, &ref);

  if (!s->user) {
    if (!ok && code == CNV_ERR_BAD_JSON)
      refuse (self, s, code, message, NULL);
    else if (!ok && g_strcmp0 (ref, "hello") == 0)
      refuse (self, s, code, message, ref);
    else if (!ok || type != CNV_MSG_HELLO)
      refuse (self, s, CNV_ERR_AUTH_REQUIRED,
          "the first message must be hello", ref);
    else
      handle_hello (self, s, msg);
    return;
  }
  touch (self, s->user);
  if (!ok) {
    send_error (self, s, code, message, ref);
    return;
  }
  dispatch (self, s, type, msg);
}

void
cnv_hub_disconnect (CnvHub * self, const char *session_id)
{
  CnvSession *s = g_hash_table_lookup (self->sessions, session_id);

  if (s)
    remove_session (self, s);
}

void
cnv_hub_close_all (CnvHub * self, gushort code, const char *reason)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func
      (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (all, g_object_ref (value));
  for (guint i = 0; i < all->len; i++)
    close_session (self, g_ptr_array_index (all, i), code, reason);
}

guint
cnv_hub_get_n_sessions (CnvHub * self)
{
  return g_hash_table_size (self->sessions);
}

guint
cnv_hub_get_n_calls (CnvHub * self)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_hash_table_iter_init (&iter, self->calls);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CNV_CALL (value)->state != CNV_CALL_ENDED)
      n++;
  return n;
}

CnvMetrics *
cnv_hub_get_metrics (CnvHub * self)
{
  return &self->metrics;
}

char *
cnv_hub_render_metrics (CnvHub * self)
{
  g_autofree char *base = cnv_metrics_render (&self->metrics,
      g_hash_table_size (self->sessions));
  GString *s = g_string_new (base);

  cnv_meetings_render_metrics (self->meetings, s);
  g_string_append_printf (s,
      "# HELP convene_events_dropped_total Events lost: producer queue full, "
      "failed delivery or write.\n"
      "# TYPE convene_events_dropped_total counter\n"
      "convene_events_dropped_total %" G_GUINT64_FORMAT "\n",
      self->events ? cnv_events_dropped (self->events) : 0);
  return g_string_free (s, FALSE);
}

void
cnv_hub_send_to (CnvHub * self, const char *session_id, const char *text)
{
  CnvSession *s = g_hash_table_lookup (self->sessions, session_id);

  if (s && s->send)
    s->send (text, s->user_data);
}

void
cnv_hub_send_error (CnvHub * self, CnvSession * s, CnvErrorCode code,
    const char *message, const char *ref)
{
  send_error (self, s, code, message, ref);
}

void
cnv_hub_publish (CnvHub * self, const char *type, const char *key,
    JsonObject * fields)
{
  if (self->events)
    cnv_events_publish (self->events, type, key, fields);
}

CnvRecordings *
cnv_hub_get_recordings (CnvHub * self)
{
  return self->recordings;
}

const CnvConfig *
cnv_hub_get_config (CnvHub * self)
{
  return self->config;
}

void
cnv_hub_recording_stopped (CnvHub * self, const char *recording_id)
{
  if (self->recording_stopped)
    self->recording_stopped (recording_id, self->recording_stopped_data);
}

void
cnv_hub_set_storage (CnvHub * self, CnvEvents * events,
    CnvRecordings * recordings)
{
  self->events = events;
  self->recordings = recordings;
}

void
cnv_hub_set_recording_stopped_func (CnvHub * self,
    CnvRecordingStoppedFunc func, gpointer user_data)
{
  self->recording_stopped = func;
  self->recording_stopped_data = user_data;
}

gboolean
cnv_hub_record (CnvHub * self, const char *meeting, const char *action,
    const char *by, char **recording_id, CnvErrorCode * code,
    char **message)
{
  return cnv_meetings_record (self->meetings, meeting, action, by,
      recording_id, code, message);
}

guint
cnv_hub_notify_recording (CnvHub * self, const CnvRecording * rec,
    const char *url)
{
  gboolean failed = g_strcmp0 (rec->status, "failed") == 0;
  g_autofree char *text = cnv_msg_notification (failed ?
      "recording-failed" : "recording-ready", rec->id, rec->meeting, url,
      failed ? (rec->error ? rec->error : "failed") : NULL);
  guint n = 0;

  for (gsize i = 0; rec->participants[i]; i++) {
    const char *user = rec->participants[i];
    GPtrArray *online = sessions_of (self, user);
    g_autoptr (GError) err = NULL;

    if (online && online->len) {
      send_to_user (self, user, NULL, text);
    } else if (!self->recordings
        || !cnv_notifications_add (self->recordings, user, text, &err)) {
      g_warning ("cannot keep a notification for %s: %s", user,
          err ? err->message : "no store");
      continue;
    }
    n++;
  }
  return n;
}

void
cnv_hub_presence_changed (CnvHub * self, const char *user)
{
  publish_presence (self, user);
}

void
cnv_hub_set_worker_launcher (CnvHub * self,
    const CnvWorkerLauncherFuncs * funcs, gpointer data)
{
  cnv_meetings_set_launcher (self->meetings, funcs, data);
}

void
cnv_hub_set_signaling_uri (CnvHub * self, const char *uri)
{
  cnv_subprocess_launcher_set_signaling_uri (self->subprocess_launcher, uri);
}

gboolean
cnv_hub_create_meeting (CnvHub * self, const char *id, char **out_id)
{
  return cnv_meetings_create (self->meetings, id, out_id);
}

char *
cnv_hub_render_meetings (CnvHub * self)
{
  return cnv_meetings_render (self->meetings);
}

guint
cnv_hub_get_n_meetings (CnvHub * self)
{
  return cnv_meetings_get_n (self->meetings);
}

static void
cnv_hub_dispose (GObject * object)
{
  CnvHub *self = CNV_HUB (object);

  /* Meetings first: their workers are terminated while the launcher
   * still exists. Then borrowing tables, then the owners. */
  g_clear_object (&self->meetings);
  g_clear_pointer (&self->subprocess_launcher, cnv_subprocess_launcher_free);
  g_clear_pointer (&self->user_calls, g_hash_table_unref);
  g_clear_pointer (&self->user_sessions, g_hash_table_unref);
  g_clear_pointer (&self->calls, g_hash_table_unref);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->last_seen, g_hash_table_unref);
  g_clear_pointer (&self->published, g_hash_table_unref);
  g_clear_object (&self->users);
  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (cnv_hub_parent_class)->dispose (object);
}

static void
cnv_hub_class_init (CnvHubClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = cnv_hub_dispose;
}

static void
cnv_hub_init (CnvHub * self)
{
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      g_object_unref);
  self->user_sessions = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) g_ptr_array_unref);
  self->calls = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      g_object_unref);
  self->user_calls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  self->last_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  self->published = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
}

CnvHub *
cnv_hub_new (const CnvConfig * config, CnvUsers * users, GBytes * secret,
    GMainContext * context)
{
  CnvHub *self = g_object_new (CNV_TYPE_HUB, NULL);

  self->config = config;
  self->users = g_object_ref (users);
  self->secret = g_bytes_ref (secret);
  self->context = context ? g_main_context_ref (context) :
      g_main_context_ref (g_main_context_default ());
  self->subprocess_launcher = cnv_subprocess_launcher_new (config);
  self->meetings = cnv_meetings_new (self, config, secret, self->context,
      &self->metrics);
  cnv_meetings_set_launcher (self->meetings, &cnv_subprocess_launcher_funcs,
      self->subprocess_launcher);
  return self;
}
