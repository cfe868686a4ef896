/* Convene signaling protocol v1: table-driven validation of client frames
 * (as Janus does with janus_json_parameter arrays) and builders of the
 * server's messages. Everything here is a pure function of its input. */
#include "protocol.h"

#include <string.h>

static const char *const error_names[CNV_ERR_COUNT] = {
  [CNV_ERR_NONE] = "none",
  [CNV_ERR_BAD_JSON] = "bad-json",
  [CNV_ERR_BAD_MESSAGE] = "bad-message",
  [CNV_ERR_UNKNOWN_TYPE] = "unknown-type",
  [CNV_ERR_AUTH_REQUIRED] = "auth-required",
  [CNV_ERR_AUTH_FAILED] = "auth-failed",
  [CNV_ERR_TOKEN_EXPIRED] = "token-expired",
  [CNV_ERR_UNKNOWN_USER] = "unknown-user",
  [CNV_ERR_FORBIDDEN] = "forbidden",
  [CNV_ERR_SELF_CALL] = "self-call",
  [CNV_ERR_ALREADY_IN_CALL] = "already-in-call",
  [CNV_ERR_UNKNOWN_CALL] = "unknown-call",
  [CNV_ERR_BAD_STATE] = "bad-state",
  [CNV_ERR_RATE_LIMITED] = "rate-limited",
  [CNV_ERR_INTERNAL] = "internal",
  [CNV_ERR_UNKNOWN_MEETING] = "unknown-meeting",
  [CNV_ERR_NOT_IN_MEETING] = "not-in-meeting",
  [CNV_ERR_UNKNOWN_PARTICIPANT] = "unknown-participant",
  [CNV_ERR_MEETING_FULL] = "meeting-full",
};

static const char *const sdp_types[] = { "offer", "answer", NULL };

static const CnvParam hello_params[] = {
  {"token", CNV_PARAM_STRING, TRUE, CNV_MAX_TOKEN_LEN, NULL},
  {"client", CNV_PARAM_TEXT, FALSE, CNV_MAX_CLIENT_LEN, NULL},
  {NULL}
};

static const CnvParam call_params[] = {
  {"to", CNV_PARAM_USER, TRUE, CNV_MAX_USER_LEN, NULL},
  {NULL}
};

static const CnvParam call_id_params[] = {
  {"call_id", CNV_PARAM_TEXT, TRUE, CNV_MAX_CALL_ID_LEN, NULL},
  {NULL}
};

static const CnvParam sdp_params[] = {
  {"call_id", CNV_PARAM_TEXT, TRUE, CNV_MAX_CALL_ID_LEN, NULL},
  {"sdp_type", CNV_PARAM_ENUM, TRUE, 0, sdp_types},
  {"sdp", CNV_PARAM_STRING, TRUE, CNV_MAX_SDP_LEN, NULL},
  {NULL}
};

static const CnvParam ice_params[] = {
  {"call_id", CNV_PARAM_TEXT, TRUE, CNV_MAX_CALL_ID_LEN, NULL},
  {"candidate", CNV_PARAM_STRING, TRUE, CNV_MAX_CANDIDATE_LEN, NULL},
  {"sdp_mline_index", CNV_PARAM_INT, TRUE, 0, NULL},
  {"sdp_mid", CNV_PARAM_STRING, FALSE, CNV_MAX_SDP_MID_LEN, NULL},
  {NULL}
};

static const CnvParam no_params[] = {
  {NULL}
};

static const char *const sessions[] = { "mesh", "publish", "subscribe", NULL };
static const char *const modes[] = { "mesh", "sfu", NULL };

/* The meeting forms of sdp and ice: picked when "meeting" is present, so
 * a frame with both "call_id" and "meeting" fails as an unknown field. */
static const CnvParam meeting_sdp_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"to", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"session", CNV_PARAM_ENUM, TRUE, 0, sessions},
  {"sdp_type", CNV_PARAM_ENUM, TRUE, 0, sdp_types},
  {"sdp", CNV_PARAM_STRING, TRUE, CNV_MAX_SDP_LEN, NULL},
  {NULL}
};

