/* cr_grid.c — structured curvilinear hexahedral grids: construction of the
 * Cartesian and warped Cartesian corners, ghost corners, and every metric of
 * cr_grid.h (face-area vectors, volumes, centroids, face frames, edges)
 * computed from the corners. The LFM-style spherical corners are in
 * cr_grid_lfm.c, point location in cr_grid_locate.c.
 *
 * Metrics (see grids/README.md for the derivations):
 *  - face-area vector of a bilinear face with corners p0..p3 in cyclic order:
 *    A = 1/2 (p2 - p0) x (p3 - p1) (the vector area of the closed corner
 *    loop, 1/2 sum p_m x p_{m+1}, equal to the integral of the bilinear
 *    patch's normal); the six faces of a hexahedron close exactly in exact
 *    arithmetic because every edge is shared by two faces traversed in
 *    opposite senses. This is the metric of the LFM/GAMERA finite-volume
 *    codes (Lyon, Fedder & Mobarry 2004, JASTP 66, 1333; Zhang et al. 2019,
 *    ApJS 244, 20);
 *  - volume by the divergence theorem, V = 1/3 sum_f (m_f - r_ref) . A_f with
 *    m_f the mean of the face's four corners: for a bilinear face the flux of
 *    the position vector is exactly m_f . A_f, so V is the exact volume of the
 *    trilinear hexahedron;
 *  - centroid by 2x2x2 Gauss-Legendre quadrature of x J over the unit cube (the
 *    trilinear Jacobian J has degree <= 2 per variable, x J <= 3: exact).
 */
#include "cr_grid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"
#include "cr_grid_priv.h"

/* ---- allocation ------------------------------------------------------------ */

/* Number of node-sized arrays in one grid: x y z, vol, cx cy cz, area 9,
 * amag 3, fn 9, ft1 9, ft2 9, edge 9, elen 3. */
#define CR_GRID_NARRAYS 58

static int alloc_arrays(struct cr_grid *g)
{
    double *block = cr_zalloc(g->ntot * CR_GRID_NARRAYS, sizeof(double));
    if (!block) return CR_ENOMEM;
    double *p = block;
#define TAKE(ptr) do { (ptr) = p; p += g->ntot; } while (0)
    TAKE(g->x); /* first: release() frees g->x as the whole block */
    TAKE(g->y);
    TAKE(g->z);
    TAKE(g->vol);
    TAKE(g->cx);
    TAKE(g->cy);
    TAKE(g->cz);
    for (int d = 0; d < 3; d++) {
        for (int c = 0; c < 3; c++) {
            TAKE(g->area[d][c]);
            TAKE(g->fn[d][c]);
            TAKE(g->ft1[d][c]);
            TAKE(g->ft2[d][c]);
            TAKE(g->edge[d][c]);
        }
        TAKE(g->amag[d]);
        TAKE(g->elen[d]);
    }
#undef TAKE
    return CR_OK;
}

void cr_grid_release(struct cr_grid *g)
{
    if (!g) return;
    cr_grid_aux_free(g->aux);
    free(g->x);
    free(g);
}

struct cr_grid *cr_grid_new_lfm_block(const struct cr_grid_spec *spec, int i0, int ni)
{
    const struct cr_log *log = spec ? spec->log : NULL;
    if (!spec || spec->kind != CR_GRID_LFM || i0 < 0 || ni < 1 || i0 + ni > spec->ni) {
        cr_error(log, "grid: a block of radial cells %d .. %d needs an LFM grid of more cells", i0, i0 + ni - 1);
        return NULL;
    }
    struct cr_grid_spec s = *spec;
    s.block_i0 = i0;
    s.block_ni = ni;
    struct cr_grid *b = cr_grid_new(&s);
    if (b && ni < spec->ni) b->bc[0] = CR_GRID_OPEN;
    return b;
}

struct cr_grid *cr_grid_new_block(const struct cr_grid *g, int i0, int ni)
{
    const struct cr_log *log = g->spec.log;
    if (i0 < 0 || ni < 1 || i0 + ni > g->ni) {
        cr_error(log, "grid: block i = %d .. %d outside the grid's 0 .. %d", i0, i0 + ni - 1, g->ni - 1);
        return NULL;
    }
    struct cr_grid *b = cr_zalloc(1, sizeof *b);
    if (!b) return NULL;
    *b = *g;
    b->aux = NULL;
    b->ni = ni;
    b->spec.ni = ni;
    if (ni < g->ni) {
        b->bc[0] = CR_GRID_OPEN;
        b->period[0] = 0.0;
    }
    b->sj = (size_t)ni + 1 + 2 * (size_t)g->ng;
    b->sk = b->sj * ((size_t)g->nj + 1 + 2 * (size_t)g->ng);
    b->ntot = b->sk * ((size_t)g->nk + 1 + 2 * (size_t)g->ng);
    if (alloc_arrays(b)) {
        cr_error(log, "grid: out of memory for a block of %d x %d x %d cells", ni, g->nj, g->nk);
        free(b);
        return NULL;
    }
    /* every node-sized array, row by row: the block's node row (j, k) is
     * g's row from i0 - ng on */
    const double *src = g->x;
    double *dst = b->x;
    const size_t nrow = (size_t)(g->nj + 1 + 2 * g->ng) * (size_t)(g->nk + 1 + 2 * g->ng);
    for (int a = 0; a < CR_GRID_NARRAYS; a++)
        for (size_t r = 0; r < nrow; r++)
            memcpy(dst + (size_t)a * b->ntot + r * b->sj, src + (size_t)a * g->ntot + r * g->sj + (size_t)i0,
                   b->sj * sizeof(double));
    if (cr_grid_aux_build(b)) {
        cr_error(log, "grid: out of memory for the point-location tables");
        cr_grid_release(b);
        return NULL;
    }
    return b;
}

