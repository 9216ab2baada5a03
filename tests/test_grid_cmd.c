/* test_grid_cmd.c — the [grid] section and `cusprate grid`: presets and
 * overrides, grid.h5 read back (shapes and values), grid.xmf, and bad
 * [grid] keys giving exit status 2 with the key named and nothing written. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../grids/cr_grid_cmd.h"
#include "helpers.h"

static const struct cr_log quiet_log = {.level = CR_LEVEL_ERROR, .stream = NULL, .no_timestamps = 1};

static struct cr_config *load(const char *ini)
{
    struct cr_config *cfg = cr_config_new_all(&quiet_log);
    cr_assert_not_null(cfg);
    cr_assert_eq(cr_config_load_string(cfg, ini, "test.ini"), CR_OK, "%s", ini);
    return cfg;
}

Test(grid_cmd, presets_and_overrides)
{
    struct cr_grid_spec s;
    struct cr_config *cfg = load("[grid]\n");
    cr_assert_eq(cr_grid_spec_from_config(cfg, &s, &quiet_log), CR_OK);
    cr_assert(s.kind == CR_GRID_LFM && s.ni == 48 && s.nj == 48 && s.nk == 64, "default is the D grid");
    cr_assert_float_eq(s.dr_focus, 0.34, 1e-15);
    cr_config_release(cfg);
    cfg = load("[grid]\npreset = Q\nni = 60\nx_tail = 200\n");
    cr_assert_eq(cr_grid_spec_from_config(cfg, &s, &quiet_log), CR_OK);
    cr_assert(s.ni == 60 && s.nj == 96 && s.nk == 128, "explicit keys override the preset");
    cr_assert_float_eq(s.x_tail, 200.0, 0);
    cr_assert_float_eq(s.x_sun, 30.0, 0);
    cr_assert_float_eq(s.dr_focus, 0.34 * 48 / 60, 1e-15, "dr_focus follows ni unless given");
    cr_config_release(cfg);
    cfg = load("[grid]\nkind = warped\nni = 5\nnj = 6\nnk = 7\nbox = 0 1 -2 2 3 4\nperiodic_y = yes\nwarp_amp = 0.1\n");
    cr_assert_eq(cr_grid_spec_from_config(cfg, &s, &quiet_log), CR_OK);
    cr_assert(s.kind == CR_GRID_WARPED && s.ni == 5 && s.nj == 6 && s.nk == 7);
    cr_assert(s.lo[1] == -2 && s.hi[1] == 2 && s.lo[2] == 3 && s.hi[2] == 4 && s.periodic[1] && !s.periodic[0]);
    cr_assert_float_eq(s.warp_amp, 0.1, 0);
    cr_config_release(cfg);
}

Test(grid_cmd, writes_grid_h5_and_xmf)
{
    char dir[256], ini[512], cmd[1024], out[16384];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(ini, sizeof ini, "%s/g.ini", dir);
    char text[1024];
    snprintf(text, sizeof text, "[run]\ndir = %s/run\n[grid]\nkind = lfm\npreset = custom\nni = 8\nnj = 10\nnk = 12\n",
             dir);
    helper_write_file(ini, text);
    snprintf(cmd, sizeof cmd, "grid %s", ini);
    int st = helper_run_cli(cmd, out, sizeof out);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert(strstr(out, "8 x 10 x 12 = 960") && strstr(out, "smallest cell") && strstr(out, "largest cell") &&
                  strstr(out, "largest aspect ratio"),
              "%s", out);
    /* the same grid built here */
    struct cr_config *cfg = load(text);
    struct cr_grid_spec s;
    cr_assert_eq(cr_grid_spec_from_config(cfg, &s, &quiet_log), CR_OK);
    struct cr_grid *g = cr_grid_new(&s);
    cr_assert_not_null(g);
    char h5[600], xmf[600];
    snprintf(h5, sizeof h5, "%s/run/grid.h5", dir);
    snprintf(xmf, sizeof xmf, "%s/run/grid.xmf", dir);
    cr_h5_quiet();
    hid_t f = cr_h5_open_read(h5, &quiet_log);
    cr_assert_geq(f, 0);
    int rank;
    hsize_t dims[8];
    const char *names[3] = {"X", "Y", "Z"};
    const double *src[3] = {g->x, g->y, g->z};
    double *buf = malloc(sizeof(double) * 13 * 11 * 9);
    for (int c = 0; c < 3; c++) {
        cr_assert_eq(cr_h5_shape(f, names[c], &rank, dims, h5, &quiet_log), CR_OK);
        cr_assert(rank == 3 && dims[0] == 13 && dims[1] == 11 && dims[2] == 9, "%s shape", names[c]);
        cr_assert_eq(cr_h5_read_doubles(f, names[c], buf, 13 * 11 * 9, h5, &quiet_log), CR_OK);
        for (int k = 0, n = 0; k <= 12; k++)
            for (int j = 0; j <= 10; j++)
                for (int i = 0; i <= 8; i++, n++) cr_assert_eq(buf[n], src[c][CR_GIDX(g, i, j, k)]);
    }
    cr_assert_eq(cr_h5_shape(f, "dV", &rank, dims, h5, &quiet_log), CR_OK);
    cr_assert(rank == 3 && dims[0] == 12 && dims[1] == 10 && dims[2] == 8);
    cr_assert_eq(cr_h5_read_doubles(f, "dV", buf, 12 * 10 * 8, h5, &quiet_log), CR_OK);
    for (int k = 0, n = 0; k < 12; k++)
        for (int j = 0; j < 10; j++)
            for (int i = 0; i < 8; i++, n++) cr_assert_eq(buf[n], g->vol[CR_GIDX(g, i, j, k)]);
    char unit[64] = "", conf[8192] = "";
    cr_assert_eq(cr_h5_read_attr_string(f, "X", "units", unit, sizeof unit), CR_OK);
    cr_assert_str_eq(unit, "R_E");
    cr_assert_eq(cr_h5_read_attr_string(f, ".", "config", conf, sizeof conf), CR_OK);
    cr_assert(strstr(conf, "[grid]") && strstr(conf, "nk = 12"), "%s", conf);
    H5Fclose(f);
    free(buf);
    /* the XDMF companion points at the datasets with the right shapes */
    FILE *x = fopen(xmf, "r");
    cr_assert_not_null(x);
    char xt[4096] = "";
    size_t got = fread(xt, 1, sizeof xt - 1, x);
    xt[got] = '\0';
    fclose(x);
    cr_assert(strstr(xt, "3DSMesh") && strstr(xt, "\"13 11 9\"") && strstr(xt, "grid.h5:/X") &&
                  strstr(xt, "grid.h5:/dV") && strstr(xt, "Center=\"Cell\"") && strstr(xt, "\"12 10 8\""),
              "%s", xt);
    cr_grid_release(g);
    cr_config_release(cfg);
    helper_rm_rf(dir);
}

