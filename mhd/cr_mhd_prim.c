/* cr_mhd_prim.c — conserved -> primitive variables on every cell the sweeps
 * read: the cell-centred evolved field by least squares from the six face
 * fluxes (minimise sum_f (B.A_f - Phi_f)^2, exact for uniform fields on any
 * hexahedron), density and pressure floors (each use counted in the step
 * log), and the cell-centred electric field E = -v x (B0 + B1) used by the
 * constrained-transport average. */
#include <math.h>

#include "../core/cr_common.h"
#include "cr_mhd_priv.h"

int cr_mhd_prims(struct cr_mhd *m, double *rate_out)
{
    const struct cr_grid *g = m->g;
    const double gm1 = m->gamma - 1.0, igm1 = 1.0 / gm1;
    const double rfl = m->rho_floor, pfl = m->p_floor;
    const struct cr_mhd_range r = m->wr;
    const int has_b0 = m->has_b0;
    const int want_rate = rate_out != NULL;
    const int *ring = m->ring_chunk;
    const double gam = m->gamma, ic2 = m->inv_c2;
    long nrho = 0, np = 0;
    int bad = 0;
    double rate = 0.0;
#pragma omp parallel for if (m->omp) collapse(2) schedule(static) reduction(+ : nrho, np) reduction(| : bad) reduction(max : rate)
    for (int k = r.lo[2]; k <= r.hi[2]; k++)
        for (int j = r.lo[1]; j <= r.hi[1]; j++) {
            const int act_jk = j >= 0 && j < g->nj && k >= 0 && k < g->nk;
            const size_t r0 = CR_GIDX(g, 0, j, k);
            double *restrict U0 = m->u[0], *restrict U1 = m->u[1], *restrict U2 = m->u[2], *restrict U3 = m->u[3],
                             *restrict U4 = m->u[4];
            double *restrict W0 = m->w[0], *restrict W1 = m->w[1], *restrict W2 = m->w[2], *restrict W3 = m->w[3],
                             *restrict W4 = m->w[4], *restrict W5 = m->w[5], *restrict W6 = m->w[6],
                             *restrict W7 = m->w[7];
            double *restrict E0 = m->ecc[0], *restrict E1 = m->ecc[1], *restrict E2 = m->ecc[2];
            /* the CFL rate (active cells, active directions): (|v.n_d| + c_fast) |A_d| / V */
            const int do_rate = want_rate && act_jk;
            double rrow = 0.0;
#pragma omp simd reduction(+ : nrho, np) reduction(| : bad) reduction(max : rrow)
            for (int i = r.lo[0]; i <= r.hi[0]; i++) {
                const size_t c = r0 + (size_t)i;
                const int act = act_jk & (i >= 0) & (i < g->ni);
                double b[3];
                cr_mhd_cell_b(m, c, b);
                double rho = U0[c], mx = U1[c], my = U2[c], mz = U3[c], en = U4[c];
                double chk = rho + mx + my + mz + en;
                bad |= !(chk - chk == 0.0); /* NaN or infinity */
                /* density floor: keep the velocity, the thermal energy takes the kinetic difference */
                const int flr = !(rho >= rfl);
                const double rs = flr ? rfl : rho;
                const double ir = 1.0 / rs;
                const double vx = mx * ir, vy = my * ir, vz = mz * ir;
                nrho += flr & act;
                const double ek = 0.5 * rs * (vx * vx + vy * vy + vz * vz);
                const double eb = 0.5 * (b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
                double p = gm1 * (en - ek - eb);
                const int flp = !(p >= pfl);
                np += flp & act;
                p = flp ? pfl : p;
                if (flr | flp) {
                    U0[c] = rs;
                    U1[c] = rs * vx, U2[c] = rs * vy, U3[c] = rs * vz;
                    U4[c] = flp ? p * igm1 + ek + eb : en;
                }
                W0[c] = rs, W1[c] = vx, W2[c] = vy, W3[c] = vz, W4[c] = p;
                W5[c] = b[0], W6[c] = b[1], W7[c] = b[2];
                double bx = b[0], by = b[1], bz = b[2];
                if (has_b0) bx += m->b0c[0][c], by += m->b0c[1][c], bz += m->b0c[2][c];
                E0[c] = -(vy * bz - vz * by);
                E1[c] = -(vz * bx - vx * bz);
                E2[c] = -(vx * by - vy * bx);
                if (do_rate) {
                    const double b2 = bx * bx + by * by + bz * bz;
                    double rc = 0.0;
                    for (int d = 0; d < 3; d++) {
                        if (!m->active[d]) continue;
                        const double n0 = g->fn[d][0][c], n1 = g->fn[d][1][c], n2 = g->fn[d][2][c];
                        const double vn = vx * n0 + vy * n1 + vz * n2, bn = bx * n0 + by * n1 + bz * n2;
                        const double cf = ic2 > 0.0 ? cr_mhd_cfast_boris(gam, ic2, rs, p, bn, b2)
                                                    : cr_mhd_cfast(gam, rs, p, bn, b2);
                        double rd =
                            (fabs(vn) + cf) * 0.5 * (g->amag[d][c] + g->amag[d][c + (size_t)m->stride[d]]) / g->vol[c];
                        if (d == 2 && ring) rd /= ring[j]; /* averaged rings: the chunk's azimuthal width */
                        rc = rd > rc ? rd : rc;
                    }
                    rc = act ? rc : 0.0;
                    bad |= !(rc - rc == 0.0);
                    rrow = rc > rrow ? rc : rrow;
                }
            }
            rate = rrow > rate ? rrow : rate;
        }
    m->n_rho_floor += nrho;
    m->n_p_floor += np;
    if (want_rate) *rate_out = rate;
    if (bad) {
        cr_error(m->log, "mhd: non-finite conserved state at t = %.6g (step %ld)", m->t, m->nstep);
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
