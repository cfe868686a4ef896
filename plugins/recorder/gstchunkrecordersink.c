/* Convene
 * Copyright (C) 2026 Convene contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-chunkrecordersink
 * @title: chunkrecordersink
 *
 * Crash-safe recording of a call: every participant's tracks go into a
 * series of short chunk files (one container with the participant's audio
 * and video), and `manifest.json` lists every closed chunk.  The manifest
 * is rewritten atomically as each chunk closes, so after a crash (even
 * SIGKILL) it is valid JSON naming only complete, playable chunks.
 *
 * Request sink pads `sink_%u` take RTP (Opus, VP8, H.264; depayloaded
 * inside) or encoded `audio/x-opus`, `video/x-vp8`, `video/x-h264`.  A pad's
 * #GstChunkRecorderSinkPad:participant says whose chunks it goes into
 * (settable from gst-launch as `sink_0::participant=alice`).  Each pad has
 * a leaky queue of #GstChunkRecorderSink:max-queue-time: a slow disk
 * drops data (counted in #GstChunkRecorderSink:dropped) and never blocks
 * upstream.  Input it cannot record (unknown caps, a codec the container
 * cannot carry, a failing depayloader) is reported with a warning message
 * and dropped; the other tracks keep recording.
 *
 * Each chunk is a `splitmuxsink` fragment: it closes at the first video
 * keyframe at or after #GstChunkRecorderSink:chunk-duration, and a
 * `GstForceKeyUnit` event goes upstream at the boundary.
 *
 * Element messages:
 * - `chunkrecordersink-chunk-opened` (`participant`, `index`, `file`,
 *   `running-time`)
 * - `chunkrecordersink-chunk-closed` (the same plus `duration` and
 *   `wallclock`, Unix time in ns of the chunk's first buffer)
 *
 * If #GstChunkRecorderSink:location already holds a manifest.json (a
 * recorder that crashed and was restarted), the recording is continued:
 * what it lists is kept, new chunks are numbered after it and marked with
 * the next `segment`, and no existing file is overwritten.  A manifest
 * that cannot be read is moved to manifest.json.broken-<n> with a warning.
 *
 * See docs/recording.md for the manifest format.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay ! \
 *     chunkrecordersink location=/tmp/rec chunk-duration=2000000000
 * ]| Records a test pattern into /tmp/rec/default/chunk-00000.mkv, ...
 * |[
 * gst-launch-1.0 -e chunkrecordersink name=r location=/tmp/rec \
 *     sink_0::participant=alice sink_1::participant=alice \
 *     videotestsrc is-live=true ! vp8enc deadline=1 ! rtpvp8pay ! r.sink_0 \
 *     audiotestsrc is-live=true ! opusenc ! rtpopuspay ! r.sink_1
 * ]| One participant with audio and video in the same chunks.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "gstchunkrecordersink.h"
#include "crs-logic.h"
#include "crs-manifest.h"

GST_DEBUG_CATEGORY_STATIC (gst_chunk_recorder_sink_debug);
#define GST_CAT_DEFAULT gst_chunk_recorder_sink_debug

/* See GstChunkRecorderSink.lock */
#define REC_LOCK(s) g_mutex_lock (&(s)->lock)
#define REC_UNLOCK(s) g_mutex_unlock (&(s)->lock)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_CHUNK_DURATION,
  PROP_FORMAT,
  PROP_RECORDING_ID,
  PROP_MAX_QUEUE_TIME,
  PROP_DROPPED,
};

enum
{
  PROP_PAD_0,
  PROP_PAD_PARTICIPANT,
  PROP_PAD_TRACK_ID,
};

#define DEFAULT_LOCATION "."
#define DEFAULT_CHUNK_DURATION (2 * GST_SECOND)
#define DEFAULT_FORMAT CRS_FORMAT_MATROSKA
#define DEFAULT_MAX_QUEUE_TIME (1 * GST_SECOND)
#define DEFAULT_PARTICIPANT "default"

/* Safety net for input without timestamps, whose time level stays 0. */
#define QUEUE_MAX_BYTES (32 * 1024 * 1024)
/* How long the first track of a participant waits for the participant's
 * other requested pads to negotiate, so that they all go into one
 * container (a track cannot join a container once it is written). In the
 * media worker a video track's caps come with its first keyframe, which
 * the publisher sends on a keyframe request: over a loaded machine's RTCP
 * that took more than the 0.5 s this once was, and the recording lost the
 * participant's video. Meanwhile the waiting track's leaky queue drops its
 * oldest data. */
#define GATE_TIMEOUT_US (5 * G_TIME_SPAN_SECOND)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink_%u",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp, media = (string) audio, "
        "encoding-name = (string) OPUS; "
        "application/x-rtp, media = (string) video, "
        "encoding-name = (string) { VP8, H264 }; "
        "audio/x-opus; video/x-vp8; video/x-h264"));

static GstStaticCaps ntp_caps = GST_STATIC_CAPS ("timestamp/x-ntp");

typedef enum
{
  PAD_NEW,                      /* no caps yet */
  PAD_KNOWN,                    /* caps known, waiting for its container */
  PAD_BOUND,                    /* linked into a splitmuxsink */
  PAD_REJECTED,                 /* not recorded; its data is dropped */
} PadState;

typedef struct
{
  GstChunkRecorderSink *self;
  gchar *id;
  guint mindex;                 /* in the manifest */
  GstElement *mux;              /* current splitmuxsink (owned by the bin) */
  gboolean building;
  guint n_active;               /* pads of @mux not at EOS */
} Participant;

struct _GstChunkRecorderSinkPad
{
  GstGhostPad parent;

  /* GST_OBJECT_LOCK */
  gchar *participant;
  gchar *track_id;

  /* the element's lock */
  PadState state;
  gboolean eos;
  gboolean released;
  gboolean warned;
  const CrsCodec *codec;
  Participant *part;
  GstElement *mux;              /* the splitmuxsink it is bound to */
  GstPad *mux_pad;
  gboolean have_ntp;
  guint64 ntp;
  gint64 ntp_running_time;

  /* set at request time */
  GstChunkRecorderSink *self;
  GstElement *queue;
  GstPadChainFunction orig_chain;
  GstPadChainListFunction orig_chain_list;
  GstPadQueryFunction orig_query;

  /* the queue's streaming thread only */
  GPtrArray *chain;             /* depayloader / parser */
  GstPad *end;                  /* the pad linked to mux_pad */
  gulong sanitize_probe;
  GstEvent *stream_start;
  GstSegment in_segment;        /* at the queue's src pad */
  GstSegment out_segment;       /* at @end, before restamping */
  gboolean segment_sent;
  gboolean started;             /* a video track passed its first keyframe */
  gint dropped;                 /* atomic: the queue dropped since @started */
  CrsRestamp restamp;
};

struct _GstChunkRecorderSink
{
  GstBin parent;

  /* GST_OBJECT_LOCK */
  gchar *location;
  guint64 chunk_duration;
  CrsFormat format;
  gchar *recording_id;
  guint64 max_queue_time;
  guint64 dropped;
  guint next_pad;

