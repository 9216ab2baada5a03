/* test_grid_locate.c — point location against an exhaustive search (every
 * cell whose bounding box holds the point, inverted independently), walking
 * from hints, the periodic seam and the LFM axis; interpolation of linear
 * fields. */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../grids/cr_grid.h"
#include "helpers.h"

static const struct cr_log quiet_log = {.level = CR_LEVEL_ERROR, .stream = NULL, .no_timestamps = 1};

/* ---- an independent inversion of one cell's trilinear map ------------------------ */

static void corner8(const struct cr_grid *g, int i, int j, int k, double c[8][3])
{
    for (int q = 0; q < 8; q++) {
        size_t m = CR_GIDX(g, i + (q & 1), j + ((q >> 1) & 1), k + (q >> 2));
        c[q][0] = g->x[m];
        c[q][1] = g->y[m];
        c[q][2] = g->z[m];
    }
}

static void trilin(const double c[8][3], const double s[3], double x[3])
{
    for (int d = 0; d < 3; d++) {
        x[d] = 0.0;
        for (int q = 0; q < 8; q++) {
            double wgt = ((q & 1) ? s[0] : 1 - s[0]) * (((q >> 1) & 1) ? s[1] : 1 - s[1]) * ((q >> 2) ? s[2] : 1 - s[2]);
            x[d] += wgt * c[q][d];
        }
    }
}

/* Newton on the weight form of the map (deliberately unlike the library's
 * coefficient form): x = sum_q w_q(s) c_q, dx/ds_e = sum_q dw_q/ds_e c_q. */
static int invert(const double c[8][3], const double p[3], double s[3])
{
    double scale = 0;
    for (int d = 0; d < 3; d++)
        scale = fmax(scale, fabs(c[7][d] - c[0][d]) + fabs(c[1][d] - c[0][d]) + fabs(c[2][d] - c[0][d]) +
                                fabs(c[4][d] - c[0][d]));
    s[0] = s[1] = s[2] = 0.5;
    for (int it = 0; it < 60; it++) {
        double x[3], J[3][3], r[3];
        trilin(c, s, x);
        for (int d = 0; d < 3; d++) r[d] = p[d] - x[d];
        /* converged: on the LFM axis the azimuthal coordinate is free and the
         * Jacobian singular, so stop on the residual */
        if (fabs(r[0]) + fabs(r[1]) + fabs(r[2]) <= 1e-13 * scale) break;
        for (int d = 0; d < 3; d++) J[d][0] = J[d][1] = J[d][2] = 0.0;
        for (int q = 0; q < 8; q++) {
            double f[3], df[3];
            for (int e = 0; e < 3; e++) {
                int bit = (q >> e) & 1;
                f[e] = bit ? s[e] : 1 - s[e];
                df[e] = bit ? 1.0 : -1.0;
            }
            for (int d = 0; d < 3; d++) {
                J[d][0] += df[0] * f[1] * f[2] * c[q][d];
                J[d][1] += f[0] * df[1] * f[2] * c[q][d];
                J[d][2] += f[0] * f[1] * df[2] * c[q][d];
            }
        }
        double det = J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) - J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) +
                     J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
        if (fabs(det) < 1e-300) {
            for (int d = 0; d < 3; d++) s[d] = 0.5 + 0.999 * (s[d] - 0.5) + 1e-7;
            continue;
        }
        double ds[3];
        for (int e = 0; e < 3; e++) {
            double M[3][3];
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) M[a][b] = b == e ? r[a] : J[a][b];
            ds[e] = (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                     M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0])) / det;
        }
        for (int d = 0; d < 3; d++) s[d] = fmin(fmax(s[d] + ds[d], -5.0), 6.0);
        if (fabs(ds[0]) + fabs(ds[1]) + fabs(ds[2]) < 1e-14) break;
        /* well away from the unit cube after a few steps: not this cell */
        if (it >= 6 && (fabs(s[0] - 0.5) > 2 || fabs(s[1] - 0.5) > 2 || fabs(s[2] - 0.5) > 2)) return 0;
    }
    double x[3], res = 0;
    trilin(c, s, x);
    for (int d = 0; d < 3; d++) res = fmax(res, fabs(x[d] - p[d]));
    return res <= 1e-10 * scale;
}

