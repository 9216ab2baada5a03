/* cr_empirical.c — empirical magnetopause, bow-shock and polar-cap-potential
 * models (formulas and sources in cr_empirical.h). */
#include "cr_empirical.h"

#include <math.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

double cr_emp_pdyn_npa(double n_cc, double v_kms)
{
    return CR_MP * n_cc * CR_CC * (v_kms * CR_KMS) * (v_kms * CR_KMS) / CR_NPA;
}

int cr_emp_shue98(double bz_nt, double pdyn_npa, double *r0, double *alpha)
{
    if (!isfinite(bz_nt) || !(pdyn_npa > 0) || !isfinite(pdyn_npa)) return CR_EDOMAIN;
    /* Shue et al. 1998, eqs. 9 and 10 */
    *r0 = (10.22 + 1.29 * tanh(0.184 * (bz_nt + 8.14))) * pow(pdyn_npa, -1.0 / 6.6);
    *alpha = (0.58 - 0.007 * bz_nt) * (1.0 + 0.024 * log(pdyn_npa));
    return CR_OK;
}

double cr_emp_shue98_r(double r0, double alpha, double theta) { return r0 * pow(2.0 / (1.0 + cos(theta)), alpha); }

int cr_emp_fast_speed(double n_cc, double p_npa, const double b_nt[3], const double v_kms[3], double gamma,
                      double *c_kms)
{
    double vn = sqrt(v_kms[0] * v_kms[0] + v_kms[1] * v_kms[1] + v_kms[2] * v_kms[2]);
    double bn = sqrt(b_nt[0] * b_nt[0] + b_nt[1] * b_nt[1] + b_nt[2] * b_nt[2]);
    if (!(n_cc > 0) || !(p_npa >= 0) || !(vn > 0) || !isfinite(bn) || !isfinite(vn) || !isfinite(p_npa) ||
        !(gamma > 1))
        return CR_EDOMAIN;
    double rho = CR_MP * n_cc * CR_CC;
    double cs2 = gamma * p_npa * CR_NPA / rho;
    double b = bn * CR_NT;
    double va2 = b * b / (CR_MU0 * rho);
    double cos_bv = bn > 0 ? (b_nt[0] * v_kms[0] + b_nt[1] * v_kms[1] + b_nt[2] * v_kms[2]) / (bn * vn) : 0.0;
    double s = cs2 + va2;
    double disc = s * s - 4.0 * cs2 * va2 * cos_bv * cos_bv;
    double cf2 = 0.5 * (s + sqrt(disc > 0 ? disc : 0.0));
    *c_kms = sqrt(cf2) / CR_KMS;
    return CR_OK;
}

int cr_emp_farris_russell94(double r_mp, double mach, double gamma, double *r_bs)
{
    if (!(mach > 1) || !isfinite(mach) || !(r_mp > 0) || !(gamma > 1)) return CR_EDOMAIN;
    double m2 = mach * mach;
    *r_bs = r_mp * (1.0 + 1.1 * ((gamma - 1.0) * m2 + 2.0) / ((gamma + 1.0) * (m2 - 1.0)));
    return CR_OK;
}

double cr_emp_boyle97_kv(const double v_kms[3], const double b_nt[3])
{
    double v2 = v_kms[0] * v_kms[0] + v_kms[1] * v_kms[1] + v_kms[2] * v_kms[2];
    double bn = sqrt(b_nt[0] * b_nt[0] + b_nt[1] * b_nt[1] + b_nt[2] * b_nt[2]);
    double clock = fabs(atan2(b_nt[1], b_nt[2])); /* 0 .. pi */
    double s = sin(0.5 * clock);
    return 1e-4 * v2 + 11.7 * bn * s * s * s;
}

double cr_emp_siscoe02_kv(const double v_kms[3], const double b_nt[3], double pdyn_npa, double sigma_p)
{
    double vn = sqrt(v_kms[0] * v_kms[0] + v_kms[1] * v_kms[1] + v_kms[2] * v_kms[2]);
    double bt = sqrt(b_nt[1] * b_nt[1] + b_nt[2] * b_nt[2]);
    if (!(vn > 0 && isfinite(vn)) || !(pdyn_npa > 0 && isfinite(pdyn_npa)) || !(sigma_p > 0 && isfinite(sigma_p)) ||
        !isfinite(bt))
        return 0.0;
    double e = vn * bt * 1e-3; /* km/s x nT = 1e-3 mV/m */
    double s = sin(0.5 * fabs(atan2(b_nt[1], b_nt[2])));
    double f = s * s;
    double xi = 4.45 - 1.08 * log10(sigma_p);
    return 57.6 * e * cbrt(pdyn_npa) * f / (sqrt(pdyn_npa) + 0.0125 * xi * sigma_p * e * f);
}

int cr_emp_reference(const struct cr_emp_sw *sw, struct cr_emp_ref *out)
{
    memset(out, 0, sizeof *out);
    double gamma = sw->gamma > 0 ? sw->gamma : 5.0 / 3.0;
    double vn = sqrt(sw->v[0] * sw->v[0] + sw->v[1] * sw->v[1] + sw->v[2] * sw->v[2]);
    if (!(sw->n > 0) || !(sw->temp > 0) || !(vn > 0) || !(sw->te_over_ti >= 0)) return CR_EDOMAIN;
    out->pdyn = cr_emp_pdyn_npa(sw->n, vn);
    out->p_th = sw->n * CR_CC * CR_KB * sw->temp * (1.0 + sw->te_over_ti) / CR_NPA;
    int rc = cr_emp_shue98(sw->b[2], out->pdyn, &out->r0, &out->alpha);
    if (rc) return rc;
    rc = cr_emp_fast_speed(sw->n, out->p_th, sw->b, sw->v, gamma, &out->c_fast);
    if (rc) return rc;
    out->mach = vn / out->c_fast;
    if (cr_emp_farris_russell94(out->r0, out->mach, gamma, &out->r_bs)) out->r_bs = 0.0;
    out->cpcp_kv = cr_emp_boyle97_kv(sw->v, sw->b);
    return CR_OK;
}
