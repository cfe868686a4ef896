/* libFuzzer target for the signaling protocol, through the hub.
 *
 * Each input runs against a fresh hub with four sessions:
 *   0: gets the raw input as its first frame (the hello path);
 *   1: alice, 2: bob, 3: bob again (two connections of one user),
 *   each authenticated with a valid token minted in-process;
 * and a throwaway session says hello with the first line as its token, so
 * that libjwt and the claim checks see arbitrary tokens.
 * The input is then split on newlines; each line is one frame, sent by
 * session (line number % 3) + 1 unless it starts with "N:" (N in 0-3).
 * "@CALL@" in a line is replaced by the last call_id the hub sent, so the
 * fuzzer can reach accepted calls and the sdp/ice relay. A line "!N"
 * disconnects session N and logs it in again; "~" lets due timers fire.
 *
 * Meetings: alice's token (session 1) is scoped to meeting "m1", bob's
 * second connection (3) is an admin; "@PID@" is replaced by the last
 * participant_id the hub sent. mesh-max is 1, so a second join starts a
 * (fake) media worker: "W" connects it with its worker token, "W:" sends a
 * frame as the worker, "K" makes the newest worker process die.
 * At the end every session leaves; no session, call or meeting may remain. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "hub.h"
#include "token.h"
#include "worker-supervisor.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define N_SESSIONS 4

typedef struct
{
  char *dir;
  CnvConfig *config;
  CnvUsers *users;
  GBytes *secret;
  char *tokens[N_SESSIONS];
} FuzzEnv;

typedef struct
{
  char *token;
  CnvWorkerExitedFunc exited;
  gpointer exited_data;
  gboolean released;
  gboolean dead;
} FuzzWorker;

typedef struct
{
  CnvHub *hub;
  char *ids[N_SESSIONS];
  char *worker_id;
  char last_call[80];
  char last_pid[80];
  GPtrArray *workers;           /* FuzzWorker*, owned */
} FuzzRun;

static FuzzEnv *env;

static void
env_cleanup (void)
{
  g_autofree char *db = g_build_filename (env->dir, "convene.db", NULL);
  g_autofree char *secret = g_build_filename (env->dir, "secret", NULL);

  g_unlink (db);
  g_unlink (secret);
  g_rmdir (env->dir);
}

static void
env_init (void)
{
  static const char *const grants[] = { "publish", "subscribe", NULL };
  static const char *const admin[] = { "publish", "subscribe", "admin",
    NULL
  };
  static const char *const names[N_SESSIONS] = { "alice", "alice", "bob",
    "bob"
  };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  env = g_new0 (FuzzEnv, 1);
  env->dir = g_dir_make_tmp ("convene-fuzz-XXXXXX", NULL);
  env->config = cnv_config_new_default ();
  /* Short timers so that "~" can reach the timeout paths. */
  env->config->ring_timeout_ms = 1;
  env->config->hello_timeout_ms = 1;
  env->config->mesh_max = 1;
  env->config->mesh_linger_ms = 1;
  env->config->worker_stop_timeout_ms = 1;
  env->users = cnv_users_open (env->dir, NULL);
  env->secret = cnv_secret_load (env->dir, NULL);
  if (!env->dir || !env->users || !env->secret)
    abort ();
  cnv_users_add (env->users, "alice", NULL, NULL);
  cnv_users_add (env->users, "bob", NULL, NULL);
  cnv_users_add (env->users, "carol", (const char *const[]) {
        "alice", NULL}, NULL);
  for (int i = 0; i < N_SESSIONS; i++)
    env->tokens[i] = cnv_token_mint (env->secret, names[i],
        i == 1 ? "m1" : NULL, i == 3 ? admin : grants, now,
        10 * 365 * 86400, NULL);
  atexit (env_cleanup);
}

static void
remember (const char *text, const char *key, char *out, gsize size)
{
  const char *p = strstr (text, key);
  const char *end;

  if (!p)
    return;
  p += strlen (key);
  end = strchr (p, '"');
  if (end && (gsize) (end - p) < size) {
    memcpy (out, p, end - p);
    out[end - p] = '\0';
  }
}

static void
on_send (const char *text, gpointer user_data)
{
  FuzzRun *run = user_data;

  remember (text, "\"call_id\":\"", run->last_call, sizeof run->last_call);
  remember (text, "\"participant_id\":\"", run->last_pid,
      sizeof run->last_pid);
}

static gpointer
fuzz_worker_start (gpointer data, const char *meeting_id, const char *token,
    CnvWorkerExitedFunc exited, gpointer exited_data, gint64 * pid,
    GError ** error)
{
  FuzzRun *run = data;
  FuzzWorker *w = g_new0 (FuzzWorker, 1);

  w->token = g_strdup (token);
  w->exited = exited;
  w->exited_data = exited_data;
  *pid = 1000 + run->workers->len;
  g_ptr_array_add (run->workers, w);
  return w;
}

static void
fuzz_worker_terminate (gpointer data, gpointer handle)
{
}

static void
fuzz_worker_release (gpointer data, gpointer handle)
{
  ((FuzzWorker *) handle)->released = TRUE;
}

static const CnvWorkerLauncherFuncs fuzz_launcher = {
  fuzz_worker_start,
  fuzz_worker_terminate,
  fuzz_worker_release,
};

