/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Subscriber feedback from RTCP compound packets: REMB, transport-wide CC,
 * PLI and FIR.  Bounds-checked; garbage is reported, never trusted. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint n_packets;              /* RTCP packets walked */
  gboolean keyframe_request;    /* a PLI or FIR was seen */
  guint n_pli;
  guint n_fir;
  gboolean has_remb;
  guint64 remb_bitrate;         /* bits per second */
  /* transport-wide CC: packets the receiver reported on, and how many of
   * them it did not receive */
  guint twcc_reported;
  guint twcc_lost;
} SfuRtcpFeedback;

gboolean sfu_rtcp_parse (const guint8 * data, gsize len, SfuRtcpFeedback * fb);

/* Bandwidth estimate update from one feedback report: REMB when present;
 * otherwise the loss in the TWCC report scales @current (loss-based, like
 * the sender side of GCC: > 10 % loss backs off, < 2 % grows 8 %). */
guint64 sfu_rtcp_update_estimate (guint64 current, const SfuRtcpFeedback * fb);

G_END_DECLS
