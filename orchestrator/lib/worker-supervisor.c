/* Media worker supervision.
 *
 * One supervisor per meeting that has needed the SFU. It only knows
 * "wanted" or not: while wanted, a worker that dies is started again after
 * a growing back-off (a worker that crashes at once must not turn into a
 * fork loop); when no longer wanted, the worker gets SIGTERM and is not
 * restarted. Each start gets a freshly minted worker token, so a restart a
 * day later still authenticates. */
#include "worker-supervisor.h"
#include "token.h"

#include <gio/gio.h>
#include <signal.h>

/* Worker tokens are short-lived: a leaked one is useless tomorrow. */
#define WORKER_TOKEN_TTL (24 * 3600)

static const guint backoff_ms[] = { 200, 1000, 2000, 5000, 10000 };

/* ------------------------------------------------------------------ */
/* The real launcher: GSubprocess */

struct _CnvSubprocessLauncher
{
  const CnvConfig *config;
  char *signaling_uri;
};

typedef struct
{
  GSubprocess *proc;
  GCancellable *cancel;
  CnvWorkerExitedFunc exited;   /* NULL once released */
  gpointer exited_data;
  gboolean waiting;             /* wait_async still pending */
} ProcHandle;

static void
proc_handle_free (ProcHandle * h)
{
  g_clear_object (&h->proc);
  g_clear_object (&h->cancel);
  g_free (h);
}

CnvSubprocessLauncher *
cnv_subprocess_launcher_new (const CnvConfig * config)
{
  CnvSubprocessLauncher *l = g_new0 (CnvSubprocessLauncher, 1);

  l->config = config;
  return l;
}

void
cnv_subprocess_launcher_set_signaling_uri (CnvSubprocessLauncher * l,
    const char *uri)
{
  g_free (l->signaling_uri);
  l->signaling_uri = g_strdup (uri);
}

void
cnv_subprocess_launcher_free (CnvSubprocessLauncher * l)
{
  if (!l)
    return;
  g_free (l->signaling_uri);
  g_free (l);
}

GStrv
cnv_worker_argv (const CnvConfig * config, const char *signaling_uri,
    const char *meeting_id, const char *token, GError ** error)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) command = NULL;
  g_autofree char *meeting = g_strdup_printf ("MEETING_ID=%s", meeting_id);
  g_autofree char *uri = g_strdup_printf ("SIGNALING_URI=%s", signaling_uri);
  g_autofree char *tok = g_strdup_printf ("WORKER_TOKEN=%s", token);
  g_autofree char *dir = g_strdup_printf ("DATA_DIR=%s", config->data_dir);
  /* [ice] allow-loopback is for the server side's ICE agents: the worker's. */
  const char *loopback = config->allow_loopback ?
      "ALLOW_LOOPBACK=true" : "ALLOW_LOOPBACK=false";
  /* What the worker needs when convened starts a recording. */
  g_autofree char *recorder = g_strdup_printf ("RECORDER_PIPELINE=%s",
      config->recorder_pipeline);
  g_autofree char *chunk = g_strdup_printf ("CHUNK_DURATION=%" G_GUINT64_FORMAT,
      (guint64) config->chunk_duration_ms * G_GUINT64_CONSTANT (1000000));

  /* worker-command may carry its own arguments ("valgrind convene-worker"). */
  if (!g_shell_parse_argv (config->worker_command, NULL, &command, error))
    return NULL;
  g_strv_builder_addv (b, (const char **) command);
  g_strv_builder_add (b, config->pipeline);
  g_strv_builder_add_many (b, meeting, uri, tok, dir, loopback, recorder,
      chunk, NULL);
  return g_strv_builder_end (b);
}

static void
proc_wait_cb (GObject * source, GAsyncResult * res, gpointer user_data)
{
  ProcHandle *h = user_data;
  CnvWorkerExitedFunc exited = h->exited;
  GSubprocess *proc = G_SUBPROCESS (source);
  gboolean permanent;

  permanent = g_subprocess_wait_finish (proc, res, NULL)
      && g_subprocess_get_if_exited (proc)
      && g_subprocess_get_exit_status (proc) == 2;
  h->waiting = FALSE;
  if (!exited) {
    proc_handle_free (h);
    return;
  }
  /* The callback releases the handle, which frees it now that the wait is
   * over: nothing may touch h after this line. */
  exited (permanent, h->exited_data);
}

