/* cr_mhd_prim.c — conserved -> primitive variables on every cell the sweeps
 * read: the cell-centred evolved field by least squares from the six face
 * fluxes (minimise sum_f (B.A_f - Phi_f)^2, exact for uniform fields on any
 * hexahedron), density and pressure floors (each use counted in the step
 * log), and the cell-centred electric field E = -v x (B0 + B1) used by the
 * constrained-transport average. */
#include <math.h>

#include "../core/cr_common.h"
#include "cr_mhd_priv.h"

/* One row of cells [i0, i0 + n): least-squares cell field, primitives with
 * floors, E_cc. Written as one unit-stride loop over hoisted pointers with
 * the floor stores as selects, so it vectorises; has_b0 is a compile-time
 * constant at each call (two specialised copies). */
static inline __attribute__((always_inline)) void prim_row(const struct cr_mhd *m, size_t c0, int n, int i0, int act_jk,
                                                            const int has_b0, long *nrho_out, long *np_out, int *bad_out)
{
    const struct cr_grid *g = m->g;
    const double gm1 = m->gamma - 1.0, igm1 = 1.0 / gm1;
    const double rfl = m->rho_floor, pfl = m->p_floor;
    const int ni = g->ni;
    const ptrdiff_t s0 = m->stride[0], s1 = m->stride[1], s2 = m->stride[2];
    const double *restrict ax0 = g->area[0][0] + c0, *restrict ay0 = g->area[0][1] + c0, *restrict az0 = g->area[0][2] + c0;
    const double *restrict ax1 = g->area[1][0] + c0, *restrict ay1 = g->area[1][1] + c0, *restrict az1 = g->area[1][2] + c0;
    const double *restrict ax2 = g->area[2][0] + c0, *restrict ay2 = g->area[2][1] + c0, *restrict az2 = g->area[2][2] + c0;
    const double *restrict p0 = m->face[0] + c0, *restrict p1 = m->face[1] + c0, *restrict p2 = m->face[2] + c0;
    const double *restrict M0 = m->minv[0] + c0, *restrict M1 = m->minv[1] + c0, *restrict M2 = m->minv[2] + c0,
                           *restrict M3 = m->minv[3] + c0, *restrict M4 = m->minv[4] + c0, *restrict M5 = m->minv[5] + c0;
    double *restrict U0 = m->u[0] + c0, *restrict U1 = m->u[1] + c0, *restrict U2 = m->u[2] + c0,
                     *restrict U3 = m->u[3] + c0, *restrict U4 = m->u[4] + c0;
    double *restrict W0 = m->w[0] + c0, *restrict W1 = m->w[1] + c0, *restrict W2 = m->w[2] + c0,
                     *restrict W3 = m->w[3] + c0, *restrict W4 = m->w[4] + c0, *restrict W5 = m->w[5] + c0,
                     *restrict W6 = m->w[6] + c0, *restrict W7 = m->w[7] + c0;
    double *restrict E0 = m->ecc[0] + c0, *restrict E1 = m->ecc[1] + c0, *restrict E2 = m->ecc[2] + c0;
    const double *restrict B0x = has_b0 ? m->b0c[0] + c0 : NULL, *restrict B0y = has_b0 ? m->b0c[1] + c0 : NULL,
                           *restrict B0z = has_b0 ? m->b0c[2] + c0 : NULL;
    long nrho = 0, np = 0;
    int bad = 0;
#pragma omp simd reduction(+ : nrho, np) reduction(| : bad)
    for (int x = 0; x < n; x++) {
        const int i = i0 + x;
        const int act = act_jk & (i >= 0) & (i < ni);
        /* cr_mhd_cell_b, term by term in the same order */
        double r0 = 0.0, r1 = 0.0, r2 = 0.0;
        {
            double pl = p0[x], ph = p0[x + s0];
            r0 += ax0[x] * pl + ax0[x + s0] * ph;
            r1 += ay0[x] * pl + ay0[x + s0] * ph;
            r2 += az0[x] * pl + az0[x + s0] * ph;
            pl = p1[x], ph = p1[x + s1];
            r0 += ax1[x] * pl + ax1[x + s1] * ph;
            r1 += ay1[x] * pl + ay1[x + s1] * ph;
            r2 += az1[x] * pl + az1[x + s1] * ph;
            pl = p2[x], ph = p2[x + s2];
            r0 += ax2[x] * pl + ax2[x + s2] * ph;
            r1 += ay2[x] * pl + ay2[x + s2] * ph;
            r2 += az2[x] * pl + az2[x + s2] * ph;
        }
        const double b0 = M0[x] * r0 + M1[x] * r1 + M2[x] * r2;
        const double b1 = M1[x] * r0 + M3[x] * r1 + M4[x] * r2;
        const double b2 = M2[x] * r0 + M4[x] * r1 + M5[x] * r2;
        const double rho = U0[x], mx = U1[x], my = U2[x], mz = U3[x], en = U4[x];
        const double chk = rho + mx + my + mz + en;
        bad |= !(chk - chk == 0.0); /* NaN or infinity */
        /* density floor: keep the velocity, the thermal energy takes the kinetic difference */
        const int flr = !(rho >= rfl);
        const double rs = flr ? rfl : rho;
        const double ir = 1.0 / rs;
        const double vx = mx * ir, vy = my * ir, vz = mz * ir;
        nrho += flr & act;
        const double ek = 0.5 * rs * (vx * vx + vy * vy + vz * vz);
        const double eb = 0.5 * (b0 * b0 + b1 * b1 + b2 * b2);
        double p = gm1 * (en - ek - eb);
        const int flp = !(p >= pfl);
        np += flp & act;
        p = flp ? pfl : p;
        if (flr | flp) {
            U0[x] = rs;
            U1[x] = rs * vx, U2[x] = rs * vy, U3[x] = rs * vz;
            U4[x] = flp ? p * igm1 + ek + eb : en;
        }
        W0[x] = rs, W1[x] = vx, W2[x] = vy, W3[x] = vz, W4[x] = p;
        W5[x] = b0, W6[x] = b1, W7[x] = b2;
        double bx = b0, by = b1, bz = b2;
        if (has_b0) bx += B0x[x], by += B0y[x], bz += B0z[x];
        E0[x] = -(vy * bz - vz * by);
        E1[x] = -(vz * bx - vx * bz);
        E2[x] = -(vx * by - vy * bx);
    }
    *nrho_out += nrho;
    *np_out += np;
    *bad_out |= bad;
}

