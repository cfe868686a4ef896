/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* sfurouter element suite: one GstHarness per request pad on a single
 * element, GstTestClock for everything timed. */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gst/video/video.h>

#include "sfu-test-util.h"

#define VP8_CAPS "application/x-rtp,media=video,encoding-name=VP8," \
    "clock-rate=90000,payload=96"
#define OPUS_CAPS "application/x-rtp,media=audio,encoding-name=OPUS," \
    "clock-rate=48000,payload=111," \
    "extmap-1=urn:ietf:params:rtp-hdrext:ssrc-audio-level"

typedef struct
{
  GstElement *sfu;
  GstTestClock *clock;
  GstBus *bus;
  GstHarness *pubs[4];
  GstHarness *subs[4];
} Fixture;

static void
fixture_init (Fixture * f)
{
  memset (f, 0, sizeof (*f));
  f->sfu = gst_element_factory_make ("sfurouter", NULL);
  fail_unless (f->sfu != NULL);
  f->bus = gst_bus_new ();
  gst_element_set_bus (f->sfu, f->bus);
  f->clock = GST_TEST_CLOCK (gst_test_clock_new_with_start_time (GST_SECOND));
}

/* The harnesses each bring their own clock: ours goes on last. */
static void
fixture_use_clock (Fixture * f)
{
  gst_element_set_clock (f->sfu, GST_CLOCK (f->clock));
}

static GstHarness *
add_pub (Fixture * f, guint i, const gchar * caps, const gchar * publisher,
    const gchar * track, gint layer, guint width, guint height)
{
  gchar *name = g_strdup_printf ("sink_%u", i);
  GstHarness *h = gst_harness_new_with_element (f->sfu, name, NULL);
  GstPad *pad = gst_element_get_static_pad (f->sfu, name);

  g_object_set (pad, "publisher-id", publisher, "track-id", track,
      "layer", layer, "width", width, "height", height, NULL);
  gst_object_unref (pad);
  g_free (name);
  gst_harness_set_src_caps_str (h, caps);
  f->pubs[i] = h;
  fixture_use_clock (f);
  return h;
}

static GstHarness *
add_sub (Fixture * f, guint i, const gchar * subscriber,
    const gchar * publisher, const gchar * track, guint max_w, guint max_h)
{
  gchar *name = g_strdup_printf ("src_%u", i);
  GstHarness *h = gst_harness_new_with_element (f->sfu, NULL, name);
  GstPad *pad = gst_element_get_static_pad (f->sfu, name);

  g_object_set (pad, "subscriber-id", subscriber, "max-width", max_w,
      "max-height", max_h, "ssrc", 0x5f0 + i, "publisher-id", publisher,
      "track-id", track, NULL);
  gst_object_unref (pad);
  g_free (name);
  f->subs[i] = h;
  fixture_use_clock (f);
  return h;
}

static void
fixture_clear (Fixture * f)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (f->subs); i++)
    if (f->subs[i])
      gst_harness_teardown (f->subs[i]);
  for (i = 0; i < G_N_ELEMENTS (f->pubs); i++)
    if (f->pubs[i])
      gst_harness_teardown (f->pubs[i]);
  gst_element_set_bus (f->sfu, NULL);
  gst_object_unref (f->bus);
  gst_object_unref (f->clock);
  gst_object_unref (f->sfu);
}

static GstFlowReturn
push_rtp (GstHarness * h, guint32 ssrc, guint16 seq, guint32 ts,
    const guint8 * payload, gsize plen)
{
  guint8 data[256];
  gsize len = sfu_test_build_rtp (data, ssrc, seq, ts, payload, plen, 0, 0);

  return gst_harness_push (h, gst_buffer_new_memdup (data, len));
}

static GstFlowReturn
push_audio (GstHarness * h, guint32 ssrc, guint n, gboolean voice,
    guint8 level)
{
  guint8 data[256];
  gsize len = sfu_test_build_rtp (data, ssrc, n & 0xffff, n * 960u, opus_frame,
      sizeof (opus_frame), 1, (voice ? 0x80 : 0) | level);

  return gst_harness_push (h, gst_buffer_new_memdup (data, len));
}

typedef struct
{
  guint32 ssrc;
  guint16 seq;
  guint32 ts;
  guint8 first_payload_byte;
} Out;

