/* convened's front end: libsoup 3 server with the /ws WebSocket, the web
 * client's static files, /healthz, /metrics and the HTTP API. The protocol
 * itself lives in the hub (orchestrator/lib); this file only moves frames.
 * It also owns the event bus and the recordings store the hub borrows. */
#include "server.h"

#include <libsoup/soup.h>
#include <string.h>

#include "archiver-runner.h"
#include "events.h"
#include "hub.h"
#include "protocol.h"
#include "recordings.h"
#include "static.h"
#include "token.h"
#include "users.h"

#define KEEPALIVE_SECONDS 30
#define SHUTDOWN_GRACE_MS 3000
/* libsoup refuses frames above its limit by closing the socket at once,
 * which on TCP becomes a reset that the client sees instead of our 1009.
 * So libsoup gets a higher ceiling and [limits] max-frame is enforced here
 * with a proper close handshake; only frames above the ceiling get the
 * abrupt treatment. */
#define SOUP_FRAME_CEILING (4 * 1024 * 1024)
/* How often Kafka delivery reports are served. */
#define EVENTS_POLL_MS 100
#define MAX_API_BODY 4096

struct _CnvServer
{
  GObject parent;
  const CnvConfig *config;
  SoupServer *soup;
  CnvHub *hub;
  GBytes *secret;               /* verifies API bearer tokens */
  CnvEvents *events;
  CnvRecordings *recordings;
  CnvArchiverRunner *archiver;  /* embedded mode (no Kafka) only */
  guint events_poll_id;
  GHashTable *conns;            /* session id -> Conn, owned */
  GMainLoop *quit_loop;         /* set while shutting down */
  guint grace_id;
};

G_DEFINE_TYPE (CnvServer, cnv_server, G_TYPE_OBJECT)

/* One WebSocket connection. Owned by conns; freed after "closed". */
typedef struct
{
  CnvServer *server;
  SoupWebsocketConnection *ws;
  char *session_id;
  gboolean closing;
} Conn;

static void
conn_free (gpointer p)
{
  Conn *c = p;

  g_signal_handlers_disconnect_by_data (c->ws, c);
  g_object_unref (c->ws);
  g_free (c->session_id);
  g_free (c);
}

static void
conn_send (const char *text, gpointer user_data)
{
  Conn *c = user_data;

  if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (c->ws, text);
}

static void
conn_close (gushort code, const char *reason, gpointer user_data)
{
  Conn *c = user_data;

  c->closing = TRUE;
  if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (c->ws, code, reason);
}

static void
maybe_finish_shutdown (CnvServer * self)
{
  if (self->quit_loop && g_hash_table_size (self->conns) == 0)
    g_main_loop_quit (self->quit_loop);
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer user_data)
{
  Conn *c = user_data;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  if (c->closing)
    return;
  if (len > c->server->config->max_frame) {
    g_autofree char *id = g_strdup (c->session_id);
    /* The hub forgets the session first so that nothing else is sent. */
    cnv_hub_disconnect (c->server->hub, id);
    conn_close (CNV_CLOSE_TOO_BIG, "frame too big", c);
    return;
  }
  /* Binary frames go through the same checks and are refused as bad-json. */
  cnv_hub_receive (c->server->hub, c->session_id, data ? data : "", len);
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  Conn *c = user_data;
  CnvServer *self = c->server;
  g_autofree char *id = g_strdup (c->session_id);

  cnv_hub_disconnect (self->hub, id);
  g_hash_table_remove (self->conns, id);
  maybe_finish_shutdown (self);
}

static void
on_error (SoupWebsocketConnection * ws, GError * error, gpointer user_data)
{
  g_debug ("websocket error: %s", error->message);
}

