/* cr_mhd_ct.c — constrained transport and the stage updates.
 *
 * Edge EMFs: the line integral E.l of the electric field along each edge,
 * from the four faces and four cells around the edge by the upwinded "CT
 * contact" average of Gardiner & Stone (2005, J. Comput. Phys. 205, 509,
 * eqs. 41-51; also Stone et al. 2008, ApJS 178, 137, section 5.3). Every term
 * is a scalar E.l with the edge's own vector l, so on a curvilinear grid the
 * average is metric-consistent: a uniform E gives exactly E.l. Face
 * electric fields come from the Riemann induction fluxes (cr_mhd_sweep.c),
 * cell fields are E = -v x B; the upwind side of each half-edge gradient is
 * chosen by the mass flux through the neighbouring face, as a weight that
 * goes smoothly from one side to the other for flows slower than 1/1024 of
 * a cell per step (Athena++'s choice), so that round-off-level velocities
 * do not switch the stencil.
 *
 * Faces: dPhi/dt = - sum of the EMFs around the face (Stokes), with the
 * face's edges taken counter-clockwise about its +index normal, so every
 * edge enters the two faces of each cell with opposite signs and the sum of
 * the six face fluxes of a cell does not change (div B at round-off).
 *
 * Cells: the finite-volume update U += beta dt / V sum_faces (F_lo - F_hi),
 * plus the sources of a background field with currents, and the simplified
 * Boris correction of Gombosi et al. (2002, J. Comput. Phys. 177, 176): the
 * momentum change is divided by (1 + vA^2/c^2) across B and kept along B:
 *   dm_B = [dm + (vA^2/c^2) b (b.dm)] / (1 + vA^2/c^2).
 */
#include <math.h>

#include "../core/cr_common.h"
#ifdef _OPENMP
#include <omp.h>
#endif
#include "cr_mhd_priv.h"

/* Half-edge gradient term: weight w of the side the flow comes from (w = 1:
 * the flow crosses the face towards +index, the low-side cells are upwind). */
static inline double upw(double w, double low, double high) { return w * low + (1.0 - w) * high; }

/* The EMFs of the e-edges of row (j, k), i = 0 .. hi. */
static inline void emf_row(const struct cr_mhd *m, int e, int j, int k, int hi)
{
    const struct cr_grid *g = m->g;
    const int a = (e + 1) % 3, b = (e + 2) % 3;
    const ptrdiff_t oa = m->off[a], ob = m->off[b];
    const double *restrict ea0 = m->eface[a][0], *restrict ea1 = m->eface[a][1], *restrict ea2 = m->eface[a][2];
    const double *restrict eb0 = m->eface[b][0], *restrict eb1 = m->eface[b][1], *restrict eb2 = m->eface[b][2];
    const double *restrict c0 = m->ecc[0], *restrict c1 = m->ecc[1], *restrict c2 = m->ecc[2];
    const double *restrict wa = m->mflux[a], *restrict wb = m->mflux[b];
    const double *restrict l0 = g->edge[e][0], *restrict l1 = g->edge[e][1], *restrict l2 = g->edge[e][2];
    double *restrict out = m->emf[e];
    const size_t r0 = CR_GIDX(g, 0, j, k);
#pragma omp simd
    for (int i = 0; i <= hi; i++) {
        const size_t x = r0 + (size_t)i;
        const double lx = l0[x], ly = l1[x], lz = l2[x];
        const size_t A0 = x - ob, A1 = x, B0 = x - oa, B1 = x;
        const size_t C00 = x - oa - ob, C10 = x - ob, C01 = x - oa, C11 = x;
        double eA0 = ea0[A0] * lx + ea1[A0] * ly + ea2[A0] * lz;
        double eA1 = ea0[A1] * lx + ea1[A1] * ly + ea2[A1] * lz;
        double eB0 = eb0[B0] * lx + eb1[B0] * ly + eb2[B0] * lz;
        double eB1 = eb0[B1] * lx + eb1[B1] * ly + eb2[B1] * lz;
        double e00 = c0[C00] * lx + c1[C00] * ly + c2[C00] * lz;
        double e10 = c0[C10] * lx + c1[C10] * ly + c2[C10] * lz;
        double e01 = c0[C01] * lx + c1[C01] * ly + c2[C01] * lz;
        double e11 = c0[C11] * lx + c1[C11] * ly + c2[C11] * lz;
        /* Gardiner & Stone (2005) eq. (41): the corner value is the mean of the four
         * face values, each carried to the corner with the gradient (face - cell) of
         * the upwind half-cell (their eqs. 50-51) */
        double corr = upw(wa[A1], eB0 - e01, eB1 - e11) + upw(wa[A0], eB0 - e00, eB1 - e10) +
                      upw(wb[B1], eA0 - e10, eA1 - e11) + upw(wb[B0], eA0 - e00, eA1 - e01);
        out[x] = 0.25 * ((eA0 + eA1) + (eB0 + eB1) + corr);
    }
}

