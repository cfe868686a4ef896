/* Static files of the browser client, served from [server] web-dir. */
#include "static.h"

#include <string.h>

static const struct
{
  const char *ext;
  const char *type;
} content_types[] = {
  {".html", "text/html; charset=utf-8"},
  {".js", "text/javascript; charset=utf-8"},
  {".mjs", "text/javascript; charset=utf-8"},
  {".css", "text/css; charset=utf-8"},
  {".svg", "image/svg+xml"},
  {".png", "image/png"},
  {".json", "application/json"},
  {".ico", "image/x-icon"},
  {".txt", "text/plain; charset=utf-8"},
  {".webmanifest", "application/manifest+json"},
};

const char *
cnv_static_content_type (const char *path)
{
  for (gsize i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (path, content_types[i].ext))
      return content_types[i].type;
  return "application/octet-stream";
}

char *
cnv_static_resolve (const char *root, const char *url_path)
{
  g_autofree char *decoded = g_uri_unescape_string (url_path, NULL);
  g_auto (GStrv) parts = NULL;

  if (!decoded || decoded[0] != '/' || strchr (decoded, '\\'))
    return NULL;
  parts = g_strsplit (decoded + 1, "/", -1);
  for (gsize i = 0; parts[i]; i++)
    if (strcmp (parts[i], "..") == 0 || strcmp (parts[i], ".") == 0)
      return NULL;
  if (g_str_has_suffix (decoded, "/"))
    return g_build_filename (root, decoded, "index.html", NULL);
  return g_build_filename (root, decoded, NULL);
}

void
cnv_static_serve (SoupServerMessage * msg, const char *root,
    const char *url_path)
{
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *file = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        NULL);
    return;
  }
  file = cnv_static_resolve (root, url_path);
  if (!file) {
    soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
        "forbidden\n", 10);
    return;
  }
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR)
      || !g_file_get_contents (file, &data, &len, NULL)) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
        "not found\n", 10);
    return;
  }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-cache");
  soup_server_message_set_response (msg, cnv_static_content_type (file),
      SOUP_MEMORY_TAKE, g_steal_pointer (&data), len);
}
