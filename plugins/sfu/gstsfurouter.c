/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-sfurouter
 * @title: sfurouter
 *
 * Selective forwarding of RTP: published tracks come in on request sink
 * pads (`sink_%u`, one per track and simulcast layer), and every
 * (subscriber, track) pair leaves on its own request src pad (`src_%u`).
 * No signalling and no webrtcbin inside: the media worker wires sfurouter
 * between signalbridge's publish and subscribe sessions.
 *
 * A sink pad says what it carries with its #GstSfuRouterSinkPad:publisher-id,
 * #GstSfuRouterSinkPad:track-id and #GstSfuRouterSinkPad:layer (0 is the
 * lowest simulcast layer).  A src pad follows one track with
 * #GstSfuRouterSrcPad:publisher-id and #GstSfuRouterSrcPad:track-id, and
 * carries the subscriber's wishes: #GstSfuRouterSrcPad:max-width /
 * #GstSfuRouterSrcPad:max-height (its tile) and #GstSfuRouterSrcPad:estimate
 * (its bandwidth; the `push-rtcp` action signal feeds REMB / TWCC reports
 * and PLI / FIR).
 *
 * Each subscriber gets one continuous stream: SSRC, sequence numbers,
 * timestamps and VP8 picture ids are rewritten across layer switches and
 * publisher restarts.
 * Video switches layer only on a keyframe of the target layer, and a switch
 * asks the publisher for one (an upstream `GstForceKeyUnit` event on the
 * layer's sink pad; at most one per layer per 300 ms, at once for a new
 * subscriber).  A `GstForceKeyUnit` event arriving on a src pad (webrtcbin
 * turns a receiver's PLI into one) goes the same way.  Audio is always
 * forwarded.
 *
 * Element messages:
 * - `sfurouter-layer-active` (`publisher`, `track`, `layer`, `active`): a
 *   layer started or stopped being watched; nothing is forwarded from an
 *   inactive layer, and upstream may stop sending it.
 * - `sfurouter-layer-switched` (`subscriber`, `publisher`, `track`,
 *   `layer`): a subscriber now receives another layer.
 * - `sfurouter-active-speaker` (`publisher`, `track`, `level` in -dBov):
 *   from RFC 6464 audio levels, debounced by
 *   #GstSfuRouter:speaker-debounce.
 *
 * Packets that do not parse (truncated RTP, bogus header extensions) are
 * dropped and counted in #GstSfuRouter:malformed-packets; they never stop
 * the forwarding of anyone else.  Forwarding runs in the publisher's
 * streaming thread: no queue, no jitter buffer.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 sfurouter name=r \
 *     videotestsrc num-buffers=100 ! vp8enc deadline=1 ! rtpvp8pay ! r.sink_0 \
 *     r.src_0 ! rtpvp8depay ! vp8dec ! fakesink
 * ]| One publisher track (empty publisher and track ids) to one subscriber
 * following the same ids.
 */

#include <string.h>

#include <gst/video/video.h>

#include "gstsfurouter.h"
#include "sfu-rtp.h"
#include "sfu-rewriter.h"
#include "sfu-layers.h"
#include "sfu-keyframe.h"
#include "sfu-rtcp.h"
#include "sfu-speaker.h"

GST_DEBUG_CATEGORY_STATIC (gst_sfu_router_debug);
#define GST_CAT_DEFAULT gst_sfu_router_debug

/* Routing lock: see GstSfuRouter.lock */
#define ROUTE_LOCK(s) g_mutex_lock (&(s)->lock)
#define ROUTE_UNLOCK(s) g_mutex_unlock (&(s)->lock)

enum
{
  PROP_0,
  PROP_SPEAKER_DEBOUNCE,
  PROP_MALFORMED_PACKETS,
};

#define DEFAULT_SPEAKER_DEBOUNCE SFU_SPEAKER_DEFAULT_DEBOUNCE_NS
/* how often a subscriber's layer choice is looked at again without a
 * change of its wishes (measured layer bitrates move) */
#define LAYER_REEVALUATE_NS (500 * GST_MSECOND)

enum
{
  SIGNAL_PUSH_RTCP,
  LAST_SIGNAL
};

static guint gst_sfu_router_signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src_%u",
    GST_PAD_SRC,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

struct _GstSfuRouter
{
  GstElement parent;

  /* Routing lock.  Protects: sinkpads, srcpads, the routing fields of every
   * GstSfuRouterSinkPad and GstSfuRouterSrcPad (marked "route"), speaker,
   * speaker_debounce, n_eos, malformed, next_pad_id, activity_dirty.
   * Lock order: taken alone.  Never held while pushing data or events,
   * posting messages or taking GST_OBJECT_LOCK / a pad's push_lock: every
   * such action is queued in an Actions list and run after unlocking. */
  GMutex lock;
  GList *sinkpads;              /* GstSfuRouterSinkPad, not reffed (element owns) */
  GList *srcpads;               /* GstSfuRouterSrcPad, idem */
  SfuSpeakerDetector *speaker;
  guint64 speaker_debounce;
  guint n_eos;
  guint64 malformed;
  guint next_pad_id;
  /* a current or target layer changed: layer activity needs a look */
  gboolean activity_dirty;
};

struct _GstSfuRouterSinkPad
{
  GstPad parent;

  /* route: set by the application */
  gchar *publisher_id;
  gchar *track_id;
  GQuark track_key;             /* publisher + track, compared per packet */
  gint layer;
  guint width;
  guint height;
  guint64 bitrate;
  guint audio_level_id;

  /* route: learnt from caps and data */
  guint id;
  gboolean have_caps;
  gboolean is_audio;
  SfuCodec codec;
  guint clock_rate;
  guint caps_audio_level_id;
  GstCaps *out_caps;            /* caps for subscribers, without ssrc */
  GstSegment segment;
  gboolean have_ssrc;
  guint32 ssrc;
  gboolean eos;
  SfuKeyframeGate gate;
  SfuRateMeter meter;
  gboolean announced;
  gboolean active;
};

struct _GstSfuRouterSrcPad
{
  GstPad parent;

  /* route: set by the application */
  gchar *subscriber_id;
  gchar *publisher_id;
  gchar *track_id;
  GQuark track_key;
  guint max_width;
  guint max_height;
  guint64 estimate;

