/* Media worker processes: how one is started (a launcher, replaceable so
 * that tests need no processes) and the per-meeting supervisor that keeps
 * one running while the meeting needs it. */
#pragma once

#include <glib-object.h>
#include "config.h"

G_BEGIN_DECLS

/* @permanent: the worker exited with status 2, its way of saying that its
 * pipeline or arguments are wrong, so a restart would fail the same way. */
typedef void (*CnvWorkerExitedFunc) (gboolean permanent, gpointer user_data);

typedef struct
{
  /* Starts one worker for @meeting_id. Returns a handle, or NULL with
   * @error set; @pid is the process id. @exited is called once, from the
   * main context, when the process ends, unless the handle was released
   * before. */
  gpointer (*start) (gpointer data, const char *meeting_id,
      const char *token, CnvWorkerExitedFunc exited, gpointer exited_data,
      gint64 * pid, GError ** error);
  /* Asks the worker to finish: SIGTERM, which the worker turns into EOS so
   * that recordings close cleanly. */
  void (*terminate) (gpointer data, gpointer handle);
  /* Forgets @handle; @exited is not called any more. */
  void (*release) (gpointer data, gpointer handle);
} CnvWorkerLauncherFuncs;

/* The real launcher: runs [meetings] worker-command with the argv
 * documented in docs/configuration.md. */
extern const CnvWorkerLauncherFuncs cnv_subprocess_launcher_funcs;
typedef struct _CnvSubprocessLauncher CnvSubprocessLauncher;
CnvSubprocessLauncher *cnv_subprocess_launcher_new (const CnvConfig * config);
/* ws://HOST:PORT/ws as the worker must reach it; NULL until known. */
void cnv_subprocess_launcher_set_signaling_uri (CnvSubprocessLauncher * l,
    const char *uri);
void cnv_subprocess_launcher_free (CnvSubprocessLauncher * l);
/* The argv of a worker (exposed for tests). */
GStrv cnv_worker_argv (const CnvConfig * config, const char *signaling_uri,
    const char *meeting_id, const char *token, GError ** error);

#define CNV_TYPE_WORKER_SUPERVISOR (cnv_worker_supervisor_get_type ())
G_DECLARE_FINAL_TYPE (CnvWorkerSupervisor, cnv_worker_supervisor, CNV,
    WORKER_SUPERVISOR, GObject)

/* A worker process ended. @pid is the process that ended; @will_restart
 * says whether the supervisor is going to start another one. */
typedef void (*CnvWorkerEventFunc) (CnvWorkerSupervisor * sup, gint64 pid,
    gboolean will_restart, gpointer user_data);

/* @funcs and @data must outlive the supervisor. */
CnvWorkerSupervisor *cnv_worker_supervisor_new (const CnvWorkerLauncherFuncs
    * funcs, gpointer data, GBytes * secret, const char *meeting_id,
    GMainContext * context, CnvWorkerEventFunc exited, gpointer user_data);
/* Keep a worker running from now on (restarting it when it dies). */
void cnv_worker_supervisor_start (CnvWorkerSupervisor * self);
/* No worker needed any more: the running one is terminated. */
void cnv_worker_supervisor_stop (CnvWorkerSupervisor * self);
/* The worker reached the meeting: the next death restarts quickly again. */
void cnv_worker_supervisor_reset_backoff (CnvWorkerSupervisor * self);
gboolean cnv_worker_supervisor_is_wanted (CnvWorkerSupervisor * self);
/* 0 when no process is running. */
gint64 cnv_worker_supervisor_get_pid (CnvWorkerSupervisor * self);
guint cnv_worker_supervisor_get_restarts (CnvWorkerSupervisor * self);

G_END_DECLS
