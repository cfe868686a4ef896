/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The pads of a meeting: a ghost pad that says whose track it carries.
 * The properties are read-only for the application and fixed when the pad
 * is made, so they need no lock. */

#include "gstsignalbridgepad.h"

enum
{
  PROP_0,
  PROP_PARTICIPANT_ID,
  PROP_PUBLISHER_ID,
  PROP_TRACK_ID,
  PROP_KIND,
  PROP_LAYER,
  PROP_RID,
};

struct _GstSignalBridgePad
{
  GstGhostPad parent;

  gchar *participant_id;
  gchar *publisher_id;
  gchar *track_id;
  gchar *kind;
  guint layer;
  gchar *rid;
};

G_DEFINE_TYPE (GstSignalBridgePad, gst_signal_bridge_pad, GST_TYPE_GHOST_PAD);

static void
gst_signal_bridge_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSignalBridgePad *self = GST_SIGNAL_BRIDGE_PAD (object);

  switch (prop_id) {
    case PROP_PARTICIPANT_ID:
      g_value_set_string (value, self->participant_id);
      break;
    case PROP_PUBLISHER_ID:
      g_value_set_string (value, self->publisher_id);
      break;
    case PROP_TRACK_ID:
      g_value_set_string (value, self->track_id);
      break;
    case PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case PROP_LAYER:
      g_value_set_uint (value, self->layer);
      break;
    case PROP_RID:
      g_value_set_string (value, self->rid);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_signal_bridge_pad_finalize (GObject * object)
{
  GstSignalBridgePad *self = GST_SIGNAL_BRIDGE_PAD (object);

  g_free (self->participant_id);
  g_free (self->publisher_id);
  g_free (self->track_id);
  g_free (self->kind);
  g_free (self->rid);
  G_OBJECT_CLASS (gst_signal_bridge_pad_parent_class)->finalize (object);
}

static void
gst_signal_bridge_pad_class_init (GstSignalBridgePadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->get_property = gst_signal_bridge_pad_get_property;
  gobject_class->finalize = gst_signal_bridge_pad_finalize;

  g_object_class_install_property (gobject_class, PROP_PARTICIPANT_ID,
      g_param_spec_string ("participant-id", "Participant id",
          "The participant whose session this pad belongs to (the publisher "
          "on pub_ and src pads, the subscriber on sub_ pads)", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_PUBLISHER_ID,
      g_param_spec_string ("publisher-id", "Publisher id",
          "The participant who publishes the track", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_TRACK_ID,
      g_param_spec_string ("track-id", "Track id",
          "The publisher's track id (msid track)", NULL, flags));
  g_object_class_install_property (gobject_class, PROP_KIND,
      g_param_spec_string ("kind", "Kind", "audio, video or screen", NULL,
          flags));
  g_object_class_install_property (gobject_class, PROP_LAYER,
      g_param_spec_uint ("layer", "Layer",
          "Simulcast layer index, 0 = lowest (0 without simulcast)", 0,
          G_MAXUINT, 0, flags));
  g_object_class_install_property (gobject_class, PROP_RID,
      g_param_spec_string ("rid", "RID",
          "Simulcast RTP stream id (\"\" without simulcast)", "", flags));
}

static void
gst_signal_bridge_pad_init (GstSignalBridgePad * self)
{
  self->rid = g_strdup ("");
}

GstPad *
gst_signal_bridge_pad_new (const gchar * name, GstPadTemplate * templ,
    const gchar * participant_id, const gchar * publisher_id,
    const gchar * track_id, const gchar * kind, guint layer, const gchar * rid)
{
  GstSignalBridgePad *self;

  g_return_val_if_fail (GST_IS_PAD_TEMPLATE (templ), NULL);

  self = g_object_new (GST_TYPE_SIGNAL_BRIDGE_PAD, "name", name,
      "direction", GST_PAD_TEMPLATE_DIRECTION (templ), "template", templ,
      NULL);
  self->participant_id = g_strdup (participant_id);
  self->publisher_id = g_strdup (publisher_id);
  self->track_id = g_strdup (track_id);
  self->kind = g_strdup (kind);
  self->layer = layer;
  g_free (self->rid);
  self->rid = g_strdup (rid ? rid : "");
  return GST_PAD (self);
}
