/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SFU_ROUTER (gst_sfu_router_get_type ())
G_DECLARE_FINAL_TYPE (GstSfuRouter, gst_sfu_router, GST, SFU_ROUTER, GstElement);

#define GST_TYPE_SFU_ROUTER_SINK_PAD (gst_sfu_router_sink_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstSfuRouterSinkPad, gst_sfu_router_sink_pad, GST,
    SFU_ROUTER_SINK_PAD, GstPad);

#define GST_TYPE_SFU_ROUTER_SRC_PAD (gst_sfu_router_src_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstSfuRouterSrcPad, gst_sfu_router_src_pad, GST,
    SFU_ROUTER_SRC_PAD, GstPad);

GST_ELEMENT_REGISTER_DECLARE (sfurouter);

G_END_DECLS
