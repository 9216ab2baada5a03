/* cr_gradient.h — gradient distributions and the pressure-divergence budget
 * from four spacecraft (Shuster et al. 2026, Nat. Commun., eqs. 2-5; the
 * method of Shuster et al. 2019 GRL 46, 7862 and 2021 Nat. Phys. 17, 1056),
 * or the along-track derivative from two.
 *
 * For one time:
 *  1. moments of each native distribution (cr_vdf.h): n_a, U_a, P_a, T_a;
 *  2. the field-aligned frame of the mean B and mean U (cr_fac_frame:
 *     e_par along B, e_perp2 along -U x B, e_perp1 along (-U x B) x B; when
 *     U is zero or parallel to B, e_perp2 along b x x (b x y if b ~ x) and
 *     e_perp1 = e_perp2 x b, flagged);
 *  3. each f interpolated onto one common lab-frame velocity grid of nv^3
 *     cells along (e_par, e_perp1, e_perp2), cells of side 2 v_max / nv;
 *  4. grad f = sum_a k_a f_a bin by bin (reciprocal vectors, cr_tetra.h),
 *     projected onto the frame;
 *  5. the four-point terms at the barycentre: grad n; div P with
 *     (div P)_j = sum_a k_a . P_a(:, j); its split into T . grad n and
 *     n div T with T and n the means of the four (exact in the continuum,
 *     a second-order residual for the linear estimator, written); the
 *     inertial term div(m n U U); E_par ~ -(div P)_par / (n e) (eq. 4);
 *  6. the identities as diagnostics: int grad f d3v against grad n (from
 *     the native moments), and m int v_par (v . grad f) d3v against
 *     (div P + div(m n U U))_par: the first moment of v . grad f is the
 *     divergence of the whole stress m int v v f = P + m n U U; the paper's
 *     eq. 5 drops the inertial part.
 * With two spacecraft: d/ds along the separation of f, n and P instead.
 *
 * Units: positions [km], B [nT], velocities [km/s], f [s^3 cm^-6], n [cm^-3],
 * P [nPa], T [eV], gradients per km, pressure terms [nPa/km], E [mV/m].
 */
#ifndef CR_GRADIENT_H
#define CR_GRADIENT_H

#include <stddef.h>

#include "../core/cr_log.h"
#include "cr_tetra.h"
#include "cr_vdf.h"

struct cr_gradient_inp {
    int nsc;                       /* 4 (tetrahedron) or 2 (along-track pair) */
    const struct cr_vdf *vdf[4];   /* native distributions (same mass) */
    double r[4][3];                /* [km] */
    double B[4][3];                /* [nT] */
    double U[4][3];                /* [km/s] bulk velocity for the frame (have_U) */
    int have_U;                    /* 0: the moments' U */
    double charge;                 /* [e] */
    size_t nv;                     /* common grid cells per axis */
    double v_max;                  /* [km/s] half-width of the common grid (0: largest speed of the bins) */
    double min_eigen_ratio;        /* tetrahedron refusal (0: cr_tetra's default) */
    const struct cr_log *log;
};

struct cr_gradient {
    int nsc;
    size_t nv;
    double v_max, dv;              /* [km/s] grid half-width and cell side */
    double mass, charge;
    struct cr_vdf_moments mom[4];
    double B[3], U[3];             /* means used for the frame [nT, km/s] */
    double frame[3][3];            /* e_par, e_perp1, e_perp2 */
    int frame_fallback;            /* 1: U zero or along B, e_perp2 from b x x */
    double *f[4];                  /* [nv^3] on the common grid, index (i nv + j) nv + k = (par, perp1, perp2) */
    double *grad[3];               /* [nv^3] grad_par f, grad_perp1 f, grad_perp2 f; pair: grad[0] = d f / ds */
    /* tetrahedron */
    struct cr_tetra tetra;
    double elongation, planarity, size; /* size: mean inter-spacecraft distance [km] */
    double direction[3], ds;       /* pair: unit separation and its length [km] */
    /* four-point terms at the barycentre (input coordinates; pair: d/ds) */
    double n_mean, T_mean[3][3];
    double grad_n[3];              /* [cm^-3/km] (pair: [0] = dn/ds) */
    double ds_P[3][3];             /* pair: dP/ds [nPa/km] */
    double div_P[3], T_grad_n[3], n_div_T[3], div_inertia[3]; /* [nPa/km] */
    double E_par, E_par_density, E_par_temperature;            /* [mV/m] */
    /* identities */
    double int_grad_f[3];          /* [cm^-3/km] */
    double kin_stress_par, kin_stress_terms[3]; /* [nPa/km] */
    double div_stress_par;         /* [nPa/km] */
};

/* Compute everything for one time. NULL with a logged reason (a degenerate
 * tetrahedron names its eigenvalues; B = 0; mismatched masses). */
struct cr_gradient *cr_gradient_new(const struct cr_gradient_inp *inp);
void cr_gradient_release(struct cr_gradient *g);

/* Centre [km/s] of common-grid cell i along any axis. */
double cr_gradient_v(const struct cr_gradient *g, size_t i);

/* Project a vector in input coordinates onto the frame: out[c] = e_c . x. */
void cr_gradient_to_fac(const struct cr_gradient *g, const double x[3], double out[3]);

#endif
