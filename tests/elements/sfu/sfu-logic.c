/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Table-driven tests of sfurouter's element-free logic. */

#include <gst/check/gstcheck.h>

#include "sfu-rtp.h"
#include "sfu-rewriter.h"
#include "sfu-layers.h"
#include "sfu-keyframe.h"
#include "sfu-rtcp.h"
#include "sfu-speaker.h"
#include "sfu-test-util.h"

#define MS (G_GUINT64_CONSTANT (1000000))

/* fail_unless_equals_* with the case named in the failure */
#define check_eq(got, want, fmt, ...) G_STMT_START {                     \
  gint64 _got = (got), _want = (want);                                  \
  fail_unless (_got == _want, fmt ": got %" G_GINT64_FORMAT             \
      ", want %" G_GINT64_FORMAT, __VA_ARGS__, _got, _want);            \
} G_STMT_END

/* --- layer choice ------------------------------------------------------- */

/* three layers as a browser sends them: 320x180 / 640x360 / 1280x720 */
static const SfuLayerInfo ladder[3] = {
  {TRUE, 320, 180, 150000},
  {TRUE, 640, 360, 500000},
  {TRUE, 1280, 720, 1500000},
};

static const SfuLayerInfo only_top_two[3] = {
  {FALSE, 0, 0, 0},
  {TRUE, 640, 360, 500000},
  {TRUE, 1280, 720, 1500000},
};

static const SfuLayerInfo unknown_sizes[3] = {
  {TRUE, 0, 0, 0},
  {TRUE, 0, 0, 0},
  {FALSE, 0, 0, 0},
};

static const SfuLayerInfo none[3] = { {0} };

static const struct
{
  const gchar *name;
  const SfuLayerInfo *layers;
  gint current;
  guint64 estimate;
  guint max_w, max_h;
  gint expect;
} layer_cases[] = {
  {"no wishes: top", ladder, -1, 0, 0, 0, 2},
  {"small tile: low", ladder, -1, 0, 320, 180, 0},
  {"medium tile: mid", ladder, -1, 0, 700, 400, 1},
  {"large tile: top", ladder, -1, 0, 1920, 1080, 2},
  {"tile smaller than every layer: lowest", ladder, -1, 0, 100, 60, 0},
  {"bandwidth caps the size pick", ladder, -1, 600000, 1920, 1080, 1},
  {"bandwidth below every layer: lowest", ladder, -1, 10000, 1920, 1080, 0},
  {"climb needs headroom", ladder, 1, 1600000, 1920, 1080, 1},
  {"climb with headroom", ladder, 1, 1800000, 1920, 1080, 2},
  {"stay without headroom", ladder, 2, 1500000, 1920, 1080, 2},
  {"drop when below", ladder, 2, 1400000, 1920, 1080, 1},
  {"missing layer skipped", only_top_two, -1, 0, 320, 180, 1},
  {"missing layer, low bandwidth", only_top_two, -1, 1000, 0, 0, 1},
  {"unknown sizes: top present", unknown_sizes, -1, 0, 320, 180, 1},
  {"unknown bitrate fits any estimate", unknown_sizes, -1, 1, 0, 0, 1},
  {"nothing present", none, -1, 0, 0, 0, -1},
};

GST_START_TEST (test_layer_choice)
{
  const typeof (layer_cases[0]) * c = &layer_cases[__i__];

  check_eq (sfu_layers_choose (c->layers, 3, c->current,
          c->estimate, c->max_w, c->max_h), c->expect, "case '%s'", c->name);
}

GST_END_TEST;

GST_START_TEST (test_rate_meter)
{
  SfuRateMeter m = { 0 };
  guint i;

  for (i = 0; i <= 50; i++)
    sfu_rate_meter_add (&m, 1000 * MS + i * 20 * MS, 1250);
  /* 50 x 1250 bytes + the first in 1 s: about 510 kbit/s */
  fail_unless (m.bitrate >= 500000 && m.bitrate <= 520000, "%"
      G_GUINT64_FORMAT, m.bitrate);
}

GST_END_TEST;

/* --- rewriter ----------------------------------------------------------- */

