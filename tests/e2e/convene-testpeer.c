/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* convene-testpeer: a scriptable gst call peer for end-to-end tests.
 *
 *   convene-testpeer --uri WS --token T [--call USER] [--answer] [--relay]
 *       [--turn-server URI] [--stun-server URI] [--allow-loopback]
 *       [--video-codec vp8|h264] [--meeting ID] [--name NAME]
 *
 *   --uri WS             signalling URL, e.g. ws://127.0.0.1:PORT/ws
 *   --token T            JWT from `convened token --user NAME`
 *   --call USER          call USER once signed in
 *   --answer             accept the first incoming call
 *   --relay              ice-transport-policy=relay (TURN candidates only)
 *   --turn-server URI    turn://user:pass@host:port (user and pass
 *                        URI-escaped), instead of welcome.ice_servers
 *   --stun-server URI    stun://host:port, instead of welcome.ice_servers
 *   --allow-loopback     gather 127.0.0.1 host candidates (needed in a
 *                        loopback-only network namespace)
 *   --video-codec C      vp8 (default) or h264 for what we send
 *   --meeting ID         join meeting ID once signed in (instead of --call
 *                        or --answer); the token must allow that meeting
 *   --name NAME          prefix of the diagnostics on stderr
 *
 * It sends videotestsrc (320x240@30, VP8 or H.264) and audiotestsrc (Opus) through
 * signalbridge and counts what arrives, decoded, on each remote track.  Once
 * per second it prints one JSON line on stdout (flushed), e.g.
 *
 *   {"video_tracks":2,"video_frames":[120,30],"audio_buffers":300,
 *    "state":"accepted","selected_pair":"host"}
 *
 *   video_tracks   remote video tracks seen so far (a screen share is one)
 *   video_frames   decoded frames per remote video track, in arrival order
 *   audio_buffers  decoded audio buffers, all remote audio tracks together
 *   state          last signalbridge-call-state: none, connecting, connected,
 *                  calling, ringing, incoming, accepted, ended, disconnected
 *   selected_pair  local candidate type of the selected ICE pair from
 *                  webrtcbin's get-stats: host, srflx, prflx, relay, or none
 *   video_publishers  participant id of each video track's publisher, in
 *                  the order of video_frames ("" outside meetings)
 *   audio_publishers  the same for the remote audio tracks
 *   audio_track_buffers  decoded audio buffers per remote audio track
 *   participant_id (only in a meeting, once joined) our participant id
 *   error          (only after an element error) its message
 *
 * Diagnostics (call states, errors) go to stderr.  It exits 0 on SIGTERM or
 * SIGINT, or when stdin reaches EOF if stdin is a pipe or a terminal (a
 * parent that dies closes the pipe; stdin redirected from /dev/null or a file
 * is ignored, so `stdio: 'ignore'` works).  It exits 1 after an element
 * error (for instance a refused token) once that error has been printed. */

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gst/gst.h>

#include "e2e-common.h"

typedef struct
{
  GMainLoop *loop;
  E2ePeer *peer;
  gint exit_code;
} App;

