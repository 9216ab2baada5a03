/* cr_mhd_riemann.c — HLLD and HLLE fluxes for ideal MHD in a face frame
 * (see cr_mhd_riemann.h for the conventions and the papers). */
#include "cr_mhd_riemann.h"

#include <math.h>
#include <stddef.h>

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

static inline double mn(double a, double b) { return a < b ? a : b; }
static inline double mx(double a, double b) { return a > b ? a : b; }

/* HLLD flux of Miyoshi & Kusano (2005), written without branches so that a
 * row of faces vectorises: every intermediate state is formed and the flux
 * of the region containing x/t = 0 is selected at the end. Equation numbers
 * refer to that paper. */
static void hlld_row(double gamma, int n, const double *restrict l0, const double *restrict l1,
                     const double *restrict l2, const double *restrict l3, const double *restrict l4,
                     const double *restrict l5, const double *restrict l6, const double *restrict r0,
                     const double *restrict r1, const double *restrict r2, const double *restrict r3,
                     const double *restrict r4, const double *restrict r5, const double *restrict r6,
                     const double *restrict bnp, double *restrict f0, double *restrict f1, double *restrict f2,
                     double *restrict f3, double *restrict f4, double *restrict f5, double *restrict f6)
{
    const double gm1i = 1.0 / (gamma - 1.0);
#pragma omp simd
    for (int m = 0; m < n; m++) {
        const double rl = l0[m], ul = l1[m], vl = l2[m], wl = l3[m], pl = l4[m], byl = l5[m], bzl = l6[m];
        const double rr = r0[m], ur = r1[m], vr = r2[m], wr = r3[m], pr = r4[m], byr = r5[m], bzr = r6[m];
        const double bx = bnp[m], bx2 = bx * bx;
        const double b2l = bx2 + byl * byl + bzl * bzl, b2r = bx2 + byr * byr + bzr * bzr;
        const double ptl = pl + 0.5 * b2l, ptr = pr + 0.5 * b2r;
        const double el = pl * gm1i + 0.5 * rl * (ul * ul + vl * vl + wl * wl) + 0.5 * b2l;
        const double er = pr * gm1i + 0.5 * rr * (ur * ur + vr * vr + wr * wr) + 0.5 * b2r;
        /* fast speeds and eq. (67) */
        double a2 = gamma * pl / rl, sq = a2 + b2l / rl, dd = sq * sq - 4.0 * a2 * bx2 / rl;
        const double cfl = sqrt(0.5 * (sq + sqrt(mx(dd, 0.0))));
        a2 = gamma * pr / rr, sq = a2 + b2r / rr, dd = sq * sq - 4.0 * a2 * bx2 / rr;
        const double cfr = sqrt(0.5 * (sq + sqrt(mx(dd, 0.0))));
        const double cmax = mx(cfl, cfr);
        const double sl = mn(ul, ur) - cmax, sr = mx(ul, ur) + cmax;
        /* outer fluxes */
        const double vbl = ul * bx + vl * byl + wl * bzl, vbr = ur * bx + vr * byr + wr * bzr;
        const double fl0 = rl * ul, fl1 = rl * ul * ul + ptl - bx2, fl2 = rl * ul * vl - bx * byl,
                     fl3 = rl * ul * wl - bx * bzl, fl4 = (el + ptl) * ul - bx * vbl, fl5 = byl * ul - bx * vl,
                     fl6 = bzl * ul - bx * wl;
        const double fr0 = rr * ur, fr1 = rr * ur * ur + ptr - bx2, fr2 = rr * ur * vr - bx * byr,
                     fr3 = rr * ur * wr - bx * bzr, fr4 = (er + ptr) * ur - bx * vbr, fr5 = byr * ur - bx * vr,
                     fr6 = bzr * ur - bx * wr;
        /* eq. (38) contact speed, eq. (41) total pressure of the star region */
        const double sdl = sl - ul, sdr = sr - ur;
        const double sm = (sdr * rr * ur - sdl * rl * ul - ptr + ptl) / (sdr * rr - sdl * rl);
        const double pts = ptl + rl * sdl * (sm - ul);
        const double ptest = mx(pts, 0.0);
        const double sdml = sl - sm, sdmr = sr - sm;
        /* star states, eqs. (43)-(48); degenerate denominators keep the outer transverse state */
        const double rls = rl * sdl / sdml, rrs = rr * sdr / sdmr;
        const double denl = rl * sdl * sdml - bx2, denr = rr * sdr * sdmr - bx2;
        const int okl = fabs(denl) > 1e-12 * (ptest + bx2 + rl * sdl * sdl);
        const int okr = fabs(denr) > 1e-12 * (ptest + bx2 + rr * sdr * sdr);
        const double idl = 1.0 / (okl ? denl : 1.0), idr = 1.0 / (okr ? denr : 1.0);
        const double t1l = okl ? bx * (sm - ul) * idl : 0.0, t2l = okl ? (rl * sdl * sdl - bx2) * idl : 1.0;
        const double t1r = okr ? bx * (sm - ur) * idr : 0.0, t2r = okr ? (rr * sdr * sdr - bx2) * idr : 1.0;
        const double vls = vl - byl * t1l, wls = wl - bzl * t1l, byls = byl * t2l, bzls = bzl * t2l;
        const double vrs = vr - byr * t1r, wrs = wr - bzr * t1r, byrs = byr * t2r, bzrs = bzr * t2r;
        const double vbls = sm * bx + vls * byls + wls * bzls, vbrs = sm * bx + vrs * byrs + wrs * bzrs;
        const double els = (sdl * el - ptl * ul + pts * sm + bx * (vbl - vbls)) / sdml;
        const double ers = (sdr * er - ptr * ur + pts * sm + bx * (vbr - vbrs)) / sdmr;
        /* Alfven waves, eq. (51) */
        const double sqls = sqrt(rls), sqrs = sqrt(rrs);
        const double sls = sm - fabs(bx) / sqls, srs = sm + fabs(bx) / sqrs;
        /* double-star states, eqs. (59)-(63) */
        const double sgn = bx >= 0.0 ? 1.0 : -1.0;
        const double inv = 1.0 / (sqls + sqrs);
        const double vss = (sqls * vls + sqrs * vrs + (byrs - byls) * sgn) * inv;
        const double wss = (sqls * wls + sqrs * wrs + (bzrs - bzls) * sgn) * inv;
        const double byss = (sqls * byrs + sqrs * byls + sqls * sqrs * (vrs - vls) * sgn) * inv;
        const double bzss = (sqls * bzrs + sqrs * bzls + sqls * sqrs * (wrs - wls) * sgn) * inv;
        const double vbss = sm * bx + vss * byss + wss * bzss;
        const double elss = els - sqls * (vbls - vbss) * sgn, erss = ers + sqrs * (vbrs - vbss) * sgn;
        /* region fluxes, eqs. (64)-(66): F*_a = F_a + S_a (U*_a - U_a), F**_a = F*_a + S*_a (U**_a - U*_a) */
        const double gl0 = fl0 + sl * (rls - rl), gl1 = fl1 + sl * (rls * sm - rl * ul),
                     gl2 = fl2 + sl * (rls * vls - rl * vl), gl3 = fl3 + sl * (rls * wls - rl * wl),
                     gl4 = fl4 + sl * (els - el), gl5 = fl5 + sl * (byls - byl), gl6 = fl6 + sl * (bzls - bzl);
        const double gr0 = fr0 + sr * (rrs - rr), gr1 = fr1 + sr * (rrs * sm - rr * ur),
                     gr2 = fr2 + sr * (rrs * vrs - rr * vr), gr3 = fr3 + sr * (rrs * wrs - rr * wr),
                     gr4 = fr4 + sr * (ers - er), gr5 = fr5 + sr * (byrs - byr), gr6 = fr6 + sr * (bzrs - bzr);
        const double hl2 = gl2 + sls * rls * (vss - vls), hl3 = gl3 + sls * rls * (wss - wls),
                     hl4 = gl4 + sls * (elss - els), hl5 = gl5 + sls * (byss - byls), hl6 = gl6 + sls * (bzss - bzls);
        const double hr2 = gr2 + srs * rrs * (vss - vrs), hr3 = gr3 + srs * rrs * (wss - wrs),
                     hr4 = gr4 + srs * (erss - ers), hr5 = gr5 + srs * (byss - byrs), hr6 = gr6 + srs * (bzss - bzrs);
        /* select the region of x/t = 0 (density and normal momentum are continuous across Alfven waves) */
        const int iL = sl >= 0.0, iLs = sls >= 0.0, iLss = sm >= 0.0, iRss = srs > 0.0, iRs = sr > 0.0;
#define SEL(fl_, gl_, hl_, hr_, gr_, fr_) \
    (iL ? (fl_) : iLs ? (gl_) : iLss ? (hl_) : iRss ? (hr_) : iRs ? (gr_) : (fr_))
        f0[m] = SEL(fl0, gl0, gl0, gr0, gr0, fr0);
        f1[m] = SEL(fl1, gl1, gl1, gr1, gr1, fr1);
        f2[m] = SEL(fl2, gl2, hl2, hr2, gr2, fr2);
        f3[m] = SEL(fl3, gl3, hl3, hr3, gr3, fr3);
        f4[m] = SEL(fl4, gl4, hl4, hr4, gr4, fr4);
        f5[m] = SEL(fl5, gl5, hl5, hr5, gr5, fr5);
        f6[m] = SEL(fl6, gl6, hl6, hr6, gr6, fr6);
#undef SEL
    }
}

