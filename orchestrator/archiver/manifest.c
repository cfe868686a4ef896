/* Reading manifest.json (docs/recording.md) and the gallery layout. */
#include "manifest.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (cnv-arch-manifest-error, cnv_arch_manifest_error);

static void
chunk_free (gpointer p)
{
  CnvArchChunk *c = p;

  g_free (c->file);
  g_free (c);
}

static void
participant_free (gpointer p)
{
  CnvArchParticipant *pt = p;

  g_free (pt->id);
  g_ptr_array_unref (pt->chunks);
  g_free (pt);
}

void
cnv_arch_manifest_free (CnvArchManifest * m)
{
  if (!m)
    return;
  g_free (m->recording_id);
  g_free (m->format);
  g_ptr_array_unref (m->participants);
  g_free (m);
}

static gboolean
member_int (JsonObject * o, const char *name, gint64 * out)
{
  JsonNode *n = json_object_get_member (o, name);

  if (!n || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (n);
  return TRUE;
}

static const char *
member_string (JsonObject * o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (!n || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

/* A chunk's file must stay inside the recording's folder. */
static gboolean
relative_path_ok (const char *file)
{
  g_auto (GStrv) parts = NULL;

  if (!file || !*file || g_path_is_absolute (file))
    return FALSE;
  parts = g_strsplit (file, "/", -1);
  for (guint i = 0; parts[i]; i++)
    if (strcmp (parts[i], "..") == 0 || !*parts[i])
      return FALSE;
  return TRUE;
}

static gint
chunk_cmp (gconstpointer a, gconstpointer b)
{
  const CnvArchChunk *ca = *(CnvArchChunk **) a;
  const CnvArchChunk *cb = *(CnvArchChunk **) b;

  if (ca->start_wallclock_ns != cb->start_wallclock_ns)
    return ca->start_wallclock_ns < cb->start_wallclock_ns ? -1 : 1;
  return ca->index < cb->index ? -1 : ca->index > cb->index;
}

static CnvArchParticipant *
parse_participant (const char *dir, JsonObject * po, gint64 chunk_duration,
    CnvArchManifest * m)
{
  const char *id = member_string (po, "id");
  JsonArray *tracks, *chunks;
  CnvArchParticipant *pt;

  if (!id || !json_object_has_member (po, "chunks")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (po, "chunks"))) {
    g_warning ("manifest: skipping a participant without id or chunks");
    return NULL;
  }
  pt = g_new0 (CnvArchParticipant, 1);
  pt->id = g_strdup (id);
  pt->chunks = g_ptr_array_new_with_free_func (chunk_free);

  tracks = json_object_has_member (po, "tracks") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (po, "tracks")) ?
      json_object_get_array_member (po, "tracks") : NULL;
  for (guint i = 0; tracks && i < json_array_get_length (tracks); i++) {
    JsonNode *tn = json_array_get_element (tracks, i);
    const char *kind;

    if (!JSON_NODE_HOLDS_OBJECT (tn))
      continue;
    kind = member_string (json_node_get_object (tn), "kind");
    if (g_strcmp0 (kind, "video") == 0)
      pt->has_video = TRUE;
    else if (g_strcmp0 (kind, "audio") == 0)
      pt->has_audio = TRUE;
  }
  /* Older or partial manifests without tracks: let the chunks decide. */
  if (!tracks)
    pt->has_video = pt->has_audio = TRUE;

  chunks = json_object_get_array_member (po, "chunks");
  for (guint i = 0; i < json_array_get_length (chunks); i++) {
    JsonNode *cn = json_array_get_element (chunks, i);
    JsonObject *co;
    const char *file;
    gint64 wall, dur = 0, rt = 0, index = i;
    CnvArchChunk *c;

    if (!JSON_NODE_HOLDS_OBJECT (cn))
      continue;
    co = json_node_get_object (cn);
    file = member_string (co, "file");
    if (!relative_path_ok (file) || !member_int (co, "start_wallclock_ns",
            &wall) || wall <= 0) {
      g_warning ("manifest: %s: skipping chunk %u (bad file or "
          "start_wallclock_ns)", id, i);
      continue;
    }
    member_int (co, "index", &index);
    member_int (co, "start_running_time_ns", &rt);
    if (!member_int (co, "duration_ns", &dur) || dur <= 0)
      dur = chunk_duration;
    c = g_new0 (CnvArchChunk, 1);
    c->index = (guint) CLAMP (index, 0, G_MAXUINT);
    c->file = g_build_filename (dir, file, NULL);
    c->start_running_time_ns = (guint64) MAX (rt, 0);
    c->duration_ns = (guint64) dur;
    c->start_wallclock_ns = wall;
    g_ptr_array_add (pt->chunks, c);
  }
  if (pt->chunks->len == 0) {
    participant_free (pt);
    return NULL;
  }
  g_ptr_array_sort (pt->chunks, chunk_cmp);
  for (guint i = 0; i < pt->chunks->len; i++) {
    CnvArchChunk *c = g_ptr_array_index (pt->chunks, i);
    gint64 end = c->start_wallclock_ns + (gint64) c->duration_ns;

    if (m->start_wallclock_ns == 0 || c->start_wallclock_ns <
        m->start_wallclock_ns)
      m->start_wallclock_ns = c->start_wallclock_ns;
    m->end_wallclock_ns = MAX (m->end_wallclock_ns, end);
  }
  return pt;
}

CnvArchManifest *
cnv_arch_manifest_parse (const char *dir, const char *json, gssize len,
    GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (CnvArchManifest) m = NULL;
  JsonNode *root;
  JsonObject *o;
  JsonArray *parts;
  gint64 version = 0, chunk_duration = 2 * G_GINT64_CONSTANT (1000000000);

  if (!json_parser_load_from_data (parser, json, len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, CNV_ARCH_MANIFEST_ERROR, 0, "not a JSON object");
    return NULL;
  }
  o = json_node_get_object (root);
  if (!member_int (o, "version", &version) || version != 1) {
    g_set_error (error, CNV_ARCH_MANIFEST_ERROR, 0,
        "unsupported manifest version");
    return NULL;
  }
  if (!json_object_has_member (o, "participants") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "participants"))) {
    g_set_error (error, CNV_ARCH_MANIFEST_ERROR, 0, "no participants array");
    return NULL;
  }
  member_int (o, "chunk_duration_ns", &chunk_duration);
  if (chunk_duration <= 0)
    chunk_duration = 2 * G_GINT64_CONSTANT (1000000000);

  m = g_new0 (CnvArchManifest, 1);
  m->recording_id = g_strdup (member_string (o, "recording_id"));
  m->format = g_strdup (member_string (o, "format"));
  m->complete = json_object_has_member (o, "complete") &&
      json_object_get_boolean_member_with_default (o, "complete", FALSE);
  m->participants = g_ptr_array_new_with_free_func (participant_free);

  parts = json_object_get_array_member (o, "participants");
  for (guint i = 0; i < json_array_get_length (parts); i++) {
    JsonNode *pn = json_array_get_element (parts, i);
    CnvArchParticipant *pt;

    if (!JSON_NODE_HOLDS_OBJECT (pn))
      continue;
    pt = parse_participant (dir, json_node_get_object (pn), chunk_duration,
        m);
    if (pt)
      g_ptr_array_add (m->participants, pt);
  }
  if (m->participants->len == 0) {
    g_set_error (error, CNV_ARCH_MANIFEST_ERROR, 0,
        "the manifest lists no usable chunk");
    return NULL;
  }
  return g_steal_pointer (&m);
}

