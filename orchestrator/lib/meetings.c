/* Meetings: participants, their tracks, relay by participant id, and the
 * mesh <-> SFU mode (docs/protocol.md, "Meetings").
 *
 * Ownership: the manager owns meetings (hash table, destroy notify unrefs);
 * a meeting owns its participants and its worker supervisor. Timers carry
 * the meeting id and look the meeting up again, so a timer that outlives
 * its meeting does nothing.
 *
 * Mode: "sfu" is what participants were told. "want_sfu" is what the
 * meeting needs; it goes up at once when a join passes mesh-max, and down
 * only after the meeting stayed at or below mesh-max for mesh-linger. The
 * worker is started when want_sfu goes up; participants hear "mode sfu"
 * only once the worker's connection joined, because before that there is
 * nobody to publish to. */
#include "meetings.h"
#include "hub-private.h"
#include "token.h"

#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Participant */

#define CNV_TYPE_PARTICIPANT (cnv_participant_get_type ())
G_DECLARE_FINAL_TYPE (CnvParticipant, cnv_participant, CNV, PARTICIPANT,
    GObject)

struct _CnvParticipant
{
  GObject parent;
  char *id;
  char *session_id;
  char *user;
  JsonArray *tracks;            /* NULL: publishes nothing */
  gboolean is_worker;
  gboolean ready_mesh;          /* sent media-ready for mesh */
  gint64 joined_ms;             /* Unix ms */
};

G_DEFINE_TYPE (CnvParticipant, cnv_participant, G_TYPE_OBJECT)

static void
cnv_participant_finalize (GObject * object)
{
  CnvParticipant *self = CNV_PARTICIPANT (object);

  g_free (self->id);
  g_free (self->session_id);
  g_free (self->user);
  g_clear_pointer (&self->tracks, json_array_unref);
  G_OBJECT_CLASS (cnv_participant_parent_class)->finalize (object);
}

static void
cnv_participant_class_init (CnvParticipantClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = cnv_participant_finalize;
}

static void
cnv_participant_init (CnvParticipant * self)
{
}

/* ------------------------------------------------------------------ */
/* Meeting */

#define CNV_TYPE_MEETING (cnv_meeting_get_type ())
G_DECLARE_FINAL_TYPE (CnvMeeting, cnv_meeting, CNV, MEETING, GObject)

struct _CnvMeeting
{
  GObject parent;
  CnvMeetings *owner;           /* borrowed: the manager owns us */
  char *id;
  gboolean from_api;
  GHashTable *participants;     /* participant id -> CnvParticipant, owned */
  GHashTable *by_session;       /* session id -> CnvParticipant, borrowed */
  guint n_people;               /* participants other than the worker */
  CnvParticipant *worker;       /* borrowed from participants, or NULL */
  gboolean sfu;
  gboolean want_sfu;
  CnvWorkerSupervisor *supervisor;      /* created on the first switch */
  GSource *linger;              /* running while counting down to mesh */
  GSource *stop_wait;           /* waiting for media-ready mesh */
  GSource *expire;              /* empty meeting made through the API */
  gint64 created_ms;            /* Unix ms */
  /* While recording (docs/recording.md): the recording, its directory,
   * who asked and when, and every user present at some point of it. */
  char *recording_id;
  char *recording_dir;
  char *recording_by;
  gint64 recording_started_ms;
  GHashTable *recorded_users;   /* user -> NULL */
};

G_DEFINE_TYPE (CnvMeeting, cnv_meeting, G_TYPE_OBJECT)

static void
clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static void
cnv_meeting_dispose (GObject * object)
{
  CnvMeeting *self = CNV_MEETING (object);

  clear_source (&self->linger);
  clear_source (&self->stop_wait);
  clear_source (&self->expire);
  g_clear_object (&self->supervisor);
  self->worker = NULL;
  g_clear_pointer (&self->by_session, g_hash_table_unref);
  g_clear_pointer (&self->participants, g_hash_table_unref);
  g_clear_pointer (&self->recorded_users, g_hash_table_unref);
  G_OBJECT_CLASS (cnv_meeting_parent_class)->dispose (object);
}

static void
cnv_meeting_finalize (GObject * object)
{
  CnvMeeting *self = CNV_MEETING (object);

  g_free (self->id);
  g_free (self->recording_id);
  g_free (self->recording_dir);
  g_free (self->recording_by);
  G_OBJECT_CLASS (cnv_meeting_parent_class)->finalize (object);
}

static void
cnv_meeting_class_init (CnvMeetingClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = cnv_meeting_dispose;
  G_OBJECT_CLASS (klass)->finalize = cnv_meeting_finalize;
}

static void
cnv_meeting_init (CnvMeeting * self)
{
  self->participants = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      g_object_unref);
  self->by_session = g_hash_table_new (g_str_hash, g_str_equal);
  self->recorded_users = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
}

/* ------------------------------------------------------------------ */
/* Manager */

