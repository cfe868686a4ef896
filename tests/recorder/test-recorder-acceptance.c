/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* chunkrecordersink acceptance (issue 4): a 20 s live recording, a
 * SIGKILLed recorder, and the documented gst-launch line under SIGINT.
 * meson runs each case as its own test so that they run in parallel. */

#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "recorder-test-util.h"

#define RECORD_S 20

/* Live VP8 + Opus over RTP, one participant, exactly 20 s of input. */
static void
test_twenty_seconds (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *desc = g_strdup_printf ("chunkrecordersink name=r "
      "location=%s chunk-duration=2000000000 "
      "sink_0::participant=alice sink_1::participant=alice "
      "videotestsrc is-live=true num-buffers=%d ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! vp8enc deadline=1 ! "
      "rtpvp8pay ! r.sink_0 "
      "audiotestsrc is-live=true num-buffers=%d samplesperbuffer=960 ! "
      "audio/x-raw,rate=48000 ! opusenc ! rtpopuspay ! r.sink_1",
      dir, RECORD_S * 30, RECORD_S * 50);
  g_autoptr (GError) err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  JsonObject *m;
  JsonArray *chunks;
  guint64 total = 0, listed = 0;
  guint n, i, files = 0;

  g_assert_no_error (err);
  rt_run_until_eos (pipeline, RECORD_S + 30, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  m = rt_load_manifest (dir);
  g_assert_true (json_object_get_boolean_member (m, "complete"));
  chunks = rt_participant_chunks (m, "alice");
  g_assert_nonnull (chunks);
  n = rt_check_chunks (dir, m, TRUE, TRUE, &total);
  for (i = 0; i < json_array_get_length (chunks); i++) {
    JsonObject *c = json_array_get_object_element (chunks, i);

    listed += json_object_get_int_member (c, "duration_ns");
    g_assert_cmpint (json_object_get_int_member (c, "start_wallclock_ns"),
        >, G_GINT64_CONSTANT (1600000000) * GST_SECOND);
  }
  /* the manifest lists every chunk on disk */
  {
    g_autofree gchar *sub = g_build_filename (dir, "alice", NULL);
    GDir *d = g_dir_open (sub, 0, NULL);

    g_assert_nonnull (d);
    while (g_dir_read_name (d))
      files++;
    g_dir_close (d);
  }
  g_test_message ("%u chunks, discovered %" GST_TIME_FORMAT ", manifest %"
      GST_TIME_FORMAT, n, GST_TIME_ARGS (total), GST_TIME_ARGS (listed));
  g_assert_cmpuint (files, ==, n);
  g_assert_cmpuint (n, >=, RECORD_S / 2);
  /* the chunks cover the input within one chunk */
  g_assert_cmpuint (total, >=, (RECORD_S - 2) * GST_SECOND);
  g_assert_cmpuint (total, <=, (RECORD_S + 2) * GST_SECOND);
  g_assert_cmpuint (listed, >=, (RECORD_S - 2) * GST_SECOND);
  json_object_unref (m);
  rt_remove_tree (dir);
}

static GPid
spawn_launch (const gchar * const *pipeline_argv, gboolean eos_on_shutdown)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) err = NULL;
  GPid pid;

  g_ptr_array_add (argv, (gpointer) "gst-launch-1.0");
  if (eos_on_shutdown)
    g_ptr_array_add (argv, (gpointer) "-e");
  for (; *pipeline_argv; pipeline_argv++)
    g_ptr_array_add (argv, (gpointer) * pipeline_argv);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_async (NULL, (gchar **) argv->pdata, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &err));
  g_assert_no_error (err);
  return pid;
}

/* Polls (with a deadline) until the manifest lists @n closed chunks. */
static void
wait_closed_chunks (const gchar * dir, guint n, guint timeout_s, GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;

  while (rt_count_closed_chunks (dir) < n) {
    int status;

    if (waitpid (pid, &status, WNOHANG) == pid)
      g_error ("gst-launch-1.0 exited early (status %d)", status);
    if (g_get_monotonic_time () > deadline)
      g_error ("fewer than %u closed chunks after %u s", n, timeout_s);
    g_usleep (50 * 1000);
  }
}

