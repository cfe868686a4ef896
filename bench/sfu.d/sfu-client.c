/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* sfu-client: the load generator and meter of bench/sfu.
 *
 * One process holds the publisher and every subscriber (2 cores: one
 * process, one pipeline, no decoding), so the server is the only other
 * busy process.  It adds subscribers step by step (--subscribers 1,5,10,…)
 * and, at each step, measures a window of --seconds:
 *
 *   - server CPU (utime+stime of --server-pid, or of convened's
 *     convene-worker child) / RTP packets received by all subscribers
 *   - server RSS at the end of the window
 *   - delivery: received / (sent by the publisher x N)
 *   - added latency: the publisher stamps each video packet as it enters
 *     its webrtcbin (monotonic clock, keyed by a hash of the RTP payload,
 *     which neither SFU rewrites); a subscriber looks the same payload up
 *     when it leaves its webrtcbin (latency=0, so no jitter-buffer wait)
 *   - join-to-first-packet of each new subscriber
 *
 * --mode janus talks to Janus's videoroom over its HTTP API; --mode convene
 * uses signalbridge bots in a meeting (signalbridge meeting=ID). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <nice/nice.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

/* ---------- latency stamps ---------- */

#define STAMP_SLOTS 65536
typedef struct
{
  volatile guint64 hash;
  volatile gint64 t;
} Stamp;
static Stamp stamps[STAMP_SLOTS];

static GMutex lat_lock;
static GArray *lat_samples;     /* gint64 µs, the current window only */
static gboolean lat_on;

static guint64
payload_hash (GstBuffer * buf, gboolean * ok)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint64 h = 1469598103934665603ULL;
  guint len, i, n;
  const guint8 *p;

  *ok = FALSE;
  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return 0;
  len = gst_rtp_buffer_get_payload_len (&rtp);
  p = gst_rtp_buffer_get_payload (&rtp);
  /* The VP8 descriptor (with its 15-bit picture id) plus the start of the
   * frame data tells packets apart; 96 bytes are plenty and cheap. */
  n = MIN (len, 96);
  for (i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  h ^= len;
  h *= 1099511628211ULL;
  gst_rtp_buffer_unmap (&rtp);
  *ok = len > 0;
  return h | 1;                 /* 0 means an empty slot */
}

/* ---------- counters ---------- */

static volatile gint pub_sent;  /* RTP packets into the publisher's webrtcbin */

typedef struct
{
  guint index;
  GstElement *bin;              /* webrtcbin (janus) or signalbridge (convene) */
  GstElement *webrtc;           /* janus: same as bin */
  gint64 join_time;             /* join request sent */
  gint64 ice_time;              /* ICE connected */
  volatile gint64 first_time;   /* first RTP packet */
  volatile gint received;
  /* janus */
  gint64 handle;
  GMutex cand_lock;
  GPtrArray *cands;             /* "mline\ncandidate" */
} Sub;

static GstElement *pipeline;
static GPtrArray *subs;

static void
pub_packet (GstBuffer * buf, gboolean video)
{
  gboolean ok;
  guint64 h;

  g_atomic_int_inc (&pub_sent);
  if (video) {
    h = payload_hash (buf, &ok);
    if (ok) {
      Stamp *s = &stamps[h & (STAMP_SLOTS - 1)];
      s->t = g_get_monotonic_time ();
      s->hash = h;
    }
  }
}

/* The publisher's probe learns the pad's media from its CAPS event: only
 * video is stamped (a sine's Opus packets repeat, so their hashes would). */
static GstPadProbeReturn
pub_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  gint *kind = user_data;       /* -1 unknown, 0 audio, 1 video */
  gboolean video;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gst_event_parse_caps (ev, &caps);
      *kind = g_strcmp0 (gst_structure_get_string (gst_caps_get_structure
              (caps, 0), "media"), "video") == 0;
    }
    return GST_PAD_PROBE_OK;
  }
  video = *kind == 1;
  /* payloaders push a frame's packets as one buffer list (rtpvp8pay
   * straight into webrtcbin, as signalbridge links it) */
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *l = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    for (guint i = 0; i < gst_buffer_list_length (l); i++)
      pub_packet (gst_buffer_list_get (l, i), video);
  } else {
    pub_packet (GST_PAD_PROBE_INFO_BUFFER (info), video);
  }
  return GST_PAD_PROBE_OK;
}

static void
sub_packet (Sub * sub, GstBuffer * buf, gint64 now);

/* SFU_DEBUG_JB=1: the same latency taken at the subscribers'
 * rtpjitterbuffer sink pads (after SRTP, before the jitter buffer), to tell
 * a delay on the way from one inside the receiving webrtcbin. */
static GArray *jb_samples;

static GArray *srtp_samples;   /* publisher: webrtcbin sink -> srtpenc */

static void
jb_packet (GstBuffer * buf, GArray * samples, gint64 now)
{
  gboolean ok;
  guint64 h;

  h = payload_hash (buf, &ok);
  if (ok) {
    Stamp *s = &stamps[h & (STAMP_SLOTS - 1)];
    gint64 t = s->t;
    if (s->hash == h && now >= t && now - t < 5 * G_USEC_PER_SEC) {
      gint64 d = now - t;
      g_mutex_lock (&lat_lock);
      g_array_append_val (samples, d);
      g_mutex_unlock (&lat_lock);
    }
  }
}

static GstPadProbeReturn
jb_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GArray *samples = user_data;
  gint64 now = g_get_monotonic_time ();

  if (!lat_on)
    return GST_PAD_PROBE_OK;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *l = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    for (guint i = 0; i < gst_buffer_list_length (l); i++)
      jb_packet (gst_buffer_list_get (l, i), samples, now);
  } else {
    jb_packet (GST_PAD_PROBE_INFO_BUFFER (info), samples, now);
  }
  return GST_PAD_PROBE_OK;
}

