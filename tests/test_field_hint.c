/* test_field_hint.c — hinted field evaluation (grids/cr_field.h,
 * cr_field_eval_hinted): on MHD slices on an LFM grid the hinted location
 * walks from the caller's previous cell, and must give the unhinted
 * evaluation's fields to the round-off of the location, along a random walk
 * that crosses the periodic seam and passes next to and through the axis,
 * with jumps of several cells, inside the inner boundary and outside the
 * grid; analytic fields ignore the hint. The particle pusher and the
 * field-line tracer, which carry one hint per particle / per line, follow
 * the same orbits and lines as through the same field without a hint. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../grids/cr_field_mhd.h"
#include "../grids/cr_fieldline.h"
#include "../grids/cr_grid.h"
#include "../particles/cr_push.h"
#include "helpers.h"
#include "test_flux_mhdfile.h"

static struct cr_log quiet = {.level = CR_LEVEL_ERROR, .stream = NULL, .no_timestamps = 1};

#define T_A 100.0
#define T_B 105.0

/* A smooth field that is not linear in space (so interpolation errors and
 * the location matter), different in the two slices (so the time
 * interpolation matters): dipole + a bent IMF-like field, a sheared flow, a
 * varying density; the added parts stay of a few nT, km/s or /cc at every
 * distance, like a magnetosphere's fields (so relative differences are not
 * inflated by cancellation between large cell values). */
static void hint_fill(const double c[3], double t, double B[3], double V[3], double *D, void *ctx)
{
    (void)ctx;
    double f = (t - T_A) / (T_B - T_A);
    cr_dipole_field(30000.0, c, B);
    B[0] += 4.0 * sin(0.21 * c[1]) + 2.0 * cos(0.1 * c[0]) * (1.0 + f);
    B[1] += -3.0 * cos(0.17 * c[2] + f) + 1.5 * sin(0.05 * c[0] - 0.03 * c[2]);
    B[2] += -5.0 - 2.0 * f + 1.5 * sin(0.07 * c[0] + 0.05 * c[1]);
    V[0] = -350.0 + 40.0 * sin(0.1 * c[2]) - 10.0 * f;
    V[1] = 25.0 * cos(0.13 * c[0]) + 30.0 * sin(0.02 * c[2]);
    V[2] = 15.0 * sin(0.19 * c[1] - f);
    *D = 6.0 + 2.0 * cos(0.11 * c[0]) * (1.0 + 0.5 * f) + 0.5 * sin(0.03 * c[1] * c[2] / (1.0 + fabs(c[0])));
}

/* A small LFM grid (12 x 16 x 24, the D grid's shape) written as a
 * two-slice mhd.h5 and opened with its window at [T_A, T_B]. */
static struct cr_field_mhd *open_lfm(char *dir, size_t ndir)
{
    cr_assert_eq(helper_tmpdir(dir, ndir), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    struct cr_grid *g = helper_lfm_grid(12, 16, 24, &quiet);
    size_t nc = (size_t)(g->ni + 1) * (g->nj + 1) * (g->nk + 1), q = 0;
    double *X = malloc(nc * sizeof *X), *Y = malloc(nc * sizeof *Y), *Z = malloc(nc * sizeof *Z);
    for (int k = 0; k <= g->nk; k++)
        for (int j = 0; j <= g->nj; j++)
            for (int i = 0; i <= g->ni; i++, q++) {
                size_t m = CR_GIDX(g, i, j, k);
                X[q] = g->x[m];
                Y[q] = g->y[m];
                Z[q] = g->z[m];
            }
    /* cell values at the centroids, where the source takes the dipole it
     * splits off (so the stored deviation is the smooth part of hint_fill) */
    size_t ncell = (size_t)g->ni * g->nj * g->nk;
    double *C = malloc(3 * ncell * sizeof *C);
    q = 0;
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++, q++) {
                size_t m = CR_GIDX(g, i, j, k);
                C[3 * q] = g->cx[m];
                C[3 * q + 1] = g->cy[m];
                C[3 * q + 2] = g->cz[m];
            }
    const double times[2] = {T_A, T_B};
    cr_assert_eq(mhdfile_write(path, g->ni, g->nj, g->nk, X, Y, Z, C, NULL, 2, times, hint_fill, NULL, SYNTH_OK),
                 CR_OK);
    free(C);
    free(X);
    free(Y);
    free(Z);
    cr_grid_release(g);
    int st;
    struct cr_field_mhd_inp in = {.path = path, .b_e = 30000.0, .log = &quiet};
    struct cr_field_mhd *m = cr_field_mhd_new(&in, &st);
    cr_assert_not_null(m);
    cr_assert_eq(cr_field_mhd_grid(m)->kind, CR_GRID_LFM);
    cr_assert_eq(cr_field_mhd_set_time(m, 0.5 * (T_A + T_B)), CR_OK);
    return m;
}

