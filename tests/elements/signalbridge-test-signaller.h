/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A GstConveneSignaller for the element tests: it records what the element
 * asks for and hands SDP and candidates to the test's callbacks. */

#ifndef __SIGNALBRIDGE_TEST_SIGNALLER_H__
#define __SIGNALBRIDGE_TEST_SIGNALLER_H__

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

G_BEGIN_DECLS

#define TEST_TYPE_SIGNALLER (test_signaller_get_type ())
G_DECLARE_FINAL_TYPE (TestSignaller, test_signaller, TEST, SIGNALLER, GObject);

typedef void (*TestSdpFunc) (const gchar * session_id,
    const GstWebRTCSessionDescription * desc, gpointer user_data);
typedef void (*TestIceFunc) (const gchar * session_id, guint mline,
    const gchar * candidate, gpointer user_data);

struct _TestSignaller
{
  GObject parent;
  GMutex lock;
  gboolean started;
  gchar *requested;             /* peer of request_session */
  gchar *accepted;              /* session of accept_session */
  gchar *ended;                 /* session of end_session */
  gchar *joined;                /* meeting of join_meeting */
  gchar *active_speaker;        /* participant of send_active_speaker */
  /* Called from whatever thread the element sends from. */
  TestSdpFunc on_sdp;
  TestIceFunc on_ice;
  gpointer user_data;
};

GType test_signaller_get_type (void);

G_END_DECLS

#endif /* __SIGNALBRIDGE_TEST_SIGNALLER_H__ */
