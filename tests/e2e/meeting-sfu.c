/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Three gst bots (signalbridge meeting=m1) in one SFU meeting through the
 * real convened and the real convene-worker (TAP output).
 *
 * convened runs with meetings.mesh-max=1, so the second join moves the
 * meeting to the SFU and convened starts the worker; the worker's pipeline
 * is the repository's meeting.pipeline with allow-loopback=true (this runs
 * in a loopback-only namespace).  Every bot must decode video from both
 * others, each track named by its publisher's participant id.  Run it
 * through tests/netns-run.sh. */

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "e2e-common.h"

#define N_BOTS 3
#define MIN_VIDEO_FRAMES 20
#define DEADLINE_S 60.0

typedef struct
{
  E2ePeer *bots[N_BOTS];
  guint n;
} Bots;


/* The worker's pipeline: the repository's, with loopback candidates. */
static gchar *
write_pipeline (const gchar * dir, GError ** error)
{
  const gchar *var = "allow-loopback=${ALLOW_LOOPBACK}";
  const gchar *root = g_getenv ("CONVENE_SOURCE_ROOT");
  g_autofree gchar *src = g_build_filename (root ? root : ".", "pipelines",
      "meeting.pipeline", NULL);
  g_autofree gchar *text = NULL;
  g_autofree gchar *patched = NULL;
  g_auto (GStrv) parts = NULL;
  gchar *path;

  if (!g_file_get_contents (src, &text, NULL, error))
    return NULL;
  if (strstr (text, var) == NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s does not pass %s", src, var);
    return NULL;
  }
  parts = g_strsplit (text, var, -1);
  patched = g_strjoinv ("allow-loopback=true", parts);
  path = g_build_filename (dir, "meeting.pipeline", NULL);
  if (!g_file_set_contents (path, patched, -1, error))
    g_clear_pointer (&path, g_free);
  return path;
}

/* The pid of a process whose command line mentions @path, or 0. */
static GPid
find_process_with (const gchar * path)
{
  GDir *dir = g_dir_open ("/proc", 0, NULL);
  const gchar *name;
  GPid found = 0;

  while (dir && !found && (name = g_dir_read_name (dir))) {
    g_autofree gchar *file = NULL;
    g_autofree gchar *cmdline = NULL;
    gsize len = 0, i;

    if (!g_ascii_isdigit (name[0]))
      continue;
    file = g_build_filename ("/proc", name, "cmdline", NULL);
    if (!g_file_get_contents (file, &cmdline, &len, NULL))
      continue;
    for (i = 0; i + 1 < len; i++)
      if (cmdline[i] == '\0')
        cmdline[i] = ' ';
    if (len && strstr (cmdline, path))
      found = (GPid) g_ascii_strtoll (name, NULL, 10);
  }
  if (dir)
    g_dir_close (dir);
  return found;
}