typedef struct
{
  guint64 source;
  guint16 seq;
  guint32 ts;
  guint64 now_ms;
  guint16 out_seq;
  guint32 out_ts;
} RwStep;

static const RwStep rw_switch[] = {
  /* first packet passes unchanged */
  {1, 100, 1000, 0, 100, 1000},
  {1, 101, 3970, 33, 101, 3970},
  /* other layer, other bases: continues at seq + 1, ts + 33 ms */
  {2, 60000, 500, 66, 102, 6940},
  {2, 60001, 3470, 99, 103, 9910},
  /* wrap of the input sequence number */
  {2, 65535, 6440, 132, 5637, 12880},
  {2, 0, 9410, 165, 5638, 15850},
  /* back to the first layer, and a same-instant switch */
  {1, 200, 90000, 165, 5639, 15851},
};

static const RwStep rw_reorder[] = {
  {7, 10, 0, 0, 10, 0},
  {7, 12, 6000, 66, 12, 6000},
  /* late packet keeps its place */
  {7, 11, 3000, 70, 11, 3000},
  /* a switch after it rebases on the highest sent, not on the late one */
  {8, 500, 0, 99, 13, 8970},
};

static const struct
{
  const gchar *name;
  const RwStep *steps;
  guint n;
} rw_cases[] = {
  {"switch", rw_switch, G_N_ELEMENTS (rw_switch)},
  {"reorder", rw_reorder, G_N_ELEMENTS (rw_reorder)},
};

GST_START_TEST (test_rewriter)
{
  SfuRewriter rw;
  guint i;

  sfu_rewriter_init (&rw, 0xabcdef, 90000);
  for (i = 0; i < rw_cases[__i__].n; i++) {
    const RwStep *s = &rw_cases[__i__].steps[i];
    guint16 seq;
    guint32 ts;

    sfu_rewriter_rewrite (&rw, s->source, s->seq, s->ts, s->now_ms * MS, &seq,
        &ts);
    check_eq (seq, s->out_seq, "%s step %u seq",
        rw_cases[__i__].name, i);
    check_eq (ts, s->out_ts, "%s step %u ts",
        rw_cases[__i__].name, i);
  }
  fail_unless_equals_int (rw.out_ssrc, 0xabcdef);
}

GST_END_TEST;

typedef struct
{
  guint64 source;
  guint16 pid;
  guint16 mask;
  guint8 tl0;
  guint16 out_pid;
  guint8 out_tl0;
} PidStep;

static const PidStep pid_steps[] = {
  {1, 100, 0x7fff, 7, 100, 7},
  {1, 100, 0x7fff, 7, 100, 7},  /* second packet of the frame */
  {1, 101, 0x7fff, 8, 101, 8},
  /* the other layer's numbering continues ours */
  {2, 30000, 0x7fff, 200, 102, 9},
  {2, 30001, 0x7fff, 201, 103, 10},
  {2, 32767, 0x7fff, 202, (103 + 2766) & 0x7fff, 11},
  {2, 0, 0x7fff, 203, (103 + 2767) & 0x7fff, 12},
  /* a 7-bit publisher after a 15-bit one: wraps in 7 bits */
  {3, 5, 0x7f, 0, ((103 + 2767 + 1) & 0x7f), 13},
};

GST_START_TEST (test_rewriter_vp8)
{
  SfuRewriter rw;
  guint i;

  sfu_rewriter_init (&rw, 1, 90000);
  for (i = 0; i < G_N_ELEMENTS (pid_steps); i++) {
    const PidStep *s = &pid_steps[i];
    guint16 seq, pid;
    guint32 ts;
    guint8 tl0;

    sfu_rewriter_rewrite (&rw, s->source, i, i, i * MS, &seq, &ts);
    sfu_rewriter_rewrite_vp8 (&rw, s->pid, s->mask, s->tl0, &pid, &tl0);
    check_eq (pid, s->out_pid, "step %u picture id", i);
    check_eq (tl0, s->out_tl0, "step %u tl0picidx", i);
  }
}

GST_END_TEST;