/* The CFL rate of the active cells [0, ni) of a row: max over active
 * directions of (|v.n_d| + c_fast) |A_d| / V (the chunk's azimuthal width
 * for averaged rings: rk = columns per chunk, else 1, an exact division). */
static inline __attribute__((always_inline)) double rate_row(const struct cr_mhd *m, size_t c0, int n, const int has_b0,
                                                             const int boris, double rk, int *bad_out)
{
    const struct cr_grid *g = m->g;
    const double gam = m->gamma, ic2 = m->inv_c2;
    const int a0 = m->active[0], a1 = m->active[1], a2 = m->active[2];
    const ptrdiff_t s0 = m->stride[0], s1 = m->stride[1], s2 = m->stride[2];
    const double *restrict W0 = m->w[0] + c0, *restrict W1 = m->w[1] + c0, *restrict W2 = m->w[2] + c0,
                           *restrict W3 = m->w[3] + c0, *restrict W4 = m->w[4] + c0, *restrict W5 = m->w[5] + c0,
                           *restrict W6 = m->w[6] + c0, *restrict W7 = m->w[7] + c0;
    const double *restrict B0x = has_b0 ? m->b0c[0] + c0 : NULL, *restrict B0y = has_b0 ? m->b0c[1] + c0 : NULL,
                           *restrict B0z = has_b0 ? m->b0c[2] + c0 : NULL;
    const double *restrict n00 = g->fn[0][0] + c0, *restrict n01 = g->fn[0][1] + c0, *restrict n02 = g->fn[0][2] + c0;
    const double *restrict n10 = g->fn[1][0] + c0, *restrict n11 = g->fn[1][1] + c0, *restrict n12 = g->fn[1][2] + c0;
    const double *restrict n20 = g->fn[2][0] + c0, *restrict n21 = g->fn[2][1] + c0, *restrict n22 = g->fn[2][2] + c0;
    const double *restrict A0 = g->amag[0] + c0, *restrict A1 = g->amag[1] + c0, *restrict A2 = g->amag[2] + c0;
    const double *restrict V = g->vol + c0;
    const double *restrict IC = m->ic2c ? m->ic2c + c0 : NULL;
    double rrow = 0.0;
    int bad = 0;
#define CR_RATE_DIR(N0, N1, N2, AM, S)                                                                          \
    do {                                                                                                        \
        const double vn = vx * N0[x] + vy * N1[x] + vz * N2[x], bn = bx * N0[x] + by * N1[x] + bz * N2[x];     \
        const double cf = boris ? cr_mhd_cfast_boris(gam, ic2x, rs, p, bn, b2) : cr_mhd_cfast(gam, rs, p, bn, b2); \
        const double rd = (fabs(vn) + cf) * 0.5 * (AM[x] + AM[x + S]) / V[x];                                    \
        rc = rd > rc ? rd : rc;                                                                                 \
    } while (0)
#pragma omp simd reduction(| : bad) reduction(max : rrow)
    for (int x = 0; x < n; x++) {
        const double rs = W0[x], vx = W1[x], vy = W2[x], vz = W3[x], p = W4[x];
        const double ic2x = IC ? IC[x] : ic2;
        double bx = W5[x], by = W6[x], bz = W7[x];
        if (has_b0) bx += B0x[x], by += B0y[x], bz += B0z[x];
        const double b2 = bx * bx + by * by + bz * bz;
        double rc = 0.0;
        if (a0) CR_RATE_DIR(n00, n01, n02, A0, s0);
        if (a1) CR_RATE_DIR(n10, n11, n12, A1, s1);
        if (a2) {
            const double vn = vx * n20[x] + vy * n21[x] + vz * n22[x], bn = bx * n20[x] + by * n21[x] + bz * n22[x];
            const double cf = boris ? cr_mhd_cfast_boris(gam, ic2x, rs, p, bn, b2) : cr_mhd_cfast(gam, rs, p, bn, b2);
            const double rd = (fabs(vn) + cf) * 0.5 * (A2[x] + A2[x + s2]) / V[x] / rk;
            rc = rd > rc ? rd : rc;
        }
        bad |= !(rc - rc == 0.0);
        rrow = rc > rrow ? rc : rrow;
    }
#undef CR_RATE_DIR
    *bad_out |= bad;
    return rrow;
}

