/* helpers.h — small shared helpers for the Criterion tests: temporary
 * folders, writing files, running the CLI and capturing its output. */
#ifndef CR_TEST_HELPERS_H
#define CR_TEST_HELPERS_H

#include <stddef.h>

/* Make a fresh temporary folder (under $TMPDIR or /tmp). 0 on success. */
int helper_tmpdir(char *buf, size_t n);

/* Remove a folder tree. */
void helper_rm_rf(const char *dir);

/* Write text to a file (aborts the test on failure). */
void helper_write_file(const char *path, const char *text);

/* Run `$CUSPRATE_BIN ARGS` with stdout+stderr captured into out; returns the
 * exit status (or -1 if it could not run). */
int helper_run_cli(const char *args, char *out, size_t n);

/* Path of the repository root ($CUSPRATE_ROOT or "."). */
const char *helper_root(void);

/* A small LFM grid: the D preset's shape with ni x nj x nk cells (dr_focus
 * left to its default for that many radial cells); asserts on failure. */
struct cr_grid;
struct cr_log;
struct cr_grid *helper_lfm_grid(int ni, int nj, int nk, const struct cr_log *log);

/* 1 when running under sanitizers/valgrind (tests may shrink sizes, never tolerances). */
int helper_sanitized(void);

#endif
