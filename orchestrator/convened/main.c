/* convened: the Convene control-plane daemon.
 *
 *   convened [--config FILE] [--listen HOST:PORT] [--data-dir DIR]
 *            [--set section.key=value]...                 serve
 *   convened [global options] user add NAME [--contacts A,B]
 *   convened [global options] token --user NAME [--meeting ID]
 *            [--grants publish,subscribe,record,admin] [--ttl SECONDS]
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad command line or
 * configuration. */
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "protocol.h"
#include "server.h"
#include "token.h"
#include "users.h"

#define EXIT_USAGE 2

typedef struct
{
  char *config_file;
  char *listen;
  char *data_dir;
  char **sets;
  char **all_sets;              /* --set plus --listen and --data-dir */
} GlobalOptions;

typedef struct
{
  CnvServer *server;
  GMainLoop *loop;
} RunState;

static void
global_options_clear (GlobalOptions * o)
{
  g_free (o->config_file);
  g_free (o->listen);
  g_free (o->data_dir);
  g_strfreev (o->sets);
  g_strfreev (o->all_sets);
}

static int
usage_error (const char *message)
{
  g_printerr ("convened: %s\nTry \"convened --help\".\n", message);
  return EXIT_USAGE;
}

static CnvConfig *
load_config (GlobalOptions * o, int *exit_code)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) sets = NULL;
  g_autoptr (GError) error = NULL;
  CnvConfig *config;

  /* Explicit options win over --set, which wins over the file. */
  if (o->sets)
    g_strv_builder_addv (b, (const char **) o->sets);
  if (o->listen) {
    g_autofree char *s = g_strdup_printf ("server.listen=%s", o->listen);
    g_strv_builder_add (b, s);
  }
  if (o->data_dir) {
    g_autofree char *s = g_strdup_printf ("server.data-dir=%s", o->data_dir);
    g_strv_builder_add (b, s);
  }
  sets = g_strv_builder_end (b);
  config = cnv_config_load (o->config_file, (const char *const *) sets,
      &error);
  o->all_sets = g_steal_pointer (&sets);
  if (!config) {
    g_printerr ("convened: %s\n", error->message);
    *exit_code = EXIT_USAGE;
  }
  return config;
}

static int
cmd_user (CnvConfig * config, int argc, char **argv)
{
  char *contacts = NULL;
  GOptionEntry entries[] = {
    {"contacts", 0, 0, G_OPTION_ARG_STRING, &contacts,
        "Comma-separated contact list", "A,B"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("add NAME");
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvUsers) users = NULL;
  g_auto (GStrv) list = NULL;
  g_autofree char *contacts_owned = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("convened user: %s\n", error->message);
    return EXIT_USAGE;
  }
  contacts_owned = contacts;
  if (argc != 3 || strcmp (argv[1], "add") != 0) {
    g_printerr ("convened user: usage: user add NAME [--contacts A,B]\n");
    return EXIT_USAGE;
  }
  if (contacts && *contacts) {
    list = g_strsplit (contacts, ",", -1);
    for (gsize i = 0; list[i]; i++)
      g_strstrip (list[i]);
  }
  users = cnv_users_open (config->data_dir, &error);
  if (!users || !cnv_users_add (users, argv[2], (const char *const *) list,
          &error)) {
    g_printerr ("convened user: %s\n", error->message);
    return 1;
  }
  return 0;
}

