/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include "sfu-speaker.h"

/* a participant not heard for this long is silent */
#define SPEAKER_STALE_NS (G_GUINT64_CONSTANT (1000000000))

typedef struct
{
  gchar *key;
  /* loudness = 127 - dBov, exponentially smoothed, x16 fixed point */
  guint loud16;
  guint64 last_seen;
} SpeakerEntry;

struct _SfuSpeakerDetector
{
  GArray *entries;              /* SpeakerEntry */
  guint64 debounce_ns;
  gchar *current;
  gchar *candidate;
  guint64 candidate_since;
};

static void
entry_clear (gpointer p)
{
  g_free (((SpeakerEntry *) p)->key);
}

SfuSpeakerDetector *
sfu_speaker_detector_new (guint64 debounce_ns)
{
  SfuSpeakerDetector *d = g_new0 (SfuSpeakerDetector, 1);

  d->entries = g_array_new (FALSE, TRUE, sizeof (SpeakerEntry));
  g_array_set_clear_func (d->entries, entry_clear);
  d->debounce_ns = debounce_ns;
  return d;
}

void
sfu_speaker_detector_free (SfuSpeakerDetector * d)
{
  if (d == NULL)
    return;
  g_array_unref (d->entries);
  g_free (d->current);
  g_free (d->candidate);
  g_free (d);
}

void
sfu_speaker_detector_set_debounce (SfuSpeakerDetector * d, guint64 debounce_ns)
{
  d->debounce_ns = debounce_ns;
}

void
sfu_speaker_detector_remove (SfuSpeakerDetector * d, const gchar * key)
{
  guint i;

  for (i = 0; i < d->entries->len; i++) {
    if (g_strcmp0 (g_array_index (d->entries, SpeakerEntry, i).key, key) == 0) {
      g_array_remove_index_fast (d->entries, i);
      break;
    }
  }
}

static SpeakerEntry *
lookup (SfuSpeakerDetector * d, const gchar * key)
{
  SpeakerEntry e = { 0 };
  guint i;

  for (i = 0; i < d->entries->len; i++) {
    SpeakerEntry *s = &g_array_index (d->entries, SpeakerEntry, i);

    if (g_strcmp0 (s->key, key) == 0)
      return s;
  }
  e.key = g_strdup (key);
  g_array_append_val (d->entries, e);
  return &g_array_index (d->entries, SpeakerEntry, d->entries->len - 1);
}

gboolean
sfu_speaker_detector_update (SfuSpeakerDetector * d, const gchar * key,
    gboolean voice, guint8 level, guint64 now_ns, const gchar ** speaker,
    guint * level_out)
{
  SpeakerEntry *e, *best = NULL;
  guint loud = voice ? 127 - MIN (level, 127) : 0;
  guint i;

  e = lookup (d, key);
  /* 1/8 smoothing: one loud packet (a cough, a click) is not a speaker */
  e->loud16 = e->loud16 - e->loud16 / 8 + loud * 16 / 8;
  e->last_seen = now_ns;

  for (i = 0; i < d->entries->len; i++) {
    SpeakerEntry *s = &g_array_index (d->entries, SpeakerEntry, i);

    if (now_ns > s->last_seen && now_ns - s->last_seen > SPEAKER_STALE_NS)
      continue;
    if (s->loud16 / 16 < 127 - SFU_SPEAKER_THRESHOLD_DBOV)
      continue;
    if (best == NULL || s->loud16 > best->loud16)
      best = s;
  }

  /* nobody loud enough: keep the last speaker highlighted */
  if (best == NULL || g_strcmp0 (best->key, d->current) == 0) {
    g_clear_pointer (&d->candidate, g_free);
    return FALSE;
  }
  if (g_strcmp0 (best->key, d->candidate) != 0) {
    g_free (d->candidate);
    d->candidate = g_strdup (best->key);
    d->candidate_since = now_ns;
  }
  if (now_ns < d->candidate_since ||
      now_ns - d->candidate_since < d->debounce_ns)
    return FALSE;

  g_free (d->current);
  d->current = g_steal_pointer (&d->candidate);
  *speaker = d->current;
  *level_out = 127 - MIN (best->loud16 / 16, 127);
  return TRUE;
}
