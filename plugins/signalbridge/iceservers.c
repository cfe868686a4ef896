/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <string.h>

#include "iceservers.h"

/* Characters webrtcbin's nice ICE would misread inside userinfo: it splits
 * user from password at the first ':' and then unescapes each half, and TURN
 * REST usernames ("1700000000:alice") and base64 passwords ('/', '+', '=')
 * contain several of them.  Escaping everything but unreserved characters
 * makes the split unambiguous. */
static gchar *
escape_userinfo (const gchar * s)
{
  return g_uri_escape_string (s, NULL, FALSE);
}

static gboolean
host_is_sane (const gchar * hostport)
{
  const gchar *p;

  if (hostport[0] == '\0' || hostport[0] == ':' || hostport[0] == '?')
    return FALSE;
  for (p = hostport; *p; p++) {
    /* Userinfo, paths or whitespace in the host part would let a server
     * smuggle something else into the URI we build. */
    if (*p == '@' || *p == '/' || g_ascii_isspace (*p))
      return FALSE;
  }
  return TRUE;
}

gchar *
convene_ice_server_url_to_uri (const gchar * url, const gchar * username,
    const gchar * credential)
{
  const gchar *rest;
  const gchar *scheme;
  gboolean turn;
  g_autofree gchar *user = NULL;
  g_autofree gchar *pass = NULL;

  if (url == NULL)
    return NULL;

  if (g_ascii_strncasecmp (url, "stun:", 5) == 0) {
    scheme = "stun";
    rest = url + 5;
    turn = FALSE;
  } else if (g_ascii_strncasecmp (url, "turns:", 6) == 0) {
    scheme = "turns";
    rest = url + 6;
    turn = TRUE;
  } else if (g_ascii_strncasecmp (url, "turn:", 5) == 0) {
    scheme = "turn";
    rest = url + 5;
    turn = TRUE;
  } else {
    return NULL;
  }

  /* Tolerate the "scheme://" spelling some configurations use. */
  if (g_str_has_prefix (rest, "//"))
    rest += 2;

  if (!host_is_sane (rest))
    return NULL;

  if (!turn)
    return g_strdup_printf ("%s://%s", scheme, rest);

  if (username == NULL || credential == NULL || username[0] == '\0')
    return NULL;

  user = escape_userinfo (username);
  pass = escape_userinfo (credential);
  return g_strdup_printf ("%s://%s:%s@%s", scheme, user, pass, rest);
}