int
main (int argc, char **argv)
{
  const gchar *users[] = { "bot0", "bot1", "bot2", NULL };
  g_autoptr (GError) err = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *pipeline = NULL;
  g_autofree gchar *pipeline_arg = NULL;
  gchar *tokens[N_BOTS] = { NULL };
  E2eServer *server;
  Bots b = { {NULL}, 0 };
  gboolean ok;
  guint i, j;

  gst_init (&argc, &argv);
  g_print ("TAP version 13\n1..%u\n", 2 + 2 * N_BOTS);

  dir = g_dir_make_tmp ("meeting-sfu-XXXXXX", &err);
  if (dir)
    pipeline = write_pipeline (dir, &err);
  if (pipeline == NULL) {
    g_print ("Bail out! %s\n", err ? err->message : "no temporary dir");
    return 1;
  }
  pipeline_arg = g_strdup_printf ("meetings.pipeline=%s", pipeline);
  {
    const gchar *args[] = { "--set", "meetings.mesh-max=1", "--set",
      pipeline_arg, NULL
    };
    server = e2e_server_start_with_args (NULL, users, args, &err);
  }
  if (server == NULL) {
    g_print ("Bail out! convened: %s\n", err->message);
    return 1;
  }
  for (i = 0; i < N_BOTS; i++) {
    tokens[i] = e2e_server_meeting_token (server, users[i], "m1", &err);
    if (tokens[i] == NULL) {
      g_print ("Bail out! token: %s\n", err->message);
      return 1;
    }
  }

  /* One at a time, each in the meeting before the next joins: the first
   * is alone (mesh), the second moves the meeting to the SFU. */
  ok = TRUE;
  for (i = 0; i < N_BOTS && ok; i++) {
    b.bots[i] = e2e_meeting_bot_join (server, tokens[i], users[i], "m1", &err);
    if (b.bots[i] == NULL)
      g_print ("# %s\n", err->message);
    ok = b.bots[i] != NULL;
    b.n = ok ? i + 1 : i;
  }
  e2e_tap (ok, "three bots joined meeting m1");

  ok = ok && e2e_wait_until (e2e_peers_see_each_other, &(E2ePeerSet) {
        b.bots, b.n, MIN_VIDEO_FRAMES}, DEADLINE_S);
  e2e_tap (ok, "every bot decodes video from every other bot");

  for (i = 0; i < b.n; i++) {
    E2ePeer *bot = b.bots[i];
    g_autofree gchar *what = NULL;
    gboolean named = e2e_peer_video_tracks (bot) == N_BOTS - 1;

    what = g_strdup_printf ("%s: %u video tracks, fewest frames %u, error %s",
        users[i], e2e_peer_video_tracks (bot),
        e2e_peer_min_video_frames (bot), GST_STR_NULL (e2e_peer_error (bot)));
    e2e_tap (e2e_peer_error (bot) == NULL
        && e2e_peer_min_video_frames (bot) >= MIN_VIDEO_FRAMES, what);

    /* Each track names a different other participant. */
    for (j = 0; named && j < e2e_peer_video_tracks (bot); j++) {
      g_autofree gchar *pub = e2e_peer_video_publisher (bot, j);
      g_autofree gchar *other = j + 1 < e2e_peer_video_tracks (bot) ?
          e2e_peer_video_publisher (bot, j + 1) : NULL;

      if (pub == NULL || pub[0] == '\0'
          || g_strcmp0 (pub, e2e_peer_participant_id (bot)) == 0
          || g_strcmp0 (pub, other) == 0)
        named = FALSE;
    }
    g_free (what);
    {
      g_autofree gchar *p0 = e2e_peer_video_publisher (bot, 0);
      g_autofree gchar *p1 = e2e_peer_video_publisher (bot, 1);

      what = g_strdup_printf ("%s (%s): each video track names another "
          "participant as its publisher (%s, %s)", users[i],
          e2e_peer_participant_id (bot), p0, p1);
    }
    e2e_tap (named, what);
  }

  for (i = 0; i < b.n; i++)
    e2e_peer_free (b.bots[i]);
  e2e_server_stop (server);

  /* The worker inherits our output: one that does not stop would hold the
   * test open.  It should be gone; if not, say so and end it. */
  {
    gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
    GPid worker;

    while ((worker = find_process_with (pipeline))
        && g_get_monotonic_time () < end)
      g_usleep (100 * G_TIME_SPAN_MILLISECOND);
    if (worker) {
      g_autofree gchar *cmd = g_strdup_printf ("gdb -p %d -batch -nx "
          "-ex 'thread apply all bt 25'", worker);
      g_autofree gchar *bt = NULL;

      g_print ("# worker %d still runs 10 s after the meeting ended "
          "(shutdown deadlock, docs/architecture.md): killed\n", worker);
      /* Where it hangs, for whoever reads the log (gdb may be missing). */
      if (g_spawn_command_line_sync (cmd, &bt, NULL, NULL, NULL) && bt)
        g_printerr ("%s\n", bt);
      kill (worker, SIGKILL);
    }
  }
  for (i = 0; i < N_BOTS; i++)
    g_free (tokens[i]);
  g_unlink (pipeline);
  g_rmdir (dir);
  return e2e_tap_failed ()? 1 : 0;
}
