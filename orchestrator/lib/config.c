/* Convene orchestrator configuration.
 *
 * One GKeyFile; every key can be overridden with "--set section.key=value".
 * Values are validated here once so that the rest of the daemon can trust
 * the struct.
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

G_DEFINE_QUARK (cnv-config-error-quark, cnv_config_error)

#ifndef CONVENE_SOURCE_WEB_DIR
#define CONVENE_SOURCE_WEB_DIR NULL
#endif
#ifndef CONVENE_BUILD_WORKER
#define CONVENE_BUILD_WORKER NULL
#endif
#ifndef CONVENE_SOURCE_PIPELINES_DIR
#define CONVENE_SOURCE_PIPELINES_DIR NULL
#endif
#ifndef CONVENE_DATADIR
#define CONVENE_DATADIR "/usr/local/share"
#endif

typedef struct
{
  const char *group;
  const char *key;
} KnownKey;

static const KnownKey known_keys[] = {
  {"server", "listen"},
  {"server", "data-dir"},
  {"server", "web-dir"},
  {"server", "hello-timeout"},
  {"auth", "policy"},
  {"ice", "stun"},
  {"ice", "turn"},
  {"ice", "turn-secret"},
  {"ice", "turn-ttl"},
  {"ice", "allow-loopback"},
  {"calls", "ring-timeout"},
  {"limits", "max-frame"},
  {"limits", "rate"},
  {"limits", "burst"},
  {"meetings", "mesh-max"},
  {"meetings", "mesh-linger"},
  {"meetings", "max-participants"},
  {"meetings", "worker-command"},
  {"meetings", "pipeline"},
  {"events", "kafka-brokers"},
  {"events", "kafka-topic-prefix"},
  {"events", "queue-max"},
  {"storage", "s3-endpoint"},
  {"storage", "s3-bucket"},
  {"storage", "s3-region"},
  {"storage", "s3-access-key"},
  {"storage", "s3-secret-key"},
  {"storage", "local-dir"},
  {"recording", "chunk-duration"},
  {"recording", "archiver-command"},
  {"recording", "pipeline"},
};

static const char *
default_web_dir (void)
{
  const char *env = g_getenv ("CONVENE_WEB_DIR");
  const char *src = CONVENE_SOURCE_WEB_DIR;

  if (env && *env)
    return env;
  if (src && g_file_test (src, G_FILE_TEST_IS_DIR))
    return src;
  return CONVENE_DATADIR "/convene/web";
}

/* Like CONVENE_BIN for the daemon: the environment, then the program built
 * next to this one, then PATH. */
