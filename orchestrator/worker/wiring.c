/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* One CnvWorkerWiring per worker pipeline: it follows the bridge's
 * participants and published tracks and keeps the router's pads in step
 * (docs/architecture.md, "What the worker wires"):
 *
 * - a published track (one bridge `pub_%u` pad per simulcast layer) gets
 *   one router `sink_%u` per layer;
 * - every other participant gets one subscription per track (not per
 *   layer): a bridge `sub_%u` from `add-subscriber-track`, fed by a router
 *   `src_%u` that picks the layer;
 * - `view` and `subscriber-estimate` become src pad properties, kept so
 *   that they also apply to pads made later;
 * - `sfurouter-active-speaker` becomes `send-active-speaker`.
 *
 * The bridge's signals are looked up at construction and checked against
 * the contract, so a signalbridge without the server role is a clear error
 * at start rather than a pipeline that never forwards anything. The
 * handlers read their arguments from GValues so that an int where the
 * contract says uint (or the other way round) still works. */

#include "wiring.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (cnv_worker_wiring_debug);
#define GST_CAT_DEFAULT cnv_worker_wiring_debug

G_DEFINE_QUARK (cnv-worker-wiring-error-quark, cnv_worker_wiring_error);

/* Separates the ids inside table keys; ids come from the network and may
 * hold anything printable, but not a unit separator. */
#define KEY_SEP "\037"

typedef struct
{
  GstPad *pub_pad;              /* bridge pub_%u (ref) */
  GstPad *router_sink;          /* router sink_%u (ref) */
} Layer;

typedef struct
{
  gchar *publisher_id;
  gchar *track_id;
  gchar *kind;
  GPtrArray *layers;            /* of Layer */
} Track;

typedef struct
{
  gchar *subscriber_id;
  gchar *publisher_id;
  gchar *track_id;
  GstPad *sub_pad;              /* bridge sub_%u, or the recorder's sink_%u (ref) */
  GstPad *router_src;           /* router src_%u (ref) */
  GstElement *sink_owner;       /* the bridge or the recorder (ref) */
} Subscription;

/* The recorder follows every published track like a subscriber does, under
 * this id (no participant id can contain a parenthesis). */
#define RECORDER_ID "(recorder)"

typedef struct
{
  guint width;
  guint height;
} View;

typedef enum
{
  SIG_PARTICIPANT_JOINED,
  SIG_PARTICIPANT_LEFT,
  SIG_VIEW,
  SIG_SUBSCRIBER_ESTIMATE,
  SIG_PAD_ADDED,
  SIG_PAD_REMOVED,
  N_SIGS
} Sig;

struct _CnvWorkerWiring
{
  GObject parent;

  GstElement *bridge;
  GstElement *router;
  gulong handlers[N_SIGS];

  /* Protects participants, tracks, subscriptions, views and estimates.
   * Held while calling into the elements: pad-added must have linked the
   * new pad before it returns (the bridge pushes right after), and every
   * table change goes with a pad change. Recursive because releasing a
   * bridge request pad emits pad-removed on this same thread. Lock order:
   * this lock, then any element or pad lock; neither element calls us with
   * its own lock held. */
  GRecMutex lock;
  GHashTable *participants;     /* id -> user */
  GHashTable *tracks;           /* publisher KEY_SEP track -> Track */
  GHashTable *subscriptions;    /* subscriber KEY_SEP publisher KEY_SEP track -> Subscription */
  GHashTable *views;            /* same key as subscriptions -> View */
  GHashTable *estimates;        /* subscriber -> guint64 (boxed) */
  GstElement *recorder;         /* while recording (ref), else NULL */
};

G_DEFINE_TYPE (CnvWorkerWiring, cnv_worker_wiring, G_TYPE_OBJECT);

static void
layer_free (gpointer data)
{
  Layer *l = data;

  gst_object_unref (l->pub_pad);
  gst_object_unref (l->router_sink);
  g_free (l);
}

static void
track_free (gpointer data)
{
  Track *t = data;

  g_free (t->publisher_id);
  g_free (t->track_id);
  g_free (t->kind);
  g_ptr_array_unref (t->layers);
  g_free (t);
}