static double norm3(const double *a) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

/* Largest difference of a vector relative to its magnitude. */
static double vdiff(const double *a, const double *b)
{
    double d = 0.0, n = fmax(norm3(a), norm3(b));
    for (int c = 0; c < 3; c++) d = fmax(d, fabs(a[c] - b[c]));
    return n > 0 ? d / n : d;
}

/* Largest relative difference of two samples: B, V against their
 * magnitudes, D against its value, E = -V x B against the scale of the
 * product, 1e-3 |V| |B| [mV/m] (E itself can be small where V is nearly
 * along B, and its relative round-off is then that of V and B magnified). */
static double sample_diff(const struct cr_field_sample *a, const struct cr_field_sample *b)
{
    double d = fmax(vdiff(a->B, b->B), vdiff(a->V, b->V));
    double es = 1e-3 * norm3(a->V) * norm3(a->B), de = 0.0;
    for (int c = 0; c < 3; c++) de = fmax(de, fabs(a->E[c] - b->E[c]));
    d = fmax(d, es > 0 ? de / es : de);
    return fmax(d, fabs(a->D - b->D) / fmax(fabs(a->D), fabs(b->D)));
}

static void sph(double r, double th, double ph, double p[3])
{
    p[0] = r * cos(th);
    p[1] = r * sin(th) * cos(ph);
    p[2] = r * sin(th) * sin(ph);
}

/* Hinted and unhinted evaluation along a random walk on the LFM grid. The
 * walk takes steps of 0.3 of the local cell size (as a particle or a field
 * line does), now and then jumps of up to ~8 cells, teleports next to the
 * X axis (polar angle 1e-6..1e-2 rad), onto it, or across the +Y seam of the
 * azimuth (phi within 1e-3 rad of 0), into the inner boundary and beyond
 * the grid.
 *
 * Tolerance 1e-14 relative: the hinted location is the same point in the
 * same cell (or in a neighbour sharing the face the point is on) found by
 * Newton from another start; both are converged to round-off, so only the
 * last bits of (u, v, w) differ (measured: a few 1e-15). Within a distance
 * rho of the axis the azimuthal coordinate is fixed by the point only to
 * ~eps h / rho (h the cell size: the map's w-derivative vanishes on the
 * axis), and the tolerance is 1e-14 h / rho there. On the axis itself
 * (rho = 0) w is free and the cell interpolation there, the axis ring
 * averaged with its mirror at the located azimuth, is not single-valued:
 * there both locations are checked to be valid ones of the point (on an
 * axis ring, mapping back to it), not the values. Every hinted location is
 * checked to map back onto its point. */
