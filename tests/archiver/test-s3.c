/* convene-archiver against an S3 stand-in (s3rver, from the browser tests'
 * node_modules) on 127.0.0.1: single PUT, forced multipart, wrong
 * credentials, and a store that only comes up while the archiver is
 * retrying. Skipped when node or s3rver is not there. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <curl/curl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include "archiver-common.h"
#include "recordings.h"

typedef struct
{
  char *data;
  char *s3dir;
  char *data_arg;
  GSubprocess *s3rver;
  guint port;
} Fixture;

static char *
s3rver_script (void)
{
  const char *root = g_getenv ("CONVENE_SOURCE_ROOT");

  return g_build_filename (root ? root : ".", "tests", "e2e", "browser",
      "node_modules", "s3rver", "bin", "s3rver.js", NULL);
}

static void
die_with_parent (gpointer unused)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Starts s3rver on @port (0: any); returns the port it listens on. */
static guint
start_s3rver (Fixture * f, guint port)
{
  g_autofree char *script = s3rver_script ();
  g_autofree char *port_s = g_strdup_printf ("%u", port);
  g_autofree char *log = g_build_filename (f->data, "s3rver.out", NULL);
  g_autoptr (GSubprocessLauncher) l =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GError) err = NULL;
  g_autofree char *text = NULL;
  const char *p;

  g_unlink (log);
  g_subprocess_launcher_set_stdout_file_path (l, log);
  g_subprocess_launcher_set_stderr_file_path (l, log);
  /* A failed assertion must not leave it running. */
  g_subprocess_launcher_set_child_setup (l, die_with_parent, NULL, NULL);
  f->s3rver = g_subprocess_launcher_spawn (l, &err, "node", script,
      "--directory", f->s3dir, "--address", "127.0.0.1", "--port", port_s,
      "--silent", NULL);
  g_assert_no_error (err);
  /* It prints "S3rver listening on 127.0.0.1:PORT" once it accepts. */
  g_assert_true (test_wait_for_text (log, "listening on 127.0.0.1:", 30));
  g_assert_true (test_wait_for_text (log, "\n", 5) || TRUE);
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  p = strstr (text, "127.0.0.1:") + strlen ("127.0.0.1:");
  return (guint) g_ascii_strtoull (p, NULL, 10);
}

static void
stop_s3rver (Fixture * f)
{
  if (!f->s3rver)
    return;
  g_subprocess_send_signal (f->s3rver, SIGTERM);
  g_subprocess_wait (f->s3rver, NULL, NULL);
  g_clear_object (&f->s3rver);
}

static gboolean
have_s3rver (void)
{
  g_autofree char *script = s3rver_script ();
  g_autofree char *node = g_find_program_in_path ("node");

  return node && g_file_test (script, G_FILE_TEST_EXISTS);
}

static void
fixture_setup (Fixture * f, gconstpointer start)
{
  g_autoptr (GError) err = NULL;

  f->data = g_dir_make_tmp ("archiver-s3-XXXXXX", &err);
  g_assert_no_error (err);
  f->s3dir = g_build_filename (f->data, "s3", NULL);
  f->data_arg = g_strdup_printf ("--data-dir=%s", f->data);
  if (have_s3rver () && GPOINTER_TO_INT (start))
    f->port = start_s3rver (f, 0);
}

static void
fixture_teardown (Fixture * f, gconstpointer unused)
{
  g_autofree char *cmd = NULL;

  stop_s3rver (f);
  if (!g_getenv ("ARCHIVER_TEST_KEEP")) {
    cmd = g_strdup_printf ("rm -rf '%s'", f->data);
    g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  }
  g_free (f->data);
  g_free (f->s3dir);
  g_free (f->data_arg);
}

static char *
make_recording (Fixture * f, const char *id, const char *meeting)
{
  char *dir = g_build_filename (f->data, "recordings", id, NULL);
  TestParticipant p;

  test_participant_init (&p, "alice", "smpte", T0_NS, 2);
  test_make_recording (dir, id, &p, 1);
  test_add_row (f->data, id, meeting, dir);
  return dir;
}

/* s3rver checks the access key but not SigV4 signatures, so "wrong
 * credentials" here is a wrong access key. */