static void
ws_handler (SoupServer * soup, SoupServerMessage * msg, const char *path,
    SoupWebsocketConnection * ws, gpointer user_data)
{
  CnvServer *self = user_data;
  Conn *c;

  if (self->quit_loop) {
    soup_websocket_connection_close (ws, CNV_CLOSE_GOING_AWAY,
        "server shutting down");
    return;
  }
  c = g_new0 (Conn, 1);
  c->server = self;
  c->ws = g_object_ref (ws);
  soup_websocket_connection_set_max_incoming_payload_size (ws,
      MAX (SOUP_FRAME_CEILING, self->config->max_frame));
  soup_websocket_connection_set_keepalive_interval (ws, KEEPALIVE_SECONDS);
  c->session_id = cnv_hub_connect (self->hub, conn_send, conn_close, c, NULL);
  g_hash_table_insert (self->conns, c->session_id, c);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), c);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), c);
  g_signal_connect (ws, "error", G_CALLBACK (on_error), c);
}

static void
healthz_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      "ok\n", 3);
}

static void
metrics_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  CnvServer *self = user_data;
  char *text = cnv_hub_render_metrics (self->hub);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg,
      "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_TAKE, text,
      strlen (text));
}

static void
json_response (SoupServerMessage * msg, guint status, char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
api_error (SoupServerMessage * msg, guint status, CnvErrorCode code,
    const char *message)
{
  json_response (msg, status, cnv_msg_error (code, message, NULL));
}

static void
method_not_allowed (SoupServerMessage * msg, const char *allow)
{
  g_autofree char *why = g_strdup_printf ("use %s", allow);

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Allow", allow);
  api_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, CNV_ERR_BAD_MESSAGE, why);
}

/* The bearer token's claims, or NULL after answering 401. @query (may be
 * NULL) may carry the token as ?token= instead, for links such as a
 * download that a browser follows without headers. */
static CnvTokenClaims *
api_claims (CnvServer * self, SoupServerMessage * msg, GHashTable * query)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (h, "Authorization");
  const char *token = NULL;
  CnvTokenClaims *claims;
  g_autofree char *why = NULL;
  CnvErrorCode code;

  if (auth && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    token = auth + 7;
  else if (query)
    token = g_hash_table_lookup (query, "token");
  if (!token) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "WWW-Authenticate", "Bearer");
    api_error (msg, SOUP_STATUS_UNAUTHORIZED, CNV_ERR_AUTH_REQUIRED,
        "an Authorization: Bearer token is required");
    return NULL;
  }
  claims = cnv_token_verify (self->secret, token,
      g_get_real_time () / G_USEC_PER_SEC, &code, &why);
  if (!claims)
    api_error (msg, SOUP_STATUS_UNAUTHORIZED, code, why);
  return claims;
}

/* 401 without a valid token, 403 for a valid one without @grant. */
static CnvTokenClaims *
api_require (CnvServer * self, SoupServerMessage * msg, const char *grant)
{
  g_autoptr (CnvTokenClaims) claims = api_claims (self, msg, NULL);

  if (claims && !cnv_token_claims_has_grant (claims, grant)) {
    g_autofree char *why = g_strdup_printf ("the token lacks the %s grant",
        grant);
    api_error (msg, SOUP_STATUS_FORBIDDEN, CNV_ERR_FORBIDDEN, why);
    return NULL;
  }
  return g_steal_pointer (&claims);
}

static gboolean
api_authorize (CnvServer * self, SoupServerMessage * msg)
{
  g_autoptr (CnvTokenClaims) claims = api_require (self, msg, "admin");

  return claims != NULL;
}

