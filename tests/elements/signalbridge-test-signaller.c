/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "gstsignaller.h"
#include "signalbridge-test-signaller.h"

static gpointer test_signaller_parent_class;

static void
ts_start (GstConveneSignaller * sig)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  g_mutex_lock (&self->lock);
  self->started = TRUE;
  g_mutex_unlock (&self->lock);
}

static void
ts_stop (GstConveneSignaller * sig)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  g_mutex_lock (&self->lock);
  self->started = FALSE;
  g_mutex_unlock (&self->lock);
}

static void
ts_request_session (GstConveneSignaller * sig, const gchar * peer)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  g_mutex_lock (&self->lock);
  g_free (self->requested);
  self->requested = g_strdup (peer);
  g_mutex_unlock (&self->lock);
}

static void
ts_accept_session (GstConveneSignaller * sig, const gchar * session_id)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  g_mutex_lock (&self->lock);
  g_free (self->accepted);
  self->accepted = g_strdup (session_id);
  g_mutex_unlock (&self->lock);
}

static void
ts_end_session (GstConveneSignaller * sig, const gchar * session_id)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  g_mutex_lock (&self->lock);
  g_free (self->ended);
  self->ended = g_strdup (session_id);
  g_mutex_unlock (&self->lock);
}

static void
ts_send_sdp (GstConveneSignaller * sig, const gchar * session_id,
    const GstWebRTCSessionDescription * desc)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  if (self->on_sdp)
    self->on_sdp (session_id, desc, self->user_data);
}

static void
ts_add_ice (GstConveneSignaller * sig, const gchar * session_id,
    const gchar * candidate, guint mline_index, const gchar * mid)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  if (self->on_ice)
    self->on_ice (session_id, mline_index, candidate, self->user_data);
}

static void
ts_join_meeting (GstConveneSignaller * sig, const gchar * meeting,
    const gchar * const *tracks)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  g_mutex_lock (&self->lock);
  g_free (self->joined);
  self->joined = g_strdup (meeting);
  g_mutex_unlock (&self->lock);
}

static void
ts_send_active_speaker (GstConveneSignaller * sig, const gchar * meeting,
    const gchar * participant_id)
{
  TestSignaller *self = TEST_SIGNALLER (sig);

  g_mutex_lock (&self->lock);
  g_free (self->active_speaker);
  self->active_speaker = g_strdup (participant_id);
  g_mutex_unlock (&self->lock);
}

static void
test_signaller_iface_init (GstConveneSignallerInterface * iface)
{
  iface->send_sdp = ts_send_sdp;
  iface->add_ice = ts_add_ice;
  iface->join_meeting = ts_join_meeting;
  iface->send_active_speaker = ts_send_active_speaker;
  iface->start = ts_start;
  iface->stop = ts_stop;
  iface->request_session = ts_request_session;
  iface->accept_session = ts_accept_session;
  iface->end_session = ts_end_session;
}

static void
test_signaller_finalize (GObject * object)
{
  TestSignaller *self = TEST_SIGNALLER (object);

  g_free (self->requested);
  g_free (self->accepted);
  g_free (self->ended);
  g_free (self->joined);
  g_free (self->active_speaker);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (test_signaller_parent_class)->finalize (object);
}

static void
test_signaller_class_init (TestSignallerClass * klass)
{
  test_signaller_parent_class = g_type_class_peek_parent (klass);
  G_OBJECT_CLASS (klass)->finalize = test_signaller_finalize;
}

static void
test_signaller_init (TestSignaller * self)
{
  g_mutex_init (&self->lock);
}

/* The interface type lives in the plugin (it cannot be linked in twice), so
 * it is looked up by name once the plugin is loaded. */
GType
test_signaller_get_type (void)
{
  static GType type = 0;

  if (g_once_init_enter (&type)) {
    GType iface_type = g_type_from_name ("GstConveneSignaller");
    const GInterfaceInfo iface_info = {
      (GInterfaceInitFunc) test_signaller_iface_init, NULL, NULL
    };
    GType t = g_type_register_static_simple (G_TYPE_OBJECT, "TestSignaller",
        sizeof (TestSignallerClass),
        (GClassInitFunc) test_signaller_class_init, sizeof (TestSignaller),
        (GInstanceInitFunc) test_signaller_init, 0);

    g_assert (iface_type != 0);
    g_type_add_interface_static (t, iface_type, &iface_info);
    g_once_init_leave (&type, t);
  }
  return type;
}

