/* Convene signaling protocol v1 (docs/protocol.md): validation tables and
 * builders of server -> client messages. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  CNV_ERR_NONE = 0,
  CNV_ERR_BAD_JSON,
  CNV_ERR_BAD_MESSAGE,
  CNV_ERR_UNKNOWN_TYPE,
  CNV_ERR_AUTH_REQUIRED,
  CNV_ERR_AUTH_FAILED,
  CNV_ERR_TOKEN_EXPIRED,
  CNV_ERR_UNKNOWN_USER,
  CNV_ERR_FORBIDDEN,
  CNV_ERR_SELF_CALL,
  CNV_ERR_ALREADY_IN_CALL,
  CNV_ERR_UNKNOWN_CALL,
  CNV_ERR_BAD_STATE,
  CNV_ERR_RATE_LIMITED,
  CNV_ERR_INTERNAL,
  CNV_ERR_UNKNOWN_MEETING,
  CNV_ERR_NOT_IN_MEETING,
  CNV_ERR_UNKNOWN_PARTICIPANT,
  CNV_ERR_MEETING_FULL,
  CNV_ERR_COUNT
} CnvErrorCode;

typedef enum
{
  CNV_MSG_HELLO,
  CNV_MSG_CALL,
  CNV_MSG_ACCEPT,
  CNV_MSG_REJECT,
  CNV_MSG_CANCEL,
  CNV_MSG_HANGUP,
  CNV_MSG_SDP,
  CNV_MSG_ICE,
  CNV_MSG_PING,
  CNV_MSG_JOIN,
  CNV_MSG_LEAVE,
  CNV_MSG_TRACKS,
  CNV_MSG_VIEW,
  CNV_MSG_MEDIA_READY,
  CNV_MSG_ACTIVE_SPEAKER,
  CNV_MSG_RECORD,
  CNV_MSG_STATS,
  CNV_MSG_COUNT
} CnvMsgType;

typedef enum
{
  CNV_PARAM_STRING,             /* any string, max bytes */
  CNV_PARAM_TEXT,               /* any string, max characters */
  CNV_PARAM_USER,               /* 1..64 of [A-Za-z0-9._-] */
  CNV_PARAM_INT,                /* integer >= min */
  CNV_PARAM_ENUM,               /* one of choices */
  CNV_PARAM_ID,                 /* meeting / participant id: as USER */
  CNV_PARAM_TRACKS,             /* array of at most 8 track objects */
  CNV_PARAM_COUNT,              /* integer in 0..limit */
  CNV_PARAM_NUMBER,             /* any JSON number in 0..limit */
} CnvParamKind;

typedef struct
{
  const char *name;
  CnvParamKind kind;
  gboolean required;
  gint64 limit;                 /* strings: max length; INT: min value;
                                 * COUNT, NUMBER: max value */
  const char *const *choices;
} CnvParam;

#define CNV_MAX_USER_LEN 64
#define CNV_MAX_CALL_ID_LEN 64
#define CNV_MAX_SDP_LEN 60000
#define CNV_MAX_CANDIDATE_LEN 1024
#define CNV_MAX_SDP_MID_LEN 256
#define CNV_MAX_TOKEN_LEN 8192
#define CNV_MAX_CLIENT_LEN 64
#define CNV_MAX_ID_LEN 64
#define CNV_MAX_TRACK_ID_LEN 64
#define CNV_MAX_TRACKS 8
#define CNV_MAX_VIDEO_SIZE 16384
#define CNV_MAX_BITRATE G_GINT64_CONSTANT (10000000000)   /* bit/s */
/* Deeper JSON is refused before json-glib's recursive parser sees it. */
#define CNV_MAX_JSON_DEPTH 32

const char *cnv_error_code_to_string (CnvErrorCode code);
const char *cnv_msg_type_to_string (CnvMsgType type);
gboolean cnv_user_name_is_valid (const char *name);

/* Parses and validates one client frame. On success returns TRUE with
 * @type and @object (owned by the caller) set. On failure returns FALSE with
 * @code, @message (human readable, naming the field) and @ref (the message's
 * "type" when it was a string, else NULL) set. */
gboolean cnv_protocol_parse (const char *text, gsize len, CnvMsgType * type,
    JsonObject ** object, CnvErrorCode * code, char **message, char **ref);

/* Exposed for tests. */
gboolean cnv_protocol_validate (JsonObject * object, const CnvParam * params,
    char **message);
const CnvParam *cnv_protocol_params (CnvMsgType type);
/* sdp and ice have a second table used when the frame has a "meeting"
 * member; NULL for the other types. */
const CnvParam *cnv_protocol_meeting_params (CnvMsgType type);
/* 1-64 characters of [A-Za-z0-9._-] (meeting and participant ids). */
gboolean cnv_id_is_valid (const char *id);

/* Server -> client builders; each returns a newly allocated JSON text. */
char *cnv_msg_error (CnvErrorCode code, const char *message, const char *ref);
char *cnv_msg_call_event (const char *type, const char *call_id,
    const char *peer);
char *cnv_msg_accepted (const char *call_id, const char *peer,
    const char *role);
char *cnv_msg_ended (const char *call_id, const char *peer,
    const char *reason);
char *cnv_msg_presence (const char *user, const char *status,
    gint64 last_seen);
char *cnv_msg_pong (void);
/* Relays an sdp or ice message: the validated client object plus "peer". */
char *cnv_msg_relay (JsonObject * object, const char *peer);
char *cnv_msg_to_string (JsonBuilder * builder);

/* Meetings. @tracks may be NULL (an empty list). */
void cnv_msg_add_participant (JsonBuilder * b, const char *participant_id,
    const char *user, JsonArray * tracks);
char *cnv_msg_participant_joined (const char *meeting,
    const char *participant_id, const char *user, JsonArray * tracks);
char *cnv_msg_participant_left (const char *meeting,
    const char *participant_id);
char *cnv_msg_tracks (const char *meeting, const char *participant_id,
    JsonArray * tracks);
/* @sfu NULL becomes JSON null. */
char *cnv_msg_mode (const char *meeting, const char *mode, const char *sfu);
char *cnv_msg_active_speaker (const char *meeting,
    const char *participant_id);
/* Recording: to every participant when it starts or stops (@by is the
 * user who asked), and to the media worker (@action start | stop). */
char *cnv_msg_recording (const char *meeting, const char *state,
    const char *recording_id, const char *by);
char *cnv_msg_worker_recording (const char *meeting, const char *action,
    const char *recording_id, const char *dir);
/* @kind "recording-ready" or "recording-failed"; @error nullable. */
char *cnv_msg_notification (const char *kind, const char *recording_id,
    const char *meeting, const char *url, const char *error);
/* Relays a validated meeting sdp / ice / view: the client's fields minus
 * "to", plus "from" (the real sender). */
char *cnv_msg_meeting_relay (JsonObject * object, const char *from);

G_END_DECLS