static const CnvParam meeting_ice_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"to", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"session", CNV_PARAM_ENUM, TRUE, 0, sessions},
  {"candidate", CNV_PARAM_STRING, TRUE, CNV_MAX_CANDIDATE_LEN, NULL},
  {"sdp_mline_index", CNV_PARAM_INT, TRUE, 0, NULL},
  {"sdp_mid", CNV_PARAM_STRING, FALSE, CNV_MAX_SDP_MID_LEN, NULL},
  {NULL}
};

static const CnvParam join_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"tracks", CNV_PARAM_TRACKS, FALSE, CNV_MAX_TRACKS, NULL},
  {NULL}
};

static const CnvParam meeting_only_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {NULL}
};

static const CnvParam tracks_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"tracks", CNV_PARAM_TRACKS, TRUE, CNV_MAX_TRACKS, NULL},
  {NULL}
};

static const CnvParam view_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"participant_id", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"track", CNV_PARAM_STRING, TRUE, CNV_MAX_TRACK_ID_LEN, NULL},
  {"width", CNV_PARAM_INT, TRUE, 0, NULL},
  {"height", CNV_PARAM_INT, TRUE, 0, NULL},
  {NULL}
};

static const CnvParam media_ready_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"mode", CNV_PARAM_ENUM, TRUE, 0, modes},
  {NULL}
};

static const CnvParam active_speaker_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"participant_id", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {NULL}
};

static const char *const record_actions[] = { "start", "stop", NULL };

static const CnvParam record_params[] = {
  {"meeting", CNV_PARAM_ID, TRUE, CNV_MAX_ID_LEN, NULL},
  {"action", CNV_PARAM_ENUM, TRUE, 0, record_actions},
  {NULL}
};

static const char *const stats_paths[] = { "direct", "relay", NULL };
static const char *const stats_devices[] = {
  "desktop", "mobile", "tablet", "unknown", NULL
};

/* The values of the Network Information API's connection.type. */
static const char *const stats_networks[] = {
  "bluetooth", "cellular", "ethernet", "none", "mixed", "other", "unknown",
  "wifi", "wimax", NULL
};

/* A client's own view of its media (docs/protocol.md, "stats"). Every
 * field is optional: browsers do not all know everything. There is no
 * user field: the user is the connection's. */
static const CnvParam stats_params[] = {
  {"meeting", CNV_PARAM_ID, FALSE, CNV_MAX_ID_LEN, NULL},
  {"call_id", CNV_PARAM_TEXT, FALSE, CNV_MAX_CALL_ID_LEN, NULL},
  {"width", CNV_PARAM_COUNT, FALSE, CNV_MAX_VIDEO_SIZE, NULL},
  {"height", CNV_PARAM_COUNT, FALSE, CNV_MAX_VIDEO_SIZE, NULL},
  {"frame_rate", CNV_PARAM_NUMBER, FALSE, 1000, NULL},
  {"send_bitrate", CNV_PARAM_NUMBER, FALSE, CNV_MAX_BITRATE, NULL},
  {"recv_bitrate", CNV_PARAM_NUMBER, FALSE, CNV_MAX_BITRATE, NULL},
  {"loss", CNV_PARAM_NUMBER, FALSE, 1, NULL},
  {"rtt_ms", CNV_PARAM_NUMBER, FALSE, 600000, NULL},
  {"path", CNV_PARAM_ENUM, FALSE, 0, stats_paths},
  {"device", CNV_PARAM_ENUM, FALSE, 0, stats_devices},
  {"network", CNV_PARAM_ENUM, FALSE, 0, stats_networks},
  {NULL}
};

static const char *const track_kinds[] = { "audio", "video", "screen", NULL };

