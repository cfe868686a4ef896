/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The worker's pipeline text: loading and ${VAR} substitution. Element-free
 * so that the rules are unit-tested without GStreamer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CNV_PIPELINE_TEXT_ERROR (cnv_pipeline_text_error_quark ())
GQuark cnv_pipeline_text_error_quark (void);

typedef enum
{
  /* ${NAME} with no value for NAME. */
  CNV_PIPELINE_TEXT_ERROR_UNKNOWN_VARIABLE,
  /* "${" not closed, an empty or malformed name, ${...} inside quotes. */
  CNV_PIPELINE_TEXT_ERROR_SYNTAX,
  /* A NAME=VALUE argument that is not one. */
  CNV_PIPELINE_TEXT_ERROR_BAD_ASSIGNMENT,
} CnvPipelineTextError;

gboolean cnv_pipeline_text_is_variable_name (const gchar * name);

gchar *cnv_pipeline_text_quote_value (const gchar * value);

gchar *cnv_pipeline_text_substitute (const gchar * text, GHashTable * vars,
    GError ** error);

gboolean cnv_pipeline_text_parse_assignment (const gchar * arg,
    GHashTable * vars, GError ** error);

GHashTable *cnv_pipeline_text_default_vars (void);

G_END_DECLS
