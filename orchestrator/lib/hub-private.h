/* What the hub's helper modules (meetings.c) may call back into. */
#pragma once

#include "hub.h"
#include "hub-objects.h"
#include "protocol.h"
#include "events.h"
#include "recordings.h"

G_BEGIN_DECLS

/* Sends @text to the session, if it still exists. */
void cnv_hub_send_to (CnvHub * self, const char *session_id,
    const char *text);
/* Sends an error (counted in the metrics). */
void cnv_hub_send_error (CnvHub * self, CnvSession * s, CnvErrorCode code,
    const char *message, const char *ref);
/* The user's presence may have changed. */
void cnv_hub_presence_changed (CnvHub * self, const char *user);

/* Publishes an event when the hub has an event bus (else nothing).
 * @fields: transfer none, may be NULL. */
void cnv_hub_publish (CnvHub * self, const char *type, const char *key,
    JsonObject * fields);
/* NULL when the hub has no recordings store (some unit tests). */
CnvRecordings *cnv_hub_get_recordings (CnvHub * self);
const CnvConfig *cnv_hub_get_config (CnvHub * self);
/* A recording stopped: hands it to whoever assembles recordings. */
void cnv_hub_recording_stopped (CnvHub * self, const char *recording_id);

G_END_DECLS
