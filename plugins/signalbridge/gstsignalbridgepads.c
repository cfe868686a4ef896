/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* signalbridge's pads: the encoding chain behind each request sink pad,
 * and the decoding (or pass-through) behind each remote track's src pad. */

#include <gst/webrtc/webrtc.h>

#include <gst/video/video.h>

#include "gstsignalbridge-private.h"
#include "gstsignalbridgepad.h"

#define GST_CAT_DEFAULT gst_signal_bridge_debug

/* ---------------------------------------------------------------------- */
/* Remote tracks */

static GstPadProbeReturn
drop_if_unlinked (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstPad *ghost = user_data;

  /* A track nobody linked (a browser's extra screen share, say) must not
   * stop the pipeline with not-linked; after our EOS nothing may follow. */
  if (!gst_pad_is_linked (ghost)
      || g_object_get_data (G_OBJECT (ghost), "signalbridge-eos"))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

static gboolean
push_eos (GstElement * element, GstPad * pad, gpointer user_data)
{
  if (g_object_get_data (G_OBJECT (pad), "signalbridge-eos"))
    return TRUE;
  g_object_set_data (G_OBJECT (pad), "signalbridge-eos", GINT_TO_POINTER (1));
  gst_pad_push_event (pad, gst_event_new_eos ());
  return TRUE;
}

void
gst_signal_bridge_eos_src_pads (GstElement * element, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (element);

  PADS_LOCK (self);
  self->tracks_ended = TRUE;
  PADS_UNLOCK (self);
  GST_DEBUG_OBJECT (element, "ending the remote tracks");
  gst_element_foreach_src_pad (element, push_eos, NULL);
}

void
gst_signal_bridge_local_media_ended (GstElement * element, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (element);

  /* gst-launch -e: our sources ended, so the call is over and the sinks
   * behind our src pads need EOS for the pipeline to finish. */
  GST_INFO_OBJECT (self, "all local tracks ended: hanging up");
  gst_signal_bridge_hangup (self);
  gst_signal_bridge_eos_src_pads (element, NULL);
}

static GstPadProbeReturn
watch_local_eos (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (user_data);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gboolean all;

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;

  PADS_LOCK (self);
  self->eos_sinks++;
  GST_OBJECT_LOCK (self);
  all = self->eos_sinks >= GST_ELEMENT (self)->numsinkpads;
  GST_OBJECT_UNLOCK (self);
  PADS_UNLOCK (self);

  if (all)
    gst_element_call_async (GST_ELEMENT (self),
        gst_signal_bridge_local_media_ended, NULL, NULL);
  return GST_PAD_PROBE_OK;
}

static void
watch_target (GstPad * ghost, GstPad * target)
{
  gst_pad_add_probe (target,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      drop_if_unlinked, ghost, NULL);
}

/* @target may be NULL: a decoded track is exposed as soon as webrtcbin
 * announces it and gets its target once the decoder is ready, so that a
 * call ending in between still reaches (and EOSes) a linked pad. */
static GstPad *
expose_src_pad (GstSignalBridge * self, GstPad * target, gboolean video,
    const gchar * participant_id, const gchar * track_id)
{
  GstPadTemplate *templ;
  GstPad *ghost;
  gchar *name;
  gboolean ended;

  PADS_LOCK (self);
  if (video)
    name = g_strdup_printf ("video_src_%u", self->video_src_count++);
  else
    name = g_strdup_printf ("audio_src_%u", self->audio_src_count++);
  PADS_UNLOCK (self);

  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
      video ? "video_src_%u" : "audio_src_%u");
  if (participant_id) {
    /* A meeting's track says whose it is. */
    ghost = gst_signal_bridge_pad_new (name, templ, participant_id,
        participant_id, track_id, video ? "video" : "audio", 0, "");
    if (target)
      gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), target);
  } else if (target) {
    ghost = gst_ghost_pad_new_from_template (name, target, templ);
  } else {
    ghost = gst_ghost_pad_new_no_target_from_template (name, templ);
  }
  g_free (name);

  if (target)
    watch_target (ghost, target);
  gst_pad_set_active (ghost, TRUE);
  GST_INFO_OBJECT (self, "exposing %s (participant %s, track %s)",
      GST_PAD_NAME (ghost), GST_STR_NULL (participant_id),
      GST_STR_NULL (track_id));
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  if (participant_id)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("signalbridge-remote-track", "participant-id",
                G_TYPE_STRING, participant_id, "track-id", G_TYPE_STRING,
                track_id, "pad", G_TYPE_STRING, GST_PAD_NAME (ghost),
                NULL)));

  PADS_LOCK (self);
  ended = self->tracks_ended;
  PADS_UNLOCK (self);
  if (ended)
    push_eos (GST_ELEMENT (self), ghost, NULL);
  return ghost;
}

