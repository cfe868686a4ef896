/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* A test-only stand-in for `signalbridge role=server`: the pads, pad
 * properties and signals of the contract in docs/architecture.md ("Media
 * worker"), with no signalling or WebRTC behind them, so that the worker's
 * wiring is tested before (and independently of) the real server role. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define FAKE_TYPE_BRIDGE_PAD (fake_bridge_pad_get_type ())
G_DECLARE_FINAL_TYPE (FakeBridgePad, fake_bridge_pad, FAKE, BRIDGE_PAD,
    GstPad);

#define FAKE_TYPE_BRIDGE (fake_bridge_get_type ())
G_DECLARE_FINAL_TYPE (FakeBridge, fake_bridge, FAKE, BRIDGE, GstElement);

/* Adds a publisher's pub_%u pad (sticky events already on it) and returns
 * it (transfer none). */
GstPad *fake_bridge_publish (FakeBridge * self, const gchar * participant,
    const gchar * track, const gchar * kind, guint layer, const gchar * caps);

/* Emits participant-left and removes @participant's pub_%u pads, in the
 * order signalbridge uses (signal first) or the other way round: the
 * wiring must take either. */
void fake_bridge_leave (FakeBridge * self, const gchar * participant,
    gboolean pads_first);

/* The sub_%u pad for (subscriber, publisher, track), or NULL (transfer
 * none). */
GstPad *fake_bridge_find_sub (FakeBridge * self, const gchar * subscriber,
    const gchar * publisher, const gchar * track);

guint fake_bridge_pad_get_received (FakeBridgePad * pad);
guint fake_bridge_get_released (FakeBridge * self);
guint fake_bridge_count_sub_pads (FakeBridge * self);
gchar *fake_bridge_dup_active_speaker (FakeBridge * self);

G_END_DECLS
