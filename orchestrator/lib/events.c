/* Convene event bus: Kafka (librdkafka) or a JSON-lines file.
 *
 * The producer never blocks the main loop: rd_kafka_producev() is
 * asynchronous, its queue is bounded by [events] queue-max, and an event
 * that does not fit is dropped and counted (convene_events_dropped_total)
 * instead of stalling signalling. Delivery reports come back through
 * cnv_events_poll(), which convened calls from a GLib timeout. */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <librdkafka/rdkafka.h>

/* One row per event type; docs/events.md lists the fields. Bump a version
 * when a field changes meaning or disappears (adding one does not). */
static const struct
{
  const char *type;
  guint version;
} event_types[] = {
  {"call.started", 1},
  {"call.ended", 1},
  {"meeting.started", 1},
  {"meeting.mode-changed", 1},
  {"meeting.ended", 1},
  {"participant.joined", 1},
  {"participant.left", 1},
  {"quality.changed", 1},
  {"recording.started", 1},
  {"recording.stopped", 1},
  {"recording.ready", 1},
  {"recording.failed", 1},
  {"client.stats", 1},
};

struct _CnvEvents
{
  /* Kafka backend */
  rd_kafka_t *rk;
  char *topic_prefix;
  /* file backend */
  char *path;
  int fd;
  guint64 dropped;
};

guint
cnv_events_type_version (const char *type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (event_types); i++)
    if (strcmp (event_types[i].type, type) == 0)
      return event_types[i].version;
  return 0;
}

static void
delivery_report (rd_kafka_t * rk, const rd_kafka_message_t * msg,
    void *opaque)
{
  CnvEvents *ev = opaque;

  if (msg->err) {
    ev->dropped++;
    g_warning ("event not delivered to %s: %s",
        rd_kafka_topic_name (msg->rkt), rd_kafka_err2str (msg->err));
  }
}

static void
kafka_log (const rd_kafka_t * rk, int level, const char *fac, const char *buf)
{
  g_debug ("rdkafka %s: %s", fac, buf);
}

static gboolean
conf_set (rd_kafka_conf_t * conf, const char *key, const char *value,
    GError ** error)
{
  char errstr[512];

  if (rd_kafka_conf_set (conf, key, value, errstr, sizeof errstr)
      != RD_KAFKA_CONF_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Kafka setting %s=%s: %s", key, value, errstr);
    return FALSE;
  }
  return TRUE;
}

static gboolean
open_kafka (CnvEvents * ev, const CnvConfig * config, GError ** error)
{
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  g_autofree char *queue_max =
      g_strdup_printf ("%u", MAX (config->events_queue_max, 1));
  char errstr[512];

  if (!conf_set (conf, "bootstrap.servers", config->kafka_brokers, error)
      || !conf_set (conf, "queue.buffering.max.messages", queue_max, error)
      || !conf_set (conf, "client.id", "convene", error)
      /* An event that cannot be delivered within a minute is counted as
       * dropped rather than held for the default five minutes. */
      || !conf_set (conf, "message.timeout.ms", "60000", error)
      || !conf_set (conf, "enable.idempotence", "false", error)) {
    rd_kafka_conf_destroy (conf);
    return FALSE;
  }
  rd_kafka_conf_set_dr_msg_cb (conf, delivery_report);
  rd_kafka_conf_set_log_cb (conf, kafka_log);
  rd_kafka_conf_set_opaque (conf, ev);
  ev->rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!ev->rk) {
    /* rd_kafka_new() only takes ownership of conf on success */
    rd_kafka_conf_destroy (conf);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot create the Kafka producer: %s", errstr);
    return FALSE;
  }
  ev->topic_prefix = g_strdup (config->kafka_topic_prefix ?
      config->kafka_topic_prefix : "convene.");
  return TRUE;
}

