/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <stdlib.h>
#include <string.h>

#include "sdpmunge.h"

static void
mid_info_free (gpointer p)
{
  ConveneMidInfo *m = p;

  g_free (m->stream_id);
  g_free (m->track_id);
  g_strfreev (m->rids);
  g_free (m->sim_ssrcs);
  g_free (m);
}

GHashTable *
convene_sdp_publish_tracks (const GstSDPMessage * sdp)
{
  GHashTable *mids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      mid_info_free);
  guint i, j;

  for (i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
    const gchar *mid = gst_sdp_media_get_attribute_val (m, "mid");
    const gchar *msid = gst_sdp_media_get_attribute_val (m, "msid");
    const gchar *simulcast = gst_sdp_media_get_attribute_val (m, "simulcast");
    ConveneMidInfo *info;

    if (mid == NULL)
      continue;
    info = g_new0 (ConveneMidInfo, 1);
    if (msid && strchr (msid, ' ')) {
      info->stream_id = g_strndup (msid, strchr (msid, ' ') - msid);
      info->track_id = g_strdup (strchr (msid, ' ') + 1);
    } else
      info->track_id = g_strdup (mid);
    /* "send q;h;f" (alternatives after ',' and paused "~" rids are not
     * layers of their own). */
    if (simulcast && g_str_has_prefix (simulcast, "send ")) {
      gchar **rids = g_strsplit (simulcast + 5, ";", 8);
      GPtrArray *out = g_ptr_array_new ();

      for (j = 0; rids[j]; j++) {
        gchar *r = g_strstrip (rids[j]);
        gchar *comma = strchr (r, ',');

        if (comma)
          *comma = '\0';
        if (r[0] == '~')
          r++;
        if (r[0] && strlen (r) <= 16)
          g_ptr_array_add (out, g_strdup (r));
      }
      g_strfreev (rids);
      g_ptr_array_add (out, NULL);
      info->rids = (gchar **) g_ptr_array_free (out, FALSE);
      if (info->rids[0] == NULL)
        g_clear_pointer (&info->rids, g_strfreev);
    }
    for (j = 0; j < gst_sdp_media_attributes_len (m); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, j);

      if (g_strcmp0 (a->key, "extmap") == 0 && a->value
          && strstr (a->value, CONVENE_RID_EXT_URI)
          && !strstr (a->value, "repaired"))
        info->rid_ext = (guint) CLAMP (atoi (a->value), 0, 255);
      /* "SIM 111 222 333": at most 4 layers, the first SIM group only. */
      if (g_strcmp0 (a->key, "ssrc-group") == 0 && a->value
          && g_str_has_prefix (a->value, "SIM ") && info->sim_ssrcs == NULL) {
        gchar **tok = g_strsplit (a->value + 4, " ", 5);
        guint k, n = 0;

        info->sim_ssrcs = g_new0 (guint32, 4);
        for (k = 0; tok[k] && n < 4; k++) {
          gchar *end = NULL;
          guint64 v = g_ascii_strtoull (tok[k], &end, 10);

          if (end && *end == '\0' && end != tok[k] && v > 0 && v <= G_MAXUINT32)
            info->sim_ssrcs[n++] = (guint32) v;
        }
        g_strfreev (tok);
        info->n_sim = n;
        if (n < 2) {
          g_clear_pointer (&info->sim_ssrcs, g_free);
          info->n_sim = 0;
        }
      }
    }
    g_hash_table_insert (mids, g_strdup (mid), info);
  }
  return mids;
}

/* webrtcbin 1.22 answers without a=simulcast / a=rid and without the
 * header extensions it does not know; a browser then sends one layer only.
 * Copy them over from the offer so that simulcast publishers send all
 * their layers, and answer as DTLS server (a=setup:passive) so that the
 * publisher's ClientHello never waits for webrtcbin's 1 s retransmission. */
