/* cr_grid_locate.c — point location and interpolation on the curvilinear
 * grids.
 *
 * Location: the local coordinates (u, v, w) of a point in a cell are found by
 * Newton's method on the trilinear map of the cell's eight corners
 *   x(u,v,w) = c000 + u a + v b + w c + uv d + uw e + vw f + uvw g
 * (the isoparametric inversion of finite elements, e.g. Zienkiewicz & Taylor,
 * The Finite Element Method, vol. 1, ch. 6). If a coordinate falls outside
 * [0, 1] the search walks to the neighbouring cell that direction points at
 * (floor of the coordinate, at most a few cells per step), through the
 * periodic seam and, on the LFM grid, through the axis (cell (i, -1, k) is
 * cell (i, 0, k + nk/2)). The walk starts from the previous result (the hint
 * in `loc`), or from a guess: on boxes the nominal spacing, on the LFM grid
 * the polar angle, azimuth and radius of the point against the corner rays.
 * A point is outside when the only coordinates out of range point through an
 * open boundary of the grid. If a walk does not settle within a bounded
 * number of steps, a fresh guess and finally an exhaustive search decide.
 *
 * Interpolation: trilinear in the cell's local coordinates for corner data;
 * for cell data, trilinear between the eight surrounding cell centres in
 * logical (index) coordinates, exact for linear fields on uniform Cartesian
 * grids.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "cr_grid_priv.h"

/* Tolerance on local coordinates for "inside": far below the spacing of
 * anything physical, far above the Newton convergence (1e-13). */
#define CR_LOC_TOL 1e-9
#define CR_LOC_MAX_STEPS 200

/* ---- the aux tables ------------------------------------------------------------ */

int cr_grid_aux_build(struct cr_grid *g)
{
    struct cr_grid_aux *a = cr_zalloc(1, sizeof *a);
    if (!a) return CR_ENOMEM;
    if (g->kind == CR_GRID_LFM) {
        a->theta = cr_zalloc((size_t)g->nj + 1, sizeof(double));
        if (!a->theta) {
            free(a);
            return CR_ENOMEM;
        }
        for (int j = 0; j <= g->nj; j++) {
            size_t m = CR_GIDX(g, 0, j, 0);
            a->theta[j] = atan2(hypot(g->y[m], g->z[m]), g->x[m]);
        }
    }
    /* Quick rejection bounds, exact for any grid because every point of a
     * trilinear cell is a convex combination of its eight corners:
     *  - with rmin the smallest corner radius of a cell and beta the largest
     *    angle between two of its corner directions, p . n >= rmin cos(beta)
     *    for the direction n of any corner, so |p| < min over cells of
     *    rmin cos(beta) is outside every cell (inside the inner boundary);
     *  - |p| > the largest corner radius is outside every cell;
     *  - the LFM outer shell (x_sun, x_tail, r_side) is convex (two half-
     *    spheroids with a common tangent plane at x = 0): if it holds every
     *    corner, a point beyond it is outside the grid. */
    if (g->kind == CR_GRID_LFM) {
        double rsafe = INFINITY, rmax = 0.0;
        for (int k = 0; k < g->nk; k++)
            for (int j = 0; j < g->nj; j++)
                for (int i = 0; i < g->ni; i++) {
                    double e[8][3], rmin = INFINITY, cmin = 1.0;
                    for (int q = 0; q < 8; q++) {
                        size_t m = CR_GIDX(g, i + (q & 1), j + ((q >> 1) & 1), k + (q >> 2));
                        double r = sqrt(g->x[m] * g->x[m] + g->y[m] * g->y[m] + g->z[m] * g->z[m]);
                        rmin = fmin(rmin, r);
                        rmax = fmax(rmax, r);
                        e[q][0] = r > 0 ? g->x[m] / r : 0.0;
                        e[q][1] = r > 0 ? g->y[m] / r : 0.0;
                        e[q][2] = r > 0 ? g->z[m] / r : 0.0;
                    }
                    for (int q = 0; q < 8; q++)
                        for (int q2 = q + 1; q2 < 8; q2++)
                            cmin = fmin(cmin, e[q][0] * e[q2][0] + e[q][1] * e[q2][1] + e[q][2] * e[q2][2]);
                    rsafe = fmin(rsafe, cmin > 0.0 ? rmin * cmin : 0.0);
                }
        a->r_safe = rsafe * (1.0 - 1e-12);
        a->r_max = rmax * (1.0 + 1e-12);
        const double xs = g->spec.x_sun, xt = g->spec.x_tail, rs = g->spec.r_side;
        int egg = xs > 0.0 && xt > 0.0 && rs > 0.0;
        for (int k = 0; k <= g->nk && egg; k++)
            for (int j = 0; j <= g->nj && egg; j++)
                for (int i = 0; i <= g->ni && egg; i++) {
                    size_t m = CR_GIDX(g, i, j, k);
                    double ex = g->x[m] / (g->x[m] >= 0.0 ? xs : xt);
                    if (ex * ex + (g->y[m] * g->y[m] + g->z[m] * g->z[m]) / (rs * rs) > 1.0 + 1e-12) egg = 0;
                }
        /* the thin gap around the axis that axis corners off the axis leave
         * (GAMERA's grids: a ring of tiny radius instead of one point): its
         * radius, if small against the first ring of corners off the axis */
        double gap = 0.0, ring = INFINITY;
        for (int k = 0; k <= g->nk; k++)
            for (int i = 0; i <= g->ni; i++) {
                const int ja[2] = {0, g->nj}, jb[2] = {1, g->nj - 1};
                for (int e = 0; e < 2; e++) {
                    size_t m = CR_GIDX(g, i, ja[e], k), m1 = CR_GIDX(g, i, jb[e], k);
                    double r = sqrt(g->x[m] * g->x[m] + g->y[m] * g->y[m] + g->z[m] * g->z[m]);
                    double r1 = sqrt(g->x[m1] * g->x[m1] + g->y[m1] * g->y[m1] + g->z[m1] * g->z[m1]);
                    if (r > 0.0) gap = fmax(gap, hypot(g->y[m], g->z[m]) / r);
                    if (r1 > 0.0) ring = fmin(ring, hypot(g->y[m1], g->z[m1]) / r1);
                }
            }
        a->axis_gap = (gap > 0.0 && gap < 1e-3 * ring) ? gap : 0.0;
        a->egg[0] = egg ? xs : 0.0;
        a->egg[1] = egg ? xt : 0.0;
        a->egg[2] = egg ? rs : 0.0;
    } else {
        const int n[3] = {g->ni, g->nj, g->nk};
        for (int d = 0; d < 3; d++) a->h[d] = (g->spec.hi[d] - g->spec.lo[d]) / n[d];
    }
    g->aux = a;
    return CR_OK;
}