Test(field_hint, mhd_lfm_random_walk_seam_and_axis)
{
    char dir[256];
    struct cr_field_mhd *m = open_lfm(dir, sizeof dir);
    const struct cr_field *f = cr_field_mhd_field(m);
    const struct cr_grid *g = cr_field_mhd_grid(m);
    cr_assert_not_null(f->eval_hint, "the MHD source has hinted evaluation");
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    struct cr_field_hint hint = {0};
    double p[3] = {9.0, 0.05, -0.02}; /* next to the subsolar axis, by the seam */
    int nsteps = helper_sanitized() ? 4000 : 40000;
    long nsame = 0, nok = 0, nout = 0, ninside = 0, naxis = 0, nonaxis = 0, nseam = 0, njump = 0;
    double worst = 0.0, worst_axis = 0.0;
    for (int s_ = 0; s_ < nsteps; s_++) {
        double q[3];
        int kind = s_ % 97 == 0 ? 1 + (s_ / 97) % 6 : 0;
        if (kind == 1) { /* next to the axis, either end */
            double th = pow(10.0, -6.0 + 4.0 * gsl_rng_uniform(r));
            sph(3.0 + 20.0 * gsl_rng_uniform(r), (s_ / 97) % 12 < 6 ? th : CR_PI - th,
                2.0 * CR_PI * gsl_rng_uniform(r), q);
            naxis++;
        } else if (kind == 2) { /* across the seam */
            sph(3.0 + 20.0 * gsl_rng_uniform(r), 0.2 + 2.7 * gsl_rng_uniform(r), 2e-3 * (gsl_rng_uniform(r) - 0.5), q);
            nseam++;
        } else if (kind == 3) { /* inside the inner boundary */
            sph(0.5 + 1.4 * gsl_rng_uniform(r), CR_PI * gsl_rng_uniform(r), 2.0 * CR_PI * gsl_rng_uniform(r), q);
        } else if (kind == 4) { /* beyond the grid */
            sph(400.0 + 100.0 * gsl_rng_uniform(r), CR_PI * gsl_rng_uniform(r), 2.0 * CR_PI * gsl_rng_uniform(r), q);
        } else if (kind == 5) { /* on the axis */
            q[0] = p[0] >= 0 ? 5.0 + 10.0 * gsl_rng_uniform(r) : -5.0 - 10.0 * gsl_rng_uniform(r);
            q[1] = q[2] = 0.0;
        } else {
            double h = 0.3;
            if (hint.valid) h *= cbrt(g->vol[CR_GIDX(g, hint.loc.i, hint.loc.j, hint.loc.k)]);
            if (kind == 6 || s_ % 50 == 7) {
                h *= 25.0; /* a jump of several cells */
                njump++;
            }
            double d[3] = {gsl_rng_uniform(r) - 0.5, gsl_rng_uniform(r) - 0.5, gsl_rng_uniform(r) - 0.5};
            for (int c = 0; c < 3; c++) q[c] = p[c] + h * d[c];
            /* stay in the near-Earth part of the grid */
            double rq = norm3(q);
            if (rq < 2.2 || rq > 40.0) continue;
        }
        double t = T_A + (T_B - T_A) * gsl_rng_uniform(r);
        struct cr_field_hint before = hint;
        struct cr_field_sample sh, su;
        int rh = cr_field_eval_hinted(f, t, q, &hint, &sh);
        int ru = cr_field_eval(f, t, q, &su);
        cr_assert_eq(rh, ru, "step %d at (%g, %g, %g): hinted %d, unhinted %d", s_, q[0], q[1], q[2], rh, ru);
        if (rh != CR_OK) {
            /* outside: the hint is left as it was */
            cr_assert_eq(memcmp(&before, &hint, sizeof hint), 0, "step %d: hint changed by a failed evaluation", s_);
            nout++;
            continue;
        }
        cr_assert_eq(sh.inside, su.inside);
        if (sh.inside) {
            cr_assert_eq(memcmp(&sh, &su, sizeof sh), 0, "inside the inner boundary: the same dipole");
            cr_assert_eq(memcmp(&before, &hint, sizeof hint), 0, "inside: the hint is not touched");
            ninside++;
            memcpy(p, q, sizeof p);
            continue;
        }
        /* the hint holds a location of the point: in its cell, mapping back */
        cr_assert(hint.valid);
        const struct cr_grid_loc *l = &hint.loc;
        cr_assert(l->u >= 0 && l->u <= 1 && l->v >= 0 && l->v <= 1 && l->w >= 0 && l->w <= 1);
        double xb[3] = {cr_grid_interp_corner(g, g->x, l), cr_grid_interp_corner(g, g->y, l),
                        cr_grid_interp_corner(g, g->z, l)};
        double h = cbrt(g->vol[CR_GIDX(g, l->i, l->j, l->k)]);
        cr_assert(fabs(xb[0] - q[0]) + fabs(xb[1] - q[1]) + fabs(xb[2] - q[2]) < 1e-12 * (h + norm3(q)),
                  "step %d: the hinted location (%d,%d,%d) maps to (%g, %g, %g), not to (%g, %g, %g)", s_, l->i, l->j,
                  l->k, xb[0], xb[1], xb[2], q[0], q[1], q[2]);
        double rho = hypot(q[1], q[2]);
        if (rho == 0.0) {
            cr_assert(l->j == 0 || l->j == g->nj - 1, "on the axis: located on an axis ring");
            nonaxis++;
        } else {
            double d = sample_diff(&sh, &su), tol = 1e-14 * fmax(1.0, h / rho);
            if (tol > 1e-14) worst_axis = fmax(worst_axis, d / tol);
            else worst = fmax(worst, d);
            cr_assert(d <= tol, "step %d at (%.17g, %.17g, %.17g): relative difference %g > %g", s_, q[0], q[1], q[2],
                      d, tol);
            nsame += memcmp(&sh, &su, sizeof sh) == 0;
            nok++;
        }
        memcpy(p, q, sizeof p);
    }
    cr_log_msg(NULL, CR_LEVEL_INFO,
               "hinted vs unhinted on LFM 12x16x24: %ld points in the grid (%ld bit-identical), largest relative "
               "difference %.2g (next to the axis at most %.2g of 1e-14 h/rho); %ld next to the axis, %ld on it, "
               "%ld across the seam, %ld jumps, %ld inside, %ld outside",
               nok, nsame, worst, worst_axis, naxis, nonaxis, nseam, njump, ninside, nout);
    cr_assert(nok > nsteps / 2 && ninside > 0 && nout > 0 && nonaxis > 0 && naxis > 0 && nseam > 0,
              "the walk covered too little");
    gsl_rng_free(r);
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}

