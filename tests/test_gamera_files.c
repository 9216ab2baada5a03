/* test_gamera_files.c — the MHD-slice reader on files in GAMERA's own
 * layout, written here with plain HDF5 from the published layout (kaipy's
 * readers: kaipy/kaiH5.py, kaipy/gamera/gampp.py): serial and MPI-tiled
 * (<stem>_RRRR_RRRR_RRRR_iiii_jjjj_kkkk.gam.h5), with and without per-step
 * `time` attributes (GAMERA's root group timeAttributeCache, per-step MJD, or
 * the [slices] keys), float32, code units (no UnitsID: kaipy's default) and
 * physical units (UnitsID = EARTH), a spin-up at negative times. The field is
 * linear in space and time, which the reader's trilinear and linear-in-time
 * interpolation reproduces exactly, so every value is checked against the
 * formula (float32 files to their rounding). Also the mhd.h5 that cusprate
 * writes for kaipy: UnitsID, MJD per step from [run] epoch, MagM0. */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_epoch.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"
#include "../grids/cr_grid.h"
#include "../mhd/cr_mhd_io.h"
#include "../grids/cr_field.h"
#include "../grids/cr_field_mhd.h"
#include "cf_check.h"
#include "helpers.h"
#include "test_mhd_common.h"

/* GAMERA's code-unit scales (R_E = 6378.1 km, 1 /cc, 100 km/s; mu0 = 1). */
#define SC_T (6378.1e3 / 1e5)
#define SC_B (sqrt(1.25663706212e-6 * 1.67262192369e-27 * 1e6) * 1e5 / 1e-9)

static struct cr_log quiet = {.level = CR_LEVEL_ERROR, .stream = NULL, .no_timestamps = 1};

enum { T_ATTR, T_CACHE, T_MJD, T_NONE };
enum { U_NONE, U_CODE, U_EARTH };

struct gam {
    int ni, nj, nk;       /* global cells */
    int ri, rj, rk;       /* tiles */
    int f32;              /* float32 datasets */
    int units;            /* U_* */
    int tmode;            /* T_* */
    int ns;
    const double *t;      /* physical times [s] */
    double epoch_mjd;     /* for T_MJD */
};

/* Physical field, linear in x and t. */
static void field(const double c[3], double t, double B[3], double V[3], double *D)
{
    B[0] = 3.0 + 0.5 * c[0] - 0.25 * c[1] + 0.002 * t;
    B[1] = -1.0 + 0.1 * c[2] + 0.3 * c[0] - 0.001 * t;
    B[2] = 7.0 - 0.7 * c[1] + 0.2 * c[2] + 0.005 * t;
    V[0] = -400.0 + 2.0 * c[0] + 0.1 * t;
    V[1] = 10.0 * c[2] - 0.05 * t;
    V[2] = 5.0 + c[1];
    *D = 5.0 + 0.1 * c[0] + 0.001 * t;
}

static const double LO[3] = {4.0, -2.5, -2.0}, HI[3] = {10.0, 2.5, 2.0};

static double corner(int d, int i, int j, int k, const struct gam *g)
{
    const int n[3] = {g->ni, g->nj, g->nk}, idx[3] = {i, j, k};
    return LO[d] + (HI[d] - LO[d]) * idx[d] / n[d];
}

static void put(hid_t loc, const char *name, int f32, const hsize_t d[3], const double *v)
{
    hid_t sp = H5Screate_simple(3, d, NULL);
    hid_t ds = H5Dcreate2(loc, name, f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    cr_assert_geq(ds, 0);
    cr_assert_geq(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    H5Dclose(ds);
    H5Sclose(sp);
}

static void attr_d(hid_t loc, const char *name, double v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(a);
    H5Sclose(sp);
}

static void attr_s(hid_t loc, const char *name, const char *v)
{
    hid_t ty = H5Tcopy(H5T_C_S1);
    H5Tset_size(ty, strlen(v));
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ty, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, ty, v);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(ty);
}

static void put1(hid_t loc, const char *name, int n, const double *v)
{
    hsize_t d = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &d, NULL);
    hid_t ds = H5Dcreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(ds);
    H5Sclose(sp);
}