  /* route */
  gint current_layer;
  gint target_layer;
  guint64 next_eval;
  gboolean dirty;
  SfuRewriter rw;
  guint64 forwarded;

  /* Serialises what this pad pushes (sticky events before the buffer they
   * describe) when several publisher threads feed it.  Protects: sent_*.
   * Lock order: never taken with the routing lock held. */
  GMutex push_lock;
  gboolean sent_stream_start;
  GstCaps *sent_caps;
  gboolean sent_segment;
};

G_DEFINE_TYPE (GstSfuRouterSinkPad, gst_sfu_router_sink_pad, GST_TYPE_PAD);
G_DEFINE_TYPE (GstSfuRouterSrcPad, gst_sfu_router_src_pad, GST_TYPE_PAD);

#define gst_sfu_router_parent_class parent_class
G_DEFINE_TYPE (GstSfuRouter, gst_sfu_router, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (sfurouter, "sfurouter", GST_RANK_NONE,
    GST_TYPE_SFU_ROUTER);

/* ------------------------------------------------------------------------ */
/* Actions collected under the routing lock, run after it is released. */

typedef struct
{
  GstSfuRouterSrcPad *pad;      /* reffed */
  GstBuffer *buf;               /* reffed input buffer */
  GstCaps *caps;                /* reffed, without ssrc */
  guint32 ssrc;
  guint16 seq;
  guint32 ts;
  GstClockTime pts;
  /* VP8 descriptor rewrite, when the payload has one */
  gboolean vp8;
  SfuVp8Descriptor vp8_desc;
  gsize payload_offset;
  guint16 picture_id;
  guint8 tl0picidx;
} PushItem;

/* The lists are made on first use: most packets only push. */
typedef struct
{
  GArray *pushes;               /* PushItem */
  GPtrArray *keyframe_pads;     /* GstPad, reffed: send GstForceKeyUnit up */
  GPtrArray *messages;          /* GstMessage */
  gboolean eos;
} Actions;

static void
actions_init (Actions * a)
{
  memset (a, 0, sizeof (*a));
}

static void
actions_add_push (Actions * a, PushItem * it)
{
  if (a->pushes == NULL)
    a->pushes = g_array_sized_new (FALSE, FALSE, sizeof (PushItem), 8);
  g_array_append_vals (a->pushes, it, 1);
}

static void
actions_add_keyframe_request (Actions * a, GstPad * pad)
{
  if (a->keyframe_pads == NULL)
    a->keyframe_pads = g_ptr_array_new_with_free_func (gst_object_unref);
  g_ptr_array_add (a->keyframe_pads, gst_object_ref (pad));
}

static void
actions_add_message (Actions * a, GstMessage * msg)
{
  if (a->messages == NULL)
    a->messages = g_ptr_array_new ();
  g_ptr_array_add (a->messages, msg);
}

static GstFlowReturn
push_item (GstSfuRouter * self, PushItem * it)
{
  GstSfuRouterSrcPad *sp = it->pad;
  GstPad *pad = GST_PAD (sp);
  GstBuffer *out;
  GstMapInfo map;
  GstFlowReturn ret;

  out = gst_buffer_copy (it->buf);
  /* mapping for write copies the shared memory: the header we write is
   * this subscriber's own */
  if (!gst_buffer_map (out, &map, GST_MAP_WRITE)) {
    gst_buffer_unref (out);
    return GST_FLOW_ERROR;
  }
  sfu_rtp_write_header (map.data, map.size, it->ssrc, it->seq, it->ts);
  if (it->vp8 && it->payload_offset < map.size)
    sfu_vp8_write_descriptor (map.data + it->payload_offset,
        map.size - it->payload_offset, &it->vp8_desc, it->picture_id,
        it->tl0picidx);
  gst_buffer_unmap (out, &map);
  GST_BUFFER_PTS (out) = it->pts;
  GST_BUFFER_DTS (out) = GST_CLOCK_TIME_NONE;

  g_mutex_lock (&sp->push_lock);
  if (!sp->sent_stream_start) {
    /* gst_pad_create_stream_id() wants one upstream stream: we have many */
    gchar *stream_id = g_strdup_printf ("%08x%08x/%s", g_random_int (),
        g_random_int (), GST_PAD_NAME (pad));

    gst_pad_push_event (pad, gst_event_new_stream_start (stream_id));
    g_free (stream_id);
    sp->sent_stream_start = TRUE;
  }
  if (it->caps && (sp->sent_caps == NULL ||
          !gst_caps_is_equal (sp->sent_caps, it->caps))) {
    GstCaps *caps = gst_caps_copy (it->caps);

    gst_caps_set_simple (caps, "ssrc", G_TYPE_UINT, it->ssrc, NULL);
    gst_pad_push_event (pad, gst_event_new_caps (caps));
    gst_caps_unref (caps);
    gst_caps_replace (&sp->sent_caps, it->caps);
  }
  if (!sp->sent_segment) {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    gst_pad_push_event (pad, gst_event_new_segment (&seg));
    sp->sent_segment = TRUE;
  }
  ret = gst_pad_push (pad, out);
  g_mutex_unlock (&sp->push_lock);
  return ret;
}

static void
actions_run (GstSfuRouter * self, Actions * a)
{
  guint i;

  for (i = 0; a->messages && i < a->messages->len; i++)
    gst_element_post_message (GST_ELEMENT (self),
        g_ptr_array_index (a->messages, i));

  for (i = 0; a->keyframe_pads && i < a->keyframe_pads->len; i++) {
    GstPad *pad = g_ptr_array_index (a->keyframe_pads, i);

    GST_DEBUG_OBJECT (self, "keyframe request upstream of %s",
        GST_PAD_NAME (pad));
    gst_pad_push_event (pad,
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
            TRUE, 0));
  }

  for (i = 0; a->pushes && i < a->pushes->len; i++) {
    PushItem *it = &g_array_index (a->pushes, PushItem, i);
    GstFlowReturn ret = push_item (self, it);

    /* one subscriber gone, unlinked or flushing is its own business */
    if (ret != GST_FLOW_OK)
      GST_LOG_OBJECT (self, "push on %s: %s", GST_PAD_NAME (it->pad),
          gst_flow_get_name (ret));
    gst_object_unref (it->pad);
    gst_buffer_unref (it->buf);
    if (it->caps)
      gst_caps_unref (it->caps);
  }

  if (a->eos) {
    GstIterator *iter = gst_element_iterate_src_pads (GST_ELEMENT (self));
    GValue v = G_VALUE_INIT;

    while (gst_iterator_next (iter, &v) == GST_ITERATOR_OK) {
      gst_pad_push_event (g_value_get_object (&v), gst_event_new_eos ());
      g_value_reset (&v);
    }
    g_value_unset (&v);
    gst_iterator_free (iter);
  }

  g_clear_pointer (&a->pushes, g_array_unref);
  g_clear_pointer (&a->keyframe_pads, g_ptr_array_unref);
  g_clear_pointer (&a->messages, g_ptr_array_unref);
}

