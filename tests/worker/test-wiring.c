/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The worker's bridge <-> router wiring against the real sfurouter and a
 * fake bridge that implements the contract of docs/architecture.md. */

#include <gst/gst.h>
#include <string.h>

#include "fakebridge.h"
#include "wiring.h"
#include "sfu-test-util.h"

#define VP8_CAPS "application/x-rtp,media=video,encoding-name=VP8," \
    "clock-rate=90000,payload=96"
#define OPUS_CAPS "application/x-rtp,media=audio,encoding-name=OPUS," \
    "clock-rate=48000,payload=111"

typedef struct
{
  GstElement *pipeline;
  FakeBridge *bridge;
  GstElement *router;
  CnvWorkerWiring *wiring;
  guint16 seq;
} Fixture;

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->pipeline = gst_pipeline_new (NULL);
  f->bridge = g_object_new (FAKE_TYPE_BRIDGE, "name", "bridge", NULL);
  f->router = gst_element_factory_make ("sfurouter", "router");
  g_assert_nonnull (f->router);
  gst_bin_add_many (GST_BIN (f->pipeline), GST_ELEMENT (f->bridge), f->router,
      NULL);
  f->wiring = cnv_worker_wiring_new (GST_ELEMENT (f->bridge), f->router,
      &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->wiring);
  g_assert_cmpint (gst_element_set_state (f->pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  cnv_worker_wiring_detach (f->wiring);
  gst_element_set_state (f->pipeline, GST_STATE_NULL);
  g_clear_object (&f->wiring);
  gst_object_unref (f->pipeline);
}

static void
join (Fixture * f, const gchar * id)
{
  g_signal_emit_by_name (f->bridge, "participant-joined", id, "user");
}

static GstFlowReturn
push_vp8 (Fixture * f, GstPad * pub, gboolean key)
{
  guint8 data[64];
  gsize len;
  guint16 seq = f->seq++;

  len = sfu_test_build_rtp (data, 0x1234, seq, seq * 3000u,
      key ? vp8_key : vp8_delta, key ? sizeof (vp8_key) : sizeof (vp8_delta),
      0, 0);
  return gst_pad_push (pub, gst_buffer_new_memdup (data, len));
}

static guint
received (Fixture * f, const gchar * sub, const gchar * pub,
    const gchar * track)
{
  GstPad *pad = fake_bridge_find_sub (f->bridge, sub, pub, track);

  g_assert_nonnull (pad);
  return fake_bridge_pad_get_received (FAKE_BRIDGE_PAD (pad));
}

/* The router src pad that feeds (subscriber, publisher, track), checked
 * to be linked to the bridge's sub pad for it; transfer none. */
static GstPad *
router_src_for (Fixture * f, const gchar * sub, const gchar * pub,
    const gchar * track)
{
  GstPad *sub_pad = fake_bridge_find_sub (f->bridge, sub, pub, track);
  GstPad *peer;

  g_assert_nonnull (sub_pad);
  peer = gst_pad_get_peer (sub_pad);
  g_assert_nonnull (peer);
  g_assert_true (GST_OBJECT_PARENT (peer) == GST_OBJECT (f->router));
  gst_object_unref (peer);
  return peer;
}

static gchar *
pad_string (GstPad * pad, const gchar * prop)
{
  gchar *s = NULL;

  g_object_get (pad, prop, &s, NULL);
  return s;
}

static void
test_publish_subscribe_forward (Fixture * f, gconstpointer data)
{
  GstPad *pub, *sink, *src;
  g_autofree gchar *pid = NULL, *tid = NULL, *sid = NULL;
  gint layer = -1;
  guint i;

  join (f, "alice");
  join (f, "bob");
  join (f, "carol");
  pub = fake_bridge_publish (f->bridge, "alice", "cam", "video", 0, VP8_CAPS);

  /* One router sink pad, described as the pub pad is, linked to it. */
  g_assert_cmpint (f->router->numsinkpads, ==, 1);
  sink = gst_pad_get_peer (pub);
  g_assert_nonnull (sink);
  g_assert_true (GST_OBJECT_PARENT (sink) == GST_OBJECT (f->router));
  g_object_get (sink, "publisher-id", &pid, "track-id", &tid, "layer", &layer,
      NULL);
  g_assert_cmpstr (pid, ==, "alice");
  g_assert_cmpstr (tid, ==, "cam");
  g_assert_cmpint (layer, ==, 0);
  gst_object_unref (sink);

  /* Two subscribers, not the publisher herself. */
  g_assert_cmpuint (cnv_worker_wiring_count_subscriptions (f->wiring), ==, 2);
  g_assert_cmpuint (fake_bridge_count_sub_pads (f->bridge), ==, 2);
  g_assert_cmpint (f->router->numsrcpads, ==, 2);
  g_assert_null (fake_bridge_find_sub (f->bridge, "alice", "alice", "cam"));
  src = router_src_for (f, "bob", "alice", "cam");
  sid = pad_string (src, "subscriber-id");
  g_assert_cmpstr (sid, ==, "bob");
  g_clear_pointer (&pid, g_free);
  pid = pad_string (src, "publisher-id");
  g_assert_cmpstr (pid, ==, "alice");
  router_src_for (f, "carol", "alice", "cam");

  /* Forwarding starts at a keyframe and reaches both. */
  g_assert_cmpint (push_vp8 (f, pub, FALSE), ==, GST_FLOW_OK);
  g_assert_cmpuint (received (f, "bob", "alice", "cam"), ==, 0);
  for (i = 0; i < 3; i++)
    g_assert_cmpint (push_vp8 (f, pub, i == 0), ==, GST_FLOW_OK);
  g_assert_cmpuint (received (f, "bob", "alice", "cam"), ==, 3);
  g_assert_cmpuint (received (f, "carol", "alice", "cam"), ==, 3);

  /* A late joiner gets its own subscription and media from the next
   * keyframe on. */
  join (f, "dave");
  g_assert_cmpuint (cnv_worker_wiring_count_subscriptions (f->wiring), ==, 3);
  push_vp8 (f, pub, FALSE);
  g_assert_cmpuint (received (f, "dave", "alice", "cam"), ==, 0);
  push_vp8 (f, pub, TRUE);
  g_assert_cmpuint (received (f, "dave", "alice", "cam"), ==, 1);
  g_assert_cmpuint (received (f, "bob", "alice", "cam"), ==, 5);
}

static void
test_simulcast_layers_share_subscription (Fixture * f, gconstpointer data)
{
  GstPad *high, *sink;
  gint layer = -1;

  join (f, "alice");
  join (f, "bob");
  fake_bridge_publish (f->bridge, "alice", "cam", "video", 0, VP8_CAPS);
  high = fake_bridge_publish (f->bridge, "alice", "cam", "video", 2, VP8_CAPS);
  g_assert_cmpint (f->router->numsinkpads, ==, 2);
  sink = gst_pad_get_peer (high);
  g_object_get (sink, "layer", &layer, NULL);
  g_assert_cmpint (layer, ==, 2);
  gst_object_unref (sink);
  /* The router picks the layer: one subscription per track. */
  g_assert_cmpuint (cnv_worker_wiring_count_subscriptions (f->wiring), ==, 1);
  g_assert_cmpint (f->router->numsrcpads, ==, 1);

  /* Audio is its own track. */
  fake_bridge_publish (f->bridge, "alice", "mic", "audio", 0, OPUS_CAPS);
  g_assert_cmpuint (cnv_worker_wiring_count_subscriptions (f->wiring), ==, 2);
  g_assert_nonnull (fake_bridge_find_sub (f->bridge, "bob", "alice", "mic"));
}

static void
test_view_and_estimate (Fixture * f, gconstpointer data)
{
  GstPad *src;
  guint w = 0, h = 0;
  guint64 estimate = 0;

  join (f, "alice");
  join (f, "bob");
  /* A view that comes before the track is kept for it. */
  g_signal_emit_by_name (f->bridge, "view", "carol", "alice", "cam", 640, 360);
  fake_bridge_publish (f->bridge, "alice", "cam", "video", 0, VP8_CAPS);

  g_signal_emit_by_name (f->bridge, "view", "bob", "alice", "cam", 320, 180);
  src = router_src_for (f, "bob", "alice", "cam");
  g_object_get (src, "max-width", &w, "max-height", &h, NULL);
  g_assert_cmpuint (w, ==, 320);
  g_assert_cmpuint (h, ==, 180);

  g_signal_emit_by_name (f->bridge, "subscriber-estimate", "bob", 500000u);
  g_object_get (src, "estimate", &estimate, NULL);
  g_assert_cmpuint (estimate, ==, 500000);

  join (f, "carol");
  src = router_src_for (f, "carol", "alice", "cam");
  g_object_get (src, "max-width", &w, "max-height", &h, NULL);
  g_assert_cmpuint (w, ==, 640);
  g_assert_cmpuint (h, ==, 360);
}

static void
test_leave_releases (Fixture * f, gconstpointer data)
{
  GstPad *pub;

  join (f, "alice");
  join (f, "bob");
  join (f, "carol");
  pub = fake_bridge_publish (f->bridge, "alice", "cam", "video", 0, VP8_CAPS);
  fake_bridge_publish (f->bridge, "bob", "cam", "video", 0, VP8_CAPS);
  /* alice->bob, alice->carol, bob->alice, bob->carol */
  g_assert_cmpuint (cnv_worker_wiring_count_subscriptions (f->wiring), ==, 4);
  g_assert_cmpint (f->router->numsrcpads, ==, 4);

  g_signal_emit_by_name (f->bridge, "participant-left", "carol");
  g_assert_cmpuint (cnv_worker_wiring_count_subscriptions (f->wiring), ==, 2);
  g_assert_cmpint (f->router->numsrcpads, ==, 2);
  g_assert_cmpuint (fake_bridge_get_released (f->bridge), ==, 2);
  g_assert_null (fake_bridge_find_sub (f->bridge, "carol", "alice", "cam"));

  /* Media still reaches bob. */
  push_vp8 (f, pub, TRUE);
  g_assert_cmpuint (received (f, "bob", "alice", "cam"), ==, 1);

  /* The publisher leaves: her router sink pad and both directions of her
   * subscriptions go. */
  fake_bridge_leave (f->bridge, "alice", TRUE);
  g_assert_cmpuint (cnv_worker_wiring_count_subscriptions (f->wiring), ==, 0);
  g_assert_cmpint (f->router->numsrcpads, ==, 0);
  g_assert_cmpint (f->router->numsinkpads, ==, 1);
  g_assert_cmpuint (fake_bridge_count_sub_pads (f->bridge), ==, 0);

  fake_bridge_leave (f->bridge, "bob", FALSE);
  g_assert_cmpint (f->router->numsinkpads, ==, 0);
}

static void
test_leave_rejoin_no_leak (Fixture * f, gconstpointer data)
{
  GstPad *pub;
  guint i;

  join (f, "alice");
  pub = fake_bridge_publish (f->bridge, "alice", "cam", "video", 0, VP8_CAPS);
  for (i = 0; i < 20; i++) {
    join (f, "bob");
    g_assert_cmpint (f->router->numsrcpads, ==, 1);
    push_vp8 (f, pub, TRUE);
    g_assert_cmpuint (received (f, "bob", "alice", "cam"), ==, 1);
    fake_bridge_leave (f->bridge, "bob", i % 2 == 0);
    g_assert_cmpint (f->router->numsrcpads, ==, 0);
    g_assert_cmpuint (fake_bridge_count_sub_pads (f->bridge), ==, 0);
  }
  g_assert_cmpuint (fake_bridge_get_released (f->bridge), ==, 20);
}

static void
test_active_speaker (Fixture * f, gconstpointer data)
{
  g_autoptr (GstMessage) msg = NULL;
  g_autoptr (GstMessage) other = NULL;
  g_autofree gchar *speaker = NULL;

  msg = gst_message_new_element (GST_OBJECT (f->router),
      gst_structure_new ("sfurouter-active-speaker", "publisher",
          G_TYPE_STRING, "alice", "track", G_TYPE_STRING, "mic", "level",
          G_TYPE_UINT, 20u, NULL));
  g_assert_true (cnv_worker_wiring_handle_message (f->wiring, msg));
  speaker = fake_bridge_dup_active_speaker (f->bridge);
  g_assert_cmpstr (speaker, ==, "alice");

  other = gst_message_new_element (GST_OBJECT (f->router),
      gst_structure_new ("sfurouter-layer-active", "publisher", G_TYPE_STRING,
          "alice", NULL));
  g_assert_false (cnv_worker_wiring_handle_message (f->wiring, other));
}

static void
test_contract_missing (void)
{
  g_autoptr (GstElement) identity = gst_element_factory_make ("identity",
      NULL);
  g_autoptr (GstElement) router = gst_element_factory_make ("sfurouter", NULL);
  g_autoptr (GError) error = NULL;
  CnvWorkerWiring *wiring;

  wiring = cnv_worker_wiring_new (identity, router, &error);
  g_assert_null (wiring);
  g_assert_error (error, CNV_WORKER_WIRING_ERROR,
      CNV_WORKER_WIRING_ERROR_CONTRACT);
  g_assert_nonnull (strstr (error->message, "participant-joined"));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, \
    fixture_teardown)
  ADD ("/worker/wiring/publish-subscribe-forward",
      test_publish_subscribe_forward);
  ADD ("/worker/wiring/simulcast-layers", test_simulcast_layers_share_subscription);
  ADD ("/worker/wiring/view-and-estimate", test_view_and_estimate);
  ADD ("/worker/wiring/leave-releases", test_leave_releases);
  ADD ("/worker/wiring/leave-rejoin-20", test_leave_rejoin_no_leak);
  ADD ("/worker/wiring/active-speaker", test_active_speaker);
#undef ADD
  g_test_add_func ("/worker/wiring/contract-missing", test_contract_missing);
  return g_test_run ();
}
