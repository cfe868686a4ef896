/* Token bucket: @rate messages per second sustained, @burst at once. */
#include "ratelimit.h"

void
cnv_token_bucket_init (CnvTokenBucket * b, guint rate, guint burst,
    gint64 now_us)
{
  b->rate = rate;
  b->burst = burst;
  b->tokens = burst;
  b->last_us = now_us;
}

gboolean
cnv_token_bucket_take (CnvTokenBucket * b, gint64 now_us)
{
  if (now_us > b->last_us) {
    b->tokens += (now_us - b->last_us) * b->rate / G_USEC_PER_SEC;
    if (b->tokens > b->burst)
      b->tokens = b->burst;
    b->last_us = now_us;
  }
  if (b->tokens < 1.0)
    return FALSE;
  b->tokens -= 1.0;
  return TRUE;
}
