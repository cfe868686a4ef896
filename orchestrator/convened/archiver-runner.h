/* Embedded mode of convene-archiver: without Kafka nobody else hears that
 * a recording stopped, so convened runs the archiver itself, one process
 * at a time, in order (docs/recording.md). */
#pragma once

#include <glib.h>
#include "config.h"

G_BEGIN_DECLS

typedef struct _CnvArchiverRunner CnvArchiverRunner;

/* @config_file (nullable) and @sets are handed on to every run, so the
 * archiver sees the same configuration as convened. */
CnvArchiverRunner *cnv_archiver_runner_new (const CnvConfig * config,
    const char *config_file, const char *const *sets);
/* http://HOST:PORT, given to the child as CONVENE_URL. Runs are held back
 * until it is known. */
void cnv_archiver_runner_set_url (CnvArchiverRunner * self,
    const char *convened_url);
/* Queues "<archiver-command> --data-dir D [--config F] [--set S]... @args". */
void cnv_archiver_runner_queue (CnvArchiverRunner * self,
    const char *const *args);
/* A running archiver is left to finish: whatever it does not, the next
 * "recover" does. */
void cnv_archiver_runner_free (CnvArchiverRunner * self);

/* The full argv of one run (exposed for tests). */
GStrv cnv_archiver_argv (const CnvConfig * config, const char *config_file,
    const char *const *sets, const char *const *args, GError ** error);

G_END_DECLS