/* 1 if the point is in cell (i,j,k) (local coordinates within tol of [0,1]^3). */
static int cell_holds(const struct cr_grid *g, int i, int j, int k, const double p[3], double tol)
{
    double c[8][3], s[3];
    corner8(g, i, j, k, c);
    if (!invert(c, p, s)) return 0;
    for (int d = 0; d < 3; d++)
        if (s[d] < -tol || s[d] > 1 + tol) return 0;
    return 1;
}

/* Bounding boxes of the active cells, for the exhaustive search. */
struct boxes {
    int n;
    double *lo, *hi;
};

static struct boxes make_boxes(const struct cr_grid *g)
{
    struct boxes b = {.n = g->ni * g->nj * g->nk};
    b.lo = malloc(3 * sizeof(double) * b.n);
    b.hi = malloc(3 * sizeof(double) * b.n);
    cr_assert(b.lo && b.hi);
    int n = 0;
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++, n++) {
                double c[8][3];
                corner8(g, i, j, k, c);
                for (int d = 0; d < 3; d++) {
                    double lo = c[0][d], hi = c[0][d];
                    for (int q = 1; q < 8; q++) {
                        lo = fmin(lo, c[q][d]);
                        hi = fmax(hi, c[q][d]);
                    }
                    double pad = 1e-9 * (hi - lo) + 1e-12;
                    b.lo[3 * n + d] = lo - pad;
                    b.hi[3 * n + d] = hi + pad;
                }
            }
    return b;
}

/* Exhaustive: how many active cells hold p, and whether (ci,cj,ck) is one. */
static int brute(const struct cr_grid *g, const struct boxes *b, const double p[3], int ci, int cj, int ck, int *found_it)
{
    int count = 0;
    *found_it = 0;
    for (int n = 0; n < b->n; n++) {
        const double *lo = b->lo + 3 * n, *hi = b->hi + 3 * n;
        if (p[0] < lo[0] || p[0] > hi[0] || p[1] < lo[1] || p[1] > hi[1] || p[2] < lo[2] || p[2] > hi[2]) continue;
        int i = n % g->ni, j = (n / g->ni) % g->nj, k = n / (g->ni * g->nj);
        if (cell_holds(g, i, j, k, p, 1e-9)) {
            count++;
            if (i == ci && j == cj && k == ck) *found_it = 1;
        }
    }
    return count;
}

/* Locate every point and hold the answer against the exhaustive search:
 * a point inside must be found in a cell that holds it (x(u,v,w) = p to
 * 1e-9 of the cell size), a point outside must be refused. */
static void check_points(const struct cr_grid *g, double (*pts)[3], int n, const char *what)
{
    struct boxes b = make_boxes(g);
    int inside = 0;
    for (int q = 0; q < n; q++) {
        struct cr_grid_loc loc = {.i = -1, .j = -1, .k = -1};
        int rc = cr_grid_locate(g, pts[q], &loc);
        int found_it = 0;
        int count = brute(g, &b, pts[q], loc.i, loc.j, loc.k, &found_it);
        if (rc == CR_OK) {
            inside++;
            cr_assert(loc.u >= 0 && loc.u <= 1 && loc.v >= 0 && loc.v <= 1 && loc.w >= 0 && loc.w <= 1);
            cr_assert(found_it, "%s point %d (%.17g, %.17g, %.17g): located in (%d,%d,%d) which does not hold it "
                      "(exhaustive search finds %d cells)", what, q, pts[q][0], pts[q][1], pts[q][2], loc.i, loc.j,
                      loc.k, count);
        } else {
            cr_assert_eq(rc, CR_EDOMAIN);
            cr_assert_eq(count, 0, "%s point %d (%.17g, %.17g, %.17g) refused but %d cells hold it", what, q, pts[q][0],
                         pts[q][1], pts[q][2], count);
        }
    }
    printf("grid locate: %s: %d points, %d inside, all agree with the exhaustive search\n", what, n, inside);
    free(b.lo);
    free(b.hi);
}