static int
wait_exit (GPid pid, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  int status;

  while (waitpid (pid, &status, WNOHANG) != pid) {
    if (g_get_monotonic_time () > deadline) {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      g_error ("gst-launch-1.0 did not exit within %u s", timeout_s);
    }
    g_usleep (20 * 1000);
  }
  return status;
}

/* Runs gst-launch-1.0 until the manifest in @dir lists @n_chunks closed
 * chunks, then stops it: with Ctrl-C (and -e, so EOS first) or SIGKILL. */
static void
record_until (const gchar * const *pipeline_argv, const gchar * dir,
    guint n_chunks, gboolean clean_stop)
{
  GPid pid = spawn_launch (pipeline_argv, clean_stop);
  int status;

  wait_closed_chunks (dir, n_chunks, 30, pid);
  kill (pid, clean_stop ? SIGINT : SIGKILL);
  status = wait_exit (pid, 20);
  if (clean_stop) {
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  } else {
    g_assert_true (WIFSIGNALED (status));
  }
  g_spawn_close_pid (pid);
}

/* Live VP8 + Opus into one chunkrecordersink, as gst-launch arguments
 * after the recorder's own. */
#define LIVE_AV_ARGV \
    "videotestsrc", "is-live=true", "!", \
    "video/x-raw,width=320,height=240,framerate=30/1", "!", \
    "vp8enc", "deadline=1", "!", "rtpvp8pay", "!", "r.sink_0", \
    "audiotestsrc", "is-live=true", "samplesperbuffer=960", "!", \
    "audio/x-raw,rate=48000", "!", "opusenc", "!", "rtpopuspay", "!", \
    "r.sink_1", NULL

/* A recorder killed without warning leaves a valid manifest naming only
 * playable chunks. */
static void
test_sigkill (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *location = g_strdup_printf ("location=%s", dir);
  const gchar *argv[] = {
    "chunkrecordersink", "name=r", location, "chunk-duration=1000000000",
    LIVE_AV_ARGV
  };
  JsonObject *m;
  guint n;

  record_until (argv, dir, 3, FALSE);
  m = rt_load_manifest (dir);
  g_assert_false (json_object_get_boolean_member (m, "complete"));
  n = rt_check_chunks (dir, m, TRUE, TRUE, NULL);
  g_test_message ("%u chunks listed after SIGKILL, all playable", n);
  g_assert_cmpuint (n, >=, 3);
  json_object_unref (m);
  rt_remove_tree (dir);
}

/* The line of docs/recording.md, stopped with Ctrl-C (-e: EOS first). */
static void
test_gst_launch_example (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *location = g_strdup_printf ("location=%s", dir);
  const gchar *argv[] = {
    "videotestsrc", "is-live=true", "!", "vp8enc", "deadline=1", "!",
    "rtpvp8pay", "!", "chunkrecordersink", location,
    "chunk-duration=2000000000", NULL
  };
  JsonObject *m;
  guint n;

  record_until (argv, dir, 2, TRUE);
  m = rt_load_manifest (dir);
  g_assert_true (json_object_get_boolean_member (m, "complete"));
  n = rt_check_chunks (dir, m, TRUE, FALSE, NULL);
  g_assert_nonnull (rt_participant_chunks (m, "default"));
  g_test_message ("%u chunks after SIGINT", n);
  /* the two seen before Ctrl-C and the one it closed */
  g_assert_cmpuint (n, >=, 3);
  json_object_unref (m);
  rt_remove_tree (dir);
}

typedef struct
{
  dev_t dev;
  ino_t ino;
  gint64 mtime_ns;
  goffset size;
} FileId;

/* Every file under @dir but the manifest: relative path -> FileId. */
static void
snapshot_files (const gchar * dir, const gchar * rel, GHashTable * out)
{
  g_autofree gchar *path = rel ? g_build_filename (dir, rel, NULL) :
      g_strdup (dir);
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *r = rel ? g_build_filename (rel, name, NULL) :
        g_strdup (name);
    g_autofree gchar *full = g_build_filename (dir, r, NULL);
    GStatBuf st;
    FileId *id;

    g_assert_cmpint (g_stat (full, &st), ==, 0);
    if (S_ISDIR (st.st_mode)) {
      snapshot_files (dir, r, out);
      continue;
    }
    if (g_str_has_prefix (r, "manifest.json"))
      continue;
    id = g_new0 (FileId, 1);
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->mtime_ns = (gint64) st.st_mtim.tv_sec * GST_SECOND +
        st.st_mtim.tv_nsec;
    id->size = st.st_size;
    g_hash_table_insert (out, g_steal_pointer (&r), id);
  }
  g_dir_close (d);
}

