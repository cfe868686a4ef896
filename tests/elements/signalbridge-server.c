/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* signalbridge role=server against a test signaller: a fake participant
 * (a webrtcbin of the test's own, on 127.0.0.1) publishes a video track and
 * answers the subscribe offers; the contract of docs/architecture.md,
 * "Media worker", is checked on the pads, signals and SDP. */

#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/nice.h>

#include "signalbridge-test-signaller.h"

#define WAIT (20 * G_TIME_SPAN_SECOND)

typedef struct
{
  GstElement *pipe;             /* the worker side: the bridge alone */
  GstElement *bridge;
  TestSignaller *ts;
  GstElement *peer_pipe;        /* the fake participant */
  GstElement *pub;              /* its publish webrtcbin */
  GstElement *sub;              /* its subscribe webrtcbin */

  GMutex lock;
  GCond cond;
  GList *pads;                  /* pads added to the bridge (refs) */
  GPtrArray *sub_offers;        /* SDP text of each subscribe offer */
  guint sub_answers;            /* answers sent back for them */
  gchar *joined;                /* participant-joined id */
  gchar *left;                  /* participant-left id */
  gchar *pid;                   /* the fake participant's id */
  gchar *pub_session;           /* "<pid>/publish" */
  gchar *sub_session;           /* "<pid>/subscribe" */
  guint key_unit_requests;      /* GstForceKeyUnit seen by the publisher */
} Fixture;

static Fixture *fx;

static void
peer_add_loopback (GstElement * webrtc)
{
  GObject *ice = NULL;
  NiceAgent *agent = NULL;
  NiceAddress addr;

  g_object_get (webrtc, "ice-agent", &ice, NULL);
  g_object_get (ice, "agent", &agent, NULL);
  g_object_set (agent, "upnp", FALSE, NULL);
  nice_address_init (&addr);
  nice_address_set_from_string (&addr, "127.0.0.1");
  nice_agent_add_local_address (agent, &addr);
  g_object_unref (agent);
  gst_object_unref (ice);
}

/* The bridge sent SDP: an answer for our publish session, or a subscribe
 * offer, which our subscribe webrtcbin answers. */
static void
on_sub_answer (GstPromise * promise, gpointer user_data)
{
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *answer = NULL;

  gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
      &answer, NULL);
  fail_unless (answer != NULL);
  g_signal_emit_by_name (fx->sub, "set-local-description", answer, NULL);
  g_signal_emit_by_name (fx->ts, "session-description", fx->sub_session,
      answer);
  gst_webrtc_session_description_free (answer);
  gst_promise_unref (promise);
  g_mutex_lock (&fx->lock);
  fx->sub_answers++;
  g_cond_broadcast (&fx->cond);
  g_mutex_unlock (&fx->lock);
}

static void
on_sub_offer_set (GstPromise * promise, gpointer user_data)
{
  gst_promise_unref (promise);
  g_signal_emit_by_name (fx->sub, "create-answer", NULL,
      gst_promise_new_with_change_func (on_sub_answer, NULL, NULL));
}

static void
on_bridge_sdp (const gchar * session_id,
    const GstWebRTCSessionDescription * desc, gpointer user_data)
{
  GstWebRTCSessionDescription *copy = gst_webrtc_session_description_copy
      (desc);

  if (g_str_equal (session_id, fx->pub_session)) {
    fail_unless_equals_int (desc->type, GST_WEBRTC_SDP_TYPE_ANSWER);
    g_signal_emit_by_name (fx->pub, "set-remote-description", copy, NULL);
  } else {
    fail_unless_equals_string (session_id, fx->sub_session);
    fail_unless_equals_int (desc->type, GST_WEBRTC_SDP_TYPE_OFFER);
    g_mutex_lock (&fx->lock);
    g_ptr_array_add (fx->sub_offers, gst_sdp_message_as_text (desc->sdp));
    g_cond_broadcast (&fx->cond);
    g_mutex_unlock (&fx->lock);
    g_signal_emit_by_name (fx->sub, "set-remote-description", copy,
        gst_promise_new_with_change_func (on_sub_offer_set, NULL, NULL));
  }
  gst_webrtc_session_description_free (copy);
}