/* HLLE flux with Einfeldt speeds (Roe averages of Cargo & Gallice), as a
 * vectorisable row loop. */
static void hlle_row(double gamma, double inv_c2, const double *restrict ic2f, int n, const double *restrict l0,
                     const double *restrict l1, const double *restrict l2, const double *restrict l3,
                     const double *restrict l4, const double *restrict l5, const double *restrict l6,
                     const double *restrict r0, const double *restrict r1, const double *restrict r2,
                     const double *restrict r3, const double *restrict r4, const double *restrict r5,
                     const double *restrict r6, const double *restrict bnp, double *restrict f0, double *restrict f1, double *restrict f2,
                     double *restrict f3, double *restrict f4, double *restrict f5, double *restrict f6,
                     double *restrict g1, double *restrict g2, double *restrict g3, double *restrict j1,
                     double *restrict j2, double *restrict j3)
{
    const double gm1 = gamma - 1.0, gm1i = 1.0 / gm1;
    const int boris = inv_c2 > 0.0 || ic2f != NULL, split = g1 != NULL;
#pragma omp simd
    for (int m = 0; m < n; m++) {
        const double rl = l0[m], ul = l1[m], vl = l2[m], wl = l3[m], pl = l4[m], byl = l5[m], bzl = l6[m];
        const double rr = r0[m], ur = r1[m], vr = r2[m], wr = r3[m], pr = r4[m], byr = r5[m], bzr = r6[m];
        const double bx = bnp[m], bx2 = bx * bx;
        const double b2l = bx2 + byl * byl + bzl * bzl, b2r = bx2 + byr * byr + bzr * bzr;
        const double ptl = pl + 0.5 * b2l, ptr = pr + 0.5 * b2r;
        const double el = pl * gm1i + 0.5 * rl * (ul * ul + vl * vl + wl * wl) + 0.5 * b2l;
        const double er = pr * gm1i + 0.5 * rr * (ur * ur + vr * vr + wr * wr) + 0.5 * b2r;
        /* Roe averages (Stone et al. 2008, eqs. B17-B18) */
        const double sql = sqrt(rl), sqr = sqrt(rr), isum = 1.0 / (sql + sqr);
        const double rbar = sql * sqr;
        const double ubar = (sql * ul + sqr * ur) * isum;
        const double vbar = (sql * vl + sqr * vr) * isum;
        const double wbar = (sql * wl + sqr * wr) * isum;
        const double bybar = (sqr * byl + sql * byr) * isum;
        const double bzbar = (sqr * bzl + sql * bzr) * isum;
        const double hbar = (sql * (el + ptl) / rl + sqr * (er + ptr) / rr) * isum;
        const double dby = byl - byr, dbz = bzl - bzr;
        const double xf = (dby * dby + dbz * dbz) * 0.5 * isum * isum;
        const double yf = 0.5 * (rl + rr) / rbar;
        const double btsq = bybar * bybar + bzbar * bzbar;
        const double btssq = (gm1 - (gm1 - 1.0) * yf) * btsq;
        const double vax2 = bx2 / rbar;
        const double hp = hbar - (vax2 + btsq / rbar);
        const double vsq = ubar * ubar + vbar * vbar + wbar * wbar;
        const double a2 = mx(gm1 * (hp - 0.5 * vsq) - (gm1 - 1.0) * xf, 1e-300);
        double cfroe, cfl, cfr;
        const double ic2 = ic2f ? ic2f[m] : inv_c2; /* 1/c^2 of this face */
        if (boris) {
            cfroe = cr_mhd_cfast_boris(gamma, ic2, rbar, rbar * a2 / gamma, bx, bx2 + btssq);
            cfl = cr_mhd_cfast_boris(gamma, ic2, rl, pl, bx, b2l);
            cfr = cr_mhd_cfast_boris(gamma, ic2, rr, pr, bx, b2r);
        } else {
            const double ct2 = btssq / rbar;
            const double tsum = vax2 + ct2 + a2, tdif = vax2 + ct2 - a2;
            cfroe = sqrt(0.5 * (tsum + sqrt(tdif * tdif + 4.0 * a2 * ct2)));
            double aa = gamma * pl / rl, sq = aa + b2l / rl, dd = sq * sq - 4.0 * aa * bx2 / rl;
            cfl = sqrt(0.5 * (sq + sqrt(mx(dd, 0.0))));
            aa = gamma * pr / rr, sq = aa + b2r / rr, dd = sq * sq - 4.0 * aa * bx2 / rr;
            cfr = sqrt(0.5 * (sq + sqrt(mx(dd, 0.0))));
        }
        double bp = mx(mx(ubar + cfroe, ur + cfr), 0.0);
        double bm = mn(mn(ubar - cfroe, ul - cfl), 0.0);
        if (boris) {
            /* The corrected system is not Galilean invariant: across B its
             * acceleration, advection included, is divided by 1 + alpha, so for a
             * flow u_n its fast waves travel at
             *   s = [u_n (1 + e) -/+ sqrt(u_n^2 (1 - e)^2 + 4 c_f^2)] / 2,  e = 1/(1 + alpha)
             * (the linearised 1-D system across B; u_n -/+ c_f for alpha -> 0). For
             * c_f < |u_n| < the uncorrected fast speed one of them runs against
             * the flow, which u_n -/+ c_f misses: the flux would be upwinded
             * against a wave (unstable; mhd/README.md, "Boris correction"). The
             * bounds take both estimates. */
            const double eo = 1.0 / (1.0 + (bx2 + btsq) / rbar * ic2);
            const double el_ = 1.0 / (1.0 + b2l / rl * ic2), er_ = 1.0 / (1.0 + b2r / rr * ic2);
            const double dr = sqrt(ubar * ubar * (1.0 - eo) * (1.0 - eo) + 4.0 * cfroe * cfroe);
            const double dl = sqrt(ul * ul * (1.0 - el_) * (1.0 - el_) + 4.0 * cfl * cfl);
            const double dq = sqrt(ur * ur * (1.0 - er_) * (1.0 - er_) + 4.0 * cfr * cfr);
            bp = mx(bp, 0.5 * mx(ubar * (1.0 + eo) + dr, ur * (1.0 + er_) + dq));
            bm = mn(bm, 0.5 * mn(ubar * (1.0 + eo) - dr, ul * (1.0 + el_) - dl));
        }
        const double vbl = ul * bx + vl * byl + wl * bzl, vbr = ur * bx + vr * byr + wr * bzr;
        const double idb = 1.0 / (bp - bm), pm = bp * bm;
#define HLL(fl_, fr_, ul_, ur_) ((bp * (fl_) - bm * (fr_) + pm * ((ur_) - (ul_))) * idb)
        f0[m] = HLL(rl * ul, rr * ur, rl, rr);
        /* with the Boris correction the dissipation acts on the semi-relativistic
         * momentum rho v + S_A / c^2 = rho v + (B^2 v - B (v.B)) / c^2 (Gombosi et al.
         * 2002, eq. 13), whose perpendicular change the cell update divides by
         * 1 + vA^2/c^2: the upwinding then matches the waves of speed <= c that
         * bp, bm bound (with rho v alone it is 1 + vA^2/c^2 times too weak) */
        /* The jump of that momentum is taken as M (v_R - v_L) + v (rho_R - rho_L)
         * with the inertia M = rho I + (B^2 I - B B)/c^2 and v of the mean state,
         * not as the difference of the two sides' momenta: that difference also
         * holds v (B_R^2 - B_L^2)/c^2, which for a flow across a strong field
         * couples the dissipation of v to the jump of B with a weight
         * ~ 2 v B / (rho c^2 (1 + alpha)), unbounded in sign: a flow across B
         * faster than ~ c grew from round-off (mhd/README.md). For c -> infinity
         * both forms are the jump of rho v. */
        const double kl = boris ? ic2 : 0.0;
        const double mr_ = 0.5 * (rl + rr), mu = 0.5 * (ul + ur), mv = 0.5 * (vl + vr), mw = 0.5 * (wl + wr);
        const double mby = 0.5 * (byl + byr), mbz = 0.5 * (bzl + bzr), mb2 = bx2 + mby * mby + mbz * mbz;
        const double du_ = ur - ul, dv_ = vr - vl, dw_ = wr - wl, drho = rr - rl;
        const double bdv = bx * du_ + mby * dv_ + mbz * dw_;
        const double jm1 = kl * (mb2 * du_ - bx * bdv), jm2 = kl * (mb2 * dv_ - mby * bdv), jm3 = kl * (mb2 * dw_ - mbz * bdv);
        const double ml1 = boris ? 0.0 : rl * ul, mr1 = boris ? mr_ * du_ + mu * drho + jm1 : rr * ur;
        const double ml2 = boris ? 0.0 : rl * vl, mr2 = boris ? mr_ * dv_ + mv * drho + jm2 : rr * vr;
        const double ml3 = boris ? 0.0 : rl * wl, mr3 = boris ? mr_ * dw_ + mw * drho + jm3 : rr * wr;
        f1[m] = HLL(rl * ul * ul + ptl - bx2, rr * ur * ur + ptr - bx2, ml1, mr1);
        f2[m] = HLL(rl * ul * vl - bx * byl, rr * ur * vr - bx * byr, ml2, mr2);
        f3[m] = HLL(rl * ul * wl - bx * bzl, rr * ur * wr - bx * bzr, ml3, mr3);
        if (split) {
            /* the magnetic part of the same fluxes (HLL is linear in flux and state):
             * the Maxwell stress and the dissipation of S_A/c^2 */
            g1[m] = HLL(0.5 * b2l - bx2, 0.5 * b2r - bx2, 0.0, jm1);
            g2[m] = HLL(-bx * byl, -bx * byr, 0.0, jm2);
            g3[m] = HLL(-bx * bzl, -bx * bzr, 0.0, jm3);
            j1[m] = pm * jm1 * idb, j2[m] = pm * jm2 * idb, j3[m] = pm * jm3 * idb;
        }
        f4[m] = HLL((el + ptl) * ul - bx * vbl, (er + ptr) * ur - bx * vbr, el, er);
        f5[m] = HLL(byl * ul - bx * vl, byr * ur - bx * vr, byl, byr);
        f6[m] = HLL(bzl * ul - bx * wl, bzr * ur - bx * wr, bzl, bzr);
#undef HLL
    }
}

