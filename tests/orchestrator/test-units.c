/* Pure parts of convene-orch: validation tables, tokens, TURN credentials,
 * configuration, rate limiting. */
#include <glib/gstdio.h>
#include <jwt.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "protocol.h"
#include "ratelimit.h"
#include "token.h"
#include "worker-supervisor.h"
#include "turn.h"

typedef struct
{
  const char *text;
  gboolean ok;
  CnvErrorCode code;
  const char *in_message;       /* substring of the error message */
  const char *ref;
} ParseCase;

static const ParseCase parse_cases[] = {
  /* meetings */
  {"{\"type\":\"join\",\"meeting\":\"m-1.a_b\"}", TRUE},
  {"{\"type\":\"join\",\"meeting\":\"m1\",\"tracks\":[{\"id\":\"a\","
        "\"kind\":\"audio\"},{\"id\":\"s\",\"kind\":\"screen\"}]}", TRUE},
  {"{\"type\":\"join\",\"meeting\":\"m 1\"}", FALSE, CNV_ERR_BAD_MESSAGE,
      "meeting", "join"},
  {"{\"type\":\"join\",\"meeting\":\"m1\",\"tracks\":{}}", FALSE,
      CNV_ERR_BAD_MESSAGE, "tracks", "join"},
  {"{\"type\":\"join\",\"meeting\":\"m1\",\"tracks\":[{\"id\":\"a\","
        "\"kind\":\"smell\"}]}", FALSE, CNV_ERR_BAD_MESSAGE, "kind", "join"},
  {"{\"type\":\"join\",\"meeting\":\"m1\",\"tracks\":[{\"id\":\"a\","
        "\"kind\":\"audio\",\"type\":\"x\"}]}", FALSE, CNV_ERR_BAD_MESSAGE,
      "type", "join"},
  {"{\"type\":\"join\",\"meeting\":\"m1\",\"tracks\":[1]}", FALSE,
      CNV_ERR_BAD_MESSAGE, "tracks", "join"},
  {"{\"type\":\"tracks\",\"meeting\":\"m1\",\"tracks\":[{},{},{},{},{},"
        "{},{},{},{}]}", FALSE, CNV_ERR_BAD_MESSAGE, "more than 8", "tracks"},
  {"{\"type\":\"tracks\",\"meeting\":\"m1\"}", FALSE,
      CNV_ERR_BAD_MESSAGE, "tracks", "tracks"},
  {"{\"type\":\"leave\",\"meeting\":\"m1\"}", TRUE},
  {"{\"type\":\"sdp\",\"meeting\":\"m1\",\"to\":\"p1\",\"session\":"
        "\"publish\",\"sdp_type\":\"offer\",\"sdp\":\"v=0\"}", TRUE},
  {"{\"type\":\"sdp\",\"meeting\":\"m1\",\"to\":\"p1\",\"session\":"
        "\"sideways\",\"sdp_type\":\"offer\",\"sdp\":\"v=0\"}", FALSE,
      CNV_ERR_BAD_MESSAGE, "session", "sdp"},
  {"{\"type\":\"sdp\",\"meeting\":\"m1\",\"call_id\":\"c\",\"to\":"
        "\"p1\",\"session\":\"mesh\",\"sdp_type\":\"offer\",\"sdp\":\"\"}",
      FALSE, CNV_ERR_BAD_MESSAGE, "call_id", "sdp"},
  {"{\"type\":\"sdp\",\"call_id\":\"c\",\"to\":\"p1\",\"sdp_type\":"
        "\"offer\",\"sdp\":\"\"}", FALSE, CNV_ERR_BAD_MESSAGE, "to", "sdp"},
  {"{\"type\":\"ice\",\"meeting\":\"m1\",\"to\":\"p1\",\"session\":"
        "\"mesh\",\"candidate\":\"\",\"sdp_mline_index\":0}", TRUE},
  {"{\"type\":\"ice\",\"meeting\":\"m1\",\"session\":\"mesh\","
        "\"candidate\":\"\",\"sdp_mline_index\":0}", FALSE,
      CNV_ERR_BAD_MESSAGE, "to", "ice"},
  {"{\"type\":\"view\",\"meeting\":\"m1\",\"participant_id\":\"p1\","
        "\"track\":\"v\",\"width\":0,\"height\":0}", TRUE},
  {"{\"type\":\"view\",\"meeting\":\"m1\",\"participant_id\":\"p1\","
        "\"track\":\"v\",\"width\":-1,\"height\":0}", FALSE,
      CNV_ERR_BAD_MESSAGE, "width", "view"},
  {"{\"type\":\"media-ready\",\"meeting\":\"m1\",\"mode\":\"sfu\"}",
      TRUE},
  {"{\"type\":\"media-ready\",\"meeting\":\"m1\",\"mode\":\"p2p\"}",
      FALSE, CNV_ERR_BAD_MESSAGE, "mode", "media-ready"},
  {"{\"type\":\"active-speaker\",\"meeting\":\"m1\",\"participant_id\":"
        "\"p1\"}", TRUE},
  {"{\"type\":\"hello\",\"token\":\"abc\"}", TRUE},
  {"{\"type\":\"hello\",\"token\":\"abc\",\"client\":\"firefox\"}", TRUE},
  {"{\"type\":\"hello\"}", FALSE, CNV_ERR_BAD_MESSAGE, "token", "hello"},
  {"{\"type\":\"hello\",\"token\":1}", FALSE, CNV_ERR_BAD_MESSAGE, "token",
      "hello"},
  {"{\"type\":\"hello\",\"token\":\"a\",\"client\":"
        "\"12345678901234567890123456789012345678901234567890123456789012345\"}",
      FALSE, CNV_ERR_BAD_MESSAGE, "client", "hello"},
  {"{\"type\":\"call\",\"to\":\"bob\"}", TRUE},
  {"{\"type\":\"call\",\"to\":\"b.o_b-1\"}", TRUE},
  {"{\"type\":\"call\",\"to\":\"\"}", FALSE, CNV_ERR_BAD_MESSAGE, "to"},
  {"{\"type\":\"call\",\"to\":\"bob smith\"}", FALSE, CNV_ERR_BAD_MESSAGE,
      "to"},
  {"{\"type\":\"call\",\"to\":"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
      FALSE, CNV_ERR_BAD_MESSAGE, "to"},
  {"{\"type\":\"call\",\"to\":\"bob\",\"from\":\"eve\"}", FALSE,
      CNV_ERR_BAD_MESSAGE, "from", "call"},
  {"{\"type\":\"call\",\"to\":null}", FALSE, CNV_ERR_BAD_MESSAGE, "null"},
  {"{\"type\":\"accept\",\"call_id\":\"c-1\"}", TRUE},
  {"{\"type\":\"reject\",\"call_id\":\"c-1\"}", TRUE},
  {"{\"type\":\"cancel\",\"call_id\":\"c-1\"}", TRUE},
  {"{\"type\":\"hangup\",\"call_id\":\"c-1\"}", TRUE},
  {"{\"type\":\"hangup\",\"call_id\":[]}", FALSE, CNV_ERR_BAD_MESSAGE,
      "call_id"},
  {"{\"type\":\"accept\",\"call_id\":"
        "\"12345678901234567890123456789012345678901234567890123456789012345\"}",
      FALSE, CNV_ERR_BAD_MESSAGE, "call_id"},
  {"{\"type\":\"sdp\",\"call_id\":\"c\",\"sdp_type\":\"offer\",\"sdp\":\"v\"}",
      TRUE},
  {"{\"type\":\"sdp\",\"call_id\":\"c\",\"sdp_type\":\"answer\",\"sdp\":\"\"}",
      TRUE},
  {"{\"type\":\"sdp\",\"call_id\":\"c\",\"sdp_type\":\"rollback\","
        "\"sdp\":\"\"}", FALSE, CNV_ERR_BAD_MESSAGE, "sdp_type"},
  {"{\"type\":\"sdp\",\"call_id\":\"c\",\"sdp_type\":\"offer\"}", FALSE,
      CNV_ERR_BAD_MESSAGE, "\"sdp\""},
  {"{\"type\":\"ice\",\"call_id\":\"c\",\"candidate\":\"\","
        "\"sdp_mline_index\":0}", TRUE},
  {"{\"type\":\"ice\",\"call_id\":\"c\",\"candidate\":\"x\","
        "\"sdp_mline_index\":3,\"sdp_mid\":\"video\"}", TRUE},
  {"{\"type\":\"ice\",\"call_id\":\"c\",\"candidate\":\"x\","
        "\"sdp_mline_index\":1.5}", FALSE, CNV_ERR_BAD_MESSAGE,
      "sdp_mline_index"},
  {"{\"type\":\"ice\",\"call_id\":\"c\",\"candidate\":\"x\","
        "\"sdp_mline_index\":-1}", FALSE, CNV_ERR_BAD_MESSAGE,
      "sdp_mline_index"},
  {"{\"type\":\"ice\",\"call_id\":\"c\",\"candidate\":\"x\","
        "\"sdp_mline_index\":99999999999}", FALSE, CNV_ERR_BAD_MESSAGE,
      "sdp_mline_index"},
  {"{\"type\":\"ice\",\"call_id\":\"c\",\"candidate\":\"x\","
        "\"sdp_mline_index\":0,\"sdp_mid\":0}", FALSE, CNV_ERR_BAD_MESSAGE,
      "sdp_mid"},
  {"{\"type\":\"ice\",\"call_id\":\"c\",\"sdp_mline_index\":0}", FALSE,
      CNV_ERR_BAD_MESSAGE, "candidate"},
  {"{\"type\":\"ping\"}", TRUE},
  {"{\"type\":\"ping\",\"x\":1}", FALSE, CNV_ERR_BAD_MESSAGE, "x", "ping"},
  {"{\"type\":\"pong\"}", FALSE, CNV_ERR_UNKNOWN_TYPE, NULL, "pong"},
  {"{\"type\":\"welcome\"}", FALSE, CNV_ERR_UNKNOWN_TYPE, NULL, "welcome"},
  {"{\"type\":true}", FALSE, CNV_ERR_BAD_MESSAGE, "type"},
  {"{}", FALSE, CNV_ERR_BAD_MESSAGE, "type"},
  {"[]", FALSE, CNV_ERR_BAD_JSON},
  {"\"hello\"", FALSE, CNV_ERR_BAD_JSON},
  {"", FALSE, CNV_ERR_BAD_JSON},
  {"{\"type\":\"ping\"", FALSE, CNV_ERR_BAD_JSON},
  {"{\"type\":\"ping\"}{}", FALSE, CNV_ERR_BAD_JSON},
  {"{\"type\":\"\xff\"}", FALSE, CNV_ERR_BAD_JSON},
};

