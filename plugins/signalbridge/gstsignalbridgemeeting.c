/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* signalbridge as a meeting participant (role=client, meeting=ID): a bot
 * of docs/protocol.md's "Meetings" on the SFU path.
 *
 * The element's own webrtcbin, fed by the encoding chains of the sink pads
 * as in a call, is the publish session ("<sfu>/publish", we offer); a
 * second webrtcbin answers the worker's subscribe offers and each of its
 * tracks becomes a src pad, decoded as in a call, whose participant-id
 * names the publisher (the m-line's msid).
 *
 * When the worker dies (participant-left of the sfu, then mode sfu with the
 * restarted worker's id) both sessions are rebuilt with the new worker.  The
 * element's own webrtcbin cannot start a second peer connection, so the
 * encoding chains are moved, each at an idle moment of its payloader, to a
 * fresh publish webrtcbin (pub_webrtcbin) and the old one is stopped.  The
 * old subscribe session goes: its src pads stay, silent, until the element
 * stops (no EOS, which could end a pipeline whose only sinks they feed), and
 * the new worker's tracks come as new src pads with the same participant-id
 * and track-id. */

#include <string.h>

#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include "gstsignalbridge-private.h"
#include "sdpmunge.h"

#define GST_CAT_DEFAULT gst_signal_bridge_debug

/* Make-before-break: media-ready goes out when media arrives over the new
 * path, or after this long (docs/protocol.md). */
#define MEDIA_READY_TIMEOUT (5 * GST_SECOND)

static gchar *
meeting_name (GstSignalBridge * self)
{
  gchar *meeting;

  GST_OBJECT_LOCK (self);
  meeting = self->role == GST_SIGNAL_BRIDGE_ROLE_CLIENT && self->meeting
      && self->meeting[0] ? g_strdup (self->meeting) : NULL;
  GST_OBJECT_UNLOCK (self);
  return meeting;
}

gboolean
gst_signal_bridge_meeting_connected (GstSignalBridge * self)
{
  g_autofree gchar *meeting = meeting_name (self);
  GPtrArray *tracks;
  GList *l;

  if (meeting == NULL)
    return FALSE;

  /* What we publish: one track per sink pad, named after it. */
  tracks = g_ptr_array_new_with_free_func (g_free);
  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    const gchar *name = GST_PAD_NAME (l->data);

    if (g_str_has_prefix (name, "video_sink_"))
      g_ptr_array_add (tracks, g_strdup_printf ("video:%s", name));
    else if (g_str_has_prefix (name, "audio_sink_"))
      g_ptr_array_add (tracks, g_strdup_printf ("audio:%s", name));
  }
  GST_OBJECT_UNLOCK (self);
  g_ptr_array_add (tracks, NULL);

  GST_INFO_OBJECT (self, "joining meeting %s with %u tracks", meeting,
      tracks->len - 1);
  gst_convene_signaller_join_meeting (self->signaller, meeting,
      (const gchar * const *) tracks->pdata);
  g_ptr_array_unref (tracks);
  return TRUE;
}

static void
send_media_ready (GstSignalBridge * self)
{
  g_autofree gchar *meeting = meeting_name (self);
  gboolean send;

  MEETING_LOCK (self);
  send = self->ready_pending;
  self->ready_pending = FALSE;
  if (self->ready_timer) {
    gst_clock_id_unschedule (self->ready_timer);
    gst_clock_id_unref (self->ready_timer);
    self->ready_timer = NULL;
  }
  MEETING_UNLOCK (self);

  if (send && meeting) {
    GST_INFO_OBJECT (self, "media ready on the SFU path");
    gst_convene_signaller_media_ready (self->signaller, meeting, "sfu");
  }
}

static gboolean
on_ready_timeout (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  send_media_ready (GST_SIGNAL_BRIDGE (user_data));
  return TRUE;
}

/* Call with MEETING_LOCK taken. */
static void
close_subscribe_locked (GstSignalBridge * self, GstElement ** webrtc)
{
  *webrtc = self->sub_webrtcbin;
  self->sub_webrtcbin = NULL;
  g_clear_pointer (&self->sub_mids, g_hash_table_unref);
}

static void
dispose_webrtcbin (GstSignalBridge * self, GstElement * webrtc)
{
  if (webrtc == NULL)
    return;
  g_signal_handlers_disconnect_by_data (webrtc, self);
  gst_signal_bridge_remove_webrtcbin (self, webrtc);
  gst_object_unref (webrtc);
}

/* Our publish offer names each track after its sink pad, as announced in
 * join (a=msid "<participant_id> <pad name>"): webrtcbin 1.22 copies "a-"
 * fields of the codec preferences into the m-line. */
static void
name_published_tracks (GstSignalBridge * self)
{
  gchar *stream;
  GList *pads = NULL, *l;

  MEETING_LOCK (self);
  stream = g_strdup (self->own_participant_id_client ?
      self->own_participant_id_client : "gst");
  MEETING_UNLOCK (self);

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    pads = g_list_prepend (pads, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self);

  for (l = pads; l; l = l->next) {
    GstPad *webrtc_pad = g_object_get_data (l->data,
        "signalbridge-webrtc-pad");
    GstWebRTCRTPTransceiver *trans = NULL;
    GstCaps *prefs = NULL;

    if (webrtc_pad)
      g_object_get (webrtc_pad, "transceiver", &trans, NULL);
    if (trans)
      g_object_get (trans, "codec-preferences", &prefs, NULL);
    if (prefs) {
      g_autofree gchar *msid = g_strdup_printf ("%s %s", stream,
          GST_PAD_NAME (l->data));

      prefs = gst_caps_make_writable (prefs);
      gst_caps_set_simple (prefs, "a-msid", G_TYPE_STRING, msid, NULL);
      g_object_set (trans, "codec-preferences", prefs, NULL);
      gst_caps_unref (prefs);
    }
    if (trans)
      gst_object_unref (trans);
  }
  g_list_free_full (pads, gst_object_unref);
  g_free (stream);
}

/* The session id of @webrtc, our publish session with a restarted worker
 * or our subscribe session, or NULL for a session that is over.
 * Call with MEETING_LOCK taken. */
static gchar *
session_id_locked (GstSignalBridge * self, GstElement * webrtc)
{
  if (self->sfu_id == NULL || webrtc == NULL)
    return NULL;
  if (webrtc == self->pub_webrtcbin)
    return g_strdup_printf ("%s/publish", self->sfu_id);
  if (webrtc == self->sub_webrtcbin)
    return g_strdup_printf ("%s/subscribe", self->sfu_id);
  return NULL;
}

static void
on_session_ice_candidate (GstElement * webrtc, guint mline,
    const gchar * candidate, GstSignalBridge * self)
{
  gchar *session_id;

  MEETING_LOCK (self);
  session_id = session_id_locked (self, webrtc);
  MEETING_UNLOCK (self);
  if (session_id)
    gst_convene_signaller_add_ice (self->signaller, session_id, candidate,
        mline, NULL);
  g_free (session_id);
}

/* A restarted worker forwards nothing of a video track before its first
 * keyframe, and the encoders make one only every few seconds. */
static void
request_keyframes (GstSignalBridge * self)
{
  GList *pads = NULL, *l;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    if (g_str_has_prefix (GST_PAD_NAME (l->data), "video_sink_"))
      pads = g_list_prepend (pads, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self);

  for (l = pads; l; l = l->next) {
    GstPad *webrtc_pad = g_object_get_data (l->data,
        "signalbridge-webrtc-pad");

    if (webrtc_pad)
      gst_pad_push_event (webrtc_pad,
          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
              TRUE, 0));
  }
  g_list_free_full (pads, gst_object_unref);
}