/* Write one file (a tile at cell offsets i0, j0, k0 of tni x tnj x tnk cells). */
static void write_tile(const char *path, const struct gam *g, int i0, int j0, int k0, int tni, int tnj, int tnk)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(f, 0, "%s", path);
    if (g->units == U_CODE) attr_s(f, "UnitsID", "CODE");
    if (g->units == U_EARTH) attr_s(f, "UnitsID", "EARTH");
    const int code = g->units != U_EARTH;
    size_t nc = (size_t)(tni + 1) * (tnj + 1) * (tnk + 1), n = (size_t)tni * tnj * tnk;
    double *buf = malloc((nc > 7 * n ? nc : 7 * n) * sizeof(double));
    hsize_t cd[3] = {(hsize_t)tnk + 1, (hsize_t)tnj + 1, (hsize_t)tni + 1};
    static const char *const cn[3] = {"X", "Y", "Z"};
    for (int d = 0; d < 3; d++) {
        size_t q = 0;
        for (int k = 0; k <= tnk; k++)
            for (int j = 0; j <= tnj; j++)
                for (int i = 0; i <= tni; i++) buf[q++] = corner(d, i0 + i, j0 + j, k0 + k, g);
        put(f, cn[d], g->f32, cd, buf);
    }
    static const char *const vn[7] = {"Bx", "By", "Bz", "Vx", "Vy", "Vz", "D"};
    hsize_t dd[3] = {(hsize_t)tnk, (hsize_t)tnj, (hsize_t)tni};
    for (int s = 0; s < g->ns; s++) {
        for (int k = 0; k < tnk; k++)
            for (int j = 0; j < tnj; j++)
                for (int i = 0; i < tni; i++) {
                    double c[3], B[3], V[3], D;
                    for (int d = 0; d < 3; d++)
                        c[d] = 0.5 * (corner(d, i0 + i, j0 + j, k0 + k, g) +
                                      corner(d, i0 + i + 1, j0 + j + 1, k0 + k + 1, g));
                    field(c, g->t[s], B, V, &D);
                    size_t q = ((size_t)k * tnj + j) * tni + i;
                    for (int a = 0; a < 3; a++) {
                        buf[a * n + q] = code ? B[a] / SC_B : B[a];
                        buf[(3 + a) * n + q] = code ? V[a] / 100.0 : V[a];
                    }
                    buf[6 * n + q] = D;
                }
        char grp[32];
        snprintf(grp, sizeof grp, "Step#%d", s + 3); /* GAMERA's numbering need not start at 0 */
        hid_t gr = H5Gcreate2(f, grp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g->tmode == T_ATTR) attr_d(gr, "time", code ? g->t[s] / SC_T : g->t[s]);
        if (g->tmode == T_MJD) attr_d(gr, "MJD", g->epoch_mjd + g->t[s] / 86400.0);
        for (int v = 0; v < 7; v++) put(gr, vn[v], g->f32, dd, buf + (size_t)v * n);
        H5Gclose(gr);
    }
    if (g->tmode == T_CACHE) {
        hid_t c = H5Gcreate2(f, "timeAttributeCache", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        double st[16], tt[16];
        for (int s = 0; s < g->ns; s++) {
            st[s] = s + 3;
            tt[s] = code ? g->t[s] / SC_T : g->t[s];
        }
        put1(c, "step", g->ns, st);
        put1(c, "time", g->ns, tt);
        H5Gclose(c);
    }
    free(buf);
    H5Fclose(f);
}

/* Serial file at path, or tiles <stem>_RRRR_..._kkkk.gam.h5 (path receives tile (0,0,0)'s name). */
static void write_gam(const char *dir, const char *stem, const struct gam *g, char *path, size_t n)
{
    if (g->ri * g->rj * g->rk == 1) {
        snprintf(path, n, "%s/%s.gam.h5", dir, stem);
        write_tile(path, g, 0, 0, 0, g->ni, g->nj, g->nk);
        return;
    }
    int tni = g->ni / g->ri, tnj = g->nj / g->rj, tnk = g->nk / g->rk;
    for (int i = 0; i < g->ri; i++)
        for (int j = 0; j < g->rj; j++)
            for (int k = 0; k < g->rk; k++) {
                char p[600];
                snprintf(p, sizeof p, "%s/%s_%04d_%04d_%04d_%04d_%04d_%04d.gam.h5", dir, stem, g->ri, g->rj, g->rk,
                         i, j, k);
                write_tile(p, g, i * tni, j * tnj, k * tnk, tni, tnj, tnk);
                if (i + j + k == 0) snprintf(path, n, "%s", p);
            }
}

