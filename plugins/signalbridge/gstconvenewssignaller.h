/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#ifndef __GST_CONVENE_WS_SIGNALLER_H__
#define __GST_CONVENE_WS_SIGNALLER_H__

#include "gstsignaller.h"

G_BEGIN_DECLS

#define GST_TYPE_CONVENE_WS_SIGNALLER (gst_convene_ws_signaller_get_type ())
G_DECLARE_FINAL_TYPE (GstConveneWsSignaller, gst_convene_ws_signaller, GST,
    CONVENE_WS_SIGNALLER, GstObject)

G_END_DECLS

#endif /* __GST_CONVENE_WS_SIGNALLER_H__ */
