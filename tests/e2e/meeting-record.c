/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A recorded SFU meeting through the real convened, convene-worker and
 * chunkrecordersink (TAP output): two gst bots meet, an admin starts the
 * recording with POST /api/meetings/m1/recording, and the worker's
 * recorder writes chunks of both into <data>/recordings/<id>/.  Checks
 * that both participants get chunks while the meeting goes on, that stop
 * completes the manifest, that every listed chunk plays (GstDiscoverer:
 * video and audio), and that the bots' media keeps flowing after the
 * recorder is gone. */

#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "e2e-common.h"

#define N_BOTS 2
#define MIN_VIDEO_FRAMES 20
#define DEADLINE_S 60.0
#define MIN_CHUNKS 3

typedef struct
{
  E2ePeer *bots[N_BOTS];
  guint n;
} Bots;

typedef struct
{
  gchar *manifest;              /* path */
  const gchar *ids[N_BOTS];
  guint min_chunks;
} ManifestWait;


/* The manifest's object, or NULL while it is missing or unreadable. */
static JsonObject *
read_manifest (const gchar * path, JsonParser ** keep)
{
  JsonParser *parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_file (parser, path, NULL)
      || !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT
      (root)) {
    g_object_unref (parser);
    return NULL;
  }
  *keep = parser;
  return json_node_get_object (root);
}

static JsonObject *
find_participant (JsonObject * manifest, const gchar * id)
{
  JsonArray *parts = json_object_get_array_member (manifest, "participants");
  guint i;

  for (i = 0; parts && i < json_array_get_length (parts); i++) {
    JsonObject *p = json_array_get_object_element (parts, i);

    if (g_strcmp0 (json_object_get_string_member_with_default (p, "id", ""),
            id) == 0)
      return p;
  }
  return NULL;
}

static guint
chunk_count (JsonObject * participant)
{
  JsonArray *chunks = participant ?
      json_object_get_array_member (participant, "chunks") : NULL;

  return chunks ? json_array_get_length (chunks) : 0;
}

static gboolean
everyone_has_chunks (gpointer data)
{
  ManifestWait *w = data;
  JsonParser *parser = NULL;
  JsonObject *m = read_manifest (w->manifest, &parser);
  gboolean ok = m != NULL;
  guint i;

  for (i = 0; ok && i < N_BOTS; i++)
    ok = chunk_count (find_participant (m, w->ids[i])) >= w->min_chunks;
  g_clear_object (&parser);
  return ok;
}

static gboolean
manifest_complete (gpointer data)
{
  ManifestWait *w = data;
  JsonParser *parser = NULL;
  JsonObject *m = read_manifest (w->manifest, &parser);
  gboolean ok = m && json_object_get_boolean_member_with_default (m,
      "complete", FALSE);

  g_clear_object (&parser);
  return ok;
}

/* POST /api/meetings/m1/recording; the recording id, or NULL. */
static gchar *
post_recording (E2eServer * server, const gchar * token, const gchar * action)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree gchar *base = g_strdup (e2e_server_ws_url (server));
  g_autofree gchar *url = NULL;
  g_autofree gchar *body = g_strdup_printf ("{\"action\":\"%s\"}", action);
  g_autofree gchar *auth = g_strdup_printf ("Bearer %s", token);
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GBytes) req = g_bytes_new (body, strlen (body));
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *id = NULL;
  gchar *ws;

  /* ws://host:port/ws -> http://host:port/api/... */
  ws = strstr (base, "/ws");
  if (ws)
    *ws = '\0';
  url = g_strdup_printf ("http://%s/api/meetings/m1/recording",
      base + strlen ("ws://"));
  msg = soup_message_new ("POST", url);
  soup_message_headers_append (soup_message_get_request_headers (msg),
      "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", req);
  reply = soup_session_send_and_read (session, msg, NULL, &err);
  if (!reply || soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_print ("# POST %s %s: %u %s\n", url, action,
        soup_message_get_status (msg), err ? err->message :
        reply ? (const gchar *) g_bytes_get_data (reply, NULL) : "");
    return NULL;
  }
  if (json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL),
          g_bytes_get_size (reply), NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    id = json_object_get_string_member_with_default
        (json_node_get_object (json_parser_get_root (parser)), "recording_id",
        NULL);
  return g_strdup (id);
}

/* Every chunk the manifest lists plays: video and audio found. */
static gboolean
chunks_play (const gchar * dir, JsonObject * manifest, guint * checked)
{
  g_autoptr (GstDiscoverer) disc = gst_discoverer_new (10 * GST_SECOND, NULL);
  JsonArray *parts = json_object_get_array_member (manifest, "participants");
  gboolean ok = disc != NULL && parts != NULL;
  guint i, j;

  *checked = 0;
  for (i = 0; ok && i < json_array_get_length (parts); i++) {
    JsonArray *chunks = json_object_get_array_member
        (json_array_get_object_element (parts, i), "chunks");

    for (j = 0; ok && chunks && j < json_array_get_length (chunks); j++) {
      const gchar *file = json_object_get_string_member_with_default
          (json_array_get_object_element (chunks, j), "file", "");
      g_autofree gchar *path = g_build_filename (dir, file, NULL);
      g_autofree gchar *uri = gst_filename_to_uri (path, NULL);
      g_autoptr (GstDiscovererInfo) info = NULL;
      GList *video = NULL, *audio = NULL;

      info = uri ? gst_discoverer_discover_uri (disc, uri, NULL) : NULL;
      if (info) {
        video = gst_discoverer_info_get_video_streams (info);
        audio = gst_discoverer_info_get_audio_streams (info);
      }
      ok = info && gst_discoverer_info_get_result (info) ==
          GST_DISCOVERER_OK && video && audio;
      if (!ok)
        g_print ("# %s does not play (video %d, audio %d)\n", path,
            video != NULL, audio != NULL);
      gst_discoverer_stream_info_list_free (video);
      gst_discoverer_stream_info_list_free (audio);
      (*checked)++;
    }
  }
  return ok;
}