/* Check the field at random interior points and times against field(). */
static void check_values(struct cr_field_mhd *m, const struct gam *g, double rel)
{
    const struct cr_field *f = cr_field_mhd_field(m);
    unsigned seed = 7;
    for (int w = 0; w + 1 < g->ns; w++) {
        for (int q = 0; q < 20; q++) {
            double x[3], t = g->t[w] + (g->t[w + 1] - g->t[w]) * (rand_r(&seed) / (double)RAND_MAX);
            for (int d = 0; d < 3; d++) {
                const int nn[3] = {g->ni, g->nj, g->nk};
                double h = (HI[d] - LO[d]) / nn[d];
                x[d] = LO[d] + 0.5 * h + (HI[d] - LO[d] - h) * (rand_r(&seed) / (double)RAND_MAX);
            }
            cr_assert_eq(cr_field_mhd_set_time(m, t), CR_OK);
            struct cr_field_sample s;
            cr_assert_eq(cr_field_eval(f, t, x, &s), CR_OK);
            double B[3], V[3], D;
            field(x, t, B, V, &D);
            for (int d = 0; d < 3; d++) {
                cr_assert_float_eq(s.B[d], B[d], rel * 10.0, "B[%d] at t = %g: %.10g vs %.10g", d, t, s.B[d], B[d]);
                cr_assert_float_eq(s.V[d], V[d], rel * 500.0, "V[%d] at t = %g: %.10g vs %.10g", d, t, s.V[d], V[d]);
            }
            cr_assert_float_eq(s.D, D, rel * 10.0, "D at t = %g", t);
        }
    }
}

static const double T3[3] = {-60.0, 0.0, 60.0}; /* a spin-up before t = 0 */

Test(gamera_files, code_units_float32_serial_converted_with_gamera_normalisation)
{
    char dir[256], path[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    struct gam g = {.ni = 6, .nj = 5, .nk = 4, .ri = 1, .rj = 1, .rk = 1, .f32 = 1, .units = U_NONE,
                    .tmode = T_ATTR, .ns = 3, .t = T3};
    write_gam(dir, "msphere", &g, path, sizeof path);
    int st;
    struct cr_field_mhd_inp in = {.path = path, .log = &quiet};
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m, "status %d", st);
    cr_assert_eq(cr_field_mhd_code_units(m), 1, "no UnitsID in a GAMERA file: code units (kaipy's default)");
    cr_assert_eq(cr_field_mhd_nslices(m), 3);
    for (int s = 0; s < 3; s++)
        cr_assert_float_eq(cr_field_mhd_slice_time(m, s), T3[s], 1e-9, "time of slice %d: %g", s,
                           cr_field_mhd_slice_time(m, s));
    check_values(m, &g, 3e-6); /* float32: relative rounding 6e-8 of values up to ~500 */
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}

Test(gamera_files, units_key_overrides_and_earth_is_physical)
{
    char dir[256], path[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    struct gam g = {.ni = 6, .nj = 5, .nk = 4, .ri = 1, .rj = 1, .rk = 1, .units = U_EARTH, .tmode = T_ATTR, .ns = 3,
                    .t = T3};
    write_gam(dir, "msphere", &g, path, sizeof path);
    int st;
    struct cr_field_mhd_inp in = {.path = path, .log = &quiet};
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m, "status %d", st);
    cr_assert_eq(cr_field_mhd_code_units(m), 0, "UnitsID = EARTH is physical");
    check_values(m, &g, 1e-12);
    cr_field_mhd_release(m);
    /* forcing code units scales the same file: B x 4.585 */
    in.units = CR_MHD_UNITS_CODE;
    m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m);
    cr_assert_eq(cr_field_mhd_code_units(m), 1);
    cr_assert_float_eq(cr_field_mhd_slice_time(m, 2), 60.0 * SC_T, 1e-9);
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}