  /* Serialises writes of manifest.json.  Lock order: write_lock, then
   * lock. */
  GMutex write_lock;
  /* Protects the pads' element-side fields, participants, manifest, dyn,
   * n_running_mux and eos_posted.  Never held across a call that changes
   * a state or posts a message. */
  GMutex lock;
  GCond cond;                   /* with lock: a pad state or a participant changed */
  GList *pads;                  /* GstChunkRecorderSinkPad, refs */
  GHashTable *participants;     /* id -> Participant */
  GList *dyn;                   /* elements added while running, refs */
  CrsManifest *manifest;
  /* For the current run, copied from the properties at READY->PAUSED */
  gchar *dir;
  CrsFormat run_format;
  guint64 run_chunk_duration;
  guint n_running_mux;
  gboolean eos_posted;
};

static void gst_chunk_recorder_sink_child_proxy_init (gpointer g_iface,
    gpointer iface_data);

#define gst_chunk_recorder_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstChunkRecorderSink, gst_chunk_recorder_sink,
    GST_TYPE_BIN, G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
        gst_chunk_recorder_sink_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE (chunkrecordersink, "chunkrecordersink",
    GST_RANK_NONE, GST_TYPE_CHUNK_RECORDER_SINK);

G_DEFINE_TYPE (GstChunkRecorderSinkPad, gst_chunk_recorder_sink_pad,
    GST_TYPE_GHOST_PAD);

static GstChildProxyInterface *parent_child_proxy_iface;
static GQuark pad_quark;
static GQuark participant_quark;

GType
gst_chunk_recorder_format_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {CRS_FORMAT_MATROSKA, "Matroska (.mkv)", "matroska"},
    {CRS_FORMAT_MPEGTS, "MPEG transport stream (.ts)", "mpegts"},
    {CRS_FORMAT_MP4, "Fragmented MP4 (.mp4)", "mp4"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstChunkRecorderFormat", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* Sink pad */

static void
gst_chunk_recorder_sink_pad_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstChunkRecorderSinkPad *pad = GST_CHUNK_RECORDER_SINK_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PROP_PAD_PARTICIPANT:
      g_free (pad->participant);
      pad->participant = g_value_dup_string (value);
      if (!pad->participant)
        pad->participant = g_strdup (DEFAULT_PARTICIPANT);
      break;
    case PROP_PAD_TRACK_ID:
      g_free (pad->track_id);
      pad->track_id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static void
gst_chunk_recorder_sink_pad_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstChunkRecorderSinkPad *pad = GST_CHUNK_RECORDER_SINK_PAD (object);

  GST_OBJECT_LOCK (pad);
  switch (prop_id) {
    case PROP_PAD_PARTICIPANT:
      g_value_set_string (value, pad->participant);
      break;
    case PROP_PAD_TRACK_ID:
      g_value_set_string (value, pad->track_id ? pad->track_id :
          GST_OBJECT_NAME (pad));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (pad);
}

static void
gst_chunk_recorder_sink_pad_finalize (GObject * object)
{
  GstChunkRecorderSinkPad *pad = GST_CHUNK_RECORDER_SINK_PAD (object);

  g_free (pad->participant);
  g_free (pad->track_id);
  gst_clear_object (&pad->mux_pad);
  gst_clear_object (&pad->queue);
  gst_clear_event (&pad->stream_start);
  g_ptr_array_unref (pad->chain);
  G_OBJECT_CLASS (gst_chunk_recorder_sink_pad_parent_class)->finalize (object);
}

static void
gst_chunk_recorder_sink_pad_class_init (GstChunkRecorderSinkPadClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);

  gobject_class->set_property = gst_chunk_recorder_sink_pad_set_property;
  gobject_class->get_property = gst_chunk_recorder_sink_pad_get_property;
  gobject_class->finalize = gst_chunk_recorder_sink_pad_finalize;

  g_object_class_install_property (gobject_class, PROP_PAD_PARTICIPANT,
      g_param_spec_string ("participant", "Participant",
          "Whose chunks this track goes into (also the name of the "
          "participant's chunk directory); read when the pad negotiates",
          DEFAULT_PARTICIPANT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_PAD_TRACK_ID,
      g_param_spec_string ("track-id", "Track id",
          "Track id written into the manifest (default: the pad name)",
          NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
}

static void
gst_chunk_recorder_sink_pad_init (GstChunkRecorderSinkPad * pad)
{
  pad->participant = g_strdup (DEFAULT_PARTICIPANT);
  pad->chain = g_ptr_array_new_with_free_func (gst_object_unref);
  gst_segment_init (&pad->in_segment, GST_FORMAT_TIME);
  gst_segment_init (&pad->out_segment, GST_FORMAT_TIME);
  crs_restamp_init (&pad->restamp);
}

/* ------------------------------------------------------------------ */
/* Helpers */

static gint64
now_running_time (GstChunkRecorderSink * self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, base;

  if (!clock)
    return CRS_TIME_NONE;
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  gst_object_unref (clock);
  return (gint64) (now - base);
}

static gint64
to_running_time (const GstSegment * seg, GstClockTime ts)
{
  guint64 rt;
  gint sign;

  if (!GST_CLOCK_TIME_IS_VALID (ts) || seg->format != GST_FORMAT_TIME)
    return CRS_TIME_NONE;
  sign = gst_segment_to_running_time_full (seg, GST_FORMAT_TIME, ts, &rt);
  if (sign > 0)
    return (gint64) rt;
  if (sign < 0)
    return -(gint64) rt;
  return CRS_TIME_NONE;
}

static void
set_if_exists (GstElement * e, const gchar * prop, gboolean val)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (e), prop))
    g_object_set (e, prop, val, NULL);
}

static void
write_manifest (GstChunkRecorderSink * self)
{
  g_autofree gchar *json = NULL;
  g_autofree gchar *dir = NULL;
  g_autoptr (GError) err = NULL;

  g_mutex_lock (&self->write_lock);
  REC_LOCK (self);
  if (self->manifest) {
    json = crs_manifest_to_json (self->manifest);
    dir = g_strdup (self->dir);
  }
  REC_UNLOCK (self);
  if (json && !crs_write_file_atomic (dir, CRS_MANIFEST_NAME, json, &err))
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Could not write the recording manifest."), ("%s", err->message));
  g_mutex_unlock (&self->write_lock);
}

/* Call without the lock: posts a warning once per pad. */
static void
reject_pad (GstChunkRecorderSink * self, GstChunkRecorderSinkPad * pad,
    const gchar * why)
{
  gboolean warn;

  REC_LOCK (self);
  pad->state = PAD_REJECTED;
  warn = !pad->warned;
  pad->warned = TRUE;
  g_cond_broadcast (&self->cond);
  REC_UNLOCK (self);
  if (warn)
    GST_ELEMENT_WARNING (self, STREAM, FORMAT,
        ("Track on %s is not recorded: %s", GST_OBJECT_NAME (pad), why),
        (NULL));
}

static gboolean
muxer_accepts (CrsFormat format, const CrsCodec * codec)
{
  GstElementFactory *f = gst_element_factory_find (crs_format_muxer (format));
  GstCaps *caps;
  gboolean ok;

  if (!f)
    return FALSE;
  caps = gst_caps_from_string (codec->encoded_caps);
  ok = gst_element_factory_can_sink_any_caps (f, caps);
  gst_caps_unref (caps);
  gst_object_unref (f);
  return ok;
}