static const CnvParam track_params[] = {
  {"id", CNV_PARAM_STRING, TRUE, CNV_MAX_TRACK_ID_LEN, NULL},
  {"kind", CNV_PARAM_ENUM, TRUE, 0, track_kinds},
  {NULL}
};

static const struct
{
  const char *name;
  const CnvParam *params;
  const CnvParam *meeting_params;
} msg_specs[CNV_MSG_COUNT] = {
  [CNV_MSG_HELLO] = {"hello", hello_params},
  [CNV_MSG_CALL] = {"call", call_params},
  [CNV_MSG_ACCEPT] = {"accept", call_id_params},
  [CNV_MSG_REJECT] = {"reject", call_id_params},
  [CNV_MSG_CANCEL] = {"cancel", call_id_params},
  [CNV_MSG_HANGUP] = {"hangup", call_id_params},
  [CNV_MSG_SDP] = {"sdp", sdp_params, meeting_sdp_params},
  [CNV_MSG_ICE] = {"ice", ice_params, meeting_ice_params},
  [CNV_MSG_PING] = {"ping", no_params},
  [CNV_MSG_JOIN] = {"join", join_params},
  [CNV_MSG_LEAVE] = {"leave", meeting_only_params},
  [CNV_MSG_TRACKS] = {"tracks", tracks_params},
  [CNV_MSG_VIEW] = {"view", view_params},
  [CNV_MSG_MEDIA_READY] = {"media-ready", media_ready_params},
  [CNV_MSG_ACTIVE_SPEAKER] = {"active-speaker", active_speaker_params},
  [CNV_MSG_RECORD] = {"record", record_params},
  [CNV_MSG_STATS] = {"stats", stats_params},
};

const char *
cnv_error_code_to_string (CnvErrorCode code)
{
  if (code < 0 || code >= CNV_ERR_COUNT)
    return "internal";
  return error_names[code];
}

const char *
cnv_msg_type_to_string (CnvMsgType type)
{
  if (type < 0 || type >= CNV_MSG_COUNT)
    return NULL;
  return msg_specs[type].name;
}

const CnvParam *
cnv_protocol_params (CnvMsgType type)
{
  if (type < 0 || type >= CNV_MSG_COUNT)
    return NULL;
  return msg_specs[type].params;
}

const CnvParam *
cnv_protocol_meeting_params (CnvMsgType type)
{
  if (type < 0 || type >= CNV_MSG_COUNT)
    return NULL;
  return msg_specs[type].meeting_params;
}

gboolean
cnv_id_is_valid (const char *id)
{
  /* The same alphabet as user names: safe in URLs, logs and file names. */
  return cnv_user_name_is_valid (id);
}

gboolean
cnv_user_name_is_valid (const char *name)
{
  gsize n = 0;

  if (!name)
    return FALSE;
  for (const char *p = name; *p; p++, n++) {
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  }
  return n >= 1 && n <= CNV_MAX_USER_LEN;
}

static const char *
node_type_name (JsonNode * node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  if (JSON_NODE_HOLDS_NULL (node))
    return "null";
  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return "a string";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    default:
      return "a number";
  }
}

static gboolean
node_is (JsonNode * node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean check_param (JsonNode * node, const CnvParam * p,
    char **message);

static gboolean
check_tracks (JsonNode * node, const CnvParam * p, char **message)
{
  JsonArray *array;
  guint n;

  if (!JSON_NODE_HOLDS_ARRAY (node)) {
    *message = g_strdup_printf ("field \"%s\" must be an array, not %s",
        p->name, node_type_name (node));
    return FALSE;
  }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > p->limit) {
    *message = g_strdup_printf ("field \"%s\" has more than %" G_GINT64_FORMAT
        " tracks", p->name, p->limit);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    JsonNode *t = json_array_get_element (array, i);
    g_autofree char *inner = NULL;

    if (!JSON_NODE_HOLDS_OBJECT (t)) {
      *message = g_strdup_printf ("field \"%s\" must hold track objects, "
          "not %s", p->name, node_type_name (t));
      return FALSE;
    }
    if (!cnv_protocol_validate (json_node_get_object (t), track_params,
            &inner)) {
      *message = g_strdup_printf ("field \"%s\"[%u]: %s", p->name, i, inner);
      return FALSE;
    }
  }
  return TRUE;
}

