/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Call set-up time, gst <-> gst (run by bench/call-setup).
 *
 *   call-setup-bench [--calls N]
 *
 * Starts $CONVENE_BIN once; per call, bob (answer=true) signs in, then alice
 * (call=bob) starts.  The time measured is from alice's call request (sent
 * when she is signed in, "connected") to the first decoded video frame from
 * bob on alice's side.  Prints each call, then median and p95.  Needs a
 * loopback-only network namespace (tests/netns-run.sh). */

#include <math.h>
#include <stdlib.h>

#include <gst/gst.h>

#include "e2e-common.h"

typedef struct
{
  E2ePeer *alice, *bob;
} Pair;

static gboolean
first_frame (gpointer data)
{
  Pair *p = data;

  return e2e_peer_error (p->alice) || e2e_peer_error (p->bob)
      || e2e_peer_first_frame_time (p->alice) != 0;
}

static gboolean
bob_idle (gpointer data)
{
  Pair *p = data;
  const gchar *s = e2e_peer_state (p->bob);

  return g_strcmp0 (s, "ended") == 0;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v. */
static gdouble
percentile (const gdouble * v, guint n, gdouble p)
{
  gint rank = (gint) ceil (p / 100.0 * n) - 1;

  return v[CLAMP (rank, 0, (gint) n - 1)];
}

int
main (int argc, char **argv)
{
  const gchar *users[] = { "alice", "bob", NULL };
  gint calls = 20;
  GOptionEntry entries[] = {
    {"calls", 0, 0, G_OPTION_ARG_INT, &calls, "Number of calls", "N"},
    {NULL}
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- call set-up time");
  g_autoptr (GError) err = NULL;
  g_autofree gchar *ta = NULL, *tb = NULL;
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gdouble));
  E2eServer *server;
  gint i, failures = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || calls < 1) {
    g_printerr ("call-setup-bench: %s\n", err ? err->message : "bad --calls");
    return 2;
  }

  server = e2e_server_start (NULL, users, &err);
  if (server == NULL) {
    g_printerr ("call-setup-bench: %s\n", err->message);
    return 1;
  }
  ta = e2e_server_token (server, "alice", NULL);
  tb = e2e_server_token (server, "bob", NULL);
  if (!ta || !tb) {
    g_printerr ("call-setup-bench: no tokens\n");
    e2e_server_stop (server);
    return 1;
  }

  for (i = 0; i < calls; i++) {
    E2ePeerConfig ca = { 0 }, cb = { 0 };
    Pair p = { NULL, NULL };
    gint64 t0, t1;

    e2e_call_configs (&ca, &cb, e2e_server_ws_url (server), ta, tb);

    p.bob = e2e_peer_new (&cb, NULL);
    p.alice = e2e_peer_new (&ca, NULL);
    if (!p.bob || !p.alice) {
      g_printerr ("call-setup-bench: cannot build pipelines\n");
      e2e_peer_free (p.alice);
      e2e_peer_free (p.bob);
      failures++;
      break;
    }
    e2e_peer_start (p.bob);
    e2e_wait_until (e2e_peer_signed_in_or_failed, p.bob, 10.0);
    e2e_peer_start (p.alice);
    e2e_wait_until (first_frame, &p, 30.0);

    t0 = e2e_peer_connected_time (p.alice);
    t1 = e2e_peer_first_frame_time (p.alice);
    if (t0 && t1 && t1 > t0) {
      gdouble ms = (t1 - t0) / 1000.0;

      g_array_append_val (times, ms);
      g_print ("call %2d: %7.1f ms\n", i + 1, ms);
    } else {
      g_print ("call %2d: failed (alice %s, bob %s)\n", i + 1,
          e2e_peer_state (p.alice), e2e_peer_state (p.bob));
      failures++;
    }

    /* Hang up and let the server see the call end before the next one, so
     * bob is not "busy" for the next call. */
    e2e_peer_hangup (p.alice);
    e2e_wait_until (bob_idle, &p, 5.0);
    e2e_peer_free (p.alice);
    e2e_peer_free (p.bob);
  }
  e2e_server_stop (server);

  if (times->len > 0) {
    gdouble *v = (gdouble *) times->data;

    g_array_sort (times, cmp_double);
    g_print ("gst<->gst call set-up (call request -> first decoded remote "
        "frame), %u calls: median %.1f ms, p95 %.1f ms\n", times->len,
        percentile (v, times->len, 50), percentile (v, times->len, 95));
  }
  if (failures)
    g_print ("%d call(s) failed\n", failures);
  return failures ? 1 : 0;
}
