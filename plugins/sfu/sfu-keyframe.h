/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Keyframe request coalescing for one publisher layer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SFU_KEYFRAME_MIN_INTERVAL_NS (G_GUINT64_CONSTANT (300000000))

typedef struct
{
  gboolean ever_sent;
  guint64 last_sent;
  /* a keyframe went by after the last request: a new request cannot be
   * served by that one any more */
  gboolean keyframe_since;
  /* a request arrived inside the interval and needs its own keyframe */
  gboolean pending;
  guint64 requested;            /* requests received */
  guint64 sent;                 /* requests sent upstream */
} SfuKeyframeGate;

void sfu_keyframe_gate_init (SfuKeyframeGate * g);
gboolean sfu_keyframe_gate_request (SfuKeyframeGate * g, guint64 now_ns);
gboolean sfu_keyframe_gate_poll (SfuKeyframeGate * g, guint64 now_ns);
void sfu_keyframe_gate_keyframe (SfuKeyframeGate * g);

G_END_DECLS
