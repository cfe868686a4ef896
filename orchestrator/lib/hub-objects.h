/* Private to the hub: one GObject per client session and per call. */
#pragma once

#include <glib-object.h>
#include "hub.h"
#include "ratelimit.h"
#include "token.h"

G_BEGIN_DECLS

#define CNV_TYPE_SESSION (cnv_session_get_type ())
G_DECLARE_FINAL_TYPE (CnvSession, cnv_session, CNV, SESSION, GObject)

struct _CnvSession
{
  GObject parent;
  char *id;
  /* NULL until hello verified the token: nothing per-user before that. */
  char *user;
  CnvTokenClaims *claims;
  /* Open policy with an empty contact list: every user is a contact. */
  gboolean all_contacts;
  GHashTable *contacts;
  CnvSendFunc send;
  CnvCloseFunc close;
  gpointer user_data;
  GDestroyNotify notify;
  CnvTokenBucket bucket;
  guint64 dropped;
  gint64 last_rate_error_us;
  GSource *hello_timeout;
  /* Last video height the client reported in "stats" (-1: none yet), to
   * publish quality.changed when it moves. */
  gint last_height;
};

CnvSession *cnv_session_new (CnvSendFunc send, CnvCloseFunc close,
    gpointer user_data, GDestroyNotify notify);

typedef enum
{
  CNV_CALL_RINGING,
  CNV_CALL_ACCEPTED,
  /* Kept a little while so that late messages get bad-state. */
  CNV_CALL_ENDED,
} CnvCallState;

#define CNV_TYPE_CALL (cnv_call_get_type ())
G_DECLARE_FINAL_TYPE (CnvCall, cnv_call, CNV, CALL, GObject)

struct _CnvCall
{
  GObject parent;
  char *id;
  char *caller;
  char *caller_session;
  char *callee;
  char *callee_session;         /* the connection that accepted */
  CnvCallState state;
  gint64 created_us;
  gint64 accepted_us;           /* monotonic; 0 until accepted */
  GSource *timeout;
};

CnvCall *cnv_call_new (const char *caller, const char *caller_session,
    const char *callee);
void cnv_call_set_timeout (CnvCall * call, GSource * source);
void cnv_session_set_hello_timeout (CnvSession * session, GSource * source);

/* A fresh identifier: @prefix + 32 hex digits. */
char *cnv_make_id (const char *prefix);

G_END_DECLS
