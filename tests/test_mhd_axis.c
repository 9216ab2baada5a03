/* test_mhd_axis.c — the solver on the LFM-style spherical grid with its
 * singular axis: ghost cells across the axis, single-valued axis EMFs and
 * ring averaging.
 *  - free-stream preservation to round-off after 100 steps with the axis
 *    averaging on, and a time step set by the averaged rings (several times
 *    the step of the bare axis cells);
 *  - div B at round-off after 200 steps of a non-uniform flow crossing the
 *    axis region;
 *  - the ring averaging does not heat: a curl-free field that turns within
 *    the averaged chunks keeps the pressure of the ring cells;
 *  - bit-identical results with 1 and 2 threads. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "test_mhd_common.h"

/* A small LFM grid: the D shape with fewer cells. */
static struct cr_grid *lfm_grid(void)
{
    static const struct cr_log quiet = {.level = CR_LEVEL_WARN};
    struct cr_grid_spec s = {.kind = CR_GRID_LFM, .log = &quiet};
    cr_assert_eq(cr_grid_spec_preset(&s, "D"), 0);
    s.ni = 24;
    s.nj = 16;
    s.nk = 32;
    struct cr_grid *g = cr_grid_new(&s);
    cr_assert_not_null(g);
    cr_assert(g->axis_lo && g->axis_hi);
    return g;
}

static struct cr_mhd_inp lfm_inp(const struct cr_grid *g, int rings, const double *state)
{
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.3);
    in.axis_rings = rings;
    for (int s = 0; s < 2; s++) {
        if (state) {
            in.bc[s].kind = CR_MHD_BC_INFLOW;
            for (int q = 0; q < 8; q++) in.bc[s].inflow[q] = state[q];
        } else {
            in.bc[s].kind = CR_MHD_BC_OUTFLOW;
        }
    }
    return in;
}

Test(mhd_axis, free_stream_lfm_with_ring_averaging)
{
    /* A uniform flow and field crossing the axis: the axis ghosts are exact
     * copies, the averages of equal values are those values, the field
     * average reproduces B.A on every face: round-off only (bound 1e-12). */
    tmhd_threads(1);
    struct cr_grid *g = lfm_grid();
    struct cr_mhd_problem_par p;
    cr_mhd_problem_defaults("uniform", &p);
    const double st[8] = {1.0, p.v[0], p.v[1], p.v[2], 1.0, p.b[0], p.b[1], p.b[2]};
    double dt[2];
    for (int pass = 0; pass < 2; pass++) {
        struct cr_mhd_inp in = lfm_inp(g, pass ? 8 : 0, st);
        struct cr_mhd *m = cr_mhd_new(&in);
        cr_assert_not_null(m);
        cr_assert_eq(cr_mhd_problem_find("uniform")->init(m, &p), 0);
        cr_assert_eq(cr_mhd_dt(m, &dt[pass]), 0);
        if (pass) {
            cr_assert_eq(tmhd_run(m, 1e9, 100), 0);
            double *out[CR_MHD_NOUT];
            cr_assert_eq(tmhd_vars(m, out), 0);
            double err = 0.0;
            for (int c = 0; c < g->ni * g->nj * g->nk; c++)
                for (int q = 0; q < 8; q++) err = fmax(err, fabs(out[q][c] - st[q]));
            double d = cr_mhd_divb_max(m, NULL);
            printf("LFM %dx%dx%d free stream, axis rings averaged, 100 steps: max deviation %.3e, div B %.3e; dt %.4e "
                   "(without averaging %.4e)\n",
                   g->ni, g->nj, g->nk, err, d, dt[1], dt[0]);
            cr_assert_lt(err, 1e-12);
            cr_assert_lt(d, 1e-12);
            tmhd_free_vars(out);
        }
        cr_mhd_release(m);
    }
    /* the axis cells are ~10x narrower in azimuth than in polar angle: averaging lifts the step by ~4-8 */
    cr_assert_gt(dt[1], 3.0 * dt[0], "dt %.3e with averaging vs %.3e without", dt[1], dt[0]);
    cr_grid_release(g);
}

static void blob_w(void *ctx, const double x[3], double w[5])
{
    (void)ctx;
    double r2 = (x[0] - 8) * (x[0] - 8) + (x[1] - 0.5) * (x[1] - 0.5) + x[2] * x[2];
    w[0] = 1 + 2 * exp(-r2 / 4), w[1] = -0.5, w[2] = 0.2, w[3] = 0.0, w[4] = 1 + 5 * exp(-r2 / 2);
}

static void blob_b(void *ctx, const double x[3], double b[3])
{
    (void)ctx, (void)x;
    b[0] = 0.3, b[1] = 0.5, b[2] = -0.4;
}

static struct cr_mhd *blob(const struct cr_grid *g)
{
    struct cr_mhd_inp in = lfm_inp(g, 8, NULL);
    struct cr_mhd *m = cr_mhd_new(&in);
    cr_assert_not_null(m);
    cr_assert_eq(cr_mhd_init_bface(m, blob_b, NULL), 0);
    cr_assert_eq(cr_mhd_init_prim(m, blob_w, NULL), 0);
    return m;
}

