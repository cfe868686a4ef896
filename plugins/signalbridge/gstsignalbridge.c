/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-signalbridge
 * @title: signalbridge
 *
 * Bridges the Convene signalling protocol (docs/protocol.md) and webrtcbin.
 * In the client role it connects to `convened` with a token, calls the user
 * named by #GstSignalBridge:call or accepts incoming calls when
 * #GstSignalBridge:answer is set, and then exchanges SDP and trickle ICE;
 * with #GstSignalBridge:meeting it joins that meeting instead and, on the
 * SFU path, publishes its sink pads' tracks to the media worker and exposes
 * every other participant's tracks as src pads whose `participant-id` names
 * the publisher.  If the meeting's media worker dies and convened restarts
 * it, the element publishes and subscribes again: the old worker's src pads
 * go silent (no EOS; they end with the element) and the new worker's tracks
 * come as new src pads with the same `participant-id` and `track-id`, so an
 * application links those as it did the first ones (a gst-launch line,
 * which links a sometimes pad once, keeps showing the last frame).
 *
 * In the server role (`role=server`, inside the media worker) it is the
 * meeting's SFU participant: each participant's published tracks appear as
 * undecoded `pub_%u` RTP pads and the worker feeds each subscriber through
 * `sub_%u` pads made with the `add-subscriber-track` action (the contract is
 * docs/architecture.md, "Media worker").
 *
 * Raw audio and video on the request sink pads are encoded (Opus; VP8 or
 * H.264 after #GstSignalBridge:video-codec) with a video bitrate that follows
 * the receiver's loss and RTT reports (#GstSignalBridge:congestion-control).
 * Every remote track appears as a `video_src_%u` / `audio_src_%u` pad,
 * decoded to raw by default or as RTP with `decode=false`.  A src pad nobody
 * linked drops its data instead of stopping the pipeline.
 *
 * Call progress is posted as `signalbridge-call-state` element messages
 * (fields `state`, `call-id`, `peer`, `reason`); non-fatal signalling errors
 * as `signalbridge-error` (fields `code`, `message`); a lost or refused
 * signalling connection (bad token, unreachable server) is an element error.
 *
 * The signalling protocol is pluggable: #GstSignalBridge:signaller takes any
 * #GstConveneSignaller; the default speaks the Convene WebSocket protocol.
 *
 * One element run carries one call.  When it ends, the src pads get EOS, so
 * a pipeline made for the call finishes; an application EOS (`gst-launch -e`)
 * or the end of every local track hangs up.  Further incoming calls are
 * rejected while `answer=true`; start the element again for a new call.
 * The transceivers offer only the codec they send (Opus, and VP8 or H.264),
 * so two signalbridge peers must use the same #GstSignalBridge:video-codec;
 * browsers accept either.  Remote offers mid-call (a browser adding a screen
 * share) are answered; a sink pad requested mid-call renegotiates.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 -e signalbridge name=s uri=ws://127.0.0.1:8080/ws token=$T call=bob \
 *     videotestsrc is-live=true ! s. audiotestsrc is-live=true ! s. \
 *     s. ! video/x-raw ! queue ! videoconvert ! autovideosink \
 *     s. ! audio/x-raw ! queue ! autoaudiosink
 * ]| Calls bob and shows what he sends back.
 * |[
 * gst-launch-1.0 signalbridge name=s uri=ws://127.0.0.1:8080/ws token=$T answer=true \
 *     allow-loopback=true videotestsrc is-live=true ! s. \
 *     s. ! video/x-raw ! queue ! videoconvert ! autovideosink
 * ]| Answers the first incoming call.
 * |[
 * gst-launch-1.0 -e signalbridge name=s uri=ws://127.0.0.1:8080/ws token=$T meeting=standup \
 *     videotestsrc is-live=true ! s. audiotestsrc is-live=true ! s. \
 *     s. ! video/x-raw ! queue ! videoconvert ! autovideosink
 * ]| A bot in a meeting (token scoped to it); one window per other
 * participant's video.
 */

#include <string.h>

#include <gst/webrtc/webrtc.h>
#include <nice/nice.h>

#include "gstsignalbridge.h"
#include "gstsignaller.h"
#include "gstconvenewssignaller.h"
#include "congestion.h"
#include "gstsignalbridge-private.h"

GST_DEBUG_CATEGORY (gst_signal_bridge_debug);
#define GST_CAT_DEFAULT gst_signal_bridge_debug

enum
{
  PROP_0,
  PROP_URI,
  PROP_TOKEN,
  PROP_CALL,
  PROP_ANSWER,
  PROP_ICE_TRANSPORT_POLICY,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_ALLOW_LOOPBACK,
  PROP_DECODE,
  PROP_VIDEO_CODEC,
  PROP_CONGESTION_CONTROL,
  PROP_VIDEO_BITRATE,
  PROP_MIN_VIDEO_BITRATE,
  PROP_MAX_VIDEO_BITRATE,
  PROP_SIGNALLER,
  PROP_STATS,
  PROP_LATENCY,
  PROP_ROLE,
  PROP_MEETING,
};

#define DEFAULT_URI NULL
#define DEFAULT_TOKEN NULL
#define DEFAULT_CALL NULL
#define DEFAULT_ANSWER FALSE
#define DEFAULT_ICE_TRANSPORT_POLICY GST_WEBRTC_ICE_TRANSPORT_POLICY_ALL
#define DEFAULT_STUN_SERVER NULL
#define DEFAULT_TURN_SERVER NULL
#define DEFAULT_ALLOW_LOOPBACK FALSE
#define DEFAULT_DECODE TRUE
#define DEFAULT_VIDEO_CODEC GST_SIGNAL_BRIDGE_VIDEO_CODEC_VP8
#define DEFAULT_CONGESTION_CONTROL CONVENE_CONGESTION_CONTROL_LOSS_BASED
#define DEFAULT_VIDEO_BITRATE 1000000
#define DEFAULT_MIN_VIDEO_BITRATE 100000
#define DEFAULT_MAX_VIDEO_BITRATE 2500000
/* webrtcbin's jitter buffer default (200 ms) is tuned for lossy WANs; a call
 * wants less delay and NACK/RTX recovery still fits in 100 ms on most paths. */