static void
subscription_free (gpointer data)
{
  Subscription *s = data;

  g_free (s->subscriber_id);
  g_free (s->publisher_id);
  g_free (s->track_id);
  gst_object_unref (s->sub_pad);
  gst_object_unref (s->router_src);
  gst_object_unref (s->sink_owner);
  g_free (s);
}

static gchar *
track_key (const gchar * publisher, const gchar * track)
{
  return g_strconcat (publisher, KEY_SEP, track, NULL);
}

static gchar *
subscription_key (const gchar * subscriber, const gchar * publisher,
    const gchar * track)
{
  return g_strconcat (subscriber, KEY_SEP, publisher, KEY_SEP, track, NULL);
}

/* Releases a request pad only while @element still owns it: the element
 * may have dropped it on its own (a subscriber gone), and releasing a pad
 * twice is a critical. */
static void
release_if_owned (GstElement * element, GstPad * pad)
{
  GstObject *parent = gst_object_get_parent (GST_OBJECT (pad));

  if (parent == GST_OBJECT (element))
    gst_element_release_request_pad (element, pad);
  if (parent)
    gst_object_unref (parent);
}

/* Call with lock taken. Takes @s out of the table first so that the
 * pad-removed our own release causes finds nothing to do. */
static void
drop_subscription (CnvWorkerWiring * self, const gchar * key)
{
  Subscription *s;
  gpointer orig_key = NULL, value = NULL;

  if (!g_hash_table_steal_extended (self->subscriptions, key, &orig_key,
          &value))
    return;
  s = value;
  GST_INFO_OBJECT (self, "unsubscribing %s from %s/%s", s->subscriber_id,
      s->publisher_id, s->track_id);
  /* Router first, so that nothing is pushed into a pad being released. */
  gst_pad_unlink (s->router_src, s->sub_pad);
  release_if_owned (self->router, s->router_src);
  release_if_owned (s->sink_owner, s->sub_pad);
  subscription_free (s);
  g_free (orig_key);
}

/* Call with lock taken. */
static void
drop_subscriptions_matching (CnvWorkerWiring * self, const gchar * subscriber,
    const gchar * publisher, const gchar * track)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;
  guint i;

  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Subscription *s = value;

    if (subscriber && g_strcmp0 (s->subscriber_id, subscriber) != 0)
      continue;
    if (publisher && g_strcmp0 (s->publisher_id, publisher) != 0)
      continue;
    if (track && g_strcmp0 (s->track_id, track) != 0)
      continue;
    g_ptr_array_add (keys, g_strdup (key));
  }
  for (i = 0; i < keys->len; i++)
    drop_subscription (self, g_ptr_array_index (keys, i));
}

/* Call with lock taken. */
static void
apply_view_and_estimate (CnvWorkerWiring * self, Subscription * s,
    const gchar * key)
{
  View *v = g_hash_table_lookup (self->views, key);
  guint64 *estimate = g_hash_table_lookup (self->estimates, s->subscriber_id);

  if (v)
    g_object_set (s->router_src, "max-width", v->width, "max-height",
        v->height, NULL);
  if (estimate)
    g_object_set (s->router_src, "estimate", *estimate, NULL);
}