/* Analytic sources have no hinted evaluation: the hint is ignored (left
 * untouched) and the result is the unhinted one, bit for bit. */
Test(field_hint, analytic_fields_ignore_the_hint)
{
    const double bu[3] = {0, 0, -5}, eu[3] = {0, 0.3, 0};
    struct cr_field *f = cr_field_dipole_uniform_new(30000.0, bu, eu, 1.0, 0.0);
    cr_assert_not_null(f);
    cr_assert_null(f->eval_hint);
    struct cr_field_hint h = {0};
    const double x[3] = {5.0, -2.0, 1.5};
    struct cr_field_sample a, b;
    cr_assert_eq(cr_field_eval_hinted(f, 0.0, x, &h, &a), CR_OK);
    cr_assert_eq(cr_field_eval(f, 0.0, x, &b), CR_OK);
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    cr_assert_eq(h.valid, 0);
    cr_assert_eq(cr_field_eval_hinted(f, 0.0, x, NULL, &a), CR_OK, "a NULL hint is the plain evaluation");
    cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
    cr_field_release(f);
}

/* The same MHD field without hinted evaluation: a wrapper whose eval is the
 * plain one (eval_hint NULL), so pushers and tracers fall back to it. */
struct plain_field {
    struct cr_field base;
    const struct cr_field *inner;
};

static int plain_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    return cr_field_eval(((const struct plain_field *)f)->inner, t, x, s);
}

static void plain_release(struct cr_field *f) { (void)f; }

static const struct cr_field_vtable plain_vt = {.eval = plain_eval, .release = plain_release};

static struct plain_field plain_of(const struct cr_field *f)
{
    struct plain_field p = {.base = *f, .inner = f};
    p.base.vt = &plain_vt;
    p.base.eval_hint = NULL;
    return p;
}

/* Protons through the MHD slices, full orbit and with the FO <-> GC
 * hand-over, each carrying its hint, against the same protons through the
 * field without hints. The fields agree to round-off (above), so the orbits
 * agree to round-off grown over the steps: 1e-9 relative in position and
 * momentum after ~200 FO steps (round-off 1e-16 per step amplified by the
 * orbit's sensitivity, well below the FO step's own truncation error), and,
 * for guiding centres (adaptive steps whose control may take a different
 * branch on a last-bit difference), within the integrator's tolerance
 * (gc_rtol = 1e-8 per step, ~1e2 steps): 1e-6 relative. */
