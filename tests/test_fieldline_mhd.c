/* test_fieldline_mhd.c — the MHD-slice field source: exact reproduction of
 * fields linear in space and piecewise linear in time (trilinear
 * interpolation between cell centres is exact for linear fields on uniform
 * Cartesian grids, and the time interpolation is linear), E = -V x B, the
 * lazily moved two-slice window, clear errors on broken files, and the
 * dipole + uniform field sampled on the LFM D grid traced for its open flux. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../grids/cr_field_mhd.h"
#include "../grids/cr_grid.h"
#include "../reconnection/cr_topology.h"
#include "helpers.h"
#include "test_flux_mhdfile.h"

/* B = a + G x + slope(t) ..., piecewise linear in time with a kink at 160 s. */
static double tfac(double t) { return t <= 160.0 ? (t - 100.0) : 60.0 - 0.5 * (t - 160.0); }

static void lin_fill(const double c[3], double t, double B[3], double V[3], double *D, void *ctx)
{
    (void)ctx;
    double f = tfac(t);
    B[0] = 3.0 + 0.5 * c[0] - 0.25 * c[1] + 0.02 * f;
    B[1] = -1.0 + 0.1 * c[2] + 0.3 * c[0] - 0.01 * f * 1.0;
    B[2] = 7.0 - 0.7 * c[1] + 0.2 * c[2] + 0.05 * f;
    V[0] = -400.0 + 2.0 * c[0] + f;
    V[1] = 10.0 * c[2] - 0.5 * f;
    V[2] = 5.0 + c[1];
    *D = 5.0 + 0.1 * c[0] + 0.01 * f;
}

static void box(int ni, int nj, int nk, const double lo[3], const double hi[3], double **X, double **Y, double **Z)
{
    size_t n = (size_t)(ni + 1) * (nj + 1) * (nk + 1);
    *X = malloc(n * sizeof(double));
    *Y = malloc(n * sizeof(double));
    *Z = malloc(n * sizeof(double));
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++)
            for (int i = 0; i <= ni; i++) {
                size_t m = ((size_t)k * (nj + 1) + j) * (ni + 1) + i;
                (*X)[m] = lo[0] + (hi[0] - lo[0]) * i / ni;
                (*Y)[m] = lo[1] + (hi[1] - lo[1]) * j / nj;
                (*Z)[m] = lo[2] + (hi[2] - lo[2]) * k / nk;
            }
}

static struct cr_log quiet = {.level = CR_LEVEL_ERROR, .stream = NULL, .no_timestamps = 1};

Test(fieldline_mhd, linear_field_reproduced_between_slices)
{
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    const int ni = 6, nj = 5, nk = 4;
    const double lo[3] = {4.0, -2.5, -2.0}, hi[3] = {10.0, 2.5, 2.0};
    double *X, *Y, *Z;
    box(ni, nj, nk, lo, hi, &X, &Y, &Z);
    const double times[3] = {100.0, 160.0, 220.0};
    cr_assert_eq(mhdfile_write(path, ni, nj, nk, X, Y, Z, NULL, NULL, 3, times, lin_fill, NULL, SYNTH_OK), CR_OK);
    int st;
    struct cr_field_mhd_inp in = {.path = path, .log = &quiet};
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m, "status %d", st);
    cr_assert_eq(cr_field_mhd_nslices(m), 3);
    cr_assert_eq(cr_field_mhd_grid(m)->kind, CR_GRID_WARPED, "a box is not an LFM grid");
    const struct cr_field *f = cr_field_mhd_field(m);
    struct cr_field_sample s;
    double x0[3] = {6.0, 0.3, -0.2};
    cr_assert_eq(cr_field_eval(f, 120.0, x0, &s), CR_EDOMAIN, "no window before set_time");
    /* points between the first and last cell centres, in both windows */
    unsigned seed = 12345;
    for (int w = 0; w < 2; w++) {
        double ta = times[w], tb = times[w + 1];
        cr_assert_eq(cr_field_mhd_set_time(m, ta + 0.3 * (tb - ta)), CR_OK);
        double wa, wb;
        cr_field_mhd_window(m, &wa, &wb);
        cr_assert(wa == ta && wb == tb);
        for (int q = 0; q < 200; q++) {
            double x[3], t = ta + (tb - ta) * (q % 11) / 10.0;
            for (int d = 0; d < 3; d++) {
                seed = seed * 1103515245u + 12345u;
                double u = (seed >> 8) / 16777216.0;
                double h = (hi[d] - lo[d]) / (d == 0 ? ni : d == 1 ? nj : nk);
                x[d] = lo[d] + 0.5 * h + u * (hi[d] - lo[d] - h);
            }
            cr_assert_eq(cr_field_eval(f, t, x, &s), CR_OK);
            double B[3], V[3], D;
            lin_fill(x, t, B, V, &D, NULL);
            /* exact up to round-off: values are O(1e2), sums of 16 terms */
            for (int c = 0; c < 3; c++) {
                cr_assert(fabs(s.B[c] - B[c]) < 1e-11 * (1 + fabs(B[c])), "B%d at t=%g: %.15g vs %.15g", c, t,
                          s.B[c], B[c]);
                cr_assert(fabs(s.V[c] - V[c]) < 1e-11 * (1 + fabs(V[c])), "V%d: %.15g vs %.15g", c, s.V[c], V[c]);
            }
            cr_assert(fabs(s.D - D) < 1e-12 * (1 + D));
            /* E = -V x B in mV/m: (km/s)(nT) = 1e-3 mV/m */
            double E0 = -1e-3 * (V[1] * B[2] - V[2] * B[1]);
            cr_assert(fabs(s.E[0] - E0) < 1e-11 * (1 + fabs(E0)));
            cr_assert_eq(s.inside, 0);
        }
        cr_assert_eq(cr_field_eval(f, tb + 1.0, x0, &s), CR_EDOMAIN, "t outside the window");
    }
    double far[3] = {20.0, 0, 0};
    cr_assert_eq(cr_field_eval(f, 200.0, far, &s), CR_EDOMAIN, "outside the grid");
    cr_assert_eq(cr_field_mhd_set_time(m, 230.0), CR_ECONFIG, "no slice after 220 s");
    cr_assert_eq(cr_field_mhd_set_time(m, 220.0), CR_OK, "the last slice itself");
    cr_assert_eq(cr_field_mhd_set_time(m, 100.0), CR_OK, "and back to the first");
    cr_field_mhd_release(m);
    free(X);
    free(Y);
    free(Z);
    helper_rm_rf(dir);
}