/* ------------------------------------------------------------------------ */
/* Routing decisions.  Every function here: Call with the routing lock. */

static guint64
router_now (GstSfuRouter * self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  guint64 now;

  if (clock == NULL)
    return g_get_monotonic_time () * GST_USECOND;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now;
}

/* One quark per (publisher, track): the per-packet routing compares
 * integers, not strings. */
static GQuark
track_key (const gchar * publisher, const gchar * track)
{
  gchar *key = g_strconcat (publisher ? publisher : "", "\x1f",
      track ? track : "", NULL);
  GQuark q = g_quark_from_string (key);

  g_free (key);
  return q;
}

static gboolean
follows (GstSfuRouterSrcPad * sp, GstSfuRouterSinkPad * kp)
{
  return sp->track_key == kp->track_key;
}

/* Call with LOCK taken */
static GstSfuRouterSinkPad *
find_layer_pad (GstSfuRouter * self, GstSfuRouterSrcPad * sp, gint layer)
{
  GList *l;

  for (l = self->sinkpads; l; l = l->next) {
    GstSfuRouterSinkPad *kp = l->data;

    if (kp->have_caps && kp->layer == layer && follows (sp, kp))
      return kp;
  }
  return NULL;
}

/* Call with LOCK taken */
static void
request_keyframe (GstSfuRouter * self, GstSfuRouterSinkPad * kp, guint64 now,
    Actions * a)
{
  if (kp->is_audio)
    return;
  if (sfu_keyframe_gate_request (&kp->gate, now))
    actions_add_keyframe_request (a, GST_PAD (kp));
}

/* Call with LOCK taken */
static void
choose_layer (GstSfuRouter * self, GstSfuRouterSrcPad * sp, guint64 now,
    Actions * a)
{
  SfuLayerInfo layers[SFU_MAX_LAYERS] = { {0} };
  GstSfuRouterSinkPad *kp;
  gboolean video = FALSE;
  GList *l;
  gint target;

  sp->dirty = FALSE;
  sp->next_eval = now + LAYER_REEVALUATE_NS;

  for (l = self->sinkpads; l; l = l->next) {
    kp = l->data;
    if (!kp->have_caps || kp->is_audio || !follows (sp, kp))
      continue;
    video = TRUE;
    layers[kp->layer].present = TRUE;
    layers[kp->layer].width = kp->width;
    layers[kp->layer].height = kp->height;
    layers[kp->layer].bitrate = kp->bitrate ? kp->bitrate : kp->meter.bitrate;
  }
  if (!video) {
    sp->target_layer = -1;
    return;
  }

  target = sfu_layers_choose (layers, SFU_MAX_LAYERS, sp->current_layer,
      sp->estimate, sp->max_width, sp->max_height);
  if (target == sp->target_layer)
    return;

  GST_DEBUG_OBJECT (self, "%s: target layer %d -> %d (estimate %"
      G_GUINT64_FORMAT ", max %ux%u)", GST_PAD_NAME (sp), sp->target_layer,
      target, sp->estimate, sp->max_width, sp->max_height);
  sp->target_layer = target;
  self->activity_dirty = TRUE;
  if (target >= 0 && target != sp->current_layer &&
      (kp = find_layer_pad (self, sp, target)))
    request_keyframe (self, kp, now, a);
}

/* Call with LOCK taken */
static void
update_activity (GstSfuRouter * self, Actions * a)
{
  GList *l, *m;

  self->activity_dirty = FALSE;
  for (l = self->sinkpads; l; l = l->next) {
    GstSfuRouterSinkPad *kp = l->data;
    gboolean active = FALSE;

    if (!kp->have_caps || kp->is_audio)
      continue;
    for (m = self->srcpads; m && !active; m = m->next) {
      GstSfuRouterSrcPad *sp = m->data;

      active = follows (sp, kp) && (sp->current_layer == kp->layer ||
          sp->target_layer == kp->layer);
    }
    if (kp->announced && kp->active == active)
      continue;
    kp->announced = TRUE;
    kp->active = active;
    GST_INFO_OBJECT (self, "layer %s/%s/%d %s", kp->publisher_id,
        kp->track_id, kp->layer, active ? "active" : "inactive");
    actions_add_message (a,
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("sfurouter-layer-active",
                "publisher", G_TYPE_STRING, kp->publisher_id,
                "track", G_TYPE_STRING, kp->track_id,
                "layer", G_TYPE_INT, kp->layer,
                "active", G_TYPE_BOOLEAN, active, NULL)));
  }
}

/* Call with LOCK taken.  Looks at every subscriber again after a change of
 * pads or wishes. */
static void
reroute (GstSfuRouter * self, guint64 now, Actions * a)
{
  GList *l;

  for (l = self->srcpads; l; l = l->next)
    choose_layer (self, l->data, now, a);
  update_activity (self, a);
}

