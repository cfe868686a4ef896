/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The default signaller: docs/protocol.md over a libsoup 3 WebSocket.
 *
 * libsoup objects are bound to the GMainContext they were created in, and the
 * element's callers (webrtcbin's thread, streaming threads, the application)
 * are many, so everything network-facing lives on one private thread running
 * its own GMainContext.  The virtual methods only serialise a JSON message
 * and queue it to that thread; every signal is emitted from it. */

#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <gst/sdp/sdp.h>

#include "gstconvenewssignaller.h"
#include "iceservers.h"

GST_DEBUG_CATEGORY_STATIC (gst_convene_ws_signaller_debug);
#define GST_CAT_DEFAULT gst_convene_ws_signaller_debug

enum
{
  PROP_0,
  PROP_URI,
  PROP_TOKEN,
  PROP_CLIENT_NAME,
};

#define DEFAULT_URI NULL
#define DEFAULT_TOKEN NULL
#define DEFAULT_CLIENT_NAME "gst-signalbridge"
/* WebSocket-level pings so that NATs and proxies keep the connection open. */
#define KEEPALIVE_SECONDS 20

struct _GstConveneWsSignaller
{
  GstObject parent;

  /* uri, token, client_name: protected by GST_OBJECT_LOCK */
  gchar *uri;
  gchar *token;
  gchar *client_name;
  /* The meeting joined (join_meeting), protected by GST_OBJECT_LOCK: meeting
   * session ids ("<participant>/<session>") are addressed within it. */
  gchar *meeting;

  /* thread_lock protects context, loop and thread, i.e. start/stop against
   * each other and against senders.  Lock order: thread_lock, then
   * GST_OBJECT_LOCK. */
  GMutex thread_lock;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;

  /* Only touched from the signalling thread: */
  SoupSession *session;
  SoupWebsocketConnection *ws;
  GCancellable *cancellable;
  gboolean welcomed;
  gboolean reported_fatal;
  gboolean stopping;
};

static void gst_convene_ws_signaller_iface_init (GstConveneSignallerInterface *
    iface);

G_DEFINE_TYPE_WITH_CODE (GstConveneWsSignaller, gst_convene_ws_signaller,
    GST_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (GST_TYPE_CONVENE_SIGNALLER,
        gst_convene_ws_signaller_iface_init);
    GST_DEBUG_CATEGORY_INIT (gst_convene_ws_signaller_debug,
        "convenewssignaller", 0, "Convene WebSocket signaller"));

/* ---------------------------------------------------------------------- */
/* Signalling thread */

static void
report_fatal (GstConveneWsSignaller * self, const gchar * code,
    const gchar * message)
{
  if (self->reported_fatal || self->stopping)
    return;
  self->reported_fatal = TRUE;
  gst_convene_signaller_emit_error (GST_CONVENE_SIGNALLER (self), code,
      message, TRUE);
}

static void
send_text (GstConveneWsSignaller * self, const gchar * text)
{
  if (self->ws == NULL
      || soup_websocket_connection_get_state (self->ws) !=
      SOUP_WEBSOCKET_STATE_OPEN) {
    GST_WARNING_OBJECT (self, "not connected, dropping %s", text);
    return;
  }
  GST_LOG_OBJECT (self, ">> %s", text);
  soup_websocket_connection_send_text (self->ws, text);
}