static void
on_pub_connection_state (GObject * webrtc, GParamSpec * pspec,
    GstSignalBridge * self)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    request_keyframes (self);
}

static void send_description (GstSignalBridge * self, GstPromise * promise,
    const gchar * field, gboolean publish);

static void
on_pub_offer_created (GstPromise * promise, gpointer user_data)
{
  send_description (GST_SIGNAL_BRIDGE (user_data), promise, "offer", TRUE);
}

static void
on_pub_answer_set (GstPromise * promise, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (user_data);
  const GstStructure *reply = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "error"))
    GST_WARNING_OBJECT (self, "the worker's publish answer was refused: %"
        GST_PTR_FORMAT, reply);
  else
    request_keyframes (self);
}

/* One move of the encoding chains to a new publish webrtcbin, shared by
 * the chains' probes (atomic refcount). */
typedef struct
{
  GstSignalBridge *self;
  GstElement *webrtc;           /* the new publish webrtcbin */
  GstElement *old;              /* the one being left */
  gint to_move;                 /* chains not linked to @webrtc yet, +1 */
  gint to_offer;                /* its sink pads without caps yet, +1 */
} Republish;

typedef struct
{
  Republish *r;
  GstPad *paysrc;               /* the chain's end */
  GstPad *to;                   /* @r's webrtcbin's sink pad */
} Move;