GST_START_TEST (test_vp8_descriptor)
{
  /* X, I (15 bit 0x0123), L (0x05), T; then the VP8 header */
  guint8 p[] = { 0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x00 };
  guint8 short7[] = { 0x90, 0x80, 0x12, 0x00 };
  SfuVp8Descriptor d;

  fail_unless (sfu_vp8_parse_descriptor (p, sizeof (p), &d));
  fail_unless (d.has_picture_id && d.picture_id_15bit);
  fail_unless_equals_int (d.picture_id, 0x0123);
  fail_unless (d.has_tl0picidx);
  fail_unless_equals_int (d.tl0picidx, 5);
  sfu_vp8_write_descriptor (p, sizeof (p), &d, 0x7abc, 0x99);
  fail_unless_equals_int (p[2], 0x80 | 0x7a);
  fail_unless_equals_int (p[3], 0xbc);
  fail_unless_equals_int (p[4], 0x99);
  fail_unless_equals_int (p[5], 0x40);

  fail_unless (sfu_vp8_parse_descriptor (short7, sizeof (short7), &d));
  fail_unless (d.has_picture_id && !d.picture_id_15bit);
  fail_unless_equals_int (d.picture_id, 0x12);
  fail_if (d.has_tl0picidx);
  sfu_vp8_write_descriptor (short7, sizeof (short7), &d, 0x1ff, 0);
  fail_unless_equals_int (short7[2], 0x7f);

  /* truncated inside the picture id / TL0PICIDX */
  fail_if (sfu_vp8_parse_descriptor (p, 3, &d));
  fail_if (sfu_vp8_parse_descriptor (p, 4, &d));
  fail_if (sfu_vp8_parse_descriptor (short7, 2, &d));
}

GST_END_TEST;

/* --- keyframe gate ------------------------------------------------------ */

typedef enum
{ REQ, POLL, KEY } GateOp;

typedef struct
{
  GateOp op;
  guint64 ms;
  gboolean sends;
} GateStep;

static const GateStep gate_coalesce[] = {
  {REQ, 0, TRUE},
  {REQ, 100, FALSE},            /* keyframe on its way: folded */
  {POLL, 299, FALSE},
  {POLL, 400, FALSE},           /* nothing pending */
  {REQ, 301, TRUE},
};

static const GateStep gate_pending[] = {
  {REQ, 1000, TRUE},
  {KEY, 1050, FALSE},
  {REQ, 1100, FALSE},           /* after the keyframe: needs its own */
  {POLL, 1200, FALSE},
  {POLL, 1300, TRUE},           /* interval over: goes now */
  {POLL, 1310, FALSE},
};

static const struct
{
  const gchar *name;
  const GateStep *steps;
  guint n;
} gate_cases[] = {
  {"coalesce", gate_coalesce, G_N_ELEMENTS (gate_coalesce)},
  {"pending", gate_pending, G_N_ELEMENTS (gate_pending)},
};

GST_START_TEST (test_keyframe_gate)
{
  SfuKeyframeGate g;
  guint i;

  sfu_keyframe_gate_init (&g);
  for (i = 0; i < gate_cases[__i__].n; i++) {
    const GateStep *s = &gate_cases[__i__].steps[i];
    gboolean sent = FALSE;

    switch (s->op) {
      case REQ:
        sent = sfu_keyframe_gate_request (&g, s->ms * MS);
        break;
      case POLL:
        sent = sfu_keyframe_gate_poll (&g, s->ms * MS);
        break;
      case KEY:
        sfu_keyframe_gate_keyframe (&g);
        break;
    }
    check_eq (sent, s->sends, "%s step %u",
        gate_cases[__i__].name, i);
  }
}

GST_END_TEST;

/* --- RTP parsing, extensions, keyframes --------------------------------- */

static const guint8 h264_idr[] = { 0x65, 0x88, 0x84 };
static const guint8 h264_p[] = { 0x41, 0x9a };
static const guint8 h264_stapa_sps[] =
    { 0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce };
static const guint8 h264_stapa_bad[] = { 0x18, 0x00, 0x09, 0x67, 0x42 };
static const guint8 h264_fua_idr_start[] = { 0x7c, 0x85, 0x88 };
static const guint8 h264_fua_idr_mid[] = { 0x7c, 0x05, 0x88 };
static const guint8 vp8_ext_key[] = { 0x90, 0xe0, 0x81, 0x23, 0x05, 0x40,
  0x00
};

