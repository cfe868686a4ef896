/* Recordings and pending notifications on SQLite. Both convened and the
 * archiver open <data>/convene.db: WAL lets one read while the other
 * writes, and the busy timeout waits out the other's write instead of
 * failing. */
#include "recordings.h"
#include "db.h"

#include <string.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

struct _CnvRecordings
{
  sqlite3 *db;
};

static const char *const statuses[] = {
  "recording", "stopped", "assembling", "uploading", "ready", "failed", NULL
};

#define RECORDING_COLUMNS \
  "id, meeting, dir, status, url, error, progress, started_at, stopped_at," \
  " participants"

gboolean
cnv_recording_status_is_valid (const char *status)
{
  return status && g_strv_contains (statuses, status);
}

gboolean
cnv_recording_has_participant (const CnvRecording * rec, const char *user)
{
  return user && g_strv_contains ((const char *const *) rec->participants,
      user);
}

static gboolean
db_error (CnvRecordings * self, GError ** error, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
      self->db ? sqlite3_errmsg (self->db) : "no database");
  return FALSE;
}

void
cnv_recordings_free (CnvRecordings * self)
{
  if (!self)
    return;
  if (self->db)
    sqlite3_close (self->db);
  g_free (self);
}

CnvRecordings *
cnv_recordings_open (const char *data_dir, GError ** error)
{
  g_autoptr (CnvRecordings) self = g_new0 (CnvRecordings, 1);
  static const char schema[] =
      "CREATE TABLE IF NOT EXISTS recordings ("
      " id TEXT PRIMARY KEY NOT NULL, meeting TEXT NOT NULL,"
      " dir TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'recording',"
      " progress INTEGER NOT NULL DEFAULT 0,"
      " started_at INTEGER NOT NULL, stopped_at INTEGER NOT NULL DEFAULT 0,"
      " url TEXT, error TEXT, participants TEXT NOT NULL DEFAULT '[]');"
      "CREATE INDEX IF NOT EXISTS recordings_meeting ON recordings (meeting);"
      "CREATE TABLE IF NOT EXISTS notifications ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL,"
      " json TEXT NOT NULL, created_at INTEGER NOT NULL,"
      " delivered_at INTEGER);"
      "CREATE INDEX IF NOT EXISTS notifications_pending"
      " ON notifications (user, delivered_at);";

  self->db = cnv_db_open (data_dir, schema, error);
  if (!self->db)
    return NULL;
  return g_steal_pointer (&self);
}

static char *
strv_to_json (const char *const *strv)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (b);
  for (gsize i = 0; strv && strv[i]; i++)
    json_builder_add_string_value (b, strv[i]);
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static char **
strv_from_json (const char *json)
{
  g_autoptr (GStrvBuilder) sb = g_strv_builder_new ();
  g_autoptr (JsonNode) root = json ? json_from_string (json, NULL) : NULL;

  if (root && JSON_NODE_HOLDS_ARRAY (root)) {
    JsonArray *a = json_node_get_array (root);

    for (guint i = 0; i < json_array_get_length (a); i++) {
      JsonNode *n = json_array_get_element (a, i);

      if (JSON_NODE_HOLDS_VALUE (n)
          && json_node_get_value_type (n) == G_TYPE_STRING)
        g_strv_builder_add (sb, json_node_get_string (n));
    }
  }
  return g_strv_builder_end (sb);
}

/* Runs one statement that changes rows; FALSE with NOT_FOUND when it
 * changed none and @must_change. */
static gboolean
run_change (CnvRecordings * self, sqlite3_stmt * st, const char *what,
    const char *id, gboolean must_change, GError ** error)
{
  int rc = sqlite3_step (st);

  sqlite3_finalize (st);
  if (rc == SQLITE_CONSTRAINT) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
        "recording %s exists already", id);
    return FALSE;
  }
  if (rc != SQLITE_DONE)
    return db_error (self, error, what);
  if (must_change && sqlite3_changes (self->db) == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no recording %s", id);
    return FALSE;
  }
  return TRUE;
}

