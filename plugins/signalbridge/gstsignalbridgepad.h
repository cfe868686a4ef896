/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_SIGNAL_BRIDGE_PAD_H__
#define __GST_SIGNAL_BRIDGE_PAD_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SIGNAL_BRIDGE_PAD (gst_signal_bridge_pad_get_type ())
G_DECLARE_FINAL_TYPE (GstSignalBridgePad, gst_signal_bridge_pad, GST,
    SIGNAL_BRIDGE_PAD, GstGhostPad)

GstPad *gst_signal_bridge_pad_new (const gchar * name, GstPadTemplate * templ,
    const gchar * participant_id, const gchar * publisher_id,
    const gchar * track_id, const gchar * kind, guint layer,
    const gchar * rid);

G_END_DECLS

#endif /* __GST_SIGNAL_BRIDGE_PAD_H__ */