/* Call with LOCK taken */
static void
forward (GstSfuRouter * self, GstSfuRouterSrcPad * sp,
    GstSfuRouterSinkPad * kp, GstBuffer * buf, const guint8 * data,
    const SfuRtpPacket * pkt, guint64 now, Actions * a)
{
  PushItem it = { 0 };
  guint64 source = ((guint64) kp->id << 32) | pkt->ssrc;

  if (!sp->rw.started)
    sfu_rewriter_init (&sp->rw, sp->rw.out_ssrc, kp->clock_rate);
  sp->rw.clock_rate = kp->clock_rate;
  sfu_rewriter_rewrite (&sp->rw, source, pkt->seq, pkt->ts, now, &it.seq,
      &it.ts);
  it.ssrc = sp->rw.out_ssrc;
  if (kp->codec == SFU_CODEC_VP8 &&
      sfu_vp8_parse_descriptor (pkt->payload, pkt->payload_len,
          &it.vp8_desc) && (it.vp8_desc.has_picture_id ||
          it.vp8_desc.has_tl0picidx)) {
    it.vp8 = TRUE;
    it.payload_offset = pkt->payload - data;
    sfu_rewriter_rewrite_vp8 (&sp->rw, it.vp8_desc.picture_id,
        it.vp8_desc.picture_id_15bit ? 0x7fff : 0x7f, it.vp8_desc.tl0picidx,
        &it.picture_id, &it.tl0picidx);
  }
  it.pad = gst_object_ref (sp);
  it.buf = gst_buffer_ref (buf);
  it.caps = kp->out_caps ? gst_caps_ref (kp->out_caps) : NULL;
  it.pts = gst_segment_to_running_time (&kp->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  sp->forwarded++;
  actions_add_push (a, &it);
}

/* Call with LOCK taken */
static void
route_video (GstSfuRouter * self, GstSfuRouterSrcPad * sp,
    GstSfuRouterSinkPad * kp, GstBuffer * buf, const guint8 * data,
    const SfuRtpPacket * pkt, gboolean keyframe, guint64 now, Actions * a)
{
  if (sp->dirty || now >= sp->next_eval)
    choose_layer (self, sp, now, a);

  if (kp->layer == sp->target_layer && kp->layer != sp->current_layer) {
    /* a codec we cannot read switches at once after asking for a keyframe:
     * a short glitch is better than never starting */
    if (!keyframe && kp->codec != SFU_CODEC_OTHER) {
      /* retried every 300 ms until the keyframe shows up */
      request_keyframe (self, kp, now, a);
      return;
    }
    if (kp->codec == SFU_CODEC_OTHER)
      request_keyframe (self, kp, now, a);
    GST_DEBUG_OBJECT (self, "%s: switch to layer %d", GST_PAD_NAME (sp),
        kp->layer);
    sp->current_layer = kp->layer;
    self->activity_dirty = TRUE;
    actions_add_message (a,
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("sfurouter-layer-switched",
                "subscriber", G_TYPE_STRING, sp->subscriber_id,
                "publisher", G_TYPE_STRING, kp->publisher_id,
                "track", G_TYPE_STRING, kp->track_id,
                "layer", G_TYPE_INT, kp->layer, NULL)));
  }
  if (kp->layer != sp->current_layer)
    return;
  forward (self, sp, kp, buf, data, pkt, now, a);
}

/* Call with LOCK taken */
static void
handle_audio_level (GstSfuRouter * self, GstSfuRouterSinkPad * kp,
    const SfuRtpPacket * pkt, guint64 now, Actions * a)
{
  guint id = kp->audio_level_id ? kp->audio_level_id : kp->caps_audio_level_id;
  gboolean voice;
  guint8 level;
  const gchar *speaker;
  guint speaker_level;
  gchar **parts;

  if (id == 0 || !sfu_rtp_audio_level (pkt, id, &voice, &level))
    return;
  /* \x1f in an id only mislabels that publisher's own messages */
  if (sfu_speaker_detector_update (self->speaker,
          g_quark_to_string (kp->track_key), voice, level, now, &speaker,
          &speaker_level)) {
    parts = g_strsplit (speaker, "\x1f", 2);
    actions_add_message (a,
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("sfurouter-active-speaker",
                "publisher", G_TYPE_STRING, parts[0],
                "track", G_TYPE_STRING, parts[1] ? parts[1] : "",
                "level", G_TYPE_UINT, speaker_level, NULL)));
    g_strfreev (parts);
  }
}

static GstFlowReturn
gst_sfu_router_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstSfuRouter *self = GST_SFU_ROUTER (parent);
  GstSfuRouterSinkPad *kp = GST_SFU_ROUTER_SINK_PAD (pad);
  GstMapInfo map;
  SfuRtpPacket pkt;
  gboolean keyframe = FALSE;
  guint64 now;
  Actions a;
  GList *l;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  now = router_now (self);
  actions_init (&a);

  ROUTE_LOCK (self);
  if (!sfu_rtp_parse (map.data, map.size, &pkt) || !kp->have_caps) {
    self->malformed++;
    ROUTE_UNLOCK (self);
    GST_LOG_OBJECT (self, "%s: dropped malformed packet of %" G_GSIZE_FORMAT
        " bytes", GST_PAD_NAME (pad), map.size);
    goto done;
  }

  sfu_rate_meter_add (&kp->meter, now, map.size);

  if (!kp->is_audio) {
    keyframe = sfu_rtp_is_keyframe_start (kp->codec, pkt.payload,
        pkt.payload_len);
    if (keyframe)
      sfu_keyframe_gate_keyframe (&kp->gate);
    if (kp->have_ssrc && kp->ssrc != pkt.ssrc) {
      /* publisher restart: subscribers on this layer wait for the new
       * stream's keyframe, which the new encoder sends first anyway */
      GST_INFO_OBJECT (self, "%s: SSRC %08x -> %08x", GST_PAD_NAME (pad),
          kp->ssrc, pkt.ssrc);
      for (l = self->srcpads; l; l = l->next) {
        GstSfuRouterSrcPad *sp = l->data;

        if (follows (sp, kp) && sp->current_layer == kp->layer) {
          sp->current_layer = -1;
          self->activity_dirty = TRUE;
        }
      }
    }
    if (sfu_keyframe_gate_poll (&kp->gate, now))
      actions_add_keyframe_request (&a, GST_PAD (kp));
  } else {
    handle_audio_level (self, kp, &pkt, now, &a);
  }
  kp->have_ssrc = TRUE;
  kp->ssrc = pkt.ssrc;

  for (l = self->srcpads; l; l = l->next) {
    GstSfuRouterSrcPad *sp = l->data;

    if (!follows (sp, kp))
      continue;
    if (kp->is_audio)
      forward (self, sp, kp, buf, map.data, &pkt, now, &a);
    else
      route_video (self, sp, kp, buf, map.data, &pkt, keyframe, now, &a);
  }
  if (self->activity_dirty)
    update_activity (self, &a);
  ROUTE_UNLOCK (self);

done:
  gst_buffer_unmap (buf, &map);
  actions_run (self, &a);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