static void
on_srtpenc_pad (GstElement * el, GstPad * pad, gpointer data)
{
  if (GST_PAD_DIRECTION (pad) == GST_PAD_SINK
      && g_str_has_prefix (GST_PAD_NAME (pad), "rtp_sink"))
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, jb_probe, srtp_samples, NULL);
}

static void
on_any_deep_added (GstBin * bin, GstBin * sub_bin, GstElement * el,
    gpointer data)
{
  GstElementFactory *f = gst_element_get_factory (el);

  /* a bin added whole (webrtcbin's transport bins) brings children that
   * deep-element-added never names */
  if (GST_IS_BIN (el)) {
    GstIterator *it = gst_bin_iterate_recurse (GST_BIN (el));
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
      GstElement *c = g_value_get_object (&v);
      if (!GST_IS_BIN (c))
        on_any_deep_added (bin, NULL, c, NULL);
      g_value_reset (&v);
    }
    gst_iterator_free (it);
  }
  if (f && g_strcmp0 (GST_OBJECT_NAME (f), "rtpjitterbuffer") == 0) {
    GstPad *pad = gst_element_get_static_pad (el, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, jb_probe, jb_samples, NULL);
    gst_object_unref (pad);
  } else if (f && g_strcmp0 (GST_OBJECT_NAME (f), "srtpenc") == 0) {
    /* only the publisher sends RTP: its rtp_sink pads */
    GstIterator *it = gst_element_iterate_sink_pads (el);
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
      on_srtpenc_pad (el, g_value_get_object (&v), NULL);
      g_value_reset (&v);
    }
    gst_iterator_free (it);
    g_signal_connect (el, "pad-added", G_CALLBACK (on_srtpenc_pad), NULL);
  }
}

static GstPadProbeReturn
sub_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Sub *sub = user_data;
  gint64 now = g_get_monotonic_time ();

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *l = GST_PAD_PROBE_INFO_BUFFER_LIST (info);
    for (guint i = 0; i < gst_buffer_list_length (l); i++)
      sub_packet (sub, gst_buffer_list_get (l, i), now);
  } else {
    sub_packet (sub, GST_PAD_PROBE_INFO_BUFFER (info), now);
  }
  return GST_PAD_PROBE_OK;
}

static void
sub_packet (Sub * sub, GstBuffer * buf, gint64 now)
{
  gboolean ok;
  guint64 h;

  if (sub->first_time == 0)
    sub->first_time = now;
  g_atomic_int_inc (&sub->received);
  if (!lat_on)
    return;
  h = payload_hash (buf, &ok);
  if (ok) {
    Stamp *s = &stamps[h & (STAMP_SLOTS - 1)];
    gint64 t = s->t;
    if (s->hash == h && now >= t && now - t < 5 * G_USEC_PER_SEC) {
      gint64 d = now - t;
      g_mutex_lock (&lat_lock);
      g_array_append_val (lat_samples, d);
      g_mutex_unlock (&lat_lock);
    }
  }
  return;
}

/* Every RTP src pad of a subscriber goes to a fakesink; the probe sits on
 * the pad itself, before any depayloader (none here: nothing is decoded). */
static void
on_sub_pad_added (GstElement * el, GstPad * pad, gpointer user_data)
{
  Sub *sub = user_data;
  GstElement *sink;
  GstPad *sinkpad;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, sub_probe, sub, NULL);
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("sfu-client: sub %u: could not link %s\n", sub->index,
        GST_PAD_NAME (pad));
  gst_object_unref (sinkpad);
}

static void
on_ice_state (GObject * webrtc, GParamSpec * pspec, gpointer user_data)
{
  Sub *sub = user_data;
  GstWebRTCICEConnectionState st;

  g_object_get (webrtc, "ice-connection-state", &st, NULL);
  if (g_getenv ("SFU_DEBUG")) {
    guint lat;
    g_object_get (webrtc, "latency", &lat, NULL);
    g_printerr ("sub %u: %s ice state %d, latency %u\n", sub->index,
        GST_OBJECT_NAME (webrtc), st, lat);
  }
  if ((st == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED
          || st == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED)
      && sub->first_time == 0)
    sub->ice_time = g_get_monotonic_time ();
}

/* Loopback-only namespace: libnice never gathers 127.0.0.1 by itself, and
 * UPnP would send SSDP multicast. */
static void
configure_agent (GstElement * webrtc, gboolean add_loopback)
{
  GObject *ice = NULL;
  NiceAgent *agent = NULL;

  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (!ice)
    return;
  g_object_get (ice, "agent", &agent, NULL);
  gst_object_unref (ice);
  if (!agent)
    return;
  g_object_set (agent, "upnp", FALSE, NULL);
  if (add_loopback) {
    NiceAddress addr;
    nice_address_init (&addr);
    nice_address_set_from_string (&addr, "127.0.0.1");
    nice_agent_add_local_address (agent, &addr);
  }
  g_object_unref (agent);
}

/* ---------- server process ---------- */

static gint server_pid;         /* janus */
static gint convened_pid;       /* convene: the worker is its child */

static gint
find_worker_pid (void)
{
  DIR *d = opendir ("/proc");
  struct dirent *e;
  gint found = 0;

  if (!d)
    return 0;
  while ((e = readdir (d)) && !found) {
    gchar *path, *text = NULL, *rp;
    gint pid = atoi (e->d_name), ppid = 0;
    if (pid <= 0)
      continue;
    path = g_strdup_printf ("/proc/%d/stat", pid);
    if (g_file_get_contents (path, &text, NULL, NULL)) {
      rp = strrchr (text, ')');
      if (rp && strstr (text, "(convene-worker") && sscanf (rp + 2, "%*c %d",
              &ppid) == 1 && ppid == convened_pid)
        found = pid;
    }
    g_free (text);
    g_free (path);
  }
  closedir (d);
  return found;
}

static gint
current_server_pid (void)
{
  return convened_pid ? find_worker_pid () : server_pid;
}