/* Pulls what the subscriber got so far. */
static guint
pull_all (GstHarness * h, Out * out, guint max)
{
  GstBuffer *buf;
  guint n = 0;

  while ((buf = gst_harness_try_pull (h))) {
    GstMapInfo map;

    fail_unless (n < max);
    fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
    fail_unless (map.size > 12);
    out[n].seq = (map.data[2] << 8) | map.data[3];
    out[n].ts = GST_READ_UINT32_BE (map.data + 4);
    out[n].ssrc = GST_READ_UINT32_BE (map.data + 8);
    out[n].first_payload_byte = map.data[12 + 4 * (map.data[0] & 0x0f)];
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
    n++;
  }
  return n;
}

/* Keyframe requests that reached a publisher, drained. */
static guint
count_keyframe_requests (GstHarness * h)
{
  GstEvent *ev;
  guint n = 0;

  while ((ev = gst_harness_try_pull_upstream_event (h))) {
    if (gst_video_event_is_force_key_unit (ev)) {
      gboolean all_headers = FALSE;

      fail_unless (gst_video_event_parse_upstream_force_key_unit (ev, NULL,
              &all_headers, NULL));
      fail_unless (all_headers);
      n++;
    }
    gst_event_unref (ev);
  }
  return n;
}

/* Element messages of @name, drained; the last one's structure returned
 * in @last (owned by the caller) when given. */
static guint
count_messages (Fixture * f, const gchar * name, GstStructure ** last)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (f->bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, name)) {
      n++;
      if (last) {
        if (*last)
          gst_structure_free (*last);
        *last = gst_structure_copy (s);
      }
    }
    gst_message_unref (msg);
  }
  return n;
}

static void
advance (Fixture * f, GstClockTime t)
{
  gst_test_clock_advance_time (f->clock, t);
}

static void
assert_continuous (const Out * out, guint n, guint32 ssrc)
{
  guint i;

  for (i = 0; i < n; i++) {
    fail_unless_equals_int (out[i].ssrc, ssrc);
    if (i > 0) {
      fail_unless_equals_int ((guint16) (out[i].seq - out[i - 1].seq), 1);
      fail_unless ((gint32) (out[i].ts - out[i - 1].ts) >= 0,
          "timestamp went back at %u", i);
    }
  }
}

/* Simulcast: low and high layer of alice's camera, one subscriber. */
static void
setup_simulcast (Fixture * f, guint max_w, guint max_h)
{
  fixture_init (f);
  add_pub (f, 0, VP8_CAPS, "alice", "cam", 0, 320, 180);
  add_pub (f, 1, VP8_CAPS, "alice", "cam", 1, 1280, 720);
  add_sub (f, 0, "bob", "alice", "cam", max_w, max_h);
}

