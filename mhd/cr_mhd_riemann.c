/* cr_mhd_riemann.c — HLLD and HLLE fluxes for ideal MHD in a face frame
 * (see cr_mhd_riemann.h for the conventions and the papers). */
#include "cr_mhd_riemann.h"

#include <math.h>

/* Physical flux of a state (rho, u, v, w, p, by, bz; bx) along x, with the
 * total energy e and total pressure pt precomputed. */
static inline void phys_flux(double rho, double u, double v, double w, double by, double bz, double bx, double e,
                             double pt, double f[CR_MHD_RS_NVAR])
{
    double vb = u * bx + v * by + w * bz;
    f[0] = rho * u;
    f[1] = rho * u * u + pt - bx * bx;
    f[2] = rho * u * v - bx * by;
    f[3] = rho * u * w - bx * bz;
    f[4] = (e + pt) * u - bx * vb;
    f[5] = by * u - bx * v;
    f[6] = bz * u - bx * w;
}

void cr_mhd_phys_flux(double gamma, const double w[CR_MHD_RS_NVAR], double bn, double f[CR_MHD_RS_NVAR])
{
    double b2 = bn * bn + w[5] * w[5] + w[6] * w[6];
    double pt = w[4] + 0.5 * b2;
    double e = w[4] / (gamma - 1.0) + 0.5 * w[0] * (w[1] * w[1] + w[2] * w[2] + w[3] * w[3]) + 0.5 * b2;
    phys_flux(w[0], w[1], w[2], w[3], w[5], w[6], bn, e, pt, f);
}

