/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* signalbridge's server role (role=server, in the media worker): the
 * contract is docs/architecture.md, "Media worker".
 *
 * Every participant has up to two webrtcbins of their own: "publish" (the
 * participant offers, we answer and expose each received stream as a
 * pub_%u src pad) and "subscribe" (we offer the sub_%u request pads the
 * worker made for that participant, and offer again whenever they change).
 * A webrtcbin serialises its own operations on its own thread; we only
 * emit its action signals and answer its promises.  Sessions are
 * reference counted because promises and clock callbacks may outlive the
 * participant: a closed session ignores them. */

#include <stdlib.h>
#include <string.h>

#include <gst/sdp/sdp.h>
#include <gst/rtp/rtp.h>
#include <gst/webrtc/webrtc.h>
#include <gst/video/video.h>

#include "gstsignalbridge-private.h"
#include "gstsignalbridgepad.h"
#include "sdpmunge.h"

#define GST_CAT_DEFAULT gst_signal_bridge_debug

/* Tracks added or released together (a participant joining gets one per
 * published track) go out in one offer. */
#define RENEGOTIATE_DELAY (20 * GST_MSECOND)
/* A subscriber that never answers must not freeze its session: after this
 * long the next change is offered anyway. */
#define ANSWER_TIMEOUT (10 * GST_SECOND)

enum
{
  SIGNAL_PARTICIPANT_JOINED,
  SIGNAL_PARTICIPANT_LEFT,
  SIGNAL_VIEW,
  SIGNAL_SUBSCRIBER_ESTIMATE,
  SIGNAL_ADD_SUBSCRIBER_TRACK,
  SIGNAL_SEND_ACTIVE_SPEAKER,
  SIGNAL_RECORDING,
  LAST_SIGNAL
};

static guint server_signals[LAST_SIGNAL];