int cr_mhd_prims(struct cr_mhd *m, double *rate_out)
{
    const struct cr_grid *g = m->g;
    const struct cr_mhd_range r = m->wr;
    const int has_b0 = m->has_b0, boris = m->inv_c2 > 0.0;
    const int want_rate = rate_out != NULL;
    const int *ring = m->ring_chunk;
    const int n = r.hi[0] - r.lo[0] + 1;
    long nrho = 0, np = 0;
    int bad = 0;
    double rate = 0.0;
#pragma omp parallel for if (m->omp) collapse(2) schedule(static) reduction(+ : nrho, np) reduction(| : bad) reduction(max : rate)
    for (int k = r.lo[2]; k <= r.hi[2]; k++)
        for (int j = r.lo[1]; j <= r.hi[1]; j++) {
            const int act_jk = j >= 0 && j < g->nj && k >= 0 && k < g->nk;
            const size_t c0 = CR_GIDX(g, r.lo[0], j, k);
            {
                /* the next row on its way to the cache (see cr_mhd_prefetch) */
                const size_t cn = j < r.hi[1] ? c0 + g->sj : CR_GIDX(g, r.lo[0], r.lo[1], k + 1);
                for (int q = 0; q < CR_MHD_NCONS; q++) cr_mhd_prefetch(m->u[q] + cn, n);
                for (int q = 0; q < 6; q++) cr_mhd_prefetch(m->minv[q] + cn, n);
                for (int e = 0; e < 3; e++) {
                    const size_t sh = e ? (size_t)m->stride[e] : 1;
                    cr_mhd_prefetch(m->face[e] + cn, n + 1);
                    if (e) cr_mhd_prefetch(m->face[e] + cn + sh, n);
                    for (int q = 0; q < 3; q++) {
                        cr_mhd_prefetch(g->area[e][q] + cn, n + 1);
                        if (e) cr_mhd_prefetch(g->area[e][q] + cn + sh, n);
                    }
                }
                for (int q = 0; q < CR_MHD_NPRIM; q++) cr_mhd_prefetch_w(m->w[q] + cn, n);
                if (want_rate) {
                    for (int e = 0; e < 3; e++) {
                        for (int q = 0; q < 3; q++) cr_mhd_prefetch(g->fn[e][q] + cn, n);
                        cr_mhd_prefetch(g->amag[e] + cn, n + 1);
                        if (e) cr_mhd_prefetch(g->amag[e] + cn + (size_t)m->stride[e], n);
                    }
                    cr_mhd_prefetch(g->vol + cn, n);
                }
                for (int q = 0; q < 3; q++) {
                    cr_mhd_prefetch_w(m->ecc[q] + cn, n);
                    if (has_b0) cr_mhd_prefetch(m->b0c[q] + cn, n);
                }
            }
            if (has_b0) prim_row(m, c0, n, r.lo[0], act_jk, 1, &nrho, &np, &bad);
            else prim_row(m, c0, n, r.lo[0], act_jk, 0, &nrho, &np, &bad);
            /* the CFL rate (active cells, active directions) */
            if (want_rate && act_jk) {
                const size_t a0 = CR_GIDX(g, 0, j, k);
                const double rk = ring ? (double)ring[j] : 1.0;
                double rrow;
                if (has_b0) rrow = boris ? rate_row(m, a0, g->ni, 1, 1, rk, &bad) : rate_row(m, a0, g->ni, 1, 0, rk, &bad);
                else rrow = boris ? rate_row(m, a0, g->ni, 0, 1, rk, &bad) : rate_row(m, a0, g->ni, 0, 0, rk, &bad);
                rate = rrow > rate ? rrow : rate;
            }
        }
    m->n_rho_floor += nrho;
    m->n_p_floor += np;
    if (want_rate) *rate_out = rate;
    if (bad) {
        cr_error(m->log, "mhd: non-finite conserved state at t = %.6g %s (step %ld)", m->t * m->units.time,
                 m->units.time_unit, m->nstep);
        return CR_ENUMERIC;
    }
    return CR_OK;
}