#define DEFAULT_LATENCY 100
#define DEFAULT_ROLE GST_SIGNAL_BRIDGE_ROLE_CLIENT
#define DEFAULT_MEETING NULL

enum
{
  SIGNAL_HANGUP,
  SIGNAL_ACCEPT,
  LAST_SIGNAL
};

static guint gst_signal_bridge_signals[LAST_SIGNAL];

static GstStaticPadTemplate video_sink_template =
GST_STATIC_PAD_TEMPLATE ("video_sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-raw"));

static GstStaticPadTemplate audio_sink_template =
GST_STATIC_PAD_TEMPLATE ("audio_sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/x-raw"));

static GstStaticPadTemplate video_src_template =
GST_STATIC_PAD_TEMPLATE ("video_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS ("video/x-raw; application/x-rtp, media=(string)video"));

static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS ("audio/x-raw; application/x-rtp, media=(string)audio"));

#define gst_signal_bridge_parent_class parent_class
G_DEFINE_TYPE (GstSignalBridge, gst_signal_bridge, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (signalbridge, "signalbridge", GST_RANK_NONE,
    GST_TYPE_SIGNAL_BRIDGE);

#define GST_TYPE_SIGNAL_BRIDGE_VIDEO_CODEC (gst_signal_bridge_video_codec_get_type ())
static GType
gst_signal_bridge_video_codec_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_SIGNAL_BRIDGE_VIDEO_CODEC_VP8, "VP8", "vp8"},
    {GST_SIGNAL_BRIDGE_VIDEO_CODEC_H264, "H.264", "h264"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSignalBridgeVideoCodec", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_SIGNAL_BRIDGE_CONGESTION_CONTROL (gst_signal_bridge_congestion_control_get_type ())
static GType
gst_signal_bridge_congestion_control_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {CONVENE_CONGESTION_CONTROL_NONE, "Fixed bitrate", "none"},
    {CONVENE_CONGESTION_CONTROL_LOSS_BASED,
        "Loss and RTT based (RTCP receiver reports)", "loss-based"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t =
        g_enum_register_static ("GstSignalBridgeCongestionControl", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define GST_TYPE_SIGNAL_BRIDGE_ROLE (gst_signal_bridge_role_get_type ())
static GType
gst_signal_bridge_role_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_SIGNAL_BRIDGE_ROLE_CLIENT, "Client (calls and meetings)", "client"},
    {GST_SIGNAL_BRIDGE_ROLE_SERVER, "Server (the SFU of a meeting, in the "
          "media worker)", "server"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstSignalBridgeRole", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void gst_signal_bridge_set_signaller (GstSignalBridge * self,
    GstConveneSignaller * signaller);

/* ---------------------------------------------------------------------- */
/* Messages */

static void
post_call_state (GstSignalBridge * self, const gchar * state,
    const gchar * call_id, const gchar * peer, const gchar * reason)
{
  GstStructure *s = gst_structure_new ("signalbridge-call-state",
      "state", G_TYPE_STRING, state,
      "call-id", G_TYPE_STRING, call_id,
      "peer", G_TYPE_STRING, peer,
      "reason", G_TYPE_STRING, reason, NULL);

  GST_INFO_OBJECT (self, "call state %s (call %s, peer %s, reason %s)",
      state, GST_STR_NULL (call_id), GST_STR_NULL (peer),
      GST_STR_NULL (reason));
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* ---------------------------------------------------------------------- */
/* Negotiation (runs in webrtcbin's thread via promises) */

static gboolean
session_is_current (GstSignalBridge * self, const gchar * session_id)
{
  gboolean ret;

  SESSION_LOCK (self);
  ret = self->in_call && g_strcmp0 (self->session_id, session_id) == 0;
  SESSION_UNLOCK (self);
  return ret;
}

static gchar *
current_session_id (GstSignalBridge * self)
{
  gchar *id;

  SESSION_LOCK (self);
  id = self->in_call ? g_strdup (self->session_id) : NULL;
  SESSION_UNLOCK (self);
  return id;
}

static void
send_local_description (GstSignalBridge * self, GstPromise * promise,
    const gchar * field)
{
  const GstStructure *reply = NULL;
  GstWebRTCSessionDescription *desc = NULL;
  g_autofree gchar *session_id = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    goto fail_no_reply;
  reply = gst_promise_get_reply (promise);
  if (reply == NULL || !gst_structure_get (reply, field,
          GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL))
    goto fail_no_desc;

  session_id = current_session_id (self);
  if (session_id == NULL) {
    GST_DEBUG_OBJECT (self, "call ended while creating the %s", field);
    gst_webrtc_session_description_free (desc);
    return;
  }

  /* Send before applying: applying starts gathering, and the peer should
   * see the description before our first candidate. */
  gst_convene_signaller_send_sdp (self->signaller, session_id, desc);
  g_signal_emit_by_name (self->webrtcbin, "set-local-description", desc,
      NULL);
  gst_webrtc_session_description_free (desc);
  return;

fail_no_reply:
fail_no_desc:
  {
    GError *err = NULL;

    if (reply && gst_structure_get (reply, "error", G_TYPE_ERROR, &err, NULL)) {
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("Could not create the %s", field), ("%s", err->message));
      g_clear_error (&err);
    } else {
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("Could not create the %s", field), (NULL));
    }
  }
}

static void
on_offer_created (GstPromise * promise, gpointer user_data)
{
  send_local_description (GST_SIGNAL_BRIDGE (user_data), promise, "offer");
  gst_promise_unref (promise);
}

static void
on_answer_created (GstPromise * promise, gpointer user_data)
{
  send_local_description (GST_SIGNAL_BRIDGE (user_data), promise, "answer");
  gst_promise_unref (promise);
}

static void
create_offer (GstSignalBridge * self)
{
  GstPromise *promise;

  GST_DEBUG_OBJECT (self, "creating offer");
  promise = gst_promise_new_with_change_func (on_offer_created, self, NULL);
  g_signal_emit_by_name (self->webrtcbin, "create-offer", NULL, promise);
}

static void
on_remote_offer_set (GstPromise * promise, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (user_data);
  GstPromise *answer;

  gst_promise_unref (promise);
  GST_DEBUG_OBJECT (self, "remote offer set, creating answer");
  answer = gst_promise_new_with_change_func (on_answer_created, self, NULL);
  g_signal_emit_by_name (self->webrtcbin, "create-answer", NULL, answer);
}

/* Makes the pending mid-call offer if the peer connection is stable; the
 * flag is taken under the lock so that only one of the callers (a new
 * track, webrtcbin's negotiation-needed) makes it. */
void
gst_signal_bridge_maybe_renegotiate (GstSignalBridge * self)
{
  gboolean offer = FALSE;
  GstWebRTCSignalingState state;

  g_object_get (self->webrtcbin, "signaling-state", &state, NULL);
  SESSION_LOCK (self);
  /* The first offer is made when the call is accepted; after that only a
   * track added mid-call makes us renegotiate (the answerer's unused
   * transceivers would otherwise start an offer loop). */
  if (self->in_call && self->renegotiate
      && state == GST_WEBRTC_SIGNALING_STATE_STABLE) {
    self->renegotiate = FALSE;
    offer = TRUE;
  }
  SESSION_UNLOCK (self);

  if (offer)
    create_offer (self);
}

static void
on_negotiation_needed (GstElement * webrtc, GstSignalBridge * self)
{
  gst_signal_bridge_maybe_renegotiate (self);
}

static void
on_ice_candidate (GstElement * webrtc, guint mline, const gchar * candidate,
    GstSignalBridge * self)
{
  g_autofree gchar *session_id = current_session_id (self);

  if (session_id == NULL)
    return;
  gst_convene_signaller_add_ice (self->signaller, session_id, candidate,
      mline, NULL);
}

static void
on_connection_state (GObject * webrtc, GParamSpec * pspec,
    GstSignalBridge * self)
{
  GstWebRTCPeerConnectionState state;
  GEnumClass *klass;
  GEnumValue *value;

  g_object_get (webrtc, "connection-state", &state, NULL);
  klass = g_type_class_ref (GST_TYPE_WEBRTC_PEER_CONNECTION_STATE);
  value = g_enum_get_value (klass, state);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("signalbridge-connection-state", "state",
              G_TYPE_STRING, value ? value->value_nick : "unknown", NULL)));
  g_type_class_unref (klass);
}

