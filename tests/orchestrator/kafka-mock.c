/* A Kafka broker for tests: librdkafka's mock cluster in a process.
 *
 *   kafka-mock [--brokers N] [--topic NAME[:PARTITIONS]]...
 *
 * Prints "bootstrap=HOST:PORT[,...]" on stdout, then runs until stdin
 * reaches end of file (the parent closed its end or died) or SIGTERM /
 * SIGINT. Topics are created on first use; --topic creates them up front
 * so that a consumer started first does not see "unknown topic". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib.h>
#include <glib-unix.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stdin (gint fd, GIOCondition cond, gpointer loop)
{
  char buf[256];
  ssize_t n = read (fd, buf, sizeof buf);

  if (n > 0 || (n < 0 && errno == EINTR))
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  int brokers = 1;
  g_auto (GStrv) topics = NULL;
  GOptionEntry entries[] = {
    {"brokers", 0, 0, G_OPTION_ARG_INT, &brokers, "Number of brokers", "N"},
    {"topic", 0, 0, G_OPTION_ARG_STRING_ARRAY, &topics,
        "Create a topic up front", "NAME[:PARTITIONS]"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("- a mock Kafka cluster for tests");
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  rd_kafka_conf_t *conf;
  rd_kafka_t *rk;
  rd_kafka_mock_cluster_t *mc;
  char errstr[512];

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("kafka-mock: %s\n", error->message);
    return 2;
  }
  /* The mock cluster lives in (and is polled by) a handle of its own. */
  conf = rd_kafka_conf_new ();
  rd_kafka_conf_set (conf, "log_level", "3", NULL, 0);
  rk = rd_kafka_new (RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    g_printerr ("kafka-mock: %s\n", errstr);
    return 1;
  }
  mc = rd_kafka_mock_cluster_new (rk, MAX (brokers, 1));
  if (!mc) {
    g_printerr ("kafka-mock: cannot create the mock cluster\n");
    rd_kafka_destroy (rk);
    return 1;
  }
  for (gsize i = 0; topics && topics[i]; i++) {
    g_auto (GStrv) parts = g_strsplit (topics[i], ":", 2);
    int partitions = parts[1] ? atoi (parts[1]) : 1;

    rd_kafka_mock_topic_create (mc, parts[0], MAX (partitions, 1), 1);
  }
  printf ("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps (mc));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin,
      loop);
  g_main_loop_run (loop);

  rd_kafka_mock_cluster_destroy (mc);
  rd_kafka_destroy (rk);
  return 0;
}
