/* cr_vdf_models.h — analytic phase-space densities f(x, v) with exact
 * spatial gradients and exact moments, to verify the four-spacecraft
 * analysis (tests, `cusprate bench gradient`).
 *
 * 1. A drifting bi-Maxwellian whose density, parallel and perpendicular
 *    temperatures and bulk velocity vary linearly in space about x0:
 *      f = n (m / 2 pi T_par)^(1/2) (m / 2 pi T_perp) exp(-m w_par^2 / 2 T_par - m |w_perp|^2 / 2 T_perp),
 *    w = v - U(x), along a fixed unit b. Its gradient is f times
 *      grad n / n - grad T_par (1/2 - m w_par^2 / 2 T_par) / T_par
 *      - grad T_perp (1 - m |w_perp|^2 / 2 T_perp) / T_perp
 *      + (m / T_par) w_par (grad U) . b + (m / T_perp) (grad U) . w_perp.
 *    Moments: P = n (T_par b b + T_perp (I - b b)), T = P / n.
 *
 * 2. A finite-Larmor-radius crescent: an exact Vlasov equilibrium in a
 *    uniform B along +z with E = 0,
 *      f = n0 F_M(|v|) N(X),  N(X) = (1 + erf((X - x_e)/delta)) / 2,
 *      X = x + v_y / Omega (the guiding-centre x of a positive charge),
 *    F_M the normalised Maxwellian of temperature kT; both |v| and X are
 *    constants of motion. At a point within a Larmor radius of the edge
 *    the distribution is a Maxwellian cut by a plane in v_y: the crescent
 *    of ions meandering across a density step. With Y = v_y/Omega normal
 *    of variance rho^2 = kT / (m Omega^2):
 *      n(x) = n0 Phi((x - x_e) / s),  s^2 = delta^2 / 2 + rho^2,
 *      n U_y = (kT / m Omega) dn/dx      (Stein's lemma; the diamagnetic drift),
 *      P_xx = P_zz = n kT,  P_yy = m (sigma^2 n + sigma^4 n'' / Omega^2 - n U_y^2),
 *      div P = (kT dn/dx, 0, 0) = q n U x B,  T . grad n = div P,  n div T = 0.
 *
 * Units: x [km], v [km/s], f [s^3 cm^-6], n [cm^-3], T [eV], U [km/s],
 * gradients per km, P [nPa], pressure terms [nPa/km].
 */
#ifndef CR_VDF_MODELS_H
#define CR_VDF_MODELS_H

#include "cr_vdf.h"

struct cr_bimax_field {
    double mass;                  /* [kg] */
    double b[3];                  /* unit vector of the anisotropy axis */
    double x0[3];                 /* [km] reference point */
    double n0, grad_n[3];         /* [cm^-3], [cm^-3 / km] */
    double tpar0, grad_tpar[3];   /* [eV], [eV / km] */
    double tperp0, grad_tperp[3]; /* [eV], [eV / km] */
    double U0[3], grad_U[3][3];   /* [km/s]; grad_U[i][j] = d U_j / d x_i [1/s] */
};

double cr_bimax_f(const struct cr_bimax_field *m, const double x[3], const double v[3]);
void cr_bimax_grad_f(const struct cr_bimax_field *m, const double x[3], const double v[3], double g[3]);
void cr_bimax_moments(const struct cr_bimax_field *m, const double x[3], struct cr_vdf_moments *mom);
/* Exact div P, T . grad n, n div T and div(m n U U) at x [nPa/km]. */
void cr_bimax_terms(const struct cr_bimax_field *m, const double x[3], double div_P[3], double T_grad_n[3],
                    double n_div_T[3], double div_inertia[3]);

struct cr_crescent {
    double mass;                  /* [kg] */
    double charge;                /* [e] (> 0) */
    double B;                     /* [nT] along +z */
    double n0;                    /* [cm^-3] density far on the dense side */
    double kt;                    /* [eV] */
    double x_edge, delta;         /* [km] edge position and width of N */
};

double cr_crescent_f(const struct cr_crescent *c, const double x[3], const double v[3]);
void cr_crescent_grad_f(const struct cr_crescent *c, const double x[3], const double v[3], double g[3]);
void cr_crescent_moments(const struct cr_crescent *c, const double x[3], struct cr_vdf_moments *mom);
/* d n / d x [cm^-3 / km] and div P [nPa/km] (x component; the others are 0). */
double cr_crescent_dndx(const struct cr_crescent *c, const double x[3]);
double cr_crescent_div_P(const struct cr_crescent *c, const double x[3]);
/* Larmor radius rho = sqrt(kT/m) / Omega [km]. */
double cr_crescent_rho(const struct cr_crescent *c);

#endif
