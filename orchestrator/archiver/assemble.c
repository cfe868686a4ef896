/* Assembling a recording into one gallery MP4.
 *
 * One main pipeline does the composing and encoding:
 *
 *   videotestsrc (black, the whole span) ─┐
 *   appsrc (participant 0 video) ─────────┼ compositor ! x264enc ! queue ─┐
 *   appsrc (participant 1 video) ─────────┘                               ├ mp4mux faststart ! filesink
 *   audiotestsrc (silence, the whole span) ┐                              │
 *   appsrc (participant 0 audio) ──────────┼ audiomixer ! AAC ! queue ────┘
 *   appsrc (participant 1 audio) ──────────┘
 *
 * and one feeder thread per participant decodes that participant's chunks
 * one at a time, each in its own small pipeline (filesrc ! decodebin ! scale
 * or resample ! appsink), and pushes the frames into the participant's
 * appsrcs with timestamps rewritten to the recording's timeline: chunk
 * start_wallclock - earliest start_wallclock + (pts - the chunk's first pts).
 * So every chunk is placed by its own wall-clock start (a lost chunk leaves a
 * gap, never a shift), and a chunk that cannot be decoded (cut short by a
 * crash, missing, garbage) only fails its own small pipeline: the feeder logs
 * it and moves on. The black and silent beds make the output cover the whole
 * span even where nobody is there. Nothing is live, so the pipeline runs as
 * fast as the encoder can go; the appsrcs block when full, which bounds how
 * far a feeder runs ahead. */
#include "assemble.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <string.h>

#define AUDIO_RATE 48000
#define AUDIO_CAPS "audio/x-raw,format=S16LE,rate=48000,channels=2," \
  "layout=interleaved"
/* How far a feeder may run ahead of the compositor, per stream. The queues
 * in front of the muxer hold more than that, so that a feeder blocked on a
 * full video appsrc can never starve the audio the muxer waits for. */
#define FEEDER_MAX_TIME (3 * GST_SECOND)
#define MUX_QUEUE_TIME (15 * GST_SECOND)

typedef struct _Assembly Assembly;

typedef struct
{
  Assembly *asm_;
  const CnvArchParticipant *participant;
  guint number;
  GstElement *vsrc;             /* appsrc, or NULL without video */
  GstElement *asrc;             /* appsrc, or NULL without audio */
  CnvArchTile tile;
  GThread *thread;

  /* The chunk being decoded; written by the feeder thread between chunks,
   * read by the chunk pipeline's streaming threads. */
  GMutex lock;                  /* protects the fields below */
  GstClockTime chunk_offset;    /* where the chunk starts on the timeline */
  GstClockTime chunk_base;      /* the chunk's first pts, or NONE */
  gboolean video_discont, audio_discont;
  GstClockTime video_end;       /* end of the last frame pushed, or NONE */
  GstCaps *video_caps;          /* of the last frame pushed */
  gint64 last_activity;         /* monotonic us */
  gboolean in_push;             /* blocked on a full appsrc: not stuck */
  guint chunks_skipped;
} Feeder;

struct _Assembly
{
  const CnvArchManifest *m;
  CnvArchAssembleOptions opt;
  GMainContext *ctx;
  GMainLoop *loop;
  GstElement *pipeline;
  GPtrArray *feeders;           /* Feeder */
  GError *error;
  gint stopping;                /* atomic */
  GMutex position_lock;         /* protects position */
  GstClockTime position;        /* pts of the last output frame */
  gint64 last_position_change;  /* monotonic us */
  gint64 last_seen_position;
  int last_percent;
  CnvArchProgressFunc progress;
  gpointer progress_data;
};

void
cnv_arch_assemble_options_init (CnvArchAssembleOptions * o)
{
  o->width = 1280;
  o->height = 720;
  o->fps = 30;
  o->stall_timeout_ms = 60000;
}

/* ---- the feeders ------------------------------------------------------ */