Test(grid_locate, warped_matches_brute_force)
{
    struct cr_grid_spec s = {.kind = CR_GRID_WARPED, .ni = 12, .nj = 10, .nk = 14, .lo = {-1, -2, 0}, .hi = {1, 2, 3},
                             .periodic = {0, 1, 0}, .warp_amp = 0.3, .log = &quiet_log};
    struct cr_grid *g = cr_grid_new(&s);
    cr_assert_not_null(g);
    int n = helper_sanitized() ? 10000 : 100000;
    double(*pts)[3] = malloc(sizeof(double[3]) * n);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    for (int q = 0; q < n; q++) {
        /* the box plus a margin in the open directions (some points outside) */
        pts[q][0] = -1.1 + 2.2 * gsl_rng_uniform(r);
        pts[q][1] = -2.0 + 4.0 * gsl_rng_uniform(r);
        pts[q][2] = -0.1 + 3.2 * gsl_rng_uniform(r);
        if (q % 10 == 0) pts[q][1] = q % 20 ? -2.0 + 1e-12 * gsl_rng_uniform(r) : 2.0 - 1e-12 * gsl_rng_uniform(r); /* by the periodic seam */
    }
    check_points(g, pts, n, "warped 12x10x14");
    /* periodic direction: a point shifted by the period is the same point */
    for (int q = 0; q < 1000; q++) {
        double a[3] = {pts[q][0], pts[q][1], pts[q][2]}, bb[3] = {pts[q][0], pts[q][1] + 4.0, pts[q][2]};
        struct cr_grid_loc la = {.i = -1}, lb = {.i = -1};
        int ra = cr_grid_locate(g, a, &la), rb = cr_grid_locate(g, bb, &lb);
        cr_assert_eq(ra, rb);
        if (ra == CR_OK) cr_assert(la.i == lb.i && la.j == lb.j && la.k == lb.k && fabs(la.v - lb.v) < 1e-9);
    }
    gsl_rng_free(r);
    free(pts);
    cr_grid_release(g);
}

static void sph(double r, double th, double ph, double p[3])
{
    p[0] = r * cos(th);
    p[1] = r * sin(th) * cos(ph);
    p[2] = r * sin(th) * sin(ph);
}

Test(grid_locate, lfm_matches_brute_force_axis_and_seam)
{
    struct cr_grid *g = helper_lfm_grid(12, 16, 24, &quiet_log);
    int n = helper_sanitized() ? 10000 : 100000;
    double(*pts)[3] = malloc(sizeof(double[3]) * n);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    for (int q = 0; q < n; q++) {
        double rad = exp(log(1.5) + (log(350.0) - log(1.5)) * gsl_rng_uniform(r));
        double th = acos(1 - 2 * gsl_rng_uniform(r)), ph = 2 * CR_PI * gsl_rng_uniform(r);
        switch (q % 8) {
        case 1: th = 0.02 * gsl_rng_uniform(r); break;                  /* next to the +X axis */
        case 2: th = CR_PI - 0.02 * gsl_rng_uniform(r); break;           /* next to the -X axis */
        case 3: ph = 2e-3 * (gsl_rng_uniform(r) - 0.5); break;          /* across the seam (+Y) */
        case 4: th = (q % 16 == 4) ? 0.0 : CR_PI; break;                 /* on the axis */
        case 5: ph = 0.0; break;                                        /* on the seam */
        default: break;
        }
        sph(rad, th, ph, pts[q]);
    }
    check_points(g, pts, n, "LFM 12x16x24");
    gsl_rng_free(r);
    free(pts);
    cr_grid_release(g);
}

