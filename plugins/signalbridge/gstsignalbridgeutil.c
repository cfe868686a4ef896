/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* webrtcbin helpers shared by signalbridge's roles: taking a session's
 * webrtcbin down, and sending a subscriber track with the SSRC its offer
 * announced. */

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
gst_signal_bridge_set_announced_ssrc (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
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