/* COUNT: an integer, NUMBER: any finite number; both within 0..limit. */
static gboolean
check_range (JsonNode * node, const CnvParam * p, char **message)
{
  gboolean is_int = node_is (node, G_TYPE_INT64);
  double v;

  if (!is_int && (p->kind == CNV_PARAM_COUNT
          || !node_is (node, G_TYPE_DOUBLE))) {
    *message = g_strdup_printf ("field \"%s\" must be %s, not %s", p->name,
        p->kind == CNV_PARAM_COUNT ? "an integer" : "a number",
        node_type_name (node));
    return FALSE;
  }
  v = is_int ? (double) json_node_get_int (node) :
      json_node_get_double (node);
  if (!(v >= 0 && v <= (double) p->limit)) {
    *message = g_strdup_printf ("field \"%s\" must be in 0..%" G_GINT64_FORMAT,
        p->name, p->limit);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_param (JsonNode * node, const CnvParam * p, char **message)
{
  const char *s;

  if (p->kind == CNV_PARAM_TRACKS)
    return check_tracks (node, p, message);

  if (p->kind == CNV_PARAM_COUNT || p->kind == CNV_PARAM_NUMBER)
    return check_range (node, p, message);

  if (p->kind == CNV_PARAM_INT) {
    gint64 v;
    if (!node_is (node, G_TYPE_INT64)) {
      *message = g_strdup_printf ("field \"%s\" must be an integer, not %s",
          p->name, node_type_name (node));
      return FALSE;
    }
    v = json_node_get_int (node);
    if (v < p->limit || v > G_MAXINT32) {
      *message = g_strdup_printf ("field \"%s\" must be an integer in %"
          G_GINT64_FORMAT "..%d", p->name, p->limit, G_MAXINT32);
      return FALSE;
    }
    return TRUE;
  }

  if (!node_is (node, G_TYPE_STRING)) {
    *message = g_strdup_printf ("field \"%s\" must be a string, not %s",
        p->name, node_type_name (node));
    return FALSE;
  }
  s = json_node_get_string (node);
  switch (p->kind) {
    case CNV_PARAM_STRING:
      if ((gint64) strlen (s) > p->limit) {
        *message = g_strdup_printf ("field \"%s\" is longer than %"
            G_GINT64_FORMAT " bytes", p->name, p->limit);
        return FALSE;
      }
      return TRUE;
    case CNV_PARAM_TEXT:
      if ((gint64) g_utf8_strlen (s, -1) > p->limit) {
        *message = g_strdup_printf ("field \"%s\" is longer than %"
            G_GINT64_FORMAT " characters", p->name, p->limit);
        return FALSE;
      }
      return TRUE;
    case CNV_PARAM_USER:
      if (!cnv_user_name_is_valid (s)) {
        *message = g_strdup_printf ("field \"%s\" must be a user name: 1-%d "
            "characters of [A-Za-z0-9._-]", p->name, CNV_MAX_USER_LEN);
        return FALSE;
      }
      return TRUE;
    case CNV_PARAM_ID:
      if (!cnv_id_is_valid (s)) {
        *message = g_strdup_printf ("field \"%s\" must be an id: 1-%d "
            "characters of [A-Za-z0-9._-]", p->name, CNV_MAX_ID_LEN);
        return FALSE;
      }
      return TRUE;
    case CNV_PARAM_ENUM:
      for (const char *const *c = p->choices; *c; c++)
        if (strcmp (*c, s) == 0)
          return TRUE;
      {
        g_autofree char *all = g_strjoinv ("\", \"", (char **) p->choices);
        *message = g_strdup_printf ("field \"%s\" must be one of \"%s\"",
            p->name, all);
      }
      return FALSE;
    case CNV_PARAM_INT:
    case CNV_PARAM_TRACKS:
    case CNV_PARAM_COUNT:
    case CNV_PARAM_NUMBER:
    default:
      break;
  }
  *message = g_strdup_printf ("field \"%s\" has an unsupported kind", p->name);
  return FALSE;
}

gboolean
cnv_protocol_validate (JsonObject * object, const CnvParam * params,
    char **message)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  /* Unknown fields first: a client must never smuggle "from" or similar. */
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node)) {
    gboolean known = params != track_params && strcmp (name, "type") == 0;
    for (const CnvParam * p = params; !known && p->name; p++)
      known = strcmp (p->name, name) == 0;
    if (!known) {
      g_autofree char *shown = g_utf8_make_valid (name, MIN (strlen (name),
              64));
      *message = g_strdup_printf ("unknown field \"%s\"", shown);
      return FALSE;
    }
  }
  for (const CnvParam * p = params; p->name; p++) {
    node = json_object_get_member (object, p->name);
    if (!node) {
      if (p->required) {
        *message = g_strdup_printf ("missing field \"%s\"", p->name);
        return FALSE;
      }
      continue;
    }
    if (!check_param (node, p, message))
      return FALSE;
  }
  return TRUE;
}