static GstFlowReturn
feeder_push (Feeder * f, GstAppSink * sink, gboolean video)
{
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstElement *appsrc = video ? f->vsrc : f->asrc;
  GstBuffer *buf;
  GstClockTime pts, ts;
  GstSample *out;
  GstFlowReturn ret;
  gboolean discont;

  if (!sample)
    return GST_FLOW_EOS;
  if (g_atomic_int_get (&f->asm_->stopping))
    return GST_FLOW_FLUSHING;
  buf = gst_sample_get_buffer (sample);
  pts = GST_BUFFER_PTS (buf);
  if (!buf || !GST_CLOCK_TIME_IS_VALID (pts))
    return GST_FLOW_OK;

  g_mutex_lock (&f->lock);
  /* The chunk's first buffer, audio or video, is its zero: both streams of
   * one file keep their relative timing. */
  if (!GST_CLOCK_TIME_IS_VALID (f->chunk_base))
    f->chunk_base = pts;
  if (pts + f->chunk_offset < f->chunk_base) {
    g_mutex_unlock (&f->lock);
    return GST_FLOW_OK;
  }
  ts = pts + f->chunk_offset - f->chunk_base;
  if (video) {
    discont = f->video_discont;
    f->video_discont = FALSE;
  } else {
    discont = f->audio_discont;
    f->audio_discont = FALSE;
  }
  f->in_push = TRUE;
  f->last_activity = g_get_monotonic_time ();
  g_mutex_unlock (&f->lock);

  if (video) {
    g_mutex_lock (&f->lock);
    f->video_end = ts + (GST_BUFFER_DURATION_IS_VALID (buf) ?
        GST_BUFFER_DURATION (buf) : 0);
    gst_caps_replace (&f->video_caps, gst_sample_get_caps (sample));
    g_mutex_unlock (&f->lock);
  }
  buf = gst_buffer_copy (buf);
  GST_BUFFER_PTS (buf) = ts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buf) = GST_BUFFER_OFFSET_NONE;
  GST_BUFFER_OFFSET_END (buf) = GST_BUFFER_OFFSET_NONE;
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  out = gst_sample_new (buf, gst_sample_get_caps (sample), NULL, NULL);
  gst_buffer_unref (buf);
  ret = gst_app_src_push_sample (GST_APP_SRC (appsrc), out);
  gst_sample_unref (out);

  g_mutex_lock (&f->lock);
  f->in_push = FALSE;
  f->last_activity = g_get_monotonic_time ();
  g_mutex_unlock (&f->lock);
  return ret == GST_FLOW_OK ? GST_FLOW_OK : GST_FLOW_FLUSHING;
}

static GstFlowReturn
on_video_sample (GstAppSink * sink, gpointer data)
{
  return feeder_push (data, sink, TRUE);
}

static GstFlowReturn
on_audio_sample (GstAppSink * sink, gpointer data)
{
  return feeder_push (data, sink, FALSE);
}

static GstElement *
make (const char *factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (!e)
    g_warning ("GStreamer element \"%s\" is missing", factory);
  return e;
}

/* decodebin found a stream: convert it to what the main pipeline takes
 * (the participant's tile size, or 48 kHz stereo) and hand it to an appsink,
 * or drop it if this participant has no such track. */