void cr_grid_aux_free(struct cr_grid_aux *aux)
{
    if (!aux) return;
    free(aux->theta);
    free(aux);
}

/* ---- Newton on one cell ------------------------------------------------------- */

/* Coefficients of the trilinear map relative to corner c000. */
struct tri {
    double o[3], a[3], b[3], c[3], d[3], e[3], f[3], g[3];
};

static inline void tri_load(const struct cr_grid *g, int i, int j, int k, struct tri *t)
{
    const size_t m000 = CR_GIDX(g, i, j, k), sj = g->sj, sk = g->sk;
    const size_t m[8] = {m000, m000 + 1, m000 + sj, m000 + sj + 1, m000 + sk, m000 + sk + 1, m000 + sk + sj,
                         m000 + sk + sj + 1};
    const double *xyz[3] = {g->x, g->y, g->z};
    for (int q = 0; q < 3; q++) {
        const double *X = xyz[q];
        double c000 = X[m[0]], c100 = X[m[1]], c010 = X[m[2]], c110 = X[m[3]], c001 = X[m[4]], c101 = X[m[5]],
               c011 = X[m[6]], c111 = X[m[7]];
        t->o[q] = c000;
        t->a[q] = c100 - c000;
        t->b[q] = c010 - c000;
        t->c[q] = c001 - c000;
        t->d[q] = (c110 - c100) - (c010 - c000);
        t->e[q] = (c101 - c100) - (c001 - c000);
        t->f[q] = (c011 - c010) - (c001 - c000);
        t->g[q] = ((c111 - c110) - (c101 - c100)) - ((c011 - c010) - (c001 - c000));
    }
}

static inline int in_cell(double u, double v, double w)
{
    return u >= -CR_LOC_TOL && u <= 1.0 + CR_LOC_TOL && v >= -CR_LOC_TOL && v <= 1.0 + CR_LOC_TOL &&
           w >= -CR_LOC_TOL && w <= 1.0 + CR_LOC_TOL;
}

