/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <string.h>

#include "sfu-rtcp.h"

#define RTCP_RTPFB 205
#define RTCP_PSFB 206
#define FMT_PLI 1
#define FMT_FIR 4
#define FMT_AFB 15
#define FMT_TWCC 15

static inline guint16
rd16 (const guint8 * p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

/* draft-alvestrand-rmcat-remb: "REMB", num ssrc, 6-bit exp, 18-bit mantissa */
static gboolean
parse_remb (const guint8 * fci, gsize len, SfuRtcpFeedback * fb)
{
  guint exp;
  guint64 mantissa;

  if (len < 8 || memcmp (fci, "REMB", 4) != 0)
    return FALSE;
  exp = fci[5] >> 2;
  mantissa = ((guint64) (fci[5] & 0x03) << 16) | ((guint64) fci[6] << 8) |
      fci[7];
  if (len < 8 + 4 * (gsize) fci[4])
    return FALSE;
  /* exp up to 63 would overflow: clamp to what a link can carry */
  fb->remb_bitrate = exp > 40 ? G_MAXUINT32 : MIN (mantissa << exp,
      (guint64) G_MAXUINT32 * 16);
  fb->has_remb = TRUE;
  return TRUE;
}

/* draft-holmer-rmcat-transport-wide-cc-extensions-01, section 3.1: count the
 * packet status chunks' "not received" symbols. */
static gboolean
parse_twcc (const guint8 * fci, gsize len, SfuRtcpFeedback * fb)
{
  guint status_count, done = 0, lost = 0;
  gsize off = 8;

  if (len < 8)
    return FALSE;
  status_count = rd16 (fci + 2);
  while (done < status_count) {
    guint16 chunk;

    if (off + 2 > len)
      return FALSE;
    chunk = rd16 (fci + off);
    off += 2;
    if (!(chunk & 0x8000)) {    /* run length chunk */
      guint sym = (chunk >> 13) & 0x3;
      guint run = MIN ((guint) (chunk & 0x1fff), status_count - done);

      if (sym == 0)
        lost += run;
      done += run;
      if (run == 0)
        return FALSE;
    } else if (!(chunk & 0x4000)) {     /* 14 one-bit symbols */
      guint i;

      for (i = 0; i < 14 && done < status_count; i++, done++)
        if (!(chunk & (1 << (13 - i))))
          lost++;
    } else {                    /* 7 two-bit symbols */
      guint i;

      for (i = 0; i < 7 && done < status_count; i++, done++)
        if (((chunk >> (2 * (6 - i))) & 0x3) == 0)
          lost++;
    }
  }
  fb->twcc_reported += status_count;
  fb->twcc_lost += lost;
  return TRUE;
}

/* Walks every packet of the compound; returns FALSE (with what was parsed
 * before the fault left in @fb) when a header or length does not hold. */
gboolean
sfu_rtcp_parse (const guint8 * data, gsize len, SfuRtcpFeedback * fb)
{
  gsize off = 0;

  memset (fb, 0, sizeof (*fb));
  if (data == NULL || len < 4)
    return FALSE;

  while (off < len) {
    const guint8 *p = data + off;
    guint fmt, pt;
    gsize plen;

    if (len - off < 4 || (p[0] >> 6) != 2)
      return FALSE;
    fmt = p[0] & 0x1f;
    pt = p[1];
    plen = ((gsize) rd16 (p + 2) + 1) * 4;
    if (plen > len - off)
      return FALSE;
    if (pt < 192 || pt > 223)   /* not RTCP at all (RFC 5761) */
      return FALSE;
    fb->n_packets++;

    /* feedback messages: header, sender SSRC, media SSRC, FCI */
    if ((pt == RTCP_PSFB || pt == RTCP_RTPFB) && plen < 12)
      return FALSE;
    if (pt == RTCP_PSFB && fmt == FMT_PLI) {
      fb->n_pli++;
      fb->keyframe_request = TRUE;
    } else if (pt == RTCP_PSFB && fmt == FMT_FIR) {
      if (plen < 20)            /* at least one FCI entry */
        return FALSE;
      fb->n_fir++;
      fb->keyframe_request = TRUE;
    } else if (pt == RTCP_PSFB && fmt == FMT_AFB) {
      /* other application feedback exists: only REMB is ours */
      parse_remb (p + 12, plen - 12, fb);
    } else if (pt == RTCP_RTPFB && fmt == FMT_TWCC) {
      if (!parse_twcc (p + 12, plen - 12, fb))
        return FALSE;
    }
    off += plen;
  }
  return TRUE;
}

guint64
sfu_rtcp_update_estimate (guint64 current, const SfuRtcpFeedback * fb)
{
  if (fb->has_remb)
    return fb->remb_bitrate;
  if (fb->twcc_reported > 0 && current > 0) {
    guint loss_pct = fb->twcc_lost * 100 / fb->twcc_reported;

    if (loss_pct > 10)
      return current * (100 - loss_pct / 2) / 100;
    if (loss_pct < 2)
      return current + current * 8 / 100;
  }
  return current;
}
