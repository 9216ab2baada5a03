/* cr_lockwood.c — low-energy cutoff finder and the Lockwood & Smith (1992)
 * reconnection-rate estimator (see cr_lockwood.h; equations and the error
 * propagation are written out in reconnection/README.md).
 *
 * References: Lockwood & Smith (1992), JGR 97, 14841, eq. for E' with the
 * time-of-flight relation t_o = t_s - d/v_ic; da Silva et al. (2025), Front.
 * Astron. Space Sci. 12, 1607611 (E_ic at 10 % of the peak, log-E smoothing);
 * Burkholder et al. (2025), Front. Astron. Space Sci. 12, 1704328 (use on
 * simulated dispersions, time delay to t_o).
 */
#include "cr_lockwood.h"

#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

#define CR_LW_AMU 1.66053906660e-27 /* atomic mass unit [kg], CODATA 2018 */
#define CR_LW_MAX_WINDOW 201        /* largest smoothing/derivative window [samples] */
#define CR_LW_MAX_CHANNELS 1024     /* largest energy table cr_eic_find accepts */

struct cr_lockwood {
    struct cr_lockwood_inp p;
    double mass; /* [kg] */
};

/* ---- helpers ------------------------------------------------------------ */

static int usable(double v) { return isfinite(v) && v != CR_LW_FILL; }

static double ion_mass(double amu) { return amu > 0 ? amu * CR_LW_AMU : CR_MP; }

double cr_lw_speed_kms(double e_ev, double mass_amu)
{
    if (!(e_ev > 0)) return 0;
    return sqrt(2.0 * e_ev * CR_EV_J / ion_mass(mass_amu)) / CR_KMS;
}

/* ---- 1. E_ic ----------------------------------------------------------- */

