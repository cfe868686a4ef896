/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#include <string.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "recorder-test-util.h"

static guint64
parse_duration (const gchar * out)
{
  const gchar *p = strstr (out, "Duration: ");
  guint h, m, s, ns;

  if (!p || sscanf (p, "Duration: %u:%u:%u.%u", &h, &m, &s, &ns) != 4)
    return 0;
  return ((guint64) h * 3600 + m * 60 + s) * GST_SECOND + ns;
}

void
rt_discover (const gchar * path, RtDiscovered * out)
{
  g_autoptr (GError) err = NULL;
  gchar *argv[] = { (gchar *) "gst-discoverer-1.0", (gchar *) path, NULL };
  gchar *std_out = NULL;
  gint status = -1;

  memset (out, 0, sizeof (*out));
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &std_out, NULL, &status,
          &err))
    g_error ("gst-discoverer-1.0: %s", err->message);
  out->output = std_out;
  out->ok = g_spawn_check_wait_status (status, NULL)
      && strstr (std_out, "Done discovering") != NULL
      && strstr (std_out, "An error was encountered") == NULL;
  out->has_video = strstr (std_out, "video #") != NULL;
  out->has_audio = strstr (std_out, "audio #") != NULL;
  out->duration = parse_duration (std_out);
}

void
rt_discovered_clear (RtDiscovered * d)
{
  g_free (d->output);
  d->output = NULL;
}

JsonObject *
rt_load_manifest (const gchar * dir)
{
  g_autofree gchar *path = g_build_filename (dir, "manifest.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) err = NULL;
  JsonNode *root;

  if (!json_parser_load_from_file (parser, path, &err))
    g_error ("manifest %s: %s", path, err->message);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root),
          "version"), ==, 1);
  return json_object_ref (json_node_get_object (root));
}

JsonArray *
rt_participant_chunks (JsonObject * manifest, const gchar * id)
{
  JsonArray *parts = json_object_get_array_member (manifest, "participants");
  guint i;

  for (i = 0; i < json_array_get_length (parts); i++) {
    JsonObject *p = json_array_get_object_element (parts, i);

    if (g_strcmp0 (json_object_get_string_member (p, "id"), id) == 0)
      return json_object_get_array_member (p, "chunks");
  }
  return NULL;
}

guint
rt_check_chunks (const gchar * dir, JsonObject * manifest,
    gboolean want_video, gboolean want_audio, guint64 * total)
{
  JsonArray *parts = json_object_get_array_member (manifest, "participants");
  guint i, j, n = 0;

  for (i = 0; i < json_array_get_length (parts); i++) {
    JsonObject *p = json_array_get_object_element (parts, i);
    JsonArray *chunks = json_object_get_array_member (p, "chunks");

    for (j = 0; j < json_array_get_length (chunks); j++) {
      JsonObject *c = json_array_get_object_element (chunks, j);
      g_autofree gchar *path = g_build_filename (dir,
          json_object_get_string_member (c, "file"), NULL);
      RtDiscovered d;

      if (j > 0)
        g_assert_cmpint (json_object_get_int_member (c, "index"), >,
            json_object_get_int_member (json_array_get_object_element
                (chunks, j - 1), "index"));
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      rt_discover (path, &d);
      if (!d.ok || (want_video && !d.has_video) || (want_audio
              && !d.has_audio))
        g_error ("%s not playable as wanted:\n%s", path, d.output);
      if (total)
        *total += d.duration;
      rt_discovered_clear (&d);
      n++;
    }
  }
  return n;
}

/* Tolerates a manifest being replaced under us: rename is atomic, so any
 * read sees a whole file. */
guint
rt_count_closed_chunks (const gchar * dir)
{
  g_autofree gchar *path = g_build_filename (dir, "manifest.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *parts;
  guint i, n = 0;

  if (!json_parser_load_from_file (parser, path, NULL))
    return 0;
  parts = json_object_get_array_member (json_node_get_object
      (json_parser_get_root (parser)), "participants");
  for (i = 0; i < json_array_get_length (parts); i++)
    n += json_array_get_length (json_object_get_array_member
        (json_array_get_object_element (parts, i), "chunks"));
  return n;
}

gchar *
rt_make_tmp_dir (void)
{
  g_autoptr (GError) err = NULL;
  gchar *dir = g_dir_make_tmp ("chunkrec-XXXXXX", &err);

  g_assert_no_error (err);
  return dir;
}

void
rt_remove_tree (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (!d)
    return;
  while ((name = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      rt_remove_tree (path);
    else
      g_unlink (path);
  }
  g_dir_close (d);
  g_rmdir (dir);
}

guint
rt_run_until_eos (GstElement * pipeline, guint timeout_s,
    const gchar * count_name)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_TIME_SPAN_SECOND;
  guint n = 0;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg;

    if (left <= 0)
      g_error ("no EOS within %u s", timeout_s);
    msg = gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    if (!msg)
      continue;
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      g_autoptr (GError) err = NULL;
      g_autofree gchar *debug = NULL;

      gst_message_parse_error (msg, &err, &debug);
      g_error ("error from %s: %s (%s)",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message, debug);
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    if (count_name && gst_message_has_name (msg, count_name))
      n++;
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return n;
}