static GStrv
s3_args (Fixture * f, const char *access, const char *cmd, const char *id)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_autofree char *endpoint = g_strdup_printf
      ("--set=storage.s3-endpoint=http://127.0.0.1:%u", f->port);
  g_autofree char *key = g_strdup_printf ("--set=storage.s3-access-key=%s",
      access);

  g_strv_builder_add_many (b, f->data_arg, endpoint,
      "--set=storage.s3-bucket=recordings",
      "--set=storage.s3-secret-key=S3RVER", key, cmd, id, NULL);
  return g_strv_builder_end (b);
}

static size_t
to_file (char *buf, size_t size, size_t n, void *user)
{
  return fwrite (buf, size, n, user);
}

/* GETs @url (signed like the archiver's requests) into @path. */
static long
download (const char *url, const char *path)
{
  FILE *out = fopen (path, "wb");
  CURL *curl = curl_easy_init ();
  struct curl_slist *headers = curl_slist_append (NULL,
      "x-amz-content-sha256: "
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  long status = 0;

  g_assert_nonnull (out);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
  curl_easy_setopt (curl, CURLOPT_USERPWD, "S3RVER:S3RVER");
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, to_file);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, out);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  g_assert_cmpint (curl_easy_perform (curl), ==, CURLE_OK);
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup (curl);
  curl_slist_free_all (headers);
  fclose (out);
  return status;
}

/* The size_bytes the archiver announced in events.jsonl. */
static gint64
announced_size (Fixture * f)
{
  g_autofree char *path = g_build_filename (f->data, "events.jsonl", NULL);
  g_autofree char *text = NULL;
  const char *p;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  p = strstr (text, "\"size_bytes\":");
  g_assert_nonnull (p);
  return g_ascii_strtoll (p + strlen ("\"size_bytes\":"), NULL, 10);
}

static void
check_object (Fixture * f, const CnvRecording * rec)
{
  g_autofree char *copy = g_build_filename (f->data, "downloaded.mp4", NULL);
  GStatBuf st;

  g_assert_cmpint (download (rec->url, copy), ==, 200);
  g_assert_cmpint (g_stat (copy, &st), ==, 0);
  g_test_message ("object %s: %" G_GINT64_FORMAT " bytes", rec->url,
      (gint64) st.st_size);
  g_assert_cmpint (st.st_size, ==, announced_size (f));
  g_assert_true (test_moov_before_mdat (copy));
}

static void
test_put (Fixture * f, gconstpointer unused)
{
  const char *id = "m1-20261121T120000Z";
  g_autofree char *dir = NULL;
  g_autofree char *want = NULL;
  g_auto (GStrv) args = NULL;
  g_autoptr (CnvRecording) rec = NULL;
  TestRun run = { 0 };

  if (!f->port) {
    g_test_skip ("node or s3rver not available");
    return;
  }
  dir = make_recording (f, id, "m1");
  args = s3_args (f, "S3RVER", "assemble", id);
  test_run_archiver ((const char *const *) args, NULL, 120, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "creating bucket recordings"));
  g_assert_null (strstr (run.err, "multipart"));
  rec = test_get_row (f->data, id);
  g_assert_cmpstr (rec->status, ==, "ready");
  want = g_strdup_printf ("http://127.0.0.1:%u/recordings/recordings/m1/%s"
      ".mp4", f->port, id);
  g_assert_cmpstr (rec->url, ==, want);
  check_object (f, rec);
  /* Confirmed by the store: chunks and local MP4 are gone. */
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  test_run_clear (&run);
}

static void
test_multipart (Fixture * f, gconstpointer unused)
{
  const char *id = "m2-20261121T120000Z";
  const char *env[] = { "CONVENE_ARCHIVER_S3_PART_SIZE=65536", NULL };
  g_autofree char *dir = NULL;
  g_auto (GStrv) args = NULL;
  g_autoptr (CnvRecording) rec = NULL;
  TestRun run = { 0 };

  if (!f->port) {
    g_test_skip ("node or s3rver not available");
    return;
  }
  dir = make_recording (f, id, "m2");
  args = s3_args (f, "S3RVER", "assemble", id);
  test_run_archiver ((const char *const *) args, env, 120, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "multipart upload"));
  g_assert_nonnull (strstr (run.err, "part 2/"));
  rec = test_get_row (f->data, id);
  g_assert_cmpstr (rec->status, ==, "ready");
  check_object (f, rec);
  test_run_clear (&run);
}