/* ---------------------------------------------------------------------- */
/* Signaller events (signalling thread) */

static void
on_signaller_state (GstConveneSignaller * sig, const gchar * state,
    const gchar * session_id, const gchar * peer, const gchar * reason,
    GstSignalBridge * self)
{
  gchar *call = NULL;

  post_call_state (self, state, session_id, peer, reason);

  /* A call that is not accepted yet can still be cancelled (hangup) or,
   * when incoming, accepted (accept). */
  if (session_id && (g_str_equal (state, "calling")
          || g_str_equal (state, "ringing")
          || g_str_equal (state, "incoming"))) {
    SESSION_LOCK (self);
    g_free (self->pending_id);
    self->pending_id = g_strdup (session_id);
    SESSION_UNLOCK (self);
  } else if (session_id && g_str_equal (state, "ended")) {
    SESSION_LOCK (self);
    if (g_strcmp0 (self->pending_id, session_id) == 0)
      g_clear_pointer (&self->pending_id, g_free);
    SESSION_UNLOCK (self);
  }

  if (g_strcmp0 (state, "connected") != 0)
    return;

  if (self->role == GST_SIGNAL_BRIDGE_ROLE_SERVER) {
    gst_signal_bridge_server_connected (self);
    return;
  }
  /* In a meeting, the call property is not used. */
  if (gst_signal_bridge_meeting_connected (self))
    return;

  SESSION_LOCK (self);
  GST_OBJECT_LOCK (self);
  /* Call once per element run, even if the signaller reconnects. */
  if (self->call && self->call[0] && !self->call_sent) {
    call = g_strdup (self->call);
    self->call_sent = TRUE;
  }
  GST_OBJECT_UNLOCK (self);
  SESSION_UNLOCK (self);

  if (call) {
    GST_INFO_OBJECT (self, "calling %s", call);
    gst_convene_signaller_request_session (sig, call);
    g_free (call);
  }
}

static void
on_signaller_ice_servers (GstConveneSignaller * sig, GStrv stun, GStrv turn,
    GstSignalBridge * self)
{
  gboolean own_stun, own_turn;
  guint i;

  GST_OBJECT_LOCK (self);
  own_stun = self->stun_server != NULL;
  own_turn = self->turn_server != NULL;
  g_strfreev (self->server_stun);
  self->server_stun = g_strdupv (stun);
  g_strfreev (self->server_turn);
  self->server_turn = g_strdupv (turn);
  GST_OBJECT_UNLOCK (self);

  /* The properties override what the server hands out. */
  if (!own_stun && stun && stun[0])
    g_object_set (self->webrtcbin, "stun-server", stun[0], NULL);
  for (i = 0; !own_turn && turn && turn[i]; i++) {
    gboolean ok = FALSE;

    g_signal_emit_by_name (self->webrtcbin, "add-turn-server", turn[i], &ok);
    if (!ok)
      GST_WARNING_OBJECT (self, "webrtcbin refused a TURN server");
  }
}