CnvEvents *
cnv_events_new (const CnvConfig * config, GError ** error)
{
  g_autoptr (CnvEvents) ev = g_new0 (CnvEvents, 1);

  ev->fd = -1;
  if (config->kafka_brokers && *config->kafka_brokers) {
    if (!open_kafka (ev, config, error))
      return NULL;
    return g_steal_pointer (&ev);
  }
  if (g_mkdir_with_parents (config->data_dir, 0700) < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot create data dir %s: %s", config->data_dir,
        g_strerror (errno));
    return NULL;
  }
  ev->path = g_build_filename (config->data_dir, "events.jsonl", NULL);
  /* O_APPEND and one write() per line: convened and an archiver it runs
   * append to the same file without interleaving lines. */
  ev->fd = g_open (ev->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
      0600);
  if (ev->fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "cannot open %s: %s", ev->path, g_strerror (errno));
    return NULL;
  }
  return g_steal_pointer (&ev);
}

static char *
event_to_json (const char *type, JsonObject * fields)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, cnv_events_type_version (type));
  json_builder_set_member_name (b, "ts");
  json_builder_add_int_value (b, g_get_real_time () / 1000);
  if (fields) {
    JsonObjectIter it;
    const char *name;
    JsonNode *node;

    json_object_iter_init (&it, fields);
    while (json_object_iter_next (&it, &name, &node)) {
      if (strcmp (name, "type") == 0 || strcmp (name, "version") == 0
          || strcmp (name, "ts") == 0)
        continue;
      json_builder_set_member_name (b, name);
      json_builder_add_value (b, json_node_copy (node));
    }
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static void
write_line (CnvEvents * ev, const char *json)
{
  g_autofree char *line = g_strconcat (json, "\n", NULL);
  gsize len = strlen (line);
  gssize n;

  do
    n = write (ev->fd, line, len);
  while (n < 0 && errno == EINTR);
  if (n != (gssize) len) {
    ev->dropped++;
    g_warning ("cannot append to %s: %s", ev->path,
        n < 0 ? g_strerror (errno) : "short write");
  }
}

void
cnv_events_publish (CnvEvents * ev, const char *type, const char *key,
    JsonObject * fields)
{
  g_autofree char *json = NULL;
  g_autofree char *family = NULL;
  g_autofree char *topic = NULL;
  const char *dot;
  rd_kafka_resp_err_t err;

  g_return_if_fail (ev != NULL && type != NULL);
  if (cnv_events_type_version (type) == 0)
    g_warning ("event type %s is not in the schema table", type);
  json = event_to_json (type, fields);
  if (!ev->rk) {
    write_line (ev, json);
    return;
  }
  dot = strchr (type, '.');
  family = dot ? g_strndup (type, dot - type) : g_strdup (type);
  topic = g_strconcat (ev->topic_prefix, family, NULL);
  err = rd_kafka_producev (ev->rk,
      RD_KAFKA_V_TOPIC (topic),
      RD_KAFKA_V_MSGFLAGS (RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_KEY (key, key ? strlen (key) : 0),
      RD_KAFKA_V_VALUE (json, strlen (json)), RD_KAFKA_V_END);
  if (err) {
    ev->dropped++;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      g_warning ("event %s not queued: %s", type, rd_kafka_err2str (err));
  }
}

guint64
cnv_events_dropped (CnvEvents * ev)
{
  return ev->dropped;
}

void
cnv_events_poll (CnvEvents * ev)
{
  if (ev->rk)
    rd_kafka_poll (ev->rk, 0);
}

void
cnv_events_flush (CnvEvents * ev, guint timeout_ms)
{
  if (ev->rk)
    rd_kafka_flush (ev->rk, timeout_ms);
}

void
cnv_events_free (CnvEvents * ev)
{
  if (!ev)
    return;
  if (ev->rk) {
    if (rd_kafka_flush (ev->rk, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      /* Purged messages come back as failed delivery reports, which
       * count them as dropped. */
      rd_kafka_purge (ev->rk, RD_KAFKA_PURGE_F_QUEUE |
          RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_poll (ev->rk, 0);
    }
    if (ev->dropped)
      g_message ("%" G_GUINT64_FORMAT " events were dropped", ev->dropped);
    rd_kafka_destroy (ev->rk);
  }
  if (ev->fd >= 0)
    close (ev->fd);
  g_free (ev->topic_prefix);
  g_free (ev->path);
  g_free (ev);
}
