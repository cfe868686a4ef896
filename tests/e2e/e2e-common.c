/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Helpers of the gst e2e programs: see e2e-common.h. */

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/webrtc/webrtc.h>

#include "e2e-common.h"

/* ---------------------------------------------------------------------- */
/* convened */

struct _E2eServer
{
  gchar *bin;
  gchar *data_dir;
  gchar *ws_url;
  GSubprocess *proc;
};

static gboolean
run_cli (const gchar * bin, const gchar * data_dir, gchar ** out,
    GError ** error, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autofree gchar *stdout_buf = NULL;
  g_autofree gchar *stderr_buf = NULL;
  const gchar *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) bin);
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, (gpointer) data_dir);
  va_start (ap, error);
  while ((arg = va_arg (ap, const gchar *)))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (proc == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_buf,
          &stderr_buf, error))
    return FALSE;
  if (!g_subprocess_get_successful (proc)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s %s failed: %s",
        bin, (const gchar *) argv->pdata[3], stderr_buf ? stderr_buf : "");
    return FALSE;
  }
  if (out)
    *out = g_strdup (g_strstrip (stdout_buf));
  return TRUE;
}

E2eServer *
e2e_server_start (const gchar * bin, const gchar * const *users,
    GError ** error)
{
  return e2e_server_start_with_args (bin, users, NULL, error);
}

E2eServer *
e2e_server_start_with_args (const gchar * bin, const gchar * const *users,
    const gchar * const *extra_args, GError ** error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  E2eServer *srv = g_new0 (E2eServer, 1);
  g_autoptr (GDataInputStream) in = NULL;
  guint i;

  if (bin == NULL)
    bin = g_getenv ("CONVENE_BIN");
  if (bin == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "CONVENE_BIN is not set");
    goto fail;
  }
  srv->bin = g_strdup (bin);
  srv->data_dir = g_dir_make_tmp ("convene-e2e-XXXXXX", error);
  if (srv->data_dir == NULL)
    goto fail;

  for (i = 0; users && users[i]; i++) {
    if (!run_cli (bin, srv->data_dir, NULL, error, "user", "add", users[i],
            NULL))
      goto fail;
  }

  g_ptr_array_add (argv, (gpointer) bin);
  g_ptr_array_add (argv, (gpointer) "--listen");
  g_ptr_array_add (argv, (gpointer) "127.0.0.1:0");
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, srv->data_dir);
  for (i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  srv->proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  if (srv->proc == NULL)
    goto fail;

  /* convened prints "convened: listening on http://127.0.0.1:PORT/" once it
   * accepts connections: the port is only known from there. */
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (srv->proc));
  for (;;) {
    g_autofree gchar *line = g_data_input_stream_read_line_utf8 (in, NULL,
        NULL, error);
    const gchar *p;

    if (line == NULL) {
      if (error && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
            "convened exited before listening");
      goto fail;
    }
    if ((p = strstr (line, "listening on http://"))) {
      g_autofree gchar *hostport = g_strdup (p + strlen ("listening on http://"));
      gchar *slash = strchr (hostport, '/');

      if (slash)
        *slash = '\0';
      srv->ws_url = g_strdup_printf ("ws://%s/ws", hostport);
      break;
    }
  }
  return srv;

fail:
  e2e_server_stop (srv);
  return NULL;
}

const gchar *
e2e_server_data_dir (E2eServer * server)
{
  return server->data_dir;
}

const gchar *
e2e_server_ws_url (E2eServer * srv)
{
  return srv->ws_url;
}

gchar *
e2e_server_meeting_token (E2eServer * srv, const gchar * user,
    const gchar * meeting, GError ** error)
{
  gchar *token = NULL;

  if (!run_cli (srv->bin, srv->data_dir, &token, error, "token", "--user",
          user, "--meeting", meeting, NULL))
    return NULL;
  return token;
}

gchar *
e2e_server_admin_token (E2eServer * srv, const gchar * user, GError ** error)
{
  gchar *token = NULL;

  if (!run_cli (srv->bin, srv->data_dir, &token, error, "token", "--user",
          user, "--grants", "admin,record,publish,subscribe", NULL))
    return NULL;
  return token;
}