Test(mhd_axis, divb_round_off_across_the_axis)
{
    /* A pressure and density blob next to the +X axis in an oblique flow and
     * field: averaging changes i, j and k face fluxes every stage, div B must
     * stay at round-off (bound 1e-12). */
    tmhd_threads(1);
    struct cr_grid *g = lfm_grid();
    struct cr_mhd *m = blob(g);
    int steps = helper_sanitized() ? 60 : 200;
    cr_assert_eq(tmhd_run(m, 1e9, steps), 0);
    double d = cr_mhd_divb_max(m, NULL);
    printf("LFM blob across the axis, %d steps (t = %.3f): max |div B| h / max|B| = %.3e\n", steps, cr_mhd_time(m),
           d);
    cr_assert_lt(d, 1e-12);
    cr_mhd_release(m);
    cr_grid_release(g);
}

/* B = (0, y, -z): curl- and divergence-free, so with v = 0 no force acts
 * on the plasma (J = 0) and the state is an equilibrium whatever the
 * pressure; the field turns once around the +X axis, so within a chunk of an
 * averaged ring (up to a quarter turn of azimuth) its direction varies and
 * the chunk's mean field is weaker than its cells' fields. Pressure a
 * hundredth of the field's: beta = 0.02, as in the inner magnetosphere. */
static void turn_b(void *ctx, const double x[3], double b[3])
{
    (void)ctx;
    b[0] = 0.0, b[1] = x[1], b[2] = -x[2];
}

static void turn_w(void *ctx, const double x[3], double w[5])
{
    (void)ctx;
    w[0] = 1.0, w[1] = 0.0, w[2] = 0.0, w[3] = 0.0;
    w[4] = 0.01 * 0.5 * (x[1] * x[1] + x[2] * x[2]);
}

/* the largest |p / p0 - 1| over the cells of the first two rings at both
 * axes, radial index 2 .. ni - 3 (away from the outflow boundaries), after
 * the state has run to time t */
static double turn_ring_dp(const struct cr_grid *g, int rings, double t, double *dt_out)
{
    struct cr_mhd_inp in = lfm_inp(g, rings, NULL);
    struct cr_mhd *m = cr_mhd_new(&in);
    cr_assert_not_null(m);
    cr_assert_eq(cr_mhd_init_bface(m, turn_b, NULL), 0);
    cr_assert_eq(cr_mhd_init_prim(m, turn_w, NULL), 0);
    double *out[CR_MHD_NOUT];
    cr_assert_eq(tmhd_vars(m, out), 0);
    const size_t n = (size_t)g->ni * g->nj * g->nk;
    double *p0 = malloc(n * sizeof(double));
    memcpy(p0, out[CR_MHD_OUT_P], n * sizeof(double));
    tmhd_free_vars(out);
    cr_assert_eq(cr_mhd_dt(m, dt_out), 0);
    if (t <= 0.0) t = *dt_out;
    cr_assert_eq(tmhd_run(m, t, 100000), 0);
    cr_assert_eq(tmhd_vars(m, out), 0);
    double dp = 0.0;
    for (int k = 0; k < g->nk; k++)
        for (int jj = 0; jj < 4; jj++) {
            int j = jj < 2 ? jj : g->nj - 1 - (jj - 2);
            for (int i = 2; i < g->ni - 2; i++) {
                size_t o = (size_t)i + (size_t)g->ni * ((size_t)j + (size_t)g->nj * (size_t)k);
                dp = fmax(dp, fabs(out[CR_MHD_OUT_P][o] / p0[o] - 1.0));
            }
        }
    tmhd_free_vars(out);
    free(p0);
    cr_mhd_release(m);
    return dp;
}

Test(mhd_axis, ring_averaging_does_not_heat)
{
    /* Without averaging the pressure of the ring cells changes only by the
     * scheme's truncation error of this equilibrium; with it, over the same
     * time (one step of the averaged grid), it may change by no more than
     * that (bound: twice it, plus 1 % of p0 for the field the averaging
     * itself rewrites). Averaging the total energy turned the variance of
     * B within a chunk into heat: the pressure of those cells then rose by
     * a multiple of itself at every stage. */
    tmhd_threads(1);
    struct cr_grid *g = lfm_grid();
    double dta, dt0;
    double dpa = turn_ring_dp(g, 8, 0.0, &dta);
    double dp0 = turn_ring_dp(g, 0, dta, &dt0);
    printf("LFM turning field, beta 0.02, t = %.4e (one averaged step; %.0f bare steps): ring cells' max |p/p0 - 1| "
           "%.3e with averaging, %.3e without\n", dta, ceil(dta / dt0), dpa, dp0);
    cr_assert_lt(dpa, 2.0 * dp0 + 0.01);
    cr_grid_release(g);
}

#ifdef _OPENMP
Test(mhd_axis, bit_identical_1_and_2_threads)
{
    struct cr_grid *g = lfm_grid();
    double *u[2][5];
    for (int t = 0; t < 2; t++) {
        omp_set_num_threads(t + 1);
        struct cr_mhd *m = blob(g);
        cr_assert_eq(tmhd_run(m, 1e9, 8), 0);
        struct cr_mhd_view v;
        cr_mhd_get_view(m, &v);
        for (int q = 0; q < 5; q++) {
            u[t][q] = malloc(g->ntot * sizeof(double));
            memcpy(u[t][q], v.u[q], g->ntot * sizeof(double));
        }
        cr_mhd_release(m);
    }
    for (int q = 0; q < 5; q++) {
        cr_assert_eq(memcmp(u[0][q], u[1][q], g->ntot * sizeof(double)), 0, "variable %d differs", q);
        free(u[0][q]), free(u[1][q]);
    }
    cr_grid_release(g);
}
#endif
