/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Element-free logic of chunkrecordersink: codec table, chunk naming,
 * wall-clock maths and the timestamp sanitiser.  No GStreamer here, so the
 * unit tests drive it with plain numbers. */

#ifndef __CRS_LOGIC_H__
#define __CRS_LOGIC_H__

#include <glib.h>

G_BEGIN_DECLS

/* Unknown time, in the signed nanosecond values used below. */
#define CRS_TIME_NONE G_MININT64
#define CRS_SECOND G_GINT64_CONSTANT (1000000000)
/* Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
#define CRS_NTP_UNIX_OFFSET_S G_GINT64_CONSTANT (2208988800)

typedef enum
{
  CRS_FORMAT_MATROSKA = 0,
  CRS_FORMAT_MPEGTS = 1,
  CRS_FORMAT_MP4 = 2,
} CrsFormat;

typedef enum
{
  CRS_KIND_AUDIO,
  CRS_KIND_VIDEO,
} CrsKind;

typedef struct
{
  const gchar *media_type;      /* caps name on our sink pad */
  const gchar *encoding_name;   /* RTP encoding-name, NULL for encoded input */
  CrsKind kind;
  const gchar *codec;           /* as written in the manifest */
  const gchar *depay;           /* element factory or NULL */
  const gchar *parse;           /* element factory or NULL */
  const gchar *encoded_caps;    /* what the muxer receives */
} CrsCodec;

const CrsCodec *crs_codec_lookup (const gchar * media_type,
    const gchar * encoding_name);
const gchar *crs_kind_name (CrsKind kind);

const gchar *crs_format_name (CrsFormat format);
const gchar *crs_format_extension (CrsFormat format);
const gchar *crs_format_muxer (CrsFormat format);

gchar *crs_participant_dir_name (const gchar * participant_id);
gchar *crs_chunk_file_name (const gchar * dir, guint index, CrsFormat format);

gint64 crs_wallclock_from_ntp (guint64 ntp_ns, gint64 ref_running_time,
    gint64 running_time);
gint64 crs_wallclock_from_clock (gint64 running_time, guint64 base_time,
    guint64 clock_now, gint64 real_now_ns);

/* Per-stream timestamp sanitiser: running times in, a continuous
 * non-decreasing timeline out. */
typedef struct
{
  gboolean have_last;
  gint64 last;                  /* last DTS (or PTS) given out */
  gint64 offset;                /* added to every input running time */
  guint clamped;                /* small steps backwards, flattened */
  guint reanchored;             /* jumps, glued onto the timeline */
} CrsRestamp;

/* A step backwards longer than this, or forwards longer than
 * CRS_RESTAMP_MAX_FORWARD, is a new timeline (publisher restart, bogus
 * timestamps), not jitter. */
#define CRS_RESTAMP_MAX_BACKWARD (1 * CRS_SECOND)
#define CRS_RESTAMP_MAX_FORWARD (30 * CRS_SECOND)

void crs_restamp_init (CrsRestamp * st);
gboolean crs_restamp (CrsRestamp * st, gint64 * pts, gint64 * dts,
    gint64 now);

G_END_DECLS

#endif /* __CRS_LOGIC_H__ */
