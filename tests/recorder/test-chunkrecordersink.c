/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* chunkrecordersink in pipelines: properties and pads, two participants in
 * every format, bad input, a slow disk, pad release.  Sources are
 * non-live with num-buffers unless the case needs real time. */

#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "recorder-test-util.h"

#define VP8_RTP(n) "videotestsrc num-buffers=" n " ! video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 ! rtpvp8pay"
/* Non-live sources run faster than real time, far ahead of the writer:
 * a queue that would drop them is not what these cases test. */
#define NONLIVE_QUEUE "max-queue-time=60000000000 "
/* Non-live encoders run ahead of keyframe requests: a keyframe every
 * second keeps the chunk count deterministic. */
#define H264_RTP(n) "videotestsrc num-buffers=" n " ! video/x-raw,width=160,height=120,framerate=30/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! rtph264pay"
#define OPUS_RTP(n) "audiotestsrc num-buffers=" n " samplesperbuffer=960 ! audio/x-raw,rate=48000 ! opusenc ! rtpopuspay"

static void
test_properties (void)
{
  GstElement *rec = gst_element_factory_make ("chunkrecordersink", NULL);
  GstElementFactory *f;
  GstPad *pad;
  GObject *target = NULL;
  GParamSpec *pspec = NULL;
  gchar *s;
  guint64 v;

  g_assert_nonnull (rec);
  f = gst_element_get_factory (rec);
  g_assert_cmpstr (gst_element_factory_get_metadata (f,
          GST_ELEMENT_METADATA_KLASS), ==, "Sink/File");
  g_object_get (rec, "chunk-duration", &v, NULL);
  g_assert_cmpuint (v, ==, 2 * GST_SECOND);
  g_object_get (rec, "max-queue-time", &v, NULL);
  g_assert_cmpuint (v, ==, GST_SECOND);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (rec), "dropped");
  g_assert_nonnull (pspec);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);
  gst_util_set_object_arg (G_OBJECT (rec), "format", "mpegts");
  {
    gint format;

    g_object_get (rec, "format", &format, NULL);
    g_assert_cmpint (format, ==, 1);
  }

  pad = gst_element_request_pad_simple (rec, "sink_%u");
  g_assert_cmpstr (GST_OBJECT_NAME (pad), ==, "sink_0");
  g_object_get (pad, "participant", &s, NULL);
  g_assert_cmpstr (s, ==, "default");
  g_free (s);
  g_object_get (pad, "track-id", &s, NULL);
  g_assert_cmpstr (s, ==, "sink_0");
  g_free (s);

  /* what gst-launch does with sink_0::participant=alice */
  g_assert_true (gst_child_proxy_lookup (GST_CHILD_PROXY (rec),
          "sink_0::participant", &target, &pspec));
  g_assert_true (target == G_OBJECT (pad));
  g_object_unref (target);
  gst_child_proxy_set (GST_CHILD_PROXY (rec), "sink_0::participant", "alice",
      NULL);
  g_object_get (pad, "participant", &s, NULL);
  g_assert_cmpstr (s, ==, "alice");
  g_free (s);
  g_assert_cmpuint (gst_child_proxy_get_children_count (GST_CHILD_PROXY
          (rec)), ==, 1);

  gst_element_release_request_pad (rec, pad);
  gst_object_unref (pad);
  g_assert_cmpuint (gst_child_proxy_get_children_count (GST_CHILD_PROXY
          (rec)), ==, 0);
  gst_object_unref (rec);
}

/* NULL -> PLAYING -> NULL twice, with a pad, writes an (empty) manifest
 * and leaks nothing. */