static char *
default_worker_command (void)
{
  const char *env = g_getenv ("CONVENE_WORKER_BIN");
  const char *built = CONVENE_BUILD_WORKER;

  if (env && *env)
    return g_strdup (env);
  if (built && g_file_test (built, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (built);
  return g_strdup ("convene-worker");
}

static char *
default_archiver_command (void)
{
  const char *env = g_getenv ("CONVENE_ARCHIVER_BIN");
  const char *built = CONVENE_BUILD_ARCHIVER;

  if (env && *env)
    return g_strdup (env);
  if (built && g_file_test (built, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (built);
  return g_strdup ("convene-archiver");
}

static char *
default_pipeline_file (const char *name)
{
  const char *env = g_getenv ("CONVENE_PIPELINES_DIR");
  const char *src = CONVENE_SOURCE_PIPELINES_DIR;

  if (env && *env)
    return g_build_filename (env, name, NULL);
  if (src && g_file_test (src, G_FILE_TEST_IS_DIR))
    return g_build_filename (src, name, NULL);
  return g_build_filename (CONVENE_DATADIR, "convene", "pipelines", name,
      NULL);
}

CnvConfig *
cnv_config_new_default (void)
{
  CnvConfig *c = g_new0 (CnvConfig, 1);

  c->listen_host = g_strdup ("127.0.0.1");
  c->listen_port = 8080;
  c->data_dir = g_strdup ("./var");
  c->web_dir = g_strdup (default_web_dir ());
  c->hello_timeout_ms = 10000;
  c->policy = CNV_POLICY_OPEN;
  c->stun = g_new0 (char *, 1);
  c->turn = g_new0 (char *, 1);
  c->turn_secret = NULL;
  c->turn_ttl = 86400;
  c->allow_loopback = FALSE;
  c->ring_timeout_ms = 30000;
  c->max_frame = 65536;
  c->rate = 50;
  c->burst = 200;
  c->mesh_max = 4;
  c->mesh_linger_ms = 10000;
  c->max_participants = 50;
  c->worker_command = default_worker_command ();
  c->pipeline = default_pipeline_file ("meeting.pipeline");
  c->kafka_topic_prefix = g_strdup ("convene.");
  c->events_queue_max = 10000;
  c->s3_region = g_strdup ("us-east-1");
  c->chunk_duration_ms = 2000;
  c->archiver_command = default_archiver_command ();
  c->recorder_pipeline = default_pipeline_file ("recorder.pipeline");
  c->worker_stop_timeout_ms = 10000;
  c->api_meeting_keep_ms = 3600 * 1000;
  return c;
}

void
cnv_config_free (CnvConfig * c)
{
  if (!c)
    return;
  g_free (c->listen_host);
  g_free (c->data_dir);
  g_free (c->web_dir);
  g_strfreev (c->stun);
  g_strfreev (c->turn);
  g_free (c->turn_secret);
  g_free (c->worker_command);
  g_free (c->pipeline);
  g_free (c->kafka_brokers);
  g_free (c->kafka_topic_prefix);
  g_free (c->s3_endpoint);
  g_free (c->s3_bucket);
  g_free (c->s3_region);
  g_free (c->s3_access_key);
  g_free (c->s3_secret_key);
  g_free (c->storage_local_dir);
  g_free (c->archiver_command);
  g_free (c->recorder_pipeline);
  g_free (c);
}

const char *
cnv_policy_to_string (CnvPolicy policy)
{
  return policy == CNV_POLICY_CONTACTS ? "contacts" : "open";
}

static gboolean
invalid (GError ** error, const char *group, const char *key,
    const char *value, const char *why)
{
  g_set_error (error, CNV_CONFIG_ERROR, CNV_CONFIG_ERROR_INVALID,
      "invalid value \"%s\" for %s.%s: %s", value, group, key, why);
  return FALSE;
}

/* HOST:PORT, HOST an IP literal (IPv6 in brackets) or "localhost". */
static gboolean
parse_listen (const char *value, char **host, guint16 * port, GError ** error)
{
  const char *colon = strrchr (value, ':');
  g_autofree char *h = NULL;
  guint64 p;
  char *end = NULL;

  if (!colon || colon == value || colon[1] == '\0')
    return invalid (error, "server", "listen", value, "expected HOST:PORT");
  h = g_strndup (value, colon - value);
  if (h[0] == '[') {
    gsize n = strlen (h);
    if (n < 3 || h[n - 1] != ']')
      return invalid (error, "server", "listen", value, "bad IPv6 brackets");
    h[n - 1] = '\0';
    memmove (h, h + 1, n - 1);
  }
  if (g_strcmp0 (h, "localhost") == 0) {
    g_free (h);
    h = g_strdup ("127.0.0.1");
  }
  if (!g_hostname_is_ip_address (h))
    return invalid (error, "server", "listen", value,
        "host must be an IP address or localhost");
  p = g_ascii_strtoull (colon + 1, &end, 10);
  if (!end || *end != '\0' || p > 65535 || !g_ascii_isdigit (colon[1]))
    return invalid (error, "server", "listen", value,
        "port must be 0..65535");
  *host = g_steal_pointer (&h);
  *port = (guint16) p;
  return TRUE;
}

/* A string key: set only when present and not blank (blank = unset). */
static void
get_string (GKeyFile * kf, const char *group, const char *key, char **out)
{
  g_autofree char *v = g_key_file_get_value (kf, group, key, NULL);

  if (v == NULL)
    return;
  g_strstrip (v);
  g_free (*out);
  *out = *v ? g_steal_pointer (&v) : NULL;
}

static gboolean
get_uint (GKeyFile * kf, const char *group, const char *key, guint64 min,
    guint64 max, guint64 * out, GError ** error)
{
  g_autofree char *v = g_key_file_get_value (kf, group, key, NULL);
  guint64 n;

  if (!v)
    return TRUE;
  g_strstrip (v);
  if (!g_ascii_string_to_unsigned (v, 10, min, max, &n, NULL)) {
    g_autofree char *why = g_strdup_printf ("expected an integer in %"
        G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT, min, max);
    return invalid (error, group, key, v, why);
  }
  *out = n;
  return TRUE;
}

static gboolean
get_url_list (GKeyFile * kf, const char *group, const char *key,
    const char *const *schemes, char ***out, GError ** error)
{
  g_auto (GStrv) list = NULL;
  gsize n = 0;

  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;
  list = g_key_file_get_string_list (kf, group, key, &n, NULL);
  if (!list)
    list = g_new0 (char *, 1);
  for (gsize i = 0; i < n; i++) {
    gboolean ok = FALSE;
    g_strstrip (list[i]);
    for (const char *const *s = schemes; *s; s++)
      if (g_str_has_prefix (list[i], *s) && strlen (list[i]) > strlen (*s))
        ok = TRUE;
    if (!ok) {
      g_autofree char *why = g_strjoinv (" or ", (char **) schemes);
      g_autofree char *why2 = g_strdup_printf ("each URL must start with %s",
          why);
      return invalid (error, group, key, list[i], why2);
    }
  }
  g_strfreev (*out);
  *out = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
check_known_keys (GKeyFile * kf, GError ** error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);

  for (gsize g = 0; groups[g]; g++) {
    g_auto (GStrv) keys = NULL;
    gboolean group_known = FALSE;

    for (gsize k = 0; k < G_N_ELEMENTS (known_keys); k++)
      if (strcmp (known_keys[k].group, groups[g]) == 0)
        group_known = TRUE;
    /* Sections of features that are not built in this daemon are left to
     * them; a typo inside a section we own is an error. */
    if (!group_known)
      continue;
    keys = g_key_file_get_keys (kf, groups[g], NULL, NULL);
    for (gsize i = 0; keys && keys[i]; i++) {
      gboolean found = FALSE;
      for (gsize k = 0; k < G_N_ELEMENTS (known_keys); k++)
        if (strcmp (known_keys[k].group, groups[g]) == 0
            && strcmp (known_keys[k].key, keys[i]) == 0)
          found = TRUE;
      if (!found) {
        g_set_error (error, CNV_CONFIG_ERROR, CNV_CONFIG_ERROR_INVALID,
            "unknown configuration key %s.%s", groups[g], keys[i]);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static gboolean
apply_set (GKeyFile * kf, const char *set, GError ** error)
{
  const char *eq = strchr (set, '=');
  const char *dot;
  g_autofree char *group = NULL;
  g_autofree char *key = NULL;

  dot = eq ? memchr (set, '.', eq - set) : NULL;
  if (!eq || !dot || dot == set || dot + 1 == eq) {
    g_set_error (error, CNV_CONFIG_ERROR, CNV_CONFIG_ERROR_INVALID,
        "invalid --set \"%s\": expected section.key=value", set);
    return FALSE;
  }
  group = g_strndup (set, dot - set);
  key = g_strndup (dot + 1, eq - dot - 1);
  g_key_file_set_value (kf, group, key, eq + 1);
  return TRUE;
}

static gboolean
parse_keyfile (CnvConfig * c, GKeyFile * kf, GError ** error)
{
  static const char *const stun_schemes[] = { "stun:", "stuns:", NULL };
  static const char *const turn_schemes[] = { "turn:", "turns:", NULL };
  g_autofree char *v = NULL;
  guint64 n;

  if (!check_known_keys (kf, error))
    return FALSE;

  if ((v = g_key_file_get_value (kf, "server", "listen", NULL))) {
    g_free (c->listen_host);
    c->listen_host = NULL;
    if (!parse_listen (g_strstrip (v), &c->listen_host, &c->listen_port, error))
      return FALSE;
    g_clear_pointer (&v, g_free);
  }
  if ((v = g_key_file_get_value (kf, "server", "data-dir", NULL))) {
    if (!*g_strstrip (v))
      return invalid (error, "server", "data-dir", v, "must not be empty");
    g_free (c->data_dir);
    c->data_dir = g_steal_pointer (&v);
  }
  if ((v = g_key_file_get_value (kf, "server", "web-dir", NULL))) {
    if (!*g_strstrip (v))
      return invalid (error, "server", "web-dir", v, "must not be empty");
    g_free (c->web_dir);
    c->web_dir = g_steal_pointer (&v);
  }
  n = c->hello_timeout_ms;
  if (!get_uint (kf, "server", "hello-timeout", 1, 3600000, &n, error))
    return FALSE;
  c->hello_timeout_ms = n;

  if ((v = g_key_file_get_value (kf, "auth", "policy", NULL))) {
    g_strstrip (v);
    if (strcmp (v, "open") == 0)
      c->policy = CNV_POLICY_OPEN;
    else if (strcmp (v, "contacts") == 0)
      c->policy = CNV_POLICY_CONTACTS;
    else
      return invalid (error, "auth", "policy", v,
          "expected \"open\" or \"contacts\"");
    g_clear_pointer (&v, g_free);
  }

  if (!get_url_list (kf, "ice", "stun", stun_schemes, &c->stun, error))
    return FALSE;
  if (!get_url_list (kf, "ice", "turn", turn_schemes, &c->turn, error))
    return FALSE;
  if ((v = g_key_file_get_value (kf, "ice", "turn-secret", NULL))) {
    g_free (c->turn_secret);
    c->turn_secret = *v ? g_steal_pointer (&v) : NULL;
    g_clear_pointer (&v, g_free);
  }
  n = c->turn_ttl;
  if (!get_uint (kf, "ice", "turn-ttl", 60, 30 * 86400, &n, error))
    return FALSE;
  c->turn_ttl = n;
  if ((v = g_key_file_get_value (kf, "ice", "allow-loopback", NULL))) {
    g_strstrip (v);
    if (strcmp (v, "true") == 0)
      c->allow_loopback = TRUE;
    else if (strcmp (v, "false") == 0)
      c->allow_loopback = FALSE;
    else
      return invalid (error, "ice", "allow-loopback", v,
          "expected true or false");
    g_clear_pointer (&v, g_free);
  }
  if (c->turn[0] && !c->turn_secret) {
    g_set_error (error, CNV_CONFIG_ERROR, CNV_CONFIG_ERROR_INVALID,
        "ice.turn is set but ice.turn-secret is empty: TURN credentials "
        "cannot be minted");
    return FALSE;
  }

  n = c->ring_timeout_ms / 1000;
  if (!get_uint (kf, "calls", "ring-timeout", 1, 3600, &n, error))
    return FALSE;
  c->ring_timeout_ms = n * 1000;

  n = c->max_frame;
  if (!get_uint (kf, "limits", "max-frame", 1024, 16 * 1024 * 1024, &n, error))
    return FALSE;
  c->max_frame = n;
  n = c->rate;
  if (!get_uint (kf, "limits", "rate", 1, 100000, &n, error))
    return FALSE;
  c->rate = n;
  n = c->burst;
  if (!get_uint (kf, "limits", "burst", 1, 1000000, &n, error))
    return FALSE;
  c->burst = n;

  n = c->mesh_max;
  if (!get_uint (kf, "meetings", "mesh-max", 0, 1000, &n, error))
    return FALSE;
  c->mesh_max = n;
  n = c->mesh_linger_ms / 1000;
  if (!get_uint (kf, "meetings", "mesh-linger", 0, 86400, &n, error))
    return FALSE;
  c->mesh_linger_ms = n * 1000;
  n = c->max_participants;
  if (!get_uint (kf, "meetings", "max-participants", 1, 10000, &n, error))
    return FALSE;
  c->max_participants = n;
  if ((v = g_key_file_get_value (kf, "meetings", "worker-command", NULL))) {
    g_auto (GStrv) argv = NULL;
    g_autoptr (GError) parse_error = NULL;
    /* Checked now so that a bad value fails at start, not at the first
     * meeting that outgrows the mesh. */
    if (!g_shell_parse_argv (g_strstrip (v), NULL, &argv, &parse_error))
      return invalid (error, "meetings", "worker-command", v,
          parse_error->message);
    g_free (c->worker_command);
    c->worker_command = g_steal_pointer (&v);
  }
  if ((v = g_key_file_get_value (kf, "meetings", "pipeline", NULL))) {
    if (!*g_strstrip (v))
      return invalid (error, "meetings", "pipeline", v, "must not be empty");
    g_free (c->pipeline);
    c->pipeline = g_steal_pointer (&v);
  }

  get_string (kf, "events", "kafka-brokers", &c->kafka_brokers);
  get_string (kf, "events", "kafka-topic-prefix", &c->kafka_topic_prefix);
  n = c->events_queue_max;
  if (!get_uint (kf, "events", "queue-max", 1, 10000000, &n, error))
    return FALSE;
  c->events_queue_max = n;
  get_string (kf, "storage", "s3-endpoint", &c->s3_endpoint);
  get_string (kf, "storage", "s3-bucket", &c->s3_bucket);
  get_string (kf, "storage", "s3-region", &c->s3_region);
  get_string (kf, "storage", "s3-access-key", &c->s3_access_key);
  get_string (kf, "storage", "s3-secret-key", &c->s3_secret_key);
  get_string (kf, "storage", "local-dir", &c->storage_local_dir);
  if (c->s3_endpoint && !c->s3_bucket)
    return invalid (error, "storage", "s3-bucket", "",
        "must be set with storage.s3-endpoint");
  n = c->chunk_duration_ms;
  if (!get_uint (kf, "recording", "chunk-duration", 200, 600000, &n, error))
    return FALSE;
  c->chunk_duration_ms = n;
  if ((v = g_key_file_get_value (kf, "recording", "archiver-command", NULL))) {
    g_auto (GStrv) argv = NULL;
    g_autoptr (GError) parse_error = NULL;
    if (!g_shell_parse_argv (g_strstrip (v), NULL, &argv, &parse_error))
      return invalid (error, "recording", "archiver-command", v,
          parse_error->message);
    g_free (c->archiver_command);
    c->archiver_command = g_steal_pointer (&v);
  }
  get_string (kf, "recording", "pipeline", &c->recorder_pipeline);
  return TRUE;
}

CnvConfig *
cnv_config_load (const char *file, const char *const *sets, GError ** error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (CnvConfig) c = cnv_config_new_default ();

  if (file && !g_key_file_load_from_file (kf, file, G_KEY_FILE_NONE, error)) {
    g_prefix_error (error, "%s: ", file);
    return NULL;
  }
  for (gsize i = 0; sets && sets[i]; i++)
    if (!apply_set (kf, sets[i], error))
      return NULL;
  if (!parse_keyfile (c, kf, error))
    return NULL;
  return g_steal_pointer (&c);
}
