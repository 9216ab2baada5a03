/* test_grid.c — grid construction and metrics: face closure, positive
 * volumes that add up to the analytic volume, periodic ghosts that are exact
 * copies, orthonormal face frames, on the Cartesian, warped and LFM grids. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/cr_common.h"
#include "../grids/cr_grid.h"
#include "helpers.h"

static const struct cr_log quiet_log = {.level = CR_LEVEL_ERROR, .stream = NULL, .no_timestamps = 1};

/* Largest |sum of the six outward face-area vectors| / max |A_f| over every
 * cell that has all its corners (ghosts included). */
static double face_closure(const struct cr_grid *g)
{
    double worst = 0.0;
    const int ng = g->ng;
    for (int k = -ng; k < g->nk + ng; k++)
        for (int j = -ng; j < g->nj + ng; j++)
            for (int i = -ng; i < g->ni + ng; i++) {
                size_t lo[3] = {CR_GIDX(g, i, j, k), CR_GIDX(g, i, j, k), CR_GIDX(g, i, j, k)};
                size_t hi[3] = {CR_GIDX(g, i + 1, j, k), CR_GIDX(g, i, j + 1, k), CR_GIDX(g, i, j, k + 1)};
                double s[3] = {0, 0, 0}, amax = 0.0;
                for (int d = 0; d < 3; d++) {
                    for (int c = 0; c < 3; c++) s[c] += g->area[d][c][hi[d]] - g->area[d][c][lo[d]];
                    amax = fmax(amax, fmax(g->amag[d][hi[d]], g->amag[d][lo[d]]));
                }
                double r = sqrt(s[0] * s[0] + s[1] * s[1] + s[2] * s[2]) / amax;
                if (r > worst) worst = r;
            }
    return worst;
}

/* Sum of the active cells' volumes (compensated) and the smallest one. */
static double active_volume(const struct cr_grid *g, double *vmin)
{
    double sum = 0.0, comp = 0.0;
    *vmin = INFINITY;
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                double v = g->vol[CR_GIDX(g, i, j, k)];
                if (v < *vmin) *vmin = v;
                double y = v - comp, t = sum + y;
                comp = (t - sum) - y;
                sum = t;
            }
    return sum;
}

static struct cr_grid *box_grid(enum cr_grid_kind kind, int ni, int nj, int nk, int px, int py, int pz, double amp)
{
    struct cr_grid_spec s = {.kind = kind, .ni = ni, .nj = nj, .nk = nk, .lo = {-1.0, 0.5, 2.0},
                             .hi = {2.0, 1.75, 7.0}, .periodic = {px, py, pz}, .warp_amp = amp, .log = &quiet_log};
    return cr_grid_new(&s);
}

Test(grid, cartesian_metrics)
{
    struct cr_grid *g = box_grid(CR_GRID_CARTESIAN, 12, 10, 8, 1, 0, 1, 0.0);
    cr_assert_not_null(g);
    cr_assert_eq(g->ng, 4, "ng = 0 must mean 4 ghost layers");
    cr_assert_eq(g->ntot, (size_t)(12 + 9) * (10 + 9) * (8 + 9));
    /* closure: round-off of the corner differences, a few ulp of |A| */
    double clos = face_closure(g);
    cr_assert_lt(clos, 1e-13, "face closure %g", clos);
    double vmin, vol = active_volume(g, &vmin);
    /* box 3 x 1.25 x 5; each cell volume carries a few ulp, the compensated
     * sum adds none: 1e-13 relative is round-off */
    cr_assert_gt(vmin, 0.0);
    cr_assert_float_eq(vol, 3.0 * 1.25 * 5.0, 1e-13 * 18.75, "volume %.17g", vol);
    /* every cell: volume dx dy dz, centroid at the cell centre, faces along the axes */
    double dx = 3.0 / 12, dy = 1.25 / 10, dz = 5.0 / 8;
    for (int k = -4; k < 12; k++)
        for (int j = -4; j < 14; j++)
            for (int i = -4; i < 16; i++) {
                size_t m = CR_GIDX(g, i, j, k);
                cr_assert_float_eq(g->vol[m], dx * dy * dz, 1e-14, "vol(%d,%d,%d)", i, j, k);
                cr_assert_float_eq(g->cx[m], -1.0 + (i + 0.5) * dx, 1e-13);
                cr_assert_float_eq(g->cy[m], 0.5 + (j + 0.5) * dy, 1e-13);
                cr_assert_float_eq(g->cz[m], 2.0 + (k + 0.5) * dz, 1e-13);
                cr_assert_float_eq(g->area[0][0][m], dy * dz, 1e-14);
                cr_assert_float_eq(g->area[1][1][m], dx * dz, 1e-14);
                cr_assert_float_eq(g->area[2][2][m], dx * dy, 1e-14);
                cr_assert_float_eq(g->fn[0][0][m], 1.0, 1e-15);
                cr_assert_float_eq(g->ft1[0][1][m], 1.0, 1e-15, "t1 of an i-face is along j");
                cr_assert_float_eq(g->ft2[0][2][m], 1.0, 1e-15, "t2 = n x t1 is along k");
                cr_assert_float_eq(g->elen[2][m], dz, 1e-14);
            }
    cr_assert_eq(g->bc[0], CR_GRID_PERIODIC);
    cr_assert_eq(g->bc[1], CR_GRID_OPEN);
    cr_grid_release(g);
}

