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