/* ---- Cartesian and warped corners ------------------------------------------- */

/* Displacement of the warped grid at logical fractions xi[3] (xi = 0 at the
 * low box face, 1 at the high one): in direction d,
 *   a h_d prod_{e : n_e > 1} sin(2 pi xi_e),
 * zero for directions with a single cell (2-D problems keep flat faces).
 * Each displacement vanishes on the box faces normal to it and is periodic
 * with the box, so the box stays a box and periodic boxes stay periodic. */
static void warp_disp(const struct cr_grid *g, const double h[3], const double xi[3], double disp[3])
{
    const int n[3] = {g->ni, g->nj, g->nk};
    double prod = 1.0;
    for (int e = 0; e < 3; e++)
        if (n[e] > 1) prod *= xi[e] == floor(xi[e]) ? 0.0 : sin(2.0 * CR_PI * xi[e]); /* exact 0 on box faces */
    for (int d = 0; d < 3; d++) disp[d] = n[d] > 1 ? g->spec.warp_amp * h[d] * prod : 0.0;
}

static void box_corners(struct cr_grid *g)
{
    const struct cr_grid_spec *s = &g->spec;
    const int n[3] = {g->ni, g->nj, g->nk};
    const int ng = g->ng;
    double h[3];
    for (int d = 0; d < 3; d++) h[d] = (s->hi[d] - s->lo[d]) / n[d];
    const int warped = g->kind == CR_GRID_WARPED && s->warp_amp != 0.0;
#pragma omp parallel for schedule(static)
    for (int k = -ng; k <= g->nk + ng; k++)
        for (int j = -ng; j <= g->nj + ng; j++)
            for (int i = -ng; i <= g->ni + ng; i++) {
                const int idx[3] = {i, j, k};
                double xi[3], p[3];
                for (int d = 0; d < 3; d++) {
                    xi[d] = (double)idx[d] / n[d];
                    /* the high face is exactly hi, the low one exactly lo */
                    p[d] = idx[d] == n[d] ? s->hi[d] : s->lo[d] + idx[d] * h[d];
                }
                if (warped) {
                    double disp[3];
                    warp_disp(g, h, xi, disp);
                    for (int d = 0; d < 3; d++) p[d] += disp[d];
                }
                size_t m = CR_GIDX(g, i, j, k);
                g->x[m] = p[0];
                g->y[m] = p[1];
                g->z[m] = p[2];
            }
}

/* Periodic directions of a box: every ghost corner is its image shifted by
 * the period, and the seam corner n is corner 0 plus the period, so ghost
 * cells are exact geometric copies. */
static void box_periodic_corners(struct cr_grid *g)
{
    const int n[3] = {g->ni, g->nj, g->nk};
    const int ng = g->ng;
    double *xyz[3] = {g->x, g->y, g->z};
    for (int d = 0; d < 3; d++) {
        if (g->bc[d] != CR_GRID_PERIODIC) continue;
        const double L = g->period[d];
#pragma omp parallel for schedule(static)
        for (int k = -ng; k <= g->nk + ng; k++)
            for (int j = -ng; j <= g->nj + ng; j++)
                for (int i = -ng; i <= g->ni + ng; i++) {
                    int idx[3] = {i, j, k};
                    int m = idx[d];
                    if (m >= 0 && m < n[d]) continue;
                    int shift = m < 0 ? -((-m + n[d] - 1) / n[d]) : m / n[d];
                    idx[d] = m - shift * n[d];
                    size_t dst = CR_GIDX(g, i, j, k), src = CR_GIDX(g, idx[0], idx[1], idx[2]);
                    for (int c = 0; c < 3; c++) xyz[c][dst] = xyz[c][src];
                    xyz[d][dst] += shift * L;
                }
    }
}

/* ---- metrics ---------------------------------------------------------------- */

