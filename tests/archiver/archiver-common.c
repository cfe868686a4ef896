/* Archiver test helpers (archiver-common.h). */
#include "archiver-common.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "recordings.h"

void
test_participant_init (TestParticipant * p, const char *id,
    const char *pattern, gint64 start_ns, guint chunks)
{
  memset (p, 0, sizeof (*p));
  p->id = id;
  p->pattern = pattern;
  p->freq = 440;
  p->start_ns = start_ns;
  p->chunks = chunks;
  p->video = p->audio = TRUE;
  p->missing = p->truncated = p->garbage = p->unlisted_gap = -1;
}

/* One self-contained 2 s Matroska chunk: VP8 320x240 30 fps + Opus. */
static void
make_chunk (const char *path, const TestParticipant * p)
{
  g_autofree char *desc = NULL;
  g_autoptr (GError) err = NULL;
  g_autoptr (GstElement) pipe = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) msg = NULL;
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "matroskamux name=m ! filesink location=\"%s\" ",
      path);
  if (p->video)
    g_string_append_printf (s, "videotestsrc pattern=%s num-buffers=60 ! "
        "video/x-raw,width=320,height=240,framerate=30/1 ! "
        "vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! m. ",
        p->pattern);
  if (p->audio)
    g_string_append_printf (s, "audiotestsrc freq=%g num-buffers=100 "
        "samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1 ! "
        "opusenc ! m. ", p->freq);
  desc = g_string_free (s, FALSE);
  pipe = gst_parse_launch (desc, &err);
  g_assert_no_error (err);
  bus = gst_element_get_bus (pipe);
  g_assert_cmpint (gst_element_set_state (pipe, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipe, GST_STATE_NULL);
}

static void
truncate_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_true (g_file_set_contents (path, data, (gssize) (len / 3), NULL));
}

static void
garbage_file (const char *path)
{
  g_autofree guint8 *data = g_malloc (100000);
  GRand *rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < 100000; i++)
    data[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  g_assert_true (g_file_set_contents (path, (char *) data, 100000, NULL));
}

void
test_make_recording (const char *dir, const char *recording_id,
    const TestParticipant * parts, guint n)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL, *path = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "recording_id");
  json_builder_add_string_value (b, recording_id);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "matroska");
  json_builder_set_member_name (b, "chunk_duration_ns");
  json_builder_add_int_value (b, 2 * SECOND_NS);
  json_builder_set_member_name (b, "complete");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "participants");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++) {
    const TestParticipant *p = &parts[i];
    g_autofree char *pdir = g_build_filename (dir, p->id, NULL);

    g_assert_cmpint (g_mkdir_with_parents (pdir, 0755), ==, 0);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, p->id);
    json_builder_set_member_name (b, "tracks");
    json_builder_begin_array (b);
    if (p->video) {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "pad");
      json_builder_add_string_value (b, "sink_0");
      json_builder_set_member_name (b, "track_id");
      json_builder_add_string_value (b, "cam");
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, "video");
      json_builder_set_member_name (b, "codec");
      json_builder_add_string_value (b, "VP8");
      json_builder_end_object (b);
    }
    if (p->audio) {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "pad");
      json_builder_add_string_value (b, "sink_1");
      json_builder_set_member_name (b, "track_id");
      json_builder_add_string_value (b, "mic");
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, "audio");
      json_builder_set_member_name (b, "codec");
      json_builder_add_string_value (b, "OPUS");
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_set_member_name (b, "chunks");
    json_builder_begin_array (b);
    for (guint c = 0; c < p->chunks; c++) {
      g_autofree char *rel = g_strdup_printf ("%s/chunk-%05u.mkv", p->id, c);
      g_autofree char *file = g_build_filename (dir, rel, NULL);

      if ((int) c == p->unlisted_gap)
        continue;
      if ((int) c != p->missing) {
        make_chunk (file, p);
        if ((int) c == p->truncated)
          truncate_file (file);
        if ((int) c == p->garbage)
          garbage_file (file);
      }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, c);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, rel);
      json_builder_set_member_name (b, "start_running_time_ns");
      json_builder_add_int_value (b, c * 2 * SECOND_NS);
      json_builder_set_member_name (b, "duration_ns");
      json_builder_add_int_value (b, 2 * SECOND_NS);
      json_builder_set_member_name (b, "start_wallclock_ns");
      json_builder_add_int_value (b, p->start_ns + c * 2 * SECOND_NS);
      json_builder_set_member_name (b, "wallclock_source");
      json_builder_add_string_value (b, "pipeline-clock");
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  path = g_build_filename (dir, "manifest.json", NULL);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