static sqlite3_stmt *
prepare (CnvRecordings * self, const char *sql, GError ** error)
{
  sqlite3_stmt *st = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &st, NULL) != SQLITE_OK) {
    db_error (self, error, "cannot prepare a statement");
    return NULL;
  }
  return st;
}

gboolean
cnv_recordings_create (CnvRecordings * self, const char *id,
    const char *meeting, const char *dir, gint64 started_at_ms,
    GError ** error)
{
  sqlite3_stmt *st = prepare (self,
      "INSERT INTO recordings (id, meeting, dir, status, started_at)"
      " VALUES (?, ?, ?, 'recording', ?)", error);

  if (!st)
    return FALSE;
  sqlite3_bind_text (st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 2, meeting, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 3, dir, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 4, started_at_ms);
  return run_change (self, st, "cannot add a recording", id, TRUE, error);
}

gboolean
cnv_recordings_set_stopped (CnvRecordings * self, const char *id,
    gint64 stopped_at_ms, const char *const *participants, GError ** error)
{
  g_autofree char *json = strv_to_json (participants);
  sqlite3_stmt *st = prepare (self,
      "UPDATE recordings SET status = 'stopped', stopped_at = ?,"
      " participants = ? WHERE id = ?", error);

  if (!st)
    return FALSE;
  sqlite3_bind_int64 (st, 1, stopped_at_ms);
  sqlite3_bind_text (st, 2, json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 3, id, -1, SQLITE_TRANSIENT);
  return run_change (self, st, "cannot stop a recording", id, TRUE, error);
}