/* Call with LOCK taken */
static void
sink_pad_set_caps (GstSfuRouter * self, GstSfuRouterSinkPad * kp,
    GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *media = gst_structure_get_string (s, "media");
  gint clock_rate = 0;
  GstStructure *out;
  guint i;

  kp->is_audio = g_strcmp0 (media, "audio") == 0;
  kp->codec =
      sfu_codec_from_encoding_name (gst_structure_get_string (s,
          "encoding-name"));
  if (!gst_structure_get_int (s, "clock-rate", &clock_rate) || clock_rate <= 0)
    clock_rate = kp->is_audio ? 48000 : 90000;
  kp->clock_rate = clock_rate;

  kp->caps_audio_level_id = 0;
  for (i = 0; i < (guint) gst_structure_n_fields (s); i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    const GValue *v = gst_structure_get_value (s, name);
    const gchar *uri = NULL;
    guint64 id;

    if (!g_str_has_prefix (name, "extmap-"))
      continue;
    if (G_VALUE_HOLDS_STRING (v))
      uri = g_value_get_string (v);
    if (g_strcmp0 (uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level") != 0)
      continue;
    id = g_ascii_strtoull (name + strlen ("extmap-"), NULL, 10);
    if (id >= 1 && id <= 255)
      kp->caps_audio_level_id = id;
  }

  out = gst_structure_copy (s);
  gst_structure_remove_fields (out, "ssrc", "rid", "a-rid", "timestamp-offset",
      "seqnum-offset", NULL);
  gst_caps_replace (&kp->out_caps, NULL);
  kp->out_caps = gst_caps_new_full (out, NULL);
  kp->have_caps = TRUE;
}

static gboolean
gst_sfu_router_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstSfuRouter *self = GST_SFU_ROUTER (parent);
  GstSfuRouterSinkPad *kp = GST_SFU_ROUTER_SINK_PAD (pad);
  gboolean ret = TRUE;
  Actions a;

  actions_init (&a);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      guint64 now = router_now (self);

      gst_event_parse_caps (event, &caps);
      ROUTE_LOCK (self);
      sink_pad_set_caps (self, kp, caps);
      reroute (self, now, &a);
      ROUTE_UNLOCK (self);
      break;
    }
    case GST_EVENT_SEGMENT:
      ROUTE_LOCK (self);
      gst_event_copy_segment (event, &kp->segment);
      ROUTE_UNLOCK (self);
      break;
    case GST_EVENT_EOS:
      ROUTE_LOCK (self);
      if (!kp->eos) {
        kp->eos = TRUE;
        self->n_eos++;
      }
      a.eos = self->n_eos == g_list_length (self->sinkpads);
      ROUTE_UNLOCK (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      ROUTE_LOCK (self);
      if (kp->eos) {
        kp->eos = FALSE;
        self->n_eos--;
      }
      ROUTE_UNLOCK (self);
      break;
    default:
      /* a publisher's stream-start, flush or tags mean nothing to the
       * subscribers, who each have their own stream */
      break;
  }
  gst_event_unref (event);
  actions_run (self, &a);
  return ret;
}

static gboolean
gst_sfu_router_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps = gst_pad_get_pad_template_caps (pad);

      gst_query_parse_caps (query, &filter);
      if (filter) {
        GstCaps *tmp = gst_caps_intersect (filter, caps);

        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

/* A subscriber (through webrtcbin, which turns its PLI / FIR into this
 * event) wants a keyframe of what it receives, or of what it waits for. */
static void
src_pad_keyframe_request (GstSfuRouter * self, GstSfuRouterSrcPad * sp,
    Actions * a)
{
  GstSfuRouterSinkPad *kp;
  guint64 now = router_now (self);
  gint layer;

  ROUTE_LOCK (self);
  layer = sp->target_layer >= 0 ? sp->target_layer : sp->current_layer;
  if (layer >= 0 && (kp = find_layer_pad (self, sp, layer)))
    request_keyframe (self, kp, now, a);
  ROUTE_UNLOCK (self);
}

static gboolean
gst_sfu_router_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstSfuRouter *self = GST_SFU_ROUTER (parent);
  Actions a;

  actions_init (&a);
  if (gst_video_event_is_force_key_unit (event))
    src_pad_keyframe_request (self, GST_SFU_ROUTER_SRC_PAD (pad), &a);
  /* Nothing else goes upstream: a subscriber's seek, QoS or reconfigure
   * must not reach a publisher that others share. */
  gst_event_unref (event);
  actions_run (self, &a);
  return TRUE;
}

static gboolean
gst_sfu_router_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstSfuRouterSrcPad *sp = GST_SFU_ROUTER_SRC_PAD (pad);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *caps;

      g_mutex_lock (&sp->push_lock);
      caps = sp->sent_caps ? gst_caps_ref (sp->sent_caps) :
          gst_pad_get_pad_template_caps (pad);
      g_mutex_unlock (&sp->push_lock);
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_LATENCY:
      /* forwarded at once, in the publisher's thread */
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    default:
      return FALSE;
  }
}

/* ------------------------------------------------------------------------ */
/* Action signal: RTCP feedback of a subscriber */

static gboolean
gst_sfu_router_push_rtcp (GstSfuRouter * self, GstPad * pad, GstBuffer * buf)
{
  GstSfuRouterSrcPad *sp;
  SfuRtcpFeedback fb;
  GstMapInfo map;
  guint64 now;
  gboolean ok;
  Actions a;

  if (!GST_IS_SFU_ROUTER_SRC_PAD (pad) || buf == NULL ||
      GST_OBJECT_PARENT (pad) != GST_OBJECT (self))
    return FALSE;
  sp = GST_SFU_ROUTER_SRC_PAD (pad);
  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return FALSE;
  ok = sfu_rtcp_parse (map.data, map.size, &fb);
  gst_buffer_unmap (buf, &map);

  actions_init (&a);
  now = router_now (self);
  ROUTE_LOCK (self);
  if (!ok) {
    /* what parsed before the fault still counts: a compound packet with a
     * good REMB and a torn trailer is still a REMB */
    self->malformed++;
  }
  if (fb.has_remb || fb.twcc_reported) {
    guint64 est = sfu_rtcp_update_estimate (sp->estimate, &fb);

    if (est != sp->estimate) {
      sp->estimate = est;
      sp->dirty = TRUE;
      reroute (self, now, &a);
    }
  }
  ROUTE_UNLOCK (self);
  if (fb.keyframe_request)
    src_pad_keyframe_request (self, sp, &a);
  actions_run (self, &a);
  return ok;
}