Test(gamera_files, mpi_tiles_assembled_and_time_from_the_attribute_cache)
{
    char dir[256], path[700], spath[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    struct gam g = {.ni = 6, .nj = 4, .nk = 4, .ri = 2, .rj = 1, .rk = 2, .units = U_CODE, .tmode = T_CACHE, .ns = 3,
                    .t = T3};
    write_gam(dir, "msphere", &g, path, sizeof path);
    struct gam gs = g;
    gs.ri = gs.rj = gs.rk = 1;
    write_gam(dir, "serial", &gs, spath, sizeof spath);
    int st;
    struct cr_field_mhd_inp in = {.path = path, .log = &quiet};
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m, "status %d", st);
    const struct cr_grid *gr = cr_field_mhd_grid(m);
    cr_assert(gr->ni == 6 && gr->nj == 4 && gr->nk == 4, "global grid from 2 x 1 x 2 tiles: %d %d %d", gr->ni, gr->nj,
              gr->nk);
    cr_assert_str_eq(cr_field_mhd_time_source(m), "timeAttributeCache");
    for (int s = 0; s < 3; s++) cr_assert_float_eq(cr_field_mhd_slice_time(m, s), T3[s], 1e-9);
    check_values(m, &g, 1e-12);
    /* the same values as the serial file, bit for bit */
    struct cr_field_mhd_inp ins = {.path = spath, .log = &quiet};
    struct cr_field_mhd *ms = cr_field_mhd_new(&ins, &st);
    cr_assert_not_null(ms);
    double x[3] = {6.3, 0.7, -1.1};
    cr_assert_eq(cr_field_mhd_set_time(m, -20.0), CR_OK);
    cr_assert_eq(cr_field_mhd_set_time(ms, -20.0), CR_OK);
    struct cr_field_sample a, b;
    cr_assert_eq(cr_field_eval(cr_field_mhd_field(m), -20.0, x, &a), CR_OK);
    cr_assert_eq(cr_field_eval(cr_field_mhd_field(ms), -20.0, x, &b), CR_OK);
    cr_assert_eq(memcmp(a.B, b.B, sizeof a.B), 0);
    cr_assert_eq(memcmp(a.V, b.V, sizeof a.V), 0);
    cr_field_mhd_release(ms);
    cr_field_mhd_release(m);
    /* any tile's name opens the whole output */
    char other[760];
    snprintf(other, sizeof other, "%s/msphere_0002_0001_0002_0001_0000_0001.gam.h5", dir);
    in.path = other;
    m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m);
    cr_assert_eq(cr_field_mhd_grid(m)->ni, 6);
    cr_field_mhd_release(m);
    /* a missing tile is named */
    cr_assert_eq(remove(other), 0);
    FILE *lf = tmpfile();
    struct cr_log cap = {.level = CR_LEVEL_ERROR, .stream = lf, .no_timestamps = 1};
    in.path = path;
    in.log = &cap;
    cr_assert_null(cr_field_mhd_new(&in, &st));
    cr_assert_eq(st, CR_ECONFIG);
    char msg[2048] = "";
    rewind(lf);
    msg[fread(msg, 1, sizeof msg - 1, lf)] = '\0';
    fclose(lf);
    cr_assert(strstr(msg, "msphere_0002_0001_0002_0001_0000_0001.gam.h5") && strstr(msg, "tile (1, 0, 1)"), "%s",
              msg);
    helper_rm_rf(dir);
}

Test(gamera_files, steps_without_time_need_a_key_and_take_it)
{
    char dir[256], path[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    struct gam g = {.ni = 6, .nj = 5, .nk = 4, .ri = 1, .rj = 1, .rk = 1, .units = U_EARTH, .tmode = T_NONE, .ns = 3,
                    .t = T3};
    write_gam(dir, "msphere", &g, path, sizeof path);
    FILE *lf = tmpfile();
    struct cr_log cap = {.level = CR_LEVEL_ERROR, .stream = lf, .no_timestamps = 1};
    int st;
    struct cr_field_mhd_inp in = {.path = path, .log = &cap};
    cr_assert_null(cr_field_mhd_new(&in, &st));
    cr_assert_eq(st, CR_ECONFIG);
    char msg[2048] = "";
    rewind(lf);
    msg[fread(msg, 1, sizeof msg - 1, lf)] = '\0';
    fclose(lf);
    cr_assert(strstr(msg, "Step#3") && strstr(msg, "slices.times") && strstr(msg, "slices.cadence"), "%s", msg);
    /* the times given as a list */
    in.log = &quiet;
    in.times = T3;
    in.ntimes = 3;
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m, "status %d", st);
    check_values(m, &g, 1e-12);
    cr_field_mhd_release(m);
    in.ntimes = 2;
    cr_assert_null(cr_field_mhd_new(&in, &st), "two times for three steps");
    /* ... or as a cadence from a negative first time */
    in.ntimes = 0;
    in.cadence = 60.0;
    in.first_time = -60.0;
    m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m);
    cr_assert_float_eq(cr_field_mhd_slice_time(m, 0), -60.0, 1e-12);
    check_values(m, &g, 1e-12);
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}

Test(gamera_files, mjd_steps_relative_to_the_run_epoch)
{
    char dir[256], path[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    struct cr_epoch ep;
    cr_assert_eq(cr_epoch_parse("2015-03-17T04:00:00Z", &ep), CR_OK);
    cr_assert_float_eq(ep.mjd, 57098.0 + 4.0 / 24.0, 1e-9, "MJD of 2015-03-17T04:00 (St Patrick's day storm)");
    struct gam g = {.ni = 6, .nj = 5, .nk = 4, .ri = 1, .rj = 1, .rk = 1, .units = U_EARTH, .tmode = T_MJD, .ns = 3,
                    .t = T3, .epoch_mjd = ep.mjd};
    write_gam(dir, "msphere", &g, path, sizeof path);
    int st;
    struct cr_field_mhd_inp in = {.path = path, .log = &quiet, .epoch = ep, .has_epoch = 1};
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m, "status %d", st);
    for (int s = 0; s < 3; s++)
        cr_assert(fabs(cr_field_mhd_slice_time(m, s) - T3[s]) < 1e-3, "slice %d at %.6f s", s,
                  cr_field_mhd_slice_time(m, s)); /* MJD in double: ~1 us */
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}