Test(field_hint, pusher_orbits_match_unhinted)
{
    char dir[256];
    struct cr_field_mhd *m = open_lfm(dir, sizeof dir);
    const struct cr_field *f = cr_field_mhd_field(m);
    struct plain_field pf = plain_of(f);
    const int n = helper_sanitized() ? 8 : 32;
    long nfo = 0, ngc = 0, nbit = 0;
    double worst[2] = {0, 0};
    for (int scheme = 0; scheme < 2; scheme++) {
        struct cr_push_inp in = {.field = f, .scheme = scheme ? CR_PUSH_AUTO : CR_PUSH_FO_ONLY, .fo_dt_gyro = 0.05,
                                 .log = &quiet};
        struct cr_push *ph = cr_push_new(&in);
        in.field = &pf.base;
        struct cr_push *pu = cr_push_new(&in);
        cr_assert(ph && pu);
        struct cr_push_work *wh = cr_push_work_new(ph), *wu = cr_push_work_new(pu);
        cr_assert(wh && wu);
        double umag = cr_push_umag_of_energy(ph, scheme ? 1e4 : 1e3);
        double vk = umag / cr_push_gamma(ph, umag) * CR_RE_KM;
        for (int i = 0; i < n; i++) {
            double fr = (i + 0.5) / n, rr = 4.0 + 5.0 * fr, ph_ = 2.399963229728653 * i, lat = 0.5 * sin(7.0 * fr);
            double x[3] = {rr * cos(lat) * cos(ph_), rr * cos(lat) * sin(ph_), rr * sin(lat)};
            double a = CR_PI * fmod(0.618033988749895 * (i + 1), 1.0);
            double v[3] = {vk * sin(a) * cos(ph_ + 1), vk * sin(a) * sin(ph_ + 1), vk * cos(a)};
            struct cr_particle a_, b_;
            cr_assert_eq(cr_push_start(ph, wh, &a_, T_A, x, v, 1e30, (uint64_t)i), CR_OK);
            cr_assert_eq(cr_push_start(pu, wu, &b_, T_A, x, v, 1e30, (uint64_t)i), CR_OK);
            cr_assert_eq(cr_push_advance(ph, wh, &a_, T_A + 3.0), CR_OK);
            cr_assert_eq(cr_push_advance(pu, wu, &b_, T_A + 3.0), CR_OK);
            cr_assert_eq(a_.status, b_.status, "proton %d: status %d vs %d", i, a_.status, b_.status);
            cr_assert_eq(a_.mode, b_.mode);
            double dx = vdiff(a_.x, b_.x), du = a_.mode == CR_PMODE_FO ? vdiff(a_.u, b_.u)
                                                                         : fabs(a_.u[0] - b_.u[0]) / umag;
            double d = fmax(dx, du);
            worst[scheme] = fmax(worst[scheme], d);
            nbit += memcmp(a_.x, b_.x, sizeof a_.x) == 0 && memcmp(a_.u, b_.u, sizeof a_.u) == 0;
            cr_assert(d <= (scheme ? 1e-6 : 1e-9), "scheme %d proton %d: orbits differ by %g", scheme, i, d);
            nfo += a_.nfo;
            ngc += a_.ngc;
        }
        cr_push_work_release(wh);
        cr_push_work_release(wu);
        cr_push_release(ph);
        cr_push_release(pu);
    }
    cr_log_msg(NULL, CR_LEVEL_INFO,
               "pusher with hints vs without: %ld FO + %ld GC steps, %ld of %d protons bit-identical, largest "
               "relative difference FO %.2g, FO/GC %.2g",
               nfo, ngc, nbit, 2 * n, worst[0], worst[1]);
    cr_assert(ngc > 0, "the hand-over case ran guiding-centre steps");
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}

/* A field that evaluates without a hint (so a tracer through it follows
 * the unhinted path) and compares every evaluation with the hinted one,
 * carrying one hint the way the tracer does (reset per line). */
struct check_field {
    struct cr_field base;
    const struct cr_field *inner;
    const struct cr_grid *g;
    struct cr_field_hint hint;
    double worst;  /* largest difference / its tolerance */
    long n, nfail; /* evaluations compared, and those where only one succeeded */
};

static int check_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    struct check_field *c = (struct check_field *)f;
    struct cr_field_sample sh;
    int ru = cr_field_eval(c->inner, t, x, s);
    int rh = cr_field_eval_hinted(c->inner, t, x, &c->hint, &sh);
    if (ru != rh) c->nfail++;
    if (ru == CR_OK && rh == CR_OK && !s->inside) {
        const struct cr_grid_loc *l = &c->hint.loc;
        double h = cbrt(c->g->vol[CR_GIDX(c->g, l->i, l->j, l->k)]), rho = hypot(x[1], x[2]);
        double tol = rho > 0 ? 1e-14 * fmax(1.0, h / rho) : INFINITY; /* as in the random walk */
        c->worst = fmax(c->worst, sample_diff(&sh, s) / tol);
        c->n++;
    }
    return ru;
}

static const struct cr_field_vtable check_vt = {.eval = check_eval, .release = plain_release};

/* Field lines: (1) at every evaluation a tracer makes along 40 lines
 * (closed, open and leaving the grid; Runge-Kutta stages, rejected steps,
 * the secant location of the inner sphere) the hinted evaluation agrees
 * with the unhinted one as in the random walk; (2) the tracer with its own
 * hint per line against the same tracer without hints, on closed
 * inner-magnetosphere lines: same stops, end points within 1e-5 R_E. Two
 * traces whose fields differ in the last bits take slightly different
 * adaptive steps, so their ends differ by the integration error, not by
 * round-off: ~steps x eps = 1e2 x 1e-8 = 1e-6 R_E (a start point moved by
 * one ulp does the same); the bound is ten times that. (3) A line does not
 * depend on the lines the tracer traced before it. */
