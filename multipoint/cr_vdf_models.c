/* cr_vdf_models.c — analytic distributions with exact gradients and moments:
 * a linearly varying drifting bi-Maxwellian and a finite-Larmor-radius
 * crescent equilibrium (see cr_vdf_models.h for the formulas). */
#include "cr_vdf_models.h"

#include <math.h>
#include <string.h>

#include "../core/cr_units.h"

/* m/T in s^2/km^2 for mass [kg] and T [eV]: m v^2 / T with v in km/s */
static double m_over_t(double mass, double t_ev) { return mass * CR_KMS * CR_KMS / (t_ev * CR_EV_J); }

/* normalised 1-D Maxwellian factor (m / 2 pi T)^(1/2) in s/cm */
static double norm1(double mass, double t_ev) { return sqrt(m_over_t(mass, t_ev) / (2 * CR_PI)) * 1e-5; }

#define EV_CC_NPA (CR_EV_J * CR_CC / CR_NPA)
#define KMS2_CC_NPA (CR_CC * CR_KMS * CR_KMS / CR_NPA)

struct bm_local {
    double n, tpar, tperp, U[3];
};

static void bm_local(const struct cr_bimax_field *m, const double x[3], struct bm_local *l)
{
    double dx[3] = {x[0] - m->x0[0], x[1] - m->x0[1], x[2] - m->x0[2]};
    l->n = m->n0;
    l->tpar = m->tpar0;
    l->tperp = m->tperp0;
    for (int j = 0; j < 3; j++) l->U[j] = m->U0[j];
    for (int i = 0; i < 3; i++) {
        l->n += m->grad_n[i] * dx[i];
        l->tpar += m->grad_tpar[i] * dx[i];
        l->tperp += m->grad_tperp[i] * dx[i];
        for (int j = 0; j < 3; j++) l->U[j] += m->grad_U[i][j] * dx[i];
    }
}

double cr_bimax_f(const struct cr_bimax_field *m, const double x[3], const double v[3])
{
    struct bm_local l;
    bm_local(m, x, &l);
    double w[3] = {v[0] - l.U[0], v[1] - l.U[1], v[2] - l.U[2]};
    double wpar = w[0] * m->b[0] + w[1] * m->b[1] + w[2] * m->b[2];
    double wperp2 = w[0] * w[0] + w[1] * w[1] + w[2] * w[2] - wpar * wpar;
    double a = norm1(m->mass, l.tpar), c = norm1(m->mass, l.tperp);
    return l.n * a * c * c *
           exp(-0.5 * m_over_t(m->mass, l.tpar) * wpar * wpar - 0.5 * m_over_t(m->mass, l.tperp) * wperp2);
}

void cr_bimax_grad_f(const struct cr_bimax_field *m, const double x[3], const double v[3], double g[3])
{
    struct bm_local l;
    bm_local(m, x, &l);
    double f = cr_bimax_f(m, x, v);
    double w[3] = {v[0] - l.U[0], v[1] - l.U[1], v[2] - l.U[2]};
    double wpar = w[0] * m->b[0] + w[1] * m->b[1] + w[2] * m->b[2], wp[3];
    for (int d = 0; d < 3; d++) wp[d] = w[d] - wpar * m->b[d];
    double wperp2 = wp[0] * wp[0] + wp[1] * wp[1] + wp[2] * wp[2];
    double ka = m_over_t(m->mass, l.tpar), kp = m_over_t(m->mass, l.tperp);
    for (int i = 0; i < 3; i++) {
        double s = m->grad_n[i] / l.n - m->grad_tpar[i] * (0.5 - 0.5 * ka * wpar * wpar) / l.tpar -
                   m->grad_tperp[i] * (1 - 0.5 * kp * wperp2) / l.tperp;
        double ub = 0, uw = 0;
        for (int j = 0; j < 3; j++) {
            ub += m->grad_U[i][j] * m->b[j];
            uw += m->grad_U[i][j] * wp[j];
        }
        s += ka * wpar * ub + kp * uw;
        g[i] = f * s;
    }
}

void cr_bimax_moments(const struct cr_bimax_field *m, const double x[3], struct cr_vdf_moments *mom)
{
    struct bm_local l;
    bm_local(m, x, &l);
    memset(mom, 0, sizeof *mom);
    mom->n = l.n;
    for (int i = 0; i < 3; i++) {
        mom->U[i] = l.U[i];
        for (int j = 0; j < 3; j++) {
            mom->T[i][j] = l.tperp * (i == j) + (l.tpar - l.tperp) * m->b[i] * m->b[j];
            mom->P[i][j] = EV_CC_NPA * l.n * mom->T[i][j];
        }
    }
}

