/* cr_empirical.h — empirical reference models that a magnetosphere run is
 * held against (REFERENCES.md section 2): dynamic pressure, the Shue et al.
 * (1998) magnetopause, the Farris & Russell (1994) bow-shock stand-off with
 * the fast magnetosonic Mach number, and the Boyle et al. (1997)
 * cross-polar-cap potential.
 *
 *   P_dyn = m_p n V^2                       [nPa] (protons only)
 *   Shue et al. 1998, JGR 103, 17691 (Bz [nT], Dp [nPa]):
 *     r0 = (10.22 + 1.29 tanh(0.184 (Bz + 8.14))) Dp^(-1/6.6)  [R_E] (eq. 9)
 *     alpha = (0.58 - 0.007 Bz) (1 + 0.024 ln Dp)               (eq. 10)
 *     r(theta) = r0 (2 / (1 + cos theta))^alpha                  (eq. 1)
 *   Farris & Russell 1994, JGR 99, 17681 (stand-off of the shock ahead of
 *   the obstacle, Spreiter's 1.1 rho_1/rho_2 law modified to diverge at M = 1):
 *     R_bs = R_mp [1 + 1.1 ((g - 1) M^2 + 2) / ((g + 1)(M^2 - 1))]
 *   with M the fast magnetosonic Mach number of the flow along the
 *   Sun-Earth line: c_f^2 = (c_s^2 + v_A^2 + sqrt((c_s^2 + v_A^2)^2
 *   - 4 c_s^2 v_A^2 cos^2 t_Bv)) / 2, t_Bv the angle between B and V,
 *   c_s^2 = g P / rho, v_A^2 = B^2 / (mu0 rho), rho = m_p n.
 *   Boyle, Reiff & Hairston 1997, JGR 102, 111:
 *     Phi_pc = 1e-4 V^2 + 11.7 B sin^3(theta_c / 2)   [kV], V [km/s], B = |B| [nT],
 *     theta_c = the IMF clock angle atan2(By, Bz) (0 north, 180 deg south).
 *
 * The thermal pressure that sets c_s is the caller's choice: the MHD
 * convention here (and GAMERA's) is P = n k_B T; with electrons as hot as
 * the ions it is 2 n k_B T (te_over_ti = 1). For the GEM-2009 baseline the
 * bow shock is 13.56 R_E with the first and 13.67 R_E with the second.
 */
#ifndef CR_EMPIRICAL_H
#define CR_EMPIRICAL_H

/* Dynamic pressure m_p n V^2 [nPa] for n [cm^-3] and speed V [km/s]. */
double cr_emp_pdyn_npa(double n_cc, double v_kms);

/* Shue et al. 1998: subsolar stand-off r0 [R_E] and flaring alpha.
 * CR_EDOMAIN when dp <= 0 or inputs are not finite. */
int cr_emp_shue98(double bz_nt, double pdyn_npa, double *r0, double *alpha);

/* Shue et al. 1998 surface: distance [R_E] at angle theta [rad] from the
 * Sun-Earth line. */
double cr_emp_shue98_r(double r0, double alpha, double theta);

/* Fast magnetosonic speed [km/s] along the flow: n [cm^-3], thermal pressure
 * p [nPa], B [nT], V [km/s] (only its direction is used), ratio of specific
 * heats gamma. CR_EDOMAIN on n <= 0, p < 0, V = 0 or non-finite input. */
int cr_emp_fast_speed(double n_cc, double p_npa, const double b_nt[3], const double v_kms[3], double gamma,
                      double *c_kms);

/* Farris & Russell 1994: bow-shock stand-off [R_E] from the magnetopause
 * stand-off r_mp [R_E] and fast Mach number M. CR_EDOMAIN when M <= 1. */
int cr_emp_farris_russell94(double r_mp, double mach, double gamma, double *r_bs);

/* Boyle et al. 1997 cross-polar-cap potential [kV] from V [km/s] (its
 * magnitude) and the IMF B [nT] (magnitude and clock angle in the y-z plane). */
double cr_emp_boyle97_kv(const double v_kms[3], const double b_nt[3]);

/* Hill-Siscoe transpolar potential with saturation (Siscoe et al. 2002,
 * JGR 107(A6), 1075, eqs. 3-5): Phi = 57.6 E P^(1/3) F / (P^(1/2) +
 * 0.0125 xi Sigma_P E F) [kV], E = |V| B_T the solar-wind electric field
 * [mV/m] (B_T in the y-z plane), P the dynamic pressure [nPa],
 * F = sin^2(theta/2) (theta the IMF clock angle), xi = 4.45 - 1.08 log10
 * Sigma_P (Sigma_P the Pedersen conductance [S]). 0 when an input is not
 * positive and finite. */
double cr_emp_siscoe02_kv(const double v_kms[3], const double b_nt[3], double pdyn_npa, double sigma_p);

/* Everything for one upstream state. */
struct cr_emp_sw {
    double n;          /* [cm^-3] */
    double v[3];       /* [km/s] */
    double temp;       /* [K] */
    double b[3];       /* [nT] */
    double te_over_ti; /* electron to ion temperature ratio in P = n k_B T (1 + te/ti); 0 = ions only */
    double gamma;      /* ratio of specific heats; 0 -> 5/3 */
};

struct cr_emp_ref {
    double pdyn;     /* [nPa] */
    double p_th;     /* thermal pressure [nPa] */
    double r0, alpha;/* Shue 1998 [R_E], [1] */
    double c_fast;   /* fast magnetosonic speed along V [km/s] */
    double mach;     /* fast Mach number */
    double r_bs;     /* Farris & Russell 1994 [R_E] (0 when M <= 1) */
    double cpcp_kv;  /* Boyle 1997 [kV] */
};

/* CR_EDOMAIN (with out partly filled) when the state is unphysical; a
 * sub-fast-magnetosonic flow leaves r_bs = 0 and returns CR_OK. */
int cr_emp_reference(const struct cr_emp_sw *sw, struct cr_emp_ref *out);

#endif