static inline void sub3(const double a[3], const double b[3], double r[3])
{
    r[0] = a[0] - b[0];
    r[1] = a[1] - b[1];
    r[2] = a[2] - b[2];
}
static inline void cross3(const double a[3], const double b[3], double r[3])
{
    r[0] = a[1] * b[2] - a[2] * b[1];
    r[1] = a[2] * b[0] - a[0] * b[2];
    r[2] = a[0] * b[1] - a[1] * b[0];
}
static inline double dot3(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
static inline double norm3(const double a[3]) { return sqrt(dot3(a, a)); }

/* The four corners of face (d; i,j,k) in cyclic order: with (d, a, b) a
 * cyclic permutation of (0, 1, 2), q0 = c, q1 = c + e_a, q2 = c + e_a + e_b,
 * q3 = c + e_b; (q2 - q0) x (q3 - q1) then points towards +d. */
static void face_corners(const struct cr_grid *g, int d, int i, int j, int k, double q[4][3])
{
    int a = (d + 1) % 3, b = (d + 2) % 3;
    int ea[3] = {0, 0, 0}, eb[3] = {0, 0, 0};
    ea[a] = 1;
    eb[b] = 1;
    cr_grid_corner(g, i, j, k, q[0]);
    cr_grid_corner(g, i + ea[0], j + ea[1], k + ea[2], q[1]);
    cr_grid_corner(g, i + ea[0] + eb[0], j + ea[1] + eb[1], k + ea[2] + eb[2], q[2]);
    cr_grid_corner(g, i + eb[0], j + eb[1], k + eb[2], q[3]);
}

static void face_areas(struct cr_grid *g)
{
    const int ng = g->ng;
    for (int d = 0; d < 3; d++) {
        const int ext[3] = {d == 0, d == 1, d == 2}; /* faces reach index n in direction d */
#pragma omp parallel for schedule(static)
        for (int k = -ng; k < g->nk + ng + ext[2]; k++)
            for (int j = -ng; j < g->nj + ng + ext[1]; j++)
                for (int i = -ng; i < g->ni + ng + ext[0]; i++) {
                    double q[4][3], d1[3], d2[3], A[3];
                    face_corners(g, d, i, j, k, q);
                    sub3(q[2], q[0], d1);
                    sub3(q[3], q[1], d2);
                    cross3(d1, d2, A);
                    size_t m = CR_GIDX(g, i, j, k);
                    for (int c = 0; c < 3; c++) g->area[d][c][m] = 0.5 * A[c];
                    g->amag[d][m] = 0.5 * norm3(A);
                }
    }
}

static void edges(struct cr_grid *g)
{
    const int ng = g->ng;
    for (int d = 0; d < 3; d++) {
        const int e[3] = {d == 0, d == 1, d == 2};
#pragma omp parallel for schedule(static)
        for (int k = -ng; k <= g->nk + ng - e[2]; k++)
            for (int j = -ng; j <= g->nj + ng - e[1]; j++)
                for (int i = -ng; i <= g->ni + ng - e[0]; i++) {
                    double p0[3], p1[3], v[3];
                    cr_grid_corner(g, i, j, k, p0);
                    cr_grid_corner(g, i + e[0], j + e[1], k + e[2], p1);
                    sub3(p1, p0, v);
                    size_t m = CR_GIDX(g, i, j, k);
                    for (int c = 0; c < 3; c++) g->edge[d][c][m] = v[c];
                    g->elen[d][m] = norm3(v);
                }
    }
}

/* Volumes (divergence theorem over the bilinear faces) and centroids (2x2x2
 * Gauss quadrature of the trilinear map). Volumes are signed here (positive
 * for right-handed cells); cr_grid_new checks the active cells and then
 * stores absolute values: ghost cells mirrored through the LFM axis are
 * left-handed in index space. */
static void cells(struct cr_grid *g)
{
    const int ng = g->ng;
    const double gp[2] = {0.5 - 0.5 / sqrt(3.0), 0.5 + 0.5 / sqrt(3.0)};
#pragma omp parallel for schedule(static)
    for (int k = -ng; k < g->nk + ng; k++)
        for (int j = -ng; j < g->nj + ng; j++)
            for (int i = -ng; i < g->ni + ng; i++) {
                double P[2][2][2][3], ref[3] = {0, 0, 0};
                for (int c = 0; c < 2; c++)
                    for (int b = 0; b < 2; b++)
                        for (int a = 0; a < 2; a++) {
                            cr_grid_corner(g, i + a, j + b, k + c, P[c][b][a]);
                            for (int q = 0; q < 3; q++) ref[q] += 0.125 * P[c][b][a][q];
                        }
                /* divergence theorem: 1/3 sum over the six faces of (m_f - ref) . A_f */
                double V = 0.0;
                for (int d = 0; d < 3; d++)
                    for (int side = 0; side < 2; side++) {
                        int fi = i + (d == 0 ? side : 0), fj = j + (d == 1 ? side : 0), fk = k + (d == 2 ? side : 0);
                        double q[4][3], mf[3], A[3];
                        face_corners(g, d, fi, fj, fk, q);
                        size_t m = CR_GIDX(g, fi, fj, fk);
                        for (int c = 0; c < 3; c++) {
                            mf[c] = 0.25 * (q[0][c] + q[1][c] + q[2][c] + q[3][c]) - ref[c];
                            A[c] = g->area[d][c][m];
                        }
                        V += (side ? 1.0 : -1.0) * dot3(mf, A);
                    }
                V /= 3.0;
                /* centroid: sum over Gauss points of x J / sum J */
                double vg = 0.0, cxyz[3] = {0, 0, 0};
                for (int gw = 0; gw < 2; gw++)
                    for (int gv = 0; gv < 2; gv++)
                        for (int gu = 0; gu < 2; gu++) {
                            double u = gp[gu], v = gp[gv], w = gp[gw];
                            double ru[3], rv[3], rw[3], r[3];
                            for (int q = 0; q < 3; q++) {
                                double c000 = P[0][0][0][q], c100 = P[0][0][1][q], c010 = P[0][1][0][q],
                                       c110 = P[0][1][1][q], c001 = P[1][0][0][q], c101 = P[1][0][1][q],
                                       c011 = P[1][1][0][q], c111 = P[1][1][1][q];
                                ru[q] = (1 - v) * (1 - w) * (c100 - c000) + v * (1 - w) * (c110 - c010) +
                                        (1 - v) * w * (c101 - c001) + v * w * (c111 - c011);
                                rv[q] = (1 - u) * (1 - w) * (c010 - c000) + u * (1 - w) * (c110 - c100) +
                                        (1 - u) * w * (c011 - c001) + u * w * (c111 - c101);
                                rw[q] = (1 - u) * (1 - v) * (c001 - c000) + u * (1 - v) * (c101 - c100) +
                                        (1 - u) * v * (c011 - c010) + u * v * (c111 - c110);
                                r[q] = (1 - w) * ((1 - v) * ((1 - u) * c000 + u * c100) + v * ((1 - u) * c010 + u * c110)) +
                                       w * ((1 - v) * ((1 - u) * c001 + u * c101) + v * ((1 - u) * c011 + u * c111));
                            }
                            double rvw[3];
                            cross3(rv, rw, rvw);
                            double J = dot3(ru, rvw);
                            vg += J;
                            for (int q = 0; q < 3; q++) cxyz[q] += (r[q] - ref[q]) * J;
                        }
                size_t m = CR_GIDX(g, i, j, k);
                g->vol[m] = V; /* signed here; made positive by cr_grid_new after checking */
                if (vg != 0.0)
                    for (int q = 0; q < 3; q++) cxyz[q] = ref[q] + cxyz[q] / vg;
                else
                    for (int q = 0; q < 3; q++) cxyz[q] = ref[q];
                g->cx[m] = cxyz[0];
                g->cy[m] = cxyz[1];
                g->cz[m] = cxyz[2];
            }
}

/* Unit vector of v orthogonalised against unit n; 0 when v is (nearly) along n. */
static int ortho_unit(const double v[3], const double n[3], double out[3])
{
    double vn = dot3(v, n), len0 = norm3(v);
    for (int c = 0; c < 3; c++) out[c] = v[c] - vn * n[c];
    double len = norm3(out);
    if (!(len > 1e-12 * len0) || len0 == 0.0) return 0;
    for (int c = 0; c < 3; c++) out[c] /= len;
    return 1;
}

/* Any unit vector perpendicular to unit n. */
static void any_perp(const double n[3], double out[3])
{
    int m = fabs(n[0]) <= fabs(n[1]) ? (fabs(n[0]) <= fabs(n[2]) ? 0 : 2) : (fabs(n[1]) <= fabs(n[2]) ? 1 : 2);
    double e[3] = {0, 0, 0};
    e[m] = 1.0;
    ortho_unit(e, n, out);
}

/* Face frames: n = A/|A|; t1 along the face's first in-plane index direction
 * (tangent at the face centre, (q1 - q0 + q2 - q3)/2, orthogonalised), t2 = n x t1.
 * Degenerate faces (|A| ~ 0, e.g. on the LFM axis) take n from the face
 * centre towards the centroid of the cell on their + side (or from the cell
 * on the - side), and t1 from whichever in-plane direction is not degenerate. */
static void frames(struct cr_grid *g)
{
    const int ng = g->ng;
    for (int d = 0; d < 3; d++) {
        const int ext[3] = {d == 0, d == 1, d == 2};
        const int nd = d == 0 ? g->ni : d == 1 ? g->nj : g->nk;
#pragma omp parallel for schedule(static)
        for (int k = -ng; k < g->nk + ng + ext[2]; k++)
            for (int j = -ng; j < g->nj + ng + ext[1]; j++)
                for (int i = -ng; i < g->ni + ng + ext[0]; i++) {
                    double q[4][3], n[3], ta[3], tb[3], t1[3], t2[3];
                    face_corners(g, d, i, j, k, q);
                    size_t m = CR_GIDX(g, i, j, k);
                    for (int c = 0; c < 3; c++) {
                        ta[c] = 0.5 * (q[1][c] - q[0][c] + q[2][c] - q[3][c]);
                        tb[c] = 0.5 * (q[3][c] - q[0][c] + q[2][c] - q[1][c]);
                    }
                    double scale = CR_MAX(norm3(ta), norm3(tb));
                    double amag = g->amag[d][m];
                    if (amag > 1e-14 * scale * scale && amag > 0.0) {
                        for (int c = 0; c < 3; c++) n[c] = g->area[d][c][m] / amag;
                    } else {
                        int idx[3] = {i, j, k}, hi = idx[d] < nd + ng;
                        double fc[3], cc[3];
                        for (int c = 0; c < 3; c++) fc[c] = 0.25 * (q[0][c] + q[1][c] + q[2][c] + q[3][c]);
                        if (!hi) idx[d] -= 1;
                        size_t mc = CR_GIDX(g, idx[0], idx[1], idx[2]);
                        cc[0] = g->cx[mc];
                        cc[1] = g->cy[mc];
                        cc[2] = g->cz[mc];
                        double v[3];
                        if (hi) sub3(cc, fc, v);
                        else sub3(fc, cc, v);
                        double len = norm3(v);
                        if (len > 0.0) {
                            for (int c = 0; c < 3; c++) n[c] = v[c] / len;
                        } else {
                            n[0] = d == 0;
                            n[1] = d == 1;
                            n[2] = d == 2;
                        }
                    }
                    if (ortho_unit(ta, n, t1)) {
                        cross3(n, t1, t2);
                    } else if (ortho_unit(tb, n, t2)) {
                        cross3(t2, n, t1);
                    } else {
                        any_perp(n, t1);
                        cross3(n, t1, t2);
                    }
                    for (int c = 0; c < 3; c++) {
                        g->fn[d][c][m] = n[c];
                        g->ft1[d][c][m] = t1[c];
                        g->ft2[d][c][m] = t2[c];
                    }
                }
    }
}

/* Periodic boxes: the metrics of ghost cells, faces and edges are made exact
 * copies of their images (centroids shifted by the period), so a solver that
 * copies cell data across the seam sees identical geometry. */
static void box_periodic_metrics(struct cr_grid *g)
{
    const int n[3] = {g->ni, g->nj, g->nk};
    const int ng = g->ng;
    double *copy[CR_GRID_NARRAYS];
    int nc = 0;
    copy[nc++] = g->vol;
    for (int d = 0; d < 3; d++) {
        for (int c = 0; c < 3; c++) {
            copy[nc++] = g->area[d][c];
            copy[nc++] = g->fn[d][c];
            copy[nc++] = g->ft1[d][c];
            copy[nc++] = g->ft2[d][c];
            copy[nc++] = g->edge[d][c];
        }
        copy[nc++] = g->amag[d];
        copy[nc++] = g->elen[d];
    }
    double *cen[3] = {g->cx, g->cy, g->cz};
    for (int d = 0; d < 3; d++) {
        if (g->bc[d] != CR_GRID_PERIODIC) continue;
        const double L = g->period[d];
#pragma omp parallel for schedule(static)
        for (int k = -ng; k <= g->nk + ng; k++)
            for (int j = -ng; j <= g->nj + ng; j++)
                for (int i = -ng; i <= g->ni + ng; i++) {
                    int idx[3] = {i, j, k};
                    int m = idx[d];
                    if (m >= 0 && m < n[d]) continue;
                    int shift = m < 0 ? -((-m + n[d] - 1) / n[d]) : m / n[d];
                    idx[d] = m - shift * n[d];
                    size_t dst = CR_GIDX(g, i, j, k), src = CR_GIDX(g, idx[0], idx[1], idx[2]);
                    for (int a = 0; a < nc; a++) copy[a][dst] = copy[a][src];
                    for (int c = 0; c < 3; c++) cen[c][dst] = cen[c][src];
                    cen[d][dst] += shift * L;
                }
    }
}

/* ---- construction ------------------------------------------------------------ */

static int check_spec(const struct cr_grid_spec *s, const struct cr_log *log)
{
    if (s->kind != CR_GRID_CARTESIAN && s->kind != CR_GRID_WARPED && s->kind != CR_GRID_LFM) {
        cr_error(log, "grid: unknown grid kind %d", (int)s->kind);
        return CR_ECONFIG;
    }
    if (s->ni < 1 || s->nj < 1 || s->nk < 1) {
        cr_error(log, "grid.ni, grid.nj, grid.nk: cell counts must be >= 1 (got %d, %d, %d)", s->ni, s->nj, s->nk);
        return CR_ECONFIG;
    }
    if (s->ng != 0 && (s->ng < 4 || s->ng > 16)) {
        cr_error(log, "grid.ng: ghost layers must be in [4, 16] (0 means 4; got %d)", s->ng);
        return CR_ECONFIG;
    }
    const double big = 1e8; /* keeps the node count and the sizes far from overflow */
    if ((double)(s->ni + 41) * (s->nj + 41) * (s->nk + 41) > 2e9 || s->ni > 100000 || s->nj > 100000 ||
        s->nk > 100000) {
        cr_error(log, "grid.ni, grid.nj, grid.nk: %d x %d x %d cells is too large", s->ni, s->nj, s->nk);
        return CR_ECONFIG;
    }
    if (s->kind != CR_GRID_LFM) {
        for (int d = 0; d < 3; d++) {
            if (!isfinite(s->lo[d]) || !isfinite(s->hi[d]) || !(s->hi[d] > s->lo[d]) || fabs(s->lo[d]) > big ||
                fabs(s->hi[d]) > big) {
                cr_error(log, "grid.box: direction %c needs finite %c0 < %c1 (got %g, %g)", "xyz"[d], "xyz"[d], "xyz"[d], s->lo[d], s->hi[d]);
                return CR_ECONFIG;
            }
        }
        if (s->kind == CR_GRID_WARPED && !(fabs(s->warp_amp) <= 0.5)) {
            cr_error(log, "grid.warp_amp: must be in [-0.5, 0.5] cell sizes (got %g)", s->warp_amp);
            return CR_ECONFIG;
        }
    }
    return CR_OK;
}

int cr_grid_spec_check(const struct cr_grid_spec *spec)
{
    if (!spec) return CR_ECONFIG;
    int rc = check_spec(spec, spec->log);
    if (rc == CR_OK && spec->kind == CR_GRID_LFM) {
        struct cr_grid_spec s = *spec;
        if (s.ng == 0) s.ng = 4;
        cr_grid_lfm_defaults(&s);
        rc = cr_grid_lfm_check(&s);
    }
    return rc;
}

struct cr_grid *cr_grid_new(const struct cr_grid_spec *spec)
{
    const struct cr_log *log = spec ? spec->log : NULL;
    if (!spec) {
        cr_error(log, "grid: no spec");
        return NULL;
    }
    if (spec->file && spec->file[0]) return cr_grid_new_from_file(spec->file, spec->file_ghosts, log);
    if (check_spec(spec, log)) return NULL;
    struct cr_grid *g = cr_zalloc(1, sizeof *g);
    if (!g) {
        cr_error(log, "grid: out of memory");
        return NULL;
    }
    g->spec = *spec;
    if (g->spec.ng == 0) g->spec.ng = 4;
    if (spec->kind == CR_GRID_LFM) cr_grid_lfm_defaults(&g->spec);
    g->kind = spec->kind;
    g->ni = spec->kind == CR_GRID_LFM && spec->block_ni > 0 ? spec->block_ni : spec->ni;
    g->nj = spec->nj;
    g->nk = spec->nk;
    g->ng = g->spec.ng;
    g->sj = (size_t)g->ni + 1 + 2 * (size_t)g->ng;
    g->sk = g->sj * ((size_t)g->nj + 1 + 2 * (size_t)g->ng);
    g->ntot = g->sk * ((size_t)g->nk + 1 + 2 * (size_t)g->ng);
    if (g->kind == CR_GRID_LFM) {
        g->bc[0] = CR_GRID_OPEN;
        g->bc[1] = CR_GRID_AXIS;
        g->bc[2] = CR_GRID_PERIODIC;
        g->axis_lo = g->axis_hi = 1;
    } else {
        for (int d = 0; d < 3; d++) {
            g->bc[d] = spec->periodic[d] ? CR_GRID_PERIODIC : CR_GRID_OPEN;
            g->period[d] = spec->periodic[d] ? spec->hi[d] - spec->lo[d] : 0.0;
        }
    }
    if (alloc_arrays(g)) {
        cr_error(log, "grid: out of memory for %d x %d x %d cells (%zu nodes)", g->ni, g->nj, g->nk, g->ntot);
        free(g);
        return NULL;
    }
    int rc = CR_OK;
    if (g->kind == CR_GRID_LFM) {
        rc = cr_grid_lfm_corners(g);
    } else {
        box_corners(g);
        box_periodic_corners(g);
    }
    if (rc) {
        cr_grid_release(g);
        return NULL;
    }
    face_areas(g);
    edges(g);
    cells(g);
    frames(g);
    if (g->kind != CR_GRID_LFM) box_periodic_metrics(g);
    /* active cells must have a positive volume (a tangled grid is a spec error) */
    double vmin = INFINITY;
    int bad[3] = {0, 0, 0};
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                double v = g->vol[CR_GIDX(g, i, j, k)];
                if (!(v >= vmin)) {
                    vmin = v;
                    bad[0] = i;
                    bad[1] = j;
                    bad[2] = k;
                }
            }
    if (!(vmin > 0.0)) {
        cr_error(log, "grid: cell (%d,%d,%d) has volume %g <= 0 (tangled or degenerate grid; check the spec)",
                 bad[0], bad[1], bad[2], vmin);
        cr_grid_release(g);
        return NULL;
    }
    for (size_t m = 0; m < g->ntot; m++) g->vol[m] = fabs(g->vol[m]);
    if (cr_grid_aux_build(g)) {
        cr_error(log, "grid: out of memory for the point-location tables");
        cr_grid_release(g);
        return NULL;
    }
    return g;
}

