/* convene-archiver end to end without S3: recordings generated here (no
 * recorder element needed), assembled by the real program into the local
 * folder, checked with gst-discoverer-1.0, the MP4's atom order and the
 * pixels of decoded frames. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

#include "archiver-common.h"
#include "recordings.h"

typedef struct
{
  char *data;
  char *data_arg;
} Fixture;

static void
fixture_setup (Fixture * f, gconstpointer unused)
{
  g_autoptr (GError) err = NULL;

  f->data = g_dir_make_tmp ("archiver-XXXXXX", &err);
  g_assert_no_error (err);
  f->data_arg = g_strdup_printf ("--data-dir=%s", f->data);
}

static void
rm_rf (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileEnumerator) e = NULL;
  GFileInfo *info;

  e = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (e && (info = g_file_enumerator_next_file (e, NULL, NULL))) {
    g_autofree char *child = g_build_filename (path,
        g_file_info_get_name (info), NULL);

    if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
      rm_rf (child);
    else
      g_unlink (child);
    g_object_unref (info);
  }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture * f, gconstpointer unused)
{
  if (g_getenv ("ARCHIVER_TEST_KEEP"))
    g_test_message ("kept %s", f->data);
  else
    rm_rf (f->data);
  g_free (f->data);
  g_free (f->data_arg);
}

static char *
recording_dir (Fixture * f, const char *id)
{
  return g_build_filename (f->data, "recordings", id, NULL);
}

static void
assemble (Fixture * f, const char *id, int expect_status, TestRun * run)
{
  const char *args[] = { f->data_arg, "assemble", id, NULL };

  test_run_archiver (args, NULL, 120, run);
  g_assert_cmpint (run->status, ==, expect_status);
}

static void
check_mp4 (const char *file, gint64 span_ns)
{
  g_autofree char *video = NULL, *audio = NULL;
  gint64 dur;

  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  test_discover (file, &video, &audio, &dur);
  g_assert_nonnull (video);
  g_assert_nonnull (audio);
  g_assert_true (g_str_has_prefix (video, "H.264"));
  g_assert_nonnull (strstr (audio, "AAC"));
  g_test_message ("duration %.3f s, span %.3f s", dur / 1e9, span_ns / 1e9);
  g_assert_cmpint (ABS (dur - span_ns), <=, 2 * SECOND_NS);
  g_assert_true (test_moov_before_mdat (file));
}

static void
test_assemble (Fixture * f, gconstpointer unused)
{
  const char *id = "m1-20261121T120000Z";
  g_autofree char *dir = recording_dir (f, id);
  g_autofree char *out = g_build_filename (f->data, "recordings-out", "m1",
      "m1-20261121T120000Z.mp4", NULL);
  g_autofree char *events = g_build_filename (f->data, "events.jsonl", NULL);
  g_autofree char *ev_text = NULL, *chunk0 = NULL, *local_mp4 = NULL;
  g_autoptr (CnvRecording) rec = NULL;
  TestParticipant p[3];
  TestRun run = { 0 };
  GStatBuf st;

  /* Staggered: bob joins 3 s after alice, carol 1.5 s after her; the span
   * is 13 s (alice's start to bob's end). */
  test_participant_init (&p[0], "alice", "smpte", T0_NS, 5);
  test_participant_init (&p[1], "bob", "ball", T0_NS + 3 * SECOND_NS, 5);
  p[1].freq = 660;
  test_participant_init (&p[2], "carol", "snow", T0_NS + 3 * SECOND_NS / 2,
      4);
  p[2].freq = 880;
  test_make_recording (dir, id, p, 3);
  test_add_row (f->data, id, "m1", dir);

  assemble (f, id, 0, &run);
  g_assert_nonnull (strstr (run.err, "assembled 13.0 s"));
  g_assert_nonnull (strstr (run.err, "0 of 14 chunks skipped"));
  check_mp4 (out, 13 * SECOND_NS);
  g_assert_cmpint (g_stat (out, &st), ==, 0);
  g_test_message ("MP4: %" G_GINT64_FORMAT " bytes", (gint64) st.st_size);

  rec = test_get_row (f->data, id);
  g_assert_cmpstr (rec->status, ==, "ready");
  g_assert_cmpint (rec->progress, ==, 100);
  g_assert_cmpstr (rec->url, ==, out);
  /* Local storage keeps the chunks (the only other copy) but not a second
   * MP4. */
  chunk0 = g_build_filename (dir, "alice", "chunk-00000.mkv", NULL);
  g_assert_true (g_file_test (chunk0, G_FILE_TEST_EXISTS));
  local_mp4 = g_build_filename (dir, "m1-20261121T120000Z.mp4", NULL);
  g_assert_false (g_file_test (local_mp4, G_FILE_TEST_EXISTS));

  g_assert_true (g_file_get_contents (events, &ev_text, NULL, NULL));
  g_assert_nonnull (strstr (ev_text, "\"recording.ready\""));
  g_assert_nonnull (strstr (ev_text, "\"duration_ms\":13000"));

  /* Again: already ready, nothing to do. */
  test_run_clear (&run);
  assemble (f, id, 0, &run);
  g_assert_nonnull (strstr (run.err, "already ready"));
  test_run_clear (&run);
}