/* Solve x(u,v,w) = p for the cell's map, starting from uvw. Returns 1 when
 * converged (update below 1e-13), 0 otherwise; uvw holds the last iterate
 * (limited to a few cells around the cell, enough to choose a walking step). */
static int tri_newton(const struct tri *t, const double p[3], double uvw[3])
{
    double q[3] = {p[0] - t->o[0], p[1] - t->o[1], p[2] - t->o[2]};
    double u = uvw[0], v = uvw[1], w = uvw[2];
    /* converged when the residual is round-off of the cell size (this also
     * settles points on the LFM axis, where the azimuthal coordinate is free) */
    const double ftol = 1e-13 * (fabs(t->a[0]) + fabs(t->a[1]) + fabs(t->a[2]) + fabs(t->b[0]) + fabs(t->b[1]) +
                                 fabs(t->b[2]) + fabs(t->c[0]) + fabs(t->c[1]) + fabs(t->c[2]));
    for (int it = 0; it < 30; it++) {
        double F[3], Ju[3], Jv[3], Jw[3];
        for (int c = 0; c < 3; c++) {
            F[c] = u * t->a[c] + v * t->b[c] + w * t->c[c] + u * v * t->d[c] + u * w * t->e[c] + v * w * t->f[c] +
                   u * v * w * t->g[c] - q[c];
            Ju[c] = t->a[c] + v * t->d[c] + w * t->e[c] + v * w * t->g[c];
            Jv[c] = t->b[c] + u * t->d[c] + w * t->f[c] + u * w * t->g[c];
            Jw[c] = t->c[c] + u * t->e[c] + v * t->f[c] + u * v * t->g[c];
        }
        int small = fabs(F[0]) <= ftol && fabs(F[1]) <= ftol && fabs(F[2]) <= ftol;
        /* inverse by cofactors: rows of J^-1 are (Jv x Jw, Jw x Ju, Ju x Jv) / det */
        double r0[3] = {Jv[1] * Jw[2] - Jv[2] * Jw[1], Jv[2] * Jw[0] - Jv[0] * Jw[2], Jv[0] * Jw[1] - Jv[1] * Jw[0]};
        double r1[3] = {Jw[1] * Ju[2] - Jw[2] * Ju[1], Jw[2] * Ju[0] - Jw[0] * Ju[2], Jw[0] * Ju[1] - Jw[1] * Ju[0]};
        double r2[3] = {Ju[1] * Jv[2] - Ju[2] * Jv[1], Ju[2] * Jv[0] - Ju[0] * Jv[2], Ju[0] * Jv[1] - Ju[1] * Jv[0]};
        double det = Ju[0] * r0[0] + Ju[1] * r0[1] + Ju[2] * r0[2];
        if (small) {
            /* converged: one last correction (the Jacobian is at hand) takes
             * the coordinates from the residual's tolerance to round-off, so
             * that they do not depend on where Newton started. Skipped where
             * the map is (nearly) singular, on the LFM axis where w is free
             * (a large correction), and when it would move a point accepted
             * in this cell out of it (the walk's decision stays the same). */
            double cu = 0.0, cv = 0.0, cw = 0.0;
            if (fabs(det) > 0.0 && isfinite(det)) {
                cu = -(r0[0] * F[0] + r0[1] * F[1] + r0[2] * F[2]) / det;
                cv = -(r1[0] * F[0] + r1[1] * F[1] + r1[2] * F[2]) / det;
                cw = -(r2[0] * F[0] + r2[1] * F[1] + r2[2] * F[2]) / det;
            }
            if (fabs(cu) + fabs(cv) + fabs(cw) < 1e-6 && (in_cell(u + cu, v + cv, w + cw) || !in_cell(u, v, w))) {
                u += cu;
                v += cv;
                w += cw;
            }
            uvw[0] = u;
            uvw[1] = v;
            uvw[2] = w;
            return 1;
        }
        if (!(fabs(det) > 0.0) || !isfinite(det)) {
            /* singular point of the map (the LFM axis edge): step off it */
            u = 0.5 + (1.0 - 1e-7) * (u - 0.5) + 1e-9;
            v = 0.5 + (1.0 - 1e-7) * (v - 0.5) + 1e-9;
            w = 0.5 + (1.0 - 1e-7) * (w - 0.5) + 1e-9;
            continue;
        }
        double du = -(r0[0] * F[0] + r0[1] * F[1] + r0[2] * F[2]) / det;
        double dv = -(r1[0] * F[0] + r1[1] * F[1] + r1[2] * F[2]) / det;
        double dw = -(r2[0] * F[0] + r2[1] * F[1] + r2[2] * F[2]) / det;
        u += du;
        v += dv;
        w += dw;
        /* far outside the cell the map is only a guide for the walk */
        u = fmin(fmax(u, -8.0), 9.0);
        v = fmin(fmax(v, -8.0), 9.0);
        w = fmin(fmax(w, -8.0), 9.0);
        if (fabs(du) + fabs(dv) + fabs(dw) < 1e-13) {
            uvw[0] = u;
            uvw[1] = v;
            uvw[2] = w;
            return 1;
        }
    }
    uvw[0] = u;
    uvw[1] = v;
    uvw[2] = w;
    return 0;
}