/* Directions with a single cell are uniform: the face between the cell and
 * its periodic copy carries the cell's own electric field, and the upwind
 * weight of its velocity (what a Riemann solver returns for two equal
 * states). */
void cr_mhd_inactive_faces(struct cr_mhd *m, double dt)
{
    const struct cr_grid *g = m->g;
    const struct cr_mhd_range r = m->wr;
    for (int d = 0; d < 3; d++) {
        if (m->active[d]) continue;
#pragma omp for collapse(2) schedule(static) nowait
        for (int k = r.lo[2]; k <= r.hi[2]; k++)
            for (int j = r.lo[1]; j <= r.hi[1]; j++)
                for (int i = r.lo[0]; i <= r.hi[0]; i++) {
                    size_t c = CR_GIDX(g, i, j, k);
                    for (int q = 0; q < 3; q++) m->eface[d][q][c] = m->ecc[q][c];
                    double vn = m->w[1][c] * g->fn[d][0][c] + m->w[2][c] * g->fn[d][1][c] +
                                m->w[3][c] * g->fn[d][2][c];
                    double a = g->amag[d][c];
                    double vc = a > 0.0 ? 512.0 * dt * vn * a / g->vol[c] : 0.0;
                    m->mflux[d][c] = 0.5 + (vc < -0.5 ? -0.5 : vc > 0.5 ? 0.5 : vc);
                }
    }
}
