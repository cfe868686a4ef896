/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* No config.h in this project: GST_PLUGIN_DEFINE needs PACKAGE. */
#ifndef PACKAGE
#define PACKAGE "convene"
#endif

#include "gstchunkrecordersink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (chunkrecordersink, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, chunkrecorder,
    "Crash-safe chunked recording of RTP and encoded streams",
    plugin_init, "0.1.0", "LGPL", "convene", "https://convene.invalid/")
