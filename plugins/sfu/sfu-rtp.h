/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* RTP packet parsing for sfurouter: header, header extensions (RFC 8285),
 * RFC 6464 audio level, VP8 / H.264 keyframe detection.  Element-free and
 * bounds-checked: every input is untrusted network data. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint8 payload_type;
  gboolean marker;
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  /* header extension block (without its 4-byte header), if any */
  guint16 ext_profile;
  const guint8 *ext_data;
  gsize ext_len;
  const guint8 *payload;
  gsize payload_len;
} SfuRtpPacket;

typedef enum
{
  SFU_CODEC_OTHER = 0,
  SFU_CODEC_VP8,
  SFU_CODEC_H264,
} SfuCodec;

gboolean sfu_rtp_parse (const guint8 * data, gsize len, SfuRtpPacket * pkt);

gboolean sfu_rtp_find_extension (const SfuRtpPacket * pkt, guint8 id,
    const guint8 ** ext, gsize * ext_len);

gboolean sfu_rtp_audio_level (const SfuRtpPacket * pkt, guint8 id,
    gboolean * voice, guint8 * level);

SfuCodec sfu_codec_from_encoding_name (const gchar * name);

gboolean sfu_rtp_is_keyframe_start (SfuCodec codec, const guint8 * payload,
    gsize len);

void sfu_rtp_write_header (guint8 * data, gsize len, guint32 ssrc,
    guint16 seq, guint32 ts);

/* The VP8 payload descriptor fields an SFU rewrites (RFC 7741 4.2): offsets
 * are from the start of the RTP payload. */
typedef struct
{
  gboolean has_picture_id;
  gboolean picture_id_15bit;
  gsize picture_id_offset;
  guint16 picture_id;
  gboolean has_tl0picidx;
  gsize tl0picidx_offset;
  guint8 tl0picidx;
} SfuVp8Descriptor;

gboolean sfu_vp8_parse_descriptor (const guint8 * payload, gsize len,
    SfuVp8Descriptor * d);
void sfu_vp8_write_descriptor (guint8 * payload, gsize len,
    const SfuVp8Descriptor * d, guint16 picture_id, guint8 tl0picidx);

G_END_DECLS
