/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Per-subscriber SSRC / sequence / timestamp rewriting: the subscriber sees
 * one continuous stream whatever layer or publisher SSRC feeds it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint32 out_ssrc;
  guint clock_rate;

  gboolean started;
  guint64 source;               /* opaque id of the current input stream */
  guint16 seq_delta;
  guint32 ts_delta;
  /* highest output so far, and the time it was produced */
  guint16 last_seq;
  guint32 last_ts;
  guint64 last_time;
  /* the last sfu_rewriter_rewrite() started a new source */
  gboolean switched;

  /* VP8 picture id (15 bits) and TL0PICIDX, continued the same way */
  gboolean vp8_started;
  guint16 pid_delta;
  guint8 tl0_delta;
  guint16 last_pid;
  guint8 last_tl0;
} SfuRewriter;

void sfu_rewriter_init (SfuRewriter * rw, guint32 out_ssrc, guint clock_rate);

void sfu_rewriter_rewrite (SfuRewriter * rw, guint64 source, guint16 in_seq,
    guint32 in_ts, guint64 now_ns, guint16 * out_seq, guint32 * out_ts);

/* Call after sfu_rewriter_rewrite() for the same packet.  @pid_mask is
 * 0x7fff or 0x7f after the width of the packet's picture id. */
void sfu_rewriter_rewrite_vp8 (SfuRewriter * rw, guint16 in_pid,
    guint16 pid_mask, guint8 in_tl0, guint16 * out_pid, guint8 * out_tl0);

G_END_DECLS