GST_START_TEST (test_rewrite_across_layer_switch)
{
  Fixture f;
  Out out[32];
  guint n;
  GstPad *src;
  gint layer;
  GstStructure *last = NULL;

  setup_simulcast (&f, 320, 180);
  /* new subscriber on the low layer: keyframe asked for at once */
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 1);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[1]), 0);

  push_rtp (f.pubs[0], 0x1000, 100, 5000, vp8_key, sizeof (vp8_key));
  push_rtp (f.pubs[1], 0x2000, 40000, 777777, vp8_key, sizeof (vp8_key));
  advance (&f, 33 * GST_MSECOND);
  push_rtp (f.pubs[0], 0x1000, 101, 7970, vp8_delta, sizeof (vp8_delta));
  push_rtp (f.pubs[1], 0x2000, 40001, 780747, vp8_delta, sizeof (vp8_delta));
  fail_unless_equals_int (pull_all (f.subs[0], out, 32), 2);

  /* the tile grows: the high layer is asked for a keyframe, and until it
   * comes the low layer goes on */
  src = gst_element_get_static_pad (f.sfu, "src_0");
  g_object_set (src, "max-width", 1280, "max-height", 720, NULL);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[1]), 1);
  advance (&f, 33 * GST_MSECOND);
  push_rtp (f.pubs[1], 0x2000, 40002, 783717, vp8_delta, sizeof (vp8_delta));
  push_rtp (f.pubs[0], 0x1000, 102, 10940, vp8_delta, sizeof (vp8_delta));
  g_object_get (src, "current-layer", &layer, NULL);
  fail_unless_equals_int (layer, 0);

  advance (&f, 33 * GST_MSECOND);
  push_rtp (f.pubs[1], 0x2000, 40003, 786687, vp8_key, sizeof (vp8_key));
  push_rtp (f.pubs[0], 0x1000, 103, 13910, vp8_delta, sizeof (vp8_delta));
  advance (&f, 33 * GST_MSECOND);
  push_rtp (f.pubs[1], 0x2000, 40004, 789657, vp8_delta, sizeof (vp8_delta));
  g_object_get (src, "current-layer", &layer, NULL);
  fail_unless_equals_int (layer, 1);

  n = pull_all (f.subs[0], out + 2, 30) + 2;
  fail_unless_equals_int (n, 5);
  assert_continuous (out, n, 0x5f0);
  fail_unless_equals_int (out[0].seq, 100);
  /* the switch keyframe lands 33 ms after the last low-layer packet */
  fail_unless_equals_int (out[3].ts - out[2].ts, 2970);
  fail_unless_equals_int (out[4].ts - out[3].ts, 2970);
  fail_unless_equals_int (out[3].first_payload_byte, vp8_key[0]);

  fail_unless_equals_int (count_messages (&f, "sfurouter-layer-switched",
          &last), 2);
  fail_unless_equals_string (gst_structure_get_string (last, "subscriber"),
      "bob");
  gst_structure_free (last);
  gst_object_unref (src);
  fixture_clear (&f);
}

GST_END_TEST;

/* VP8 payload with a 15-bit picture id; @key sets the key frame bits. */
static gsize
vp8_with_picture_id (guint8 * p, guint16 pid, gboolean key)
{
  p[0] = 0x90;
  p[1] = 0x80;
  p[2] = 0x80 | (pid >> 8);
  p[3] = pid & 0xff;
  p[4] = key ? 0x00 : 0x01;
  p[5] = 0x42;
  return 6;
}

static guint16
out_picture_id (GstBuffer * buf)
{
  GstMapInfo map;
  guint16 pid;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless (map.size >= 16);
  pid = ((map.data[14] & 0x7f) << 8) | map.data[15];
  gst_buffer_unmap (buf, &map);
  gst_buffer_unref (buf);
  return pid;
}