Test(gamera_files, epoch_parsing)
{
    struct cr_epoch e;
    cr_assert_eq(cr_epoch_parse("2000-01-01T00:00:00Z", &e), CR_OK);
    cr_assert_float_eq(e.mjd, 51544.0, 1e-12);
    cr_assert_str_eq(e.iso, "2000-01-01T00:00:00Z");
    cr_assert_eq(cr_epoch_parse("1858-11-17", &e), CR_OK);
    cr_assert_float_eq(e.mjd, 0.0, 1e-12);
    cr_assert_eq(cr_epoch_parse("2024-02-29 12:30:15.5", &e), CR_OK);
    cr_assert_str_eq(e.iso, "2024-02-29T12:30:15.5Z");
    cr_assert_float_eq(e.mjd, 60369.0 + (12 * 3600 + 30 * 60 + 15.5) / 86400.0, 1e-9);
    const char *bad[] = {"2023-02-29", "2000-13-01", "2000-01-01T24:00", "yesterday", "2000-01-01T00:00:00+02", ""};
    for (size_t q = 0; q < sizeof bad / sizeof *bad; q++) cr_assert_eq(cr_epoch_parse(bad[q], &e), CR_ECONFIG, "%s", bad[q]);
}

static void rest_state(void *ctx, const double x[3], double w[5])
{
    (void)ctx, (void)x;
    w[0] = 1.0;
    w[1] = w[2] = w[3] = 0.0;
    w[4] = 1.0;
}

/* mhd.h5 for kaipy: UnitsID EARTH with physical units (kaipy's GamsphPipe
 * then leaves values unscaled), MJD per step from [run] epoch, MagM0 [nT];
 * UnitsID CODE and no MJD for normalised units. */
Test(gamera_files, mhd_h5_names_units_epoch_and_dipole_for_kaipy)
{
    char dir[256], path[700];
    for (int phys = 0; phys < 2; phys++) {
        cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
        const double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
        struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0.0, 4, 4, 4, lo, hi, NULL);
        struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.3);
        struct cr_mhd_units u;
        if (phys) cr_mhd_units_physical(&u, 6371.2e3, 1.0, 100.0);
        else cr_mhd_units_code(&u);
        in.units = &u;
        struct cr_mhd *m = cr_mhd_new(&in);
        cr_assert_not_null(m);
        cr_assert_eq(cr_mhd_init_prim(m, rest_state, NULL), 0);
        struct cr_config *cfg = cr_config_new_all(&quiet);
        cr_assert_eq(cr_config_override(cfg, "run.epoch=2015-03-17T04:00:00Z"), CR_OK);
        struct cr_mhd_out_inp oi = {.dir = dir, .cfg = cfg, .problem = "test", .log = &quiet, .dipole_nt = 31000.0};
        struct cr_mhd_out *o = cr_mhd_out_open(m, &oi);
        cr_assert_not_null(o);
        cr_assert_eq(cr_mhd_out_write(o, m), CR_OK);
        cr_assert_eq(tmhd_run(m, 1e9, 3), 0);
        cr_assert_eq(cr_mhd_out_write(o, m), CR_OK);
        double t1 = cr_mhd_time(m) * u.time;
        cr_assert_eq(cr_mhd_out_close(o, 1), CR_OK);
        snprintf(path, sizeof path, "%s/mhd.h5", dir);
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        cr_assert_geq(f, 0);
        char uid[32] = "";
        cr_assert_eq(cr_h5_read_attr_string(f, ".", "UnitsID", uid, sizeof uid), CR_OK);
        cr_assert_str_eq(uid, phys ? "EARTH" : "CODE");
        double v;
        cr_assert_eq(cr_h5_read_attr_double(f, ".", "MagM0", &v), CR_OK);
        cr_assert_eq(v, -31000.0, "MagM0 = -(dipole equatorial field) [nT], kaipy's sign");
        if (phys) {
            double tt;
            cr_assert_eq(cr_h5_read_attr_double(f, "Step#1", "MJD", &v), CR_OK);
            cr_assert_eq(cr_h5_read_attr_double(f, "Step#1", "time", &tt), CR_OK);
            cr_assert_float_eq(tt, t1, 1e-12 * t1);
            cr_assert_float_eq(v, 57098.0 + 4.0 / 24.0 + t1 / 86400.0, 1e-9, "MJD %.9f", v);
            char iso[64] = "";
            cr_assert_eq(cr_h5_read_attr_string(f, ".", "epoch_utc", iso, sizeof iso), CR_OK);
            cr_assert_str_eq(iso, "2015-03-17T04:00:00Z");
        } else {
            cr_assert_neq(cr_h5_read_attr_double(f, "Step#1", "MJD", &v), CR_OK, "no MJD for code time");
        }
        H5Fclose(f);
        cr_config_release(cfg);
        cr_mhd_release(m);
        cr_grid_release(g);
        helper_rm_rf(dir);
    }
}

