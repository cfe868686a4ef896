/* Convene orchestrator configuration (GKeyFile + --set overrides). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CNV_CONFIG_ERROR (cnv_config_error_quark ())
GQuark cnv_config_error_quark (void);

typedef enum
{
  CNV_CONFIG_ERROR_INVALID,
} CnvConfigError;

typedef enum
{
  CNV_POLICY_OPEN,
  CNV_POLICY_CONTACTS,
} CnvPolicy;

typedef struct
{
  /* [server] */
  char *listen_host;
  guint16 listen_port;
  char *data_dir;
  char *web_dir;
  guint hello_timeout_ms;
  /* [auth] */
  CnvPolicy policy;
  /* [ice] */
  char **stun;
  char **turn;
  char *turn_secret;
  gint64 turn_ttl;
  gboolean allow_loopback;
  /* [calls] ring-timeout, kept in ms so that tests can make it short */
  guint ring_timeout_ms;
  /* [limits] */
  guint max_frame;
  guint rate;
  guint burst;
  /* [meetings]; times in ms so that tests can make them short */
  guint mesh_max;
  guint mesh_linger_ms;
  guint max_participants;
  char *worker_command;
  char *pipeline;
  /* [events]: Kafka when kafka_brokers is set, else <data>/events.jsonl */
  char *kafka_brokers;
  char *kafka_topic_prefix;
  guint events_queue_max;
  /* [storage]: S3 when s3_endpoint is set, else storage_local_dir
   * (NULL = <data>/recordings-out) */
  char *s3_endpoint;
  char *s3_bucket;
  char *s3_region;
  char *s3_access_key;
  char *s3_secret_key;
  char *storage_local_dir;
  /* [recording] (docs/recording.md) */
  guint chunk_duration_ms;
  char *archiver_command;
  char *recorder_pipeline;
  /* Not configurable: how long a worker may take to stop after "mode mesh"
   * before it is stopped anyway, and how long an empty meeting created
   * through the API is kept. */
  guint worker_stop_timeout_ms;
  guint api_meeting_keep_ms;
} CnvConfig;

CnvConfig *cnv_config_new_default (void);
CnvConfig *cnv_config_load (const char *file, const char *const *sets,
    GError ** error);
void cnv_config_free (CnvConfig * config);
const char *cnv_policy_to_string (CnvPolicy policy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvConfig, cnv_config_free)

G_END_DECLS
