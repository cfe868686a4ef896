/* convened's front end: libsoup 3 server with the /ws WebSocket, the web
 * client's static files, /healthz and /metrics. The protocol itself lives in
 * the hub (orchestrator/lib); this file only moves frames. */
#include "server.h"

#include <libsoup/soup.h>
#include <string.h>

#include "hub.h"
#include "protocol.h"
#include "static.h"
#include "token.h"
#include "users.h"

#define KEEPALIVE_SECONDS 30
#define SHUTDOWN_GRACE_MS 3000
/* libsoup refuses frames above its limit by closing the socket at once,
 * which on TCP becomes a reset that the client sees instead of our 1009.
 * So libsoup gets a higher ceiling and [limits] max-frame is enforced here
 * with a proper close handshake; only frames above the ceiling get the
 * abrupt treatment. */
#define SOUP_FRAME_CEILING (4 * 1024 * 1024)

struct _CnvServer
{
  GObject parent;
  const CnvConfig *config;
  SoupServer *soup;
  CnvHub *hub;
  GBytes *secret;               /* verifies API bearer tokens */
  GHashTable *conns;            /* session id -> Conn, owned */
  GMainLoop *quit_loop;         /* set while shutting down */
  guint grace_id;
};

G_DEFINE_TYPE (CnvServer, cnv_server, G_TYPE_OBJECT)

/* One WebSocket connection. Owned by conns; freed after "closed". */
typedef struct
{
  CnvServer *server;
  SoupWebsocketConnection *ws;
  char *session_id;
  gboolean closing;
} Conn;

static void
conn_free (gpointer p)
{
  Conn *c = p;

  g_signal_handlers_disconnect_by_data (c->ws, c);
  g_object_unref (c->ws);
  g_free (c->session_id);
  g_free (c);
}

static void
conn_send (const char *text, gpointer user_data)
{
  Conn *c = user_data;

  if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (c->ws, text);
}

static void
conn_close (gushort code, const char *reason, gpointer user_data)
{
  Conn *c = user_data;

  c->closing = TRUE;
  if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (c->ws, code, reason);
}

static void
maybe_finish_shutdown (CnvServer * self)
{
  if (self->quit_loop && g_hash_table_size (self->conns) == 0)
    g_main_loop_quit (self->quit_loop);
}

static void
on_message (SoupWebsocketConnection * ws, gint type, GBytes * message,
    gpointer user_data)
{
  Conn *c = user_data;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  if (c->closing)
    return;
  if (len > c->server->config->max_frame) {
    g_autofree char *id = g_strdup (c->session_id);
    /* The hub forgets the session first so that nothing else is sent. */
    cnv_hub_disconnect (c->server->hub, id);
    conn_close (CNV_CLOSE_TOO_BIG, "frame too big", c);
    return;
  }
  /* Binary frames go through the same checks and are refused as bad-json. */
  cnv_hub_receive (c->server->hub, c->session_id, data ? data : "", len);
}

static void
on_closed (SoupWebsocketConnection * ws, gpointer user_data)
{
  Conn *c = user_data;
  CnvServer *self = c->server;
  g_autofree char *id = g_strdup (c->session_id);

  cnv_hub_disconnect (self->hub, id);
  g_hash_table_remove (self->conns, id);
  maybe_finish_shutdown (self);
}

static void
on_error (SoupWebsocketConnection * ws, GError * error, gpointer user_data)
{
  g_debug ("websocket error: %s", error->message);
}

static void
ws_handler (SoupServer * soup, SoupServerMessage * msg, const char *path,
    SoupWebsocketConnection * ws, gpointer user_data)
{
  CnvServer *self = user_data;
  Conn *c;

  if (self->quit_loop) {
    soup_websocket_connection_close (ws, CNV_CLOSE_GOING_AWAY,
        "server shutting down");
    return;
  }
  c = g_new0 (Conn, 1);
  c->server = self;
  c->ws = g_object_ref (ws);
  soup_websocket_connection_set_max_incoming_payload_size (ws,
      MAX (SOUP_FRAME_CEILING, self->config->max_frame));
  soup_websocket_connection_set_keepalive_interval (ws, KEEPALIVE_SECONDS);
  c->session_id = cnv_hub_connect (self->hub, conn_send, conn_close, c, NULL);
  g_hash_table_insert (self->conns, c->session_id, c);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), c);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), c);
  g_signal_connect (ws, "error", G_CALLBACK (on_error), c);
}