/* The RGB pixel at (x, y) of the decoded frame nearest to each of @times. */
static void
sample_pixels (const char *file, const GstClockTime * times, guint n,
    int x, int y, guint8 (*rgb)[3])
{
  g_autofree char *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "decodebin ! videoconvert ! video/x-raw,format=RGB ! "
      "appsink name=s sync=false", file);
  g_autoptr (GError) err = NULL;
  g_autoptr (GstElement) pipe = gst_parse_launch (desc, &err);
  GstElement *sink;
  GstClockTime *best = g_new (GstClockTime, n);

  g_assert_no_error (err);
  for (guint i = 0; i < n; i++)
    best[i] = GST_CLOCK_TIME_NONE;
  sink = gst_bin_get_by_name (GST_BIN (pipe), "s");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  for (;;) {
    g_autoptr (GstSample) s = gst_app_sink_try_pull_sample (GST_APP_SINK
        (sink), 30 * GST_SECOND);
    GstBuffer *buf;
    GstClockTime pts;
    GstMapInfo map;
    GstStructure *st;
    int width;

    if (!s)
      break;
    buf = gst_sample_get_buffer (s);
    pts = GST_BUFFER_PTS (buf);
    st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
    gst_structure_get_int (st, "width", &width);
    for (guint i = 0; i < n; i++) {
      GstClockTimeDiff d = GST_CLOCK_DIFF (times[i], pts);

      if (best[i] != GST_CLOCK_TIME_NONE &&
          ABS (d) >= ABS (GST_CLOCK_DIFF (times[i], best[i])))
        continue;
      best[i] = pts;
      gst_buffer_map (buf, &map, GST_MAP_READ);
      memcpy (rgb[i], map.data + y * GST_ROUND_UP_4 (width * 3) + x * 3, 3);
      gst_buffer_unmap (buf, &map);
    }
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  for (guint i = 0; i < n; i++) {
    g_test_message ("(%d,%d) at %.2f s: %u %u %u", x, y,
        (double) best[i] / GST_SECOND, rgb[i][0], rgb[i][1], rgb[i][2]);
    g_assert_cmpuint (best[i], !=, GST_CLOCK_TIME_NONE);
  }
  g_free (best);
}

static gboolean
is_black (const guint8 * c)
{
  return c[0] < 40 && c[1] < 40 && c[2] < 40;
}

static gboolean
is_red (const guint8 * c)
{
  return c[0] > 180 && c[1] < 80 && c[2] < 80;
}

static gboolean
is_blue (const guint8 * c)
{
  return c[2] > 180 && c[0] < 80 && c[1] < 80;
}

static void
test_lined_up (Fixture * f, gconstpointer unused)
{
  const char *id = "m2-20261121T120000Z";
  g_autofree char *dir = recording_dir (f, id);
  g_autofree char *out = g_build_filename (f->data, "recordings-out", "m2",
      "m2-20261121T120000Z.mp4", NULL);
  const GstClockTime times[] = { 1 * GST_SECOND, 5 * GST_SECOND,
    8 * GST_SECOND, 10 * GST_SECOND
  };
  guint8 left[4][3], right[4][3];
  TestParticipant p[2];
  TestRun run = { 0 };

  /* Two side-by-side tiles of 640x720 (the 4:3 picture letterboxed in
   * each). Bob starts 3 s after alice, and his chunk 2 (7-9 s) was lost:
   * his tile must be black before 3 s and in the gap, and his picture at
   * 9-11 s must come from his chunk 3 (placed by its own wall clock, not
   * pulled forward to 7 s). */
  test_participant_init (&p[0], "alice", "red", T0_NS, 6);
  test_participant_init (&p[1], "bob", "blue", T0_NS + 3 * SECOND_NS, 4);
  p[1].unlisted_gap = 2;
  test_make_recording (dir, id, p, 2);
  test_add_row (f->data, id, "m2", dir);
  assemble (f, id, 0, &run);
  test_run_clear (&run);

  sample_pixels (out, times, 4, 320, 360, left);
  sample_pixels (out, times, 4, 960, 360, right);
  for (guint i = 0; i < 4; i++)
    g_assert_true (is_red (left[i]));
  g_assert_true (is_black (right[0]));
  g_assert_true (is_blue (right[1]));
  g_assert_true (is_black (right[2]));
  g_assert_true (is_blue (right[3]));
}