GST_START_TEST (test_vp8_picture_id_across_switch)
{
  Fixture f;
  guint8 p[8];
  gsize n;
  GstPad *src;

  setup_simulcast (&f, 320, 180);
  n = vp8_with_picture_id (p, 10, TRUE);
  push_rtp (f.pubs[0], 0x1000, 1, 0, p, n);
  n = vp8_with_picture_id (p, 11, FALSE);
  push_rtp (f.pubs[0], 0x1000, 2, 3000, p, n);
  src = gst_element_get_static_pad (f.sfu, "src_0");
  g_object_set (src, "max-width", 0, "max-height", 0, NULL);
  gst_object_unref (src);
  n = vp8_with_picture_id (p, 32760, TRUE);
  push_rtp (f.pubs[1], 0x2000, 1, 0, p, n);
  n = vp8_with_picture_id (p, 32761, FALSE);
  push_rtp (f.pubs[1], 0x2000, 2, 3000, p, n);

  fail_unless_equals_int (out_picture_id (gst_harness_pull (f.subs[0])), 10);
  fail_unless_equals_int (out_picture_id (gst_harness_pull (f.subs[0])), 11);
  fail_unless_equals_int (out_picture_id (gst_harness_pull (f.subs[0])), 12);
  fail_unless_equals_int (out_picture_id (gst_harness_pull (f.subs[0])), 13);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_rewrite_across_publisher_restart)
{
  Fixture f;
  Out out[32];
  guint n;

  fixture_init (&f);
  add_pub (&f, 0, VP8_CAPS, "alice", "cam", 0, 0, 0);
  add_sub (&f, 0, "bob", "alice", "cam", 0, 0);
  count_keyframe_requests (f.pubs[0]);

  push_rtp (f.pubs[0], 0xaaaa, 1000, 90000, vp8_key, sizeof (vp8_key));
  advance (&f, 33 * GST_MSECOND);
  push_rtp (f.pubs[0], 0xaaaa, 1001, 92970, vp8_delta, sizeof (vp8_delta));

  /* the publisher reconnects: new SSRC, new bases; a delta first (lost
   * keyframe) is held back and a keyframe asked for */
  advance (&f, 400 * GST_MSECOND);
  push_rtp (f.pubs[0], 0xbbbb, 7, 3, vp8_delta, sizeof (vp8_delta));
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 1);
  advance (&f, 33 * GST_MSECOND);
  push_rtp (f.pubs[0], 0xbbbb, 8, 2973, vp8_key, sizeof (vp8_key));
  advance (&f, 33 * GST_MSECOND);
  push_rtp (f.pubs[0], 0xbbbb, 9, 5943, vp8_delta, sizeof (vp8_delta));

  n = pull_all (f.subs[0], out, 32);
  fail_unless_equals_int (n, 4);
  assert_continuous (out, n, 0x5f0);
  fail_unless_equals_int (out[2].ts - out[1].ts, 433 * 90);
  fail_unless_equals_int (out[3].ts - out[2].ts, 2970);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_switch_only_on_keyframe)
{
  Fixture f;
  Out out[64];
  guint i, n;
  GstPad *src;
  gint layer;

  setup_simulcast (&f, 320, 180);
  push_rtp (f.pubs[0], 0x1000, 1, 0, vp8_key, sizeof (vp8_key));
  src = gst_element_get_static_pad (f.sfu, "src_0");
  g_object_set (src, "max-width", 0, "max-height", 0, NULL);

  /* twenty frames of the high layer without a keyframe: never forwarded */
  for (i = 0; i < 20; i++) {
    advance (&f, 33 * GST_MSECOND);
    push_rtp (f.pubs[1], 0x2000, 10 + i, i * 2970, vp8_delta,
        sizeof (vp8_delta));
    push_rtp (f.pubs[1], 0x2000, 10 + i, i * 2970, vp8_cont, sizeof (vp8_cont));
    push_rtp (f.pubs[0], 0x1000, 2 + i, (i + 1) * 2970, vp8_delta,
        sizeof (vp8_delta));
  }
  g_object_get (src, "current-layer", &layer, NULL);
  fail_unless_equals_int (layer, 0);
  n = pull_all (f.subs[0], out, 64);
  fail_unless_equals_int (n, 21);
  for (i = 0; i < n; i++)
    fail_unless (out[i].first_payload_byte == vp8_key[0]);
  /* the request was repeated while the keyframe did not come, at most once
   * per 300 ms: 660 ms of waiting */
  n = count_keyframe_requests (f.pubs[1]);
  fail_unless (n >= 2 && n <= 3, "%u requests", n);

  push_rtp (f.pubs[1], 0x2000, 30, 60000, vp8_key, sizeof (vp8_key));
  push_rtp (f.pubs[0], 0x1000, 22, 63000, vp8_delta, sizeof (vp8_delta));
  g_object_get (src, "current-layer", &layer, NULL);
  fail_unless_equals_int (layer, 1);
  fail_unless_equals_int (pull_all (f.subs[0], out, 64), 1);
  gst_object_unref (src);
  fixture_clear (&f);
}

GST_END_TEST;

static GstBuffer *
rtcp_pli (void)
{
  static const guint8 pli[] = { 0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2 };

  return gst_buffer_new_memdup (pli, sizeof (pli));
}