static int
cmd_token (CnvConfig * config, int argc, char **argv)
{
  g_autofree char *user = NULL;
  g_autofree char *meeting = NULL;
  g_autofree char *grants = NULL;
  gint64 ttl = 86400;
  GOptionEntry entries[] = {
    {"user", 0, 0, G_OPTION_ARG_STRING, &user, "User name (required)", "NAME"},
    {"meeting", 0, 0, G_OPTION_ARG_STRING, &meeting, "Meeting scope", "ID"},
    {"grants", 0, 0, G_OPTION_ARG_STRING, &grants,
        "Comma-separated grants (default publish,subscribe)", "LIST"},
    {"ttl", 0, 0, G_OPTION_ARG_INT64, &ttl,
        "Lifetime in seconds (default 86400)", "SECONDS"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvUsers) users = NULL;
  g_autoptr (GBytes) secret = NULL;
  g_auto (GStrv) grant_list = NULL;
  g_autofree char *token = NULL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("convened token: %s\n", error->message);
    return EXIT_USAGE;
  }
  if (argc != 1 || !user) {
    g_printerr ("convened token: usage: token --user NAME [--meeting ID] "
        "[--grants LIST] [--ttl SECONDS]\n");
    return EXIT_USAGE;
  }
  if (ttl <= 0 || ttl > 10 * 365 * 86400) {
    g_printerr ("convened token: --ttl must be 1..315360000 seconds\n");
    return EXIT_USAGE;
  }
  grant_list = g_strsplit (grants ? grants : "publish,subscribe", ",", -1);
  for (gsize i = 0; grant_list[i]; i++) {
    g_strstrip (grant_list[i]);
    /* Worker tokens skip the user directory: only convened mints them. */
    if (strcmp (grant_list[i], CNV_GRANT_WORKER) == 0
        || strcmp (grant_list[i], CNV_GRANT_ARCHIVER) == 0) {
      g_printerr ("convened token: the \"%s\" grant is internal\n",
          grant_list[i]);
      return EXIT_USAGE;
    }
  }
  users = cnv_users_open (config->data_dir, &error);
  if (!users) {
    g_printerr ("convened token: %s\n", error->message);
    return 1;
  }
  if (!cnv_users_exists (users, user, &error)) {
    if (error)
      g_printerr ("convened token: %s\n", error->message);
    else
      g_printerr ("convened token: no user \"%s\" (add it with "
          "\"convened user add %s\")\n", user, user);
    return 1;
  }
  secret = cnv_secret_load (config->data_dir, &error);
  if (secret)
    token = cnv_token_mint (secret, user, meeting,
        (const char *const *) grant_list,
        g_get_real_time () / G_USEC_PER_SEC, ttl, &error);
  if (!token) {
    g_printerr ("convened token: %s\n", error->message);
    return 1;
  }
  printf ("%s\n", token);
  return 0;
}

static gboolean
on_signal (gpointer data)
{
  RunState *st = data;

  g_message ("shutting down");
  cnv_server_shutdown (st->server, st->loop);
  return G_SOURCE_CONTINUE;
}

static int
cmd_serve (CnvConfig * config, GlobalOptions * o)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvServer) server = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *url = NULL;
  RunState st;
  guint sigterm, sigint;

  server = cnv_server_new (config, o->config_file,
      (const char *const *) o->all_sets, &error);
  if (!server) {
    g_printerr ("convened: %s\n", error->message);
    return 1;
  }
  url = cnv_server_listen (server, &error);
  if (!url) {
    g_printerr ("convened: cannot listen on %s:%u: %s\n",
        config->listen_host, config->listen_port, error->message);
    return 1;
  }
  printf ("convened: listening on %s\n", url);
  fflush (stdout);
  g_message ("data dir %s, web dir %s, policy %s", config->data_dir,
      config->web_dir, cnv_policy_to_string (config->policy));

  st.server = server;
  st.loop = loop;
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &st);
  sigint = g_unix_signal_add (SIGINT, on_signal, &st);
  g_main_loop_run (loop);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  return 0;
}

int
main (int argc, char **argv)
{
  GlobalOptions o = { 0 };
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config_file,
        "Configuration file (GKeyFile)", "FILE"},
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &o.listen,
        "Listen address (server.listen)", "HOST:PORT"},
    {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o.data_dir,
        "Data directory (server.data-dir)", "DIR"},
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o.sets,
        "Override a configuration key (repeatable)", "SECTION.KEY=VALUE"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("[user add NAME [--contacts A,B] | token --user "
      "NAME [--meeting ID] [--grants LIST] [--ttl SECONDS]]");
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvConfig) config = NULL;
  int rc = 0;

  setlocale (LC_ALL, "");
  /* stdout carries only the "listening on" line or the token; every log
   * level, debug included, goes to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);
  g_option_context_set_summary (ctx,
      "Convene control-plane daemon. Without a command it serves HTTP and "
      "WebSocket.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  /* Global options come before the command; the command parses the rest. */
  g_option_context_set_strict_posix (ctx, TRUE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    rc = usage_error (error->message);
    goto out;
  }
  config = load_config (&o, &rc);
  if (!config)
    goto out;

  if (argc < 2)
    rc = cmd_serve (config, &o);
  else if (strcmp (argv[1], "user") == 0)
    rc = cmd_user (config, argc - 1, argv + 1);
  else if (strcmp (argv[1], "token") == 0)
    rc = cmd_token (config, argc - 1, argv + 1);
  else {
    g_autofree char *msg = g_strdup_printf ("unknown command \"%s\"",
        argv[1]);
    rc = usage_error (msg);
  }

out:
  global_options_clear (&o);
  return rc;
}
