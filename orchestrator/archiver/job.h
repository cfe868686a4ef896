/* One recording, from chunks to a stored MP4: assemble, upload (or copy),
 * record the outcome, announce it. */
#pragma once

#include <glib.h>
#include "config.h"
#include "events.h"
#include "recordings.h"

G_BEGIN_DECLS

typedef struct
{
  const CnvConfig *config;
  CnvRecordings *recordings;
  CnvEvents *events;            /* may be NULL */
  char *convened_url;           /* env CONVENE_URL, may be NULL */
  /* test knobs, from the environment (docs/archiver.md) */
  guint64 s3_part_size;
  guint s3_attempts;
  guint s3_backoff_ms;
  guint stall_timeout_ms;
} CnvArchiver;

void cnv_archiver_init (CnvArchiver * self, const CnvConfig * config,
    CnvRecordings * recordings, CnvEvents * events);
void cnv_archiver_clear (CnvArchiver * self);

/* Does recording @id unless it is already ready (or still recording). FALSE
 * with @error when it failed; the row then says failed, with the reason. */
gboolean cnv_archiver_process (CnvArchiver * self, const char *id,
    GError ** error);

/* Every recording that stopped but was never stored (stopped, assembling
 * or uploading: the archiver died on it). Returns how many failed. */
guint cnv_archiver_recover (CnvArchiver * self, const char *meeting);

/* Kafka consumer group "convene-archiver" (consume.c). Returns an exit
 * code. */
int cnv_archiver_consume (CnvArchiver * self);

G_END_DECLS
