/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* ${VAR} substitution of the worker's pipeline text: the rules as a table,
 * then quoted values taken back through gst_parse_launch(). */

#include <gst/gst.h>
#include <string.h>

#include "pipeline-text.h"

typedef struct
{
  const gchar *name;
  const gchar *text;
  const gchar *expected;        /* NULL: an error */
  gint error_code;
} Case;

/* Variables of every case: A=1, B="x y", Q=a"b'c, R=${A}, E="". */
static const Case cases[] = {
  {"plain", "fakesrc ! fakesink", "fakesrc ! fakesink", 0},
  {"one", "fakesink name=${A}", "fakesink name=1", 0},
  {"several", "${A} ${A}${A} ${ALLOW_LOOPBACK}", "1 11 false", 0},
  {"glued", "location=${A}/x.mkv", "location=1/x.mkv", 0},
  {"space", "n=${B}", "n=x\\ y", 0},
  {"quotes", "n=${Q}", "n=a\\\"b\\'c", 0},
  {"not-re-expanded", "n=${R}", "n=\\$\\{A\\}", 0},
  {"empty-value", "n=${E}", "n=\"\"", 0},
  {"dollar-dollar", "a$$b $${A}", "a$b ${A}", 0},
  {"lone-dollar", "caps=$ a$b $", "caps=$ a$b $", 0},
  {"escaped-quote", "n=\\\"${A}", "n=\\\"1", 0},
  {"comment", "# ${NOPE}\nfakesrc\n  # x\n", "\nfakesrc\n  \n", 0},
  {"hash-mid-line", "a # ${A}", "a # 1", 0},
  {"unknown", "fakesink name=${NOPE}", NULL,
      CNV_PIPELINE_TEXT_ERROR_UNKNOWN_VARIABLE},
  {"unknown-lower-case", "${a}", NULL,
      CNV_PIPELINE_TEXT_ERROR_UNKNOWN_VARIABLE},
  {"unclosed", "name=${A", NULL, CNV_PIPELINE_TEXT_ERROR_SYNTAX},
  {"empty-name", "${}", NULL, CNV_PIPELINE_TEXT_ERROR_SYNTAX},
  {"bad-name", "${1A}", NULL, CNV_PIPELINE_TEXT_ERROR_SYNTAX},
  {"dash-name", "${A-B}", NULL, CNV_PIPELINE_TEXT_ERROR_SYNTAX},
  {"inside-quotes", "n=\"x ${A}\"", NULL, CNV_PIPELINE_TEXT_ERROR_SYNTAX},
};

static GHashTable *
case_vars (void)
{
  GHashTable *vars = cnv_pipeline_text_default_vars ();

  g_hash_table_insert (vars, g_strdup ("A"), g_strdup ("1"));
  g_hash_table_insert (vars, g_strdup ("B"), g_strdup ("x y"));
  g_hash_table_insert (vars, g_strdup ("Q"), g_strdup ("a\"b'c"));
  g_hash_table_insert (vars, g_strdup ("R"), g_strdup ("${A}"));
  g_hash_table_insert (vars, g_strdup ("E"), g_strdup (""));
  return vars;
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (GHashTable) vars = case_vars ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out = cnv_pipeline_text_substitute (c->text, vars,
      &error);

  if (c->expected) {
    g_assert_no_error (error);
    g_assert_cmpstr (out, ==, c->expected);
  } else {
    g_assert_null (out);
    g_assert_error (error, CNV_PIPELINE_TEXT_ERROR, c->error_code);
  }
}

static void
test_unknown_names_variable (void)
{
  g_autoptr (GHashTable) vars = case_vars ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out =
      cnv_pipeline_text_substitute ("a\nb ${MEETNG_ID}", vars, &error);

  g_assert_null (out);
  g_assert_nonnull (strstr (error->message, "${MEETNG_ID}"));
  g_assert_nonnull (strstr (error->message, "line 2"));
}

