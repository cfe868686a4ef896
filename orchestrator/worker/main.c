/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* convene-worker: runs one meeting's media pipeline for convened.
 *
 *   convene-worker PIPELINE_FILE MEETING_ID=… SIGNALING_URI=… WORKER_TOKEN=… DATA_DIR=…
 *
 * Exit status (convened restarts a worker that exits non-zero, docs/worker.md):
 *   0  EOS reached the bus after SIGTERM / SIGINT (or 5 s went by), or the
 *      pipeline ended by itself;
 *   1  the pipeline failed while running: a restart may help;
 *   2  the command line, the pipeline file, a variable or the pipeline text
 *      is wrong: a restart will fail the same way.
 */

#include <gst/gst.h>
#include <glib-unix.h>
#include <errno.h>
#include <signal.h>

#include "pipeline-text.h"
#include "wiring.h"

#define EXIT_RUNTIME 1
#define EXIT_INPUT 2
/* How long SIGTERM waits for EOS to drain before giving up on it. */
#define EOS_TIMEOUT_S 5

/* How long a stopped recorder may take to close its chunks. */
#define RECORDER_STOP_TIMEOUT_S 10
#define DEFAULT_CHUNK_DURATION "2000000000"

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  CnvWorkerWiring *wiring;      /* NULL without bridge + router */
  gchar *pipeline_file;
  GHashTable *vars;             /* the NAME=VALUE arguments */
  /* The recording (docs/recording.md): the recorder taking the tracks, and
   * one that was stopped and is closing its chunks. */
  GstElement *recorder;
  gchar *recording_id;
  GstElement *closing_recorder;
  guint closing_timeout_id;
  gboolean eos_sent;
  guint eos_timeout_id;
  gboolean announced_playing;
  gboolean error_reported;
  int status;
} Worker;

static void
worker_quit (Worker * w, int status)
{
  w->status = status;
  g_main_loop_quit (w->loop);
}

static gboolean
eos_timeout_cb (gpointer user_data)
{
  Worker *w = user_data;

  g_printerr ("convene-worker: no EOS within %d s, stopping anyway\n",
      EOS_TIMEOUT_S);
  w->eos_timeout_id = 0;
  worker_quit (w, 0);
  return G_SOURCE_REMOVE;
}

static gboolean
has_sink (GstBin * bin)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_sinks (bin);
  GValue v = G_VALUE_INIT;
  gboolean found = gst_iterator_next (it, &v) == GST_ITERATOR_OK;

  g_value_unset (&v);
  return found;
}

static void recording_stop (Worker * w);

/* The second half of a stop: EOS into the pipeline, once no recorder is
 * left closing its chunks. */
static void
send_eos (Worker * w)
{
  g_printerr ("convene-worker: sending EOS\n");
  gst_element_send_event (w->pipeline, gst_event_new_eos ());
  /* A bin posts EOS once all its sinks have; the meeting pipeline (bridge
   * and router) has none, so no EOS message will come. signalbridge hangs
   * up inside send_event, so by now it is done. */
  if (!has_sink (GST_BIN (w->pipeline))) {
    g_printerr ("convene-worker: EOS sent, no sink to wait for, exiting\n");
    worker_quit (w, 0);
  }
}

