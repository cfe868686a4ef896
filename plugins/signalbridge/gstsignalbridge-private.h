/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Shared between the element's files: the instance structure and the
 * helpers one file implements for the other.  Not installed. */

#ifndef __GST_SIGNAL_BRIDGE_PRIVATE_H__
#define __GST_SIGNAL_BRIDGE_PRIVATE_H__

#include <gst/gst.h>

#include "gstsignalbridge.h"
#include "gstsignaller.h"
#include "congestion.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_signal_bridge_debug);

typedef struct _GstSignalBridgeParticipant GstSignalBridgeParticipant;

/* SESSION_LOCK protects the call: session_id, pending_id, peer, offerer,
 * in_call, had_call, call_sent, renegotiate, signaller_running.
 * PADS_LOCK protects the pad counters and the encoder list.
 * STATS_LOCK protects last_stats, stats_clock_id and the controller.
 * SERVER_LOCK (server role, gstsignalbridgeserver.c) protects participants,
 * own_participant_id, pub_count, sub_count and the state of every server
 * session; it is never held while calling into webrtcbin, the signaller or
 * the pad/element API, so it nests with no other lock but GST_OBJECT_LOCK.
 * MEETING_LOCK (client in a meeting, gstsignalbridgemeeting.c) protects
 * sfu_id, own_participant_id_client, sub_webrtcbin, sub_mids, ready_pending,
 * ready_timer, published and pub_webrtcbin; like SERVER_LOCK it is never held
 * across calls out.
 * teardown_lock (server role) protects server_pausing and is held while a
 * session's webrtcbin is stopped, so that PLAYING -> PAUSED waits for it.
 * Lock order: SESSION_LOCK, PADS_LOCK, STATS_LOCK, then GST_OBJECT_LOCK;
 * teardown_lock, then SERVER_LOCK or MEETING_LOCK (never both), then
 * GST_OBJECT_LOCK; teardown_lock is taken before any state lock. */
#define SESSION_LOCK(s) g_mutex_lock (&(s)->session_lock)
#define SESSION_UNLOCK(s) g_mutex_unlock (&(s)->session_lock)
#define PADS_LOCK(s) g_mutex_lock (&(s)->pads_lock)
#define PADS_UNLOCK(s) g_mutex_unlock (&(s)->pads_lock)
#define STATS_LOCK(s) g_mutex_lock (&(s)->stats_lock)
#define STATS_UNLOCK(s) g_mutex_unlock (&(s)->stats_lock)
#define MEETING_LOCK(s) g_mutex_lock (&(s)->meeting_lock)
#define MEETING_UNLOCK(s) g_mutex_unlock (&(s)->meeting_lock)
#define SERVER_LOCK(s) g_mutex_lock (&(s)->server_lock)
#define SERVER_UNLOCK(s) g_mutex_unlock (&(s)->server_lock)

#define AUDIO_BITRATE 32000

#define VIDEO_PT 96
#define H264_PT 102
#define OPUS_PT 111

struct _GstSignalBridge
{
  GstBin parent;

  GstElement *webrtcbin;
  /* Set once the ICE agent has been configured (UPnP, local addresses). */
  gboolean agent_configured;

  /* Properties, protected by GST_OBJECT_LOCK */
  gchar *call;
  gboolean answer;
  GstWebRTCICETransportPolicy ice_transport_policy;
  gchar *stun_server;
  gchar *turn_server;
  gboolean allow_loopback;
  gboolean decode;
  GstSignalBridgeVideoCodec video_codec;
  ConveneCongestionControl congestion_control;
  guint video_bitrate;
  guint min_video_bitrate;
  guint max_video_bitrate;
  GstConveneSignaller *signaller;
  /* role is read without the lock on the signalling thread: it can only
   * change in NULL/READY, before the signaller starts. */
  GstSignalBridgeRole role;
  gchar *meeting;
  /* ICE servers from the signalling server, for the server role's
   * webrtcbins made later. */
  gchar **server_stun;
  gchar **server_turn;

  GMutex session_lock;          /* see SESSION_LOCK */
  gchar *session_id;
  gchar *pending_id;            /* call calling, ringing or incoming */
  gchar *peer;
  gboolean offerer;
  gboolean in_call;
  gboolean had_call;
  gboolean call_sent;
  gboolean renegotiate;
  gboolean signaller_running;
  /* Remote answers applied so far (atomic): a track added mid-call sends
   * nothing until the answer to the offer announcing it is in, see
   * gstsignalbridgepads.c. */
  gint answers_applied;

  GMutex pads_lock;             /* see PADS_LOCK */
  guint video_sink_count;
  guint audio_sink_count;
  guint video_src_count;
  guint audio_src_count;
  GList *video_encoders;        /* owned refs */
  guint eos_sinks;              /* sink pads that have seen EOS */
  gboolean tracks_ended;        /* EOS sent on the src pads */