/* ---- a grid from explicit corners (files in the GAMERA/kaipy layout) ----------- */

/* Ghost corner (i, j, k) of a grid whose active corners are set: periodic and
 * axis directions map to active corners, open directions extrapolate
 * linearly from the last two active corners (an inward step is shortened so
 * that the innermost ghost keeps at least half the edge corner's distance
 * from the origin). */
static void ghost_corner(const struct cr_grid *g, int lfm, int i, int j, int k, double p[3])
{
    const int ni = g->ni, nj = g->nj, nk = g->nk, ng = g->ng;
    if (lfm) {
        if (j < 0) {
            j = -j;
            k += nk / 2;
        } else if (j > nj) {
            j = 2 * nj - j;
            k += nk / 2;
        }
        k = ((k % nk) + nk) % nk;
    }
    int c[3] = {i, j, k}, n[3] = {ni, nj, nk}, e[3];
    for (int d = 0; d < 3; d++) e[d] = c[d] < 0 ? 0 : c[d] > n[d] ? n[d] : c[d];
    cr_grid_corner(g, e[0], e[1], e[2], p);
    for (int d = 0; d < 3; d++) {
        int over = c[d] - e[d];
        if (!over) continue;
        int f[3] = {e[0], e[1], e[2]};
        f[d] += over < 0 ? 1 : -1;
        double q[3], s[3];
        cr_grid_corner(g, f[0], f[1], f[2], q);
        double len = 0.0, r = 0.0;
        for (int a = 0; a < 3; a++) {
            s[a] = p[a] - q[a];
            len += s[a] * s[a];
            r += p[a] * p[a];
        }
        len = sqrt(len);
        r = sqrt(r);
        double scale = 1.0;
        if (ng * len > 0.5 * r && len > 0) scale = 0.5 * r / (ng * len);
        for (int a = 0; a < 3; a++) p[a] += abs(over) * scale * s[a];
    }
}

