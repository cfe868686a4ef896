/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <string.h>

#include "sfu-rtp.h"

#define RTP_FIXED_HEADER 12

static inline guint16
rd16 (const guint8 * p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | (guint32) p[3];
}

/* Returns FALSE for anything that is not a well-formed RTP packet: wrong
 * version, CSRC list / extension / padding running past the end. */
gboolean
sfu_rtp_parse (const guint8 * data, gsize len, SfuRtpPacket * pkt)
{
  gsize off, padding = 0;
  guint cc;

  memset (pkt, 0, sizeof (*pkt));
  if (data == NULL || len < RTP_FIXED_HEADER)
    return FALSE;
  if ((data[0] >> 6) != 2)
    return FALSE;
  /* RTCP shares the port when rtcp-mux is on: PT 72..76 with the marker bit */
  if ((data[1] & 0x7f) >= 72 && (data[1] & 0x7f) <= 76)
    return FALSE;

  cc = data[0] & 0x0f;
  pkt->marker = (data[1] & 0x80) != 0;
  pkt->payload_type = data[1] & 0x7f;
  pkt->seq = rd16 (data + 2);
  pkt->ts = rd32 (data + 4);
  pkt->ssrc = rd32 (data + 8);

  off = RTP_FIXED_HEADER + 4 * cc;
  if (off > len)
    return FALSE;

  if (data[0] & 0x10) {
    gsize words;

    if (len - off < 4)
      return FALSE;
    pkt->ext_profile = rd16 (data + off);
    words = rd16 (data + off + 2);
    off += 4;
    if (words * 4 > len - off)
      return FALSE;
    pkt->ext_data = data + off;
    pkt->ext_len = words * 4;
    off += words * 4;
  }

  if (data[0] & 0x20) {
    if (len == off)
      return FALSE;
    padding = data[len - 1];
    if (padding == 0 || padding > len - off)
      return FALSE;
  }

  pkt->payload = data + off;
  pkt->payload_len = len - off - padding;
  return TRUE;
}

/* RFC 8285: one-byte (0xBEDE) and two-byte (0x100X) element forms. */
gboolean
sfu_rtp_find_extension (const SfuRtpPacket * pkt, guint8 id,
    const guint8 ** ext, gsize * ext_len)
{
  const guint8 *p = pkt->ext_data;
  gsize left = pkt->ext_len;
  gboolean one_byte;

  if (p == NULL || id == 0)
    return FALSE;
  if (pkt->ext_profile == 0xBEDE)
    one_byte = TRUE;
  else if ((pkt->ext_profile & 0xFFF0) == 0x1000)
    one_byte = FALSE;
  else
    return FALSE;

  while (left > 0) {
    guint8 eid;
    gsize elen;

    if (p[0] == 0) {            /* padding byte */
      p++;
      left--;
      continue;
    }
    if (one_byte) {
      eid = p[0] >> 4;
      elen = (p[0] & 0x0f) + 1;
      if (eid == 15)            /* reserved: stop processing (RFC 8285 4.2) */
        return FALSE;
      p++;
      left--;
    } else {
      if (left < 2)
        return FALSE;
      eid = p[0];
      elen = p[1];
      p += 2;
      left -= 2;
    }
    if (elen > left)
      return FALSE;
    if (eid == id) {
      *ext = p;
      *ext_len = elen;
      return TRUE;
    }
    p += elen;
    left -= elen;
  }
  return FALSE;
}

/* RFC 6464: V bit + level in -dBov (0 loudest, 127 silence). */
gboolean
sfu_rtp_audio_level (const SfuRtpPacket * pkt, guint8 id, gboolean * voice,
    guint8 * level)
{
  const guint8 *ext;
  gsize ext_len;

  if (!sfu_rtp_find_extension (pkt, id, &ext, &ext_len) || ext_len < 1)
    return FALSE;
  *voice = (ext[0] & 0x80) != 0;
  *level = ext[0] & 0x7f;
  return TRUE;
}

SfuCodec
sfu_codec_from_encoding_name (const gchar * name)
{
  if (name == NULL)
    return SFU_CODEC_OTHER;
  if (g_ascii_strcasecmp (name, "VP8") == 0)
    return SFU_CODEC_VP8;
  if (g_ascii_strcasecmp (name, "H264") == 0)
    return SFU_CODEC_H264;
  return SFU_CODEC_OTHER;
}

