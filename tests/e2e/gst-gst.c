/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* gst <-> gst call through the real convened (TAP output).
 *
 * Starts $CONVENE_BIN on 127.0.0.1:0 with users alice and bob, runs two
 * signalbridge pipelines in this process (bob answers, alice calls bob), and
 * checks that each side decodes video and audio from the other before a
 * deadline.  Then both renegotiate mid-call, as a browser adding a screen
 * share does: bob (the answerer) adds a second video track that alice
 * decodes; alice adds one that bob leaves unlinked, which must not stop
 * bob's pipeline.  Finally alice hangs up and both see the call end.  Run it
 * through tests/netns-run.sh: media stays on loopback. */

#include <gst/gst.h>

#include "e2e-common.h"

#define MIN_VIDEO_FRAMES 30
#define MIN_AUDIO_BUFFERS 30
#define DEADLINE_S 30.0


typedef struct
{
  E2ePeer *alice, *bob;
} Peers;

static gboolean
peer_has_failed (E2ePeer * p)
{
  return e2e_peer_error (p) != NULL;
}

static gboolean
media_flows (gpointer data)
{
  Peers *p = data;

  if (peer_has_failed (p->alice) || peer_has_failed (p->bob))
    return TRUE;
  return e2e_peer_min_video_frames (p->alice) >= MIN_VIDEO_FRAMES
      && e2e_peer_min_video_frames (p->bob) >= MIN_VIDEO_FRAMES
      && e2e_peer_audio_buffers (p->alice) >= MIN_AUDIO_BUFFERS
      && e2e_peer_audio_buffers (p->bob) >= MIN_AUDIO_BUFFERS;
}

typedef struct
{
  E2ePeer *peer;
  guint track;
  guint frames;
} TrackWait;

static gboolean
track_has_frames (gpointer data)
{
  TrackWait *w = data;

  return e2e_peer_error (w->peer) != NULL
      || e2e_peer_video_frames (w->peer, w->track) >= w->frames;
}

static gboolean
has_two_video_tracks (gpointer data)
{
  E2ePeer *peer = data;

  return e2e_peer_error (peer) != NULL || e2e_peer_video_tracks (peer) >= 2;
}

static gboolean
both_ended (gpointer data)
{
  Peers *p = data;

  return g_strcmp0 (e2e_peer_state (p->alice), "ended") == 0
      && g_strcmp0 (e2e_peer_state (p->bob), "ended") == 0;
}

static void
report (const gchar * who, E2ePeer * peer)
{
  g_autofree gchar *json = e2e_peer_status_json (peer);

  g_print ("# %s: %s\n", who, json);
}

int
main (int argc, char **argv)
{
  const gchar *users[] = { "alice", "bob", NULL };
  g_autoptr (GError) err = NULL;
  g_autofree gchar *token_a = NULL;
  g_autofree gchar *token_b = NULL;
  E2eServer *server;
  E2ePeerConfig ca = { 0 }, cb = { 0 };
  Peers p = { NULL, NULL };
  gint64 t0;

  gst_init (&argc, &argv);
  g_print ("TAP version 13\n1..9\n");

  server = e2e_server_start (NULL, users, &err);
  e2e_tap (server != NULL, "convened starts with users alice and bob");
  if (server == NULL) {
    g_print ("# %s\nBail out! no server\n", err->message);
    return 1;
  }
  token_a = e2e_server_token (server, "alice", NULL);
  token_b = e2e_server_token (server, "bob", NULL);
  e2e_tap (token_a && token_b, "tokens from the CLI");
  if (!token_a || !token_b)
    goto done;

  e2e_call_configs (&ca, &cb, e2e_server_ws_url (server), token_a, token_b);
  cb.leave_extra_video_unlinked = TRUE;

  p.bob = e2e_peer_new (&cb, &err);
  p.alice = p.bob ? e2e_peer_new (&ca, &err) : NULL;
  if (p.alice == NULL) {
    g_print ("# %s\n", err->message);
    e2e_tap (FALSE, "pipelines built");
    goto done;
  }

  /* bob first: a call to a user without a connection ends as "offline". */
  e2e_peer_start (p.bob);
  e2e_wait_until (e2e_peer_signed_in_or_failed, p.bob, 10.0);
  e2e_tap (g_strcmp0 (e2e_peer_state (p.bob), "connected") == 0,
      "bob is signed in");

  t0 = g_get_monotonic_time ();
  e2e_peer_start (p.alice);
  e2e_wait_until (media_flows, &p, DEADLINE_S);
  report ("alice", p.alice);
  report ("bob", p.bob);
  g_print ("# media flowing after %.2f s\n",
      (g_get_monotonic_time () - t0) / 1e6);
  e2e_tap (e2e_peer_min_video_frames (p.alice) >= MIN_VIDEO_FRAMES
      && e2e_peer_audio_buffers (p.alice) >= MIN_AUDIO_BUFFERS
      && e2e_peer_video_tracks (p.alice) >= 1,
      "alice decodes bob's video and audio");
  e2e_tap (e2e_peer_min_video_frames (p.bob) >= MIN_VIDEO_FRAMES
      && e2e_peer_audio_buffers (p.bob) >= MIN_AUDIO_BUFFERS
      && e2e_peer_video_tracks (p.bob) >= 1,
      "bob decodes alice's video and audio");

  /* Renegotiation started by the answerer: alice links and decodes it. */
  {
    TrackWait w = { p.alice, 1, MIN_VIDEO_FRAMES };

    e2e_peer_add_video_track (p.bob);
    e2e_wait_until (track_has_frames, &w, DEADLINE_S);
    report ("alice", p.alice);
    e2e_tap (e2e_peer_video_frames (p.alice, 1) >= MIN_VIDEO_FRAMES
        && e2e_peer_error (p.alice) == NULL,
        "bob adds a track mid-call; alice decodes it");
  }

  /* Renegotiation started by the offerer; bob ignores the new track. */
  {
    TrackWait w = { p.bob, 0, 0 };

    e2e_peer_add_video_track (p.alice);
    e2e_wait_until (has_two_video_tracks, p.bob, DEADLINE_S);
    e2e_tap (e2e_peer_video_tracks (p.bob) >= 2,
        "alice adds a track mid-call; bob gets a second video pad");
    w.frames = e2e_peer_video_frames (p.bob, 0) + MIN_VIDEO_FRAMES;
    e2e_wait_until (track_has_frames, &w, 10.0);
    report ("bob", p.bob);
    e2e_tap (e2e_peer_video_frames (p.bob, 0) >= w.frames
        && e2e_peer_error (p.bob) == NULL,
        "an unlinked remote track does not stop bob's pipeline");
  }

  e2e_peer_hangup (p.alice);
  e2e_wait_until (both_ended, &p, 10.0);
  e2e_tap (both_ended (&p), "hangup ends the call on both sides");

done:
  e2e_peer_free (p.alice);
  e2e_peer_free (p.bob);
  e2e_server_stop (server);
  gst_deinit ();
  return e2e_tap_failed () ? 1 : 0;
}
