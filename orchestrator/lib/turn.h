/* TURN REST API credentials (coturn use-auth-secret). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* username = "<expiry>:<user>", credential = base64(HMAC-SHA1(secret,
 * username)). */
void cnv_turn_credentials (const char *secret, const char *user,
    gint64 expiry, char **username, char **credential);

G_END_DECLS