static void
republish_clear (gpointer data)
{
  Republish *r = data;

  gst_object_unref (r->self);
  gst_object_unref (r->webrtc);
  gst_object_unref (r->old);
}

static void
republish_unref (gpointer r)
{
  g_atomic_rc_box_release_full (r, republish_clear);
}

static void
move_free (gpointer data)
{
  Move *m = data;

  republish_unref (m->r);
  gst_object_unref (m->paysrc);
  gst_object_unref (m->to);
  g_free (m);
}

static void
stop_old_publisher (GstElement * element, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (element);
  Republish *r = user_data;

  GST_DEBUG_OBJECT (self, "every track moved: stopping %s",
      GST_ELEMENT_NAME (r->old));
  if (r->old == self->webrtcbin) {
    /* Ours stays in the bin for the next run of the element. */
    gst_element_set_locked_state (r->old, TRUE);
    gst_element_set_state (r->old, GST_STATE_NULL);
  } else {
    dispose_webrtcbin (self, gst_object_ref (r->old));
  }
}

static void
moved (Republish * r)
{
  if (g_atomic_int_dec_and_test (&r->to_move))
    gst_element_call_async (GST_ELEMENT (r->self), stop_old_publisher,
        g_atomic_rc_box_acquire (r), republish_unref);
}

static void
offer_now (GstElement * element, gpointer user_data)
{
  Republish *r = user_data;

  GST_DEBUG_OBJECT (element, "every track has caps: offering");
  g_signal_emit_by_name (r->webrtc, "create-offer", NULL,
      gst_promise_new_with_change_func (on_pub_offer_created,
          gst_object_ref (r->self), gst_object_unref));
}

/* The offer names each track's SSRC, which webrtcbin takes from the caps:
 * without it a worker cannot tell the bundled tracks apart. */
static void
got_caps (Republish * r)
{
  if (g_atomic_int_dec_and_test (&r->to_offer))
    gst_element_call_async (GST_ELEMENT (r->self), offer_now,
        g_atomic_rc_box_acquire (r), republish_unref);
}

/* After webrtcbin took the caps in (a probe would run before that). */
static void
on_caps (GstPad * pad, GParamSpec * pspec, Republish * r)
{
  if (!gst_pad_has_current_caps (pad))
    return;
  g_signal_handlers_disconnect_by_func (pad, on_caps, r);
  got_caps (r);
}

/* Runs when the payloader's src pad is idle: nothing is being pushed, so
 * the chain cannot see a flushing or unlinked pad in between.  Its sticky
 * events (caps) follow on the new link with the next buffer. */