gchar *
e2e_server_token (E2eServer * srv, const gchar * user, GError ** error)
{
  gchar *token = NULL;

  if (!run_cli (srv->bin, srv->data_dir, &token, error, "token", "--user",
          user, NULL))
    return NULL;
  return token;
}

static void
remove_tree (const gchar * path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir) {
    while ((name = g_dir_read_name (dir))) {
      g_autofree gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR)
          && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

void
e2e_server_stop (E2eServer * srv)
{
  if (srv == NULL)
    return;
  if (srv->proc) {
    g_subprocess_send_signal (srv->proc, SIGTERM);
    g_subprocess_wait (srv->proc, NULL, NULL);
    g_object_unref (srv->proc);
  }
  if (srv->data_dir)
    remove_tree (srv->data_dir);
  g_free (srv->data_dir);
  g_free (srv->ws_url);
  g_free (srv->bin);
  g_free (srv);
}

/* ---------------------------------------------------------------------- */
/* Test peer */

struct _E2ePeer
{
  gchar *name;
  GstElement *pipeline;
  GstElement *bridge;
  guint bus_watch;

  /* counters_lock protects video_frames, video_publishers, audio_buffers,
   * audio_frames, audio_publishers, first_frame_time: the pad probes run in
   * streaming threads. */
  GMutex counters_lock;
  GArray *video_frames;         /* guint per video track */
  GPtrArray *video_publishers;  /* participant-id per video track, or "" */
  guint audio_buffers;
  GArray *audio_frames;         /* guint per audio track */
  GPtrArray *audio_publishers;  /* participant-id per audio track, or "" */
  gint64 first_frame_time;

  /* Main-thread only (bus watch): */
  gchar *state;
  gchar *error;
  gint64 calling_time;
  gint64 connected_time;
  gboolean leave_extra_video_unlinked;
  gchar *participant_id;        /* from signalbridge-meeting */
};

typedef struct
{
  E2ePeer *peer;
  gint video_index;             /* -1 for audio */
  gint audio_index;             /* -1 for video */
} ProbeData;

static GstPadProbeReturn
count_buffers (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  ProbeData *d = user_data;
  E2ePeer *peer = d->peer;
  guint n = 1;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    n = gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info));

  g_mutex_lock (&peer->counters_lock);
  if (d->video_index >= 0) {
    g_array_index (peer->video_frames, guint, d->video_index) += n;
    if (peer->first_frame_time == 0)
      peer->first_frame_time = g_get_monotonic_time ();
  } else {
    peer->audio_buffers += n;
    g_array_index (peer->audio_frames, guint, d->audio_index) += n;
  }
  g_mutex_unlock (&peer->counters_lock);
  return GST_PAD_PROBE_OK;
}