void cr_mhd_emf(struct cr_mhd *m)
{
    /* Edges of direction e: i, j, k from 0 to n (n - 1 along e; 0 in a
     * single-cell direction). The three directions are done row by row in
     * one loop, so the face and cell fields of a row are read once for all
     * three. */
    int hi[3][3], top[3];
    for (int q = 0; q < 3; q++) top[q] = m->active[q] ? m->n[q] : 0;
    for (int e = 0; e < 3; e++)
        for (int q = 0; q < 3; q++) hi[e][q] = !m->active[q] ? 0 : q == e ? m->n[q] - 1 : m->n[q];
#pragma omp for collapse(2) schedule(static) nowait
    for (int k = 0; k <= top[2]; k++)
        for (int j = 0; j <= top[1]; j++) {
            /* the next row on its way to the cache (see cr_mhd_prefetch) */
            const struct cr_grid *g = m->g;
            const size_t xn = j < top[1] ? CR_GIDX(g, 0, j + 1, k) : CR_GIDX(g, 0, 0, k + 1);
            const int n = top[0] + 1;
            for (int q = 0; q < 3; q++) {
                cr_mhd_prefetch(m->ecc[q] + xn, n);
                cr_mhd_prefetch(m->mflux[q] + xn, n);
                cr_mhd_prefetch_w(m->emf[q] + xn, n);
                for (int c = 0; c < 3; c++) {
                    cr_mhd_prefetch(m->eface[q][c] + xn, n);
                    cr_mhd_prefetch(g->edge[q][c] + xn, n);
                }
            }
            for (int e = 0; e < 3; e++)
                if (j <= hi[e][1] && k <= hi[e][2]) emf_row(m, e, j, k, hi[e][0]);
        }
}

void cr_mhd_update_faces(struct cr_mhd *m, int stage, double dt)
{
    const struct cr_grid *g = m->g;
    const double g0 = m->g0[stage], g1 = m->g1[stage], bdt = m->beta[stage] * dt;
    for (int d = 0; d < 3; d++) {
        const int a = (d + 1) % 3, b = (d + 2) % 3;
        int lo[3] = {0, 0, 0}, hi[3];
        for (int q = 0; q < 3; q++) hi[q] = m->n[q] - 1;
        if (m->active[d] && m->bc[2 * d].kind != CR_MHD_BC_PERIODIC) hi[d] = m->n[d];
        const ptrdiff_t oa = m->off[a], ob = m->off[b];
        const double *restrict Ea = m->emf[a], *restrict Eb = m->emf[b];
        double *restrict f0 = m->face0[d];
        double *restrict f = m->face[d];
        const int first = stage == 0; /* U0 = U: save Phi^n on the way (g0 = 1, g1 = 0 for every integrator) */
#pragma omp for collapse(2) schedule(static) nowait
        for (int k = lo[2]; k <= hi[2]; k++)
            for (int j = lo[1]; j <= hi[1]; j++) {
                const size_t r0 = CR_GIDX(g, 0, j, k);
                for (int i = lo[0]; i <= hi[0]; i++) {
                    const size_t x = r0 + (size_t)i;
                    double circ = (Ea[x] + Eb[x + oa]) - (Ea[x + ob] + Eb[x]);
                    if (first) {
                        const double fx = f[x];
                        f0[x] = fx;
                        f[x] = fx - bdt * circ;
                    } else {
                        f[x] = g0 * f0[x] + g1 * f[x] - bdt * circ;
                    }
                }
            }
    }
}

