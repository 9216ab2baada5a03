/* cr_mhd_sweep.c — fluxes through the faces of one index direction, row by
 * row (rows run along i, so every loop is unit-stride and vectorisable):
 *   1. reconstruction of the primitive variables (rho, v, p, B1) to both
 *      sides of each face: PCM, PLM with the minmod / MC / van Leer limiter
 *      (van Leer 1979), or WENO-Z (Borges et al. 2008, J. Comput. Phys. 227,
 *      3191) with the fifth-order Jiang & Shu (1996) stencils;
 *   2. rotation into the face frame (n, t1, t2) of grids/; the normal field
 *      is the face flux over the face area (plus the background field);
 *   3. the Riemann solver (cr_mhd_riemann.h);
 *   4. with a background field B0: its own Maxwell stress and its part of
 *      the Poynting flux, E x B0, are removed so that the evolved energy and
 *      momentum follow the split equations of Tanaka (1994, J. Comput. Phys.
 *      111, 381);
 *   5. rotation back to Cartesian components, times |A|; the face electric
 *      field (tangential part from the induction fluxes, normal part from the
 *      mean of the two states) and the upwind weight from the mass flux are
 *      kept for the CT step. */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cr_mhd_priv.h"

static inline double sgn_copy(double a, double b) { return copysign(a, b); }
static inline double mn(double a, double b) { return a < b ? a : b; }
static inline double mx(double a, double b) { return a > b ? a : b; }

/* Limited slope from the left and right differences. */
static inline double lim_minmod(double dl, double dr)
{
    return dl * dr > 0.0 ? sgn_copy(mn(fabs(dl), fabs(dr)), dl) : 0.0;
}
static inline double lim_mc(double dl, double dr)
{
    double a = mn(mn(2.0 * fabs(dl), 2.0 * fabs(dr)), 0.5 * fabs(dl + dr));
    return dl * dr > 0.0 ? sgn_copy(a, dl) : 0.0;
}
static inline double lim_vanleer(double dl, double dr)
{
    double p = dl * dr;
    return p > 0.0 ? 2.0 * p / (dl + dr) : 0.0;
}

/* WENO-Z value at the right edge of the centre cell of (a, b, c, d, e)
 * (Borges et al. 2008, eqs. 10-13 and the tau_5 indicator; epsilon 1e-40). */
static inline double wenoz(double a, double b, double c, double d, double e)
{
    const double eps = 1e-40;
    double q0 = (2.0 * a - 7.0 * b + 11.0 * c) / 6.0;
    double q1 = (-b + 5.0 * c + 2.0 * d) / 6.0;
    double q2 = (2.0 * c + 5.0 * d - e) / 6.0;
    double t0 = a - 2.0 * b + c, t0b = a - 4.0 * b + 3.0 * c;
    double t1 = b - 2.0 * c + d, t1b = b - d;
    double t2 = c - 2.0 * d + e, t2b = 3.0 * c - 4.0 * d + e;
    double b0 = 13.0 / 12.0 * t0 * t0 + 0.25 * t0b * t0b;
    double b1 = 13.0 / 12.0 * t1 * t1 + 0.25 * t1b * t1b;
    double b2 = 13.0 / 12.0 * t2 * t2 + 0.25 * t2b * t2b;
    double tau = fabs(b0 - b2);
    double a0 = 0.1 * (1.0 + tau / (b0 + eps));
    double a1 = 0.6 * (1.0 + tau / (b1 + eps));
    double a2 = 0.3 * (1.0 + tau / (b2 + eps));
    return (a0 * q0 + a1 * q1 + a2 * q2) / (a0 + a1 + a2);
}

