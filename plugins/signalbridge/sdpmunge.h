/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Element-free SDP and RTCP helpers of signalbridge's server role: what a
 * publisher's offer says about its tracks, what webrtcbin 1.22 leaves out
 * of its descriptions, and REMB parsing.  Pure functions, unit tested in
 * tests/elements/signalbridge.c. */

#ifndef __CONVENE_SDP_MUNGE_H__
#define __CONVENE_SDP_MUNGE_H__

#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

#define CONVENE_RID_EXT_URI "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define CONVENE_MID_EXT_URI "urn:ietf:params:rtp-hdrext:sdes:mid"

/* What a publisher's offer says about one m-line. */
typedef struct
{
  gchar *stream_id;             /* first token of a=msid, or NULL */
  gchar *track_id;              /* second token of a=msid, else the mid */
  gchar **rids;                 /* a=simulcast:send order, NULL without */
  guint rid_ext;                /* extmap id of rtp-stream-id, 0 = none */
  /* a=ssrc-group:SIM order (lowest layer first): SSRC-signalled simulcast,
   * NULL without */
  guint32 *sim_ssrcs;
  guint n_sim;
} ConveneMidInfo;

/* mid -> ConveneMidInfo for every m-line of @offer that has a mid. */
GHashTable *convene_sdp_publish_tracks (const GstSDPMessage * offer);

/* Adds to @answer what webrtcbin 1.22 leaves out for a simulcast publisher
 * (a=rid recv, a=simulcast:recv, the mid and rid header extensions) and
 * answers a=setup:active offers as passive (DTLS server). */
void convene_sdp_complete_answer (const GstSDPMessage * offer,
    GstSDPMessage * answer);

/* Adds a=rtcp-fb:<pt> goog-remb to every video format of @offer. */
void convene_sdp_add_remb (GstSDPMessage * offer);

/* For every m-line of @offer whose a=msid is a key of @ssrcs (msid ->
 * GUINT_TO_POINTER (ssrc)), writes that SSRC's a=ssrc cname and msid
 * lines instead of webrtcbin's: receivers that do not negotiate the mid header extension
 * (webrtcbin, and browsers without it) demultiplex a bundle by SSRC. */
void convene_sdp_add_ssrcs (GstSDPMessage * offer, GHashTable * ssrcs);

/* Parses a REMB FCI ("REMB", SSRC count, 6-bit exponent, 18-bit
 * mantissa); FALSE if @fci is not one. */
gboolean convene_remb_parse (const guint8 * fci, gsize size,
    guint * bitrate);

G_END_DECLS

#endif /* __CONVENE_SDP_MUNGE_H__ */