static void
test_states (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  GstElement *rec = gst_element_factory_make ("chunkrecordersink", NULL);
  GstPad *pad = gst_element_request_pad_simple (rec, "sink_%u");
  JsonObject *m;
  guint i;

  g_object_set (rec, "location", dir, "recording-id", "r1", NULL);
  for (i = 0; i < 2; i++) {
    g_assert_cmpint (gst_element_set_state (rec, GST_STATE_PLAYING), !=,
        GST_STATE_CHANGE_FAILURE);
    g_assert_cmpint (gst_element_set_state (rec, GST_STATE_NULL), ==,
        GST_STATE_CHANGE_SUCCESS);
  }
  m = rt_load_manifest (dir);
  g_assert_cmpstr (json_object_get_string_member (m, "recording_id"), ==,
      "r1");
  g_assert_false (json_object_get_boolean_member (m, "complete"));
  json_object_unref (m);

  /* an unusable location fails the state change with an error */
  {
    g_autofree gchar *file = g_build_filename (dir, "manifest.json", "x",
        NULL);
    g_object_set (rec, "location", file, NULL);
    g_assert_cmpint (gst_element_set_state (rec, GST_STATE_PAUSED), ==,
        GST_STATE_CHANGE_FAILURE);
    gst_element_set_state (rec, GST_STATE_NULL);
  }
  gst_element_release_request_pad (rec, pad);
  gst_object_unref (pad);
  gst_object_unref (rec);
  rt_remove_tree (dir);
}

typedef struct
{
  const gchar *format;
  const gchar *alice_video;
} FormatCase;

static const FormatCase format_cases[] = {
  {"matroska", VP8_RTP ("120")},
  {"mpegts", H264_RTP ("120")},
  {"mp4", H264_RTP ("120")},
};

/* alice: video + Opus in one container; bob: H.264 RTP; 4 s each. */
static void
test_participants (gconstpointer data)
{
  const FormatCase *fc = data;
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *desc = g_strdup_printf ("chunkrecordersink name=r "
      "location=%s format=%s chunk-duration=1000000000 " NONLIVE_QUEUE
      "sink_0::participant=alice sink_0::track-id=cam "
      "sink_1::participant=alice sink_1::track-id=mic "
      "sink_2::participant=bob  %s ! r.sink_0  " OPUS_RTP ("200")
      " ! r.sink_1  " H264_RTP ("120") " ! r.sink_2", dir, fc->format,
      fc->alice_video);
  g_autoptr (GError) err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  JsonObject *m;
  JsonArray *a, *b;
  guint64 total = 0;
  guint n, closed;

  g_assert_no_error (err);
  closed = rt_run_until_eos (pipeline, 60, "chunkrecordersink-chunk-closed");
  gst_element_set_state (pipeline, GST_STATE_NULL);

  m = rt_load_manifest (dir);
  g_assert_true (json_object_get_boolean_member (m, "complete"));
  g_assert_cmpstr (json_object_get_string_member (m, "format"), ==,
      fc->format);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (m,
              "participants")), ==, 2);
  a = rt_participant_chunks (m, "alice");
  b = rt_participant_chunks (m, "bob");
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  /* 4 s in 1 s chunks */
  g_assert_cmpuint (json_array_get_length (a), >=, 3);
  g_assert_cmpuint (json_array_get_length (b), >=, 3);
  n = rt_check_chunks (dir, m, TRUE, FALSE, &total);
  g_assert_cmpuint (n, ==, json_array_get_length (a) +
      json_array_get_length (b));
  /* alice's chunks carry her audio too */
  {
    JsonObject *c = json_array_get_object_element (a, 1);
    g_autofree gchar *path = g_build_filename (dir,
        json_object_get_string_member (c, "file"), NULL);
    RtDiscovered d;

    rt_discover (path, &d);
    g_assert_true (d.ok && d.has_video && d.has_audio);
    rt_discovered_clear (&d);
  }
  g_assert_cmpuint (closed, ==, n);
  g_test_message ("%s: %u chunks, %" GST_TIME_FORMAT " in all", fc->format,
      n, GST_TIME_ARGS (total));
  json_object_unref (m);
  gst_object_unref (pipeline);
  rt_remove_tree (dir);
}

static void
push_bytes (GstElement * appsrc, const guint8 * data, gsize len)
{
  GstBuffer *buf = gst_buffer_new_memdup (data, len);
  GstFlowReturn ret;

  g_signal_emit_by_name (appsrc, "push-buffer", buf, &ret);
  gst_buffer_unref (buf);
  g_assert_cmpint (ret, ==, GST_FLOW_OK);
}

/* Garbage RTP, truncated packets, caps it cannot handle and a codec the
 * container cannot carry: warnings, and the good track records on. */