static void
on_decoded_pad (GstElement * decodebin, GstPad * pad, GstSignalBridge * self)
{
  GstPad *ghost = g_object_get_data (G_OBJECT (decodebin),
      "signalbridge-ghost");
  GstPad *old = ghost ? gst_ghost_pad_get_target (GST_GHOST_PAD (ghost)) :
      NULL;

  /* One RTP stream decodes to one raw stream. */
  if (ghost == NULL || old != NULL) {
    GST_WARNING_OBJECT (self, "ignoring extra decoded stream %s",
        GST_PAD_NAME (pad));
    if (old)
      gst_object_unref (old);
    return;
  }
  GST_DEBUG_OBJECT (self, "%s now carries decoded data", GST_PAD_NAME (ghost));
  watch_target (ghost, pad);
  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), pad);
}

void
gst_signal_bridge_on_webrtc_pad_added (GstElement * webrtc, GstPad * pad,
    GstSignalBridge * self)
{
  gst_signal_bridge_expose_remote_track (self, pad, NULL, NULL);
}

/* Exposes a remote track of webrtcbin's @pad, decoded unless decode=false;
 * @participant_id and @track_id name its publisher in a meeting. */
void
gst_signal_bridge_expose_remote_track (GstSignalBridge * self, GstPad * pad,
    const gchar * participant_id, const gchar * track_id)
{
  GstCaps *caps;
  const gchar *media = NULL;
  gboolean video, decode;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (!gst_caps_is_empty (caps))
    media = gst_structure_get_string (gst_caps_get_structure (caps, 0),
        "media");
  video = g_strcmp0 (media, "video") == 0;
  if (!video && g_strcmp0 (media, "audio") != 0) {
    GST_WARNING_OBJECT (self, "ignoring remote stream %" GST_PTR_FORMAT, caps);
    gst_caps_unref (caps);
    return;
  }
  gst_caps_unref (caps);

  GST_OBJECT_LOCK (self);
  decode = self->decode;
  GST_OBJECT_UNLOCK (self);

  if (decode) {
    GstElement *decodebin = gst_element_factory_make ("decodebin", NULL);
    GstPad *sinkpad;

    if (decodebin == NULL)
      goto fail_no_decodebin;
    g_object_set_data_full (G_OBJECT (decodebin), "signalbridge-ghost",
        gst_object_ref (expose_src_pad (self, NULL, video, participant_id,
                track_id)),
        gst_object_unref);
    g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_decoded_pad),
        self);
    gst_bin_add (GST_BIN (self), decodebin);
    gst_element_sync_state_with_parent (decodebin);
    sinkpad = gst_element_get_static_pad (decodebin, "sink");
    if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
      GST_WARNING_OBJECT (self, "could not link %s to a decoder",
          GST_PAD_NAME (pad));
    gst_object_unref (sinkpad);
  } else {
    expose_src_pad (self, pad, video, participant_id, track_id);
  }
  return;

fail_no_decodebin:
  GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("decodebin is missing"),
      (NULL));
}

/* ---------------------------------------------------------------------- */
/* Request pads */

static GstElement *
make_element (GstSignalBridge * self, const gchar * factory, GList ** made)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL) {
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("Missing element '%s'", factory), (NULL));
    return NULL;
  }
  *made = g_list_append (*made, e);
  return e;
}