static gchar *
node_to_string (JsonNode * node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static const gchar *
member_string (JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static void
handle_welcome (GstConveneWsSignaller * self, JsonObject * obj)
{
  g_autoptr (GPtrArray) stun = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) turn = g_ptr_array_new_with_free_func (g_free);
  JsonNode *servers = json_object_get_member (obj, "ice_servers");

  if (servers && JSON_NODE_HOLDS_ARRAY (servers)) {
    JsonArray *arr = json_node_get_array (servers);
    guint i, j;

    for (i = 0; i < json_array_get_length (arr); i++) {
      JsonNode *s = json_array_get_element (arr, i);
      JsonObject *so;
      JsonNode *urls;
      const gchar *username, *credential;

      if (!JSON_NODE_HOLDS_OBJECT (s))
        continue;
      so = json_node_get_object (s);
      username = member_string (so, "username");
      credential = member_string (so, "credential");
      urls = json_object_get_member (so, "urls");
      if (urls == NULL)
        continue;
      /* RTCIceServer allows both a single string and an array. */
      for (j = 0; j < (JSON_NODE_HOLDS_ARRAY (urls) ?
              json_array_get_length (json_node_get_array (urls)) : 1); j++) {
        JsonNode *u = JSON_NODE_HOLDS_ARRAY (urls) ?
            json_array_get_element (json_node_get_array (urls), j) : urls;
        gchar *uri;

        if (!JSON_NODE_HOLDS_VALUE (u)
            || json_node_get_value_type (u) != G_TYPE_STRING)
          continue;
        uri = convene_ice_server_url_to_uri (json_node_get_string (u),
            username, credential);
        if (uri == NULL) {
          GST_WARNING_OBJECT (self, "ignoring ICE server %s",
              json_node_get_string (u));
          continue;
        }
        g_ptr_array_add (g_str_has_prefix (uri, "stun") ? stun : turn, uri);
      }
    }
  }
  g_ptr_array_add (stun, NULL);
  g_ptr_array_add (turn, NULL);

  self->welcomed = TRUE;
  gst_convene_signaller_emit_ice_servers (GST_CONVENE_SIGNALLER (self),
      (const gchar * const *) stun->pdata, (const gchar * const *) turn->pdata);
  gst_convene_signaller_emit_state_changed (GST_CONVENE_SIGNALLER (self),
      "connected", NULL, member_string (obj, "user"), NULL);
}

static void
handle_sdp (GstConveneWsSignaller * self, JsonObject * obj,
    const gchar * call_id)
{
  const gchar *type = member_string (obj, "sdp_type");
  const gchar *text = member_string (obj, "sdp");
  GstSDPMessage *msg = NULL;
  GstWebRTCSDPType sdp_type;
  GstWebRTCSessionDescription *desc;

  if (type == NULL || text == NULL)
    goto bad;
  if (g_strcmp0 (type, "offer") == 0)
    sdp_type = GST_WEBRTC_SDP_TYPE_OFFER;
  else if (g_strcmp0 (type, "answer") == 0)
    sdp_type = GST_WEBRTC_SDP_TYPE_ANSWER;
  else
    goto bad;
  if (gst_sdp_message_new_from_text (text, &msg) != GST_SDP_OK)
    goto bad;

  desc = gst_webrtc_session_description_new (sdp_type, msg);
  gst_convene_signaller_emit_session_description (GST_CONVENE_SIGNALLER
      (self), call_id, desc);
  gst_webrtc_session_description_free (desc);
  return;

bad:
  GST_WARNING_OBJECT (self, "ignoring malformed sdp message");
  if (msg)
    gst_sdp_message_free (msg);
}

static void
handle_ice (GstConveneWsSignaller * self, JsonObject * obj,
    const gchar * call_id)
{
  const gchar *candidate = member_string (obj, "candidate");
  JsonNode *mline = json_object_get_member (obj, "sdp_mline_index");
  gint64 index;

  if (candidate == NULL || mline == NULL || !JSON_NODE_HOLDS_VALUE (mline)
      || json_node_get_value_type (mline) != G_TYPE_INT64) {
    GST_WARNING_OBJECT (self, "ignoring malformed ice message");
    return;
  }
  index = json_node_get_int (mline);
  if (index < 0 || index > G_MAXUINT16) {
    GST_WARNING_OBJECT (self, "ignoring ice with mline index %"
        G_GINT64_FORMAT, index);
    return;
  }
  gst_convene_signaller_emit_handle_ice (GST_CONVENE_SIGNALLER (self),
      call_id, (guint) index, member_string (obj, "sdp_mid"), candidate);
}

static void
handle_error (GstConveneWsSignaller * self, JsonObject * obj)
{
  const gchar *code = member_string (obj, "code");
  const gchar *message = member_string (obj, "message");

  if (code == NULL)
    code = "unknown";
  if (message == NULL)
    message = code;

  /* Before welcome every error is followed by the server closing on us. */
  if (!self->welcomed || g_strcmp0 (code, "auth-failed") == 0
      || g_strcmp0 (code, "token-expired") == 0
      || g_strcmp0 (code, "auth-required") == 0) {
    report_fatal (self, code, message);
  } else {
    gst_convene_signaller_emit_error (GST_CONVENE_SIGNALLER (self), code,
        message, FALSE);
  }
}

/* A protocol track list as "<kind>:<id>" strings; malformed entries are
 * skipped (the server validated them, but we never trust the network). */
static gchar **
parse_tracks (JsonObject * obj)
{
  JsonNode *node = json_object_get_member (obj, "tracks");
  GPtrArray *out = g_ptr_array_new ();
  guint i;

  if (node && JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *arr = json_node_get_array (node);

    for (i = 0; i < json_array_get_length (arr) && i < 64; i++) {
      JsonNode *t = json_array_get_element (arr, i);
      const gchar *id, *kind;

      if (!JSON_NODE_HOLDS_OBJECT (t))
        continue;
      id = member_string (json_node_get_object (t), "id");
      kind = member_string (json_node_get_object (t), "kind");
      if (id == NULL || kind == NULL || strchr (kind, ':'))
        continue;
      g_ptr_array_add (out, g_strdup_printf ("%s:%s", kind, id));
    }
  }
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

static void
emit_participant (GstConveneWsSignaller * self, JsonObject * p)
{
  const gchar *id = member_string (p, "participant_id");
  g_auto (GStrv) tracks = NULL;

  if (id == NULL || id[0] == '\0' || strchr (id, '/')) {
    GST_WARNING_OBJECT (self, "ignoring participant without a usable id");
    return;
  }
  tracks = parse_tracks (p);
  gst_convene_signaller_emit_participant_joined (GST_CONVENE_SIGNALLER (self),
      id, member_string (p, "user"), (const gchar * const *) tracks);
}

static gint64
member_uint (JsonObject * obj, const gchar * name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return CLAMP (json_node_get_int (node), -1, G_MAXINT);
}

/* Messages of a meeting (no call_id); returns FALSE if @type is not one. */
static gboolean
handle_meeting_message (GstConveneWsSignaller * self, const gchar * type,
    JsonObject * obj)
{
  GstConveneSignaller *sig = GST_CONVENE_SIGNALLER (self);
  const gchar *from = member_string (obj, "from");
  const gchar *session = member_string (obj, "session");
  const gchar *pid = member_string (obj, "participant_id");

  if (member_string (obj, "meeting") == NULL)
    return FALSE;

  if (g_str_equal (type, "joined")) {
    JsonNode *list = json_object_get_member (obj, "participants");
    guint i;

    if (pid == NULL) {
      GST_WARNING_OBJECT (self, "ignoring joined without participant_id");
      return TRUE;
    }
    if (list && JSON_NODE_HOLDS_ARRAY (list)) {
      JsonArray *arr = json_node_get_array (list);

      for (i = 0; i < json_array_get_length (arr); i++) {
        JsonNode *p = json_array_get_element (arr, i);

        if (JSON_NODE_HOLDS_OBJECT (p))
          emit_participant (self, json_node_get_object (p));
      }
    }
    gst_convene_signaller_emit_meeting_joined (sig,
        member_string (obj, "meeting"), pid, member_string (obj, "mode"),
        member_string (obj, "sfu"));
  } else if (g_str_equal (type, "participant-joined")) {
    JsonNode *p = json_object_get_member (obj, "participant");

    if (p && JSON_NODE_HOLDS_OBJECT (p))
      emit_participant (self, json_node_get_object (p));
  } else if (g_str_equal (type, "participant-left")) {
    if (pid)
      gst_convene_signaller_emit_participant_left (sig, pid);
  } else if (g_str_equal (type, "tracks")) {
    g_auto (GStrv) tracks = parse_tracks (obj);

    if (pid)
      gst_convene_signaller_emit_participant_tracks (sig, pid,
          (const gchar * const *) tracks);
  } else if (g_str_equal (type, "mode")) {
    const gchar *mode = member_string (obj, "mode");

    if (mode)
      gst_convene_signaller_emit_mode_changed (sig, mode,
          member_string (obj, "sfu"));
  } else if (g_str_equal (type, "view")) {
    const gchar *track = member_string (obj, "track");
    gint64 w = member_uint (obj, "width"), h = member_uint (obj, "height");

    if (from && pid && track && w >= 0 && h >= 0)
      gst_convene_signaller_emit_view (sig, from, pid, track, w, h);
    else
      GST_WARNING_OBJECT (self, "ignoring malformed view message");
  } else if (g_str_equal (type, "recording")) {
    const gchar *action = member_string (obj, "action");
    const gchar *rid = member_string (obj, "recording_id");
    const gchar *dir = member_string (obj, "dir");

    if (action && rid && dir && (g_str_equal (action, "start")
            || g_str_equal (action, "stop")))
      gst_convene_signaller_emit_recording (sig, action, rid, dir);
    else
      GST_WARNING_OBJECT (self, "ignoring malformed recording message");
  } else if (g_str_equal (type, "active-speaker")) {
    if (pid)
      gst_convene_signaller_emit_active_speaker (sig, pid);
  } else if (g_str_equal (type, "sdp") || g_str_equal (type, "ice")) {
    g_autofree gchar *session_id = NULL;

    if (from == NULL || session == NULL || strchr (from, '/')
        || (!g_str_equal (session, "mesh") && !g_str_equal (session, "publish")
            && !g_str_equal (session, "subscribe"))) {
      GST_WARNING_OBJECT (self, "ignoring %s without from/session", type);
      return TRUE;
    }
    session_id = g_strdup_printf ("%s/%s", from, session);
    if (g_str_equal (type, "sdp"))
      handle_sdp (self, obj, session_id);
    else
      handle_ice (self, obj, session_id);
  } else {
    return FALSE;
  }
  return TRUE;
}

static void
handle_message (GstConveneWsSignaller * self, const gchar * text, gsize len)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = NULL;
  GstConveneSignaller *sig = GST_CONVENE_SIGNALLER (self);
  JsonNode *root;
  JsonObject *obj;
  const gchar *type, *call_id, *peer;

  GST_LOG_OBJECT (self, "<< %.*s", (int) len, text);

  if (!json_parser_load_from_data (parser, text, len, &err)) {
    GST_WARNING_OBJECT (self, "ignoring invalid JSON: %s", err->message);
    return;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    GST_WARNING_OBJECT (self, "ignoring non-object message");
    return;
  }
  obj = json_node_get_object (root);
  type = member_string (obj, "type");
  call_id = member_string (obj, "call_id");
  peer = member_string (obj, "peer");
  if (type == NULL) {
    GST_WARNING_OBJECT (self, "ignoring message without type");
    return;
  }

  if (g_str_equal (type, "welcome")) {
    handle_welcome (self, obj);
  } else if (g_str_equal (type, "error")) {
    handle_error (self, obj);
  } else if (g_str_equal (type, "presence") || g_str_equal (type, "pong")) {
    /* Presence is for user interfaces; the element has no use for it. */
  } else if (call_id == NULL && handle_meeting_message (self, type, obj)) {
    /* handled */
  } else if (call_id == NULL) {
    GST_WARNING_OBJECT (self, "ignoring %s without call_id", type);
  } else if (g_str_equal (type, "calling") || g_str_equal (type, "ringing")) {
    gst_convene_signaller_emit_state_changed (sig, type, call_id, peer, NULL);
  } else if (g_str_equal (type, "incoming")) {
    gst_convene_signaller_emit_state_changed (sig, type, call_id, peer, NULL);
    gst_convene_signaller_emit_incoming_session (sig, call_id, peer);
  } else if (g_str_equal (type, "accepted")) {
    gst_convene_signaller_emit_state_changed (sig, type, call_id, peer, NULL);
    gst_convene_signaller_emit_session_requested (sig, call_id, peer,
        g_strcmp0 (member_string (obj, "role"), "offerer") == 0);
  } else if (g_str_equal (type, "ended")) {
    const gchar *reason = member_string (obj, "reason");

    gst_convene_signaller_emit_state_changed (sig, type, call_id, peer,
        reason);
    gst_convene_signaller_emit_session_ended (sig, call_id, reason);
  } else if (g_str_equal (type, "sdp")) {
    handle_sdp (self, obj, call_id);
  } else if (g_str_equal (type, "ice")) {
    handle_ice (self, obj, call_id);
  } else {
    GST_DEBUG_OBJECT (self, "ignoring message of type %s", type);
  }
}

static void
on_ws_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    GstConveneWsSignaller * self)
{
  gsize len;
  const gchar *data = g_bytes_get_data (message, &len);

  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    GST_WARNING_OBJECT (self, "ignoring binary frame");
    return;
  }
  handle_message (self, data, len);
}