/* The request body as a JSON object, or NULL after answering 400. */
static JsonObject *
api_body (SoupServerMessage * msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;

  if (body->length == 0 || body->length > MAX_API_BODY
      || !json_parser_load_from_data (parser, body->data, body->length, NULL)
      || !(root = json_parser_get_root (parser))
      || !JSON_NODE_HOLDS_OBJECT (root)) {
    api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_JSON,
        "the body must be a JSON object");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

static guint
status_for (CnvErrorCode code)
{
  switch (code) {
    case CNV_ERR_UNKNOWN_MEETING:
      return SOUP_STATUS_NOT_FOUND;
    case CNV_ERR_BAD_STATE:
      return SOUP_STATUS_CONFLICT;
    case CNV_ERR_FORBIDDEN:
      return SOUP_STATUS_FORBIDDEN;
    case CNV_ERR_INTERNAL:
      return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    default:
      return SOUP_STATUS_BAD_REQUEST;
  }
}

/* POST /api/meetings/{id}/recording {"action": "start" | "stop"}: a token
 * with "record" scoped to that meeting, or an admin token. */
static void
api_record (CnvServer * self, SoupServerMessage * msg, const char *meeting)
{
  static const char *const actions[] = { "start", "stop", NULL };
  static const CnvParam params[] = {
    {"action", CNV_PARAM_ENUM, TRUE, 0, actions},
    {NULL}
  };
  g_autoptr (CnvTokenClaims) claims = api_claims (self, msg, NULL);
  g_autoptr (JsonObject) body = NULL;
  g_autofree char *why = NULL;
  g_autofree char *id = NULL;
  const char *action;
  CnvErrorCode code;

  if (!claims)
    return;
  if (!cnv_token_claims_has_grant (claims, "admin")
      && !(cnv_token_claims_has_grant (claims, "record")
          && g_strcmp0 (claims->meeting, meeting) == 0)) {
    api_error (msg, SOUP_STATUS_FORBIDDEN, CNV_ERR_FORBIDDEN,
        "recording needs a token with the record grant for this meeting, "
        "or admin");
    return;
  }
  if (!(body = api_body (msg)))
    return;
  if (!cnv_protocol_validate (body, params, &why)) {
    api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_MESSAGE, why);
    return;
  }
  action = json_object_get_string_member (body, "action");
  if (!cnv_hub_record (self->hub, meeting, action, claims->user, &id, &code,
          &why)) {
    api_error (msg, status_for (code), code, why);
    return;
  }
  {
    g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "recording_id");
    json_builder_add_string_value (b, id);
    json_builder_set_member_name (b, "state");
    json_builder_add_string_value (b, strcmp (action, "start") == 0 ?
        "started" : "stopped");
    json_builder_end_object (b);
    json_response (msg, SOUP_STATUS_OK, cnv_msg_to_string (b));
  }
}

static void
api_create_meeting (CnvServer * self, SoupServerMessage * msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *id = NULL;
  const char *want = NULL;

  if (body->length > 0) {
    JsonNode *root;
    JsonObject *obj;
    JsonNode *node;

    if (body->length > 4096 || !json_parser_load_from_data (parser,
            body->data, body->length, NULL)
        || !(root = json_parser_get_root (parser))
        || !JSON_NODE_HOLDS_OBJECT (root)) {
      api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_JSON,
          "the body must be a JSON object");
      return;
    }
    obj = json_node_get_object (root);
    if (json_object_get_size (obj) > (json_object_has_member (obj, "id") ?
            1u : 0u)) {
      api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_MESSAGE,
          "only the field \"id\" is allowed");
      return;
    }
    node = json_object_get_member (obj, "id");
    if (node && (!JSON_NODE_HOLDS_VALUE (node)
            || json_node_get_value_type (node) != G_TYPE_STRING
            || !cnv_id_is_valid (json_node_get_string (node)))) {
      api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_MESSAGE,
          "field \"id\" must be 1-64 characters of [A-Za-z0-9._-]");
      return;
    }
    if (node)
      want = json_node_get_string (node);
  }
  if (!cnv_hub_create_meeting (self->hub, want, &id)) {
    api_error (msg, SOUP_STATUS_CONFLICT, CNV_ERR_BAD_STATE,
        "a meeting with that id exists");
    return;
  }
  {
    g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, id);
    json_builder_end_object (b);
    json_response (msg, SOUP_STATUS_CREATED, cnv_msg_to_string (b));
  }
}

