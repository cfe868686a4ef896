/* The Convene hub: sessions, presence and the 1:1 call state machine.
 *
 * It owns no socket. A transport connects a session with a send and a close
 * callback, then feeds it every text frame; the hub answers through the
 * callbacks. Everything runs on the GMainContext given at creation. */
#pragma once

#include <glib-object.h>
#include "config.h"
#include "events.h"
#include "recordings.h"
#include "metrics.h"
#include "users.h"
#include "worker-supervisor.h"

G_BEGIN_DECLS

typedef void (*CnvSendFunc) (const char *text, gpointer user_data);
/* The hub has forgotten the session when this is called. */
typedef void (*CnvCloseFunc) (gushort code, const char *reason,
    gpointer user_data);

#define CNV_CLOSE_NORMAL 1000
#define CNV_CLOSE_GOING_AWAY 1001
#define CNV_CLOSE_POLICY 1008
#define CNV_CLOSE_TOO_BIG 1009

/* Rate-limited messages after which a connection is closed. */
#define CNV_MAX_DROPPED 2000

#define CNV_TYPE_HUB (cnv_hub_get_type ())
G_DECLARE_FINAL_TYPE (CnvHub, cnv_hub, CNV, HUB, GObject)

/* @config must outlive the hub. @context NULL means the default one. */
CnvHub *cnv_hub_new (const CnvConfig * config, CnvUsers * users,
    GBytes * secret, GMainContext * context);

/* Returns the new session's id. @notify frees @user_data when the session
 * is gone. */
char *cnv_hub_connect (CnvHub * self, CnvSendFunc send, CnvCloseFunc close,
    gpointer user_data, GDestroyNotify notify);
void cnv_hub_receive (CnvHub * self, const char *session_id,
    const char *text, gsize len);
/* The transport's connection closed. Unknown ids are ignored. */
void cnv_hub_disconnect (CnvHub * self, const char *session_id);
/* Closes every session with @code (used on shutdown). */
void cnv_hub_close_all (CnvHub * self, gushort code, const char *reason);

guint cnv_hub_get_n_sessions (CnvHub * self);
guint cnv_hub_get_n_calls (CnvHub * self);
CnvMetrics *cnv_hub_get_metrics (CnvHub * self);
char *cnv_hub_render_metrics (CnvHub * self);

/* Meetings. The launcher replaces the real one (tests); @funcs and @data
 * must outlive the hub. */
void cnv_hub_set_worker_launcher (CnvHub * self,
    const CnvWorkerLauncherFuncs * funcs, gpointer data);
/* Where workers connect back to: ws://HOST:PORT/ws. */
void cnv_hub_set_signaling_uri (CnvHub * self, const char *uri);
/* @id NULL makes one up. FALSE if a meeting with that id exists. */
gboolean cnv_hub_create_meeting (CnvHub * self, const char *id,
    char **out_id);
/* GET /api/meetings body. */
char *cnv_hub_render_meetings (CnvHub * self);
guint cnv_hub_get_n_meetings (CnvHub * self);

/* Events and recordings; both nullable, borrowed: they must outlive the
 * hub. Without them nothing is published and recording is refused. */
void cnv_hub_set_storage (CnvHub * self, CnvEvents * events,
    CnvRecordings * recordings);
typedef void (*CnvRecordingStoppedFunc) (const char *recording_id,
    gpointer user_data);
void cnv_hub_set_recording_stopped_func (CnvHub * self,
    CnvRecordingStoppedFunc func, gpointer user_data);
/* Recording control for the HTTP API (the protocol's "record" goes through
 * cnv_hub_receive). @by is the asking user. On success *@recording_id is
 * the recording started or stopped; else @code and @message say why. */
gboolean cnv_hub_record (CnvHub * self, const char *meeting,
    const char *action, const char *by, char **recording_id,
    CnvErrorCode * code, char **message);
/* Tells every participant of @rec that it is ready (or failed): pushed to
 * each connected user at once, stored for the next sign-in of the others.
 * @url is the download URL given to clients. Returns how many users. */
guint cnv_hub_notify_recording (CnvHub * self, const CnvRecording * rec,
    const char *url);

G_END_DECLS