struct _CnvMeetings
{
  GObject parent;
  CnvHub *hub;                  /* borrowed: it owns us */
  const CnvConfig *config;
  GBytes *secret;
  GMainContext *context;
  CnvMetrics *metrics;
  const CnvWorkerLauncherFuncs *launcher;
  gpointer launcher_data;
  GHashTable *meetings;         /* id -> CnvMeeting, owned */
  GHashTable *user_count;       /* user -> number of participants */
  guint32 counter;              /* makes participant ids sort by join */
};

G_DEFINE_TYPE (CnvMeetings, cnv_meetings, G_TYPE_OBJECT)

typedef struct
{
  CnvMeetings *m;
  char *meeting_id;
} TimerData;

static void
timer_data_free (gpointer p)
{
  TimerData *d = p;

  g_free (d->meeting_id);
  g_free (d);
}

static GSource *
meeting_timeout (CnvMeeting * mt, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);
  TimerData *d = g_new0 (TimerData, 1);

  d->m = mt->owner;
  d->meeting_id = g_strdup (mt->id);
  g_source_set_callback (source, func, d, timer_data_free);
  g_source_attach (source, mt->owner->context);
  return source;
}

static CnvMeeting *
timer_meeting (gpointer data)
{
  TimerData *d = data;

  return g_hash_table_lookup (d->m->meetings, d->meeting_id);
}

/* ------------------------------------------------------------------ */
/* Events */

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* Publishes @type keyed by the meeting with "meeting" plus @fields. */
static void
publish (CnvMeeting * mt, const char *type, JsonObject * fields)
{
  g_autoptr (JsonObject) f = fields ? json_object_ref (fields) :
      json_object_new ();

  json_object_set_string_member (f, "meeting", mt->id);
  cnv_hub_publish (mt->owner->hub, type, mt->id, f);
}

static void
publish_participant (CnvMeeting * mt, const char *type, CnvParticipant * p)
{
  g_autoptr (JsonObject) f = json_object_new ();

  json_object_set_string_member (f, "participant_id", p->id);
  json_object_set_string_member (f, "user", p->user);
  json_object_set_int_member (f, "participants", mt->n_people);
  if (strcmp (type, "participant.left") == 0)
    json_object_set_int_member (f, "duration_ms", now_ms () - p->joined_ms);
  publish (mt, type, f);
}

static void
publish_mode (CnvMeeting * mt, const char *mode)
{
  g_autoptr (JsonObject) f = json_object_new ();

  json_object_set_string_member (f, "mode", mode);
  json_object_set_int_member (f, "participants", mt->n_people);
  json_object_set_boolean_member (f, "recording", mt->recording_id != NULL);
  publish (mt, "meeting.mode-changed", f);
}

/* ------------------------------------------------------------------ */
/* Sending */

static void
error (CnvMeetings * self, CnvSession * s, CnvErrorCode code,
    const char *message, CnvMsgType type)
{
  cnv_hub_send_error (self->hub, s, code, message,
      cnv_msg_type_to_string (type));
}

/* Takes @text. */
static void
send_participant (CnvMeetings * self, CnvParticipant * p, char *text)
{
  cnv_hub_send_to (self->hub, p->session_id, text);
  g_free (text);
}

/* To every participant but @except; the worker only if @with_worker. */
static void
broadcast (CnvMeeting * mt, CnvParticipant * except, gboolean with_worker,
    char *text)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, mt->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    CnvParticipant *p = value;
    if (p != except && (with_worker || !p->is_worker))
      cnv_hub_send_to (mt->owner->hub, p->session_id, text);
  }
  g_free (text);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gint
compare_participants (gconstpointer a, gconstpointer b)
{
  const CnvParticipant *pa = *(CnvParticipant * const *) a;
  const CnvParticipant *pb = *(CnvParticipant * const *) b;

  return strcmp (pa->id, pb->id);
}

/* The people (not the worker), sorted by id, borrowed. */
static GPtrArray *
sorted_people (CnvMeeting * mt)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, mt->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!CNV_PARTICIPANT (value)->is_worker)
      g_ptr_array_add (list, value);
  g_ptr_array_sort (list, compare_participants);
  return list;
}

static void
add_people (JsonBuilder * b, CnvMeeting * mt, CnvParticipant * except)
{
  g_autoptr (GPtrArray) people = sorted_people (mt);

  json_builder_begin_array (b);
  for (guint i = 0; i < people->len; i++) {
    CnvParticipant *p = g_ptr_array_index (people, i);
    if (p != except)
      cnv_msg_add_participant (b, p->id, p->user, p->tracks);
  }
  json_builder_end_array (b);
}

static char *
build_joined (CnvMeeting * mt, CnvParticipant * me)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "joined");
  json_builder_set_member_name (b, "meeting");
  json_builder_add_string_value (b, mt->id);
  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, me->id);
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, mt->sfu ? "sfu" : "mesh");
  json_builder_set_member_name (b, "sfu");
  if (mt->sfu && mt->worker)
    json_builder_add_string_value (b, mt->worker->id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "participants");
  add_people (b, mt, me);
  json_builder_end_object (b);
  return cnv_msg_to_string (b);
}

/* ------------------------------------------------------------------ */
/* Mode */

