/* What the hub's helper modules (meetings.c) may call back into. */
#pragma once

#include "hub.h"
#include "hub-objects.h"
#include "protocol.h"

G_BEGIN_DECLS

/* Sends @text to the session, if it still exists. */
void cnv_hub_send_to (CnvHub * self, const char *session_id,
    const char *text);
/* Sends an error (counted in the metrics). */
void cnv_hub_send_error (CnvHub * self, CnvSession * s, CnvErrorCode code,
    const char *message, const char *ref);
/* The user's presence may have changed. */
void cnv_hub_presence_changed (CnvHub * self, const char *user);

G_END_DECLS
