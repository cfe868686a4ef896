/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* signalbridge without a signalling server: creation, properties, request
 * pads, state cycling, the error paths of a bad or unreachable server, and
 * the element-free congestion controller and ICE server URL maths. */

#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/webrtc/webrtc.h>

#include "congestion.h"
#include "iceservers.h"
#include "sdpmunge.h"
#include "gstsignaller.h"
#include "signalbridge-test-signaller.h"

/* Waits up to @timeout for an ERROR on @bus; returns it or NULL. */
static GstMessage *
wait_for_error (GstBus * bus, GstClockTime timeout)
{
  return gst_bus_timed_pop_filtered (bus, timeout, GST_MESSAGE_ERROR);
}

GST_START_TEST (test_create_and_properties)
{
  GstElement *e = gst_element_factory_make ("signalbridge", NULL);
  gchar *s = NULL;
  gboolean b;
  guint u;
  gint policy;
  GObject *signaller = NULL;

  fail_unless (e != NULL);

  g_object_set (e, "uri", "ws://127.0.0.1:1/ws", "token", "abc",
      "call", "bob", "answer", TRUE, "allow-loopback", TRUE,
      "stun-server", "stun://127.0.0.1:3478",
      "turn-server", "turn://u:p@127.0.0.1:3478", "decode", FALSE,
      "video-bitrate", 500000, NULL);
  gst_util_set_object_arg (G_OBJECT (e), "ice-transport-policy", "relay");
  gst_util_set_object_arg (G_OBJECT (e), "video-codec", "h264");
  gst_util_set_object_arg (G_OBJECT (e), "congestion-control", "none");

  g_object_get (e, "uri", &s, NULL);
  fail_unless_equals_string (s, "ws://127.0.0.1:1/ws");
  g_free (s);
  g_object_get (e, "token", &s, NULL);
  fail_unless_equals_string (s, "abc");
  g_free (s);
  g_object_get (e, "call", &s, NULL);
  fail_unless_equals_string (s, "bob");
  g_free (s);
  g_object_get (e, "stun-server", &s, NULL);
  fail_unless_equals_string (s, "stun://127.0.0.1:3478");
  g_free (s);
  g_object_get (e, "answer", &b, NULL);
  fail_unless (b);
  g_object_get (e, "allow-loopback", &b, NULL);
  fail_unless (b);
  g_object_get (e, "decode", &b, NULL);
  fail_unless (!b);
  g_object_get (e, "video-bitrate", &u, NULL);
  fail_unless_equals_int (u, 500000);
  g_object_get (e, "ice-transport-policy", &policy, NULL);
  fail_unless_equals_int (policy, GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY);
  g_object_get (e, "signaller", &signaller, NULL);
  fail_unless (signaller != NULL);
  g_object_unref (signaller);

  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_request_release_pads)
{
  GstElement *e = gst_element_factory_make ("signalbridge", NULL);
  GstPad *v0, *v1, *a0;

  v0 = gst_element_request_pad_simple (e, "video_sink_%u");
  v1 = gst_element_request_pad_simple (e, "video_sink_%u");
  a0 = gst_element_request_pad_simple (e, "audio_sink_%u");
  fail_unless (v0 && v1 && a0);
  fail_unless_equals_string (GST_PAD_NAME (v0), "video_sink_0");
  fail_unless_equals_string (GST_PAD_NAME (v1), "video_sink_1");
  fail_unless_equals_string (GST_PAD_NAME (a0), "audio_sink_0");
  fail_unless (gst_element_request_pad_simple (e, "video_src_%u") == NULL);

  gst_element_release_request_pad (e, v1);
  gst_object_unref (v1);
  fail_unless (gst_element_get_static_pad (e, "video_sink_1") == NULL);

  gst_element_release_request_pad (e, v0);
  gst_object_unref (v0);
  gst_element_release_request_pad (e, a0);
  gst_object_unref (a0);
  gst_object_unref (e);
}

GST_END_TEST;

