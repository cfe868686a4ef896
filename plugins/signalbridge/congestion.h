/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __CONVENE_CONGESTION_H__
#define __CONVENE_CONGESTION_H__

#include <glib.h>

G_BEGIN_DECLS

/* Element-free congestion controller: fed with the receiver's view of our
 * stream (RTCP receiver report fraction lost and round-trip time, as webrtcbin
 * exposes them in remote-inbound-rtp stats) it returns the bitrate the encoder
 * should use.  Plain maths so that it can be tested without a pipeline. */

typedef enum
{
  CONVENE_CONGESTION_CONTROL_NONE,
  CONVENE_CONGESTION_CONTROL_LOSS_BASED,
} ConveneCongestionControl;

/* Loss above this fraction means the path is congested: back off. */
#define CONVENE_CC_LOSS_HIGH 0.10
/* Loss below this fraction means there is room: probe upwards. */
#define CONVENE_CC_LOSS_LOW 0.02
/* Multiplicative increase per report while the path is clean. */
#define CONVENE_CC_INCREASE 1.08
/* An RTT above this (seconds) means queues are building up even without loss. */
#define CONVENE_CC_RTT_HIGH 0.45
/* Multiplicative decrease applied on RTT growth. */
#define CONVENE_CC_RTT_DECREASE 0.85

typedef struct
{
  ConveneCongestionControl mode;
  guint min_bitrate;
  guint max_bitrate;
  guint bitrate;
  /* Lowest RTT seen, the baseline against which RTT growth is judged. */
  gdouble min_rtt;
} ConveneCongestionController;

void convene_congestion_controller_init (ConveneCongestionController * cc,
    ConveneCongestionControl mode, guint min_bitrate, guint max_bitrate,
    guint start_bitrate);

guint convene_congestion_controller_update (ConveneCongestionController * cc,
    gdouble fraction_lost, gdouble rtt);

G_END_DECLS

#endif /* __CONVENE_CONGESTION_H__ */
