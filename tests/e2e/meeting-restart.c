/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The media worker killed mid-meeting (TAP output): three gst bots
 * (signalbridge meeting=m1) in an SFU meeting through the real convened and
 * convene-worker; once everyone decodes everyone, the worker gets SIGKILL.
 * convened must start a new one (GET /api/meetings: another worker.pid)
 * and every bot must decode new frames from every other bot within 5 s of
 * the kill (the group-call acceptance item), without a pipeline error.
 *
 * A bot rebuilds both sessions with the new worker; its tracks from the old
 * one stay as silent src pads and the new ones come as new pads, so
 * recovery is counted per publisher over all of a bot's video tracks.  Run
 * it through tests/netns-run.sh. */

#include <signal.h>
#include <string.h>

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "e2e-common.h"

#define N_BOTS 3
#define MIN_VIDEO_FRAMES 20
/* Frames in flight when the worker dies (a 100 ms jitter buffer at 30 fps)
 * could still be counted after the kill: ask for more than those. */
#define MIN_NEW_FRAMES 10
#define DEADLINE_S 60.0
#define RECOVERY_S 5.0
/* How long to keep waiting past the acceptance, to report the figure. */
#define RECOVERY_WAIT_S 30.0

/* worker.pid of meeting @id from GET /api/meetings: > 0, 0 while the
 * meeting has no running worker, -1 on failure. */
static gint64
worker_pid (SoupSession * session, const gchar * url, const gchar * admin,
    const gchar * id)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree gchar *auth = g_strdup_printf ("Bearer %s", admin);
  JsonArray *meetings;
  JsonNode *root;
  guint i;

  soup_message_headers_append (soup_message_get_request_headers (msg),
      "Authorization", auth);
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  if (reply == NULL || soup_message_get_status (msg) != SOUP_STATUS_OK
      || !json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL),
          g_bytes_get_size (reply), NULL)
      || !(root = json_parser_get_root (parser))
      || !JSON_NODE_HOLDS_OBJECT (root)
      || !(meetings = json_object_get_array_member (json_node_get_object
              (root), "meetings")))
    return -1;
  for (i = 0; i < json_array_get_length (meetings); i++) {
    JsonObject *m = json_array_get_object_element (meetings, i);
    JsonNode *worker;

    if (g_strcmp0 (json_object_get_string_member_with_default (m, "id", ""),
            id) != 0)
      continue;
    worker = json_object_get_member (m, "worker");
    if (worker == NULL || !JSON_NODE_HOLDS_OBJECT (worker))
      return 0;
    return json_object_get_int_member_with_default (json_node_get_object
        (worker), "pid", 0);
  }
  return 0;
}

typedef struct
{
  SoupSession *session;
  const gchar *url;
  const gchar *admin;
  gint64 not_pid;               /* wait for a worker other than this one */
  gint64 pid;
} WorkerWait;

static gboolean
worker_running (gpointer data)
{
  WorkerWait *w = data;
  gint64 pid = worker_pid (w->session, w->url, w->admin, "m1");

  if (pid > 0 && pid != w->not_pid)
    w->pid = pid;
  return w->pid > 0;
}

/* Video frames @bot decoded so far from @publisher, over all its tracks
 * (the old worker's and the new one's). */
static guint
frames_from (E2ePeer * bot, const gchar * publisher)
{
  guint i, n = 0;

  for (i = 0; i < e2e_peer_video_tracks (bot); i++) {
    g_autofree gchar *pub = e2e_peer_video_publisher (bot, i);

    if (g_strcmp0 (pub, publisher) == 0)
      n += e2e_peer_video_frames (bot, i);
  }
  return n;
}

typedef struct
{
  E2ePeer **bots;
  guint n;
  gint64 killed;                /* g_get_monotonic_time () of the kill */
  guint at_kill[N_BOTS][N_BOTS];        /* frames of [bot] from [publisher] */
  gint64 recovered[N_BOTS];     /* when, 0 before */
} Recovery;

/* For e2e_wait_until: notes when each bot has new frames from every other
 * one; done when all have (or one failed). */
static gboolean
all_recovered (gpointer data)
{
  Recovery *r = data;
  gboolean all = TRUE;
  guint i, j;

  for (i = 0; i < r->n; i++) {
    gboolean ok = TRUE;

    if (e2e_peer_error (r->bots[i]))
      return TRUE;
    for (j = 0; j < r->n && ok && !r->recovered[i]; j++)
      if (j != i)
        ok = frames_from (r->bots[i], e2e_peer_participant_id (r->bots[j]))
            >= r->at_kill[i][j] + MIN_NEW_FRAMES;
    if (ok && !r->recovered[i])
      r->recovered[i] = g_get_monotonic_time ();
    all = all && r->recovered[i];
  }
  return all;
}

