/* S3 uploads with libcurl (CURLOPT_AWS_SIGV4), and the local folder.
 *
 * Every request carries x-amz-content-sha256 with the payload's real hash
 * (computed here, so that stores that check it are satisfied) and a
 * canonical query string (names sorted, "name=value" even when the value is
 * empty), because libcurl signs the query exactly as it is given. */
#include "storage.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (cnv-arch-storage-error, cnv_arch_storage_error);

#define EMPTY_SHA256 \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

void
cnv_arch_s3_init (CnvArchS3 * s3)
{
  memset (s3, 0, sizeof (*s3));
  s3->region = "us-east-1";
  s3->part_size = 16 * 1024 * 1024;
  s3->max_attempts = 8;
  s3->backoff_ms = 500;
}

typedef struct
{
  /* what to send: a region of a file, or bytes in memory */
  FILE *file;
  guint64 remaining;
  const char *data;
  gsize data_len;
  /* what came back */
  GString *body;
  char *etag;
} Request;

static size_t
on_read (char *buf, size_t size, size_t nmemb, void *user)
{
  Request *r = user;
  size_t want = MIN ((guint64) size * nmemb, r->remaining);
  size_t got;

  if (want == 0)
    return 0;
  got = fread (buf, 1, want, r->file);
  if (got == 0)
    return CURL_READFUNC_ABORT;
  r->remaining -= got;
  return got;
}

static size_t
on_write (char *buf, size_t size, size_t nmemb, void *user)
{
  Request *r = user;

  /* Replies are small XML documents (or an object GET in tests); a store
   * that sends megabytes of error text is cut off. */
  if (r->body->len < 1024 * 1024)
    g_string_append_len (r->body, buf, (gssize) (size * nmemb));
  return size * nmemb;
}

static size_t
on_header (char *buf, size_t size, size_t nmemb, void *user)
{
  Request *r = user;
  size_t len = size * nmemb;

  if (len > 5 && g_ascii_strncasecmp (buf, "etag:", 5) == 0) {
    g_free (r->etag);
    r->etag = g_strstrip (g_strndup (buf + 5, len - 5));
  }
  return len;
}

static char *
hash_region (FILE * f, guint64 offset, guint64 len, GError ** error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buf = g_malloc (64 * 1024);

  if (fseeko (f, (off_t) offset, SEEK_SET) != 0)
    goto fail;
  while (len > 0) {
    size_t got = fread (buf, 1, MIN (len, 64 * 1024), f);

    if (got == 0)
      goto fail;
    g_checksum_update (sum, buf, got);
    len -= got;
  }
  return g_strdup (g_checksum_get_string (sum));

fail:
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO,
      "cannot read the recording to upload: %s", g_strerror (errno));
  return NULL;
}

/* The text of an S3 error document's <Code> and <Message>, for logs. */
static char *
s3_error_text (const char *body)
{
  const char *c = body ? strstr (body, "<Code>") : NULL;
  const char *m = body ? strstr (body, "<Message>") : NULL;
  g_autofree char *code = NULL, *msg = NULL;

  if (c) {
    const char *e = strstr (c, "</Code>");
    if (e)
      code = g_strndup (c + 6, (gsize) (e - c - 6));
  }
  if (m) {
    const char *e = strstr (m, "</Message>");
    if (e)
      msg = g_strndup (m + 9, (gsize) (e - m - 9));
  }
  if (code && msg)
    return g_strdup_printf ("%s: %s", code, msg);
  return g_strdup (code ? code : msg ? msg : "no details");
}

static char *
object_url (const CnvArchS3 * s3, const char *key)
{
  g_autofree char *endpoint = g_strdup (s3->endpoint);
  g_autofree char *bucket = g_uri_escape_string (s3->bucket, NULL, FALSE);
  gsize n = strlen (endpoint);

  while (n > 0 && endpoint[n - 1] == '/')
    endpoint[--n] = '\0';
  if (!key)
    return g_strdup_printf ("%s/%s", endpoint, bucket);
  {
    g_autofree char *k = g_uri_escape_string (key, "/", FALSE);
    return g_strdup_printf ("%s/%s/%s", endpoint, bucket, k);
  }
}

typedef struct
{
  const char *method;           /* GET HEAD PUT POST DELETE */
  const char *key;              /* NULL: the bucket itself */
  const char *query;            /* canonical, or NULL */
  FILE *file;                   /* body from a file region ... */
  guint64 offset, len;
  const char *data;             /* ... or from memory */
  const char *content_type;
} RequestSpec;

