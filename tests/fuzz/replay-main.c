/* Replays fuzz inputs without libFuzzer, so that the corpus and every crash
 * ever found run in the ordinary test suite (gcc builds too). Arguments:
 * directories or files. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static int
replay_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, NULL)) {
    fprintf (stderr, "cannot read %s\n", path);
    return 1;
  }
  LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
  return 0;
}

int
main (int argc, char **argv)
{
  int failures = 0;
  guint n = 0;

  for (int i = 1; i < argc; i++) {
    g_autoptr (GDir) dir = NULL;
    const char *name;

    if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      failures += replay_file (argv[i]);
      n++;
      continue;
    }
    dir = g_dir_open (argv[i], 0, NULL);
    while (dir && (name = g_dir_read_name (dir))) {
      g_autofree char *path = g_build_filename (argv[i], name, NULL);
      if (g_str_has_suffix (name, ".md") || name[0] == '.')
        continue;
      printf ("replay %s\n", path);
      failures += replay_file (path);
      n++;
    }
  }
  printf ("%u input(s) replayed\n", n);
  return failures ? 1 : 0;
}
