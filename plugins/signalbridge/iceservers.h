/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __CONVENE_ICE_SERVERS_H__
#define __CONVENE_ICE_SERVERS_H__

#include <glib.h>

G_BEGIN_DECLS

/* Turns one RTCPeerConnection-style ICE server URL ("stun:host:port",
 * "turn:host:port?transport=udp", "turns:host") plus its credentials into the
 * URI form webrtcbin wants ("stun://host:port",
 * "turn://user:pass@host:port?transport=udp").  Returns NULL for anything it
 * cannot represent (unknown scheme, empty host, TURN without credentials). */
gchar *convene_ice_server_url_to_uri (const gchar * url,
    const gchar * username, const gchar * credential);

G_END_DECLS

#endif /* __CONVENE_ICE_SERVERS_H__ */