static gpointer
proc_start (gpointer data, const char *meeting_id, const char *token,
    CnvWorkerExitedFunc exited, gpointer exited_data, gint64 * pid,
    GError ** error)
{
  CnvSubprocessLauncher *l = data;
  g_auto (GStrv) argv = NULL;
  ProcHandle *h;
  GSubprocess *proc;
  const char *ident;

  if (!l->signaling_uri) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
        "the signaling URI is not known yet");
    return NULL;
  }
  argv = cnv_worker_argv (l->config, l->signaling_uri, meeting_id, token,
      error);
  if (!argv)
    return NULL;
  proc = g_subprocess_newv ((const char *const *) argv,
      G_SUBPROCESS_FLAGS_NONE, error);
  if (!proc)
    return NULL;
  h = g_new0 (ProcHandle, 1);
  h->proc = proc;
  h->cancel = g_cancellable_new ();
  h->exited = exited;
  h->exited_data = exited_data;
  h->waiting = TRUE;
  ident = g_subprocess_get_identifier (proc);
  *pid = ident ? g_ascii_strtoll (ident, NULL, 10) : 0;
  g_subprocess_wait_async (proc, h->cancel, proc_wait_cb, h);
  return h;
}

static void
proc_terminate (gpointer data, gpointer handle)
{
  ProcHandle *h = handle;

  if (h->waiting)
    g_subprocess_send_signal (h->proc, SIGTERM);
}

static void
proc_release (gpointer data, gpointer handle)
{
  ProcHandle *h = handle;

  h->exited = NULL;
  if (!h->waiting) {
    proc_handle_free (h);
    return;
  }
  /* GSubprocess reaps the child by itself; the cancelled wait frees h. */
  g_cancellable_cancel (h->cancel);
}

const CnvWorkerLauncherFuncs cnv_subprocess_launcher_funcs = {
  proc_start,
  proc_terminate,
  proc_release,
};

/* ------------------------------------------------------------------ */
/* The supervisor */

struct _CnvWorkerSupervisor
{
  GObject parent;
  const CnvWorkerLauncherFuncs *funcs;
  gpointer data;
  GBytes *secret;
  char *meeting_id;
  GMainContext *context;
  CnvWorkerEventFunc exited;
  gpointer user_data;

  gboolean wanted;
  gpointer handle;              /* the running worker, or NULL */
  gint64 pid;
  gboolean terminating;         /* we sent SIGTERM to the running one */
  guint restarts;
  guint backoff_index;
  GSource *restart_source;
};

G_DEFINE_TYPE (CnvWorkerSupervisor, cnv_worker_supervisor, G_TYPE_OBJECT)

static void
clear_restart (CnvWorkerSupervisor * self)
{
  if (self->restart_source) {
    g_source_destroy (self->restart_source);
    g_source_unref (self->restart_source);
    self->restart_source = NULL;
  }
}

static void on_exited (gboolean permanent, gpointer user_data);
static void schedule_restart (CnvWorkerSupervisor * self);

