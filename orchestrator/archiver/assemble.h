/* Assembling a recording: every participant's chunks, lined up by their
 * wall-clock starts, into one gallery MP4 (H.264 + AAC, index first). */
#pragma once

#include <glib.h>
#include "manifest.h"

G_BEGIN_DECLS

typedef struct
{
  int width, height;            /* output canvas, default 1280x720 */
  int fps;                      /* default 30 */
  /* How long nothing may move (no output frame, no chunk data) before the
   * assembly is abandoned as stuck. Default 60 s. */
  guint stall_timeout_ms;
} CnvArchAssembleOptions;

typedef struct
{
  guint64 duration_ns;          /* length of the recorded span */
  guint64 size_bytes;
  guint chunks;                 /* listed in the manifest */
  guint chunks_skipped;         /* missing, unreadable or cut short */
  gint64 elapsed_us;            /* wall time the assembly took */
} CnvArchAssembleStats;

/* Called on the calling thread, at most once per percent. */
typedef void (*CnvArchProgressFunc) (guint percent, guint64 position_ns,
    gpointer user_data);

void cnv_arch_assemble_options_init (CnvArchAssembleOptions * options);

/* Blocks until @output is written (through @output.part, renamed at the
 * end, so a file at @output is always complete). Runs a private main
 * context. Chunks that cannot be read are skipped; only a pipeline that
 * fails as a whole is an error. */
gboolean cnv_arch_assemble (const CnvArchManifest * manifest,
    const char *output, const CnvArchAssembleOptions * options,
    CnvArchProgressFunc progress, gpointer user_data,
    CnvArchAssembleStats * stats, GError ** error);

G_END_DECLS