static const struct
{
  const gchar *name;
  SfuCodec codec;
  const guint8 *payload;
  gsize len;
  gboolean key;
} key_cases[] = {
  {"vp8 key", SFU_CODEC_VP8, vp8_key, sizeof (vp8_key), TRUE},
  {"vp8 delta", SFU_CODEC_VP8, vp8_delta, sizeof (vp8_delta), FALSE},
  {"vp8 continuation", SFU_CODEC_VP8, vp8_cont, sizeof (vp8_cont), FALSE},
  {"vp8 with I/L/T, 15-bit picture id", SFU_CODEC_VP8, vp8_ext_key,
      sizeof (vp8_ext_key), TRUE},
  {"vp8 truncated descriptor", SFU_CODEC_VP8, vp8_ext_key, 3, FALSE},
  {"vp8 empty", SFU_CODEC_VP8, vp8_key, 0, FALSE},
  {"h264 idr", SFU_CODEC_H264, h264_idr, sizeof (h264_idr), TRUE},
  {"h264 p slice", SFU_CODEC_H264, h264_p, sizeof (h264_p), FALSE},
  {"h264 stap-a sps", SFU_CODEC_H264, h264_stapa_sps, sizeof (h264_stapa_sps),
      TRUE},
  {"h264 stap-a overrun", SFU_CODEC_H264, h264_stapa_bad,
      sizeof (h264_stapa_bad), FALSE},
  {"h264 fu-a idr start", SFU_CODEC_H264, h264_fua_idr_start,
      sizeof (h264_fua_idr_start), TRUE},
  {"h264 fu-a idr middle", SFU_CODEC_H264, h264_fua_idr_mid,
      sizeof (h264_fua_idr_mid), FALSE},
  {"h264 fu-a truncated", SFU_CODEC_H264, h264_fua_idr_start, 1, FALSE},
  {"opus never", SFU_CODEC_OTHER, vp8_key, sizeof (vp8_key), FALSE},
};

GST_START_TEST (test_keyframe_detection)
{
  check_eq (sfu_rtp_is_keyframe_start (key_cases[__i__].codec,
          key_cases[__i__].payload, key_cases[__i__].len),
      key_cases[__i__].key, "case '%s'", key_cases[__i__].name);
}

GST_END_TEST;

GST_START_TEST (test_rtp_parse)
{
  guint8 pkt[64];
  gsize len;
  SfuRtpPacket p;
  gboolean voice;
  guint8 level;

  len = sfu_test_build_rtp (pkt, 0x11223344, 7, 9000, opus_frame,
      sizeof (opus_frame), 3, 0x80 | 25);
  fail_unless (sfu_rtp_parse (pkt, len, &p));
  fail_unless_equals_int (p.seq, 7);
  fail_unless_equals_int (p.ts, 9000);
  fail_unless_equals_int (p.ssrc, 0x11223344);
  fail_unless_equals_int (p.payload_len, sizeof (opus_frame));
  fail_unless (sfu_rtp_audio_level (&p, 3, &voice, &level));
  fail_unless (voice);
  fail_unless_equals_int (level, 25);
  fail_if (sfu_rtp_audio_level (&p, 4, &voice, &level));

  /* every truncation of a valid packet with an extension is refused up to
   * the end of the extension block */
  for (gsize cut = 0; cut < 20; cut++)
    fail_if (sfu_rtp_parse (pkt, cut, &p), "cut %" G_GSIZE_FORMAT, cut);

  /* extension block longer than the packet */
  pkt[15] = 0x40;
  fail_if (sfu_rtp_parse (pkt, len, &p));
  pkt[15] = 0x01;
  /* element length running past the block */
  pkt[16] = (3 << 4) | 0x0f;
  fail_unless (sfu_rtp_parse (pkt, len, &p));
  fail_if (sfu_rtp_audio_level (&p, 3, &voice, &level));
  /* CSRC count past the end */
  pkt[0] = 0x8f;
  fail_if (sfu_rtp_parse (pkt, 20, &p));
  /* version 1 */
  pkt[0] = 0x40;
  fail_if (sfu_rtp_parse (pkt, len, &p));
  /* padding larger than the payload */
  pkt[0] = 0xa0;
  pkt[len - 1] = 200;
  fail_if (sfu_rtp_parse (pkt, len, &p));
  /* RTCP on a muxed port */
  pkt[0] = 0x80;
  pkt[1] = 200;
  fail_if (sfu_rtp_parse (pkt, len, &p));
}