  GMutex stats_lock;            /* see STATS_LOCK */
  GstStructure *last_stats;
  GstClockID stats_clock_id;
  ConveneCongestionController cc;

  GMutex meeting_lock;          /* see MEETING_LOCK */
  gchar *sfu_id;
  gchar *own_participant_id_client;
  GstElement *sub_webrtcbin;    /* the subscribe session, owned */
  GHashTable *sub_mids;         /* its last offer: mid -> ConveneMidInfo */
  gboolean ready_pending;       /* media-ready owed after a mode switch */
  GstClockID ready_timer;
  gboolean published;           /* a publish session was started */
  /* The publish session with a restarted worker, owned; NULL while the
   * element's own webrtcbin publishes (the first worker). */
  GstElement *pub_webrtcbin;

  GMutex server_lock;           /* see SERVER_LOCK */
  GHashTable *participants;     /* id -> GstSignalBridgeParticipant */
  gchar *own_participant_id;
  guint pub_count;
  guint sub_count;
  GList *closed_webrtcbins;     /* stopped at READY (owned refs) */
  GMutex teardown_lock;         /* see above */
  gboolean server_pausing;
};

/* gstsignalbridge.c */
void gst_signal_bridge_hangup (GstSignalBridge * self);
void gst_signal_bridge_maybe_renegotiate (GstSignalBridge * self);

gboolean gst_signal_bridge_configure_agent (GstSignalBridge * self,
    GstElement * webrtc);

void gst_signal_bridge_start_session (GstSignalBridge * self,
    const gchar * session_id, const gchar * peer, gboolean offerer);

/* gstsignalbridgemeeting.c */
gboolean gst_signal_bridge_meeting_connected (GstSignalBridge * self);
void gst_signal_bridge_meeting_connect_signaller (GstSignalBridge * self,
    GstConveneSignaller * signaller);
gboolean gst_signal_bridge_meeting_handle_description (GstSignalBridge *
    self, const gchar * session_id, GstWebRTCSessionDescription * desc);
gboolean gst_signal_bridge_meeting_handle_ice (GstSignalBridge * self,
    const gchar * session_id, guint mline, const gchar * candidate);
void gst_signal_bridge_meeting_stop (GstSignalBridge * self);

/* gstsignalbridgestats.c */
void gst_signal_bridge_start_stats (GstSignalBridge * self);
void gst_signal_bridge_stop_stats (GstSignalBridge * self);

/* gstsignalbridgeserver.c */
void gst_signal_bridge_server_class_init (GstSignalBridgeClass * klass);
void gst_signal_bridge_server_init (GstSignalBridge * self);
void gst_signal_bridge_server_finalize (GstSignalBridge * self);
void gst_signal_bridge_server_connect_signaller (GstSignalBridge * self,
    GstConveneSignaller * signaller);
void gst_signal_bridge_server_connected (GstSignalBridge * self);
void gst_signal_bridge_server_stop (GstSignalBridge * self);
void gst_signal_bridge_server_pausing (GstSignalBridge * self,
    gboolean pausing);
void gst_signal_bridge_server_unblock (GstSignalBridge * self,
    gboolean unblock);
gboolean gst_signal_bridge_server_handle_description (GstSignalBridge * self,
    const gchar * session_id, GstWebRTCSessionDescription * desc);
gboolean gst_signal_bridge_server_handle_ice (GstSignalBridge * self,
    const gchar * session_id, guint mline, const gchar * candidate);
void gst_signal_bridge_server_release_pad (GstSignalBridge * self,
    GstPad * pad);

/* gstsignalbridgeutil.c */
void gst_signal_bridge_remove_webrtcbin (GstSignalBridge * self,
    GstElement * webrtc);
GstPadProbeReturn gst_signal_bridge_set_announced_ssrc (GstPad * pad,
    GstPadProbeInfo * info, gpointer ssrc);
void gst_signal_bridge_on_sub_linked (GstPad * pad, GstPad * peer,
    gpointer ssrc);

/* gstsignalbridgepads.c */
void gst_signal_bridge_eos_src_pads (GstElement * element, gpointer unused);
void gst_signal_bridge_local_media_ended (GstElement * element,
    gpointer unused);
GstPad *gst_signal_bridge_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps);
void gst_signal_bridge_release_pad (GstElement * element, GstPad * pad);
void gst_signal_bridge_on_webrtc_pad_added (GstElement * webrtc, GstPad * pad,
    GstSignalBridge * self);
void gst_signal_bridge_expose_remote_track (GstSignalBridge * self,
    GstPad * pad, const gchar * participant_id, const gchar * track_id);

G_END_DECLS

#endif /* __GST_SIGNAL_BRIDGE_PRIVATE_H__ */