static void
on_bridge_pad_added (GstElement * bridge, GstPad * pad, E2ePeer * peer)
{
  GstElement *queue, *sink;
  GstPad *sinkpad;
  ProbeData *d;
  guint zero = 0;
  gchar *publisher = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  d = g_new0 (ProbeData, 1);
  d->peer = peer;
  d->video_index = -1;
  d->audio_index = -1;
  /* In a meeting the pad names the participant whose track it is. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (pad),
          "participant-id"))
    g_object_get (pad, "participant-id", &publisher, NULL);
  if (publisher == NULL)
    publisher = g_strdup ("");
  g_mutex_lock (&peer->counters_lock);
  if (g_str_has_prefix (GST_PAD_NAME (pad), "video_")) {
    d->video_index = peer->video_frames->len;
    g_array_append_val (peer->video_frames, zero);
    g_ptr_array_add (peer->video_publishers, publisher);
  } else {
    d->audio_index = peer->audio_frames->len;
    g_array_append_val (peer->audio_frames, zero);
    g_ptr_array_add (peer->audio_publishers, publisher);
  }
  g_mutex_unlock (&peer->counters_lock);
  if (d->video_index > 0 && peer->leave_extra_video_unlinked) {
    g_free (d);
    return;
  }
  gst_pad_add_probe (pad,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      count_buffers, d, g_free);

  queue = gst_element_factory_make ("queue", NULL);
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (peer->pipeline), queue, sink, NULL);
  gst_element_link (queue, sink);
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (queue);
  sinkpad = gst_element_get_static_pad (queue, "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("%s: could not link %s\n", peer->name, GST_PAD_NAME (pad));
  gst_object_unref (sinkpad);
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  E2ePeer *peer = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("%s: error from %s: %s (%s)\n", peer->name,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
          dbg ? dbg : "");
      if (peer->error == NULL)
        peer->error = g_strdup (err->message);
      g_error_free (err);
      g_free (dbg);
      break;
    }
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);

      if (gst_structure_has_name (s, "signalbridge-call-state")) {
        const gchar *state = gst_structure_get_string (s, "state");

        g_free (peer->state);
        peer->state = g_strdup (state);
        if (g_strcmp0 (state, "connected") == 0 && peer->connected_time == 0)
          peer->connected_time = g_get_monotonic_time ();
        if (g_strcmp0 (state, "calling") == 0 && peer->calling_time == 0)
          peer->calling_time = g_get_monotonic_time ();
        g_printerr ("%s: call state %s (reason %s)\n", peer->name, state,
            GST_STR_NULL (gst_structure_get_string (s, "reason")));
      } else if (gst_structure_has_name (s, "signalbridge-meeting")) {
        const gchar *id = gst_structure_get_string (s, "participant-id");

        if (id) {
          g_free (peer->participant_id);
          peer->participant_id = g_strdup (id);
        }
        g_printerr ("%s: meeting mode %s\n", peer->name,
            gst_structure_get_string (s, "mode"));
      }
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

void
e2e_call_configs (E2ePeerConfig * caller, E2ePeerConfig * callee,
    const gchar * uri, const gchar * caller_token, const gchar * callee_token)
{
  memset (caller, 0, sizeof (*caller));
  memset (callee, 0, sizeof (*callee));
  callee->uri = caller->uri = uri;
  callee->allow_loopback = caller->allow_loopback = TRUE;
  callee->token = callee_token;
  callee->answer = TRUE;
  callee->name = "bob";
  caller->token = caller_token;
  caller->call = "bob";
  caller->name = "alice";
}

E2ePeer *
e2e_peer_new (const E2ePeerConfig * config, GError ** error)
{
  E2ePeer *peer = g_new0 (E2ePeer, 1);
  GstElement *vsrc, *vcaps, *asrc;
  GstCaps *caps;
  GstBus *bus;

  g_mutex_init (&peer->counters_lock);
  peer->video_frames = g_array_new (FALSE, TRUE, sizeof (guint));
  peer->video_publishers = g_ptr_array_new_with_free_func (g_free);
  peer->audio_frames = g_array_new (FALSE, TRUE, sizeof (guint));
  peer->audio_publishers = g_ptr_array_new_with_free_func (g_free);
  peer->name = g_strdup (config->name ? config->name : "peer");
  peer->state = g_strdup ("none");
  peer->leave_extra_video_unlinked = config->leave_extra_video_unlinked;

  peer->pipeline = gst_pipeline_new (peer->name);
  peer->bridge = gst_element_factory_make ("signalbridge", NULL);
  vsrc = gst_element_factory_make ("videotestsrc", NULL);
  vcaps = gst_element_factory_make ("capsfilter", NULL);
  asrc = gst_element_factory_make ("audiotestsrc", NULL);
  if (!peer->bridge || !vsrc || !vcaps || !asrc) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "missing signalbridge or test sources");
    if (peer->bridge)
      gst_object_unref (peer->bridge);
    peer->bridge = NULL;
    g_clear_pointer (&vsrc, gst_object_unref);
    g_clear_pointer (&vcaps, gst_object_unref);
    g_clear_pointer (&asrc, gst_object_unref);
    e2e_peer_free (peer);
    return NULL;
  }

  g_object_set (vsrc, "is-live", TRUE, NULL);
  gst_util_set_object_arg (G_OBJECT (vsrc), "pattern", "ball");
  g_object_set (asrc, "is-live", TRUE, NULL);
  caps = gst_caps_from_string
      ("video/x-raw,width=320,height=240,framerate=30/1");
  g_object_set (vcaps, "caps", caps, NULL);
  gst_caps_unref (caps);

  g_object_set (peer->bridge, "uri", config->uri, "token", config->token,
      "answer", config->answer, "allow-loopback", config->allow_loopback,
      NULL);
  if (config->call)
    g_object_set (peer->bridge, "call", config->call, NULL);
  if (config->meeting)
    g_object_set (peer->bridge, "meeting", config->meeting, NULL);
  if (config->relay)
    gst_util_set_object_arg (G_OBJECT (peer->bridge), "ice-transport-policy",
        "relay");
  if (config->video_codec)
    gst_util_set_object_arg (G_OBJECT (peer->bridge), "video-codec",
        config->video_codec);
  if (config->turn_server)
    g_object_set (peer->bridge, "turn-server", config->turn_server, NULL);
  if (config->stun_server)
    g_object_set (peer->bridge, "stun-server", config->stun_server, NULL);
  g_signal_connect (peer->bridge, "pad-added",
      G_CALLBACK (on_bridge_pad_added), peer);

  gst_bin_add_many (GST_BIN (peer->pipeline), vsrc, vcaps, asrc,
      gst_object_ref (peer->bridge), NULL);
  if (!gst_element_link_many (vsrc, vcaps, peer->bridge, NULL)
      || !gst_element_link (asrc, peer->bridge)) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "could not link the test sources to signalbridge");
    e2e_peer_free (peer);
    return NULL;
  }

  bus = gst_pipeline_get_bus (GST_PIPELINE (peer->pipeline));
  peer->bus_watch = gst_bus_add_watch (bus, on_bus_message, peer);
  gst_object_unref (bus);
  return peer;
}

gboolean
e2e_peer_start (E2ePeer * peer)
{
  return gst_element_set_state (peer->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE;
}

void
e2e_peer_hangup (E2ePeer * peer)
{
  g_signal_emit_by_name (peer->bridge, "hangup");
}

gboolean
e2e_peer_add_video_track (E2ePeer * peer)
{
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  GstElement *filter = gst_element_factory_make ("capsfilter", NULL);
  GstCaps *caps = gst_caps_from_string
      ("video/x-raw,width=320,height=180,framerate=15/1");
  gboolean ok;

  g_object_set (src, "is-live", TRUE, NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_bin_add_many (GST_BIN (peer->pipeline), src, filter, NULL);
  ok = gst_element_link_many (src, filter, peer->bridge, NULL);
  gst_element_sync_state_with_parent (filter);
  gst_element_sync_state_with_parent (src);
  return ok;
}

void
e2e_peer_free (E2ePeer * peer)
{
  if (peer == NULL)
    return;
  if (peer->pipeline) {
    gst_element_set_state (peer->pipeline, GST_STATE_NULL);
    gst_object_unref (peer->pipeline);
  }
  if (peer->bus_watch)
    g_source_remove (peer->bus_watch);
  if (peer->bridge)
    gst_object_unref (peer->bridge);
  g_array_unref (peer->video_frames);
  g_ptr_array_unref (peer->video_publishers);
  g_array_unref (peer->audio_frames);
  g_ptr_array_unref (peer->audio_publishers);
  g_free (peer->participant_id);
  g_mutex_clear (&peer->counters_lock);
  g_free (peer->name);
  g_free (peer->state);
  g_free (peer->error);
  g_free (peer);
}

guint
e2e_peer_video_tracks (E2ePeer * peer)
{
  guint n;

  g_mutex_lock (&peer->counters_lock);
  n = peer->video_frames->len;
  g_mutex_unlock (&peer->counters_lock);
  return n;
}

guint
e2e_peer_video_frames (E2ePeer * peer, guint i)
{
  guint n = 0;

  g_mutex_lock (&peer->counters_lock);
  if (i < peer->video_frames->len)
    n = g_array_index (peer->video_frames, guint, i);
  g_mutex_unlock (&peer->counters_lock);
  return n;
}

guint
e2e_peer_min_video_frames (E2ePeer * peer)
{
  guint i, n = 0;

  g_mutex_lock (&peer->counters_lock);
  for (i = 0; i < peer->video_frames->len; i++) {
    guint f = g_array_index (peer->video_frames, guint, i);

    n = i == 0 ? f : MIN (n, f);
  }
  g_mutex_unlock (&peer->counters_lock);
  return n;
}

guint
e2e_peer_audio_buffers (E2ePeer * peer)
{
  guint n;

  g_mutex_lock (&peer->counters_lock);
  n = peer->audio_buffers;
  g_mutex_unlock (&peer->counters_lock);
  return n;
}

const gchar *
e2e_peer_state (E2ePeer * peer)
{
  return peer->state;
}

gboolean
e2e_peer_signed_in_or_failed (gpointer data)
{
  E2ePeer *peer = data;

  return peer->error != NULL || g_strcmp0 (peer->state, "connected") == 0;
}

const gchar *
e2e_peer_error (E2ePeer * peer)
{
  return peer->error;
}

gint64
e2e_peer_first_frame_time (E2ePeer * peer)
{
  gint64 t;

  g_mutex_lock (&peer->counters_lock);
  t = peer->first_frame_time;
  g_mutex_unlock (&peer->counters_lock);
  return t;
}

gint64
e2e_peer_calling_time (E2ePeer * peer)
{
  return peer->calling_time;
}

gint64
e2e_peer_connected_time (E2ePeer * peer)
{
  return peer->connected_time;
}

typedef struct
{
  const GstStructure *stats;
  gchar *type;
} PairScan;

static gboolean
find_selected_pair (GQuark field, const GValue * value, gpointer user_data)
{
  PairScan *scan = user_data;
  const GstStructure *s, *local;
  GstWebRTCStatsType type;
  const gchar *local_id;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL)
      || type != GST_WEBRTC_STATS_CANDIDATE_PAIR)
    return TRUE;
  local_id = gst_structure_get_string (s, "local-candidate-id");
  if (local_id == NULL || !gst_structure_has_field_typed (scan->stats,
          local_id, GST_TYPE_STRUCTURE))
    return TRUE;
  gst_structure_get (scan->stats, local_id, GST_TYPE_STRUCTURE, &local, NULL);
  if (local) {
    const gchar *ctype = gst_structure_get_string (local, "candidate-type");

    if (ctype) {
      g_free (scan->type);
      scan->type = g_strdup (ctype);
    }
    gst_structure_free ((GstStructure *) local);
  }
  /* webrtcbin reports only the selected pair per transport. */
  return scan->type == NULL;
}