static GstPadProbeReturn
move_chain (GstPad * paysrc, GstPadProbeInfo * info, gpointer user_data)
{
  Move *m = user_data;
  GstPad *from = gst_pad_get_peer (paysrc);

  if (from) {
    gst_pad_unlink (paysrc, from);
    gst_object_unref (from);
  }
  if (gst_pad_link (paysrc, m->to) != GST_PAD_LINK_OK) {
    GST_WARNING_OBJECT (m->r->self, "could not move %s:%s to the new worker",
        GST_DEBUG_PAD_NAME (paysrc));
    got_caps (m->r);
  }
  moved (m->r);
  return GST_PAD_PROBE_REMOVE;
}

static GstElement *make_session_webrtcbin (GstSignalBridge * self);

/* Publishes our tracks to a restarted worker @sfu from a new webrtcbin. */
static void
republish (GstSignalBridge * self, const gchar * sfu)
{
  GstElement *webrtc = make_session_webrtcbin (self);
  GstPadTemplate *templ;
  GList *pads = NULL, *moves = NULL, *l;
  Republish *r;

  if (webrtc == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("webrtcbin is missing"),
        (NULL));
    return;
  }
  g_signal_connect (webrtc, "on-ice-candidate",
      G_CALLBACK (on_session_ice_candidate), self);
  g_signal_connect (webrtc, "notify::connection-state",
      G_CALLBACK (on_pub_connection_state), self);
  /* Media waits in the new webrtcbin (blocked until negotiated) rather
   * than being pushed into a stopped one. */
  gst_element_sync_state_with_parent (webrtc);

  r = g_atomic_rc_box_new0 (Republish);
  r->self = gst_object_ref (self);
  r->webrtc = webrtc;
  MEETING_LOCK (self);
  r->old = self->pub_webrtcbin;
  self->pub_webrtcbin = gst_object_ref (webrtc);
  MEETING_UNLOCK (self);
  if (r->old == NULL)
    r->old = gst_object_ref (self->webrtcbin);

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next)
    pads = g_list_prepend (pads, gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (self);

  templ = gst_element_get_pad_template (webrtc, "sink_%u");
  for (l = pads; l; l = l->next) {
    GstPad *from = g_object_get_data (l->data, "signalbridge-webrtc-pad");
    GstWebRTCRTPTransceiver *trans = NULL;
    GstCaps *prefs = NULL;
    GstPad *to, *paysrc;
    Move *m;

    if (from == NULL || (paysrc = gst_pad_get_peer (from)) == NULL)
      continue;
    g_object_get (from, "transceiver", &trans, NULL);
    if (trans) {
      g_object_get (trans, "codec-preferences", &prefs, NULL);
      gst_object_unref (trans);
      trans = NULL;
    }
    to = prefs ? gst_element_request_pad (webrtc, templ, NULL, prefs) : NULL;
    if (to == NULL) {
      GST_ELEMENT_WARNING (self, CORE, PAD, ("webrtcbin refused a track"),
          ("%s", GST_PAD_NAME (l->data)));
      gst_clear_caps (&prefs);
      gst_object_unref (paysrc);
      continue;
    }
    /* As in a call: the preferences carry the codec before the first caps,
     * and video asks for retransmissions. */
    g_object_get (to, "transceiver", &trans, NULL);
    if (trans) {
      g_object_set (trans, "codec-preferences", prefs, "direction",
          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, NULL);
      if (g_str_has_prefix (GST_PAD_NAME (l->data), "video_")
          && g_object_class_find_property (G_OBJECT_GET_CLASS (trans),
              "do-nack"))
        g_object_set (trans, "do-nack", TRUE, NULL);
      gst_object_unref (trans);
    }
    gst_caps_unref (prefs);
    g_object_set_data_full (l->data, "signalbridge-webrtc-pad",
        gst_object_ref (to), gst_object_unref);

    m = g_new0 (Move, 1);
    m->paysrc = paysrc;
    m->to = to;
    moves = g_list_prepend (moves, m);
  }
  g_list_free_full (pads, gst_object_unref);
  name_published_tracks (self);

  /* Every probe is counted before the first may run (an idle pad runs it
   * at once), plus one for us. */
  r->to_move = r->to_offer = g_list_length (moves) + 1;
  for (l = moves; l; l = l->next) {
    Move *m = l->data;

    m->r = g_atomic_rc_box_acquire (r);
    g_signal_connect_data (m->to, "notify::caps", G_CALLBACK (on_caps),
        g_atomic_rc_box_acquire (r), (GClosureNotify) republish_unref, 0);
    gst_pad_add_probe (m->paysrc, GST_PAD_PROBE_TYPE_IDLE, move_chain, m,
        move_free);
  }
  g_list_free (moves);
  GST_INFO_OBJECT (self, "publishing to the restarted SFU %s", sfu);
  moved (r);
  got_caps (r);
  republish_unref (r);
}

