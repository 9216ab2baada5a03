/* cr_msphere_bc.c — the two physical boundaries of the magnetosphere (see
 * cr_msphere.h for the physics):
 *
 *  inner sphere (side 0): ghost density of the first active cell (or a
 *    fixed density) at a fixed temperature (or the first cell's pressure;
 *    LFM holds the inner boundary's density and sound speed), velocity = the ionospheric E x B drift
 *    cached by the last coupling, transverse ghost faces copied from the
 *    first active layer (flux scaled by the face area), normal ghost faces
 *    set so that every ghost cell is divergence-free (marching inwards); the
 *    EMF hook replaces the edge EMFs lying on the sphere by the line
 *    integrals of E = -grad Phi of the mapped ionospheric potential,
 *    Phi(low corner) - Phi(high corner);
 *  outer shell (side 1): per column (j, k) of ghost cells, inflow where the
 *    driver's velocity enters through the boundary face (V . n < 0): the
 *    planar-front solar wind at each ghost cell's centroid, B1 = B_IMF - B0
 *    on every ghost face; otherwise zero-gradient outflow with any inward
 *    normal velocity removed and divergence-free ghost cells.
 *
 * Energies of ghost cells use their own least-squares cell field (the
 * solver's reconstruction), so the solver recovers exactly the ghost
 * pressure that was meant. */
#include <math.h>
#include <stdlib.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "cr_msphere_priv.h"

/* Pressure of cell c from its conserved state and its own face fluxes. */
static double cell_pressure(const struct cr_mhd_view *v, size_t c)
{
    double b[3];
    cr_msphere_cell_b(v->g, v->face, c, b);
    double rho = v->u[CR_MHD_RHO][c];
    double m2 = v->u[CR_MHD_MX][c] * v->u[CR_MHD_MX][c] + v->u[CR_MHD_MY][c] * v->u[CR_MHD_MY][c] +
                v->u[CR_MHD_MZ][c] * v->u[CR_MHD_MZ][c];
    double ek = rho > 0 ? 0.5 * m2 / rho : 0.0;
    return (v->gamma - 1.0) * (v->u[CR_MHD_EN][c] - ek - 0.5 * (b[0] * b[0] + b[1] * b[1] + b[2] * b[2]));
}

/* Conserved state of cell c from rho, velocity, pressure and its own faces. */
static void set_cell(const struct cr_mhd_view *v, size_t c, double rho, const double vel[3], double p)
{
    double b[3], w[5] = {rho, vel[0], vel[1], vel[2], p}, u[CR_MHD_NCONS];
    cr_msphere_cell_b(v->g, v->face, c, b);
    cr_mhd_prim_to_cons(v->gamma, w, b, u);
    for (int q = 0; q < CR_MHD_NCONS; q++) v->u[q][c] = u[q];
}

/* ---- inner sphere ----------------------------------------------------------------- */