static gboolean
on_quit_signal (gpointer user_data)
{
  App *app = user_data;

  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stdin (GIOChannel * ch, GIOCondition cond, gpointer user_data)
{
  App *app = user_data;
  gchar buf[256];
  gsize n = 0;
  GIOStatus st;

  if (cond & G_IO_IN) {
    st = g_io_channel_read_chars (ch, buf, sizeof (buf), &n, NULL);
    if (st == G_IO_STATUS_NORMAL || st == G_IO_STATUS_AGAIN)
      return G_SOURCE_CONTINUE;
  }
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
print_status (gpointer user_data)
{
  App *app = user_data;
  g_autofree gchar *json = e2e_peer_status_json (app->peer);
  const gchar *pid = e2e_peer_participant_id (app->peer);

  /* The status object ends with '}': the participant id goes in before it. */
  if (pid && *pid && g_str_has_suffix (json, "}")) {
    g_autofree gchar *esc = g_strescape (pid, NULL);

    json[strlen (json) - 1] = '\0';
    fprintf (stdout, "%s,\"participant_id\":\"%s\"}\n", json, esc);
  } else {
    fprintf (stdout, "%s\n", json);
  }
  fflush (stdout);
  if (e2e_peer_error (app->peer)) {
    app->exit_code = 1;
    g_main_loop_quit (app->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
stdin_is_watchable (void)
{
  struct stat st;

  if (isatty (STDIN_FILENO))
    return TRUE;
  if (fstat (STDIN_FILENO, &st) != 0)
    return FALSE;
  return S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode);
}

int
main (int argc, char **argv)
{
  gchar *uri = NULL, *token = NULL, *call = NULL, *turn = NULL, *stun = NULL;
  gchar *name = NULL, *codec = NULL, *meeting = NULL;
  gboolean answer = FALSE, relay = FALSE, loopback = FALSE;
  GOptionEntry entries[] = {
    {"uri", 0, 0, G_OPTION_ARG_STRING, &uri, "Signalling URL", "WS"},
    {"token", 0, 0, G_OPTION_ARG_STRING, &token, "Access token", "T"},
    {"call", 0, 0, G_OPTION_ARG_STRING, &call, "User to call", "USER"},
    {"answer", 0, 0, G_OPTION_ARG_NONE, &answer, "Accept incoming calls",
        NULL},
    {"relay", 0, 0, G_OPTION_ARG_NONE, &relay, "Relay candidates only", NULL},
    {"turn-server", 0, 0, G_OPTION_ARG_STRING, &turn, "TURN server", "URI"},
    {"stun-server", 0, 0, G_OPTION_ARG_STRING, &stun, "STUN server", "URI"},
    {"allow-loopback", 0, 0, G_OPTION_ARG_NONE, &loopback,
        "Gather 127.0.0.1 host candidates", NULL},
    {"video-codec", 0, 0, G_OPTION_ARG_STRING, &codec, "vp8 or h264", "C"},
    {"meeting", 0, 0, G_OPTION_ARG_STRING, &meeting, "Meeting to join",
        "ID"},
    {"name", 0, 0, G_OPTION_ARG_STRING, &name, "Name in diagnostics", "NAME"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- Convene test peer");
  g_autoptr (GError) err = NULL;
  E2ePeerConfig config = { 0 };
  App app = { 0 };
  GIOChannel *in = NULL;
  guint stdin_watch = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("convene-testpeer: %s\n", err->message);
    return 2;
  }
  if (uri == NULL || token == NULL) {
    g_printerr ("convene-testpeer: --uri and --token are required\n");
    return 2;
  }

  config.uri = uri;
  config.token = token;
  config.call = call;
  config.answer = answer;
  config.relay = relay;
  config.turn_server = turn;
  config.stun_server = stun;
  config.allow_loopback = loopback;
  config.name = name ? name : "testpeer";
  if (codec && g_strcmp0 (codec, "vp8") != 0 && g_strcmp0 (codec, "h264") != 0) {
    g_printerr ("convene-testpeer: --video-codec must be vp8 or h264\n");
    return 2;
  }
  config.video_codec = codec;
  if (meeting && (call || answer)) {
    g_printerr ("convene-testpeer: --meeting excludes --call and --answer\n");
    return 2;
  }
  config.meeting = meeting;

  app.peer = e2e_peer_new (&config, &err);
  if (app.peer == NULL) {
    g_printerr ("convene-testpeer: %s\n", err->message);
    return 1;
  }
  app.loop = g_main_loop_new (NULL, FALSE);

  g_unix_signal_add (SIGTERM, on_quit_signal, &app);
  g_unix_signal_add (SIGINT, on_quit_signal, &app);
  if (stdin_is_watchable ()) {
    in = g_io_channel_unix_new (STDIN_FILENO);
    stdin_watch = g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR,
        on_stdin, &app);
  }
  g_timeout_add_seconds (1, print_status, &app);

  if (!e2e_peer_start (app.peer)) {
    g_printerr ("convene-testpeer: could not start the pipeline\n");
    app.exit_code = 1;
  } else {
    g_main_loop_run (app.loop);
  }

  /* Hang up first so the other party sees "hangup", not "disconnected". */
  e2e_peer_hangup (app.peer);
  e2e_peer_free (app.peer);
  if (stdin_watch)
    g_source_remove (stdin_watch);
  if (in)
    g_io_channel_unref (in);
  g_main_loop_unref (app.loop);
  g_free (uri);
  g_free (token);
  g_free (call);
  g_free (turn);
  g_free (stun);
  g_free (name);
  g_free (codec);
  g_free (meeting);
  return app.exit_code;
}