/* The worker we published to is gone: what it sent us is over, and the
 * element's own session must not speak to it any more. */
static void
lose_sfu (GstSignalBridge * self)
{
  SESSION_LOCK (self);
  self->in_call = FALSE;
  SESSION_UNLOCK (self);
}

static void
use_sfu (GstSignalBridge * self, const gchar * sfu, gboolean switching)
{
  g_autofree gchar *session_id = NULL;
  GstElement *old_sub = NULL;
  GstClock *clock;
  gboolean had;

  MEETING_LOCK (self);
  if (g_strcmp0 (self->sfu_id, sfu) == 0) {
    MEETING_UNLOCK (self);
    return;
  }
  had = self->published;
  self->published = TRUE;
  g_free (self->sfu_id);
  self->sfu_id = g_strdup (sfu);
  close_subscribe_locked (self, &old_sub);
  if (switching && self->ready_timer == NULL) {
    self->ready_pending = TRUE;
    clock = gst_system_clock_obtain ();
    self->ready_timer = gst_clock_new_single_shot_id (clock,
        gst_clock_get_time (clock) + MEDIA_READY_TIMEOUT);
    gst_clock_id_wait_async (self->ready_timer, on_ready_timeout,
        gst_object_ref (self), gst_object_unref);
    gst_object_unref (clock);
  }
  MEETING_UNLOCK (self);

  dispose_webrtcbin (self, old_sub);
  if (had) {
    lose_sfu (self);
    republish (self, sfu);
    return;
  }
  session_id = g_strdup_printf ("%s/publish", sfu);
  name_published_tracks (self);
  GST_INFO_OBJECT (self, "publishing to the SFU %s", sfu);
  gst_signal_bridge_start_session (self, session_id, sfu, TRUE);
}

static void
on_participant_left (GstConveneSignaller * sig, const gchar * participant_id,
    GstSignalBridge * self)
{
  GstElement *old_sub = NULL;
  gboolean worker;

  MEETING_LOCK (self);
  worker = self->sfu_id && g_strcmp0 (self->sfu_id, participant_id) == 0;
  if (worker) {
    g_clear_pointer (&self->sfu_id, g_free);
    close_subscribe_locked (self, &old_sub);
  }
  MEETING_UNLOCK (self);
  if (!worker)
    return;

  /* The publish session keeps its webrtcbin until the new worker comes:
   * stopping it now would make our encoding chains see a flushing pad. */
  GST_INFO_OBJECT (self, "the media worker %s is gone", participant_id);
  lose_sfu (self);
  dispose_webrtcbin (self, old_sub);
}