void
test_add_row (const char *data_dir, const char *id, const char *meeting,
    const char *dir)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CnvRecordings) r = cnv_recordings_open (data_dir, &err);
  const char *const people[] = { "alice", "bob", NULL };
  gint64 now = g_get_real_time () / 1000;

  g_assert_no_error (err);
  g_assert_true (cnv_recordings_create (r, id, meeting, dir, now - 10000,
          &err));
  g_assert_no_error (err);
  g_assert_true (cnv_recordings_set_stopped (r, id, now, people, &err));
  g_assert_no_error (err);
}

CnvRecording *
test_get_row (const char *data_dir, const char *id)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (CnvRecordings) r = cnv_recordings_open (data_dir, &err);
  CnvRecording *rec;

  g_assert_no_error (err);
  rec = cnv_recordings_get (r, id, &err);
  g_assert_no_error (err);
  return rec;
}

void
test_run_clear (TestRun * r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

char *
test_archiver_path (void)
{
  const char *root = g_getenv ("CONVENE_BUILD_ROOT");

  g_assert_nonnull (root);
  return g_build_filename (root, "orchestrator", "archiver",
      "convene-archiver", NULL);
}

static GSubprocessLauncher *
launcher (const char *const *env, GSubprocessFlags flags)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (flags);

  for (guint i = 0; env && env[i]; i++) {
    g_auto (GStrv) kv = g_strsplit (env[i], "=", 2);
    g_subprocess_launcher_setenv (l, kv[0], kv[1] ? kv[1] : "", TRUE);
  }
  return l;
}

static GStrv
argv_for (const char *const *args)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

  g_autofree char *path = test_archiver_path ();

  g_strv_builder_add (b, path);
  g_strv_builder_addv (b, (const char **) args);
  return g_strv_builder_end (b);
}

typedef struct
{
  GMainLoop *loop;
  gboolean done;
  char *out, *err;
} Wait;

static void
on_communicated (GObject * src, GAsyncResult * res, gpointer data)
{
  Wait *w = data;
  g_autoptr (GError) err = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (src), res, &w->out,
      &w->err, &err);
  g_assert_no_error (err);
  w->done = TRUE;
  g_main_loop_quit (w->loop);
}

static gboolean
on_timeout (gpointer data)
{
  Wait *w = data;

  g_main_loop_quit (w->loop);
  return G_SOURCE_REMOVE;
}

void
test_run_archiver (const char *const *args, const char *const *env,
    guint timeout_s, TestRun * out)
{
  g_autoptr (GSubprocessLauncher) l = launcher (env,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_auto (GStrv) argv = argv_for (args);
  g_autoptr (GError) err = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  Wait w = { 0 };
  GSource *t;

  g_main_context_push_thread_default (ctx);
  proc = g_subprocess_launcher_spawnv (l, (const char *const *) argv, &err);
  g_assert_no_error (err);
  w.loop = g_main_loop_new (ctx, FALSE);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_communicated,
      &w);
  t = g_timeout_source_new_seconds (timeout_s);
  g_source_set_callback (t, on_timeout, &w, NULL);
  g_source_attach (t, ctx);
  g_main_loop_run (w.loop);
  g_source_destroy (t);
  g_source_unref (t);
  if (!w.done) {
    g_subprocess_force_exit (proc);
    while (!w.done)
      g_main_context_iteration (ctx, TRUE);
    g_printerr ("%s", w.err ? w.err : "");
    g_error ("convene-archiver %s did not finish within %u s", args[0],
        timeout_s);
  }
  g_subprocess_wait (proc, NULL, NULL);
  out->status = g_subprocess_get_if_exited (proc) ?
      g_subprocess_get_exit_status (proc) : -1;
  out->out = w.out;
  out->err = w.err;
  g_main_loop_unref (w.loop);
  g_main_context_pop_thread_default (ctx);
  /* The archiver's log is part of what the tests check; keep it visible. */
  g_printerr ("%s", out->err ? out->err : "");
}