void cr_mhd_update_cells(struct cr_mhd *m, int stage, double dt, int *bad_out)
{
    const struct cr_grid *g = m->g;
    const double g0 = m->g0[stage], g1 = m->g1[stage], bdt = m->beta[stage] * dt;
    const int act[3] = {m->active[0], m->active[1], m->active[2]};
    const ptrdiff_t s1 = m->stride[1], s2 = m->stride[2];
    const double ic2 = m->inv_c2;
    const int ni = g->ni;
    int bad = 0;
    /* orphaned worksharing (see cr_mhd_priv.h); each thread's flag is or-ed into *bad_out */
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *du[CR_MHD_NCONS], *dg[3], *dj;
        for (int q = 0; q < CR_MHD_NCONS; q++) du[q] = m->scratch[tid] + (size_t)q * (size_t)(ni + 8);
        for (int q = 0; q < 3; q++) dg[q] = m->scratch[tid] + (size_t)(CR_MHD_NCONS + q) * (size_t)(ni + 8);
        dj = m->scratch[tid] + (size_t)(CR_MHD_NCONS + 3) * (size_t)(ni + 8);
#pragma omp for collapse(2) schedule(static) nowait
        for (int k = 0; k < g->nk; k++)
            for (int j = 0; j < g->nj; j++) {
                const size_t r0 = CR_GIDX(g, 0, j, k);
                const double *restrict vol = g->vol + r0;
                {
                    /* the next row on its way to the cache (see cr_mhd_prefetch) */
                    const size_t xn = j < g->nj - 1 ? r0 + g->sj : CR_GIDX(g, 0, 0, k + 1);
                    for (int q = 0; q < CR_MHD_NCONS; q++) {
                        for (int d = 0; d < 3; d++)
                            if (act[d]) {
                                cr_mhd_prefetch(m->flux[d][q] + xn, ni + 1);
                                if (d) cr_mhd_prefetch(m->flux[d][q] + xn + (size_t)m->stride[d], ni);
                            }
                        cr_mhd_prefetch_w(m->u[q] + xn, ni);
                        if (stage == 0) cr_mhd_prefetch_w(m->u0[q] + xn, ni);
                        else cr_mhd_prefetch(m->u0[q] + xn, ni);
                    }
                    cr_mhd_prefetch(g->vol + xn, ni);
                }
                /* flux differences, direction by direction in a fixed order */
                for (int q = 0; q < CR_MHD_NCONS; q++) {
                    double *restrict d = du[q];
                    const double *restrict F0 = act[0] ? m->flux[0][q] + r0 : NULL;
                    const double *restrict F1 = act[1] ? m->flux[1][q] + r0 : NULL;
                    const double *restrict F2 = act[2] ? m->flux[2][q] + r0 : NULL;
                    if (F0 && F1 && F2) {
                        /* 3-D: the same sums in the same order, in one pass */
#pragma omp simd
                        for (int i = 0; i < ni; i++)
                            d[i] = (((F0[i] - F0[i + 1]) + (F1[i] - F1[i + s1])) + (F2[i] - F2[i + s2])) * (bdt / vol[i]);
                        continue;
                    }
                    if (F0) {
#pragma omp simd
                        for (int i = 0; i < ni; i++) d[i] = F0[i] - F0[i + 1];
                    } else {
                        for (int i = 0; i < ni; i++) d[i] = 0.0;
                    }
                    if (F1) {
#pragma omp simd
                        for (int i = 0; i < ni; i++) d[i] += F1[i] - F1[i + s1];
                    }
                    if (F2) {
#pragma omp simd
                        for (int i = 0; i < ni; i++) d[i] += F2[i] - F2[i + s2];
                    }
#pragma omp simd
                    for (int i = 0; i < ni; i++) d[i] *= bdt / vol[i];
                }
                if (ic2 > 0.0) {
                    /* the magnetic part of the momentum change (Maxwell stress, dissipation of S/c^2) */
                    for (int q = 0; q < 3; q++) {
                        double *restrict d = dg[q];
                        for (int i = 0; i < ni; i++) d[i] = 0.0;
                        for (int e = 0; e < 3; e++) {
                            if (!act[e]) continue;
                            const double *restrict G = m->fluxm[e][q] + r0;
                            const ptrdiff_t se = m->stride[e];
#pragma omp simd
                            for (int i = 0; i < ni; i++) d[i] += G[i] - G[i + se];
                        }
#pragma omp simd
                        for (int i = 0; i < ni; i++) d[i] *= bdt / vol[i];
                    }
                    /* v . (the change by the dissipation of S_A/c^2), v of this cell */
                    for (int i = 0; i < ni; i++) dj[i] = 0.0;
                    for (int e = 0; e < 3; e++) {
                        if (!act[e]) continue;
                        const double *restrict EL = m->ej[e][0] + r0, *restrict EH = m->ej[e][1] + r0;
                        const ptrdiff_t se = m->stride[e];
#pragma omp simd
                        for (int i = 0; i < ni; i++) dj[i] += EH[i] - EL[i + se];
                    }
#pragma omp simd
                    for (int i = 0; i < ni; i++) dj[i] *= bdt / vol[i];
                }
                if (m->b0_sources) {
                    /* J0 x B0 (momentum) and E.J0 (evolved energy), E = -v x B at this stage */
                    for (int i = 0; i < ni; i++) {
                        const size_t c = r0 + (size_t)i;
                        double J[3] = {m->j0[0][c], m->j0[1][c], m->j0[2][c]};
                        double B[3] = {m->b0c[0][c], m->b0c[1][c], m->b0c[2][c]};
                        du[1][i] += bdt * (J[1] * B[2] - J[2] * B[1]);
                        du[2][i] += bdt * (J[2] * B[0] - J[0] * B[2]);
                        du[3][i] += bdt * (J[0] * B[1] - J[1] * B[0]);
                        du[4][i] += bdt * (m->ecc[0][c] * J[0] + m->ecc[1][c] * J[1] + m->ecc[2][c] * J[2]);
                        if (ic2 > 0.0) {
                            dg[0][i] += bdt * (J[1] * B[2] - J[2] * B[1]);
                            dg[1][i] += bdt * (J[2] * B[0] - J[0] * B[2]);
                            dg[2][i] += bdt * (J[0] * B[1] - J[1] * B[0]);
                        }
                    }
                }
                if (ic2 > 0.0) {
                    for (int i = 0; i < ni; i++) {
                        const size_t c = r0 + (size_t)i;
                        /* velocity of the state this stage updates (U^n, or the
                         * integrator's combination of U^n and U^(s)) */
                        double ub[4];
                        for (int q = 0; q < 4; q++)
                            ub[q] = stage == 0 ? m->u[q][c] : g0 * m->u0[q][c] + g1 * m->u[q][c];
                        const double drho = du[0][i], vdr[3] = {ub[1] / ub[0] * drho, ub[2] / ub[0] * drho,
                                                                ub[3] / ub[0] * drho};
                        double B[3] = {m->w[5][c], m->w[6][c], m->w[7][c]};
                        if (m->has_b0) B[0] += m->b0c[0][c], B[1] += m->b0c[1][c], B[2] += m->b0c[2][c];
                        double b2 = B[0] * B[0] + B[1] * B[1] + B[2] * B[2];
                        double al = b2 / m->w[0][c] * (m->ic2c ? m->ic2c[c] : ic2);
                        /* hydrodynamic part h (momentum flux rho v v + p): across B divided by
                         * 1 + alpha, along B kept; magnetic part g: divided by 1 + alpha in every
                         * direction. The Lorentz force has no component along B, so both are the
                         * correction of Gombosi et al. (2002) for the sum; dividing g along B too
                         * keeps the truncation error of a strongly curved B0 (the discrete
                         * Maxwell stress is not exactly perpendicular to the cell's B) from
                         * accelerating tenuous plasma along B unchecked where vA >> c */
                        /* The correction acts on the acceleration, rho dv = dm - v drho, not on
                         * the momentum change dm: the semi-relativistic momentum is
                         * rho v + S_A/c^2 with v the velocity, and what its larger inertia
                         * slows is the change of v (Gombosi et al. 2002, eqs. 13-14). Dividing
                         * dm itself would keep rho v across B almost fixed where alpha >> 1
                         * while the density changes at the full rate, so v = m/rho would grow
                         * as 1/rho wherever the plasma rarefies (not Galilean invariant: a
                         * uniform drift across B is not kept).
                         *   dm_B = v drho + [h' + alpha b (b.h') + g] / (1 + alpha),
                         *   h' = dm - g - v drho (g: magnetic part): only b.h' is needed */
                        double bh = B[0] * (du[1][i] - dg[0][i] - vdr[0]) + B[1] * (du[2][i] - dg[1][i] - vdr[1]) +
                                    B[2] * (du[3][i] - dg[2][i] - vdr[2]);
                        double bdm = b2 > 0.0 ? bh / b2 : 0.0;
                        double ia = 1.0 / (1.0 + al);
                        double m0 = du[1][i], m1 = du[2][i], m2 = du[3][i];
                        du[1][i] = vdr[0] + (m0 - vdr[0] + al * B[0] * bdm) * ia;
                        du[2][i] = vdr[1] + (m1 - vdr[1] + al * B[1] * bdm) * ia;
                        du[3][i] = vdr[2] + (m2 - vdr[2] + al * B[2] * bdm) * ia;
                        /* the energy: the correction changes the kinetic energy by v . (dm_c - dm)
                         * and nothing else, so the evolved energy takes the same change; otherwise
                         * the work that the slowed plasma did not receive (the energy of the
                         * displacement current's field in semi-relativistic MHD, Gombosi et al.
                         * 2002) would be counted as heat. dm here is the momentum change the
                         * energy flux knows of: without the Riemann dissipation of S_A/c^2 (dj,
                         * a diffusion of v across B with the inertia rho vA^2/c^2), whose energy
                         * (that of the reduced-c electric field) the evolved energy never held.
                         * Counting it removed v . dj from the kinetic energy and put it into the
                         * heat: a heating ~ vA^2/c^2 times the flow's own dissipation wherever
                         * the flow varies across B (a field-aligned flow through a curved
                         * dipole on a coarse grid is enough), which raised the pressure, drove a
                         * faster field-aligned flow and ran away next to the inner boundary
                         * (mhd/README.md, "Boris correction") */
                        du[4][i] += m->w[1][c] * (du[1][i] - m0) + m->w[2][c] * (du[2][i] - m1) +
                                    m->w[3][c] * (du[3][i] - m2) + dj[i];
                    }
                }
                for (int q = 0; q < CR_MHD_NCONS; q++) {
                    double *restrict u = m->u[q] + r0;
                    double *restrict u0 = m->u0[q] + r0;
                    const double *restrict d = du[q];
                    if (stage == 0) {
                        /* U0 = U: save U^n on the way (g0 = 1, g1 = 0 for every integrator) */
#pragma omp simd
                        for (int i = 0; i < ni; i++) {
                            const double x = u[i];
                            u0[i] = x;
                            u[i] = x + d[i];
                        }
                    } else {
#pragma omp simd
                        for (int i = 0; i < ni; i++) u[i] = g0 * u0[i] + g1 * u[i] + d[i];
                    }
                }
                const double *restrict ur = m->u[0] + r0, *restrict ue = m->u[4] + r0;
                int b = 0;
#pragma omp simd reduction(| : b)
                for (int i = 0; i < ni; i++) {
                    double x = ur[i] + ue[i];
                    b |= !(x - x == 0.0);
                }
                bad |= b;
            }
    }
    if (bad) {
#pragma omp atomic write
        *bad_out = 1;
    }
}

