/* TURN REST API credentials, as coturn checks them with use-auth-secret. */
#include "turn.h"

#include <string.h>

void
cnv_turn_credentials (const char *secret, const char *user, gint64 expiry,
    char **username, char **credential)
{
  g_autoptr (GHmac) hmac = NULL;
  guint8 digest[20];
  gsize len = sizeof digest;
  char *name = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, user);

  hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) name, strlen (name));
  g_hmac_get_digest (hmac, digest, &len);
  *credential = g_base64_encode (digest, len);
  *username = name;
}