/* ------------------------------------------------------------------------ */
/* Pad properties */

enum
{
  PROP_PAD_0,
  PROP_PAD_PUBLISHER_ID,
  PROP_PAD_TRACK_ID,
  PROP_PAD_LAYER,
  PROP_PAD_WIDTH,
  PROP_PAD_HEIGHT,
  PROP_PAD_BITRATE,
  PROP_PAD_AUDIO_LEVEL_ID,
  PROP_PAD_SUBSCRIBER_ID,
  PROP_PAD_MAX_WIDTH,
  PROP_PAD_MAX_HEIGHT,
  PROP_PAD_ESTIMATE,
  PROP_PAD_SSRC,
  PROP_PAD_CURRENT_LAYER,
  PROP_PAD_FORWARDED,
};

#define DEFAULT_PAD_LAYER 0
#define DEFAULT_PAD_AUDIO_LEVEL_ID 0
#define DEFAULT_PAD_MAX_SIZE 0
#define DEFAULT_PAD_ESTIMATE 0

/* Pads change routing: every property write takes the routing lock of the
 * element the pad belongs to (none before it is added) and looks at the
 * routes again. */
static GstSfuRouter *
pad_router_lock (GstPad * pad, guint64 * now)
{
  GstObject *parent = gst_object_get_parent (GST_OBJECT (pad));

  if (parent == NULL)
    return NULL;
  if (!GST_IS_SFU_ROUTER (parent)) {
    gst_object_unref (parent);
    return NULL;
  }
  *now = router_now (GST_SFU_ROUTER (parent));
  ROUTE_LOCK (GST_SFU_ROUTER (parent));
  return GST_SFU_ROUTER (parent);
}

static void
pad_router_unlock (GstSfuRouter * self, guint64 now, gboolean changed)
{
  Actions a;

  if (self == NULL)
    return;
  actions_init (&a);
  if (changed)
    reroute (self, now, &a);
  ROUTE_UNLOCK (self);
  actions_run (self, &a);
  gst_object_unref (self);
}

static void
gst_sfu_router_sink_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSfuRouterSinkPad *kp = GST_SFU_ROUTER_SINK_PAD (object);
  guint64 now = 0;
  GstSfuRouter *self = pad_router_lock (GST_PAD (kp), &now);

  switch (prop_id) {
    case PROP_PAD_PUBLISHER_ID:
      g_free (kp->publisher_id);
      kp->publisher_id = g_value_dup_string (value);
      kp->track_key = track_key (kp->publisher_id, kp->track_id);
      kp->announced = FALSE;
      break;
    case PROP_PAD_TRACK_ID:
      g_free (kp->track_id);
      kp->track_id = g_value_dup_string (value);
      kp->track_key = track_key (kp->publisher_id, kp->track_id);
      kp->announced = FALSE;
      break;
    case PROP_PAD_LAYER:
      kp->layer = g_value_get_int (value);
      kp->announced = FALSE;
      break;
    case PROP_PAD_WIDTH:
      kp->width = g_value_get_uint (value);
      break;
    case PROP_PAD_HEIGHT:
      kp->height = g_value_get_uint (value);
      break;
    case PROP_PAD_BITRATE:
      kp->bitrate = g_value_get_uint64 (value);
      break;
    case PROP_PAD_AUDIO_LEVEL_ID:
      kp->audio_level_id = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  pad_router_unlock (self, now, TRUE);
}