static void
meetings_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  CnvServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (g_str_has_prefix (path, "/api/meetings/")) {
    g_auto (GStrv) parts = g_strsplit (path + strlen ("/api/meetings/"), "/",
        -1);

    if (g_strv_length (parts) != 2 || !cnv_id_is_valid (parts[0])
        || strcmp (parts[1], "recording") != 0) {
      api_error (msg, SOUP_STATUS_NOT_FOUND, CNV_ERR_BAD_MESSAGE,
          "no such resource");
    } else if (method != SOUP_METHOD_POST) {
      method_not_allowed (msg, "POST");
    } else {
      api_record (self, msg, parts[0]);
    }
    return;
  }
  if (strcmp (path, "/api/meetings") != 0) {
    api_error (msg, SOUP_STATUS_NOT_FOUND, CNV_ERR_BAD_MESSAGE,
        "no such resource");
    return;
  }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_POST) {
    method_not_allowed (msg, "GET, POST");
    return;
  }
  if (!api_authorize (self, msg))
    return;
  if (method == SOUP_METHOD_POST)
    api_create_meeting (self, msg);
  else
    json_response (msg, SOUP_STATUS_OK, cnv_hub_render_meetings (self->hub));
}

/* ------------------------------------------------------------------ */
/* Recordings */

/* Recording ids are <meeting>-<stamp>[-N]: the id alphabet, a bit longer. */
static gboolean
recording_id_is_valid (const char *id)
{
  gsize n = 0;

  for (const char *p = id; *p; p++, n++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return n >= 1 && n <= 128;
}

static char *
download_path (const char *id)
{
  return g_strdup_printf ("/api/recordings/%s/file", id);
}

/* A participant of the recording, or admin. A token scoped to the
 * recording's meeting may see it listed, but only participants fetch it. */
static gboolean
may_download (const CnvTokenClaims * claims, const CnvRecording * rec)
{
  return cnv_token_claims_has_grant (claims, "admin")
      || cnv_recording_has_participant (rec, claims->user);
}

static void
add_recording (JsonBuilder * b, const CnvRecording * rec)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, rec->id);
  json_builder_set_member_name (b, "meeting");
  json_builder_add_string_value (b, rec->meeting);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, rec->status);
  json_builder_set_member_name (b, "progress");
  json_builder_add_int_value (b, rec->progress);
  json_builder_set_member_name (b, "started_at");
  json_builder_add_int_value (b, rec->started_at);
  json_builder_set_member_name (b, "stopped_at");
  if (rec->stopped_at)
    json_builder_add_int_value (b, rec->stopped_at);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "participants");
  json_builder_begin_array (b);
  for (gsize i = 0; rec->participants[i]; i++)
    json_builder_add_string_value (b, rec->participants[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "download_url");
  if (strcmp (rec->status, "ready") == 0) {
    g_autofree char *url = download_path (rec->id);
    json_builder_add_string_value (b, url);
  } else {
    json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "error");
  if (rec->error)
    json_builder_add_string_value (b, rec->error);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
}

/* GET /api/recordings[?meeting=ID]: admin sees every recording; anyone
 * else those they took part in, or of the meeting their token is scoped
 * to. */
static void
api_list_recordings (CnvServer * self, SoupServerMessage * msg,
    GHashTable * query)
{
  g_autoptr (CnvTokenClaims) claims = api_claims (self, msg, NULL);
  const char *meeting = query ? g_hash_table_lookup (query, "meeting") : NULL;
  g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) err = NULL;
  gboolean admin;

  if (!claims)
    return;
  if (meeting && !cnv_id_is_valid (meeting)) {
    api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_MESSAGE,
        "meeting must be 1-64 characters of [A-Za-z0-9._-]");
    return;
  }
  list = cnv_recordings_list (self->recordings, meeting, &err);
  if (!list) {
    g_warning ("%s", err->message);
    api_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, CNV_ERR_INTERNAL,
        "cannot list recordings");
    return;
  }
  admin = cnv_token_claims_has_grant (claims, "admin");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "recordings");
  json_builder_begin_array (b);
  for (guint i = 0; i < list->len; i++) {
    CnvRecording *rec = g_ptr_array_index (list, i);

    if (admin || cnv_recording_has_participant (rec, claims->user)
        || g_strcmp0 (claims->meeting, rec->meeting) == 0)
      add_recording (b, rec);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_response (msg, SOUP_STATUS_OK, cnv_msg_to_string (b));
}

