/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_CONVENE_SIGNALLER_H__
#define __GST_CONVENE_SIGNALLER_H__

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

#define GST_TYPE_CONVENE_SIGNALLER (gst_convene_signaller_get_type ())
G_DECLARE_INTERFACE (GstConveneSignaller, gst_convene_signaller, GST,
    CONVENE_SIGNALLER, GObject)

/**
 * GstConveneSignallerInterface:
 *
 * How signalbridge talks to whatever carries its SDP and ICE, modelled on
 * webrtcsink's signaller: the element drives it through the virtual methods
 * and learns what happened through the interface signals.  A session is one
 * peer connection (one call in the client role; one participant in the server
 * role), named by an opaque @session_id chosen by the signaller.
 *
 * Signals may be emitted from any thread; virtual methods may be called from
 * any thread except from inside a signal handler of #GstConveneSignaller::stop
 * (implementations join their thread there).
 */
struct _GstConveneSignallerInterface
{
  GTypeInterface parent_iface;

  /* Connect and authenticate; progress is reported with "state-changed". */
  void (*start) (GstConveneSignaller * self);
  /* Disconnect; no signal is emitted after this returns. */
  void (*stop) (GstConveneSignaller * self);
  /* Ask for a session with @peer (a call in the client role). */
  void (*request_session) (GstConveneSignaller * self, const gchar * peer);
  /* Accept a session announced by "incoming-session". */
  void (*accept_session) (GstConveneSignaller * self,
      const gchar * session_id);
  void (*send_sdp) (GstConveneSignaller * self, const gchar * session_id,
      const GstWebRTCSessionDescription * desc);
  /* @candidate "" means end of candidates. */
  void (*add_ice) (GstConveneSignaller * self, const gchar * session_id,
      const gchar * candidate, guint mline_index, const gchar * mid);
  /* Hang up / reject / cancel, whatever the session's state calls for. */
  void (*end_session) (GstConveneSignaller * self, const gchar * session_id);

  /* Meetings (docs/protocol.md, "Meetings").  A meeting session id is
   * "<participant_id>/<session>" with session "mesh", "publish" or
   * "subscribe": send_sdp and add_ice address that participant's session.
   * @tracks are "<kind>:<track id>" strings (kind audio, video or screen). */
  void (*join_meeting) (GstConveneSignaller * self, const gchar * meeting,
      const gchar * const *tracks);
  void (*leave_meeting) (GstConveneSignaller * self, const gchar * meeting);
  void (*set_tracks) (GstConveneSignaller * self, const gchar * meeting,
      const gchar * const *tracks);
  void (*media_ready) (GstConveneSignaller * self, const gchar * meeting,
      const gchar * mode);
  void (*send_active_speaker) (GstConveneSignaller * self,
      const gchar * meeting, const gchar * participant_id);
};

void gst_convene_signaller_start (GstConveneSignaller * self);
void gst_convene_signaller_stop (GstConveneSignaller * self);
void gst_convene_signaller_request_session (GstConveneSignaller * self,
    const gchar * peer);
void gst_convene_signaller_accept_session (GstConveneSignaller * self,
    const gchar * session_id);
void gst_convene_signaller_send_sdp (GstConveneSignaller * self,
    const gchar * session_id, const GstWebRTCSessionDescription * desc);
void gst_convene_signaller_add_ice (GstConveneSignaller * self,
    const gchar * session_id, const gchar * candidate, guint mline_index,
    const gchar * mid);
void gst_convene_signaller_end_session (GstConveneSignaller * self,
    const gchar * session_id);
void gst_convene_signaller_join_meeting (GstConveneSignaller * self,
    const gchar * meeting, const gchar * const *tracks);
void gst_convene_signaller_leave_meeting (GstConveneSignaller * self,
    const gchar * meeting);
void gst_convene_signaller_set_tracks (GstConveneSignaller * self,
    const gchar * meeting, const gchar * const *tracks);
void gst_convene_signaller_media_ready (GstConveneSignaller * self,
    const gchar * meeting, const gchar * mode);
void gst_convene_signaller_send_active_speaker (GstConveneSignaller * self,
    const gchar * meeting, const gchar * participant_id);

/* For implementations: emit the interface signals. */
void gst_convene_signaller_emit_state_changed (GstConveneSignaller * self,
    const gchar * state, const gchar * session_id, const gchar * peer,
    const gchar * reason);
void gst_convene_signaller_emit_ice_servers (GstConveneSignaller * self,
    const gchar * const *stun_uris, const gchar * const *turn_uris);
void gst_convene_signaller_emit_incoming_session (GstConveneSignaller * self,
    const gchar * session_id, const gchar * peer);
void gst_convene_signaller_emit_session_requested (GstConveneSignaller * self,
    const gchar * session_id, const gchar * peer, gboolean offerer);
void gst_convene_signaller_emit_session_description (GstConveneSignaller *
    self, const gchar * session_id, GstWebRTCSessionDescription * desc);
void gst_convene_signaller_emit_handle_ice (GstConveneSignaller * self,
    const gchar * session_id, guint mline_index, const gchar * mid,
    const gchar * candidate);
void gst_convene_signaller_emit_session_ended (GstConveneSignaller * self,
    const gchar * session_id, const gchar * reason);
void gst_convene_signaller_emit_error (GstConveneSignaller * self,
    const gchar * code, const gchar * message, gboolean fatal);
void gst_convene_signaller_emit_meeting_joined (GstConveneSignaller * self,
    const gchar * meeting, const gchar * participant_id, const gchar * mode,
    const gchar * sfu);
void gst_convene_signaller_emit_participant_joined (GstConveneSignaller *
    self, const gchar * participant_id, const gchar * user,
    const gchar * const *tracks);
void gst_convene_signaller_emit_participant_left (GstConveneSignaller * self,
    const gchar * participant_id);
void gst_convene_signaller_emit_participant_tracks (GstConveneSignaller *
    self, const gchar * participant_id, const gchar * const *tracks);
void gst_convene_signaller_emit_mode_changed (GstConveneSignaller * self,
    const gchar * mode, const gchar * sfu);
void gst_convene_signaller_emit_view (GstConveneSignaller * self,
    const gchar * from, const gchar * participant_id, const gchar * track,
    guint width, guint height);
void gst_convene_signaller_emit_recording (GstConveneSignaller * self,
    const gchar * action, const gchar * recording_id, const gchar * dir);
void gst_convene_signaller_emit_active_speaker (GstConveneSignaller * self,
    const gchar * participant_id);

G_END_DECLS

#endif /* __GST_CONVENE_SIGNALLER_H__ */