/* utime + stime in seconds (all threads, dead ones included). */
static gdouble
proc_cpu (gint pid)
{
  gchar *path = g_strdup_printf ("/proc/%d/stat", pid), *text = NULL, *rp;
  unsigned long ut = 0, st = 0;
  gdouble r = -1;

  if (g_file_get_contents (path, &text, NULL, NULL)) {
    rp = strrchr (text, ')');
    if (rp && sscanf (rp + 2,
            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
            &st) == 2)
      r = (gdouble) (ut + st) / sysconf (_SC_CLK_TCK);
  }
  g_free (text);
  g_free (path);
  return r;
}

static glong
proc_rss_kb (gint pid)
{
  gchar *path = g_strdup_printf ("/proc/%d/status", pid), *text = NULL, *p;
  glong kb = -1;

  if (g_file_get_contents (path, &text, NULL, NULL)
      && (p = strstr (text, "VmRSS:")))
    kb = atol (p + 6);
  g_free (text);
  g_free (path);
  return kb;
}

/* ---------- Janus HTTP ---------- */

static gchar *janus_url;
static gint64 janus_session;
static GMutex ev_lock;
static GCond ev_cond;
static GList *events;           /* JsonObject*, oldest first */
static volatile gboolean stopping;

/* libsoup's GBytes are not NUL-terminated. */
static JsonNode *
parse_bytes (GBytes * b)
{
  gsize len;
  const gchar *d = g_bytes_get_data (b, &len);
  gchar *text = g_strndup (d, len);
  JsonNode *n = json_from_string (text, NULL);
  g_free (text);
  return n;
}

static JsonObject *
janus_post (SoupSession * s, const gchar * path, JsonObject * body)
{
  gchar *url = g_strdup_printf ("%s%s", janus_url, path);
  SoupMessage *msg = soup_message_new ("POST", url);
  JsonNode *n = json_node_init_object (json_node_alloc (), body);
  gchar *text = json_to_string (n, FALSE);
  GBytes *req = g_bytes_new_take (text, strlen (text)), *resp;
  GError *err = NULL;
  JsonObject *r = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/json", req);
  resp = soup_session_send_and_read (s, msg, NULL, &err);
  if (g_getenv ("SFU_DEBUG"))
    g_printerr ("POST %s %.300s -> %.*s\n", url, text,
        resp ? (int) MIN (300, g_bytes_get_size (resp)) : 6,
        resp ? (const gchar *) g_bytes_get_data (resp, NULL) : "(none)");
  if (resp) {
    JsonNode *rn = parse_bytes (resp);
    if (rn && JSON_NODE_HOLDS_OBJECT (rn))
      r = json_object_ref (json_node_get_object (rn));
    if (rn)
      json_node_unref (rn);
    g_bytes_unref (resp);
  } else {
    g_printerr ("sfu-client: POST %s: %s\n", url, err->message);
    g_error_free (err);
  }
  g_bytes_unref (req);
  json_node_unref (n);
  g_object_unref (msg);
  g_free (url);
  return r;
}

/* Long poll: every event goes to the list the control thread waits on. */
static gpointer
janus_poller (gpointer data)
{
  SoupSession *s = soup_session_new_with_options ("timeout", 60, NULL);
  gchar *url = g_strdup_printf ("%s/%" G_GINT64_FORMAT "?maxev=20",
      janus_url, janus_session);

  while (!stopping) {
    SoupMessage *msg = soup_message_new ("GET", url);
    GBytes *resp = soup_session_send_and_read (s, msg, NULL, NULL);
    if (resp) {
      JsonNode *rn = parse_bytes (resp);
      GList *got = NULL;
      if (rn && JSON_NODE_HOLDS_ARRAY (rn)) {
        JsonArray *a = json_node_get_array (rn);
        for (guint i = 0; i < json_array_get_length (a); i++)
          got = g_list_append (got,
              json_object_ref (json_array_get_object_element (a, i)));
      } else if (rn && JSON_NODE_HOLDS_OBJECT (rn)) {
        got = g_list_append (got, json_object_ref (json_node_get_object (rn)));
      }
      if (rn)
        json_node_unref (rn);
      g_bytes_unref (resp);
      g_mutex_lock (&ev_lock);
      for (GList * l = got; l; l = l->next) {
        JsonObject *o = l->data;
        const gchar *j = json_object_get_string_member_with_default (o,
            "janus", "");
        /* "media"/"keepalive" events are noise here; keep the list short */
        if (g_str_equal (j, "keepalive") || g_str_equal (j, "media"))
          json_object_unref (o);
        else
          events = g_list_append (events, o);
      }
      g_list_free (got);
      g_cond_broadcast (&ev_cond);
      g_mutex_unlock (&ev_lock);
    } else {
      g_usleep (100000);
    }
    g_object_unref (msg);
  }
  g_free (url);
  g_object_unref (s);
  return NULL;
}

/* Waits for an event from @handle of type @janus (and @tx if given). */
static JsonObject *
janus_wait (gint64 handle, const gchar * janus, const gchar * tx,
    gdouble timeout_s)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  JsonObject *found = NULL;

  g_mutex_lock (&ev_lock);
  while (!found) {
    for (GList * l = events; l; l = l->next) {
      JsonObject *o = l->data;
      if (json_object_get_int_member_with_default (o, "sender", 0) != handle)
        continue;
      if (g_strcmp0 (json_object_get_string_member_with_default (o, "janus",
                  ""), janus) != 0)
        continue;
      if (tx && g_strcmp0 (json_object_get_string_member_with_default (o,
                  "transaction", ""), tx) != 0)
        continue;
      found = o;
      events = g_list_delete_link (events, l);
      break;
    }
    if (!found && !g_cond_wait_until (&ev_cond, &ev_lock, end))
      break;
  }
  g_mutex_unlock (&ev_lock);
  return found;
}

static guint tx_counter;