/* One attempt. Returns the HTTP status (0 if none came back), with the
 * libcurl error in @curl_err. */
static long
perform (const CnvArchS3 * s3, const RequestSpec * spec, Request * r,
    CURLcode * curl_err, GError ** error)
{
  g_autofree char *base = object_url (s3, spec->key);
  g_autofree char *url = spec->query ?
      g_strdup_printf ("%s?%s", base, spec->query) : g_strdup (base);
  g_autofree char *sigv4 = g_strdup_printf ("aws:amz:%s:s3", s3->region ?
      s3->region : "us-east-1");
  g_autofree char *hash = NULL, *hash_hdr = NULL, *type_hdr = NULL;
  struct curl_slist *headers = NULL;
  CURL *curl;
  long status = 0;

  if (spec->file) {
    hash = hash_region (spec->file, spec->offset, spec->len, error);
    if (!hash)
      return -1;
    if (fseeko (spec->file, (off_t) spec->offset, SEEK_SET) != 0) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "cannot seek: %s",
          g_strerror (errno));
      return -1;
    }
    r->file = spec->file;
    r->remaining = spec->len;
  } else if (spec->data) {
    hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, spec->data, -1);
  } else {
    hash = g_strdup (EMPTY_SHA256);
  }
  hash_hdr = g_strdup_printf ("x-amz-content-sha256: %s", hash);
  headers = curl_slist_append (headers, hash_hdr);
  /* libcurl would otherwise wait for a 100 Continue on large PUTs. */
  headers = curl_slist_append (headers, "Expect:");
  if (spec->content_type) {
    type_hdr = g_strdup_printf ("Content-Type: %s", spec->content_type);
    headers = curl_slist_append (headers, type_hdr);
  }

  curl = curl_easy_init ();
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_AWS_SIGV4, sigv4);
  curl_easy_setopt (curl, CURLOPT_USERNAME, s3->access_key ?
      s3->access_key : "");
  curl_easy_setopt (curl, CURLOPT_PASSWORD, s3->secret_key ?
      s3->secret_key : "");
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, r);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, r);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 10L);
  /* A stalled transfer (under 1 kB/s for a minute) is retried. */
  curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, 60L);

  if (strcmp (spec->method, "HEAD") == 0) {
    curl_easy_setopt (curl, CURLOPT_NOBODY, 1L);
  } else if (spec->file) {
    curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt (curl, CURLOPT_READDATA, r);
    curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE,
        (curl_off_t) spec->len);
  } else if (spec->data) {
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, spec->data);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE,
        (curl_off_t) strlen (spec->data));
  } else if (strcmp (spec->method, "PUT") == 0) {
    curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) 0);
    r->remaining = 0;
    curl_easy_setopt (curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt (curl, CURLOPT_READDATA, r);
  }
  if (strcmp (spec->method, "GET") != 0 && strcmp (spec->method, "HEAD") != 0)
    curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, spec->method);

  *curl_err = curl_easy_perform (curl);
  if (*curl_err == CURLE_OK)
    curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup (curl);
  curl_slist_free_all (headers);
  return status;
}

static gboolean
retryable (long status, CURLcode err)
{
  if (status == 0)
    return err != CURLE_OK;     /* connection refused, reset, timeout... */
  return status >= 500 || status == 429 || status == 408;
}

/* Runs @spec with retries and exponential back-off. TRUE on a 2xx; the
 * reply body stays in @r. */