GST_END_TEST;

GST_START_TEST (test_rtp_two_byte_extension)
{
  /* profile 0x1000, one word: id 5 len 1 value 0x8a, padding */
  const guint8 pkt[] = { 0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1,
    0x10, 0x00, 0x00, 0x01, 5, 1, 0x8a, 0, 0xaa
  };
  SfuRtpPacket p;
  gboolean voice;
  guint8 level;

  fail_unless (sfu_rtp_parse (pkt, sizeof (pkt), &p));
  fail_unless (sfu_rtp_audio_level (&p, 5, &voice, &level));
  fail_unless (voice);
  fail_unless_equals_int (level, 10);
}

GST_END_TEST;

/* --- RTCP ---------------------------------------------------------------- */

static const guint8 rtcp_pli[] = { 0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2 };
static const guint8 rtcp_fir[] = { 0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0,
  0, 0, 0, 2, 1, 0, 0, 0
};

/* REMB 1.5 Mbit/s: exp 3, mantissa 187500 (0x2DC6C) */
static const guint8 rtcp_remb[] = { 0x8f, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0,
  'R', 'E', 'M', 'B', 1, (3 << 2) | 0x02, 0xDC, 0x6C, 0, 0, 0, 2
};

/* TWCC: base 0, 14 statuses in one bit vector chunk, 4 not received */
static const guint8 rtcp_twcc[] = { 0x8f, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2,
  0, 0, 0, 14, 0, 0, 0, 0, 0x83, 0xff, 0, 0
};

static const guint8 rtcp_sr_then_pli[] = {
  0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0,
  0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2
};

static const guint8 rtcp_length_lies[] = { 0x81, 206, 0, 9, 0, 0, 0, 1 };
static const guint8 rtcp_not_rtcp[] = { 0x80, 96, 0, 0 };
static const guint8 rtcp_short_fb[] = { 0x81, 206, 0, 0 };

static const struct
{
  const gchar *name;
  const guint8 *data;
  gsize len;
  gboolean ok;
  gboolean keyframe;
  guint64 remb;
  guint twcc_reported, twcc_lost;
} rtcp_cases[] = {
  {"pli", rtcp_pli, sizeof (rtcp_pli), TRUE, TRUE, 0, 0, 0},
  {"fir", rtcp_fir, sizeof (rtcp_fir), TRUE, TRUE, 0, 0, 0},
  {"fir without entry", rtcp_fir, 12, FALSE, FALSE, 0, 0, 0},
  {"remb", rtcp_remb, sizeof (rtcp_remb), TRUE, FALSE, 1500000, 0, 0},
  {"twcc", rtcp_twcc, sizeof (rtcp_twcc), TRUE, FALSE, 0, 14, 4},
  {"compound sr + pli", rtcp_sr_then_pli, sizeof (rtcp_sr_then_pli), TRUE,
      TRUE, 0, 0, 0},
  {"length past the end", rtcp_length_lies, sizeof (rtcp_length_lies), FALSE,
      FALSE, 0, 0, 0},
  {"rtp, not rtcp", rtcp_not_rtcp, sizeof (rtcp_not_rtcp), FALSE, FALSE, 0, 0,
      0},
  {"feedback without ssrcs", rtcp_short_fb, sizeof (rtcp_short_fb), FALSE,
      FALSE, 0, 0, 0},
  {"empty", rtcp_pli, 0, FALSE, FALSE, 0, 0, 0},
};

