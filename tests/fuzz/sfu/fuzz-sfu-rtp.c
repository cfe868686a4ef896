/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* libFuzzer target over sfurouter's RTP / RTCP handling: the input is a
 * script of records [op][length, 2 bytes BE][data] that feeds RTP packets
 * (VP8, H.264, audio with RFC 6464 levels), RTCP compound feedback (REMB,
 * TWCC, PLI, FIR), tile sizes and time to the same element-free logic the
 * element runs, routing one subscriber the way the element does.  Besides
 * memory errors it checks the promises the rewriter makes: one SSRC, and a
 * layer switch continues the sequence numbers. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sfu-rtp.h"
#include "sfu-rewriter.h"
#include "sfu-layers.h"
#include "sfu-keyframe.h"
#include "sfu-rtcp.h"
#include "sfu-speaker.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

enum
{
  OP_VP8,
  OP_H264,
  OP_AUDIO,
  OP_RTCP,
  OP_TILE,
  OP_TIME,
  OP_RAW,
  OP_POLL,
};

typedef struct
{
  guint64 now;
  SfuRewriter rw;
  SfuKeyframeGate gates[SFU_MAX_LAYERS];
  SfuRateMeter meters[SFU_MAX_LAYERS];
  SfuLayerInfo layers[SFU_MAX_LAYERS];
  gint current;
  guint64 estimate;
  guint max_w, max_h;
  SfuSpeakerDetector *speaker;
} Sim;

static void
check (gboolean ok)
{
  if (!ok)
    abort ();
}

static void
route_video (Sim * s, SfuCodec codec, guint layer, const guint8 * d, gsize n)
{
  SfuRtpPacket pkt;
  gboolean key;
  gint target;

  if (!sfu_rtp_parse (d, n, &pkt))
    return;
  check (pkt.payload + pkt.payload_len <= d + n);
  key = sfu_rtp_is_keyframe_start (codec, pkt.payload, pkt.payload_len);
  if (key)
    sfu_keyframe_gate_keyframe (&s->gates[layer]);
  sfu_rate_meter_add (&s->meters[layer], s->now, n);
  s->layers[layer].present = TRUE;
  s->layers[layer].bitrate = s->meters[layer].bitrate;
  sfu_keyframe_gate_poll (&s->gates[layer], s->now);

  target = sfu_layers_choose (s->layers, SFU_MAX_LAYERS, s->current,
      s->estimate, s->max_w, s->max_h);
  check (target >= 0 && target < SFU_MAX_LAYERS && s->layers[target].present);
  if ((gint) layer == target && (gint) layer != s->current) {
    if (!key) {
      sfu_keyframe_gate_request (&s->gates[layer], s->now);
      return;
    }
    s->current = layer;
  }
  if ((gint) layer == s->current) {
    guint64 source = ((guint64) layer << 32) | pkt.ssrc;
    gboolean switching = s->rw.started && s->rw.source != source;
    guint16 last = s->rw.last_seq, seq;
    guint32 ts;

    SfuVp8Descriptor desc;

    sfu_rewriter_rewrite (&s->rw, source, pkt.seq, pkt.ts, s->now, &seq, &ts);
    if (switching)
      check (seq == (guint16) (last + 1));
    if (codec == SFU_CODEC_VP8 &&
        sfu_vp8_parse_descriptor (pkt.payload, pkt.payload_len, &desc)) {
      guint16 mask = desc.picture_id_15bit ? 0x7fff : 0x7f;
      guint16 last_pid = s->rw.last_pid, pid;
      gboolean had_vp8 = s->rw.vp8_started;
      guint8 tl0, *copy;

      sfu_rewriter_rewrite_vp8 (&s->rw, desc.picture_id, mask, desc.tl0picidx,
          &pid, &tl0);
      check ((pid & ~mask) == 0);
      if (switching && had_vp8)
        check (pid == ((last_pid + 1) & mask));
      /* write into a copy of exactly the payload: ASan sees any overrun */
      copy = g_memdup2 (pkt.payload, pkt.payload_len);
      sfu_vp8_write_descriptor (copy, pkt.payload_len, &desc, pid, tl0);
      g_free (copy);
    }
  }
}

