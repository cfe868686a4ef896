/* The archiver's element-free parts: manifest parsing and the gallery
 * layout. */
#include <string.h>

#include "manifest.h"

static void
test_layout (void)
{
  CnvArchTile t;

  cnv_arch_layout_tile (1, 0, 1280, 720, &t);
  g_assert_cmpint (t.x, ==, 0);
  g_assert_cmpint (t.width, ==, 1280);
  g_assert_cmpint (t.height, ==, 720);
  /* two: side by side */
  cnv_arch_layout_tile (2, 1, 1280, 720, &t);
  g_assert_cmpint (t.x, ==, 640);
  g_assert_cmpint (t.y, ==, 0);
  g_assert_cmpint (t.width, ==, 640);
  g_assert_cmpint (t.height, ==, 720);
  /* three: 2x2, the last row centred */
  cnv_arch_layout_tile (3, 2, 1280, 720, &t);
  g_assert_cmpint (t.width, ==, 640);
  g_assert_cmpint (t.height, ==, 360);
  g_assert_cmpint (t.x, ==, 320);
  g_assert_cmpint (t.y, ==, 360);
  cnv_arch_layout_tile (4, 3, 1280, 720, &t);
  g_assert_cmpint (t.x, ==, 640);
  g_assert_cmpint (t.y, ==, 360);
  /* nine: 3x3 with even sizes */
  cnv_arch_layout_tile (9, 8, 1280, 720, &t);
  g_assert_cmpint (t.width, ==, 426);
  g_assert_cmpint (t.height, ==, 240);
  g_assert_cmpint (t.x + t.width, <=, 1280);
  g_assert_cmpint (t.y + t.height, ==, 720);
  /* ten: 4 columns, 3 rows */
  cnv_arch_layout_tile (10, 9, 1280, 720, &t);
  g_assert_cmpint (t.width, ==, 320);
  g_assert_cmpint (t.height, ==, 240);
  for (guint n = 1; n <= 30; n++)
    for (guint i = 0; i < n; i++) {
      cnv_arch_layout_tile (n, i, 1280, 720, &t);
      g_assert_cmpint (t.x, >=, 0);
      g_assert_cmpint (t.y, >=, 0);
      g_assert_cmpint (t.x + t.width, <=, 1280);
      g_assert_cmpint (t.y + t.height, <=, 720);
      g_assert_cmpint (t.width % 2, ==, 0);
    }
}

static void
test_manifest (void)
{
  const char *json = "{\"version\":1,\"recording_id\":\"r\",\"format\":"
      "\"matroska\",\"chunk_duration_ns\":2000000000,\"complete\":false,"
      "\"participants\":["
      "{\"id\":\"a\",\"tracks\":[{\"kind\":\"video\"}],\"chunks\":["
      " {\"index\":1,\"file\":\"a/chunk-00001.mkv\",\"duration_ns\":"
      "  2000000000,\"start_wallclock_ns\":12000000000},"
      " {\"index\":0,\"file\":\"a/chunk-00000.mkv\",\"duration_ns\":"
      "  2000000000,\"start_wallclock_ns\":10000000000},"
      " {\"index\":2,\"file\":\"../../etc/passwd\",\"start_wallclock_ns\":1},"
      " {\"index\":3,\"file\":\"/etc/passwd\",\"start_wallclock_ns\":1},"
      " {\"index\":4,\"file\":\"a/x.mkv\"}]},"
      "{\"id\":\"b\",\"chunks\":[{\"index\":0,\"file\":\"b/c.mkv\","
      " \"start_wallclock_ns\":11000000000}]},"
      "{\"id\":\"c\",\"chunks\":[]}, 7, {\"chunks\":[]}]}";
  g_autoptr (GError) err = NULL;
  g_autoptr (CnvArchManifest) m = NULL;
  CnvArchParticipant *a, *b;
  CnvArchChunk *c;

  g_test_expect_message ("convene-archiver", G_LOG_LEVEL_WARNING, "*");
  g_test_expect_message ("convene-archiver", G_LOG_LEVEL_WARNING, "*");
  g_test_expect_message ("convene-archiver", G_LOG_LEVEL_WARNING, "*");
  g_test_expect_message ("convene-archiver", G_LOG_LEVEL_WARNING, "*");
  m = cnv_arch_manifest_parse ("/rec", json, -1, &err);
  g_test_assert_expected_messages ();
  g_assert_no_error (err);
  g_assert_cmpuint (m->participants->len, ==, 2);
  a = g_ptr_array_index (m->participants, 0);
  g_assert_cmpstr (a->id, ==, "a");
  g_assert_true (a->has_video);
  g_assert_false (a->has_audio);
  g_assert_cmpuint (a->chunks->len, ==, 2);
  c = g_ptr_array_index (a->chunks, 0);
  g_assert_cmpuint (c->index, ==, 0);
  g_assert_cmpstr (c->file, ==, "/rec/a/chunk-00000.mkv");
  b = g_ptr_array_index (m->participants, 1);
  /* no tracks listed: whatever the chunks hold */
  g_assert_true (b->has_video && b->has_audio);
  c = g_ptr_array_index (b->chunks, 0);
  g_assert_cmpuint (c->duration_ns, ==, 2000000000);
  g_assert_cmpint (m->start_wallclock_ns, ==, G_GINT64_CONSTANT (10000000000));
  g_assert_cmpint (m->end_wallclock_ns, ==, G_GINT64_CONSTANT (14000000000));
  g_assert_cmpuint (cnv_arch_manifest_duration_ns (m), ==, 4000000000u);
}

static void
test_manifest_refused (void)
{
  const char *bad[] = {
    "", "[]", "{}", "{\"version\":2,\"participants\":[]}",
    "{\"version\":1}", "{\"version\":1,\"participants\":[]}",
    "{\"version\":\"1\",\"participants\":[]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) err = NULL;
    g_autoptr (CnvArchManifest) m = cnv_arch_manifest_parse ("/rec", bad[i],
        -1, &err);

    g_assert_null (m);
    g_assert_nonnull (err);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/archiver/layout", test_layout);
  g_test_add_func ("/archiver/manifest", test_manifest);
  g_test_add_func ("/archiver/manifest-refused", test_manifest_refused);
  return g_test_run ();
}