static GstStaticPadTemplate pub_template =
GST_STATIC_PAD_TEMPLATE ("pub_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate sub_template =
GST_STATIC_PAD_TEMPLATE ("sub_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

typedef struct
{
  GstSignalBridge *bridge;      /* not owned: sessions die before it */
  gchar *id;                    /* "<participant_id>/<publish|subscribe>" */
  gchar *participant_id;
  gboolean publish;
  GstElement *webrtcbin;        /* owned; NULL once closed */

  /* Under SERVER_LOCK: */
  gboolean closed;
  GHashTable *mids;             /* publish: mid -> ConveneMidInfo */
  gboolean offering;            /* subscribe: an offer awaits its answer */
  GstClockTime offered_at;      /* subscribe: when (system clock) */
  gboolean renegotiate;         /* subscribe: changes since the last offer */
  GstClockID timer;             /* subscribe: pending coalesced offer */
  GHashTable *ssrcs;            /* subscribe: msid -> SSRC we send it as */
  gboolean estimate_hooked;
  /* subscribe: every sub_%u pad gets a generation number when it is made.
   * An offer covers the pads up to offered_gen; once its answer is applied
   * answered_gen (read by the streaming threads, atomic) lets them through.
   * Until then a pad drops what it gets: a subscriber that receives an
   * SSRC before the offer announcing it (webrtcbin 1.22) never demultiplexes
   * it, so the track would stay black for the whole call. */
  guint pad_gen;
  guint offered_gen;
  gint answered_gen;
} Session;

/* What a sub_%u pad's gate probe holds. */
typedef struct
{
  Session *session;             /* owned ref */
  guint gen;
} SubGate;

struct _GstSignalBridgeParticipant
{
  gchar *id;
  gchar *user;
  gchar **tracks;               /* "<kind>:<id>" */
  Session *publish;             /* owned ref or NULL */
  Session *subscribe;           /* owned ref or NULL */
  GList *pub_pads;              /* owned refs */
  GList *sub_pads;              /* owned refs */
  GHashTable *track_caps;       /* track id -> GstCaps of its RTP */
};

static void
session_clear (gpointer p)
{
  Session *s = p;

  g_free (s->id);
  g_free (s->participant_id);
  g_clear_pointer (&s->mids, g_hash_table_unref);
  g_clear_pointer (&s->ssrcs, g_hash_table_unref);
  if (s->webrtcbin)
    gst_object_unref (s->webrtcbin);
}

static Session *
session_ref (Session * s)
{
  return g_atomic_rc_box_acquire (s);
}

static void
session_unref (gpointer s)
{
  g_atomic_rc_box_release_full (s, session_clear);
}

static void
participant_free (gpointer p)
{
  GstSignalBridgeParticipant *part = p;

  g_free (part->id);
  g_free (part->user);
  g_strfreev (part->tracks);
  g_clear_pointer (&part->publish, session_unref);
  g_clear_pointer (&part->subscribe, session_unref);
  g_list_free_full (part->pub_pads, gst_object_unref);
  g_list_free_full (part->sub_pads, gst_object_unref);
  g_hash_table_unref (part->track_caps);
  g_free (part);
}

/* Call with SERVER_LOCK taken. */
static GstSignalBridgeParticipant *
get_participant (GstSignalBridge * self, const gchar * id, gboolean create)
{
  GstSignalBridgeParticipant *p = g_hash_table_lookup (self->participants,
      id);

  if (p == NULL && create) {
    p = g_new0 (GstSignalBridgeParticipant, 1);
    p->id = g_strdup (id);
    p->track_caps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        (GDestroyNotify) gst_caps_unref);
    g_hash_table_insert (self->participants, p->id, p);
  }
  return p;
}

/* The kind a participant announced for @track_id, or NULL. */
static const gchar *
announced_kind (GstSignalBridgeParticipant * p, const gchar * track_id,
    gchar * buf, gsize size)
{
  guint i;

  for (i = 0; p && p->tracks && p->tracks[i]; i++) {
    const gchar *colon = strchr (p->tracks[i], ':');

    if (colon && g_strcmp0 (colon + 1, track_id) == 0) {
      g_strlcpy (buf, p->tracks[i], MIN (size, (gsize) (colon - p->tracks[i])
              + 1));
      return buf;
    }
  }
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* Sessions */

static void
on_session_ice_candidate (GstElement * webrtc, guint mline,
    const gchar * candidate, Session * s)
{
  gst_convene_signaller_add_ice (s->bridge->signaller, s->id, candidate,
      mline, NULL);
}

static void on_publish_pad_added (GstElement * webrtc, GstPad * pad,
    Session * s);
static void on_publish_pad_removed (GstElement * webrtc, GstPad * pad,
    Session * s);
static void on_subscribe_new_ssrc (GstElement * rtpbin, guint session,
    guint ssrc, Session * s);

static Session *
session_new (GstSignalBridge * self, const gchar * participant_id,
    gboolean publish)
{
  Session *s = g_atomic_rc_box_new0 (Session);
  GstWebRTCICETransportPolicy policy;
  gchar *stun, *turn, **turns;
  GstElement *rtpbin;
  guint i;

  s->bridge = self;
  s->participant_id = g_strdup (participant_id);
  s->publish = publish;
  s->id = g_strdup_printf ("%s/%s", participant_id,
      publish ? "publish" : "subscribe");
  s->ssrcs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->webrtcbin = gst_element_factory_make ("webrtcbin", NULL);
  if (s->webrtcbin == NULL) {
    session_unref (s);
    return NULL;
  }
  gst_object_ref_sink (s->webrtcbin);

  GST_OBJECT_LOCK (self);
  policy = self->ice_transport_policy;
  stun = g_strdup (self->stun_server ? self->stun_server :
      (self->server_stun ? self->server_stun[0] : NULL));
  turn = g_strdup (self->turn_server);
  turns = g_strdupv (self->server_turn);
  GST_OBJECT_UNLOCK (self);

  gst_util_set_object_arg (G_OBJECT (s->webrtcbin), "bundle-policy",
      "max-bundle");
  /* The forwarding path must not wait: webrtcbin 1.22 always puts an
   * rtpjitterbuffer behind each received SSRC (it has no option to leave it
   * out), so make it a pass-through: no latency and no clock slaving. */
  g_object_set (s->webrtcbin, "latency", 0, "ice-transport-policy", policy,
      NULL);
  rtpbin = gst_bin_get_by_name (GST_BIN (s->webrtcbin), "rtpbin");
  if (rtpbin) {
    gst_util_set_object_arg (G_OBJECT (rtpbin), "buffer-mode", "none");
    if (!publish)
      g_signal_connect (rtpbin, "on-new-ssrc",
          G_CALLBACK (on_subscribe_new_ssrc), s);
    gst_object_unref (rtpbin);
  }
  if (stun)
    g_object_set (s->webrtcbin, "stun-server", stun, NULL);
  if (turn) {
    g_object_set (s->webrtcbin, "turn-server", turn, NULL);
  } else {
    for (i = 0; turns && turns[i]; i++) {
      gboolean ok = FALSE;

      g_signal_emit_by_name (s->webrtcbin, "add-turn-server", turns[i], &ok);
    }
  }
  g_free (stun);
  g_free (turn);
  g_strfreev (turns);

  gst_signal_bridge_configure_agent (self, s->webrtcbin);
  g_signal_connect (s->webrtcbin, "on-ice-candidate",
      G_CALLBACK (on_session_ice_candidate), s);
  if (publish) {
    g_signal_connect (s->webrtcbin, "pad-added",
        G_CALLBACK (on_publish_pad_added), s);
    g_signal_connect (s->webrtcbin, "pad-removed",
        G_CALLBACK (on_publish_pad_removed), s);
  }
  gst_bin_add (GST_BIN (self), s->webrtcbin);
  /* As in the client role: webrtcbin's network sinks must not make us a
   * sink the pipeline waits on for EOS. */
  GST_OBJECT_FLAG_UNSET (self, GST_ELEMENT_FLAG_SINK);
  gst_element_sync_state_with_parent (s->webrtcbin);
  GST_INFO_OBJECT (self, "session %s opened", s->id);
  return s;
}

/* Takes the session's webrtcbin down.  Not from the webrtcbin's own thread
 * nor a streaming thread of it: setting it to NULL joins them. */
static void
session_close (GstSignalBridge * self, Session * s)
{
  GstElement *webrtc;
  GstClockID timer;

  SERVER_LOCK (self);
  s->closed = TRUE;
  webrtc = s->webrtcbin;
  s->webrtcbin = NULL;
  timer = s->timer;
  s->timer = NULL;
  SERVER_UNLOCK (self);

  if (timer) {
    gst_clock_id_unschedule (timer);
    gst_clock_id_unref (timer);
  }
  if (webrtc == NULL)
    return;

  {
    GstElement *rtpbin = gst_bin_get_by_name (GST_BIN (webrtc), "rtpbin");

    if (rtpbin) {
      g_signal_handlers_disconnect_by_data (rtpbin, s);
      gst_object_unref (rtpbin);
    }
  }
  g_signal_handlers_disconnect_by_data (webrtc, s);

  /* Stopping a webrtcbin waits for its streaming threads; while the
   * pipeline goes to PAUSED those can be blocked in another session's
   * prerolling sink, which the state change cannot reach while we hold
   * this webrtcbin's state lock.  So a session closes either before the
   * pause begins or, once it has, with the element at READY. */
  g_mutex_lock (&self->teardown_lock);
  if (self->server_pausing) {
    SERVER_LOCK (self);
    self->closed_webrtcbins = g_list_prepend (self->closed_webrtcbins,
        webrtc);
    SERVER_UNLOCK (self);
    g_mutex_unlock (&self->teardown_lock);
    GST_INFO_OBJECT (self, "session %s closed, stopped at READY", s->id);
    return;
  }
  gst_signal_bridge_remove_webrtcbin (self, webrtc);
  g_mutex_unlock (&self->teardown_lock);
  GST_INFO_OBJECT (self, "session %s closed", s->id);
  gst_object_unref (webrtc);
}

/* A strong reference to the session's webrtcbin, or NULL once closed. */
static GstElement *
session_webrtc (GstSignalBridge * self, Session * s)
{
  GstElement *webrtc = NULL;

  SERVER_LOCK (self);
  if (!s->closed && s->webrtcbin)
    webrtc = gst_object_ref (s->webrtcbin);
  SERVER_UNLOCK (self);
  return webrtc;
}

/* ---------------------------------------------------------------------- */
/* Publish sessions: the participant offers */

typedef struct
{
  Session *session;
  GstSDPMessage *offer;
} AnswerData;

static void
answer_data_free (gpointer p)
{
  AnswerData *d = p;

  session_unref (d->session);
  gst_sdp_message_free (d->offer);
  g_free (d);
}

static void
on_publish_answer_created (GstPromise * promise, gpointer user_data)
{
  AnswerData *d = user_data;
  Session *s = d->session;
  GstSignalBridge *self = s->bridge;
  const GstStructure *reply = NULL;
  GstWebRTCSessionDescription *answer = NULL;
  GstElement *webrtc;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply == NULL || !gst_structure_get (reply, "answer",
          GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL)) {
    GST_WARNING_OBJECT (self, "%s: could not answer the offer", s->id);
    return;
  }
  convene_sdp_complete_answer (d->offer, answer->sdp);
  webrtc = session_webrtc (self, s);
  if (webrtc) {
    /* Sent before it is applied: the publisher must see the answer before
     * our first candidate. */
    gst_convene_signaller_send_sdp (self->signaller, s->id, answer);
    g_signal_emit_by_name (webrtc, "set-local-description", answer, NULL);
    gst_object_unref (webrtc);
  }
  gst_webrtc_session_description_free (answer);
}

static void
on_publish_offer_set (GstPromise * promise, gpointer user_data)
{
  AnswerData *d = user_data;
  GstElement *webrtc = session_webrtc (d->session->bridge, d->session);
  GstPromise *answer;

  if (webrtc == NULL) {
    answer_data_free (d);
    return;
  }
  answer = gst_promise_new_with_change_func (on_publish_answer_created, d,
      answer_data_free);
  g_signal_emit_by_name (webrtc, "create-answer", NULL, answer);
  gst_object_unref (webrtc);
}

static GstPadProbeReturn
drop_if_unlinked (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  /* A track the worker did not link must not stop webrtcbin with
   * not-linked: everyone else's media goes through the same pipeline. */
  if (!gst_pad_is_linked (GST_PAD (user_data)))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

static void
expose_pub_pad (GstSignalBridge * self, Session * s, GstPad * target,
    const gchar * track_id, const gchar * kind, guint layer, const gchar * rid)
{
  GstSignalBridgeParticipant *p;
  GstPadTemplate *templ;
  GstPad *ghost;
  GstCaps *caps;
  gchar *name;

  SERVER_LOCK (self);
  p = s->closed ? NULL : get_participant (self, s->participant_id, FALSE);
  if (p == NULL) {
    SERVER_UNLOCK (self);
    return;
  }
  name = g_strdup_printf ("pub_%u", self->pub_count++);
  caps = gst_pad_get_current_caps (target);
  if (caps && layer == 0)
    g_hash_table_replace (p->track_caps, g_strdup (track_id),
        gst_caps_ref (caps));
  SERVER_UNLOCK (self);

  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
      "pub_%u");
  ghost = gst_signal_bridge_pad_new (name, templ, s->participant_id,
      s->participant_id, track_id, kind, layer, rid);
  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), target);
  /* The probe may outlive the pad's place on the element. */
  gst_pad_add_probe (target,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      drop_if_unlinked, gst_object_ref (ghost), gst_object_unref);
  g_object_set_data_full (G_OBJECT (target), "signalbridge-pub",
      gst_object_ref (ghost), gst_object_unref);
  gst_pad_set_active (ghost, TRUE);
  GST_INFO_OBJECT (self, "%s: %s carries %s track %s layer %u rid '%s' "
      "%" GST_PTR_FORMAT, s->participant_id, name, kind, track_id, layer,
      GST_STR_NULL (rid), caps);
  if (caps)
    gst_caps_unref (caps);
  g_free (name);

  SERVER_LOCK (self);
  p = s->closed ? NULL : get_participant (self, s->participant_id, FALSE);
  if (p)
    p->pub_pads = g_list_prepend (p->pub_pads, gst_object_ref (ghost));
  SERVER_UNLOCK (self);
  if (p == NULL) {
    gst_object_unref (ghost);
    return;
  }
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("signalbridge-track", "participant-id",
              G_TYPE_STRING, s->participant_id, "track-id", G_TYPE_STRING,
              track_id, "kind", G_TYPE_STRING, kind, "layer", G_TYPE_UINT,
              layer, "pad", G_TYPE_STRING, GST_PAD_NAME (ghost), NULL)));
}

