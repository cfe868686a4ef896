/* One recording from chunks to storage (docs/archiver.md).
 *
 * Status in the recordings row: stopped -> assembling (progress 0-100 as the
 * output advances) -> uploading -> ready (url) | failed (error). What stays on disk:
 *   - S3: the chunks and the local MP4 are deleted once the store confirmed
 *     the object (2xx on the PUT or the CompleteMultipartUpload); on failure
 *     both stay, and "assemble ID" later uploads the MP4 without assembling
 *     again.
 *   - local folder: the MP4 is copied (fsynced) to <local-dir>/<meeting>/
 *     and the copy in the recording folder removed; the chunks stay, as the
 *     only other copy of the media. */
#include "job.h"

#include <curl/curl.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "assemble.h"
#include "manifest.h"
#include "storage.h"
#include "token.h"

#define ENV_PART_SIZE "CONVENE_ARCHIVER_S3_PART_SIZE"
#define ENV_ATTEMPTS "CONVENE_ARCHIVER_S3_ATTEMPTS"
#define ENV_BACKOFF "CONVENE_ARCHIVER_S3_BACKOFF_MS"
#define ENV_STALL "CONVENE_ARCHIVER_STALL_TIMEOUT_MS"

static guint64
env_uint (const char *name, guint64 def, guint64 min, guint64 max)
{
  const char *v = g_getenv (name);
  guint64 n;

  if (!v || !*v)
    return def;
  if (!g_ascii_string_to_unsigned (v, 10, min, max, &n, NULL)) {
    g_warning ("ignoring %s=%s (expected %" G_GUINT64_FORMAT "..%"
        G_GUINT64_FORMAT ")", name, v, min, max);
    return def;
  }
  return n;
}

void
cnv_archiver_init (CnvArchiver * self, const CnvConfig * config,
    CnvRecordings * recordings, CnvEvents * events)
{
  const char *url = g_getenv ("CONVENE_URL");

  memset (self, 0, sizeof (*self));
  self->config = config;
  self->recordings = recordings;
  self->events = events;
  self->convened_url = url && *url ? g_strdup (url) : NULL;
  self->s3_part_size = env_uint (ENV_PART_SIZE, 16 * 1024 * 1024, 1024,
      G_GUINT64_CONSTANT (5) << 30);
  self->s3_attempts = (guint) env_uint (ENV_ATTEMPTS, 8, 1, 100);
  self->s3_backoff_ms = (guint) env_uint (ENV_BACKOFF, 500, 1, 60000);
  self->stall_timeout_ms = (guint) env_uint (ENV_STALL, 60000, 100,
      3600000);
}

void
cnv_archiver_clear (CnvArchiver * self)
{
  g_clear_pointer (&self->convened_url, g_free);
}

typedef struct
{
  CnvArchiver *self;
  const char *id;
  guint last_logged;
} Progress;

static void
set_status (CnvArchiver * self, const char *id, const char *status,
    int progress, const char *url, const char *error)
{
  g_autoptr (GError) err = NULL;

  if (!cnv_recordings_set_status (self->recordings, id, status, progress,
          url, error, &err))
    g_warning ("%s: cannot record status %s: %s", id, status, err->message);
}

static void
on_progress (guint percent, guint64 position_ns, gpointer data)
{
  Progress *p = data;

  set_status (p->self, p->id, "assembling", (int) percent, NULL, NULL);
  if (percent >= p->last_logged + 10 || percent == 100) {
    p->last_logged = percent - percent % 10;
    g_message ("%s: assembling %u%% (%.1f s)", p->id, percent,
        (double) position_ns / 1e9);
  }
}