static void
healthz_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      "ok\n", 3);
}

static void
metrics_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  CnvServer *self = user_data;
  char *text = cnv_hub_render_metrics (self->hub);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg,
      "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_TAKE, text,
      strlen (text));
}

static void
json_response (SoupServerMessage * msg, guint status, char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
api_error (SoupServerMessage * msg, guint status, CnvErrorCode code,
    const char *message)
{
  json_response (msg, status, cnv_msg_error (code, message, NULL));
}

/* The API wants an admin bearer token: 401 without a valid one, 403 for a
 * valid one without the grant. */
static gboolean
api_authorize (CnvServer * self, SoupServerMessage * msg)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  const char *auth = soup_message_headers_get_one (h, "Authorization");
  g_autoptr (CnvTokenClaims) claims = NULL;
  g_autofree char *why = NULL;
  CnvErrorCode code;

  if (!auth || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "WWW-Authenticate", "Bearer");
    api_error (msg, SOUP_STATUS_UNAUTHORIZED, CNV_ERR_AUTH_REQUIRED,
        "an Authorization: Bearer token is required");
    return FALSE;
  }
  claims = cnv_token_verify (self->secret, auth + 7,
      g_get_real_time () / G_USEC_PER_SEC, &code, &why);
  if (!claims) {
    api_error (msg, SOUP_STATUS_UNAUTHORIZED, code, why);
    return FALSE;
  }
  if (!cnv_token_claims_has_grant (claims, "admin")) {
    api_error (msg, SOUP_STATUS_FORBIDDEN, CNV_ERR_FORBIDDEN,
        "the token lacks the admin grant");
    return FALSE;
  }
  return TRUE;
}

static void
api_create_meeting (CnvServer * self, SoupServerMessage * msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *id = NULL;
  const char *want = NULL;

  if (body->length > 0) {
    JsonNode *root;
    JsonObject *obj;
    JsonNode *node;

    if (body->length > 4096 || !json_parser_load_from_data (parser,
            body->data, body->length, NULL)
        || !(root = json_parser_get_root (parser))
        || !JSON_NODE_HOLDS_OBJECT (root)) {
      api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_JSON,
          "the body must be a JSON object");
      return;
    }
    obj = json_node_get_object (root);
    if (json_object_get_size (obj) > (json_object_has_member (obj, "id") ?
            1u : 0u)) {
      api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_MESSAGE,
          "only the field \"id\" is allowed");
      return;
    }
    node = json_object_get_member (obj, "id");
    if (node && (!JSON_NODE_HOLDS_VALUE (node)
            || json_node_get_value_type (node) != G_TYPE_STRING
            || !cnv_id_is_valid (json_node_get_string (node)))) {
      api_error (msg, SOUP_STATUS_BAD_REQUEST, CNV_ERR_BAD_MESSAGE,
          "field \"id\" must be 1-64 characters of [A-Za-z0-9._-]");
      return;
    }
    if (node)
      want = json_node_get_string (node);
  }
  if (!cnv_hub_create_meeting (self->hub, want, &id)) {
    api_error (msg, SOUP_STATUS_CONFLICT, CNV_ERR_BAD_STATE,
        "a meeting with that id exists");
    return;
  }
  {
    g_autoptr (JsonBuilder) b = json_builder_new_immutable ();
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "id");
    json_builder_add_string_value (b, id);
    json_builder_end_object (b);
    json_response (msg, SOUP_STATUS_CREATED, cnv_msg_to_string (b));
  }
}

static void
meetings_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  CnvServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (strcmp (path, "/api/meetings") != 0) {
    api_error (msg, SOUP_STATUS_NOT_FOUND, CNV_ERR_BAD_MESSAGE,
        "no such resource");
    return;
  }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_POST) {
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", "GET, POST");
    api_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, CNV_ERR_BAD_MESSAGE,
        "use GET or POST");
    return;
  }
  if (!api_authorize (self, msg))
    return;
  if (method == SOUP_METHOD_POST)
    api_create_meeting (self, msg);
  else
    json_response (msg, SOUP_STATUS_OK, cnv_hub_render_meetings (self->hub));
}

