/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_CHUNK_RECORDER_SINK_H__
#define __GST_CHUNK_RECORDER_SINK_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CHUNK_RECORDER_SINK (gst_chunk_recorder_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstChunkRecorderSink, gst_chunk_recorder_sink,
    GST, CHUNK_RECORDER_SINK, GstBin)

#define GST_TYPE_CHUNK_RECORDER_SINK_PAD (gst_chunk_recorder_sink_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstChunkRecorderSinkPad, gst_chunk_recorder_sink_pad,
    GST, CHUNK_RECORDER_SINK_PAD, GstGhostPad)

#define GST_TYPE_CHUNK_RECORDER_FORMAT (gst_chunk_recorder_format_get_type ())
GType gst_chunk_recorder_format_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (chunkrecordersink);

G_END_DECLS

#endif /* __GST_CHUNK_RECORDER_SINK_H__ */