static gboolean
stop_signal_cb (gpointer user_data)
{
  Worker *w = user_data;

  if (w->eos_sent) {
    /* A second signal: the sender does not want to wait for the drain. */
    g_printerr ("convene-worker: second stop signal, stopping now\n");
    worker_quit (w, 0);
    return G_SOURCE_CONTINUE;
  }
  g_printerr ("convene-worker: stop signal\n");
  w->eos_sent = TRUE;
  /* A recording is closed first (its chunks and manifest), then EOS. */
  recording_stop (w);
  w->eos_timeout_id = g_timeout_add_seconds (EOS_TIMEOUT_S +
      (w->closing_recorder ? RECORDER_STOP_TIMEOUT_S : 0), eos_timeout_cb, w);
  if (!w->closing_recorder)
    send_eos (w);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Recording: convened says start/stop through the bridge's "recording"
 * signal; the recorder is built from the recorder pipeline text and fed by
 * the wiring like one more subscriber of every track. */

static void
recorder_closed (Worker * w)
{
  GstElement *rec = g_steal_pointer (&w->closing_recorder);

  if (w->closing_timeout_id) {
    g_source_remove (w->closing_timeout_id);
    w->closing_timeout_id = 0;
  }
  if (!rec)
    return;
  gst_element_set_locked_state (rec, TRUE);
  gst_element_set_state (rec, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (w->pipeline), rec);
  gst_object_unref (rec);
  g_printerr ("convene-worker: recorder closed\n");
  if (w->eos_sent)
    send_eos (w);
}

static gboolean
closing_timeout_cb (gpointer user_data)
{
  Worker *w = user_data;

  g_printerr ("convene-worker: the recorder did not finish within %d s, "
      "removing it\n", RECORDER_STOP_TIMEOUT_S);
  w->closing_timeout_id = 0;
  recorder_closed (w);
  return G_SOURCE_REMOVE;
}

static void
recording_stop (Worker * w)
{
  if (!w->recorder)
    return;
  g_printerr ("convene-worker: recording %s stops\n", w->recording_id);
  /* Releasing its pads makes a chunkrecordersink close every chunk,
   * complete the manifest and post EOS (forwarded to us, see main()). */
  if (w->wiring)
    cnv_worker_wiring_set_recorder (w->wiring, NULL);
  if (w->closing_recorder)
    recorder_closed (w);
  w->closing_recorder = g_steal_pointer (&w->recorder);
  g_clear_pointer (&w->recording_id, g_free);
  w->closing_timeout_id = g_timeout_add_seconds (RECORDER_STOP_TIMEOUT_S,
      closing_timeout_cb, w);
}

static gchar *
recorder_pipeline_file (Worker * w)
{
  const gchar *set = g_hash_table_lookup (w->vars, "RECORDER_PIPELINE");
  g_autofree gchar *dir = NULL;

  if (set && *set)
    return g_strdup (set);
  dir = g_path_get_dirname (w->pipeline_file);
  return g_build_filename (dir, "recorder.pipeline", NULL);
}

/* Builds the recorder; prints why not and returns NULL. */
static GstElement *
recorder_build (Worker * w, const gchar * recording_id, const gchar * dir)
{
  g_autofree gchar *file = recorder_pipeline_file (w);
  g_autoptr (GHashTable) vars = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *raw = NULL;
  g_autofree gchar *text = NULL;
  GHashTableIter iter;
  gpointer k, v;
  GstElement *rec;

  g_hash_table_iter_init (&iter, w->vars);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (vars, k, v);
  g_hash_table_insert (vars, (gpointer) "RECORDING_DIR", (gpointer) dir);
  g_hash_table_insert (vars, (gpointer) "RECORDING_ID",
      (gpointer) recording_id);
  if (!g_hash_table_contains (vars, "CHUNK_DURATION"))
    g_hash_table_insert (vars, (gpointer) "CHUNK_DURATION",
        (gpointer) DEFAULT_CHUNK_DURATION);

  if (!g_file_get_contents (file, &raw, NULL, &error)
      || !(text = cnv_pipeline_text_substitute (raw, vars, &error))) {
    g_printerr ("convene-worker: recorder: %s\n", error->message);
    return NULL;
  }
  rec = gst_parse_launch_full (text, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
      &error);
  if (!rec) {
    g_printerr ("convene-worker: %s: %s\n", file,
        error ? error->message : "cannot be parsed");
    return NULL;
  }
  /* One element with request sink pads sink_%u (a chunkrecordersink). */
  if (GST_IS_PIPELINE (rec) || !gst_element_class_get_pad_template
      (GST_ELEMENT_GET_CLASS (rec), "sink_%u")) {
    g_printerr ("convene-worker: %s: must describe one element with request "
        "pads sink_%%u\n", file);
    gst_object_unref (rec);
    return NULL;
  }
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (rec), "recording-id"))
    g_object_set (rec, "recording-id", recording_id, NULL);
  return rec;
}

static void
recording_start (Worker * w, const gchar * recording_id, const gchar * dir)
{
  GstElement *rec;

  if (w->eos_sent || !w->wiring)
    return;
  /* convened sends start again to a worker that (re)joins. */
  if (w->recorder && g_strcmp0 (w->recording_id, recording_id) == 0)
    return;
  recording_stop (w);
  if (g_mkdir_with_parents (dir, 0750) != 0) {
    g_printerr ("convene-worker: recording %s: cannot make %s: %s\n",
        recording_id, dir, g_strerror (errno));
    return;
  }
  rec = recorder_build (w, recording_id, dir);
  if (!rec)
    return;
  gst_bin_add (GST_BIN (w->pipeline), rec);
  if (!gst_element_sync_state_with_parent (rec)) {
    g_printerr ("convene-worker: recording %s: the recorder does not start\n",
        recording_id);
    gst_element_set_state (rec, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (w->pipeline), rec);
    return;
  }
  w->recorder = gst_object_ref (rec);
  w->recording_id = g_strdup (recording_id);
  cnv_worker_wiring_set_recorder (w->wiring, rec);
  g_printerr ("convene-worker: recording %s into %s\n", recording_id, dir);
}