/* HLLD flux of Miyoshi & Kusano (2005). Equation numbers refer to that paper. */
static inline void hlld(double gamma, double rl, double ul, double vl, double wl, double pl, double byl, double bzl,
                        double rr, double ur, double vr, double wr, double pr, double byr, double bzr, double bx,
                        double *restrict fo)
{
    const double gm1i = 1.0 / (gamma - 1.0);
    double bx2 = bx * bx;
    double b2l = bx2 + byl * byl + bzl * bzl, b2r = bx2 + byr * byr + bzr * bzr;
    double ptl = pl + 0.5 * b2l, ptr = pr + 0.5 * b2r;
    double el = pl * gm1i + 0.5 * rl * (ul * ul + vl * vl + wl * wl) + 0.5 * b2l;
    double er = pr * gm1i + 0.5 * rr * (ur * ur + vr * vr + wr * wr) + 0.5 * b2r;
    double cfl = cr_mhd_cfast(gamma, rl, pl, bx, b2l);
    double cfr = cr_mhd_cfast(gamma, rr, pr, bx, b2r);
    double cmax = fmax(cfl, cfr);
    /* eq. (67) */
    double sl = fmin(ul, ur) - cmax;
    double sr = fmax(ul, ur) + cmax;

    double fl[CR_MHD_RS_NVAR], fr[CR_MHD_RS_NVAR];
    phys_flux(rl, ul, vl, wl, byl, bzl, bx, el, ptl, fl);
    phys_flux(rr, ur, vr, wr, byr, bzr, bx, er, ptr, fr);
    if (sl >= 0.0) {
        for (int q = 0; q < CR_MHD_RS_NVAR; q++) fo[q] = fl[q];
        return;
    }
    if (sr <= 0.0) {
        for (int q = 0; q < CR_MHD_RS_NVAR; q++) fo[q] = fr[q];
        return;
    }
    double sdl = sl - ul, sdr = sr - ur;
    /* eq. (38): contact speed; eq. (41): total pressure in the star region */
    double sm = (sdr * rr * ur - sdl * rl * ul - ptr + ptl) / (sdr * rr - sdl * rl);
    double pts = ptl + rl * sdl * (sm - ul);
    double sdml = sl - sm, sdmr = sr - sm;
    double ptest = pts > 0.0 ? pts : 0.0;

    /* left star state, eqs. (43)-(48) */
    double rls = rl * sdl / sdml;
    double vls = vl, wls = wl, byls = byl, bzls = bzl;
    double den = rl * sdl * sdml - bx2;
    if (fabs(den) > 1e-12 * (ptest + bx2 + rl * sdl * sdl)) {
        double t1 = bx * (sm - ul) / den;
        double t2 = (rl * sdl * sdl - bx2) / den;
        vls = vl - byl * t1;
        wls = wl - bzl * t1;
        byls = byl * t2;
        bzls = bzl * t2;
    }
    double vbl = ul * bx + vl * byl + wl * bzl;
    double vbls = sm * bx + vls * byls + wls * bzls;
    double els = (sdl * el - ptl * ul + pts * sm + bx * (vbl - vbls)) / sdml;

    /* right star state */
    double rrs = rr * sdr / sdmr;
    double vrs = vr, wrs = wr, byrs = byr, bzrs = bzr;
    den = rr * sdr * sdmr - bx2;
    if (fabs(den) > 1e-12 * (ptest + bx2 + rr * sdr * sdr)) {
        double t1 = bx * (sm - ur) / den;
        double t2 = (rr * sdr * sdr - bx2) / den;
        vrs = vr - byr * t1;
        wrs = wr - bzr * t1;
        byrs = byr * t2;
        bzrs = bzr * t2;
    }
    double vbr = ur * bx + vr * byr + wr * bzr;
    double vbrs = sm * bx + vrs * byrs + wrs * bzrs;
    double ers = (sdr * er - ptr * ur + pts * sm + bx * (vbr - vbrs)) / sdmr;

    /* Alfven waves, eq. (51) */
    double sqls = sqrt(rls), sqrs = sqrt(rrs);
    double sls = sm - fabs(bx) / sqls;
    double srs = sm + fabs(bx) / sqrs;

    double ul_s[CR_MHD_RS_NVAR] = {rls, rls * sm, rls * vls, rls * wls, els, byls, bzls};
    double ur_s[CR_MHD_RS_NVAR] = {rrs, rrs * sm, rrs * vrs, rrs * wrs, ers, byrs, bzrs};
    double u_l[CR_MHD_RS_NVAR] = {rl, rl * ul, rl * vl, rl * wl, el, byl, bzl};
    double u_r[CR_MHD_RS_NVAR] = {rr, rr * ur, rr * vr, rr * wr, er, byr, bzr};

    if (sls >= 0.0) { /* F*_L, eq. (64) */
        for (int q = 0; q < CR_MHD_RS_NVAR; q++) fo[q] = fl[q] + sl * (ul_s[q] - u_l[q]);
        return;
    }
    if (srs <= 0.0) { /* F*_R */
        for (int q = 0; q < CR_MHD_RS_NVAR; q++) fo[q] = fr[q] + sr * (ur_s[q] - u_r[q]);
        return;
    }
    /* double-star states, eqs. (59)-(63) */
    double sgn = bx >= 0.0 ? 1.0 : -1.0;
    double inv = 1.0 / (sqls + sqrs);
    double vss = (sqls * vls + sqrs * vrs + (byrs - byls) * sgn) * inv;
    double wss = (sqls * wls + sqrs * wrs + (bzrs - bzls) * sgn) * inv;
    double byss = (sqls * byrs + sqrs * byls + sqls * sqrs * (vrs - vls) * sgn) * inv;
    double bzss = (sqls * bzrs + sqrs * bzls + sqls * sqrs * (wrs - wls) * sgn) * inv;
    double vbss = sm * bx + vss * byss + wss * bzss;
    if (sm >= 0.0) { /* F**_L, eq. (65) */
        double elss = els - sqls * (vbls - vbss) * sgn;
        double uss[CR_MHD_RS_NVAR] = {rls, rls * sm, rls * vss, rls * wss, elss, byss, bzss};
        for (int q = 0; q < CR_MHD_RS_NVAR; q++)
            fo[q] = fl[q] + sl * (ul_s[q] - u_l[q]) + sls * (uss[q] - ul_s[q]);
    } else { /* F**_R */
        double erss = ers + sqrs * (vbrs - vbss) * sgn;
        double uss[CR_MHD_RS_NVAR] = {rrs, rrs * sm, rrs * vss, rrs * wss, erss, byss, bzss};
        for (int q = 0; q < CR_MHD_RS_NVAR; q++)
            fo[q] = fr[q] + sr * (ur_s[q] - u_r[q]) + srs * (uss[q] - ur_s[q]);
    }
}

