/* Convene access tokens (JWT HS256 through libjwt 1.10).
 *
 * libjwt 1.10 does not check "exp" and will happily decode "alg":"none"
 * when no key is given, so both are checked here explicitly. */
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jwt.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

/* "worker" is minted only by convened itself for its media workers,
 * "archiver" only by convene-archiver (with the same data dir secret). */
static const char *const valid_grants[] = {
  "publish", "subscribe", "record", "admin", CNV_GRANT_WORKER,
  CNV_GRANT_ARCHIVER, NULL
};

gboolean
cnv_grant_is_valid (const char *grant)
{
  return grant && g_strv_contains (valid_grants, grant);
}

void
cnv_token_claims_free (CnvTokenClaims * c)
{
  if (!c)
    return;
  g_free (c->user);
  g_free (c->meeting);
  g_strfreev (c->grants);
  g_free (c);
}

gboolean
cnv_token_claims_has_grant (const CnvTokenClaims * c, const char *grant)
{
  return c && c->grants && g_strv_contains ((const char *const *) c->grants,
      grant);
}

static gboolean
read_all (int fd, guint8 * buf, gsize len)
{
  gsize got = 0;

  while (got < len) {
    ssize_t n = read (fd, buf + got, len - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    got += n;
  }
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 * buf, gsize len)
{
  gsize done = 0;

  while (done < len) {
    ssize_t n = write (fd, buf + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    done += n;
  }
  return TRUE;
}

GBytes *
cnv_secret_load (const char *data_dir, GError ** error)
{
  g_autofree char *path = g_build_filename (data_dir, "secret", NULL);
  guint8 buf[CNV_SECRET_LEN];
  int fd;

  if (g_mkdir_with_parents (data_dir, 0700) < 0) {
    int e = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "cannot create data dir %s: %s", data_dir, g_strerror (e));
    return NULL;
  }
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    int ufd = g_open ("/dev/urandom", O_RDONLY | O_CLOEXEC, 0);
    gboolean ok = ufd >= 0 && read_all (ufd, buf, sizeof buf);
    if (ufd >= 0)
      close (ufd);
    ok = ok && write_all (fd, buf, sizeof buf) && fsync (fd) == 0;
    close (fd);
    if (!ok) {
      g_unlink (path);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO,
          "cannot write a new secret to %s", path);
      return NULL;
    }
    return g_bytes_new (buf, sizeof buf);
  }
  if (errno != EEXIST) {
    int e = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "cannot create %s: %s", path, g_strerror (e));
    return NULL;
  }
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || !read_all (fd, buf, sizeof buf)) {
    if (fd >= 0)
      close (fd);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO,
        "cannot read %d bytes from %s", CNV_SECRET_LEN, path);
    return NULL;
  }
  close (fd);
  return g_bytes_new (buf, sizeof buf);
}

char *
cnv_token_mint (GBytes * secret, const char *user, const char *meeting,
    const char *const *grants, gint64 now, gint64 ttl, GError ** error)
{
  jwt_t *jwt = NULL;
  gsize key_len;
  const guint8 *key = g_bytes_get_data (secret, &key_len);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *grants_json = NULL;
  char *encoded = NULL;
  char *result = NULL;

  for (gsize i = 0; grants && grants[i]; i++) {
    if (!cnv_grant_is_valid (grants[i])) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "unknown grant \"%s\" (expected publish, subscribe, record, admin)",
          grants[i]);
      return NULL;
    }
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "grants");
  json_builder_begin_array (b);
  for (gsize i = 0; grants && grants[i]; i++)
    json_builder_add_string_value (b, grants[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  grants_json = cnv_msg_to_string (b);

  if (jwt_new (&jwt) != 0)
    goto fail;
  if (jwt_add_grant (jwt, "sub", user) != 0
      || jwt_add_grant_int (jwt, "iat", now) != 0
      || jwt_add_grant_int (jwt, "exp", now + ttl) != 0
      || jwt_add_grants_json (jwt, grants_json) != 0)
    goto fail;
  if (meeting && jwt_add_grant (jwt, "meeting", meeting) != 0)
    goto fail;
  if (jwt_set_alg (jwt, JWT_ALG_HS256, key, key_len) != 0)
    goto fail;
  encoded = jwt_encode_str (jwt);
  if (!encoded)
    goto fail;
  result = g_strdup (encoded);
  free (encoded);
  jwt_free (jwt);
  return result;

fail:
  if (jwt)
    jwt_free (jwt);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot encode token");
  return NULL;
}

static gboolean
parse_grants (const char *json, char ***out)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  JsonNode *root;
  JsonArray *arr;

  if (!json || !json_parser_load_from_data (parser, json, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_ARRAY (root))
    return FALSE;
  arr = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (arr); i++) {
    JsonNode *n = json_array_get_element (arr, i);
    if (!JSON_NODE_HOLDS_VALUE (n)
        || json_node_get_value_type (n) != G_TYPE_STRING)
      return FALSE;
    /* Unknown grants are ignored rather than refused: a newer server may
     * mint grants this one does not know. */
    if (cnv_grant_is_valid (json_node_get_string (n)))
      g_ptr_array_add (list, g_strdup (json_node_get_string (n)));
  }
  g_ptr_array_add (list, NULL);
  *out = (char **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
  return TRUE;
}

CnvTokenClaims *
cnv_token_verify (GBytes * secret, const char *token, gint64 now,
    CnvErrorCode * code, char **message)
{
  jwt_t *jwt = NULL;
  gsize key_len;
  const guint8 *key = g_bytes_get_data (secret, &key_len);
  g_autoptr (CnvTokenClaims) c = g_new0 (CnvTokenClaims, 1);
  const char *s;
  char *grants_json;
  gboolean grants_ok;

  *code = CNV_ERR_AUTH_FAILED;
  /* Bound the work libjwt and jansson do on untrusted input. */
  if (!token || strlen (token) > CNV_MAX_TOKEN_LEN) {
    *message = g_strdup ("token is malformed");
    return NULL;
  }
  if (jwt_decode (&jwt, token, key, key_len) != 0 || !jwt) {
    *message = g_strdup ("token is malformed or its signature does not "
        "verify");
    return NULL;
  }
  if (jwt_get_alg (jwt) != JWT_ALG_HS256) {
    jwt_free (jwt);
    *message = g_strdup ("token algorithm must be HS256");
    return NULL;
  }
  s = jwt_get_grant (jwt, "sub");
  if (!s || !*s) {
    jwt_free (jwt);
    *message = g_strdup ("token has no \"sub\" claim");
    return NULL;
  }
  c->user = g_strdup (s);
  s = jwt_get_grant (jwt, "meeting");
  c->meeting = s ? g_strdup (s) : NULL;
  errno = 0;
  c->exp = jwt_get_grant_int (jwt, "exp");
  if (errno != 0) {
    jwt_free (jwt);
    *message = g_strdup ("token has no integer \"exp\" claim");
    return NULL;
  }
  c->iat = jwt_get_grant_int (jwt, "iat");
  grants_json = jwt_get_grants_json (jwt, "grants");
  grants_ok = parse_grants (grants_json, &c->grants);
  free (grants_json);
  jwt_free (jwt);
  if (!grants_ok) {
    *message = g_strdup ("token has no \"grants\" array");
    return NULL;
  }
  if (c->exp <= now) {
    *code = CNV_ERR_TOKEN_EXPIRED;
    *message = g_strdup ("token has expired");
    return NULL;
  }
  *code = CNV_ERR_NONE;
  *message = NULL;
  return g_steal_pointer (&c);
}