static void
on_ws_closed (SoupWebsocketConnection * ws, GstConveneWsSignaller * self)
{
  gushort code = soup_websocket_connection_get_close_code (ws);
  g_autofree gchar *msg = NULL;

  GST_INFO_OBJECT (self, "connection closed (%u)", code);
  if (self->stopping)
    return;
  gst_convene_signaller_emit_state_changed (GST_CONVENE_SIGNALLER (self),
      "disconnected", NULL, NULL, "connection-closed");
  msg = g_strdup_printf ("signalling connection closed by the server "
      "(WebSocket close code %u)", code);
  report_fatal (self, "connection-closed", msg);
}

static void
on_ws_connected (GObject * source, GAsyncResult * res, gpointer user_data)
{
  GstConveneWsSignaller *self = user_data;
  g_autoptr (GError) err = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *token = NULL;
  g_autofree gchar *client = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res,
      &err);
  if (ws == NULL) {
    g_autofree gchar *msg = NULL;

    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      return;
    msg = g_strdup_printf ("could not connect to the signalling server: %s",
        err->message);
    gst_convene_signaller_emit_state_changed (GST_CONVENE_SIGNALLER (self),
        "disconnected", NULL, NULL, "connection-failed");
    report_fatal (self, "connection-failed", msg);
    return;
  }
  self->ws = ws;
  soup_websocket_connection_set_keepalive_interval (ws, KEEPALIVE_SECONDS);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);

  GST_OBJECT_LOCK (self);
  token = g_strdup (self->token ? self->token : "");
  client = g_strdup (self->client_name);
  GST_OBJECT_UNLOCK (self);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "hello");
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  if (client && client[0]) {
    /* The protocol refuses a hello whose client name exceeds 64 chars. */
    if (g_utf8_strlen (client, -1) > 64)
      *g_utf8_offset_to_pointer (client, 64) = '\0';
    json_builder_set_member_name (b, "client");
    json_builder_add_string_value (b, client);
  }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = node_to_string (root);
  /* The token is a credential: keep it out of the debug log. */
  GST_DEBUG_OBJECT (self, "connected, sending hello");
  soup_websocket_connection_send_text (ws, text);
}

