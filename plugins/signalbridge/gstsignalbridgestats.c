/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* signalbridge's congestion control: webrtcbin's statistics are polled
 * every second and the receiver's loss and RTT reports drive the video
 * encoders' bitrate (the maths are in congestion.c). */

#include <gst/webrtc/webrtc.h>

#include "gstsignalbridge-private.h"

#define GST_CAT_DEFAULT gst_signal_bridge_debug

/* How often webrtcbin's statistics are polled for congestion control. */
#define STATS_INTERVAL (1 * GST_SECOND)

/* ---------------------------------------------------------------------- */
/* Congestion control and statistics */

typedef struct
{
  gdouble worst_loss;
  gdouble worst_rtt;
  gboolean have_report;
} LossScan;

static gboolean
scan_remote_inbound (GQuark field, const GValue * value, gpointer user_data)
{
  LossScan *scan = user_data;
  const GstStructure *s;
  GstWebRTCStatsType type;
  gdouble loss = 0.0, rtt = 0.0;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL)
      || type != GST_WEBRTC_STATS_REMOTE_INBOUND_RTP)
    return TRUE;
  if (gst_structure_get_double (s, "fraction-lost", &loss)) {
    scan->worst_loss = MAX (scan->worst_loss, loss);
    scan->have_report = TRUE;
  }
  if (gst_structure_get_double (s, "round-trip-time", &rtt))
    scan->worst_rtt = MAX (scan->worst_rtt, rtt);
  return TRUE;
}

static void
apply_video_bitrate (GstSignalBridge * self, guint bitrate)
{
  GList *l;

  PADS_LOCK (self);
  for (l = self->video_encoders; l; l = l->next) {
    GstElement *enc = l->data;

    if (g_object_class_find_property (G_OBJECT_GET_CLASS (enc),
            "target-bitrate"))
      g_object_set (enc, "target-bitrate", (gint) bitrate, NULL);
    else
      g_object_set (enc, "bitrate", MAX (1u, bitrate / 1000), NULL);
  }
  PADS_UNLOCK (self);
}

static void
on_stats (GstPromise * promise, gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (user_data);
  const GstStructure *reply = NULL;
  LossScan scan = { 0.0, 0.0, FALSE };
  guint bitrate = 0, before = 0;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply == NULL) {
    gst_promise_unref (promise);
    return;
  }
  gst_structure_foreach (reply, scan_remote_inbound, &scan);

  STATS_LOCK (self);
  if (self->last_stats)
    gst_structure_free (self->last_stats);
  self->last_stats = gst_structure_copy (reply);
  if (scan.have_report) {
    before = self->cc.bitrate;
    bitrate = convene_congestion_controller_update (&self->cc,
        scan.worst_loss, scan.worst_rtt);
  }
  STATS_UNLOCK (self);
  gst_promise_unref (promise);

  if (bitrate != 0 && bitrate != before) {
    GST_DEBUG_OBJECT (self, "loss %.3f rtt %.3f s: video bitrate %u -> %u",
        scan.worst_loss, scan.worst_rtt, before, bitrate);
    apply_video_bitrate (self, bitrate);
  }
}

static gboolean
on_stats_tick (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  GstSignalBridge *self = GST_SIGNAL_BRIDGE (user_data);
  GstPromise *promise;

  promise = gst_promise_new_with_change_func (on_stats, gst_object_ref (self),
      gst_object_unref);
  g_signal_emit_by_name (self->webrtcbin, "get-stats", NULL, promise);
  return TRUE;
}

void
gst_signal_bridge_start_stats (GstSignalBridge * self)
{
  GstClock *clock = gst_system_clock_obtain ();
  ConveneCongestionControl mode;
  guint start, min, max;

  GST_OBJECT_LOCK (self);
  mode = self->congestion_control;
  start = self->video_bitrate;
  min = self->min_video_bitrate;
  max = self->max_video_bitrate;
  GST_OBJECT_UNLOCK (self);

  STATS_LOCK (self);
  if (mode == CONVENE_CONGESTION_CONTROL_NONE)
    min = max = start;
  convene_congestion_controller_init (&self->cc, mode, min, max, start);
  if (self->stats_clock_id == NULL) {
    self->stats_clock_id = gst_clock_new_periodic_id (clock,
        gst_clock_get_time (clock) + STATS_INTERVAL, STATS_INTERVAL);
    gst_clock_id_wait_async (self->stats_clock_id, on_stats_tick,
        gst_object_ref (self), gst_object_unref);
  }
  STATS_UNLOCK (self);
  gst_object_unref (clock);
}

void
gst_signal_bridge_stop_stats (GstSignalBridge * self)
{
  STATS_LOCK (self);
  if (self->stats_clock_id) {
    gst_clock_id_unschedule (self->stats_clock_id);
    gst_clock_id_unref (self->stats_clock_id);
    self->stats_clock_id = NULL;
  }
  STATS_UNLOCK (self);
}

