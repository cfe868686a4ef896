/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* webrtcbin helpers shared by signalbridge's roles: taking a session's
 * webrtcbin down, sending a subscriber track with the SSRC its offer
 * announced, and keeping the server role's sessions from blocking each
 * other while the pipeline pauses. */

#include <gst/base/base.h>
#include <gst/rtp/rtp.h>

#include "gstsignalbridge-private.h"

#define GST_CAT_DEFAULT gst_signal_bridge_debug

static void
force_null (const GValue * value, gpointer user_data)
{
  GstElement *e = g_value_get_object (value);
  GstState state = GST_STATE_NULL;

  gst_element_get_state (e, &state, NULL, 0);
  if (state != GST_STATE_NULL) {
    GST_DEBUG_OBJECT (user_data, "%s was left in %s", GST_ELEMENT_NAME (e),
        gst_element_state_get_name (state));
    gst_element_set_state (e, GST_STATE_NULL);
  }
}

/* Stops @webrtc and takes it out of the bridge.  Not from the webrtcbin's
 * own thread nor a streaming thread of it: setting it to NULL joins them. */
void
gst_signal_bridge_remove_webrtcbin (GstSignalBridge * self,
    GstElement * webrtc)
{
  GstIterator *it;

  gst_element_set_locked_state (webrtc, TRUE);
  gst_element_set_state (webrtc, GST_STATE_NULL);
  /* webrtcbin 1.22 keeps its DTLS encoder state-locked and, when it was the
   * DTLS client, leaves it running (a thread per session) on NULL. */
  it = gst_bin_iterate_recurse (GST_BIN (webrtc));
  while (gst_iterator_foreach (it, force_null, self) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
  if (GST_OBJECT_PARENT (webrtc) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), webrtc);
}

static gboolean
rewrite_ssrc (GstBuffer ** buf, guint idx, gpointer user_data)
{
  guint32 ssrc = GPOINTER_TO_UINT (user_data);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  if (!gst_rtp_buffer_map (*buf, GST_MAP_READ, &rtp))
    return TRUE;
  if (gst_rtp_buffer_get_ssrc (&rtp) == ssrc) {
    gst_rtp_buffer_unmap (&rtp);
    return TRUE;
  }
  gst_rtp_buffer_unmap (&rtp);
  *buf = gst_buffer_make_writable (*buf);
  if (gst_rtp_buffer_map (*buf, GST_MAP_WRITE, &rtp)) {
    gst_rtp_buffer_set_ssrc (&rtp, ssrc);
    gst_rtp_buffer_unmap (&rtp);
  }
  return TRUE;
}

/* The subscribe offer announces each track's SSRC (so that receivers can
 * demultiplex the bundle without the mid extension); whatever SSRC the
 * router picked, the packets leave with that one. */
GstPadProbeReturn
gst_signal_bridge_set_announced_ssrc (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    rewrite_ssrc (&buf, 0, user_data);
    GST_PAD_PROBE_INFO_DATA (info) = buf;
  } else if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    list = gst_buffer_list_make_writable (list);
    gst_buffer_list_foreach (list, rewrite_ssrc, user_data);
    GST_PAD_PROBE_INFO_DATA (info) = list;
  }
  return GST_PAD_PROBE_OK;
}

/* A router src pad that can be told its SSRC is told ours, so that the
 * caps it sends agree with the packets (the probe then has nothing to
 * rewrite). */
void
gst_signal_bridge_on_sub_linked (GstPad * pad, GstPad * peer, gpointer user_data)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (peer), "ssrc"))
    g_object_set (peer, "ssrc", GPOINTER_TO_UINT (user_data), NULL);
}

static void
flush_sink (const GValue * value, gpointer user_data)
{
  GstElement *e = g_value_get_object (value);
  gboolean start = GPOINTER_TO_INT (user_data);
  GstPad *pad;

  if (!GST_IS_BASE_SINK (e))
    return;
  pad = gst_element_get_static_pad (e, "sink");
  if (pad) {
    gst_pad_send_event (pad, start ? gst_event_new_flush_start () :
        gst_event_new_flush_stop (FALSE));
    gst_object_unref (pad);
  }
}

/* After the chain-up of PLAYING -> PAUSED (@unblock TRUE) and before that
 * of PAUSED -> PLAYING (FALSE).  In PAUSED the network sinks of
 * the sessions hold back what reaches them, and a publish session's
 * streaming thread can wait inside a subscribe session's sink with its
 * pads' stream locks taken; whichever session the bin stops first would
 * wait for it forever, and so would any element downstream of a pub pad
 * that the pipeline stops before us.  Flushing every sink while paused
 * lets those threads return at once. */
void
gst_signal_bridge_server_unblock (GstSignalBridge * self, gboolean unblock)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (self));

  while (gst_iterator_foreach (it, flush_sink,
          GINT_TO_POINTER (unblock)) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
}

static GstPadProbeReturn
drop_buffers (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  return GST_PAD_PROBE_DROP;
}

/* While paused, the publish sessions stop forwarding: a packet reaching a
 * subscribe session's paused network sink would wait there, holding the
 * stream locks that stopping its publisher's webrtcbin needs. */
static gboolean
hold_pub_pad (GstElement * element, GstPad * pad, gpointer user_data)
{
  gboolean pausing = GPOINTER_TO_INT (user_data);
  gulong id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (pad),
          "signalbridge-hold"));

  if (!GST_PAD_PAD_TEMPLATE (pad) || !g_str_equal
      (GST_PAD_TEMPLATE_NAME_TEMPLATE (GST_PAD_PAD_TEMPLATE (pad)), "pub_%u"))
    return TRUE;
  GST_DEBUG_OBJECT (element, "%s forwarding on %s",
      pausing ? "holding" : "resuming", GST_PAD_NAME (pad));
  if (pausing && id == 0)
    id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_buffers, NULL, NULL);
  else if (!pausing && id != 0) {
    gst_pad_remove_probe (pad, id);
    id = 0;
  }
  g_object_set_data (G_OBJECT (pad), "signalbridge-hold",
      GSIZE_TO_POINTER (id));
  return TRUE;
}

/* Before the chain-up of PLAYING -> PAUSED (and after PAUSED -> PLAYING):
 * waits for a session being closed and defers the others (see
 * session_close), and holds the forwarding. */
void
gst_signal_bridge_server_pausing (GstSignalBridge * self, gboolean pausing)
{
  g_mutex_lock (&self->teardown_lock);
  self->server_pausing = pausing;
  g_mutex_unlock (&self->teardown_lock);
  gst_element_foreach_src_pad (GST_ELEMENT (self), hold_pub_pad,
      GINT_TO_POINTER (pausing));
}