Test(grid_cmd, bad_grid_keys_exit_2_naming_the_key)
{
    char dir[256];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    struct {
        const char *ini;
        const char *want;
    } cases[] = {
        {"[grid]\nnii = 4\n", "grid.nii"},
        {"[grid]\nkind = spherical\n", "grid.kind"},
        {"[grid]\nwarp_amp = 0.9\n", "grid.warp_amp"},
        {"[grid]\nng = 2\n", "grid.ng"},
        {"[grid]\nkind = lfm\npreset = custom\nnk = 63\n", "grid.nk"},
        {"[grid]\nkind = lfm\nr_focus = 50\n", "grid.r_focus"},
        {"[grid]\nkind = cartesian\nbox = 0 1 0 1 0\n", "grid.box"},
        {"[grid]\nkind = cartesian\nbox = 0 1 2 1 0 1\n", "grid.box"},
        {"[grid]\nkind = lfm\nj_warp = 4\n", "grid.j_warp"},
    };
    for (size_t c = 0; c < CR_ARRAY_LEN(cases); c++) {
        char ini[512], outdir[512], cmd[1200], out[8192];
        snprintf(ini, sizeof ini, "%s/case%zu.ini", dir, c);
        snprintf(outdir, sizeof outdir, "%s/out%zu", dir, c);
        helper_write_file(ini, cases[c].ini);
        snprintf(cmd, sizeof cmd, "grid %s run.dir=%s", ini, outdir);
        int st = helper_run_cli(cmd, out, sizeof out);
        cr_assert_eq(st, 2, "case %zu: exit %d: %s", c, st, out);
        cr_assert(strstr(out, cases[c].want), "case %zu: message lacks '%s': %s", c, cases[c].want, out);
        struct stat sb;
        cr_assert(stat(outdir, &sb) != 0, "case %zu: output folder was created", c);
    }
    helper_rm_rf(dir);
}