static JsonObject *
janus_msg (SoupSession * s, gint64 handle, JsonObject * body,
    const gchar * sdp_type, const gchar * sdp, gboolean wait_event)
{
  JsonObject *req = json_object_new (), *r;
  gchar *tx = g_strdup_printf ("t%u", ++tx_counter);
  gchar *path = g_strdup_printf ("/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
      janus_session, handle);

  json_object_set_string_member (req, "janus", "message");
  json_object_set_string_member (req, "transaction", tx);
  json_object_set_object_member (req, "body", body);
  if (sdp) {
    JsonObject *jsep = json_object_new ();
    json_object_set_string_member (jsep, "type", sdp_type);
    json_object_set_string_member (jsep, "sdp", sdp);
    json_object_set_object_member (req, "jsep", jsep);
  }
  r = janus_post (s, path, req);
  json_object_unref (req);
  if (r && wait_event && g_strcmp0 (json_object_get_string_member_with_default
          (r, "janus", ""), "ack") == 0) {
    json_object_unref (r);
    r = janus_wait (handle, "event", tx, 10);
  }
  g_free (path);
  g_free (tx);
  return r;
}

static gint64
janus_attach (SoupSession * s)
{
  JsonObject *req = json_object_new (), *r;
  gchar *path = g_strdup_printf ("/%" G_GINT64_FORMAT, janus_session);
  gint64 id = 0;

  json_object_set_string_member (req, "janus", "attach");
  json_object_set_string_member (req, "plugin", "janus.plugin.videoroom");
  json_object_set_string_member (req, "transaction", "attach");
  r = janus_post (s, path, req);
  if (r && json_object_has_member (r, "data"))
    id = json_object_get_int_member (json_object_get_object_member (r, "data"),
        "id");
  if (r)
    json_object_unref (r);
  json_object_unref (req);
  g_free (path);
  return id;
}

static const gchar *
jsep_sdp (JsonObject * ev)
{
  if (!ev || !json_object_has_member (ev, "jsep"))
    return NULL;
  return json_object_get_string_member (json_object_get_object_member (ev,
          "jsep"), "sdp");
}

static JsonObject *
plugin_data (JsonObject * ev)
{
  if (!ev || !json_object_has_member (ev, "plugindata"))
    return NULL;
  return json_object_get_object_member (json_object_get_object_member (ev,
          "plugindata"), "data");
}

/* ---------- webrtcbin helpers (janus side) ---------- */

static void
on_candidate (GstElement * webrtc, guint mline, gchar * cand, gpointer data)
{
  Sub *sub = data;
  g_mutex_lock (&sub->cand_lock);
  g_ptr_array_add (sub->cands, g_strdup_printf ("%u\n%s", mline, cand));
  g_mutex_unlock (&sub->cand_lock);
}

static GstWebRTCSessionDescription *
promise_desc (GstPromise * p, const gchar * field)
{
  GstWebRTCSessionDescription *d = NULL;
  if (gst_promise_wait (p) == GST_PROMISE_RESULT_REPLIED) {
    const GstStructure *st = gst_promise_get_reply (p);
    if (st)
      gst_structure_get (st, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &d,
          NULL);
  }
  gst_promise_unref (p);
  return d;
}

static void
set_desc (GstElement * webrtc, const gchar * which,
    GstWebRTCSessionDescription * d)
{
  GstPromise *p = gst_promise_new ();
  g_signal_emit_by_name (webrtc, which, d, p);
  gst_promise_wait (p);
  gst_promise_unref (p);
}

/* Waits for ICE gathering (host candidates only: fast), then returns the
 * local SDP with the candidates written in, so no trickle is needed. */
static gchar *
local_sdp_with_candidates (Sub * peer, GstWebRTCSessionDescription * d)
{
  GstWebRTCICEGatheringState gs;
  gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  gchar *text;

  do {
    g_object_get (peer->webrtc, "ice-gathering-state", &gs, NULL);
    if (gs == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
      break;
    g_usleep (2000);
  } while (g_get_monotonic_time () < end);
  g_mutex_lock (&peer->cand_lock);
  for (guint i = 0; i < peer->cands->len; i++) {
    gchar **parts = g_strsplit (peer->cands->pdata[i], "\n", 2);
    guint mline = atoi (parts[0]);
    const gchar *c = parts[1];
    if (g_str_has_prefix (c, "a="))
      c += 2;
    if (g_str_has_prefix (c, "candidate:"))
      c += strlen ("candidate:");
    if (mline < gst_sdp_message_medias_len (d->sdp))
      gst_sdp_media_add_attribute ((GstSDPMedia *)
          gst_sdp_message_get_media (d->sdp, mline), "candidate", c);
    g_strfreev (parts);
  }
  g_mutex_unlock (&peer->cand_lock);
  text = gst_sdp_message_as_text (d->sdp);
  return text;
}

static Sub *
sub_new (guint index)
{
  Sub *s = g_new0 (Sub, 1);
  s->index = index;
  g_mutex_init (&s->cand_lock);
  s->cands = g_ptr_array_new_with_free_func (g_free);
  return s;
}

/* ---------- Janus flow ---------- */

static gint64 janus_room = 1234;
static gint64 janus_feed;

static gboolean
janus_publish (SoupSession * s, Sub * pub)
{
  JsonObject *body, *ev, *data;
  GstWebRTCSessionDescription *offer, *answer;
  GstSDPMessage *sdpmsg;
  gchar *sdp;
  const gchar *asdp;

  pub->handle = janus_attach (s);
  if (!pub->handle)
    return FALSE;
  body = json_object_new ();
  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "publisher");
  json_object_set_int_member (body, "room", janus_room);
  json_object_set_string_member (body, "display", "pub");
  ev = janus_msg (s, pub->handle, body, NULL, NULL, TRUE);
  data = plugin_data (ev);
  if (!data || !json_object_has_member (data, "id")) {
    g_printerr ("sfu-client: janus publisher join failed (%s)\n",
        ev ? json_to_string (json_node_init_object (json_node_alloc (), ev),
            FALSE) : "no event");
    return FALSE;
  }
  janus_feed = json_object_get_int_member (data, "id");
  json_object_unref (ev);

  {
    GstPromise *p = gst_promise_new ();
    g_signal_emit_by_name (pub->webrtc, "create-offer", NULL, p);
    offer = promise_desc (p, "offer");
  }
  if (!offer)
    return FALSE;
  set_desc (pub->webrtc, "set-local-description", offer);
  sdp = local_sdp_with_candidates (pub, offer);
  body = json_object_new ();
  json_object_set_string_member (body, "request", "configure");
  json_object_set_boolean_member (body, "audio", TRUE);
  json_object_set_boolean_member (body, "video", TRUE);
  ev = janus_msg (s, pub->handle, body, "offer", sdp, TRUE);
  g_free (sdp);
  gst_webrtc_session_description_free (offer);
  asdp = jsep_sdp (ev);
  if (g_getenv ("SFU_DEBUG"))
    g_printerr ("publisher answer:\n%s\n", asdp);
  if (!asdp) {
    g_printerr ("sfu-client: janus configure gave no answer (%s)\n",
        ev ? json_to_string (json_node_init_object (json_node_alloc (), ev),
            FALSE) : "no event");
    return FALSE;
  }
  gst_sdp_message_new_from_text (asdp, &sdpmsg);
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER,
      sdpmsg);
  set_desc (pub->webrtc, "set-remote-description", answer);
  gst_webrtc_session_description_free (answer);
  json_object_unref (ev);
  /* Janus answers 428 to a subscribe before the publisher's webrtcup. */
  ev = janus_wait (pub->handle, "webrtcup", NULL, 10);
  if (!ev) {
    g_printerr ("sfu-client: janus publisher never got webrtcup\n");
    return FALSE;
  }
  json_object_unref (ev);
  return TRUE;
}