static void on_worker_exited (CnvWorkerSupervisor * sup, gint64 pid,
    gboolean will_restart, gpointer user_data);

static void
announce_sfu (CnvMeeting * mt)
{
  mt->sfu = TRUE;
  broadcast (mt, NULL, FALSE, cnv_msg_mode (mt->id, "sfu", mt->worker->id));
  publish_mode (mt, "sfu");
}

static void
go_sfu (CnvMeeting * mt)
{
  CnvMeetings *m = mt->owner;

  clear_source (&mt->linger);
  if (mt->want_sfu)
    return;
  mt->want_sfu = TRUE;
  clear_source (&mt->stop_wait);
  if (!mt->supervisor)
    mt->supervisor = cnv_worker_supervisor_new (m->launcher, m->launcher_data,
        m->secret, mt->id, m->context, on_worker_exited, mt);
  cnv_worker_supervisor_start (mt->supervisor);
  /* Back above mesh-max while the old worker was still draining. */
  if (mt->worker && !mt->sfu)
    announce_sfu (mt);
}

static void
stop_worker (CnvMeeting * mt)
{
  clear_source (&mt->stop_wait);
  if (mt->supervisor)
    cnv_worker_supervisor_stop (mt->supervisor);
}

static void
check_all_ready (CnvMeeting * mt)
{
  GHashTableIter iter;
  gpointer value;

  if (mt->want_sfu || !mt->stop_wait)
    return;
  g_hash_table_iter_init (&iter, mt->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    CnvParticipant *p = value;
    if (!p->is_worker && !p->ready_mesh)
      return;
  }
  stop_worker (mt);
}

static gboolean
stop_wait_cb (gpointer data)
{
  CnvMeeting *mt = timer_meeting (data);

  if (mt) {
    GSource *running = g_source_ref (mt->stop_wait);
    g_message ("meeting %s: not every participant confirmed mesh in time; "
        "stopping the media worker anyway", mt->id);
    stop_worker (mt);
    g_source_unref (running);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
linger_cb (gpointer data)
{
  CnvMeeting *mt = timer_meeting (data);
  GSource *running;
  GHashTableIter iter;
  gpointer value;

  if (!mt)
    return G_SOURCE_REMOVE;
  running = g_source_ref (mt->linger);
  clear_source (&mt->linger);
  /* A recorded meeting stays on the SFU: the recorder is in the worker. */
  if (mt->want_sfu && mt->n_people <= mt->owner->config->mesh_max
      && !mt->recording_id) {
    mt->want_sfu = FALSE;
    if (!mt->sfu) {
      /* The worker never made it into the meeting: nobody to tell. */
      stop_worker (mt);
    } else {
      mt->sfu = FALSE;
      g_hash_table_iter_init (&iter, mt->participants);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        CNV_PARTICIPANT (value)->ready_mesh = FALSE;
      broadcast (mt, NULL, TRUE, cnv_msg_mode (mt->id, "mesh", NULL));
      publish_mode (mt, "mesh");
      mt->stop_wait = meeting_timeout (mt,
          mt->owner->config->worker_stop_timeout_ms, stop_wait_cb);
    }
  }
  g_source_unref (running);
  return G_SOURCE_REMOVE;
}

static void stop_recording (CnvMeeting * mt, const char *by);

static void
forget_meeting (CnvMeeting * mt)
{
  g_autoptr (JsonObject) f = json_object_new ();

  if (mt->recording_id)
    stop_recording (mt, NULL);
  json_object_set_int_member (f, "duration_ms", now_ms () - mt->created_ms);
  publish (mt, "meeting.ended", f);
  g_hash_table_remove (mt->owner->meetings, mt->id);
}

static gboolean
expire_cb (gpointer data)
{
  CnvMeeting *mt = timer_meeting (data);

  if (mt && mt->n_people == 0) {
    g_message ("meeting %s: empty for too long, forgotten", mt->id);
    forget_meeting (mt);
  }
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* Membership */

static CnvMeeting *
meeting_new (CnvMeetings * self, const char *id)
{
  CnvMeeting *mt = g_object_new (CNV_TYPE_MEETING, NULL);

  mt->owner = self;
  mt->id = g_strdup (id);
  mt->created_ms = now_ms ();
  g_hash_table_insert (self->meetings, mt->id, mt);
  publish (mt, "meeting.started", NULL);
  return mt;
}

static void
count_user (CnvMeetings * self, const char *user, int delta)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->user_count, user));

  n = delta > 0 ? n + 1 : (n ? n - 1 : 0);
  if (n)
    g_hash_table_replace (self->user_count, g_strdup (user),
        GUINT_TO_POINTER (n));
  else
    g_hash_table_remove (self->user_count, user);
  cnv_hub_presence_changed (self->hub, user);
}

/* Counts down to mesh when the meeting no longer needs the SFU. */
static void
maybe_linger (CnvMeeting * mt)
{
  const CnvConfig *config = mt->owner->config;

  if (mt->want_sfu && mt->n_people <= config->mesh_max && !mt->linger
      && !mt->recording_id)
    mt->linger = meeting_timeout (mt, config->mesh_linger_ms, linger_cb);
}