static gboolean
start_in_thread (gpointer user_data)
{
  GstConveneWsSignaller *self = user_data;
  g_autofree gchar *uri = NULL;
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  GST_OBJECT_LOCK (self);
  uri = g_strdup (self->uri);
  GST_OBJECT_UNLOCK (self);

  if (uri)
    parsed = g_uri_parse (uri, SOUP_HTTP_URI_FLAGS, NULL);
  if (parsed == NULL || (g_strcmp0 (g_uri_get_scheme (parsed), "ws") != 0
          && g_strcmp0 (g_uri_get_scheme (parsed), "wss") != 0)
      || g_uri_get_host (parsed) == NULL || g_uri_get_host (parsed)[0] == 0) {
    g_autofree gchar *text = g_strdup_printf ("invalid signalling URI '%s' "
        "(expected ws://host:port/ws or wss://…)", uri ? uri : "(none)");

    report_fatal (self, "bad-uri", text);
    return G_SOURCE_REMOVE;
  }

  gst_convene_signaller_emit_state_changed (GST_CONVENE_SIGNALLER (self),
      "connecting", NULL, NULL, NULL);
  self->session = soup_session_new ();
  msg = soup_message_new_from_uri (SOUP_METHOD_GET, parsed);
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, self->cancellable, on_ws_connected, self);
  return G_SOURCE_REMOVE;
}