/* The D grid itself: fewer points (its exhaustive search is 150k cells). */
Test(grid_locate, lfm_D_matches_brute_force)
{
    struct cr_grid_spec s = {.log = &quiet_log};
    cr_assert_eq(cr_grid_spec_preset(&s, "D"), CR_OK);
    struct cr_grid *g = cr_grid_new(&s);
    cr_assert_not_null(g);
    int n = helper_sanitized() ? 200 : 2000;
    double(*pts)[3] = malloc(sizeof(double[3]) * n);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    for (int q = 0; q < n; q++) {
        double rad = exp(log(1.8) + (log(40.0) - log(1.8)) * gsl_rng_uniform(r));
        double th = acos(1 - 2 * gsl_rng_uniform(r)), ph = 2 * CR_PI * gsl_rng_uniform(r);
        if (q % 4 == 1) th = 0.05 * gsl_rng_uniform(r);
        if (q % 4 == 2) ph = 1e-3 * (gsl_rng_uniform(r) - 0.5);
        sph(rad, th, ph, pts[q]);
    }
    check_points(g, pts, n, "LFM D");
    gsl_rng_free(r);
    free(pts);
    cr_grid_release(g);
}

/* Walking from the previous cell gives the same answer as a fresh search,
 * along a random walk with steps of a fraction of the local cell size that
 * crosses the seam and passes next to the axis. */
Test(grid_locate, lfm_walk_from_hint_matches_fresh_search)
{
    struct cr_grid_spec s = {.log = &quiet_log};
    cr_assert_eq(cr_grid_spec_preset(&s, "D"), CR_OK);
    struct cr_grid *g = cr_grid_new(&s);
    cr_assert_not_null(g);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    double p[3] = {9.0, 0.05, -0.02}; /* next to the subsolar axis, by the seam */
    struct cr_grid_loc walk = {.i = -1};
    cr_assert_eq(cr_grid_locate(g, p, &walk), CR_OK);
    int nsteps = helper_sanitized() ? 20000 : 200000;
    for (int s_ = 0; s_ < nsteps; s_++) {
        double h = 0.3 * cbrt(g->vol[CR_GIDX(g, walk.i, walk.j, walk.k)]);
        double d[3] = {gsl_rng_uniform(r) - 0.5, gsl_rng_uniform(r) - 0.5, gsl_rng_uniform(r) - 0.5};
        double q[3] = {p[0] + h * d[0], p[1] + h * d[1], p[2] + h * d[2]};
        if (s_ % 5000 == 0) q[1] = q[2] = 0.0; /* now and then onto the axis */
        struct cr_grid_loc trial = walk, fresh = {.i = -1};
        int rc = cr_grid_locate(g, q, &trial);
        int rf = cr_grid_locate(g, q, &fresh);
        cr_assert_eq(rc, rf, "step %d", s_);
        if (rc != CR_OK) continue; /* stepped outside: stay */
        if (trial.i != fresh.i || trial.j != fresh.j || trial.k != fresh.k)
            cr_assert(cell_holds(g, trial.i, trial.j, trial.k, q, 1e-9) && cell_holds(g, fresh.i, fresh.j, fresh.k, q, 1e-9),
                      "step %d: walk (%d,%d,%d) vs fresh (%d,%d,%d)", s_, trial.i, trial.j, trial.k, fresh.i, fresh.j,
                      fresh.k);
        walk = trial;
        p[0] = q[0];
        p[1] = q[1];
        p[2] = q[2];
    }
    gsl_rng_free(r);
    cr_grid_release(g);
}

/* ---- interpolation ------------------------------------------------------------------- */

static double lin(const double p[3]) { return 1.5 - 2.0 * p[0] + 0.75 * p[1] + 3.25 * p[2]; }

/* Trilinear interpolation reproduces linear fields exactly: on Cartesian grids
 * for both corner and cell data (cell centres are uniformly spaced in index
 * space), and for corner data also on the warped grid (the located (u,v,w)
 * invert the cell's trilinear map, and a linear function of a trilinear map is
 * trilinear). Tolerance 1e-12 relative: round-off of the inversion. */