GST_START_TEST (test_rtcp_parse)
{
  const typeof (rtcp_cases[0]) * c = &rtcp_cases[__i__];
  SfuRtcpFeedback fb;

  check_eq (sfu_rtcp_parse (c->data, c->len, &fb), c->ok,
      "case '%s'", c->name);
  check_eq (fb.keyframe_request, c->keyframe, "case '%s'",
      c->name);
  check_eq (fb.remb_bitrate, c->remb, "case '%s'",
      c->name);
  check_eq (fb.twcc_reported, c->twcc_reported, "case '%s'",
      c->name);
  check_eq (fb.twcc_lost, c->twcc_lost, "case '%s'",
      c->name);
}

GST_END_TEST;

GST_START_TEST (test_estimate_update)
{
  SfuRtcpFeedback fb = { 0 };

  fail_unless_equals_uint64 (sfu_rtcp_update_estimate (1000, &fb), 1000);
  fb.has_remb = TRUE;
  fb.remb_bitrate = 300000;
  fail_unless_equals_uint64 (sfu_rtcp_update_estimate (1000, &fb), 300000);
  fb.has_remb = FALSE;
  fb.twcc_reported = 100;
  fb.twcc_lost = 20;
  fail_unless_equals_uint64 (sfu_rtcp_update_estimate (1000000, &fb), 900000);
  fb.twcc_lost = 0;
  fail_unless_equals_uint64 (sfu_rtcp_update_estimate (1000000, &fb), 1080000);
  /* no estimate to scale: TWCC alone cannot make one up */
  fail_unless_equals_uint64 (sfu_rtcp_update_estimate (0, &fb), 0);
}

GST_END_TEST;

/* --- active speaker ------------------------------------------------------ */

GST_START_TEST (test_speaker_debounce)
{
  SfuSpeakerDetector *d = sfu_speaker_detector_new (500 * MS);
  const gchar *who = NULL;
  guint level = 0, changes = 0;
  guint64 t;

  /* alice speaks at -20 dBov, bob is quiet: alice after the debounce */
  for (t = 0; t < 2000 * MS; t += 20 * MS) {
    if (sfu_speaker_detector_update (d, "bob", FALSE, 127, t, &who, &level))
      changes++;
    if (sfu_speaker_detector_update (d, "alice", TRUE, 20, t, &who, &level)) {
      changes++;
      fail_unless_equals_string (who, "alice");
      fail_unless (t >= 500 * MS);
      fail_unless (level >= 20 && level <= 25, "level %u", level);
    }
  }
  fail_unless_equals_int (changes, 1);

  /* bob takes over; short interjections of alice do not flip it back */
  changes = 0;
  for (; t < 4000 * MS; t += 20 * MS) {
    gboolean alice_coughs = (t / (20 * MS)) % 25 == 0;

    if (sfu_speaker_detector_update (d, "alice", alice_coughs, 10, t, &who,
            &level))
      changes++;
    if (sfu_speaker_detector_update (d, "bob", TRUE, 30, t, &who, &level)) {
      changes++;
      fail_unless_equals_string (who, "bob");
    }
  }
  fail_unless_equals_int (changes, 1);
  sfu_speaker_detector_remove (d, "bob");
  sfu_speaker_detector_free (d);
}

GST_END_TEST;

static Suite *
sfu_logic_suite (void)
{
  Suite *s = suite_create ("sfu-logic");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_loop_test (tc, test_layer_choice, 0, G_N_ELEMENTS (layer_cases));
  tcase_add_test (tc, test_rate_meter);
  tcase_add_loop_test (tc, test_rewriter, 0, G_N_ELEMENTS (rw_cases));
  tcase_add_test (tc, test_rewriter_vp8);
  tcase_add_test (tc, test_vp8_descriptor);
  tcase_add_loop_test (tc, test_keyframe_gate, 0, G_N_ELEMENTS (gate_cases));
  tcase_add_loop_test (tc, test_keyframe_detection, 0,
      G_N_ELEMENTS (key_cases));
  tcase_add_test (tc, test_rtp_parse);
  tcase_add_test (tc, test_rtp_two_byte_extension);
  tcase_add_loop_test (tc, test_rtcp_parse, 0, G_N_ELEMENTS (rtcp_cases));
  tcase_add_test (tc, test_estimate_update);
  tcase_add_test (tc, test_speaker_debounce);
  return s;
}

GST_CHECK_MAIN (sfu_logic);