/* GET /api/recordings/{id}/file (Bearer or ?token=): the local file, or a
 * 302 to its S3 URL. */
static void
api_download (CnvServer * self, SoupServerMessage * msg, const char *id,
    GHashTable * query)
{
  g_autoptr (CnvTokenClaims) claims = api_claims (self, msg, query);
  g_autoptr (CnvRecording) rec = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *path = NULL;
  g_autofree char *disposition = NULL;
  SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

  if (!claims)
    return;
  rec = cnv_recordings_get (self->recordings, id, &err);
  /* A stranger learns nothing, not even whether the recording exists. */
  if (!rec || !may_download (claims, rec)) {
    api_error (msg, rec || g_error_matches (err, G_IO_ERROR,
            G_IO_ERROR_NOT_FOUND) ? SOUP_STATUS_FORBIDDEN :
        SOUP_STATUS_INTERNAL_SERVER_ERROR, CNV_ERR_FORBIDDEN,
        "only the recording's participants may fetch it");
    return;
  }
  if (strcmp (rec->status, "ready") != 0 || !rec->url) {
    api_error (msg, SOUP_STATUS_CONFLICT, CNV_ERR_BAD_STATE,
        "the recording is not ready");
    return;
  }
  if (g_str_has_prefix (rec->url, "http://")
      || g_str_has_prefix (rec->url, "https://")) {
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, rec->url);
    return;
  }
  path = g_str_has_prefix (rec->url, "file://") ?
      g_filename_from_uri (rec->url, NULL, NULL) : g_strdup (rec->url);
  file = path ? g_mapped_file_new (path, FALSE, &err) : NULL;
  if (!file) {
    g_warning ("recording %s: cannot read %s: %s", id, rec->url,
        err ? err->message : "not a file URL");
    api_error (msg, SOUP_STATUS_NOT_FOUND, CNV_ERR_BAD_STATE,
        "the recording's file is missing");
    return;
  }
  bytes = g_mapped_file_get_bytes (file);
  disposition = g_strdup_printf ("attachment; filename=\"%s.mp4\"", id);
  soup_message_headers_replace (h, "Content-Disposition", disposition);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (h, "video/mp4", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body
      (msg), bytes);
}

static void
recordings_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  CnvServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) parts = NULL;

  if (method != SOUP_METHOD_GET) {
    method_not_allowed (msg, "GET");
    return;
  }
  if (strcmp (path, "/api/recordings") == 0) {
    api_list_recordings (self, msg, query);
    return;
  }
  parts = g_strsplit (path + strlen ("/api/recordings"), "/", -1);
  /* "", id, "file" */
  if (g_strv_length (parts) != 3 || parts[0][0]
      || !recording_id_is_valid (parts[1]) || strcmp (parts[2], "file") != 0) {
    api_error (msg, SOUP_STATUS_NOT_FOUND, CNV_ERR_BAD_MESSAGE,
        "no such resource");
    return;
  }
  api_download (self, msg, parts[1], query);
}

/* POST /internal/recordings/{id}/ready from convene-archiver (token with
 * the internal "archiver" grant). The archiver has written the row
 * already; this only tells the participants. */
