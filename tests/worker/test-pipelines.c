/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* Every file in pipelines/ goes through the worker's substitution with the
 * variables convened passes (placeholder values) and must then parse; a
 * file with "bridge" and "router" must also satisfy the wiring contract.
 *
 * Until signalbridge has the server role (the "role" property), a
 * signalbridge property the element does not have yet is reported and
 * tolerated, and the contract check is skipped; once "role" exists the
 * test is strict with no change here. */

#include <gst/gst.h>
#include <string.h>

#include "pipeline-text.h"
#include "wiring.h"

static gboolean
signalbridge_has_server_role (void)
{
  g_autoptr (GstElement) e = gst_element_factory_make ("signalbridge", NULL);

  return e && g_object_class_find_property (G_OBJECT_GET_CLASS (e), "role");
}

static void
test_pipeline_file (gconstpointer data)
{
  const gchar *path = data;
  g_autoptr (GHashTable) vars = cnv_pipeline_text_default_vars ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *raw = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr (GstParseContext) ctx = gst_parse_context_new ();
  g_autoptr (GstElement) parsed = NULL;
  gboolean strict = signalbridge_has_server_role ();
  static const gchar *convened_args[] = {
    "MEETING_ID=m-test-1", "SIGNALING_URI=ws://127.0.0.1:9/ws",
    "WORKER_TOKEN=eyJhbGciOiJIUzI1NiJ9.e30.sig-_x", "DATA_DIR=/tmp/convene data",
    /* What the worker adds for pipelines/recorder.pipeline. */
    "RECORDING_DIR=/tmp/convene data/recordings/m-test-1-20261121T120000Z",
    "CHUNK_DURATION=2000000000",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (convened_args); i++) {
    g_assert_true (cnv_pipeline_text_parse_assignment (convened_args[i], vars,
            &error));
    g_assert_no_error (error);
  }
  g_assert_true (g_file_get_contents (path, &raw, NULL, &error));
  text = cnv_pipeline_text_substitute (raw, vars, &error);
  g_assert_no_error (error);

  parsed = gst_parse_launch_full (text, ctx, GST_PARSE_FLAG_NONE, &error);
  if (error && !strict && g_error_matches (error, GST_PARSE_ERROR,
          GST_PARSE_ERROR_NO_SUCH_PROPERTY)) {
    g_test_message ("lenient (signalbridge has no server role yet): %s",
        error->message);
    return;
  }
  if (error && g_error_matches (error, GST_PARSE_ERROR,
          GST_PARSE_ERROR_NO_SUCH_ELEMENT)) {
    g_auto (GStrv) missing = gst_parse_context_get_missing_elements (ctx);
    g_autofree gchar *list = g_strjoinv (", ", missing);

    /* Only our own elements may be missing, and only while not built. */
    for (i = 0; missing && missing[i]; i++)
      g_assert_true (g_str_equal (missing[i], "signalbridge")
          || g_str_equal (missing[i], "sfurouter")
          || g_str_equal (missing[i], "chunkrecordersink"));
    g_test_skip_printf ("elements not built: %s", list);
    return;
  }
  g_assert_no_error (error);
  g_assert_nonnull (parsed);

  if (GST_IS_BIN (parsed)) {
    g_autoptr (GstElement) bridge =
        gst_bin_get_by_name (GST_BIN (parsed), "bridge");
    g_autoptr (GstElement) router =
        gst_bin_get_by_name (GST_BIN (parsed), "router");

    if (bridge && router) {
      g_autoptr (CnvWorkerWiring) wiring = NULL;

      wiring = cnv_worker_wiring_new (bridge, router, &error);
      if (!strict) {
        g_test_message ("lenient, contract not checked: %s",
            error ? error->message : "met");
        return;
      }
      g_assert_no_error (error);
      g_assert_nonnull (wiring);
    }
  }
}

int
main (int argc, char **argv)
{
  const gchar *root = g_getenv ("CONVENE_SOURCE_ROOT");
  g_autofree gchar *dir_path = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;
  guint i;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  if (!root) {
    g_printerr ("CONVENE_SOURCE_ROOT is not set (run through meson test)\n");
    return 1;
  }
  dir_path = g_build_filename (root, "pipelines", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  if (!dir) {
    g_printerr ("cannot open %s\n", dir_path);
    return 1;
  }
  while ((name = g_dir_read_name (dir)))
    g_ptr_array_add (files, g_build_filename (dir_path, name, NULL));
  /* The issue asks for a parse of every file: an empty folder is a
   * mistake, not a pass. */
  if (files->len == 0) {
    g_printerr ("no pipeline files in %s\n", dir_path);
    return 1;
  }
  for (i = 0; i < files->len; i++) {
    const gchar *file = g_ptr_array_index (files, i);
    g_autofree gchar *base = g_path_get_basename (file);
    g_autofree gchar *test_path = g_strdup_printf ("/worker/pipelines/%s",
        base);

    g_test_add_data_func (test_path, file, test_pipeline_file);
  }
  return g_test_run ();
}