/* The meeting lost a person: forget it, count down to mesh, or see whether
 * the one who left was the last to confirm mesh. */
static void
after_leave (CnvMeeting * mt)
{
  CnvMeetings *m = mt->owner;

  if (mt->n_people == 0) {
    /* Nobody left to record: the recording ends with the meeting. */
    if (mt->recording_id)
      stop_recording (mt, NULL);
    mt->want_sfu = FALSE;
    mt->sfu = FALSE;
    clear_source (&mt->linger);
    stop_worker (mt);
    if (mt->from_api) {
      clear_source (&mt->expire);
      mt->expire = meeting_timeout (mt, m->config->api_meeting_keep_ms,
          expire_cb);
    } else {
      forget_meeting (mt);
    }
    return;
  }
  maybe_linger (mt);
  check_all_ready (mt);
}

static void
remove_participant (CnvMeeting * mt, CnvParticipant * p)
{
  g_autoptr (CnvParticipant) ref = g_object_ref (p);
  g_autoptr (CnvMeeting) mref = g_object_ref (mt);

  g_hash_table_remove (mt->by_session, p->session_id);
  g_hash_table_remove (mt->participants, p->id);
  if (p == mt->worker)
    mt->worker = NULL;
  else
    mt->n_people--;
  broadcast (mt, NULL, TRUE, cnv_msg_participant_left (mt->id, p->id));
  if (!p->is_worker) {
    publish_participant (mt, "participant.left", p);
    count_user (mt->owner, p->user, -1);
    after_leave (mt);
  }
}

static void
on_worker_exited (CnvWorkerSupervisor * sup, gint64 pid,
    gboolean will_restart, gpointer user_data)
{
  CnvMeeting *mt = user_data;

  if (will_restart)
    mt->owner->metrics->worker_restarts++;
  /* Its connection may close a little later; the others must not wait for
   * that to hear that the SFU is gone. */
  if (mt->worker)
    remove_participant (mt, mt->worker);
}

static CnvParticipant *
participant_new (CnvMeetings * self, CnvSession * s, gboolean is_worker,
    JsonArray * tracks)
{
  CnvParticipant *p = g_object_new (CNV_TYPE_PARTICIPANT, NULL);

  /* "p" + join counter (sorts by join order, so the mesh offer rule is
   * stable) + random part (not guessable across meetings). */
  p->id = g_strdup_printf ("p%08x%08x", ++self->counter, g_random_int ());
  p->session_id = g_strdup (s->id);
  p->user = g_strdup (s->user);
  p->is_worker = is_worker;
  p->tracks = tracks ? json_array_ref (tracks) : NULL;
  p->joined_ms = now_ms ();
  return p;
}

static gboolean
is_worker_session (CnvSession * s)
{
  return cnv_token_claims_has_grant (s->claims, CNV_GRANT_WORKER)
      && g_strcmp0 (s->user, CNV_WORKER_USER) == 0;
}

/* Scope: a token scoped to another meeting may do nothing here, unless it
 * is an admin token. */
static gboolean
in_scope (CnvSession * s, const char *meeting_id)
{
  const char *scope = s->claims ? s->claims->meeting : NULL;

  return !scope || strcmp (scope, meeting_id) == 0
      || cnv_token_claims_has_grant (s->claims, "admin");
}

static JsonArray *
tracks_of (JsonObject * msg)
{
  JsonNode *n = json_object_get_member (msg, "tracks");

  return n ? json_node_get_array (n) : NULL;
}

static void
join_worker (CnvMeeting * mt, CnvParticipant * p)
{
  if (mt->worker)
    remove_participant (mt, mt->worker);
  g_hash_table_insert (mt->participants, p->id, p);
  g_hash_table_insert (mt->by_session, p->session_id, p);
  mt->worker = p;
  cnv_worker_supervisor_reset_backoff (mt->supervisor);
  {
    /* The worker's own joined: it is the sfu, and sees every person. */
    gboolean was = mt->sfu;
    mt->sfu = TRUE;
    send_participant (mt->owner, p, build_joined (mt, p));
    mt->sfu = was;
  }
  if (mt->want_sfu)
    announce_sfu (mt);
  /* A new worker (first start or restart) records into the same directory:
   * the recorder appends to its manifest. */
  if (mt->recording_id)
    send_participant (mt->owner, p, cnv_msg_worker_recording (mt->id,
            "start", mt->recording_id, mt->recording_dir));
}

