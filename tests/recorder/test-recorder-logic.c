/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The element-free logic of chunkrecordersink: codec table, naming,
 * wall-clock maths, the timestamp sanitiser and the manifest writer. */

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "crs-logic.h"
#include "crs-manifest.h"

static void
test_codec_table (void)
{
  static const struct
  {
    const gchar *media, *enc, *codec, *depay;
    CrsKind kind;
  } cases[] = {
    {"application/x-rtp", "VP8", "VP8", "rtpvp8depay", CRS_KIND_VIDEO},
    {"application/x-rtp", "vp8", "VP8", "rtpvp8depay", CRS_KIND_VIDEO},
    {"application/x-rtp", "OPUS", "OPUS", "rtpopusdepay", CRS_KIND_AUDIO},
    {"application/x-rtp", "H264", "H264", "rtph264depay", CRS_KIND_VIDEO},
    {"video/x-h264", NULL, "H264", NULL, CRS_KIND_VIDEO},
    {"audio/x-opus", NULL, "OPUS", NULL, CRS_KIND_AUDIO},
    {"video/x-vp8", NULL, "VP8", NULL, CRS_KIND_VIDEO},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    const CrsCodec *c = crs_codec_lookup (cases[i].media, cases[i].enc);

    g_assert_nonnull (c);
    g_assert_cmpstr (c->codec, ==, cases[i].codec);
    g_assert_cmpstr (c->depay, ==, cases[i].depay);
    g_assert_cmpint (c->kind, ==, cases[i].kind);
  }
  g_assert_null (crs_codec_lookup ("application/x-rtp", "G722"));
  g_assert_null (crs_codec_lookup ("application/x-rtp", NULL));
  g_assert_null (crs_codec_lookup ("video/x-raw", NULL));
  g_assert_null (crs_codec_lookup (NULL, NULL));
}

static void
test_naming (void)
{
  static const struct
  {
    const gchar *id, *dir;
  } cases[] = {
    {"alice", "alice"}, {"../etc", "_._etc"}, {"a/b", "a_b"},
    {".hidden", "_hidden"}, {"", "_"}, {"Bob-1_x.y", "Bob-1_x.y"},
    {"é", "__"},
  };
  guint i;
  gchar *s;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    s = crs_participant_dir_name (cases[i].id);
    g_assert_cmpstr (s, ==, cases[i].dir);
    g_free (s);
  }
  s = crs_participant_dir_name ("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  g_assert_cmpuint (strlen (s), ==, 64);
  g_free (s);

  s = crs_chunk_file_name ("alice", 7, CRS_FORMAT_MATROSKA);
  g_assert_cmpstr (s, ==, "alice/chunk-00007.mkv");
  g_free (s);
  s = crs_chunk_file_name ("bob", 12345, CRS_FORMAT_MPEGTS);
  g_assert_cmpstr (s, ==, "bob/chunk-12345.ts");
  g_free (s);
  s = crs_chunk_file_name ("c", 0, CRS_FORMAT_MP4);
  g_assert_cmpstr (s, ==, "c/chunk-00000.mp4");
  g_free (s);
  g_assert_cmpstr (crs_format_muxer (CRS_FORMAT_MP4), ==, "mp4mux");
}

static void
test_wallclock (void)
{
  /* 2026-11-21T12:00:00Z */
  const gint64 unix_s = G_GINT64_CONSTANT (1795262400);
  guint64 ntp = (guint64) (unix_s + CRS_NTP_UNIX_OFFSET_S) * CRS_SECOND;

  g_assert_cmpint (crs_wallclock_from_ntp (ntp, 5 * CRS_SECOND,
          5 * CRS_SECOND), ==, unix_s * CRS_SECOND);
  /* a chunk 2 s after the SR-stamped buffer, and one before it */
  g_assert_cmpint (crs_wallclock_from_ntp (ntp, 5 * CRS_SECOND,
          7 * CRS_SECOND), ==, (unix_s + 2) * CRS_SECOND);
  g_assert_cmpint (crs_wallclock_from_ntp (ntp, 5 * CRS_SECOND,
          4 * CRS_SECOND), ==, (unix_s - 1) * CRS_SECOND);

  /* base 100 s, clock at 110 s: running time 10 s is now, 7 s was 3 s ago */
  g_assert_cmpint (crs_wallclock_from_clock (10 * CRS_SECOND,
          100 * CRS_SECOND, 110 * CRS_SECOND, unix_s * CRS_SECOND), ==,
      unix_s * CRS_SECOND);
  g_assert_cmpint (crs_wallclock_from_clock (7 * CRS_SECOND,
          100 * CRS_SECOND, 110 * CRS_SECOND, unix_s * CRS_SECOND), ==,
      (unix_s - 3) * CRS_SECOND);
}