void cr_mhd_hlld_1(double gamma, const double wl[CR_MHD_RS_NVAR], const double wr[CR_MHD_RS_NVAR], double bn,
                   double f[CR_MHD_RS_NVAR])
{
    hlld_row(gamma, 1, &wl[0], &wl[1], &wl[2], &wl[3], &wl[4], &wl[5], &wl[6], &wr[0], &wr[1], &wr[2], &wr[3],
             &wr[4], &wr[5], &wr[6], &bn, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]);
}

void cr_mhd_hlle_1(double gamma, double inv_c2, const double wl[CR_MHD_RS_NVAR], const double wr[CR_MHD_RS_NVAR],
                   double bn, double f[CR_MHD_RS_NVAR])
{
    hlle_row(gamma, inv_c2, NULL, 1, &wl[0], &wl[1], &wl[2], &wl[3], &wl[4], &wl[5], &wl[6], &wr[0], &wr[1], &wr[2],
             &wr[3], &wr[4], &wr[5], &wr[6], &bn, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], NULL, NULL, NULL, NULL, NULL, NULL);
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
    if (kind == CR_MHD_HLLD && !(par->inv_c2 > 0.0) && !row->ic2) {
        hlld_row(g, n, l0, l1, l2, l3, l4, l5, l6, r0, r1, r2, r3, r4, r5, r6, bn, f0, f1, f2, f3, f4, f5, f6);
    } else {
        hlle_row(g, par->inv_c2, row->ic2, n, l0, l1, l2, l3, l4, l5, l6, r0, r1, r2, r3, r4, r5, r6, bn, f0, f1, f2, f3, f4, f5,
                 f6, row->fluxm[0], row->fluxm[1], row->fluxm[2], row->fluxj[0], row->fluxj[1], row->fluxj[2]);
    }
}
