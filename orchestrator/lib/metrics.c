/* Prometheus text exposition of the hub's counters. */
#include "metrics.h"

static const char *const outcome_names[CNV_OUTCOME_COUNT] = {
  "accepted", "rejected", "busy", "offline", "no-answer", "cancelled",
};

/* Call setup is mostly a human picking up: seconds, not milliseconds. */
static const double setup_bounds[CNV_SETUP_BUCKETS] = {
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60,
};

const char *
cnv_call_outcome_to_string (CnvCallOutcome outcome)
{
  if (outcome < 0 || outcome >= CNV_OUTCOME_COUNT)
    return "unknown";
  return outcome_names[outcome];
}

void
cnv_metrics_observe_setup (CnvMetrics * m, double seconds)
{
  for (int i = 0; i < CNV_SETUP_BUCKETS; i++)
    if (seconds <= setup_bounds[i])
      m->setup_buckets[i]++;
  m->setup_count++;
  m->setup_sum += seconds;
}

char *
cnv_metrics_render (const CnvMetrics * m, guint connections)
{
  GString *s = g_string_new (NULL);
  char num[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (s,
      "# HELP convene_connections Open WebSocket connections.\n"
      "# TYPE convene_connections gauge\n"
      "convene_connections %u\n", connections);
  g_string_append_printf (s,
      "# HELP convene_ws_messages_total WebSocket messages received.\n"
      "# TYPE convene_ws_messages_total counter\n"
      "convene_ws_messages_total %" G_GUINT64_FORMAT "\n", m->ws_messages);
  g_string_append (s,
      "# HELP convene_calls_total Calls by outcome.\n"
      "# TYPE convene_calls_total counter\n");
  for (int i = 0; i < CNV_OUTCOME_COUNT; i++)
    g_string_append_printf (s,
        "convene_calls_total{outcome=\"%s\"} %" G_GUINT64_FORMAT "\n",
        outcome_names[i], m->calls[i]);
  g_string_append (s,
      "# HELP convene_call_setup_seconds Time from call request to accepted.\n"
      "# TYPE convene_call_setup_seconds histogram\n");
  for (int i = 0; i < CNV_SETUP_BUCKETS; i++)
    g_string_append_printf (s,
        "convene_call_setup_seconds_bucket{le=\"%s\"} %" G_GUINT64_FORMAT
        "\n", g_ascii_dtostr (num, sizeof num, setup_bounds[i]),
        m->setup_buckets[i]);
  g_string_append_printf (s,
      "convene_call_setup_seconds_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT
      "\n", m->setup_count);
  g_string_append_printf (s, "convene_call_setup_seconds_sum %s\n",
      g_ascii_dtostr (num, sizeof num, m->setup_sum));
  g_string_append_printf (s,
      "convene_call_setup_seconds_count %" G_GUINT64_FORMAT "\n",
      m->setup_count);
  g_string_append (s,
      "# HELP convene_errors_total Protocol errors sent, by code.\n"
      "# TYPE convene_errors_total counter\n");
  for (int i = 1; i < CNV_ERR_COUNT; i++)
    g_string_append_printf (s,
        "convene_errors_total{code=\"%s\"} %" G_GUINT64_FORMAT "\n",
        cnv_error_code_to_string (i), m->errors[i]);
  g_string_append_printf (s,
      "# HELP convene_worker_restarts_total Media workers restarted after "
      "dying.\n"
      "# TYPE convene_worker_restarts_total counter\n"
      "convene_worker_restarts_total %" G_GUINT64_FORMAT "\n",
      m->worker_restarts);
  return g_string_free (s, FALSE);
}