/* Call with lock taken. */
static void
subscribe (CnvWorkerWiring * self, const gchar * subscriber, Track * t)
{
  g_autofree gchar *key = subscription_key (subscriber, t->publisher_id,
      t->track_id);
  GstPad *sub_pad = NULL;
  GstPad *router_src;
  GstPadLinkReturn ret;
  Subscription *s;

  GstElement *owner = self->bridge;

  if (g_hash_table_contains (self->subscriptions, key))
    return;

  if (g_strcmp0 (subscriber, RECORDER_ID) == 0) {
    owner = self->recorder;
    sub_pad = owner ? gst_element_request_pad_simple (owner, "sink_%u") : NULL;
    /* The manifest names the participant; one series of chunks each. */
    if (sub_pad && g_object_class_find_property (G_OBJECT_GET_CLASS (sub_pad),
            "participant"))
      g_object_set (sub_pad, "participant", t->publisher_id, "track-id",
          t->track_id, NULL);
  } else {
    /* The returned pad is a new reference, as from
     * gst_element_request_pad_simple(). */
    g_signal_emit_by_name (self->bridge, "add-subscriber-track", subscriber,
        t->publisher_id, t->track_id, t->kind, &sub_pad);
  }
  if (!sub_pad) {
    GST_WARNING_OBJECT (self, "no pad for subscriber track %s <- %s/%s",
        subscriber, t->publisher_id, t->track_id);
    return;
  }
  router_src = gst_element_request_pad_simple (self->router, "src_%u");
  if (!router_src) {
    GST_WARNING_OBJECT (self, "router gave no src pad for %s <- %s/%s",
        subscriber, t->publisher_id, t->track_id);
    release_if_owned (owner, sub_pad);
    gst_object_unref (sub_pad);
    return;
  }
  /* Properties before the link: the router picks the followed track (and
   * asks for its keyframe) from them. */
  g_object_set (router_src, "subscriber-id", subscriber, "publisher-id",
      t->publisher_id, "track-id", t->track_id, NULL);

  s = g_new0 (Subscription, 1);
  s->subscriber_id = g_strdup (subscriber);
  s->publisher_id = g_strdup (t->publisher_id);
  s->track_id = g_strdup (t->track_id);
  s->sub_pad = sub_pad;
  s->router_src = router_src;
  s->sink_owner = gst_object_ref (owner);
  apply_view_and_estimate (self, s, key);

  ret = gst_pad_link (router_src, sub_pad);
  if (GST_PAD_LINK_FAILED (ret)) {
    GST_WARNING_OBJECT (self, "cannot link %" GST_PTR_FORMAT " to %"
        GST_PTR_FORMAT ": %s", router_src, sub_pad,
        gst_pad_link_get_name (ret));
    release_if_owned (self->router, router_src);
    release_if_owned (owner, sub_pad);
    subscription_free (s);
    return;
  }
  GST_INFO_OBJECT (self, "subscribed %s to %s/%s: %s:%s -> %s:%s", subscriber,
      t->publisher_id, t->track_id, GST_DEBUG_PAD_NAME (router_src),
      GST_DEBUG_PAD_NAME (sub_pad));
  g_hash_table_insert (self->subscriptions, g_steal_pointer (&key), s);
}

/* Call with lock taken. */
static void
subscribe_everyone_to (CnvWorkerWiring * self, Track * t)
{
  GHashTableIter iter;
  gpointer id;

  g_hash_table_iter_init (&iter, self->participants);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    if (g_strcmp0 (id, t->publisher_id) != 0)
      subscribe (self, id, t);
  if (self->recorder)
    subscribe (self, RECORDER_ID, t);
}

/* Call with lock taken. */
static void
drop_track (CnvWorkerWiring * self, const gchar * key)
{
  Track *t = g_hash_table_lookup (self->tracks, key);
  guint i;

  if (!t)
    return;
  drop_subscriptions_matching (self, NULL, t->publisher_id, t->track_id);
  for (i = 0; i < t->layers->len; i++) {
    Layer *l = g_ptr_array_index (t->layers, i);

    gst_pad_unlink (l->pub_pad, l->router_sink);
    release_if_owned (self->router, l->router_sink);
  }
  g_hash_table_remove (self->tracks, key);
}

/* Reads a property of a bridge pad as a string, whatever its type. */
static gchar *
pad_property_string (GstPad * pad, const gchar * name)
{
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (pad), name);
  g_auto (GValue) v = G_VALUE_INIT;
  g_auto (GValue) s = G_VALUE_INIT;

  if (!pspec)
    return NULL;
  g_value_init (&v, pspec->value_type);
  g_object_get_property (G_OBJECT (pad), name, &v);
  g_value_init (&s, G_TYPE_STRING);
  if (!g_value_transform (&v, &s))
    return NULL;
  return g_value_dup_string (&s);
}