Test(grid, warped_metrics)
{
    struct cr_grid *g = box_grid(CR_GRID_WARPED, 16, 12, 10, 1, 1, 1, 0.3);
    cr_assert_not_null(g);
    double clos = face_closure(g);
    cr_assert_lt(clos, 1e-13, "face closure %g", clos);
    /* the warp vanishes on the box faces, so the union of the cells is still
     * the box: the volumes add up to it (round-off, compensated sum) */
    double vmin, vol = active_volume(g, &vmin);
    cr_assert_gt(vmin, 0.0);
    cr_assert_float_eq(vol, 18.75, 1e-13 * 18.75, "volume %.17g", vol);
    /* the grid is really warped: an interior corner moved by ~amp * h */
    size_t m = CR_GIDX(g, 4, 3, 2);
    double x0 = -1.0 + 4 * 3.0 / 16;
    cr_assert_gt(fabs(g->x[m] - x0), 0.01 * 3.0 / 16, "corner not displaced");
    /* periodic ghosts are the images shifted by the period, metrics identical */
    for (int k = -4; k < 14; k++)
        for (int j = -4; j < 16; j++)
            for (int i = -4; i < 0; i++) {
                size_t a = CR_GIDX(g, i, j, k), b = CR_GIDX(g, i + 16, j, k);
                cr_assert_float_eq(g->x[a] + 3.0, g->x[b], 1e-14);
                cr_assert_eq(g->y[a], g->y[b]);
                cr_assert_eq(g->vol[a], g->vol[b]);
                cr_assert_eq(g->area[1][0][a], g->area[1][0][b]);
                cr_assert_float_eq(g->cx[a] + 3.0, g->cx[b], 1e-14);
            }
    /* frames are orthonormal and right-handed everywhere */
    for (int d = 0; d < 3; d++)
        for (size_t n = 0; n < g->ntot; n += 7) {
            double nn[3] = {g->fn[d][0][n], g->fn[d][1][n], g->fn[d][2][n]};
            double t1[3] = {g->ft1[d][0][n], g->ft1[d][1][n], g->ft1[d][2][n]};
            double t2[3] = {g->ft2[d][0][n], g->ft2[d][1][n], g->ft2[d][2][n]};
            if (nn[0] == 0 && nn[1] == 0 && nn[2] == 0) continue; /* beyond the last face */
            double a = nn[0] * t1[0] + nn[1] * t1[1] + nn[2] * t1[2];
            double b = t1[0] * t2[0] + t1[1] * t2[1] + t1[2] * t2[2];
            double c = (nn[1] * t1[2] - nn[2] * t1[1]) * t2[0] + (nn[2] * t1[0] - nn[0] * t1[2]) * t2[1] +
                       (nn[0] * t1[1] - nn[1] * t1[0]) * t2[2];
            cr_assert(fabs(a) < 1e-14 && fabs(b) < 1e-14 && fabs(c - 1.0) < 1e-14, "frame d=%d n=%zu", d, n);
        }
    cr_grid_release(g);
}