/* ---- guesses --------------------------------------------------------------------- */

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static void guess_cell(const struct cr_grid *g, const double p[3], int c[3])
{
    if (g->kind != CR_GRID_LFM) {
        const int n[3] = {g->ni, g->nj, g->nk};
        for (int d = 0; d < 3; d++) {
            double f = floor((p[d] - g->spec.lo[d]) / g->aux->h[d]);
            c[d] = f < 0 ? 0 : f > n[d] - 1 ? n[d] - 1 : (int)f;
        }
        return;
    }
    const double *th = g->aux->theta;
    double rho = hypot(p[1], p[2]);
    double theta = atan2(rho, p[0]);
    double phi = atan2(p[2], p[1]);
    if (phi < 0.0) phi += 2.0 * CR_PI;
    int k = clampi((int)floor(phi / (2.0 * CR_PI) * g->nk), 0, g->nk - 1);
    int lo = 0, hi = g->nj; /* th[lo] <= theta < th[hi] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (th[mid] <= theta) lo = mid;
        else hi = mid;
    }
    int j = clampi(lo, 0, g->nj - 1);
    double r = sqrt(p[0] * p[0] + rho * rho);
    /* radial: corners of the ray (j, k) nearest in angle */
    int jr = (theta - th[j] < th[j + 1] - theta) ? j : j + 1;
    lo = 0;
    hi = g->ni;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        size_t m = CR_GIDX(g, mid, jr, k);
        double rm = sqrt(g->x[m] * g->x[m] + g->y[m] * g->y[m] + g->z[m] * g->z[m]);
        if (rm <= r) lo = mid;
        else hi = mid;
    }
    c[0] = clampi(lo, 0, g->ni - 1);
    c[1] = j;
    c[2] = k;
}

/* ---- the walk ----------------------------------------------------------------------- */

enum { WALK_FOUND = 0, WALK_OUTSIDE = 1, WALK_LIMIT = 2 };

static int walk(const struct cr_grid *g, const double p[3], int c[3], double uvw[3])
{
    const int n[3] = {g->ni, g->nj, g->nk};
    const int lfm = g->kind == CR_GRID_LFM;
    for (int step = 0; step < CR_LOC_MAX_STEPS; step++) {
        struct tri t;
        tri_load(g, c[0], c[1], c[2], &t);
        int conv = tri_newton(&t, p, uvw);
        int out[3], any = 0;
        for (int d = 0; d < 3; d++) {
            out[d] = uvw[d] < -CR_LOC_TOL ? -1 : uvw[d] > 1.0 + CR_LOC_TOL ? 1 : 0;
            any |= out[d];
        }
        if (!any && conv) {
            for (int d = 0; d < 3; d++) uvw[d] = fmin(fmax(uvw[d], 0.0), 1.0);
            return WALK_FOUND;
        }
        int nc[3] = {c[0], c[1], c[2]}, moved = 0;
        for (int d = 0; d < 3; d++) {
            if (!out[d]) continue;
            int s = (int)floor(uvw[d]);
            s = s < -4 ? -4 : s > 4 ? 4 : s;
            if (s == 0) s = out[d];
            nc[d] += s;
        }
        if (lfm) {
            /* through the axis: (i, -1-m, k) is (i, m, k + nk/2) */
            if (nc[1] < 0) {
                nc[1] = -nc[1] - 1;
                nc[2] += n[2] / 2;
            } else if (nc[1] > n[1] - 1) {
                nc[1] = 2 * n[1] - 1 - nc[1];
                nc[2] += n[2] / 2;
            }
            nc[1] = clampi(nc[1], 0, n[1] - 1);
            nc[2] = ((nc[2] % n[2]) + n[2]) % n[2];
            nc[0] = clampi(nc[0], 0, n[0] - 1);
        } else {
            /* periodic points were wrapped into the box: no seam to cross */
            for (int d = 0; d < 3; d++) nc[d] = clampi(nc[d], 0, n[d] - 1);
        }
        for (int d = 0; d < 3; d++) moved |= nc[d] != c[d];
        if (!moved) {
            /* every coordinate out of range points through an open boundary */
            return conv ? WALK_OUTSIDE : WALK_LIMIT;
        }
        c[0] = nc[0];
        c[1] = nc[1];
        c[2] = nc[2];
        if (!conv || fabs(uvw[0] - 0.5) > 2 || fabs(uvw[1] - 0.5) > 2 || fabs(uvw[2] - 0.5) > 2) {
            uvw[0] = uvw[1] = uvw[2] = 0.5;
        } else {
            /* start the next Newton from the continued coordinates */
            for (int d = 0; d < 3; d++) uvw[d] -= floor(uvw[d]);
        }
    }
    return WALK_LIMIT;
}

