/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Runs the gst-launch-1.0 line of signalbridge's documentation (TAP output).
 *
 * bob answers with the same line and answer=true; alice runs it with
 * call=bob under -e.  The display and audio sinks are swapped for fakesink
 * (a test namespace has neither), everything else is the documented line.
 * Checks that the media connection comes up on alice's side and her video
 * sink gets frames, that SIGINT then makes alice finish through EOS, and
 * that bob's pipeline finishes on its own when the call ends. */

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <gst/gst.h>

#include "e2e-common.h"

#define DEADLINE_S 30.0

typedef struct
{
  GSubprocess *proc;
  GDataInputStream *out;
  gboolean signed_in;
  gboolean media_connected;
  guint video_buffers;
  gboolean exited;
  gint status;
  GQueue tail;                  /* the last lines it printed, for a failure */
} Launch;

#define TAIL_LINES 40


static void read_next (Launch * l);

static void
on_line (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Launch *l = user_data;
  g_autofree gchar *line = g_data_input_stream_read_line_finish_utf8
      (G_DATA_INPUT_STREAM (source), res, NULL, NULL);

  if (line == NULL)
    return;
  if (!g_str_has_prefix (line, "/GstPipeline:pipeline0/GstFakeSink:vsink: "
          "last-message = chain")) {
    g_queue_push_tail (&l->tail, g_strdup (line));
    while (l->tail.length > TAIL_LINES)
      g_free (g_queue_pop_head (&l->tail));
  }
  if (g_getenv ("E2E_VERBOSE") && !g_str_has_prefix (line, "Got message"))
    g_printerr ("%s\n", line);
  if (strstr (line, "signalbridge-call-state")
      && strstr (line, "state=(string)connected"))
    l->signed_in = TRUE;
  if (strstr (line, "signalbridge-connection-state")
      && strstr (line, "state=(string)connected"))
    l->media_connected = TRUE;
  /* -v prints each buffer the video fakesink gets. */
  if (strstr (line, "GstFakeSink:vsink: last-message = chain"))
    l->video_buffers++;
  read_next (l);
}

static void
read_next (Launch * l)
{
  g_data_input_stream_read_line_async (l->out, G_PRIORITY_DEFAULT, NULL,
      on_line, l);
}

static void
on_launch_exit (GObject * source, GAsyncResult * res, gpointer user_data)
{
  Launch *l = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  l->exited = TRUE;
  l->status = g_subprocess_get_if_exited (l->proc) ?
      g_subprocess_get_exit_status (l->proc) : -1;
}

static gboolean
launch (Launch * l, const gchar * uri, const gchar * token,
    const gchar * role)
{
  /* The documented line, sinks aside. */
  g_autofree gchar *cmd = g_strdup_printf ("gst-launch-1.0 -m -v -e "
      "signalbridge name=s uri=%s token=%s %s allow-loopback=true "
      "videotestsrc is-live=true ! s. audiotestsrc is-live=true ! s. "
      "s. ! video/x-raw ! queue ! videoconvert ! fakesink name=vsink silent=false "
      "s. ! audio/x-raw ! queue ! fakesink name=asink", uri, token, role);
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) err = NULL;

  if (!g_shell_parse_argv (cmd, NULL, &argv, &err))
    return FALSE;
  l->proc = g_subprocess_newv ((const gchar * const *) argv,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err);
  if (l->proc == NULL) {
    g_print ("# %s\n", err->message);
    return FALSE;
  }
  l->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (l->proc));
  read_next (l);
  g_subprocess_wait_async (l->proc, NULL, on_launch_exit, l);
  return TRUE;
}

static gboolean
is_connected (gpointer data)
{
  Launch *l = data;

  return l->media_connected || l->exited;
}

static gboolean
has_video (gpointer data)
{
  Launch *l = data;

  return l->video_buffers >= 30 || l->exited;
}

static gboolean
is_signed_in (gpointer data)
{
  Launch *l = data;

  return l->signed_in || l->exited;
}

static gboolean
has_exited (gpointer data)
{
  return ((Launch *) data)->exited;
}

/* What a pipeline said last (events, messages), as TAP comments. */
static void
print_tail (const gchar * who, Launch * l)
{
  GList *it;

  g_print ("# last lines of %s's gst-launch (status %d, exited %d):\n", who,
      l->status, l->exited);
  for (it = l->tail.head; it; it = it->next)
    g_print ("#   %s\n", (const gchar *) it->data);
}

static void
launch_clear (Launch * l)
{
  if (l->proc && !l->exited) {
    g_subprocess_force_exit (l->proc);
    e2e_wait_until (has_exited, l, 5.0);
  }
  g_clear_object (&l->out);
  g_clear_object (&l->proc);
  g_queue_clear_full (&l->tail, g_free);
}

int
main (int argc, char **argv)
{
  const gchar *users[] = { "alice", "bob", NULL };
  g_autoptr (GError) err = NULL;
  g_autofree gchar *ta = NULL, *tb = NULL;
  g_autofree gchar *call = NULL;
  Launch alice = { 0 }, bob = { 0 };
  E2eServer *server;

  gst_init (&argc, &argv);
  g_print ("TAP version 13\n1..5\n");

  server = e2e_server_start (NULL, users, &err);
  if (server == NULL) {
    g_print ("# %s\nBail out! no server\n", err->message);
    return 1;
  }
  ta = e2e_server_token (server, "alice", NULL);
  tb = e2e_server_token (server, "bob", NULL);
  if (!ta || !tb) {
    g_print ("Bail out! no tokens\n");
    e2e_server_stop (server);
    return 1;
  }

  e2e_tap (launch (&bob, e2e_server_ws_url (server), tb, "answer=true"),
      "bob's gst-launch starts");
  /* A call to a user without a connection ends as "offline". */
  e2e_wait_until (is_signed_in, &bob, DEADLINE_S);
  call = g_strdup ("call=bob");
  launch (&alice, e2e_server_ws_url (server), ta, call);

  e2e_wait_until (is_connected, &alice, DEADLINE_S);
  e2e_tap (alice.media_connected, "alice's media connection comes up");
  e2e_wait_until (has_video, &alice, DEADLINE_S);
  e2e_tap (alice.video_buffers >= 30, "alice's video sink gets bob's frames");

  if (alice.proc && !alice.exited)
    g_subprocess_send_signal (alice.proc, SIGINT);
  e2e_wait_until (has_exited, &alice, DEADLINE_S);
  e2e_tap (alice.exited && alice.status == 0,
      "alice finishes through EOS after SIGINT (-e)");

  e2e_wait_until (has_exited, &bob, DEADLINE_S);
  e2e_tap (bob.exited && bob.status == 0,
      "bob's pipeline finishes when the call ends");
  if (e2e_tap_failed ()) {
    print_tail ("alice", &alice);
    print_tail ("bob", &bob);
  }

  launch_clear (&alice);
  launch_clear (&bob);
  e2e_server_stop (server);
  gst_deinit ();
  return e2e_tap_failed () ? 1 : 0;
}