Test(gamera_files, bad_epoch_is_a_configuration_error)
{
    char out[8192], args[1024];
    snprintf(args, sizeof args, "config %s/runs/southward_quick.ini run.epoch=2015-02-30T00:00:00Z", helper_root());
    int rc = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "[run] epoch") && strstr(out, "2015-02-30") && strstr(out, "YYYY-MM-DD"), "%s", out);
}

int flux_test_write_dgrid(const char *path, double b0); /* test_fieldline_mhd.c: two slices, 0 and 60 s */

/* A stage on GAMERA-like steps without `time` attributes: refused with the
 * keys to use, then read with slices.times at spin-up (negative) times, and
 * a negative time in flux.t_start (once the "first slice" sentinel -1). */
Test(gamera_files, flux_on_steps_without_time_at_negative_times, .timeout = 120)
{
    char dir[256], ini[512], args[2048], out[16384], path[600], od[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(od, sizeof od, "%s/out", dir);
    cr_assert_eq(cr_mkdir_p(od, NULL), 0);
    snprintf(path, sizeof path, "%s/out/mhd.h5", dir);
    cr_assert_eq(flux_test_write_dgrid(path, 10.0), CR_OK);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    cr_assert_geq(H5Adelete_by_name(f, "Step#0", "time", H5P_DEFAULT), 0);
    cr_assert_geq(H5Adelete_by_name(f, "Step#1", "time", H5P_DEFAULT), 0);
    H5Fclose(f);
    snprintf(ini, sizeof ini, "%s/d.ini", dir);
    helper_write_file(ini, "[run]\ndir = out\n[flux]\nmlat_min = 62\ndlat = 0.25\ndmlt = 2\nmlt_bin = 4\n"
                           "xline_samples = 0\n");
    snprintf(args, sizeof args, "flux %s", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "Step#0") && strstr(out, "slices.times"), "%s", out);
    snprintf(args, sizeof args, "flux %s slices.times=-120,-60 flux.t_start=-120", ini);
    int st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "exit %d:\n%s", st, out);
    snprintf(path, sizeof path, "%s/out/flux.nc", dir);
    CF_ASSERT_FILE(path);
    int nc, v;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    cr_assert_eq(nc_inq_varid(nc, "time", &v), NC_NOERR);
    double t0 = 0;
    size_t at = 0;
    cr_assert_eq(nc_get_var1_double(nc, v, &at, &t0), NC_NOERR);
    cr_assert_eq(t0, -120.0, "first interval at the spin-up time -120 s, got %g", t0);
    char ep[64] = "";
    size_t el = 0;
    cr_assert_eq(nc_inq_attlen(nc, NC_GLOBAL, "epoch_utc", &el), NC_NOERR, "the run epoch is recorded");
    cr_assert(el < sizeof ep);
    nc_get_att_text(nc, NC_GLOBAL, "epoch_utc", ep);
    cr_assert_str_eq(ep, "2000-01-01T00:00:00Z");
    nc_close(nc);
    helper_rm_rf(dir);
}

/* A GAMERA grid file (the corner arrays with 4 ghost layers on every side,
 * kaipy/gamera/gamGrids.py's layout, the axis a tiny polar angle off the X
 * axis) is the grid of a run: `cusprate grid` reports it and writes its
 * active corners exactly, a magnetosphere runs on it, and contradicting keys
 * or a wrong ghost count are refused. */