Test(grid_locate, interpolation_reproduces_linear_fields)
{
    for (int kind = 0; kind < 2; kind++) {
        struct cr_grid_spec s = {.kind = kind ? CR_GRID_WARPED : CR_GRID_CARTESIAN, .ni = 10, .nj = 7, .nk = 5,
                                 .lo = {-1, 0, 2}, .hi = {3, 1.4, 4}, .warp_amp = 0.25, .log = &quiet_log};
        struct cr_grid *g = cr_grid_new(&s);
        cr_assert_not_null(g);
        double *fc = calloc(g->ntot, sizeof(double)), *fn = calloc(g->ntot, sizeof(double));
        cr_assert(fc && fn);
        for (int k = -g->ng; k <= g->nk + g->ng; k++)
            for (int j = -g->ng; j <= g->nj + g->ng; j++)
                for (int i = -g->ng; i <= g->ni + g->ng; i++) {
                    size_t m = CR_GIDX(g, i, j, k);
                    double x[3] = {g->x[m], g->y[m], g->z[m]}, c[3] = {g->cx[m], g->cy[m], g->cz[m]};
                    fn[m] = lin(x);
                    fc[m] = lin(c);
                }
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 2);
        double worst_c = 0, worst_n = 0;
        for (int q = 0; q < 20000; q++) {
            double p[3] = {-1 + 4 * gsl_rng_uniform(r), 1.4 * gsl_rng_uniform(r), 2 + 2 * gsl_rng_uniform(r)};
            struct cr_grid_loc loc = {.i = -1};
            cr_assert_eq(cr_grid_locate(g, p, &loc), CR_OK);
            double f = lin(p);
            worst_n = fmax(worst_n, fabs(cr_grid_interp_corner(g, fn, &loc) - f) / 10.0);
            if (!kind) worst_c = fmax(worst_c, fabs(cr_grid_interp_cell(g, fc, &loc, p) - f) / 10.0);
        }
        cr_assert_lt(worst_n, 1e-12, "corner interpolation error %g (kind %d)", worst_n, kind);
        cr_assert_lt(worst_c, 1e-12, "cell interpolation error %g", worst_c);
        gsl_rng_free(r);
        free(fc);
        free(fn);
        cr_grid_release(g);
    }
}

/* A grid rebuilt from its own active corners (as read from a GAMERA-layout
 * file) is recognised as LFM, has the same active metrics, and locates
 * every point in the same cell. */
Test(grid_locate, lfm_from_corners_locates_alike)
{
    struct cr_grid *g = helper_lfm_grid(16, 12, 16, &quiet_log);
    size_t nc = (size_t)(g->ni + 1) * (g->nj + 1) * (g->nk + 1);
    double *x = malloc(nc * sizeof(double)), *y = malloc(nc * sizeof(double)), *z = malloc(nc * sizeof(double));
    size_t n = 0;
    for (int k = 0; k <= g->nk; k++)
        for (int j = 0; j <= g->nj; j++)
            for (int i = 0; i <= g->ni; i++, n++) {
                size_t m = CR_GIDX(g, i, j, k);
                x[n] = g->x[m];
                y[n] = g->y[m];
                z[n] = g->z[m];
            }
    struct cr_grid *h = cr_grid_new_from_corners(g->ni, g->nj, g->nk, x, y, z, &quiet_log);
    cr_assert_not_null(h);
    cr_assert_eq(h->kind, CR_GRID_LFM);
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) cr_assert_eq(g->vol[CR_GIDX(g, i, j, k)], h->vol[CR_GIDX(h, i, j, k)]);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 21);
    for (int q = 0; q < 20000; q++) {
        double p[3], rad = exp(log(1.5) + (log(350.0) - log(1.5)) * gsl_rng_uniform(r));
        sph(rad, acos(1 - 2 * gsl_rng_uniform(r)), 2 * CR_PI * gsl_rng_uniform(r), p);
        struct cr_grid_loc a = {.i = -1}, b = {.i = -1};
        int ra = cr_grid_locate(g, p, &a), rb = cr_grid_locate(h, p, &b);
        cr_assert_eq(ra, rb, "point %d", q);
        if (ra == CR_OK) cr_assert(a.i == b.i && a.j == b.j && a.k == b.k, "point %d", q);
    }
    gsl_rng_free(r);
    free(x);
    free(y);
    free(z);
    cr_grid_release(h);
    cr_grid_release(g);
}