static void
on_pad_added (GstElement * decodebin, GstPad * pad, gpointer data)
{
  Feeder *f = data;
  GstElement *pipeline = GST_ELEMENT (gst_element_get_parent (decodebin));
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const char *name;
  gboolean video, audio;
  GstElement *chain[4] = { NULL };
  guint n = 0;
  GstAppSinkCallbacks cb = { 0 };
  GstElement *sink;
  GstPad *sinkpad;

  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  video = g_str_has_prefix (name, "video/") && f->vsrc;
  audio = g_str_has_prefix (name, "audio/") && f->asrc;

  if (video) {
    g_autoptr (GstCaps) want = gst_caps_new_simple ("video/x-raw",
        "format", G_TYPE_STRING, "I420",
        "width", G_TYPE_INT, f->tile.width,
        "height", G_TYPE_INT, f->tile.height,
        "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);

    chain[n++] = make ("videoconvert");
    chain[n++] = make ("videoscale");
    chain[n++] = make ("capsfilter");
    if (chain[1])
      g_object_set (chain[1], "add-borders", TRUE, NULL);
    if (chain[2])
      g_object_set (chain[2], "caps", want, NULL);
  } else if (audio) {
    g_autoptr (GstCaps) want = gst_caps_from_string (AUDIO_CAPS);

    chain[n++] = make ("audioconvert");
    chain[n++] = make ("audioresample");
    chain[n++] = make ("capsfilter");
    if (chain[2])
      g_object_set (chain[2], "caps", want, NULL);
  }
  if (video || audio) {
    sink = make ("appsink");
    if (sink) {
      g_object_set (sink, "sync", FALSE, "max-buffers", 4, "drop", FALSE,
          NULL);
      cb.new_sample = video ? on_video_sample : on_audio_sample;
      gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, f, NULL);
    }
  } else {
    sink = make ("fakesink");
    if (sink)
      g_object_set (sink, "sync", FALSE, NULL);
  }
  chain[n++] = sink;
  for (guint i = 0; i < n; i++) {
    if (!chain[i])
      goto fail;
  }
  for (guint i = 0; i < n; i++)
    gst_bin_add (GST_BIN (pipeline), chain[i]);
  for (guint i = 0; i + 1 < n; i++)
    gst_element_link (chain[i], chain[i + 1]);
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);
  sinkpad = gst_element_get_static_pad (chain[0], "sink");
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_warning ("%s: cannot link a decoded %s stream", f->participant->id,
        name);
  gst_object_unref (sinkpad);
  gst_object_unref (pipeline);
  return;

fail:
  for (guint i = 0; i < n; i++)
    if (chain[i])
      gst_object_unref (gst_object_ref_sink (chain[i]));
  gst_object_unref (pipeline);
}

/* Decodes one chunk into the participant's appsrcs. FALSE when the chunk
 * could not be read to its end (it is skipped from there on). */
static gboolean
feeder_run_chunk (Feeder * f, const CnvArchChunk * c)
{
  Assembly *a = f->asm_;
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstBus) bus = NULL;
  GstElement *src = make ("filesrc"), *dec = make ("decodebin");
  gboolean ok = FALSE, done = FALSE;

  if (!src || !dec) {
    g_clear_pointer (&src, gst_object_unref);
    g_clear_pointer (&dec, gst_object_unref);
    return FALSE;
  }
  g_object_set (src, "location", c->file, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, dec, NULL);
  gst_element_link (src, dec);
  g_signal_connect (dec, "pad-added", G_CALLBACK (on_pad_added), f);

  g_mutex_lock (&f->lock);
  f->chunk_offset = (GstClockTime) (c->start_wallclock_ns -
      a->m->start_wallclock_ns);
  f->chunk_base = GST_CLOCK_TIME_NONE;
  f->video_discont = f->audio_discont = TRUE;
  f->last_activity = g_get_monotonic_time ();
  g_mutex_unlock (&f->lock);

  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_warning ("%s: skipping chunk %u (%s): cannot start decoding",
        f->participant->id, c->index, c->file);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    return FALSE;
  }
  while (!done) {
    g_autoptr (GstMessage) msg = gst_bus_timed_pop_filtered (bus,
        200 * GST_MSECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    gboolean stuck;

    if (g_atomic_int_get (&a->stopping))
      break;
    if (!msg) {
      g_mutex_lock (&f->lock);
      stuck = !f->in_push && g_get_monotonic_time () - f->last_activity >
          (gint64) a->opt.stall_timeout_ms * 1000;
      g_mutex_unlock (&f->lock);
      if (stuck) {
        g_warning ("%s: skipping chunk %u (%s): decoding made no progress "
            "for %u ms", f->participant->id, c->index, c->file,
            a->opt.stall_timeout_ms);
        done = TRUE;
      }
      continue;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      ok = TRUE;
    } else {
      g_autoptr (GError) err = NULL;
      g_autofree char *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_warning ("%s: skipping (the rest of) chunk %u (%s): %s",
          f->participant->id, c->index, c->file, err->message);
    }
    done = TRUE;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return ok;
}

/* The compositor keeps showing a pad's last frame until the next one is
 * due; across a lost chunk that would freeze the picture for the whole gap.
 * A black frame lasting until the next chunk says "nothing recorded"
 * instead. */
static void
feeder_blank_until (Feeder * f, GstClockTime next)
{
  GstClockTime from;
  g_autoptr (GstCaps) caps = NULL;
  GstVideoInfo info;
  GstBuffer *buf;
  GstSample *sample;
  GstMapInfo map;

  g_mutex_lock (&f->lock);
  from = f->video_end;
  if (f->video_caps)
    caps = gst_caps_ref (f->video_caps);
  g_mutex_unlock (&f->lock);
  if (!f->vsrc || !caps || !GST_CLOCK_TIME_IS_VALID (from) ||
      next <= from + 50 * GST_MSECOND || !gst_video_info_from_caps (&info,
          caps) || GST_VIDEO_INFO_FORMAT (&info) != GST_VIDEO_FORMAT_I420)
    return;
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 16, GST_VIDEO_INFO_PLANE_OFFSET (&info, 1));
  memset (map.data + GST_VIDEO_INFO_PLANE_OFFSET (&info, 1), 128,
      map.size - GST_VIDEO_INFO_PLANE_OFFSET (&info, 1));
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = from;
  GST_BUFFER_DURATION (buf) = next - from;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  sample = gst_sample_new (buf, caps, NULL, NULL);
  gst_buffer_unref (buf);
  g_debug ("%s: black from %.3f to %.3f s", f->participant->id,
      (double) from / GST_SECOND, (double) next / GST_SECOND);
  gst_app_src_push_sample (GST_APP_SRC (f->vsrc), sample);
  gst_sample_unref (sample);
}