/* RFC 7741 4.2.  Returns the size of the descriptor, 0 when truncated. */
static gsize
vp8_descriptor (const guint8 * p, gsize len, SfuVp8Descriptor * d)
{
  gsize off = 1;

  memset (d, 0, sizeof (*d));
  if (len < 1)
    return 0;
  if (p[0] & 0x80) {            /* X: extension byte */
    guint8 x;

    if (len < 2)
      return 0;
    x = p[1];
    off = 2;
    if (x & 0x80) {             /* I: picture id, 7 or 15 bits */
      if (len < off + 1)
        return 0;
      d->has_picture_id = TRUE;
      d->picture_id_offset = off;
      if (p[off] & 0x80) {
        if (len < off + 2)
          return 0;
        d->picture_id_15bit = TRUE;
        d->picture_id = rd16 (p + off) & 0x7fff;
        off += 2;
      } else {
        d->picture_id = p[off] & 0x7f;
        off += 1;
      }
    }
    if (x & 0x40) {             /* L: TL0PICIDX */
      if (len < off + 1)
        return 0;
      d->has_tl0picidx = TRUE;
      d->tl0picidx_offset = off;
      d->tl0picidx = p[off];
      off += 1;
    }
    if (x & 0x30)               /* T or K: TID/Y/KEYIDX */
      off += 1;
  }
  return len < off ? 0 : off;
}

gboolean
sfu_vp8_parse_descriptor (const guint8 * payload, gsize len,
    SfuVp8Descriptor * d)
{
  return vp8_descriptor (payload, len, d) > 0;
}

/* @d comes from sfu_vp8_parse_descriptor() on the same payload. */
void
sfu_vp8_write_descriptor (guint8 * payload, gsize len,
    const SfuVp8Descriptor * d, guint16 picture_id, guint8 tl0picidx)
{
  if (d->has_picture_id) {
    gsize o = d->picture_id_offset;

    if (d->picture_id_15bit && o + 2 <= len) {
      payload[o] = 0x80 | ((picture_id >> 8) & 0x7f);
      payload[o + 1] = picture_id & 0xff;
    } else if (!d->picture_id_15bit && o + 1 <= len) {
      payload[o] = picture_id & 0x7f;
    }
  }
  if (d->has_tl0picidx && d->tl0picidx_offset + 1 <= len)
    payload[d->tl0picidx_offset] = tl0picidx;
}

/* RFC 7741: the first packet of a key frame has S=1, PID=0 and the P bit of
 * the VP8 payload header cleared. */
static gboolean
vp8_is_keyframe_start (const guint8 * p, gsize len)
{
  SfuVp8Descriptor d;
  gsize off;

  if (len < 1)
    return FALSE;
  if (!(p[0] & 0x10) || (p[0] & 0x07) != 0)
    return FALSE;
  off = vp8_descriptor (p, len, &d);
  if (off == 0 || len < off + 1)
    return FALSE;
  return (p[off] & 0x01) == 0;
}

static gboolean
h264_nal_is_key (guint8 nal_type)
{
  /* An SPS starts the access unit of an IDR from every encoder we meet; a
   * subscriber switched there gets the parameter sets it needs. */
  return nal_type == 5 || nal_type == 7;
}

/* RFC 6184: single NAL, STAP-A (24) and FU-A (28) with the start bit. */
static gboolean
h264_is_keyframe_start (const guint8 * p, gsize len)
{
  guint8 type;

  if (len < 1)
    return FALSE;
  type = p[0] & 0x1f;
  if (type >= 1 && type <= 23)
    return h264_nal_is_key (type);
  if (type == 24) {
    gsize off = 1;

    while (off + 2 <= len) {
      gsize nal_len = rd16 (p + off);

      off += 2;
      if (nal_len == 0 || nal_len > len - off)
        return FALSE;
      if (h264_nal_is_key (p[off] & 0x1f))
        return TRUE;
      off += nal_len;
    }
    return FALSE;
  }
  if (type == 28) {
    if (len < 2)
      return FALSE;
    return (p[1] & 0x80) && h264_nal_is_key (p[1] & 0x1f);
  }
  return FALSE;
}

gboolean
sfu_rtp_is_keyframe_start (SfuCodec codec, const guint8 * payload, gsize len)
{
  switch (codec) {
    case SFU_CODEC_VP8:
      return vp8_is_keyframe_start (payload, len);
    case SFU_CODEC_H264:
      return h264_is_keyframe_start (payload, len);
    default:
      return FALSE;
  }
}

/* The caller parsed @data with sfu_rtp_parse(), so it holds 12 bytes. */
void
sfu_rtp_write_header (guint8 * data, gsize len, guint32 ssrc, guint16 seq,
    guint32 ts)
{
  g_return_if_fail (len >= RTP_FIXED_HEADER);
  data[2] = seq >> 8;
  data[3] = seq & 0xff;
  data[4] = ts >> 24;
  data[5] = (ts >> 16) & 0xff;
  data[6] = (ts >> 8) & 0xff;
  data[7] = ts & 0xff;
  data[8] = ssrc >> 24;
  data[9] = (ssrc >> 16) & 0xff;
  data[10] = (ssrc >> 8) & 0xff;
  data[11] = ssrc & 0xff;
}