int cr_msphere_fill_inner(void *ctx, const struct cr_mhd_view *v, int side, double t)
{
    struct cr_msphere *ms = ctx;
    const struct cr_grid *g = v->g;
    const int ng = g->ng, nj = g->nj, nk = g->nk;
    const size_t sj = g->sj, sk = g->sk;
    (void)t;
    if (side != 0) return CR_EDOMAIN;
    const double rfl = ms->inp.n_floor, pfl = ms->inp.p_floor / ms->units.pressure;
    const double pk = CR_KB / (ms->units.pressure * CR_NPA) * CR_CC; /* n [cc] k_B T [K] -> code pressure */
    /* 1. transverse faces of the ghost layers: j-faces, then k-faces */
#pragma omp parallel for schedule(static)
    for (int k = -ng; k <= nk + ng; k++)
        for (int j = -ng; j <= nj + ng; j++)
            for (int l = 1; l <= ng; l++) {
                size_t dst = CR_GIDX(g, -l, j, k), src = CR_GIDX(g, 0, j, k);
                if (k < nk + ng) {
                    double as = g->amag[1][src], ad = g->amag[1][dst];
                    v->face[1][dst] = as > 0 ? v->face[1][src] * (ad / as) : v->face[1][src];
                }
                if (j < nj + ng) {
                    double as = g->amag[2][src], ad = g->amag[2][dst];
                    v->face[2][dst] = as > 0 ? v->face[2][src] * (ad / as) : v->face[2][src];
                }
            }
    /* 2. normal faces: divergence-free ghost cells, marching inwards; 3. cells */
#pragma omp parallel for schedule(static)
    for (int k = -ng; k < nk + ng; k++)
        for (int j = -ng; j < nj + ng; j++) {
            for (int l = 1; l <= ng; l++) {
                size_t c = CR_GIDX(g, -l, j, k);
                double tr = (v->face[1][c + sj] - v->face[1][c]) + (v->face[2][c + sk] - v->face[2][c]);
                v->face[0][c] = v->face[0][c + 1] + tr;
            }
            size_t src = CR_GIDX(g, 0, j, k);
            double rho = ms->inp.n_inner > 0 ? ms->inp.n_inner : v->u[CR_MHD_RHO][src];
            if (!(rho >= rfl)) rho = rfl;
            double p = ms->inp.t_inner > 0 ? rho * ms->inp.t_inner * pk : cell_pressure(v, src);
            if (!(p >= pfl)) p = pfl;
            for (int l = 1; l <= ng; l++) {
                size_t c = CR_GIDX(g, -l, j, k);
                size_t o = (size_t)(l - 1) + (size_t)ng * ((size_t)(j + ng) + (size_t)ms->nJ * (size_t)(k + ng));
                double vel[3] = {ms->vdrift[0][o], ms->vdrift[1][o], ms->vdrift[2][o]};
                set_cell(v, c, rho, vel, p);
            }
        }
    return CR_OK;
}

int cr_msphere_emf_inner(void *ctx, const struct cr_mhd_view *v, int side, double t)
{
    struct cr_msphere *ms = ctx;
    const struct cr_grid *g = v->g;
    const int nj = g->nj, nk = g->nk;
    (void)t;
    if (side != 0) return CR_OK;
    const double *ph = ms->phib;
    const size_t sp = (size_t)nj + 1;
    /* E . l along each edge of the sphere = Phi(start) - Phi(end) (E = -grad Phi) */
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j < nj; j++)
            v->emf[1][CR_GIDX(g, 0, j, k)] = ph[(size_t)j + sp * k] - ph[(size_t)j + 1 + sp * k];
    for (int k = 0; k < nk; k++)
        for (int j = 0; j <= nj; j++)
            v->emf[2][CR_GIDX(g, 0, j, k)] = ph[(size_t)j + sp * k] - ph[(size_t)j + sp * (k + 1)];
    return CR_OK;
}

/* ---- outer shell --------------------------------------------------------------------- */