/* Call with the lock taken */
static Participant *
get_participant (GstChunkRecorderSink * self, const gchar * id)
{
  Participant *part = g_hash_table_lookup (self->participants, id);

  if (part)
    return part;
  part = g_new0 (Participant, 1);
  part->self = self;
  part->id = g_strdup (id);
  part->mindex = crs_manifest_participant (self->manifest, id);
  g_hash_table_insert (self->participants, part->id, part);
  return part;
}

static void
participant_free (Participant * part)
{
  g_free (part->id);
  g_free (part);
}

/* Call with the lock taken */
static gboolean
participant_has_pending_pads (GstChunkRecorderSink * self, Participant * part)
{
  GList *l;

  for (l = self->pads; l; l = l->next) {
    GstChunkRecorderSinkPad *pad = l->data;
    gboolean mine;

    if (pad->state != PAD_NEW || pad->released || pad->eos)
      continue;
    GST_OBJECT_LOCK (pad);
    mine = g_strcmp0 (pad->participant, part->id) == 0;
    GST_OBJECT_UNLOCK (pad);
    if (mine)
      return TRUE;
  }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Chunks */

static GstMessage *
chunk_message (GstChunkRecorderSink * self, const gchar * name,
    Participant * part, guint index, const gchar * file, guint64 rt)
{
  return gst_message_new_element (GST_OBJECT (self),
      gst_structure_new (name, "participant", G_TYPE_STRING, part->id,
          "index", G_TYPE_UINT, index, "file", G_TYPE_STRING, file,
          "running-time", GST_TYPE_CLOCK_TIME, rt, NULL));
}

/* Runs in the splitmuxsink's streaming thread when a chunk starts; the
 * sample holds the chunk's first buffer of the reference stream. */
static gchar *
on_format_location (GstElement * mux, guint fragment_id, GstSample * sample,
    gpointer user_data)
{
  Participant *part = user_data;
  GstChunkRecorderSink *self = part->self;
  GstBuffer *buf = sample ? gst_sample_get_buffer (sample) : NULL;
  GstReferenceTimestampMeta *meta = NULL;
  GstClock *clock;
  const gchar *source = "pipeline-clock", *rel;
  gint64 rt = CRS_TIME_NONE, wall;
  gchar *path, *dir;
  guint index;

  if (buf) {
    rt = GST_BUFFER_PTS_IS_VALID (buf) ? (gint64) GST_BUFFER_PTS (buf) :
        GST_BUFFER_DTS_IS_VALID (buf) ? (gint64) GST_BUFFER_DTS (buf) :
        CRS_TIME_NONE;
    meta = gst_buffer_get_reference_timestamp_meta (buf,
        gst_static_caps_get (&ntp_caps));
  }
  if (rt == CRS_TIME_NONE)
    rt = MAX (now_running_time (self), 0);

  clock = gst_element_get_clock (GST_ELEMENT (self));
  if (clock) {
    wall = crs_wallclock_from_clock (rt,
        gst_element_get_base_time (GST_ELEMENT (self)),
        gst_clock_get_time (clock), g_get_real_time () * 1000);
    gst_object_unref (clock);
  } else {
    wall = g_get_real_time () * 1000;
  }

  REC_LOCK (self);
  if (meta) {
    wall = crs_wallclock_from_ntp (meta->timestamp, rt, rt);
    source = "rtcp-sr";
  } else {
    GList *l;

    for (l = self->pads; l; l = l->next) {
      GstChunkRecorderSinkPad *pad = l->data;

      if (pad->part == part && pad->have_ntp) {
        wall = crs_wallclock_from_ntp (pad->ntp, pad->ntp_running_time, rt);
        source = "rtcp-sr";
        break;
      }
    }
  }
  index = crs_manifest_open_chunk (self->manifest, part->mindex, rt, wall,
      source, &rel);
  path = g_build_filename (self->dir, rel, NULL);
  rel = path + strlen (self->dir) + 1;
  REC_UNLOCK (self);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
        ("Could not create the directory %s.", dir), (NULL));
  g_free (dir);

  GST_INFO_OBJECT (self, "chunk %u of %s opens at %" GST_STIME_FORMAT ": %s",
      index, part->id, GST_STIME_ARGS (rt), path);
  gst_element_post_message (GST_ELEMENT (self), chunk_message (self,
          "chunkrecordersink-chunk-opened", part, index, rel, rt));
  return path;
}

/* Call with the lock taken */
static const gchar *
relative_file (GstChunkRecorderSink * self, const gchar * location)
{
  gsize n = self->dir ? strlen (self->dir) : 0;

  if (n && g_str_has_prefix (location, self->dir) && location[n] == '/')
    return location + n + 1;
  return location;
}

static void
on_chunk_closed (GstChunkRecorderSink * self, Participant * part,
    const GstStructure * s)
{
  const gchar *location = gst_structure_get_string (s, "location");
  g_autoptr (GError) err = NULL;
  GstClockTime end = 0;
  guint64 start = 0, duration = 0;
  gint64 wall = 0;
  guint index = 0;
  gboolean ok = FALSE;
  const gchar *rel;
  GstMessage *msg;

  if (!location)
    return;
  if (!gst_structure_get_clock_time (s, "running-time", &end)
      || !GST_CLOCK_STIME_IS_VALID ((GstClockTimeDiff) end))
    goto empty;                 /* splitmuxsink says GST_CLOCK_STIME_NONE */
  /* Listed only once its bytes are durable. */
  if (!crs_fsync_path (location, &err))
    GST_WARNING_OBJECT (self, "%s", err->message);

  REC_LOCK (self);
  rel = relative_file (self, location);
  if (self->manifest)
    ok = crs_manifest_close_chunk (self->manifest, part->mindex, rel, end,
        &index, &start, &duration, &wall);
  REC_UNLOCK (self);
  if (!ok) {
    GST_WARNING_OBJECT (self, "closed chunk %s was never opened", location);
    return;
  }
  write_manifest (self);

  GST_INFO_OBJECT (self, "chunk %u of %s closed: %" GST_TIME_FORMAT,
      index, part->id, GST_TIME_ARGS (duration));
  msg = chunk_message (self, "chunkrecordersink-chunk-closed", part, index,
      rel, start);
  gst_structure_set (gst_message_writable_structure (msg),
      "duration", GST_TYPE_CLOCK_TIME, duration,
      "wallclock", G_TYPE_INT64, wall, NULL);
  gst_element_post_message (GST_ELEMENT (self), msg);
  return;

empty:
  /* Nothing muxed (only unusable data came): not a chunk. */
  REC_LOCK (self);
  rel = relative_file (self, location);
  if (self->manifest)
    crs_manifest_discard_chunk (self->manifest, part->mindex, rel);
  REC_UNLOCK (self);
  g_unlink (location);
  GST_ELEMENT_WARNING (self, STREAM, DEMUX,
      ("Nothing recordable came for %s; chunk %s dropped.", part->id, rel),
      (NULL));
}

/* EOS once every pad has ended (or was released) and every container is
 * finalised: only then is the manifest complete. */
static void
check_done (GstChunkRecorderSink * self)
{
  gboolean done = TRUE;
  GList *l;

  REC_LOCK (self);
  if (self->eos_posted || self->n_running_mux > 0 || !self->manifest)
    done = FALSE;
  for (l = self->pads; done && l; l = l->next) {
    GstChunkRecorderSinkPad *pad = l->data;

    if (!pad->released && !pad->eos)
      done = FALSE;
  }
  if (done) {
    self->eos_posted = TRUE;
    crs_manifest_set_complete (self->manifest);
  }
  REC_UNLOCK (self);

  if (!done)
    return;
  write_manifest (self);
  GST_INFO_OBJECT (self, "all tracks ended, recording complete");
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_eos (GST_OBJECT (self)));
}

