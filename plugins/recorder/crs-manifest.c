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
  gchar *wallclock_source;
  guint segment;
  gboolean closed;
  gboolean discarded;
} Chunk;

typedef struct
{
  gchar *id;
  gchar *dir;
  GArray *tracks;               /* Track */
  GArray *chunks;               /* Chunk, in index order */
  guint next_index;             /* never reused, even for a discarded chunk */
} Participant;

struct _CrsManifest
{
  gchar *recording_id;
  CrsFormat format;
  guint64 chunk_duration;
  gboolean complete;
  guint segment;                /* of this run: 0, +1 per resume */
  gchar *dir;                   /* NULL: do not look at the disk */
  GPtrArray *participants;      /* Participant */
};

G_DEFINE_QUARK (crs-manifest-error-quark, crs_manifest_error);

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
  g_free (c->wallclock_source);
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
  g_free (m->dir);
  g_ptr_array_unref (m->participants);
  g_free (m);
}

static gboolean
dir_taken (CrsManifest * m, Participant * other_than, const gchar * dir)
{
  guint i;

  for (i = 0; i < m->participants->len; i++) {
    Participant *p = g_ptr_array_index (m->participants, i);

    if (p != other_than && g_strcmp0 (p->dir, dir) == 0)
      return TRUE;
  }
  return FALSE;
}

static Participant *
participant_new (const gchar * id)
{
  Participant *p = g_new0 (Participant, 1);

  p->id = g_strdup (id);
  p->tracks = g_array_new (FALSE, TRUE, sizeof (Track));
  g_array_set_clear_func (p->tracks, (GDestroyNotify) track_clear);
  p->chunks = g_array_new (FALSE, TRUE, sizeof (Chunk));
  g_array_set_clear_func (p->chunks, (GDestroyNotify) chunk_clear);
  return p;
}

/* A directory of its own, derived from the id. */
static void
assign_dir (CrsManifest * m, Participant * p)
{
  gchar *base = crs_participant_dir_name (p->id);
  guint n;

  p->dir = g_strdup (base);
  for (n = 2; dir_taken (m, p, p->dir); n++) {
    g_free (p->dir);
    p->dir = g_strdup_printf ("%s-%u", base, n);
  }
  g_free (base);
}

