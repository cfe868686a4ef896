/* Fake transport for driving the hub without sockets. */
#pragma once

#include <json-glib/json-glib.h>
#include "hub.h"
#include "token.h"

typedef struct
{
  CnvHub *hub;
  char *id;
  GQueue msgs;                  /* JsonObject* received, oldest first */
  gboolean closed;
  gushort close_code;
} FakeClient;

/* A worker "process" of the fake launcher. */
typedef struct
{
  gint64 pid;
  char *meeting;
  char *token;
  CnvWorkerExitedFunc exited;
  gpointer exited_data;
  gboolean terminated;          /* got SIGTERM */
  gboolean released;
} FakeWorker;

/* Replaces GSubprocess in the hub: records starts, lets tests kill. */
typedef struct
{
  GPtrArray *workers;           /* FakeWorker*, every one ever started */
  gint64 next_pid;
} FakeLauncher;

extern const CnvWorkerLauncherFuncs fake_launcher_funcs;
/* The process ends (crash, or after SIGTERM). */
void fake_worker_exit (FakeWorker * w);
/* Exit status 2: the worker refused its pipeline or arguments. */
void fake_worker_fail_permanently (FakeWorker * w);

typedef struct
{
  char *dir;
  CnvConfig *config;
  CnvUsers *users;
  GBytes *secret;
  CnvHub *hub;
  FakeLauncher launcher;
} HubFixture;

void hub_fixture_init (HubFixture * f, CnvPolicy policy);
void hub_fixture_clear (HubFixture * f);
void hub_fixture_add_user (HubFixture * f, const char *name,
    const char *contacts);
char *hub_fixture_token (HubFixture * f, const char *user, gint64 ttl);
/* @grants comma-separated; @meeting may be NULL. */
char *hub_fixture_token_full (HubFixture * f, const char *user,
    const char *meeting, const char *grants);
/* Recreates the hub (after changing f->config). */
void hub_fixture_restart_hub (HubFixture * f);

FakeClient *fake_connect (CnvHub * hub);
/* Connects and says hello as @user; consumes the welcome. */
FakeClient *fake_login (HubFixture * f, const char *user);
/* Connects and says hello with @token; consumes the welcome. */
FakeClient *fake_login_token (HubFixture * f, const char *token);
void fake_send (FakeClient * c, const char *text);
void fake_sendf (FakeClient * c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void fake_disconnect (FakeClient * c);
void fake_free (FakeClient * c);
/* Pops the oldest message, which must be of @type (and, for ended/error,
 * have reason/code @detail when not NULL). Fails the test otherwise. The
 * object stays valid until the client is freed. */
JsonObject *fake_expect (FakeClient * c, const char *type,
    const char *detail);
/* Like fake_expect, iterating the main context for up to @ms. */
JsonObject *fake_wait (FakeClient * c, const char *type, const char *detail,
    guint ms);
void fake_expect_nothing (FakeClient * c);
/* Discards pending presence messages. */
void fake_drop_presence (FakeClient * c);
/* fake_expect after dropping presence messages. */
JsonObject *fake_next (FakeClient * c, const char *type, const char *detail);
/* Iterates the main context until @cond (@data) holds or @ms pass. */
gboolean wait_for (gboolean (*cond) (gpointer), gpointer data, guint ms);