GST_START_TEST (test_pli_coalescing)
{
  Fixture f;
  GstPad *src;
  GstBuffer *buf;
  gboolean ok;

  fixture_init (&f);
  add_pub (&f, 0, VP8_CAPS, "alice", "cam", 0, 0, 0);
  add_sub (&f, 0, "bob", "alice", "cam", 0, 0);
  add_sub (&f, 1, "carol", "alice", "cam", 0, 0);
  /* two subscribers arriving in the same instant: one request */
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 1);
  push_rtp (f.pubs[0], 0x1000, 1, 0, vp8_key, sizeof (vp8_key));

  /* a receiver's PLI arrives as GstForceKeyUnit on its src pad */
  advance (&f, GST_SECOND);
  gst_harness_push_upstream_event (f.subs[0],
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 1);

  /* a second one (the other subscriber, as RTCP) within 300 ms: folded */
  advance (&f, 100 * GST_MSECOND);
  src = gst_element_get_static_pad (f.sfu, "src_1");
  buf = rtcp_pli ();
  g_signal_emit_by_name (f.sfu, "push-rtcp", src, buf, &ok);
  gst_buffer_unref (buf);
  fail_unless (ok);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 0);

  /* after 300 ms: another */
  advance (&f, 201 * GST_MSECOND);
  buf = rtcp_pli ();
  g_signal_emit_by_name (f.sfu, "push-rtcp", src, buf, &ok);
  gst_buffer_unref (buf);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 1);

  /* a keyframe comes, then a request 100 ms later needs its own keyframe:
   * it leaves when the interval is over, with the next packet */
  advance (&f, 50 * GST_MSECOND);
  push_rtp (f.pubs[0], 0x1000, 2, 3000, vp8_key, sizeof (vp8_key));
  advance (&f, 50 * GST_MSECOND);
  gst_harness_push_upstream_event (f.subs[1],
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 0);
  advance (&f, 100 * GST_MSECOND);
  push_rtp (f.pubs[0], 0x1000, 3, 6000, vp8_delta, sizeof (vp8_delta));
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 0);
  advance (&f, 100 * GST_MSECOND);
  push_rtp (f.pubs[0], 0x1000, 4, 9000, vp8_delta, sizeof (vp8_delta));
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 1);

  gst_object_unref (src);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_pause_resume)
{
  Fixture f;
  GstStructure *last = NULL;
  Out out[8];
  GstPad *src;
  gboolean active;
  gint layer;

  fixture_init (&f);
  add_pub (&f, 0, VP8_CAPS, "alice", "cam", 0, 320, 180);
  add_pub (&f, 1, VP8_CAPS, "alice", "cam", 1, 1280, 720);
  fail_unless_equals_int (count_messages (&f, "sfurouter-layer-active",
          &last), 2);
  fail_unless (gst_structure_get_boolean (last, "active", &active));
  fail_if (active);
  gst_structure_free (last);
  last = NULL;

  /* somebody watching another track does not wake alice's layers */
  add_sub (&f, 0, "bob", "dave", "cam", 0, 0);
  push_rtp (f.pubs[0], 0x1000, 1, 0, vp8_key, sizeof (vp8_key));
  push_rtp (f.pubs[1], 0x2000, 1, 0, vp8_key, sizeof (vp8_key));
  fail_unless_equals_int (pull_all (f.subs[0], out, 8), 0);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 0);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[1]), 0);
  fail_unless_equals_int (count_messages (&f, "sfurouter-layer-active",
          NULL), 0);

  /* bob turns to alice with a small tile: the low layer resumes with a
   * keyframe request at once */
  src = gst_element_get_static_pad (f.sfu, "src_0");
  g_object_set (src, "max-width", 320, "max-height", 180,
      "publisher-id", "alice", NULL);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 1);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[1]), 0);
  fail_unless_equals_int (count_messages (&f, "sfurouter-layer-active",
          &last), 1);
  fail_unless_equals_string (gst_structure_get_string (last, "publisher"),
      "alice");
  fail_unless (gst_structure_get_int (last, "layer", &layer));
  fail_unless_equals_int (layer, 0);
  fail_unless (gst_structure_get_boolean (last, "active", &active));
  fail_unless (active);
  gst_structure_free (last);
  last = NULL;
  push_rtp (f.pubs[0], 0x1000, 2, 10, vp8_key, sizeof (vp8_key));
  push_rtp (f.pubs[1], 0x2000, 2, 10, vp8_key, sizeof (vp8_key));
  fail_unless_equals_int (pull_all (f.subs[0], out, 8), 1);

  /* bob looks away: the layer pauses again */
  g_object_set (src, "publisher-id", "dave", NULL);
  fail_unless_equals_int (count_messages (&f, "sfurouter-layer-active",
          &last), 1);
  fail_unless (gst_structure_get_boolean (last, "active", &active));
  fail_if (active);
  gst_structure_free (last);
  push_rtp (f.pubs[0], 0x1000, 3, 20, vp8_delta, sizeof (vp8_delta));
  fail_unless_equals_int (pull_all (f.subs[0], out, 8), 0);
  gst_object_unref (src);
  fixture_clear (&f);
}

