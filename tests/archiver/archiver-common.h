/* Shared by the archiver tests: recordings made without the recorder
 * element (chunks from gst-launch-style pipelines, manifest.json written
 * here exactly as docs/recording.md says), rows in the data dir, and
 * running convene-archiver with a deadline. */
#pragma once

#include <gio/gio.h>
#include "recordings.h"

G_BEGIN_DECLS

#define SECOND_NS G_GINT64_CONSTANT (1000000000)
/* 2026-11-21T12:00:00Z, as in the contract's example. */
#define T0_NS (G_GINT64_CONSTANT (1795262400) * SECOND_NS)

typedef struct
{
  const char *id;
  const char *pattern;          /* videotestsrc pattern nick */
  double freq;                  /* audiotestsrc frequency */
  gint64 start_ns;              /* wall clock of the first chunk */
  guint chunks;                 /* 2 s each */
  gboolean video, audio;
  int missing;                  /* index listed but never written, or -1 */
  int truncated;                /* index cut to a third of its size, or -1 */
  int garbage;                  /* index replaced by random bytes, or -1 */
  int unlisted_gap;             /* index neither written nor listed, or -1 */
} TestParticipant;

void test_participant_init (TestParticipant * p, const char *id,
    const char *pattern, gint64 start_ns, guint chunks);

/* Writes <dir>/<participant>/chunk-NNNNN.mkv and <dir>/manifest.json. */
void test_make_recording (const char *dir, const char *recording_id,
    const TestParticipant * parts, guint n);

/* A row in <data>/convene.db, status stopped. */
void test_add_row (const char *data_dir, const char *id, const char *meeting,
    const char *dir);

/* The row of recording @id (asserts that it exists). */
CnvRecording *test_get_row (const char *data_dir, const char *id);

typedef struct
{
  int status;                   /* exit status, -1 if killed */
  char *out;
  char *err;
} TestRun;

void test_run_clear (TestRun * r);

/* Runs $CONVENE_BUILD_ROOT/orchestrator/archiver/convene-archiver with
 * @args (NULL-terminated) and the extra environment @env ("K=V", may be
 * NULL); fails the test if it has not finished within @timeout_s. */
void test_run_archiver (const char *const *args, const char *const *env,
    guint timeout_s, TestRun * out);

/* Starts it without waiting; stderr goes to @err_path. */
GSubprocess *test_spawn_archiver (const char *const *args,
    const char *const *env, const char *err_path);

char *test_archiver_path (void);

/* Polls @path until it contains @needle or @timeout_s passes. */
gboolean test_wait_for_text (const char *path, const char *needle,
    guint timeout_s);

/* gst-discoverer-1.0 of @file: video and audio codec names and the
 * duration in ns. */
void test_discover (const char *file, char **video, char **audio,
    gint64 * duration_ns);

/* The order of the top-level MP4 atoms "moov" and "mdat": TRUE when moov
 * comes first. */
gboolean test_moov_before_mdat (const char *file);

G_END_DECLS