static void
api_recording_ready (CnvServer * self, SoupServerMessage * msg,
    const char *id)
{
  static const char *const statuses[] = { "ready", "failed", NULL };
  static const CnvParam params[] = {
    {"status", CNV_PARAM_ENUM, TRUE, 0, statuses},
    {"url", CNV_PARAM_STRING, FALSE, 4096, NULL},
    {"error", CNV_PARAM_TEXT, FALSE, 1024, NULL},
    {NULL}
  };
  g_autoptr (CnvTokenClaims) claims = api_require (self, msg,
      CNV_GRANT_ARCHIVER);
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (CnvRecording) rec = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autofree char *why = NULL;
  g_autofree char *url = NULL;
  guint n;

  if (!claims || !(body = api_body (msg)))
    return;
  if (!cnv_protocol_validate (body, params, &why)) {
    api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_MESSAGE, why);
    return;
  }
  rec = cnv_recordings_get (self->recordings, id, &err);
  if (!rec) {
    api_error (msg, SOUP_STATUS_NOT_FOUND, CNV_ERR_BAD_MESSAGE,
        err->message);
    return;
  }
  /* What the archiver says now wins over a row read a moment too early. */
  g_free (rec->status);
  rec->status = g_strdup (json_object_get_string_member (body, "status"));
  if (json_object_has_member (body, "error")) {
    g_free (rec->error);
    rec->error = g_strdup (json_object_get_string_member (body, "error"));
  }
  url = download_path (id);
  n = cnv_hub_notify_recording (self->hub, rec, url);
  g_message ("recording %s %s: %u participant(s) notified", id, rec->status,
      n);
  b = json_builder_new_immutable ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "notified");
  json_builder_add_int_value (b, n);
  json_builder_end_object (b);
  json_response (msg, SOUP_STATUS_OK, cnv_msg_to_string (b));
}

static void
internal_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  CnvServer *self = user_data;
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);

  /* "", "internal", "recordings", id, "ready" */
  if (g_strv_length (parts) != 5 || strcmp (parts[2], "recordings") != 0
      || !recording_id_is_valid (parts[3])
      || strcmp (parts[4], "ready") != 0) {
    api_error (msg, SOUP_STATUS_NOT_FOUND, CNV_ERR_BAD_MESSAGE,
        "no such resource");
    return;
  }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST) {
    method_not_allowed (msg, "POST");
    return;
  }
  api_recording_ready (self, msg, parts[3]);
}

static void
on_recording_stopped (const char *recording_id, gpointer user_data)
{
  CnvServer *self = user_data;
  const char *args[] = { "assemble", recording_id, NULL };

  if (self->archiver)
    cnv_archiver_runner_queue (self->archiver, args);
}

static gboolean
poll_events (gpointer user_data)
{
  CnvServer *self = user_data;

  cnv_events_poll (self->events);
  return G_SOURCE_CONTINUE;
}

static void
static_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  CnvServer *self = user_data;

  cnv_static_serve (msg, self->config->web_dir, path);
}

CnvServer *
cnv_server_new (const CnvConfig * config, const char *config_file,
    const char *const *sets, GError ** error)
{
  g_autoptr (CnvServer) self = g_object_new (CNV_TYPE_SERVER, NULL);
  g_autoptr (CnvUsers) users = NULL;
  g_autoptr (GBytes) secret = NULL;

  self->config = config;
  secret = cnv_secret_load (config->data_dir, error);
  if (!secret)
    return NULL;
  users = cnv_users_open (config->data_dir, error);
  if (!users)
    return NULL;
  self->events = cnv_events_new (config, error);
  if (!self->events)
    return NULL;
  self->recordings = cnv_recordings_open (config->data_dir, error);
  if (!self->recordings)
    return NULL;
  /* A fresh daemon has no live meeting: whatever was recording when the
   * last one died is stopped, and "recover" assembles it. */
  if (!cnv_recordings_mark_interrupted (self->recordings,
          g_get_real_time () / 1000, error))
    return NULL;
  /* With Kafka a separately run "convene-archiver consume" hears
   * recording.stopped; without it nobody would, so convened runs it. */
  if (!config->kafka_brokers || !*config->kafka_brokers) {
    const char *recover[] = { "recover", NULL };
    self->archiver = cnv_archiver_runner_new (config, config_file, sets);
    cnv_archiver_runner_queue (self->archiver, recover);
  }
  self->events_poll_id = g_timeout_add (EVENTS_POLL_MS, poll_events, self);
  self->hub = cnv_hub_new (config, users, secret, NULL);
  cnv_hub_set_storage (self->hub, self->events, self->recordings);
  cnv_hub_set_recording_stopped_func (self->hub, on_recording_stopped, self);
  self->secret = g_bytes_ref (secret);
  self->soup = soup_server_new ("server-header", "convened", NULL);
  soup_server_add_websocket_handler (self->soup, "/ws", NULL, NULL,
      ws_handler, self, NULL);
  soup_server_add_handler (self->soup, "/healthz", healthz_handler, self,
      NULL);
  soup_server_add_handler (self->soup, "/metrics", metrics_handler, self,
      NULL);
  soup_server_add_handler (self->soup, "/api/meetings", meetings_handler,
      self, NULL);
  soup_server_add_handler (self->soup, "/api/recordings",
      recordings_handler, self, NULL);
  soup_server_add_handler (self->soup, "/internal", internal_handler, self,
      NULL);
  soup_server_add_handler (self->soup, "/", static_handler, self, NULL);
  return g_steal_pointer (&self);
}