static void
handle_join (CnvMeetings * self, CnvSession * s, JsonObject * msg)
{
  const char *id = json_object_get_string_member (msg, "meeting");
  JsonArray *tracks = tracks_of (msg);
  gboolean worker = is_worker_session (s);
  CnvMeeting *mt = g_hash_table_lookup (self->meetings, id);
  CnvParticipant *p;

  if (mt && g_hash_table_contains (mt->by_session, s->id)) {
    error (self, s, CNV_ERR_BAD_STATE, "already in this meeting",
        CNV_MSG_JOIN);
    return;
  }
  if (!worker && !cnv_token_claims_has_grant (s->claims, "subscribe")) {
    error (self, s, CNV_ERR_FORBIDDEN, "the token lacks the subscribe grant",
        CNV_MSG_JOIN);
    return;
  }
  if (!in_scope (s, id)) {
    error (self, s, CNV_ERR_FORBIDDEN,
        "the token is scoped to another meeting", CNV_MSG_JOIN);
    return;
  }
  if (tracks && json_array_get_length (tracks) > 0 && !worker
      && !cnv_token_claims_has_grant (s->claims, "publish")) {
    error (self, s, CNV_ERR_FORBIDDEN, "the token lacks the publish grant",
        CNV_MSG_JOIN);
    return;
  }
  if (worker) {
    /* A worker joins only a meeting that runs one: a stale worker of a
     * stopped meeting must not become its SFU. */
    if (!mt || !mt->supervisor
        || !cnv_worker_supervisor_get_pid (mt->supervisor)) {
      error (self, s, CNV_ERR_BAD_STATE,
          "the meeting has no media worker running", CNV_MSG_JOIN);
      return;
    }
    join_worker (mt, participant_new (self, s, TRUE, tracks));
    return;
  }
  if (!mt) {
    if (!s->claims->meeting && !cnv_token_claims_has_grant (s->claims,
            "admin")) {
      error (self, s, CNV_ERR_UNKNOWN_MEETING, "no such meeting",
          CNV_MSG_JOIN);
      return;
    }
    mt = meeting_new (self, id);
  }
  if (mt->n_people >= self->config->max_participants) {
    error (self, s, CNV_ERR_MEETING_FULL, "the meeting is full",
        CNV_MSG_JOIN);
    return;
  }
  clear_source (&mt->expire);
  p = participant_new (self, s, FALSE, tracks);
  g_hash_table_insert (mt->participants, p->id, p);
  g_hash_table_insert (mt->by_session, p->session_id, p);
  mt->n_people++;
  send_participant (self, p, build_joined (mt, p));
  broadcast (mt, p, TRUE, cnv_msg_participant_joined (mt->id, p->id, p->user,
          p->tracks));
  publish_participant (mt, "participant.joined", p);
  if (mt->recording_id) {
    g_hash_table_add (mt->recorded_users, g_strdup (p->user));
    send_participant (self, p, cnv_msg_recording (mt->id, "started",
            mt->recording_id, mt->recording_by));
  }
  count_user (self, p->user, +1);
  if (mt->n_people > self->config->mesh_max)
    go_sfu (mt);
}

/* Every message but join: the sender must be in scope and in the meeting. */
static gboolean
lookup_member (CnvMeetings * self, CnvSession * s, JsonObject * msg,
    CnvMsgType type, CnvMeeting ** mt_out, CnvParticipant ** p_out)
{
  const char *id = json_object_get_string_member (msg, "meeting");
  CnvMeeting *mt = g_hash_table_lookup (self->meetings, id);
  CnvParticipant *p = mt ? g_hash_table_lookup (mt->by_session, s->id) : NULL;

  if (!in_scope (s, id)) {
    error (self, s, CNV_ERR_FORBIDDEN,
        "the token is scoped to another meeting", type);
    return FALSE;
  }
  if (!p) {
    error (self, s, CNV_ERR_NOT_IN_MEETING, "join the meeting first", type);
    return FALSE;
  }
  *mt_out = mt;
  *p_out = p;
  return TRUE;
}

static void
handle_tracks (CnvMeetings * self, CnvSession * s, CnvMeeting * mt,
    CnvParticipant * p, JsonObject * msg)
{
  if (!p->is_worker && !cnv_token_claims_has_grant (s->claims, "publish")) {
    error (self, s, CNV_ERR_FORBIDDEN, "the token lacks the publish grant",
        CNV_MSG_TRACKS);
    return;
  }
  g_clear_pointer (&p->tracks, json_array_unref);
  p->tracks = json_array_ref (tracks_of (msg));
  broadcast (mt, p, TRUE, cnv_msg_tracks (mt->id, p->id, p->tracks));
}

static void
handle_relay (CnvMeetings * self, CnvSession * s, CnvMeeting * mt,
    CnvParticipant * p, JsonObject * msg, CnvMsgType type)
{
  const char *to = json_object_get_string_member (msg, "to");
  CnvParticipant *target = g_hash_table_lookup (mt->participants, to);

  if (!target) {
    error (self, s, CNV_ERR_UNKNOWN_PARTICIPANT,
        "field \"to\" names no participant of this meeting", type);
    return;
  }
  send_participant (self, target, cnv_msg_meeting_relay (msg, p->id));
}

static void
handle_view (CnvMeetings * self, CnvMeeting * mt, CnvParticipant * p,
    JsonObject * msg)
{
  /* In mesh mode nobody picks layers: views are dropped silently, since
   * clients report tile sizes whatever the mode. */
  if (!mt->worker || p == mt->worker)
    return;
  send_participant (self, mt->worker, cnv_msg_meeting_relay (msg, p->id));
}

