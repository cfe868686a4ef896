/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Active speaker from RFC 6464 audio levels, debounced. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SFU_SPEAKER_DEFAULT_DEBOUNCE_NS (G_GUINT64_CONSTANT (500000000))
/* louder than -50 dBov counts as speech */
#define SFU_SPEAKER_THRESHOLD_DBOV 50

typedef struct _SfuSpeakerDetector SfuSpeakerDetector;

SfuSpeakerDetector *sfu_speaker_detector_new (guint64 debounce_ns);
void sfu_speaker_detector_free (SfuSpeakerDetector * d);
void sfu_speaker_detector_set_debounce (SfuSpeakerDetector * d,
    guint64 debounce_ns);
void sfu_speaker_detector_remove (SfuSpeakerDetector * d, const gchar * key);

/* Feeds one level (-dBov, 0 = loudest, 127 = silence) for @key.  Returns
 * TRUE when the active speaker changed; then *speaker (owned by the
 * detector, valid until the next call) is the new one's key and *level its
 * smoothed level.  Silence keeps the last speaker. */
gboolean sfu_speaker_detector_update (SfuSpeakerDetector * d,
    const gchar * key, gboolean voice, guint8 level, guint64 now_ns,
    const gchar ** speaker, guint * level_out);

G_END_DECLS