static void
on_meeting_joined (GstConveneSignaller * sig, const gchar * meeting,
    const gchar * participant_id, const gchar * mode, const gchar * sfu,
    GstSignalBridge * self)
{
  g_autofree gchar *ours = meeting_name (self);

  if (ours == NULL)
    return;
  GST_INFO_OBJECT (self, "in meeting %s as %s (mode %s, sfu %s)", meeting,
      participant_id, mode, GST_STR_NULL (sfu));
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("signalbridge-meeting", "meeting", G_TYPE_STRING,
              meeting, "participant-id", G_TYPE_STRING, participant_id,
              "mode", G_TYPE_STRING, mode, NULL)));
  MEETING_LOCK (self);
  g_free (self->own_participant_id_client);
  self->own_participant_id_client = g_strdup (participant_id);
  MEETING_UNLOCK (self);
  if (g_strcmp0 (mode, "sfu") == 0 && sfu)
    use_sfu (self, sfu, FALSE);
}

static void
on_mode_changed (GstConveneSignaller * sig, const gchar * mode,
    const gchar * sfu, GstSignalBridge * self)
{
  g_autofree gchar *ours = meeting_name (self);

  if (ours == NULL)
    return;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("signalbridge-meeting", "meeting", G_TYPE_STRING,
              ours, "mode", G_TYPE_STRING, mode, NULL)));
  if (g_strcmp0 (mode, "sfu") == 0 && sfu)
    use_sfu (self, sfu, TRUE);
  else
    GST_WARNING_OBJECT (self, "mode %s: this element only takes the SFU "
        "path and keeps it until the worker goes", mode);
}

static void
on_sub_pad_added (GstElement * webrtc, GstPad * pad, GstSignalBridge * self)
{
  GstWebRTCRTPTransceiver *trans = NULL;
  gchar *publisher = NULL, *mid = NULL, *track = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  /* The worker names the publisher as the m-line's stream (a=msid);
   * webrtcbin 1.22 knows it on the pad only once SSRCs were signalled. */
  g_object_get (pad, "msid", &publisher, "transceiver", &trans, NULL);
  if (trans) {
    g_object_get (trans, "mid", &mid, NULL);
    gst_object_unref (trans);
  }
  MEETING_LOCK (self);
  if (mid && self->sub_mids) {
    ConveneMidInfo *info = g_hash_table_lookup (self->sub_mids, mid);

    if (info) {
      track = g_strdup (info->track_id);
      if (info->stream_id) {
        g_free (publisher);
        publisher = g_strdup (info->stream_id);
      }
    }
  }
  MEETING_UNLOCK (self);

  gst_signal_bridge_expose_remote_track (self, pad,
      publisher ? publisher : "", track ? track : (mid ? mid : ""));
  send_media_ready (self);
  g_free (publisher);
  g_free (mid);
  g_free (track);
}

/* Sends the description @promise made (its @field) in our publish session
 * with a restarted worker, or in the subscribe session, then applies it:
 * sent first, as in a call, so that the worker sees it before our first
 * candidate. */
static void
send_description (GstSignalBridge * self, GstPromise * promise,
    const gchar * field, gboolean publish)
{
  const GstStructure *reply = NULL;
  GstWebRTCSessionDescription *desc = NULL;
  GstElement *webrtc = NULL;
  gchar *session_id = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply == NULL || !gst_structure_get (reply, field,
          GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL)) {
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Could not create the %s %s", publish ? "publish" : "subscribe",
            field), (NULL));
    return;
  }
  MEETING_LOCK (self);
  webrtc = publish ? self->pub_webrtcbin : self->sub_webrtcbin;
  session_id = session_id_locked (self, webrtc);
  if (webrtc)
    gst_object_ref (webrtc);
  MEETING_UNLOCK (self);
  if (webrtc && session_id) {
    gst_convene_signaller_send_sdp (self->signaller, session_id, desc);
    g_signal_emit_by_name (webrtc, "set-local-description", desc, NULL);
  }
  g_clear_object (&webrtc);
  g_free (session_id);
  gst_webrtc_session_description_free (desc);
}

static void
on_sub_answer_created (GstPromise * promise, gpointer user_data)
{
  send_description (GST_SIGNAL_BRIDGE (user_data), promise, "answer", FALSE);
}