static GstElement *
new_sub_webrtcbin (Sub * sub)
{
  gchar *name = g_strdup_printf ("sub%u", sub->index);
  GstElement *w = gst_element_factory_make ("webrtcbin", name);
  g_free (name);
  /* latency=0: no jitter-buffer wait between the network and our probe */
  g_object_set (w, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
      "latency", 0, NULL);
  configure_agent (w, TRUE);
  g_signal_connect (w, "pad-added", G_CALLBACK (on_sub_pad_added), sub);
  g_signal_connect (w, "on-ice-candidate", G_CALLBACK (on_candidate), sub);
  g_signal_connect (w, "notify::ice-connection-state",
      G_CALLBACK (on_ice_state), sub);
  gst_bin_add (GST_BIN (pipeline), w);
  gst_element_sync_state_with_parent (w);
  return w;
}

/* Answering as DTLS server: webrtcbin as DTLS client may send its
 * ClientHello before Janus chose the pair; Janus drops it and webrtcbin
 * retries only after 1 s (WEBRTC-NOTES). */
static void
make_passive (GstSDPMessage * sdp)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    GstSDPMedia *m = (GstSDPMedia *) gst_sdp_message_get_media (sdp, i);
    for (guint j = 0; j < gst_sdp_media_attributes_len (m); j++) {
      const GstSDPAttribute *a = gst_sdp_media_get_attribute (m, j);
      if (g_strcmp0 (a->key, "setup") == 0) {
        GstSDPAttribute na;
        gst_sdp_attribute_set (&na, "setup", "passive");
        gst_sdp_media_replace_attribute (m, j, &na);
      }
    }
  }
}

static gboolean
janus_subscribe (SoupSession * s, Sub * sub)
{
  JsonObject *body, *ev;
  GstSDPMessage *sdpmsg;
  GstWebRTCSessionDescription *offer, *answer;
  const gchar *osdp;
  gchar *sdp;

  sub->webrtc = sub->bin = new_sub_webrtcbin (sub);
  sub->join_time = g_get_monotonic_time ();
  sub->handle = janus_attach (s);
  if (!sub->handle)
    return FALSE;
  body = json_object_new ();
  json_object_set_string_member (body, "request", "join");
  json_object_set_string_member (body, "ptype", "subscriber");
  json_object_set_int_member (body, "room", janus_room);
  json_object_set_int_member (body, "feed", janus_feed);
  ev = janus_msg (s, sub->handle, body, NULL, NULL, TRUE);
  osdp = jsep_sdp (ev);
  if (g_getenv ("SFU_DEBUG"))
    g_printerr ("subscriber offer:\n%s\n", osdp);
  if (!osdp) {
    g_printerr ("sfu-client: janus subscriber %u: no offer\n", sub->index);
    if (ev)
      json_object_unref (ev);
    return FALSE;
  }
  gst_sdp_message_new_from_text (osdp, &sdpmsg);
  json_object_unref (ev);
  offer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER,
      sdpmsg);
  set_desc (sub->webrtc, "set-remote-description", offer);
  gst_webrtc_session_description_free (offer);
  {
    GstPromise *p = gst_promise_new ();
    g_signal_emit_by_name (sub->webrtc, "create-answer", NULL, p);
    answer = promise_desc (p, "answer");
  }
  if (!answer)
    return FALSE;
  make_passive (answer->sdp);
  set_desc (sub->webrtc, "set-local-description", answer);
  sdp = local_sdp_with_candidates (sub, answer);
  gst_webrtc_session_description_free (answer);
  body = json_object_new ();
  json_object_set_string_member (body, "request", "start");
  json_object_set_int_member (body, "room", janus_room);
  ev = janus_msg (s, sub->handle, body, "answer", sdp, TRUE);
  g_free (sdp);
  if (ev)
    json_object_unref (ev);
  return TRUE;
}

/* ---------- Convene flow ---------- */

static gchar *cv_uri, *cv_token, *cv_meeting;

static void
on_deep_added (GstBin * bin, GstBin * sub_bin, GstElement * el, gpointer data)
{
  Sub *sub = data;
  GstElementFactory *f = gst_element_get_factory (el);
  if (!f || g_strcmp0 (GST_OBJECT_NAME (f), "webrtcbin") != 0)
    return;
  configure_agent (el, FALSE);  /* signalbridge adds 127.0.0.1 itself */
  g_signal_connect (el, "notify::ice-connection-state",
      G_CALLBACK (on_ice_state), sub);
}