/* gst-launch's "src ! s." must pick the request template by caps. */
GST_START_TEST (test_link_by_caps)
{
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch ("signalbridge name=s "
      "videotestsrc ! s. audiotestsrc ! s.", &err);
  GstElement *s;
  GstPad *pad;

  fail_unless (pipe != NULL, "%s", err ? err->message : "");
  s = gst_bin_get_by_name (GST_BIN (pipe), "s");
  pad = gst_element_get_static_pad (s, "video_sink_0");
  fail_unless (pad != NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (s, "audio_sink_0");
  fail_unless (pad != NULL);
  gst_object_unref (pad);
  gst_object_unref (s);
  gst_object_unref (pipe);
}

GST_END_TEST;

/* Raw video pushed before any call is queued and encoded, not refused. */
GST_START_TEST (test_harness_push)
{
  GstHarness *h = gst_harness_new_with_padnames ("signalbridge",
      "video_sink_%u", NULL);
  GstBuffer *buf;
  gint i;

  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1");
  for (i = 0; i < 5; i++) {
    buf = gst_harness_create_buffer (h, 64 * 48 * 3 / 2);
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

static const GstState cycle[] = {
  GST_STATE_READY, GST_STATE_PAUSED, GST_STATE_PLAYING, GST_STATE_PAUSED,
  GST_STATE_READY, GST_STATE_NULL, GST_STATE_PLAYING, GST_STATE_NULL,
};

/* No server at all: every state must be reachable without crash or hang. */
GST_START_TEST (test_states)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *e = gst_element_factory_make ("signalbridge", NULL);
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  guint i;

  g_object_set (src, "is-live", TRUE, NULL);
  g_object_set (e, "uri", "ws://127.0.0.1:1/ws", "allow-loopback", TRUE,
      NULL);
  gst_bin_add_many (GST_BIN (pipe), src, e, NULL);
  fail_unless (gst_element_link (src, e));

  for (i = 0; i < G_N_ELEMENTS (cycle); i++) {
    GstStateChangeReturn ret = gst_element_set_state (pipe, cycle[i]);
    GstState state;

    fail_if (ret == GST_STATE_CHANGE_FAILURE);
    ret = gst_element_get_state (pipe, &state, NULL, 10 * GST_SECOND);
    fail_if (ret == GST_STATE_CHANGE_FAILURE);
    fail_if (ret == GST_STATE_CHANGE_ASYNC, "stuck going to %s",
        gst_element_state_get_name (cycle[i]));
  }
  gst_object_unref (pipe);
}

GST_END_TEST;

/* UPnP would send SSDP multicast from every call: it must be off on the
 * agent once the element is started. */
GST_START_TEST (test_upnp_off)
{
  GstElement *e = gst_element_factory_make ("signalbridge", NULL);
  GstElement *webrtc;
  GObject *ice = NULL, *agent = NULL;
  gboolean upnp = TRUE;

  g_object_set (e, "uri", "ws://127.0.0.1:1/ws", "allow-loopback", TRUE,
      NULL);
  gst_element_set_state (e, GST_STATE_PAUSED);
  webrtc = gst_bin_get_by_name (GST_BIN (e), "webrtcbin");
  fail_unless (webrtc != NULL);
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  fail_unless (ice != NULL);
  g_object_get (ice, "agent", &agent, NULL);
  fail_unless (agent != NULL);
  g_object_get (agent, "upnp", &upnp, NULL);
  fail_if (upnp);

  g_object_unref (agent);
  gst_object_unref (ice);
  gst_object_unref (webrtc);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
}

GST_END_TEST;

static void
check_error_for_uri (const gchar * uri, GQuark domain, gint code)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *e = gst_element_factory_make ("signalbridge", NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;
  GError *err = NULL;

  if (uri)
    g_object_set (e, "uri", uri, "token", "t", NULL);
  gst_bin_add (GST_BIN (pipe), e);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  msg = wait_for_error (bus, 10 * GST_SECOND);
  fail_unless (msg != NULL, "no error for %s", GST_STR_NULL (uri));
  fail_unless (GST_MESSAGE_SRC (msg) == GST_OBJECT (e));
  gst_message_parse_error (msg, &err, NULL);
  GST_INFO ("error for %s: %s", GST_STR_NULL (uri), err->message);
  fail_unless (err->domain == domain && err->code == code,
      "unexpected error %s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
}

GST_START_TEST (test_bad_uri)
{
  check_error_for_uri ("not a uri", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND);
  check_error_for_uri ("http://127.0.0.1/ws", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND);
  check_error_for_uri (NULL, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
}

GST_END_TEST;

GST_START_TEST (test_unreachable_server)
{
  /* Port 1 on loopback: nothing listens, the connection is refused. */
  check_error_for_uri ("ws://127.0.0.1:1/ws", GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ_WRITE);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* A signaller of our own behind the "signaller" property */

static GstMessage *
pop_call_state (GstBus * bus, const gchar * state)
{
  GstMessage *msg;

  while ((msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND,
              GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, "signalbridge-call-state")
        && g_strcmp0 (gst_structure_get_string (s, "state"), state) == 0)
      return msg;
    gst_message_unref (msg);
  }
  return NULL;
}

/* The element drives any GstConveneSignaller: it calls, answers, posts call
 * states and turns fatal signalling errors into element errors. */
GST_START_TEST (test_custom_signaller)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *e = gst_element_factory_make ("signalbridge", NULL);
  TestSignaller *ts = g_object_new (TEST_TYPE_SIGNALLER, NULL);
  GstBus *bus = gst_element_get_bus (pipe);
  GstMessage *msg;
  const GstStructure *s;
  GError *err = NULL;

  g_object_set (e, "signaller", ts, "call", "bob", "answer", TRUE, NULL);
  gst_bin_add (GST_BIN (pipe), e);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  fail_unless (ts->started);

  /* Signed in: the element places its call. */
  g_signal_emit_by_name (ts, "state-changed", "connected", NULL, "alice",
      NULL);
  msg = pop_call_state (bus, "connected");
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  fail_unless_equals_string (ts->requested, "bob");

  /* An incoming call is accepted (answer=true). */
  g_signal_emit_by_name (ts, "incoming-session", "c-1", "carol");
  fail_unless_equals_string (ts->accepted, "c-1");

  /* The call ends: a call-state message with the reason. */
  g_signal_emit_by_name (ts, "state-changed", "ended", "c-1", "carol",
      "hangup");
  msg = pop_call_state (bus, "ended");
  fail_unless (msg != NULL);
  s = gst_message_get_structure (msg);
  fail_unless_equals_string (gst_structure_get_string (s, "call-id"), "c-1");
  fail_unless_equals_string (gst_structure_get_string (s, "peer"), "carol");
  fail_unless_equals_string (gst_structure_get_string (s, "reason"), "hangup");
  gst_message_unref (msg);

  /* A non-fatal error is a message, a fatal one an element error. */
  g_signal_emit_by_name (ts, "error", "busy", "bob is busy", FALSE);
  g_signal_emit_by_name (ts, "error", "auth-failed", "bad token", TRUE);
  msg = wait_for_error (bus, 5 * GST_SECOND);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  fail_unless (strstr (err->message, "bad token") != NULL);
  g_error_free (err);
  gst_message_unref (msg);

  gst_element_set_state (pipe, GST_STATE_NULL);
  fail_unless (!ts->started);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_object_unref (ts);
}

GST_END_TEST;

/* Without answer=true the application answers with the "accept" action, and
 * "hangup" cancels a call that is still ringing. */
GST_START_TEST (test_accept_and_cancel_actions)
{
  GstElement *pipe = gst_pipeline_new (NULL);
  GstElement *e = gst_element_factory_make ("signalbridge", NULL);
  TestSignaller *ts = g_object_new (TEST_TYPE_SIGNALLER, NULL);

  g_object_set (e, "signaller", ts, NULL);
  gst_bin_add (GST_BIN (pipe), e);
  gst_element_set_state (pipe, GST_STATE_PLAYING);

  g_signal_emit_by_name (ts, "state-changed", "incoming", "c-2", "carol",
      NULL);
  g_signal_emit_by_name (ts, "incoming-session", "c-2", "carol");
  fail_unless (ts->accepted == NULL);
  g_signal_emit_by_name (e, "accept");
  fail_unless_equals_string (ts->accepted, "c-2");

  g_signal_emit_by_name (ts, "state-changed", "calling", "c-3", "dave", NULL);
  g_signal_emit_by_name (e, "hangup");
  fail_unless_equals_string (ts->ended, "c-3");

  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  g_object_unref (ts);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* Congestion controller maths */

typedef struct
{
  ConveneCongestionControl mode;
  guint min, max, start;
  gdouble loss, rtt;
  guint expected;
} CcCase;

static const CcCase cc_cases[] = {
  /* fixed: reports change nothing */
  {CONVENE_CONGESTION_CONTROL_NONE, 100000, 2000000, 1000000, 0.5, 1.0,
      1000000},
  /* clean path: +8 % (+1) */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, 0.0, 0.05,
      1080001},
  /* 1.9 % loss is still clean */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, 0.019,
      0.05, 1080001},
  /* between 2 % and 10 %: hold */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, 0.05, 0.05,
      1000000},
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, 0.10, 0.05,
      1000000},
  /* 20 % loss: x (1 - 0.1) */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, 0.20, 0.05,
      900000},
  /* total loss: halve */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, 1.0, 0.05,
      500000},
  /* never below min */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 800000, 2000000, 1000000, 1.0, 0.05,
      800000},
  /* never above max */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 1050000, 1000000, 0.0, 0.05,
      1050000},
  /* first report with a high RTT: it is the baseline, not growth -> but it
   * is above 2x min_rtt only if min_rtt is lower; first sample sets it */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, 0.0, 0.6,
      1080001},
  /* garbage from the network is treated as "no loss" */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, NAN, NAN,
      1080001},
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, -3.0, -1.0,
      1080001},
  /* loss above 1 is clamped to 1 */
  {CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000, 7.0, 0.05,
      500000},
  /* start outside the range is clamped */
  {CONVENE_CONGESTION_CONTROL_NONE, 100000, 2000000, 9000000, 0.0, 0.0,
      2000000},
  /* swapped range still works */
  {CONVENE_CONGESTION_CONTROL_NONE, 2000000, 100000, 50000, 0.0, 0.0, 100000},
};