/* Last resort: every active cell whose bounding box holds the point. */
static int exhaustive(const struct cr_grid *g, const double p[3], int c[3], double uvw[3])
{
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
                for (int q = 0; q < 8; q++) {
                    size_t m = CR_GIDX(g, i + (q & 1), j + ((q >> 1) & 1), k + (q >> 2));
                    const double v[3] = {g->x[m], g->y[m], g->z[m]};
                    for (int d = 0; d < 3; d++) {
                        lo[d] = fmin(lo[d], v[d]);
                        hi[d] = fmax(hi[d], v[d]);
                    }
                }
                int in = 1;
                for (int d = 0; d < 3; d++) {
                    double pad = 1e-9 * (hi[d] - lo[d] + fabs(lo[d]) + fabs(hi[d]));
                    in &= p[d] >= lo[d] - pad && p[d] <= hi[d] + pad;
                }
                if (!in) continue;
                struct tri t;
                double u[3] = {0.5, 0.5, 0.5};
                tri_load(g, i, j, k, &t);
                if (!tri_newton(&t, p, u)) continue;
                if (u[0] < -CR_LOC_TOL || u[0] > 1 + CR_LOC_TOL || u[1] < -CR_LOC_TOL || u[1] > 1 + CR_LOC_TOL ||
                    u[2] < -CR_LOC_TOL || u[2] > 1 + CR_LOC_TOL)
                    continue;
                c[0] = i;
                c[1] = j;
                c[2] = k;
                for (int d = 0; d < 3; d++) uvw[d] = fmin(fmax(u[d], 0.0), 1.0);
                return WALK_FOUND;
            }
    return WALK_OUTSIDE;
}

