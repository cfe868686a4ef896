/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The signaller interface keeps signalbridge independent of the signalling
 * protocol: the default implementation speaks docs/protocol.md over a
 * WebSocket, and another protocol (or the media worker's server role) only
 * has to implement these methods and emit these signals. */

#include "gstsignaller.h"

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_ICE_SERVERS,
  SIGNAL_INCOMING_SESSION,
  SIGNAL_SESSION_REQUESTED,
  SIGNAL_SESSION_DESCRIPTION,
  SIGNAL_HANDLE_ICE,
  SIGNAL_SESSION_ENDED,
  SIGNAL_ERROR,
  SIGNAL_MEETING_JOINED,
  SIGNAL_PARTICIPANT_JOINED,
  SIGNAL_PARTICIPANT_LEFT,
  SIGNAL_PARTICIPANT_TRACKS,
  SIGNAL_MODE_CHANGED,
  SIGNAL_VIEW,
  SIGNAL_ACTIVE_SPEAKER,
  SIGNAL_RECORDING,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

G_DEFINE_INTERFACE (GstConveneSignaller, gst_convene_signaller, G_TYPE_OBJECT);

static void
gst_convene_signaller_default_init (GstConveneSignallerInterface * iface)
{
  /**
   * GstConveneSignaller::state-changed:
   * @state: "connecting", "connected", "calling", "ringing", "incoming",
   *     "accepted", "ended" or "disconnected"
   * @session_id: (nullable): the session (call) concerned
   * @peer: (nullable): the other party
   * @reason: (nullable): why, for "ended" and "disconnected"
   */
  signals[SIGNAL_STATE_CHANGED] =
      g_signal_new ("state-changed", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstConveneSignaller::ice-servers:
   * @stun: STUN servers as stun://host:port
   * @turn: TURN servers as turn(s)://user:pass@host:port, user and pass
   *     URI-escaped, as webrtcbin's add-turn-server expects them
   */
  signals[SIGNAL_ICE_SERVERS] =
      g_signal_new ("ice-servers", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRV,
      G_TYPE_STRV);

  signals[SIGNAL_INCOMING_SESSION] =
      g_signal_new ("incoming-session", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * GstConveneSignaller::session-requested:
   * @offerer: whether this side sends the first offer
   *
   * Media may start for @session_id.
   */
  signals[SIGNAL_SESSION_REQUESTED] =
      g_signal_new ("session-requested", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_BOOLEAN);

  signals[SIGNAL_SESSION_DESCRIPTION] =
      g_signal_new ("session-description", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      GST_TYPE_WEBRTC_SESSION_DESCRIPTION);

  signals[SIGNAL_HANDLE_ICE] =
      g_signal_new ("handle-ice", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING,
      G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);

  signals[SIGNAL_SESSION_ENDED] =
      g_signal_new ("session-ended", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * GstConveneSignaller::error:
   * @fatal: TRUE when the signalling connection is gone
   */
  signals[SIGNAL_ERROR] =
      g_signal_new ("error", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_BOOLEAN);

  /**
   * GstConveneSignaller::meeting-joined:
   * @meeting: the meeting id
   * @participant_id: our own participant id
   * @mode: "mesh" or "sfu"
   * @sfu: (nullable): the worker's participant id in "sfu" mode
   *
   * Emitted after the participants already there were announced with
   * "participant-joined".
   */
  signals[SIGNAL_MEETING_JOINED] =
      g_signal_new ("meeting-joined", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstConveneSignaller::participant-joined:
   * @tracks: "<kind>:<track id>" strings
   */
  signals[SIGNAL_PARTICIPANT_JOINED] =
      g_signal_new ("participant-joined", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRV);

  signals[SIGNAL_PARTICIPANT_LEFT] =
      g_signal_new ("participant-left", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  signals[SIGNAL_PARTICIPANT_TRACKS] =
      g_signal_new ("participant-tracks", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRV);

  /**
   * GstConveneSignaller::mode-changed:
   * @mode: "mesh" or "sfu"
   * @sfu: (nullable): the worker's participant id in "sfu" mode
   */
  signals[SIGNAL_MODE_CHANGED] =
      g_signal_new ("mode-changed", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * GstConveneSignaller::view:
   * @from: the subscriber
   * @participant_id: the publisher of @track
   *
   * The size @from shows @track at (0x0: not shown).  Workers only.
   */
  signals[SIGNAL_VIEW] =
      g_signal_new ("view", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 5, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);

  signals[SIGNAL_ACTIVE_SPEAKER] =
      g_signal_new ("active-speaker", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstConveneSignaller::recording:
   * @action: "start" or "stop"
   * @recording_id: the recording
   * @dir: where its chunks go
   *
   * The meeting's recording starts or stops.  Workers only
   * (docs/recording.md).
   */
  signals[SIGNAL_RECORDING] =
      g_signal_new ("recording", G_TYPE_FROM_INTERFACE (iface),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING);
}

#define CALL_VFUNC(self, name, ...) G_STMT_START {                       \
  GstConveneSignallerInterface *iface;                                  \
  g_return_if_fail (GST_IS_CONVENE_SIGNALLER (self));                   \
  iface = GST_CONVENE_SIGNALLER_GET_IFACE (self);                       \
  if (iface->name)                                                      \
    iface->name (self, ##__VA_ARGS__);                                  \
} G_STMT_END

void
gst_convene_signaller_start (GstConveneSignaller * self)
{
  CALL_VFUNC (self, start);
}

void
gst_convene_signaller_stop (GstConveneSignaller * self)
{
  CALL_VFUNC (self, stop);
}

void
gst_convene_signaller_request_session (GstConveneSignaller * self,
    const gchar * peer)
{
  CALL_VFUNC (self, request_session, peer);
}

void
gst_convene_signaller_accept_session (GstConveneSignaller * self,
    const gchar * session_id)
{
  CALL_VFUNC (self, accept_session, session_id);
}

void
gst_convene_signaller_send_sdp (GstConveneSignaller * self,
    const gchar * session_id, const GstWebRTCSessionDescription * desc)
{
  CALL_VFUNC (self, send_sdp, session_id, desc);
}

void
gst_convene_signaller_add_ice (GstConveneSignaller * self,
    const gchar * session_id, const gchar * candidate, guint mline_index,
    const gchar * mid)
{
  CALL_VFUNC (self, add_ice, session_id, candidate, mline_index, mid);
}

void
gst_convene_signaller_end_session (GstConveneSignaller * self,
    const gchar * session_id)
{
  CALL_VFUNC (self, end_session, session_id);
}

void
gst_convene_signaller_join_meeting (GstConveneSignaller * self,
    const gchar * meeting, const gchar * const *tracks)
{
  CALL_VFUNC (self, join_meeting, meeting, tracks);
}

void
gst_convene_signaller_leave_meeting (GstConveneSignaller * self,
    const gchar * meeting)
{
  CALL_VFUNC (self, leave_meeting, meeting);
}

void
gst_convene_signaller_set_tracks (GstConveneSignaller * self,
    const gchar * meeting, const gchar * const *tracks)
{
  CALL_VFUNC (self, set_tracks, meeting, tracks);
}

void
gst_convene_signaller_media_ready (GstConveneSignaller * self,
    const gchar * meeting, const gchar * mode)
{
  CALL_VFUNC (self, media_ready, meeting, mode);
}

void
gst_convene_signaller_send_active_speaker (GstConveneSignaller * self,
    const gchar * meeting, const gchar * participant_id)
{
  CALL_VFUNC (self, send_active_speaker, meeting, participant_id);
}

void
gst_convene_signaller_emit_state_changed (GstConveneSignaller * self,
    const gchar * state, const gchar * session_id, const gchar * peer,
    const gchar * reason)
{
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state, session_id,
      peer, reason);
}

void
gst_convene_signaller_emit_ice_servers (GstConveneSignaller * self,
    const gchar * const *stun_uris, const gchar * const *turn_uris)
{
  g_signal_emit (self, signals[SIGNAL_ICE_SERVERS], 0, stun_uris, turn_uris);
}

void
gst_convene_signaller_emit_incoming_session (GstConveneSignaller * self,
    const gchar * session_id, const gchar * peer)
{
  g_signal_emit (self, signals[SIGNAL_INCOMING_SESSION], 0, session_id, peer);
}

void
gst_convene_signaller_emit_session_requested (GstConveneSignaller * self,
    const gchar * session_id, const gchar * peer, gboolean offerer)
{
  g_signal_emit (self, signals[SIGNAL_SESSION_REQUESTED], 0, session_id, peer,
      offerer);
}

void
gst_convene_signaller_emit_session_description (GstConveneSignaller * self,
    const gchar * session_id, GstWebRTCSessionDescription * desc)
{
  g_signal_emit (self, signals[SIGNAL_SESSION_DESCRIPTION], 0, session_id,
      desc);
}

void
gst_convene_signaller_emit_handle_ice (GstConveneSignaller * self,
    const gchar * session_id, guint mline_index, const gchar * mid,
    const gchar * candidate)
{
  g_signal_emit (self, signals[SIGNAL_HANDLE_ICE], 0, session_id, mline_index,
      mid, candidate);
}

void
gst_convene_signaller_emit_session_ended (GstConveneSignaller * self,
    const gchar * session_id, const gchar * reason)
{
  g_signal_emit (self, signals[SIGNAL_SESSION_ENDED], 0, session_id, reason);
}

void
gst_convene_signaller_emit_error (GstConveneSignaller * self,
    const gchar * code, const gchar * message, gboolean fatal)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, code, message, fatal);
}

void
gst_convene_signaller_emit_meeting_joined (GstConveneSignaller * self,
    const gchar * meeting, const gchar * participant_id, const gchar * mode,
    const gchar * sfu)
{
  g_signal_emit (self, signals[SIGNAL_MEETING_JOINED], 0, meeting,
      participant_id, mode, sfu);
}

void
gst_convene_signaller_emit_participant_joined (GstConveneSignaller * self,
    const gchar * participant_id, const gchar * user,
    const gchar * const *tracks)
{
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_JOINED], 0, participant_id,
      user, tracks);
}

void
gst_convene_signaller_emit_participant_left (GstConveneSignaller * self,
    const gchar * participant_id)
{
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_LEFT], 0, participant_id);
}

void
gst_convene_signaller_emit_participant_tracks (GstConveneSignaller * self,
    const gchar * participant_id, const gchar * const *tracks)
{
  g_signal_emit (self, signals[SIGNAL_PARTICIPANT_TRACKS], 0, participant_id,
      tracks);
}

void
gst_convene_signaller_emit_mode_changed (GstConveneSignaller * self,
    const gchar * mode, const gchar * sfu)
{
  g_signal_emit (self, signals[SIGNAL_MODE_CHANGED], 0, mode, sfu);
}

void
gst_convene_signaller_emit_view (GstConveneSignaller * self,
    const gchar * from, const gchar * participant_id, const gchar * track,
    guint width, guint height)
{
  g_signal_emit (self, signals[SIGNAL_VIEW], 0, from, participant_id, track,
      width, height);
}

void
gst_convene_signaller_emit_active_speaker (GstConveneSignaller * self,
    const gchar * participant_id)
{
  g_signal_emit (self, signals[SIGNAL_ACTIVE_SPEAKER], 0, participant_id);
}

void
gst_convene_signaller_emit_recording (GstConveneSignaller * self,
    const gchar * action, const gchar * recording_id, const gchar * dir)
{
  g_signal_emit (self, signals[SIGNAL_RECORDING], 0, action, recording_id,
      dir);
}