static void
on_signaller_incoming (GstConveneSignaller * sig, const gchar * session_id,
    const gchar * peer, GstSignalBridge * self)
{
  gboolean answer, accept;

  SESSION_LOCK (self);
  GST_OBJECT_LOCK (self);
  answer = self->answer;
  /* One webrtcbin carries one call: a second one would need fresh
   * transceivers, so after the first call a new element run is needed. */
  accept = answer && !self->in_call && !self->had_call;
  GST_OBJECT_UNLOCK (self);
  SESSION_UNLOCK (self);

  if (accept) {
    GST_INFO_OBJECT (self, "accepting call %s from %s", session_id, peer);
    gst_convene_signaller_accept_session (sig, session_id);
  } else if (answer) {
    /* Reject at once rather than let the caller ring into a timeout. */
    GST_INFO_OBJECT (self, "rejecting call %s from %s: this element has "
        "already carried a call", session_id, peer);
    gst_convene_signaller_end_session (sig, session_id);
  }
}

static void
on_signaller_session_requested (GstConveneSignaller * sig,
    const gchar * session_id, const gchar * peer, gboolean offerer,
    GstSignalBridge * self)
{
  gst_signal_bridge_start_session (self, session_id, peer, offerer);
}

/* Media may start on the element's own webrtcbin: a call accepted, or a
 * meeting's publish session. */
void
gst_signal_bridge_start_session (GstSignalBridge * self,
    const gchar * session_id, const gchar * peer, gboolean offerer)
{
  SESSION_LOCK (self);
  if (self->in_call) {
    SESSION_UNLOCK (self);
    GST_WARNING_OBJECT (self, "already in a call, ending %s", session_id);
    gst_convene_signaller_end_session (self->signaller, session_id);
    return;
  }
  g_free (self->session_id);
  self->session_id = g_strdup (session_id);
  g_free (self->peer);
  self->peer = g_strdup (peer);
  self->offerer = offerer;
  self->in_call = TRUE;
  self->had_call = TRUE;
  g_clear_pointer (&self->pending_id, g_free);
  self->renegotiate = FALSE;
  SESSION_UNLOCK (self);

  if (offerer)
    create_offer (self);
}

static void
on_remote_answer_set (GstPromise * promise, gpointer user_data)
{
  GstSignalBridge *self = user_data;
  const GstStructure *reply = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "error"))
    GST_WARNING_OBJECT (self, "the remote answer was refused: %"
        GST_PTR_FORMAT, reply);
  else
    g_atomic_int_inc (&self->answers_applied);
  gst_promise_unref (promise);
}

static void
on_signaller_description (GstConveneSignaller * sig, const gchar * session_id,
    GstWebRTCSessionDescription * desc, GstSignalBridge * self)
{
  GstPromise *promise;

  if (gst_signal_bridge_server_handle_description (self, session_id, desc)
      || gst_signal_bridge_meeting_handle_description (self, session_id,
          desc))
    return;
  if (!session_is_current (self, session_id)) {
    GST_WARNING_OBJECT (self, "ignoring SDP for unknown call %s", session_id);
    return;
  }

  if (desc->type == GST_WEBRTC_SDP_TYPE_OFFER) {
    GST_DEBUG_OBJECT (self, "remote offer");
    promise = gst_promise_new_with_change_func (on_remote_offer_set, self,
        NULL);
  } else if (desc->type == GST_WEBRTC_SDP_TYPE_ANSWER) {
    GST_DEBUG_OBJECT (self, "remote answer");
    promise = gst_promise_new_with_change_func (on_remote_answer_set, self,
        NULL);
  } else {
    GST_WARNING_OBJECT (self, "ignoring SDP of type %d", desc->type);
    return;
  }
  g_signal_emit_by_name (self->webrtcbin, "set-remote-description", desc,
      promise);
}

static void
on_signaller_ice (GstConveneSignaller * sig, const gchar * session_id,
    guint mline, const gchar * mid, const gchar * candidate,
    GstSignalBridge * self)
{
  if (gst_signal_bridge_server_handle_ice (self, session_id, mline,
          candidate)
      || gst_signal_bridge_meeting_handle_ice (self, session_id, mline,
          candidate))
    return;
  if (!session_is_current (self, session_id))
    return;
  /* End of candidates: libnice needs no notice of it. */
  if (candidate == NULL || candidate[0] == '\0')
    return;
  g_signal_emit_by_name (self->webrtcbin, "add-ice-candidate", mline,
      candidate);
}

static void
on_signaller_session_ended (GstConveneSignaller * sig,
    const gchar * session_id, const gchar * reason, GstSignalBridge * self)
{
  gboolean ours;

  SESSION_LOCK (self);
  ours = g_strcmp0 (self->session_id, session_id) == 0;
  if (ours)
    self->in_call = FALSE;
  SESSION_UNLOCK (self);

  /* The remote tracks are over: tell downstream, so that a pipeline made
   * for one call (gst-launch) finishes. */
  if (ours)
    gst_element_call_async (GST_ELEMENT (self),
        gst_signal_bridge_eos_src_pads, NULL, NULL);
}

static void
on_signaller_error (GstConveneSignaller * sig, const gchar * code,
    const gchar * message, gboolean fatal, GstSignalBridge * self)
{
  if (fatal)
    goto fail_signalling;

  GST_WARNING_OBJECT (self, "signalling error %s: %s", code, message);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("signalbridge-error", "code", G_TYPE_STRING,
              code, "message", G_TYPE_STRING, message, NULL)));
  return;

fail_signalling:
  if (g_strcmp0 (code, "auth-failed") == 0
      || g_strcmp0 (code, "token-expired") == 0
      || g_strcmp0 (code, "unknown-user") == 0
      || g_strcmp0 (code, "auth-required") == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_AUTHORIZED,
        ("Signalling server refused the token (%s): %s", code, message),
        ("error code %s", code));
  } else if (g_strcmp0 (code, "bad-uri") == 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", message),
        ("error code %s", code));
  } else {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE, ("%s", message),
        ("error code %s", code));
  }
}

/* ---------------------------------------------------------------------- */
/* ICE agent */