static void
spawn (CnvWorkerSupervisor * self)
{
  static const char *const grants[] = { CNV_GRANT_WORKER, NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;

  token = cnv_token_mint (self->secret, CNV_WORKER_USER, self->meeting_id,
      grants, g_get_real_time () / G_USEC_PER_SEC, WORKER_TOKEN_TTL, &error);
  if (token)
    self->handle = self->funcs->start (self->data, self->meeting_id, token,
        on_exited, self, &self->pid, &error);
  if (!self->handle) {
    g_warning ("meeting %s: cannot start the media worker: %s",
        self->meeting_id, error ? error->message : "unknown error");
    self->pid = 0;
    self->restarts++;
    schedule_restart (self);
    return;
  }
  self->terminating = FALSE;
  g_message ("meeting %s: media worker started (pid %" G_GINT64_FORMAT ")",
      self->meeting_id, self->pid);
}

static gboolean
restart_cb (gpointer data)
{
  CnvWorkerSupervisor *self = data;

  g_source_unref (self->restart_source);
  self->restart_source = NULL;
  if (self->wanted && !self->handle)
    spawn (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_restart (CnvWorkerSupervisor * self)
{
  guint ms = backoff_ms[MIN (self->backoff_index,
          G_N_ELEMENTS (backoff_ms) - 1)];

  if (self->backoff_index < G_N_ELEMENTS (backoff_ms))
    self->backoff_index++;
  clear_restart (self);
  self->restart_source = g_timeout_source_new (ms);
  g_source_set_callback (self->restart_source, restart_cb, self, NULL);
  g_source_attach (self->restart_source, self->context);
}

static void
on_exited (gboolean permanent, gpointer user_data)
{
  CnvWorkerSupervisor *self = user_data;
  g_autoptr (CnvWorkerSupervisor) ref = g_object_ref (self);
  gint64 pid = self->pid;
  gboolean expected = self->terminating;
  gboolean restart = self->wanted;

  self->funcs->release (self->data, self->handle);
  self->handle = NULL;
  self->pid = 0;
  self->terminating = FALSE;
  if (restart && !expected && permanent) {
    /* Retrying a broken pipeline file every few seconds would only fill the
     * log; the meeting tries again the next time it needs an SFU. */
    g_warning ("meeting %s: media worker %" G_GINT64_FORMAT " refused its "
        "pipeline or arguments (exit 2); not restarting it: check "
        "[meetings] pipeline and worker-command", self->meeting_id, pid);
    restart = FALSE;
    self->wanted = FALSE;
  } else if (restart && expected) {
    /* Stopped for mesh, then wanted again before it was gone. */
    spawn (self);
  } else if (restart) {
    g_warning ("meeting %s: media worker %" G_GINT64_FORMAT " died; "
        "restarting", self->meeting_id, pid);
    self->restarts++;
    schedule_restart (self);
  } else {
    g_message ("meeting %s: media worker %" G_GINT64_FORMAT " stopped",
        self->meeting_id, pid);
  }
  if (self->exited)
    self->exited (self, pid, restart, self->user_data);
}

void
cnv_worker_supervisor_start (CnvWorkerSupervisor * self)
{
  self->wanted = TRUE;
  if (!self->handle && !self->restart_source)
    spawn (self);
}

void
cnv_worker_supervisor_stop (CnvWorkerSupervisor * self)
{
  self->wanted = FALSE;
  clear_restart (self);
  if (self->handle && !self->terminating) {
    self->terminating = TRUE;
    self->funcs->terminate (self->data, self->handle);
  }
}

void
cnv_worker_supervisor_reset_backoff (CnvWorkerSupervisor * self)
{
  self->backoff_index = 0;
}

gboolean
cnv_worker_supervisor_is_wanted (CnvWorkerSupervisor * self)
{
  return self->wanted;
}

gint64
cnv_worker_supervisor_get_pid (CnvWorkerSupervisor * self)
{
  return self->handle ? self->pid : 0;
}

guint
cnv_worker_supervisor_get_restarts (CnvWorkerSupervisor * self)
{
  return self->restarts;
}

static void
cnv_worker_supervisor_dispose (GObject * object)
{
  CnvWorkerSupervisor *self = CNV_WORKER_SUPERVISOR (object);

  /* The meeting is gone (or convened is shutting down): the worker ends
   * with EOS, nobody waits for it. */
  clear_restart (self);
  if (self->handle) {
    if (!self->terminating)
      self->funcs->terminate (self->data, self->handle);
    self->funcs->release (self->data, self->handle);
    self->handle = NULL;
  }
  G_OBJECT_CLASS (cnv_worker_supervisor_parent_class)->dispose (object);
}

static void
cnv_worker_supervisor_finalize (GObject * object)
{
  CnvWorkerSupervisor *self = CNV_WORKER_SUPERVISOR (object);

  g_bytes_unref (self->secret);
  g_free (self->meeting_id);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (cnv_worker_supervisor_parent_class)->finalize (object);
}

static void
cnv_worker_supervisor_class_init (CnvWorkerSupervisorClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = cnv_worker_supervisor_dispose;
  G_OBJECT_CLASS (klass)->finalize = cnv_worker_supervisor_finalize;
}

static void
cnv_worker_supervisor_init (CnvWorkerSupervisor * self)
{
}

CnvWorkerSupervisor *
cnv_worker_supervisor_new (const CnvWorkerLauncherFuncs * funcs,
    gpointer data, GBytes * secret, const char *meeting_id,
    GMainContext * context, CnvWorkerEventFunc exited, gpointer user_data)
{
  CnvWorkerSupervisor *self = g_object_new (CNV_TYPE_WORKER_SUPERVISOR, NULL);

  self->funcs = funcs;
  self->data = data;
  self->secret = g_bytes_ref (secret);
  self->meeting_id = g_strdup (meeting_id);
  self->context = g_main_context_ref (context);
  self->exited = exited;
  self->user_data = user_data;
  return self;
}