CnvArchManifest *
cnv_arch_manifest_load (const char *dir, GError ** error)
{
  g_autofree char *path = g_build_filename (dir, "manifest.json", NULL);
  g_autofree char *text = NULL;
  gsize len;
  CnvArchManifest *m;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  m = cnv_arch_manifest_parse (dir, text, (gssize) len, error);
  if (!m)
    g_prefix_error (error, "%s: ", path);
  return m;
}

void
cnv_arch_layout_tile (guint n, guint i, int width, int height,
    CnvArchTile * tile)
{
  guint cols, rows, col, row;
  int cw, ch;

  n = MAX (n, 1);
  cols = (guint) ceil (sqrt ((double) n));
  while ((cols - 1) * (cols - 1) >= n)
    cols--;
  while (cols * cols < n)
    cols++;
  rows = (n + cols - 1) / cols;
  col = i % cols;
  row = i / cols;
  cw = (width / (int) cols) & ~1;
  ch = (height / (int) rows) & ~1;
  tile->width = cw;
  tile->height = ch;
  /* Centre the grid: leftover pixels and a short last row go to the
   * margins. */
  tile->x = (width - cw * (int) cols) / 2 + (int) col * cw;
  tile->y = (height - ch * (int) rows) / 2 + (int) row * ch;
  if (row == rows - 1 && n % cols) {
    guint in_row = n % cols;

    tile->x = (width - cw * (int) in_row) / 2 + (int) col * cw;
  }
}
