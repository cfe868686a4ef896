/* Fake transport for driving the hub without sockets. */
#include "hub-harness.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

static void
fake_send_cb (const char *text, gpointer user_data)
{
  FakeClient *c = user_data;
  g_autoptr (JsonParser) p = json_parser_new ();

  g_assert_false (c->closed);
  g_assert_true (json_parser_load_from_data (p, text, -1, NULL));
  g_queue_push_tail (&c->msgs,
      json_object_ref (json_node_get_object (json_parser_get_root (p))));
}

static void
fake_close_cb (gushort code, const char *reason, gpointer user_data)
{
  FakeClient *c = user_data;

  c->closed = TRUE;
  c->close_code = code;
}

static GPtrArray *consumed;

FakeClient *
fake_connect (CnvHub * hub)
{
  FakeClient *c = g_new0 (FakeClient, 1);

  c->hub = hub;
  c->id = cnv_hub_connect (hub, fake_send_cb, fake_close_cb, c, NULL);
  return c;
}

void
fake_send (FakeClient * c, const char *text)
{
  cnv_hub_receive (c->hub, c->id, text, strlen (text));
}

void
fake_sendf (FakeClient * c, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *text = NULL;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fake_send (c, text);
}

void
fake_disconnect (FakeClient * c)
{
  cnv_hub_disconnect (c->hub, c->id);
  c->closed = TRUE;
}

void
fake_free (FakeClient * c)
{
  if (!c)
    return;
  if (!c->closed)
    cnv_hub_disconnect (c->hub, c->id);
  g_queue_clear_full (&c->msgs, (GDestroyNotify) json_object_unref);
  g_free (c->id);
  g_free (c);
}

static JsonObject *
check (FakeClient * c, JsonObject * o, const char *type, const char *detail)
{
  const char *t;

  if (!o)
    g_error ("expected \"%s\" (%s), got nothing", type, detail ? detail : "");
  t = json_object_get_string_member (o, "type");
  if (g_strcmp0 (t, type) != 0
      || (detail && strcmp (type, "error") == 0
          && g_strcmp0 (json_object_get_string_member (o, "code"), detail))
      || (detail && strcmp (type, "ended") == 0
          && g_strcmp0 (json_object_get_string_member (o, "reason"),
              detail))) {
    g_autoptr (JsonNode) n = json_node_init_object (json_node_alloc (), o);
    g_autofree char *s = json_to_string (n, FALSE);
    g_error ("expected \"%s\" (%s), got %s", type, detail ? detail : "", s);
  }
  if (!consumed)
    consumed = g_ptr_array_new_with_free_func ((GDestroyNotify)
        json_object_unref);
  g_ptr_array_add (consumed, o);
  return o;
}

JsonObject *
fake_expect (FakeClient * c, const char *type, const char *detail)
{
  return check (c, g_queue_pop_head (&c->msgs), type, detail);
}