static void
handle_active_speaker (CnvMeetings * self, CnvSession * s, CnvMeeting * mt,
    CnvParticipant * p, JsonObject * msg)
{
  const char *who = json_object_get_string_member (msg, "participant_id");

  if (!p->is_worker) {
    error (self, s, CNV_ERR_FORBIDDEN, "only the media worker sends this",
        CNV_MSG_ACTIVE_SPEAKER);
    return;
  }
  if (!g_hash_table_contains (mt->participants, who)) {
    error (self, s, CNV_ERR_UNKNOWN_PARTICIPANT,
        "field \"participant_id\" names no participant of this meeting",
        CNV_MSG_ACTIVE_SPEAKER);
    return;
  }
  broadcast (mt, NULL, FALSE, cnv_msg_active_speaker (mt->id, who));
}

static void
handle_media_ready (CnvMeeting * mt, CnvParticipant * p, JsonObject * msg)
{
  const char *mode = json_object_get_string_member (msg, "mode");

  p->ready_mesh = strcmp (mode, "mesh") == 0;
  check_all_ready (mt);
}

/* ------------------------------------------------------------------ */
/* Recording */

static char *
make_recording_id (const char *meeting, int attempt)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");

  /* <meeting>-<UTC stamp>; a second recording within the same second
   * gets a suffix. */
  if (attempt == 0)
    return g_strdup_printf ("%s-%s", meeting, stamp);
  return g_strdup_printf ("%s-%s-%d", meeting, stamp, attempt + 1);
}

static gboolean
start_recording (CnvMeeting * mt, const char *by, CnvErrorCode * code,
    char **message)
{
  CnvRecordings *store = cnv_hub_get_recordings (mt->owner->hub);
  g_autoptr (JsonObject) f = json_object_new ();
  g_autoptr (GError) err = NULL;
  g_autofree char *id = NULL;
  g_autofree char *dir = NULL;
  gint64 now = now_ms ();
  GHashTableIter iter;
  gpointer value;

  if (mt->recording_id) {
    *code = CNV_ERR_BAD_STATE;
    *message = g_strdup ("the meeting is being recorded already");
    return FALSE;
  }
  if (!store) {
    *code = CNV_ERR_INTERNAL;
    *message = g_strdup ("recording is not available on this server");
    return FALSE;
  }
  for (int attempt = 0; attempt < 100; attempt++) {
    g_clear_pointer (&id, g_free);
    g_clear_pointer (&dir, g_free);
    g_clear_error (&err);
    id = make_recording_id (mt->id, attempt);
    dir = g_build_filename (mt->owner->config->data_dir, "recordings", id,
        NULL);
    if (cnv_recordings_create (store, id, mt->id, dir, now, &err))
      break;
    if (!g_error_matches (err, G_IO_ERROR, G_IO_ERROR_EXISTS))
      break;
  }
  if (err) {
    g_warning ("meeting %s: cannot start recording: %s", mt->id,
        err->message);
    *code = CNV_ERR_INTERNAL;
    *message = g_strdup ("cannot store the recording");
    return FALSE;
  }
  if (g_mkdir_with_parents (dir, 0700) < 0)
    g_warning ("cannot create %s: %s", dir, g_strerror (errno));
  mt->recording_id = g_steal_pointer (&id);
  mt->recording_dir = g_steal_pointer (&dir);
  mt->recording_by = g_strdup (by);
  mt->recording_started_ms = now;
  g_hash_table_remove_all (mt->recorded_users);
  g_hash_table_iter_init (&iter, mt->participants);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!CNV_PARTICIPANT (value)->is_worker)
      g_hash_table_add (mt->recorded_users,
          g_strdup (CNV_PARTICIPANT (value)->user));
  g_message ("meeting %s: recording %s started by %s", mt->id,
      mt->recording_id, by);

  broadcast (mt, NULL, FALSE, cnv_msg_recording (mt->id, "started",
          mt->recording_id, by));
  json_object_set_string_member (f, "recording_id", mt->recording_id);
  json_object_set_string_member (f, "dir", mt->recording_dir);
  json_object_set_string_member (f, "by", by);
  publish (mt, "recording.started", f);
  /* The recorder lives in the worker: a mesh meeting moves to the SFU. The
   * worker hears "start" when it joins, or now if it is there already. */
  go_sfu (mt);
  if (mt->worker)
    send_participant (mt->owner, mt->worker, cnv_msg_worker_recording (mt->id,
            "start", mt->recording_id, mt->recording_dir));
  return TRUE;
}

static GStrv
recorded_users (CnvMeeting * mt)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, mt->recorded_users);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