static void
on_pad_added (GstElement * bridge, GstPad * pad, CnvWorkerWiring * self)
{
  g_autofree gchar *participant = NULL;
  g_autofree gchar *track = NULL;
  g_autofree gchar *kind = NULL;
  g_autofree gchar *layer_str = NULL;
  g_autofree gchar *key = NULL;
  GstPad *router_sink;
  GstPadLinkReturn ret;
  Track *t;
  Layer *l;
  gint layer;
  gboolean new_track = FALSE;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC
      || !g_str_has_prefix (GST_PAD_NAME (pad), "pub_"))
    return;

  participant = pad_property_string (pad, "participant-id");
  track = pad_property_string (pad, "track-id");
  kind = pad_property_string (pad, "kind");
  layer_str = pad_property_string (pad, "layer");
  if (!participant || !*participant || !track || !*track || !kind
      || !layer_str) {
    GST_ERROR_OBJECT (self, "%" GST_PTR_FORMAT " lacks participant-id, "
        "track-id, kind or layer: not routed", pad);
    return;
  }
  layer = (gint) g_ascii_strtoll (layer_str, NULL, 10);
  key = track_key (participant, track);

  g_rec_mutex_lock (&self->lock);
  /* A publisher's pad may come before participant-joined reaches us. */
  if (!g_hash_table_contains (self->participants, participant))
    g_hash_table_insert (self->participants, g_strdup (participant),
        g_strdup (""));

  router_sink = gst_element_request_pad_simple (self->router, "sink_%u");
  if (!router_sink) {
    GST_ERROR_OBJECT (self, "router gave no sink pad for %s/%s layer %d",
        participant, track, layer);
    goto done;
  }
  /* Before the link, so that the caps event meets a described pad. */
  g_object_set (router_sink, "publisher-id", participant, "track-id", track,
      "layer", layer, NULL);
  ret = gst_pad_link (pad, router_sink);
  if (GST_PAD_LINK_FAILED (ret)) {
    GST_ERROR_OBJECT (self, "cannot link %" GST_PTR_FORMAT " to %"
        GST_PTR_FORMAT ": %s", pad, router_sink, gst_pad_link_get_name (ret));
    gst_element_release_request_pad (self->router, router_sink);
    gst_object_unref (router_sink);
    goto done;
  }

  t = g_hash_table_lookup (self->tracks, key);
  if (!t) {
    t = g_new0 (Track, 1);
    t->publisher_id = g_strdup (participant);
    t->track_id = g_strdup (track);
    t->kind = g_strdup (kind);
    t->layers = g_ptr_array_new_with_free_func (layer_free);
    g_hash_table_insert (self->tracks, g_strdup (key), t);
    new_track = TRUE;
  }
  l = g_new0 (Layer, 1);
  l->pub_pad = gst_object_ref (pad);
  l->router_sink = router_sink;
  g_ptr_array_add (t->layers, l);
  GST_INFO_OBJECT (self, "published %s/%s (%s) layer %d: %s:%s -> %s:%s",
      participant, track, kind, layer, GST_DEBUG_PAD_NAME (pad),
      GST_DEBUG_PAD_NAME (router_sink));

  /* Subscriptions are per track: the router follows the layers itself. */
  if (new_track)
    subscribe_everyone_to (self, t);
done:
  g_rec_mutex_unlock (&self->lock);
}

static void
on_pad_removed (GstElement * bridge, GstPad * pad, CnvWorkerWiring * self)
{
  GHashTableIter iter;
  gpointer key, value;
  g_autofree gchar *found = NULL;

  g_rec_mutex_lock (&self->lock);
  if (GST_PAD_DIRECTION (pad) == GST_PAD_SINK) {
    /* The bridge dropped a subscriber pad by itself. */
    g_hash_table_iter_init (&iter, self->subscriptions);
    while (g_hash_table_iter_next (&iter, &key, &value)) {
      if (((Subscription *) value)->sub_pad == pad) {
        found = g_strdup (key);
        break;
      }
    }
    if (found)
      drop_subscription (self, found);
    goto done;
  }

  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    Track *t = value;
    guint i;

    for (i = 0; i < t->layers->len; i++) {
      Layer *l = g_ptr_array_index (t->layers, i);

      if (l->pub_pad != pad)
        continue;
      GST_INFO_OBJECT (self, "unpublished %s/%s layer pad %s:%s",
          t->publisher_id, t->track_id, GST_DEBUG_PAD_NAME (pad));
      release_if_owned (self->router, l->router_sink);
      g_ptr_array_remove_index (t->layers, i);
      if (t->layers->len == 0)
        found = g_strdup (key);
      goto out;
    }
  }
