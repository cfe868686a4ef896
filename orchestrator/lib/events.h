/* Convene event bus: typed, versioned JSON events (docs/events.md).
 *
 * With [events] kafka-brokers set, events go to Kafka, one topic per family
 * (<kafka-topic-prefix><family>, the family being the part of the type
 * before the first '.'), keyed by meeting id (call id for calls). Without
 * it they are appended to <data-dir>/events.jsonl, one object per line.
 *
 * Not thread-safe: one CnvEvents belongs to one thread (the main loop of
 * convened or the archiver). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "config.h"

G_BEGIN_DECLS

typedef struct _CnvEvents CnvEvents;

CnvEvents *cnv_events_new (const CnvConfig * config, GError ** error);

/* Adds "type", "version" (from the table in events.c) and "ts" (Unix ms)
 * to a copy of @fields and publishes it. Never blocks: a full Kafka queue
 * drops the event and counts it. @fields is transfer none, may be NULL. */
void cnv_events_publish (CnvEvents * ev, const char *type, const char *key,
    JsonObject * fields);

/* Events lost so far: queue full, failed delivery, failed write. */
guint64 cnv_events_dropped (CnvEvents * ev);

/* Serves delivery reports without waiting; call it from a timer in the main
 * loop (convened does every 100 ms). No-op for the file backend. */
void cnv_events_poll (CnvEvents * ev);

/* Waits up to @timeout_ms for queued events to be delivered. */
void cnv_events_flush (CnvEvents * ev, guint timeout_ms);

/* Flushes (up to 5 s) and frees. NULL is allowed. */
void cnv_events_free (CnvEvents * ev);

/* The version of @type in the schema table; 0 for an unknown type. */
guint cnv_events_type_version (const char *type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvEvents, cnv_events_free)

G_END_DECLS