guint
crs_manifest_participant (CrsManifest * m, const gchar * id)
{
  Participant *p;
  guint i;

  for (i = 0; i < m->participants->len; i++) {
    p = g_ptr_array_index (m->participants, i);
    if (strcmp (p->id, id) == 0)
      return i;
  }

  p = participant_new (id);
  assign_dir (m, p);
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
  for (guint i = 0; i < part->tracks->len; i++) {
    Track *o = &g_array_index (part->tracks, Track, i);

    if (o->kind == kind && g_strcmp0 (o->track_id, track_id) == 0
        && g_strcmp0 (o->codec, codec) == 0)
      return;
  }
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
  c.index = part->next_index;
  c.file = crs_chunk_file_name (part->dir, c.index, m->format);
  /* Never overwrite: a file of that name is what a crashed run was
   * writing (or a leftover we cannot account for). */
  while (m->dir && c.index < G_MAXUINT) {
    g_autofree gchar *path = g_build_filename (m->dir, c.file, NULL);

    if (!g_file_test (path, G_FILE_TEST_EXISTS))
      break;
    c.index++;
    g_free (c.file);
    c.file = crs_chunk_file_name (part->dir, c.index, m->format);
  }
  part->next_index = c.index + 1;
  c.start_running_time = start_running_time;
  c.start_wallclock = start_wallclock;
  c.wallclock_source = g_strdup (wallclock_source);
  c.segment = m->segment;
  g_array_append_val (part->chunks, c);
  if (file)
    *file = g_array_index (part->chunks, Chunk, part->chunks->len - 1).file;
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

guint
crs_manifest_n_tracks (CrsManifest * m, guint p)
{
  g_return_val_if_fail (p < m->participants->len, 0);
  return ((Participant *) g_ptr_array_index (m->participants, p))->tracks->len;
}

const gchar *
crs_manifest_recording_id (CrsManifest * m)
{
  return m->recording_id;
}

guint
crs_manifest_segment (CrsManifest * m)
{
  return m->segment;
}

void
crs_manifest_set_directory (CrsManifest * m, const gchar * dir)
{
  g_free (m->dir);
  m->dir = g_strdup (dir);
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
    json_builder_set_member_name (b, "segment");
    json_builder_add_int_value (b, c->segment);
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
  json_builder_set_member_name (b, "segment");
  json_builder_add_int_value (b, m->segment);
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

/* ------------------------------------------------------------------ */
/* Resuming: the reader of what crs_manifest_to_json() writes */

static gboolean
bad (GError ** error, const gchar * what)
{
  g_set_error (error, CRS_MANIFEST_ERROR, CRS_MANIFEST_ERROR_PARSE,
      "not a recording manifest: %s", what);
  return FALSE;
}

static const gchar *
get_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (!n || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

/* FALSE if @name is there but is not an integer; *v untouched if absent. */
static gboolean
get_int (JsonObject * o, const gchar * name, gboolean required, gint64 * v)
{
  JsonNode *n = json_object_get_member (o, name);

  if (!n)
    return !required;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *v = json_node_get_int (n);
  return TRUE;
}

static JsonArray *
get_array (JsonObject * o, const gchar * name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

/* "<dir>/<name>" exactly as crs_chunk_file_name() makes it: one plain
 * directory, one plain file, nothing that leaves the recording. */
static gchar *
chunk_dir_of (const gchar * file)
{
  const gchar *slash = strchr (file, '/');

  if (!slash || slash == file || strchr (slash + 1, '/') || !slash[1]
      || file[0] == '.' || slash[1] == '.')
    return NULL;
  return g_strndup (file, slash - file);
}

static gint
chunk_cmp (gconstpointer a, gconstpointer b)
{
  guint ia = ((const Chunk *) a)->index, ib = ((const Chunk *) b)->index;

  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

static gboolean
load_tracks (Participant * p, JsonArray * tracks, GError ** error)
{
  for (guint i = 0; tracks && i < json_array_get_length (tracks); i++) {
    JsonNode *n = json_array_get_element (tracks, i);
    JsonObject *o;
    const gchar *pad, *track_id, *kind, *codec;
    Track t = { 0, };

    if (!JSON_NODE_HOLDS_OBJECT (n))
      return bad (error, "a track is not an object");
    o = json_node_get_object (n);
    pad = get_string (o, "pad");
    track_id = get_string (o, "track_id");
    kind = get_string (o, "kind");
    codec = get_string (o, "codec");
    if (!pad || !track_id || !kind || !codec)
      return bad (error, "a track lacks pad, track_id, kind or codec");
    if (g_strcmp0 (kind, crs_kind_name (CRS_KIND_AUDIO)) == 0)
      t.kind = CRS_KIND_AUDIO;
    else if (g_strcmp0 (kind, crs_kind_name (CRS_KIND_VIDEO)) == 0)
      t.kind = CRS_KIND_VIDEO;
    else
      return bad (error, "unknown track kind");
    t.pad = g_strdup (pad);
    t.track_id = g_strdup (track_id);
    t.codec = g_strdup (codec);
    g_array_append_val (p->tracks, t);
  }
  return TRUE;
}

/* Call with @p->dir NULL; sets it from the chunks' files if there are any. */
static gboolean
load_chunks (Participant * p, JsonArray * chunks, guint * max_segment,
    GError ** error)
{
  for (guint i = 0; chunks && i < json_array_get_length (chunks); i++) {
    JsonNode *n = json_array_get_element (chunks, i);
    JsonObject *o;
    const gchar *file, *source;
    g_autofree gchar *dir = NULL;
    gint64 index = -1, start = 0, duration = 0, wall = 0, segment = 0;
    Chunk c = { 0, };

    if (!JSON_NODE_HOLDS_OBJECT (n))
      return bad (error, "a chunk is not an object");
    o = json_node_get_object (n);
    file = get_string (o, "file");
    source = get_string (o, "wallclock_source");
    if (!file || !(dir = chunk_dir_of (file)))
      return bad (error, "a chunk's file is not <participant>/<name>");
    if (p->dir && strcmp (p->dir, dir) != 0)
      return bad (error, "a participant's chunks are in two directories");
    if (!get_int (o, "index", TRUE, &index) || index < 0 || index >= G_MAXUINT
        || !get_int (o, "start_running_time_ns", FALSE, &start) || start < 0
        || !get_int (o, "duration_ns", FALSE, &duration) || duration < 0
        || !get_int (o, "start_wallclock_ns", FALSE, &wall)
        || !get_int (o, "segment", FALSE, &segment) || segment < 0
        || segment >= G_MAXUINT)
      return bad (error, "a chunk has a bad index, time or segment");
    for (guint j = 0; j < p->chunks->len; j++)
      if (g_array_index (p->chunks, Chunk, j).index == index)
        return bad (error, "two chunks have the same index");
    if (!p->dir)
      p->dir = g_steal_pointer (&dir);
    c.index = index;
    c.file = g_strdup (file);
    c.start_running_time = start;
    c.duration = duration;
    c.start_wallclock = wall;
    c.wallclock_source = g_strdup (source ? source : "pipeline-clock");
    c.segment = segment;
    c.closed = TRUE;
    g_array_append_val (p->chunks, c);
    p->next_index = MAX (p->next_index, c.index + 1);
    *max_segment = MAX (*max_segment, c.segment);
  }
  g_array_sort (p->chunks, chunk_cmp);
  return TRUE;
}

static gboolean
load_participants (CrsManifest * m, JsonArray * parts, GError ** error)
{
  guint max_segment = 0;
  gboolean any_chunk = FALSE;

  for (guint i = 0; i < json_array_get_length (parts); i++) {
    JsonNode *n = json_array_get_element (parts, i);
    JsonObject *o;
    const gchar *id;
    Participant *p;

    if (!JSON_NODE_HOLDS_OBJECT (n))
      return bad (error, "a participant is not an object");
    o = json_node_get_object (n);
    id = get_string (o, "id");
    if (!id)
      return bad (error, "a participant has no id");
    for (guint j = 0; j < m->participants->len; j++)
      if (strcmp (((Participant *) g_ptr_array_index (m->participants,
                      j))->id, id) == 0)
        return bad (error, "a participant is listed twice");
    if ((json_object_has_member (o, "tracks") && !get_array (o, "tracks"))
        || (json_object_has_member (o, "chunks") && !get_array (o, "chunks")))
      return bad (error, "tracks or chunks is not an array");
    p = participant_new (id);
    g_ptr_array_add (m->participants, p);
    if (!load_tracks (p, get_array (o, "tracks"), error)
        || !load_chunks (p, get_array (o, "chunks"), &max_segment, error))
      return FALSE;
    if (p->dir) {
      any_chunk = TRUE;
      for (guint j = 0; j + 1 < m->participants->len; j++)
        if (g_strcmp0 (((Participant *) g_ptr_array_index (m->participants,
                        j))->dir, p->dir) == 0)
          return bad (error, "two participants share a directory");
    }
  }
  /* Participants without chunks get their directory once every directory
   * in use is known, so that they cannot take one of those. */
  for (guint i = 0; i < m->participants->len; i++) {
    Participant *p = g_ptr_array_index (m->participants, i);

    if (!p->dir)
      assign_dir (m, p);
  }
  if (any_chunk)
    m->segment = MAX (m->segment, max_segment + 1);
  return TRUE;
}

CrsManifest *
crs_manifest_resume (const gchar * json, gssize len, CrsFormat format,
    guint64 chunk_duration_ns, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *o;
  JsonArray *parts;
  const gchar *id;
  gint64 version = 0, segment = 0;
  CrsManifest *m;

  if (!json_parser_load_from_data (parser, json, len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    bad (error, "not a JSON object");
    return NULL;
  }
  o = json_node_get_object (root);
  if (!get_int (o, "version", TRUE, &version)) {
    bad (error, "no version");
    return NULL;
  }
  if (version != CRS_MANIFEST_VERSION) {
    g_set_error (error, CRS_MANIFEST_ERROR, CRS_MANIFEST_ERROR_VERSION,
        "manifest version %" G_GINT64_FORMAT ", expected %d", version,
        CRS_MANIFEST_VERSION);
    return NULL;
  }
  id = get_string (o, "recording_id");
  parts = get_array (o, "participants");
  if (!id || !parts) {
    bad (error, "no recording_id or participants");
    return NULL;
  }
  if (!get_int (o, "segment", FALSE, &segment) || segment < 0
      || segment >= G_MAXUINT - 1) {
    bad (error, "bad segment");
    return NULL;
  }

  m = crs_manifest_new (id, format, chunk_duration_ns);
  /* The run that wrote it had its own segment, even if it closed no
   * chunk. */
  m->segment = segment + 1;
  if (!load_participants (m, parts, error)) {
    crs_manifest_free (m);
    return NULL;
  }
  return m;
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