static gpointer
feeder_thread (gpointer data)
{
  Feeder *f = data;
  Assembly *a = f->asm_;

  for (guint i = 0; i < f->participant->chunks->len; i++) {
    const CnvArchChunk *c = g_ptr_array_index (f->participant->chunks, i);

    if (g_atomic_int_get (&a->stopping))
      break;
    feeder_blank_until (f, (GstClockTime) (c->start_wallclock_ns -
            a->m->start_wallclock_ns));
    if (!g_file_test (c->file, G_FILE_TEST_IS_REGULAR)) {
      g_warning ("%s: skipping chunk %u: %s is missing", f->participant->id,
          c->index, c->file);
      f->chunks_skipped++;
      continue;
    }
    if (!feeder_run_chunk (f, c))
      f->chunks_skipped++;
  }
  if (f->vsrc)
    gst_app_src_end_of_stream (GST_APP_SRC (f->vsrc));
  if (f->asrc)
    gst_app_src_end_of_stream (GST_APP_SRC (f->asrc));
  g_debug ("%s: all chunks fed", f->participant->id);
  return NULL;
}

static void
feeder_free (gpointer p)
{
  Feeder *f = p;

  gst_clear_caps (&f->video_caps);
  g_mutex_clear (&f->lock);
  g_free (f);
}

/* ---- the main pipeline ------------------------------------------------ */

static GstElement *
add (GstElement * bin, const char *factory, GError ** error)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (!e) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "GStreamer element \"%s\" is missing", factory);
    return NULL;
  }
  gst_bin_add (GST_BIN (bin), e);
  return e;
}

static GstElement *
add_filter (GstElement * bin, const char *caps_text, GError ** error)
{
  GstElement *e = add (bin, "capsfilter", error);
  g_autoptr (GstCaps) caps = NULL;

  if (e) {
    caps = gst_caps_from_string (caps_text);
    g_object_set (e, "caps", caps, NULL);
  }
  return e;
}

static gboolean
link_request (GstElement * src, GstElement * mixer, GstPad ** out_pad)
{
  GstPad *srcpad = gst_element_get_static_pad (src, "src");
  GstPad *sinkpad = gst_element_request_pad_simple (mixer, "sink_%u");
  gboolean ok = sinkpad && gst_pad_link (srcpad, sinkpad) == GST_PAD_LINK_OK;

  gst_object_unref (srcpad);
  if (out_pad)
    *out_pad = sinkpad;
  else if (sinkpad)
    gst_object_unref (sinkpad);
  return ok;
}