Test(gamera_files, gamera_grid_file_is_the_grid_of_a_run, .timeout = 120)
{
    char dir[256], path[700], ini[700], args[2048], out[16384];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    struct cr_grid *g = helper_lfm_grid(16, 12, 16, &quiet);
    const int ng = 4, NI = g->ni + 1 + 2 * ng, NJ = g->nj + 1 + 2 * ng, NK = g->nk + 1 + 2 * ng;
    const size_t nall = (size_t)NI * NJ * NK;
    double *c[3];
    for (int q = 0; q < 3; q++) {
        c[q] = malloc(nall * sizeof(double));
        for (size_t m = 0; m < nall; m++) c[q][m] = 1e3; /* ghosts: any value, dropped on reading */
    }
    for (int k = 0; k <= g->nk; k++)
        for (int j = 0; j <= g->nj; j++)
            for (int i = 0; i <= g->ni; i++) {
                size_t m = CR_GIDX(g, i, j, k), a = ((size_t)(k + ng) * NJ + (j + ng)) * NI + (i + ng);
                double x = g->x[m], y = g->y[m], z = g->z[m];
                if (j == 0 || j == g->nj) { /* GAMERA: polar angle TINY off the axis */
                    double r = fabs(x), ph = 2.0 * CR_PI * k / g->nk;
                    y = r * sin(3e-8) * cos(ph);
                    z = r * sin(3e-8) * sin(ph);
                }
                c[0][a] = x;
                c[1][a] = y;
                c[2][a] = z;
            }
    snprintf(path, sizeof path, "%s/lfmD.h5", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t d[3] = {(hsize_t)NK, (hsize_t)NJ, (hsize_t)NI};
    static const char *const cn[3] = {"X", "Y", "Z"};
    for (int q = 0; q < 3; q++) put(f, cn[q], 0, d, c[q]);
    H5Fclose(f);
    snprintf(ini, sizeof ini, "%s/g.ini", dir);
    helper_write_file(ini, "[run]\ndir = out\n[grid]\nfile = lfmD.h5\n[problem]\nname = magnetosphere\n[msphere]\n"
                           "t_end = 2\n");
    snprintf(args, sizeof args, "grid %s", ini);
    int st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert(strstr(out, "16 x 12 x 16") || strstr(out, "16x12x16"), "%s", out);
    snprintf(path, sizeof path, "%s/out/grid.h5", dir);
    hid_t gf = cr_h5_open_read(path, &quiet);
    size_t na = (size_t)(g->ni + 1) * (g->nj + 1) * (g->nk + 1);
    double *gx = malloc(na * sizeof(double));
    cr_assert_eq(cr_h5_read_doubles(gf, "X", gx, na, path, &quiet), CR_OK);
    H5Fclose(gf);
    size_t n = 0;
    for (int k = 0; k <= g->nk; k++)
        for (int j = 0; j <= g->nj; j++)
            for (int i = 0; i <= g->ni; i++, n++)
                cr_assert_eq(gx[n], c[0][((size_t)(k + ng) * NJ + (j + ng)) * NI + (i + ng)], "corner %zu", n);
    free(gx);
    /* a magnetosphere on it */
    snprintf(args, sizeof args, "mhd %s run.threads=1 run.progress=never", ini);
    st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "%s", out);
    snprintf(path, sizeof path, "%s/out/mhd.h5", dir);
    hid_t mf = cr_h5_open_read(path, &quiet);
    cr_assert_geq(mf, 0);
    size_t nc = (size_t)g->ni * g->nj * g->nk;
    double *dd = malloc(nc * sizeof(double));
    cr_assert_eq(cr_h5_read_doubles(mf, "Step#0/D", dd, nc, path, &quiet), CR_OK);
    for (size_t q = 0; q < nc; q++) cr_assert(isfinite(dd[q]) && dd[q] > 0, "D[%zu] = %g", q, dd[q]);
    free(dd);
    H5Fclose(mf);
    /* the ghost layers must be said; a shaping key contradicts the file */
    snprintf(args, sizeof args, "grid %s grid.file_ghosts=0", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "grid.file") && strstr(out, "lfmD.h5"), "%s", out);
    snprintf(args, sizeof args, "grid %s grid.ni=16", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "grid.ni") && strstr(out, "remove one"), "%s", out);
    for (int q = 0; q < 3; q++) free(c[q]);
    cr_grid_release(g);
    helper_rm_rf(dir);
}

/* mhd.xmf for ParaView without ParaView (tools/check_xdmf.py: every DataItem
 * names an existing dataset of its shape, hyperslabs and JOINs consistent):
 * the vectors V, B, J on the MHD grid and the two ionospheres per slice of a
 * magnetosphere, the vectors of a verification problem; the checker itself
 * refuses a wrong shape. `cusprate pack` writes one self-contained
 * mhd.gam.h5 (hard links only, the same values, the root attributes). */
