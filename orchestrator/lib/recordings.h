/* Recordings and pending notifications on SQLite (<data>/convene.db, the
 * same file as the user directory). convened and convene-archiver write
 * it at the same time, so it runs in WAL mode with a busy timeout. Rows
 * follow docs/recording.md. Not thread-safe: one handle per thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CnvRecordings CnvRecordings;

typedef struct
{
  char *id;
  char *meeting;
  char *dir;
  char *status;                 /* recording stopped assembling uploading ready failed */
  char *url;                    /* nullable */
  char *error;                  /* nullable */
  int progress;                 /* 0-100 */
  gint64 started_at;            /* Unix ms */
  gint64 stopped_at;            /* Unix ms, 0 while recording */
  char **participants;          /* user names, never NULL */
} CnvRecording;

CnvRecordings *cnv_recordings_open (const char *data_dir, GError ** error);
void cnv_recordings_free (CnvRecordings * self);

gboolean cnv_recordings_create (CnvRecordings * self, const char *id,
    const char *meeting, const char *dir, gint64 started_at_ms,
    GError ** error);
/* status recording -> stopped, with who took part. */
gboolean cnv_recordings_set_stopped (CnvRecordings * self, const char *id,
    gint64 stopped_at_ms, const char *const *participants, GError ** error);
/* @url and @error NULL leave them unchanged. */
gboolean cnv_recordings_set_status (CnvRecordings * self, const char *id,
    const char *status, int progress, const char *url, const char *error,
    GError ** error_out);
/* NULL with G_IO_ERROR_NOT_FOUND when there is no such recording. */
CnvRecording *cnv_recordings_get (CnvRecordings * self, const char *id,
    GError ** error);
/* Of CnvRecording*, oldest first; @meeting NULL lists all. */
GPtrArray *cnv_recordings_list (CnvRecordings * self, const char *meeting,
    GError ** error);
/* Ids of recordings in status stopped, assembling or uploading. */
GStrv cnv_recordings_unassembled (CnvRecordings * self, GError ** error);
/* Every recording still in status recording becomes stopped (at @now_ms):
 * a freshly started daemon has no live meeting. */
gboolean cnv_recordings_mark_interrupted (CnvRecordings * self,
    gint64 now_ms, GError ** error);
void cnv_recording_free (CnvRecording * rec);

gboolean cnv_recording_status_is_valid (const char *status);
gboolean cnv_recording_has_participant (const CnvRecording * rec,
    const char *user);

/* Notifications waiting for a user who was offline. @json is the whole
 * message as sent over the WebSocket. */
gboolean cnv_notifications_add (CnvRecordings * self, const char *user,
    const char *json, GError ** error);
/* Of char* (the json), oldest first; marks them delivered, so each is
 * returned once. */
GPtrArray *cnv_notifications_take_pending (CnvRecordings * self,
    const char *user, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvRecordings, cnv_recordings_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvRecording, cnv_recording_free)

G_END_DECLS
