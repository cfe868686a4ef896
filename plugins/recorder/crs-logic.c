/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <string.h>

#include "crs-logic.h"

static const CrsCodec codecs[] = {
  {"application/x-rtp", "OPUS", CRS_KIND_AUDIO, "OPUS", "rtpopusdepay",
      "opusparse", "audio/x-opus"},
  {"application/x-rtp", "VP8", CRS_KIND_VIDEO, "VP8", "rtpvp8depay", NULL,
      "video/x-vp8"},
  {"application/x-rtp", "H264", CRS_KIND_VIDEO, "H264", "rtph264depay",
      "h264parse", "video/x-h264"},
  {"audio/x-opus", NULL, CRS_KIND_AUDIO, "OPUS", NULL, "opusparse",
      "audio/x-opus"},
  {"video/x-vp8", NULL, CRS_KIND_VIDEO, "VP8", NULL, NULL, "video/x-vp8"},
  {"video/x-h264", NULL, CRS_KIND_VIDEO, "H264", NULL, "h264parse",
      "video/x-h264"},
};

const CrsCodec *
crs_codec_lookup (const gchar * media_type, const gchar * encoding_name)
{
  guint i;

  if (media_type == NULL)
    return NULL;
  for (i = 0; i < G_N_ELEMENTS (codecs); i++) {
    const CrsCodec *c = &codecs[i];

    if (strcmp (c->media_type, media_type) != 0)
      continue;
    if (c->encoding_name == NULL)
      return c;
    if (encoding_name && g_ascii_strcasecmp (c->encoding_name,
            encoding_name) == 0)
      return c;
  }
  return NULL;
}

const gchar *
crs_kind_name (CrsKind kind)
{
  return kind == CRS_KIND_VIDEO ? "video" : "audio";
}

const gchar *
crs_format_name (CrsFormat format)
{
  switch (format) {
    case CRS_FORMAT_MPEGTS:
      return "mpegts";
    case CRS_FORMAT_MP4:
      return "mp4";
    case CRS_FORMAT_MATROSKA:
    default:
      return "matroska";
  }
}

const gchar *
crs_format_extension (CrsFormat format)
{
  switch (format) {
    case CRS_FORMAT_MPEGTS:
      return "ts";
    case CRS_FORMAT_MP4:
      return "mp4";
    case CRS_FORMAT_MATROSKA:
    default:
      return "mkv";
  }
}

const gchar *
crs_format_muxer (CrsFormat format)
{
  switch (format) {
    case CRS_FORMAT_MPEGTS:
      return "mpegtsmux";
    case CRS_FORMAT_MP4:
      return "mp4mux";
    case CRS_FORMAT_MATROSKA:
    default:
      return "matroskamux";
  }
}

/* Participant ids come from the network (through the worker): the
 * directory name keeps only a safe subset, never starts with a dot and is
 * never empty.  Two ids may map to one name; the manifest makes those
 * unique. */
gchar *
crs_participant_dir_name (const gchar * participant_id)
{
  GString *s = g_string_new (NULL);
  const gchar *p;

  for (p = participant_id ? participant_id : ""; *p && s->len < 64; p++) {
    gchar c = *p;

    if (g_ascii_isalnum (c) || c == '-' || c == '_' || (c == '.' && s->len))
      g_string_append_c (s, c);
    else
      g_string_append_c (s, '_');
  }
  if (s->len == 0)
    g_string_append (s, "_");
  return g_string_free (s, FALSE);
}

gchar *
crs_chunk_file_name (const gchar * dir, guint index, CrsFormat format)
{
  return g_strdup_printf ("%s/chunk-%05u.%s", dir, index,
      crs_format_extension (format));
}

gint64
crs_wallclock_from_ntp (guint64 ntp_ns, gint64 ref_running_time,
    gint64 running_time)
{
  return (gint64) (ntp_ns - (guint64) CRS_NTP_UNIX_OFFSET_S * CRS_SECOND)
      + (running_time - ref_running_time);
}

/* The buffer was (or will be) at base_time + running_time on the pipeline
 * clock; the clock reads clock_now while the real time is real_now_ns. */
gint64
crs_wallclock_from_clock (gint64 running_time, guint64 base_time,
    guint64 clock_now, gint64 real_now_ns)
{
  gint64 ago = (gint64) (clock_now - base_time) - running_time;

  return real_now_ns - ago;
}

void
crs_restamp_init (CrsRestamp * st)
{
  memset (st, 0, sizeof (*st));
}

/* Returns FALSE when the buffer has no usable time at all (no timestamps
 * and no clock): the caller drops it. */
gboolean
crs_restamp (CrsRestamp * st, gint64 * pts, gint64 * dts, gint64 now)
{
  gint64 in, out;

  in = *dts != CRS_TIME_NONE ? *dts : *pts;
  if (in == CRS_TIME_NONE) {
    /* Untimestamped input: it happens now. */
    if (now == CRS_TIME_NONE && !st->have_last)
      return FALSE;
    /* Expressed on the input timeline, so the offset below lands it at
     * exactly now. */
    in = (now != CRS_TIME_NONE ? now : st->last) - st->offset;
    *pts = in;
  }
  out = in + st->offset;

  if (st->have_last) {
    if (out < st->last - CRS_RESTAMP_MAX_BACKWARD
        || out > st->last + CRS_RESTAMP_MAX_FORWARD) {
      gint64 target = (now != CRS_TIME_NONE && now > st->last) ? now :
          st->last;

      st->offset += target - out;
      out = target;
      st->reanchored++;
    } else if (out < st->last) {
      out = st->last;
      st->clamped++;
    }
  } else if (out < 0) {
    /* A first DTS before the segment start (B-frames): shift the stream
     * so that it starts at 0. */
    st->offset -= out;
    out = 0;
  }

  {
    gint64 shift = out - in;

    if (*pts != CRS_TIME_NONE)
      *pts += shift;
    if (*dts != CRS_TIME_NONE)
      *dts = out;
    if (*pts != CRS_TIME_NONE && *pts < out)
      *pts = out;
  }
  st->last = out;
  st->have_last = TRUE;
  return TRUE;
}