static void
gst_sfu_router_sink_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSfuRouterSinkPad *kp = GST_SFU_ROUTER_SINK_PAD (object);
  guint64 now = 0;
  GstSfuRouter *self = pad_router_lock (GST_PAD (kp), &now);

  switch (prop_id) {
    case PROP_PAD_PUBLISHER_ID:
      g_value_set_string (value, kp->publisher_id);
      break;
    case PROP_PAD_TRACK_ID:
      g_value_set_string (value, kp->track_id);
      break;
    case PROP_PAD_LAYER:
      g_value_set_int (value, kp->layer);
      break;
    case PROP_PAD_WIDTH:
      g_value_set_uint (value, kp->width);
      break;
    case PROP_PAD_HEIGHT:
      g_value_set_uint (value, kp->height);
      break;
    case PROP_PAD_BITRATE:
      g_value_set_uint64 (value, kp->bitrate);
      break;
    case PROP_PAD_AUDIO_LEVEL_ID:
      g_value_set_uint (value, kp->audio_level_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  pad_router_unlock (self, now, FALSE);
}

static void
gst_sfu_router_sink_pad_finalize (GObject * object)
{
  GstSfuRouterSinkPad *kp = GST_SFU_ROUTER_SINK_PAD (object);

  g_free (kp->publisher_id);
  g_free (kp->track_id);
  gst_caps_replace (&kp->out_caps, NULL);
  G_OBJECT_CLASS (gst_sfu_router_sink_pad_parent_class)->finalize (object);
}

static void
gst_sfu_router_sink_pad_class_init (GstSfuRouterSinkPadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_sfu_router_sink_pad_set_property;
  gobject_class->get_property = gst_sfu_router_sink_pad_get_property;
  gobject_class->finalize = gst_sfu_router_sink_pad_finalize;

  g_object_class_install_property (gobject_class, PROP_PAD_PUBLISHER_ID,
      g_param_spec_string ("publisher-id", "Publisher id",
          "Participant who publishes this track", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_TRACK_ID,
      g_param_spec_string ("track-id", "Track id",
          "Track of the publisher (all simulcast layers share it)", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_LAYER,
      g_param_spec_int ("layer", "Layer",
          "Simulcast layer index, 0 = lowest", 0, SFU_MAX_LAYERS - 1,
          DEFAULT_PAD_LAYER, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_WIDTH,
      g_param_spec_uint ("width", "Width",
          "Frame width of this layer (0 = unknown)", 0, G_MAXUINT16,
          DEFAULT_PAD_MAX_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_HEIGHT,
      g_param_spec_uint ("height", "Height",
          "Frame height of this layer (0 = unknown)", 0, G_MAXUINT16,
          DEFAULT_PAD_MAX_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_BITRATE,
      g_param_spec_uint64 ("bitrate", "Bitrate",
          "Bitrate of this layer in bit/s (0 = measure it)", 0, G_MAXUINT64,
          DEFAULT_PAD_ESTIMATE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_AUDIO_LEVEL_ID,
      g_param_spec_uint ("audio-level-id", "Audio level extension id",
          "RTP header extension id of RFC 6464 audio levels "
          "(0 = from the caps' extmap)", 0, 255, DEFAULT_PAD_AUDIO_LEVEL_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
gst_sfu_router_sink_pad_init (GstSfuRouterSinkPad * kp)
{
  kp->layer = DEFAULT_PAD_LAYER;
  kp->track_key = track_key (NULL, NULL);
  kp->audio_level_id = DEFAULT_PAD_AUDIO_LEVEL_ID;
  gst_segment_init (&kp->segment, GST_FORMAT_TIME);
  sfu_keyframe_gate_init (&kp->gate);
}

static void
gst_sfu_router_src_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSfuRouterSrcPad *sp = GST_SFU_ROUTER_SRC_PAD (object);
  guint64 now = 0;
  GstSfuRouter *self = pad_router_lock (GST_PAD (sp), &now);

  switch (prop_id) {
    case PROP_PAD_SUBSCRIBER_ID:
      g_free (sp->subscriber_id);
      sp->subscriber_id = g_value_dup_string (value);
      break;
    case PROP_PAD_PUBLISHER_ID:
      g_free (sp->publisher_id);
      sp->publisher_id = g_value_dup_string (value);
      sp->track_key = track_key (sp->publisher_id, sp->track_id);
      sp->current_layer = sp->target_layer = -1;
      break;
    case PROP_PAD_TRACK_ID:
      g_free (sp->track_id);
      sp->track_id = g_value_dup_string (value);
      sp->track_key = track_key (sp->publisher_id, sp->track_id);
      sp->current_layer = sp->target_layer = -1;
      break;
    case PROP_PAD_MAX_WIDTH:
      sp->max_width = g_value_get_uint (value);
      break;
    case PROP_PAD_MAX_HEIGHT:
      sp->max_height = g_value_get_uint (value);
      break;
    case PROP_PAD_ESTIMATE:
      sp->estimate = g_value_get_uint64 (value);
      break;
    case PROP_PAD_SSRC:
      sp->rw.out_ssrc = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  sp->dirty = TRUE;
  pad_router_unlock (self, now, TRUE);
}

static void
gst_sfu_router_src_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSfuRouterSrcPad *sp = GST_SFU_ROUTER_SRC_PAD (object);
  guint64 now = 0;
  GstSfuRouter *self = pad_router_lock (GST_PAD (sp), &now);

  switch (prop_id) {
    case PROP_PAD_SUBSCRIBER_ID:
      g_value_set_string (value, sp->subscriber_id);
      break;
    case PROP_PAD_PUBLISHER_ID:
      g_value_set_string (value, sp->publisher_id);
      break;
    case PROP_PAD_TRACK_ID:
      g_value_set_string (value, sp->track_id);
      break;
    case PROP_PAD_MAX_WIDTH:
      g_value_set_uint (value, sp->max_width);
      break;
    case PROP_PAD_MAX_HEIGHT:
      g_value_set_uint (value, sp->max_height);
      break;
    case PROP_PAD_ESTIMATE:
      g_value_set_uint64 (value, sp->estimate);
      break;
    case PROP_PAD_SSRC:
      g_value_set_uint (value, sp->rw.out_ssrc);
      break;
    case PROP_PAD_CURRENT_LAYER:
      g_value_set_int (value, sp->current_layer);
      break;
    case PROP_PAD_FORWARDED:
      g_value_set_uint64 (value, sp->forwarded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  pad_router_unlock (self, now, FALSE);
}

static void
gst_sfu_router_src_pad_finalize (GObject * object)
{
  GstSfuRouterSrcPad *sp = GST_SFU_ROUTER_SRC_PAD (object);

  g_free (sp->subscriber_id);
  g_free (sp->publisher_id);
  g_free (sp->track_id);
  gst_caps_replace (&sp->sent_caps, NULL);
  g_mutex_clear (&sp->push_lock);
  G_OBJECT_CLASS (gst_sfu_router_src_pad_parent_class)->finalize (object);
}

static void
gst_sfu_router_src_pad_class_init (GstSfuRouterSrcPadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_sfu_router_src_pad_set_property;
  gobject_class->get_property = gst_sfu_router_src_pad_get_property;
  gobject_class->finalize = gst_sfu_router_src_pad_finalize;

  g_object_class_install_property (gobject_class, PROP_PAD_SUBSCRIBER_ID,
      g_param_spec_string ("subscriber-id", "Subscriber id",
          "Participant who receives from this pad", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_PUBLISHER_ID,
      g_param_spec_string ("publisher-id", "Publisher id",
          "Publisher of the track to follow", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_TRACK_ID,
      g_param_spec_string ("track-id", "Track id",
          "Track to follow", NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_MAX_WIDTH,
      g_param_spec_uint ("max-width", "Max width",
          "Width the subscriber shows the track at (0 = any)", 0, G_MAXUINT16,
          DEFAULT_PAD_MAX_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_MAX_HEIGHT,
      g_param_spec_uint ("max-height", "Max height",
          "Height the subscriber shows the track at (0 = any)", 0,
          G_MAXUINT16, DEFAULT_PAD_MAX_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_ESTIMATE,
      g_param_spec_uint64 ("estimate", "Bandwidth estimate",
          "Subscriber's bandwidth estimate in bit/s (0 = unknown)", 0,
          G_MAXUINT64, DEFAULT_PAD_ESTIMATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_SSRC,
      g_param_spec_uint ("ssrc", "SSRC",
          "SSRC the subscriber sees (random unless set before data flows)",
          0, G_MAXUINT32, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_CURRENT_LAYER,
      g_param_spec_int ("current-layer", "Current layer",
          "Layer being forwarded (-1 = none yet)", -1, SFU_MAX_LAYERS - 1, -1,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PAD_FORWARDED,
      g_param_spec_uint64 ("forwarded", "Forwarded",
          "Packets forwarded on this pad", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
gst_sfu_router_src_pad_init (GstSfuRouterSrcPad * sp)
{
  g_mutex_init (&sp->push_lock);
  sp->track_key = track_key (NULL, NULL);
  sp->current_layer = -1;
  sp->target_layer = -1;
  sp->dirty = TRUE;
  sfu_rewriter_init (&sp->rw, g_random_int (), 90000);
}

/* ------------------------------------------------------------------------ */
/* Element */

static GstPad *
gst_sfu_router_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstSfuRouter *self = GST_SFU_ROUTER (element);
  GstPad *pad;
  gboolean sink = templ->direction == GST_PAD_SINK;
  guint64 now;
  Actions a;

  pad = g_object_new (sink ? GST_TYPE_SFU_ROUTER_SINK_PAD :
      GST_TYPE_SFU_ROUTER_SRC_PAD, "name", name, "direction",
      templ->direction, "template", templ, NULL);
  if (sink) {
    gst_pad_set_chain_function (pad, gst_sfu_router_sink_chain);
    gst_pad_set_event_function (pad, gst_sfu_router_sink_event);
    gst_pad_set_query_function (pad, gst_sfu_router_sink_query);
  } else {
    gst_pad_set_event_function (pad, gst_sfu_router_src_event);
    gst_pad_set_query_function (pad, gst_sfu_router_src_query);
    gst_pad_use_fixed_caps (pad);
  }

  if (!gst_element_add_pad (element, pad)) {
    GST_WARNING_OBJECT (self, "pad name %s is taken", GST_STR_NULL (name));
    gst_object_unref (pad);
    return NULL;
  }
  now = router_now (self);
  actions_init (&a);
  ROUTE_LOCK (self);
  if (sink) {
    GST_SFU_ROUTER_SINK_PAD (pad)->id = self->next_pad_id++;
    self->sinkpads = g_list_append (self->sinkpads, pad);
  } else {
    self->srcpads = g_list_append (self->srcpads, pad);
  }
  reroute (self, now, &a);
  ROUTE_UNLOCK (self);
  actions_run (self, &a);
  return pad;
}

static void
gst_sfu_router_release_pad (GstElement * element, GstPad * pad)
{
  GstSfuRouter *self = GST_SFU_ROUTER (element);
  guint64 now = router_now (self);
  Actions a;

  actions_init (&a);
  ROUTE_LOCK (self);
  if (GST_IS_SFU_ROUTER_SINK_PAD (pad)) {
    GstSfuRouterSinkPad *kp = GST_SFU_ROUTER_SINK_PAD (pad);

    self->sinkpads = g_list_remove (self->sinkpads, pad);
    if (kp->eos)
      self->n_eos--;
    if (kp->is_audio)
      sfu_speaker_detector_remove (self->speaker,
          g_quark_to_string (kp->track_key));
  } else {
    self->srcpads = g_list_remove (self->srcpads, pad);
  }
  reroute (self, now, &a);
  ROUTE_UNLOCK (self);
  actions_run (self, &a);

  gst_element_remove_pad (element, pad);
}

static void
gst_sfu_router_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSfuRouter *self = GST_SFU_ROUTER (object);

  switch (prop_id) {
    case PROP_SPEAKER_DEBOUNCE:
      ROUTE_LOCK (self);
      self->speaker_debounce = g_value_get_uint64 (value);
      sfu_speaker_detector_set_debounce (self->speaker, self->speaker_debounce);
      ROUTE_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_sfu_router_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstSfuRouter *self = GST_SFU_ROUTER (object);

  switch (prop_id) {
    case PROP_SPEAKER_DEBOUNCE:
      ROUTE_LOCK (self);
      g_value_set_uint64 (value, self->speaker_debounce);
      ROUTE_UNLOCK (self);
      break;
    case PROP_MALFORMED_PACKETS:
      ROUTE_LOCK (self);
      g_value_set_uint64 (value, self->malformed);
      ROUTE_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_sfu_router_finalize (GObject * object)
{
  GstSfuRouter *self = GST_SFU_ROUTER (object);

  g_list_free (self->sinkpads);
  g_list_free (self->srcpads);
  sfu_speaker_detector_free (self->speaker);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_sfu_router_class_init (GstSfuRouterClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_sfu_router_debug, "sfurouter", 0,
      "Selective forwarding unit router");

  gobject_class->set_property = gst_sfu_router_set_property;
  gobject_class->get_property = gst_sfu_router_get_property;
  gobject_class->finalize = gst_sfu_router_finalize;

  g_object_class_install_property (gobject_class, PROP_SPEAKER_DEBOUNCE,
      g_param_spec_uint64 ("speaker-debounce", "Speaker debounce",
          "How long (ns) a new participant must be the loudest before "
          "becoming the active speaker", 0, G_MAXUINT64,
          DEFAULT_SPEAKER_DEBOUNCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MALFORMED_PACKETS,
      g_param_spec_uint64 ("malformed-packets", "Malformed packets",
          "RTP and RTCP packets dropped because they did not parse", 0,
          G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstSfuRouter::push-rtcp:
   * @sfurouter: the element
   * @pad: the src pad of the subscriber who sent the feedback
   * @rtcp: an RTCP compound packet
   *
   * Feeds a subscriber's RTCP: REMB sets its bandwidth estimate, TWCC
   * loss adjusts it, PLI / FIR ask for a keyframe (coalesced).
   *
   * Returns: %FALSE when the packet did not parse completely.
   */
  gst_sfu_router_signals[SIGNAL_PUSH_RTCP] =
      g_signal_new_class_handler ("push-rtcp", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_sfu_router_push_rtcp), NULL, NULL, NULL,
      G_TYPE_BOOLEAN, 2, GST_TYPE_PAD, GST_TYPE_BUFFER);

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_SFU_ROUTER_SINK_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &src_template, GST_TYPE_SFU_ROUTER_SRC_PAD);
  element_class->request_new_pad = gst_sfu_router_request_new_pad;
  element_class->release_pad = gst_sfu_router_release_pad;

  gst_element_class_set_static_metadata (element_class, "SFU router",
      "Filter/Network/RTP",
      "Forwards RTP from publishers to subscribers with simulcast layer "
      "choice, keyframe request coalescing and SSRC/seq/ts rewriting",
      "Convene contributors");

  gst_type_mark_as_plugin_api (GST_TYPE_SFU_ROUTER_SINK_PAD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_SFU_ROUTER_SRC_PAD, 0);
}

static void
gst_sfu_router_init (GstSfuRouter * self)
{
  g_mutex_init (&self->lock);
  self->speaker_debounce = DEFAULT_SPEAKER_DEBOUNCE;
  self->speaker = sfu_speaker_detector_new (self->speaker_debounce);
}