static gpointer
signalling_thread (gpointer user_data)
{
  GstConveneWsSignaller *self = user_data;
  GMainContext *context;
  GMainLoop *loop;

  g_mutex_lock (&self->thread_lock);
  context = g_main_context_ref (self->context);
  loop = g_main_loop_ref (self->loop);
  g_mutex_unlock (&self->thread_lock);

  g_main_context_push_thread_default (context);
  g_main_loop_run (loop);

  if (self->ws) {
    g_signal_handlers_disconnect_by_data (self->ws, self);
    if (soup_websocket_connection_get_state (self->ws) ==
        SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
          NULL);
    g_clear_object (&self->ws);
  }
  if (self->session)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  /* Let cancelled operations deliver their callbacks before the context goes. */
  while (g_main_context_iteration (context, FALSE));

  g_main_context_pop_thread_default (context);
  g_main_loop_unref (loop);
  g_main_context_unref (context);
  return NULL;
}

typedef struct
{
  GstConveneWsSignaller *self;
  gchar *text;
} SendData;

static void
send_data_free (gpointer p)
{
  SendData *d = p;

  gst_object_unref (d->self);
  g_free (d->text);
  g_free (d);
}

static gboolean
send_in_thread (gpointer user_data)
{
  SendData *d = user_data;

  send_text (d->self, d->text);
  return G_SOURCE_REMOVE;
}

