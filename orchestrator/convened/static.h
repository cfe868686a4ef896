/* Static files of the web client. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

const char *cnv_static_content_type (const char *path);
/* Maps a URL path below @root to a file, or NULL when the path is refused
 * ("..", backslashes, NUL). */
char *cnv_static_resolve (const char *root, const char *url_path);
void cnv_static_serve (SoupServerMessage * msg, const char *root,
    const char *url_path);

G_END_DECLS