/* ------------------------------------------------------------------ */
/* Binding a pad to its participant's container */

static GstElement *
make_mux (GstChunkRecorderSink * self, Participant * part)
{
  GstElement *mux, *muxer;
  CrsFormat format = self->run_format;

  mux = gst_element_factory_make ("splitmuxsink", NULL);
  muxer = gst_element_factory_make (crs_format_muxer (format), NULL);
  if (!mux || !muxer) {
    gst_clear_object (&mux);
    gst_clear_object (&muxer);
    return NULL;
  }
  switch (format) {
    case CRS_FORMAT_MATROSKA:
      set_if_exists (muxer, "offset-to-zero", TRUE);
      break;
    case CRS_FORMAT_MP4:
      g_object_set (muxer, "fragment-duration", 1000, NULL);
      break;
    default:
      break;
  }
  g_object_set (mux, "muxer", muxer, "max-size-time",
      self->run_chunk_duration, "max-size-bytes", (guint64) 0,
      "send-keyframe-requests", TRUE, NULL);
  g_signal_connect (mux, "format-location-full",
      G_CALLBACK (on_format_location), part);
  g_object_set_qdata (G_OBJECT (mux), participant_quark, part);
  return mux;
}

/* Call with the lock taken; returns with it taken.  Waits (bounded) for
 * the participant's other pads to negotiate, then builds one splitmuxsink
 * for all of them. */
static void
build_container (GstChunkRecorderSink * self, Participant * part)
{
  gint64 deadline = g_get_monotonic_time () + GATE_TIMEOUT_US;
  GPtrArray *pads = g_ptr_array_new_with_free_func (gst_object_unref);
  GPtrArray *mux_pads = g_ptr_array_new ();
  GstElement *mux;
  guint i, n_video = 0;
  GList *l;

  part->building = TRUE;
  while (participant_has_pending_pads (self, part))
    if (!g_cond_wait_until (&self->cond, &self->lock, deadline))
      break;
  for (l = self->pads; l; l = l->next) {
    GstChunkRecorderSinkPad *pad = l->data;

    if (pad->part == part && pad->state == PAD_KNOWN)
      g_ptr_array_add (pads, gst_object_ref (pad));
  }
  REC_UNLOCK (self);

  mux = make_mux (self, part);
  for (i = 0; i < pads->len; i++) {
    GstChunkRecorderSinkPad *pad = g_ptr_array_index (pads, i);
    const gchar *name = "audio_%u";
    GstPad *p = NULL;

    if (pad->codec->kind == CRS_KIND_VIDEO)
      name = n_video++ ? "video_aux_%u" : "video";
    if (mux)
      p = gst_element_request_pad_simple (mux, name);
    g_ptr_array_add (mux_pads, p);
  }
  if (mux) {
    gst_bin_add (GST_BIN (self), gst_object_ref (mux));
    gst_element_sync_state_with_parent (mux);
  }

  REC_LOCK (self);
  if (mux) {
    self->dyn = g_list_prepend (self->dyn, mux);
    self->n_running_mux++;
  }
  part->mux = mux;
  part->n_active = 0;
  for (i = 0; i < pads->len; i++) {
    GstChunkRecorderSinkPad *pad = g_ptr_array_index (pads, i);
    GstPad *p = g_ptr_array_index (mux_pads, i);
    gchar *track_id;

    if (!p)
      continue;
    pad->state = PAD_BOUND;
    pad->mux = mux;
    pad->mux_pad = p;
    part->n_active++;
    g_object_get (pad, "track-id", &track_id, NULL);
    crs_manifest_add_track (self->manifest, part->mindex,
        GST_OBJECT_NAME (pad), track_id, pad->codec->kind, pad->codec->codec);
    g_free (track_id);
  }
  part->building = FALSE;
  g_cond_broadcast (&self->cond);
  g_ptr_array_unref (pads);
  g_ptr_array_unref (mux_pads);
}

static gboolean
add_chain_element (GstChunkRecorderSink * self, GstChunkRecorderSinkPad * pad,
    const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (!e)
    return FALSE;
  if (g_str_has_prefix (factory, "rtp")) {
    /* After loss, mux nothing until a keyframe, and ask for one. */
    set_if_exists (e, "wait-for-keyframe", TRUE);
    set_if_exists (e, "request-keyframe", TRUE);
  }
  if (strcmp (factory, "h264parse") == 0)
    g_object_set (e, "config-interval", -1, NULL);
  g_object_set_qdata (G_OBJECT (e), pad_quark, pad);
  gst_bin_add (GST_BIN (self), gst_object_ref (e));
  g_ptr_array_add (pad->chain, e);
  REC_LOCK (self);
  self->dyn = g_list_prepend (self->dyn, gst_object_ref (e));
  REC_UNLOCK (self);
  return TRUE;
}

static GstPadProbeReturn sanitize_probe (GstPad * srcpad,
    GstPadProbeInfo * info, gpointer user_data);