static void
on_bridge_ice (const gchar * session_id, guint mline, const gchar * candidate,
    gpointer user_data)
{
  GstElement *to = g_str_equal (session_id, fx->pub_session) ? fx->pub :
      fx->sub;

  if (to && candidate && candidate[0])
    g_signal_emit_by_name (to, "add-ice-candidate", mline, candidate);
}

static void
on_peer_ice (GstElement * webrtc, guint mline, const gchar * candidate,
    gpointer user_data)
{
  g_signal_emit_by_name (fx->ts, "handle-ice", webrtc == fx->pub ?
      fx->pub_session : fx->sub_session, mline, NULL, candidate);
}

/* Browsers name each track in a=msid; the test peer does the same. */
static void
on_pub_offer (GstPromise * promise, gpointer user_data)
{
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *offer = NULL;

  gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
      &offer, NULL);
  fail_unless (offer != NULL);
  gst_sdp_media_add_attribute ((GstSDPMedia *)
      gst_sdp_message_get_media (offer->sdp, 0), "msid", "stream0 cam0");
  g_signal_emit_by_name (fx->pub, "set-local-description", offer, NULL);
  g_signal_emit_by_name (fx->ts, "session-description", fx->pub_session,
      offer);
  gst_webrtc_session_description_free (offer);
  gst_promise_unref (promise);
}

static void
on_pad_added (GstElement * bridge, GstPad * pad, gpointer user_data)
{
  g_mutex_lock (&fx->lock);
  fx->pads = g_list_append (fx->pads, gst_object_ref (pad));
  g_cond_broadcast (&fx->cond);
  g_mutex_unlock (&fx->lock);
}

static void
on_joined (GstElement * bridge, const gchar * id, const gchar * user,
    gpointer user_data)
{
  g_mutex_lock (&fx->lock);
  g_free (fx->joined);
  fx->joined = g_strdup (id);
  g_mutex_unlock (&fx->lock);
}

static void
on_left (GstElement * bridge, const gchar * id, gpointer user_data)
{
  g_mutex_lock (&fx->lock);
  g_free (fx->left);
  fx->left = g_strdup (id);
  g_mutex_unlock (&fx->lock);
}

static GstBusSyncReply
drop_message (GstBus * bus, GstMessage * message, gpointer user_data)
{
  return GST_BUS_DROP;
}

/* Nobody reads these buses; a message holds its source, and a webrtcbin
 * kept alive by its old messages would count as leaked.  (Flushing would
 * not last: a pipeline unflushes its bus on NULL -> READY.) */
static void
flush_bus (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);

  gst_bus_set_sync_handler (bus, drop_message, NULL, NULL);
  gst_object_unref (bus);
}