gboolean
cnv_recordings_set_status (CnvRecordings * self, const char *id,
    const char *status, int progress, const char *url, const char *error,
    GError ** error_out)
{
  sqlite3_stmt *st;

  if (!cnv_recording_status_is_valid (status)) {
    g_set_error (error_out, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "invalid recording status \"%s\"", status ? status : "(null)");
    return FALSE;
  }
  st = prepare (self,
      "UPDATE recordings SET status = ?, progress = ?,"
      " url = COALESCE(?, url), error = COALESCE(?, error) WHERE id = ?",
      error_out);
  if (!st)
    return FALSE;
  sqlite3_bind_text (st, 1, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (st, 2, CLAMP (progress, 0, 100));
  if (url)
    sqlite3_bind_text (st, 3, url, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (st, 3);
  if (error)
    sqlite3_bind_text (st, 4, error, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (st, 4);
  sqlite3_bind_text (st, 5, id, -1, SQLITE_TRANSIENT);
  return run_change (self, st, "cannot update a recording", id, TRUE,
      error_out);
}

void
cnv_recording_free (CnvRecording * rec)
{
  if (!rec)
    return;
  g_free (rec->id);
  g_free (rec->meeting);
  g_free (rec->dir);
  g_free (rec->status);
  g_free (rec->url);
  g_free (rec->error);
  g_strfreev (rec->participants);
  g_free (rec);
}

static char *
column_strdup (sqlite3_stmt * st, int col)
{
  const unsigned char *s = sqlite3_column_text (st, col);

  return s ? g_strdup ((const char *) s) : NULL;
}

static CnvRecording *
recording_from_row (sqlite3_stmt * st)
{
  CnvRecording *rec = g_new0 (CnvRecording, 1);

  rec->id = column_strdup (st, 0);
  rec->meeting = column_strdup (st, 1);
  rec->dir = column_strdup (st, 2);
  rec->status = column_strdup (st, 3);
  rec->url = column_strdup (st, 4);
  rec->error = column_strdup (st, 5);
  rec->progress = sqlite3_column_int (st, 6);
  rec->started_at = sqlite3_column_int64 (st, 7);
  rec->stopped_at = sqlite3_column_int64 (st, 8);
  rec->participants =
      strv_from_json ((const char *) sqlite3_column_text (st, 9));
  return rec;
}

CnvRecording *
cnv_recordings_get (CnvRecordings * self, const char *id, GError ** error)
{
  sqlite3_stmt *st = prepare (self,
      "SELECT " RECORDING_COLUMNS " FROM recordings WHERE id = ?", error);
  CnvRecording *rec = NULL;
  int rc;

  if (!st)
    return NULL;
  sqlite3_bind_text (st, 1, id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    rec = recording_from_row (st);
  sqlite3_finalize (st);
  if (rc == SQLITE_DONE)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "no recording %s", id);
  else if (rc != SQLITE_ROW)
    db_error (self, error, "cannot read a recording");
  return rec;
}

GPtrArray *
cnv_recordings_list (CnvRecordings * self, const char *meeting,
    GError ** error)
{
  g_autoptr (GPtrArray) list =
      g_ptr_array_new_with_free_func ((GDestroyNotify) cnv_recording_free);
  sqlite3_stmt *st = prepare (self, meeting ?
      "SELECT " RECORDING_COLUMNS " FROM recordings WHERE meeting = ?"
      " ORDER BY started_at, id" :
      "SELECT " RECORDING_COLUMNS " FROM recordings ORDER BY started_at, id",
      error);
  int rc;

  if (!st)
    return NULL;
  if (meeting)
    sqlite3_bind_text (st, 1, meeting, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (list, recording_from_row (st));
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE) {
    db_error (self, error, "cannot list recordings");
    return NULL;
  }
  return g_steal_pointer (&list);
}

GStrv
cnv_recordings_unassembled (CnvRecordings * self, GError ** error)
{
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  sqlite3_stmt *st = prepare (self,
      "SELECT id FROM recordings WHERE status IN"
      " ('stopped', 'assembling', 'uploading') ORDER BY started_at, id",
      error);
  int rc;

  if (!st)
    return NULL;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_strv_builder_add (b, (const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE) {
    db_error (self, error, "cannot list recordings");
    return NULL;
  }
  return g_strv_builder_end (b);
}

gboolean
cnv_recordings_mark_interrupted (CnvRecordings * self, gint64 now_ms,
    GError ** error)
{
  sqlite3_stmt *st = prepare (self,
      "UPDATE recordings SET status = 'stopped', stopped_at = ?"
      " WHERE status = 'recording'", error);

  if (!st)
    return FALSE;
  sqlite3_bind_int64 (st, 1, now_ms);
  return run_change (self, st, "cannot stop recordings", "", FALSE, error);
}

gboolean
cnv_notifications_add (CnvRecordings * self, const char *user,
    const char *json, GError ** error)
{
  sqlite3_stmt *st = prepare (self,
      "INSERT INTO notifications (user, json, created_at) VALUES (?, ?, ?)",
      error);

  if (!st)
    return FALSE;
  sqlite3_bind_text (st, 1, user, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (st, 2, json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (st, 3, g_get_real_time () / 1000);
  return run_change (self, st, "cannot add a notification", "", FALSE,
      error);
}

GPtrArray *
cnv_notifications_take_pending (CnvRecordings * self, const char *user,
    GError ** error)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *st;
  int rc;

  /* One transaction: a second sign-in of the same user racing this one
   * must not get the same notifications. */
  if (sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)
      != SQLITE_OK) {
    db_error (self, error, "cannot begin");
    return NULL;
  }
  st = prepare (self, "SELECT json FROM notifications"
      " WHERE user = ? AND delivered_at IS NULL ORDER BY id", error);
  if (!st)
    goto fail;
  sqlite3_bind_text (st, 1, user, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (list, column_strdup (st, 0));
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE) {
    db_error (self, error, "cannot read notifications");
    goto fail;
  }
  st = prepare (self, "UPDATE notifications SET delivered_at = ?"
      " WHERE user = ? AND delivered_at IS NULL", error);
  if (!st)
    goto fail;
  sqlite3_bind_int64 (st, 1, g_get_real_time () / 1000);
  sqlite3_bind_text (st, 2, user, -1, SQLITE_TRANSIENT);
  if (!run_change (self, st, "cannot mark notifications", "", FALSE, error))
    goto fail;
  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    db_error (self, error, "cannot commit");
    goto fail;
  }
  return g_steal_pointer (&list);

fail:
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return NULL;
}