/* In the queue's streaming thread, on the pad's first caps. */
static gboolean
bind_pad (GstChunkRecorderSink * self, GstChunkRecorderSinkPad * pad,
    GstCaps * caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  const CrsCodec *codec;
  GstPad *upstream, *first, *mux_pad = NULL;
  Participant *part;
  gchar *id, *why;
  guint i;

  codec = crs_codec_lookup (gst_structure_get_name (s),
      gst_structure_get_string (s, "encoding-name"));
  if (!codec) {
    why = g_strdup_printf ("cannot handle caps %s", gst_structure_get_name (s));
    goto reject;
  }
  if (!muxer_accepts (self->run_format, codec)) {
    why = g_strdup_printf ("format %s cannot carry %s",
        crs_format_name (self->run_format), codec->codec);
    goto reject;
  }
  if ((codec->depay && !add_chain_element (self, pad, codec->depay))
      || (codec->parse && !add_chain_element (self, pad, codec->parse))) {
    why = g_strdup_printf ("missing element %s or %s", codec->depay,
        codec->parse);
    goto reject;
  }

  upstream = gst_element_get_static_pad (pad->queue, "src");
  for (i = 0; i < pad->chain->len; i++) {
    GstElement *e = g_ptr_array_index (pad->chain, i);
    GstPad *sink = gst_element_get_static_pad (e, "sink");

    gst_pad_link (upstream, sink);
    gst_object_unref (sink);
    gst_object_unref (upstream);
    upstream = gst_element_get_static_pad (e, "src");
    gst_element_sync_state_with_parent (e);
  }
  pad->end = upstream;

  REC_LOCK (self);
  GST_OBJECT_LOCK (pad);
  id = g_strdup (pad->participant);
  GST_OBJECT_UNLOCK (pad);
  part = get_participant (self, id);
  g_free (id);
  pad->codec = codec;
  pad->part = part;
  pad->state = PAD_KNOWN;
  g_cond_broadcast (&self->cond);
  while (part->building)
    g_cond_wait (&self->cond, &self->lock);
  if (pad->state == PAD_KNOWN && (part->mux == NULL || part->n_active == 0))
    build_container (self, part);
  if (pad->state == PAD_BOUND)
    mux_pad = gst_object_ref (pad->mux_pad);
  REC_UNLOCK (self);

  if (!mux_pad) {
    why = g_strdup ("it started after the participant's other tracks "
        "(or its container could not be made)");
    goto reject;
  }
  if (gst_pad_link (pad->end, mux_pad) != GST_PAD_LINK_OK) {
    gst_object_unref (mux_pad);
    why = g_strdup ("the container refused it");
    goto reject;
  }
  gst_object_unref (mux_pad);
  pad->sanitize_probe = gst_pad_add_probe (pad->end,
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, sanitize_probe, gst_object_ref (pad),
      gst_object_unref);

  /* The stream-start held back in the queue probe goes first. */
  upstream = gst_element_get_static_pad (pad->queue, "src");
  first = gst_pad_get_peer (upstream);
  if (first && pad->stream_start)
    gst_pad_send_event (first, gst_event_ref (pad->stream_start));
  gst_clear_object (&first);
  gst_object_unref (upstream);
  GST_INFO_OBJECT (self, "%s records %s into %s's chunks",
      GST_OBJECT_NAME (pad), codec->codec, part->id);
  return TRUE;

reject:
  reject_pad (self, pad, why);
  g_free (why);
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Probes */

static void
note_ntp (GstChunkRecorderSink * self, GstChunkRecorderSinkPad * pad,
    GstBuffer * buf, gint64 rt)
{
  GstReferenceTimestampMeta *meta;

  if (rt == CRS_TIME_NONE)
    return;
  meta = gst_buffer_get_reference_timestamp_meta (buf,
      gst_static_caps_get (&ntp_caps));
  if (!meta)
    return;
  REC_LOCK (self);
  pad->have_ntp = TRUE;
  pad->ntp = meta->timestamp;
  pad->ntp_running_time = rt;
  REC_UNLOCK (self);
}

static void
pad_ended (GstChunkRecorderSink * self, GstChunkRecorderSinkPad * pad)
{
  REC_LOCK (self);
  if (!pad->eos && pad->state == PAD_BOUND && pad->part
      && pad->mux == pad->part->mux && pad->part->n_active > 0)
    pad->part->n_active--;
  pad->eos = TRUE;
  g_cond_broadcast (&self->cond);
  REC_UNLOCK (self);
}

/* On the queue's src pad: holds everything back until the pad is bound to
 * a container, binds it on its first caps, drops what cannot be
 * recorded. */
static GstPadProbeReturn
queue_src_probe (GstPad * srcpad, GstPadProbeInfo * info, gpointer user_data)
{
  GstChunkRecorderSinkPad *pad = user_data;
  GstChunkRecorderSink *self = pad->self;
  PadState state;
  GstEvent *event;

  REC_LOCK (self);
  state = pad->state;
  REC_UNLOCK (self);

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    if (state != PAD_BOUND)
      return GST_PAD_PROBE_DROP;
    note_ntp (self, pad, GST_PAD_PROBE_INFO_BUFFER (info),
        to_running_time (&pad->in_segment,
            GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info))) +
        pad->restamp.offset);
    return GST_PAD_PROBE_OK;
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    return state == PAD_BOUND ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;

  event = GST_PAD_PROBE_INFO_EVENT (info);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      if (state == PAD_BOUND)
        return event == pad->stream_start ? GST_PAD_PROBE_DROP :
            GST_PAD_PROBE_OK;
      gst_event_replace (&pad->stream_start, event);
      return GST_PAD_PROBE_DROP;
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      GstStructure *s;

      gst_event_parse_caps (event, &caps);
      if (state == PAD_NEW)
        return bind_pad (self, pad, caps) ? GST_PAD_PROBE_OK :
            GST_PAD_PROBE_DROP;
      if (state != PAD_BOUND)
        return GST_PAD_PROBE_DROP;
      s = gst_caps_get_structure (caps, 0);
      if (crs_codec_lookup (gst_structure_get_name (s),
              gst_structure_get_string (s, "encoding-name")) == pad->codec)
        return GST_PAD_PROBE_OK;
      /* Another codec mid-stream: end this track in its container so the
       * participant's other tracks go on. */
      reject_pad (self, pad, "its codec changed");
      pad_ended (self, pad);
      gst_event_unref (event);
      info->data = gst_event_new_eos ();
      return GST_PAD_PROBE_OK;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &pad->in_segment);
      break;
    case GST_EVENT_EOS:
      pad_ended (self, pad);
      if (state != PAD_BOUND)
        check_done (self);
      break;
    default:
      break;
  }
  return state == PAD_BOUND ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/* Video enters its container only from a keyframe whose format the
 * parser understood (caps with a size): garbage that got past the
 * depayloader must not make a chunk that cannot be played. */
static gboolean
video_can_start (GstChunkRecorderSinkPad * pad, GstBuffer * buf)
{
  GstCaps *caps;
  gboolean ok;

  if (pad->codec->kind != CRS_KIND_VIDEO)
    return TRUE;
  /* After a drop the next frames reference what is gone: wait for a
   * keyframe again (RTP depayloaders do so themselves too). */
  if (g_atomic_int_compare_and_exchange (&pad->dropped, 1, 0))
    pad->started = FALSE;
  if (pad->started)
    return TRUE;
  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    return FALSE;
  caps = gst_pad_get_current_caps (pad->end);
  ok = caps && gst_structure_has_field (gst_caps_get_structure (caps, 0),
      "width");
  gst_clear_caps (&caps);
  pad->started = ok;
  return ok;
}

static GstBuffer *
restamp_buffer (GstChunkRecorderSink * self, GstChunkRecorderSinkPad * pad,
    GstBuffer * buf)
{
  gint64 pts = to_running_time (&pad->out_segment, GST_BUFFER_PTS (buf));
  gint64 dts = to_running_time (&pad->out_segment, GST_BUFFER_DTS (buf));
  guint reanchored = pad->restamp.reanchored;

  if (!video_can_start (pad, buf)) {
    GST_LOG_OBJECT (pad, "waiting for a usable keyframe");
    gst_buffer_unref (buf);
    return NULL;
  }
  if (!crs_restamp (&pad->restamp, &pts, &dts, now_running_time (self))) {
    gst_buffer_unref (buf);
    return NULL;
  }
  if (pad->restamp.reanchored != reanchored)
    GST_WARNING_OBJECT (pad, "timestamps jumped; glued onto the recording "
        "at %" GST_STIME_FORMAT, GST_STIME_ARGS (pad->restamp.last));
  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = pts == CRS_TIME_NONE ? GST_CLOCK_TIME_NONE : pts;
  GST_BUFFER_DTS (buf) = dts == CRS_TIME_NONE ? GST_CLOCK_TIME_NONE : dts;
  note_ntp (self, pad, buf, pts);
  return buf;
}

static gboolean
restamp_list_item (GstBuffer ** buf, guint idx, gpointer user_data)
{
  GstChunkRecorderSinkPad *pad = user_data;

  *buf = restamp_buffer (pad->self, pad, *buf);
  return TRUE;
}

/* On the pad linked to the container: one continuous TIME segment from 0
 * whose timestamps are running times, never going backwards. */
