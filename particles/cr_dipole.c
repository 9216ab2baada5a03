/* cr_dipole.c — dipole field-line mapping, travel times, bounce and drift
 * periods (formulas and citations in cr_dipole.h). */
#include "cr_dipole.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

double cr_dipole_bmag(double b_e, double r, double lat)
{
    double s = sin(lat);
    return b_e * sqrt(1.0 + 3.0 * s * s) / (r * r * r);
}

int cr_dipole_map_down(double b_e, const double x[3], double r_to, struct cr_dipole_map *m)
{
    double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    if (!(r > 0) || !(r_to > 0)) return CR_EDOMAIN;
    double sl = x[2] / r;
    double cl2 = 1.0 - sl * sl;
    if (!(cl2 > 0)) return CR_EDOMAIN; /* on the dipole axis: the line never closes */
    m->L = r / cl2;
    if (m->L < r_to) return CR_EDOMAIN;
    m->lat_from = asin(sl);
    double c2 = r_to / m->L;
    double lat = acos(sqrt(c2));
    m->lat_to = x[2] >= 0 ? lat : -lat;
    double phi = atan2(x[1], x[0]);
    m->x_to[0] = r_to * cos(m->lat_to) * cos(phi);
    m->x_to[1] = r_to * cos(m->lat_to) * sin(phi);
    m->x_to[2] = r_to * sin(m->lat_to);
    m->b_from = cr_dipole_bmag(b_e, r, m->lat_from);
    m->b_to = cr_dipole_bmag(b_e, r_to, m->lat_to);
    return CR_OK;
}

double cr_dipole_arc_length(double L, double lat1, double lat2)
{
    /* s(l) = (L/2) [ sin l sqrt(1 + 3 sin^2 l) + asinh(sqrt(3) sin l) / sqrt(3) ] */
    double s1 = sin(fabs(lat1)), s2 = sin(fabs(lat2));
    double f1 = s1 * sqrt(1.0 + 3.0 * s1 * s1) + asinh(sqrt(3.0) * s1) / sqrt(3.0);
    double f2 = s2 * sqrt(1.0 + 3.0 * s2 * s2) + asinh(sqrt(3.0) * s2) / sqrt(3.0);
    return 0.5 * L * fabs(f2 - f1);
}

/* B(l)/B(l0) along one field line: (r0/r)^3 sqrt(1+3 s^2)/sqrt(1+3 s0^2), r = L cos^2 l */
static double bratio(double lat, double lat0)
{
    double c = cos(lat), c0 = cos(lat0), s = sin(lat), s0 = sin(lat0);
    double c02 = c0 * c0, c2 = c * c;
    return (c02 * c02 * c02) / (c2 * c2 * c2) * sqrt((1.0 + 3.0 * s * s) / (1.0 + 3.0 * s0 * s0));
}

struct tt_par {
    double lat0, s2;
};

static double tt_integrand(double lat, void *par)
{
    const struct tt_par *q = par;
    double arg = 1.0 - q->s2 * bratio(lat, q->lat0);
    if (arg <= 0) return 0.0;
    double s = sin(lat);
    return cos(lat) * sqrt(1.0 + 3.0 * s * s) / sqrt(arg);
}

int cr_dipole_travel_time(double L, double lat_from, double lat_to, double v_kms, double s2_from, double *t)
{
    double a = fabs(lat_from), b = fabs(lat_to);
    if (!(v_kms > 0)) return CR_EDOMAIN;
    if (s2_from * bratio(b, a) >= 1.0) return CR_EDOMAIN;
    double vre = v_kms / CR_RE_KM; /* [R_E/s] */
    if (s2_from <= 0) {
        *t = cr_dipole_arc_length(L, a, b) / vre;
        return CR_OK;
    }
    struct tt_par q = {a, s2_from};
    gsl_function fn = {tt_integrand, &q};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(200);
    if (!ws) return CR_ENOMEM;
    double res = 0, err = 0;
    int st = gsl_integration_qags(&fn, a, b, 0.0, 1e-10, 200, ws, &res, &err);
    gsl_integration_workspace_free(ws);
    if (st && st != GSL_EROUND) return CR_ENUMERIC;
    *t = L * res / vre;
    return CR_OK;
}

