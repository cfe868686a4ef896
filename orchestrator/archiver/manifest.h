/* The recording manifest written by chunkrecordersink (docs/recording.md),
 * as the archiver reads it, and the gallery layout. Element-free: the unit
 * tests link this without a pipeline. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint index;
  char *file;                   /* absolute path */
  guint64 start_running_time_ns;
  guint64 duration_ns;
  gint64 start_wallclock_ns;
} CnvArchChunk;

typedef struct
{
  char *id;
  gboolean has_video;
  gboolean has_audio;
  GPtrArray *chunks;            /* CnvArchChunk, ordered by start_wallclock_ns */
} CnvArchParticipant;

typedef struct
{
  char *recording_id;
  char *format;
  gboolean complete;
  GPtrArray *participants;      /* CnvArchParticipant, those with chunks only */
  gint64 start_wallclock_ns;    /* earliest chunk start */
  gint64 end_wallclock_ns;      /* latest chunk end */
} CnvArchManifest;

#define CNV_ARCH_MANIFEST_ERROR (cnv_arch_manifest_error_quark ())
GQuark cnv_arch_manifest_error_quark (void);

/* Parses @dir/manifest.json. Chunk entries that are malformed or name a file
 * outside @dir are skipped with a warning (the manifest comes from disk, so
 * it is checked, never trusted); a manifest with no usable chunk is an
 * error. */
CnvArchManifest *cnv_arch_manifest_load (const char *dir, GError ** error);
CnvArchManifest *cnv_arch_manifest_parse (const char *dir, const char *json,
    gssize len, GError ** error);
void cnv_arch_manifest_free (CnvArchManifest * m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvArchManifest, cnv_arch_manifest_free)

static inline guint64
cnv_arch_manifest_duration_ns (const CnvArchManifest * m)
{
  return (guint64) (m->end_wallclock_ns - m->start_wallclock_ns);
}

typedef struct
{
  int x, y, width, height;
} CnvArchTile;

/* Tile @i of a grid for @n participants on a @width x @height canvas: 1 is
 * full size, 2 side by side, 3-4 a 2x2 grid, 5-6 3x2, 7-9 3x3, and so on
 * (columns = ceil (sqrt (n))). Sizes are even, as I420 wants. */
void cnv_arch_layout_tile (guint n, guint i, int width, int height,
    CnvArchTile * tile);

G_END_DECLS