static gboolean
set_true (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

JsonObject *
fake_wait (FakeClient * c, const char *type, const char *detail, guint ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (ms, set_true, &expired);

  while (g_queue_is_empty (&c->msgs) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return fake_expect (c, type, detail);
}

void
fake_expect_nothing (FakeClient * c)
{
  JsonObject *o = g_queue_peek_head (&c->msgs);

  if (o) {
    g_autoptr (JsonNode) n = json_node_init_object (json_node_alloc (), o);
    g_autofree char *s = json_to_string (n, FALSE);
    g_error ("expected nothing, got %s", s);
  }
}

void
fake_drop_presence (FakeClient * c)
{
  GList *l = c->msgs.head;

  while (l) {
    GList *next = l->next;
    if (g_strcmp0 (json_object_get_string_member (l->data, "type"),
            "presence") == 0) {
      json_object_unref (l->data);
      g_queue_delete_link (&c->msgs, l);
    }
    l = next;
  }
}

void
hub_fixture_init (HubFixture * f, CnvPolicy policy)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("convene-hub-XXXXXX", &error);
  g_assert_no_error (error);
  f->config = cnv_config_new_default ();
  f->config->policy = policy;
  f->config->ring_timeout_ms = 200;
  f->users = cnv_users_open (f->dir, &error);
  g_assert_no_error (error);
  f->secret = cnv_secret_load (f->dir, &error);
  g_assert_no_error (error);
  f->launcher.workers = g_ptr_array_new ();
  f->launcher.next_pid = 1000;
  f->hub = cnv_hub_new (f->config, f->users, f->secret, NULL);
  cnv_hub_set_worker_launcher (f->hub, &fake_launcher_funcs, &f->launcher);
}

void
hub_fixture_restart_hub (HubFixture * f)
{
  g_clear_object (&f->hub);
  f->hub = cnv_hub_new (f->config, f->users, f->secret, NULL);
  cnv_hub_set_worker_launcher (f->hub, &fake_launcher_funcs, &f->launcher);
}

static void
fake_worker_free (FakeWorker * w)
{
  g_free (w->meeting);
  g_free (w->token);
  g_free (w);
}

static gpointer
fake_start (gpointer data, const char *meeting_id, const char *token,
    CnvWorkerExitedFunc exited, gpointer exited_data, gint64 * pid,
    GError ** error)
{
  FakeLauncher *l = data;
  FakeWorker *w = g_new0 (FakeWorker, 1);

  w->pid = l->next_pid++;
  w->meeting = g_strdup (meeting_id);
  w->token = g_strdup (token);
  w->exited = exited;
  w->exited_data = exited_data;
  *pid = w->pid;
  g_ptr_array_add (l->workers, w);
  return w;
}

static void
fake_terminate (gpointer data, gpointer handle)
{
  ((FakeWorker *) handle)->terminated = TRUE;
}

static void
fake_release (gpointer data, gpointer handle)
{
  ((FakeWorker *) handle)->released = TRUE;
}

const CnvWorkerLauncherFuncs fake_launcher_funcs = {
  fake_start,
  fake_terminate,
  fake_release,
};

void
fake_worker_exit (FakeWorker * w)
{
  g_assert_false (w->released);
  w->exited (FALSE, w->exited_data);
}

void
fake_worker_fail_permanently (FakeWorker * w)
{
  g_assert_false (w->released);
  w->exited (TRUE, w->exited_data);
}

JsonObject *
fake_next (FakeClient * c, const char *type, const char *detail)
{
  fake_drop_presence (c);
  return fake_expect (c, type, detail);
}

gboolean
wait_for (gboolean (*cond) (gpointer), gpointer data, guint ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * (gint64) 1000;

  while (!cond (data) && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  return cond (data);
}

void
hub_fixture_clear (HubFixture * f)
{
  g_autofree char *db = g_build_filename (f->dir, "convene.db", NULL);
  g_autofree char *secret = g_build_filename (f->dir, "secret", NULL);

  g_clear_object (&f->hub);
  g_ptr_array_foreach (f->launcher.workers, (GFunc) fake_worker_free, NULL);
  g_clear_pointer (&f->launcher.workers, g_ptr_array_unref);
  g_clear_object (&f->users);
  g_clear_pointer (&f->secret, g_bytes_unref);
  g_clear_pointer (&f->config, cnv_config_free);
  g_unlink (db);
  g_unlink (secret);
  g_rmdir (f->dir);
  g_free (f->dir);
  if (consumed)
    g_ptr_array_set_size (consumed, 0);
}

void
hub_fixture_add_user (HubFixture * f, const char *name, const char *contacts)
{
  g_auto (GStrv) list = contacts ? g_strsplit (contacts, ",", -1) : NULL;
  g_autoptr (GError) error = NULL;

  cnv_users_add (f->users, name, (const char *const *) list, &error);
  g_assert_no_error (error);
}

char *
hub_fixture_token (HubFixture * f, const char *user, gint64 ttl)
{
  static const char *const grants[] = { "publish", "subscribe", NULL };
  g_autoptr (GError) error = NULL;
  char *t = cnv_token_mint (f->secret, user, NULL, grants,
      g_get_real_time () / G_USEC_PER_SEC, ttl, &error);

  g_assert_no_error (error);
  return t;
}

char *
hub_fixture_token_full (HubFixture * f, const char *user,
    const char *meeting, const char *grants)
{
  g_auto (GStrv) list = g_strsplit (grants, ",", -1);
  g_autoptr (GError) error = NULL;
  char *t = cnv_token_mint (f->secret, user, meeting,
      (const char *const *) list, g_get_real_time () / G_USEC_PER_SEC, 600,
      &error);

  g_assert_no_error (error);
  return t;
}

FakeClient *
fake_login_token (HubFixture * f, const char *token)
{
  FakeClient *c = fake_connect (f->hub);

  fake_sendf (c, "{\"type\":\"hello\",\"token\":\"%s\"}", token);
  fake_expect (c, "welcome", NULL);
  return c;
}

FakeClient *
fake_login (HubFixture * f, const char *user)
{
  FakeClient *c = fake_connect (f->hub);
  g_autofree char *token = hub_fixture_token (f, user, 600);
  JsonObject *w;

  fake_sendf (c, "{\"type\":\"hello\",\"token\":\"%s\"}", token);
  w = fake_expect (c, "welcome", NULL);
  g_assert_cmpstr (json_object_get_string_member (w, "user"), ==, user);
  return c;
}
