/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Simulcast layer choice for one subscriber. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Index 0 is the lowest layer.  Unknown values are 0. */
typedef struct
{
  gboolean present;             /* a sink pad feeds this layer */
  guint width;
  guint height;
  guint64 bitrate;              /* bits per second */
} SfuLayerInfo;

#define SFU_MAX_LAYERS 3

/* A layer above the current one needs this much headroom over its bitrate
 * before we climb to it, so that an estimate hovering at a layer's bitrate
 * does not flip between two layers on every report. */
#define SFU_LAYER_UP_HEADROOM_PERCENT 20

gint sfu_layers_choose (const SfuLayerInfo * layers, guint n_layers,
    gint current, guint64 estimate_bps, guint max_width, guint max_height);

/* Bitrate over a sliding window, for layers whose bitrate nobody told us. */
typedef struct
{
  guint64 window_start;
  guint64 window_bytes;
  guint64 bitrate;
} SfuRateMeter;

void sfu_rate_meter_add (SfuRateMeter * m, guint64 now_ns, gsize bytes);

G_END_DECLS