static void
test_wrong_credentials (Fixture * f, gconstpointer unused)
{
  const char *id = "m3-20261121T120000Z";
  g_autofree char *dir = NULL, *mp4 = NULL;
  g_auto (GStrv) bad = NULL, good = NULL;
  g_autoptr (CnvRecording) rec = NULL, rec2 = NULL;
  TestRun run = { 0 };

  if (!f->port) {
    g_test_skip ("node or s3rver not available");
    return;
  }
  dir = make_recording (f, id, "m3");
  mp4 = g_strdup_printf ("%s/%s.mp4", dir, id);
  bad = s3_args (f, "NOT-S3RVER", "assemble", id);
  test_run_archiver ((const char *const *) bad, NULL, 120, &run);
  g_assert_cmpint (run.status, ==, 1);
  rec = test_get_row (f->data, id);
  g_assert_cmpstr (rec->status, ==, "failed");
  g_test_message ("error: %s", rec->error);
  g_assert_nonnull (strstr (rec->error, "HTTP 403"));
  g_assert_nonnull (strstr (rec->error, "InvalidAccessKeyId"));
  g_assert_nonnull (strstr (rec->error, "local copy"));
  /* Not retried: a refusal is not a network problem. */
  g_assert_null (strstr (run.err, "retrying"));
  g_assert_true (g_file_test (mp4, G_FILE_TEST_IS_REGULAR));
  test_run_clear (&run);

  /* With the right key the kept MP4 goes up without a second assembly. */
  good = s3_args (f, "S3RVER", "assemble", id);
  test_run_archiver ((const char *const *) good, NULL, 120, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "already assembled"));
  rec2 = test_get_row (f->data, id);
  g_assert_cmpstr (rec2->status, ==, "ready");
  g_assert_false (g_file_test (mp4, G_FILE_TEST_EXISTS));
  test_run_clear (&run);
}

static void
test_retry (Fixture * f, gconstpointer unused)
{
  const char *id = "m4-20261121T120000Z";
  const char *env[] = { "CONVENE_ARCHIVER_S3_BACKOFF_MS=100",
    "CONVENE_ARCHIVER_S3_ATTEMPTS=12", NULL
  };
  g_autofree char *dir = NULL, *log = NULL, *text = NULL;
  g_auto (GStrv) args = NULL;
  g_autoptr (CnvRecording) rec = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) err = NULL;

  if (!have_s3rver ()) {
    g_test_skip ("node or s3rver not available");
    return;
  }
  /* Learn a port s3rver can have, then take it down: the archiver finds
   * nobody there and must keep trying until it comes back. */
  f->port = start_s3rver (f, 0);
  stop_s3rver (f);
  dir = make_recording (f, id, "m4");
  log = g_build_filename (f->data, "archiver.log", NULL);
  args = s3_args (f, "S3RVER", "assemble", id);
  proc = test_spawn_archiver ((const char *const *) args, env, log);
  g_assert_true (test_wait_for_text (log, "attempt 2 failed", 120));
  g_assert_cmpuint (start_s3rver (f, f->port), ==, f->port);
  g_assert_true (g_subprocess_wait (proc, NULL, &err));
  g_assert_no_error (err);
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  g_printerr ("%s", text);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_nonnull (strstr (text, "retrying in"));
  rec = test_get_row (f->data, id);
  g_assert_cmpstr (rec->status, ==, "ready");
  check_object (f, rec);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  curl_global_init (CURL_GLOBAL_DEFAULT);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/archiver/s3/put", Fixture, GINT_TO_POINTER (1),
      fixture_setup, test_put, fixture_teardown);
  g_test_add ("/archiver/s3/multipart", Fixture, GINT_TO_POINTER (1),
      fixture_setup, test_multipart, fixture_teardown);
  g_test_add ("/archiver/s3/wrong-credentials", Fixture, GINT_TO_POINTER (1),
      fixture_setup, test_wrong_credentials, fixture_teardown);
  g_test_add ("/archiver/s3/retry", Fixture, GINT_TO_POINTER (0),
      fixture_setup, test_retry, fixture_teardown);
  return g_test_run ();
}