gchar *
e2e_peer_selected_pair (E2ePeer * peer)
{
  GstStructure *stats = NULL;
  PairScan scan = { NULL, NULL };

  g_object_get (peer->bridge, "stats", &stats, NULL);
  if (stats == NULL)
    return g_strdup ("none");
  scan.stats = stats;
  gst_structure_foreach (stats, find_selected_pair, &scan);
  gst_structure_free (stats);
  return scan.type ? scan.type : g_strdup ("none");
}

/* Call with counters_lock taken */
static void
append_publishers (GString * s, const gchar * name, GPtrArray * publishers)
{
  guint i;

  g_string_append_printf (s, ",\"%s\":[", name);
  for (i = 0; i < publishers->len; i++) {
    g_autofree gchar *esc = g_strescape (g_ptr_array_index (publishers, i),
        NULL);

    g_string_append_printf (s, "%s\"%s\"", i ? "," : "", esc);
  }
  g_string_append_c (s, ']');
}

gchar *
e2e_peer_status_json (E2ePeer * peer)
{
  GString *s = g_string_new ("{\"video_tracks\":");
  g_autofree gchar *pair = e2e_peer_selected_pair (peer);
  guint i, n = e2e_peer_video_tracks (peer);

  g_string_append_printf (s, "%u,\"video_frames\":[", n);
  for (i = 0; i < n; i++)
    g_string_append_printf (s, "%s%u", i ? "," : "",
        e2e_peer_video_frames (peer, i));
  g_string_append_printf (s, "],\"audio_buffers\":%u,\"state\":\"%s\","
      "\"selected_pair\":\"%s\"", e2e_peer_audio_buffers (peer),
      peer->state, pair);
  /* Meetings: whose each track is, so a test checks every publisher. */
  g_mutex_lock (&peer->counters_lock);
  append_publishers (s, "video_publishers", peer->video_publishers);
  append_publishers (s, "audio_publishers", peer->audio_publishers);
  g_string_append (s, ",\"audio_track_buffers\":[");
  for (i = 0; i < peer->audio_frames->len; i++)
    g_string_append_printf (s, "%s%u", i ? "," : "",
        g_array_index (peer->audio_frames, guint, i));
  g_string_append_c (s, ']');
  g_mutex_unlock (&peer->counters_lock);
  if (peer->error) {
    g_autofree gchar *esc = g_strescape (peer->error, NULL);

    g_string_append_printf (s, ",\"error\":\"%s\"", esc);
  }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
on_wait_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
e2e_wait_until (gboolean (*done) (gpointer), gpointer data, gdouble timeout_s)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add ((guint) (timeout_s * 1000), on_wait_timeout,
      &expired);
  /* Counters move in streaming threads, which do not wake the main context:
   * a short tick re-checks them. */
  guint tick = g_timeout_add (20, on_wait_tick, NULL);
  gboolean ok;

  while (!(ok = done (data)) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_source_remove (tick);
  return ok;
}

/* ---------------------------------------------------------------------- */
/* TAP */

static guint tap_count;
static gboolean tap_failed;

void
e2e_tap (gboolean ok, const gchar * what)
{
  g_print ("%sok %u - %s\n", ok ? "" : "not ", ++tap_count, what);
  /* Also on stderr, which meson prints for a failed test next to the
   * programs' own diagnostics (it keeps only a summary of the TAP). */
  if (!ok)
    g_printerr ("not ok %u - %s\n", tap_count, what);
  if (!ok)
    tap_failed = TRUE;
}

gboolean
e2e_tap_failed (void)
{
  return tap_failed;
}

gchar *
e2e_peer_video_publisher (E2ePeer * peer, guint i)
{
  gchar *id = NULL;

  g_mutex_lock (&peer->counters_lock);
  if (i < peer->video_publishers->len)
    id = g_strdup (g_ptr_array_index (peer->video_publishers, i));
  g_mutex_unlock (&peer->counters_lock);
  return id;
}

const gchar *
e2e_peer_participant_id (E2ePeer * peer)
{
  return peer->participant_id;
}

static gboolean
joined_or_failed (gpointer data)
{
  E2ePeer *bot = data;

  return e2e_peer_error (bot) != NULL || e2e_peer_participant_id (bot);
}

E2ePeer *
e2e_meeting_bot_join (E2eServer * server, const gchar * token,
    const gchar * name, const gchar * meeting, GError ** error)
{
  E2ePeerConfig config = { 0 };
  E2ePeer *bot;

  config.uri = e2e_server_ws_url (server);
  config.token = token;
  config.allow_loopback = TRUE;
  config.name = name;
  config.meeting = meeting;
  bot = e2e_peer_new (&config, error);
  if (bot == NULL)
    return NULL;
  if (!e2e_peer_start (bot) || !e2e_wait_until (joined_or_failed, bot, 10.0)
      || e2e_peer_error (bot) != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s did not join %s: "
        "%s", name, meeting, GST_STR_NULL (e2e_peer_error (bot)));
    e2e_peer_free (bot);
    return NULL;
  }
  return bot;
}

gboolean
e2e_peers_see_each_other (gpointer data)
{
  E2ePeerSet *set = data;
  guint i;

  for (i = 0; i < set->n; i++) {
    if (e2e_peer_error (set->peers[i]))
      return TRUE;
    if (e2e_peer_video_tracks (set->peers[i]) < set->n - 1
        || e2e_peer_min_video_frames (set->peers[i]) < set->min_frames)
      return FALSE;
  }
  return TRUE;
}