static void
free_chain (gpointer chain)
{
  g_list_free_full (chain, gst_object_unref);
}

static GstPadProbeReturn
hold_until_answered (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstSignalBridge *self;
  GstObject *parent = gst_pad_get_parent (pad);
  gboolean open = TRUE;

  /* pad belongs to webrtcbin, whose parent is the bridge. */
  if (parent && GST_OBJECT_PARENT (parent)
      && GST_IS_SIGNAL_BRIDGE (GST_OBJECT_PARENT (parent))) {
    self = GST_SIGNAL_BRIDGE (GST_OBJECT_PARENT (parent));
    open = g_atomic_int_get (&self->answers_applied) >=
        GPOINTER_TO_INT (user_data);
  }
  if (parent)
    gst_object_unref (parent);
  if (!open)
    return GST_PAD_PROBE_DROP;
  /* The encoder's first keyframe was dropped: ask for another. */
  gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit
      (GST_CLOCK_TIME_NONE, TRUE, 0));
  return GST_PAD_PROBE_REMOVE;
}

GstPad *
gst_signal_bridge_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (element);
  gboolean video = templ->direction == GST_PAD_SINK
      && g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "video_sink_%u");
  GstSignalBridgeVideoCodec codec;
  GList *made = NULL, *l;
  GstElement *queue, *enc = NULL, *pay, *last;
  GstCaps *rtpcaps;
  GstPad *webrtc_pad = NULL, *paysrc, *target, *ghost;
  GstWebRTCRTPTransceiver *trans = NULL;
  GstPadTemplate *webrtc_templ;
  guint bitrate;
  gchar *padname;

  /* sub_%u pads are made by the add-subscriber-track action only: they
   * need to know whose track goes to whom. */
  if (templ->direction != GST_PAD_SINK
      || g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "sub_%u"))
    return NULL;

  GST_OBJECT_LOCK (self);
  codec = self->video_codec;
  bitrate = self->video_bitrate;
  GST_OBJECT_UNLOCK (self);

  if (!(queue = make_element (self, "queue", &made)))
    goto fail_elements;
  /* Until negotiation webrtcbin blocks its sink pads: a plain queue would
   * pile up the source's output and send it stale once the call starts,
   * and a serialized query (allocation on reconfigure) would wait behind
   * that backlog, holding the source's thread.  Keep only the newest
   * 200 ms: in a call, old media is worth less than low delay. */
  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", (guint64) 200 * GST_MSECOND, NULL);
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  last = queue;
  if (video) {
    GstElement *convert;

    if (!(convert = make_element (self, "videoconvert", &made)))
      goto fail_elements;
    if (codec == GST_SIGNAL_BRIDGE_VIDEO_CODEC_H264) {
      GstElement *filter;

      if (!(enc = make_element (self, "x264enc", &made))
          || !(filter = make_element (self, "capsfilter", &made))
          || !(pay = make_element (self, "rtph264pay", &made)))
        goto fail_elements;
      gst_util_set_object_arg (G_OBJECT (enc), "tune", "zerolatency");
      gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", "veryfast");
      g_object_set (enc, "bitrate", MAX (1u, bitrate / 1000),
          "key-int-max", 120, NULL);
      {
        /* Browsers all decode constrained baseline. */
        GstCaps *c = gst_caps_from_string
            ("video/x-h264,profile=constrained-baseline");
        g_object_set (filter, "caps", c, NULL);
        gst_caps_unref (c);
      }
      g_object_set (pay, "pt", H264_PT, "config-interval", -1, NULL);
      gst_util_set_object_arg (G_OBJECT (pay), "aggregate-mode",
          "zero-latency");
      rtpcaps = gst_caps_from_string ("application/x-rtp,media=video,"
          "encoding-name=H264,clock-rate=90000,payload=102,"
          "packetization-mode=(string)1,profile-level-id=(string)42c01f");
    } else {
      if (!(enc = make_element (self, "vp8enc", &made))
          || !(pay = make_element (self, "rtpvp8pay", &made)))
        goto fail_elements;
      /* Real-time: deadline=1 is "as fast as possible", CBR follows the
       * bitrate we set, and errors are survivable. */
      g_object_set (enc, "deadline", (gint64) 1, "cpu-used", 8,
          "target-bitrate", (gint) bitrate, "keyframe-max-dist", 120,
          "threads", 2, NULL);
      gst_util_set_object_arg (G_OBJECT (enc), "end-usage", "cbr");
      gst_util_set_object_arg (G_OBJECT (enc), "error-resilient", "default");
      g_object_set (pay, "pt", VIDEO_PT, NULL);
      gst_util_set_object_arg (G_OBJECT (pay), "picture-id-mode", "15-bit");
      rtpcaps = gst_caps_from_string ("application/x-rtp,media=video,"
          "encoding-name=VP8,clock-rate=90000,payload=96");
    }
    gst_caps_set_simple (rtpcaps, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE,
        "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
        "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);
  } else {
    if (!make_element (self, "audioconvert", &made)
        || !make_element (self, "audioresample", &made)
        || !(enc = make_element (self, "opusenc", &made))
        || !(pay = make_element (self, "rtpopuspay", &made)))
      goto fail_elements;
    g_object_set (enc, "bitrate", AUDIO_BITRATE, NULL);
    g_object_set (pay, "pt", OPUS_PT, NULL);
    rtpcaps = gst_caps_from_string ("application/x-rtp,media=audio,"
        "encoding-name=OPUS,clock-rate=48000,payload=111");
  }

  for (l = made; l; l = l->next)
    gst_bin_add (GST_BIN (self), l->data);
  for (l = made; l && l->next; l = l->next) {
    if (!gst_element_link (l->data, l->next->data)) {
      gst_caps_unref (rtpcaps);
      goto fail_link;
    }
  }
  (void) last;

  webrtc_templ = gst_element_get_pad_template (self->webrtcbin, "sink_%u");
  webrtc_pad = gst_element_request_pad (self->webrtcbin, webrtc_templ, NULL,
      rtpcaps);
  if (webrtc_pad == NULL) {
    gst_caps_unref (rtpcaps);
    goto fail_webrtc_pad;
  }
  /* webrtcbin 1.22 uses request caps only to pick a transceiver: set them
   * as codec preferences so that an offer made before the payloader's first
   * caps (a call accepted right after PLAYING, a track added mid-call)
   * still has a codec. */
  g_object_get (webrtc_pad, "transceiver", &trans, NULL);
  if (trans) {
    g_object_set (trans, "codec-preferences", rtpcaps, "direction",
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, NULL);
    /* Retransmissions (NACK + RTX) repair the odd lost video packet far
     * cheaper than a keyframe. */
    if (video && g_object_class_find_property (G_OBJECT_GET_CLASS (trans),
            "do-nack"))
      g_object_set (trans, "do-nack", TRUE, NULL);
    gst_object_unref (trans);
  }
  gst_caps_unref (rtpcaps);
  paysrc = gst_element_get_static_pad (pay, "src");
  if (gst_pad_link (paysrc, webrtc_pad) != GST_PAD_LINK_OK) {
    gst_object_unref (paysrc);
    goto fail_link;
  }
  gst_object_unref (paysrc);

  PADS_LOCK (self);
  if (name)
    padname = g_strdup (name);
  else if (video)
    padname = g_strdup_printf ("video_sink_%u", self->video_sink_count++);
  else
    padname = g_strdup_printf ("audio_sink_%u", self->audio_sink_count++);
  if (video)
    self->video_encoders = g_list_prepend (self->video_encoders,
        gst_object_ref (enc));
  PADS_UNLOCK (self);

  target = gst_element_get_static_pad (queue, "sink");
  gst_pad_add_probe (target, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      watch_local_eos, self, NULL);
  ghost = gst_ghost_pad_new_from_template (padname, target, templ);
  gst_object_unref (target);
  g_free (padname);

  /* Remember the chain so that release_pad can take it down again. */
  /* The pad may outlive the elements' place in the bin (GstElement's dispose
   * releases request pads after GstBin's has removed the children), so it
   * holds its own references. */
  g_list_foreach (made, (GFunc) gst_object_ref, NULL);
  g_object_set_data_full (G_OBJECT (ghost), "signalbridge-chain", made,
      free_chain);
  g_object_set_data_full (G_OBJECT (ghost), "signalbridge-webrtc-pad",
      webrtc_pad, gst_object_unref);
  g_object_set_data (G_OBJECT (ghost), "signalbridge-encoder", enc);

  for (l = made; l; l = l->next)
    gst_element_sync_state_with_parent (l->data);

  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);

  /* Mid-call the new track needs a new offer.  webrtcbin's own
   * negotiation-needed may already have fired (and been ignored) before the
   * preferences were set, so ask explicitly. */
  SESSION_LOCK (self);
  if (self->in_call) {
    self->renegotiate = TRUE;
    /* Nothing goes out on it before the peer applied the offer that
     * announces it: a webrtcbin that receives an SSRC it cannot map yet
     * never shows that track. */
    gst_pad_add_probe (webrtc_pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, hold_until_answered,
        GINT_TO_POINTER (g_atomic_int_get (&self->answers_applied) + 1),
        NULL);
  }
  SESSION_UNLOCK (self);
  gst_signal_bridge_maybe_renegotiate (self);

  return ghost;