/* HLLE flux with Einfeldt speeds (Roe averages of Cargo & Gallice). */
static inline void hlle(double gamma, double inv_c2, double rl, double ul, double vl, double wl, double pl,
                        double byl, double bzl, double rr, double ur, double vr, double wr, double pr, double byr,
                        double bzr, double bx, double *restrict fo)
{
    const double gm1 = gamma - 1.0, gm1i = 1.0 / gm1;
    double bx2 = bx * bx;
    double b2l = bx2 + byl * byl + bzl * bzl, b2r = bx2 + byr * byr + bzr * bzr;
    double ptl = pl + 0.5 * b2l, ptr = pr + 0.5 * b2r;
    double el = pl * gm1i + 0.5 * rl * (ul * ul + vl * vl + wl * wl) + 0.5 * b2l;
    double er = pr * gm1i + 0.5 * rr * (ur * ur + vr * vr + wr * wr) + 0.5 * b2r;

    /* Roe averages (Stone et al. 2008, eqs. B17-B18) */
    double sql = sqrt(rl), sqr = sqrt(rr), isum = 1.0 / (sql + sqr);
    double rbar = sql * sqr;
    double ubar = (sql * ul + sqr * ur) * isum;
    double vbar = (sql * vl + sqr * vr) * isum;
    double wbar = (sql * wl + sqr * wr) * isum;
    double bybar = (sqr * byl + sql * byr) * isum;
    double bzbar = (sqr * bzl + sql * bzr) * isum;
    double hbar = (sql * (el + ptl) / rl + sqr * (er + ptr) / rr) * isum;
    double dby = byl - byr, dbz = bzl - bzr;
    double xf = (dby * dby + dbz * dbz) * 0.5 * isum * isum;
    double yf = 0.5 * (rl + rr) / rbar;
    double btsq = bybar * bybar + bzbar * bzbar;
    double btssq = (gm1 - (gm1 - 1.0) * yf) * btsq;
    double vax2 = bx2 / rbar;
    double hp = hbar - (vax2 + btsq / rbar);
    double vsq = ubar * ubar + vbar * vbar + wbar * wbar;
    double a2 = gm1 * (hp - 0.5 * vsq) - (gm1 - 1.0) * xf;
    a2 = a2 > 1e-300 ? a2 : 1e-300;
    double cfroe, cfl, cfr;
    if (inv_c2 > 0.0) {
        /* Roe-averaged state with sound speed a2 (pressure = rbar a2 / gamma) */
        cfroe = cr_mhd_cfast_boris(gamma, inv_c2, rbar, rbar * a2 / gamma, bx, bx2 + btssq);
        cfl = cr_mhd_cfast_boris(gamma, inv_c2, rl, pl, bx, b2l);
        cfr = cr_mhd_cfast_boris(gamma, inv_c2, rr, pr, bx, b2r);
    } else {
        double ct2 = btssq / rbar;
        double tsum = vax2 + ct2 + a2, tdif = vax2 + ct2 - a2;
        cfroe = sqrt(0.5 * (tsum + sqrt(tdif * tdif + 4.0 * a2 * ct2)));
        cfl = cr_mhd_cfast(gamma, rl, pl, bx, b2l);
        cfr = cr_mhd_cfast(gamma, rr, pr, bx, b2r);
    }
    double bp = fmax(fmax(ubar + cfroe, ur + cfr), 0.0);
    double bm = fmin(fmin(ubar - cfroe, ul - cfl), 0.0);

    double fl[CR_MHD_RS_NVAR], fr[CR_MHD_RS_NVAR];
    phys_flux(rl, ul, vl, wl, byl, bzl, bx, el, ptl, fl);
    phys_flux(rr, ur, vr, wr, byr, bzr, bx, er, ptr, fr);
    double u_l[CR_MHD_RS_NVAR] = {rl, rl * ul, rl * vl, rl * wl, el, byl, bzl};
    double u_r[CR_MHD_RS_NVAR] = {rr, rr * ur, rr * vr, rr * wr, er, byr, bzr};
    double idb = 1.0 / (bp - bm);
    for (int q = 0; q < CR_MHD_RS_NVAR; q++) fo[q] = (bp * fl[q] - bm * fr[q] + bp * bm * (u_r[q] - u_l[q])) * idb;
}