static void
test_parse_table (gconstpointer data)
{
  const ParseCase *c = data;
  g_autoptr (JsonObject) obj = NULL;
  g_autofree char *message = NULL;
  g_autofree char *ref = NULL;
  CnvMsgType type;
  CnvErrorCode code;
  gboolean ok;

  ok = cnv_protocol_parse (c->text, strlen (c->text), &type, &obj, &code,
      &message, &ref);
  g_assert_cmpint (ok, ==, c->ok);
  if (ok) {
    g_assert_nonnull (obj);
    g_assert_cmpstr (cnv_msg_type_to_string (type), ==,
        json_object_get_string_member (obj, "type"));
    return;
  }
  g_assert_null (obj);
  g_assert_cmpstr (cnv_error_code_to_string (code), ==,
      cnv_error_code_to_string (c->code));
  g_assert_nonnull (message);
  if (c->in_message && !strstr (message, c->in_message))
    g_error ("message \"%s\" does not name \"%s\"", message, c->in_message);
  if (c->ref)
    g_assert_cmpstr (ref, ==, c->ref);
}

static void
test_parse_limits (void)
{
  g_autoptr (GString) s = g_string_new ("{\"type\":\"sdp\",\"call_id\":\"c\","
      "\"sdp_type\":\"offer\",\"sdp\":\"");
  g_autoptr (GString) deep = g_string_new (NULL);
  g_autoptr (JsonObject) obj = NULL;
  g_autofree char *message = NULL;
  g_autofree char *ref = NULL;
  CnvMsgType type;
  CnvErrorCode code;

  for (int i = 0; i < CNV_MAX_SDP_LEN + 1; i++)
    g_string_append_c (s, 'a');
  g_string_append (s, "\"}");
  g_assert_false (cnv_protocol_parse (s->str, s->len, &type, &obj, &code,
          &message, &ref));
  g_assert_cmpint (code, ==, CNV_ERR_BAD_MESSAGE);
  g_assert_nonnull (strstr (message, "sdp"));
  g_clear_pointer (&message, g_free);
  g_clear_pointer (&ref, g_free);

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_assert_false (cnv_protocol_parse (deep->str, deep->len, &type, &obj,
          &code, &message, &ref));
  g_assert_cmpint (code, ==, CNV_ERR_BAD_JSON);
  g_clear_pointer (&message, g_free);
  g_clear_pointer (&ref, g_free);

  /* embedded NUL */
  g_assert_false (cnv_protocol_parse ("{\"type\":\"ping\"}\0", 16, &type,
          &obj, &code, &message, &ref));
  g_assert_cmpint (code, ==, CNV_ERR_BAD_JSON);
}

