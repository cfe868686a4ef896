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
 * names the publisher (the m-line's msid). */

#include <string.h>

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
  had = self->sfu_id != NULL;
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
    /* The publish session is the element's own webrtcbin, which cannot
     * start a second peer connection: a new worker gets our subscription
     * but not our tracks until the element is restarted. */
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("The meeting moved to a new media worker; this element cannot "
            "publish to it without a restart"), ("new sfu %s", sfu));
    return;
  }
  session_id = g_strdup_printf ("%s/publish", sfu);
  name_published_tracks (self);
  GST_INFO_OBJECT (self, "publishing to the SFU %s", sfu);
  gst_signal_bridge_start_session (self, session_id, sfu, TRUE);
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
on_sub_ice_candidate (GstElement * webrtc, guint mline,
    const gchar * candidate, GstSignalBridge * self)
{
  gchar *session_id = NULL;

  MEETING_LOCK (self);
  if (self->sfu_id && webrtc == self->sub_webrtcbin)
    session_id = g_strdup_printf ("%s/subscribe", self->sfu_id);
  MEETING_UNLOCK (self);
  if (session_id)
    gst_convene_signaller_add_ice (self->signaller, session_id, candidate,
        mline, NULL);
  g_free (session_id);
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

static void
on_sub_answer_created (GstPromise * promise, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (user_data);
  const GstStructure *reply = NULL;
  GstWebRTCSessionDescription *answer = NULL;
  GstElement *webrtc = NULL;
  gchar *session_id = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply == NULL || !gst_structure_get (reply, "answer",
          GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL)) {
    GST_WARNING_OBJECT (self, "could not answer the subscribe offer");
    return;
  }
  MEETING_LOCK (self);
  if (self->sub_webrtcbin && self->sfu_id) {
    webrtc = gst_object_ref (self->sub_webrtcbin);
    session_id = g_strdup_printf ("%s/subscribe", self->sfu_id);
  }
  MEETING_UNLOCK (self);
  if (webrtc) {
    gst_convene_signaller_send_sdp (self->signaller, session_id, answer);
    g_signal_emit_by_name (webrtc, "set-local-description", answer, NULL);
    gst_object_unref (webrtc);
  }
  g_free (session_id);
  gst_webrtc_session_description_free (answer);
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

static GstElement *
make_sub_webrtcbin (GstSignalBridge * self)
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
  g_signal_connect (webrtc, "on-ice-candidate",
      G_CALLBACK (on_sub_ice_candidate), self);
  g_signal_connect (webrtc, "pad-added", G_CALLBACK (on_sub_pad_added), self);
  gst_bin_add (GST_BIN (self), gst_object_ref (webrtc));
  GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK);
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

gboolean
gst_signal_bridge_meeting_handle_description (GstSignalBridge * self,
    const gchar * session_id, GstWebRTCSessionDescription * desc)
{
  GstElement *webrtc = NULL, *made = NULL;
  GHashTable *mids;

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
  gboolean ours = subscribe_session (self, session_id, &webrtc);

  if (webrtc && candidate && candidate[0])
    g_signal_emit_by_name (webrtc, "add-ice-candidate", mline, candidate);
  g_clear_object (&webrtc);
  return ours;
}

void
gst_signal_bridge_meeting_stop (GstSignalBridge * self)
{
  g_autofree gchar *meeting = meeting_name (self);
  GstElement *sub = NULL;
  GstClockID timer;

  MEETING_LOCK (self);
  close_subscribe_locked (self, &sub);
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
}

void
gst_signal_bridge_meeting_connect_signaller (GstSignalBridge * self,
    GstConveneSignaller * signaller)
{
  g_signal_connect (signaller, "meeting-joined",
      G_CALLBACK (on_meeting_joined), self);
  g_signal_connect (signaller, "mode-changed", G_CALLBACK (on_mode_changed),
      self);
}