out:
  /* The track's last layer went: nobody can follow it any more. */
  if (found)
    drop_track (self, found);
done:
  g_rec_mutex_unlock (&self->lock);
}

static void
participant_joined (CnvWorkerWiring * self, const gchar * id,
    const gchar * user)
{
  GHashTableIter iter;
  gpointer value;

  g_rec_mutex_lock (&self->lock);
  GST_INFO_OBJECT (self, "participant %s (%s) joined", id, user);
  g_hash_table_insert (self->participants, g_strdup (id),
      g_strdup (user ? user : ""));
  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Track *t = value;

    if (g_strcmp0 (t->publisher_id, id) != 0)
      subscribe (self, id, t);
  }
  g_rec_mutex_unlock (&self->lock);
}

static void
participant_left (CnvWorkerWiring * self, const gchar * id)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;
  guint i;

  g_rec_mutex_lock (&self->lock);
  GST_INFO_OBJECT (self, "participant %s left", id);
  g_hash_table_remove (self->participants, id);
  drop_subscriptions_matching (self, id, NULL, NULL);
  /* The bridge removes the pub pads too, in either order: whichever comes
   * second finds nothing left to do. */
  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (((Track *) value)->publisher_id, id) == 0)
      g_ptr_array_add (keys, g_strdup (key));
  for (i = 0; i < keys->len; i++)
    drop_track (self, g_ptr_array_index (keys, i));

  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    g_auto (GStrv) parts = g_strsplit (key, KEY_SEP, 3);

    if (g_strcmp0 (parts[0], id) == 0 || g_strcmp0 (parts[1], id) == 0)
      g_hash_table_iter_remove (&iter);
  }
  g_hash_table_remove (self->estimates, id);
  g_rec_mutex_unlock (&self->lock);
}

static void
view_changed (CnvWorkerWiring * self, const gchar * subscriber,
    const gchar * publisher, const gchar * track, guint width, guint height)
{
  g_autofree gchar *key = subscription_key (subscriber, publisher, track);
  Subscription *s;
  View *v = g_new0 (View, 1);

  v->width = width;
  v->height = height;
  g_rec_mutex_lock (&self->lock);
  /* Kept even without a subscription: a client may say how big its tile is
   * before the track reaches it. */
  g_hash_table_insert (self->views, g_strdup (key), v);
  s = g_hash_table_lookup (self->subscriptions, key);
  if (s)
    g_object_set (s->router_src, "max-width", width, "max-height", height,
        NULL);
  g_rec_mutex_unlock (&self->lock);
}

static void
estimate_changed (CnvWorkerWiring * self, const gchar * subscriber,
    guint64 bitrate)
{
  GHashTableIter iter;
  gpointer value;

  g_rec_mutex_lock (&self->lock);
  g_hash_table_insert (self->estimates, g_strdup (subscriber),
      g_memdup2 (&bitrate, sizeof (bitrate)));
  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Subscription *s = value;

    if (g_strcmp0 (s->subscriber_id, subscriber) == 0)
      g_object_set (s->router_src, "estimate", bitrate, NULL);
  }
  g_rec_mutex_unlock (&self->lock);
}

/* Signal arguments, converted from whatever type the bridge declares. */
static const gchar *
arg_string (const GValue * v)
{
  return G_VALUE_HOLDS_STRING (v) ? g_value_get_string (v) : NULL;
}

static guint64
arg_uint64 (const GValue * v)
{
  g_auto (GValue) i = G_VALUE_INIT;

  g_value_init (&i, G_TYPE_INT64);
  if (!g_value_transform (v, &i) || g_value_get_int64 (&i) < 0)
    return 0;
  return (guint64) g_value_get_int64 (&i);
}

typedef struct
{
  GClosure closure;
  Sig sig;
} WiringClosure;

/* One marshaller for the bridge's four notification signals: param_values
 * holds the instance, then the signal's arguments. */