char *
cnv_server_listen (CnvServer * self, GError ** error)
{
  g_autoptr (GSocketAddress) addr =
      g_inet_socket_address_new_from_string (self->config->listen_host,
      self->config->listen_port);
  GSList *uris;
  char *url;

  if (!addr) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "invalid listen address %s", self->config->listen_host);
    return NULL;
  }
  if (!soup_server_listen (self->soup, addr, 0, error))
    return NULL;
  uris = soup_server_get_uris (self->soup);
  if (!uris) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no listening URI");
    return NULL;
  }
  url = g_uri_to_string (uris->data);
  {
    /* Workers connect back here; a wildcard bind is reached on loopback. */
    const char *host = g_uri_get_host (uris->data);
    g_autofree char *ws = NULL;
    if (g_strcmp0 (host, "0.0.0.0") == 0)
      host = "127.0.0.1";
    else if (g_strcmp0 (host, "::") == 0)
      host = "::1";
    ws = g_strdup_printf (strchr (host, ':') ? "ws://[%s]:%d/ws" :
        "ws://%s:%d/ws", host, g_uri_get_port (uris->data));
    cnv_hub_set_signaling_uri (self->hub, ws);
    if (self->archiver) {
      g_autofree char *base = g_strdup_printf (strchr (host, ':') ?
          "http://[%s]:%d" : "http://%s:%d", host,
          g_uri_get_port (uris->data));
      cnv_archiver_runner_set_url (self->archiver, base);
    }
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

static gboolean
grace_expired (gpointer data)
{
  CnvServer *self = data;

  self->grace_id = 0;
  g_message ("shutdown: %u connection(s) did not close in time",
      g_hash_table_size (self->conns));
  g_main_loop_quit (self->quit_loop);
  return G_SOURCE_REMOVE;
}

void
cnv_server_shutdown (CnvServer * self, GMainLoop * loop)
{
  if (self->quit_loop)
    return;
  self->quit_loop = g_main_loop_ref (loop);
  cnv_hub_close_all (self->hub, CNV_CLOSE_GOING_AWAY, "server shutting down");
  self->grace_id = g_timeout_add (SHUTDOWN_GRACE_MS, grace_expired, self);
  maybe_finish_shutdown (self);
}

static void
cnv_server_dispose (GObject * object)
{
  CnvServer *self = CNV_SERVER (object);

  if (self->grace_id)
    g_source_remove (self->grace_id);
  self->grace_id = 0;
  if (self->soup)
    soup_server_disconnect (self->soup);
  g_clear_pointer (&self->conns, g_hash_table_unref);
  g_clear_object (&self->hub);
  if (self->events_poll_id)
    g_source_remove (self->events_poll_id);
  self->events_poll_id = 0;
  /* After the hub: its last events (meetings closing) are flushed too. */
  g_clear_pointer (&self->events, cnv_events_free);
  g_clear_pointer (&self->recordings, cnv_recordings_free);
  g_clear_pointer (&self->archiver, cnv_archiver_runner_free);
  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->quit_loop, g_main_loop_unref);
  G_OBJECT_CLASS (cnv_server_parent_class)->dispose (object);
}

static void
cnv_server_class_init (CnvServerClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = cnv_server_dispose;
}

static void
cnv_server_init (CnvServer * self)
{
  self->conns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      conn_free);
}
