/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "crs-manifest.h"

typedef struct
{
  gchar *pad;
  gchar *track_id;
  CrsKind kind;
  gchar *codec;
} Track;

typedef struct
{
  guint index;
  gchar *file;
  guint64 start_running_time;
  guint64 duration;
  gint64 start_wallclock;
  const gchar *wallclock_source;        /* static string */
  gboolean closed;
  gboolean discarded;
} Chunk;

typedef struct
{
  gchar *id;
  gchar *dir;
  GArray *tracks;               /* Track */
  GArray *chunks;               /* Chunk, in index order */
} Participant;

struct _CrsManifest
{
  gchar *recording_id;
  CrsFormat format;
  guint64 chunk_duration;
  gboolean complete;
  GPtrArray *participants;      /* Participant */
};

static void
track_clear (Track * t)
{
  g_free (t->pad);
  g_free (t->track_id);
  g_free (t->codec);
}

static void
chunk_clear (Chunk * c)
{
  g_free (c->file);
}

static void
participant_free (Participant * p)
{
  g_free (p->id);
  g_free (p->dir);
  g_array_unref (p->tracks);
  g_array_unref (p->chunks);
  g_free (p);
}

CrsManifest *
crs_manifest_new (const gchar * recording_id, CrsFormat format,
    guint64 chunk_duration_ns)
{
  CrsManifest *m = g_new0 (CrsManifest, 1);

  m->recording_id = g_strdup (recording_id ? recording_id : "");
  m->format = format;
  m->chunk_duration = chunk_duration_ns;
  m->participants = g_ptr_array_new_with_free_func ((GDestroyNotify)
      participant_free);
  return m;
}

void
crs_manifest_free (CrsManifest * m)
{
  if (!m)
    return;
  g_free (m->recording_id);
  g_ptr_array_unref (m->participants);
  g_free (m);
}

static gboolean
dir_taken (CrsManifest * m, const gchar * dir)
{
  guint i;

  for (i = 0; i < m->participants->len; i++) {
    Participant *p = g_ptr_array_index (m->participants, i);

    if (strcmp (p->dir, dir) == 0)
      return TRUE;
  }
  return FALSE;
}

guint
crs_manifest_participant (CrsManifest * m, const gchar * id)
{
  Participant *p;
  gchar *base;
  guint i, n;

  for (i = 0; i < m->participants->len; i++) {
    p = g_ptr_array_index (m->participants, i);
    if (strcmp (p->id, id) == 0)
      return i;
  }

  p = g_new0 (Participant, 1);
  p->id = g_strdup (id);
  base = crs_participant_dir_name (id);
  p->dir = g_strdup (base);
  for (n = 2; dir_taken (m, p->dir); n++) {
    g_free (p->dir);
    p->dir = g_strdup_printf ("%s-%u", base, n);
  }
  g_free (base);
  p->tracks = g_array_new (FALSE, TRUE, sizeof (Track));
  g_array_set_clear_func (p->tracks, (GDestroyNotify) track_clear);
  p->chunks = g_array_new (FALSE, TRUE, sizeof (Chunk));
  g_array_set_clear_func (p->chunks, (GDestroyNotify) chunk_clear);
  g_ptr_array_add (m->participants, p);
  return m->participants->len - 1;
}

const gchar *
crs_manifest_participant_id (CrsManifest * m, guint p)
{
  g_return_val_if_fail (p < m->participants->len, NULL);
  return ((Participant *) g_ptr_array_index (m->participants, p))->id;
}

const gchar *
crs_manifest_participant_dir (CrsManifest * m, guint p)
{
  g_return_val_if_fail (p < m->participants->len, NULL);
  return ((Participant *) g_ptr_array_index (m->participants, p))->dir;
}

void
crs_manifest_add_track (CrsManifest * m, guint p, const gchar * pad,
    const gchar * track_id, CrsKind kind, const gchar * codec)
{
  Participant *part;
  Track t = { 0, };

  g_return_if_fail (p < m->participants->len);
  part = g_ptr_array_index (m->participants, p);
  t.pad = g_strdup (pad);
  t.track_id = g_strdup (track_id);
  t.kind = kind;
  t.codec = g_strdup (codec);
  g_array_append_val (part->tracks, t);
}

guint
crs_manifest_open_chunk (CrsManifest * m, guint p,
    guint64 start_running_time, gint64 start_wallclock,
    const gchar * wallclock_source, const gchar ** file)
{
  Participant *part;
  Chunk c = { 0, };

  g_return_val_if_fail (p < m->participants->len, 0);
  part = g_ptr_array_index (m->participants, p);
  c.index = part->chunks->len;
  c.file = crs_chunk_file_name (part->dir, c.index, m->format);
  c.start_running_time = start_running_time;
  c.start_wallclock = start_wallclock;
  c.wallclock_source = g_intern_string (wallclock_source);
  g_array_append_val (part->chunks, c);
  if (file)
    *file = g_array_index (part->chunks, Chunk, c.index).file;
  return c.index;
}

gboolean
crs_manifest_close_chunk (CrsManifest * m, guint p, const gchar * file,
    guint64 end_running_time, guint * index, guint64 * start_running_time,
    guint64 * duration, gint64 * wallclock)
{
  Participant *part;
  guint i;

  g_return_val_if_fail (p < m->participants->len, FALSE);
  part = g_ptr_array_index (m->participants, p);
  for (i = 0; i < part->chunks->len; i++) {
    Chunk *c = &g_array_index (part->chunks, Chunk, i);

    if (c->closed || strcmp (c->file, file) != 0)
      continue;
    c->closed = TRUE;
    c->duration = end_running_time > c->start_running_time ?
        end_running_time - c->start_running_time : 0;
    if (index)
      *index = c->index;
    if (start_running_time)
      *start_running_time = c->start_running_time;
    if (duration)
      *duration = c->duration;
    if (wallclock)
      *wallclock = c->start_wallclock;
    return TRUE;
  }
  return FALSE;
}