/* cr_mhd_cell_b with the faces as a stage leaves them: the image face n of
 * a periodic direction is not evolved during the stages (cr_mhd_seams
 * refreshes it after the step), so the last cell takes its high face from
 * face 0, the face it is the image of. */
static void stage_cell_b(const struct cr_mhd *m, size_t c, const int idx[3], double b[3])
{
    size_t hf[3];
    for (int d = 0; d < 3; d++) {
        hf[d] = c + (size_t)m->stride[d];
        if (m->bc[2 * d].kind == CR_MHD_BC_PERIODIC && idx[d] == m->n[d] - 1)
            hf[d] -= (size_t)m->n[d] * (size_t)m->stride[d];
    }
    cr_mhd_cell_b_at(m, c, hf, b);
}

/* p / rho^gamma of a cell's stage-start primitives */
static inline double cell_k(const struct cr_mhd *m, size_t c, double gam)
{
    return m->w[4][c] / pow(m->w[0][c], gam);
}

/* k clamped to the interval of a and b */
static inline double face_k(double k, double a, double b)
{
    const double lo = a < b ? a : b, hi = a < b ? b : a;
    return k < lo ? lo : k > hi ? hi : k;
}

/* Dual energy. Where a stage leaves the thermal energy e = E - rho v^2/2 -
 * B1^2/2 below eta E, e is a small difference of large numbers (the evolved
 * field's energy where B1 ~ -B0, a hypersonic flow's kinetic energy) and its
 * truncation error can exceed it: the pressure then comes from the entropy
 * S = p / rho^(gamma-1), which the adiabatic equations carry with the mass,
 * d(S)/dt + div(S v) = 0 (the modified entropy of Ryu et al. 1993, ApJ 414,
 * 1; the switch on the thermal fraction as in the dual-energy formalism of
 * Bryan et al. 1995, Comput. Phys. Commun. 89, 149), and E takes the kinetic,
 * field and thermal energies of that pressure (E is then not conserved in
 * the cell, as with a floor; every use is counted). S is not kept between
 * stages: the stage's S is built from the pressures the stage started from
 * (the primitives, and the pressure of U^n saved at stage 0), with the same
 * integrator weights as the conserved variables, and its flux is the face's
 * mass flux times p / rho^gamma of the upwind reconstructed state (the
 * sweep keeps its density and pressure), so S / rho is carried with the
 * same reconstruction as the other variables, held within the values of
 * the two cells beside the face (so S / rho keeps a maximum principle).
 * Elsewhere nothing changes: shocks and reconnection keep the energy
 * equation's heating. */