struct cr_grid *cr_grid_new_from_corners(int ni, int nj, int nk, const double *x, const double *y, const double *z,
                                         const struct cr_log *log)
{
    if (ni < 1 || nj < 1 || nk < 1 || !x || !y || !z) {
        cr_error(log, "grid: corners need ni, nj, nk >= 1 (got %d x %d x %d)", ni, nj, nk);
        return NULL;
    }
    if ((double)(ni + 9) * (nj + 9) * (nk + 9) > 2e9) {
        cr_error(log, "grid: %d x %d x %d cells is too large", ni, nj, nk);
        return NULL;
    }
    const size_t si = (size_t)ni + 1, sj = (size_t)nj + 1, nc = si * sj * ((size_t)nk + 1);
    double scale = 0.0;
    for (size_t m = 0; m < nc; m++) {
        if (!isfinite(x[m]) || !isfinite(y[m]) || !isfinite(z[m])) {
            cr_error(log, "grid: corner %zu is not finite", m);
            return NULL;
        }
        scale = fmax(scale, fmax(fabs(x[m]), fmax(fabs(y[m]), fabs(z[m]))));
    }
    const double tol = 1e-9 * (scale > 0 ? scale : 1.0);
#define CIN(i, j, k) (((size_t)(k) * sj + (size_t)(j)) * si + (size_t)(i))
    /* LFM-like: the j = 0 and j = nj rows on the X axis (or within 1e-6 rad
     * of it: GAMERA's grids start the polar angle a tiny step off the
     * axis), azimuth periodic, even nk */
    int axis = 1, periodic = 1;
    for (int k = 0; k <= nk && axis; k++)
        for (int i = 0; i <= ni && axis; i++) {
            size_t a = CIN(i, 0, k), b = CIN(i, nj, k);
            double ra = sqrt(x[a] * x[a] + y[a] * y[a] + z[a] * z[a]), rb = sqrt(x[b] * x[b] + y[b] * y[b] + z[b] * z[b]);
            if (hypot(y[a], z[a]) > fmax(tol, 1e-6 * ra) || hypot(y[b], z[b]) > fmax(tol, 1e-6 * rb)) axis = 0;
        }
    for (int j = 0; j <= nj && periodic; j++)
        for (int i = 0; i <= ni && periodic; i++) {
            size_t a = CIN(i, j, 0), b = CIN(i, j, nk);
            if (fabs(x[a] - x[b]) > tol || fabs(y[a] - y[b]) > tol || fabs(z[a] - z[b]) > tol) periodic = 0;
        }
    int lfm = axis && periodic && nk >= 4 && nk % 2 == 0;
    struct cr_grid_spec spec = {.kind = lfm ? CR_GRID_LFM : CR_GRID_WARPED, .ni = ni, .nj = nj, .nk = nk, .ng = 4,
                                .log = log};
    for (int d = 0; d < 3; d++) {
        spec.lo[d] = INFINITY;
        spec.hi[d] = -INFINITY;
    }
    double rmin = INFINITY;
    for (size_t m = 0; m < nc; m++) {
        const double v[3] = {x[m], y[m], z[m]};
        for (int d = 0; d < 3; d++) {
            spec.lo[d] = fmin(spec.lo[d], v[d]);
            spec.hi[d] = fmax(spec.hi[d], v[d]);
        }
    }
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++) {
            size_t m = CIN(0, j, k);
            rmin = fmin(rmin, sqrt(x[m] * x[m] + y[m] * y[m] + z[m] * z[m]));
        }
    spec.r_inner = rmin;
    if (lfm) {
        /* extents of the outer shell (x_sun, x_tail, r_side), widened to the
         * smallest egg of two half-spheroids that holds every outer corner */
        double xs = 0.0, xt = 0.0, rs = 0.0, grow = 1.0;
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k <= nk; k++)
                for (int j = 0; j <= nj; j++) {
                    size_t m = CIN(ni, j, k);
                    double rho = hypot(y[m], z[m]);
                    if (pass == 0) {
                        xs = fmax(xs, x[m]);
                        xt = fmax(xt, -x[m]);
                        rs = fmax(rs, rho);
                    } else if (xs > 0 && xt > 0 && rs > 0) {
                        double ex = x[m] / (x[m] >= 0 ? xs : xt), er = rho / rs;
                        grow = fmax(grow, sqrt(ex * ex + er * er));
                    }
                }
        grow *= 1.0 + 1e-9;
        spec.x_sun = xs * grow;
        spec.x_tail = xt * grow;
        spec.r_side = rs * grow;
    }
    struct cr_grid *g = cr_zalloc(1, sizeof *g);
    if (!g) return NULL;
    g->spec = spec;
    g->kind = spec.kind;
    g->ni = ni;
    g->nj = nj;
    g->nk = nk;
    g->ng = spec.ng;
    g->sj = (size_t)ni + 1 + 2 * (size_t)g->ng;
    g->sk = g->sj * ((size_t)nj + 1 + 2 * (size_t)g->ng);
    g->ntot = g->sk * ((size_t)nk + 1 + 2 * (size_t)g->ng);
    if (lfm) {
        g->bc[0] = CR_GRID_OPEN;
        g->bc[1] = CR_GRID_AXIS;
        g->bc[2] = CR_GRID_PERIODIC;
        g->axis_lo = g->axis_hi = 1;
    } else {
        g->bc[0] = g->bc[1] = g->bc[2] = CR_GRID_OPEN;
    }
    if (alloc_arrays(g)) {
        cr_error(log, "grid: out of memory for %d x %d x %d cells", ni, nj, nk);
        free(g);
        return NULL;
    }
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++)
            for (int i = 0; i <= ni; i++) {
                size_t d = CR_GIDX(g, i, j, k), s = CIN(i, j, k);
                g->x[d] = x[s];
                g->y[d] = y[s];
                g->z[d] = z[s];
            }