/* Queues @node's text to the signalling thread; always deferred so that a
 * signal handler may call us without re-entering the message parser. */
static void
queue_send (GstConveneWsSignaller * self, JsonNode * node)
{
  SendData *d;
  GSource *source;

  g_mutex_lock (&self->thread_lock);
  if (self->context == NULL) {
    g_mutex_unlock (&self->thread_lock);
    GST_WARNING_OBJECT (self, "not started, dropping message");
    return;
  }
  d = g_new0 (SendData, 1);
  d->self = gst_object_ref (self);
  d->text = node_to_string (node);
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, send_in_thread, d, send_data_free);
  g_source_attach (source, self->context);
  g_source_unref (source);
  g_mutex_unlock (&self->thread_lock);
}

static JsonBuilder *
begin_message (const gchar * type, const gchar * call_id)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  if (call_id) {
    json_builder_set_member_name (b, "call_id");
    json_builder_add_string_value (b, call_id);
  }
  return b;
}

static void
finish_and_send (GstConveneWsSignaller * self, JsonBuilder * b)
{
  JsonNode *root;

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  queue_send (self, root);
  json_node_unref (root);
  g_object_unref (b);
}

/* ---------------------------------------------------------------------- */
/* GstConveneSignaller implementation */

static void
ws_start (GstConveneSignaller * sig)
{
  GstConveneWsSignaller *self = GST_CONVENE_WS_SIGNALLER (sig);
  GSource *source;

  g_mutex_lock (&self->thread_lock);
  if (self->thread) {
    g_mutex_unlock (&self->thread_lock);
    return;
  }
  self->welcomed = FALSE;
  self->reported_fatal = FALSE;
  self->stopping = FALSE;
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  source = g_idle_source_new ();
  g_source_set_callback (source, start_in_thread, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  self->thread = g_thread_new ("convene-signal", signalling_thread, self);
  g_mutex_unlock (&self->thread_lock);
}

static gboolean
quit_in_thread (gpointer user_data)
{
  GstConveneWsSignaller *self = user_data;

  self->stopping = TRUE;
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static void
ws_stop (GstConveneSignaller * sig)
{
  GstConveneWsSignaller *self = GST_CONVENE_WS_SIGNALLER (sig);
  GThread *thread;
  GSource *source;

  g_mutex_lock (&self->thread_lock);
  thread = self->thread;
  self->thread = NULL;
  if (thread == NULL) {
    g_mutex_unlock (&self->thread_lock);
    return;
  }
  g_cancellable_cancel (self->cancellable);
  /* Same priority as queued messages, so a hangup sent just before stop
   * still goes out. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, quit_in_thread, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
  g_mutex_unlock (&self->thread_lock);

  g_thread_join (thread);

  g_mutex_lock (&self->thread_lock);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_mutex_unlock (&self->thread_lock);
}

static void
ws_request_session (GstConveneSignaller * sig, const gchar * peer)
{
  JsonBuilder *b = begin_message ("call", NULL);

  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, peer);
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig), b);
}

static void
ws_accept_session (GstConveneSignaller * sig, const gchar * session_id)
{
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig),
      begin_message ("accept", session_id));
}

/* Starts a message addressed to @session_id: a call, or a meeting session
 * "<participant>/<session>" of the meeting we joined. */
static JsonBuilder *
begin_session_message (GstConveneWsSignaller * self, const gchar * type,
    const gchar * session_id)
{
  const gchar *slash = session_id ? strchr (session_id, '/') : NULL;
  g_autofree gchar *meeting = NULL;
  g_autofree gchar *to = NULL;
  JsonBuilder *b;

  GST_OBJECT_LOCK (self);
  meeting = g_strdup (self->meeting);
  GST_OBJECT_UNLOCK (self);

  if (slash == NULL || meeting == NULL)
    return begin_message (type, session_id);

  to = g_strndup (session_id, slash - session_id);
  b = begin_message (type, NULL);
  json_builder_set_member_name (b, "meeting");
  json_builder_add_string_value (b, meeting);
  json_builder_set_member_name (b, "to");
  json_builder_add_string_value (b, to);
  json_builder_set_member_name (b, "session");
  json_builder_add_string_value (b, slash + 1);
  return b;
}

static void
ws_send_sdp (GstConveneSignaller * sig, const gchar * session_id,
    const GstWebRTCSessionDescription * desc)
{
  JsonBuilder *b = begin_session_message (GST_CONVENE_WS_SIGNALLER (sig),
      "sdp", session_id);
  g_autofree gchar *text = gst_sdp_message_as_text (desc->sdp);

  json_builder_set_member_name (b, "sdp_type");
  json_builder_add_string_value (b, gst_webrtc_sdp_type_to_string (desc->type));
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, text);
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig), b);
}