static void
test_restamp (void)
{
  static const struct
  {
    gint64 pts, dts, now;       /* in */
    gint64 out_pts, out_dts;    /* expected */
  } steps[] = {
    /* a first DTS before 0 (B-frames) shifts the stream to 0 */
    {0, -66, 10, 66, 0},
    {100, 0, 10, 166, 66},
    /* a small step back is flattened */
    {200, -10, 10, 276, 66},
    /* no timestamps: it happens now */
    {CRS_TIME_NONE, CRS_TIME_NONE, 500, 500, CRS_TIME_NONE},
    /* a jump of an hour is glued on at the arrival time */
    {3600 * CRS_SECOND, CRS_TIME_NONE, 600, 600, CRS_TIME_NONE},
    {3600 * CRS_SECOND + 20, CRS_TIME_NONE, 650, 620, CRS_TIME_NONE},
    /* back to a timeline an hour earlier: glued on again */
    {1000, CRS_TIME_NONE, 700, 700, CRS_TIME_NONE},
  };
  CrsRestamp st;
  guint i;

  crs_restamp_init (&st);
  for (i = 0; i < G_N_ELEMENTS (steps); i++) {
    gint64 pts = steps[i].pts, dts = steps[i].dts;

    g_assert_true (crs_restamp (&st, &pts, &dts, steps[i].now));
    g_assert_cmpint (pts, ==, steps[i].out_pts);
    g_assert_cmpint (dts, ==, steps[i].out_dts);
  }
  g_assert_cmpuint (st.clamped, ==, 1);
  g_assert_cmpuint (st.reanchored, ==, 2);

  /* nothing to go by */
  {
    gint64 pts = CRS_TIME_NONE, dts = CRS_TIME_NONE;

    crs_restamp_init (&st);
    g_assert_false (crs_restamp (&st, &pts, &dts, CRS_TIME_NONE));
  }
}