void
convene_sdp_complete_answer (const GstSDPMessage * offer, GstSDPMessage * answer)
{
  guint i, j;

  for (i = 0; i < gst_sdp_message_medias_len (answer)
      && i < gst_sdp_message_medias_len (offer); i++) {
    const GstSDPMedia *om = gst_sdp_message_get_media (offer, i);
    GstSDPMedia *am = (GstSDPMedia *) gst_sdp_message_get_media (answer, i);
    const gchar *simulcast = gst_sdp_media_get_attribute_val (om, "simulcast");

    for (j = 0; j < gst_sdp_media_attributes_len (am); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (am, j);

      if (g_strcmp0 (a->key, "setup") == 0
          && g_strcmp0 (a->value, "active") == 0) {
        GstSDPAttribute passive;

        gst_sdp_attribute_set (&passive, "setup", "passive");
        gst_sdp_media_replace_attribute (am, j, &passive);
        break;
      }
    }

    if (simulcast == NULL || !g_str_has_prefix (simulcast, "send ")
        || gst_sdp_media_get_attribute_val (am, "simulcast"))
      continue;
    for (j = 0; j < gst_sdp_media_attributes_len (om); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (om, j);

      if (g_strcmp0 (a->key, "rid") == 0 && a->value) {
        gchar **parts = g_strsplit (a->value, " ", 3);

        if (parts[0] && parts[1] && g_str_equal (parts[1], "send")) {
          g_autofree gchar *v = g_strdup_printf ("%s recv", parts[0]);

          gst_sdp_media_add_attribute (am, "rid", v);
        }
        g_strfreev (parts);
      } else if (g_strcmp0 (a->key, "extmap") == 0 && a->value
          && (strstr (a->value, CONVENE_RID_EXT_URI)
              || strstr (a->value, CONVENE_MID_EXT_URI))) {
        gboolean have = FALSE;
        guint k;

        for (k = 0; k < gst_sdp_media_attributes_len (am); k++) {
          const GstSDPAttribute *b = gst_sdp_media_get_attribute (am, k);

          if (g_strcmp0 (b->key, "extmap") == 0
              && g_strcmp0 (b->value, a->value) == 0)
            have = TRUE;
        }
        if (!have)
          gst_sdp_media_add_attribute (am, "extmap", a->value);
      }
    }
    {
      g_autofree gchar *recv = g_strdup_printf ("recv %s", simulcast + 5);

      gst_sdp_media_add_attribute (am, "simulcast", recv);
    }
  }
}


void
convene_sdp_add_remb (GstSDPMessage * offer)
{
  guint i, j, k;

  for (i = 0; i < gst_sdp_message_medias_len (offer); i++) {
    GstSDPMedia *m = (GstSDPMedia *) gst_sdp_message_get_media (offer, i);

    if (g_strcmp0 (gst_sdp_media_get_media (m), "video") != 0)
      continue;
    for (j = 0; j < gst_sdp_media_formats_len (m); j++) {
      g_autofree gchar *value = g_strdup_printf ("%s goog-remb",
          gst_sdp_media_get_format (m, j));
      gboolean have = FALSE;

      for (k = 0; k < gst_sdp_media_attributes_len (m); k++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, k);

        if (g_strcmp0 (a->key, "rtcp-fb") == 0
            && g_strcmp0 (a->value, value) == 0)
          have = TRUE;
      }
      if (!have)
        gst_sdp_media_add_attribute (m, "rtcp-fb", value);
    }
  }
}

void
convene_sdp_add_ssrcs (GstSDPMessage * offer, GHashTable * ssrcs)
{
  guint i;

  for (i = 0; i < gst_sdp_message_medias_len (offer); i++) {
    GstSDPMedia *m = (GstSDPMedia *) gst_sdp_message_get_media (offer, i);
    const gchar *msid = gst_sdp_media_get_attribute_val (m, "msid");
    guint ssrc;

    guint j;

    if (msid == NULL || gst_sdp_media_get_attribute_val (m, "inactive")
        || !(ssrc = GPOINTER_TO_UINT (g_hash_table_lookup (ssrcs, msid))))
      continue;
    /* webrtcbin writes the SSRC of the caps it was fed (the router's) once
     * it has seen them; ours is the one on the wire. */
    for (j = gst_sdp_media_attributes_len (m); j > 0; j--) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, j - 1);

      if (g_strcmp0 (a->key, "ssrc") == 0
          || g_strcmp0 (a->key, "ssrc-group") == 0)
        gst_sdp_media_remove_attribute (m, j - 1);
    }
    {
      g_autofree gchar *cname = g_strdup_printf ("%u cname:convene-sfu",
          ssrc);
      g_autofree gchar *line = g_strdup_printf ("%u msid:%s", ssrc, msid);

      gst_sdp_media_add_attribute (m, "ssrc", cname);
      gst_sdp_media_add_attribute (m, "ssrc", line);
    }
  }
}

gboolean
convene_remb_parse (const guint8 * fci, gsize size, guint * bitrate)
{
  guint exp, mantissa;

  if (fci == NULL || size < 8 || memcmp (fci, "REMB", 4) != 0)
    return FALSE;
  exp = fci[5] >> 2;
  mantissa = ((fci[5] & 0x3) << 16) | (fci[6] << 8) | fci[7];
  /* 18 bits shifted by up to 63: saturate instead of overflowing. */
  if (exp >= 32 && mantissa != 0)
    *bitrate = G_MAXUINT;
  else
    *bitrate = (guint) MIN ((guint64) mantissa << exp, (guint64) G_MAXUINT);
  return TRUE;
}