static void
wiring_marshal (GClosure * closure, GValue * return_value,
    guint n_param_values, const GValue * param_values,
    gpointer invocation_hint, gpointer marshal_data)
{
  CnvWorkerWiring *self = closure->data;
  const GValue *a = param_values + 1;
  const gchar *id;

  switch (((WiringClosure *) closure)->sig) {
    case SIG_PARTICIPANT_JOINED:
      if ((id = arg_string (&a[0])))
        participant_joined (self, id, arg_string (&a[1]));
      break;
    case SIG_PARTICIPANT_LEFT:
      if ((id = arg_string (&a[0])))
        participant_left (self, id);
      break;
    case SIG_VIEW:
      if (arg_string (&a[0]) && arg_string (&a[1]) && arg_string (&a[2]))
        view_changed (self, arg_string (&a[0]), arg_string (&a[1]),
            arg_string (&a[2]), (guint) MIN (arg_uint64 (&a[3]), G_MAXUINT),
            (guint) MIN (arg_uint64 (&a[4]), G_MAXUINT));
      break;
    case SIG_SUBSCRIBER_ESTIMATE:
      if ((id = arg_string (&a[0])))
        estimate_changed (self, id, arg_uint64 (&a[1]));
      break;
    default:
      break;
  }
}

typedef enum
{
  ARG_STRING,
  ARG_NUMBER,
} ArgKind;

typedef struct
{
  const gchar *name;
  guint n_args;
  ArgKind args[5];
} SignalSpec;

static const SignalSpec bridge_signals[] = {
  {"participant-joined", 2, {ARG_STRING, ARG_STRING}},
  {"participant-left", 1, {ARG_STRING}},
  {"view", 5,
      {ARG_STRING, ARG_STRING, ARG_STRING, ARG_NUMBER, ARG_NUMBER}},
  {"subscriber-estimate", 2, {ARG_STRING, ARG_NUMBER}},
  {"add-subscriber-track", 4,
      {ARG_STRING, ARG_STRING, ARG_STRING, ARG_STRING}},
  {"send-active-speaker", 1, {ARG_STRING}},
};

static gboolean
check_signal (GstElement * bridge, const SignalSpec * spec, GError ** error)
{
  guint id = g_signal_lookup (spec->name, G_OBJECT_TYPE (bridge));
  GSignalQuery q;
  guint i;

  if (id == 0) {
    g_set_error (error, CNV_WORKER_WIRING_ERROR,
        CNV_WORKER_WIRING_ERROR_CONTRACT,
        "element \"%s\" (%s) has no signal \"%s\": is it a signalbridge "
        "with role=server?", GST_ELEMENT_NAME (bridge),
        G_OBJECT_TYPE_NAME (bridge), spec->name);
    return FALSE;
  }
  g_signal_query (id, &q);
  if (q.n_params != spec->n_args)
    goto mismatch;
  for (i = 0; i < q.n_params; i++) {
    GType t = q.param_types[i] & ~G_SIGNAL_TYPE_STATIC_SCOPE;

    if (spec->args[i] == ARG_STRING && t != G_TYPE_STRING)
      goto mismatch;
    if (spec->args[i] == ARG_NUMBER && !g_value_type_transformable (t,
            G_TYPE_INT64))
      goto mismatch;
  }
  return TRUE;

mismatch:
  g_set_error (error, CNV_WORKER_WIRING_ERROR,
      CNV_WORKER_WIRING_ERROR_CONTRACT,
      "signal \"%s\" of %s does not take the arguments of "
      "docs/architecture.md (%u expected, %u declared)", spec->name,
      G_OBJECT_TYPE_NAME (bridge), spec->n_args, q.n_params);
  return FALSE;
}

static gboolean
check_template (GstElement * element, const gchar * name,
    GstPadDirection direction, GstPadPresence presence, GError ** error)
{
  GstPadTemplate *templ =
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (element),
      name);

  if (templ && GST_PAD_TEMPLATE_DIRECTION (templ) == direction
      && GST_PAD_TEMPLATE_PRESENCE (templ) == presence)
    return TRUE;
  g_set_error (error, CNV_WORKER_WIRING_ERROR,
      CNV_WORKER_WIRING_ERROR_CONTRACT,
      "element \"%s\" (%s) has no %s %s pad template \"%s\"",
      GST_ELEMENT_NAME (element), G_OBJECT_TYPE_NAME (element),
      presence == GST_PAD_REQUEST ? "request" : "sometimes",
      direction == GST_PAD_SRC ? "src" : "sink", name);
  return FALSE;
}

