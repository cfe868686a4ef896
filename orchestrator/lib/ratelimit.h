/* Token bucket used per WebSocket connection. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double tokens;
  double rate;                  /* tokens per second */
  double burst;
  gint64 last_us;
} CnvTokenBucket;

void cnv_token_bucket_init (CnvTokenBucket * b, guint rate, guint burst,
    gint64 now_us);
/* Takes one token if there is one. */
gboolean cnv_token_bucket_take (CnvTokenBucket * b, gint64 now_us);

G_END_DECLS