static void
test_damaged (Fixture * f, gconstpointer unused)
{
  const char *id = "m3-20261121T120000Z";
  g_autofree char *dir = recording_dir (f, id);
  g_autofree char *out = g_build_filename (f->data, "recordings-out", "m3",
      "m3-20261121T120000Z.mp4", NULL);
  g_autoptr (CnvRecording) rec = NULL;
  TestParticipant p[2];
  TestRun run = { 0 };

  /* alice's last chunk was cut short by a crash; bob's chunk 1 is listed
   * but gone, and his chunk 3 is random bytes. */
  test_participant_init (&p[0], "alice", "smpte", T0_NS, 5);
  p[0].truncated = 4;
  test_participant_init (&p[1], "bob", "ball", T0_NS + SECOND_NS, 5);
  p[1].missing = 1;
  p[1].garbage = 3;
  test_make_recording (dir, id, p, 2);
  test_add_row (f->data, id, "m3", dir);

  assemble (f, id, 0, &run);
  g_assert_nonnull (strstr (run.err, "chunk-00001.mkv is missing"));
  g_assert_nonnull (strstr (run.err, "chunk 3"));
  check_mp4 (out, 11 * SECOND_NS);
  rec = test_get_row (f->data, id);
  g_assert_cmpstr (rec->status, ==, "ready");
  test_run_clear (&run);
}

static void
test_recover (Fixture * f, gconstpointer unused)
{
  const char *ids[] = { "m4-20261121T120000Z", "m5-20261121T120000Z" };
  const char *args[] = { f->data_arg, "recover", NULL };
  TestRun run = { 0 };

  for (guint i = 0; i < 2; i++) {
    g_autofree char *dir = recording_dir (f, ids[i]);
    g_autofree char *meeting = g_strndup (ids[i], 2);
    TestParticipant p;

    test_participant_init (&p, "alice", "smpte", T0_NS, 2);
    test_make_recording (dir, ids[i], &p, 1);
    test_add_row (f->data, ids[i], meeting, dir);
  }
  /* The archiver died while uploading the second one. */
  {
    g_autoptr (GError) err = NULL;
    g_autoptr (CnvRecordings) r = cnv_recordings_open (f->data, &err);

    g_assert_true (cnv_recordings_set_status (r, ids[1], "uploading", 0,
            NULL, NULL, &err));
  }
  test_run_archiver (args, NULL, 120, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "2 recordings to assemble"));
  for (guint i = 0; i < 2; i++) {
    g_autoptr (CnvRecording) rec = test_get_row (f->data, ids[i]);

    g_assert_cmpstr (rec->status, ==, "ready");
    g_assert_true (g_file_test (rec->url, G_FILE_TEST_IS_REGULAR));
  }
  test_run_clear (&run);

  /* Nothing left to do. */
  test_run_archiver (args, NULL, 60, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.err, "to assemble"));
  test_run_clear (&run);
}

static void
test_no_manifest (Fixture * f, gconstpointer unused)
{
  const char *id = "m6-20261121T120000Z";
  g_autofree char *dir = recording_dir (f, id);
  g_autoptr (CnvRecording) rec = NULL;
  TestRun run = { 0 };
  const char *bad_args[] = { f->data_arg, "assemble", "nope", NULL };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  test_add_row (f->data, id, "m6", dir);
  assemble (f, id, 1, &run);
  rec = test_get_row (f->data, id);
  g_assert_cmpstr (rec->status, ==, "failed");
  g_assert_nonnull (strstr (rec->error, "manifest.json"));
  test_run_clear (&run);

  /* An unknown recording is an error, with no row to mark. */
  test_run_archiver (bad_args, NULL, 60, &run);
  g_assert_cmpint (run.status, ==, 1);
  test_run_clear (&run);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/archiver/assemble", Fixture, NULL, fixture_setup,
      test_assemble, fixture_teardown);
  g_test_add ("/archiver/lined-up", Fixture, NULL, fixture_setup,
      test_lined_up, fixture_teardown);
  g_test_add ("/archiver/damaged", Fixture, NULL, fixture_setup,
      test_damaged, fixture_teardown);
  g_test_add ("/archiver/recover", Fixture, NULL, fixture_setup,
      test_recover, fixture_teardown);
  g_test_add ("/archiver/no-manifest", Fixture, NULL, fixture_setup,
      test_no_manifest, fixture_teardown);
  return g_test_run ();
}