static void
test_bad_input (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *desc = g_strdup_printf ("chunkrecordersink name=r "
      "location=%s chunk-duration=1000000000 format=mp4 " NONLIVE_QUEUE
      "sink_0::participant=good sink_1::participant=garbage "
      "sink_2::participant=raw sink_3::participant=vp8-in-mp4 "
      H264_RTP ("90") " ! r.sink_0 "
      "appsrc name=garbage format=time is-live=false "
      "caps=application/x-rtp,media=video,encoding-name=H264,"
      "clock-rate=90000,payload=96 ! r.sink_1 "
      "appsrc name=raw caps=audio/x-raw,format=S16LE,rate=8000,channels=1,"
      "layout=interleaved ! r.sink_2 " VP8_RTP ("30") " ! r.sink_3", dir);
  g_autoptr (GError) err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *garbage, *raw;
  GstBus *bus;
  GstMessage *msg;
  JsonObject *m;
  guint8 junk[200];
  guint i, warnings = 0;
  gboolean eos = FALSE;
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;

  g_assert_no_error (err);
  garbage = gst_bin_get_by_name (GST_BIN (pipeline), "garbage");
  raw = gst_bin_get_by_name (GST_BIN (pipeline), "raw");
  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);

  for (i = 0; i < 100; i++) {
    guint j;

    for (j = 0; j < sizeof (junk); j++)
      junk[j] = g_test_rand_int_range (0, 256);
    /* every other packet a valid RTP v2 header over a garbage payload,
     * the rest random or truncated */
    if (i % 2 == 0) {
      junk[0] = 0x80;
      junk[1] = 96;
    }
    push_bytes (garbage, junk, i % 3 == 0 ? 5 : sizeof (junk));
    push_bytes (raw, junk, sizeof (junk));
  }
  {
    GstFlowReturn ret;

    g_signal_emit_by_name (garbage, "end-of-stream", &ret);
    g_signal_emit_by_name (raw, "end-of-stream", &ret);
  }

  while (!eos) {
    gint64 left = deadline - g_get_monotonic_time ();

    g_assert_cmpint (left, >, 0);
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    g_assert_nonnull (msg);
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ERROR:{
        gst_message_parse_error (msg, &err, NULL);
        g_error ("unexpected error: %s", err->message);
      }
      case GST_MESSAGE_WARNING:{
        g_autoptr (GError) w = NULL;

        gst_message_parse_warning (msg, &w, NULL);
        g_test_message ("warning from %s: %s",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), w->message);
        warnings++;
        break;
      }
      default:
        eos = TRUE;
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  /* raw caps, VP8 in MP4, and at least one about the garbage */
  g_assert_cmpuint (warnings, >=, 3);
  m = rt_load_manifest (dir);
  g_assert_true (json_object_get_boolean_member (m, "complete"));
  g_assert_cmpuint (json_array_get_length (rt_participant_chunks (m,
              "good")), >=, 2);
  g_assert_null (rt_participant_chunks (m, "raw"));
  g_assert_null (rt_participant_chunks (m, "vp8-in-mp4"));
  rt_check_chunks (dir, m, FALSE, FALSE, NULL);
  json_object_unref (m);
  gst_object_unref (garbage);
  gst_object_unref (raw);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  rt_remove_tree (dir);
}

static GstPadProbeReturn
count_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
block_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  return GST_PAD_PROBE_OK;
}

static GstElement *
find_internal (GstElement * bin, const gchar * factory)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (bin));
  GValue v = G_VALUE_INIT;
  GstElement *found = NULL;

  while (!found && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    GstElementFactory *f = gst_element_get_factory (e);

    if (f && strcmp (GST_OBJECT_NAME (f), factory) == 0)
      found = gst_object_ref (e);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return found;
}

static GstMessage *
wait_element_message (GstBus * bus, const gchar * name, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;

  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg;

    if (left <= 0)
      return NULL;
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR);
    if (!msg)
      return NULL;
    g_assert_cmpint (GST_MESSAGE_TYPE (msg), !=, GST_MESSAGE_ERROR);
    if (gst_message_has_name (msg, name))
      return msg;
    gst_message_unref (msg);
  }
}

/* The writing side stops (a blocked pad inside, as a hung disk would):
 * upstream keeps flowing, the recorder drops and counts. */