/* @by NULL: the meeting emptied or ended. */
static void
stop_recording (CnvMeeting * mt, const char *by)
{
  CnvRecordings *store = cnv_hub_get_recordings (mt->owner->hub);
  g_autofree char *id = g_steal_pointer (&mt->recording_id);
  g_autofree char *dir = g_steal_pointer (&mt->recording_dir);
  g_autofree char *started_by = g_steal_pointer (&mt->recording_by);
  g_auto (GStrv) users = recorded_users (mt);
  g_autoptr (JsonObject) f = json_object_new ();
  g_autoptr (JsonArray) a = json_array_new ();
  g_autoptr (GError) err = NULL;
  gint64 now = now_ms ();

  if (mt->worker)
    send_participant (mt->owner, mt->worker, cnv_msg_worker_recording (mt->id,
            "stop", id, dir));
  if (store && !cnv_recordings_set_stopped (store, id, now,
          (const char *const *) users, &err))
    g_warning ("recording %s: %s", id, err->message);
  g_message ("meeting %s: recording %s stopped", mt->id, id);
  broadcast (mt, NULL, FALSE, cnv_msg_recording (mt->id, "stopped", id, by));

  json_object_set_string_member (f, "recording_id", id);
  json_object_set_string_member (f, "dir", dir);
  if (by)
    json_object_set_string_member (f, "by", by);
  else
    json_object_set_null_member (f, "by");
  json_object_set_int_member (f, "duration_ms",
      now - mt->recording_started_ms);
  for (gsize i = 0; users[i]; i++)
    json_array_add_string_element (a, users[i]);
  json_object_set_array_member (f, "participants", json_array_ref (a));
  publish (mt, "recording.stopped", f);
  g_hash_table_remove_all (mt->recorded_users);
  cnv_hub_recording_stopped (mt->owner->hub, id);
  maybe_linger (mt);
}

static gboolean
record (CnvMeeting * mt, const char *action, const char *by,
    char **recording_id, CnvErrorCode * code, char **message)
{
  if (strcmp (action, "start") == 0) {
    if (!start_recording (mt, by, code, message))
      return FALSE;
  } else if (!mt->recording_id) {
    *code = CNV_ERR_BAD_STATE;
    *message = g_strdup ("the meeting is not being recorded");
    return FALSE;
  } else {
    if (recording_id)
      *recording_id = g_strdup (mt->recording_id);
    stop_recording (mt, by);
    return TRUE;
  }
  if (recording_id)
    *recording_id = g_strdup (mt->recording_id);
  return TRUE;
}

static void
handle_record (CnvMeetings * self, CnvSession * s, CnvMeeting * mt,
    CnvParticipant * p, JsonObject * msg)
{
  g_autofree char *why = NULL;
  CnvErrorCode code;

  if (p->is_worker || !cnv_token_claims_has_grant (s->claims, "record")) {
    error (self, s, CNV_ERR_FORBIDDEN, "the token lacks the record grant",
        CNV_MSG_RECORD);
    return;
  }
  if (!record (mt, json_object_get_string_member (msg, "action"), s->user,
          NULL, &code, &why))
    error (self, s, code, why, CNV_MSG_RECORD);
}

gboolean
cnv_meetings_record (CnvMeetings * self, const char *meeting_id,
    const char *action, const char *by, char **recording_id,
    CnvErrorCode * code, char **message)
{
  CnvMeeting *mt = g_hash_table_lookup (self->meetings, meeting_id);

  if (!mt) {
    *code = CNV_ERR_UNKNOWN_MEETING;
    *message = g_strdup ("no such meeting");
    return FALSE;
  }
  return record (mt, action, by, recording_id, code, message);
}

gboolean
cnv_meetings_has_session (CnvMeetings * self, const char *meeting_id,
    const char *session_id)
{
  CnvMeeting *mt = g_hash_table_lookup (self->meetings, meeting_id);

  return mt && g_hash_table_contains (mt->by_session, session_id);
}

void
cnv_meetings_handle (CnvMeetings * self, CnvSession * s, CnvMsgType type,
    JsonObject * msg)
{
  CnvMeeting *mt;
  CnvParticipant *p;

  if (type == CNV_MSG_JOIN) {
    handle_join (self, s, msg);
    return;
  }
  if (type == CNV_MSG_ACTIVE_SPEAKER && !is_worker_session (s)) {
    error (self, s, CNV_ERR_FORBIDDEN, "only the media worker sends this",
        type);
    return;
  }
  if (!lookup_member (self, s, msg, type, &mt, &p))
    return;
  switch (type) {
    case CNV_MSG_LEAVE:
      remove_participant (mt, p);
      break;
    case CNV_MSG_TRACKS:
      handle_tracks (self, s, mt, p, msg);
      break;
    case CNV_MSG_SDP:
    case CNV_MSG_ICE:
      handle_relay (self, s, mt, p, msg, type);
      break;
    case CNV_MSG_VIEW:
      handle_view (self, mt, p, msg);
      break;
    case CNV_MSG_MEDIA_READY:
      handle_media_ready (mt, p, msg);
      break;
    case CNV_MSG_ACTIVE_SPEAKER:
      handle_active_speaker (self, s, mt, p, msg);
      break;
    case CNV_MSG_RECORD:
      handle_record (self, s, mt, p, msg);
      break;
    default:
      error (self, s, CNV_ERR_INTERNAL, "unhandled meeting message", type);
      break;
  }
}