typedef struct
{
  Bots *b;
  guint before[N_BOTS];
} MoreFrames;

static gboolean
frames_keep_coming (gpointer data)
{
  MoreFrames *m = data;
  guint i;

  for (i = 0; i < m->b->n; i++)
    if (e2e_peer_min_video_frames (m->b->bots[i]) < m->before[i] + 30)
      return FALSE;
  return TRUE;
}

int
main (int argc, char **argv)
{
  const gchar *users[] = { "bot0", "bot1", "admin", NULL };
  g_autoptr (GError) err = NULL;
  g_autofree gchar *admin = NULL;
  g_autofree gchar *rec_id = NULL;
  g_autofree gchar *stopped = NULL;
  g_autofree gchar *rec_dir = NULL;
  gchar *tokens[N_BOTS] = { NULL };
  ManifestWait mw = { 0 };
  MoreFrames more = { 0 };
  E2eServer *server;
  Bots b = { {NULL}, 0 };
  gboolean ok;
  guint i, checked = 0;

  gst_init (&argc, &argv);
  g_print ("TAP version 13\n1..7\n");

  {
    /* Short chunks keep the test short; no file creator (the archiver has
     * its own tests), and loopback candidates for the worker. */
    const gchar *args[] = { "--set", "meetings.mesh-max=1",
      "--set", "recording.chunk-duration=1000",
      "--set", "recording.archiver-command=true",
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

  ok = TRUE;
  for (i = 0; i < N_BOTS && ok; i++) {
    b.bots[i] = e2e_meeting_bot_join (server, tokens[i], users[i], "m1", &err);
    if (b.bots[i] == NULL)
      g_print ("# %s\n", err->message);
    ok = b.bots[i] != NULL;
    b.n = ok ? i + 1 : i;
  }
  ok = ok && e2e_wait_until (e2e_peers_see_each_other, &(E2ePeerSet) {
        b.bots, b.n, MIN_VIDEO_FRAMES}, DEADLINE_S);
  e2e_tap (ok, "two bots meet through the SFU");

  rec_id = ok ? post_recording (server, admin, "start") : NULL;
  e2e_tap (rec_id != NULL, "POST recording start answers a recording id");

  rec_dir = g_build_filename (e2e_server_data_dir (server), "recordings",
      rec_id ? rec_id : "none", NULL);
  mw.manifest = g_build_filename (rec_dir, "manifest.json", NULL);
  for (i = 0; i < N_BOTS; i++)
    mw.ids[i] = b.bots[i] ? e2e_peer_participant_id (b.bots[i]) : "";
  mw.min_chunks = MIN_CHUNKS;
  ok = rec_id && e2e_wait_until (everyone_has_chunks, &mw, 30.0);
  {
    g_autofree gchar *what = g_strdup_printf ("the worker's recorder closes "
        "at least %u chunks of each participant while the meeting goes on",
        MIN_CHUNKS);
    e2e_tap (ok, what);
  }

  for (i = 0; i < b.n; i++)
    more.before[i] = e2e_peer_min_video_frames (b.bots[i]);
  more.b = &b;
  stopped = rec_id ? post_recording (server, admin, "stop") : NULL;
  ok = stopped && e2e_wait_until (manifest_complete, &mw, 20.0);
  e2e_tap (ok, "stop completes the manifest");

  {
    JsonParser *parser = NULL;
    JsonObject *m = read_manifest (mw.manifest, &parser);
    g_autofree gchar *what = NULL;

    ok = m && chunks_play (rec_dir, m, &checked) && checked >= 2 * MIN_CHUNKS;
    what = g_strdup_printf ("every listed chunk plays with video and audio "
        "(%u chunks)", checked);
    e2e_tap (ok, what);
    g_clear_object (&parser);
  }

  e2e_tap (e2e_wait_until (frames_keep_coming, &more, 20.0),
      "the bots' video keeps flowing after the recording stopped");

  {
    JsonParser *parser = NULL;
    JsonObject *m = read_manifest (mw.manifest, &parser);
    g_autofree gchar *what = NULL;

    ok = m && find_participant (m, mw.ids[0])
        && find_participant (m, mw.ids[1]);
    what = g_strdup_printf ("the manifest names both participants (%s, %s)",
        mw.ids[0], mw.ids[1]);
    e2e_tap (ok, what);
    g_clear_object (&parser);
  }

  for (i = 0; i < b.n; i++)
    e2e_peer_free (b.bots[i]);
  e2e_server_stop (server);
  for (i = 0; i < N_BOTS; i++)
    g_free (tokens[i]);
  g_free (mw.manifest);
  return e2e_tap_failed ()? 1 : 0;
}