int
main (int argc, char **argv)
{
  const gchar *users[] = { "bot0", "bot1", "bot2", "admin", NULL };
  g_autoptr (GError) err = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autofree gchar *admin = NULL;
  g_autofree gchar *api = NULL;
  gchar *tokens[N_BOTS] = { NULL };
  E2eServer *server;
  E2ePeer *bots[N_BOTS] = { NULL };
  Recovery rec = { bots, 0 };
  WorkerWait first = { 0 }, second = { 0 };
  gboolean ok;
  guint i, j;

  gst_init (&argc, &argv);
  g_print ("TAP version 13\n1..%u\n", 4 + 2 * N_BOTS);

  {
    const gchar *args[] = { "--set", "meetings.mesh-max=1",
      "--set", "ice.allow-loopback=true", NULL
    };
    server = e2e_server_start_with_args (NULL, users, args, &err);
  }
  if (server == NULL) {
    g_print ("Bail out! convened: %s\n", err->message);
    return 1;
  }
  admin = e2e_server_admin_token (server, "admin", &err);
  for (i = 0; admin && i < N_BOTS; i++)
    if (!(tokens[i] = e2e_server_meeting_token (server, users[i], "m1",
                &err)))
      break;
  if (!admin || i < N_BOTS) {
    g_print ("Bail out! token: %s\n", err->message);
    return 1;
  }
  {
    /* ws://127.0.0.1:PORT/ws -> http://127.0.0.1:PORT/api/meetings */
    g_autofree gchar *host = g_strdup (e2e_server_ws_url (server) + 5);

    *strchr (host, '/') = '\0';
    api = g_strdup_printf ("http://%s/api/meetings", host);
  }
  session = soup_session_new ();

  /* One at a time: the second join moves the meeting to the SFU. */
  ok = TRUE;
  for (i = 0; i < N_BOTS && ok; i++) {
    bots[i] = e2e_meeting_bot_join (server, tokens[i], users[i], "m1", &err);
    if (bots[i] == NULL)
      g_print ("# %s\n", err->message);
    ok = bots[i] != NULL;
    rec.n = ok ? i + 1 : i;
  }
  e2e_tap (ok, "three bots joined meeting m1");

  ok = ok && e2e_wait_until (e2e_peers_see_each_other, &(E2ePeerSet) {
        bots, rec.n, MIN_VIDEO_FRAMES}, DEADLINE_S);
  for (i = 0; ok && i < rec.n; i++)
    ok = e2e_peer_error (bots[i]) == NULL;
  e2e_tap (ok, "every bot decodes video from every other bot");

  first = (WorkerWait) {
  session, api, admin, 0, 0};
  ok = ok && e2e_wait_until (worker_running, &first, 10.0);
  if (ok) {
    for (i = 0; i < rec.n; i++)
      for (j = 0; j < rec.n; j++)
        rec.at_kill[i][j] = j == i ? 0 : frames_from (bots[i],
            e2e_peer_participant_id (bots[j]));
    rec.killed = g_get_monotonic_time ();
    ok = kill ((pid_t) first.pid, SIGKILL) == 0;
  }
  {
    g_autofree gchar *what = g_strdup_printf ("the worker (pid %"
        G_GINT64_FORMAT ") got SIGKILL", first.pid);

    e2e_tap (ok, what);
  }

  second = (WorkerWait) {
  session, api, admin, first.pid, 0};
  ok = ok && e2e_wait_until (worker_running, &second, 10.0);
  {
    g_autofree gchar *what = g_strdup_printf ("convened started a new "
        "worker (pid %" G_GINT64_FORMAT ", %.2f s after the kill)",
        second.pid, ok ? (g_get_monotonic_time () - rec.killed) / 1e6 : -1.0);

    e2e_tap (ok, what);
  }

  /* Wait past the acceptance so that a slow recovery still says how slow. */
  if (ok)
    e2e_wait_until (all_recovered, &rec, RECOVERY_WAIT_S
        - (g_get_monotonic_time () - rec.killed) / 1e6);
  for (i = 0; i < rec.n; i++) {
    gdouble s = rec.recovered[i] ?
        (rec.recovered[i] - rec.killed) / 1e6 : -1.0;
    g_autofree gchar *what = NULL;
    GString *counts = g_string_new (NULL);

    for (j = 0; j < e2e_peer_video_tracks (bots[i]); j++) {
      g_autofree gchar *pub = e2e_peer_video_publisher (bots[i], j);

      g_string_append_printf (counts, "%s%s:%u", j ? " " : "", pub,
          e2e_peer_video_frames (bots[i], j));
    }
    what = g_strdup_printf ("%s: new video from every other bot %.2f s after "
        "the kill (within %.0f s; tracks %s)", users[i], s, RECOVERY_S,
        counts->str);
    g_string_free (counts, TRUE);
    e2e_tap (rec.recovered[i] && s <= RECOVERY_S, what);
  }
  for (i = 0; i < rec.n; i++) {
    g_autofree gchar *what = g_strdup_printf ("%s: no pipeline error (%s)",
        users[i], GST_STR_NULL (e2e_peer_error (bots[i])));

    e2e_tap (e2e_peer_error (bots[i]) == NULL, what);
  }

  for (i = 0; i < N_BOTS; i++)
    e2e_peer_free (bots[i]);
  e2e_server_stop (server);

  /* The worker inherits our output: one that does not stop would hold the
   * test open.  It should be gone; if not, say so and end it. */
  if (second.pid > 0) {
    gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

    while (kill ((pid_t) second.pid, 0) == 0
        && g_get_monotonic_time () < end)
      g_usleep (100 * G_TIME_SPAN_MILLISECOND);
    if (kill ((pid_t) second.pid, SIGKILL) == 0)
      g_print ("# the new worker %" G_GINT64_FORMAT " still ran 10 s after "
          "the meeting ended: killed\n", second.pid);
  }
  for (i = 0; i < N_BOTS; i++)
    g_free (tokens[i]);
  return e2e_tap_failed ()? 1 : 0;
}
