/* Runs convene-archiver "assemble ID" / "recover" one after another. */
#include "archiver-runner.h"

#include <gio/gio.h>

struct _CnvArchiverRunner
{
  const CnvConfig *config;
  char *config_file;
  char **sets;
  char *url;
  GQueue pending;               /* GStrv of arguments, oldest first */
  GSubprocess *running;
  GCancellable *cancellable;
};

GStrv
cnv_archiver_argv (const CnvConfig * config, const char *config_file,
    const char *const *sets, const char *const *args, GError ** error)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) command = NULL;

  if (!g_shell_parse_argv (config->archiver_command, NULL, &command, error))
    return NULL;
  g_strv_builder_addv (b, (const char **) command);
  g_strv_builder_add (b, "--data-dir");
  g_strv_builder_add (b, config->data_dir);
  if (config_file) {
    g_strv_builder_add (b, "--config");
    g_strv_builder_add (b, config_file);
  }
  for (gsize i = 0; sets && sets[i]; i++) {
    g_strv_builder_add (b, "--set");
    g_strv_builder_add (b, sets[i]);
  }
  g_strv_builder_addv (b, (const char **) args);
  return g_strv_builder_end (b);
}

static void run_next (CnvArchiverRunner * self);

static void
on_exited (GObject * source, GAsyncResult * res, gpointer user_data)
{
  CnvArchiverRunner *self = user_data;
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autoptr (GError) error = NULL;

  if (!g_subprocess_wait_finish (proc, res, &error)) {
    /* Cancelled: the runner is being freed. */
    return;
  }
  if (!g_subprocess_get_successful (proc))
    g_warning ("convene-archiver (pid %s) failed with status %d",
        g_subprocess_get_identifier (proc) ? g_subprocess_get_identifier
        (proc) : "?", g_subprocess_get_status (proc));
  g_clear_object (&self->running);
  run_next (self);
}

static void
run_next (CnvArchiverRunner * self)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_auto (GStrv) args = NULL;
  g_auto (GStrv) argv = NULL;
  g_autoptr (GError) error = NULL;

  while (!self->running && self->url
      && (args = g_queue_pop_head (&self->pending))) {
    argv = cnv_archiver_argv (self->config, self->config_file,
        (const char *const *) self->sets, (const char *const *) args, &error);
    if (argv) {
      launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
      g_subprocess_launcher_setenv (launcher, "CONVENE_URL", self->url, TRUE);
      self->running = g_subprocess_launcher_spawnv (launcher,
          (const char *const *) argv, &error);
    }
    if (!self->running) {
      g_warning ("cannot run the archiver (%s): %s",
          self->config->archiver_command, error->message);
      g_clear_error (&error);
      g_clear_pointer (&args, g_strfreev);
      g_clear_pointer (&argv, g_strfreev);
      g_clear_object (&launcher);
      continue;
    }
    g_message ("archiver started: %s %s", args[0], args[1] ? args[1] : "");
    g_subprocess_wait_async (self->running, self->cancellable, on_exited,
        self);
  }
}

CnvArchiverRunner *
cnv_archiver_runner_new (const CnvConfig * config, const char *config_file,
    const char *const *sets)
{
  CnvArchiverRunner *self = g_new0 (CnvArchiverRunner, 1);

  self->config = config;
  self->config_file = g_strdup (config_file);
  self->sets = g_strdupv ((char **) sets);
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->pending);
  return self;
}

void
cnv_archiver_runner_set_url (CnvArchiverRunner * self,
    const char *convened_url)
{
  g_free (self->url);
  self->url = g_strdup (convened_url);
  run_next (self);
}

void
cnv_archiver_runner_queue (CnvArchiverRunner * self, const char *const *args)
{
  g_queue_push_tail (&self->pending, g_strdupv ((char **) args));
  run_next (self);
}

void
cnv_archiver_runner_free (CnvArchiverRunner * self)
{
  if (!self)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->running);
  g_queue_clear_full (&self->pending, (GDestroyNotify) g_strfreev);
  g_free (self->url);
  g_free (self->config_file);
  g_strfreev (self->sets);
  g_free (self);
}