static GstPadProbeReturn
sanitize_probe (GstPad * srcpad, GstPadProbeInfo * info, gpointer user_data)
{
  GstChunkRecorderSinkPad *pad = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    info->data = restamp_buffer (pad->self, pad,
        GST_PAD_PROBE_INFO_BUFFER (info));
    return info->data ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
  }
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    list = gst_buffer_list_make_writable (list);
    gst_buffer_list_foreach (list, restamp_list_item, pad);
    info->data = list;
    return gst_buffer_list_length (list) ? GST_PAD_PROBE_OK :
        GST_PAD_PROBE_DROP;
  }

  switch (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info))) {
    case GST_EVENT_SEGMENT:{
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
      GstSegment seg;

      gst_event_copy_segment (event, &pad->out_segment);
      if (pad->segment_sent)
        return GST_PAD_PROBE_DROP;
      pad->segment_sent = TRUE;
      gst_segment_init (&seg, GST_FORMAT_TIME);
      info->data = gst_event_new_segment (&seg);
      gst_event_set_seqnum (info->data, gst_event_get_seqnum (event));
      gst_event_unref (event);
      return GST_PAD_PROBE_OK;
    }
    case GST_EVENT_GAP:
      return GST_PAD_PROBE_DROP;
    default:
      return GST_PAD_PROBE_OK;
  }
}

/* ------------------------------------------------------------------ */
/* Pad functions: upstream never sees our failures */

static GstFlowReturn
shield_flow (GstChunkRecorderSinkPad * pad, GstFlowReturn ret)
{
  if (ret == GST_FLOW_OK || ret == GST_FLOW_FLUSHING || ret == GST_FLOW_EOS)
    return ret;
  GST_DEBUG_OBJECT (pad, "hiding %s from upstream", gst_flow_get_name (ret));
  reject_pad (pad->self, pad, gst_flow_get_name (ret));
  return GST_FLOW_OK;
}

static GstFlowReturn
pad_chain (GstPad * gpad, GstObject * parent, GstBuffer * buf)
{
  GstChunkRecorderSinkPad *pad = GST_CHUNK_RECORDER_SINK_PAD (gpad);

  return shield_flow (pad, pad->orig_chain (gpad, parent, buf));
}

static GstFlowReturn
pad_chain_list (GstPad * gpad, GstObject * parent, GstBufferList * list)
{
  GstChunkRecorderSinkPad *pad = GST_CHUNK_RECORDER_SINK_PAD (gpad);

  return shield_flow (pad, pad->orig_chain_list (gpad, parent, list));
}

static gboolean
pad_query (GstPad * gpad, GstObject * parent, GstQuery * query)
{
  GstChunkRecorderSinkPad *pad = GST_CHUNK_RECORDER_SINK_PAD (gpad);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ACCEPT_CAPS:
      /* Caps we cannot record are refused with a warning once they
       * arrive, never by failing upstream's negotiation. */
      gst_query_set_accept_caps_result (query, TRUE);
      return TRUE;
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps = gst_pad_get_pad_template_caps (gpad);

      gst_query_parse_caps (query, &filter);
      if (filter) {
        GstCaps *tmp = gst_caps_intersect_full (filter, caps,
            GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    default:
      return pad->orig_query (gpad, parent, query);
  }
}

static void
on_queue_overrun (GstElement * queue, gpointer user_data)
{
  GstChunkRecorderSinkPad *pad = user_data;
  GstChunkRecorderSink *self = pad->self;

  /* First drop of a burst: ask upstream for a keyframe to resume from. */
  if (g_atomic_int_compare_and_exchange (&pad->dropped, 0, 1))
    gst_pad_push_event (GST_PAD (pad),
        gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM,
            gst_structure_new ("GstForceKeyUnit", "all-headers",
                G_TYPE_BOOLEAN, TRUE, NULL)));

  /* A leaky=upstream queue drops the incoming buffer after each overrun. */
  GST_OBJECT_LOCK (self);
  self->dropped++;
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "%s full, dropping", GST_OBJECT_NAME (queue));
}

/* ------------------------------------------------------------------ */
/* Element */

static GstPad *
gst_chunk_recorder_sink_request_new_pad (GstElement * element,
    GstPadTemplate * templ, const gchar * name, const GstCaps * caps)
{
  GstChunkRecorderSink *self = GST_CHUNK_RECORDER_SINK (element);
  GstChunkRecorderSinkPad *pad;
  GstPad *target, *src;
  gchar *pad_name, *queue_name;
  guint64 max_time;
  guint n;

  GST_OBJECT_LOCK (self);
  if (name && sscanf (name, "sink_%u", &n) == 1) {
    self->next_pad = MAX (self->next_pad, n + 1);
    pad_name = g_strdup (name);
  } else {
    pad_name = g_strdup_printf ("sink_%u", self->next_pad++);
  }
  max_time = self->max_queue_time;
  GST_OBJECT_UNLOCK (self);

  pad = g_object_new (GST_TYPE_CHUNK_RECORDER_SINK_PAD, "name", pad_name,
      "direction", GST_PAD_SINK, "template", templ, NULL);
  pad->self = self;
  queue_name = g_strdup_printf ("queue-%s", pad_name);
  g_free (pad_name);
  pad->queue = gst_element_factory_make ("queue", queue_name);
  g_free (queue_name);
  if (!pad->queue) {
    gst_object_unref (pad);
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("Missing element 'queue'."), (NULL));
    return NULL;
  }
  gst_object_ref (pad->queue);
  g_object_set (pad->queue, "max-size-buffers", 0,
      "max-size-bytes", QUEUE_MAX_BYTES, "max-size-time", max_time,
      "leaky", 1 /* upstream: drop what comes in */ , NULL);
  g_signal_connect (pad->queue, "overrun", G_CALLBACK (on_queue_overrun),
      pad);
  g_object_set_qdata (G_OBJECT (pad->queue), pad_quark, pad);
  gst_bin_add (GST_BIN (self), pad->queue);

  target = gst_element_get_static_pad (pad->queue, "sink");
  gst_ghost_pad_set_target (GST_GHOST_PAD (pad), target);
  gst_object_unref (target);
  src = gst_element_get_static_pad (pad->queue, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      queue_src_probe, gst_object_ref (pad), gst_object_unref);
  gst_object_unref (src);

  pad->orig_chain = GST_PAD_CHAINFUNC (pad);
  pad->orig_chain_list = GST_PAD_CHAINLISTFUNC (pad);
  pad->orig_query = GST_PAD_QUERYFUNC (pad);
  gst_pad_set_chain_function (GST_PAD (pad), pad_chain);
  gst_pad_set_chain_list_function (GST_PAD (pad), pad_chain_list);
  gst_pad_set_query_function (GST_PAD (pad), pad_query);

  gst_element_sync_state_with_parent (pad->queue);

  REC_LOCK (self);
  self->pads = g_list_append (self->pads, gst_object_ref (pad));
  REC_UNLOCK (self);
  if (GST_STATE (self) > GST_STATE_READY)
    gst_pad_set_active (GST_PAD (pad), TRUE);
  gst_element_add_pad (element, GST_PAD (pad));
  gst_child_proxy_child_added (GST_CHILD_PROXY (self), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  return GST_PAD (pad);
}

