/* The one SQLite file of a data dir, <data>/convene.db. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* Opens (creating the data dir and the file) with a busy timeout and WAL,
 * since convened, "convened user add" and convene-archiver use the file at
 * the same time, then runs @schema. NULL with @error set on failure. */
sqlite3 *cnv_db_open (const char *data_dir, const char *schema,
    GError ** error);

G_END_DECLS
