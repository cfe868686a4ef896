/* convene-archiver: turns recordings' chunks into stored MP4s
 * (docs/archiver.md, docs/recording.md).
 *
 *   convene-archiver [--config FILE] [--data-dir DIR]
 *                    [--set section.key=value]...  consume
 *   convene-archiver [global options] assemble RECORDING_ID
 *   convene-archiver [global options] recover
 *
 * Exit codes: 0 success, 1 a recording failed (or Kafka failed), 2 bad
 * command line or configuration. */
#include <gst/gst.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "events.h"
#include "job.h"
#include "recordings.h"

#define EXIT_USAGE 2

typedef struct
{
  char *config_file;
  char *data_dir;
  char **sets;
} GlobalOptions;

static void
global_options_clear (GlobalOptions * o)
{
  g_free (o->config_file);
  g_free (o->data_dir);
  g_strfreev (o->sets);
}

static int
usage_error (const char *message)
{
  g_printerr ("convene-archiver: %s\nTry \"convene-archiver --help\".\n",
      message);
  return EXIT_USAGE;
}

static CnvConfig *
load_config (GlobalOptions * o, int *exit_code)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) sets = NULL;
  g_autoptr (GError) error = NULL;
  CnvConfig *config;

  /* --data-dir wins over --set, which wins over the file. */
  if (o->sets)
    g_strv_builder_addv (b, (const char **) o->sets);
  if (o->data_dir) {
    g_autofree char *s = g_strdup_printf ("server.data-dir=%s", o->data_dir);
    g_strv_builder_add (b, s);
  }
  sets = g_strv_builder_end (b);
  config = cnv_config_load (o->config_file, (const char *const *) sets,
      &error);
  if (!config) {
    g_printerr ("convene-archiver: %s\n", error->message);
    *exit_code = EXIT_USAGE;
  }
  return config;
}

int
main (int argc, char **argv)
{
  GlobalOptions o = { 0 };
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config_file,
        "Configuration file (GKeyFile, as convened's)", "FILE"},
    {"data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o.data_dir,
        "Data directory (server.data-dir)", "DIR"},
    {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o.sets,
        "Override a configuration key (repeatable)", "SECTION.KEY=VALUE"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx =
      g_option_context_new ("consume | assemble RECORDING_ID | recover");
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvConfig) config = NULL;
  g_autoptr (CnvRecordings) recordings = NULL;
  g_autoptr (CnvEvents) events = NULL;
  CnvArchiver archiver;
  const char *cmd;
  int rc = 0;

  setlocale (LC_ALL, "");
  g_log_writer_default_set_use_stderr (TRUE);
  g_option_context_set_summary (ctx,
      "Assembles recordings (chunks + manifest.json) into one gallery MP4, "
      "stores it in S3 or a local folder, and announces it.\n\n"
      "  consume             Kafka consumer group \"convene-archiver\"\n"
      "  assemble ID         one recording, then exit\n"
      "  recover             every stopped but unassembled recording");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  g_option_context_set_strict_posix (ctx, TRUE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    rc = usage_error (error->message);
    goto out;
  }
  if (argc < 2) {
    rc = usage_error ("missing command (consume, assemble or recover)");
    goto out;
  }
  cmd = argv[1];
  if (!(strcmp (cmd, "consume") == 0 && argc == 2) &&
      !(strcmp (cmd, "recover") == 0 && argc == 2) &&
      !(strcmp (cmd, "assemble") == 0 && argc == 3)) {
    g_autofree char *msg = strcmp (cmd, "assemble") == 0 ?
        g_strdup ("usage: assemble RECORDING_ID") :
        g_strdup_printf ("unknown command or extra arguments: \"%s\"", cmd);
    rc = usage_error (msg);
    goto out;
  }
  config = load_config (&o, &rc);
  if (!config)
    goto out;

  gst_init (NULL, NULL);
  recordings = cnv_recordings_open (config->data_dir, &error);
  if (!recordings) {
    g_printerr ("convene-archiver: %s\n", error->message);
    rc = 1;
    goto out;
  }
  events = cnv_events_new (config, &error);
  if (!events) {
    /* The recording matters more than its announcement. */
    g_warning ("events disabled: %s", error->message);
    g_clear_error (&error);
  }
  cnv_archiver_init (&archiver, config, recordings, events);
  if (strcmp (cmd, "assemble") == 0) {
    if (!cnv_archiver_process (&archiver, argv[2], &error)) {
      g_printerr ("convene-archiver: %s\n", error->message);
      rc = 1;
    }
  } else if (strcmp (cmd, "recover") == 0) {
    rc = cnv_archiver_recover (&archiver, NULL) ? 1 : 0;
  } else {
    rc = cnv_archiver_consume (&archiver);
  }
  cnv_archiver_clear (&archiver);

out:
  global_options_clear (&o);
  return rc;
}