/* json-glib parses recursively, so deep nesting is refused before it can
 * exhaust the stack; and it silently accepts a second value after the
 * first ("{}{}"), so anything but whitespace after the top-level value is
 * refused too. Brackets inside strings do not count. */
static gboolean
structure_ok (const char *text, gsize len)
{
  int depth = 0;
  gboolean in_string = FALSE;
  gboolean closed = FALSE;

  for (gsize i = 0; i < len; i++) {
    char ch = text[i];
    if (closed) {
      if (!g_ascii_isspace (ch))
        return FALSE;
    } else if (in_string) {
      if (ch == '\\')
        i++;
      else if (ch == '"')
        in_string = FALSE;
    } else if (ch == '"') {
      in_string = TRUE;
    } else if (ch == '{' || ch == '[') {
      if (++depth > CNV_MAX_JSON_DEPTH)
        return FALSE;
    } else if (ch == '}' || ch == ']') {
      if (--depth == 0)
        closed = TRUE;
    }
  }
  return TRUE;
}

gboolean
cnv_protocol_parse (const char *text, gsize len, CnvMsgType * type,
    JsonObject ** object, CnvErrorCode * code, char **message, char **ref)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) err = NULL;
  JsonNode *root;
  JsonObject *obj;
  JsonNode *type_node;
  const char *type_name;

  *object = NULL;
  *ref = NULL;
  *message = NULL;
  *code = CNV_ERR_NONE;

  if (!g_utf8_validate (text, len, NULL) || memchr (text, '\0', len)) {
    *code = CNV_ERR_BAD_JSON;
    *message = g_strdup ("frame is not valid UTF-8 text");
    return FALSE;
  }
  if (!structure_ok (text, len)) {
    *code = CNV_ERR_BAD_JSON;
    *message = g_strdup_printf ("not a single JSON value, or nested deeper "
        "than %d levels", CNV_MAX_JSON_DEPTH);
    return FALSE;
  }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, len, &err)) {
    *code = CNV_ERR_BAD_JSON;
    *message = g_strdup_printf ("invalid JSON: %s", err->message);
    return FALSE;
  }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    *code = CNV_ERR_BAD_JSON;
    *message = g_strdup ("frame is not a JSON object");
    return FALSE;
  }
  obj = json_node_get_object (root);
  type_node = json_object_get_member (obj, "type");
  if (!type_node) {
    *code = CNV_ERR_BAD_MESSAGE;
    *message = g_strdup ("missing field \"type\"");
    return FALSE;
  }
  if (!node_is (type_node, G_TYPE_STRING)) {
    *code = CNV_ERR_BAD_MESSAGE;
    *message = g_strdup_printf ("field \"type\" must be a string, not %s",
        node_type_name (type_node));
    return FALSE;
  }
  type_name = json_node_get_string (type_node);
  if (strlen (type_name) <= 64)
    *ref = g_strdup (type_name);
  for (int t = 0; t < CNV_MSG_COUNT; t++) {
    const CnvParam *params = msg_specs[t].params;

    if (strcmp (msg_specs[t].name, type_name) != 0)
      continue;
    if (msg_specs[t].meeting_params && json_object_has_member (obj, "meeting"))
      params = msg_specs[t].meeting_params;
    if (!cnv_protocol_validate (obj, params, message)) {
      *code = CNV_ERR_BAD_MESSAGE;
      return FALSE;
    }
    *type = t;
    *object = json_object_ref (obj);
    return TRUE;
  }
  *code = CNV_ERR_UNKNOWN_TYPE;
  *message = g_strdup ("unknown message type");
  return FALSE;
}

