/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* RTP packet builders shared by the sfurouter suites. */
#pragma once

#include <glib.h>
#include <string.h>

/* VP8 payloads (RFC 7741): descriptor byte, then the first payload byte
 * whose low bit is the inverse key frame flag. */
static const guint8 vp8_key[] = { 0x10, 0x00, 0x9d, 0x01, 0x2a };
static const guint8 vp8_delta[] = { 0x10, 0x01, 0x00, 0x00 };
static const guint8 vp8_cont[] = { 0x00, 0x55, 0x55 };
static const guint8 opus_frame[] = { 0xfc, 0xff, 0xfe };

/* Writes an RTP packet into @out (at least 12 + 8 + plen bytes); with
 * @ext_id > 0, a one-byte header extension element of one byte. */
static inline gsize
sfu_test_build_rtp (guint8 * out, guint32 ssrc, guint16 seq, guint32 ts,
    const guint8 * payload, gsize plen, guint8 ext_id, guint8 ext_byte)
{
  gsize off = 12;

  out[0] = 0x80 | (ext_id ? 0x10 : 0);
  out[1] = 96;
  out[2] = seq >> 8;
  out[3] = seq & 0xff;
  out[4] = ts >> 24;
  out[5] = (ts >> 16) & 0xff;
  out[6] = (ts >> 8) & 0xff;
  out[7] = ts & 0xff;
  out[8] = ssrc >> 24;
  out[9] = (ssrc >> 16) & 0xff;
  out[10] = (ssrc >> 8) & 0xff;
  out[11] = ssrc & 0xff;
  if (ext_id) {
    const guint8 ext[] = { 0xBE, 0xDE, 0x00, 0x01, (guint8) (ext_id << 4),
      ext_byte, 0x00, 0x00
    };
    memcpy (out + off, ext, sizeof (ext));
    off += sizeof (ext);
  }
  memcpy (out + off, payload, plen);
  return off + plen;
}
