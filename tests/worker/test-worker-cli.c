/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The convene-worker binary as convened runs it: exit statuses, SIGTERM ->
 * EOS -> exit 0, with pipelines of stock test elements. */

#include <gio/gio.h>
#include <signal.h>
#include <string.h>

typedef struct
{
  gchar *dir;
} Fixture;

static void
fixture_setup (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("convene-worker-test-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture * f, gconstpointer data)
{
  g_autoptr (GFile) dir = g_file_new_for_path (f->dir);
  g_autoptr (GFileEnumerator) en =
      g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL,
      NULL);
  GFileInfo *info;

  while (en && (info = g_file_enumerator_next_file (en, NULL, NULL))) {
    g_autoptr (GFile) child = g_file_get_child (dir, g_file_info_get_name
        (info));

    g_file_delete (child, NULL, NULL);
    g_object_unref (info);
  }
  g_file_delete (dir, NULL, NULL);
  g_free (f->dir);
}

static gchar *
write_pipeline (Fixture * f, const gchar * text)
{
  g_autoptr (GError) error = NULL;
  gchar *path = g_build_filename (f->dir, "test.pipeline", NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static GSubprocess *
spawn_worker (const gchar * pipeline, const gchar * const *vars)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  g_auto (GStrv) argv = NULL;
  const gchar *exe = g_getenv ("CONVENE_WORKER");
  GSubprocess *proc;

  g_assert_nonnull (exe);
  g_strv_builder_add_many (b, exe, pipeline, NULL);
  if (vars)
    g_strv_builder_addv (b, (const gchar **) vars);
  argv = g_strv_builder_end (b);
  proc = g_subprocess_newv ((const gchar * const *) argv,
      G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  return proc;
}

/* Runs the worker to its end; returns its exit status and its stderr. */
static gint
run_worker (const gchar * pipeline, const gchar * const *vars,
    gchar ** err_out)
{
  g_autoptr (GSubprocess) proc = spawn_worker (pipeline, vars);
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8 (proc, NULL, NULL, NULL, err_out, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  return g_subprocess_get_exit_status (proc);
}

/* Waits until the pipeline runs (a signal before the handler is installed
 * would kill the process instead), sends SIGTERM, checks exit 0; returns
 * how long the exit took, in microseconds. */
static gint64
terminate_when_playing (GSubprocess * proc, GDataInputStream * err)
{
  g_autoptr (GError) error = NULL;
  gint64 start;

  for (;;) {
    g_autofree gchar *line =
        g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (line);
    if (strstr (line, "playing"))
      break;
  }
  start = g_get_monotonic_time ();
  g_subprocess_send_signal (proc, SIGTERM);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  return g_get_monotonic_time () - start;
}

static void
test_sigterm_eos (Fixture * f, gconstpointer data)
{
  g_autofree gchar *path = write_pipeline (f,
      "# a live source never ends by itself: only EOS stops it\n"
      "videotestsrc is-live=true ! fakesink name=${SINK}\n");
  const gchar *vars[] = { "SINK=out", NULL };
  g_autoptr (GSubprocess) proc = spawn_worker (path, vars);
  g_autoptr (GDataInputStream) err =
      g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc));
  g_autoptr (GString) rest = g_string_new (NULL);
  gchar *tail;

  /* Well inside the 5 s fallback: it was EOS that ended it. */
  g_assert_cmpint (terminate_when_playing (proc, err), <,
      4 * G_USEC_PER_SEC);
  while ((tail = g_data_input_stream_read_line_utf8 (err, NULL, NULL, NULL))) {
    g_string_append (rest, tail);
    g_free (tail);
  }
  g_assert_nonnull (strstr (rest->str, "EOS, exiting"));
}

/* Nothing in the meeting pipeline is a sink, so no EOS message can come:
 * the worker must not sit out the 5 s fallback. */
static void
test_sigterm_no_sink (Fixture * f, gconstpointer data)
{
  g_autofree gchar *path = write_pipeline (f,
      "fakesrc is-live=true ! tee allow-not-linked=true");
  g_autoptr (GSubprocess) proc = spawn_worker (path, NULL);
  g_autoptr (GDataInputStream) err =
      g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc));

  g_assert_cmpint (terminate_when_playing (proc, err), <,
      3 * G_USEC_PER_SEC);
}

static void
test_runtime_error (Fixture * f, gconstpointer data)
{
  g_autofree gchar *missing = g_build_filename (f->dir, "missing", NULL);
  g_autofree gchar *assign = g_strconcat ("IN=", missing, NULL);
  g_autofree gchar *path = write_pipeline (f,
      "filesrc location=${IN} ! fakesink");
  const gchar *vars[] = { assign, NULL };
  g_autofree gchar *err = NULL;

  g_assert_cmpint (run_worker (path, vars, &err), ==, 1);
  g_assert_nonnull (strstr (err, "error from"));
}

static void
test_unknown_variable (Fixture * f, gconstpointer data)
{
  g_autofree gchar *path = write_pipeline (f,
      "fakesrc ! fakesink name=${MEETNG_ID}");
  const gchar *vars[] = { "MEETING_ID=m1", NULL };
  g_autofree gchar *err = NULL;

  g_assert_cmpint (run_worker (path, vars, &err), ==, 2);
  g_assert_nonnull (strstr (err, "${MEETNG_ID}"));
}

static void
test_bad_input (Fixture * f, gconstpointer data)
{
  g_autofree gchar *path = write_pipeline (f, "fakesrc ! nosuchelement");
  g_autofree gchar *missing = g_build_filename (f->dir, "nope", NULL);
  const gchar *bad_arg[] = { "not-an-assignment", NULL };
  g_autofree gchar *err = NULL;

  g_assert_cmpint (run_worker (path, NULL, &err), ==, 2);
  g_assert_nonnull (strstr (err, "nosuchelement"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_worker (missing, NULL, &err), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_worker (path, bad_arg, &err), ==, 2);
  g_assert_nonnull (strstr (err, "not-an-assignment"));
}

static void
test_contract_error (Fixture * f, gconstpointer data)
{
  /* "bridge" and "router" that are not a signalbridge and an sfurouter:
   * refused at start, not left running unwired. */
  g_autofree gchar *path = write_pipeline (f,
      "fakesrc name=bridge ! fakesink name=router");
  g_autofree gchar *err = NULL;

  g_assert_cmpint (run_worker (path, NULL, &err), ==, 2);
  g_assert_nonnull (strstr (err, "cannot wire"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, \
    fixture_teardown)
  ADD ("/worker/cli/sigterm-eos", test_sigterm_eos);
  ADD ("/worker/cli/sigterm-no-sink", test_sigterm_no_sink);
  ADD ("/worker/cli/runtime-error", test_runtime_error);
  ADD ("/worker/cli/unknown-variable", test_unknown_variable);
  ADD ("/worker/cli/bad-input", test_bad_input);
  ADD ("/worker/cli/contract-error", test_contract_error);
#undef ADD
  return g_test_run ();
}
