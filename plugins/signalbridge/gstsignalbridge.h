/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_SIGNAL_BRIDGE_H__
#define __GST_SIGNAL_BRIDGE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SIGNAL_BRIDGE (gst_signal_bridge_get_type ())
G_DECLARE_FINAL_TYPE (GstSignalBridge, gst_signal_bridge, GST, SIGNAL_BRIDGE,
    GstBin)

typedef enum
{
  GST_SIGNAL_BRIDGE_VIDEO_CODEC_VP8,
  GST_SIGNAL_BRIDGE_VIDEO_CODEC_H264,
} GstSignalBridgeVideoCodec;

typedef enum
{
  GST_SIGNAL_BRIDGE_ROLE_CLIENT,
  GST_SIGNAL_BRIDGE_ROLE_SERVER,
} GstSignalBridgeRole;

GST_ELEMENT_REGISTER_DECLARE (signalbridge);

G_END_DECLS

#endif /* __GST_SIGNAL_BRIDGE_H__ */