/* Reconstruct one variable along a row: faces f0 .. f0+n-1, stride s. */
static void recon_row(const double *restrict w, size_t f0, int n, ptrdiff_t s, enum cr_mhd_recon rec,
                      enum cr_mhd_limiter lim, double *restrict wl, double *restrict wr)
{
    const double *restrict p = w + f0;
    switch (rec) {
    case CR_MHD_PCM:
        for (int m = 0; m < n; m++) {
            wl[m] = p[m - s];
            wr[m] = p[m];
        }
        break;
    case CR_MHD_WENOZ:
        for (int m = 0; m < n; m++) {
            double a = p[m - 3 * s], b = p[m - 2 * s], c = p[m - s], d = p[m], e = p[m + s], f = p[m + 2 * s];
            wl[m] = wenoz(a, b, c, d, e);
            wr[m] = wenoz(f, e, d, c, b);
        }
        break;
    case CR_MHD_PLM:
    default:
        if (lim == CR_MHD_LIM_MINMOD) {
            for (int m = 0; m < n; m++) {
                double a = p[m - 2 * s], b = p[m - s], c = p[m], d = p[m + s];
                wl[m] = b + 0.5 * lim_minmod(b - a, c - b);
                wr[m] = c - 0.5 * lim_minmod(c - b, d - c);
            }
        } else if (lim == CR_MHD_LIM_MC) {
            for (int m = 0; m < n; m++) {
                double a = p[m - 2 * s], b = p[m - s], c = p[m], d = p[m + s];
                wl[m] = b + 0.5 * lim_mc(b - a, c - b);
                wr[m] = c - 0.5 * lim_mc(c - b, d - c);
            }
        } else {
            for (int m = 0; m < n; m++) {
                double a = p[m - 2 * s], b = p[m - s], c = p[m], d = p[m + s];
                wl[m] = b + 0.5 * lim_vanleer(b - a, c - b);
                wr[m] = c - 0.5 * lim_vanleer(c - b, d - c);
            }
        }
        break;
    }
}