void
cnv_meetings_session_gone (CnvMeetings * self, CnvSession * s)
{
  g_autoptr (GPtrArray) in = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->meetings);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_hash_table_contains (CNV_MEETING (value)->by_session, s->id))
      g_ptr_array_add (in, g_object_ref (value));
  for (guint i = 0; i < in->len; i++) {
    CnvMeeting *mt = g_ptr_array_index (in, i);
    CnvParticipant *p = mt->by_session ?
        g_hash_table_lookup (mt->by_session, s->id) : NULL;
    if (p)
      remove_participant (mt, p);
  }
}

guint
cnv_meetings_user_count (CnvMeetings * self, const char *user)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->user_count, user));
}

gboolean
cnv_meetings_create (CnvMeetings * self, const char *id, char **out_id)
{
  g_autofree char *made = id ? NULL : cnv_make_id ("m-");
  CnvMeeting *mt;

  if (!id)
    id = made;
  if (g_hash_table_contains (self->meetings, id))
    return FALSE;
  mt = meeting_new (self, id);
  mt->from_api = TRUE;
  mt->expire = meeting_timeout (mt, self->config->api_meeting_keep_ms,
      expire_cb);
  if (out_id)
    *out_id = g_strdup (id);
  return TRUE;
}

char *
cnv_meetings_render (CnvMeetings * self)
{
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->meetings);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, key);
  g_ptr_array_sort (ids, compare_strings);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "meetings");
  json_builder_begin_array (b);
  for (guint i = 0; i < ids->len; i++) {
    CnvMeeting *mt = g_hash_table_lookup (self->meetings, ids->pdata[i]);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, mt->id);
    json_builder_set_member_name (b, "mode");
    json_builder_add_string_value (b, mt->sfu ? "sfu" : "mesh");
    json_builder_set_member_name (b, "participants");
    add_people (b, mt, NULL);
    json_builder_set_member_name (b, "worker");
    if (mt->supervisor && (cnv_worker_supervisor_is_wanted (mt->supervisor)
            || cnv_worker_supervisor_get_pid (mt->supervisor))) {
      gint64 pid = cnv_worker_supervisor_get_pid (mt->supervisor);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "pid");
      /* null while waiting to restart a dead worker */
      if (pid)
        json_builder_add_int_value (b, pid);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "restarts");
      json_builder_add_int_value (b,
          cnv_worker_supervisor_get_restarts (mt->supervisor));
      json_builder_end_object (b);
    } else {
      json_builder_add_null_value (b);
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return cnv_msg_to_string (b);
}

void
cnv_meetings_render_metrics (CnvMeetings * self, GString * out)
{
  GHashTableIter iter;
  gpointer value;
  guint people = 0, sfu = 0, workers = 0;

  g_hash_table_iter_init (&iter, self->meetings);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    CnvMeeting *mt = value;
    people += mt->n_people;
    sfu += mt->sfu ? 1 : 0;
    workers += mt->supervisor
        && cnv_worker_supervisor_get_pid (mt->supervisor) ? 1 : 0;
  }
  g_string_append_printf (out,
      "# HELP convene_meetings Meetings that exist.\n"
      "# TYPE convene_meetings gauge\n"
      "convene_meetings %u\n"
      "# HELP convene_meetings_sfu Meetings whose participants use the SFU.\n"
      "# TYPE convene_meetings_sfu gauge\n"
      "convene_meetings_sfu %u\n"
      "# HELP convene_meeting_participants Participants in meetings.\n"
      "# TYPE convene_meeting_participants gauge\n"
      "convene_meeting_participants %u\n"
      "# HELP convene_workers Media worker processes running.\n"
      "# TYPE convene_workers gauge\n"
      "convene_workers %u\n",
      g_hash_table_size (self->meetings), sfu, people, workers);
}

guint
cnv_meetings_get_n (CnvMeetings * self)
{
  return g_hash_table_size (self->meetings);
}

void
cnv_meetings_set_launcher (CnvMeetings * self,
    const CnvWorkerLauncherFuncs * funcs, gpointer data)
{
  self->launcher = funcs;
  self->launcher_data = data;
}

static void
cnv_meetings_dispose (GObject * object)
{
  CnvMeetings *self = CNV_MEETINGS (object);

  g_clear_pointer (&self->meetings, g_hash_table_unref);
  g_clear_pointer (&self->user_count, g_hash_table_unref);
  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (cnv_meetings_parent_class)->dispose (object);
}

static void
cnv_meetings_class_init (CnvMeetingsClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = cnv_meetings_dispose;
}

static void
cnv_meetings_init (CnvMeetings * self)
{
  self->meetings = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      g_object_unref);
  self->user_count = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
}

CnvMeetings *
cnv_meetings_new (CnvHub * hub, const CnvConfig * config, GBytes * secret,
    GMainContext * context, CnvMetrics * metrics)
{
  CnvMeetings *self = g_object_new (CNV_TYPE_MEETINGS, NULL);

  self->hub = hub;
  self->config = config;
  self->secret = g_bytes_ref (secret);
  self->context = g_main_context_ref (context);
  self->metrics = metrics;
  return self;
}