static void
static_handler (SoupServer * soup, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  CnvServer *self = user_data;

  cnv_static_serve (msg, self->config->web_dir, path);
}

CnvServer *
cnv_server_new (const CnvConfig * config, GError ** error)
{
  g_autoptr (CnvServer) self = g_object_new (CNV_TYPE_SERVER, NULL);
  g_autoptr (CnvUsers) users = NULL;
  g_autoptr (GBytes) secret = NULL;

  self->config = config;
  secret = cnv_secret_load (config->data_dir, error);
  if (!secret)
    return NULL;
  users = cnv_users_open (config->data_dir, error);
  if (!users)
    return NULL;
  self->hub = cnv_hub_new (config, users, secret, NULL);
  self->secret = g_bytes_ref (secret);
  self->soup = soup_server_new ("server-header", "convened", NULL);
  soup_server_add_websocket_handler (self->soup, "/ws", NULL, NULL,
      ws_handler, self, NULL);
  soup_server_add_handler (self->soup, "/healthz", healthz_handler, self,
      NULL);
  soup_server_add_handler (self->soup, "/metrics", metrics_handler, self,
      NULL);
  soup_server_add_handler (self->soup, "/api/meetings", meetings_handler,
      self, NULL);
  soup_server_add_handler (self->soup, "/", static_handler, self, NULL);
  return g_steal_pointer (&self);
}

char *
cnv_server_listen (CnvServer * self, GError ** error)
{
  g_autoptr (GSocketAddress) addr =
      g_inet_socket_address_new_from_string (self->config->listen_host,
      self->config->listen_port);
  GSList *uris;
  char *url;

  if (!addr) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "invalid listen address %s", self->config->listen_host);
    return NULL;
  }
  if (!soup_server_listen (self->soup, addr, 0, error))
    return NULL;
  uris = soup_server_get_uris (self->soup);
  if (!uris) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no listening URI");
    return NULL;
  }
  url = g_uri_to_string (uris->data);
  {
    /* Workers connect back here; a wildcard bind is reached on loopback. */
    const char *host = g_uri_get_host (uris->data);
    g_autofree char *ws = NULL;
    if (g_strcmp0 (host, "0.0.0.0") == 0)
      host = "127.0.0.1";
    else if (g_strcmp0 (host, "::") == 0)
      host = "::1";
    ws = g_strdup_printf (strchr (host, ':') ? "ws://[%s]:%d/ws" :
        "ws://%s:%d/ws", host, g_uri_get_port (uris->data));
    cnv_hub_set_signaling_uri (self->hub, ws);
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

static gboolean
grace_expired (gpointer data)
{
  CnvServer *self = data;

  self->grace_id = 0;
  g_message ("shutdown: %u connection(s) did not close in time",
      g_hash_table_size (self->conns));
  g_main_loop_quit (self->quit_loop);
  return G_SOURCE_REMOVE;
}

void
cnv_server_shutdown (CnvServer * self, GMainLoop * loop)
{
  if (self->quit_loop)
    return;
  self->quit_loop = g_main_loop_ref (loop);
  cnv_hub_close_all (self->hub, CNV_CLOSE_GOING_AWAY, "server shutting down");
  self->grace_id = g_timeout_add (SHUTDOWN_GRACE_MS, grace_expired, self);
  maybe_finish_shutdown (self);
}

static void
cnv_server_dispose (GObject * object)
{
  CnvServer *self = CNV_SERVER (object);

  if (self->grace_id)
    g_source_remove (self->grace_id);
  self->grace_id = 0;
  if (self->soup)
    soup_server_disconnect (self->soup);
  g_clear_pointer (&self->conns, g_hash_table_unref);
  g_clear_object (&self->hub);
  g_clear_pointer (&self->secret, g_bytes_unref);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->quit_loop, g_main_loop_unref);
  G_OBJECT_CLASS (cnv_server_parent_class)->dispose (object);
}

static void
cnv_server_class_init (CnvServerClass * klass)
{
  G_OBJECT_CLASS (klass)->dispose = cnv_server_dispose;
}

static void
cnv_server_init (CnvServer * self)
{
  self->conns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      conn_free);
}
