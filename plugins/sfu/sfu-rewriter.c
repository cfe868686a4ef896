/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "sfu-rewriter.h"

/* The smallest timestamp step at a source change when no time has passed
 * (both packets in the same clock tick): keep timestamps strictly moving. */
#define MIN_TS_STEP 1

void
sfu_rewriter_init (SfuRewriter * rw, guint32 out_ssrc, guint clock_rate)
{
  *rw = (SfuRewriter) {
  0};
  rw->out_ssrc = out_ssrc;
  rw->clock_rate = clock_rate ? clock_rate : 90000;
}

/* @source identifies the input stream (layer + SSRC).  A new source is
 * rebased so that its first packet follows the last one sent: sequence + 1,
 * timestamp + the wall-clock time between them.  Packets of the current
 * source keep their relative spacing (reordering and loss stay visible to
 * the receiver's jitter buffer, which is where they belong). */
void
sfu_rewriter_rewrite (SfuRewriter * rw, guint64 source, guint16 in_seq,
    guint32 in_ts, guint64 now_ns, guint16 * out_seq, guint32 * out_ts)
{
  guint16 seq;
  guint32 ts;

  rw->switched = !rw->started || source != rw->source;
  if (!rw->started) {
    rw->started = TRUE;
    rw->source = source;
    rw->seq_delta = 0;
    rw->ts_delta = 0;
    rw->last_seq = in_seq;
    rw->last_ts = in_ts;
    rw->last_time = now_ns;
    *out_seq = in_seq;
    *out_ts = in_ts;
    return;
  }

  if (source != rw->source) {
    guint64 elapsed = now_ns > rw->last_time ? now_ns - rw->last_time : 0;
    guint64 step = elapsed * rw->clock_rate / G_GUINT64_CONSTANT (1000000000);
    guint32 want_ts;

    if (step < MIN_TS_STEP)
      step = MIN_TS_STEP;
    want_ts = rw->last_ts + (guint32) step;
    rw->source = source;
    rw->seq_delta = (guint16) (rw->last_seq + 1 - in_seq);
    rw->ts_delta = want_ts - in_ts;
  }

  seq = (guint16) (in_seq + rw->seq_delta);
  ts = in_ts + rw->ts_delta;

  /* Only move the reference forward: a reordered older packet must not
   * pull the rebase point of a later switch backwards. */
  if ((gint16) (seq - rw->last_seq) > 0) {
    rw->last_seq = seq;
    rw->last_ts = ts;
    rw->last_time = now_ns;
  }
  *out_seq = seq;
  *out_ts = ts;
}

/* A new source starts a new picture: picture id and TL0PICIDX go on by one
 * from the last sent, so a receiver that tracks them (Chromium's VP8
 * reference finder does) sees no jump back. */
void
sfu_rewriter_rewrite_vp8 (SfuRewriter * rw, guint16 in_pid, guint16 pid_mask,
    guint8 in_tl0, guint16 * out_pid, guint8 * out_tl0)
{
  guint16 pid;
  guint8 tl0;

  if (!rw->vp8_started) {
    rw->vp8_started = TRUE;
    rw->pid_delta = 0;
    rw->tl0_delta = 0;
    rw->last_pid = in_pid & pid_mask;
    rw->last_tl0 = in_tl0;
  } else if (rw->switched) {
    rw->pid_delta = (guint16) (rw->last_pid + 1 - in_pid);
    rw->tl0_delta = (guint8) (rw->last_tl0 + 1 - in_tl0);
  }
  pid = (guint16) (in_pid + rw->pid_delta) & pid_mask;
  tl0 = (guint8) (in_tl0 + rw->tl0_delta);
  /* forward only, modulo the field width */
  if (((pid - rw->last_pid) & pid_mask) < (pid_mask >> 1) + 1) {
    rw->last_pid = pid;
    rw->last_tl0 = tl0;
  }
  *out_pid = pid;
  *out_tl0 = tl0;
}