void cr_bimax_terms(const struct cr_bimax_field *m, const double x[3], double div_P[3], double T_grad_n[3],
                    double n_div_T[3], double div_inertia[3])
{
    struct bm_local l;
    bm_local(m, x, &l);
    double bgn = 0, bga = 0, div_u = 0, ugn = 0;
    for (int i = 0; i < 3; i++) {
        bgn += m->b[i] * m->grad_n[i];
        bga += m->b[i] * (m->grad_tpar[i] - m->grad_tperp[i]);
        div_u += m->grad_U[i][i];
        ugn += l.U[i] * m->grad_n[i];
    }
    for (int j = 0; j < 3; j++) {
        /* T_ij = T_perp d_ij + (T_par - T_perp) b_i b_j; d_i T_ij = d_j T_perp + b_j (b . grad)(T_par - T_perp) */
        double divT = m->grad_tperp[j] + m->b[j] * bga;
        double tgn = l.tperp * m->grad_n[j] + (l.tpar - l.tperp) * m->b[j] * bgn;
        T_grad_n[j] = EV_CC_NPA * tgn;
        n_div_T[j] = EV_CC_NPA * l.n * divT;
        div_P[j] = T_grad_n[j] + n_div_T[j];
        double ugu = 0; /* (U . grad) U_j */
        for (int i = 0; i < 3; i++) ugu += l.U[i] * m->grad_U[i][j];
        div_inertia[j] = m->mass * KMS2_CC_NPA * (ugn * l.U[j] + l.n * div_u * l.U[j] + l.n * ugu);
    }
}

/* ---- crescent ------------------------------------------------------------------ */

static double omega(const struct cr_crescent *c) { return c->charge * CR_QE * c->B * CR_NT / c->mass; }

double cr_crescent_rho(const struct cr_crescent *c)
{
    return sqrt(c->kt * CR_EV_J / c->mass) / CR_KMS / omega(c);
}

static double maxwell(const struct cr_crescent *c, const double v[3])
{
    double a = norm1(c->mass, c->kt);
    return a * a * a * exp(-0.5 * m_over_t(c->mass, c->kt) * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]));
}

double cr_crescent_f(const struct cr_crescent *c, const double x[3], const double v[3])
{
    double X = x[0] + v[1] / omega(c);
    return c->n0 * maxwell(c, v) * 0.5 * (1 + erf((X - c->x_edge) / c->delta));
}

void cr_crescent_grad_f(const struct cr_crescent *c, const double x[3], const double v[3], double g[3])
{
    double X = x[0] + v[1] / omega(c), z = (X - c->x_edge) / c->delta;
    g[0] = c->n0 * maxwell(c, v) * exp(-z * z) / (c->delta * sqrt(CR_PI));
    g[1] = g[2] = 0;
}

static double cres_s(const struct cr_crescent *c)
{
    double rho = cr_crescent_rho(c);
    return sqrt(0.5 * c->delta * c->delta + rho * rho);
}

double cr_crescent_dndx(const struct cr_crescent *c, const double x[3])
{
    double s = cres_s(c), z = (x[0] - c->x_edge) / s;
    return c->n0 * exp(-0.5 * z * z) / sqrt(2 * CR_PI) / s;
}

double cr_crescent_div_P(const struct cr_crescent *c, const double x[3])
{
    return EV_CC_NPA * c->kt * cr_crescent_dndx(c, x);
}

void cr_crescent_moments(const struct cr_crescent *c, const double x[3], struct cr_vdf_moments *mom)
{
    memset(mom, 0, sizeof *mom);
    double s = cres_s(c), z = (x[0] - c->x_edge) / s, om = omega(c);
    double n = c->n0 * 0.5 * (1 + erf(z / sqrt(2.0)));
    double n1 = cr_crescent_dndx(c, x), n2 = -z / s * n1;
    double sig2 = c->kt * CR_EV_J / c->mass / (CR_KMS * CR_KMS); /* (km/s)^2 */
    mom->n = n;
    if (!(n > 0)) return;
    mom->U[1] = sig2 / om * n1 / n;
    double conv = c->mass * KMS2_CC_NPA; /* kg cm^-3 (km/s)^2 -> nPa */
    mom->P[0][0] = mom->P[2][2] = EV_CC_NPA * n * c->kt;
    mom->P[1][1] = conv * (sig2 * n + sig2 * sig2 * n2 / (om * om) - n * mom->U[1] * mom->U[1]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) mom->T[i][j] = mom->P[i][j] / (EV_CC_NPA * n);
}
