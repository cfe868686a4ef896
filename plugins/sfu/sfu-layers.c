/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "sfu-layers.h"

#define RATE_WINDOW_NS (G_GUINT64_CONSTANT (1000000000))

static gboolean
layer_fits_size (const SfuLayerInfo * l, guint max_width, guint max_height)
{
  if (l->width == 0 || l->height == 0)
    return TRUE;
  return (max_width == 0 || l->width <= max_width) &&
      (max_height == 0 || l->height <= max_height);
}

/* Rules, in order:
 *  1. only layers that are present;
 *  2. size: the largest layer not bigger than the requested size; when every
 *     layer is bigger than the tile, the smallest one (never nothing);
 *  3. bandwidth (estimate 0 = unknown = unlimited): at most the size pick,
 *     the highest layer whose bitrate fits the estimate (with headroom when
 *     climbing above @current); when none fits, the lowest present layer.
 * Returns -1 when no layer is present. */
gint
sfu_layers_choose (const SfuLayerInfo * layers, guint n_layers, gint current,
    guint64 estimate_bps, guint max_width, guint max_height)
{
  gint lowest = -1, size_pick = -1, pick = -1;
  guint i;

  n_layers = MIN (n_layers, SFU_MAX_LAYERS);
  for (i = 0; i < n_layers; i++) {
    if (!layers[i].present)
      continue;
    if (lowest < 0)
      lowest = i;
    if (layer_fits_size (&layers[i], max_width, max_height))
      size_pick = i;
  }
  if (lowest < 0)
    return -1;
  if (size_pick < 0)
    size_pick = lowest;

  if (estimate_bps == 0)
    return size_pick;

  for (i = lowest; (gint) i <= size_pick; i++) {
    guint64 need;

    if (!layers[i].present)
      continue;
    need = layers[i].bitrate;
    if ((gint) i > current)
      need += need * SFU_LAYER_UP_HEADROOM_PERCENT / 100;
    if (need <= estimate_bps)
      pick = i;
  }
  return pick >= 0 ? pick : lowest;
}

void
sfu_rate_meter_add (SfuRateMeter * m, guint64 now_ns, gsize bytes)
{
  if (m->window_start == 0 || now_ns < m->window_start) {
    m->window_start = now_ns ? now_ns : 1;
    m->window_bytes = 0;
  }
  m->window_bytes += bytes;
  if (now_ns - m->window_start >= RATE_WINDOW_NS) {
    m->bitrate = m->window_bytes * 8 * RATE_WINDOW_NS /
        (now_ns - m->window_start);
    m->window_start = now_ns;
    m->window_bytes = 0;
  }
}