static JsonObject *
parse (const gchar * json, JsonParser * parser)
{
  g_autoptr (GError) err = NULL;

  g_assert_true (json_parser_load_from_data (parser, json, -1, &err));
  g_assert_no_error (err);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_manifest (void)
{
  CrsManifest *m = crs_manifest_new ("m1-20261121T120000Z",
      CRS_FORMAT_MATROSKA, 2 * CRS_SECOND);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const gchar *file = NULL;
  JsonObject *root, *chunk;
  JsonArray *parts, *chunks;
  guint a, b, b2, idx;
  guint64 start, dur;
  gint64 wall;
  gchar *json;

  a = crs_manifest_participant (m, "alice");
  b = crs_manifest_participant (m, "a/b");
  b2 = crs_manifest_participant (m, "a_b");
  g_assert_cmpuint (crs_manifest_participant (m, "alice"), ==, a);
  g_assert_cmpstr (crs_manifest_participant_dir (m, b), ==, "a_b");
  g_assert_cmpstr (crs_manifest_participant_dir (m, b2), ==, "a_b-2");

  crs_manifest_add_track (m, a, "sink_0", "cam", CRS_KIND_VIDEO, "VP8");
  crs_manifest_add_track (m, a, "sink_1", "mic", CRS_KIND_AUDIO, "OPUS");
  g_assert_cmpuint (crs_manifest_open_chunk (m, a, 0, 1000, "rtcp-sr",
          &file), ==, 0);
  g_assert_cmpstr (file, ==, "alice/chunk-00000.mkv");
  g_assert_cmpuint (crs_manifest_open_chunk (m, a, 2 * CRS_SECOND, 2000,
          "pipeline-clock", &file), ==, 1);

  /* an open chunk is not listed */
  json = crs_manifest_to_json (m);
  root = parse (json, parser);
  g_free (json);
  g_assert_false (json_object_get_boolean_member (root, "complete"));
  parts = json_object_get_array_member (root, "participants");
  g_assert_cmpuint (json_array_get_length (parts), ==, 3);
  chunks = json_object_get_array_member (json_array_get_object_element
      (parts, 0), "chunks");
  g_assert_cmpuint (json_array_get_length (chunks), ==, 0);

  g_assert_false (crs_manifest_close_chunk (m, a, "nope.mkv", 0, NULL, NULL,
          NULL, NULL));
  g_assert_true (crs_manifest_close_chunk (m, a, "alice/chunk-00000.mkv",
          2002000000, &idx, &start, &dur, &wall));
  g_assert_cmpuint (idx, ==, 0);
  g_assert_cmpuint (dur, ==, 2002000000);
  g_assert_cmpint (wall, ==, 1000);
  /* closing twice is refused */
  g_assert_false (crs_manifest_close_chunk (m, a, "alice/chunk-00000.mkv",
          3, NULL, NULL, NULL, NULL));
  g_assert_cmpuint (crs_manifest_n_closed (m, a), ==, 1);
  crs_manifest_set_complete (m);

  json = crs_manifest_to_json (m);
  root = parse (json, parser);
  g_assert_true (json_object_get_boolean_member (root, "complete"));
  g_assert_cmpstr (json_object_get_string_member (root, "format"), ==,
      "matroska");
  g_assert_cmpint (json_object_get_int_member (root, "chunk_duration_ns"),
      ==, 2 * CRS_SECOND);
  parts = json_object_get_array_member (root, "participants");
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (parts, 1), "id"), ==, "a/b");
  chunks = json_object_get_array_member (json_array_get_object_element
      (parts, 0), "chunks");
  g_assert_cmpuint (json_array_get_length (chunks), ==, 1);
  chunk = json_array_get_object_element (chunks, 0);
  g_assert_cmpstr (json_object_get_string_member (chunk, "file"), ==,
      "alice/chunk-00000.mkv");
  g_assert_cmpint (json_object_get_int_member (chunk, "duration_ns"), ==,
      2002000000);
  g_assert_cmpstr (json_object_get_string_member (chunk,
          "wallclock_source"), ==, "rtcp-sr");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member
          (json_array_get_object_element (parts, 0), "tracks")), ==, 2);

  /* the atomic writer leaves exactly the new content and no tmp file */
  {
    g_autoptr (GError) err = NULL;
    g_autofree gchar *dir = g_dir_make_tmp ("crs-XXXXXX", &err);
    g_autofree gchar *path = g_build_filename (dir, "manifest.json", NULL);
    g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
    g_autofree gchar *back = NULL;
    g_autofree gchar *missing = g_build_filename (dir, "no", "such", NULL);

    g_assert_true (crs_write_file_atomic (dir, "manifest.json", "old", &err));
    g_assert_true (crs_write_file_atomic (dir, "manifest.json", json, &err));
    g_assert_no_error (err);
    g_assert_true (g_file_get_contents (path, &back, NULL, NULL));
    g_assert_cmpstr (back, ==, json);
    g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
    g_assert_false (crs_write_file_atomic (missing, "manifest.json", json,
            &err));
    g_assert_nonnull (err);
    g_unlink (path);
    g_rmdir (dir);
  }
  g_free (json);
  crs_manifest_free (m);
}

/* Closes chunk @index of @p opened at @rt. */
static void
close_chunk (CrsManifest * m, guint p, guint64 rt)
{
  const gchar *file = NULL;

  crs_manifest_open_chunk (m, p, rt, 1000 + rt, "rtcp-sr", &file);
  g_assert_true (crs_manifest_close_chunk (m, p, file, rt + CRS_SECOND,
          NULL, NULL, NULL, NULL));
}

static JsonArray *
chunks_of (JsonObject * root, guint p)
{
  return json_object_get_array_member (json_array_get_object_element
      (json_object_get_array_member (root, "participants"), p), "chunks");
}

/* A manifest left by a previous run is continued: nothing it lists is
 * lost, numbering goes on, files on disk are never handed out again. */