char *
cnv_msg_to_string (JsonBuilder * builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static JsonBuilder *
begin (const char *type)
{
  JsonBuilder *b = json_builder_new_immutable ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  return b;
}

static void
add_str (JsonBuilder * b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static char *
finish (JsonBuilder * b)
{
  char *s;

  json_builder_end_object (b);
  s = cnv_msg_to_string (b);
  g_object_unref (b);
  return s;
}

char *
cnv_msg_error (CnvErrorCode code, const char *message, const char *ref)
{
  JsonBuilder *b = begin ("error");

  add_str (b, "code", cnv_error_code_to_string (code));
  add_str (b, "message", message);
  if (ref)
    add_str (b, "ref", ref);
  return finish (b);
}

/* Every call event carries call_id and peer, some one more string. */
static char *
call_event (const char *type, const char *call_id, const char *peer,
    const char *key, const char *value)
{
  JsonBuilder *b = begin (type);

  add_str (b, "call_id", call_id);
  add_str (b, "peer", peer);
  if (key)
    add_str (b, key, value);
  return finish (b);
}

char *
cnv_msg_call_event (const char *type, const char *call_id, const char *peer)
{
  return call_event (type, call_id, peer, NULL, NULL);
}

char *
cnv_msg_accepted (const char *call_id, const char *peer, const char *role)
{
  return call_event ("accepted", call_id, peer, "role", role);
}

char *
cnv_msg_ended (const char *call_id, const char *peer, const char *reason)
{
  return call_event ("ended", call_id, peer, "reason", reason);
}

char *
cnv_msg_presence (const char *user, const char *status, gint64 last_seen)
{
  JsonBuilder *b = begin ("presence");

  add_str (b, "user", user);
  add_str (b, "status", status);
  json_builder_set_member_name (b, "last_seen");
  json_builder_add_int_value (b, last_seen);
  return finish (b);
}

char *
cnv_msg_pong (void)
{
  return finish (begin ("pong"));
}

static char *
object_to_string (JsonObject * object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_node_set_object (node, object);
  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

char *
cnv_msg_relay (JsonObject * object, const char *peer)
{
  g_autoptr (JsonObject) copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  /* "type" first so that logs read naturally; then peer, then the fields. */
  json_object_set_string_member (copy, "type",
      json_object_get_string_member (object, "type"));
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member)) {
    if (strcmp (name, "type") == 0)
      continue;
    if (strcmp (name, "call_id") == 0)
      json_object_set_string_member (copy, "peer", peer);
    json_object_set_member (copy, name, json_node_copy (member));
  }
  return object_to_string (copy);
}

static void
add_tracks (JsonBuilder * b, JsonArray * tracks)
{
  json_builder_set_member_name (b, "tracks");
  if (tracks) {
    g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
    json_node_set_array (node, tracks);
    json_builder_add_value (b, json_node_copy (node));
  } else {
    json_builder_begin_array (b);
    json_builder_end_array (b);
  }
}

void
cnv_msg_add_participant (JsonBuilder * b, const char *participant_id,
    const char *user, JsonArray * tracks)
{
  json_builder_begin_object (b);
  add_str (b, "participant_id", participant_id);
  add_str (b, "user", user);
  add_tracks (b, tracks);
  json_builder_end_object (b);
}

char *
cnv_msg_participant_joined (const char *meeting, const char *participant_id,
    const char *user, JsonArray * tracks)
{
  JsonBuilder *b = begin ("participant-joined");

  add_str (b, "meeting", meeting);
  json_builder_set_member_name (b, "participant");
  cnv_msg_add_participant (b, participant_id, user, tracks);
  return finish (b);
}

char *
cnv_msg_participant_left (const char *meeting, const char *participant_id)
{
  JsonBuilder *b = begin ("participant-left");

  add_str (b, "meeting", meeting);
  add_str (b, "participant_id", participant_id);
  return finish (b);
}

char *
cnv_msg_tracks (const char *meeting, const char *participant_id,
    JsonArray * tracks)
{
  JsonBuilder *b = begin ("tracks");

  add_str (b, "meeting", meeting);
  add_str (b, "participant_id", participant_id);
  add_tracks (b, tracks);
  return finish (b);
}

char *
cnv_msg_mode (const char *meeting, const char *mode, const char *sfu)
{
  JsonBuilder *b = begin ("mode");

  add_str (b, "meeting", meeting);
  add_str (b, "mode", mode);
  json_builder_set_member_name (b, "sfu");
  if (sfu)
    json_builder_add_string_value (b, sfu);
  else
    json_builder_add_null_value (b);
  return finish (b);
}

char *
cnv_msg_active_speaker (const char *meeting, const char *participant_id)
{
  JsonBuilder *b = begin ("active-speaker");

  add_str (b, "meeting", meeting);
  add_str (b, "participant_id", participant_id);
  return finish (b);
}

/* Both forms of "recording" start the same way. */
static JsonBuilder *
begin_recording (const char *meeting, const char *key, const char *value,
    const char *recording_id)
{
  JsonBuilder *b = begin ("recording");

  add_str (b, "meeting", meeting);
  add_str (b, key, value);
  add_str (b, "recording_id", recording_id);
  return b;
}

char *
cnv_msg_recording (const char *meeting, const char *state,
    const char *recording_id, const char *by)
{
  JsonBuilder *b = begin_recording (meeting, "state", state, recording_id);

  json_builder_set_member_name (b, "by");
  if (by)
    json_builder_add_string_value (b, by);
  else
    json_builder_add_null_value (b);
  return finish (b);
}

char *
cnv_msg_worker_recording (const char *meeting, const char *action,
    const char *recording_id, const char *dir)
{
  JsonBuilder *b = begin_recording (meeting, "action", action, recording_id);

  add_str (b, "dir", dir);
  return finish (b);
}

char *
cnv_msg_notification (const char *kind, const char *recording_id,
    const char *meeting, const char *url, const char *error)
{
  JsonBuilder *b = begin ("notification");

  add_str (b, "kind", kind);
  add_str (b, "recording_id", recording_id);
  add_str (b, "meeting", meeting);
  add_str (b, "url", url);
  if (error)
    add_str (b, "error", error);
  return finish (b);
}

char *
cnv_msg_meeting_relay (JsonObject * object, const char *from)
{
  g_autoptr (JsonObject) copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  /* "from" is set by the server: the sender's own participant id. */
  json_object_set_string_member (copy, "type",
      json_object_get_string_member (object, "type"));
  json_object_set_string_member (copy, "meeting",
      json_object_get_string_member (object, "meeting"));
  json_object_set_string_member (copy, "from", from);
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member)) {
    if (strcmp (name, "type") == 0 || strcmp (name, "meeting") == 0
        || strcmp (name, "to") == 0)
      continue;
    json_object_set_member (copy, name, json_node_copy (member));
  }
  return object_to_string (copy);
}