Test(field_hint, fieldlines_match_unhinted)
{
    char dir[256];
    struct cr_field_mhd *m = open_lfm(dir, sizeof dir);
    const struct cr_field *f = cr_field_mhd_field(m);
    const double t = T_A + 0.37 * (T_B - T_A);
    /* (1) */
    struct check_field cf = {.base = *f, .inner = f, .g = cr_field_mhd_grid(m)};
    cf.base.vt = &check_vt;
    cf.base.eval_hint = NULL;
    struct cr_fieldline_inp in = {.field = &cf.base, .log = &quiet};
    struct cr_fieldline *fc = cr_fieldline_new(&in);
    cr_assert_not_null(fc);
    const int n = helper_sanitized() ? 10 : 40;
    int nend[CR_FL_FAILED + 1] = {0};
    for (int i = 0; i < n; i++) {
        /* start points over the dayside and the tail, some by the seam */
        double th = 0.3 + 2.5 * (i + 0.5) / n, phi = i % 4 == 0 ? 1e-4 : 2.399963229728653 * i;
        double x[3];
        sph(4.0 + 0.2 * (i % 7), th, phi, x);
        struct cr_fl_result res;
        cr_field_hint_reset(&cf.hint);
        cr_assert_eq(cr_fieldline_trace(fc, t, x, &res, NULL), CR_OK);
        nend[res.end[0].why]++;
        nend[res.end[1].why]++;
    }
    cr_assert_eq(cf.nfail, 0, "hinted and unhinted evaluation disagree on the domain");
    cr_assert(cf.worst <= 1.0, "along the lines: difference %g of the tolerance", cf.worst);
    cr_assert(nend[CR_FL_INNER] > 0 && nend[CR_FL_OUTER] > 0, "closed and open lines traced");
    cr_fieldline_release(fc);
    /* (2), (3) */
    struct plain_field pf = plain_of(f);
    in.field = f;
    struct cr_fieldline *fh = cr_fieldline_new(&in);
    in.field = &pf.base;
    struct cr_fieldline *fu = cr_fieldline_new(&in);
    cr_assert(fh && fu);
    long nbit = 0;
    double worst = 0.0;
    for (int i = 0; i < n; i++) {
        /* 3 - 4.5 R_E, magnetic latitudes within 25 deg, all local times */
        double rr = 3.0 + 1.5 * (i + 0.5) / n, lat = 0.43 * sin(3.0 * i), lon = 2.399963229728653 * i;
        double x[3] = {rr * cos(lat) * cos(lon), rr * cos(lat) * sin(lon), rr * sin(lat)};
        struct cr_fl_result a, b;
        cr_assert_eq(cr_fieldline_trace(fh, t, x, &a, NULL), CR_OK);
        cr_assert_eq(cr_fieldline_trace(fu, t, x, &b, NULL), CR_OK);
        for (int e = 0; e < 2; e++) {
            cr_assert_eq(a.end[e].why, CR_FL_INNER, "line %d: closed", i);
            cr_assert_eq(b.end[e].why, CR_FL_INNER);
            double d = fabs(a.end[e].length - b.end[e].length);
            for (int c = 0; c < 3; c++) d = fmax(d, fabs(a.end[e].x[c] - b.end[e].x[c]));
            worst = fmax(worst, d);
            cr_assert(d <= 1e-5, "line %d end %d differs by %g R_E", i, e, d);
        }
        nbit += memcmp(&a.end, &b.end, sizeof a.end) == 0;
        in.field = f;
        struct cr_fieldline *fn = cr_fieldline_new(&in);
        cr_assert_not_null(fn);
        struct cr_fl_result c2;
        cr_assert_eq(cr_fieldline_trace(fn, t, x, &c2, NULL), CR_OK);
        cr_assert_eq(memcmp(&a.end, &c2.end, sizeof a.end), 0, "line %d: a fresh tracer differs", i);
        cr_fieldline_release(fn);
    }
    cr_log_msg(NULL, CR_LEVEL_INFO,
               "field lines: %ld evaluations along %d lines (%d inner, %d outer ends) hinted vs unhinted within %.2g "
               "of the tolerance; %d closed lines with hints vs without: %ld bit-identical, ends within %.2g R_E",
               cf.n, n, nend[CR_FL_INNER], nend[CR_FL_OUTER], cf.worst, n, nbit, worst);
    cr_fieldline_release(fh);
    cr_fieldline_release(fu);
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}
