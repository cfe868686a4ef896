/* Counters exported at /metrics in the Prometheus text format. */
#pragma once

#include <glib.h>
#include "protocol.h"

G_BEGIN_DECLS

typedef enum
{
  CNV_OUTCOME_ACCEPTED,
  CNV_OUTCOME_REJECTED,
  CNV_OUTCOME_BUSY,
  CNV_OUTCOME_OFFLINE,
  CNV_OUTCOME_NO_ANSWER,
  CNV_OUTCOME_CANCELLED,
  CNV_OUTCOME_COUNT
} CnvCallOutcome;

#define CNV_SETUP_BUCKETS 10

typedef struct
{
  guint64 ws_messages;
  guint64 calls[CNV_OUTCOME_COUNT];
  guint64 setup_buckets[CNV_SETUP_BUCKETS];     /* cumulative counts */
  guint64 setup_count;
  double setup_sum;
  guint64 errors[CNV_ERR_COUNT];
  guint64 worker_restarts;
} CnvMetrics;

const char *cnv_call_outcome_to_string (CnvCallOutcome outcome);
void cnv_metrics_observe_setup (CnvMetrics * m, double seconds);
char *cnv_metrics_render (const CnvMetrics * m, guint connections);

G_END_DECLS