#undef CIN
    const int ng = g->ng;
    for (int k = -ng; k <= nk + ng; k++)
        for (int j = -ng; j <= nj + ng; j++)
            for (int i = -ng; i <= ni + ng; i++) {
                if (i >= 0 && i <= ni && j >= 0 && j <= nj && k >= 0 && k <= nk) continue;
                double p[3];
                ghost_corner(g, lfm, i, j, k, p);
                size_t d = CR_GIDX(g, i, j, k);
                g->x[d] = p[0];
                g->y[d] = p[1];
                g->z[d] = p[2];
            }
    face_areas(g);
    edges(g);
    cells(g);
    frames(g);
    double vmin = INFINITY;
    for (int k = 0; k < nk; k++)
        for (int j = 0; j < nj; j++)
            for (int i = 0; i < ni; i++) vmin = fmin(vmin, g->vol[CR_GIDX(g, i, j, k)]);
    if (!(vmin > 0.0)) {
        cr_error(log, "grid: the corners give a cell of volume %g <= 0 (tangled, degenerate or left-handed grid)",
                 vmin);
        cr_grid_release(g);
        return NULL;
    }
    for (size_t m = 0; m < g->ntot; m++) g->vol[m] = fabs(g->vol[m]);
    if (cr_grid_aux_build(g)) {
        cr_error(log, "grid: out of memory for the point-location tables");
        cr_grid_release(g);
        return NULL;
    }
    return g;
}