void cr_mhd_hlld_1(double gamma, const double wl[CR_MHD_RS_NVAR], const double wr[CR_MHD_RS_NVAR], double bn,
                   double f[CR_MHD_RS_NVAR])
{
    hlld(gamma, wl[0], wl[1], wl[2], wl[3], wl[4], wl[5], wl[6], wr[0], wr[1], wr[2], wr[3], wr[4], wr[5], wr[6], bn,
         f);
}

void cr_mhd_hlle_1(double gamma, double inv_c2, const double wl[CR_MHD_RS_NVAR], const double wr[CR_MHD_RS_NVAR],
                   double bn, double f[CR_MHD_RS_NVAR])
{
    hlle(gamma, inv_c2, wl[0], wl[1], wl[2], wl[3], wl[4], wl[5], wl[6], wr[0], wr[1], wr[2], wr[3], wr[4], wr[5],
         wr[6], bn, f);
}

void cr_mhd_riemann(enum cr_mhd_riemann_kind kind, const struct cr_mhd_rs_par *par, const struct cr_mhd_rs_row *row)
{
    const int n = row->n;
    const double g = par->gamma;
    const double *restrict l0 = row->wl[0], *restrict l1 = row->wl[1], *restrict l2 = row->wl[2];
    const double *restrict l3 = row->wl[3], *restrict l4 = row->wl[4], *restrict l5 = row->wl[5];
    const double *restrict l6 = row->wl[6];
    const double *restrict r0 = row->wr[0], *restrict r1 = row->wr[1], *restrict r2 = row->wr[2];
    const double *restrict r3 = row->wr[3], *restrict r4 = row->wr[4], *restrict r5 = row->wr[5];
    const double *restrict r6 = row->wr[6];
    const double *restrict bn = row->bn;
    double *restrict f0 = row->flux[0], *restrict f1 = row->flux[1], *restrict f2 = row->flux[2];
    double *restrict f3 = row->flux[3], *restrict f4 = row->flux[4], *restrict f5 = row->flux[5];
    double *restrict f6 = row->flux[6];
    if (kind == CR_MHD_HLLD && !(par->inv_c2 > 0.0)) {
        for (int m = 0; m < n; m++) {
            double f[CR_MHD_RS_NVAR];
            hlld(g, l0[m], l1[m], l2[m], l3[m], l4[m], l5[m], l6[m], r0[m], r1[m], r2[m], r3[m], r4[m], r5[m],
                 r6[m], bn[m], f);
            f0[m] = f[0], f1[m] = f[1], f2[m] = f[2], f3[m] = f[3], f4[m] = f[4], f5[m] = f[5], f6[m] = f[6];
        }
    } else {
        const double ic2 = par->inv_c2;
        for (int m = 0; m < n; m++) {
            double f[CR_MHD_RS_NVAR];
            hlle(g, ic2, l0[m], l1[m], l2[m], l3[m], l4[m], l5[m], l6[m], r0[m], r1[m], r2[m], r3[m], r4[m], r5[m],
                 r6[m], bn[m], f);
            f0[m] = f[0], f1[m] = f[1], f2[m] = f[2], f3[m] = f[3], f4[m] = f[4], f5[m] = f[5], f6[m] = f[6];
        }
    }
}