typedef struct
{
  Session *session;
  gchar *track_id;
  gchar *kind;
  gchar **rids;
  guint rid_ext;
  guint32 *sim_ssrcs;           /* SSRC-signalled simulcast, lowest first */
  guint n_sim;
} RidWait;

static void
rid_wait_free (gpointer p)
{
  RidWait *w = p;

  session_unref (w->session);
  g_free (w->track_id);
  g_free (w->kind);
  g_strfreev (w->rids);
  g_free (w->sim_ssrcs);
  g_free (w);
}

/* Simulcast: webrtcbin gives each received SSRC a pad of its own but does
 * not know rids, so the first packet's rtp-stream-id extension says which
 * layer the pad carries; it is exposed then. */
static GstPadProbeReturn
read_rid (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RidWait *w = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gpointer data = NULL;
  guint size = 0, layer = 0;
  gchar rid[17] = "";

  guint32 ssrc;

  if (!(GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
      || buf == NULL || !gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_DROP;
  if (w->rid_ext > 0 && gst_rtp_buffer_get_extension_onebyte_header (&rtp,
          w->rid_ext, 0, &data, &size) && size > 0)
    memcpy (rid, data, MIN (size, sizeof (rid) - 1));
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  gst_rtp_buffer_unmap (&rtp);

  /* SSRC-signalled simulcast (a=ssrc-group:SIM): the SSRC is the layer. */
  if (w->sim_ssrcs) {
    for (layer = 0; layer < w->n_sim; layer++)
      if (w->sim_ssrcs[layer] == ssrc)
        break;
    if (layer == w->n_sim) {
      GST_WARNING_OBJECT (w->session->bridge, "%s: SSRC %u is in no SIM "
          "group", w->session->id, ssrc);
      return GST_PAD_PROBE_DROP;
    }
    expose_pub_pad (w->session->bridge, w->session, pad, w->track_id,
        w->kind, layer, "");
    return GST_PAD_PROBE_REMOVE;
  }

  /* Without the extension (yet) the packet cannot be placed: drop it, the
   * next ones carry it. */
  if (rid[0] == '\0')
    return GST_PAD_PROBE_DROP;
  for (layer = 0; w->rids[layer]; layer++)
    if (g_str_equal (w->rids[layer], rid))
      break;
  if (w->rids[layer] == NULL) {
    GST_WARNING_OBJECT (w->session->bridge, "%s: unknown rid '%s'",
        w->session->id, rid);
    return GST_PAD_PROBE_DROP;
  }
  expose_pub_pad (w->session->bridge, w->session, pad, w->track_id, w->kind,
      layer, rid);
  return GST_PAD_PROBE_REMOVE;
}

static void
on_publish_pad_added (GstElement * webrtc, GstPad * pad, Session * s)
{
  GstSignalBridge *self = s->bridge;
  GstWebRTCRTPTransceiver *trans = NULL;
  gchar *mid = NULL, *track_id = NULL, **rids = NULL;
  gchar kindbuf[16];
  const gchar *kind = NULL;
  guint rid_ext = 0, n_sim = 0;
  guint32 *sim_ssrcs = NULL;
  GstCaps *caps;
  const gchar *media = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_object_get (pad, "transceiver", &trans, NULL);
  if (trans) {
    g_object_get (trans, "mid", &mid, NULL);
    gst_object_unref (trans);
  }
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps && !gst_caps_is_empty (caps))
    media = gst_structure_get_string (gst_caps_get_structure (caps, 0),
        "media");

  SERVER_LOCK (self);
  if (mid && s->mids) {
    ConveneMidInfo *info = g_hash_table_lookup (s->mids, mid);

    if (info) {
      track_id = g_strdup (info->track_id);
      rids = g_strdupv (info->rids);
      rid_ext = info->rid_ext;
      if (info->sim_ssrcs) {
        sim_ssrcs = g_memdup2 (info->sim_ssrcs,
            sizeof (guint32) * info->n_sim);
        n_sim = info->n_sim;
      }
    }
  }
  if (track_id == NULL)
    track_id = g_strdup (mid ? mid : GST_PAD_NAME (pad));
  kind = announced_kind (get_participant (self, s->participant_id, FALSE),
      track_id, kindbuf, sizeof (kindbuf));
  SERVER_UNLOCK (self);
  if (kind == NULL)
    kind = g_strcmp0 (media, "audio") == 0 ? "audio" : "video";

  if ((rids && rid_ext > 0) || sim_ssrcs) {
    RidWait *w = g_new0 (RidWait, 1);

    w->session = session_ref (s);
    w->track_id = g_strdup (track_id);
    w->kind = g_strdup (kind);
    w->rids = rids;
    w->rid_ext = rid_ext;
    w->sim_ssrcs = g_steal_pointer (&sim_ssrcs);
    w->n_sim = n_sim;
    rids = NULL;
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, read_rid, w, rid_wait_free);
  } else {
    expose_pub_pad (self, s, pad, track_id, kind, 0, "");
  }
  if (caps)
    gst_caps_unref (caps);
  g_strfreev (rids);
  g_free (sim_ssrcs);
  g_free (track_id);
  g_free (mid);
}