static void
gst_chunk_recorder_sink_release_pad (GstElement * element, GstPad * gpad)
{
  GstChunkRecorderSink *self = GST_CHUNK_RECORDER_SINK (element);
  GstChunkRecorderSinkPad *pad = GST_CHUNK_RECORDER_SINK_PAD (gpad);
  GList *l;
  gboolean ended;

  REC_LOCK (self);
  pad->released = TRUE;
  ended = pad->eos;
  l = g_list_find (self->pads, pad);
  if (l)
    self->pads = g_list_delete_link (self->pads, l);
  g_cond_broadcast (&self->cond);
  REC_UNLOCK (self);

  /* Ends the track behind what is queued: the container finalises the
   * participant's chunk once all its tracks ended. */
  if (!ended) {
    GstPad *sink = gst_element_get_static_pad (pad->queue, "sink");

    gst_pad_send_event (sink, gst_event_new_eos ());
    gst_object_unref (sink);
  }
  gst_child_proxy_child_removed (GST_CHILD_PROXY (self), G_OBJECT (pad),
      GST_OBJECT_NAME (pad));
  gst_element_remove_pad (element, gpad);
  if (l)
    gst_object_unref (pad);
  check_done (self);
}

static void
gst_chunk_recorder_sink_handle_message (GstBin * bin, GstMessage * msg)
{
  GstChunkRecorderSink *self = GST_CHUNK_RECORDER_SINK (bin);
  GObject *src = G_OBJECT (GST_MESSAGE_SRC (msg));
  Participant *part = g_object_get_qdata (src, participant_quark);
  GstChunkRecorderSinkPad *pad = g_object_get_qdata (src, pad_quark);

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);

      if (!part)
        break;
      /* Ours replace splitmuxsink's messages. */
      if (gst_structure_has_name (s, "splitmuxsink-fragment-closed"))
        on_chunk_closed (self, part, s);
      if (g_str_has_prefix (gst_structure_get_name (s), "splitmuxsink-")) {
        gst_message_unref (msg);
        return;
      }
      break;
    }
    case GST_MESSAGE_EOS:
      /* We post EOS ourselves once the whole recording ended. */
      if (part) {
        REC_LOCK (self);
        if (self->n_running_mux > 0)
          self->n_running_mux--;
        if (part->mux == GST_ELEMENT (src))
          part->mux = NULL;
        REC_UNLOCK (self);
      }
      gst_message_unref (msg);
      check_done (self);
      return;
    case GST_MESSAGE_ERROR:
      /* One track's depayloader or parser failing is that track's
       * problem: warn, end it in its container, keep recording. */
      if (pad) {
        g_autoptr (GError) err = NULL;
        g_autofree gchar *debug = NULL;
        GstPad *mux_pad = NULL;

        gst_message_parse_error (msg, &err, &debug);
        REC_LOCK (self);
        if (pad->state == PAD_BOUND && pad->mux_pad)
          mux_pad = gst_object_ref (pad->mux_pad);
        REC_UNLOCK (self);
        reject_pad (self, pad, err->message);
        GST_WARNING_OBJECT (self, "%s: %s", err->message, debug);
        pad_ended (self, pad);
        if (mux_pad) {
          gst_pad_send_event (mux_pad, gst_event_new_eos ());
          gst_object_unref (mux_pad);
        }
        gst_message_unref (msg);
        return;
      }
      break;
    default:
      break;
  }
  GST_BIN_CLASS (parent_class)->handle_message (bin, msg);
}

/* Moves an unusable manifest.json out of the way (to the first free
 * manifest.json.broken-<n>) rather than overwrite what someone may want to
 * look at. */
static gboolean
move_aside (GstChunkRecorderSink * self, const gchar * path,
    const gchar * why)
{
  guint n;

  for (n = 1; n < 1000; n++) {
    g_autofree gchar *aside = g_strdup_printf ("%s.broken-%u", path, n);

    if (g_file_test (aside, G_FILE_TEST_EXISTS))
      continue;
    if (g_rename (path, aside) != 0)
      break;
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The recording manifest %s could not be resumed and was moved "
            "to %s; starting a new manifest.", path, aside), ("%s", why));
    return TRUE;
  }
  return FALSE;
}

/* The manifest to record into: the one in @dir if a previous run (e.g. a
 * worker that was killed) left one, so that its chunks stay listed; else a
 * new one.  NULL if an unusable manifest.json cannot be moved aside. */
static CrsManifest *
open_manifest (GstChunkRecorderSink * self, const gchar * dir,
    const gchar * recording_id, CrsFormat format, guint64 chunk_duration)
{
  g_autofree gchar *path = g_build_filename (dir, CRS_MANIFEST_NAME, NULL);
  g_autofree gchar *json = NULL;
  g_autoptr (GError) err = NULL;
  CrsManifest *m = NULL;
  gsize len = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    goto fresh;
  if (g_file_get_contents (path, &json, &len, &err))
    m = crs_manifest_resume (json, len, format, chunk_duration, &err);
  if (!m) {
    if (!move_aside (self, path, err->message))
      return NULL;
    goto fresh;
  }
  if (g_strcmp0 (crs_manifest_recording_id (m), recording_id) != 0)
    GST_WARNING_OBJECT (self, "resuming recording %s although recording-id "
        "is %s: the manifest keeps its id", crs_manifest_recording_id (m),
        recording_id);
  GST_INFO_OBJECT (self, "resuming %s as segment %u", path,
      crs_manifest_segment (m));
  goto done;

fresh:
  m = crs_manifest_new (recording_id, format, chunk_duration);
done:
  crs_manifest_set_directory (m, dir);
  return m;
}

static gboolean
start_recording (GstChunkRecorderSink * self)
{
  g_autofree gchar *location = NULL;
  g_autofree gchar *recording_id = NULL;
  g_autofree gchar *dir = NULL;
  CrsManifest *manifest;
  CrsFormat format;
  guint64 chunk_duration;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  recording_id = g_strdup (self->recording_id);
  format = self->format;
  chunk_duration = self->chunk_duration;
  GST_OBJECT_UNLOCK (self);

  if (!location || !*location)
    goto no_location;
  if (g_mkdir_with_parents (location, 0755) != 0)
    goto mkdir_failed;
  if (!recording_id) {
    g_autofree gchar *abs = g_canonicalize_filename (location, NULL);
    recording_id = g_path_get_basename (abs);
  }
  dir = g_canonicalize_filename (location, NULL);
  manifest = open_manifest (self, dir, recording_id, format, chunk_duration);
  if (!manifest)
    goto move_aside_failed;

  REC_LOCK (self);
  g_free (self->dir);
  self->dir = g_steal_pointer (&dir);
  self->run_format = format;
  self->run_chunk_duration = chunk_duration;
  crs_manifest_free (self->manifest);
  self->manifest = manifest;
  self->eos_posted = FALSE;
  self->n_running_mux = 0;
  REC_UNLOCK (self);
  write_manifest (self);
  return TRUE;

no_location:
  GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
      ("No recording directory given."), ("location is empty"));
  return FALSE;
mkdir_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
      ("Could not create the recording directory \"%s\".", location),
      ("%s", g_strerror (errno)));
  return FALSE;
move_aside_failed:
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
      ("The recording manifest in \"%s\" is unusable and could not be "
          "moved aside.", location), ("%s", g_strerror (errno)));
  return FALSE;
}

/* Back to READY: remove what the run added so that the next run starts
 * from scratch with the same request pads. */