static void
ws_add_ice (GstConveneSignaller * sig, const gchar * session_id,
    const gchar * candidate, guint mline_index, const gchar * mid)
{
  JsonBuilder *b = begin_session_message (GST_CONVENE_WS_SIGNALLER (sig),
      "ice", session_id);

  json_builder_set_member_name (b, "candidate");
  json_builder_add_string_value (b, candidate ? candidate : "");
  json_builder_set_member_name (b, "sdp_mline_index");
  json_builder_add_int_value (b, mline_index);
  if (mid) {
    json_builder_set_member_name (b, "sdp_mid");
    json_builder_add_string_value (b, mid);
  }
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig), b);
}

static void
add_tracks (JsonBuilder * b, const gchar * const *tracks)
{
  guint i;

  json_builder_set_member_name (b, "tracks");
  json_builder_begin_array (b);
  for (i = 0; tracks && tracks[i]; i++) {
    const gchar *colon = strchr (tracks[i], ':');
    g_autofree gchar *kind = NULL;

    if (colon == NULL)
      continue;
    kind = g_strndup (tracks[i], colon - tracks[i]);
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, colon + 1);
    json_builder_set_member_name (b, "kind");
    json_builder_add_string_value (b, kind);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
}

static JsonBuilder *
begin_meeting_message (const gchar * type, const gchar * meeting)
{
  JsonBuilder *b = begin_message (type, NULL);

  json_builder_set_member_name (b, "meeting");
  json_builder_add_string_value (b, meeting);
  return b;
}

static void
ws_join_meeting (GstConveneSignaller * sig, const gchar * meeting,
    const gchar * const *tracks)
{
  GstConveneWsSignaller *self = GST_CONVENE_WS_SIGNALLER (sig);
  JsonBuilder *b = begin_meeting_message ("join", meeting);

  GST_OBJECT_LOCK (self);
  g_free (self->meeting);
  self->meeting = g_strdup (meeting);
  GST_OBJECT_UNLOCK (self);
  if (tracks && tracks[0])
    add_tracks (b, tracks);
  finish_and_send (self, b);
}

static void
ws_leave_meeting (GstConveneSignaller * sig, const gchar * meeting)
{
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig),
      begin_meeting_message ("leave", meeting));
}

