/* Private to the hub: meetings (docs/protocol.md, "Meetings"), their
 * participants, and the mesh <-> SFU mode with its media worker. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "hub.h"
#include "hub-objects.h"
#include "protocol.h"
#include "worker-supervisor.h"

G_BEGIN_DECLS

#define CNV_TYPE_MEETINGS (cnv_meetings_get_type ())
G_DECLARE_FINAL_TYPE (CnvMeetings, cnv_meetings, CNV, MEETINGS, GObject)

/* @hub is borrowed: the hub owns the manager. */
CnvMeetings *cnv_meetings_new (CnvHub * hub, const CnvConfig * config,
    GBytes * secret, GMainContext * context, CnvMetrics * metrics);
/* @funcs and @data must outlive the manager. */
void cnv_meetings_set_launcher (CnvMeetings * self,
    const CnvWorkerLauncherFuncs * funcs, gpointer data);

/* A validated meeting message (join, leave, tracks, view, media-ready,
 * active-speaker, and sdp / ice with "meeting") from an authenticated
 * session. */
void cnv_meetings_handle (CnvMeetings * self, CnvSession * s,
    CnvMsgType type, JsonObject * msg);
/* The session is going away: it leaves every meeting it is in. */
void cnv_meetings_session_gone (CnvMeetings * self, CnvSession * s);
/* How many meetings the user is in (for presence: busy). */
guint cnv_meetings_user_count (CnvMeetings * self, const char *user);

/* Starts or stops recording @meeting_id (docs/recording.md); @by is the
 * user asking. FALSE with @code and @message when refused. */
gboolean cnv_meetings_record (CnvMeetings * self, const char *meeting_id,
    const char *action, const char *by, char **recording_id,
    CnvErrorCode * code, char **message);
/* Is the session a participant of the meeting? */
gboolean cnv_meetings_has_session (CnvMeetings * self,
    const char *meeting_id, const char *session_id);

/* HTTP API. @id NULL makes one up. FALSE if it exists already. */
gboolean cnv_meetings_create (CnvMeetings * self, const char *id,
    char **out_id);
char *cnv_meetings_render (CnvMeetings * self);
void cnv_meetings_render_metrics (CnvMeetings * self, GString * out);
guint cnv_meetings_get_n (CnvMeetings * self);

G_END_DECLS
