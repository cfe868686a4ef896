/* Convene user directory on SQLite. The daemon and the "user add" command
 * may use the file at the same time, so every statement runs with a busy
 * timeout instead of holding the database. */
#include "users.h"
#include "db.h"
#include "protocol.h"
#include "token.h"

#include <gio/gio.h>

struct _CnvUsers
{
  GObject parent;
  sqlite3 *db;
};

G_DEFINE_TYPE (CnvUsers, cnv_users, G_TYPE_OBJECT)

static void
cnv_users_finalize (GObject * object)
{
  CnvUsers *self = CNV_USERS (object);

  if (self->db)
    sqlite3_close (self->db);
  G_OBJECT_CLASS (cnv_users_parent_class)->finalize (object);
}

static void
cnv_users_class_init (CnvUsersClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = cnv_users_finalize;
}

static void
cnv_users_init (CnvUsers * self)
{
}

static gboolean
db_error (CnvUsers * self, GError ** error, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
      self->db ? sqlite3_errmsg (self->db) : "no database");
  return FALSE;
}

CnvUsers *
cnv_users_open (const char *data_dir, GError ** error)
{
  g_autoptr (CnvUsers) self = g_object_new (CNV_TYPE_USERS, NULL);
  static const char schema[] =
      "CREATE TABLE IF NOT EXISTS users ("
      " name TEXT PRIMARY KEY NOT NULL, created INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS contacts ("
      " user TEXT NOT NULL, contact TEXT NOT NULL,"
      " PRIMARY KEY (user, contact));";

  self->db = cnv_db_open (data_dir, schema, error);
  if (!self->db)
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
cnv_users_add (CnvUsers * self, const char *name,
    const char *const *contacts, GError ** error)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if (!cnv_user_name_is_valid (name)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "invalid user name \"%s\": 1-64 characters of [A-Za-z0-9._-]", name);
    return FALSE;
  }
  if (strcmp (name, CNV_WORKER_USER) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the user name \"%s\" is reserved for media workers", name);
    return FALSE;
  }
  for (gsize i = 0; contacts && contacts[i]; i++) {
    if (!cnv_user_name_is_valid (contacts[i])) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "invalid contact name \"%s\"", contacts[i]);
      return FALSE;
    }
  }
  if (sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)
      != SQLITE_OK)
    return db_error (self, error, "cannot begin");
  sqlite3_prepare_v2 (self->db,
      "INSERT INTO users (name, created) VALUES (?, ?)", -1, &st, NULL);
  sqlite3_bind_text (st, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 2, g_get_real_time () / G_USEC_PER_SEC);
  rc = sqlite3_step (st);
  sqlite3_finalize (st);
  if (rc == SQLITE_CONSTRAINT) {
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "user \"%s\" exists already", name);
    return FALSE;
  }
  if (rc != SQLITE_DONE)
    goto fail;
  for (gsize i = 0; contacts && contacts[i]; i++) {
    sqlite3_prepare_v2 (self->db,
        "INSERT OR IGNORE INTO contacts (user, contact) VALUES (?, ?)", -1,
        &st, NULL);
    sqlite3_bind_text (st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (st, 2, contacts[i], -1, SQLITE_TRANSIENT);
    rc = sqlite3_step (st);
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE)
      goto fail;
  }
  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    goto fail;
  return TRUE;

fail:
  db_error (self, error, "cannot add user");
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

gboolean
cnv_users_exists (CnvUsers * self, const char *name, GError ** error)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, "SELECT 1 FROM users WHERE name = ?",
          -1, &st, NULL) != SQLITE_OK)
    return db_error (self, error, "cannot query users");
  sqlite3_bind_text (st, 1, name, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (st);
  sqlite3_finalize (st);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc != SQLITE_DONE)
    return db_error (self, error, "cannot query users");
  return FALSE;
}

static GStrv
query_names (CnvUsers * self, const char *sql, const char *arg,
    GError ** error)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  sqlite3_stmt *st = NULL;
  int rc;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_error (self, error, "cannot query users");
    return NULL;
  }
  if (arg)
    sqlite3_bind_text (st, 1, arg, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_strv_builder_add (b, (const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE) {
    db_error (self, error, "cannot query users");
    return NULL;
  }
  return g_strv_builder_end (b);
}

GStrv
cnv_users_get_contacts (CnvUsers * self, const char *name, GError ** error)
{
  return query_names (self,
      "SELECT contact FROM contacts WHERE user = ? ORDER BY contact", name,
      error);
}

GStrv
cnv_users_list (CnvUsers * self, GError ** error)
{
  return query_names (self, "SELECT name FROM users ORDER BY name", NULL,
      error);
}
