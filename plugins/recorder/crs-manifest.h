/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The manifest.json model of docs/recording.md and its crash-safe writer.
 * Element-free: plain GLib + json-glib.  Not thread-safe: the element
 * calls it under its lock. */

#ifndef __CRS_MANIFEST_H__
#define __CRS_MANIFEST_H__

#include <glib.h>

#include "crs-logic.h"

G_BEGIN_DECLS

#define CRS_MANIFEST_VERSION 1
#define CRS_MANIFEST_NAME "manifest.json"

typedef struct _CrsManifest CrsManifest;

CrsManifest *crs_manifest_new (const gchar * recording_id, CrsFormat format,
    guint64 chunk_duration_ns);
void crs_manifest_free (CrsManifest * m);

/* Finds or adds a participant; returns its index. */
guint crs_manifest_participant (CrsManifest * m, const gchar * id);
const gchar *crs_manifest_participant_id (CrsManifest * m, guint p);
const gchar *crs_manifest_participant_dir (CrsManifest * m, guint p);

void crs_manifest_add_track (CrsManifest * m, guint p, const gchar * pad,
    const gchar * track_id, CrsKind kind, const gchar * codec);

/* Opens the participant's next chunk; returns its index and its file name
 * relative to the recording directory in *file. */
guint crs_manifest_open_chunk (CrsManifest * m, guint p,
    guint64 start_running_time, gint64 start_wallclock,
    const gchar * wallclock_source, const gchar ** file);
/* Closes the open chunk whose relative file name is @file.  Returns FALSE
 * if there is none; else fills the chunk's index, start and duration. */
gboolean crs_manifest_close_chunk (CrsManifest * m, guint p,
    const gchar * file, guint64 end_running_time, guint * index,
    guint64 * start_running_time, guint64 * duration, gint64 * wallclock);
/* Forgets an open chunk that turned out empty: never listed, its index
 * is not reused. */
gboolean crs_manifest_discard_chunk (CrsManifest * m, guint p,
    const gchar * file);
guint crs_manifest_n_closed (CrsManifest * m, guint p);

void crs_manifest_set_complete (CrsManifest * m);
gchar *crs_manifest_to_json (CrsManifest * m);

gboolean crs_fsync_path (const gchar * path, GError ** error);
gboolean crs_write_file_atomic (const gchar * dir, const gchar * name,
    const gchar * contents, GError ** error);

G_END_DECLS

#endif /* __CRS_MANIFEST_H__ */
