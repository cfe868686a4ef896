/* "convene-archiver consume" against librdkafka's mock cluster
 * (tests/orchestrator/kafka-mock): recording.stopped and meeting.ended
 * events make it assemble; it stops cleanly on SIGTERM. */
#include <gio/gio.h>
#include <gst/gst.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <string.h>

#include "archiver-common.h"

static void
produce (const char *brokers, const char *topic, const char *key,
    const char *json)
{
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new ();
  rd_kafka_t *rk;
  rd_kafka_resp_err_t e;

  g_assert_cmpint (rd_kafka_conf_set (conf, "bootstrap.servers", brokers,
          errstr, sizeof errstr), ==, RD_KAFKA_CONF_OK);
  rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  g_assert_nonnull (rk);
  e = rd_kafka_producev (rk, RD_KAFKA_V_TOPIC (topic),
      RD_KAFKA_V_KEY (key, strlen (key)),
      RD_KAFKA_V_VALUE ((void *) json, strlen (json)),
      RD_KAFKA_V_MSGFLAGS (RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  g_assert_cmpint (e, ==, RD_KAFKA_RESP_ERR_NO_ERROR);
  g_assert_cmpint (rd_kafka_flush (rk, 30000), ==, RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy (rk);
}

static gboolean
wait_ready (const char *data, const char *id, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  do {
    g_autoptr (CnvRecording) rec = test_get_row (data, id);

    if (strcmp (rec->status, "ready") == 0)
      return TRUE;
    g_usleep (100000);
  } while (g_get_monotonic_time () < deadline);
  return FALSE;
}

static void
test_consume (void)
{
  const char *mock = g_getenv ("KAFKA_MOCK");
  g_autoptr (GError) err = NULL;
  g_autofree char *data = g_dir_make_tmp ("archiver-kafka-XXXXXX", &err);
  g_autofree char *data_arg = g_strdup_printf ("--data-dir=%s", data);
  g_autofree char *log = g_build_filename (data, "archiver.log", NULL);
  g_autofree char *line = NULL, *brokers_arg = NULL, *cmd = NULL;
  g_autoptr (GSubprocess) kafka = NULL, archiver = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  const char *ids[] = { "k1-20261121T120000Z", "k2-20261121T120000Z",
    "k3-20261121T120000Z"
  };
  const char *brokers;

  g_assert_no_error (err);
  if (!mock) {
    g_test_skip ("KAFKA_MOCK not set");
    return;
  }
  kafka = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
      G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err, mock, "--topic",
      "convene.recording", "--topic", "convene.meeting", NULL);
  g_assert_no_error (err);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (kafka));
  line = g_data_input_stream_read_line (out, NULL, NULL, &err);
  g_assert_no_error (err);
  g_assert_true (line && g_str_has_prefix (line, "bootstrap="));
  brokers = line + strlen ("bootstrap=");
  brokers_arg = g_strdup_printf ("--set=events.kafka-brokers=%s", brokers);

  /* k1 stopped while no archiver ran: done at start. k2 by its
   * recording.stopped, k3 by its meeting's meeting.ended. */
  for (guint i = 0; i < 3; i++) {
    g_autofree char *dir = g_build_filename (data, "recordings", ids[i],
        NULL);
    g_autofree char *meeting = g_strndup (ids[i], 2);
    TestParticipant p;

    test_participant_init (&p, "alice", "smpte", T0_NS, 1);
    test_make_recording (dir, ids[i], &p, 1);
    if (i != 0)
      continue;
    test_add_row (data, ids[i], meeting, dir);
  }
  {
    const char *args[] = { data_arg, brokers_arg, "consume", NULL };
    archiver = test_spawn_archiver (args, NULL, log);
  }
  g_assert_true (wait_ready (data, ids[0], 120));
  g_assert_true (test_wait_for_text (log, "consuming convene.recording", 60));

  for (guint i = 1; i < 3; i++) {
    g_autofree char *dir = g_build_filename (data, "recordings", ids[i],
        NULL);
    g_autofree char *meeting = g_strndup (ids[i], 2);

    test_add_row (data, ids[i], meeting, dir);
  }
  produce (brokers, "convene.recording", "k2", "{\"type\":"
      "\"recording.stopped\",\"version\":1,\"ts\":1,\"meeting\":\"k2\","
      "\"recording_id\":\"k2-20261121T120000Z\"}");
  produce (brokers, "convene.meeting", "k3", "{\"type\":\"meeting.ended\","
      "\"version\":1,\"ts\":1,\"meeting\":\"k3\"}");
  produce (brokers, "convene.meeting", "x", "not json");
  g_assert_true (wait_ready (data, ids[1], 120));
  g_assert_true (wait_ready (data, ids[2], 120));

  g_subprocess_send_signal (archiver, SIGTERM);
  g_assert_true (g_subprocess_wait (archiver, NULL, &err));
  g_assert_no_error (err);
  {
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
    g_printerr ("%s", text);
    g_assert_nonnull (strstr (text, "not a JSON object"));
  }
  g_assert_true (g_subprocess_get_if_exited (archiver));
  g_assert_cmpint (g_subprocess_get_exit_status (archiver), ==, 0);

  g_output_stream_close (g_subprocess_get_stdin_pipe (kafka), NULL, NULL);
  g_subprocess_wait (kafka, NULL, NULL);
  cmd = g_strdup_printf ("rm -rf '%s'", data);
  g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/archiver/kafka/consume", test_consume);
  return g_test_run ();
}
