/* convened's HTTP + WebSocket front end (libsoup 3) around the hub. */
#pragma once

#include <glib-object.h>
#include "config.h"

G_BEGIN_DECLS

#define CNV_TYPE_SERVER (cnv_server_get_type ())
G_DECLARE_FINAL_TYPE (CnvServer, cnv_server, CNV, SERVER, GObject)

/* @config must outlive the server. @config_file (nullable) and @sets (the
 * --set overrides) are handed on to the archiver convened runs. */
CnvServer *cnv_server_new (const CnvConfig * config, const char *config_file,
    const char *const *sets, GError ** error);
/* Binds and returns the base URL, e.g. "http://127.0.0.1:8080/". */
char *cnv_server_listen (CnvServer * self, GError ** error);
/* Closes every WebSocket with 1001 and quits @loop once they are closed
 * (or after a short grace period). */
void cnv_server_shutdown (CnvServer * self, GMainLoop * loop);

G_END_DECLS