/* GAMERA's own grids put the axis corners a tiny distance off the X axis
 * (a small ring instead of one point), so the axis cells leave a thin gap
 * around the axis. Points on and near the axis (the solar-wind probe at
 * (25, 0, 0)) must still be located, in a cell that touches the axis and
 * whose trilinear map puts them within the gap's width. The offset is tried
 * at several sizes: no value is special. */
Test(grid_locate, lfm_axis_corners_off_the_axis_like_gamera)
{
    struct cr_grid *g = helper_lfm_grid(16, 12, 16, &quiet_log);
    size_t nc = (size_t)(g->ni + 1) * (g->nj + 1) * (g->nk + 1);
    double *x = malloc(nc * sizeof(double)), *y = malloc(nc * sizeof(double)), *z = malloc(nc * sizeof(double));
    /* ring radius: a fixed offset [R_E], or (negative entries) an angle
     * [rad] times the radius, as GAMERA's generator's polar angle TINY */
    const double offsets[4] = {1e-8, 3e-7, 1e-10, -3e-8};
    const double pts[][3] = {{25.0, 0.0, 0.0}, {-40.0, 0.0, 0.0}, {12.0, 2e-9, -1e-9}, {-100.0, 0.0, 5e-9},
                             {8.0, 0.0, 0.0}, {25.0, 0.3, 0.1}};
    for (int o = 0; o < 4; o++) {
        size_t n = 0;
        double gapang = 0.0;
        for (int k = 0; k <= g->nk; k++)
            for (int j = 0; j <= g->nj; j++)
                for (int i = 0; i <= g->ni; i++, n++) {
                    size_t m = CR_GIDX(g, i, j, k);
                    x[n] = g->x[m];
                    y[n] = g->y[m];
                    z[n] = g->z[m];
                    if (j == 0 || j == g->nj) { /* the ring: azimuth of row k, from +Y towards +Z */
                        double ph = 2.0 * CR_PI * k / g->nk;
                        double rr = offsets[o] > 0 ? offsets[o] : -offsets[o] * fabs(x[n]);
                        y[n] = rr * cos(ph);
                        z[n] = rr * sin(ph);
                        gapang = fmax(gapang, rr / fabs(x[n]));
                    }
                }
        struct cr_grid *h = cr_grid_new_from_corners(g->ni, g->nj, g->nk, x, y, z, &quiet_log);
        cr_assert_not_null(h);
        cr_assert_eq(h->kind, CR_GRID_LFM, "offset %g: still an axis", offsets[o]);
        for (size_t q = 0; q < sizeof pts / sizeof *pts; q++) {
            struct cr_grid_loc a = {.i = -1};
            cr_assert_eq(cr_grid_locate(h, pts[q], &a), CR_OK, "offset %g: (%g, %g, %g) not located", offsets[o],
                         pts[q][0], pts[q][1], pts[q][2]);
            double c[8][3], xx[3], st[3] = {a.u, a.v, a.w};
            corner8(h, a.i, a.j, a.k, c);
            trilin(c, st, xx);
            double miss = hypot(xx[0] - pts[q][0], hypot(xx[1] - pts[q][1], xx[2] - pts[q][2]));
            cr_assert_leq(miss, 2.5 * gapang * fabs(pts[q][0]) + 1e-12 * fabs(pts[q][0]),
                          "offset %g: (%g, %g, %g) placed %g away",
                          offsets[o], pts[q][0], pts[q][1], pts[q][2], miss);
            struct cr_grid_loc b = {.i = -1};
            cr_assert_eq(cr_grid_locate(g, pts[q], &b), CR_OK);
            cr_assert_eq(a.i, b.i, "the radial cell is the exact-axis grid's");
        }
        cr_grid_release(h);
    }
    free(x);
    free(y);
    free(z);
    cr_grid_release(g);
}