double cr_dipole_mirror_lat(double alpha_eq)
{
    /* cos^6 l = y^2 sqrt(1 + 3 sin^2 l): bisection on [0, pi/2] */
    double y2 = sin(alpha_eq) * sin(alpha_eq);
    if (y2 >= 1.0) return 0.0;
    double lo = 0.0, hi = 0.5 * CR_PI;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        double c = cos(mid), s = sin(mid);
        double f = c * c * c * c * c * c - y2 * sqrt(1.0 + 3.0 * s * s);
        if (f > 0) lo = mid;
        else hi = mid;
        if (hi - lo < 1e-16) break;
    }
    return 0.5 * (lo + hi);
}

/* Integrands after lambda = lambda_m sin(phi): dlambda = lambda_m cos(phi) dphi. */
struct bd_par {
    double y2, lm;
    int drift;
};

static double bd_integrand(double phi, void *par)
{
    const struct bd_par *q = par;
    double lat = q->lm * sin(phi);
    double c = cos(lat), s = sin(lat);
    double c2 = c * c, c6 = c2 * c2 * c2;
    double n = sqrt(1.0 + 3.0 * s * s);
    double bb = q->y2 * n / c6; /* B / B_m */
    double arg = 1.0 - bb;
    if (arg <= 0) return 0.0;
    double jac = q->lm * cos(phi);
    double w = c * n * jac / sqrt(arg); /* ds / (L dlambda) / (v_par / v) */
    if (!q->drift) return w;
    return w * c2 * (1.0 + s * s) / (n * n * n * n) * (1.0 - 0.5 * bb);
}

static double bd_integral(double y, int drift)
{
    struct bd_par q = {y * y, cr_dipole_mirror_lat(asin(y)), drift};
    gsl_function fn = {bd_integrand, &q};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(200);
    if (!ws) return NAN;
    double res = NAN, err = 0;
    int st = gsl_integration_qag(&fn, 0.0, 0.5 * CR_PI, 0.0, 1e-11, 200, GSL_INTEG_GAUSS61, ws, &res, &err);
    gsl_integration_workspace_free(ws);
    /* Close to the equator (lambda_m -> 0) 1 - B/B_m loses digits near the
     * mirror point and QAG may stop short of 1e-11; accept 1e-7. */
    if (st && !(err <= 1e-7 * fabs(res))) return NAN;
    return res;
}

double cr_dipole_T(double y)
{
    if (y >= 1.0) return CR_PI / (3.0 * sqrt(2.0)); /* equatorial limit: pi sqrt(2) / 6 */
    return bd_integral(y, 0);
}

double cr_dipole_drift_ratio(double y)
{
    if (y >= 1.0) return 0.5;
    return bd_integral(y, 1) / bd_integral(y, 0);
}

/* p v [J] and v [m/s] for a kinetic energy */
static void pv_of(double energy_ev, double mc2_ev, double *pv_j, double *v)
{
    double gam = 1.0 + energy_ev / mc2_ev;
    double beta2 = 1.0 - 1.0 / (gam * gam);
    *v = CR_C * sqrt(beta2);
    *pv_j = gam * mc2_ev * CR_EV_J * beta2; /* gamma m v^2 */
}

double cr_dipole_bounce_period(double energy_ev, double mc2_ev, double L, double alpha_eq)
{
    double pv, v;
    pv_of(energy_ev, mc2_ev, &pv, &v);
    return 4.0 * L * CR_RE_M / v * cr_dipole_T(sin(alpha_eq));
}

double cr_dipole_drift_period(double energy_ev, double mc2_ev, double charge, double L, double alpha_eq,
                              double b_e)
{
    double pv, v;
    pv_of(energy_ev, mc2_ev, &pv, &v);
    double w0 = 3.0 * L * pv / (charge * CR_QE * b_e * CR_NT * CR_RE_M * CR_RE_M);
    return 2.0 * CR_PI / (w0 * cr_dipole_drift_ratio(sin(alpha_eq)));
}

double cr_dipole_bounce_period_approx(double energy_ev, double mc2_ev, double L, double alpha_eq)
{
    double pv, v;
    pv_of(energy_ev, mc2_ev, &pv, &v);
    double y = sin(alpha_eq);
    return 4.0 * L * CR_RE_M / v * (1.3802 - 0.3198 * (y + sqrt(y)));
}

double cr_dipole_drift_period_approx(double energy_ev, double mc2_ev, double charge, double L, double alpha_eq,
                                     double b_e)
{
    double pv, v;
    pv_of(energy_ev, mc2_ev, &pv, &v);
    double w0 = 3.0 * L * pv / (charge * CR_QE * b_e * CR_NT * CR_RE_M * CR_RE_M);
    return 2.0 * CR_PI / (w0 * (0.35 + 0.15 * sin(alpha_eq)));
}