Test(grid, warped_2d_keeps_flat_third_direction)
{
    struct cr_grid *g = box_grid(CR_GRID_WARPED, 20, 20, 1, 1, 1, 1, 0.25);
    cr_assert_not_null(g);
    cr_assert_lt(face_closure(g), 1e-13);
    for (int j = -4; j <= 24; j++)
        for (int i = -4; i <= 24; i++) {
            cr_assert_eq(g->z[CR_GIDX(g, i, j, 0)], 2.0);
            cr_assert_eq(g->z[CR_GIDX(g, i, j, 1)], 7.0);
        }
    double vmin, vol = active_volume(g, &vmin);
    cr_assert_float_eq(vol, 18.75, 1e-13 * 18.75);
    cr_grid_release(g);
}

Test(grid, bad_specs_are_refused)
{
    struct cr_grid_spec s = {.kind = CR_GRID_CARTESIAN, .ni = 0, .nj = 4, .nk = 4, .hi = {1, 1, 1},
                             .log = &quiet_log};
    cr_assert_null(cr_grid_new(&s));
    s.ni = 4;
    s.ng = 2;
    cr_assert_null(cr_grid_new(&s), "fewer than 4 ghost layers");
    s.ng = 0;
    s.hi[1] = -1;
    cr_assert_null(cr_grid_new(&s), "empty box");
    s.hi[1] = 1;
    s.kind = CR_GRID_WARPED;
    s.warp_amp = 3.0;
    cr_assert_null(cr_grid_new(&s), "tangling warp");
    s.warp_amp = 0.2;
    struct cr_grid *g = cr_grid_new(&s);
    cr_assert_not_null(g);
    cr_grid_release(g);
}

/* ---- the LFM-style spherical grid ---------------------------------------------- */

static struct cr_grid *lfm_grid(const char *preset, int ni, int nj, int nk)
{
    struct cr_grid_spec s = {.log = &quiet_log};
    if (preset) cr_assert_eq(cr_grid_spec_preset(&s, preset), CR_OK);
    else {
        s.kind = CR_GRID_LFM;
        s.ni = ni;
        s.nj = nj;
        s.nk = nk;
        s.j_warp = 0.5;
    }
    return cr_grid_new(&s);
}

Test(grid, lfm_D_metrics_and_shape)
{
    struct cr_grid *g = lfm_grid("D", 0, 0, 0);
    cr_assert_not_null(g);
    cr_assert(g->ni == 48 && g->nj == 48 && g->nk == 64);
    cr_assert(g->bc[0] == CR_GRID_OPEN && g->bc[1] == CR_GRID_AXIS && g->bc[2] == CR_GRID_PERIODIC);
    cr_assert(g->axis_lo && g->axis_hi);
    double clos = face_closure(g);
    printf("grid: LFM D face closure max residual %.3e (relative to the largest face)\n", clos);
    cr_assert_lt(clos, 1e-13, "face closure %g", clos);
    double vmin;
    active_volume(g, &vmin);
    cr_assert_gt(vmin, 0.0);
    /* extents: the inner sphere, 30 R_E sunward, 300 down-tail, 100 laterally */
    size_t m = CR_GIDX(g, 0, 17, 5);
    cr_assert_float_eq(sqrt(g->x[m] * g->x[m] + g->y[m] * g->y[m] + g->z[m] * g->z[m]), 2.0, 1e-14);
    cr_assert_float_eq(g->x[CR_GIDX(g, 48, 0, 0)], 30.0, 1e-13);
    cr_assert_float_eq(g->x[CR_GIDX(g, 48, 48, 0)], -300.0, 1e-12);
    cr_assert_float_eq(g->z[CR_GIDX(g, 48, 24, 16)], 100.0, 1e-12);
    cr_assert_eq(g->x[CR_GIDX(g, 48, 24, 16)], 0.0);
    /* subsolar radial spacing near r_focus = 10 R_E: 0.34 R_E (the LFM D figure) */
    for (int i = 0; i < 48; i++) {
        double x0 = g->x[CR_GIDX(g, i, 0, 0)], x1 = g->x[CR_GIDX(g, i + 1, 0, 0)];
        if (x0 <= 10.0 && x1 > 10.0) cr_assert(x1 - x0 > 0.33 && x1 - x0 < 0.35, "dx %g at 10 R_E", x1 - x0);
        cr_assert_gt(x1, x0);
    }
    /* the axis, the seam and the mirror symmetries are exact */
    for (int k = -4; k <= 68; k++)
        for (int i = -4; i <= 52; i++) {
            size_t a = CR_GIDX(g, i, 0, k), b = CR_GIDX(g, i, 48, k);
            cr_assert(g->y[a] == 0.0 && g->z[a] == 0.0 && g->y[b] == 0.0 && g->z[b] == 0.0);
            for (int j = -4; j <= 52; j++) {
                size_t p = CR_GIDX(g, i, j, k), q = CR_GIDX(g, i, j, ((k % 64) + 64) % 64);
                cr_assert(g->x[p] == g->x[q] && g->y[p] == g->y[q] && g->z[p] == g->z[q], "seam (%d,%d,%d)", i, j, k);
            }
            for (int mm = 1; mm <= 4; mm++) {
                int kp = (((k + 32) % 64) + 64) % 64;
                size_t p = CR_GIDX(g, i, -mm, k), q = CR_GIDX(g, i, mm, kp);
                cr_assert(g->x[p] == g->x[q] && g->y[p] == g->y[q] && g->z[p] == g->z[q], "axis ghost");
            }
        }
    for (int k = 0; k < 64; k++)
        for (int j = 0; j <= 48; j++) {
            size_t p = CR_GIDX(g, 20, j, k), q = CR_GIDX(g, 20, j, (64 - k) % 64), r = CR_GIDX(g, 20, j, (96 - k) % 64);
            cr_assert(g->y[p] == g->y[q] && g->z[p] == -g->z[q], "north-south mirror");
            cr_assert(g->y[p] == -g->y[r] && g->z[p] == g->z[r], "dawn-dusk mirror");
        }
    /* degenerate axis faces have zero area and still a unit normal */
    m = CR_GIDX(g, 10, 0, 3);
    cr_assert_eq(g->amag[1][m], 0.0);
    double nn = g->fn[1][0][m] * g->fn[1][0][m] + g->fn[1][1][m] * g->fn[1][1][m] + g->fn[1][2][m] * g->fn[1][2][m];
    cr_assert_float_eq(nn, 1.0, 1e-14);
    cr_grid_release(g);
}