/* A worker killed mid-meeting is restarted into the same directory: the
 * second recorder appends to the first one's manifest, never overwrites a
 * file, and the whole recording ends complete and playable. */
static void
test_resume_after_sigkill (void)
{
  g_autofree gchar *dir = rt_make_tmp_dir ();
  g_autofree gchar *location = g_strdup_printf ("location=%s", dir);
  const gchar *argv[] = {
    "chunkrecordersink", "name=r", location, "chunk-duration=1000000000",
    "recording-id=m1-20261121T120000Z", LIVE_AV_ARGV
  };
  g_autoptr (GHashTable) before = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) after = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter it;
  gpointer key, value;
  JsonObject *m;
  JsonArray *chunks;
  gint64 last_index = -1;
  guint n1, i, n;

  record_until (argv, dir, 2, FALSE);
  m = rt_load_manifest (dir);
  g_assert_false (json_object_get_boolean_member (m, "complete"));
  n1 = json_array_get_length (rt_participant_chunks (m, "default"));
  g_assert_cmpuint (n1, >=, 2);
  json_object_unref (m);
  snapshot_files (dir, NULL, before);

  /* run 2, same location, stopped cleanly */
  record_until (argv, dir, n1 + 2, TRUE);

  m = rt_load_manifest (dir);
  g_assert_true (json_object_get_boolean_member (m, "complete"));
  g_assert_cmpstr (json_object_get_string_member (m, "recording_id"), ==,
      "m1-20261121T120000Z");
  g_assert_cmpint (json_object_get_int_member (m, "segment"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (m,
              "participants")), ==, 1);
  chunks = rt_participant_chunks (m, "default");
  n = json_array_get_length (chunks);
  g_assert_cmpuint (n, >=, n1 + 2);
  for (i = 0; i < n; i++) {
    JsonObject *c = json_array_get_object_element (chunks, i);
    const gchar *file = json_object_get_string_member (c, "file");
    gint64 index = json_object_get_int_member (c, "index");
    gint64 segment = json_object_get_int_member (c, "segment");

    /* indexes grow: no duplicates, run 2 continues after run 1 */
    g_assert_cmpint (index, >, last_index);
    last_index = index;
    g_assert_false (g_hash_table_contains (listed, file));
    g_hash_table_add (listed, (gpointer) file);
    /* the first run's chunks first, then the second's, never a file that
     * was there before run 2 started */
    g_assert_cmpint (segment, ==, i < n1 ? 0 : 1);
    g_assert_true (g_hash_table_contains (before, file) == (i < n1));
  }
  /* what run 1 left (its chunks, and the one open at the kill) is
   * untouched */
  snapshot_files (dir, NULL, after);
  g_hash_table_iter_init (&it, before);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    FileId *a = value, *b = g_hash_table_lookup (after, key);

    g_assert_nonnull (b);
    g_assert_true (a->dev == b->dev && a->ino == b->ino);
    g_assert_cmpint (a->mtime_ns, ==, b->mtime_ns);
    g_assert_cmpint (a->size, ==, b->size);
  }
  g_test_message ("run 1: %u chunks, both runs: %u, %u files before run 2",
      n1, n, g_hash_table_size (before));
  g_assert_cmpuint (rt_check_chunks (dir, m, TRUE, TRUE, NULL), ==, n);
  json_object_unref (m);
  rt_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recorder/acceptance/twenty-seconds", test_twenty_seconds);
  g_test_add_func ("/recorder/acceptance/sigkill", test_sigkill);
  g_test_add_func ("/recorder/acceptance/gst-launch-example",
      test_gst_launch_example);
  g_test_add_func ("/recorder/acceptance/resume-after-sigkill",
      test_resume_after_sigkill);
  return g_test_run ();
}