static void
remove_pub_pad (GstSignalBridge * self, const gchar * participant_id,
    GstPad * ghost)
{
  GstSignalBridgeParticipant *p;
  GList *l = NULL;

  SERVER_LOCK (self);
  p = get_participant (self, participant_id, FALSE);
  if (p && (l = g_list_find (p->pub_pads, ghost)))
    p->pub_pads = g_list_delete_link (p->pub_pads, l);
  SERVER_UNLOCK (self);

  if (GST_OBJECT_PARENT (ghost) == GST_OBJECT (self))
    gst_element_remove_pad (GST_ELEMENT (self), ghost);
  if (l)
    gst_object_unref (ghost);
}

static void
on_publish_pad_removed (GstElement * webrtc, GstPad * pad, Session * s)
{
  GstPad *ghost = g_object_steal_data (G_OBJECT (pad), "signalbridge-pub");

  if (ghost == NULL)
    return;
  remove_pub_pad (s->bridge, s->participant_id, ghost);
  gst_object_unref (ghost);
}

static void
handle_publish_offer (GstSignalBridge * self, const gchar * participant_id,
    GstWebRTCSessionDescription * desc)
{
  GstSignalBridgeParticipant *p;
  Session *s = NULL;
  AnswerData *d;
  GstElement *webrtc;
  GstPromise *promise;
  GHashTable *mids;

  SERVER_LOCK (self);
  p = get_participant (self, participant_id, TRUE);
  if (p->publish)
    s = session_ref (p->publish);
  SERVER_UNLOCK (self);

  if (s == NULL) {
    Session *made = session_new (self, participant_id, TRUE);

    if (made == NULL)
      goto fail_webrtcbin;
    SERVER_LOCK (self);
    p = get_participant (self, participant_id, TRUE);
    if (p->publish == NULL)
      p->publish = session_ref (made);
    s = session_ref (p->publish);
    SERVER_UNLOCK (self);
    if (s != made)
      session_close (self, made);
    session_unref (made);
  }

  mids = convene_sdp_publish_tracks (desc->sdp);
  SERVER_LOCK (self);
  g_clear_pointer (&s->mids, g_hash_table_unref);
  s->mids = mids;
  SERVER_UNLOCK (self);
  webrtc = session_webrtc (self, s);
  if (webrtc) {
    d = g_new0 (AnswerData, 1);
    d->session = session_ref (s);
    gst_sdp_message_copy (desc->sdp, &d->offer);
    promise = gst_promise_new_with_change_func (on_publish_offer_set, d,
        NULL);
    g_signal_emit_by_name (webrtc, "set-remote-description", desc, promise);
    gst_object_unref (webrtc);
  }
  session_unref (s);
  return;

fail_webrtcbin:
  GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN, ("webrtcbin is missing"),
      (NULL));
}

/* ---------------------------------------------------------------------- */
/* Subscribe sessions: we offer */

static void schedule_offer (GstSignalBridge * self, Session * s);

static void
on_subscribe_offer_created (GstPromise * promise, gpointer user_data)
{
  Session *s = user_data;
  GstSignalBridge *self = s->bridge;
  const GstStructure *reply = NULL;
  GstWebRTCSessionDescription *offer = NULL;
  GstElement *webrtc;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply == NULL || !gst_structure_get (reply, "offer",
          GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL)) {
    GST_WARNING_OBJECT (self, "%s: could not create an offer", s->id);
    SERVER_LOCK (self);
    s->offering = FALSE;
    SERVER_UNLOCK (self);
    return;
  }
  /* webrtcbin 1.22 drops goog-remb from the codec preferences; without it
   * browsers send no REMB and subscriber-estimate would stay silent. */
  convene_sdp_add_remb (offer->sdp);
  SERVER_LOCK (self);
  convene_sdp_add_ssrcs (offer->sdp, s->ssrcs);
  SERVER_UNLOCK (self);
  webrtc = session_webrtc (self, s);
  if (webrtc) {
    gst_convene_signaller_send_sdp (self->signaller, s->id, offer);
    g_signal_emit_by_name (webrtc, "set-local-description", offer, NULL);
    gst_object_unref (webrtc);
  }
  gst_webrtc_session_description_free (offer);
}

static gboolean
on_offer_timer (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  Session *s = user_data;
  GstSignalBridge *self = s->bridge;
  GstElement *webrtc = NULL;
  gboolean offer = FALSE;

  SERVER_LOCK (self);
  if (s->timer == id) {
    gst_clock_id_unref (s->timer);
    s->timer = NULL;
  }
  /* One offer at a time: an answer still awaited re-runs us. */
  if (s->offering && time > s->offered_at + ANSWER_TIMEOUT) {
    GST_WARNING_OBJECT (self, "%s: no answer for %" GST_TIME_FORMAT
        ", offering again", s->id, GST_TIME_ARGS (time - s->offered_at));
    s->offering = FALSE;
  }
  if (!s->closed && s->renegotiate && !s->offering) {
    s->renegotiate = FALSE;
    s->offering = TRUE;
    s->offered_at = time;
    s->offered_gen = s->pad_gen;
    offer = TRUE;
    webrtc = gst_object_ref (s->webrtcbin);
  }
  SERVER_UNLOCK (self);

  if (offer) {
    GST_DEBUG_OBJECT (self, "%s: offering", s->id);
    g_signal_emit_by_name (webrtc, "create-offer", NULL,
        gst_promise_new_with_change_func (on_subscribe_offer_created,
            session_ref (s), session_unref));
    gst_object_unref (webrtc);
  }
  return TRUE;
}

static void
schedule_offer (GstSignalBridge * self, Session * s)
{
  GstClock *clock;

  clock = gst_system_clock_obtain ();
  SERVER_LOCK (self);
  s->renegotiate = TRUE;
  if (s->closed || s->timer || (s->offering
          && gst_clock_get_time (clock) <= s->offered_at + ANSWER_TIMEOUT)) {
    SERVER_UNLOCK (self);
    gst_object_unref (clock);
    return;
  }
  s->timer = gst_clock_new_single_shot_id (clock,
      gst_clock_get_time (clock) + RENEGOTIATE_DELAY);
  gst_clock_id_wait_async (s->timer, on_offer_timer, session_ref (s),
      session_unref);
  gst_object_unref (clock);
  SERVER_UNLOCK (self);
}

typedef struct
{
  Session *session;             /* owned ref */
  guint gen;                    /* what the answered offer covered */
} OfferGen;

static void
answer_gen_free (gpointer p)
{
  OfferGen *d = p;

  session_unref (d->session);
  g_free (d);
}

/* Opens the gates of the pads the answered offer covered and asks for a
 * keyframe on the video ones: whatever keyframe came before was dropped. */