static gboolean
request (const CnvArchS3 * s3, const RequestSpec * spec, Request * r,
    long *status_out, GError ** error)
{
  g_autofree char *what = g_strdup_printf ("%s %s%s%s", spec->method,
      spec->key ? spec->key : s3->bucket, spec->query ? "?" : "",
      spec->query ? spec->query : "");
  guint attempts = MAX (s3->max_attempts, 1);
  guint64 delay = s3->backoff_ms;

  for (guint i = 1;; i++) {
    CURLcode err = CURLE_OK;
    long status;

    g_string_truncate (r->body, 0);
    g_clear_pointer (&r->etag, g_free);
    status = perform (s3, spec, r, &err, error);
    if (status < 0)
      return FALSE;
    if (status_out)
      *status_out = status;
    if (status >= 200 && status < 300)
      return TRUE;
    if (!retryable (status, err)) {
      g_autofree char *why = s3_error_text (r->body->str);

      g_set_error (error, CNV_ARCH_STORAGE_ERROR,
          CNV_ARCH_STORAGE_ERROR_FAILED, "S3 %s: HTTP %ld (%s)", what,
          status, why);
      return FALSE;
    }
    if (i >= attempts) {
      g_autofree char *why = status ? s3_error_text (r->body->str) :
          g_strdup (curl_easy_strerror (err));

      g_set_error (error, CNV_ARCH_STORAGE_ERROR,
          CNV_ARCH_STORAGE_ERROR_UNREACHABLE,
          "S3 %s: still failing after %u attempts (%s%s)", what, i,
          status ? "HTTP error, " : "", why);
      return FALSE;
    }
    g_message ("S3 %s: attempt %u failed (%s), retrying in %" G_GUINT64_FORMAT
        " ms", what, i, status ? "server error" : curl_easy_strerror (err),
        delay);
    g_usleep (delay * 1000);
    delay = MIN (delay * 2, 30000);
  }
}

static void
request_clear (Request * r)
{
  if (r->body)
    g_string_free (r->body, TRUE);
  g_free (r->etag);
  memset (r, 0, sizeof (*r));
}

static gboolean
ensure_bucket (const CnvArchS3 * s3, GError ** error)
{
  Request r = {.body = g_string_new (NULL) };
  RequestSpec head = {.method = "HEAD" };
  g_autofree char *config = NULL;
  RequestSpec put = {.method = "PUT" };
  long status = 0;
  g_autoptr (GError) head_error = NULL;
  gboolean ok;

  if (request (s3, &head, &r, &status, &head_error)) {
    request_clear (&r);
    return TRUE;
  }
  /* Credentials limited to objects may not look at the bucket: let the
   * upload itself say whether they are good. */
  if (status == 403) {
    request_clear (&r);
    return TRUE;
  }
  if (status != 404) {
    request_clear (&r);
    g_propagate_error (error, g_steal_pointer (&head_error));
    return FALSE;
  }
  /* AWS wants the region in the body outside us-east-1. */
  if (s3->region && strcmp (s3->region, "us-east-1") != 0) {
    config = g_strdup_printf ("<CreateBucketConfiguration xmlns=\""
        "http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>%s"
        "</LocationConstraint></CreateBucketConfiguration>", s3->region);
    put.data = config;
    put.content_type = "application/xml";
  }
  g_message ("S3: creating bucket %s", s3->bucket);
  ok = request (s3, &put, &r, &status, error);
  /* Someone else made it in between: fine. */
  if (!ok && status == 409) {
    g_clear_error (error);
    ok = TRUE;
  }
  request_clear (&r);
  return ok;
}

static char *
xml_value (const char *body, const char *tag)
{
  g_autofree char *open = g_strdup_printf ("<%s>", tag);
  g_autofree char *close = g_strdup_printf ("</%s>", tag);
  const char *s = strstr (body, open), *e;

  if (!s)
    return NULL;
  s += strlen (open);
  e = strstr (s, close);
  return e ? g_strndup (s, (gsize) (e - s)) : NULL;
}