static GstPadProbeReturn
count_key_unit_requests (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (gst_event_has_name (event, "GstForceKeyUnit")) {
    g_mutex_lock (&fx->lock);
    fx->key_unit_requests++;
    g_cond_broadcast (&fx->cond);
    g_mutex_unlock (&fx->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* The fake participant @pid: a publish and a subscribe webrtcbin. */
static void
peer_new (const gchar * pid)
{
  GError *err = NULL;
  const gchar *tracks[] = { "video:cam0", NULL };

  g_free (fx->pid);
  g_free (fx->pub_session);
  g_free (fx->sub_session);
  fx->pid = g_strdup (pid);
  fx->pub_session = g_strdup_printf ("%s/publish", pid);
  fx->sub_session = g_strdup_printf ("%s/subscribe", pid);
  fx->peer_pipe = gst_parse_launch ("videotestsrc is-live=true "
      "! video/x-raw,width=160,height=120,framerate=15/1 "
      "! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=15 "
      "! rtpvp8pay name=pay pt=96 ! application/x-rtp,media=video,encoding-name=VP8,"
      "payload=96,clock-rate=90000 ! webrtcbin name=pub bundle-policy=max-bundle "
      "webrtcbin name=sub bundle-policy=max-bundle", &err);
  fail_unless (fx->peer_pipe != NULL, "%s", err ? err->message : "");
  flush_bus (fx->peer_pipe);
  fx->pub = gst_bin_get_by_name (GST_BIN (fx->peer_pipe), "pub");
  fx->sub = gst_bin_get_by_name (GST_BIN (fx->peer_pipe), "sub");
  peer_add_loopback (fx->pub);
  peer_add_loopback (fx->sub);
  {
    GstElement *pay = gst_bin_get_by_name (GST_BIN (fx->peer_pipe), "pay");
    GstPad *src = gst_element_get_static_pad (pay, "src");

    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        count_key_unit_requests, NULL, NULL);
    gst_object_unref (src);
    gst_object_unref (pay);
  }
  g_signal_connect (fx->pub, "on-ice-candidate", G_CALLBACK (on_peer_ice),
      NULL);
  g_signal_connect (fx->sub, "on-ice-candidate", G_CALLBACK (on_peer_ice),
      NULL);
  g_signal_emit_by_name (fx->ts, "participant-joined", pid, "alice", tracks);
  fail_unless_equals_string (fx->joined, pid);
}

static void peer_free (void);

static void
setup (void)
{
  fx = g_new0 (Fixture, 1);
  g_mutex_init (&fx->lock);
  g_cond_init (&fx->cond);
  fx->sub_offers = g_ptr_array_new_with_free_func (g_free);

  fx->pipe = gst_pipeline_new ("worker");
  flush_bus (fx->pipe);
  fx->bridge = gst_element_factory_make ("signalbridge", "bridge");
  fx->ts = g_object_new (TEST_TYPE_SIGNALLER, NULL);
  fx->ts->on_sdp = on_bridge_sdp;
  fx->ts->on_ice = on_bridge_ice;
  gst_util_set_object_arg (G_OBJECT (fx->bridge), "role", "server");
  g_object_set (fx->bridge, "signaller", fx->ts, "meeting", "m1",
      "allow-loopback", TRUE, NULL);
  g_signal_connect (fx->bridge, "pad-added", G_CALLBACK (on_pad_added), NULL);
  g_signal_connect (fx->bridge, "participant-joined", G_CALLBACK (on_joined),
      NULL);
  g_signal_connect (fx->bridge, "participant-left", G_CALLBACK (on_left),
      NULL);
  gst_bin_add (GST_BIN (fx->pipe), fx->bridge);

  fail_if (gst_element_set_state (fx->pipe, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_signal_emit_by_name (fx->ts, "state-changed", "connected", NULL,
      "sfu-worker", NULL);
  fail_unless_equals_string (fx->ts->joined, "m1");
  g_signal_emit_by_name (fx->ts, "meeting-joined", "m1", "w0", "sfu", "w0");
  peer_new ("p1");
}

static void
force_null (const GValue * value, gpointer user_data)
{
  gst_element_set_state (g_value_get_object (value), GST_STATE_NULL);
}

static void
peer_free (void)
{
  GstIterator *it;

  if (fx->peer_pipe == NULL)
    return;
  gst_element_set_state (fx->peer_pipe, GST_STATE_NULL);
  /* webrtcbin 1.22 leaves a DTLS client's state-locked encoder running on
   * NULL; its task would keep the test process from exiting. */
  it = gst_bin_iterate_recurse (GST_BIN (fx->peer_pipe));
  while (gst_iterator_foreach (it, force_null, NULL) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
  gst_clear_object (&fx->pub);
  gst_clear_object (&fx->sub);
  gst_clear_object (&fx->peer_pipe);
}

static void
teardown (void)
{
  peer_free ();
  gst_element_set_state (fx->pipe, GST_STATE_NULL);
  gst_object_unref (fx->pipe);
  g_object_unref (fx->ts);
  g_list_free_full (fx->pads, gst_object_unref);
  g_ptr_array_unref (fx->sub_offers);
  g_free (fx->joined);
  g_free (fx->left);
  g_free (fx->pid);
  g_free (fx->pub_session);
  g_free (fx->sub_session);
  g_mutex_clear (&fx->lock);
  g_cond_clear (&fx->cond);
  g_free (fx);
  fx = NULL;
}

/* The fake participant publishes; returns the first pad the bridge adds. */
static GstPad *
publish_and_wait_pad (void)
{
  gint64 end = g_get_monotonic_time () + WAIT;
  GstPad *pad = NULL;
  guint before;

  g_mutex_lock (&fx->lock);
  before = g_list_length (fx->pads);
  g_mutex_unlock (&fx->lock);

  gst_element_set_state (fx->peer_pipe, GST_STATE_PLAYING);
  g_signal_emit_by_name (fx->pub, "create-offer", NULL,
      gst_promise_new_with_change_func (on_pub_offer, NULL, NULL));

  g_mutex_lock (&fx->lock);
  while (g_list_length (fx->pads) == before
      && g_cond_wait_until (&fx->cond, &fx->lock, end));
  if (g_list_length (fx->pads) > before)
    pad = gst_object_ref (g_list_last (fx->pads)->data);
  g_mutex_unlock (&fx->lock);
  return pad;
}

static gchar *
wait_sub_offer (guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT;
  gchar *text = NULL;

  g_mutex_lock (&fx->lock);
  while (fx->sub_offers->len < n
      && g_cond_wait_until (&fx->cond, &fx->lock, end));
  if (fx->sub_offers->len >= n)
    text = g_strdup (g_ptr_array_index (fx->sub_offers, n - 1));
  g_mutex_unlock (&fx->lock);
  return text;
}

/* A publish offer from a participant becomes a pub_%u pad that says whose
 * track it is, carrying undecoded RTP. */
GST_START_TEST (test_publish_pad)
{
  GstPad *pad;

  setup ();
  pad = publish_and_wait_pad ();
  gchar *pid = NULL, *track = NULL, *kind = NULL, *rid = NULL;
  guint layer = 99;
  GstCaps *caps;

  fail_unless (pad != NULL, "no pub pad");
  fail_unless (g_str_has_prefix (GST_PAD_NAME (pad), "pub_"));
  fail_unless_equals_string (G_OBJECT_TYPE_NAME (pad), "GstSignalBridgePad");
  g_object_get (pad, "participant-id", &pid, "track-id", &track, "kind",
      &kind, "layer", &layer, "rid", &rid, NULL);
  fail_unless_equals_string (pid, "p1");
  fail_unless_equals_string (track, "cam0");
  fail_unless_equals_string (kind, "video");
  fail_unless_equals_int (layer, 0);
  fail_unless_equals_string (rid, "");
  caps = gst_pad_query_caps (pad, NULL);
  fail_unless (caps != NULL && !gst_caps_is_empty (caps));
  fail_unless (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "application/x-rtp"));
  gst_caps_unref (caps);
  g_free (pid);
  g_free (track);
  g_free (kind);
  g_free (rid);

  /* A keyframe request from the router (upstream GstForceKeyUnit on the
   * pub pad) reaches the publisher's encoder side as a PLI. */
  {
    gint64 end = g_get_monotonic_time () + WAIT;
    GstStructure *s = gst_structure_new ("GstForceKeyUnit", "all-headers",
        G_TYPE_BOOLEAN, TRUE, NULL);

    fail_unless (gst_pad_send_event (pad,
            gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s)));
    g_mutex_lock (&fx->lock);
    while (fx->key_unit_requests == 0
        && g_cond_wait_until (&fx->cond, &fx->lock, end));
    g_mutex_unlock (&fx->lock);
    fail_unless (fx->key_unit_requests > 0, "no PLI reached the publisher");
  }

  /* The participant leaves: the signal first, then the pad goes. */
  g_signal_emit_by_name (fx->ts, "participant-left", "p1");
  fail_unless_equals_string (fx->left, "p1");
  fail_unless (GST_OBJECT_PARENT (pad) == NULL);
  gst_object_unref (pad);
  teardown ();
}

GST_END_TEST;

static guint
count_webrtcbins (GstElement * bin)
{
  GstIterator *it = gst_bin_iterate_elements (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  guint n = 0;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);

    if (g_str_equal (G_OBJECT_TYPE_NAME (e), "GstWebRTCBin"))
      n++;
    g_value_reset (&v);
  }
  gst_iterator_free (it);
  return n;
}

/* add-subscriber-track makes a sub_%u pad and an offer naming the
 * publisher's track in a=msid; releasing it offers again without it. */
GST_START_TEST (test_subscribe_offer)
{
  GstPad *pad = NULL;
  gchar *offer, *pid = NULL, *pubid = NULL;
  GstSDPMessage *sdp;
  const GstSDPMedia *m;
  guint baseline;

  setup ();
  baseline = count_webrtcbins (fx->bridge);

  gst_element_set_state (fx->peer_pipe, GST_STATE_PLAYING);
  fail_unless (gst_element_request_pad_simple (fx->bridge, "sub_%u") == NULL);
  g_signal_emit_by_name (fx->bridge, "add-subscriber-track", "p1", "p2",
      "cam9", "video", &pad);
  fail_unless (pad != NULL);
  fail_unless (g_str_has_prefix (GST_PAD_NAME (pad), "sub_"));
  g_object_get (pad, "participant-id", &pid, "publisher-id", &pubid, NULL);
  fail_unless_equals_string (pid, "p1");
  fail_unless_equals_string (pubid, "p2");
  g_free (pid);
  g_free (pubid);
  fail_unless_equals_int (count_webrtcbins (fx->bridge), baseline + 1);

  offer = wait_sub_offer (1);
  fail_unless (offer != NULL, "no subscribe offer");
  GST_INFO ("subscribe offer:\n%s", offer);
  gst_sdp_message_new_from_text (offer, &sdp);
  fail_unless_equals_int (gst_sdp_message_medias_len (sdp), 1);
  m = gst_sdp_message_get_media (sdp, 0);
  fail_unless_equals_string (gst_sdp_media_get_attribute_val (m, "msid"),
      "p2 cam9");
  fail_unless (gst_sdp_media_get_attribute_val (m, "sendonly") != NULL);
  gst_sdp_message_free (sdp);
  g_free (offer);

  /* Released: offered again, the m-line inactive. */
  gst_element_release_request_pad (fx->bridge, pad);
  fail_unless (GST_OBJECT_PARENT (pad) == NULL);
  gst_object_unref (pad);
  offer = wait_sub_offer (2);
  fail_unless (offer != NULL, "no second subscribe offer");
  gst_sdp_message_new_from_text (offer, &sdp);
  m = gst_sdp_message_get_media (sdp, 0);
  fail_unless (gst_sdp_media_get_attribute_val (m, "inactive") != NULL,
      "%s", offer);
  gst_sdp_message_free (sdp);
  g_free (offer);

  /* Leaving closes the session. */
  g_signal_emit_by_name (fx->ts, "participant-left", "p1");
  fail_unless_equals_int (count_webrtcbins (fx->bridge), baseline);
  teardown ();
}

GST_END_TEST;

static guint
count_fds (void)
{
  GDir *dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  if (dir)
    g_dir_close (dir);
  return n;
}

/* One participant's whole life: join, publish, subscribe to a track, leave. */
static void
participant_cycle (guint i)
{
  g_autofree gchar *pid = g_strdup_printf ("c%u", i);
  GstPad *pub, *sub = NULL;
  gchar *offer;

  peer_new (pid);
  pub = publish_and_wait_pad ();
  fail_unless (pub != NULL, "no pub pad in cycle %u", i);
  g_signal_emit_by_name (fx->bridge, "add-subscriber-track", pid, "p2",
      "cam9", "video", &sub);
  fail_unless (sub != NULL);
  offer = wait_sub_offer (fx->sub_offers->len + 1);
  fail_unless (offer != NULL, "no subscribe offer in cycle %u", i);
  g_free (offer);
  /* Leave only once our answer went back, as a client would. */
  {
    gint64 end = g_get_monotonic_time () + WAIT;

    g_mutex_lock (&fx->lock);
    while (fx->sub_answers < fx->sub_offers->len
        && g_cond_wait_until (&fx->cond, &fx->lock, end));
    g_mutex_unlock (&fx->lock);
  }
  g_signal_emit_by_name (fx->ts, "participant-left", pid);
  fail_unless (GST_OBJECT_PARENT (pub) == NULL);
  fail_unless (GST_OBJECT_PARENT (sub) == NULL);
  gst_object_unref (pub);
  gst_object_unref (sub);
  peer_free ();
}

/* Participants coming and going leave no webrtcbin or pad behind in the
 * worker's bridge. */
GST_START_TEST (test_leave_rejoin)
{
  guint webrtcbins, fds, pads, i;

  setup ();
  g_signal_emit_by_name (fx->ts, "participant-left", "p1");
  peer_free ();
  /* The first cycle warms up what lives as long as the process (the DTLS
   * certificate, the system clock's thread). */
  participant_cycle (0);
  webrtcbins = count_webrtcbins (fx->bridge);
  pads = fx->bridge->numpads;
  fds = count_fds ();
  for (i = 1; i <= 10; i++)
    participant_cycle (i);
  fail_unless_equals_int (count_webrtcbins (fx->bridge), webrtcbins);
  fail_unless_equals_int (fx->bridge->numpads, pads);
  /* Not asserted: webrtcbin 1.22 is not finalized after a negotiated
   * session (the test's own peers leak the same way), so each session's
   * libnice sockets and eventfds stay; docs/architecture.md has the
   * figures. */
  g_printerr ("# leave/rejoin: %u fds after the first cycle, %u after 10 "
      "more\n", fds, count_fds ());
  teardown ();
}

GST_END_TEST;

/* A publish offer from a participant "x": the bridge's answer, if any,
 * comes back through on_sdp; we only check what the bridge does. */
static void
send_raw_offer (const gchar * pid, const gchar * text)
{
  GstSDPMessage *sdp = NULL;
  GstWebRTCSessionDescription *desc;
  g_autofree gchar *session = g_strdup_printf ("%s/publish", pid);
  const gchar *tracks[] = { "video:cam0", NULL };

  g_signal_emit_by_name (fx->ts, "participant-joined", pid, "mallory",
      tracks);
  gst_sdp_message_new (&sdp);
  /* What does not parse as SDP at all is the signaller's to refuse; what
   * does parse goes to the bridge. */
  gst_sdp_message_parse_buffer ((const guint8 *) text, strlen (text), sdp);
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  g_signal_emit_by_name (fx->ts, "session-description", session, desc);
  gst_webrtc_session_description_free (desc);
}

static guint
pub_pads_of (const gchar * pid)
{
  guint n = 0;
  GList *l;

  g_mutex_lock (&fx->lock);
  for (l = fx->pads; l; l = l->next) {
    gchar *owner = NULL;

    if (!GST_IS_PAD (l->data)
        || !g_object_class_find_property (G_OBJECT_GET_CLASS (l->data),
            "participant-id"))
      continue;
    g_object_get (l->data, "participant-id", &owner, NULL);
    n += g_strcmp0 (owner, pid) == 0;
    g_free (owner);
  }
  g_mutex_unlock (&fx->lock);
  return n;
}

/* Bad offers (10,000 attribute lines; only a codec we cannot forward) get
 * no pad and harm nobody: the next participant still publishes. */
GST_START_TEST (test_bad_offers)
{
  GString *big = g_string_new ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
      "t=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
      "a=mid:0\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n");
  GstPad *pad;
  guint i;

  setup ();
  for (i = 0; i < 10000; i++)
    g_string_append_printf (big, "a=x-junk:%u\r\n", i);
  send_raw_offer ("x1", big->str);
  g_string_free (big, TRUE);
  send_raw_offer ("x2", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
      "t=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\n"
      "a=mid:0\r\na=sendonly\r\na=rtpmap:120 NOTACODEC/90000\r\n"
      "a=fingerprint:sha-256 00:11\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\n");

  /* p1, a well-behaved participant, still publishes. */
  pad = publish_and_wait_pad ();
  fail_unless (pad != NULL, "a good participant no longer publishes");
  gst_object_unref (pad);
  fail_unless_equals_int (pub_pads_of ("x1"), 0);
  fail_unless_equals_int (pub_pads_of ("x2"), 0);
  g_signal_emit_by_name (fx->ts, "participant-left", "x1");
  g_signal_emit_by_name (fx->ts, "participant-left", "x2");
  teardown ();
}

GST_END_TEST;

GST_START_TEST (test_active_speaker_and_view)
{
  setup ();
  g_signal_emit_by_name (fx->bridge, "send-active-speaker", "p1");
  fail_unless_equals_string (fx->ts->active_speaker, "p1");
  teardown ();
}

GST_END_TEST;

static Suite *
signalbridge_server_suite (void)
{
  Suite *s = suite_create ("signalbridge-server");
  TCase *tc = tcase_create ("server");

  suite_add_tcase (s, tc);
  /* setup and teardown are called by the tests themselves: gst-check
   * waits for every streaming task before a checked teardown would run. */
  tcase_add_test (tc, test_publish_pad);
  tcase_add_test (tc, test_subscribe_offer);
  tcase_add_test (tc, test_leave_rejoin);
  tcase_add_test (tc, test_active_speaker_and_view);
  tcase_add_test (tc, test_bad_offers);
  return s;
}

GST_CHECK_MAIN (signalbridge_server);
