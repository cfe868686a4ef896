/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "sfu-keyframe.h"

void
sfu_keyframe_gate_init (SfuKeyframeGate * g)
{
  *g = (SfuKeyframeGate) {
  0};
}

static gboolean
gate_open (const SfuKeyframeGate * g, guint64 now_ns)
{
  return !g->ever_sent || now_ns < g->last_sent ||
      now_ns - g->last_sent >= SFU_KEYFRAME_MIN_INTERVAL_NS;
}

static gboolean
gate_send (SfuKeyframeGate * g, guint64 now_ns)
{
  g->ever_sent = TRUE;
  g->last_sent = now_ns;
  g->keyframe_since = FALSE;
  g->pending = FALSE;
  g->sent++;
  return TRUE;
}

/* Returns TRUE when a request must go upstream now.  Inside the interval a
 * request is folded into the previous one while that one's keyframe has
 * not been seen yet; otherwise it is kept pending and leaves when the
 * interval is over (see sfu_keyframe_gate_poll()). */
gboolean
sfu_keyframe_gate_request (SfuKeyframeGate * g, guint64 now_ns)
{
  g->requested++;
  if (gate_open (g, now_ns))
    return gate_send (g, now_ns);
  if (g->keyframe_since)
    g->pending = TRUE;
  return FALSE;
}

/* Call on every packet of the layer: TRUE when a pending request is due. */
gboolean
sfu_keyframe_gate_poll (SfuKeyframeGate * g, guint64 now_ns)
{
  if (g->pending && gate_open (g, now_ns))
    return gate_send (g, now_ns);
  return FALSE;
}

void
sfu_keyframe_gate_keyframe (SfuKeyframeGate * g)
{
  g->keyframe_since = TRUE;
}