struct cr_grid *cr_grid_new_from_file(const char *path, int ghosts, const struct cr_log *log)
{
    hid_t f = cr_h5_open_read(path, log);
    if (f < 0) return NULL;
    int rank = 0;
    hsize_t d[8] = {0};
    static const char *const cn[3] = {"X", "Y", "Z"};
    int ok = 1;
    for (int q = 0; q < 3 && ok; q++) {
        int r;
        hsize_t dq[8];
        if (H5Lexists(f, cn[q], H5P_DEFAULT) <= 0 || cr_h5_shape(f, cn[q], &r, dq, path, log)) {
            cr_error(log, "%s: no corner dataset '%s' (a grid file holds X, Y, Z)", path, cn[q]);
            ok = 0;
        } else if (q == 0) {
            rank = r;
            memcpy(d, dq, sizeof d);
        } else if (r != rank || dq[0] != d[0] || dq[1] != d[1] || dq[2] != d[2]) {
            cr_error(log, "%s: corner datasets X and %s differ in shape", path, cn[q]);
            ok = 0;
        }
    }
    if (ok && (rank != 3 || ghosts < 0 || d[0] < (hsize_t)(2 * ghosts + 2) || d[1] < (hsize_t)(2 * ghosts + 2) ||
               d[2] < (hsize_t)(2 * ghosts + 2))) {
        cr_error(log, "%s: corner arrays of shape (%llu, %llu, %llu) cannot hold %d ghost layers on every side "
                      "around at least one cell (grid.file_ghosts)",
                 path, (unsigned long long)d[0], (unsigned long long)d[1], (unsigned long long)d[2], ghosts);
        ok = 0;
    }
    if (ok && (double)d[0] * d[1] * d[2] > 2e9) {
        cr_error(log, "%s: corner arrays too large", path);
        ok = 0;
    }
    struct cr_grid *g = NULL;
    double *all = NULL, *c[3] = {NULL, NULL, NULL};
    if (ok) {
        const size_t n = (size_t)d[0] * d[1] * d[2];
        const int nk = (int)d[0] - 1 - 2 * ghosts, nj = (int)d[1] - 1 - 2 * ghosts, ni = (int)d[2] - 1 - 2 * ghosts;
        const size_t na = (size_t)(nk + 1) * (nj + 1) * (ni + 1);
        all = malloc(n * sizeof *all);
        for (int q = 0; q < 3; q++) c[q] = malloc(na * sizeof *c[q]);
        ok = all && c[0] && c[1] && c[2];
        if (!ok) cr_error(log, "%s: out of memory for the grid", path);
        for (int q = 0; q < 3 && ok; q++) {
            if (cr_h5_read_doubles(f, cn[q], all, n, path, log)) {
                ok = 0;
                break;
            }
            size_t m = 0;
            for (int k = 0; k <= nk; k++)
                for (int j = 0; j <= nj; j++)
                    for (int i = 0; i <= ni; i++)
                        c[q][m++] = all[((size_t)(k + ghosts) * d[1] + (size_t)(j + ghosts)) * d[2] + (size_t)(i + ghosts)];
        }
        if (ok) {
            g = cr_grid_new_from_corners(ni, nj, nk, c[0], c[1], c[2], log);
            if (!g) cr_error(log, "%s: the corners (without %d ghost layers) do not form a valid grid", path, ghosts);
        }
    }
    free(all);
    for (int q = 0; q < 3; q++) free(c[q]);
    H5Fclose(f);
    return g;
}