/* The cells fill the region between the inner sphere and the outer egg up to
 * the chord error of the bilinear faces, O(h^2) in the angular spacing: the
 * summed volume converges to the analytic (2 pi/3) w^2 (s + e) - (4 pi/3)
 * r_in^3 at second order. The radial count does not enter (the corners of
 * each ray are on straight lines). */
Test(grid, lfm_volume_converges_second_order)
{
    const int nlev = helper_sanitized() ? 3 : 4;
    double err[4], vexact = 0.0;
    for (int l = 0; l < nlev; l++) {
        int nj = 8 << l, nk = 16 << l;
        struct cr_grid *g = lfm_grid(NULL, 8, nj, nk);
        cr_assert_not_null(g);
        vexact = cr_grid_lfm_volume(&g->spec);
        double vmin, vol = active_volume(g, &vmin);
        cr_assert_gt(vmin, 0.0);
        err[l] = fabs(vol - vexact) / vexact;
        cr_assert_lt(face_closure(g), 1e-13);
        cr_grid_release(g);
        printf("grid: LFM %3d x %3d x %3d volume %.10e (analytic %.10e) relative error %.3e", 8, nj, nk, vol, vexact,
               err[l]);
        if (l > 0) printf("  order %.3f", log2(err[l - 1] / err[l]));
        printf("\n");
    }
    double order = log2(err[nlev - 2] / err[nlev - 1]);
    /* the chord error is h^2 plus higher orders: the measured order settles
     * at 2 within a few percent on these resolutions */
    cr_assert(order > 1.9 && order < 2.1, "volume convergence order %g", order);
    cr_assert_lt(err[nlev - 1], 0.01);
}

Test(grid, lfm_bad_specs)
{
    struct cr_grid_spec s = {.log = &quiet_log};
    cr_assert_eq(cr_grid_spec_preset(&s, "X"), CR_ECONFIG);
    cr_assert_eq(cr_grid_spec_preset(&s, "D"), CR_OK);
    s.nk = 63;
    cr_assert_null(cr_grid_new(&s), "odd nk has no axis partner");
    s.nk = 64;
    s.r_focus = 40.0;
    cr_assert_null(cr_grid_new(&s), "focus beyond x_sun");
    s.r_focus = 10.0;
    s.j_warp = 5.0;
    cr_assert_null(cr_grid_new(&s), "non-monotone polar angle");
}