gboolean
crs_manifest_discard_chunk (CrsManifest * m, guint p, const gchar * file)
{
  Participant *part;
  guint i;

  g_return_val_if_fail (p < m->participants->len, FALSE);
  part = g_ptr_array_index (m->participants, p);
  for (i = 0; i < part->chunks->len; i++) {
    Chunk *c = &g_array_index (part->chunks, Chunk, i);

    if (!c->closed && strcmp (c->file, file) == 0) {
      c->closed = c->discarded = TRUE;
      return TRUE;
    }
  }
  return FALSE;
}

guint
crs_manifest_n_closed (CrsManifest * m, guint p)
{
  Participant *part;
  guint i, n = 0;

  g_return_val_if_fail (p < m->participants->len, 0);
  part = g_ptr_array_index (m->participants, p);
  for (i = 0; i < part->chunks->len; i++)
    n += g_array_index (part->chunks, Chunk, i).closed &&
        !g_array_index (part->chunks, Chunk, i).discarded ? 1 : 0;
  return n;
}

void
crs_manifest_set_complete (CrsManifest * m)
{
  m->complete = TRUE;
}

static void
add_participant (JsonBuilder * b, Participant * p)
{
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, p->id);
  json_builder_set_member_name (b, "tracks");
  json_builder_begin_array (b);
  for (i = 0; i < p->tracks->len; i++) {
    Track *t = &g_array_index (p->tracks, Track, i);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "pad");
    json_builder_add_string_value (b, t->pad);
    json_builder_set_member_name (b, "track_id");
    json_builder_add_string_value (b, t->track_id);
    json_builder_set_member_name (b, "kind");
    json_builder_add_string_value (b, crs_kind_name (t->kind));
    json_builder_set_member_name (b, "codec");
    json_builder_add_string_value (b, t->codec);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);

  /* Only closed chunks: an open one may be cut short by a crash. */
  json_builder_set_member_name (b, "chunks");
  json_builder_begin_array (b);
  for (i = 0; i < p->chunks->len; i++) {
    Chunk *c = &g_array_index (p->chunks, Chunk, i);

    if (!c->closed || c->discarded)
      continue;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "index");
    json_builder_add_int_value (b, c->index);
    json_builder_set_member_name (b, "file");
    json_builder_add_string_value (b, c->file);
    json_builder_set_member_name (b, "start_running_time_ns");
    json_builder_add_int_value (b, (gint64) c->start_running_time);
    json_builder_set_member_name (b, "duration_ns");
    json_builder_add_int_value (b, (gint64) c->duration);
    json_builder_set_member_name (b, "start_wallclock_ns");
    json_builder_add_int_value (b, c->start_wallclock);
    json_builder_set_member_name (b, "wallclock_source");
    json_builder_add_string_value (b, c->wallclock_source);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

gchar *
crs_manifest_to_json (CrsManifest * m)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, CRS_MANIFEST_VERSION);
  json_builder_set_member_name (b, "recording_id");
  json_builder_add_string_value (b, m->recording_id);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, crs_format_name (m->format));
  json_builder_set_member_name (b, "chunk_duration_ns");
  json_builder_add_int_value (b, (gint64) m->chunk_duration);
  json_builder_set_member_name (b, "complete");
  json_builder_add_boolean_value (b, m->complete);
  json_builder_set_member_name (b, "participants");
  json_builder_begin_array (b);
  for (i = 0; i < m->participants->len; i++)
    add_participant (b, g_ptr_array_index (m->participants, i));
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

static gboolean
set_errno_error (GError ** error, const gchar * what, const gchar * path)
{
  int e = errno;

  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
      "%s %s: %s", what, path, g_strerror (e));
  return FALSE;
}

/* Makes what is already written to @path (a file or a directory) durable. */
gboolean
crs_fsync_path (const gchar * path, GError ** error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    return set_errno_error (error, "Could not open", path);
  if (fsync (fd) != 0) {
    set_errno_error (error, "Could not sync", path);
    close (fd);
    return FALSE;
  }
  close (fd);
  return TRUE;
}

/* tmp + fsync + rename + fsync(dir): after a crash @name is either the old
 * or the new content, never a torn mix. */
gboolean
crs_write_file_atomic (const gchar * dir, const gchar * name,
    const gchar * contents, GError ** error)
{
  g_autofree gchar *path = g_build_filename (dir, name, NULL);
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  gsize len = strlen (contents), done = 0;
  int fd;

  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return set_errno_error (error, "Could not create", tmp);
  while (done < len) {
    gssize n = write (fd, contents + done, len - done);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      set_errno_error (error, "Could not write", tmp);
      goto fail;
    }
    done += n;
  }
  if (fsync (fd) != 0) {
    set_errno_error (error, "Could not sync", tmp);
    goto fail;
  }
  close (fd);
  fd = -1;
  if (g_rename (tmp, path) != 0) {
    set_errno_error (error, "Could not rename to", path);
    goto fail;
  }
  return crs_fsync_path (dir, error);

fail:
  if (fd >= 0)
    close (fd);
  g_unlink (tmp);
  return FALSE;
}