fail_elements:
  for (l = made; l; l = l->next)
    gst_object_unref (gst_object_ref_sink (l->data));
  g_list_free (made);
  return NULL;

fail_webrtc_pad:
  GST_ELEMENT_WARNING (self, CORE, PAD, ("webrtcbin refused a new track"),
      (NULL));
  goto remove_made;

fail_link:
  GST_ELEMENT_WARNING (self, CORE, NEGOTIATION,
      ("Could not build the encoding chain"), (NULL));
  if (webrtc_pad) {
    gst_element_release_request_pad (self->webrtcbin, webrtc_pad);
    gst_object_unref (webrtc_pad);
  }
remove_made:
  for (l = made; l; l = l->next) {
    gst_element_set_state (l->data, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), l->data);
  }
  g_list_free (made);
  return NULL;
}

void
gst_signal_bridge_release_pad (GstElement * element, GstPad * pad)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (element);
  GList *chain, *l, *found;
  GstPad *webrtc_pad;
  GstElement *enc;

  if (GST_PAD_PAD_TEMPLATE (pad) && g_str_equal (GST_PAD_TEMPLATE_NAME_TEMPLATE
          (GST_PAD_PAD_TEMPLATE (pad)), "sub_%u")) {
    gst_signal_bridge_server_release_pad (self, pad);
    return;
  }

  chain = g_object_steal_data (G_OBJECT (pad), "signalbridge-chain");
  webrtc_pad = g_object_steal_data (G_OBJECT (pad), "signalbridge-webrtc-pad");
  enc = g_object_get_data (G_OBJECT (pad), "signalbridge-encoder");

  PADS_LOCK (self);
  found = g_list_find (self->video_encoders, enc);
  if (found) {
    gst_object_unref (found->data);
    self->video_encoders = g_list_delete_link (self->video_encoders, found);
  }
  PADS_UNLOCK (self);

  gst_element_remove_pad (element, pad);

  /* webrtcbin blocks its sink pads until negotiation: deactivating the pad
   * first wakes our streaming thread, which would otherwise hold the stream
   * lock that stopping the chain's queue waits for. */
  if (webrtc_pad)
    gst_pad_set_active (webrtc_pad, FALSE);

  for (l = chain; l; l = l->next) {
    if (GST_OBJECT_PARENT (l->data) != GST_OBJECT (self))
      continue;
    gst_element_set_state (l->data, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), l->data);
  }
  free_chain (chain);

  if (webrtc_pad) {
    if (GST_OBJECT_PARENT (webrtc_pad) == GST_OBJECT (self->webrtcbin))
      gst_element_release_request_pad (self->webrtcbin, webrtc_pad);
    gst_object_unref (webrtc_pad);
  }

  SESSION_LOCK (self);
  if (self->in_call)
    self->renegotiate = TRUE;
  SESSION_UNLOCK (self);
}