/* Turns UPnP off on @webrtc's libnice agent and, with allow-loopback, adds
 * the loopback address; returns FALSE if there is no libnice agent. */
gboolean
gst_signal_bridge_configure_agent (GstSignalBridge * self, GstElement * webrtc)
{
  GObject *ice = NULL;
  NiceAgent *agent = NULL;
  gboolean loopback;
  GList *ips, *l;

  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (ice == NULL)
    goto fail_no_agent;
  if (!g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent")) {
    gst_object_unref (ice);
    goto fail_no_agent;
  }
  g_object_get (ice, "agent", &agent, NULL);
  gst_object_unref (ice);
  if (agent == NULL)
    goto fail_no_agent;

  /* UPnP would send SSDP multicast to every LAN we sit on. */
  g_object_set (agent, "upnp", FALSE, NULL);

  GST_OBJECT_LOCK (self);
  loopback = self->allow_loopback;
  GST_OBJECT_UNLOCK (self);

  if (loopback) {
    NiceAddress addr;

    /* libnice skips loopback interfaces, and once any local address is
     * given it gathers on nothing else: add the usual ones back too so the
     * element behaves the same outside a loopback-only namespace. */
    ips = nice_interfaces_get_local_ips (FALSE);
    for (l = ips; l; l = l->next) {
      nice_address_init (&addr);
      if (nice_address_set_from_string (&addr, l->data))
        nice_agent_add_local_address (agent, &addr);
    }
    g_list_free_full (ips, g_free);
    nice_address_init (&addr);
    nice_address_set_from_string (&addr, "127.0.0.1");
    nice_agent_add_local_address (agent, &addr);
  }
  g_object_unref (agent);
  return TRUE;

fail_no_agent:
  GST_WARNING_OBJECT (self, "webrtcbin has no libnice agent: cannot turn "
      "UPnP off or add loopback addresses");
  return FALSE;
}

static void
configure_ice_agent (GstSignalBridge * self)
{
  if (!self->agent_configured)
    self->agent_configured =
        gst_signal_bridge_configure_agent (self, self->webrtcbin);
}

static void
configure_webrtcbin (GstSignalBridge * self)
{
  GstWebRTCICETransportPolicy policy;
  gchar *stun, *turn;

  GST_OBJECT_LOCK (self);
  policy = self->ice_transport_policy;
  stun = g_strdup (self->stun_server);
  turn = g_strdup (self->turn_server);
  GST_OBJECT_UNLOCK (self);

  g_object_set (self->webrtcbin, "ice-transport-policy", policy, NULL);
  if (stun)
    g_object_set (self->webrtcbin, "stun-server", stun, NULL);
  if (turn)
    g_object_set (self->webrtcbin, "turn-server", turn, NULL);
  g_free (stun);
  g_free (turn);

  configure_ice_agent (self);
}

/* ---------------------------------------------------------------------- */
/* State changes */

void
gst_signal_bridge_hangup (GstSignalBridge * self)
{
  gchar *session_id;

  SESSION_LOCK (self);
  if (self->in_call)
    session_id = g_strdup (self->session_id);
  else
    session_id = g_strdup (self->pending_id);
  self->in_call = FALSE;
  g_clear_pointer (&self->pending_id, g_free);
  SESSION_UNLOCK (self);

  if (session_id) {
    GST_INFO_OBJECT (self, "hanging up %s", session_id);
    gst_convene_signaller_end_session (self->signaller, session_id);
    g_free (session_id);
  }
}

static void
start_signaller (GstSignalBridge * self)
{
  PADS_LOCK (self);
  self->eos_sinks = 0;
  self->tracks_ended = FALSE;
  PADS_UNLOCK (self);

  SESSION_LOCK (self);
  self->call_sent = FALSE;
  self->signaller_running = TRUE;
  SESSION_UNLOCK (self);
  gst_convene_signaller_start (self->signaller);
}

static void
stop_signaller (GstSignalBridge * self)
{
  gboolean running;

  gst_signal_bridge_hangup (self);
  gst_signal_bridge_meeting_stop (self);
  SESSION_LOCK (self);
  running = self->signaller_running;
  self->signaller_running = FALSE;
  SESSION_UNLOCK (self);
  if (running)
    gst_convene_signaller_stop (self->signaller);
}

static GstStateChangeReturn
gst_signal_bridge_change_state (GstElement * element,
    GstStateChange transition)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (element);
  GstStateChangeReturn ret;

  if (self->webrtcbin == NULL)
    goto fail_no_webrtcbin;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      /* The server role makes a webrtcbin per participant session; the
       * client's own one stays in NULL (no ICE agent, no sockets). */
      gst_element_set_locked_state (self->webrtcbin,
          self->role == GST_SIGNAL_BRIDGE_ROLE_SERVER);
      if (self->role == GST_SIGNAL_BRIDGE_ROLE_SERVER)
        gst_element_set_state (self->webrtcbin, GST_STATE_NULL);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      gst_signal_bridge_server_pausing (self, TRUE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      if (self->role == GST_SIGNAL_BRIDGE_ROLE_SERVER
          && GST_STATE (self) == GST_STATE_PAUSED && self->server_pausing)
        gst_signal_bridge_server_unblock (self, FALSE);
      gst_signal_bridge_server_pausing (self, FALSE);
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (self->role == GST_SIGNAL_BRIDGE_ROLE_CLIENT) {
        configure_webrtcbin (self);
        gst_signal_bridge_start_stats (self);
      }
      start_signaller (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      /* Remote tracks arrive whenever the peer sends them: like any live
       * source we cannot preroll. */
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      if (self->role == GST_SIGNAL_BRIDGE_ROLE_SERVER)
        gst_signal_bridge_server_unblock (self, TRUE);
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_signaller (self);
      gst_signal_bridge_stop_stats (self);
      gst_signal_bridge_server_stop (self);
      break;
    default:
      break;
  }
  return ret;

fail_no_webrtcbin:
  GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("webrtcbin is missing"),
      ("install gst-plugins-bad's webrtc plugin"));
  return GST_STATE_CHANGE_FAILURE;
}