static void
on_sub_offer_set (GstPromise * promise, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (user_data);
  GstElement *webrtc = NULL;

  MEETING_LOCK (self);
  if (self->sub_webrtcbin)
    webrtc = gst_object_ref (self->sub_webrtcbin);
  MEETING_UNLOCK (self);
  if (webrtc) {
    g_signal_emit_by_name (webrtc, "create-answer", NULL,
        gst_promise_new_with_change_func (on_sub_answer_created,
            gst_object_ref (self), gst_object_unref));
    gst_object_unref (webrtc);
  }
}

/* A webrtcbin for one session with the worker, configured like ours and
 * in the bin, not started yet (connect its signals first). */
static GstElement *
make_session_webrtcbin (GstSignalBridge * self)
{
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);
  GstWebRTCICETransportPolicy policy;
  guint latency;

  if (webrtc == NULL)
    return NULL;
  g_object_get (self->webrtcbin, "latency", &latency, NULL);
  GST_OBJECT_LOCK (self);
  policy = self->ice_transport_policy;
  if (self->stun_server || self->server_stun)
    g_object_set (webrtc, "stun-server", self->stun_server ?
        self->stun_server : self->server_stun[0], NULL);
  GST_OBJECT_UNLOCK (self);
  gst_util_set_object_arg (G_OBJECT (webrtc), "bundle-policy", "max-bundle");
  g_object_set (webrtc, "latency", latency, "ice-transport-policy", policy,
      NULL);
  gst_signal_bridge_configure_agent (self, webrtc);
  gst_bin_add (GST_BIN (self), gst_object_ref (webrtc));
  GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK);
  return webrtc;
}

static GstElement *
make_sub_webrtcbin (GstSignalBridge * self)
{
  GstElement *webrtc = make_session_webrtcbin (self);

  if (webrtc == NULL)
    return NULL;
  g_signal_connect (webrtc, "on-ice-candidate",
      G_CALLBACK (on_session_ice_candidate), self);
  g_signal_connect (webrtc, "pad-added", G_CALLBACK (on_sub_pad_added), self);
  gst_element_sync_state_with_parent (webrtc);
  return webrtc;
}

/* Whether @session_id is our subscribe session with the current worker;
 * if so and it exists, its webrtcbin in @webrtc. */
static gboolean
subscribe_session (GstSignalBridge * self, const gchar * session_id,
    GstElement ** webrtc)
{
  gboolean ours;

  *webrtc = NULL;
  MEETING_LOCK (self);
  ours = self->sfu_id && g_str_has_prefix (session_id, self->sfu_id)
      && g_strcmp0 (session_id + strlen (self->sfu_id), "/subscribe") == 0;
  if (ours && self->sub_webrtcbin)
    *webrtc = gst_object_ref (self->sub_webrtcbin);
  MEETING_UNLOCK (self);
  return ours;
}

/* Whether @session_id is our publish session with a restarted worker (the
 * first one's is the element's own call); its webrtcbin in @webrtc. */
static gboolean
republish_session (GstSignalBridge * self, const gchar * session_id,
    GstElement ** webrtc)
{
  gchar *ours;

  MEETING_LOCK (self);
  ours = session_id_locked (self, self->pub_webrtcbin);
  *webrtc = ours && g_str_equal (ours, session_id) ?
      gst_object_ref (self->pub_webrtcbin) : NULL;
  MEETING_UNLOCK (self);
  g_free (ours);
  return *webrtc != NULL;
}