GST_START_TEST (test_congestion_table)
{
  const CcCase *c = &cc_cases[__i__];
  ConveneCongestionController cc;
  guint got;

  convene_congestion_controller_init (&cc, c->mode, c->min, c->max, c->start);
  got = convene_congestion_controller_update (&cc, c->loss, c->rtt);
  fail_unless_equals_int (got, c->expected);
}

GST_END_TEST;

GST_START_TEST (test_congestion_sequences)
{
  ConveneCongestionController cc;
  guint i, got = 0;

  /* A clean path converges to the maximum... */
  convene_congestion_controller_init (&cc,
      CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 300000);
  for (i = 0; i < 100; i++)
    got = convene_congestion_controller_update (&cc, 0.0, 0.02);
  fail_unless_equals_int (got, 2000000);

  /* ...heavy loss brings it to the minimum... */
  for (i = 0; i < 100; i++)
    got = convene_congestion_controller_update (&cc, 0.5, 0.02);
  fail_unless_equals_int (got, 100000);

  /* ...and RTT growth alone backs off: baseline 20 ms, now 500 ms. */
  convene_congestion_controller_init (&cc,
      CONVENE_CONGESTION_CONTROL_LOSS_BASED, 100000, 2000000, 1000000);
  convene_congestion_controller_update (&cc, 0.05, 0.02);
  got = convene_congestion_controller_update (&cc, 0.0, 0.5);
  fail_unless_equals_int (got, 850000);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* ICE server URLs from welcome.ice_servers */

typedef struct
{
  const gchar *url, *user, *cred, *expected;
} IceCase;

static const IceCase ice_cases[] = {
  {"stun:127.0.0.1:3478", NULL, NULL, "stun://127.0.0.1:3478"},
  {"stun:stun.example.org", NULL, NULL, "stun://stun.example.org"},
  {"turn:127.0.0.1:3478?transport=udp", "1700000000:alice", "ab/c+d==",
      "turn://1700000000%3Aalice:ab%2Fc%2Bd%3D%3D@127.0.0.1:3478?transport=udp"},
  {"turns:turn.example.org:5349", "u", "p", "turns://u:p@turn.example.org:5349"},
  {"turn://127.0.0.1:3478", "u", "p", "turn://u:p@127.0.0.1:3478"},
  {"turn:127.0.0.1:3478", NULL, "p", NULL},
  {"turn:127.0.0.1:3478", "u", NULL, NULL},
  {"http://example.org", NULL, NULL, NULL},
  {"stun:", NULL, NULL, NULL},
  {"stun:evil@host", NULL, NULL, NULL},
  {"turn:host/path", "u", "p", NULL},
  {NULL, NULL, NULL, NULL},
};

GST_START_TEST (test_ice_server_urls)
{
  const IceCase *c = &ice_cases[__i__];
  gchar *got = convene_ice_server_url_to_uri (c->url, c->user, c->cred);

  fail_unless_equals_string (got, c->expected);
  g_free (got);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* Server role SDP helpers */

static const gchar *simulcast_offer =
    "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\na=msid:s1 mic-1\r\na=setup:actpass\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\na=msid:s1 cam-1\r\na=setup:actpass\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rid:q send\r\na=rid:h send\r\na=rid:f send\r\n"
    "a=simulcast:send q;h;~f\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:2\r\na=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n"
    /* SSRC-signalled simulcast (a munged Chromium offer), lowest first;
     * a malformed SSRC is skipped, a second SIM group ignored. */
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:3\r\na=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n"
    "a=ssrc-group:FID 111 444\r\n"
    "a=ssrc-group:SIM 111 22x 222 333\r\na=ssrc-group:SIM 7 8\r\n"
    "a=ssrc:111 cname:c\r\na=ssrc:222 cname:c\r\na=ssrc:333 cname:c\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:4\r\na=setup:actpass\r\na=rtpmap:96 VP8/90000\r\n"
    "a=ssrc-group:SIM 5\r\n";

static const gchar *plain_answer =
    "v=0\r\no=- 2 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\na=setup:active\r\na=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\na=setup:active\r\na=rtpmap:96 VP8/90000\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:2\r\na=setup:active\r\na=rtpmap:96 VP8/90000\r\n";

GST_START_TEST (test_sdp_publish_tracks)
{
  GstSDPMessage *sdp;
  GHashTable *mids;
  ConveneMidInfo *info;

  fail_unless_equals_int (gst_sdp_message_new_from_text (simulcast_offer,
          &sdp), GST_SDP_OK);
  mids = convene_sdp_publish_tracks (sdp);
  fail_unless_equals_int (g_hash_table_size (mids), 5);
  info = g_hash_table_lookup (mids, "3");
  fail_unless_equals_int (info->n_sim, 3);
  fail_unless_equals_int (info->sim_ssrcs[0], 111);
  fail_unless_equals_int (info->sim_ssrcs[1], 222);
  fail_unless_equals_int (info->sim_ssrcs[2], 333);
  /* One SSRC is no simulcast. */
  info = g_hash_table_lookup (mids, "4");
  fail_unless (info->sim_ssrcs == NULL);
  fail_unless_equals_int (info->n_sim, 0);
  info = g_hash_table_lookup (mids, "0");
  fail_unless_equals_string (info->stream_id, "s1");
  fail_unless_equals_string (info->track_id, "mic-1");
  fail_unless (info->rids == NULL);
  info = g_hash_table_lookup (mids, "1");
  fail_unless_equals_string (info->track_id, "cam-1");
  fail_unless_equals_int (info->rid_ext, 10);
  fail_unless (info->rids != NULL);
  fail_unless_equals_int (g_strv_length (info->rids), 3);
  fail_unless_equals_string (info->rids[0], "q");
  fail_unless_equals_string (info->rids[2], "f");
  /* Without a=msid the mid names the track. */
  info = g_hash_table_lookup (mids, "2");
  fail_unless_equals_string (info->track_id, "2");
  fail_unless (info->stream_id == NULL);
  g_hash_table_unref (mids);
  gst_sdp_message_free (sdp);
}

GST_END_TEST;

GST_START_TEST (test_sdp_complete_answer)
{
  GstSDPMessage *offer, *answer;
  const GstSDPMedia *m;

  gst_sdp_message_new_from_text (simulcast_offer, &offer);
  gst_sdp_message_new_from_text (plain_answer, &answer);
  convene_sdp_complete_answer (offer, answer);

  m = gst_sdp_message_get_media (answer, 0);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (m, "setup"),
      "passive");
  fail_unless (gst_sdp_media_get_attribute_val (m, "simulcast") == NULL);
  m = gst_sdp_message_get_media (answer, 1);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (m,
          "simulcast"), "recv q;h;~f");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val_n (m, "rid",
          0), "q recv");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val_n (m, "rid",
          2), "f recv");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val_n (m,
          "extmap", 0), "4 urn:ietf:params:rtp-hdrext:sdes:mid");
  fail_unless_equals_string (gst_sdp_media_get_attribute_val_n (m,
          "extmap", 1),
      "10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
  m = gst_sdp_message_get_media (answer, 2);
  fail_unless (gst_sdp_media_get_attribute_val (m, "rid") == NULL);

  convene_sdp_add_remb (answer);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (m, "rtcp-fb"),
      "96 goog-remb");
  /* Idempotent, and audio untouched. */
  convene_sdp_add_remb (answer);
  fail_unless (gst_sdp_media_get_attribute_val_n (m, "rtcp-fb", 1) == NULL);
  fail_unless (gst_sdp_media_get_attribute_val (gst_sdp_message_get_media
          (answer, 0), "rtcp-fb") == NULL);
  gst_sdp_message_free (offer);
  gst_sdp_message_free (answer);
}

