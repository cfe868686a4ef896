/* Convene user directory: SQLite in <data-dir>/convene.db. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CNV_TYPE_USERS (cnv_users_get_type ())
G_DECLARE_FINAL_TYPE (CnvUsers, cnv_users, CNV, USERS, GObject)

CnvUsers *cnv_users_open (const char *data_dir, GError ** error);
/* Fails if the user exists already or a name is invalid. */
gboolean cnv_users_add (CnvUsers * self, const char *name,
    const char *const *contacts, GError ** error);
/* TRUE if the user exists; FALSE with @error set only on a database error. */
gboolean cnv_users_exists (CnvUsers * self, const char *name,
    GError ** error);
/* The user's listed contacts (possibly empty), NULL on a database error. */
GStrv cnv_users_get_contacts (CnvUsers * self, const char *name,
    GError ** error);
/* Every user of the directory, sorted. */
GStrv cnv_users_list (CnvUsers * self, GError ** error);

G_END_DECLS