gboolean
gst_signal_bridge_meeting_handle_description (GstSignalBridge * self,
    const gchar * session_id, GstWebRTCSessionDescription * desc)
{
  GstElement *webrtc = NULL, *made = NULL;
  GHashTable *mids;

  if (republish_session (self, session_id, &webrtc)) {
    if (desc->type == GST_WEBRTC_SDP_TYPE_ANSWER)
      g_signal_emit_by_name (webrtc, "set-remote-description", desc,
          gst_promise_new_with_change_func (on_pub_answer_set,
              gst_object_ref (self), gst_object_unref));
    else
      GST_WARNING_OBJECT (self, "ignoring a publish %s",
          gst_webrtc_sdp_type_to_string (desc->type));
    gst_object_unref (webrtc);
    return TRUE;
  }
  if (!subscribe_session (self, session_id, &webrtc))
    return FALSE;
  if (desc->type != GST_WEBRTC_SDP_TYPE_OFFER) {
    GST_WARNING_OBJECT (self, "ignoring a subscribe %s",
        gst_webrtc_sdp_type_to_string (desc->type));
    g_clear_object (&webrtc);
    return TRUE;
  }

  if (webrtc == NULL) {
    made = make_sub_webrtcbin (self);
    if (made == NULL) {
      GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
          ("webrtcbin is missing"), (NULL));
      return TRUE;
    }
    MEETING_LOCK (self);
    if (self->sub_webrtcbin == NULL) {
      self->sub_webrtcbin = gst_object_ref (made);
      webrtc = gst_object_ref (made);
      g_clear_object (&made);
    } else {
      webrtc = gst_object_ref (self->sub_webrtcbin);
    }
    MEETING_UNLOCK (self);
    dispose_webrtcbin (self, made);
  }

  mids = convene_sdp_publish_tracks (desc->sdp);
  MEETING_LOCK (self);
  g_clear_pointer (&self->sub_mids, g_hash_table_unref);
  self->sub_mids = mids;
  MEETING_UNLOCK (self);

  g_signal_emit_by_name (webrtc, "set-remote-description", desc,
      gst_promise_new_with_change_func (on_sub_offer_set,
          gst_object_ref (self), gst_object_unref));
  gst_object_unref (webrtc);
  return TRUE;
}

gboolean
gst_signal_bridge_meeting_handle_ice (GstSignalBridge * self,
    const gchar * session_id, guint mline, const gchar * candidate)
{
  GstElement *webrtc = NULL;
  gboolean ours = republish_session (self, session_id, &webrtc)
      || subscribe_session (self, session_id, &webrtc);

  if (webrtc && candidate && candidate[0])
    g_signal_emit_by_name (webrtc, "add-ice-candidate", mline, candidate);
  g_clear_object (&webrtc);
  return ours;
}

void
gst_signal_bridge_meeting_stop (GstSignalBridge * self)
{
  g_autofree gchar *meeting = meeting_name (self);
  GstElement *sub = NULL, *pub;
  GstClockID timer;

  MEETING_LOCK (self);
  close_subscribe_locked (self, &sub);
  pub = self->pub_webrtcbin;
  self->pub_webrtcbin = NULL;
  self->published = FALSE;
  g_clear_pointer (&self->sfu_id, g_free);
  g_clear_pointer (&self->own_participant_id_client, g_free);
  self->ready_pending = FALSE;
  timer = self->ready_timer;
  self->ready_timer = NULL;
  MEETING_UNLOCK (self);

  if (timer) {
    gst_clock_id_unschedule (timer);
    gst_clock_id_unref (timer);
  }
  if (meeting)
    gst_convene_signaller_leave_meeting (self->signaller, meeting);
  dispose_webrtcbin (self, sub);
  /* The encoding chains stay linked to it: a later run of the element
   * would publish nothing (it is meant for one meeting, like a call). */
  dispose_webrtcbin (self, pub);
}

void
gst_signal_bridge_meeting_connect_signaller (GstSignalBridge * self,
    GstConveneSignaller * signaller)
{
  g_signal_connect (signaller, "meeting-joined",
      G_CALLBACK (on_meeting_joined), self);
  g_signal_connect (signaller, "mode-changed", G_CALLBACK (on_mode_changed),
      self);
  g_signal_connect (signaller, "participant-left",
      G_CALLBACK (on_participant_left), self);
}