static void
route_audio (Sim * s, guint8 ext_id, const guint8 * d, gsize n)
{
  SfuRtpPacket pkt;
  gboolean voice;
  guint8 level;
  const gchar *who;
  guint lvl;
  gchar key[8];

  if (!sfu_rtp_parse (d, n, &pkt))
    return;
  if (!sfu_rtp_audio_level (&pkt, ext_id, &voice, &level))
    return;
  check (level <= 127);
  g_snprintf (key, sizeof (key), "p%u", pkt.ssrc & 3);
  if (sfu_speaker_detector_update (s->speaker, key, voice, level, s->now,
          &who, &lvl))
    check (who != NULL && who[0] == 'p' && lvl <= 127);
  if ((pkt.ssrc & 0xff) == 0xff)
    sfu_speaker_detector_remove (s->speaker, key);
}

static void
feedback (Sim * s, const guint8 * d, gsize n)
{
  SfuRtcpFeedback fb;

  sfu_rtcp_parse (d, n, &fb);
  check (fb.twcc_lost <= fb.twcc_reported);
  s->estimate = sfu_rtcp_update_estimate (s->estimate, &fb);
  if (fb.keyframe_request && s->current >= 0)
    sfu_keyframe_gate_request (&s->gates[s->current], s->now);
}

static void
raw (const guint8 * d, gsize n)
{
  SfuRtpPacket pkt;
  const guint8 *ext;
  gsize ext_len;
  guint id;

  if (!sfu_rtp_parse (d, n, &pkt))
    return;
  for (id = 1; id < 256; id++) {
    if (sfu_rtp_find_extension (&pkt, id, &ext, &ext_len))
      check (ext >= pkt.ext_data && ext + ext_len <= pkt.ext_data +
          pkt.ext_len);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  Sim s = { 0 };
  gsize off = 0;
  guint i;

  s.current = -1;
  s.now = 1000000000;
  sfu_rewriter_init (&s.rw, 0x5f0, 90000);
  for (i = 0; i < SFU_MAX_LAYERS; i++)
    sfu_keyframe_gate_init (&s.gates[i]);
  s.speaker = sfu_speaker_detector_new (SFU_SPEAKER_DEFAULT_DEBOUNCE_NS);

  while (off + 3 <= size) {
    guint8 op = data[off];
    gsize n = ((gsize) data[off + 1] << 8) | data[off + 2];
    const guint8 *d = data + off + 3;

    off += 3;
    n = MIN (n, size - off);
    off += n;
    /* every record moves time a little, as packets do */
    s.now += 1000000;

    switch (op & 7) {
      case OP_VP8:
        route_video (&s, SFU_CODEC_VP8, (op >> 3) % SFU_MAX_LAYERS, d, n);
        break;
      case OP_H264:
        route_video (&s, SFU_CODEC_H264, (op >> 3) % SFU_MAX_LAYERS, d, n);
        break;
      case OP_AUDIO:
        route_audio (&s, ((op >> 3) & 15) ? (op >> 3) & 15 : 1, d, n);
        break;
      case OP_RTCP:
        feedback (&s, d, n);
        break;
      case OP_TILE:
        if (n >= 4) {
          s.max_w = (d[0] << 8) | d[1];
          s.max_h = (d[2] << 8) | d[3];
        }
        if (n >= 5)
          s.layers[d[4] % SFU_MAX_LAYERS].width = s.max_w / 2;
        break;
      case OP_TIME:
        if (n >= 2)
          s.now += (guint64) ((d[0] << 8) | d[1]) * 1000000;
        break;
      case OP_RAW:
        raw (d, n);
        break;
      case OP_POLL:
        for (i = 0; i < SFU_MAX_LAYERS; i++)
          sfu_keyframe_gate_poll (&s.gates[i], s.now);
        break;
    }
  }
  sfu_speaker_detector_free (s.speaker);
  return 0;
}