static void
test_slow_disk (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true "
      "! video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 "
      "! rtpvp8pay ! identity name=up ! chunkrecordersink name=r location=%s "
      "chunk-duration=1000000000 max-queue-time=200000000", dir);
  g_autoptr (GError) err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *rec, *up, *mux;
  GstPad *up_src, *mux_pad;
  GstBus *bus;
  GstMessage *msg;
  gint pushed = 0, before;
  guint64 dropped = 0;
  gulong block;
  gint64 deadline;
  JsonObject *m;

  g_assert_no_error (err);
  rec = gst_bin_get_by_name (GST_BIN (pipeline), "r");
  up = gst_bin_get_by_name (GST_BIN (pipeline), "up");
  up_src = gst_element_get_static_pad (up, "src");
  gst_pad_add_probe (up_src, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &pushed,
      NULL);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  msg = wait_element_message (bus, "chunkrecordersink-chunk-opened", 20);
  g_assert_nonnull (msg);
  gst_message_unref (msg);
  mux = find_internal (rec, "splitmuxsink");
  g_assert_nonnull (mux);
  mux_pad = gst_element_get_static_pad (mux, "video");
  g_assert_nonnull (mux_pad);
  block = gst_pad_add_probe (mux_pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
      block_probe, NULL, NULL);

  /* at 200 ms of queue, dozens of packets must have been dropped within
   * a few seconds, while upstream kept pushing */
  before = g_atomic_int_get (&pushed);
  deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  while (dropped < 50 && g_get_monotonic_time () < deadline) {
    g_usleep (20 * 1000);       /* polling, with the deadline above */
    g_object_get (rec, "dropped", &dropped, NULL);
  }
  g_test_message ("dropped %" G_GUINT64_FORMAT ", upstream pushed %d while "
      "blocked", dropped, g_atomic_int_get (&pushed) - before);
  g_assert_cmpuint (dropped, >=, 50);
  g_assert_cmpint (g_atomic_int_get (&pushed) - before, >=, 50);

  /* the disk comes back: the recording finishes properly */
  gst_pad_remove_probe (mux_pad, block);
  gst_element_send_event (pipeline, gst_event_new_eos ());
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  m = rt_load_manifest (dir);
  g_assert_true (json_object_get_boolean_member (m, "complete"));
  g_assert_cmpuint (rt_check_chunks (dir, m, TRUE, FALSE, NULL), >=, 1);
  json_object_unref (m);
  gst_object_unref (mux_pad);
  gst_object_unref (mux);
  gst_object_unref (up_src);
  gst_object_unref (up);
  gst_object_unref (rec);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  rt_remove_tree (dir);
}

/* Releasing the participant's only pad closes its chunk and, being the
 * last pad, completes the recording. */
static void
test_release_pad (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *desc = g_strdup_printf ("videotestsrc is-live=true "
      "! video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 "
      "! rtpvp8pay name=pay ! chunkrecordersink name=r location=%s "
      "chunk-duration=1000000000", dir);
  g_autoptr (GError) err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *rec, *pay;
  GstPad *src, *sink;
  GstBus *bus;
  GstMessage *msg;
  JsonObject *m;

  g_assert_no_error (err);
  rec = gst_bin_get_by_name (GST_BIN (pipeline), "r");
  pay = gst_bin_get_by_name (GST_BIN (pipeline), "pay");
  src = gst_element_get_static_pad (pay, "src");
  sink = gst_pad_get_peer (src);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  msg = wait_element_message (bus, "chunkrecordersink-chunk-opened", 20);
  g_assert_nonnull (msg);
  gst_message_unref (msg);

  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, block_probe,
      NULL, NULL);
  gst_pad_unlink (src, sink);
  gst_element_release_request_pad (rec, sink);

  msg = wait_element_message (bus, "chunkrecordersink-chunk-closed", 20);
  g_assert_nonnull (msg);
  gst_message_unref (msg);
  msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_EOS |
      GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);

  m = rt_load_manifest (dir);
  g_assert_true (json_object_get_boolean_member (m, "complete"));
  g_assert_cmpuint (rt_check_chunks (dir, m, TRUE, FALSE, NULL), >=, 1);
  json_object_unref (m);
  gst_object_unref (sink);
  gst_object_unref (src);
  gst_object_unref (pay);
  gst_object_unref (rec);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  rt_remove_tree (dir);
}

/* Pops the first warning posted so far; NULL if there is none. */
static gchar *
pop_warning (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  g_autoptr (GError) err = NULL;

  if (!msg)
    return NULL;
  gst_message_parse_warning (msg, &err, NULL);
  gst_message_unref (msg);
  return g_strdup (err->message);
}