Test(fieldline_mhd, broken_files_are_input_errors)
{
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    const int ni = 3, nj = 3, nk = 2;
    const double lo[3] = {4, -1, -1}, hi[3] = {7, 2, 1};
    double *X, *Y, *Z;
    box(ni, nj, nk, lo, hi, &X, &Y, &Z);
    const double times[2] = {0.0, 5.0};
    const int flaws[4] = {SYNTH_BAD_Y_SHAPE, SYNTH_BAD_BZ_SHAPE, SYNTH_NO_BZ_LAST, SYNTH_NO_TIME_LAST};
    for (int q = 0; q < 4; q++) {
        snprintf(path, sizeof path, "%s/bad%d.h5", dir, q);
        cr_assert_eq(mhdfile_write(path, ni, nj, nk, X, Y, Z, NULL, NULL, 2, times, lin_fill, NULL, flaws[q]), CR_OK);
        int st = 0;
        struct cr_field_mhd_inp in = {.path = path, .log = &quiet};
        struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
        cr_assert_null(m, "flaw %d accepted", flaws[q]);
        cr_assert_eq(st, CR_ECONFIG, "flaw %d: status %d", flaws[q], st);
    }
    snprintf(path, sizeof path, "%s/none.h5", dir);
    int st = 0;
    struct cr_field_mhd_inp in = {.path = path, .log = &quiet};
    cr_assert_null(cr_field_mhd_new(&in, &st));
    cr_assert_eq(st, CR_ECONFIG);
    free(X);
    free(Y);
    free(Z);
    helper_rm_rf(dir);
}

/* The dipole + uniform field sampled at the cell centres of the LFM D grid. */
struct dipu {
    double b0, b_e;
};

static void dipu_fill(const double c[3], double t, double B[3], double V[3], double *D, void *ctx)
{
    (void)t;
    const struct dipu *p = ctx;
    cr_dipole_field(p->b_e, c, B);
    B[2] -= p->b0;
    V[0] = V[1] = V[2] = 0.0;
    *D = 1.0;
}

int flux_test_write_dgrid(const char *path, double b0);
static int write_dgrid(const char *path, double b0, double b_e, int with_b0);
int flux_test_write_dgrid(const char *path, double b0) { return write_dgrid(path, b0, 30000.0, 0); }

/* D grid, dipole b_e + uniform -b0 z, slices at 0 and 60 s; with_b0 writes
 * the dipole as the background field Bx0..Bz0 too. */