void cr_mhd_dual_energy(struct cr_mhd *m, int stage, double dt, long *nsw)
{
    const struct cr_grid *g = m->g;
    const double g0 = m->g0[stage], g1 = m->g1[stage], bdt = m->beta[stage] * dt;
    const double gam = m->gamma, gm1 = gam - 1.0, eta = m->dual_eta;
    long n = 0;
#pragma omp for collapse(2) schedule(static) nowait
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                const size_t c = CR_GIDX(g, i, j, k);
                if (stage == 0) m->pn[c] = m->w[4][c];
                const double rho = m->u[0][c], mx = m->u[1][c], my = m->u[2][c], mz = m->u[3][c];
                const double en = m->u[4][c];
                if (!(rho > 0.0)) continue; /* the density floor's case */
                double b[3];
                const int idx[3] = {i, j, k};
                stage_cell_b(m, c, idx, b);
                const double ek = 0.5 * (mx * mx + my * my + mz * mz) / rho;
                const double eb = 0.5 * (b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
                if (!(en - ek - eb < eta * en)) continue;
                /* the entropy of the states this stage combines: U (the
                 * primitives) and U^n (its saved pressure, the density in u0) */
                const double su = m->w[4][c] / pow(m->w[0][c], gm1);
                double s = su;
                if (stage > 0) {
                    const double r0 = m->u0[0][c] > m->rho_floor ? m->u0[0][c] : m->rho_floor;
                    s = g0 * m->pn[c] / pow(r0, gm1) + g1 * su;
                }
                /* its flux: mass flux times the upwind face state's p / rho^gamma,
                 * held within the values of the two cells beside the face (PLM
                 * reconstructs p and rho apart, so the face state's p / rho^gamma
                 * is not bounded by theirs: unbounded, it let S grow without
                 * limit under IMF Bz = -500 nT on the quick grid) */
                double ds = 0.0;
                const double kc = cell_k(m, c, gam);
                for (int d = 0; d < 3; d++) {
                    if (!m->active[d]) continue;
                    const size_t l = c - (size_t)m->stride[d], h = c + (size_t)m->stride[d];
                    const double fl = m->flux[d][0][c], fh = m->flux[d][0][h];
                    const double *ur = m->upw[d][0], *up = m->upw[d][1];
                    if (fl != 0.0) ds += fl * face_k(up[c] / pow(ur[c], gam), kc, cell_k(m, l, gam));
                    if (fh != 0.0) ds -= fh * face_k(up[h] / pow(ur[h], gam), kc, cell_k(m, h, gam));
                }
                s += ds * bdt / g->vol[c];
                if (!(s > 0.0)) continue; /* left to the pressure floor */
                m->u[4][c] = ek + eb + s * pow(rho, gm1) / gm1;
                n++;
            }
    if (n) {
#pragma omp atomic
        *nsw += n;
    }
}
