/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Shared by the gst e2e programs (gst-gst, convene-testpeer, the call-setup
 * bench): a real convened in a temporary data dir, and a test peer pipeline
 * (test sources -> signalbridge -> counting sinks). */

#ifndef __CONVENE_E2E_COMMON_H__
#define __CONVENE_E2E_COMMON_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _E2eServer E2eServer;

/* Starts $CONVENE_BIN (or @bin) on 127.0.0.1:0 with a fresh data dir holding
 * @users.  Returns NULL and sets @error on failure. */
E2eServer *e2e_server_start (const gchar * bin, const gchar * const *users,
    GError ** error);
/* Same, with extra convened arguments (e.g. "--set", "ice.turn=..."). */
E2eServer *e2e_server_start_with_args (const gchar * bin,
    const gchar * const *users, const gchar * const *extra_args,
    GError ** error);
const gchar *e2e_server_ws_url (E2eServer * server);
const gchar *e2e_server_data_dir (E2eServer * server);
/* A token for @user, from the convened CLI; NULL on failure. */
gchar *e2e_server_token (E2eServer * server, const gchar * user,
    GError ** error);
/* A token scoped to @meeting (a scoped token's join creates the meeting). */
gchar *e2e_server_meeting_token (E2eServer * server, const gchar * user,
    const gchar * meeting, GError ** error);
/* A token with every grant (admin, record, publish, subscribe). */
gchar *e2e_server_admin_token (E2eServer * server, const gchar * user,
    GError ** error);
void e2e_server_stop (E2eServer * server);

typedef struct
{
  const gchar *uri;
  const gchar *token;
  const gchar *call;
  gboolean answer;
  gboolean relay;
  gboolean allow_loopback;
  const gchar *turn_server;
  const gchar *stun_server;
  const gchar *name;
  /* "vp8" (default) or "h264" */
  const gchar *video_codec;
  /* Leave remote video tracks after the first unlinked (like an app that
   * ignores a screen share): they are counted but carry no frames here. */
  gboolean leave_extra_video_unlinked;
  /* Join this meeting instead of calling. */
  const gchar *meeting;
} E2ePeerConfig;

typedef struct _E2ePeer E2ePeer;

/* Fills the configs of the usual pair: @callee ("bob", answer=true) and
 * @caller ("alice", call=bob), both with allow-loopback. */
void e2e_call_configs (E2ePeerConfig * caller, E2ePeerConfig * callee,
    const gchar * uri, const gchar * caller_token, const gchar * callee_token);

E2ePeer *e2e_peer_new (const E2ePeerConfig * config, GError ** error);
/* Sets the pipeline PLAYING; progress is seen from the default main context
 * (a bus watch), so the caller iterates it. */
gboolean e2e_peer_start (E2ePeer * peer);
void e2e_peer_hangup (E2ePeer * peer);
/* Adds a second local video source (a "screen share") mid-call. */
gboolean e2e_peer_add_video_track (E2ePeer * peer);
void e2e_peer_free (E2ePeer * peer);

guint e2e_peer_video_tracks (E2ePeer * peer);
/* Frames received on video track @i so far. */
guint e2e_peer_video_frames (E2ePeer * peer, guint i);
/* Smallest frame count over the video tracks (0 without tracks). */
guint e2e_peer_min_video_frames (E2ePeer * peer);
guint e2e_peer_audio_buffers (E2ePeer * peer);
/* Last signalbridge-call-state "state" ("none" before any). */
const gchar *e2e_peer_state (E2ePeer * peer);
/* For e2e_wait_until (@peer is an E2ePeer): signed in ("connected"), or
 * failed. */
gboolean e2e_peer_signed_in_or_failed (gpointer peer);
/* The first error posted on the bus, or NULL. */
const gchar *e2e_peer_error (E2ePeer * peer);
/* g_get_monotonic_time () of the first remote video frame, 0 before it. */
gint64 e2e_peer_first_frame_time (E2ePeer * peer);
/* g_get_monotonic_time () when the call was placed ("calling"), or 0. */
gint64 e2e_peer_calling_time (E2ePeer * peer);
/* g_get_monotonic_time () of "connected" (signed in), or 0.  A peer with a
 * call to make sends the request at that moment. */
gint64 e2e_peer_connected_time (E2ePeer * peer);
/* Candidate type of the selected pair's local side ("host", "relay", ...),
 * from webrtcbin's statistics; "none" before ICE has selected a pair. */
gchar *e2e_peer_selected_pair (E2ePeer * peer);
/* One JSON line describing the peer (see convene-testpeer.c). */
gchar *e2e_peer_status_json (E2ePeer * peer);

/* Iterates the default main context until @done returns TRUE or @timeout_s
 * pass; returns whether @done became TRUE. */
gboolean e2e_wait_until (gboolean (*done) (gpointer), gpointer data,
    gdouble timeout_s);

/* Meetings: the participant-id of the publisher of video track @i (""
 * outside meetings; NULL if there is no such track), and our own
 * participant id once joined (NULL before). */
gchar *e2e_peer_video_publisher (E2ePeer * peer, guint i);
const gchar *e2e_peer_participant_id (E2ePeer * peer);

/* TAP helpers: prints "ok N - what" or "not ok N - what". */
/* Meeting bots. A bot that joined @meeting (within 10 s) with loopback
 * candidates, or NULL (and why in @error). */
E2ePeer *e2e_meeting_bot_join (E2eServer * server, const gchar * token,
    const gchar * name, const gchar * meeting, GError ** error);

typedef struct
{
  E2ePeer **peers;
  guint n;
  guint min_frames;
} E2ePeerSet;

/* For e2e_wait_until: each peer decodes at least min_frames of a video
 * track from every other peer (or one of them failed). */
gboolean e2e_peers_see_each_other (gpointer peer_set);

void e2e_tap (gboolean ok, const gchar * what);
gboolean e2e_tap_failed (void);

G_END_DECLS

#endif /* __CONVENE_E2E_COMMON_H__ */