typedef struct
{
  Worker *w;
  gchar *action;
  gchar *recording_id;
  gchar *dir;
} RecordingCall;

static void
recording_call_free (gpointer p)
{
  RecordingCall *c = p;

  g_free (c->action);
  g_free (c->recording_id);
  g_free (c->dir);
  g_free (c);
}

static gboolean
recording_call_cb (gpointer user_data)
{
  RecordingCall *c = user_data;

  if (g_str_equal (c->action, "start"))
    recording_start (c->w, c->recording_id, c->dir);
  else if (c->w->recorder && g_strcmp0 (c->w->recording_id,
          c->recording_id) == 0)
    recording_stop (c->w);
  return G_SOURCE_REMOVE;
}

/* From the bridge's signalling thread: handled in the main loop. */
static void
on_recording (GstElement * bridge, const gchar * action,
    const gchar * recording_id, const gchar * dir, Worker * w)
{
  RecordingCall *c = g_new0 (RecordingCall, 1);

  c->w = w;
  c->action = g_strdup (action);
  c->recording_id = g_strdup (recording_id);
  c->dir = g_strdup (dir);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, recording_call_cb, c,
      recording_call_free);
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Worker *w = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      g_autoptr (GError) err = NULL;
      g_autofree gchar *debug = NULL;
      g_autofree gchar *path = gst_object_get_path_string (msg->src);

      /* The first error says why; the ones after it are consequences. */
      if (w->error_reported)
        break;
      w->error_reported = TRUE;
      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("convene-worker: error from %s: %s\n%s%s", path,
          err->message, debug ? debug : "", debug ? "\n" : "");
      worker_quit (w, EXIT_RUNTIME);
      break;
    }
    case GST_MESSAGE_WARNING:{
      g_autoptr (GError) err = NULL;
      g_autofree gchar *path = gst_object_get_path_string (msg->src);

      gst_message_parse_warning (msg, &err, NULL);
      g_printerr ("convene-worker: warning from %s: %s\n", path, err->message);
      break;
    }
    case GST_MESSAGE_EOS:
      /* The pipeline also says EOS when a stopped recorder was its only
       * sink; only the EOS we asked for ends the worker. */
      if (!w->eos_sent)
        break;
      g_printerr ("convene-worker: EOS, exiting\n");
      worker_quit (w, 0);
      break;
    case GST_MESSAGE_STATE_CHANGED:{
      GstState new_state;

      if (msg->src != GST_OBJECT (w->pipeline) || w->announced_playing)
        break;
      gst_message_parse_state_changed (msg, NULL, &new_state, NULL);
      /* One line for whoever supervises us (and the tests): the pipeline
       * is up. */
      if (new_state == GST_STATE_PLAYING) {
        w->announced_playing = TRUE;
        g_printerr ("convene-worker: playing\n");
      }
      break;
    }
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *st = gst_message_get_structure (msg);

      /* message-forward: a child's own EOS, seen through the pipeline. */
      if (st && gst_structure_has_name (st, "GstBinForwarded")) {
        g_autoptr (GstMessage) inner = NULL;

        gst_structure_get (st, "message", GST_TYPE_MESSAGE, &inner, NULL);
        if (inner && GST_MESSAGE_TYPE (inner) == GST_MESSAGE_EOS
            && w->closing_recorder
            && GST_MESSAGE_SRC (inner) == GST_OBJECT (w->closing_recorder))
          recorder_closed (w);
        break;
      }
      if (w->wiring)
        cnv_worker_wiring_handle_message (w->wiring, msg);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_idle_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Reads and substitutes the pipeline file; prints why not and returns
 * NULL. */
static gchar *
load_pipeline_text (const gchar * file, gchar ** assignments,
    GHashTable * vars)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *raw = NULL;
  gchar *text;
  guint i;

  for (i = 0; assignments && assignments[i]; i++) {
    if (!cnv_pipeline_text_parse_assignment (assignments[i], vars, &error)) {
      g_printerr ("convene-worker: %s\n", error->message);
      return NULL;
    }
  }
  if (!g_file_get_contents (file, &raw, NULL, &error)) {
    g_printerr ("convene-worker: %s\n", error->message);
    return NULL;
  }
  if (!g_utf8_validate (raw, -1, NULL)) {
    g_printerr ("convene-worker: %s: not UTF-8 text\n", file);
    return NULL;
  }
  text = cnv_pipeline_text_substitute (raw, vars, &error);
  if (!text)
    g_printerr ("convene-worker: %s: %s\n", file, error->message);
  return text;
}

