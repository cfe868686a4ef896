/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "fakebridge.h"

enum
{
  PROP_PAD_0,
  PROP_PAD_PARTICIPANT_ID,
  PROP_PAD_TRACK_ID,
  PROP_PAD_KIND,
  PROP_PAD_LAYER,
  PROP_PAD_RID,
};

struct _FakeBridgePad
{
  GstPad parent;

  gchar *participant_id;        /* pub: publisher; sub: subscriber */
  gchar *track_id;
  gchar *kind;
  guint layer;
  gchar *publisher_id;          /* sub pads only */
  guint received;               /* buffers, under the object lock */
};

G_DEFINE_TYPE (FakeBridgePad, fake_bridge_pad, GST_TYPE_PAD);

static void
fake_bridge_pad_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  FakeBridgePad *pad = FAKE_BRIDGE_PAD (object);

  switch (prop_id) {
    case PROP_PAD_PARTICIPANT_ID:
      g_value_set_string (value, pad->participant_id);
      break;
    case PROP_PAD_TRACK_ID:
      g_value_set_string (value, pad->track_id);
      break;
    case PROP_PAD_KIND:
      g_value_set_string (value, pad->kind);
      break;
    case PROP_PAD_LAYER:
      g_value_set_uint (value, pad->layer);
      break;
    case PROP_PAD_RID:
      g_value_set_string (value, "");
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
fake_bridge_pad_finalize (GObject * object)
{
  FakeBridgePad *pad = FAKE_BRIDGE_PAD (object);

  g_free (pad->participant_id);
  g_free (pad->track_id);
  g_free (pad->kind);
  g_free (pad->publisher_id);
  G_OBJECT_CLASS (fake_bridge_pad_parent_class)->finalize (object);
}

static void
fake_bridge_pad_class_init (FakeBridgePadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->get_property = fake_bridge_pad_get_property;
  gobject_class->finalize = fake_bridge_pad_finalize;
  g_object_class_install_property (gobject_class, PROP_PAD_PARTICIPANT_ID,
      g_param_spec_string ("participant-id", "", "", NULL, ro));
  g_object_class_install_property (gobject_class, PROP_PAD_TRACK_ID,
      g_param_spec_string ("track-id", "", "", NULL, ro));
  g_object_class_install_property (gobject_class, PROP_PAD_KIND,
      g_param_spec_string ("kind", "", "", NULL, ro));
  /* A uint where sfurouter has an int: the wiring must convert. */
  g_object_class_install_property (gobject_class, PROP_PAD_LAYER,
      g_param_spec_uint ("layer", "", "", 0, 2, 0, ro));
  g_object_class_install_property (gobject_class, PROP_PAD_RID,
      g_param_spec_string ("rid", "", "", NULL, ro));
}

static void
fake_bridge_pad_init (FakeBridgePad * pad)
{
}

guint
fake_bridge_pad_get_received (FakeBridgePad * pad)
{
  guint n;

  GST_OBJECT_LOCK (pad);
  n = pad->received;
  GST_OBJECT_UNLOCK (pad);
  return n;
}

enum
{
  SIGNAL_PARTICIPANT_JOINED,
  SIGNAL_PARTICIPANT_LEFT,
  SIGNAL_VIEW,
  SIGNAL_SUBSCRIBER_ESTIMATE,
  SIGNAL_ADD_SUBSCRIBER_TRACK,
  SIGNAL_SEND_ACTIVE_SPEAKER,
  N_SIGNALS
};

static guint fake_bridge_signals[N_SIGNALS];

struct _FakeBridge
{
  GstElement parent;

  /* All under the object lock. */
  guint next_pub;
  guint next_sub;
  guint released;
  gchar *active_speaker;
};

G_DEFINE_TYPE (FakeBridge, fake_bridge, GST_TYPE_ELEMENT);

static GstStaticPadTemplate pub_template = GST_STATIC_PAD_TEMPLATE ("pub_%u",
    GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate sub_template = GST_STATIC_PAD_TEMPLATE ("sub_%u",
    GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS ("application/x-rtp"));

static GstFlowReturn
sub_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  FakeBridgePad *fp = FAKE_BRIDGE_PAD (pad);

  GST_OBJECT_LOCK (fp);
  fp->received++;
  GST_OBJECT_UNLOCK (fp);
  gst_buffer_unref (buf);
  return GST_FLOW_OK;
}

static GstPad *
fake_bridge_add_subscriber_track (FakeBridge * self, const gchar * subscriber,
    const gchar * publisher, const gchar * track, const gchar * kind)
{
  FakeBridgePad *pad;
  gchar *name;

  GST_OBJECT_LOCK (self);
  name = g_strdup_printf ("sub_%u", self->next_sub++);
  GST_OBJECT_UNLOCK (self);
  pad = g_object_new (FAKE_TYPE_BRIDGE_PAD, "name", name, "direction",
      GST_PAD_SINK, "template",
      gst_static_pad_template_get (&sub_template), NULL);
  g_free (name);
  pad->participant_id = g_strdup (subscriber);
  pad->publisher_id = g_strdup (publisher);
  pad->track_id = g_strdup (track);
  pad->kind = g_strdup (kind);
  gst_pad_set_chain_function (GST_PAD (pad), sub_chain);
  gst_element_add_pad (GST_ELEMENT (self), GST_PAD (pad));
  /* Transfer full, as from gst_element_request_pad_simple(). */
  return gst_object_ref (GST_PAD (pad));
}

static void
fake_bridge_send_active_speaker (FakeBridge * self, const gchar * participant)
{
  GST_OBJECT_LOCK (self);
  g_free (self->active_speaker);
  self->active_speaker = g_strdup (participant);
  GST_OBJECT_UNLOCK (self);
}

static void
fake_bridge_release_pad (GstElement * element, GstPad * pad)
{
  FakeBridge *self = FAKE_BRIDGE (element);

  GST_OBJECT_LOCK (self);
  self->released++;
  GST_OBJECT_UNLOCK (self);
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

GstPad *
fake_bridge_publish (FakeBridge * self, const gchar * participant,
    const gchar * track, const gchar * kind, guint layer, const gchar * caps)
{
  FakeBridgePad *pad;
  GstSegment segment;
  gchar *name;

  GST_OBJECT_LOCK (self);
  name = g_strdup_printf ("pub_%u", self->next_pub++);
  GST_OBJECT_UNLOCK (self);
  pad = g_object_new (FAKE_TYPE_BRIDGE_PAD, "name", name, "direction",
      GST_PAD_SRC, "template", gst_static_pad_template_get (&pub_template),
      NULL);
  pad->participant_id = g_strdup (participant);
  pad->track_id = g_strdup (track);
  pad->kind = g_strdup (kind);
  pad->layer = layer;
  /* Sticky events before pad-added, as webrtcbin's do: they follow the
   * first buffer through whatever the wiring links. */
  gst_pad_set_active (GST_PAD (pad), TRUE);
  gst_pad_push_event (GST_PAD (pad), gst_event_new_stream_start (name));
  gst_pad_push_event (GST_PAD (pad),
      gst_event_new_caps (gst_caps_from_string (caps)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (GST_PAD (pad), gst_event_new_segment (&segment));
  g_free (name);
  gst_element_add_pad (GST_ELEMENT (self), GST_PAD (pad));
  return GST_PAD (pad);
}

void
fake_bridge_leave (FakeBridge * self, const gchar * participant,
    gboolean pads_first)
{
  GList *pads = NULL, *l;
  GstIterator *it = gst_element_iterate_src_pads (GST_ELEMENT (self));
  GValue v = G_VALUE_INIT;

  if (!pads_first)
    g_signal_emit (self, fake_bridge_signals[SIGNAL_PARTICIPANT_LEFT], 0,
        participant);
  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    FakeBridgePad *pad = g_value_get_object (&v);

    if (g_strcmp0 (pad->participant_id, participant) == 0)
      pads = g_list_prepend (pads, gst_object_ref (pad));
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  for (l = pads; l; l = l->next) {
    gst_pad_set_active (l->data, FALSE);
    gst_element_remove_pad (GST_ELEMENT (self), l->data);
  }
  g_list_free_full (pads, gst_object_unref);
  if (pads_first)
    g_signal_emit (self, fake_bridge_signals[SIGNAL_PARTICIPANT_LEFT], 0,
        participant);
}

GstPad *
fake_bridge_find_sub (FakeBridge * self, const gchar * subscriber,
    const gchar * publisher, const gchar * track)
{
  GstPad *found = NULL;
  GList *l;

  GST_OBJECT_LOCK (self);
  for (l = GST_ELEMENT (self)->sinkpads; l; l = l->next) {
    FakeBridgePad *pad = l->data;

    if (g_strcmp0 (pad->participant_id, subscriber) == 0
        && g_strcmp0 (pad->publisher_id, publisher) == 0
        && g_strcmp0 (pad->track_id, track) == 0)
      found = l->data;
  }
  GST_OBJECT_UNLOCK (self);
  return found;
}

guint
fake_bridge_get_released (FakeBridge * self)
{
  guint n;

  GST_OBJECT_LOCK (self);
  n = self->released;
  GST_OBJECT_UNLOCK (self);
  return n;
}

guint
fake_bridge_count_sub_pads (FakeBridge * self)
{
  guint n;

  GST_OBJECT_LOCK (self);
  n = GST_ELEMENT (self)->numsinkpads;
  GST_OBJECT_UNLOCK (self);
  return n;
}

gchar *
fake_bridge_dup_active_speaker (FakeBridge * self)
{
  gchar *s;

  GST_OBJECT_LOCK (self);
  s = g_strdup (self->active_speaker);
  GST_OBJECT_UNLOCK (self);
  return s;
}

static void
fake_bridge_finalize (GObject * object)
{
  g_free (FAKE_BRIDGE (object)->active_speaker);
  G_OBJECT_CLASS (fake_bridge_parent_class)->finalize (object);
}

static void
fake_bridge_class_init (FakeBridgeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  gobject_class->finalize = fake_bridge_finalize;
  element_class->release_pad = fake_bridge_release_pad;
  gst_element_class_add_static_pad_template (element_class, &pub_template);
  gst_element_class_add_static_pad_template (element_class, &sub_template);
  gst_element_class_set_static_metadata (element_class, "Fake bridge",
      "Testing", "signalbridge role=server contract for the worker tests",
      "Convene contributors");

  fake_bridge_signals[SIGNAL_PARTICIPANT_JOINED] =
      g_signal_new ("participant-joined", type, G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  fake_bridge_signals[SIGNAL_PARTICIPANT_LEFT] =
      g_signal_new ("participant-left", type, G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* Ints here where the contract reads as uints: the wiring converts. */
  fake_bridge_signals[SIGNAL_VIEW] =
      g_signal_new ("view", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT,
      G_TYPE_INT);
  fake_bridge_signals[SIGNAL_SUBSCRIBER_ESTIMATE] =
      g_signal_new ("subscriber-estimate", type, G_SIGNAL_RUN_LAST, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  fake_bridge_signals[SIGNAL_ADD_SUBSCRIBER_TRACK] =
      g_signal_new_class_handler ("add-subscriber-track", type,
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (fake_bridge_add_subscriber_track), NULL, NULL, NULL,
      GST_TYPE_PAD, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
      G_TYPE_STRING);
  fake_bridge_signals[SIGNAL_SEND_ACTIVE_SPEAKER] =
      g_signal_new_class_handler ("send-active-speaker", type,
      G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (fake_bridge_send_active_speaker), NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
fake_bridge_init (FakeBridge * self)
{
}