void cr_mhd_sweep(struct cr_mhd *m, int d, enum cr_mhd_recon rec, double dt)
{
    const struct cr_grid *g = m->g;
    int lo[3], hi[3];
    for (int e = 0; e < 3; e++) {
        if (e == d) lo[e] = 0, hi[e] = m->n[e];
        else if (m->active[e]) lo[e] = -1, hi[e] = m->n[e];
        else lo[e] = 0, hi[e] = 0;
    }
    const int len = hi[0] - lo[0] + 1;
    const ptrdiff_t s = m->stride[d];
    const int has_b0 = m->has_b0;
    const struct cr_mhd_rs_par par = {.gamma = m->gamma, .inv_c2 = m->inv_c2};
    const enum cr_mhd_riemann_kind kind = m->riemann;
    /* orphaned worksharing: called by every thread of the caller's parallel region (or serially) */
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *buf = m->scratch[tid];
        const size_t L = m->scratch_len / CR_MHD_NROWBUF;
        double *lc[CR_MHD_NPRIM], *rc[CR_MHD_NPRIM], *lf[CR_MHD_RS_NVAR], *rf[CR_MHD_RS_NVAR], *fx[CR_MHD_RS_NVAR];
        double *bnb;
        int nb = 0;
        for (int q = 0; q < CR_MHD_NPRIM; q++) lc[q] = buf + L * (size_t)nb++, rc[q] = buf + L * (size_t)nb++;
        for (int q = 0; q < CR_MHD_RS_NVAR; q++)
            lf[q] = buf + L * (size_t)nb++, rf[q] = buf + L * (size_t)nb++, fx[q] = buf + L * (size_t)nb++;
        bnb = buf + L * (size_t)nb++;
        const int split = m->fluxm[d][0] != NULL; /* the Boris correction wants the magnetic momentum flux */
        double *gx[3], *jx[3];
        for (int q = 0; q < 3; q++) gx[q] = buf + L * (size_t)nb++;
        for (int q = 0; q < 3; q++) jx[q] = buf + L * (size_t)nb++;
        struct cr_mhd_rs_row row = {.n = len, .bn = bnb};
        for (int q = 0; q < CR_MHD_RS_NVAR; q++) row.wl[q] = lf[q], row.wr[q] = rf[q], row.flux[q] = fx[q];
        for (int q = 0; q < 3; q++) row.fluxm[q] = split ? gx[q] : NULL, row.fluxj[q] = split ? jx[q] : NULL;
        /* the face states: the reconstructed rows, or with PCM the cell rows themselves */
        const double *wlo[CR_MHD_NPRIM], *whi[CR_MHD_NPRIM];

#pragma omp for collapse(2) schedule(static) nowait
        for (int k = lo[2]; k <= hi[2]; k++)
            for (int j = lo[1]; j <= hi[1]; j++) {
                const size_t f0 = CR_GIDX(g, lo[0], j, k);
                /* the next row's data on its way to the cache while this row computes */
                {
                    const size_t fn = j < hi[1] ? f0 + g->sj : CR_GIDX(g, lo[0], lo[1], k + 1);
                    const int ns = m->ns;
                    for (int q = 0; q < CR_MHD_NPRIM; q++) {
                        if (d == 0) cr_mhd_prefetch(m->w[q] + fn - ns, len + 2 * ns);
                        else if (d == 1 && j < hi[1]) cr_mhd_prefetch(m->w[q] + fn + (ns - 1) * s, len);
                        else
                            for (int l = -ns; l < ns; l++) cr_mhd_prefetch(m->w[q] + fn + l * s, len);
                    }
                }
                const size_t fnx = j < hi[1] ? f0 + g->sj : CR_GIDX(g, lo[0], lo[1], k + 1);
                /* 1. reconstruction (Cartesian primitives) */
                if (rec == CR_MHD_PCM) {
                    for (int q = 0; q < CR_MHD_NPRIM; q++) wlo[q] = m->w[q] + f0 - s, whi[q] = m->w[q] + f0;
                } else {
                    for (int q = 0; q < CR_MHD_NPRIM; q++) {
                        recon_row(m->w[q], f0, len, s, rec, m->limiter, lc[q], rc[q]);
                        wlo[q] = lc[q], whi[q] = rc[q];
                    }
                    /* positivity: fall back to the cell values on a side that lost it */
                    int *okl = (int *)bnb, *okr = okl + len; /* bnb is free until step 2 */
                    for (int mm = 0; mm < len; mm++) {
                        okl[mm] = (lc[0][mm] > 0.0) & (lc[4][mm] > 0.0);
                        okr[mm] = (rc[0][mm] > 0.0) & (rc[4][mm] > 0.0);
                    }
                    for (int q = 0; q < CR_MHD_NPRIM; q++) {
                        const double *restrict wq = m->w[q] + f0;
                        double *restrict a = lc[q], *restrict b = rc[q];
                        for (int mm = 0; mm < len; mm++) {
                            a[mm] = okl[mm] ? a[mm] : wq[mm - s];
                            b[mm] = okr[mm] ? b[mm] : wq[mm];
                        }
                    }
                }
                for (int q = 0; q < 3; q++) {
                    cr_mhd_prefetch(g->fn[d][q] + fnx, len);
                    cr_mhd_prefetch(g->ft1[d][q] + fnx, len);
                    cr_mhd_prefetch(g->ft2[d][q] + fnx, len);
                }
                cr_mhd_prefetch(g->amag[d] + fnx, len);
                cr_mhd_prefetch(m->face[d] + fnx, len);
                /* 2. face frame */
                const double *restrict nx = g->fn[d][0] + f0, *restrict ny = g->fn[d][1] + f0,
                                       *restrict nz = g->fn[d][2] + f0;
                const double *restrict ax = g->ft1[d][0] + f0, *restrict ay = g->ft1[d][1] + f0,
                                       *restrict az = g->ft1[d][2] + f0;
                const double *restrict bx = g->ft2[d][0] + f0, *restrict by = g->ft2[d][1] + f0,
                                       *restrict bz = g->ft2[d][2] + f0;
                const double *restrict am = g->amag[d] + f0;
                const double *restrict ph = m->face[d] + f0;
#pragma omp simd
                for (int mm = 0; mm < len; mm++) {
                    double n0 = nx[mm], n1 = ny[mm], n2 = nz[mm];
                    double t10 = ax[mm], t11 = ay[mm], t12 = az[mm];
                    double t20 = bx[mm], t21 = by[mm], t22 = bz[mm];
                    double v0 = wlo[1][mm], v1 = wlo[2][mm], v2 = wlo[3][mm];
                    lf[1][mm] = v0 * n0 + v1 * n1 + v2 * n2;
                    lf[2][mm] = v0 * t10 + v1 * t11 + v2 * t12;
                    lf[3][mm] = v0 * t20 + v1 * t21 + v2 * t22;
                    v0 = whi[1][mm], v1 = whi[2][mm], v2 = whi[3][mm];
                    rf[1][mm] = v0 * n0 + v1 * n1 + v2 * n2;
                    rf[2][mm] = v0 * t10 + v1 * t11 + v2 * t12;
                    rf[3][mm] = v0 * t20 + v1 * t21 + v2 * t22;
                    double lb0 = wlo[5][mm], lb1 = wlo[6][mm], lb2 = wlo[7][mm];
                    double rb0 = whi[5][mm], rb1 = whi[6][mm], rb2 = whi[7][mm];
                    double a = am[mm];
                    /* zero-area faces (LFM axis) carry no flux; their field for the electric field is the mean */
                    double bnv = a > 0.0 ? ph[mm] / a : 0.5 * ((lb0 + rb0) * n0 + (lb1 + rb1) * n1 + (lb2 + rb2) * n2);
                    lf[5][mm] = lb0 * t10 + lb1 * t11 + lb2 * t12;
                    lf[6][mm] = lb0 * t20 + lb1 * t21 + lb2 * t22;
                    rf[5][mm] = rb0 * t10 + rb1 * t11 + rb2 * t12;
                    rf[6][mm] = rb0 * t20 + rb1 * t21 + rb2 * t22;
                    bnb[mm] = bnv;
                }
                if (has_b0) {
                    const double *restrict c0 = m->b0f[d][0] + f0, *restrict c1 = m->b0f[d][1] + f0,
                                           *restrict c2 = m->b0f[d][2] + f0;
#pragma omp simd
                    for (int mm = 0; mm < len; mm++) {
                        double b0n = c0[mm] * nx[mm] + c1[mm] * ny[mm] + c2[mm] * nz[mm];
                        double b0t1 = c0[mm] * ax[mm] + c1[mm] * ay[mm] + c2[mm] * az[mm];
                        double b0t2 = c0[mm] * bx[mm] + c1[mm] * by[mm] + c2[mm] * bz[mm];
                        bnb[mm] += b0n;
                        lf[5][mm] += b0t1, rf[5][mm] += b0t1;
                        lf[6][mm] += b0t2, rf[6][mm] += b0t2;
                    }
                }
                cr_mhd_prefetch(g->vol + fnx, len);
                cr_mhd_prefetch_w(m->mflux[d] + fnx, len);
                for (int q = 0; q < CR_MHD_NCONS; q++) cr_mhd_prefetch_w(m->flux[d][q] + fnx, len);
                for (int q = 0; q < 3; q++) cr_mhd_prefetch_w(m->eface[d][q] + fnx, len);
                /* 3. Riemann problem (density and pressure are the same in every frame) */
                row.wl[0] = wlo[0], row.wr[0] = whi[0], row.wl[4] = wlo[4], row.wr[4] = whi[4];
                row.ic2 = m->ic2f[d] ? m->ic2f[d] + f0 : NULL;
                cr_mhd_riemann(kind, &par, &row);
                /* 4. background-field terms (split form) */
                if (has_b0) {
                    const double *restrict c0 = m->b0f[d][0] + f0, *restrict c1 = m->b0f[d][1] + f0,
                                           *restrict c2 = m->b0f[d][2] + f0;
#pragma omp simd
                    for (int mm = 0; mm < len; mm++) {
                        double b0n = c0[mm] * nx[mm] + c1[mm] * ny[mm] + c2[mm] * nz[mm];
                        double b0t1 = c0[mm] * ax[mm] + c1[mm] * ay[mm] + c2[mm] * az[mm];
                        double b0t2 = c0[mm] * bx[mm] + c1[mm] * by[mm] + c2[mm] * bz[mm];
                        double b02 = c0[mm] * c0[mm] + c1[mm] * c1[mm] + c2[mm] * c2[mm];
                        fx[1][mm] -= 0.5 * b02 - b0n * b0n;
                        fx[2][mm] += b0t1 * b0n;
                        fx[3][mm] += b0t2 * b0n;
                        if (split) {
                            gx[0][mm] -= 0.5 * b02 - b0n * b0n;
                            gx[1][mm] += b0t1 * b0n;
                            gx[2][mm] += b0t2 * b0n;
                        }
                        /* (E x B0).n with E.t1 = F(bt2), E.t2 = -F(bt1) */
                        fx[4][mm] -= fx[6][mm] * b0t2 + fx[5][mm] * b0t1;
                    }
                }
                /* 5. back to Cartesian components, times the face area; CT data */
                double *restrict F0 = m->flux[d][0] + f0, *restrict F1 = m->flux[d][1] + f0,
                                 *restrict F2 = m->flux[d][2] + f0, *restrict F3 = m->flux[d][3] + f0,
                                 *restrict F4 = m->flux[d][4] + f0;
                double *restrict E0 = m->eface[d][0] + f0, *restrict E1 = m->eface[d][1] + f0,
                                 *restrict E2 = m->eface[d][2] + f0;
                double *restrict MF = m->mflux[d] + f0;
                const double *restrict vr = g->vol + f0;
#pragma omp simd
                for (int mm = 0; mm < len; mm++) {
                    double n0 = nx[mm], n1 = ny[mm], n2 = nz[mm];
                    double t10 = ax[mm], t11 = ay[mm], t12 = az[mm];
                    double t20 = bx[mm], t21 = by[mm], t22 = bz[mm];
                    double a = am[mm];
                    double fn = fx[1][mm], f1 = fx[2][mm], f2 = fx[3][mm];
                    F0[mm] = a * fx[0][mm];
                    F1[mm] = a * (fn * n0 + f1 * t10 + f2 * t20);
                    F2[mm] = a * (fn * n1 + f1 * t11 + f2 * t21);
                    F3[mm] = a * (fn * n2 + f1 * t12 + f2 * t22);
                    F4[mm] = a * fx[4][mm];
                    double et1 = fx[6][mm], et2 = -fx[5][mm];
                    double vt1 = 0.5 * (lf[2][mm] + rf[2][mm]), vt2 = 0.5 * (lf[3][mm] + rf[3][mm]);
                    double bt1 = 0.5 * (lf[5][mm] + rf[5][mm]), bt2 = 0.5 * (lf[6][mm] + rf[6][mm]);
                    double en = -(vt1 * bt2 - vt2 * bt1);
                    E0[mm] = en * n0 + et1 * t10 + et2 * t20;
                    E1[mm] = en * n1 + et1 * t11 + et2 * t21;
                    E2[mm] = en * n2 + et1 * t12 + et2 * t22;
                    /* upwind weight of the low side for the CT average */
                    double vc = a > 0.0 ? 1024.0 * dt * fx[0][mm] * a / (vr[mm] * (wlo[0][mm] + whi[0][mm])) : 0.0;
                    MF[mm] = 0.5 + mx(-0.5, mn(0.5, vc));
                }
                if (m->upw[d][0]) {
                    /* the dual-energy switch's entropy flux: the upwind reconstructed state */
                    double *restrict UR = m->upw[d][0] + f0, *restrict UP = m->upw[d][1] + f0;
#pragma omp simd
                    for (int mm = 0; mm < len; mm++) {
                        const int l = fx[0][mm] > 0.0;
                        UR[mm] = l ? wlo[0][mm] : whi[0][mm];
                        UP[mm] = l ? wlo[4][mm] : whi[4][mm];
                    }
                }
                if (split) {
                    double *restrict G0 = m->fluxm[d][0] + f0, *restrict G1 = m->fluxm[d][1] + f0,
                                     *restrict G2 = m->fluxm[d][2] + f0;
#pragma omp simd
                    for (int mm = 0; mm < len; mm++) {
                        double a = am[mm], fn = gx[0][mm], f1 = gx[1][mm], f2 = gx[2][mm];
                        G0[mm] = a * (fn * nx[mm] + f1 * ax[mm] + f2 * bx[mm]);
                        G1[mm] = a * (fn * ny[mm] + f1 * ay[mm] + f2 * by[mm]);
                        G2[mm] = a * (fn * nz[mm] + f1 * az[mm] + f2 * bz[mm]);
                    }
                    /* v . J with the velocities of the two cells (the energy term of the
                       Boris correction leaves this dissipation out; cr_mhd_ct.c) */
                    double *restrict EL = m->ej[d][0] + f0, *restrict EH = m->ej[d][1] + f0;
                    const double *restrict u0 = m->w[1] + f0, *restrict u1 = m->w[2] + f0, *restrict u2 = m->w[3] + f0;
                    const ptrdiff_t sd = m->stride[d];
#pragma omp simd
                    for (int mm = 0; mm < len; mm++) {
                        double a = am[mm], fn = jx[0][mm], f1 = jx[1][mm], f2 = jx[2][mm];
                        double j0 = a * (fn * nx[mm] + f1 * ax[mm] + f2 * bx[mm]);
                        double j1 = a * (fn * ny[mm] + f1 * ay[mm] + f2 * by[mm]);
                        double j2 = a * (fn * nz[mm] + f1 * az[mm] + f2 * bz[mm]);
                        EL[mm] = u0[mm - sd] * j0 + u1[mm - sd] * j1 + u2[mm - sd] * j2;
                        EH[mm] = u0[mm] * j0 + u1[mm] * j1 + u2[mm] * j2;
                    }
                }
            }
    }
}