static gboolean
upload_multipart (const CnvArchS3 * s3, FILE * f, guint64 size,
    const char *key, GError ** error)
{
  Request r = {.body = g_string_new (NULL) };
  RequestSpec create = {.method = "POST",.key = key,.query = "uploads=",
    .data = "",.content_type = "video/mp4"
  };
  g_autoptr (GString) complete = g_string_new ("<CompleteMultipartUpload>");
  g_autofree char *upload_id = NULL, *escaped_id = NULL, *query = NULL;
  guint64 part_size = MAX (s3->part_size, 1);
  guint parts = (guint) ((size + part_size - 1) / part_size);
  RequestSpec done;

  if (!request (s3, &create, &r, NULL, error))
    goto fail;
  upload_id = xml_value (r.body->str, "UploadId");
  if (!upload_id) {
    g_set_error (error, CNV_ARCH_STORAGE_ERROR,
        CNV_ARCH_STORAGE_ERROR_FAILED,
        "S3 CreateMultipartUpload: no UploadId in the reply");
    goto fail;
  }
  escaped_id = g_uri_escape_string (upload_id, NULL, FALSE);
  g_message ("S3: multipart upload of %s in %u parts", key, parts);

  for (guint i = 0; i < parts; i++) {
    g_autofree char *q = g_strdup_printf ("partNumber=%u&uploadId=%s",
        i + 1, escaped_id);
    RequestSpec part = {.method = "PUT",.key = key,.query = q,.file = f,
      .offset = i * part_size,.len = MIN (part_size, size - i * part_size)
    };

    if (!request (s3, &part, &r, NULL, error))
      goto abort;
    if (!r.etag) {
      g_set_error (error, CNV_ARCH_STORAGE_ERROR,
          CNV_ARCH_STORAGE_ERROR_FAILED, "S3 UploadPart %u: no ETag", i + 1);
      goto abort;
    }
    g_string_append_printf (complete, "<Part><PartNumber>%u</PartNumber>"
        "<ETag>%s</ETag></Part>", i + 1, r.etag);
    g_message ("S3: %s part %u/%u uploaded", key, i + 1, parts);
  }
  g_string_append (complete, "</CompleteMultipartUpload>");
  query = g_strdup_printf ("uploadId=%s", escaped_id);
  done = (RequestSpec) {
  .method = "POST",.key = key,.query = query,.data = complete->str,
        .content_type = "application/xml"};
  if (!request (s3, &done, &r, NULL, error))
    goto abort;
  /* S3 may answer 200 and still fail the completion in the body. */
  if (strstr (r.body->str, "<Error>")) {
    g_autofree char *why = s3_error_text (r.body->str);

    g_set_error (error, CNV_ARCH_STORAGE_ERROR,
        CNV_ARCH_STORAGE_ERROR_FAILED,
        "S3 CompleteMultipartUpload: %s", why);
    goto abort;
  }
  request_clear (&r);
  return TRUE;

abort:
  {
    g_autofree char *q = g_strdup_printf ("uploadId=%s", escaped_id);
    RequestSpec del = {.method = "DELETE",.key = key,.query = q };
    CnvArchS3 once = *s3;

    once.max_attempts = 1;
    request (&once, &del, &r, NULL, NULL);
  }
fail:
  request_clear (&r);
  return FALSE;
}

char *
cnv_arch_s3_upload (const CnvArchS3 * s3, const char *path, const char *key,
    GError ** error)
{
  static gsize curl_ready = 0;
  FILE *f;
  GStatBuf st;
  gboolean ok;

  if (g_once_init_enter (&curl_ready)) {
    curl_global_init (CURL_GLOBAL_DEFAULT);
    g_once_init_leave (&curl_ready, 1);
  }
  if (!s3->endpoint || !s3->bucket) {
    g_set_error (error, CNV_ARCH_STORAGE_ERROR,
        CNV_ARCH_STORAGE_ERROR_FAILED, "S3 endpoint or bucket not set");
    return NULL;
  }
  if (g_stat (path, &st) != 0 || !(f = fopen (path, "rb"))) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot open %s: %s", path, g_strerror (errno));
    return NULL;
  }
  ok = ensure_bucket (s3, error);
  if (ok && (guint64) st.st_size > s3->part_size) {
    ok = upload_multipart (s3, f, (guint64) st.st_size, key, error);
  } else if (ok) {
    Request r = {.body = g_string_new (NULL) };
    RequestSpec put = {.method = "PUT",.key = key,.file = f,.offset = 0,
      .len = (guint64) st.st_size,.content_type = "video/mp4"
    };

    ok = request (s3, &put, &r, NULL, error);
    request_clear (&r);
  }
  fclose (f);
  return ok ? object_url (s3, key) : NULL;
}

char *
cnv_arch_local_store (const char *dir, const char *path, const char *key,
    GError ** error)
{
  g_autofree char *dest = g_build_filename (dir, key, NULL);
  g_autofree char *folder = g_path_get_dirname (dest);
  g_autofree char *tmp = g_strdup_printf ("%s.tmp", dest);
  g_autoptr (GFile) src = g_file_new_for_path (path);
  g_autoptr (GFile) dst = g_file_new_for_path (tmp);
  int fd;

  if (g_mkdir_with_parents (folder, 0755) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot create %s: %s", folder, g_strerror (errno));
    return NULL;
  }
  if (!g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error))
    return NULL;
  /* The copy is the only one left once the chunks go: make it durable
   * before the rename makes it visible. */
  fd = open (tmp, O_RDONLY);
  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  if (g_rename (tmp, dest) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot rename %s: %s", tmp, g_strerror (errno));
    g_unlink (tmp);
    return NULL;
  }
  return g_steal_pointer (&dest);
}