GST_END_TEST;

/* A video codec sfurouter cannot read (here VP9) still reaches its
 * subscriber, after a keyframe request. */
GST_START_TEST (test_unknown_video_codec)
{
  Fixture f;
  Out out[8];

  fixture_init (&f);
  add_pub (&f, 0, "application/x-rtp,media=video,encoding-name=VP9,"
      "clock-rate=90000,payload=98", "alice", "cam", 0, 0, 0);
  add_sub (&f, 0, "bob", "alice", "cam", 0, 0);
  count_keyframe_requests (f.pubs[0]);
  advance (&f, GST_SECOND);
  push_rtp (f.pubs[0], 0x9000, 1, 0, vp8_cont, sizeof (vp8_cont));
  push_rtp (f.pubs[0], 0x9000, 2, 0, vp8_cont, sizeof (vp8_cont));
  fail_unless_equals_int (pull_all (f.subs[0], out, 8), 2);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_audio_always_forwarded)
{
  Fixture f;
  Out out[64];
  GstPad *src;
  guint i, n;

  fixture_init (&f);
  add_pub (&f, 0, OPUS_CAPS, "alice", "mic", 0, 0, 0);
  add_sub (&f, 0, "bob", "alice", "mic", 0, 0);
  add_sub (&f, 1, "carol", "alice", "mic", 0, 0);
  /* a starving subscriber still gets audio */
  src = gst_element_get_static_pad (f.sfu, "src_1");
  g_object_set (src, "estimate", (guint64) 1000, NULL);
  gst_object_unref (src);

  for (i = 0; i < 50; i++) {
    advance (&f, 20 * GST_MSECOND);
    push_audio (f.pubs[0], 0x3000, 65500 + i, FALSE, 127);
  }
  n = pull_all (f.subs[0], out, 64);
  fail_unless_equals_int (n, 50);
  assert_continuous (out, n, 0x5f0);
  n = pull_all (f.subs[1], out, 64);
  fail_unless_equals_int (n, 50);
  assert_continuous (out, n, 0x5f1);
  fail_unless_equals_int (count_keyframe_requests (f.pubs[0]), 0);
  fail_unless_equals_int (count_messages (&f, "sfurouter-layer-active",
          NULL), 0);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_active_speaker)
{
  Fixture f;
  GstStructure *last = NULL;
  guint i, level;

  fixture_init (&f);
  add_pub (&f, 0, OPUS_CAPS, "alice", "mic", 0, 0, 0);
  add_pub (&f, 1, OPUS_CAPS, "bob", "mic", 0, 0, 0);

  /* alice talks: one message, after the debounce */
  for (i = 0; i < 100; i++) {
    advance (&f, 20 * GST_MSECOND);
    push_audio (f.pubs[0], 0xa, i, TRUE, 25);
    push_audio (f.pubs[1], 0xb, i, FALSE, 127);
    if (i == 20)
      fail_unless_equals_int (count_messages (&f, "sfurouter-active-speaker",
              NULL), 0);
  }
  fail_unless_equals_int (count_messages (&f, "sfurouter-active-speaker",
          &last), 1);
  fail_unless_equals_string (gst_structure_get_string (last, "publisher"),
      "alice");
  fail_unless_equals_string (gst_structure_get_string (last, "track"), "mic");
  fail_unless (gst_structure_get_uint (last, "level", &level));
  fail_unless (level >= 25 && level <= 30, "level %u", level);
  gst_structure_free (last);
  last = NULL;

  /* bob answers */
  for (; i < 200; i++) {
    advance (&f, 20 * GST_MSECOND);
    push_audio (f.pubs[0], 0xa, i, FALSE, 127);
    push_audio (f.pubs[1], 0xb, i, TRUE, 30);
  }
  fail_unless_equals_int (count_messages (&f, "sfurouter-active-speaker",
          &last), 1);
  fail_unless_equals_string (gst_structure_get_string (last, "publisher"),
      "bob");
  gst_structure_free (last);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_bad_input_dropped)
{
  Fixture f;
  Out out[8];
  guint8 data[64];
  gsize len;
  guint64 malformed = 0;
  GstPad *src;
  GstBuffer *buf;
  gboolean ok = TRUE;
  static const guint8 garbage_rtcp[] = { 0x81, 206, 0xff, 0xff, 1, 2 };

  fixture_init (&f);
  add_pub (&f, 0, OPUS_CAPS, "alice", "mic", 0, 0, 0);
  add_sub (&f, 0, "bob", "alice", "mic", 0, 0);

  len = sfu_test_build_rtp (data, 0x3000, 1, 0, opus_frame,
      sizeof (opus_frame), 1, 0x80 | 10);
  /* truncated header */
  fail_unless_equals_int (gst_harness_push (f.pubs[0],
          gst_buffer_new_memdup (data, 7)), GST_FLOW_OK);
  /* extension block claiming 64 words */
  data[15] = 64;
  gst_harness_push (f.pubs[0], gst_buffer_new_memdup (data, len));
  data[15] = 1;
  /* CSRC count running past the end */
  data[0] |= 0x0f;
  gst_harness_push (f.pubs[0], gst_buffer_new_memdup (data, len));
  data[0] &= 0xf0;
  /* empty buffer */
  gst_harness_push (f.pubs[0], gst_buffer_new ());
  /* a bogus audio-level element length: forwarded, no level read */
  data[16] = (1 << 4) | 0x0f;
  gst_harness_push (f.pubs[0], gst_buffer_new_memdup (data, len));
  data[16] = 1 << 4;

  g_object_get (f.sfu, "malformed-packets", &malformed, NULL);
  fail_unless_equals_uint64 (malformed, 4);
  fail_unless_equals_int (pull_all (f.subs[0], out, 8), 1);

  src = gst_element_get_static_pad (f.sfu, "src_0");
  buf = gst_buffer_new_memdup (garbage_rtcp, sizeof (garbage_rtcp));
  g_signal_emit_by_name (f.sfu, "push-rtcp", src, buf, &ok);
  gst_buffer_unref (buf);
  fail_if (ok);
  g_object_get (f.sfu, "malformed-packets", &malformed, NULL);
  fail_unless_equals_uint64 (malformed, 5);
  gst_object_unref (src);

  /* and a good packet still goes through */
  data[3] = 2;
  gst_harness_push (f.pubs[0], gst_buffer_new_memdup (data, len));
  fail_unless_equals_int (pull_all (f.subs[0], out, 8), 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_remb_picks_layer)
{
  Fixture f;
  GstPad *pad;
  GstBuffer *buf;
  gboolean ok;
  guint i;
  gint layer;
  /* REMB 200 kbit/s: exp 0, mantissa 200000 (0x30D40) */
  static const guint8 remb[] = { 0x8f, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0,
    'R', 'E', 'M', 'B', 1, 0x03, 0x0D, 0x40, 0, 0, 0, 2
  };

  setup_simulcast (&f, 0, 0);
  pad = gst_element_get_static_pad (f.sfu, "sink_0");
  g_object_set (pad, "bitrate", (guint64) 150000, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (f.sfu, "sink_1");
  g_object_set (pad, "bitrate", (guint64) 1500000, NULL);
  gst_object_unref (pad);

  pad = gst_element_get_static_pad (f.sfu, "src_0");
  buf = gst_buffer_new_memdup (remb, sizeof (remb));
  g_signal_emit_by_name (f.sfu, "push-rtcp", pad, buf, &ok);
  gst_buffer_unref (buf);
  fail_unless (ok);
  for (i = 0; i < 3; i++) {
    advance (&f, 33 * GST_MSECOND);
    push_rtp (f.pubs[1], 0x2000, i, i * 2970, vp8_key, sizeof (vp8_key));
    push_rtp (f.pubs[0], 0x1000, i, i * 2970, vp8_key, sizeof (vp8_key));
  }
  g_object_get (pad, "current-layer", &layer, NULL);
  fail_unless_equals_int (layer, 0);
  gst_object_unref (pad);
  fixture_clear (&f);
}

GST_END_TEST;

/* A subscriber whose pad is not linked does not stop the others. */
GST_START_TEST (test_unlinked_subscriber)
{
  Fixture f;
  Out out[8];
  GstPad *lonely;

  fixture_init (&f);
  add_pub (&f, 0, OPUS_CAPS, "alice", "mic", 0, 0, 0);
  lonely = gst_element_request_pad_simple (f.sfu, "src_%u");
  g_object_set (lonely, "publisher-id", "alice", "track-id", "mic", NULL);
  add_sub (&f, 1, "bob", "alice", "mic", 0, 0);

  fail_unless_equals_int (push_audio (f.pubs[0], 0x3000, 1, FALSE, 127),
      GST_FLOW_OK);
  fail_unless_equals_int (pull_all (f.subs[1], out, 8), 1);
  gst_element_release_request_pad (f.sfu, lonely);
  gst_object_unref (lonely);
  fail_unless_equals_int (push_audio (f.pubs[0], 0x3000, 2, FALSE, 127),
      GST_FLOW_OK);
  fail_unless_equals_int (pull_all (f.subs[1], out, 8), 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_states)
{
  GstElement *sfu = gst_element_factory_make ("sfurouter", NULL);
  GstStateChangeReturn ret;
  GstPad *pads[4];
  guint i, cycle;
  const GstState order[] = { GST_STATE_READY, GST_STATE_PAUSED,
    GST_STATE_PLAYING, GST_STATE_PAUSED, GST_STATE_READY, GST_STATE_NULL
  };

  pads[0] = gst_element_request_pad_simple (sfu, "sink_%u");
  pads[1] = gst_element_request_pad_simple (sfu, "sink_%u");
  pads[2] = gst_element_request_pad_simple (sfu, "src_%u");
  pads[3] = gst_element_request_pad_simple (sfu, "src_%u");
  for (cycle = 0; cycle < 3; cycle++) {
    for (i = 0; i < G_N_ELEMENTS (order); i++) {
      ret = gst_element_set_state (sfu, order[i]);
      fail_unless (ret == GST_STATE_CHANGE_SUCCESS, "to %s",
          gst_element_state_get_name (order[i]));
    }
  }
  gst_element_set_state (sfu, GST_STATE_PLAYING);
  gst_element_set_state (sfu, GST_STATE_NULL);
  for (i = 0; i < 4; i++) {
    gst_element_release_request_pad (sfu, pads[i]);
    gst_object_unref (pads[i]);
  }
  fail_unless_equals_int (sfu->numpads, 0);
  gst_object_unref (sfu);
}

GST_END_TEST;

/* The documented gst-launch line works. */
GST_START_TEST (test_doc_pipeline)
{
  GstElement *pipeline, *sink;
  GError *err = NULL;
  GstMessage *msg;
  GstBus *bus;
  guint64 forwarded = 0;
  GstPad *src;
  GstElement *sfu;

  if (!gst_registry_check_feature_version (gst_registry_get (), "vp8enc", 1, 0,
          0)) {
    GST_INFO ("no vp8enc: skipped");
    return;
  }
  pipeline = gst_parse_launch ("sfurouter name=r "
      "videotestsrc num-buffers=100 ! vp8enc deadline=1 ! rtpvp8pay ! r.sink_0 "
      "r.src_0 ! rtpvp8depay ! vp8dec ! fakesink name=out", &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  gst_object_unref (sink);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  sfu = gst_bin_get_by_name (GST_BIN (pipeline), "r");
  src = gst_element_get_static_pad (sfu, "src_0");
  g_object_get (src, "forwarded", &forwarded, NULL);
  fail_unless (forwarded >= 100);
  gst_object_unref (src);
  gst_object_unref (sfu);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
sfurouter_suite (void)
{
  Suite *s = suite_create ("sfurouter");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rewrite_across_layer_switch);
  tcase_add_test (tc, test_rewrite_across_publisher_restart);
  tcase_add_test (tc, test_vp8_picture_id_across_switch);
  tcase_add_test (tc, test_switch_only_on_keyframe);
  tcase_add_test (tc, test_pli_coalescing);
  tcase_add_test (tc, test_pause_resume);
  tcase_add_test (tc, test_unknown_video_codec);
  tcase_add_test (tc, test_audio_always_forwarded);
  tcase_add_test (tc, test_active_speaker);
  tcase_add_test (tc, test_bad_input_dropped);
  tcase_add_test (tc, test_remb_picks_layer);
  tcase_add_test (tc, test_unlinked_subscriber);
  tcase_add_test (tc, test_states);
  tcase_add_test (tc, test_doc_pipeline);
  return s;
}

GST_CHECK_MAIN (sfurouter);