static GstPadProbeReturn
on_output_frame (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Assembly *a = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (buf && GST_BUFFER_PTS_IS_VALID (buf)) {
    g_mutex_lock (&a->position_lock);
    a->position = GST_BUFFER_PTS (buf);
    g_mutex_unlock (&a->position_lock);
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
build (Assembly * a, const char *part_path, GError ** error)
{
  const CnvArchManifest *m = a->m;
  GstElement *p = a->pipeline;
  GstElement *vbed, *vbedcaps, *abed, *abedcaps, *comp, *compcaps, *vconv,
      *venc, *vq, *amix, *amixcaps, *aconv, *aenc, *aq, *mux, *sink;
  g_autofree char *vcaps = NULL, *faststart = NULL;
  guint64 frames = gst_util_uint64_scale_ceil (cnv_arch_manifest_duration_ns
      (m), a->opt.fps, GST_SECOND);
  guint n = m->participants->len;
  GstPad *pad;
  const char *aac = NULL;

  vcaps = g_strdup_printf ("video/x-raw,format=I420,width=%d,height=%d,"
      "framerate=%d/1,pixel-aspect-ratio=1/1", a->opt.width, a->opt.height,
      a->opt.fps);
  if (!(vbed = add (p, "videotestsrc", error)) ||
      !(vbedcaps = add_filter (p, vcaps, error)) ||
      !(comp = add (p, "compositor", error)) ||
      !(compcaps = add_filter (p, vcaps, error)) ||
      !(vconv = add (p, "videoconvert", error)) ||
      !(venc = add (p, "x264enc", error)) ||
      !(vq = add (p, "queue", error)) ||
      !(abed = add (p, "audiotestsrc", error)) ||
      !(abedcaps = add_filter (p, AUDIO_CAPS, error)) ||
      !(amix = add (p, "audiomixer", error)) ||
      !(amixcaps = add_filter (p, AUDIO_CAPS, error)) ||
      !(aconv = add (p, "audioconvert", error)) ||
      !(aq = add (p, "queue", error)) ||
      !(mux = add (p, "mp4mux", error)) || !(sink = add (p, "filesink", error)))
    return FALSE;
  for (const char *const *f = (const char *const[]) {
        "avenc_aac", "voaacenc", "fdkaacenc", NULL}; *f && !aac; f++) {
    g_autoptr (GstElementFactory) fac = gst_element_factory_find (*f);
    if (fac)
      aac = *f;
  }
  if (!aac) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "no AAC encoder (avenc_aac or voaacenc)");
    return FALSE;
  }
  if (!(aenc = add (p, aac, error)))
    return FALSE;

  /* The beds: black video and silence over the whole span. */
  g_object_set (vbed, "pattern", 2 /* black */ , "is-live", FALSE,
      "num-buffers", (int) MIN (frames, G_MAXINT), NULL);
  g_object_set (abed, "wave", 4 /* silence */ , "is-live", FALSE,
      "samplesperbuffer", AUDIO_RATE / a->opt.fps,
      "num-buffers", (int) MIN (frames, G_MAXINT), NULL);
  g_object_set (comp, "background", 1 /* black */ , NULL);
  g_object_set (venc, "speed-preset", 3 /* veryfast */ , "key-int-max",
      a->opt.fps * 2, NULL);
  g_object_set (vq, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", MUX_QUEUE_TIME, NULL);
  g_object_set (aq, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", MUX_QUEUE_TIME, NULL);
  faststart = g_strdup_printf ("%s.moov", part_path);
  g_object_set (mux, "faststart", TRUE, "faststart-file", faststart, NULL);
  g_object_set (sink, "location", part_path, "sync", FALSE, "async", FALSE,
      NULL);

  if (!gst_element_link (vbed, vbedcaps) ||
      !gst_element_link_many (comp, compcaps, vconv, venc, vq, NULL) ||
      !gst_element_link (abed, abedcaps) ||
      !gst_element_link_many (amix, amixcaps, aconv, aenc, aq, NULL) ||
      !gst_element_link (vq, mux) || !gst_element_link (aq, mux) ||
      !gst_element_link (mux, sink))
    goto link_failed;
  if (!link_request (vbedcaps, comp, &pad))
    goto link_failed;
  g_object_set (pad, "zorder", 0, NULL);
  gst_object_unref (pad);
  if (!link_request (abedcaps, amix, NULL))
    goto link_failed;

  pad = gst_element_get_static_pad (comp, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_output_frame, a,
      NULL);
  gst_object_unref (pad);

  for (guint i = 0; i < n; i++) {
    const CnvArchParticipant *pt = g_ptr_array_index (m->participants, i);
    Feeder *f = g_new0 (Feeder, 1);

    g_mutex_init (&f->lock);
    f->asm_ = a;
    f->participant = pt;
    f->number = i;
    f->video_end = GST_CLOCK_TIME_NONE;
    cnv_arch_layout_tile (n, i, a->opt.width, a->opt.height, &f->tile);
    g_ptr_array_add (a->feeders, f);

    if (pt->has_video) {
      if (!(f->vsrc = add (p, "appsrc", error)))
        return FALSE;
      g_object_set (f->vsrc, "format", GST_FORMAT_TIME, "is-live", FALSE,
          "block", TRUE, "max-bytes", (guint64) 0, "max-buffers",
          (guint64) 0, "max-time", (guint64) FEEDER_MAX_TIME, NULL);
      if (!link_request (f->vsrc, comp, &pad))
        goto link_failed;
      g_object_set (pad, "xpos", f->tile.x, "ypos", f->tile.y,
          "width", f->tile.width, "height", f->tile.height,
          "zorder", i + 1, NULL);
      gst_object_unref (pad);
    }
    if (pt->has_audio) {
      if (!(f->asrc = add (p, "appsrc", error)))
        return FALSE;
      g_object_set (f->asrc, "format", GST_FORMAT_TIME, "is-live", FALSE,
          "block", TRUE, "max-bytes", (guint64) 0, "max-buffers",
          (guint64) 0, "max-time", (guint64) FEEDER_MAX_TIME, NULL);
      if (!link_request (f->asrc, amix, NULL))
        goto link_failed;
    }
  }
  return TRUE;

link_failed:
  g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
      "cannot link the assembly pipeline");
  return FALSE;
}

static void
stop (Assembly * a, GError * error)
{
  if (error && !a->error)
    a->error = error;
  else if (error)
    g_error_free (error);
  g_main_loop_quit (a->loop);
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  Assembly *a = data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      stop (a, NULL);
      break;
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      g_autofree char *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_warning ("assembly pipeline: %s (%s)", err->message,
          dbg ? dbg : "");
      stop (a, err);
      break;
    }
    case GST_MESSAGE_WARNING:{
      g_autoptr (GError) err = NULL;
      g_autofree char *dbg = NULL;

      gst_message_parse_warning (msg, &err, &dbg);
      g_warning ("assembly pipeline: %s", err->message);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (gpointer data)
{
  Assembly *a = data;
  gint64 pos;
  guint64 dur = cnv_arch_manifest_duration_ns (a->m);
  gint64 now = g_get_monotonic_time ();
  int percent;

  g_mutex_lock (&a->position_lock);
  pos = (gint64) a->position;
  g_mutex_unlock (&a->position_lock);
  if (pos != a->last_seen_position) {
    a->last_seen_position = pos;
    a->last_position_change = now;
  } else if (now - a->last_position_change >
      (gint64) a->opt.stall_timeout_ms * 1000) {
    stop (a, g_error_new (GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
            "the assembly made no progress for %u ms (stuck at %.1f s)",
            a->opt.stall_timeout_ms, (double) pos / GST_SECOND));
    return G_SOURCE_REMOVE;
  }
  percent = dur ? (int) MIN (gst_util_uint64_scale (pos, 100, dur), 99) : 0;
  if (percent > a->last_percent) {
    a->last_percent = percent;
    if (a->progress)
      a->progress ((guint) percent, (guint64) pos, a->progress_data);
  }
  return G_SOURCE_CONTINUE;
}

gboolean
cnv_arch_assemble (const CnvArchManifest * m, const char *output,
    const CnvArchAssembleOptions * options, CnvArchProgressFunc progress,
    gpointer user_data, CnvArchAssembleStats * stats, GError ** error)
{
  Assembly a = { 0 };
  g_autofree char *part = g_strdup_printf ("%s.part", output);
  g_autofree char *moov = g_strdup_printf ("%s.moov", part);
  g_autoptr (GstBus) bus = NULL;
  GSource *tick;
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = FALSE;
  guint skipped = 0, chunks = 0;
  GStatBuf st;

  a.m = m;
  g_mutex_init (&a.position_lock);
  if (options)
    a.opt = *options;
  else
    cnv_arch_assemble_options_init (&a.opt);
  a.progress = progress;
  a.progress_data = user_data;
  a.last_percent = -1;
  a.ctx = g_main_context_new ();
  a.loop = g_main_loop_new (a.ctx, FALSE);
  a.feeders = g_ptr_array_new_with_free_func (feeder_free);
  a.pipeline = gst_pipeline_new ("assembly");
  g_main_context_push_thread_default (a.ctx);

  for (guint i = 0; i < m->participants->len; i++) {
    const CnvArchParticipant *pt = g_ptr_array_index (m->participants, i);
    chunks += pt->chunks->len;
  }
  g_unlink (part);
  if (!build (&a, part, error))
    goto out;

  bus = gst_element_get_bus (a.pipeline);
  gst_bus_add_watch (bus, on_bus, &a);
  tick = g_timeout_source_new (250);
  g_source_set_callback (tick, on_tick, &a, NULL);
  g_source_attach (tick, a.ctx);
  g_source_unref (tick);

  if (gst_element_set_state (a.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
        "cannot start the assembly pipeline");
    goto out;
  }
  a.last_position_change = g_get_monotonic_time ();
  a.last_seen_position = -1;
  for (guint i = 0; i < a.feeders->len; i++) {
    Feeder *f = g_ptr_array_index (a.feeders, i);
    g_autofree char *name = g_strdup_printf ("feeder-%u", i);

    f->thread = g_thread_new (name, feeder_thread, f);
  }
  g_main_loop_run (a.loop);
  g_source_destroy (tick);

  /* Stop the feeders before the pipeline: a feeder blocked in a push
   * returns once its appsrc flushes. */
  g_atomic_int_set (&a.stopping, 1);
  gst_element_set_state (a.pipeline, GST_STATE_NULL);
  for (guint i = 0; i < a.feeders->len; i++) {
    Feeder *f = g_ptr_array_index (a.feeders, i);

    if (f->thread)
      g_thread_join (f->thread);
    skipped += f->chunks_skipped;
  }
  gst_bus_remove_watch (bus);
  if (a.error) {
    g_propagate_error (error, g_steal_pointer (&a.error));
    goto out;
  }
  if (g_rename (part, output) != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot rename %s: %s", part, g_strerror (errno));
    goto out;
  }
  if (a.progress)
    a.progress (100, cnv_arch_manifest_duration_ns (m), a.progress_data);
  ok = TRUE;

out:
  gst_element_set_state (a.pipeline, GST_STATE_NULL);
  if (!ok)
    g_unlink (part);
  g_unlink (moov);
  if (stats) {
    memset (stats, 0, sizeof (*stats));
    stats->duration_ns = cnv_arch_manifest_duration_ns (m);
    stats->chunks = chunks;
    stats->chunks_skipped = skipped;
    stats->elapsed_us = g_get_monotonic_time () - t0;
    if (ok && g_stat (output, &st) == 0)
      stats->size_bytes = (guint64) st.st_size;
  }
  gst_object_unref (a.pipeline);
  g_ptr_array_unref (a.feeders);
  g_main_context_pop_thread_default (a.ctx);
  g_main_loop_unref (a.loop);
  g_main_context_unref (a.ctx);
  g_mutex_clear (&a.position_lock);
  return ok;
}