static void
stop_recording (GstChunkRecorderSink * self)
{
  GList *dyn, *l;

  REC_LOCK (self);
  dyn = self->dyn;
  self->dyn = NULL;
  for (l = self->pads; l; l = l->next) {
    GstChunkRecorderSinkPad *pad = l->data;

    pad->state = PAD_NEW;
    pad->eos = FALSE;
    pad->warned = FALSE;
    pad->codec = NULL;
    pad->part = NULL;
    pad->mux = NULL;
    pad->have_ntp = FALSE;
    gst_clear_object (&pad->mux_pad);
    if (pad->sanitize_probe && pad->end)
      gst_pad_remove_probe (pad->end, pad->sanitize_probe);
    pad->sanitize_probe = 0;
    gst_clear_object (&pad->end);
    g_ptr_array_set_size (pad->chain, 0);
    gst_clear_event (&pad->stream_start);
    gst_segment_init (&pad->in_segment, GST_FORMAT_TIME);
    gst_segment_init (&pad->out_segment, GST_FORMAT_TIME);
    pad->segment_sent = FALSE;
    pad->started = FALSE;
    pad->dropped = 0;
    crs_restamp_init (&pad->restamp);
  }
  g_hash_table_remove_all (self->participants);
  REC_UNLOCK (self);

  for (l = dyn; l; l = l->next) {
    gst_element_set_state (l->data, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), l->data);
  }
  g_list_free_full (dyn, gst_object_unref);
}

static GstStateChangeReturn
gst_chunk_recorder_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstChunkRecorderSink *self = GST_CHUNK_RECORDER_SINK (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && !start_recording (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    stop_recording (self);
  return ret;
}

static void
gst_chunk_recorder_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstChunkRecorderSink *self = GST_CHUNK_RECORDER_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_CHUNK_DURATION:
      self->chunk_duration = g_value_get_uint64 (value);
      break;
    case PROP_FORMAT:
      self->format = g_value_get_enum (value);
      break;
    case PROP_RECORDING_ID:
      g_free (self->recording_id);
      self->recording_id = g_value_dup_string (value);
      break;
    case PROP_MAX_QUEUE_TIME:
      self->max_queue_time = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_chunk_recorder_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstChunkRecorderSink *self = GST_CHUNK_RECORDER_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_CHUNK_DURATION:
      g_value_set_uint64 (value, self->chunk_duration);
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->format);
      break;
    case PROP_RECORDING_ID:
      g_value_set_string (value, self->recording_id);
      break;
    case PROP_MAX_QUEUE_TIME:
      g_value_set_uint64 (value, self->max_queue_time);
      break;
    case PROP_DROPPED:
      g_value_set_uint64 (value, self->dropped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_chunk_recorder_sink_finalize (GObject * object)
{
  GstChunkRecorderSink *self = GST_CHUNK_RECORDER_SINK (object);

  g_free (self->location);
  g_free (self->recording_id);
  g_free (self->dir);
  g_list_free_full (self->pads, gst_object_unref);
  g_list_free_full (self->dyn, gst_object_unref);
  g_hash_table_unref (self->participants);
  crs_manifest_free (self->manifest);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->write_lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_chunk_recorder_sink_class_init (GstChunkRecorderSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_chunk_recorder_sink_debug, "chunkrecordersink",
      0, "Chunked crash-safe recorder");
  pad_quark = g_quark_from_static_string ("chunkrecordersink-pad");
  participant_quark =
      g_quark_from_static_string ("chunkrecordersink-participant");

  gobject_class->set_property = gst_chunk_recorder_sink_set_property;
  gobject_class->get_property = gst_chunk_recorder_sink_get_property;
  gobject_class->finalize = gst_chunk_recorder_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Directory for the chunks and manifest.json (created if missing)",
          DEFAULT_LOCATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CHUNK_DURATION,
      g_param_spec_uint64 ("chunk-duration", "Chunk duration",
          "Target chunk length in ns; a chunk closes at the first video "
          "keyframe at or after it", GST_MSECOND * 100, G_MAXUINT64,
          DEFAULT_CHUNK_DURATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FORMAT,
      g_param_spec_enum ("format", "Format", "Chunk container",
          GST_TYPE_CHUNK_RECORDER_FORMAT, DEFAULT_FORMAT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_RECORDING_ID,
      g_param_spec_string ("recording-id", "Recording id",
          "Written into the manifest (default: the basename of location)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE_TIME,
      g_param_spec_uint64 ("max-queue-time", "Max queue time",
          "Data queued per pad (ns) before new data is dropped: a slow disk "
          "drops, never blocks upstream (applies to pads requested after "
          "the change)", 0, G_MAXUINT64, DEFAULT_MAX_QUEUE_TIME,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped",
          "Buffers dropped so far because a pad's queue was full, all pads",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &sink_template, GST_TYPE_CHUNK_RECORDER_SINK_PAD);
  gst_element_class_set_static_metadata (element_class,
      "Chunked recorder sink", "Sink/File",
      "Records RTP or encoded audio/video per participant into short, "
      "independently playable chunks with a crash-safe manifest",
      "Convene contributors <https://convene.invalid/>");

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_chunk_recorder_sink_request_new_pad);
  element_class->release_pad =
      GST_DEBUG_FUNCPTR (gst_chunk_recorder_sink_release_pad);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_chunk_recorder_sink_change_state);
  bin_class->handle_message =
      GST_DEBUG_FUNCPTR (gst_chunk_recorder_sink_handle_message);

  gst_type_mark_as_plugin_api (GST_TYPE_CHUNK_RECORDER_SINK_PAD, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_CHUNK_RECORDER_FORMAT, 0);
}

static void
gst_chunk_recorder_sink_init (GstChunkRecorderSink * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  self->chunk_duration = DEFAULT_CHUNK_DURATION;
  self->format = DEFAULT_FORMAT;
  self->max_queue_time = DEFAULT_MAX_QUEUE_TIME;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->write_lock);
  g_cond_init (&self->cond);
  self->participants = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) participant_free);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

/* ------------------------------------------------------------------ */
/* GstChildProxy: the request pads, so that gst-launch can set
 * sink_0::participant=alice; other names go to the bin's children. */

static GObject *
child_proxy_get_child_by_name (GstChildProxy * proxy, const gchar * name)
{
  GstPad *pad = gst_element_get_static_pad (GST_ELEMENT (proxy), name);

  if (pad)
    return G_OBJECT (pad);
  return parent_child_proxy_iface->get_child_by_name (proxy, name);
}

static GObject *
child_proxy_get_child_by_index (GstChildProxy * proxy, guint index)
{
  GObject *obj = NULL;
  GList *l;

  GST_OBJECT_LOCK (proxy);
  l = g_list_nth (GST_ELEMENT (proxy)->sinkpads, index);
  if (l)
    obj = G_OBJECT (gst_object_ref (l->data));
  GST_OBJECT_UNLOCK (proxy);
  return obj;
}

static guint
child_proxy_get_children_count (GstChildProxy * proxy)
{
  guint n;

  GST_OBJECT_LOCK (proxy);
  n = GST_ELEMENT (proxy)->numsinkpads;
  GST_OBJECT_UNLOCK (proxy);
  return n;
}

static void
gst_chunk_recorder_sink_child_proxy_init (gpointer g_iface,
    gpointer iface_data)
{
  GstChildProxyInterface *iface = g_iface;

  parent_child_proxy_iface = g_type_interface_peek_parent (iface);
  iface->get_child_by_name = child_proxy_get_child_by_name;
  iface->get_child_by_index = child_proxy_get_child_by_index;
  iface->get_children_count = child_proxy_get_children_count;
}