static void
open_sub_gates (GstSignalBridge * self, Session * s, guint gen)
{
  GstSignalBridgeParticipant *p;
  GList *opened = NULL, *l;
  guint old;

  SERVER_LOCK (self);
  old = (guint) g_atomic_int_get (&s->answered_gen);
  if (gen <= old) {
    SERVER_UNLOCK (self);
    return;
  }
  g_atomic_int_set (&s->answered_gen, (gint) gen);
  p = get_participant (self, s->participant_id, FALSE);
  for (l = p ? p->sub_pads : NULL; l; l = l->next) {
    guint g = GPOINTER_TO_UINT (g_object_get_data (l->data,
            "signalbridge-gen"));
    if (g > old && g <= gen)
      opened = g_list_prepend (opened, gst_object_ref (l->data));
  }
  SERVER_UNLOCK (self);

  for (l = opened; l; l = l->next) {
    gchar *kind = NULL;

    g_object_get (l->data, "kind", &kind, NULL);
    GST_DEBUG_OBJECT (self, "%s: %s negotiated, forwarding", s->id,
        GST_PAD_NAME (l->data));
    if (g_strcmp0 (kind, "audio") != 0)
      gst_pad_push_event (l->data,
          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
              TRUE, 0));
    g_free (kind);
  }
  g_list_free_full (opened, gst_object_unref);
}

static void
on_subscribe_answer_set (GstPromise * promise, gpointer user_data)
{
  OfferGen *d = user_data;
  Session *s = d->session;
  GstSignalBridge *self = s->bridge;
  const GstStructure *reply = NULL;
  gboolean again, failed = FALSE;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "error")) {
    GST_WARNING_OBJECT (self, "%s: the subscriber's answer was refused: %"
        GST_PTR_FORMAT, s->id, reply);
    failed = TRUE;
  }
  if (!failed)
    open_sub_gates (self, s, d->gen);
  SERVER_LOCK (self);
  s->offering = FALSE;
  again = s->renegotiate || failed;
  if (failed)
    s->renegotiate = TRUE;
  SERVER_UNLOCK (self);
  if (again)
    schedule_offer (self, s);
}

static void
handle_subscribe_answer (GstSignalBridge * self, const gchar * participant_id,
    GstWebRTCSessionDescription * desc)
{
  GstSignalBridgeParticipant *p;
  Session *s = NULL;
  GstElement *webrtc = NULL;

  OfferGen *d = NULL;

  SERVER_LOCK (self);
  p = get_participant (self, participant_id, FALSE);
  if (p && p->subscribe) {
    s = session_ref (p->subscribe);
    if (!s->closed && s->webrtcbin) {
      webrtc = gst_object_ref (s->webrtcbin);
      d = g_new0 (OfferGen, 1);
      d->session = session_ref (s);
      d->gen = s->offered_gen;
    }
  }
  SERVER_UNLOCK (self);

  if (webrtc) {
    g_signal_emit_by_name (webrtc, "set-remote-description", desc,
        gst_promise_new_with_change_func (on_subscribe_answer_set,
            d, answer_gen_free));
    gst_object_unref (webrtc);
  } else {
    GST_WARNING_OBJECT (self, "answer for %s without a subscribe session",
        participant_id);
  }
  if (s)
    session_unref (s);
}

static void
on_feedback_rtcp (GObject * rtpsession, guint type, guint fbtype,
    guint sender_ssrc, guint media_ssrc, GstBuffer * fci, Session * s)
{
  GstMapInfo map;
  guint bitrate = 0;
  gboolean remb;

  if (type != GST_RTCP_TYPE_PSFB || fbtype != GST_RTCP_PSFB_TYPE_AFB
      || fci == NULL || !gst_buffer_map (fci, &map, GST_MAP_READ))
    return;
  remb = convene_remb_parse (map.data, map.size, &bitrate);
  gst_buffer_unmap (fci, &map);
  if (remb)
    g_signal_emit (s->bridge, server_signals[SIGNAL_SUBSCRIBER_ESTIMATE], 0,
        s->participant_id, bitrate);
}

static void
on_subscribe_new_ssrc (GstElement * rtpbin, guint session, guint ssrc,
    Session * s)
{
  GObject *rtpsession = NULL;
  gboolean hook;

  SERVER_LOCK (s->bridge);
  hook = !s->estimate_hooked && !s->closed;
  s->estimate_hooked = TRUE;
  SERVER_UNLOCK (s->bridge);
  if (!hook)
    return;
  g_signal_emit_by_name (rtpbin, "get-internal-session", session,
      &rtpsession);
  if (rtpsession) {
    /* The session lives as long as the webrtcbin, which we disconnect
     * from before the session goes. */
    g_signal_connect (rtpsession, "on-feedback-rtcp",
        G_CALLBACK (on_feedback_rtcp), s);
    g_object_set_data_full (G_OBJECT (rtpsession), "signalbridge-session",
        session_ref (s), session_unref);
    g_object_unref (rtpsession);
  }
}

/* Codec preferences for a subscriber's m-line: the publisher's RTP caps
 * when known (so the SDP offers what will be forwarded), else our
 * defaults; with the feedback the forwarding path relies on. */
static GstCaps *
subscriber_caps (GstSignalBridge * self, const gchar * publisher_id,
    const gchar * track_id, const gchar * kind)
{
  GstSignalBridgeParticipant *pub;
  GstCaps *known = NULL, *caps;
  GstStructure *s;
  gboolean audio = g_strcmp0 (kind, "audio") == 0;

  SERVER_LOCK (self);
  pub = get_participant (self, publisher_id, FALSE);
  if (pub && (known = g_hash_table_lookup (pub->track_caps, track_id)))
    known = gst_caps_ref (known);
  SERVER_UNLOCK (self);

  if (known && !gst_caps_is_empty (known)) {
    const GstStructure *k = gst_caps_get_structure (known, 0);
    const gchar *field[] = { "media", "encoding-name", "clock-rate",
      "payload", "encoding-params", "packetization-mode",
      "profile-level-id", "level-asymmetry-allowed", "sprop-stereo",
      "minptime", "useinbandfec", NULL
    };
    guint i;

    s = gst_structure_new_empty ("application/x-rtp");
    for (i = 0; field[i]; i++)
      if (gst_structure_has_field (k, field[i]))
        gst_structure_set_value (s, field[i],
            gst_structure_get_value (k, field[i]));
    caps = gst_caps_new_full (s, NULL);
  } else if (audio) {
    caps = gst_caps_from_string ("application/x-rtp,media=audio,"
        "encoding-name=OPUS,clock-rate=48000,payload=111,"
        "encoding-params=(string)2");
  } else {
    caps = gst_caps_from_string ("application/x-rtp,media=video,"
        "encoding-name=VP8,clock-rate=90000,payload=96");
  }
  if (known)
    gst_caps_unref (known);
  if (!audio)
    gst_caps_set_simple (caps, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
        "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE,
        "rtcp-fb-goog-remb", G_TYPE_BOOLEAN, TRUE, NULL);
  return caps;
}

static void
sub_gate_free (gpointer p)
{
  SubGate *g = p;

  session_unref (g->session);
  g_free (g);
}

static GstPadProbeReturn
sub_gate (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  SubGate *g = user_data;

  if ((guint) g_atomic_int_get (&g->session->answered_gen) >= g->gen)
    return GST_PAD_PROBE_OK;
  return GST_PAD_PROBE_DROP;
}