static int write_dgrid(const char *path, double b0, double b_e, int with_b0)
{
    struct cr_grid_spec sp = {0};
    if (cr_grid_spec_preset(&sp, "D")) return CR_ECONFIG;
    struct cr_grid *g = cr_grid_new(&sp);
    if (!g) return CR_ECONFIG;
    int ni = g->ni, nj = g->nj, nk = g->nk;
    size_t n = (size_t)(ni + 1) * (nj + 1) * (nk + 1);
    double *X = malloc(n * sizeof(double)), *Y = malloc(n * sizeof(double)), *Z = malloc(n * sizeof(double));
    double *C = malloc(3 * (size_t)ni * nj * nk * sizeof(double));
    for (int k = 0; k < nk; k++)
        for (int j = 0; j < nj; j++)
            for (int i = 0; i < ni; i++) {
                size_t c = ((size_t)k * nj + j) * ni + i, q = CR_GIDX(g, i, j, k);
                C[3 * c] = g->cx[q];
                C[3 * c + 1] = g->cy[q];
                C[3 * c + 2] = g->cz[q];
            }
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++)
            for (int i = 0; i <= ni; i++) {
                size_t m = ((size_t)k * (nj + 1) + j) * (ni + 1) + i, q = CR_GIDX(g, i, j, k);
                X[m] = g->x[q];
                Y[m] = g->y[q];
                Z[m] = g->z[q];
            }
    struct dipu p = {b0, b_e};
    const double times[2] = {0.0, 60.0};
    size_t nc = (size_t)ni * nj * nk;
    double *bg[3] = {NULL, NULL, NULL};
    if (with_b0) {
        for (int q = 0; q < 3; q++) bg[q] = malloc(nc * sizeof(double));
        for (size_t c = 0; c < nc; c++) {
            double bd[3];
            cr_dipole_field(b_e, C + 3 * c, bd);
            for (int q = 0; q < 3; q++) bg[q][c] = bd[q];
        }
    }
    int rc = mhdfile_write(path, ni, nj, nk, X, Y, Z, C, with_b0 ? (const double *const *)bg : NULL, 2, times,
                           dipu_fill, &p, SYNTH_OK);
    for (int q = 0; q < 3; q++) free(bg[q]);
    free(C);
    free(X);
    free(Y);
    free(Z);
    cr_grid_release(g);
    return rc;
}

