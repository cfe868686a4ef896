/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Shared by the chunkrecordersink tests: playability checks through
 * gst-discoverer-1.0 and manifest reading. */

#ifndef __RECORDER_TEST_UTIL_H__
#define __RECORDER_TEST_UTIL_H__

#include <gst/gst.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  gboolean ok;                  /* exit status 0 */
  gboolean has_video;
  gboolean has_audio;
  guint64 duration;             /* ns */
  gchar *output;
} RtDiscovered;

void rt_discover (const gchar * path, RtDiscovered * out);
void rt_discovered_clear (RtDiscovered * d);

/* Parses <dir>/manifest.json; fails the test if it is not valid JSON. */
JsonObject *rt_load_manifest (const gchar * dir);
/* Every chunk of every participant: asserts it is playable with the
 * wanted streams; returns the number of chunks and adds their discovered
 * durations to *total. */
guint rt_check_chunks (const gchar * dir, JsonObject * manifest,
    gboolean want_video, gboolean want_audio, guint64 * total);
JsonArray *rt_participant_chunks (JsonObject * manifest, const gchar * id);
guint rt_count_closed_chunks (const gchar * dir);

gchar *rt_make_tmp_dir (void);
void rt_remove_tree (const gchar * dir);

/* Runs the pipeline until EOS, or fails on error / after timeout_s;
 * returns how many element messages named @count_name it saw. */
guint rt_run_until_eos (GstElement * pipeline, guint timeout_s,
    const gchar * count_name);

G_END_DECLS

#endif /* __RECORDER_TEST_UTIL_H__ */