static GstPad *
add_subscriber_track (GstSignalBridge * self, const gchar * subscriber_id,
    const gchar * publisher_id, const gchar * track_id, const gchar * kind)
{
  GstSignalBridgeParticipant *p;
  Session *s = NULL;
  GstElement *webrtc = NULL;
  GstPadTemplate *templ;
  GstPad *webrtc_pad, *ghost;
  GstWebRTCRTPTransceiver *trans = NULL;
  GstCaps *caps;
  gchar *name, *msid;

  if (subscriber_id == NULL || publisher_id == NULL || track_id == NULL
      || kind == NULL)
    goto fail_args;

  SERVER_LOCK (self);
  p = get_participant (self, subscriber_id, FALSE);
  if (p && p->subscribe)
    s = session_ref (p->subscribe);
  SERVER_UNLOCK (self);
  if (p == NULL)
    goto fail_unknown;

  if (s == NULL) {
    Session *made = session_new (self, subscriber_id, FALSE);

    if (made == NULL)
      goto fail_unknown;
    SERVER_LOCK (self);
    p = get_participant (self, subscriber_id, FALSE);
    if (p && p->subscribe == NULL)
      p->subscribe = session_ref (made);
    s = p && p->subscribe ? session_ref (p->subscribe) : NULL;
    SERVER_UNLOCK (self);
    if (s != made)
      session_close (self, made);
    session_unref (made);
    if (s == NULL)
      goto fail_unknown;
  }

  webrtc = session_webrtc (self, s);
  if (webrtc == NULL)
    goto fail_closed;

  caps = subscriber_caps (self, publisher_id, track_id, kind);
  msid = g_strdup_printf ("%s %s", publisher_id, track_id);
  webrtc_pad = gst_element_request_pad (webrtc,
      gst_element_get_pad_template (webrtc, "sink_%u"), NULL, caps);
  if (webrtc_pad == NULL) {
    gst_caps_unref (caps);
    g_free (msid);
    goto fail_closed;
  }
  /* The m-line's a=msid tells the subscriber whose track it is: webrtcbin
   * 1.22 writes the pad's msid as the stream and copies "a-" fields of the
   * codec preferences into the m-line. */
  g_object_set (webrtc_pad, "msid", publisher_id, NULL);
  gst_caps_set_simple (caps, "a-msid", G_TYPE_STRING, msid, NULL);
  g_object_get (webrtc_pad, "transceiver", &trans, NULL);
  if (trans) {
    g_object_set (trans, "codec-preferences", caps, "direction",
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
    gst_object_unref (trans);
  }
  gst_caps_unref (caps);
  g_free (msid);

  SERVER_LOCK (self);
  name = g_strdup_printf ("sub_%u", self->sub_count++);
  SERVER_UNLOCK (self);
  templ = gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
      "sub_%u");
  ghost = gst_signal_bridge_pad_new (name, templ, subscriber_id,
      publisher_id, track_id, kind, 0, "");
  g_free (name);
  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), webrtc_pad);
  {
    guint32 ssrc;
    SubGate *gate = g_new0 (SubGate, 1);

    do
      ssrc = g_random_int ();
    while (ssrc == 0);
    SERVER_LOCK (self);
    g_hash_table_replace (s->ssrcs, g_strdup_printf ("%s %s", publisher_id,
            track_id), GUINT_TO_POINTER (ssrc));
    gate->gen = ++s->pad_gen;
    SERVER_UNLOCK (self);
    gate->session = session_ref (s);
    g_object_set_data (G_OBJECT (ghost), "signalbridge-gen",
        GUINT_TO_POINTER (gate->gen));
    gst_pad_add_probe (webrtc_pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, sub_gate, gate, sub_gate_free);
    gst_pad_add_probe (webrtc_pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, gst_signal_bridge_set_announced_ssrc,
        GUINT_TO_POINTER (ssrc), NULL);
    g_signal_connect (ghost, "linked", G_CALLBACK (gst_signal_bridge_on_sub_linked),
        GUINT_TO_POINTER (ssrc));
  }
  g_object_set_data_full (G_OBJECT (ghost), "signalbridge-webrtc-pad",
      webrtc_pad, gst_object_unref);
  g_object_set_data_full (G_OBJECT (ghost), "signalbridge-session",
      session_ref (s), session_unref);
  gst_pad_set_active (ghost, TRUE);

  SERVER_LOCK (self);
  p = get_participant (self, subscriber_id, FALSE);
  if (p)
    p->sub_pads = g_list_prepend (p->sub_pads, gst_object_ref (ghost));
  SERVER_UNLOCK (self);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  GST_INFO_OBJECT (self, "%s: %s forwards %s's %s track %s", subscriber_id,
      GST_PAD_NAME (ghost), publisher_id, kind, track_id);

  schedule_offer (self, s);
  gst_object_unref (webrtc);
  session_unref (s);
  /* Transfer full, as gst_element_request_pad. */
  return gst_object_ref (ghost);

fail_args:
  GST_WARNING_OBJECT (self, "add-subscriber-track needs all four arguments");
  return NULL;
fail_unknown:
  GST_WARNING_OBJECT (self, "add-subscriber-track: no participant %s",
      subscriber_id);
  return NULL;
fail_closed:
  GST_WARNING_OBJECT (self, "add-subscriber-track: %s's subscribe session "
      "is closed", subscriber_id);
  if (webrtc)
    gst_object_unref (webrtc);
  session_unref (s);
  return NULL;
}

/* Called for sub_%u pads from gst_element_release_request_pad. */
void
gst_signal_bridge_server_release_pad (GstSignalBridge * self, GstPad * pad)
{
  Session *s = g_object_steal_data (G_OBJECT (pad), "signalbridge-session");
  GstPad *webrtc_pad = g_object_steal_data (G_OBJECT (pad),
      "signalbridge-webrtc-pad");
  GstSignalBridgeParticipant *p;
  GList *l = NULL;
  gchar *subscriber = NULL;

  g_object_get (pad, "participant-id", &subscriber, NULL);
  if (s) {
    gchar *pub = NULL, *track = NULL, *msid;

    g_object_get (pad, "publisher-id", &pub, "track-id", &track, NULL);
    msid = g_strdup_printf ("%s %s", pub, track);
    SERVER_LOCK (self);
    g_hash_table_remove (s->ssrcs, msid);
    SERVER_UNLOCK (self);
    g_free (msid);
    g_free (pub);
    g_free (track);
  }
  SERVER_LOCK (self);
  p = subscriber ? get_participant (self, subscriber, FALSE) : NULL;
  if (p && (l = g_list_find (p->sub_pads, pad)))
    p->sub_pads = g_list_delete_link (p->sub_pads, l);
  SERVER_UNLOCK (self);
  g_free (subscriber);

  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), NULL);
  gst_element_remove_pad (GST_ELEMENT (self), pad);
  if (l)
    gst_object_unref (pad);

  if (webrtc_pad) {
    GstWebRTCRTPTransceiver *trans = NULL;
    GstObject *webrtc = gst_object_get_parent (GST_OBJECT (webrtc_pad));

    /* The m-line stays (SDP never removes one) but goes inactive, which
     * ends the track on the subscriber's side. */
    g_object_get (webrtc_pad, "transceiver", &trans, NULL);
    if (trans) {
      g_object_set (trans, "direction",
          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
      gst_object_unref (trans);
    }
    if (webrtc) {
      gst_element_release_request_pad (GST_ELEMENT (webrtc), webrtc_pad);
      gst_object_unref (webrtc);
    }
    gst_object_unref (webrtc_pad);
  }
  if (s) {
    schedule_offer (self, s);
    session_unref (s);
  }
}