static gboolean
check_contract (GstElement * bridge, GstElement * router, GError ** error)
{
  guint i;
  GType add_ret;

  for (i = 0; i < G_N_ELEMENTS (bridge_signals); i++)
    if (!check_signal (bridge, &bridge_signals[i], error))
      return FALSE;
  {
    GSignalQuery q;

    g_signal_query (g_signal_lookup ("add-subscriber-track",
            G_OBJECT_TYPE (bridge)), &q);
    add_ret = q.return_type & ~G_SIGNAL_TYPE_STATIC_SCOPE;
    if (!g_type_is_a (add_ret, GST_TYPE_PAD)) {
      g_set_error (error, CNV_WORKER_WIRING_ERROR,
          CNV_WORKER_WIRING_ERROR_CONTRACT,
          "\"add-subscriber-track\" of %s returns %s, not a GstPad",
          G_OBJECT_TYPE_NAME (bridge), g_type_name (add_ret));
      return FALSE;
    }
  }
  return check_template (bridge, "pub_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
      error)
      && check_template (bridge, "sub_%u", GST_PAD_SINK, GST_PAD_REQUEST, error)
      && check_template (router, "sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
      error)
      && check_template (router, "src_%u", GST_PAD_SRC, GST_PAD_REQUEST,
      error);
}

static gulong
connect_notification (CnvWorkerWiring * self, const gchar * name, Sig sig)
{
  GClosure *closure = g_closure_new_object (sizeof (WiringClosure),
      G_OBJECT (self));

  ((WiringClosure *) closure)->sig = sig;
  g_closure_set_marshal (closure, wiring_marshal);
  return g_signal_connect_closure (self->bridge, name, closure, FALSE);
}

CnvWorkerWiring *
cnv_worker_wiring_new (GstElement * bridge, GstElement * router,
    GError ** error)
{
  CnvWorkerWiring *self;

  g_return_val_if_fail (GST_IS_ELEMENT (bridge), NULL);
  g_return_val_if_fail (GST_IS_ELEMENT (router), NULL);

  if (!check_contract (bridge, router, error))
    return NULL;

  self = g_object_new (CNV_TYPE_WORKER_WIRING, NULL);
  self->bridge = gst_object_ref (bridge);
  self->router = gst_object_ref (router);
  self->handlers[SIG_PARTICIPANT_JOINED] =
      connect_notification (self, "participant-joined",
      SIG_PARTICIPANT_JOINED);
  self->handlers[SIG_PARTICIPANT_LEFT] =
      connect_notification (self, "participant-left", SIG_PARTICIPANT_LEFT);
  self->handlers[SIG_VIEW] = connect_notification (self, "view", SIG_VIEW);
  self->handlers[SIG_SUBSCRIBER_ESTIMATE] =
      connect_notification (self, "subscriber-estimate",
      SIG_SUBSCRIBER_ESTIMATE);
  self->handlers[SIG_PAD_ADDED] = g_signal_connect (bridge, "pad-added",
      G_CALLBACK (on_pad_added), self);
  self->handlers[SIG_PAD_REMOVED] = g_signal_connect (bridge, "pad-removed",
      G_CALLBACK (on_pad_removed), self);
  return self;
}

/* For the bus watch of whoever runs the pipeline; TRUE when @message was
 * the wiring's. */
gboolean
cnv_worker_wiring_handle_message (CnvWorkerWiring * self, GstMessage * message)
{
  const GstStructure *s;
  const gchar *publisher;

  g_return_val_if_fail (CNV_IS_WORKER_WIRING (self), FALSE);

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ELEMENT
      || GST_MESSAGE_SRC (message) != GST_OBJECT (self->router))
    return FALSE;
  s = gst_message_get_structure (message);
  if (!gst_structure_has_name (s, "sfurouter-active-speaker"))
    return FALSE;
  publisher = gst_structure_get_string (s, "publisher");
  if (!publisher)
    return FALSE;
  GST_DEBUG_OBJECT (self, "active speaker %s", publisher);
  g_signal_emit_by_name (self->bridge, "send-active-speaker", publisher);
  return TRUE;
}

