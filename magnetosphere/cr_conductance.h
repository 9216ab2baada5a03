/* cr_conductance.h — height-integrated Pedersen and Hall conductance of the
 * magnetosphere's ionosphere from solar EUV and from electron precipitation
 * derived from the MHD, per ionosphere node and hemisphere (the conductance
 * that cr_iono_set_conductance takes).
 *
 * EUV photoionisation (Moen & Brekke 1993, GRL 20, 971, their fits for
 * solar zenith angle chi < 90 deg; F10.7 in sfu, Sigma in S):
 *     Sigma_P = F10.7^0.49 (0.34 cos chi + 0.93 sqrt(cos chi))
 *     Sigma_H = F10.7^0.53 (0.81 cos chi + 0.54 sqrt(cos chi))
 * The fits go to 0 at the terminator (continuous, no step); beyond it
 * (cos chi <= 0) the EUV part is 0 and the floor below holds, as in REMIX
 * (Wiltberger et al. 2009, JGR 114, A01204; Merkin & Lyon 2010, JGR 115,
 * A10202). Zero dipole tilt in SM: the Sun lies along +x, so cos chi of a
 * node at x on the shell is x[0] / |x|.
 *
 * Precipitation (Fedder et al. 1995, JGR 100, 19083, with the Knight-type
 * acceleration of REMIX, Wiltberger et al. 2009). From the MHD density n
 * [cm^-3] and pressure P [nPa] where the node's dipole field line crosses
 * the FAC sampling shell (cr_msphere.h), and the upward field-aligned
 * current J_up [A/m^2] at the node:
 *     thermal energy  E0  = alpha m_p c_s^2 = alpha gamma P / n      (1)
 *     thermal flux    F0  = beta n sqrt(E0 / m_p)                     (2)
 *     potential drop  dE  = K (J_up / (e n)) sqrt(m_p E0) for J_up > 0,
 *                     capped at dE_max; dE = 0 for J_up <= 0          (3)
 *     number flux     F   = F0 [x - (x - 1) exp(-dE / ((x - 1) E0))] (4)
 *     mean energy     E   = E0 + dE,  energy flux Phi_E = E F          (5)
 * (2)-(3) in SI inside; (4) is Knight's (1973, Planet. Space Sci. 21, 741)
 * current-voltage relation for a mirror ratio x (Fridman & Lemaire 1980,
 * JGR 85, 664), linear in dE for small dE and saturating at x F0. Defaults
 * (alpha 1.0332, beta 0.4362, x = 8, dE_max 20 keV, K = 1) are those of
 * REMIX (its K is the product of its R and outward resistance, 1.003). The
 * plasma is protons (m = m_p); REMIX's helium mass correction is not
 * applied. Downward current does not decelerate the thermal flux here.
 * Conductances from E [keV] and Phi_E [erg cm^-2 s^-1] (Robinson et al.
 * 1987, JGR 92, 2565):
 *     Sigma_P = 40 E sqrt(Phi_E) / (16 + E^2),  Sigma_H = 0.45 E^0.85 Sigma_P.
 *
 * Total (REMIX's combination): Sigma = sqrt(Sigma_EUV^2 + Sigma_prec^2) for
 * Pedersen and Hall separately, then Sigma_P >= floor_p and Sigma_H >=
 * floor_h (the night-side background: starlight, recombination remnants),
 * and Sigma_H <= hall_ratio Sigma_P (REMIX's cap, default 3: Robinson's
 * ratio reaches ~6 at 20 keV, and such contrasts along a ring make the
 * potential solve stagnate).
 */
#ifndef CR_CONDUCTANCE_H
#define CR_CONDUCTANCE_H

#include "../core/cr_config.h"
#include "../core/cr_log.h"
#include "cr_ionosphere.h"

struct cr_conductance_inp {
    double f107;     /* [sfu] when the driver gives none; 0 -> 100 */
    double floor_p;  /* Pedersen floor [S] (> 0); 0 -> 2 */
    double floor_h;  /* Hall floor [S] (>= 0) */
    double hall_ratio; /* cap on Sigma_H / Sigma_P; 0 -> 3 */
    double alpha;    /* (1) thermal energy factor; 0 -> 1.0332 */
    double beta;     /* (2) thermal flux factor; 0 -> 0.4362 */
    double knight;   /* (3) K (> 0); 0 -> 1 */
    double mirror;   /* (4) mirror ratio x (> 1); 0 -> 8 */
    double de_max;   /* (3) cap on the potential drop [keV] (> 0); 0 -> 20 */
    double gamma;    /* ratio of specific heats of the MHD; 0 -> 5/3 */
    double precip_r; /* radius of the source plasma along the field line [R_E] (the magnetosphere's; 0: FAC shell) */
    const struct cr_log *log;
};

/* Fill inp from the [ionosphere] section (gamma and log left to the caller). */
void cr_conductance_inp_from_config(const struct cr_config *cfg, struct cr_conductance_inp *inp);

/* The model keys of the [ionosphere] section (`conductance`, f107, floors,
 * precipitation parameters). */
extern const struct cr_key cr_conductance_keys[];

/* 1 when [ionosphere] conductance = model, 0 for uniform. */
int cr_conductance_is_model(const struct cr_config *cfg);

struct cr_conductance;

struct cr_conductance *cr_conductance_new(const struct cr_conductance_inp *inp);
void cr_conductance_release(struct cr_conductance *c);

/* The F10.7 used when the driver gives none [sfu]. */
double cr_conductance_f107_default(const struct cr_conductance *c);

/* Moen & Brekke EUV conductances [S] at cos chi (0 for cos chi <= 0). */
void cr_conductance_euv(double cos_chi, double f107, double *sigma_p, double *sigma_h);

/* Precipitating electrons from n [cm^-3], P [nPa], J_up [A/m^2] by (1)-(5):
 * mean energy [keV] and energy flux [erg cm^-2 s^-1]; both 0 where n or P
 * is not positive and finite. dE [keV] of (3) in *de (may be NULL). */
void cr_conductance_precip(const struct cr_conductance *c, double n_cc, double p_npa, double j_up, double *e_kev,
                           double *eflux, double *de);

/* Robinson et al. conductances [S] from mean energy [keV] and energy flux
 * [erg cm^-2 s^-1] (0 where either is not positive). */
void cr_conductance_robinson(double e_kev, double eflux, double *sigma_p, double *sigma_h);

/* Conductances of every node of hemisphere `hemi` of io: EUV at F10.7
 * `f107` [sfu], precipitation from n_cc [cm^-3] and p_npa [nPa] per node
 * ([i * nphi + j]; n <= 0 where the node's field line has no MHD value) and
 * io's current FAC, combined and floored. sigma_p, sigma_h: ntheta * nphi
 * values [S]. CR_EDOMAIN for a bad hemisphere or F10.7. */
int cr_conductance_compute(const struct cr_conductance *c, const struct cr_iono *io, int hemi, double f107,
                           const double *n_cc, const double *p_npa, double *sigma_p, double *sigma_h);

#endif
