/* events.c (JSON lines, and Kafka against librdkafka's mock cluster) and
 * recordings.c (SQLite). */
#include "config.h"
#include "events.h"
#include "recordings.h"

#include <glib/gstdio.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

typedef struct
{
  char *dir;
  CnvConfig *config;
} Fixture;

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("convene-storage-XXXXXX", &error);
  g_assert_no_error (error);
  f->config = cnv_config_new_default ();
  g_free (f->config->data_dir);
  f->config->data_dir = g_strdup (f->dir);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  g_autoptr (GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d))) {
    g_autofree char *p = g_build_filename (f->dir, name, NULL);
    g_unlink (p);
  }
  g_rmdir (f->dir);
  g_free (f->dir);
  cnv_config_free (f->config);
}

static JsonObject *
parse (const char *text, gsize len)
{
  g_autoptr (JsonParser) p = json_parser_new ();

  g_assert_true (json_parser_load_from_data (p, text, len, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (p)));
}

static void
test_jsonl (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvEvents) ev = cnv_events_new (f->config, &error);
  g_autoptr (JsonObject) fields = json_object_new ();
  g_autofree char *path = g_build_filename (f->dir, "events.jsonl", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (JsonObject) o = NULL;

  g_assert_no_error (error);
  json_object_set_string_member (fields, "meeting", "m1");
  json_object_set_string_member (fields, "recording_id", "m1-x");
  /* A caller cannot forge the envelope. */
  json_object_set_string_member (fields, "type", "forged");
  cnv_events_publish (ev, "recording.started", "m1", fields);
  cnv_events_publish (ev, "meeting.ended", "m1", NULL);
  g_clear_pointer (&ev, cnv_events_free);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  o = parse (lines[0], -1);
  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==,
      "recording.started");
  g_assert_cmpint (json_object_get_int_member (o, "version"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "ts"), >,
      1700000000000);
  g_assert_cmpstr (json_object_get_string_member (o, "recording_id"), ==,
      "m1-x");
  g_clear_pointer (&o, json_object_unref);
  o = parse (lines[1], -1);
  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==,
      "meeting.ended");

  /* Appends: a second instance (the archiver) adds to the same file. */
  ev = cnv_events_new (f->config, &error);
  cnv_events_publish (ev, "recording.ready", "m1", NULL);
  g_assert_cmpuint (cnv_events_dropped (ev), ==, 0);
  g_clear_pointer (&ev, cnv_events_free);
  g_free (text);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "\"type\":\"recording.ready\""));
  g_assert_cmpuint (cnv_events_type_version ("client.stats"), ==, 1);
  g_assert_cmpuint (cnv_events_type_version ("nope"), ==, 0);
}

/* A mock cluster in this process. */
typedef struct
{
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mc;
  char *bootstrap;
} Mock;

static void
mock_start (Mock * m)
{
  char errstr[256];
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();

  rd_kafka_conf_set (conf, "log_level", "3", NULL, 0);
  m->rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  g_assert_nonnull (m->rk);
  m->mc = rd_kafka_mock_cluster_new (m->rk, 1);
  g_assert_nonnull (m->mc);
  m->bootstrap = g_strdup (rd_kafka_mock_cluster_bootstraps (m->mc));
}

static void
mock_stop (Mock * m)
{
  rd_kafka_mock_cluster_destroy (m->mc);
  rd_kafka_destroy (m->rk);
  g_free (m->bootstrap);
}

/* Reads @topic from the beginning until @want messages or 10 s. Returns
 * "key value" strings. */
