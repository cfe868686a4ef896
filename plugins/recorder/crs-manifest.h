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

#define CRS_MANIFEST_ERROR (crs_manifest_error_quark ())
typedef enum
{
  CRS_MANIFEST_ERROR_PARSE,     /* not JSON, or not shaped like a manifest */
  CRS_MANIFEST_ERROR_VERSION,   /* a manifest of another format version */
} CrsManifestError;
GQuark crs_manifest_error_quark (void);

CrsManifest *crs_manifest_new (const gchar * recording_id, CrsFormat format,
    guint64 chunk_duration_ns);
/* Continues the recording described by @json (an existing manifest.json):
 * its recording id, participants, tracks and closed chunks are kept,
 * `complete` is false again and new chunks belong to the next segment.
 * @format and @chunk_duration_ns are those of the new run.  Anything that
 * is not a manifest of CRS_MANIFEST_VERSION we wrote is refused whole
 * (NULL and @error): appending to a file we do not understand could list
 * chunks that are not there. */
CrsManifest *crs_manifest_resume (const gchar * json, gssize len,
    CrsFormat format, guint64 chunk_duration_ns, GError ** error);
void crs_manifest_free (CrsManifest * m);

const gchar *crs_manifest_recording_id (CrsManifest * m);
/* 0 for a new recording, incremented by each resume. */
guint crs_manifest_segment (CrsManifest * m);
/* Where the chunks go.  Once set, crs_manifest_open_chunk() never hands
 * out a file name that already exists there (e.g. the chunk that was open
 * when a previous run crashed). */
void crs_manifest_set_directory (CrsManifest * m, const gchar * dir);

/* Finds or adds a participant; returns its index. */
guint crs_manifest_participant (CrsManifest * m, const gchar * id);
const gchar *crs_manifest_participant_id (CrsManifest * m, guint p);
const gchar *crs_manifest_participant_dir (CrsManifest * m, guint p);

/* Adds a track unless the participant already has one with the same
 * track id, kind and codec (a resumed recording, a returning participant). */
void crs_manifest_add_track (CrsManifest * m, guint p, const gchar * pad,
    const gchar * track_id, CrsKind kind, const gchar * codec);
guint crs_manifest_n_tracks (CrsManifest * m, guint p);

/* Opens the participant's next chunk (after its highest index so far,
 * skipping indexes whose file exists); returns its index and its file name
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