static void
ws_set_tracks (GstConveneSignaller * sig, const gchar * meeting,
    const gchar * const *tracks)
{
  JsonBuilder *b = begin_meeting_message ("tracks", meeting);

  add_tracks (b, tracks);
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig), b);
}

static void
ws_media_ready (GstConveneSignaller * sig, const gchar * meeting,
    const gchar * mode)
{
  JsonBuilder *b = begin_meeting_message ("media-ready", meeting);

  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, mode);
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig), b);
}

static void
ws_send_active_speaker (GstConveneSignaller * sig, const gchar * meeting,
    const gchar * participant_id)
{
  JsonBuilder *b = begin_meeting_message ("active-speaker", meeting);

  json_builder_set_member_name (b, "participant_id");
  json_builder_add_string_value (b, participant_id);
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig), b);
}

static void
ws_end_session (GstConveneSignaller * sig, const gchar * session_id)
{
  /* A meeting session has nothing to hang up: closing the peer connection
   * is all there is, and leave ends them all. */
  if (session_id && strchr (session_id, '/'))
    return;
  /* hangup covers cancel (caller, ringing) and reject (callee) too. */
  finish_and_send (GST_CONVENE_WS_SIGNALLER (sig),
      begin_message ("hangup", session_id));
}

static void
gst_convene_ws_signaller_iface_init (GstConveneSignallerInterface * iface)
{
  iface->start = ws_start;
  iface->stop = ws_stop;
  iface->request_session = ws_request_session;
  iface->accept_session = ws_accept_session;
  iface->send_sdp = ws_send_sdp;
  iface->add_ice = ws_add_ice;
  iface->end_session = ws_end_session;
  iface->join_meeting = ws_join_meeting;
  iface->leave_meeting = ws_leave_meeting;
  iface->set_tracks = ws_set_tracks;
  iface->media_ready = ws_media_ready;
  iface->send_active_speaker = ws_send_active_speaker;
}

/* ---------------------------------------------------------------------- */
/* GObject */

static void
gst_convene_ws_signaller_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstConveneWsSignaller *self = GST_CONVENE_WS_SIGNALLER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_URI:
      g_free (self->uri);
      self->uri = g_value_dup_string (value);
      break;
    case PROP_TOKEN:
      g_free (self->token);
      self->token = g_value_dup_string (value);
      break;
    case PROP_CLIENT_NAME:
      g_free (self->client_name);
      self->client_name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_convene_ws_signaller_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstConveneWsSignaller *self = GST_CONVENE_WS_SIGNALLER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_URI:
      g_value_set_string (value, self->uri);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    case PROP_CLIENT_NAME:
      g_value_set_string (value, self->client_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_convene_ws_signaller_finalize (GObject * object)
{
  GstConveneWsSignaller *self = GST_CONVENE_WS_SIGNALLER (object);

  ws_stop (GST_CONVENE_SIGNALLER (self));
  g_free (self->uri);
  g_free (self->token);
  g_free (self->client_name);
  g_free (self->meeting);
  g_mutex_clear (&self->thread_lock);

  G_OBJECT_CLASS (gst_convene_ws_signaller_parent_class)->finalize (object);
}

static void
gst_convene_ws_signaller_class_init (GstConveneWsSignallerClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_convene_ws_signaller_set_property;
  gobject_class->get_property = gst_convene_ws_signaller_get_property;
  gobject_class->finalize = gst_convene_ws_signaller_finalize;

  g_object_class_install_property (gobject_class, PROP_URI,
      g_param_spec_string ("uri", "URI",
          "Signalling WebSocket URI (ws://host:port/ws)", DEFAULT_URI,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_TOKEN,
      g_param_spec_string ("token", "Token",
          "Access token sent in hello", DEFAULT_TOKEN,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_CLIENT_NAME,
      g_param_spec_string ("client-name", "Client name",
          "Free-form client name sent in hello", DEFAULT_CLIENT_NAME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
gst_convene_ws_signaller_init (GstConveneWsSignaller * self)
{
  g_mutex_init (&self->thread_lock);
  self->uri = g_strdup (DEFAULT_URI);
  self->token = g_strdup (DEFAULT_TOKEN);
  self->client_name = g_strdup (DEFAULT_CLIENT_NAME);
}