static void
probe_pub_pad (GstPad * pad)
{
  gint *kind = g_new (gint, 1);
  GstCaps *caps = gst_pad_get_current_caps (pad);
  *kind = -1;
  if (caps) {
    *kind = g_strcmp0 (gst_structure_get_string (gst_caps_get_structure
            (caps, 0), "media"), "video") == 0;
    gst_caps_unref (caps);
  }
  if (g_getenv ("SFU_DEBUG"))
    g_printerr ("publisher: probing %" GST_PTR_FORMAT " (kind %d)\n", pad,
        *kind);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      pub_probe, kind, g_free);
}

static void
on_pub_webrtc_pad (GstElement * el, GstPad * pad, gpointer data)
{
  if (GST_PAD_DIRECTION (pad) == GST_PAD_SINK)
    probe_pub_pad (pad);
}

static void
on_pub_deep_added (GstBin * bin, GstBin * sub_bin, GstElement * el,
    gpointer data)
{
  GstElementFactory *f = gst_element_get_factory (el);
  if (!f || g_strcmp0 (GST_OBJECT_NAME (f), "webrtcbin") != 0)
    return;
  configure_agent (el, FALSE);
  g_signal_connect (el, "pad-added", G_CALLBACK (on_pub_webrtc_pad), NULL);
}

static void
apply_to_children (GstElement * sb, gboolean publisher, Sub * sub)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (sb));
  GValue v = G_VALUE_INIT;
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *el = g_value_get_object (&v);
    if (publisher) {
      GstIterator *pit;
      GValue pv = G_VALUE_INIT;
      on_pub_deep_added (GST_BIN (sb), NULL, el, NULL);
      if (gst_element_get_factory (el) && g_strcmp0 (GST_OBJECT_NAME
              (gst_element_get_factory (el)), "webrtcbin") == 0) {
        pit = gst_element_iterate_sink_pads (el);
        while (gst_iterator_next (pit, &pv) == GST_ITERATOR_OK) {
          probe_pub_pad (g_value_get_object (&pv));
          g_value_reset (&pv);
        }
        gst_iterator_free (pit);
      }
    } else {
      on_deep_added (GST_BIN (sb), NULL, el, sub);
    }
    g_value_reset (&v);
  }
  gst_iterator_free (it);
}

static GstElement *
convene_bot (Sub * sub, gboolean publisher)
{
  GstElement *sb = gst_element_factory_make ("signalbridge", NULL);
  if (!sb)
    return NULL;
  if (!g_object_class_find_property (G_OBJECT_GET_CLASS (sb), "meeting")) {
    gst_object_unref (sb);
    return NULL;
  }
  g_object_set (sb, "uri", cv_uri, "token", cv_token, "meeting", cv_meeting,
      "allow-loopback", TRUE, "decode", FALSE, "latency", 0, NULL);
  if (publisher)
    g_object_set (sb, "video-bitrate", 1500000, "congestion-control", 0,
        "video-codec", 0, NULL);
  if (publisher)
    g_signal_connect (sb, "deep-element-added",
        G_CALLBACK (on_pub_deep_added), NULL);
  else {
    g_signal_connect (sb, "deep-element-added", G_CALLBACK (on_deep_added),
        sub);
    g_signal_connect (sb, "pad-added", G_CALLBACK (on_sub_pad_added), sub);
  }
  apply_to_children (sb, publisher, sub);
  return sb;
}

/* ---------- main ---------- */

static gint
cmp_i64 (gconstpointer x, gconstpointer y)
{
  gint64 d = *(const gint64 *) x - *(const gint64 *) y;
  return d < 0 ? -1 : d > 0;
}

static void
percentiles (GArray * a, gdouble * p50, gdouble * p99)
{
  gint64 *v = (gint64 *) a->data;
  *p50 = *p99 = -1;
  if (a->len == 0)
    return;
  g_array_sort (a, cmp_i64);
  *p50 = v[a->len / 2];
  *p99 = v[MIN (a->len - 1, (guint) (a->len * 0.99))];
}

static gboolean
check_bus (void)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *m;
  gboolean ok = TRUE;
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
    GError *e = NULL;
    gchar *dbg = NULL;
    gst_message_parse_error (m, &e, &dbg);
    g_printerr ("sfu-client: error from %s: %s (%s)\n",
        GST_OBJECT_NAME (GST_MESSAGE_SRC (m)), e->message, dbg);
    g_error_free (e);
    g_free (dbg);
    gst_message_unref (m);
    ok = FALSE;
  }
  gst_object_unref (bus);
  return ok;
}