/* ---------------------------------------------------------------------- */
/* Participants */

static void
remove_participant (GstSignalBridge * self, const gchar * id, gboolean tell)
{
  GstSignalBridgeParticipant *p;
  GList *pads = NULL, *subs = NULL, *l;
  Session *pub = NULL, *sub = NULL;

  SERVER_LOCK (self);
  p = get_participant (self, id, FALSE);
  SERVER_UNLOCK (self);
  if (p == NULL)
    return;

  /* The worker releases its pads first, while they still exist. */
  if (tell)
    g_signal_emit (self, server_signals[SIGNAL_PARTICIPANT_LEFT], 0, id);

  SERVER_LOCK (self);
  p = get_participant (self, id, FALSE);
  if (p) {
    g_hash_table_steal (self->participants, id);
    pads = p->pub_pads;
    p->pub_pads = NULL;
    subs = p->sub_pads;
    p->sub_pads = NULL;
    pub = p->publish;
    p->publish = NULL;
    sub = p->subscribe;
    p->subscribe = NULL;
  }
  SERVER_UNLOCK (self);
  if (p == NULL)
    return;

  for (l = pads; l; l = l->next)
    if (GST_OBJECT_PARENT (l->data) == GST_OBJECT (self))
      gst_element_remove_pad (GST_ELEMENT (self), l->data);
  g_list_free_full (pads, gst_object_unref);
  /* Subscriber pads the worker kept: they end with the session. */
  for (l = subs; l; l = l->next) {
    g_object_set_data (l->data, "signalbridge-session", NULL);
    if (GST_OBJECT_PARENT (l->data) == GST_OBJECT (self))
      gst_element_remove_pad (GST_ELEMENT (self), l->data);
  }
  g_list_free_full (subs, gst_object_unref);
  if (pub) {
    session_close (self, pub);
    session_unref (pub);
  }
  if (sub) {
    session_close (self, sub);
    session_unref (sub);
  }
  participant_free (p);
  GST_INFO_OBJECT (self, "participant %s removed", id);
}

static void
on_participant_joined (GstConveneSignaller * sig, const gchar * id,
    const gchar * user, GStrv tracks, GstSignalBridge * self)
{
  GstSignalBridgeParticipant *p;
  gboolean known;

  if (self->role != GST_SIGNAL_BRIDGE_ROLE_SERVER)
    return;
  SERVER_LOCK (self);
  known = g_strcmp0 (id, self->own_participant_id) == 0;
  if (!known) {
    p = get_participant (self, id, TRUE);
    g_free (p->user);
    p->user = g_strdup (user);
    g_strfreev (p->tracks);
    p->tracks = g_strdupv (tracks);
  }
  SERVER_UNLOCK (self);
  if (known)
    return;
  GST_INFO_OBJECT (self, "participant %s (%s) joined", id, user);
  g_signal_emit (self, server_signals[SIGNAL_PARTICIPANT_JOINED], 0, id, user);
}

static void
on_participant_left (GstConveneSignaller * sig, const gchar * id,
    GstSignalBridge * self)
{
  if (self->role != GST_SIGNAL_BRIDGE_ROLE_SERVER)
    return;
  GST_INFO_OBJECT (self, "participant %s left", id);
  remove_participant (self, id, TRUE);
}

static void
on_participant_tracks (GstConveneSignaller * sig, const gchar * id,
    GStrv tracks, GstSignalBridge * self)
{
  GstSignalBridgeParticipant *p;

  if (self->role != GST_SIGNAL_BRIDGE_ROLE_SERVER)
    return;
  SERVER_LOCK (self);
  p = get_participant (self, id, FALSE);
  if (p) {
    g_strfreev (p->tracks);
    p->tracks = g_strdupv (tracks);
  }
  SERVER_UNLOCK (self);
}

static void
on_meeting_joined (GstConveneSignaller * sig, const gchar * meeting,
    const gchar * participant_id, const gchar * mode, const gchar * sfu,
    GstSignalBridge * self)
{
  if (self->role != GST_SIGNAL_BRIDGE_ROLE_SERVER)
    return;
  SERVER_LOCK (self);
  g_free (self->own_participant_id);
  self->own_participant_id = g_strdup (participant_id);
  SERVER_UNLOCK (self);
  GST_INFO_OBJECT (self, "joined meeting %s as %s", meeting, participant_id);
}

static void
on_view (GstConveneSignaller * sig, const gchar * from,
    const gchar * participant_id, const gchar * track, guint width,
    guint height, GstSignalBridge * self)
{
  if (self->role != GST_SIGNAL_BRIDGE_ROLE_SERVER)
    return;
  g_signal_emit (self, server_signals[SIGNAL_VIEW], 0, from, participant_id,
      track, width, height);
}

static void
on_recording (GstConveneSignaller * sig, const gchar * action,
    const gchar * recording_id, const gchar * dir, GstSignalBridge * self)
{
  if (self->role != GST_SIGNAL_BRIDGE_ROLE_SERVER)
    return;
  GST_INFO_OBJECT (self, "recording %s: %s in %s", recording_id, action, dir);
  g_signal_emit (self, server_signals[SIGNAL_RECORDING], 0, action,
      recording_id, dir);
}

/* Meeting SDP and ICE ("<participant>/<session>"); returns FALSE if the
 * session id is not a server-role one. */
gboolean
gst_signal_bridge_server_handle_description (GstSignalBridge * self,
    const gchar * session_id, GstWebRTCSessionDescription * desc)
{
  const gchar *slash = strchr (session_id, '/');
  g_autofree gchar *pid = NULL;

  if (self->role != GST_SIGNAL_BRIDGE_ROLE_SERVER || slash == NULL)
    return FALSE;
  pid = g_strndup (session_id, slash - session_id);
  if (g_str_equal (slash + 1, "publish")
      && desc->type == GST_WEBRTC_SDP_TYPE_OFFER)
    handle_publish_offer (self, pid, desc);
  else if (g_str_equal (slash + 1, "subscribe")
      && desc->type == GST_WEBRTC_SDP_TYPE_ANSWER)
    handle_subscribe_answer (self, pid, desc);
  else
    GST_WARNING_OBJECT (self, "ignoring %s for %s",
        gst_webrtc_sdp_type_to_string (desc->type), session_id);
  return TRUE;
}