GSubprocess *
test_spawn_archiver (const char *const *args, const char *const *env,
    const char *err_path)
{
  g_autoptr (GSubprocessLauncher) l = launcher (env,
      G_SUBPROCESS_FLAGS_NONE);
  g_auto (GStrv) argv = argv_for (args);
  g_autoptr (GError) err = NULL;
  GSubprocess *proc;

  g_subprocess_launcher_set_stderr_file_path (l, err_path);
  proc = g_subprocess_launcher_spawnv (l, (const char *const *) argv, &err);
  g_assert_no_error (err);
  return proc;
}

gboolean
test_wait_for_text (const char *path, const char *needle, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  do {
    g_autofree char *text = NULL;

    if (g_file_get_contents (path, &text, NULL, NULL) &&
        strstr (text, needle))
      return TRUE;
    g_usleep (50000);
  } while (g_get_monotonic_time () < deadline);
  return FALSE;
}

static char *
line_value (const char *text, const char *prefix)
{
  const char *p = strstr (text, prefix);
  const char *e;

  if (!p)
    return NULL;
  p += strlen (prefix);
  e = strchr (p, '\n');
  return g_strstrip (e ? g_strndup (p, (gsize) (e - p)) : g_strdup (p));
}

void
test_discover (const char *file, char **video, char **audio,
    gint64 * duration_ns)
{
  const char *argv[] = { "gst-discoverer-1.0", file, NULL };
  g_autofree char *out = NULL, *dur = NULL;
  g_autoptr (GError) err = NULL;
  int status;
  guint h, m;
  double s;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
          NULL, &status, &err));
  g_assert_no_error (err);
  g_test_message ("gst-discoverer-1.0:\n%s", out);
  /* "    video #1: H.264 (High Profile)", "    audio #2: MPEG-4 AAC",
   * "  Duration: 0:00:10.033333333" */
  *video = NULL;
  *audio = NULL;
  for (const char *p = out; (p = strstr (p, "video #")); p++)
    if (!*video)
      *video = line_value (p, ": ");
  for (const char *p = out; (p = strstr (p, "audio #")); p++)
    if (!*audio)
      *audio = line_value (p, ": ");
  dur = line_value (out, "Duration: ");
  *duration_ns = -1;
  if (dur && sscanf (dur, "%u:%u:%lf", &h, &m, &s) == 3)
    *duration_ns = (gint64) ((h * 3600 + m * 60 + s) * 1e9);
}

/* Byte by byte: atoms sit at odd offsets, and GST_READ_UINT32_BE's
 * unaligned loads upset UBSan. */
static guint64
read_be (const guint8 * d, guint n)
{
  guint64 v = 0;

  for (guint i = 0; i < n; i++)
    v = (v << 8) | d[i];
  return v;
}

gboolean
test_moov_before_mdat (const char *file)
{
  g_autoptr (GMappedFile) map = g_mapped_file_new (file, FALSE, NULL);
  const guint8 *d;
  gsize len, off = 0;
  int moov = -1, mdat = -1, n = 0;

  g_assert_nonnull (map);
  d = (const guint8 *) g_mapped_file_get_contents (map);
  len = g_mapped_file_get_length (map);
  while (off + 8 <= len && (moov < 0 || mdat < 0)) {
    guint64 size = read_be (d + off, 4);

    if (memcmp (d + off + 4, "moov", 4) == 0)
      moov = n;
    else if (memcmp (d + off + 4, "mdat", 4) == 0)
      mdat = n;
    if (size == 1 && off + 16 <= len)
      size = read_be (d + off + 8, 8);
    if (size < 8)
      break;
    off += size;
    n++;
  }
  g_test_message ("top-level atom order: moov #%d, mdat #%d", moov, mdat);
  return moov >= 0 && mdat >= 0 && moov < mdat;
}