/* Starts (@recorder non-NULL) or stops following every published track
 * into @recorder's request pads `sink_%u`. Stopping releases those pads:
 * a chunkrecordersink closes each participant's chunk and, once all its
 * pads are gone, completes its manifest and posts EOS. */
void
cnv_worker_wiring_set_recorder (CnvWorkerWiring * self, GstElement * recorder)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (CNV_IS_WORKER_WIRING (self));

  g_rec_mutex_lock (&self->lock);
  if (self->recorder) {
    drop_subscriptions_matching (self, RECORDER_ID, NULL, NULL);
    gst_clear_object (&self->recorder);
  }
  if (recorder) {
    self->recorder = gst_object_ref (recorder);
    g_hash_table_iter_init (&iter, self->tracks);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      subscribe (self, RECORDER_ID, value);
  }
  g_rec_mutex_unlock (&self->lock);
}

guint
cnv_worker_wiring_count_subscriptions (CnvWorkerWiring * self)
{
  guint n;

  g_return_val_if_fail (CNV_IS_WORKER_WIRING (self), 0);
  g_rec_mutex_lock (&self->lock);
  n = g_hash_table_size (self->subscriptions);
  g_rec_mutex_unlock (&self->lock);
  return n;
}

static void
disconnect_handlers (CnvWorkerWiring * self)
{
  guint i;

  if (!self->bridge)
    return;
  for (i = 0; i < N_SIGS; i++)
    if (self->handlers[i])
      g_signal_handler_disconnect (self->bridge, self->handlers[i]);
  memset (self->handlers, 0, sizeof (self->handlers));
}

/* The links make a cycle (bridge -> router -> bridge), and a GstBin that
 * sorts its children for a state change warns about a loop in its graph.
 * Whoever stops the pipeline calls this first: it stops following the
 * bridge and unlinks every pad it linked, keeping the request pads for the
 * elements to drop when they stop. */
void
cnv_worker_wiring_detach (CnvWorkerWiring * self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (CNV_IS_WORKER_WIRING (self));

  disconnect_handlers (self);
  g_rec_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->subscriptions);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Subscription *s = value;

    gst_pad_unlink (s->router_src, s->sub_pad);
  }
  g_hash_table_iter_init (&iter, self->tracks);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Track *t = value;
    guint i;

    for (i = 0; i < t->layers->len; i++) {
      Layer *l = g_ptr_array_index (t->layers, i);

      gst_pad_unlink (l->pub_pad, l->router_sink);
    }
  }
  g_rec_mutex_unlock (&self->lock);
}

static void
cnv_worker_wiring_dispose (GObject * object)
{
  CnvWorkerWiring *self = CNV_WORKER_WIRING (object);

  disconnect_handlers (self);
  g_rec_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->subscriptions);
  g_hash_table_remove_all (self->tracks);
  g_rec_mutex_unlock (&self->lock);
  gst_clear_object (&self->bridge);
  gst_clear_object (&self->router);
  gst_clear_object (&self->recorder);
  G_OBJECT_CLASS (cnv_worker_wiring_parent_class)->dispose (object);
}

static void
cnv_worker_wiring_finalize (GObject * object)
{
  CnvWorkerWiring *self = CNV_WORKER_WIRING (object);

  g_hash_table_unref (self->participants);
  g_hash_table_unref (self->tracks);
  g_hash_table_unref (self->subscriptions);
  g_hash_table_unref (self->views);
  g_hash_table_unref (self->estimates);
  g_rec_mutex_clear (&self->lock);
  G_OBJECT_CLASS (cnv_worker_wiring_parent_class)->finalize (object);
}

static void
cnv_worker_wiring_class_init (CnvWorkerWiringClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->dispose = cnv_worker_wiring_dispose;
  gobject_class->finalize = cnv_worker_wiring_finalize;
  GST_DEBUG_CATEGORY_INIT (cnv_worker_wiring_debug, "convene-worker", 0,
      "convene-worker: bridge <-> router wiring");
}

static void
cnv_worker_wiring_init (CnvWorkerWiring * self)
{
  g_rec_mutex_init (&self->lock);
  self->participants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  self->tracks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      track_free);
  self->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, subscription_free);
  self->views = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  self->estimates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
}