Test(gamera_files, xdmf_vectors_ionosphere_and_self_contained_pack, .timeout = 120)
{
    if (system("/usr/bin/python3 -c 'import h5py, numpy' >/dev/null 2>&1") != 0)
        cr_skip_test("python3 with h5py not available");
    char dir[256], ini[700], args[2048], out[16384], cmd[2048], path[700], packed[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(ini, sizeof ini, "%s/m.ini", dir);
    helper_write_file(ini, "[run]\ndir = out\n[grid]\npreset = custom\nni = 16\nnj = 12\nnk = 16\n[problem]\n"
                           "name = magnetosphere\n[msphere]\nt_end = 2\n");
    snprintf(args, sizeof args, "mhd %s run.threads=1 run.progress=never", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 %s/tools/check_xdmf.py %s/out/mhd.xmf --vectors V,B,J "
             "--grids Ionosphere_north,Ionosphere_south >%s/check.txt 2>&1",
             helper_root(), dir, dir);
    int st = system(cmd);
    snprintf(path, sizeof path, "%s/check.txt", dir);
    FILE *cf = fopen(path, "r");
    char msg[4096] = "";
    if (cf) {
        msg[fread(msg, 1, sizeof msg - 1, cf)] = '\0';
        fclose(cf);
    }
    cr_assert_eq(st, 0, "%s", msg);
    /* a wrong Dimensions is caught */
    snprintf(cmd, sizeof cmd,
             "sed 's/Dimensions=\"16 12 16\"/Dimensions=\"16 12 15\"/' %s/out/mhd.xmf > %s/out/bad.xmf && "
             "/usr/bin/python3 %s/tools/check_xdmf.py %s/out/bad.xmf >/dev/null 2>&1",
             dir, dir, helper_root(), dir);
    cr_assert_neq(system(cmd), 0, "the checker must refuse a wrong shape");
    /* a verification problem: vectors, no surfaces */
    snprintf(args, sizeof args,
             "mhd %s/runs/verify/brio_wu.ini run.dir=%s/bw grid.ni=40 \"grid.box=0 1 0 0.01 0 0.01\" mhd.dt_out=0.05 "
             "run.progress=never",
             helper_root(), dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tools/check_xdmf.py %s/bw/mhd.xmf --vectors V,B,J >/dev/null 2>&1",
             helper_root(), dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    /* pack */
    snprintf(args, sizeof args, "pack %s", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    snprintf(path, sizeof path, "%s/out/mhd.h5", dir);
    snprintf(packed, sizeof packed, "%s/out/mhd.gam.h5", dir);
    hid_t a = cr_h5_open_read(path, &quiet), b = cr_h5_open_read(packed, &quiet);
    cr_assert(a >= 0 && b >= 0);
    H5L_info_t li;
    cr_assert_geq(H5Lget_info(a, "Step#0", &li, H5P_DEFAULT), 0);
    cr_assert_eq(li.type, H5L_TYPE_EXTERNAL, "mhd.h5 links its slices");
    cr_assert_geq(H5Lget_info(b, "Step#0", &li, H5P_DEFAULT), 0);
    cr_assert_eq(li.type, H5L_TYPE_HARD, "the packed file holds them");
    size_t nc = 16 * 12 * 16;
    double *da = malloc(nc * sizeof(double)), *db = malloc(nc * sizeof(double));
    cr_assert_eq(cr_h5_read_doubles(a, "Step#0/Bz", da, nc, path, &quiet), CR_OK);
    cr_assert_eq(cr_h5_read_doubles(b, "Step#0/Bz", db, nc, packed, &quiet), CR_OK);
    cr_assert_eq(memcmp(da, db, nc * sizeof(double)), 0);
    free(da);
    free(db);
    cr_assert(H5Lexists(b, "Step#0/Ionosphere/Potential", H5P_DEFAULT) > 0);
    char uid[32] = "";
    cr_assert_eq(cr_h5_read_attr_string(b, ".", "UnitsID", uid, sizeof uid), CR_OK);
    cr_assert_str_eq(uid, "EARTH");
    /* the object of Step#0 lives in the packed file itself (what genXDMF writes into its XDMF) */
    hid_t g = H5Gopen2(b, "Step#0", H5P_DEFAULT);
    char fname[800] = "";
    H5Fget_name(g, fname, sizeof fname);
    H5Gclose(g);
    cr_assert_str_eq(fname, packed);
    H5Fclose(a);
    H5Fclose(b);
    /* without mhd.h5 */
    snprintf(args, sizeof args, "pack %s run.dir=%s/none", ini, dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "mhd.h5") && strstr(out, "not found"), "%s", out);
    helper_rm_rf(dir);
}
