/* helpers.c — shared test helpers (see helpers.h). */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/cr_common.h"
#include "../grids/cr_grid.h"

int helper_tmpdir(char *buf, size_t n)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    snprintf(buf, n, "%s/cusprate_test_XXXXXX", base);
    return mkdtemp(buf) ? 0 : -1;
}

void helper_rm_rf(const char *dir)
{
    char cmd[1024];
    if (!dir || strlen(dir) < 8) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

void helper_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

const char *helper_root(void)
{
    const char *r = getenv("CUSPRATE_ROOT");
    return (r && *r) ? r : ".";
}

int helper_sanitized(void)
{
    const char *s = getenv("CUSPRATE_SANITIZED");
    return s && *s && strcmp(s, "0");
}

int helper_run_cli(const char *args, char *out, size_t n)
{
    const char *bin = getenv("CUSPRATE_BIN");
    if (!bin || !*bin) bin = "bin/cusprate";
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t used = 0;
    out[0] = '\0';
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) {
        if (used + 1 < n) {
            size_t take = got < n - 1 - used ? got : n - 1 - used;
            memcpy(out + used, buf, take);
            used += take;
            out[used] = '\0';
        }
    }
    int st = pclose(p);
    if (st == -1) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct cr_grid *helper_lfm_grid(int ni, int nj, int nk, const struct cr_log *log)
{
    struct cr_grid_spec s = {.log = log};
    cr_assert_eq(cr_grid_spec_preset(&s, "D"), CR_OK);
    s.ni = ni;
    s.nj = nj;
    s.nk = nk;
    s.dr_focus = 0.0; /* the default for this many radial cells */
    struct cr_grid *g = cr_grid_new(&s);
    cr_assert_not_null(g);
    return g;
}
