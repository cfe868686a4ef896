/* Where assembled recordings go: an S3-compatible store (path-style URLs,
 * AWS SigV4 through libcurl), or a local folder. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CNV_ARCH_STORAGE_ERROR (cnv_arch_storage_error_quark ())
GQuark cnv_arch_storage_error_quark (void);

typedef enum
{
  CNV_ARCH_STORAGE_ERROR_FAILED,        /* refused: retrying will not help */
  CNV_ARCH_STORAGE_ERROR_UNREACHABLE,   /* still failing after every retry */
} CnvArchStorageError;

typedef struct
{
  const char *endpoint;         /* http(s)://host:port, no bucket */
  const char *bucket;
  const char *region;
  const char *access_key;
  const char *secret_key;
  guint64 part_size;            /* multipart above this; default 16 MiB */
  guint max_attempts;           /* per request; default 8 */
  guint backoff_ms;             /* first retry delay, doubled each time,
                                 * capped at 30 s; default 500 */
} CnvArchS3;

void cnv_arch_s3_init (CnvArchS3 * s3);

/* Uploads @path as @key (single PUT, or multipart above part_size), making
 * the bucket first if it does not exist. Returns the object's URL once the
 * store has confirmed it (2xx on the PUT or CompleteMultipartUpload). */
char *cnv_arch_s3_upload (const CnvArchS3 * s3, const char *path,
    const char *key, GError ** error);

/* Copies @path to @dir/@key (folders created, written through a temporary
 * name and fsynced); returns the destination path. */
char *cnv_arch_local_store (const char *dir, const char *path,
    const char *key, GError ** error);

G_END_DECLS