GST_END_TEST;

typedef struct
{
  guint8 fci[8];
  gsize size;
  gboolean ok;
  guint bitrate;
} RembCase;

static const RembCase remb_cases[] = {
  /* 1 SSRC, exp 0, mantissa 1000 */
  {{'R', 'E', 'M', 'B', 1, 0x00, 0x03, 0xe8}, 8, TRUE, 1000},
  /* exp 3, mantissa 125000: 1 Mbit/s */
  {{'R', 'E', 'M', 'B', 1, 0x0d, 0xe8, 0x48}, 8, TRUE, 1000000},
  /* the largest exponent saturates */
  {{'R', 'E', 'M', 'B', 1, 0xff, 0xff, 0xff}, 8, TRUE, G_MAXUINT},
  {{'R', 'E', 'M', 'B', 1, 0xfc, 0x00, 0x00}, 8, TRUE, 0},
  /* short, or another application's feedback */
  {{'R', 'E', 'M', 'B', 1, 0x00, 0x03, 0xe8}, 7, FALSE, 0},
  {{'X', 'E', 'M', 'B', 1, 0x00, 0x03, 0xe8}, 8, FALSE, 0},
};

GST_START_TEST (test_remb_parse)
{
  const RembCase *c = &remb_cases[__i__];
  guint bitrate = 0;

  fail_unless_equals_int (convene_remb_parse (c->fci, c->size, &bitrate),
      c->ok);
  if (c->ok)
    fail_unless_equals_uint64 (bitrate, c->bitrate);
}

GST_END_TEST;

static Suite *
signalbridge_suite (void)
{
  Suite *s = suite_create ("signalbridge");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_create_and_properties);
  tcase_add_test (tc, test_request_release_pads);
  tcase_add_test (tc, test_link_by_caps);
  tcase_add_test (tc, test_harness_push);
  tcase_add_test (tc, test_states);
  tcase_add_test (tc, test_upnp_off);
  tcase_add_test (tc, test_bad_uri);
  tcase_add_test (tc, test_unreachable_server);
  tcase_add_test (tc, test_custom_signaller);
  tcase_add_test (tc, test_accept_and_cancel_actions);
  tcase_add_loop_test (tc, test_congestion_table, 0, G_N_ELEMENTS (cc_cases));
  tcase_add_test (tc, test_congestion_sequences);
  tcase_add_loop_test (tc, test_ice_server_urls, 0, G_N_ELEMENTS (ice_cases));
  tcase_add_test (tc, test_sdp_publish_tracks);
  tcase_add_test (tc, test_sdp_complete_answer);
  tcase_add_loop_test (tc, test_remb_parse, 0, G_N_ELEMENTS (remb_cases));
  return s;
}

GST_CHECK_MAIN (signalbridge);
