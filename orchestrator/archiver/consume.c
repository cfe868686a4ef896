/* "convene-archiver consume": the Kafka consumer group "convene-archiver"
 * on <prefix>recording and <prefix>meeting.
 *
 * recording.stopped (recording_id) assembles that recording; meeting.ended
 * (meeting) assembles the meeting's recordings that are still unassembled.
 * Offsets are committed after a message has been handled (at-least-once: a
 * crash mid-assembly hands the message to the next member, and a recording
 * already ready is skipped). Before consuming, it does what "recover" does.
 *
 * An assembly can take longer than Kafka's default poll interval (5 min),
 * after which the member would be thrown out of the group; the interval is
 * raised to the maximum (24 h) instead of polling from another thread. */
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <string.h>

#include "job.h"

static gboolean
on_signal (gpointer data)
{
  gboolean *stop = data;

  g_message ("stopping");
  *stop = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
handle (CnvArchiver * self, const rd_kafka_message_t * msg)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = NULL;
  JsonNode *root;
  JsonObject *o;
  const char *type;

  if (!json_parser_load_from_data (parser, msg->payload, (gssize) msg->len,
          &err) || !(root = json_parser_get_root (parser)) ||
      !JSON_NODE_HOLDS_OBJECT (root)) {
    g_warning ("%s[%d]@%" G_GINT64_FORMAT ": not a JSON object, skipped",
        rd_kafka_topic_name (msg->rkt), msg->partition, msg->offset);
    return;
  }
  o = json_node_get_object (root);
  type = json_object_get_string_member_with_default (o, "type", "");
  if (strcmp (type, "recording.stopped") == 0) {
    const char *id = json_object_get_string_member_with_default (o,
        "recording_id", NULL);

    if (!id) {
      g_warning ("recording.stopped without recording_id, skipped");
      return;
    }
    g_message ("recording.stopped: %s", id);
    if (!cnv_archiver_process (self, id, &err))
      g_warning ("%s: %s", id, err->message);
  } else if (strcmp (type, "meeting.ended") == 0) {
    const char *meeting = json_object_get_string_member_with_default (o,
        "meeting", NULL);

    if (!meeting) {
      g_warning ("meeting.ended without meeting, skipped");
      return;
    }
    g_message ("meeting.ended: %s", meeting);
    cnv_archiver_recover (self, meeting);
  }
}

int
cnv_archiver_consume (CnvArchiver * self)
{
  const CnvConfig *c = self->config;
  char errstr[512];
  rd_kafka_conf_t *conf;
  rd_kafka_t *rk;
  rd_kafka_topic_partition_list_t *topics;
  g_autofree char *t_rec = NULL, *t_meet = NULL;
  gboolean stop = FALSE;
  guint sigterm, sigint;
  rd_kafka_resp_err_t e;
  const struct
  {
    const char *k, *v;
  } settings[] = {
    {"bootstrap.servers", c->kafka_brokers},
    {"group.id", "convene-archiver"},
    {"enable.auto.commit", "false"},
    {"auto.offset.reset", "earliest"},
    {"max.poll.interval.ms", "86400000"},
  };

  if (!c->kafka_brokers) {
    g_printerr ("convene-archiver consume: [events] kafka-brokers is not "
        "set (without Kafka, convened runs \"assemble ID\" itself)\n");
    return 2;
  }
  conf = rd_kafka_conf_new ();
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++) {
    if (rd_kafka_conf_set (conf, settings[i].k, settings[i].v, errstr,
            sizeof (errstr)) != RD_KAFKA_CONF_OK) {
      g_printerr ("convene-archiver: Kafka %s: %s\n", settings[i].k, errstr);
      rd_kafka_conf_destroy (conf);
      return 2;
    }
  }
  rk = rd_kafka_new (RD_KAFKA_CONSUMER, conf, errstr, sizeof (errstr));
  if (!rk) {
    g_printerr ("convene-archiver: Kafka: %s\n", errstr);
    rd_kafka_conf_destroy (conf);
    return 1;
  }
  rd_kafka_poll_set_consumer (rk);

  /* What stopped while nobody was consuming. */
  cnv_archiver_recover (self, NULL);

  t_rec = g_strdup_printf ("%srecording", c->kafka_topic_prefix ?
      c->kafka_topic_prefix : "");
  t_meet = g_strdup_printf ("%smeeting", c->kafka_topic_prefix ?
      c->kafka_topic_prefix : "");
  topics = rd_kafka_topic_partition_list_new (2);
  rd_kafka_topic_partition_list_add (topics, t_rec, RD_KAFKA_PARTITION_UA);
  rd_kafka_topic_partition_list_add (topics, t_meet, RD_KAFKA_PARTITION_UA);
  e = rd_kafka_subscribe (rk, topics);
  rd_kafka_topic_partition_list_destroy (topics);
  if (e) {
    g_printerr ("convene-archiver: Kafka subscribe: %s\n",
        rd_kafka_err2str (e));
    rd_kafka_destroy (rk);
    return 1;
  }
  g_message ("consuming %s and %s from %s (group convene-archiver)", t_rec,
      t_meet, c->kafka_brokers);

  sigterm = g_unix_signal_add (SIGTERM, on_signal, &stop);
  sigint = g_unix_signal_add (SIGINT, on_signal, &stop);
  while (!stop) {
    rd_kafka_message_t *msg = rd_kafka_consumer_poll (rk, 200);

    while (g_main_context_iteration (NULL, FALSE));
    if (self->events)
      cnv_events_poll (self->events);
    if (!msg)
      continue;
    if (msg->err) {
      /* End of partition and unknown topics (before the first event)
       * are normal; anything else is logged and polled past. */
      if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
          msg->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        g_warning ("Kafka: %s", rd_kafka_message_errstr (msg));
      rd_kafka_message_destroy (msg);
      continue;
    }
    handle (self, msg);
    e = rd_kafka_commit_message (rk, msg, 0);
    if (e)
      g_warning ("Kafka commit: %s", rd_kafka_err2str (e));
    rd_kafka_message_destroy (msg);
  }
  g_source_remove (sigterm);
  g_source_remove (sigint);
  rd_kafka_consumer_close (rk);
  rd_kafka_destroy (rk);
  return 0;
}