Test(fieldline_mhd, lfm_dgrid_dipole_uniform_open_flux, .timeout = 120)
{
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    const double b0 = 10.0;
    cr_assert_eq(flux_test_write_dgrid(path, b0), CR_OK);
    int st;
    struct cr_field_mhd_inp in = {.path = path, .log = &quiet, .load = CR_MHD_LOAD_B};
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m);
    cr_assert_eq(cr_field_mhd_grid(m)->kind, CR_GRID_LFM, "the D grid is recognised from its corners");
    const struct cr_field *f = cr_field_mhd_field(m);
    cr_assert(fabs(f->r_inner - 2.0) < 1e-12, "inner boundary %g", f->r_inner);
    cr_assert_eq(cr_field_mhd_set_time(m, 30.0), CR_OK);
    /* inside the inner boundary: the dipole alone, E = 0 */
    struct cr_field_sample s;
    double xi[3] = {0.5, 1.0, 1.2}, bd[3];
    cr_assert_eq(cr_field_eval(f, 30.0, xi, &s), CR_OK);
    cr_dipole_field(30000.0, xi, bd);
    cr_assert(s.inside && s.B[2] == bd[2] && s.E[0] == 0.0);
    /* on the inner sphere itself (between the sphere and the faceted shell) */
    double lam = 70 * CR_DEG, xs[3] = {2 * cos(lam) * cos(0.3), 2 * cos(lam) * sin(0.3), 2 * sin(lam)};
    cr_assert_eq(cr_field_eval(f, 30.0, xs, &s), CR_OK);
    cr_dipole_field(30000.0, xs, bd);
    /* B is stored as the deviation from the dipole (here the uniform -B0 z,
     * interpolated exactly) and the dipole is added analytically at the
     * point: round-off only */
    cr_assert(fabs(s.B[2] - (bd[2] - b0)) < 1e-10 * fabs(bd[2]), "B_z on the sphere %g vs %g", s.B[2], bd[2] - b0);
    cr_assert(fabs(s.B[0] - bd[0]) < 1e-10 * fabs(bd[2]));
    double xo[3] = {-40.0, 17.0, -9.0};
    cr_assert_eq(cr_field_eval(f, 30.0, xo, &s), CR_OK);
    cr_dipole_field(30000.0, xo, bd);
    cr_assert(fabs(s.B[2] - (bd[2] - b0)) < 1e-10 * b0, "in the tail %g vs %g", s.B[2], bd[2] - b0);
    /* so the open flux of the sampled field is the analytic 796 MWb up to the
     * footpoint grid (0.5 %, see test_fieldline.c) and the boundary within one
     * sub-footpoint (0.0625 deg) of 71.2 deg. Footpoints: 0.25 deg x 1 h (the
     * field is axisymmetric), at r = 2 R_E mapped to r = 1 along the dipole:
     * the uniform field bends the lines between r = 1 and 2 by a negligible
     * B0 / B_dipole ~ 1e-3 of the mapping, far below an atom. */
    struct cr_footgrid_inp gi = {.mlat_min = 62, .mlat_max = 90, .dlat = 0.25, .dmlt = 1.0, .sub_lat = 4,
                                 .sub_mlt = 1, .coarse_lat = 4, .coarse_mlt = 2, .r_iono = 1.0, .r_foot = 2.0};
    struct cr_footgrid *g = cr_footgrid_new(&gi);
    cr_assert_not_null(g);
    struct cr_fieldline_inp tin = {.eps_abs = 1e-6, .eps_rel = 1e-6, .h_max = 1.0};
    struct cr_topomap *map = NULL;
    cr_assert_eq(cr_topomap_compute(g, f, 30.0, &tin, &map), CR_OK);
    double want = 3.0 * CR_PI * CR_RE_M * CR_RE_M * pow(30000.0 * CR_NT, 2.0 / 3.0) * pow(b0 * CR_NT, 1.0 / 3.0);
    double rn = cbrt(30000.0 / b0), s2 = 3.0 * b0 * rn * rn / (2.0 * 30000.0 + b0);
    double pc = 90.0 - asin(sqrt(s2)) / CR_DEG;
    for (int h = 0; h < 2; h++) {
        double got = cr_topomap_flux_of(map, h, -2);
        cr_assert(fabs(got - want) < 0.005 * want, "hemisphere %d: open flux %.2f MWb vs %.2f", h, got / 1e6,
                  want / 1e6);
        for (int ja = 0; ja < g->nam; ja++)
            cr_assert(fabs(map->ocb[h][ja] - pc) <= 0.0625 + 0.01, "boundary %g vs %g deg", map->ocb[h][ja], pc);
        cr_assert_eq(map->nundetermined[h], 0);
        cr_log_msg(NULL, CR_LEVEL_INFO, "D grid, B0 = %g nT, hemisphere %d: open flux %.2f MWb (analytic %.2f), "
                   "boundary %.3f deg (analytic %.3f), %ld traces in %.2f s",
                   b0, h, got / 1e6, want / 1e6, map->ocb[h][0], pc, map->ntraces, map->wall);
    }
    cr_topomap_release(map);
    cr_footgrid_release(g);
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}

Test(fieldline_mhd, dipole_strength_from_background_field)
{
    /* a file whose background Bx0..Bz0 is a dipole of 31000 nT: with b_e = 0
     * the source fits it (least squares over the cells, exact here up to
     * round-off) and so splits off the right dipole: B at a point between
     * cell centres equals the sampled field to round-off again */
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    cr_assert_eq(write_dgrid(path, 7.0, 31000.0, 1), CR_OK);
    int st;
    struct cr_field_mhd_inp in = {.path = path, .log = &quiet, .load = CR_MHD_LOAD_B};
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m);
    const struct cr_field *f = cr_field_mhd_field(m);
    cr_assert(fabs(f->b_e - 31000.0) < 1e-6, "fitted b_e %.9g", f->b_e);
    cr_assert_eq(cr_field_mhd_set_time(m, 10.0), CR_OK);
    double x[3] = {5.3, -2.1, 3.7}, bd[3];
    struct cr_field_sample s;
    cr_assert_eq(cr_field_eval(f, 10.0, x, &s), CR_OK);
    cr_dipole_field(31000.0, x, bd);
    for (int c = 0; c < 3; c++)
        cr_assert(fabs(s.B[c] - (bd[c] - (c == 2 ? 7.0 : 0.0))) < 1e-9 * 31000.0 / 125.0, "B%d %g vs %g", c, s.B[c],
                  bd[c]);
    cr_field_mhd_release(m);
    /* a b_e given by the caller always wins over the fit */
    in.b_e = 29000.0;
    m = cr_field_mhd_new(&in, &st);
    cr_assert(fabs(cr_field_mhd_field(m)->b_e - 29000.0) < 1e-12);
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}
