/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The wiring between `signalbridge role=server` and `sfurouter` described
 * in docs/architecture.md, "Media worker". */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define CNV_WORKER_WIRING_ERROR (cnv_worker_wiring_error_quark ())
GQuark cnv_worker_wiring_error_quark (void);

typedef enum
{
  /* The bridge or the router lacks a signal, pad template or property of
   * the contract (e.g. a signalbridge built without the server role). */
  CNV_WORKER_WIRING_ERROR_CONTRACT,
} CnvWorkerWiringError;

#define CNV_TYPE_WORKER_WIRING (cnv_worker_wiring_get_type ())
G_DECLARE_FINAL_TYPE (CnvWorkerWiring, cnv_worker_wiring, CNV, WORKER_WIRING,
    GObject);

CnvWorkerWiring *cnv_worker_wiring_new (GstElement * bridge,
    GstElement * router, GError ** error);

gboolean cnv_worker_wiring_handle_message (CnvWorkerWiring * self,
    GstMessage * message);

void cnv_worker_wiring_detach (CnvWorkerWiring * self);

void cnv_worker_wiring_set_recorder (CnvWorkerWiring * self,
    GstElement * recorder);

guint cnv_worker_wiring_count_subscriptions (CnvWorkerWiring * self);

G_END_DECLS