static gboolean
remove_tree (const char *path, GError ** error)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) ||
      g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return g_unlink (path) == 0 || errno == ENOENT;
  dir = g_dir_open (path, 0, error);
  if (!dir)
    return FALSE;
  while ((name = g_dir_read_name (dir))) {
    g_autofree char *child = g_build_filename (path, name, NULL);

    if (!remove_tree (child, error))
      return FALSE;
  }
  if (g_rmdir (path) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot remove %s: %s", path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static size_t
discard (char *buf, size_t size, size_t nmemb, void *user)
{
  return size * nmemb;
}

/* POST /internal/recordings/{id}/ready: convened notifies the
 * participants. Best effort: the row and the event already say it. */
static void
tell_convened (CnvArchiver * self, const char *id, gboolean ok,
    const char *url, const char *error)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GBytes) secret = NULL;
  g_autofree char *token = NULL, *endpoint = NULL, *escaped = NULL;
  g_autofree char *auth = NULL, *body = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  const char *const grants[] = { "archiver", NULL };
  struct curl_slist *headers = NULL;
  CURL *curl;
  CURLcode rc;
  long status = 0;

  if (!self->convened_url) {
    g_message ("%s: CONVENE_URL not set, not telling convened", id);
    return;
  }
  secret = cnv_secret_load (self->config->data_dir, &err);
  if (secret)
    token = cnv_token_mint (secret, "_archiver", NULL, grants,
        g_get_real_time () / G_USEC_PER_SEC, 300, &err);
  if (!token) {
    g_warning ("%s: cannot mint the archiver token: %s", id, err->message);
    return;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, ok ? "ready" : "failed");
  if (url) {
    json_builder_set_member_name (b, "url");
    json_builder_add_string_value (b, url);
  }
  if (error) {
    json_builder_set_member_name (b, "error");
    json_builder_add_string_value (b, error);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  body = json_generator_to_data (gen, NULL);

  escaped = g_uri_escape_string (id, NULL, FALSE);
  endpoint = g_strdup_printf ("%s%sinternal/recordings/%s/ready",
      self->convened_url, g_str_has_suffix (self->convened_url, "/") ?
      "" : "/", escaped);
  auth = g_strdup_printf ("Authorization: Bearer %s", token);
  headers = curl_slist_append (headers, auth);
  headers = curl_slist_append (headers, "Content-Type: application/json");
  curl = curl_easy_init ();
  curl_easy_setopt (curl, CURLOPT_URL, endpoint);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 10L);
  rc = curl_easy_perform (curl);
  if (rc == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup (curl);
  curl_slist_free_all (headers);
  if (rc != CURLE_OK)
    g_warning ("%s: cannot reach convened at %s: %s", id, endpoint,
        curl_easy_strerror (rc));
  else if (status < 200 || status >= 300)
    g_warning ("%s: convened answered HTTP %ld to %s", id, status, endpoint);
  else
    g_message ("%s: convened told (%s)", id, ok ? "ready" : "failed");
}

static void
announce (CnvArchiver * self, const CnvRecording * rec,
    const CnvArchManifest * m, gboolean ok, const char *url,
    const char *error, guint64 duration_ns, guint64 size)
{
  g_autoptr (JsonObject) fields = json_object_new ();
  JsonArray *people = json_array_new ();

  json_object_set_string_member (fields, "recording_id", rec->id);
  json_object_set_string_member (fields, "meeting", rec->meeting);
  if (url)
    json_object_set_string_member (fields, "url", url);
  if (error)
    json_object_set_string_member (fields, "error", error);
  json_object_set_int_member (fields, "duration_ms",
      (gint64) (duration_ns / 1000000));
  json_object_set_int_member (fields, "size_bytes", (gint64) size);
  if (rec->participants && rec->participants[0]) {
    for (guint i = 0; rec->participants[i]; i++)
      json_array_add_string_element (people, rec->participants[i]);
  } else if (m) {
    for (guint i = 0; i < m->participants->len; i++) {
      const CnvArchParticipant *pt = g_ptr_array_index (m->participants, i);
      json_array_add_string_element (people, pt->id);
    }
  }
  json_object_set_array_member (fields, "participants", people);
  if (self->events) {
    cnv_events_publish (self->events, ok ? "recording.ready" :
        "recording.failed", rec->meeting, fields);
    cnv_events_flush (self->events, 5000);
  }
  tell_convened (self, rec->id, ok, url, error);
}

static gboolean
fail (CnvArchiver * self, const CnvRecording * rec,
    const CnvArchManifest * m, GError * cause, GError ** error)
{
  g_warning ("%s: failed: %s", rec->id, cause->message);
  set_status (self, rec->id, "failed", 0, NULL, cause->message);
  announce (self, rec, m, FALSE, NULL, cause->message, m ?
      cnv_arch_manifest_duration_ns (m) : 0, 0);
  g_propagate_error (error, cause);
  return FALSE;
}