gboolean
gst_signal_bridge_server_handle_ice (GstSignalBridge * self,
    const gchar * session_id, guint mline, const gchar * candidate)
{
  const gchar *slash = strchr (session_id, '/');
  g_autofree gchar *pid = NULL;
  GstSignalBridgeParticipant *p;
  GstElement *webrtc = NULL;
  Session *s;

  if (self->role != GST_SIGNAL_BRIDGE_ROLE_SERVER || slash == NULL)
    return FALSE;
  if (candidate == NULL || candidate[0] == '\0')
    return TRUE;
  pid = g_strndup (session_id, slash - session_id);
  SERVER_LOCK (self);
  p = get_participant (self, pid, FALSE);
  s = p == NULL ? NULL : g_str_equal (slash + 1, "publish") ? p->publish :
      g_str_equal (slash + 1, "subscribe") ? p->subscribe : NULL;
  if (s && !s->closed && s->webrtcbin)
    webrtc = gst_object_ref (s->webrtcbin);
  SERVER_UNLOCK (self);
  if (webrtc == NULL) {
    GST_DEBUG_OBJECT (self, "candidate for unknown session %s", session_id);
    return TRUE;
  }
  g_signal_emit_by_name (webrtc, "add-ice-candidate", mline, candidate);
  gst_object_unref (webrtc);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Life cycle */

void
gst_signal_bridge_server_connected (GstSignalBridge * self)
{
  gchar *meeting;

  GST_OBJECT_LOCK (self);
  meeting = g_strdup (self->meeting);
  GST_OBJECT_UNLOCK (self);
  if (meeting == NULL || meeting[0] == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("role=server needs the meeting property"), (NULL));
  } else {
    GST_INFO_OBJECT (self, "joining meeting %s as its SFU", meeting);
    gst_convene_signaller_join_meeting (self->signaller, meeting, NULL);
  }
  g_free (meeting);
}

void
gst_signal_bridge_server_stop (GstSignalBridge * self)
{
  GList *ids, *l, *closed;

  SERVER_LOCK (self);
  ids = g_hash_table_get_keys (self->participants);
  for (l = ids; l; l = l->next)
    l->data = g_strdup (l->data);
  g_clear_pointer (&self->own_participant_id, g_free);
  SERVER_UNLOCK (self);

  for (l = ids; l; l = l->next)
    remove_participant (self, l->data, FALSE);
  g_list_free_full (ids, g_free);

  SERVER_LOCK (self);
  closed = self->closed_webrtcbins;
  self->closed_webrtcbins = NULL;
  SERVER_UNLOCK (self);
  for (l = closed; l; l = l->next)
    gst_signal_bridge_remove_webrtcbin (self, l->data);
  g_list_free_full (closed, gst_object_unref);
  gst_signal_bridge_server_pausing (self, FALSE);
}

static void
send_active_speaker (GstSignalBridge * self, const gchar * participant_id)
{
  gchar *meeting;

  GST_OBJECT_LOCK (self);
  meeting = g_strdup (self->meeting);
  GST_OBJECT_UNLOCK (self);
  if (meeting && participant_id)
    gst_convene_signaller_send_active_speaker (self->signaller, meeting,
        participant_id);
  g_free (meeting);
}

void
gst_signal_bridge_server_connect_signaller (GstSignalBridge * self,
    GstConveneSignaller * signaller)
{
  g_signal_connect (signaller, "participant-joined",
      G_CALLBACK (on_participant_joined), self);
  g_signal_connect (signaller, "participant-left",
      G_CALLBACK (on_participant_left), self);
  g_signal_connect (signaller, "participant-tracks",
      G_CALLBACK (on_participant_tracks), self);
  g_signal_connect (signaller, "meeting-joined",
      G_CALLBACK (on_meeting_joined), self);
  g_signal_connect (signaller, "view", G_CALLBACK (on_view), self);
  g_signal_connect (signaller, "recording", G_CALLBACK (on_recording), self);
}

void
gst_signal_bridge_server_init (GstSignalBridge * self)
{
  g_mutex_init (&self->server_lock);
  g_mutex_init (&self->teardown_lock);
  self->participants = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      participant_free);
}

void
gst_signal_bridge_server_finalize (GstSignalBridge * self)
{
  g_hash_table_unref (self->participants);
  g_free (self->own_participant_id);
  g_list_free_full (self->closed_webrtcbins, gst_object_unref);
  g_mutex_clear (&self->server_lock);
  g_mutex_clear (&self->teardown_lock);
}

void
gst_signal_bridge_server_class_init (GstSignalBridgeClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  /**
   * GstSignalBridge::participant-joined:
   * @id: the participant id
   * @user: the participant's user name
   *
   * Server role: a participant is in the meeting (also emitted for those
   * already there when we joined).
   */
  server_signals[SIGNAL_PARTICIPANT_JOINED] =
      g_signal_new ("participant-joined", type, G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstSignalBridge::participant-left:
   * @id: the participant id
   *
   * Server role: emitted before that participant's pads and sessions go,
   * so that the application can release what it linked to them.
   */
  server_signals[SIGNAL_PARTICIPANT_LEFT] =
      g_signal_new ("participant-left", type, G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstSignalBridge::view:
   *
   * Server role: @subscriber_id shows @publisher_id's @track_id at
   * @width x @height (0x0: not shown).
   */
  server_signals[SIGNAL_VIEW] =
      g_signal_new ("view", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
      G_TYPE_UINT, G_TYPE_UINT);

  /**
   * GstSignalBridge::recording:
   * @action: "start" or "stop"
   * @recording_id: the recording
   * @dir: the directory its chunks go to
   *
   * Server role: convened starts or stops the meeting's recording
   * (docs/recording.md); the media worker adds or removes its recorder.
   */
  server_signals[SIGNAL_RECORDING] =
      g_signal_new ("recording", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstSignalBridge::subscriber-estimate:
   *
   * Server role: the bandwidth estimate (bit/s) a subscriber's REMB
   * feedback reports for its subscribe session.
   */
  server_signals[SIGNAL_SUBSCRIBER_ESTIMATE] =
      g_signal_new ("subscriber-estimate", type, G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);

  /**
   * GstSignalBridge::add-subscriber-track:
   * @subscriber_id: who receives the track
   * @publisher_id: whose track it is
   * @track_id: the publisher's track id
   * @kind: "audio", "video" or "screen"
   *
   * Server role: makes a `sub_%u` sink pad feeding that track into the
   * subscriber's subscribe session, which is offered again.  Release it
   * with gst_element_release_request_pad().
   *
   * Returns: (transfer full) (nullable): the pad, as
   * gst_element_request_pad() would
   */
  server_signals[SIGNAL_ADD_SUBSCRIBER_TRACK] =
      g_signal_new_class_handler ("add-subscriber-track", type,
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (add_subscriber_track),
      NULL, NULL, NULL, GST_TYPE_PAD, 4, G_TYPE_STRING, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING);

  /**
   * GstSignalBridge::send-active-speaker:
   * @participant_id: the loudest participant
   *
   * Server role: tells every participant (protocol `active-speaker`).
   */
  server_signals[SIGNAL_SEND_ACTIVE_SPEAKER] =
      g_signal_new_class_handler ("send-active-speaker", type,
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION, G_CALLBACK (send_active_speaker),
      NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &pub_template, GST_TYPE_SIGNAL_BRIDGE_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sub_template, GST_TYPE_SIGNAL_BRIDGE_PAD);
  gst_type_mark_as_plugin_api (GST_TYPE_SIGNAL_BRIDGE_PAD, 0);
}
