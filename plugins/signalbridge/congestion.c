/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Loss-based rate control in the spirit of the loss half of Google
 * Congestion Control (draft-ietf-rmcat-gcc): receiver reports carry the
 * fraction of packets lost; a small loss is normal on real networks and must
 * not cause oscillation, so only loss above 10 % backs off (proportionally to
 * the loss), loss under 2 % lets the rate grow by 8 % per report, and in
 * between the rate holds.  Loss alone reacts late on paths with deep buffers,
 * so a round-trip time far above the lowest one seen also backs off. */

#include <math.h>

#include "congestion.h"

static guint
clamp_bitrate (const ConveneCongestionController * cc, gdouble bitrate)
{
  if (bitrate < cc->min_bitrate)
    return cc->min_bitrate;
  if (bitrate > cc->max_bitrate)
    return cc->max_bitrate;
  return (guint) bitrate;
}

void
convene_congestion_controller_init (ConveneCongestionController * cc,
    ConveneCongestionControl mode, guint min_bitrate, guint max_bitrate,
    guint start_bitrate)
{
  g_return_if_fail (cc != NULL);

  cc->mode = mode;
  /* A swapped range from the user still yields a usable controller. */
  cc->min_bitrate = MIN (min_bitrate, max_bitrate);
  cc->max_bitrate = MAX (min_bitrate, max_bitrate);
  cc->bitrate = clamp_bitrate (cc, start_bitrate);
  cc->min_rtt = 0.0;
}

guint
convene_congestion_controller_update (ConveneCongestionController * cc,
    gdouble fraction_lost, gdouble rtt)
{
  gdouble next;

  g_return_val_if_fail (cc != NULL, 0);

  if (cc->mode == CONVENE_CONGESTION_CONTROL_NONE)
    return cc->bitrate;

  /* Reports come from the network: ignore nonsense rather than trust it. */
  if (!isfinite (fraction_lost) || fraction_lost < 0.0)
    fraction_lost = 0.0;
  if (fraction_lost > 1.0)
    fraction_lost = 1.0;
  if (!isfinite (rtt) || rtt < 0.0)
    rtt = 0.0;

  if (rtt > 0.0 && (cc->min_rtt == 0.0 || rtt < cc->min_rtt))
    cc->min_rtt = rtt;

  next = cc->bitrate;
  if (fraction_lost > CONVENE_CC_LOSS_HIGH) {
    next = cc->bitrate * (1.0 - 0.5 * fraction_lost);
  } else if (rtt > CONVENE_CC_RTT_HIGH && rtt > 2.0 * cc->min_rtt) {
    next = cc->bitrate * CONVENE_CC_RTT_DECREASE;
  } else if (fraction_lost < CONVENE_CC_LOSS_LOW) {
    /* +1 so that a tiny bitrate still moves upwards. */
    next = cc->bitrate * CONVENE_CC_INCREASE + 1.0;
  }

  cc->bitrate = clamp_bitrate (cc, next);
  return cc->bitrate;
}
