/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* gst <-> gst call forced through TURN (TAP output).
 *
 * Starts coturn ($TURNSERVER, on 127.0.0.1:3478 with a shared secret) and
 * convened configured to hand out TURN REST credentials for it, so the TURN
 * URI and its "expiry:user" username come from welcome.ice_servers.  Both
 * peers use ice-transport-policy=relay and H.264.  Checks that video and
 * audio flow both ways and that the selected candidate pair is relayed.
 * Run it through tests/netns-run.sh. */

#include <signal.h>

#include <gio/gio.h>
#include <gst/gst.h>

#include "e2e-common.h"

#define MIN_FRAMES 30
#define TURN_SECRET "convene-test-secret"

typedef struct
{
  E2ePeer *alice, *bob;
} Peers;

static gboolean
relayed_media (gpointer data)
{
  Peers *p = data;
  g_autofree gchar *pa = NULL, *pb = NULL;

  if (e2e_peer_error (p->alice) || e2e_peer_error (p->bob))
    return TRUE;
  if (e2e_peer_min_video_frames (p->alice) < MIN_FRAMES
      || e2e_peer_min_video_frames (p->bob) < MIN_FRAMES
      || e2e_peer_audio_buffers (p->alice) < MIN_FRAMES
      || e2e_peer_audio_buffers (p->bob) < MIN_FRAMES)
    return FALSE;
  /* Statistics refresh once a second: wait for them too. */
  pa = e2e_peer_selected_pair (p->alice);
  pb = e2e_peer_selected_pair (p->bob);
  return g_strcmp0 (pa, "none") != 0 && g_strcmp0 (pb, "none") != 0;
}

int
main (int argc, char **argv)
{
  const gchar *users[] = { "alice", "bob", NULL };
  const gchar *turn_bin = g_getenv ("TURNSERVER");
  const gchar *server_args[] = {
    "--set", "ice.turn=turn:127.0.0.1:3478?transport=udp",
    "--set", "ice.turn-secret=" TURN_SECRET, NULL
  };
  g_autoptr (GError) err = NULL;
  g_autoptr (GSubprocess) turn = NULL;
  g_autofree gchar *ta = NULL, *tb = NULL;
  g_autofree gchar *pair_a = NULL, *pair_b = NULL;
  E2eServer *server = NULL;
  E2ePeerConfig ca, cb;
  Peers p = { NULL, NULL };

  gst_init (&argc, &argv);
  g_print ("TAP version 13\n1..4\n");

  if (turn_bin == NULL || turn_bin[0] == '\0') {
    g_print ("Bail out! TURNSERVER is not set (install coturn)\n");
    return 1;
  }
  /* --allow-loopback-peers: both peers and the relay live on 127.0.0.1. */
  turn = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
      | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err, turn_bin, "-n",
      "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
      "--listening-port=3478", "--use-auth-secret",
      "--static-auth-secret=" TURN_SECRET, "--realm=convene",
      "--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls", NULL);
  e2e_tap (turn != NULL, "coturn starts");
  if (turn == NULL) {
    g_print ("# %s\n", err->message);
    return 1;
  }

  server = e2e_server_start_with_args (NULL, users, server_args, &err);
  e2e_tap (server != NULL, "convened starts with a TURN secret");
  if (server == NULL) {
    g_print ("# %s\n", err->message);
    goto done;
  }
  ta = e2e_server_token (server, "alice", NULL);
  tb = e2e_server_token (server, "bob", NULL);
  if (!ta || !tb)
    goto done;

  e2e_call_configs (&ca, &cb, e2e_server_ws_url (server), ta, tb);
  ca.relay = cb.relay = TRUE;
  ca.video_codec = cb.video_codec = "h264";
  p.bob = e2e_peer_new (&cb, NULL);
  p.alice = e2e_peer_new (&ca, NULL);
  if (!p.bob || !p.alice)
    goto done;

  e2e_peer_start (p.bob);
  e2e_wait_until (e2e_peer_signed_in_or_failed, p.bob, 10.0);
  e2e_peer_start (p.alice);
  e2e_wait_until (relayed_media, &p, 30.0);

  pair_a = e2e_peer_selected_pair (p.alice);
  pair_b = e2e_peer_selected_pair (p.bob);
  {
    g_autofree gchar *ja = e2e_peer_status_json (p.alice);
    g_autofree gchar *jb = e2e_peer_status_json (p.bob);

    g_print ("# alice: %s\n# bob: %s\n", ja, jb);
  }
  e2e_tap (e2e_peer_min_video_frames (p.alice) >= MIN_FRAMES
      && e2e_peer_min_video_frames (p.bob) >= MIN_FRAMES
      && e2e_peer_audio_buffers (p.alice) >= MIN_FRAMES
      && e2e_peer_audio_buffers (p.bob) >= MIN_FRAMES,
      "H.264 video and audio flow both ways");
  e2e_tap (g_strcmp0 (pair_a, "relay") == 0 && g_strcmp0 (pair_b, "relay")
      == 0, "both selected candidate pairs are relayed");

done:
  e2e_peer_free (p.alice);
  e2e_peer_free (p.bob);
  e2e_server_stop (server);
  if (turn) {
    g_subprocess_send_signal (turn, SIGTERM);
    g_subprocess_wait (turn, NULL, NULL);
  }
  gst_deinit ();
  return e2e_tap_failed () ? 1 : 0;
}