static void
test_manifest_resume (void)
{
  CrsManifest *m = crs_manifest_new ("rec1", CRS_FORMAT_MATROSKA,
      CRS_SECOND);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("crs-XXXXXX", &err);
  g_autofree gchar *sub = g_build_filename (dir, "alice", NULL);
  g_autofree gchar *partial = g_build_filename (sub, "chunk-00002.mkv", NULL);
  const gchar *file = NULL;
  JsonObject *root, *c;
  JsonArray *chunks;
  gchar *json;
  guint a, b, bob;

  a = crs_manifest_participant (m, "alice");
  b = crs_manifest_participant (m, "b");
  crs_manifest_add_track (m, a, "sink_0", "cam", CRS_KIND_VIDEO, "VP8");
  crs_manifest_add_track (m, a, "sink_0", "cam", CRS_KIND_VIDEO, "VP8");
  g_assert_cmpuint (crs_manifest_n_tracks (m, a), ==, 1);
  close_chunk (m, a, 0);
  close_chunk (m, a, CRS_SECOND);
  /* the chunk open at the "crash" is not listed */
  crs_manifest_open_chunk (m, a, 2 * CRS_SECOND, 0, "rtcp-sr", NULL);
  crs_manifest_set_complete (m);
  json = crs_manifest_to_json (m);
  crs_manifest_free (m);
  root = parse (json, parser);
  g_assert_cmpint (json_object_get_int_member (root, "segment"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element
          (chunks_of (root, 0), 0), "segment"), ==, 0);
  g_assert_cmpuint (json_array_get_length (chunks_of (root, 1)), ==, 0);

  /* the open chunk's file is on disk */
  g_assert_no_error (err);
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  g_assert_true (g_file_set_contents (partial, "x", 1, NULL));

  m = crs_manifest_resume (json, -1, CRS_FORMAT_MATROSKA, 2 * CRS_SECOND,
      &err);
  g_assert_no_error (err);
  g_assert_nonnull (m);
  g_free (json);
  crs_manifest_set_directory (m, dir);
  g_assert_cmpstr (crs_manifest_recording_id (m), ==, "rec1");
  g_assert_cmpuint (crs_manifest_segment (m), ==, 1);
  g_assert_cmpuint (crs_manifest_participant (m, "alice"), ==, a);
  g_assert_cmpuint (crs_manifest_participant (m, "b"), ==, b);
  g_assert_cmpuint (crs_manifest_n_closed (m, a), ==, 2);
  /* the same track again is not a new track; another one is */
  crs_manifest_add_track (m, a, "sink_3", "cam", CRS_KIND_VIDEO, "VP8");
  crs_manifest_add_track (m, a, "sink_4", "mic", CRS_KIND_AUDIO, "OPUS");
  g_assert_cmpuint (crs_manifest_n_tracks (m, a), ==, 2);
  /* 2 is taken on disk though unlisted: 3 */
  g_assert_cmpuint (crs_manifest_open_chunk (m, a, 0, 5, "pipeline-clock",
          &file), ==, 3);
  g_assert_cmpstr (file, ==, "alice/chunk-00003.mkv");
  g_assert_true (crs_manifest_close_chunk (m, a, file, CRS_SECOND, NULL,
          NULL, NULL, NULL));
  /* a newcomer whose directory name clashes gets its own */
  bob = crs_manifest_participant (m, "alice?");
  g_assert_cmpstr (crs_manifest_participant_dir (m, bob), ==, "alice_");
  g_assert_cmpstr (crs_manifest_participant_dir (m, b), ==, "b");
  json = crs_manifest_to_json (m);
  crs_manifest_free (m);

  root = parse (json, parser);
  g_assert_false (json_object_get_boolean_member (root, "complete"));
  g_assert_cmpint (json_object_get_int_member (root, "segment"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (root, "chunk_duration_ns"),
      ==, 2 * CRS_SECOND);
  chunks = chunks_of (root, 0);
  g_assert_cmpuint (json_array_get_length (chunks), ==, 3);
  c = json_array_get_object_element (chunks, 1);
  g_assert_cmpint (json_object_get_int_member (c, "index"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (c, "start_running_time_ns"),
      ==, CRS_SECOND);
  g_assert_cmpint (json_object_get_int_member (c, "start_wallclock_ns"),
      ==, 1000 + CRS_SECOND);
  g_assert_cmpint (json_object_get_int_member (c, "segment"), ==, 0);
  c = json_array_get_object_element (chunks, 2);
  g_assert_cmpint (json_object_get_int_member (c, "index"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (c, "segment"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (c, "wallclock_source"),
      ==, "pipeline-clock");

  /* a second resume is segment 2, even for a run that closed nothing */
  m = crs_manifest_resume (json, -1, CRS_FORMAT_MPEGTS, CRS_SECOND, &err);
  g_assert_no_error (err);
  g_free (json);
  json = crs_manifest_to_json (m);
  crs_manifest_free (m);
  m = crs_manifest_resume (json, -1, CRS_FORMAT_MPEGTS, CRS_SECOND, &err);
  g_assert_no_error (err);
  g_assert_cmpuint (crs_manifest_segment (m), ==, 3);
  g_assert_cmpuint (crs_manifest_open_chunk (m, a, 0, 5, "rtcp-sr", &file),
      ==, 4);
  g_assert_cmpstr (file, ==, "alice/chunk-00004.ts");
  crs_manifest_free (m);
  g_free (json);

  g_unlink (partial);
  g_rmdir (sub);
  g_rmdir (dir);
}

/* Anything but a manifest we wrote is refused whole. */
static void
test_manifest_resume_refused (void)
{
  static const struct
  {
    const gchar *json;
    gint code;                  /* -1: a JSON syntax error */
  } cases[] = {
    {"", -1},
    {"{\"version\": 1, \"recording_id\": \"r\", \"partici", -1},
    {"[]", CRS_MANIFEST_ERROR_PARSE},
    {"{}", CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 2, \"recording_id\": \"r\", \"participants\": []}",
        CRS_MANIFEST_ERROR_VERSION},
    {"{\"version\": \"1\", \"recording_id\": \"r\", \"participants\": []}",
        CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"participants\": []}", CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\"}", CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": [1]}",
        CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": "
          "[{\"id\": \"a\"}, {\"id\": \"a\"}]}", CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": "
          "[{\"id\": \"a\", \"chunks\": [{\"index\": 0, "
          "\"file\": \"../x.mkv\"}]}]}", CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": "
          "[{\"id\": \"a\", \"chunks\": [{\"index\": 0, "
          "\"file\": \"/a/x.mkv\"}]}]}", CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": "
          "[{\"id\": \"a\", \"chunks\": [{\"index\": \"0\", "
          "\"file\": \"a/x.mkv\"}]}]}", CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": "
          "[{\"id\": \"a\", \"chunks\": [{\"index\": 0, \"file\": \"a/0.mkv\"},"
          "{\"index\": 0, \"file\": \"a/1.mkv\"}]}]}",
        CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": "
          "[{\"id\": \"a\", \"chunks\": [{\"index\": 0, \"file\": \"a/0.mkv\"},"
          "{\"index\": 1, \"file\": \"b/1.mkv\"}]}]}",
        CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": "
          "[{\"id\": \"a\", \"chunks\": [{\"index\": 0, \"file\": \"a/0.mkv\"}]},"
          "{\"id\": \"b\", \"chunks\": [{\"index\": 0, \"file\": \"a/1.mkv\"}]}"
          "]}", CRS_MANIFEST_ERROR_PARSE},
    {"{\"version\": 1, \"recording_id\": \"r\", \"participants\": "
          "[{\"id\": \"a\", \"tracks\": [{\"pad\": \"s\", \"track_id\": \"t\","
          "\"kind\": \"smell\", \"codec\": \"VP8\"}]}]}",
        CRS_MANIFEST_ERROR_PARSE},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) err = NULL;
    CrsManifest *m = crs_manifest_resume (cases[i].json, -1,
        CRS_FORMAT_MATROSKA, CRS_SECOND, &err);

    g_test_message ("case %u: %s", i, err ? err->message : "accepted");
    g_assert_null (m);
    g_assert_nonnull (err);
    if (cases[i].code >= 0)
      g_assert_error (err, CRS_MANIFEST_ERROR, cases[i].code);
  }

  /* a minimal hand-written one is fine: missing optional fields default */
  {
    g_autoptr (GError) err = NULL;
    CrsManifest *m = crs_manifest_resume ("{\"version\": 1, "
        "\"recording_id\": \"r\", \"participants\": [{\"id\": \"a\", "
        "\"chunks\": [{\"index\": 4, \"file\": \"a/chunk-00004.mkv\"}]}]}",
        -1, CRS_FORMAT_MATROSKA, CRS_SECOND, &err);

    g_assert_no_error (err);
    g_assert_cmpuint (crs_manifest_segment (m), ==, 1);
    g_assert_cmpuint (crs_manifest_open_chunk (m, 0, 0, 0, "rtcp-sr",
            NULL), ==, 5);
    crs_manifest_free (m);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recorder/logic/codec-table", test_codec_table);
  g_test_add_func ("/recorder/logic/naming", test_naming);
  g_test_add_func ("/recorder/logic/wallclock", test_wallclock);
  g_test_add_func ("/recorder/logic/restamp", test_restamp);
  g_test_add_func ("/recorder/logic/manifest", test_manifest);
  g_test_add_func ("/recorder/logic/manifest-resume", test_manifest_resume);
  g_test_add_func ("/recorder/logic/manifest-resume-refused",
      test_manifest_resume_refused);
  return g_test_run ();
}
