/* cr_mhd_prim.c — conserved -> primitive variables on every cell the sweeps
 * read: the cell-centred evolved field by least squares from the six face
 * fluxes (minimise sum_f (B.A_f - Phi_f)^2, exact for uniform fields on any
 * hexahedron), density and pressure floors (each use counted in the step
 * log), and the cell-centred electric field E = -v x (B0 + B1) used by the
 * constrained-transport average. */
#include <math.h>

#include "../core/cr_common.h"
#include "cr_mhd_priv.h"

int cr_mhd_prims(struct cr_mhd *m)
{
    const struct cr_grid *g = m->g;
    const double gm1 = m->gamma - 1.0, igm1 = 1.0 / gm1;
    const double rfl = m->rho_floor, pfl = m->p_floor;
    const struct cr_mhd_range r = m->wr;
    long nrho = 0, np = 0;
    int bad = 0;
#pragma omp parallel for collapse(2) schedule(static) reduction(+ : nrho, np) reduction(| : bad)
    for (int k = r.lo[2]; k <= r.hi[2]; k++)
        for (int j = r.lo[1]; j <= r.hi[1]; j++) {
            const int act_jk = j >= 0 && j < g->nj && k >= 0 && k < g->nk;
            for (int i = r.lo[0]; i <= r.hi[0]; i++) {
                size_t c = CR_GIDX(g, i, j, k);
                const int act = act_jk && i >= 0 && i < g->ni;
                double b[3];
                cr_mhd_cell_b(m, c, b);
                double rho = m->u[CR_MHD_RHO][c];
                double mx = m->u[CR_MHD_MX][c], my = m->u[CR_MHD_MY][c], mz = m->u[CR_MHD_MZ][c];
                double en = m->u[CR_MHD_EN][c];
                if (!isfinite(rho) || !isfinite(en) || !isfinite(mx + my + mz)) {
                    bad = 1;
                    continue;
                }
                double ir = 1.0 / rho;
                double vx = mx * ir, vy = my * ir, vz = mz * ir;
                if (!(rho >= rfl)) {
                    /* density floor: keep the velocity, the thermal energy takes the kinetic difference */
                    rho = rfl;
                    mx = rho * vx, my = rho * vy, mz = rho * vz;
                    m->u[CR_MHD_RHO][c] = rho;
                    m->u[CR_MHD_MX][c] = mx, m->u[CR_MHD_MY][c] = my, m->u[CR_MHD_MZ][c] = mz;
                    nrho += act;
                }
                double ek = 0.5 * rho * (vx * vx + vy * vy + vz * vz);
                double eb = 0.5 * (b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
                double p = gm1 * (en - ek - eb);
                if (!(p >= pfl)) {
                    p = pfl;
                    m->u[CR_MHD_EN][c] = p * igm1 + ek + eb;
                    np += act;
                }
                m->w[CR_MHD_W_RHO][c] = rho;
                m->w[CR_MHD_W_VX][c] = vx;
                m->w[CR_MHD_W_VY][c] = vy;
                m->w[CR_MHD_W_VZ][c] = vz;
                m->w[CR_MHD_W_P][c] = p;
                m->w[CR_MHD_W_BX][c] = b[0];
                m->w[CR_MHD_W_BY][c] = b[1];
                m->w[CR_MHD_W_BZ][c] = b[2];
                if (m->has_b0) b[0] += m->b0c[0][c], b[1] += m->b0c[1][c], b[2] += m->b0c[2][c];
                m->ecc[0][c] = -(vy * b[2] - vz * b[1]);
                m->ecc[1][c] = -(vz * b[0] - vx * b[2]);
                m->ecc[2][c] = -(vx * b[1] - vy * b[0]);
            }
        }
    m->n_rho_floor += nrho;
    m->n_p_floor += np;
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
#pragma omp parallel for collapse(2) schedule(static)
        for (int k = r.lo[2]; k <= r.hi[2]; k++)
            for (int j = r.lo[1]; j <= r.hi[1]; j++)
                for (int i = r.lo[0]; i <= r.hi[0]; i++) {
                    size_t c = CR_GIDX(g, i, j, k);
                    for (int q = 0; q < 3; q++) m->eface[d][q][c] = m->ecc[q][c];
                    double vn = m->w[1][c] * g->fn[d][0][c] + m->w[2][c] * g->fn[d][1][c] +
                                m->w[3][c] * g->fn[d][2][c];
                    double a = g->amag[d][c];
                    double vc = a > 0.0 ? 512.0 * dt * vn * a / g->vol[c] : 0.0;
                    m->mflux[d][c] = 0.5 + fmax(-0.5, fmin(0.5, vc));
                }
    }
}