int cr_eic_find(const double *energy, const double *flux, const double *elo, const double *ehi, int n,
                const struct cr_eic_opts *o, double *eic)
{
    *eic = CR_LW_FILL;
    if (n <= 0 || n > CR_LW_MAX_CHANNELS) return CR_EIC_EMPTY;
    /* channels in ascending energy (insertion sort of indices; tables are small) */
    int idx[CR_LW_MAX_CHANNELS];
    int m = 0;
    for (int k = 0; k < n; k++) {
        if (!(energy[k] > 0) || !isfinite(energy[k])) continue; /* a channel without an energy is ignored */
        int j = m++;
        while (j > 0 && energy[idx[j - 1]] > energy[k]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = k;
    }
    if (m == 0) return CR_EIC_EMPTY;
    double f[CR_LW_MAX_CHANNELS], x[CR_LW_MAX_CHANNELS]; /* flux and log10 E, ascending */
    int p = -1;
    for (int j = 0; j < m; j++) {
        double v = flux[idx[j]];
        f[j] = (usable(v) && v > 0) ? v : 0.0;
        x[j] = log10(energy[idx[j]]);
        if (p < 0 || f[j] > f[p]) p = j;
    }
    if (!(f[p] > 0) || f[p] <= o->min_peak) return CR_EIC_EMPTY;

    if (o->method == CR_EIC_PEAK) {
        double lx = x[p];
        if (o->interp != CR_EIC_INTERP_NONE && p > 0 && p < m - 1) {
            /* vertex of the parabola through the three points (x, f) */
            double x0 = x[p - 1], x1 = x[p], x2 = x[p + 1];
            double f0 = f[p - 1], f1 = f[p], f2 = f[p + 1];
            double den = (x0 - x1) * (x0 - x2) * (x1 - x2);
            double a = (x2 * (f1 - f0) + x1 * (f0 - f2) + x0 * (f2 - f1)) / den;
            double b = (x2 * x2 * (f0 - f1) + x1 * x1 * (f2 - f0) + x0 * x0 * (f1 - f2)) / den;
            if (a < 0) {
                double v = -b / (2 * a);
                if (v > x0 && v < x2) lx = v;
            }
        }
        *eic = pow(10.0, lx);
        return CR_EIC_OK;
    }

    double thr = o->fraction * f[p];
    int k = p - 1;
    while (k >= 0 && f[k] >= thr) k--;
    if (k < 0) return CR_EIC_BELOW_RANGE;
    if (o->interp == CR_EIC_INTERP_NONE) {
        *eic = pow(10.0, x[k]);
    } else if (o->interp == CR_EIC_INTERP_LINEAR) {
        double w = (thr - f[k]) / (f[k + 1] - f[k]); /* f[k+1] >= thr > f[k], so 0 < w <= 1 */
        *eic = pow(10.0, x[k] + w * (x[k + 1] - x[k]));
    } else {
        int c = f[k] > 0 ? k : k + 1; /* k + 1 <= p exists */
        double s = c + 1 < m ? f[c + 1] : f[c];
        if (c + 2 < m && f[c + 1] > 0 && f[c + 2] > 0) {
            /* log-linear extrapolation of the spectrum from the two channels above */
            double slope = (log(f[c + 1]) - log(f[c + 2])) / (x[c + 1] - x[c + 2]);
            double fac = exp(slope * (x[c] - x[c + 1]));
            fac = fac < 0.2 ? 0.2 : (fac > 5.0 ? 5.0 : fac);
            s = f[c + 1] * fac;
        }
        double q = s > 0 ? f[c] / s : 1.0;
        q = q < 0 ? 0 : (q > 1 ? 1 : q);
        double lo_c, hi_c;
        if (elo && ehi) {
            lo_c = elo[idx[c]];
            hi_c = ehi[idx[c]];
        } else {
            double e = energy[idx[c]];
            lo_c = c > 0 ? sqrt(e * energy[idx[c - 1]]) : e * sqrt(e / energy[idx[c + 1 < m ? c + 1 : c]]);
            hi_c = c < m - 1 ? sqrt(e * energy[idx[c + 1]]) : e * sqrt(e / energy[idx[c > 0 ? c - 1 : c]]);
        }
        if (!(hi_c > lo_c) || !(lo_c > 0)) return CR_EIC_EMPTY; /* degenerate edges */
        *eic = hi_c - q * (hi_c - lo_c);
    }
    return CR_EIC_OK;
}

/* ---- 2. estimator ------------------------------------------------------ */

struct cr_lw_result *cr_lw_result_new(int n)
{
    if (n < 0) return NULL;
    struct cr_lw_result *r = cr_zalloc(1, sizeof *r);
    if (!r) return NULL;
    r->n = n;
    size_t m = n > 0 ? (size_t)n : 1;
    double **fields[] = {&r->e_ic_smooth, &r->e_ic_err, &r->deic_dt, &r->x, &r->t_o, &r->t_o_err,
                         &r->e_i, &r->e_i_err, &r->e_i_conv, &r->e_i_conv_err, &r->e_mp, &r->e_mp_err,
                         &r->e_mp_conv, &r->e_mp_conv_err, &r->mapping_ratio};
    int bad = 0;
    for (size_t k = 0; k < CR_ARRAY_LEN(fields); k++) {
        *fields[k] = cr_zalloc(m, sizeof(double));
        if (!*fields[k]) bad = 1;
    }
    r->flag = cr_zalloc(m, sizeof(int));
    if (bad || !r->flag) {
        cr_lw_result_release(r);
        return NULL;
    }
    return r;
}

void cr_lw_result_release(struct cr_lw_result *r)
{
    if (!r) return;
    double *fields[] = {r->e_ic_smooth, r->e_ic_err, r->deic_dt, r->x, r->t_o, r->t_o_err, r->e_i,
                        r->e_i_err, r->e_i_conv, r->e_i_conv_err, r->e_mp, r->e_mp_err, r->e_mp_conv,
                        r->e_mp_conv_err, r->mapping_ratio};
    for (size_t k = 0; k < CR_ARRAY_LEN(fields); k++) free(fields[k]);
    free(r->flag);
    free(r);
}

struct cr_lockwood *cr_lockwood_new(const struct cr_lockwood_inp *inp)
{
    const struct cr_log *log = inp->log;
    const char *why = NULL;
    if (!(inp->d > 0) || !isfinite(inp->d)) why = "d (field-line length) must be > 0";
    else if (!(inp->d_err_frac >= 0) || !isfinite(inp->d_err_frac)) why = "d_err_frac must be >= 0";
    else if (!isfinite(inp->v_conv)) why = "v_conv must be finite";
    else if (!(inp->mapping_ratio > 0) && !(inp->b_mp > 0)) why = "b_mp must be > 0 (or give mapping_ratio > 0)";
    else if (inp->smooth_window < 1 || inp->smooth_window % 2 == 0 || inp->smooth_window > CR_LW_MAX_WINDOW)
        why = "smooth_window must be odd, 1..201 samples";
    else if (inp->deriv_window < 3 || inp->deriv_window % 2 == 0 || inp->deriv_window > CR_LW_MAX_WINDOW)
        why = "deriv_window must be odd, 3..201 samples";
    else if (inp->mass_amu < 0 || !isfinite(inp->mass_amu)) why = "mass_amu must be >= 0";
    else if (!(inp->step_dex >= 0) || !isfinite(inp->step_dex)) why = "step_dex must be >= 0";
    if (why) {
        cr_error(log, "Lockwood estimator: %s", why);
        return NULL;
    }
    struct cr_lockwood *lw = cr_zalloc(1, sizeof *lw);
    if (!lw) return NULL;
    lw->p = *inp;
    lw->mass = ion_mass(inp->mass_amu);
    return lw;
}

void cr_lockwood_release(struct cr_lockwood *lw) { free(lw); }

/* Straight-line fit y = c0 + c1 (t - t0) over the given points. Returns the
 * number of points used (0 when degenerate); intercept *c0 (the value at
 * t0) and slope *c1; when n >= 3 also the standard errors of the intercept
 * *sc0 and slope *sc1 (gsl_fit_linear estimates the covariance from the
 * scatter about the line, s^2 = sum r^2 / (n - 2)). Pointers may be NULL. */
static int line_fit(const double *t, const double *y, int n, double t0, double *c0, double *c1, double *sc0,
                    double *sc1)
{
    double tt[CR_LW_MAX_WINDOW];
    *c0 = *c1 = 0;
    if (sc0) *sc0 = 0;
    if (sc1) *sc1 = 0;
    if (n == 1) *c0 = y[0];
    if (n < 2) return n;
    for (int k = 0; k < n; k++) tt[k] = t[k] - t0;
    if (n == 2) {
        if (tt[1] == tt[0]) return 0;
        *c1 = (y[1] - y[0]) / (tt[1] - tt[0]);
        *c0 = y[0] - *c1 * tt[0];
        return n;
    }
    double cov00, cov01, cov11, sumsq;
    if (gsl_fit_linear(tt, 1, y, 1, (size_t)n, c0, c1, &cov00, &cov01, &cov11, &sumsq)) return 0;
    if (sc0) *sc0 = sqrt(cov00 > 0 ? cov00 : 0);
    if (sc1) *sc1 = sqrt(cov11 > 0 ? cov11 : 0);
    return n;
}

static void fill_rates(struct cr_lw_result *out, int i)
{
    out->e_i[i] = out->e_i_err[i] = out->e_i_conv[i] = out->e_i_conv_err[i] = CR_LW_FILL;
    out->e_mp[i] = out->e_mp_err[i] = out->e_mp_conv[i] = out->e_mp_conv_err[i] = CR_LW_FILL;
    out->mapping_ratio[i] = CR_LW_FILL;
}

static void fill_missing(struct cr_lw_result *out, int i)
{
    out->e_ic_smooth[i] = out->e_ic_err[i] = out->deic_dt[i] = out->x[i] = CR_LW_FILL;
    out->t_o[i] = out->t_o_err[i] = CR_LW_FILL;
    fill_rates(out, i);
}

int cr_lw_result_count_valid(const struct cr_lw_result *r)
{
    int c = 0;
    for (int i = 0; i < r->n; i++)
        if (!(r->flag[i] & (CR_LW_NO_EIC | CR_LW_FEW_SAMPLES | CR_LW_SINGULAR | CR_LW_NO_BS))) c++;
    return c;
}

int cr_lockwood_run(const struct cr_lockwood *lw, const struct cr_lw_series *in, struct cr_lw_result *out)
{
    const struct cr_lockwood_inp *p = &lw->p;
    const int n = in->n;
    if (n != out->n) {
        cr_error(p->log, "Lockwood estimator: %d spectra but room for %d results", n, out->n);
        return CR_ECONFIG;
    }
    for (int i = 1; i < n; i++) {
        if (!(in->t_s[i] > in->t_s[i - 1])) {
            cr_error(p->log, "Lockwood estimator: sample times must increase (t[%d] = %g s, t[%d] = %g s)", i - 1,
                     in->t_s[i - 1], i, in->t_s[i]);
            return CR_ECONFIG;
        }
    }
    const double ln10 = log(10.0);
    const double d_m_const = p->d * CR_RE_M;
    const double sig_d = p->d_err_frac; /* relative */
    const int hs = p->smooth_window / 2, hd = p->deriv_window / 2;
    /* the window over which the scatter of E_ic is measured: the smoothing
     * window, or the derivative window when there is no smoothing */
    const int he = p->smooth_window >= 3 ? hs : hd;
    double *lsm = cr_zalloc(n > 0 ? (size_t)n : 1, sizeof(double)); /* smoothed log10 E_ic */
    double *lerr = cr_zalloc(n > 0 ? (size_t)n : 1, sizeof(double)); /* its 1-sigma */
    double *serr = cr_zalloc(n > 0 ? (size_t)n : 1, sizeof(double)); /* 1-sigma of the slope */
    int *seg = cr_zalloc(n > 0 ? (size_t)n : 1, sizeof(int));       /* segment between steps */
    if (!lsm || !lerr || !serr || !seg) {
        free(lsm);
        free(lerr);
        free(serr);
        free(seg);
        return CR_ENOMEM;
    }
    /* segments: a step in log10 E_ic between consecutive valid spectra starts a new one */
    int nvalid = 0, cur = 0, prev = -1;
    for (int i = 0; i < n; i++) {
        out->flag[i] = 0;
        if (!(usable(in->e_ic[i]) && in->e_ic[i] > 0)) {
            seg[i] = -1;
            continue;
        }
        nvalid++;
        if (prev >= 0 && p->step_dex > 0 && fabs(log10(in->e_ic[i]) - log10(in->e_ic[prev])) > p->step_dex) {
            cur++;
            out->flag[i] |= CR_LW_STEP;
            out->flag[prev] |= CR_LW_STEP;
        }
        seg[i] = cur;
        prev = i;
    }

    /* pass 1: smoothed log10 E_ic and its scatter. The smoothed value is the
     * centre value of a straight line fitted over the smoothing window: for a
     * full, evenly sampled window this is the moving average of log10 E_ic,
     * and where the window is cut (end of the dispersion, a missing
     * spectrum) it is not biased by the trend. */
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        lsm[i] = CR_LW_FILL;
        if (seg[i] < 0) {
            out->flag[i] |= CR_LW_NO_EIC;
            continue;
        }
        double tw[CR_LW_MAX_WINDOW], yw[CR_LW_MAX_WINDOW];
        int nw = 0;
        for (int j = i - hs; j <= i + hs; j++) {
            if (j < 0 || j >= n || seg[j] != seg[i]) continue;
            tw[nw] = in->t_s[j];
            yw[nw++] = log10(in->e_ic[j]);
        }
        double c0, c1, sc0, sc1;
        if (line_fit(tw, yw, nw, in->t_s[i], &c0, &c1, NULL, NULL) < 1) {
            out->flag[i] |= CR_LW_FEW_SAMPLES;
            continue;
        }
        lsm[i] = c0;
        /* scatter: the same fit over the error window (the smoothing window,
         * or the derivative window when there is no smoothing) */
        nw = 0;
        for (int j = i - he; j <= i + he; j++) {
            if (j < 0 || j >= n || seg[j] != seg[i]) continue;
            tw[nw] = in->t_s[j];
            yw[nw++] = log10(in->e_ic[j]);
        }
        if (line_fit(tw, yw, nw, in->t_s[i], &c0, &c1, &sc0, &sc1) < 3) {
            out->flag[i] |= CR_LW_FEW_SAMPLES;
            continue;
        }
        lerr[i] = sc0;
        serr[i] = sc1;
    }

    /* pass 2: slope of the smoothed series, then the rate */
#pragma omp parallel for schedule(static)
    for (int i = 0; i < n; i++) {
        if (out->flag[i] & (CR_LW_NO_EIC | CR_LW_FEW_SAMPLES)) {
            fill_missing(out, i);
            continue;
        }
        double tw[CR_LW_MAX_WINDOW], yw[CR_LW_MAX_WINDOW];
        int nw = 0;
        for (int j = i - hd; j <= i + hd; j++) {
            if (j < 0 || j >= n || lsm[j] == CR_LW_FILL || seg[j] != seg[i]) continue;
            tw[nw] = in->t_s[j];
            yw[nw++] = lsm[j];
        }
        double c0, s;
        if (line_fit(tw, yw, nw, in->t_s[i], &c0, &s, NULL, NULL) < 2) {
            out->flag[i] |= CR_LW_FEW_SAMPLES;
            fill_missing(out, i);
            continue;
        }
        const double d_m = (in->d && usable(in->d[i]) && in->d[i] > 0) ? in->d[i] * CR_RE_M : d_m_const;
        const double e_ev = pow(10.0, lsm[i]);
        const double e_j = e_ev * CR_EV_J;
        const double v = sqrt(2.0 * e_j / lw->mass);            /* [m/s] */
        const double delay = d_m / v;                           /* t_s - t_o [s] */
        const double x = 0.5 * delay * ln10 * s;                /* (d/2) sqrt(m/2) E^-3/2 dE/dt */
        const double rel_l = 0.5 * ln10 * lerr[i];              /* relative error of E^-1/2 */
        const double sx = sqrt(x * x * (sig_d * sig_d + rel_l * rel_l) +
                               (0.5 * delay * ln10) * (0.5 * delay * ln10) * serr[i] * serr[i]);
        out->e_ic_smooth[i] = e_ev;
        out->e_ic_err[i] = e_ev * ln10 * lerr[i];
        out->deic_dt[i] = e_ev * ln10 * s;
        out->x[i] = x;
        out->t_o[i] = in->t_s[i] - delay;
        out->t_o_err[i] = delay * sqrt(sig_d * sig_d + rel_l * rel_l);
        const double den = 1.0 + x;
        const double bs = in->b_s[i];
        if (!(usable(bs) && bs > 0) || !usable(in->u[i])) {
            out->flag[i] |= CR_LW_NO_BS;
            fill_rates(out, i);
            continue;
        }
        if (fabs(den) < 1e-6) {
            out->flag[i] |= CR_LW_SINGULAR;
            fill_rates(out, i);
            continue;
        }
        /* B [nT] * V [km/s] = 1e-6 V/m = 1e-3 mV/m */
        const double ratio = (in->mapping && usable(in->mapping[i]) && in->mapping[i] > 0)
                                 ? in->mapping[i]
                                 : (p->mapping_ratio > 0 ? p->mapping_ratio : sqrt(p->b_mp / bs));
        const double ei = bs * (0.0 - in->u[i]) * 1e-3 / den;
        const double vc = (in->v_c && usable(in->v_c[i])) ? in->v_c[i] : p->v_conv;
        const double eic = bs * (vc - in->u[i]) * 1e-3 / den;
        const double rel = sx / fabs(den);
        out->e_i[i] = ei;
        out->e_i_err[i] = fabs(ei) * rel;
        out->e_i_conv[i] = eic;
        out->e_i_conv_err[i] = fabs(eic) * rel;
        out->mapping_ratio[i] = ratio;
        out->e_mp[i] = ei * ratio;
        out->e_mp_err[i] = out->e_i_err[i] * ratio;
        out->e_mp_conv[i] = eic * ratio;
        out->e_mp_conv_err[i] = out->e_i_conv_err[i] * ratio;
        if (ei < 0) out->flag[i] |= CR_LW_NEGATIVE;
    }
    free(lsm);
    free(lerr);
    free(serr);
    free(seg);
    if (nvalid == 0) {
        cr_warn(p->log, "Lockwood estimator: no spectrum has a low-energy cutoff; no rate");
        return CR_EDOMAIN;
    }
    return CR_OK;
}