static gboolean
gst_signal_bridge_send_event (GstElement * element, GstEvent * event)
{
  /* An application ending the pipeline (gst-launch -e) ends the call: hang
   * up and EOS our src pads at once instead of waiting for the local
   * tracks' EOS to work its way through encoders that may be stalled. The
   * network side (webrtcbin's sources) must not see it. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    GST_INFO_OBJECT (element, "EOS from the application");
    gst_event_unref (event);
    gst_element_call_async (element, gst_signal_bridge_local_media_ended,
        NULL, NULL);
    return TRUE;
  }
  return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
}

/* ---------------------------------------------------------------------- */
/* Signaller plumbing */

static void
gst_signal_bridge_set_signaller (GstSignalBridge * self,
    GstConveneSignaller * signaller)
{
  GstConveneSignaller *old;

  GST_OBJECT_LOCK (self);
  old = self->signaller;
  self->signaller = g_object_ref (signaller);
  GST_OBJECT_UNLOCK (self);

  if (old) {
    g_signal_handlers_disconnect_by_data (old, self);
    g_object_unref (old);
  }

  g_signal_connect (signaller, "state-changed",
      G_CALLBACK (on_signaller_state), self);
  g_signal_connect (signaller, "ice-servers",
      G_CALLBACK (on_signaller_ice_servers), self);
  g_signal_connect (signaller, "incoming-session",
      G_CALLBACK (on_signaller_incoming), self);
  g_signal_connect (signaller, "session-requested",
      G_CALLBACK (on_signaller_session_requested), self);
  g_signal_connect (signaller, "session-description",
      G_CALLBACK (on_signaller_description), self);
  g_signal_connect (signaller, "handle-ice",
      G_CALLBACK (on_signaller_ice), self);
  g_signal_connect (signaller, "session-ended",
      G_CALLBACK (on_signaller_session_ended), self);
  g_signal_connect (signaller, "error", G_CALLBACK (on_signaller_error), self);
  gst_signal_bridge_server_connect_signaller (self, signaller);
  gst_signal_bridge_meeting_connect_signaller (self, signaller);
}

/* uri and token belong to the signaller; forward them when it has them. */
static void
forward_to_signaller (GstSignalBridge * self, const gchar * prop,
    const GValue * value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (self->signaller),
          prop))
    g_object_set_property (G_OBJECT (self->signaller), prop, value);
  else
    GST_WARNING_OBJECT (self, "signaller has no '%s' property", prop);
}

static void
read_from_signaller (GstSignalBridge * self, const gchar * prop,
    GValue * value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (self->signaller),
          prop))
    g_object_get_property (G_OBJECT (self->signaller), prop, value);
}

static void
gst_signal_bridge_hangup_action (GstSignalBridge * self)
{
  gst_signal_bridge_hangup (self);
}

static void
gst_signal_bridge_accept_action (GstSignalBridge * self)
{
  gchar *id;

  SESSION_LOCK (self);
  id = self->in_call || self->had_call ? NULL : g_strdup (self->pending_id);
  SESSION_UNLOCK (self);

  if (id == NULL) {
    GST_WARNING_OBJECT (self, "no call to accept");
    return;
  }
  GST_INFO_OBJECT (self, "accepting call %s", id);
  gst_convene_signaller_accept_session (self->signaller, id);
  g_free (id);
}

/* ---------------------------------------------------------------------- */
/* GObject */

