/* The one SQLite file of a data dir, shared by users.c and recordings.c. */
#include "db.h"

#include <gio/gio.h>

sqlite3 *
cnv_db_open (const char *data_dir, const char *schema, GError ** error)
{
  g_autofree char *path = g_build_filename (data_dir, "convene.db", NULL);
  sqlite3 *db = NULL;

  if (g_mkdir_with_parents (data_dir, 0700) < 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot create data dir %s", data_dir);
    return NULL;
  }
  if (sqlite3_open_v2 (path, &db,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path,
        db ? sqlite3_errmsg (db) : "out of memory");
    goto fail;
  }
  /* Waits out another process's write instead of failing with BUSY. */
  sqlite3_busy_timeout (db, 5000);
  /* WAL lets the archiver read while convened writes; the mode is
   * persistent in the file, setting it again is cheap. */
  if (sqlite3_exec (db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL)
      != SQLITE_OK || sqlite3_exec (db, schema, NULL, NULL, NULL)
      != SQLITE_OK) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot create the schema in %s: %s", path, sqlite3_errmsg (db));
    goto fail;
  }
  return db;

fail:
  sqlite3_close (db);
  return NULL;
}