typedef struct
{
  const gchar *arg;
  const gchar *name;            /* NULL: refused */
  const gchar *value;
} Assignment;

static const Assignment assignments[] = {
  {"A=1", "A", "1"},
  {"TOKEN=a=b", "TOKEN", "a=b"},
  {"EMPTY=", "EMPTY", ""},
  {"_X9=y", "_X9", "y"},
  {"ALLOW_LOOPBACK=true", "ALLOW_LOOPBACK", "true"},
  {"noequals", NULL, NULL},
  {"=x", NULL, NULL},
  {"9A=x", NULL, NULL},
  {"A B=x", NULL, NULL},
  {"A=line\nbreak", NULL, NULL},
};

static void
test_assignments (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (assignments); i++) {
    const Assignment *a = &assignments[i];
    g_autoptr (GHashTable) vars = cnv_pipeline_text_default_vars ();
    g_autoptr (GError) error = NULL;
    gboolean ok = cnv_pipeline_text_parse_assignment (a->arg, vars, &error);

    if (a->name) {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpstr (g_hash_table_lookup (vars, a->name), ==, a->value);
    } else {
      g_assert_false (ok);
      g_assert_error (error, CNV_PIPELINE_TEXT_ERROR,
          CNV_PIPELINE_TEXT_ERROR_BAD_ASSIGNMENT);
    }
  }
}

/* Whatever the value, the property gets exactly it: quoting agrees with
 * gst-launch's lexer and unescaping, alone and glued to more text. */
static void
test_round_trip (void)
{
  static const gchar *values[] = {
    "plain", "with space", "dq\"uote", "sq'uote", "back\\slash",
    "trailing\\", "bang!pipe", "k=v,w;x", "tab\there", "ws://h:1/ws?t=a&b",
    "${A}", "$$", "#hash", "{braces}(parens)", "Zoë café", "\"", "\"quoted\"", "\"a\\b", "NULL",
    "null", " lead", "'single'",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (values); i++) {
    g_autoptr (GHashTable) vars = cnv_pipeline_text_default_vars ();
    g_autoptr (GError) error = NULL;
    g_autofree gchar *text = NULL;
    g_autofree gchar *got = NULL;
    g_autofree gchar *want = g_strconcat (values[i], "/suffix", NULL);
    GstElement *e;

    g_hash_table_insert (vars, g_strdup ("V"), g_strdup (values[i]));
    text = cnv_pipeline_text_substitute ("filesrc name=src location=${V}",
        vars, &error);
    g_assert_no_error (error);
    e = gst_parse_launch_full (text, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
        &error);
    g_assert_no_error (error);
    g_object_get (e, "location", &got, NULL);
    g_assert_cmpstr (got, ==, values[i]);
    gst_object_unref (e);
    g_clear_pointer (&got, g_free);
    g_clear_pointer (&text, g_free);

    /* Documented limit: these are only right as a whole property value
     * (gst_value_deserialize() sees the whole text, suffix included). */
    if (values[i][0] == '"' || g_str_equal (values[i], "NULL"))
      continue;

    text = cnv_pipeline_text_substitute ("filesrc location=${V}/suffix",
        vars, &error);
    g_assert_no_error (error);
    e = gst_parse_launch_full (text, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
        &error);
    g_assert_no_error (error);
    g_object_get (e, "location", &got, NULL);
    g_assert_cmpstr (got, ==, want);
    gst_object_unref (e);
  }
}

int
main (int argc, char **argv)
{
  guint i;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/worker/pipeline-text/%s",
        cases[i].name);

    g_test_add_data_func (path, &cases[i], test_case);
  }
  g_test_add_func ("/worker/pipeline-text/unknown-names-variable",
      test_unknown_names_variable);
  g_test_add_func ("/worker/pipeline-text/assignments", test_assignments);
  g_test_add_func ("/worker/pipeline-text/round-trip", test_round_trip);
  return g_test_run ();
}
