/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* ${VAR} substitution for gst-launch text (rules in docs/worker.md):
 *
 * - `${NAME}` (NAME = [A-Za-z_][A-Za-z0-9_]*) is replaced by NAME's value,
 *   quoted for gst-launch; a NAME without a value is an error.
 * - `$$` is a literal `$`; any other `$` is kept as it is, so caps or
 *   property strings that contain a dollar sign need no change.
 * - The substituted value is not looked at again: a value holding "${X}"
 *   stays that text.
 * - A line whose first non-blank character is `#` is a comment and is
 *   dropped (gst-launch itself has no comments); variables in it are not
 *   looked at.
 * - `${NAME}` inside a double-quoted string of the pipeline text is an
 *   error: the quoting below is only right outside quotes, and a silently
 *   wrong property value is worse than a refusal at start.
 */

#include "pipeline-text.h"

#include <string.h>

G_DEFINE_QUARK (cnv-pipeline-text-error-quark, cnv_pipeline_text_error);

gboolean
cnv_pipeline_text_is_variable_name (const gchar * name)
{
  const gchar *p;

  if (!name || !(g_ascii_isalpha (name[0]) || name[0] == '_'))
    return FALSE;
  for (p = name + 1; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_'))
      return FALSE;
  return TRUE;
}

/* Characters that mean nothing to the gst-launch lexer inside a property
 * value; everything else gets a backslash, which gst_parse_unescape()
 * removes again. A backslash per character (rather than surrounding
 * quotes) keeps the value safe when the text glues it to more characters,
 * as in location=${DATA_DIR}/meeting.mkv. */
static gboolean
is_plain_char (gchar c)
{
  /* Bytes of UTF-8 sequences need no escape and stay readable in logs. */
  return (guchar) c >= 0x80 || g_ascii_isalnum (c)
      || strchr ("_-.:/@%+", c) != NULL;
}

static gchar *
quote_chars (const gchar * value)
{
  GString *out = g_string_sized_new (strlen (value) * 2);
  const gchar *p;

  for (p = value; *p; p++) {
    if (!is_plain_char (*p))
      g_string_append_c (out, '\\');
    g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

gchar *
cnv_pipeline_text_quote_value (const gchar * value)
{
  const gchar *p;

  /* An empty unquoted value would leave "prop=" with nothing after it,
   * which the lexer does not take as an assignment. */
  if (!value || !*value)
    return g_strdup ("\"\"");
  /* gst-launch hands the unescaped text to gst_value_deserialize(), which
   * reads a string that starts with a double quote as a quoted string and
   * "NULL" as no string: those values go in wrapped as GStreamer's own
   * quoted string, so that what arrives is the value itself. */
  if (value[0] == '"' || g_str_equal (value, "NULL")) {
    g_autoptr (GString) wrapped = g_string_new ("\"");

    for (p = value; *p; p++) {
      if (*p == '"' || *p == '\\')
        g_string_append_c (wrapped, '\\');
      g_string_append_c (wrapped, *p);
    }
    g_string_append_c (wrapped, '"');
    return quote_chars (wrapped->str);
  }
  return quote_chars (value);
}

gchar *
cnv_pipeline_text_substitute (const gchar * text, GHashTable * vars,
    GError ** error)
{
  g_autoptr (GString) out = NULL;
  const gchar *p;
  gboolean in_quotes = FALSE;
  gboolean line_start = TRUE;
  guint line = 1;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (vars != NULL, NULL);

  out = g_string_sized_new (strlen (text) + 64);
  for (p = text; *p; p++) {
    if (line_start && !in_quotes && *p == '#') {
      while (p[1] && p[1] != '\n')
        p++;
      continue;
    }
    if (*p == '\n') {
      line++;
      line_start = TRUE;
    } else if (*p != ' ' && *p != '\t' && *p != '\r') {
      line_start = FALSE;
    }
    if (*p == '\\' && p[1]) {
      /* An escaped character is never a quote or a variable start. */
      g_string_append_c (out, *p++);
      if (*p == '\n')
        line++;
      g_string_append_c (out, *p);
      continue;
    }
    if (*p == '"') {
      in_quotes = !in_quotes;
      g_string_append_c (out, *p);
      continue;
    }
    if (*p != '$') {
      g_string_append_c (out, *p);
      continue;
    }
    if (p[1] == '$') {
      g_string_append_c (out, '$');
      p++;
      continue;
    }
    if (p[1] != '{') {
      g_string_append_c (out, '$');
      continue;
    }
    {
      const gchar *start = p + 2;
      const gchar *end = strchr (start, '}');
      g_autofree gchar *name = NULL;
      const gchar *value;
      g_autofree gchar *quoted = NULL;

      if (!end) {
        g_set_error (error, CNV_PIPELINE_TEXT_ERROR,
            CNV_PIPELINE_TEXT_ERROR_SYNTAX,
            "line %u: \"${\" without a closing \"}\"", line);
        return NULL;
      }
      name = g_strndup (start, end - start);
      if (!cnv_pipeline_text_is_variable_name (name)) {
        g_set_error (error, CNV_PIPELINE_TEXT_ERROR,
            CNV_PIPELINE_TEXT_ERROR_SYNTAX,
            "line %u: \"${%s}\" is not a variable name "
            "(letters, digits and _, not starting with a digit)", line, name);
        return NULL;
      }
      if (in_quotes) {
        g_set_error (error, CNV_PIPELINE_TEXT_ERROR,
            CNV_PIPELINE_TEXT_ERROR_SYNTAX,
            "line %u: ${%s} inside double quotes: write it unquoted, the "
            "worker quotes values itself", line, name);
        return NULL;
      }
      value = g_hash_table_lookup (vars, name);
      if (!value) {
        g_set_error (error, CNV_PIPELINE_TEXT_ERROR,
            CNV_PIPELINE_TEXT_ERROR_UNKNOWN_VARIABLE,
            "line %u: unknown variable ${%s}: not given as %s=VALUE on the "
            "command line and without a default", line, name, name);
        return NULL;
      }
      quoted = cnv_pipeline_text_quote_value (value);
      g_string_append (out, quoted);
      p = end;
    }
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Takes "NAME=VALUE" into @vars (a later assignment of the same name wins,
 * as in a shell). */
gboolean
cnv_pipeline_text_parse_assignment (const gchar * arg, GHashTable * vars,
    GError ** error)
{
  const gchar *eq = strchr (arg, '=');
  g_autofree gchar *name = NULL;

  if (!eq) {
    g_set_error (error, CNV_PIPELINE_TEXT_ERROR,
        CNV_PIPELINE_TEXT_ERROR_BAD_ASSIGNMENT,
        "argument \"%s\" is not NAME=VALUE", arg);
    return FALSE;
  }
  name = g_strndup (arg, eq - arg);
  if (!cnv_pipeline_text_is_variable_name (name)) {
    g_set_error (error, CNV_PIPELINE_TEXT_ERROR,
        CNV_PIPELINE_TEXT_ERROR_BAD_ASSIGNMENT,
        "argument \"%s\": \"%s\" is not a variable name", arg, name);
    return FALSE;
  }
  /* The gst-launch lexer cannot take a line break inside a value, even
   * escaped. */
  if (strpbrk (eq + 1, "\r\n")) {
    g_set_error (error, CNV_PIPELINE_TEXT_ERROR,
        CNV_PIPELINE_TEXT_ERROR_BAD_ASSIGNMENT,
        "the value of %s holds a line break", name);
    return FALSE;
  }
  g_hash_table_insert (vars, g_steal_pointer (&name), g_strdup (eq + 1));
  return TRUE;
}

/* Defaults for a worker started by hand; a NAME=VALUE argument overrides
 * them (convened always passes ALLOW_LOOPBACK from [ice] allow-loopback). */
GHashTable *
cnv_pipeline_text_default_vars (void)
{
  GHashTable *vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  g_hash_table_insert (vars, g_strdup ("ALLOW_LOOPBACK"), g_strdup ("false"));
  return vars;
}