int cr_grid_locate(const struct cr_grid *g, const double p_in[3], struct cr_grid_loc *loc)
{
    double p[3] = {p_in[0], p_in[1], p_in[2]};
    if (!isfinite(p[0]) || !isfinite(p[1]) || !isfinite(p[2])) return CR_EDOMAIN;
    if (g->kind != CR_GRID_LFM) {
        for (int d = 0; d < 3; d++) {
            if (g->bc[d] != CR_GRID_PERIODIC) continue;
            double L = g->period[d], lo = g->spec.lo[d];
            if (p[d] < lo || p[d] >= lo + L) {
                p[d] = lo + fmod(p[d] - lo, L);
                if (p[d] < lo) p[d] += L;
                if (p[d] >= lo + L) p[d] = lo; /* fmod round-off at the seam */
            }
        }
    }
    if (g->kind == CR_GRID_LFM) {
        const struct cr_grid_aux *a = g->aux;
        double r2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2];
        if (r2 < a->r_safe * a->r_safe || r2 > a->r_max * a->r_max) return CR_EDOMAIN;
        if (a->egg[0] > 0.0) {
            double ex = p[0] / (p[0] >= 0.0 ? a->egg[0] : a->egg[1]);
            if (ex * ex + (p[1] * p[1] + p[2] * p[2]) / (a->egg[2] * a->egg[2]) > 1.0 + 1e-12) return CR_EDOMAIN;
        }
        /* a point in the gap around the axis (closer to it than the axis
         * corners) lies in no cell: it is located at twice the gap's angular
         * radius from the axis, in its own azimuth (+Y on the axis), which is
         * inside the cells that touch the axis; the shift is below
         * 2 axis_gap |p| */
        double rho = hypot(p[1], p[2]), s = 2.0 * a->axis_gap * sqrt(r2);
        if (a->axis_gap > 0.0 && rho < s) {
            if (rho > 0.0) {
                p[1] *= s / rho;
                p[2] *= s / rho;
            } else {
                p[1] = s;
                p[2] = 0.0;
            }
        }
    } else {
        /* the box faces are planar: outside them (open directions) is outside */
        for (int d = 0; d < 3; d++)
            if (g->bc[d] != CR_GRID_PERIODIC && (p[d] < g->spec.lo[d] || p[d] > g->spec.hi[d])) return CR_EDOMAIN;
    }
    int c[3];
    double uvw[3] = {0.5, 0.5, 0.5};
    int hinted = loc->i >= 0 && loc->i < g->ni && loc->j >= 0 && loc->j < g->nj && loc->k >= 0 && loc->k < g->nk;
    int rc;
    if (hinted) {
        c[0] = loc->i;
        c[1] = loc->j;
        c[2] = loc->k;
        if (loc->u >= 0 && loc->u <= 1 && loc->v >= 0 && loc->v <= 1 && loc->w >= 0 && loc->w <= 1) {
            uvw[0] = loc->u;
            uvw[1] = loc->v;
            uvw[2] = loc->w;
        }
        rc = walk(g, p, c, uvw);
        /* a walk from a far hint can stop at a hole of the grid (the inner
         * sphere) although the point is inside: only a fresh search from the
         * best first guess may conclude "outside" */
        if (rc != WALK_FOUND) {
            guess_cell(g, p, c);
            uvw[0] = uvw[1] = uvw[2] = 0.5;
            rc = walk(g, p, c, uvw);
        }
    } else {
        guess_cell(g, p, c);
        rc = walk(g, p, c, uvw);
    }
    if (rc == WALK_LIMIT) rc = exhaustive(g, p, c, uvw);
    if (rc != WALK_FOUND) return CR_EDOMAIN;
    loc->i = c[0];
    loc->j = c[1];
    loc->k = c[2];
    loc->u = uvw[0];
    loc->v = uvw[1];
    loc->w = uvw[2];
    return CR_OK;
}

/* ---- interpolation --------------------------------------------------------------------- */

double cr_grid_interp_corner(const struct cr_grid *g, const double *data, const struct cr_grid_loc *loc)
{
    const double u = loc->u, v = loc->v, w = loc->w;
    const size_t m = CR_GIDX(g, loc->i, loc->j, loc->k), sj = g->sj, sk = g->sk;
    double f00 = (1 - u) * data[m] + u * data[m + 1];
    double f10 = (1 - u) * data[m + sj] + u * data[m + sj + 1];
    double f01 = (1 - u) * data[m + sk] + u * data[m + sk + 1];
    double f11 = (1 - u) * data[m + sk + sj] + u * data[m + sk + sj + 1];
    return (1 - w) * ((1 - v) * f00 + v * f10) + w * ((1 - v) * f01 + v * f11);
}

double cr_grid_interp_cell(const struct cr_grid *g, const double *data, const struct cr_grid_loc *loc,
                           const double p[3])
{
    (void)p; /* logical coordinates suffice: the located (u, v, w) place the point */
    const int idx[3] = {loc->i, loc->j, loc->k};
    const double uvw[3] = {loc->u, loc->v, loc->w};
    int i0[3];
    double t[3];
    for (int d = 0; d < 3; d++) {
        /* cell centres sit at index + 1/2 in logical space */
        double xi = idx[d] + uvw[d] - 0.5;
        double f = floor(xi);
        i0[d] = (int)f;
        t[d] = xi - f;
    }
    const size_t m = CR_GIDX(g, i0[0], i0[1], i0[2]), sj = g->sj, sk = g->sk;
    const double u = t[0], v = t[1], w = t[2];
    double f00 = (1 - u) * data[m] + u * data[m + 1];
    double f10 = (1 - u) * data[m + sj] + u * data[m + sj + 1];
    double f01 = (1 - u) * data[m + sk] + u * data[m + sk + 1];
    double f11 = (1 - u) * data[m + sk + sj] + u * data[m + sk + sj + 1];
    return (1 - w) * ((1 - v) * f00 + v * f10) + w * ((1 - v) * f01 + v * f11);
}