int
main (int argc, char **argv)
{
  gchar *mode = NULL, *steps_s = NULL;
  gint seconds = 20;
  GOptionEntry entries[] = {
    {"mode", 0, 0, G_OPTION_ARG_STRING, &mode, "janus or convene", "M"},
    {"janus-url", 0, 0, G_OPTION_ARG_STRING, &janus_url, "http://…/janus",
        "URL"},
    {"server-pid", 0, 0, G_OPTION_ARG_INT, &server_pid, "Janus pid", "PID"},
    {"convened-pid", 0, 0, G_OPTION_ARG_INT, &convened_pid,
        "convened pid (its convene-worker child is measured)", "PID"},
    {"uri", 0, 0, G_OPTION_ARG_STRING, &cv_uri, "convened ws URL", "WS"},
    {"token", 0, 0, G_OPTION_ARG_STRING, &cv_token, "token", "T"},
    {"meeting", 0, 0, G_OPTION_ARG_STRING, &cv_meeting, "meeting id", "ID"},
    {"subscribers", 0, 0, G_OPTION_ARG_STRING, &steps_s, "1,5,10,25,50", "L"},
    {"seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "window per step", "S"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- bench/sfu client");
  GError *err = NULL;
  gboolean janus;
  SoupSession *soup = NULL;
  Sub *pub;
  gchar **steps;
  guint next = 0, prev = 0;
  gint rc = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("sfu-client: %s\n", err->message);
    return 2;
  }
  janus = g_strcmp0 (mode, "janus") == 0;
  jb_samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  srtp_samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  steps = g_strsplit (steps_s ? steps_s : "1,5,10,25,50", ",", -1);
  lat_samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  subs = g_ptr_array_new ();
  pub = sub_new (0);

  if (janus) {
    /* The publisher: 720p VP8 at ~1.5 Mbit/s (smpte with its noise strip
     * keeps the encoder at its target) and Opus, straight into webrtcbin. */
    pipeline = gst_parse_launch ("webrtcbin name=pub bundle-policy=max-bundle "
        "videotestsrc is-live=true pattern=smpte ! "
        "video/x-raw,width=1280,height=720,framerate=30/1 ! "
        "vp8enc deadline=1 cpu-used=16 threads=2 end-usage=cbr "
        "target-bitrate=1500000 keyframe-max-dist=300 ! "
        "rtpvp8pay picture-id-mode=15-bit mtu=1200 ssrc=1111 ! "
        "capsfilter caps=\"application/x-rtp,media=video,encoding-name=VP8,"
        "payload=96,clock-rate=90000,ssrc=(uint)1111,"
        "rtcp-fb-nack-pli=(boolean)true\" ! "
        "pub.sink_0 "
        "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! "
        "audioresample ! opusenc ! rtpopuspay ssrc=2222 ! "
        "capsfilter caps=\"application/x-rtp,media=audio,"
        "encoding-name=OPUS,payload=111,clock-rate=48000,ssrc=(uint)2222\" ! "
        "pub.sink_1",
        &err);
    if (!pipeline) {
      g_printerr ("sfu-client: %s\n", err->message);
      return 1;
    }
    pub->webrtc = gst_bin_get_by_name (GST_BIN (pipeline), "pub");
    configure_agent (pub->webrtc, TRUE);
    g_signal_connect (pub->webrtc, "on-ice-candidate",
        G_CALLBACK (on_candidate), pub);
    {
      GstPad *p0 = gst_element_get_static_pad (pub->webrtc, "sink_0");
      GstPad *p1 = gst_element_get_static_pad (pub->webrtc, "sink_1");
      GArray *trs = NULL;
      probe_pub_pad (p0);
      probe_pub_pad (p1);
      gst_object_unref (p0);
      gst_object_unref (p1);
      g_signal_emit_by_name (pub->webrtc, "get-transceivers", &trs);
      for (guint i = 0; trs && i < trs->len; i++)
        g_object_set (g_array_index (trs, GstWebRTCRTPTransceiver *, i),
            "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
      if (trs)
        g_array_unref (trs);
    }
    if (g_getenv ("SFU_DEBUG_JB"))
      g_signal_connect (pipeline, "deep-element-added",
          G_CALLBACK (on_any_deep_added), NULL);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);

    soup = soup_session_new_with_options ("timeout", 15, NULL);
    {
      JsonObject *req = json_object_new (), *r;
      json_object_set_string_member (req, "janus", "create");
      json_object_set_string_member (req, "transaction", "create");
      r = janus_post (soup, "", req);
      json_object_unref (req);
      if (!r || !json_object_has_member (r, "data")) {
        g_printerr ("sfu-client: janus create session failed\n");
        return 1;
      }
      janus_session = json_object_get_int_member
          (json_object_get_object_member (r, "data"), "id");
      json_object_unref (r);
    }
    g_thread_new ("janus-poll", janus_poller, NULL);
    /* Offer once caps (with the ssrc Janus needs in a=ssrc: it drops
     * video from an SSRC the SDP did not announce) are on both pads. */
    for (gint i = 0; i < 100 && g_atomic_int_get (&pub_sent) < 30; i++)
      g_usleep (20000);
    if (!janus_publish (soup, pub)) {
      rc = 1;
      goto out;
    }
  } else {
    GstElement *sb, *vs, *as;
    GstPad *sp, *vp, *ap;
    pipeline = gst_pipeline_new ("bench");
    if (g_getenv ("SFU_DEBUG_JB"))
      g_signal_connect (pipeline, "deep-element-added",
          G_CALLBACK (on_any_deep_added), NULL);
    sb = convene_bot (pub, TRUE);
    if (!sb) {
      g_printerr ("sfu-client: BLOCKED: this signalbridge has no meeting "
          "property (the meeting client mode has not landed)\n");
      return 3;
    }
    gst_bin_add (GST_BIN (pipeline), sb);
    vs = gst_parse_bin_from_description ("videotestsrc is-live=true "
        "pattern=smpte ! video/x-raw,width=1280,height=720,framerate=30/1",
        TRUE, NULL);
    as = gst_parse_bin_from_description ("audiotestsrc is-live=true "
        "wave=sine freq=440", TRUE, NULL);
    gst_bin_add_many (GST_BIN (pipeline), vs, as, NULL);
    sp = gst_element_get_static_pad (vs, "src");
    vp = gst_element_request_pad_simple (sb, "video_sink_%u");
    gst_pad_link (sp, vp);
    gst_object_unref (sp);
    sp = gst_element_get_static_pad (as, "src");
    ap = gst_element_request_pad_simple (sb, "audio_sink_%u");
    gst_pad_link (sp, ap);
    gst_object_unref (sp);
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    /* Wait until the publisher's media flows (bench/sfu runs convened with
     * mesh-max=0: its join starts the worker) before the first subscriber. */
    for (gint i = 0; i < 200 && g_atomic_int_get (&pub_sent) == 0; i++) {
      g_usleep (100000);
      check_bus ();
    }
    if (g_atomic_int_get (&pub_sent) == 0) {
      g_printerr ("sfu-client: BLOCKED: the convene publisher sent nothing "
          "within 20 s (signalbridge meeting=ID client mode missing or "
          "not working)\n");
      rc = 3;
      goto out;
    }
  }

  g_print ("%-4s %10s %9s %9s %8s %8s %8s %8s %9s %9s %9s\n", "N",
      "us/fwdpkt", "srv_cpu%", "rss_MB", "pub_pps", "deliv%", "lat_p50",
      "lat_p99", "join_p50", "join_max", "ice->1st");
  g_print ("%-4s %10s %9s %9s %8s %8s %8s %8s %9s %9s %9s\n", "", "", "",
      "", "", "", "(ms)", "(ms)", "(ms)", "(ms)", "p50(ms)");

  for (gchar ** st = steps; *st; st++) {
    guint n = atoi (*st);
    GArray *joins = g_array_new (FALSE, FALSE, sizeof (gint64));
    GArray *icefirst = g_array_new (FALSE, FALSE, sizeof (gint64));
    gint spid;
    gdouble cpu0, cpu1, j50, jmax, i50, dummy;
    gint sent0, sent1;
    gint64 recv0 = 0, recv1 = 0, t0, t1;
    glong rss;

    /* Join the new subscribers one at a time: each one's join time is then
     * its own, under the load of those already there. */
    for (; next < n; next++) {
      Sub *sub = sub_new (next + 1);
      g_ptr_array_add (subs, sub);
      if (janus) {
        if (!janus_subscribe (soup, sub)) {
          rc = 1;
          goto out;
        }
      } else {
        sub->bin = convene_bot (sub, FALSE);
        gst_bin_add (GST_BIN (pipeline), sub->bin);
        sub->join_time = g_get_monotonic_time ();
        gst_element_sync_state_with_parent (sub->bin);
      }
      for (gint i = 0; i < 1000 && sub->first_time == 0; i++)
        g_usleep (5000);
      if (sub->first_time == 0)
        g_printerr ("sfu-client: subscriber %u: no packet within 5 s\n",
            sub->index);
      check_bus ();
    }
    /* join figures of the subscribers that joined in this step */
    for (guint i = 0; i < subs->len; i++) {
      Sub *sub = subs->pdata[i];
      gint64 j = sub->first_time - sub->join_time;
      if (sub->index <= prev || sub->first_time == 0)
        continue;
      g_array_append_val (joins, j);
      if (sub->ice_time) {
        gint64 d = sub->first_time - sub->ice_time;
        g_array_append_val (icefirst, d);
      }
    }
    prev = n;
    g_usleep (2 * G_USEC_PER_SEC);      /* settle: keyframes, RTCP */

    spid = current_server_pid ();
    g_mutex_lock (&lat_lock);
    g_array_set_size (lat_samples, 0);
    g_array_set_size (jb_samples, 0);
    g_array_set_size (srtp_samples, 0);
    lat_on = TRUE;
    g_mutex_unlock (&lat_lock);
    cpu0 = proc_cpu (spid);
    sent0 = g_atomic_int_get (&pub_sent);
    for (guint i = 0; i < subs->len; i++)
      recv0 += g_atomic_int_get (&((Sub *) subs->pdata[i])->received);
    t0 = g_get_monotonic_time ();
    g_usleep ((gulong) seconds * G_USEC_PER_SEC);
    t1 = g_get_monotonic_time ();
    cpu1 = proc_cpu (spid);
    sent1 = g_atomic_int_get (&pub_sent);
    for (guint i = 0; i < subs->len; i++)
      recv1 += g_atomic_int_get (&((Sub *) subs->pdata[i])->received);
    rss = proc_rss_kb (spid);
    g_mutex_lock (&lat_lock);
    lat_on = FALSE;
    {
      gdouble p50, p99, fwd = recv1 - recv0, cpu = cpu1 - cpu0;
      gdouble dur = (t1 - t0) / 1e6;
      if (jb_samples->len) {
        percentiles (jb_samples, &p50, &p99);
        g_print ("  before the subscribers' jitter buffers: p50 %.3f ms, "
            "p99 %.3f ms\n", p50 / 1000, p99 / 1000);
      }
      if (srtp_samples->len) {
        percentiles (srtp_samples, &p50, &p99);
        g_print ("  inside the publisher (webrtcbin sink -> srtpenc): p50 "
            "%.3f ms, p99 %.3f ms\n", p50 / 1000, p99 / 1000);
      }
      percentiles (lat_samples, &p50, &p99);
      percentiles (joins, &j50, &dummy);
      jmax = joins->len ? g_array_index (joins, gint64, joins->len - 1) : -1;
      percentiles (icefirst, &i50, &dummy);
      gchar l50[32] = "n/a", l99[32] = "n/a", ic[32] = "n/a";
      /* no samples: the SFU changed the payload (or no video arrived) */
      if (p50 >= 0) {
        g_snprintf (l50, sizeof l50, "%.3f", p50 / 1000);
        g_snprintf (l99, sizeof l99, "%.3f", p99 / 1000);
      }
      if (i50 >= 0)
        g_snprintf (ic, sizeof ic, "%.1f", i50 / 1000);
      g_print ("%-4u %10.1f %9.1f %9.1f %8.0f %8.2f %8s %8s %9.1f %9.1f "
          "%9s\n", n, fwd > 0 ? cpu * 1e6 / fwd : -1, cpu * 100 / dur,
          rss / 1024.0, (sent1 - sent0) / dur,
          sent1 > sent0 ? fwd * 100 / ((gdouble) (sent1 - sent0) * n) : -1,
          l50, l99, j50 / 1000, jmax / 1000, ic);
      /* machine-readable, for bench/sfu's ratio line */
      g_print ("RESULT %s n=%u us_per_pkt=%.2f cpu_s=%.2f fwd=%.0f "
          "sent=%d rss_kb=%ld lat_samples=%u\n", janus ? "janus" : "convene",
          n, fwd > 0 ? cpu * 1e6 / fwd : -1, cpu, fwd, sent1 - sent0, rss,
          lat_samples->len);
    }
    g_mutex_unlock (&lat_lock);
    g_array_unref (joins);
    g_array_unref (icefirst);
    if (!check_bus ()) {
      rc = 1;
      break;
    }
  }

out:
  stopping = TRUE;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* The Janus session, long poll thread and server die with the bench's
   * trap; exit without tearing down 50 webrtcbins one by one. */
  _exit (rc);
}
