/* Convene access tokens: JWT HS256 signed with the data dir's secret. */
#pragma once

#include <glib.h>
#include "protocol.h"

G_BEGIN_DECLS

#define CNV_SECRET_LEN 32

/* The internal grant and user name of media workers. A worker's hello
 * bypasses the user directory; the leading underscore plus the refusal in
 * cnv_users_add() keep real users from taking the name. */
#define CNV_GRANT_WORKER "worker"
#define CNV_WORKER_USER "_worker"
/* The internal grant of convene-archiver: it may call
 * POST /internal/recordings/{id}/ready and nothing else. */
#define CNV_GRANT_ARCHIVER "archiver"

typedef struct
{
  char *user;
  char *meeting;                /* NULL when the token is not scoped */
  char **grants;
  gint64 exp;
  gint64 iat;
} CnvTokenClaims;

void cnv_token_claims_free (CnvTokenClaims * claims);
gboolean cnv_token_claims_has_grant (const CnvTokenClaims * claims,
    const char *grant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvTokenClaims, cnv_token_claims_free)

/* Reads <data-dir>/secret, creating it (mode 0600) on first use. */
GBytes *cnv_secret_load (const char *data_dir, GError ** error);

/* Grants must be among publish, subscribe, record, admin, worker,
 * archiver. @now in seconds. */
char *cnv_token_mint (GBytes * secret, const char *user, const char *meeting,
    const char *const *grants, gint64 now, gint64 ttl, GError ** error);

/* Returns the claims, or NULL with @code set to CNV_ERR_AUTH_FAILED or
 * CNV_ERR_TOKEN_EXPIRED and @message describing why. */
CnvTokenClaims *cnv_token_verify (GBytes * secret, const char *token,
    gint64 now, CnvErrorCode * code, char **message);

gboolean cnv_grant_is_valid (const char *grant);

G_END_DECLS