static GPtrArray *
consume (const char *bootstrap, const char *topic, guint want)
{
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  g_autofree char *group = g_strdup_printf ("test-%u", g_random_int ());
  rd_kafka_topic_partition_list_t *parts;
  char errstr[256];
  rd_kafka_t *rk;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  rd_kafka_conf_set (conf, "bootstrap.servers", bootstrap, NULL, 0);
  rd_kafka_conf_set (conf, "group.id", group, NULL, 0);
  rd_kafka_conf_set (conf, "auto.offset.reset", "earliest", NULL, 0);
  rd_kafka_conf_set (conf, "log_level", "3", NULL, 0);
  rk = rd_kafka_new (RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  g_assert_nonnull (rk);
  rd_kafka_poll_set_consumer (rk);
  parts = rd_kafka_topic_partition_list_new (1);
  rd_kafka_topic_partition_list_add (parts, topic, 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  g_assert_cmpint (rd_kafka_assign (rk, parts), ==, 0);
  rd_kafka_topic_partition_list_destroy (parts);
  while (got->len < want && g_get_monotonic_time () < deadline) {
    rd_kafka_message_t *msg = rd_kafka_consumer_poll (rk, 100);
    if (!msg)
      continue;
    if (!msg->err)
      g_ptr_array_add (got, g_strdup_printf ("%.*s %.*s", (int) msg->key_len,
              (const char *) msg->key, (int) msg->len,
              (const char *) msg->payload));
    rd_kafka_message_destroy (msg);
  }
  rd_kafka_consumer_close (rk);
  rd_kafka_destroy (rk);
  return got;
}

static void
test_kafka (Fixture * f, gconstpointer data)
{
  Mock m;
  g_autoptr (GError) error = NULL;
  CnvEvents *ev;
  g_autoptr (JsonObject) fields = json_object_new ();
  g_autoptr (GPtrArray) rec = NULL;
  g_autoptr (GPtrArray) call = NULL;
  g_autofree char *path = g_build_filename (f->dir, "events.jsonl", NULL);

  mock_start (&m);
  rd_kafka_mock_topic_create (m.mc, "test.recording", 1, 1);
  rd_kafka_mock_topic_create (m.mc, "test.call", 1, 1);
  f->config->kafka_brokers = g_strdup (m.bootstrap);
  g_free (f->config->kafka_topic_prefix);
  f->config->kafka_topic_prefix = g_strdup ("test.");
  ev = cnv_events_new (f->config, &error);
  g_assert_no_error (error);
  json_object_set_string_member (fields, "meeting", "m1");
  cnv_events_publish (ev, "recording.started", "m1", fields);
  cnv_events_publish (ev, "recording.stopped", "m1", fields);
  cnv_events_publish (ev, "call.ended", "c-1", NULL);
  /* No explicit flush: free flushes. */
  cnv_events_free (ev);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  rec = consume (m.bootstrap, "test.recording", 2);
  g_assert_cmpuint (rec->len, ==, 2);
  g_assert_true (g_str_has_prefix (rec->pdata[0],
          "m1 {\"type\":\"recording.started\",\"version\":1,"));
  g_assert_true (g_str_has_prefix (rec->pdata[1],
          "m1 {\"type\":\"recording.stopped\""));
  call = consume (m.bootstrap, "test.call", 1);
  g_assert_cmpuint (call->len, ==, 1);
  g_assert_true (g_str_has_prefix (call->pdata[0],
          "c-1 {\"type\":\"call.ended\""));
  mock_stop (&m);
}

static void
test_kafka_queue_full (Fixture * f, gconstpointer data)
{
  Mock m;
  g_autoptr (GError) error = NULL;
  CnvEvents *ev;
  g_autoptr (GPtrArray) got = NULL;
  guint64 dropped;

  mock_start (&m);
  rd_kafka_mock_topic_create (m.mc, "convene.client", 1, 1);
  f->config->kafka_brokers = g_strdup (m.bootstrap);
  f->config->events_queue_max = 5;
  ev = cnv_events_new (f->config, &error);
  g_assert_no_error (error);
  /* Far faster than delivery: the bounded queue overflows and the excess
   * is dropped and counted, never blocking. */
  for (int i = 0; i < 500; i++)
    cnv_events_publish (ev, "client.stats", "m1", NULL);
  dropped = cnv_events_dropped (ev);
  g_assert_cmpuint (dropped, >=, 500 - 5 * 10);
  g_assert_cmpuint (dropped, <, 500);
  cnv_events_flush (ev, 5000);
  g_assert_cmpuint (cnv_events_dropped (ev), ==, dropped);
  cnv_events_free (ev);
  got = consume (m.bootstrap, "convene.client", 500 - dropped);
  g_assert_cmpuint (got->len, ==, 500 - dropped);
  mock_stop (&m);
}

static void
test_recordings (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvRecordings) r = cnv_recordings_open (f->dir, &error);
  g_autoptr (CnvRecordings) r2 = NULL;
  g_autoptr (CnvRecording) rec = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) pending = NULL;
  g_auto (GStrv) todo = NULL;
  const char *people[] = { "alice", "bob", NULL };

  g_assert_no_error (error);
  g_assert_true (cnv_recordings_create (r, "m1-a", "m1", "/d/m1-a", 1000,
          &error));
  g_assert_false (cnv_recordings_create (r, "m1-a", "m1", "/d", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (cnv_recordings_create (r, "m1-b", "m1", "/d/m1-b", 2000,
          NULL));
  g_assert_true (cnv_recordings_create (r, "m2-a", "m2", "/d/m2-a", 3000,
          NULL));

  rec = cnv_recordings_get (r, "m1-a", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rec->status, ==, "recording");
  g_assert_cmpstr (rec->dir, ==, "/d/m1-a");
  g_assert_cmpint (rec->started_at, ==, 1000);
  g_assert_cmpint (rec->stopped_at, ==, 0);
  g_assert_null (rec->url);
  g_assert_cmpuint (g_strv_length (rec->participants), ==, 0);
  g_clear_pointer (&rec, cnv_recording_free);

  g_assert_true (cnv_recordings_set_stopped (r, "m1-a", 1500, people,
          NULL));
  g_assert_false (cnv_recordings_set_stopped (r, "nope", 1, people,
          &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cnv_recordings_set_status (r, "m1-a", "bogus", 0, NULL,
          NULL, &error));
  g_clear_error (&error);

  /* A second handle (the archiver) sees and changes the same rows. */
  r2 = cnv_recordings_open (f->dir, &error);
  g_assert_no_error (error);
  g_assert_true (cnv_recordings_set_status (r2, "m1-a", "uploading", 40,
          "s3://x", NULL, NULL));
  g_assert_true (cnv_recordings_set_status (r2, "m1-a", "ready", 100, NULL,
          NULL, NULL));
  rec = cnv_recordings_get (r, "m1-a", NULL);
  g_assert_cmpstr (rec->status, ==, "ready");
  g_assert_cmpint (rec->progress, ==, 100);
  g_assert_cmpstr (rec->url, ==, "s3://x");
  g_assert_cmpint (rec->stopped_at, ==, 1500);
  g_assert_true (cnv_recording_has_participant (rec, "bob"));
  g_assert_false (cnv_recording_has_participant (rec, "carol"));
  g_clear_pointer (&rec, cnv_recording_free);
  g_assert_null (cnv_recordings_get (r, "nope", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  list = cnv_recordings_list (r, "m1", NULL);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((CnvRecording *) list->pdata[0])->id, ==, "m1-a");
  g_clear_pointer (&list, g_ptr_array_unref);
  list = cnv_recordings_list (r, NULL, NULL);
  g_assert_cmpuint (list->len, ==, 3);

  /* A restart: what was recording is stopped, then unassembled. */
  g_assert_true (cnv_recordings_mark_interrupted (r, 9000, NULL));
  todo = cnv_recordings_unassembled (r, NULL);
  g_assert_cmpuint (g_strv_length (todo), ==, 2);
  g_assert_cmpstr (todo[0], ==, "m1-b");
  g_assert_cmpstr (todo[1], ==, "m2-a");
  rec = cnv_recordings_get (r, "m2-a", NULL);
  g_assert_cmpstr (rec->status, ==, "stopped");
  g_assert_cmpint (rec->stopped_at, ==, 9000);

  /* Notifications: per user, in order, once. */
  g_assert_true (cnv_notifications_add (r, "bob", "{\"n\":1}", NULL));
  g_assert_true (cnv_notifications_add (r2, "bob", "{\"n\":2}", NULL));
  g_assert_true (cnv_notifications_add (r, "alice", "{\"n\":3}", NULL));
  pending = cnv_notifications_take_pending (r, "bob", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 2);
  g_assert_cmpstr (pending->pdata[0], ==, "{\"n\":1}");
  g_assert_cmpstr (pending->pdata[1], ==, "{\"n\":2}");
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = cnv_notifications_take_pending (r2, "bob", NULL);
  g_assert_cmpuint (pending->len, ==, 0);
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = cnv_notifications_take_pending (r2, "alice", NULL);
  g_assert_cmpuint (pending->len, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/events/jsonl", Fixture, NULL, fixture_setup, test_jsonl,
      fixture_teardown);
  g_test_add ("/events/kafka", Fixture, NULL, fixture_setup, test_kafka,
      fixture_teardown);
  g_test_add ("/events/kafka-queue-full", Fixture, NULL, fixture_setup,
      test_kafka_queue_full, fixture_teardown);
  g_test_add ("/recordings/store", Fixture, NULL, fixture_setup,
      test_recordings, fixture_teardown);
  return g_test_run ();
}