/* A manifest.json that is not ours is moved aside with a warning and a
 * new recording starts; a leftover chunk file is not overwritten. */
static void
test_broken_manifest (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree gchar *aside1 = g_strconcat (path, ".broken-1", NULL);
  g_autofree gchar *aside2 = g_strconcat (path, ".broken-2", NULL);
  g_autofree gchar *sub = g_build_filename (dir, "default", NULL);
  g_autofree gchar *leftover = g_build_filename (sub, "chunk-00000.mkv",
      NULL);
  g_autofree gchar *desc = g_strdup_printf (VP8_RTP ("90")
      " ! chunkrecordersink name=r location=%s chunk-duration=1000000000 "
      NONLIVE_QUEUE, dir);
  g_autoptr (GError) err = NULL;
  g_autofree gchar *warning = NULL;
  g_autofree gchar *back = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstElement *rec;
  GstBus *bus;
  JsonObject *m;
  JsonArray *chunks;
  guint i;

  g_assert_no_error (err);
  g_assert_true (g_file_set_contents (path, "{\"version\": 1, \"partic", -1,
          NULL));
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  g_assert_true (g_file_set_contents (leftover, "old", -1, NULL));

  /* the recorder checks the manifest while going to PAUSED */
  bus = gst_element_get_bus (pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  warning = pop_warning (bus);
  g_assert_nonnull (warning);
  g_assert_nonnull (strstr (warning, "manifest.json.broken-1"));
  g_assert_true (g_file_get_contents (aside1, &back, NULL, NULL));
  g_assert_cmpstr (back, ==, "{\"version\": 1, \"partic");
  g_clear_pointer (&back, g_free);

  rt_run_until_eos (pipeline, 60, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  m = rt_load_manifest (dir);
  g_assert_true (json_object_get_boolean_member (m, "complete"));
  g_assert_cmpint (json_object_get_int_member (m, "segment"), ==, 0);
  g_assert_cmpuint (rt_check_chunks (dir, m, TRUE, FALSE, NULL), >=, 2);
  chunks = rt_participant_chunks (m, "default");
  for (i = 0; i < json_array_get_length (chunks); i++)
    g_assert_cmpint (json_object_get_int_member
        (json_array_get_object_element (chunks, i), "index"), >, 0);
  g_assert_true (g_file_get_contents (leftover, &back, NULL, NULL));
  g_assert_cmpstr (back, ==, "old");
  json_object_unref (m);
  gst_object_unref (bus);
  gst_object_unref (pipeline);

  /* the next broken one goes next to it, not over it */
  g_assert_true (g_file_set_contents (path, "garbage", -1, NULL));
  rec = gst_element_factory_make ("chunkrecordersink", NULL);
  g_object_set (rec, "location", dir, NULL);
  bus = gst_bus_new ();
  gst_element_set_bus (rec, bus);
  g_assert_cmpint (gst_element_set_state (rec, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_clear_pointer (&warning, g_free);
  warning = pop_warning (bus);
  g_assert_nonnull (warning);
  g_assert_nonnull (strstr (warning, "manifest.json.broken-2"));
  g_assert_true (g_file_get_contents (aside2, &back, NULL, NULL));
  g_assert_cmpstr (back, ==, "garbage");
  g_assert_true (g_file_test (aside1, G_FILE_TEST_IS_REGULAR));
  gst_element_set_state (rec, GST_STATE_NULL);
  gst_element_set_bus (rec, NULL);
  gst_object_unref (bus);
  gst_object_unref (rec);
  rt_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  guint i;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recorder/element/properties", test_properties);
  g_test_add_func ("/recorder/element/states", test_states);
  for (i = 0; i < G_N_ELEMENTS (format_cases); i++) {
    g_autofree gchar *path = g_strdup_printf
        ("/recorder/element/participants/%s", format_cases[i].format);
    g_test_add_data_func (path, &format_cases[i], test_participants);
  }
  g_test_add_func ("/recorder/element/bad-input", test_bad_input);
  g_test_add_func ("/recorder/element/slow-disk", test_slow_disk);
  g_test_add_func ("/recorder/element/release-pad", test_release_pad);
  g_test_add_func ("/recorder/element/broken-manifest", test_broken_manifest);
  return g_test_run ();
}