static void
gst_signal_bridge_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (object);

  switch (prop_id) {
    case PROP_URI:
      forward_to_signaller (self, "uri", value);
      return;
    case PROP_TOKEN:
      forward_to_signaller (self, "token", value);
      return;
    case PROP_LATENCY:
      if (self->webrtcbin)
        g_object_set_property (G_OBJECT (self->webrtcbin), "latency", value);
      return;
    case PROP_SIGNALLER:{
      gboolean running;

      SESSION_LOCK (self);
      running = self->signaller_running;
      SESSION_UNLOCK (self);
      if (running)
        GST_WARNING_OBJECT (self, "cannot change the signaller while running");
      else if (g_value_get_object (value))
        gst_signal_bridge_set_signaller (self, g_value_get_object (value));
      return;
    }
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CALL:
      g_free (self->call);
      self->call = g_value_dup_string (value);
      break;
    case PROP_ANSWER:
      self->answer = g_value_get_boolean (value);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      self->ice_transport_policy = g_value_get_enum (value);
      break;
    case PROP_STUN_SERVER:
      g_free (self->stun_server);
      self->stun_server = g_value_dup_string (value);
      break;
    case PROP_TURN_SERVER:
      g_free (self->turn_server);
      self->turn_server = g_value_dup_string (value);
      break;
    case PROP_ALLOW_LOOPBACK:
      self->allow_loopback = g_value_get_boolean (value);
      break;
    case PROP_DECODE:
      self->decode = g_value_get_boolean (value);
      break;
    case PROP_VIDEO_CODEC:
      self->video_codec = g_value_get_enum (value);
      break;
    case PROP_CONGESTION_CONTROL:
      self->congestion_control = g_value_get_enum (value);
      break;
    case PROP_VIDEO_BITRATE:
      self->video_bitrate = g_value_get_uint (value);
      break;
    case PROP_MIN_VIDEO_BITRATE:
      self->min_video_bitrate = g_value_get_uint (value);
      break;
    case PROP_MAX_VIDEO_BITRATE:
      self->max_video_bitrate = g_value_get_uint (value);
      break;
    case PROP_ROLE:
      self->role = g_value_get_enum (value);
      break;
    case PROP_MEETING:
      g_free (self->meeting);
      self->meeting = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_signal_bridge_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (object);

  switch (prop_id) {
    case PROP_URI:
      read_from_signaller (self, "uri", value);
      return;
    case PROP_TOKEN:
      read_from_signaller (self, "token", value);
      return;
    case PROP_LATENCY:
      if (self->webrtcbin)
        g_object_get_property (G_OBJECT (self->webrtcbin), "latency", value);
      return;
    case PROP_STATS:
      STATS_LOCK (self);
      gst_value_set_structure (value, self->last_stats);
      STATS_UNLOCK (self);
      return;
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CALL:
      g_value_set_string (value, self->call);
      break;
    case PROP_ANSWER:
      g_value_set_boolean (value, self->answer);
      break;
    case PROP_ICE_TRANSPORT_POLICY:
      g_value_set_enum (value, self->ice_transport_policy);
      break;
    case PROP_STUN_SERVER:
      g_value_set_string (value, self->stun_server);
      break;
    case PROP_TURN_SERVER:
      g_value_set_string (value, self->turn_server);
      break;
    case PROP_ALLOW_LOOPBACK:
      g_value_set_boolean (value, self->allow_loopback);
      break;
    case PROP_DECODE:
      g_value_set_boolean (value, self->decode);
      break;
    case PROP_VIDEO_CODEC:
      g_value_set_enum (value, self->video_codec);
      break;
    case PROP_CONGESTION_CONTROL:
      g_value_set_enum (value, self->congestion_control);
      break;
    case PROP_VIDEO_BITRATE:
      g_value_set_uint (value, self->video_bitrate);
      break;
    case PROP_MIN_VIDEO_BITRATE:
      g_value_set_uint (value, self->min_video_bitrate);
      break;
    case PROP_MAX_VIDEO_BITRATE:
      g_value_set_uint (value, self->max_video_bitrate);
      break;
    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;
    case PROP_MEETING:
      g_value_set_string (value, self->meeting);
      break;
    case PROP_SIGNALLER:
      g_value_set_object (value, self->signaller);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_signal_bridge_dispose (GObject * object)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (object);

  gst_signal_bridge_stop_stats (self);
  if (self->signaller) {
    stop_signaller (self);
    g_signal_handlers_disconnect_by_data (self->signaller, self);
    g_clear_object (&self->signaller);
  }
  PADS_LOCK (self);
  g_list_free_full (self->video_encoders, gst_object_unref);
  self->video_encoders = NULL;
  PADS_UNLOCK (self);

  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void
gst_signal_bridge_finalize (GObject * object)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (object);

  if (self->webrtcbin)
    gst_object_unref (self->webrtcbin);
  g_free (self->call);
  g_free (self->stun_server);
  g_free (self->turn_server);
  g_free (self->session_id);
  g_free (self->peer);
  g_free (self->pending_id);
  g_free (self->meeting);
  g_strfreev (self->server_stun);
  g_strfreev (self->server_turn);
  gst_signal_bridge_server_finalize (self);
  g_free (self->sfu_id);
  g_free (self->own_participant_id_client);
  if (self->sub_mids)
    g_hash_table_unref (self->sub_mids);
  g_mutex_clear (&self->meeting_lock);
  if (self->last_stats)
    gst_structure_free (self->last_stats);
  g_mutex_clear (&self->session_lock);
  g_mutex_clear (&self->pads_lock);
  g_mutex_clear (&self->stats_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_signal_bridge_class_init (GstSignalBridgeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_signal_bridge_debug, "signalbridge", 0,
      "Convene signalling <-> webrtcbin bridge");

  gobject_class->set_property = gst_signal_bridge_set_property;
  gobject_class->get_property = gst_signal_bridge_get_property;
  gobject_class->dispose = gst_signal_bridge_dispose;
  gobject_class->finalize = gst_signal_bridge_finalize;

  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
          "Signalling server WebSocket URI (ws://host:port/ws)", DEFAULT_URI,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TOKEN,
      g_param_spec_string ("token", "Token",
          "Access token (JWT) for the signalling server", DEFAULT_TOKEN,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CALL,
      g_param_spec_string ("call", "Call",
          "User to call once connected", DEFAULT_CALL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ANSWER,
      g_param_spec_boolean ("answer", "Answer",
          "Accept incoming calls automatically", DEFAULT_ANSWER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ICE_TRANSPORT_POLICY,
      g_param_spec_enum ("ice-transport-policy", "ICE transport policy",
          "Which candidates ICE may use (relay: TURN only)",
          GST_TYPE_WEBRTC_ICE_TRANSPORT_POLICY, DEFAULT_ICE_TRANSPORT_POLICY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STUN_SERVER,
      g_param_spec_string ("stun-server", "STUN server",
          "STUN server (stun://host:port), overriding the server's list",
          DEFAULT_STUN_SERVER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TURN_SERVER,
      g_param_spec_string ("turn-server", "TURN server",
          "TURN server (turn://user:pass@host:port, user and pass "
          "URI-escaped), overriding the server's list", DEFAULT_TURN_SERVER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ALLOW_LOOPBACK,
      g_param_spec_boolean ("allow-loopback", "Allow loopback",
          "Also gather 127.0.0.1 host candidates (libnice skips loopback)",
          DEFAULT_ALLOW_LOOPBACK,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_DECODE,
      g_param_spec_boolean ("decode", "Decode",
          "Decode remote tracks to raw (else expose RTP)", DEFAULT_DECODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_VIDEO_CODEC,
      g_param_spec_enum ("video-codec", "Video codec",
          "Codec for video sink pads requested from now on",
          GST_TYPE_SIGNAL_BRIDGE_VIDEO_CODEC, DEFAULT_VIDEO_CODEC,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CONGESTION_CONTROL,
      g_param_spec_enum ("congestion-control", "Congestion control",
          "How the video bitrate follows the receiver's reports",
          GST_TYPE_SIGNAL_BRIDGE_CONGESTION_CONTROL,
          DEFAULT_CONGESTION_CONTROL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_VIDEO_BITRATE,
      g_param_spec_uint ("video-bitrate", "Video bitrate",
          "Initial (or, without congestion control, fixed) video bitrate "
          "in bit/s", 10000, G_MAXINT, DEFAULT_VIDEO_BITRATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MIN_VIDEO_BITRATE,
      g_param_spec_uint ("min-video-bitrate", "Minimum video bitrate",
          "Congestion control never goes below this (bit/s)", 10000,
          G_MAXINT, DEFAULT_MIN_VIDEO_BITRATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_VIDEO_BITRATE,
      g_param_spec_uint ("max-video-bitrate", "Maximum video bitrate",
          "Congestion control never goes above this (bit/s)", 10000,
          G_MAXINT, DEFAULT_MAX_VIDEO_BITRATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SIGNALLER,
      g_param_spec_object ("signaller", "Signaller",
          "The signalling implementation (default: Convene WebSocket)",
          GST_TYPE_CONVENE_SIGNALLER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_LATENCY,
      g_param_spec_uint ("latency", "Latency",
          "Receive jitter buffer size in ms", 0, G_MAXUINT, DEFAULT_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ROLE,
      g_param_spec_enum ("role", "Role",
          "client: calls, or a meeting with the meeting property; server: "
          "the SFU participant of the meeting (media worker)",
          GST_TYPE_SIGNAL_BRIDGE_ROLE, DEFAULT_ROLE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MEETING,
      g_param_spec_string ("meeting", "Meeting",
          "Meeting to join once connected", DEFAULT_MEETING,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "The last statistics read from webrtcbin (refreshed every second)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSignalBridge::hangup:
   *
   * Ends the current call (or cancels / rejects it while ringing).
   */
  gst_signal_bridge_signals[SIGNAL_HANGUP] =
      g_signal_new_class_handler ("hangup", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_signal_bridge_hangup_action), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  /**
   * GstSignalBridge::accept:
   *
   * Accepts the ringing incoming call (the one announced by the last
   * `incoming` call-state message), for applications that answer
   * themselves instead of setting #GstSignalBridge:answer.
   */
  gst_signal_bridge_signals[SIGNAL_ACCEPT] =
      g_signal_new_class_handler ("accept", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_signal_bridge_accept_action), NULL, NULL, NULL,
      G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class,
      &video_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_signal_bridge_change_state);
  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_signal_bridge_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_signal_bridge_release_pad);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_signal_bridge_send_event);

  gst_element_class_set_static_metadata (element_class,
      "Convene signalling bridge", "Filter/Network/WebRTC",
      "Calls and answers through the Convene signalling server and carries "
      "the media with webrtcbin",
      "Convene contributors");

  gst_signal_bridge_server_class_init (klass);

  gst_type_mark_as_plugin_api (GST_TYPE_SIGNAL_BRIDGE_VIDEO_CODEC, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SIGNAL_BRIDGE_ROLE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SIGNAL_BRIDGE_CONGESTION_CONTROL, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CONVENE_SIGNALLER, 0);
}

static void
gst_signal_bridge_init (GstSignalBridge * self)
{
  GstConveneSignaller *signaller;

  g_mutex_init (&self->session_lock);
  g_mutex_init (&self->pads_lock);
  g_mutex_init (&self->stats_lock);
  gst_signal_bridge_server_init (self);
  g_mutex_init (&self->meeting_lock);
  self->role = DEFAULT_ROLE;
  self->meeting = g_strdup (DEFAULT_MEETING);

  self->call = g_strdup (DEFAULT_CALL);
  self->answer = DEFAULT_ANSWER;
  self->ice_transport_policy = DEFAULT_ICE_TRANSPORT_POLICY;
  self->stun_server = g_strdup (DEFAULT_STUN_SERVER);
  self->turn_server = g_strdup (DEFAULT_TURN_SERVER);
  self->allow_loopback = DEFAULT_ALLOW_LOOPBACK;
  self->decode = DEFAULT_DECODE;
  self->video_codec = DEFAULT_VIDEO_CODEC;
  self->congestion_control = DEFAULT_CONGESTION_CONTROL;
  self->video_bitrate = DEFAULT_VIDEO_BITRATE;
  self->min_video_bitrate = DEFAULT_MIN_VIDEO_BITRATE;
  self->max_video_bitrate = DEFAULT_MAX_VIDEO_BITRATE;

  self->webrtcbin = gst_element_factory_make ("webrtcbin", "webrtcbin");
  if (self->webrtcbin) {
    gst_util_set_object_arg (G_OBJECT (self->webrtcbin), "bundle-policy",
        "max-bundle");
    g_object_set (self->webrtcbin, "latency", DEFAULT_LATENCY, NULL);
    g_signal_connect (self->webrtcbin, "on-negotiation-needed",
        G_CALLBACK (on_negotiation_needed), self);
    g_signal_connect (self->webrtcbin, "on-ice-candidate",
        G_CALLBACK (on_ice_candidate), self);
    g_signal_connect (self->webrtcbin, "pad-added",
        G_CALLBACK (gst_signal_bridge_on_webrtc_pad_added), self);
    g_signal_connect (self->webrtcbin, "notify::connection-state",
        G_CALLBACK (on_connection_state), self);
    /* Our own reference: request pads are released after GstBin's dispose
     * has dropped its children. */
    gst_bin_add (GST_BIN (self), gst_object_ref (self->webrtcbin));
    /* webrtcbin holds network sinks, which makes GstBin flag us as a sink:
     * the pipeline would then wait for an EOS that only a network sink
     * could post, and gst-launch -e would never finish.  For the pipeline we
     * are a source of remote tracks and a consumer of local ones; EOS is
     * ours to give on the src pads. */
    GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK);
    /* ...and a source: the pipeline then hands us its EOS (gst-launch -e)
     * directly, see send_event. */
    GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
  } else {
    GST_ERROR_OBJECT (self, "webrtcbin is missing");
  }

  signaller = g_object_new (GST_TYPE_CONVENE_WS_SIGNALLER, NULL);
  gst_signal_bridge_set_signaller (self, signaller);
  g_object_unref (signaller);
}
