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
