/* The session and call objects of the hub. They hold state only; the hub
 * drives them. */
#include "hub-objects.h"

G_DEFINE_TYPE (CnvSession, cnv_session, G_TYPE_OBJECT)
G_DEFINE_TYPE (CnvCall, cnv_call, G_TYPE_OBJECT)

char *
cnv_make_id (const char *prefix)
{
  GString *s = g_string_new (prefix);

  for (int i = 0; i < 4; i++)
    g_string_append_printf (s, "%08x", g_random_int ());
  return g_string_free (s, FALSE);
}

static void
clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

void
cnv_session_set_hello_timeout (CnvSession * self, GSource * source)
{
  clear_source (&self->hello_timeout);
  self->hello_timeout = source;
}

static void
cnv_session_finalize (GObject * object)
{
  CnvSession *self = CNV_SESSION (object);

  clear_source (&self->hello_timeout);
  if (self->notify)
    self->notify (self->user_data);
  g_free (self->id);
  g_free (self->user);
  cnv_token_claims_free (self->claims);
  g_clear_pointer (&self->contacts, g_hash_table_unref);
  G_OBJECT_CLASS (cnv_session_parent_class)->finalize (object);
}

static void
cnv_session_class_init (CnvSessionClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = cnv_session_finalize;
}

static void
cnv_session_init (CnvSession * self)
{
  self->id = cnv_make_id ("s-");
  self->contacts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  self->last_height = -1;
}

CnvSession *
cnv_session_new (CnvSendFunc send, CnvCloseFunc close, gpointer user_data,
    GDestroyNotify notify)
{
  CnvSession *self = g_object_new (CNV_TYPE_SESSION, NULL);

  self->send = send;
  self->close = close;
  self->user_data = user_data;
  self->notify = notify;
  return self;
}

void
cnv_call_set_timeout (CnvCall * self, GSource * source)
{
  clear_source (&self->timeout);
  self->timeout = source;
}

static void
cnv_call_finalize (GObject * object)
{
  CnvCall *self = CNV_CALL (object);

  clear_source (&self->timeout);
  g_free (self->id);
  g_free (self->caller);
  g_free (self->caller_session);
  g_free (self->callee);
  g_free (self->callee_session);
  G_OBJECT_CLASS (cnv_call_parent_class)->finalize (object);
}

static void
cnv_call_class_init (CnvCallClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = cnv_call_finalize;
}

static void
cnv_call_init (CnvCall * self)
{
  self->id = cnv_make_id ("c-");
  self->created_us = g_get_monotonic_time ();
}

CnvCall *
cnv_call_new (const char *caller, const char *caller_session,
    const char *callee)
{
  CnvCall *self = g_object_new (CNV_TYPE_CALL, NULL);

  self->caller = g_strdup (caller);
  self->caller_session = g_strdup (caller_session);
  self->callee = g_strdup (callee);
  return self;
}