static void
fuzz_worker_free (gpointer p)
{
  FuzzWorker *w = p;

  g_free (w->token);
  g_free (w);
}

static void
on_close (gushort code, const char *reason, gpointer user_data)
{
}

static void
login (FuzzRun * run, int i)
{
  g_autofree char *hello = NULL;

  g_free (run->ids[i]);
  run->ids[i] = cnv_hub_connect (run->hub, on_send, on_close, run, NULL);
  if (i == 0)
    return;
  hello = g_strdup_printf ("{\"type\":\"hello\",\"token\":\"%s\","
      "\"client\":\"fuzz\"}", env->tokens[i]);
  cnv_hub_receive (run->hub, run->ids[i], hello, strlen (hello));
}

static void
hello_with_token (FuzzRun * run, const char *text, gsize len)
{
  const char *nl = memchr (text, '\n', len);
  g_autofree char *token = g_utf8_make_valid (text, nl ? nl - text : len);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *id = cnv_hub_connect (run->hub, on_send, on_close, run,
      NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "hello");
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  hello = json_to_string (root, FALSE);
  cnv_hub_receive (run->hub, id, hello, strlen (hello));
  cnv_hub_disconnect (run->hub, id);
}

static void
send_line (FuzzRun * run, int line_no, const char *line, gsize len)
{
  int who = (line_no % 3) + 1;
  g_autoptr (GString) frame = NULL;

  if (len == 1 && line[0] == '~') {
    g_usleep (2000);
    while (g_main_context_iteration (NULL, FALSE));
    return;
  }
  if (len == 1 && line[0] == 'K') {
    /* The newest live worker process dies. */
    for (guint i = run->workers->len; i > 0; i--) {
      FuzzWorker *w = g_ptr_array_index (run->workers, i - 1);
      if (!w->released && !w->dead) {
        w->dead = TRUE;
        w->exited (FALSE, w->exited_data);
        break;
      }
    }
    return;
  }
  if (len == 1 && line[0] == 'W' && run->workers->len) {
    FuzzWorker *w = g_ptr_array_index (run->workers, run->workers->len - 1);
    g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\","
        "\"token\":\"%s\"}", w->token);
    if (run->worker_id)
      cnv_hub_disconnect (run->hub, run->worker_id);
    g_free (run->worker_id);
    run->worker_id = cnv_hub_connect (run->hub, on_send, on_close, run, NULL);
    cnv_hub_receive (run->hub, run->worker_id, hello, strlen (hello));
    return;
  }
  if (len >= 2 && line[0] == 'W' && line[1] == ':' && run->worker_id) {
    frame = g_string_new_len (line + 2, len - 2);
    if (run->last_pid[0])
      g_string_replace (frame, "@PID@", run->last_pid, 0);
    cnv_hub_receive (run->hub, run->worker_id, frame->str, frame->len);
    return;
  }
  if (len == 2 && line[0] == '!' && line[1] >= '0' && line[1] <= '3') {
    cnv_hub_disconnect (run->hub, run->ids[line[1] - '0']);
    login (run, line[1] - '0');
    return;
  }
  if (len >= 2 && line[0] >= '0' && line[0] <= '3' && line[1] == ':') {
    who = line[0] - '0';
    line += 2;
    len -= 2;
  }
  frame = g_string_new_len (line, len);
  if (run->last_call[0])
    g_string_replace (frame, "@CALL@", run->last_call, 0);
  if (run->last_pid[0])
    g_string_replace (frame, "@PID@", run->last_pid, 0);
  cnv_hub_receive (run->hub, run->ids[who], frame->str, frame->len);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  FuzzRun run = { 0 };
  const char *text = (const char *) data;
  gsize start = 0;
  int line_no = 0;

  if (!env)
    env_init ();
  run.workers = g_ptr_array_new_with_free_func (fuzz_worker_free);
  run.hub = cnv_hub_new (env->config, env->users, env->secret, NULL);
  cnv_hub_set_worker_launcher (run.hub, &fuzz_launcher, &run);
  for (int i = 0; i < N_SESSIONS; i++)
    login (&run, i);
  /* The raw input as a first frame: the pre-authentication path. */
  cnv_hub_receive (run.hub, run.ids[0], text, size);
  hello_with_token (&run, text, size);

  for (gsize i = 0; i <= size; i++) {
    if (i == size || text[i] == '\n') {
      if (i > start)
        send_line (&run, line_no++, text + start, i - start);
      start = i + 1;
    }
  }

  for (int i = 0; i < N_SESSIONS; i++)
    cnv_hub_disconnect (run.hub, run.ids[i]);
  if (run.worker_id)
    cnv_hub_disconnect (run.hub, run.worker_id);
  /* Invariants: leaving sessions end their calls and empty meetings are
   * forgotten. */
  if (cnv_hub_get_n_sessions (run.hub) != 0
      || cnv_hub_get_n_calls (run.hub) != 0
      || cnv_hub_get_n_meetings (run.hub) != 0)
    abort ();
  g_object_unref (run.hub);
  g_ptr_array_unref (run.workers);
  g_free (run.worker_id);
  for (int i = 0; i < N_SESSIONS; i++)
    g_free (run.ids[i]);
  return 0;
}