static void
test_builders (void)
{
  g_autofree char *e = cnv_msg_error (CNV_ERR_UNKNOWN_CALL, "no \"such\"",
      "accept");
  g_autofree char *p = cnv_msg_presence ("bob", "busy", 1700000000000);
  g_autofree char *a = cnv_msg_accepted ("c-1", "bob", "offerer");

  g_assert_cmpstr (e, ==, "{\"type\":\"error\",\"code\":\"unknown-call\","
      "\"message\":\"no \\\"such\\\"\",\"ref\":\"accept\"}");
  g_assert_cmpstr (p, ==, "{\"type\":\"presence\",\"user\":\"bob\","
      "\"status\":\"busy\",\"last_seen\":1700000000000}");
  g_assert_cmpstr (a, ==, "{\"type\":\"accepted\",\"call_id\":\"c-1\","
      "\"peer\":\"bob\",\"role\":\"offerer\"}");
}

/* ---- tokens ---- */

static GBytes *
key_a (void)
{
  return g_bytes_new_static ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32);
}

static void
test_token (void)
{
  static const char *const grants[] = { "publish", "subscribe", NULL };
  g_autoptr (GBytes) key = key_a ();
  g_autoptr (GBytes) other = g_bytes_new_static
      ("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 32);
  gint64 now = 1700000000;
  g_autofree char *t = cnv_token_mint (key, "alice", "m-1", grants, now, 60,
      NULL);
  g_autoptr (CnvTokenClaims) c = NULL;
  g_autofree char *msg = NULL;
  CnvErrorCode code;

  g_assert_nonnull (t);
  c = cnv_token_verify (key, t, now + 10, &code, &msg);
  g_assert_nonnull (c);
  g_assert_cmpstr (c->user, ==, "alice");
  g_assert_cmpstr (c->meeting, ==, "m-1");
  g_assert_cmpint (c->exp, ==, now + 60);
  g_assert_true (cnv_token_claims_has_grant (c, "publish"));
  g_assert_true (cnv_token_claims_has_grant (c, "subscribe"));
  g_assert_false (cnv_token_claims_has_grant (c, "admin"));

  /* expired */
  g_assert_null (cnv_token_verify (key, t, now + 60, &code, &msg));
  g_assert_cmpint (code, ==, CNV_ERR_TOKEN_EXPIRED);
  g_clear_pointer (&msg, g_free);
  /* another key */
  g_assert_null (cnv_token_verify (other, t, now, &code, &msg));
  g_assert_cmpint (code, ==, CNV_ERR_AUTH_FAILED);
  g_clear_pointer (&msg, g_free);
  /* garbage */
  {
    const char *const garbage[] = { "", "a", "a.b", "a.b.c", "...",
      "eyJhbGciOiJIUzI1NiJ9.e30.", "eyJhbGciOiJIUzI1NiJ9.!!!!.xyz",
      "\xff\xfe.x.y",
    };
    for (gsize i = 0; i < G_N_ELEMENTS (garbage); i++) {
      g_assert_null (cnv_token_verify (key, garbage[i], now, &code, &msg));
      g_assert_cmpint (code, ==, CNV_ERR_AUTH_FAILED);
      g_clear_pointer (&msg, g_free);
    }
  }
  /* unknown grant refused when minting */
  {
    static const char *const bad[] = { "fly", NULL };
    g_autoptr (GError) error = NULL;
    g_assert_null (cnv_token_mint (key, "alice", NULL, bad, now, 60, &error));
    g_assert_nonnull (error);
  }
}

static char *
mint_with_alg (jwt_alg_t alg, const char *key, gint64 exp)
{
  jwt_t *jwt = NULL;
  char *s, *r;

  g_assert_cmpint (jwt_new (&jwt), ==, 0);
  jwt_add_grant (jwt, "sub", "alice");
  jwt_add_grant_int (jwt, "exp", exp);
  jwt_add_grants_json (jwt, "{\"grants\":[\"publish\"]}");
  g_assert_cmpint (jwt_set_alg (jwt, alg, (const unsigned char *) key,
          key ? strlen (key) : 0), ==, 0);
  s = jwt_encode_str (jwt);
  r = g_strdup (s);
  free (s);
  jwt_free (jwt);
  return r;
}

static void
test_token_algs (void)
{
  g_autoptr (GBytes) key = key_a ();
  const char *k = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  g_autofree char *hs256 = mint_with_alg (JWT_ALG_HS256, k, 1700000100);
  g_autofree char *hs512 = mint_with_alg (JWT_ALG_HS512, k, 1700000100);
  g_autofree char *none = mint_with_alg (JWT_ALG_NONE, NULL, 1700000100);
  g_autoptr (CnvTokenClaims) c = NULL;
  g_autofree char *msg = NULL;
  CnvErrorCode code;

  c = cnv_token_verify (key, hs256, 1700000000, &code, &msg);
  g_assert_nonnull (c);
  g_assert_null (cnv_token_verify (key, hs512, 1700000000, &code, &msg));
  g_assert_cmpint (code, ==, CNV_ERR_AUTH_FAILED);
  g_clear_pointer (&msg, g_free);
  g_assert_null (cnv_token_verify (key, none, 1700000000, &code, &msg));
  g_assert_cmpint (code, ==, CNV_ERR_AUTH_FAILED);
}

static void
test_secret_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("convene-secret-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "secret", NULL);
  g_autoptr (GBytes) a = NULL;
  g_autoptr (GBytes) b = NULL;
  GStatBuf st;

  a = cnv_secret_load (dir, NULL);
  g_assert_nonnull (a);
  g_assert_cmpuint (g_bytes_get_size (a), ==, CNV_SECRET_LEN);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  b = cnv_secret_load (dir, NULL);
  g_assert_true (g_bytes_equal (a, b));
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_turn (void)
{
  g_autofree char *user = NULL;
  g_autofree char *cred = NULL;
  g_autofree char *user2 = NULL;
  g_autofree char *cred2 = NULL;

  /* Reference values computed with openssl dgst -sha1 -hmac | base64. */
  cnv_turn_credentials ("s3cret", "alice", 1700000000, &user, &cred);
  g_assert_cmpstr (user, ==, "1700000000:alice");
  g_assert_cmpstr (cred, ==, "TtElzSjT0GdnTQ9xdcRNxx96yQs=");
  cnv_turn_credentials ("north", "bob", 1600000000, &user2, &cred2);
  g_assert_cmpstr (cred2, ==, "vfcZN1G17lAzdCEds/jjhndMpJU=");
}

/* ---- configuration ---- */

static void
test_config_defaults (void)
{
  g_autoptr (CnvConfig) c = cnv_config_load (NULL, NULL, NULL);

  g_assert_nonnull (c);
  g_assert_cmpstr (c->listen_host, ==, "127.0.0.1");
  g_assert_cmpuint (c->listen_port, ==, 8080);
  g_assert_cmpstr (c->data_dir, ==, "./var");
  g_assert_cmpint (c->policy, ==, CNV_POLICY_OPEN);
  g_assert_cmpuint (c->ring_timeout_ms, ==, 30000);
  g_assert_cmpuint (c->max_frame, ==, 65536);
  g_assert_cmpuint (c->rate, ==, 50);
  g_assert_cmpuint (c->burst, ==, 200);
  g_assert_cmpint (c->turn_ttl, ==, 86400);
  g_assert_false (c->allow_loopback);
  g_assert_cmpuint (g_strv_length (c->stun), ==, 0);
  g_assert_cmpuint (c->mesh_max, ==, 4);
  g_assert_cmpuint (c->mesh_linger_ms, ==, 10000);
  g_assert_cmpuint (c->max_participants, ==, 50);
  g_assert_true (g_str_has_suffix (c->pipeline, "meeting.pipeline"));
  g_assert_nonnull (c->worker_command);
}

static void
test_worker_argv (void)
{
  const char *sets[] = { "meetings.worker-command=valgrind 'my worker'",
    "meetings.pipeline=/p/meeting.pipeline", "server.data-dir=/d",
    "ice.allow-loopback=true", "recording.pipeline=/p/recorder.pipeline",
    "recording.chunk-duration=1500", NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvConfig) c = cnv_config_load (NULL, sets, &error);
  g_auto (GStrv) argv = NULL;
  const char *const want[] = { "valgrind", "my worker",
    "/p/meeting.pipeline", "MEETING_ID=m1", "SIGNALING_URI=ws://h:1/ws",
    "WORKER_TOKEN=t", "DATA_DIR=/d", "ALLOW_LOOPBACK=true",
    "RECORDER_PIPELINE=/p/recorder.pipeline", "CHUNK_DURATION=1500000000",
    NULL
  };

  g_assert_no_error (error);
  argv = cnv_worker_argv (c, "ws://h:1/ws", "m1", "t", &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (argv, want);
}

static void
test_config_file_and_set (void)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  int fd = g_file_open_tmp ("convene-XXXXXX.conf", &path, &error);
  const char *text =
      "[server]\nlisten = [::1]:9000\n"
      "[auth]\npolicy = contacts\n"
      "[ice]\nstun = stun:a.example:3478;stun:b.example\n"
      "turn = turn:t.example:3478?transport=udp;turns:t.example:5349\n"
      "turn-secret = north\n"
      "[calls]\nring-timeout = 20\n"
      "[events]\nkafka-brokers = 127.0.0.1:9092\n"
      "[storage]\ns3-endpoint = http://127.0.0.1:4568\ns3-bucket = rec\n"
      "[recording]\nchunk-duration = 500\n"
      "[cluster]\nredis = somewhere\n";
  const char *sets[] = { "calls.ring-timeout=5", "limits.rate=10",
    "ice.allow-loopback=true", "server.listen=localhost:0", NULL
  };
  g_autoptr (CnvConfig) c = NULL;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  close (fd);
  c = cnv_config_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (c->listen_host, ==, "::1");
  g_assert_cmpuint (c->listen_port, ==, 9000);
  g_assert_cmpint (c->policy, ==, CNV_POLICY_CONTACTS);
  g_assert_cmpuint (g_strv_length (c->stun), ==, 2);
  g_assert_cmpstr (c->turn[1], ==, "turns:t.example:5349");
  g_assert_cmpuint (c->ring_timeout_ms, ==, 20000);
  g_assert_cmpstr (c->kafka_brokers, ==, "127.0.0.1:9092");
  g_assert_cmpstr (c->kafka_topic_prefix, ==, "convene.");
  g_assert_cmpstr (c->s3_bucket, ==, "rec");
  g_assert_cmpstr (c->s3_region, ==, "us-east-1");
  g_assert_cmpuint (c->chunk_duration_ms, ==, 500);
  g_clear_pointer (&c, cnv_config_free);

  c = cnv_config_load (path, sets, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->ring_timeout_ms, ==, 5000);
  g_assert_cmpuint (c->rate, ==, 10);
  g_assert_true (c->allow_loopback);
  g_assert_cmpstr (c->listen_host, ==, "127.0.0.1");
  g_assert_cmpuint (c->listen_port, ==, 0);
  g_unlink (path);
}

static void
test_config_bad (void)
{
  const char *const bad[] = {
    "server.listen=nohost",
    "server.listen=127.0.0.1:70000",
    "server.listen=example.com:80",
    "server.listen=127.0.0.1:",
    "auth.policy=closed",
    "ice.stun=http://x",
    "ice.turn=turn:x",          /* no turn-secret */
    "ice.turn-ttl=0",
    "ice.allow-loopback=maybe",
    "calls.ring-timeout=-1",
    "calls.ring-timeout=10s",
    "limits.max-frame=12",
    "limits.rate=0",
    "limits.burst=lots",
    "meetings.mesh-max=-1",
    "meetings.mesh-linger=soon",
    "meetings.max-participants=0",
    "meetings.worker-command=\"unterminated",
    "meetings.pipeline=",
    "meetings.colour=blue",
    "server.colour=blue",
    "noequals",
    "nodot=1",
    ".key=1",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    const char *sets[] = { bad[i], NULL };
    g_autoptr (GError) error = NULL;
    g_autoptr (CnvConfig) c = cnv_config_load (NULL, sets, &error);
    if (c)
      g_error ("\"%s\" was accepted", bad[i]);
    g_assert_error (error, CNV_CONFIG_ERROR, CNV_CONFIG_ERROR_INVALID);
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_null (cnv_config_load ("/nonexistent/convene.conf", NULL,
            &error));
    g_assert_nonnull (error);
  }
}

static void
test_config_sample (void)
{
  const char *root = g_getenv ("CONVENE_SOURCE_ROOT");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (CnvConfig) c = NULL;

  if (!root) {
    g_test_skip ("CONVENE_SOURCE_ROOT not set");
    return;
  }
  path = g_build_filename (root, "docs", "convene.conf.sample", NULL);
  c = cnv_config_load (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->listen_port, ==, 8080);
  g_assert_cmpuint (c->ring_timeout_ms, ==, 30000);
}

static void
test_ratelimit (void)
{
  CnvTokenBucket b;
  guint ok = 0;

  cnv_token_bucket_init (&b, 50, 200, 0);
  for (int i = 0; i < 1000; i++)
    ok += cnv_token_bucket_take (&b, 0);
  g_assert_cmpuint (ok, ==, 200);
  /* one second later: 50 more */
  ok = 0;
  for (int i = 0; i < 1000; i++)
    ok += cnv_token_bucket_take (&b, G_USEC_PER_SEC);
  g_assert_cmpuint (ok, ==, 50);
  /* never above the burst */
  ok = 0;
  for (int i = 0; i < 1000; i++)
    ok += cnv_token_bucket_take (&b, G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC);
  g_assert_cmpuint (ok, ==, 200);
}

static void
test_metrics (void)
{
  CnvMetrics m = { 0 };
  g_autofree char *text = NULL;

  m.calls[CNV_OUTCOME_NO_ANSWER] = 3;
  m.errors[CNV_ERR_BAD_JSON] = 2;
  cnv_metrics_observe_setup (&m, 0.3);
  cnv_metrics_observe_setup (&m, 45);
  text = cnv_metrics_render (&m, 7);
  g_assert_nonnull (strstr (text, "convene_connections 7\n"));
  g_assert_nonnull (strstr (text,
          "convene_calls_total{outcome=\"no-answer\"} 3\n"));
  g_assert_nonnull (strstr (text,
          "convene_call_setup_seconds_bucket{le=\"0.25\"} 0\n"));
  g_assert_nonnull (strstr (text,
          "convene_call_setup_seconds_bucket{le=\"0.5\"} 1\n"));
  g_assert_nonnull (strstr (text,
          "convene_call_setup_seconds_bucket{le=\"60\"} 2\n"));
  g_assert_nonnull (strstr (text, "convene_call_setup_seconds_count 2\n"));
  g_assert_nonnull (strstr (text, "convene_errors_total{code=\"bad-json\"} "
          "2\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (parse_cases); i++) {
    g_autofree char *name = g_strdup_printf ("/protocol/parse/%02"
        G_GSIZE_FORMAT, i);
    g_test_add_data_func (name, &parse_cases[i], test_parse_table);
  }
  g_test_add_func ("/protocol/limits", test_parse_limits);
  g_test_add_func ("/protocol/builders", test_builders);
  g_test_add_func ("/token/mint-verify", test_token);
  g_test_add_func ("/token/algorithms", test_token_algs);
  g_test_add_func ("/token/secret-file", test_secret_file);
  g_test_add_func ("/turn/credentials", test_turn);
  g_test_add_func ("/config/defaults", test_config_defaults);
  g_test_add_func ("/config/file-and-set", test_config_file_and_set);
  g_test_add_func ("/config/bad-values", test_config_bad);
  g_test_add_func ("/config/sample-file", test_config_sample);
  g_test_add_func ("/config/worker-argv", test_worker_argv);
  g_test_add_func ("/ratelimit/bucket", test_ratelimit);
  g_test_add_func ("/metrics/render", test_metrics);
  return g_test_run ();
}