/* Builds the pipeline; prints why not and returns NULL. */
static GstElement *
build_pipeline (const gchar * file, const gchar * text)
{
  g_autoptr (GError) error = NULL;
  GstElement *parsed;
  GstElement *pipeline;

  parsed = gst_parse_launch_full (text, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
      &error);
  if (!parsed) {
    g_printerr ("convene-worker: %s: %s\n", file,
        error ? error->message : "cannot be parsed");
    return NULL;
  }
  if (GST_IS_PIPELINE (parsed))
    return parsed;
  /* A text with a single element parses to that element alone. */
  pipeline = gst_pipeline_new (NULL);
  gst_bin_add (GST_BIN (pipeline), parsed);
  return pipeline;
}

static gboolean
setup_wiring (Worker * w)
{
  g_autoptr (GstElement) bridge = gst_bin_get_by_name (GST_BIN (w->pipeline),
      "bridge");
  g_autoptr (GstElement) router = gst_bin_get_by_name (GST_BIN (w->pipeline),
      "router");
  g_autoptr (GError) error = NULL;

  /* Pipelines without an SFU (a recorder, a test) have nothing to wire. */
  if (!bridge || !router)
    return TRUE;
  w->wiring = cnv_worker_wiring_new (bridge, router, &error);
  if (!w->wiring) {
    g_printerr ("convene-worker: cannot wire \"bridge\" to \"router\": %s\n",
        error->message);
    return FALSE;
  }
  if (g_signal_lookup ("recording", G_OBJECT_TYPE (bridge)))
    g_signal_connect (bridge, "recording", G_CALLBACK (on_recording), w);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) remaining = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr (GstBus) bus = NULL;
  gboolean print_only = FALSE;
  Worker w = { 0, };
  guint sigterm_id, sigint_id, bus_id;
  GOptionEntry entries[] = {
    {"print", 0, 0, G_OPTION_ARG_NONE, &print_only,
        "Print the pipeline text after substitution and exit", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &remaining, NULL,
        "PIPELINE_FILE [NAME=VALUE…]"},
    {NULL}
  };

  ctx = g_option_context_new ("PIPELINE_FILE [NAME=VALUE…]");
  g_option_context_set_summary (ctx,
      "Runs one meeting's media pipeline (gst-launch syntax) after replacing "
      "each ${NAME} with the VALUE given for it.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("convene-worker: %s\n", error->message);
    return EXIT_INPUT;
  }
  if (!remaining || !remaining[0]) {
    g_printerr ("convene-worker: no PIPELINE_FILE (see --help)\n");
    return EXIT_INPUT;
  }

  w.pipeline_file = g_strdup (remaining[0]);
  w.vars = cnv_pipeline_text_default_vars ();
  text = load_pipeline_text (remaining[0], remaining + 1, w.vars);
  if (!text)
    return EXIT_INPUT;
  if (print_only) {
    g_print ("%s", text);
    return 0;
  }

  w.pipeline = build_pipeline (remaining[0], text);
  if (!w.pipeline)
    return EXIT_INPUT;
  /* So that a stopped recorder's own EOS reaches us (see bus_cb). */
  g_object_set (w.pipeline, "message-forward", TRUE, NULL);
  if (!setup_wiring (&w)) {
    gst_object_unref (w.pipeline);
    return EXIT_INPUT;
  }

  w.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_pipeline_get_bus (GST_PIPELINE (w.pipeline));
  bus_id = gst_bus_add_watch (bus, bus_cb, &w);
  sigterm_id = g_unix_signal_add (SIGTERM, stop_signal_cb, &w);
  sigint_id = g_unix_signal_add (SIGINT, stop_signal_cb, &w);

  if (gst_element_set_state (w.pipeline,
          GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The element said why on the bus; the loop prints it and quits. If it
     * did not, this status stands. */
    w.status = EXIT_RUNTIME;
    g_idle_add (quit_idle_cb, w.loop);
  }
  g_main_loop_run (w.loop);
  /* The idle quit above may have run before the bus had its error. */
  {
    g_autoptr (GstMessage) err = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    if (err && !w.error_reported)
      bus_cb (bus, err, &w);
  }

  g_source_remove (sigterm_id);
  g_source_remove (sigint_id);
  g_source_remove (bus_id);
  if (w.eos_timeout_id)
    g_source_remove (w.eos_timeout_id);
  if (w.closing_timeout_id)
    g_source_remove (w.closing_timeout_id);
  gst_clear_object (&w.recorder);
  gst_clear_object (&w.closing_recorder);
  g_free (w.recording_id);
  if (w.wiring)
    cnv_worker_wiring_detach (w.wiring);
  gst_element_set_state (w.pipeline, GST_STATE_NULL);
  g_clear_object (&w.wiring);
  gst_object_unref (w.pipeline);
  g_main_loop_unref (w.loop);
  g_hash_table_unref (w.vars);
  g_free (w.pipeline_file);
  return w.status;
}