gboolean
cnv_archiver_process (CnvArchiver * self, const char *id, GError ** error)
{
  const CnvConfig *c = self->config;
  g_autoptr (CnvRecording) rec = NULL;
  g_autoptr (CnvArchManifest) m = NULL;
  g_autofree char *output = NULL, *base = NULL, *key = NULL, *url = NULL;
  g_autofree char *local_dir = NULL;
  GError *err = NULL;
  CnvArchAssembleOptions opt;
  CnvArchAssembleStats stats = { 0 };
  Progress progress = { self, id, 0 };
  GStatBuf st;
  guint64 size;

  rec = cnv_recordings_get (self->recordings, id, error);
  if (!rec)
    return FALSE;
  if (strcmp (rec->status, "ready") == 0) {
    g_message ("%s: already ready (%s)", id, rec->url ? rec->url : "");
    return TRUE;
  }
  if (strcmp (rec->status, "recording") == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
        "%s is still recording", id);
    return FALSE;
  }

  base = g_path_get_basename (id);
  output = g_strdup_printf ("%s/%s.mp4", rec->dir, base);
  m = cnv_arch_manifest_load (rec->dir, &err);
  if (!m && !g_file_test (output, G_FILE_TEST_IS_REGULAR))
    return fail (self, rec, NULL, err, error);
  g_clear_error (&err);

  /* An MP4 from an earlier run whose upload did not go through (the file
   * only gets its name once complete): upload it again, do not
   * re-assemble. */
  if (g_file_test (output, G_FILE_TEST_IS_REGULAR)) {
    g_message ("%s: %s already assembled", id, output);
    stats.duration_ns = m ? cnv_arch_manifest_duration_ns (m) : 0;
  } else {
    guint np = m->participants->len;

    g_message ("%s: assembling %u participant%s, %.1f s, into %s", id, np,
        np == 1 ? "" : "s", (double) cnv_arch_manifest_duration_ns (m) / 1e9,
        output);
    set_status (self, id, "assembling", 0, NULL, NULL);
    cnv_arch_assemble_options_init (&opt);
    opt.stall_timeout_ms = self->stall_timeout_ms;
    if (!cnv_arch_assemble (m, output, &opt, on_progress, &progress, &stats,
            &err)) {
      g_prefix_error (&err, "assembly: ");
      return fail (self, rec, m, err, error);
    }
    g_message ("%s: assembled %.1f s in %.1f s (%.1fx), %" G_GUINT64_FORMAT
        " bytes, %u of %u chunks skipped", id,
        (double) stats.duration_ns / 1e9, (double) stats.elapsed_us / 1e6,
        stats.elapsed_us ? (double) stats.duration_ns / 1e3 /
        (double) stats.elapsed_us : 0.0, stats.size_bytes,
        stats.chunks_skipped, stats.chunks);
  }
  size = g_stat (output, &st) == 0 ? (guint64) st.st_size : 0;

  set_status (self, id, "uploading", 0, NULL, NULL);
  key = g_strdup_printf ("recordings/%s/%s.mp4", rec->meeting, base);
  if (c->s3_endpoint) {
    CnvArchS3 s3;

    cnv_arch_s3_init (&s3);
    s3.endpoint = c->s3_endpoint;
    s3.bucket = c->s3_bucket;
    s3.region = c->s3_region ? c->s3_region : "us-east-1";
    s3.access_key = c->s3_access_key;
    s3.secret_key = c->s3_secret_key;
    s3.part_size = self->s3_part_size;
    s3.max_attempts = self->s3_attempts;
    s3.backoff_ms = self->s3_backoff_ms;
    g_message ("%s: uploading %" G_GUINT64_FORMAT " bytes to %s/%s/%s", id,
        size, c->s3_endpoint, c->s3_bucket, key);
    url = cnv_arch_s3_upload (&s3, output, key, &err);
    if (!url) {
      g_prefix_error (&err, "upload (the local copy %s is kept): ", output);
      return fail (self, rec, m, err, error);
    }
    g_message ("%s: uploaded to %s", id, url);
    set_status (self, id, "ready", 100, url, NULL);
    if (!remove_tree (rec->dir, &err)) {
      g_warning ("%s: uploaded, but cleaning up failed: %s", id,
          err->message);
      g_clear_error (&err);
    }
  } else {
    local_dir = c->storage_local_dir ? g_strdup (c->storage_local_dir) :
        g_build_filename (c->data_dir, "recordings-out", NULL);
    g_free (key);
    key = g_strdup_printf ("%s/%s.mp4", rec->meeting, base);
    url = cnv_arch_local_store (local_dir, output, key, &err);
    if (!url) {
      g_prefix_error (&err, "storing in %s: ", local_dir);
      return fail (self, rec, m, err, error);
    }
    g_unlink (output);
    g_message ("%s: stored as %s", id, url);
    set_status (self, id, "ready", 100, url, NULL);
  }
  announce (self, rec, m, TRUE, url, NULL, stats.duration_ns, size);
  return TRUE;
}

guint
cnv_archiver_recover (CnvArchiver * self, const char *meeting)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint failed = 0;

  if (meeting) {
    g_autoptr (GPtrArray) list = cnv_recordings_list (self->recordings,
        meeting, &err);

    for (guint i = 0; list && i < list->len; i++) {
      CnvRecording *r = g_ptr_array_index (list, i);

      if (g_strv_contains ((const char *const[]) {
              "stopped", "assembling", "uploading", NULL}, r->status))
        g_ptr_array_add (ids, g_strdup (r->id));
    }
    if (!list) {
      g_warning ("cannot list the recordings of %s: %s", meeting,
          err->message);
      return 1;
    }
  } else {
    g_auto (GStrv) list = cnv_recordings_unassembled (self->recordings, &err);

    if (!list) {
      g_warning ("cannot list unassembled recordings: %s", err->message);
      return 1;
    }
    for (guint i = 0; list[i]; i++)
      g_ptr_array_add (ids, g_strdup (list[i]));
  }
  if (ids->len)
    g_message ("%u recording%s to assemble%s%s", ids->len,
        ids->len == 1 ? "" : "s", meeting ? " for meeting " : "",
        meeting ? meeting : "");
  for (guint i = 0; i < ids->len; i++) {
    g_autoptr (GError) e = NULL;

    if (!cnv_archiver_process (self, g_ptr_array_index (ids, i), &e)) {
      g_warning ("%s: %s", (char *) g_ptr_array_index (ids, i), e->message);
      failed++;
    }
  }
  return failed;
}