int cr_msphere_fill_outer(void *ctx, const struct cr_mhd_view *v, int side, double t)
{
    struct cr_msphere *ms = ctx;
    const struct cr_grid *g = v->g;
    const int ng = g->ng, ni = g->ni, nj = g->nj, nk = g->nk, nJ = ms->nJ;
    const size_t sj = g->sj, sk = g->sk;
    if (side != 1) return CR_EDOMAIN;
    const double ts = t * ms->units.time, xbc = ms->x_bc;
    const double vs = 1.0 / ms->units.velocity, bs = 1.0 / ms->units.bfield;
    const double pk = CR_KB / (ms->units.pressure * CR_NPA) * CR_CC;
    const double rfl = ms->inp.n_floor, pfl = ms->inp.p_floor / ms->units.pressure;
    struct cr_wind_sample *ws = ms->ws;
    unsigned char *in = ms->inflow;
#define COL(j, k) ((size_t)((j) + ng) + (size_t)nJ * (size_t)((k) + ng))
#define WS(l, j, k) ws[(size_t)(l) + (size_t)ng * COL(j, k)]
    /* the wind at every ghost cell of the inflow columns */
#pragma omp parallel for schedule(static)
    for (int k = -ng; k < nk + ng; k++)
        for (int j = -ng; j < nj + ng; j++) {
            size_t col = COL(j, k);
            size_t c0 = CR_GIDX(g, ni, j, k);
            cr_wind_eval_delayed(ms->wind, ts, g->cx[c0], xbc, &WS(0, j, k));
            const double *vv = WS(0, j, k).v;
            double vn = vv[0] * ms->nout[0][col] + vv[1] * ms->nout[1][col] + vv[2] * ms->nout[2][col];
            in[col] = vn < 0.0;
            if (in[col])
                for (int l = 1; l < ng; l++) {
                    size_t c = CR_GIDX(g, ni + l, j, k);
                    cr_wind_eval_delayed(ms->wind, ts, g->cx[c], xbc, &WS(l, j, k));
                }
        }
    /* 1. transverse faces of the ghost layers (the column of the cell on the face's + side) */
#pragma omp parallel for schedule(static)
    for (int k = -ng; k <= nk + ng; k++)
        for (int j = -ng; j <= nj + ng; j++) {
            int jc = j < nj + ng ? j : j - 1, kc = k < nk + ng ? k : k - 1;
            int inflow = in[COL(jc, kc)];
            for (int l = 0; l < ng; l++) {
                size_t dst = CR_GIDX(g, ni + l, j, k), src = CR_GIDX(g, ni - 1, j, k);
                for (int e = 1; e <= 2; e++) {
                    if (e == 1 && k == nk + ng) continue;
                    if (e == 2 && j == nj + ng) continue;
                    if (inflow) {
                        const double *bb = WS(l, jc, kc).b;
                        double B[3];
                        for (int q = 0; q < 3; q++) B[q] = bb[q] * bs - v->b0f[e][q][dst];
                        v->face[e][dst] =
                            B[0] * g->area[e][0][dst] + B[1] * g->area[e][1][dst] + B[2] * g->area[e][2][dst];
                    } else {
                        double as = g->amag[e][src], ad = g->amag[e][dst];
                        v->face[e][dst] = as > 0 ? v->face[e][src] * (ad / as) : v->face[e][src];
                    }
                }
            }
        }
    /* 2. normal faces beyond the boundary face; 3. cells */
#pragma omp parallel for schedule(static)
    for (int k = -ng; k < nk + ng; k++)
        for (int j = -ng; j < nj + ng; j++) {
            size_t col = COL(j, k);
            if (in[col]) {
                for (int l = 1; l <= ng; l++) {
                    size_t f = CR_GIDX(g, ni + l, j, k);
                    const double *bb = WS(l - 1, j, k).b;
                    double B[3];
                    for (int q = 0; q < 3; q++) B[q] = bb[q] * bs - v->b0f[0][q][f];
                    v->face[0][f] = B[0] * g->area[0][0][f] + B[1] * g->area[0][1][f] + B[2] * g->area[0][2][f];
                }
                for (int l = 0; l < ng; l++) {
                    size_t c = CR_GIDX(g, ni + l, j, k);
                    const struct cr_wind_sample *s = &WS(l, j, k);
                    double vel[3] = {s->v[0] * vs, s->v[1] * vs, s->v[2] * vs};
                    set_cell(v, c, s->n, vel, s->n * s->temp * pk);
                }
            } else {
                for (int l = 0; l < ng; l++) {
                    size_t c = CR_GIDX(g, ni + l, j, k);
                    double tr = (v->face[1][c + sj] - v->face[1][c]) + (v->face[2][c + sk] - v->face[2][c]);
                    v->face[0][c + 1] = v->face[0][c] - tr;
                }
                size_t src = CR_GIDX(g, ni - 1, j, k);
                double rho = v->u[CR_MHD_RHO][src];
                double p = cell_pressure(v, src);
                double ir = rho > 0 ? 1.0 / rho : 0.0;
                double vel[3] = {v->u[CR_MHD_MX][src] * ir, v->u[CR_MHD_MY][src] * ir, v->u[CR_MHD_MZ][src] * ir};
                if (!(rho >= rfl)) rho = rfl;
                if (!(p >= pfl)) p = pfl;
                const double n0 = ms->nout[0][col], n1 = ms->nout[1][col], n2 = ms->nout[2][col];
                double vn = vel[0] * n0 + vel[1] * n1 + vel[2] * n2;
                if (vn < 0) vel[0] -= vn * n0, vel[1] -= vn * n1, vel[2] -= vn * n2;
                for (int l = 0; l < ng; l++) set_cell(v, CR_GIDX(g, ni + l, j, k), rho, vel, p);
            }
        }
#undef COL
#undef WS
    return CR_OK;
}
