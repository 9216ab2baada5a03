/* cr_tetra.h — four-spacecraft gradients: reciprocal vectors of a
 * tetrahedron and linear gradients of anything measured at its vertices,
 * including velocity distributions bin by bin (Shuster et al. 2026).
 *
 * Reciprocal vectors (Chanteur 1998, ISSI SR-001 ch. 14, eq. 14.7; Harvey
 * 1998, ch. 12): with the volumetric tensor
 *   R = (1/4) sum_a (r_a - r_m)(r_a - r_m)^T,   r_m = (1/4) sum_a r_a,
 *   k_a = (1/4) R^-1 (r_a - r_m),
 * equivalent to k_a = (r_bg x r_bl) / (r_ba . (r_bg x r_bl)) for (a,b,g,l)
 * cyclic. They satisfy sum_a k_a = 0 and sum_a k_a (r_a - r_m)^T = I, so the
 * linear estimate grad f = sum_a k_a f_a is exact for linear fields.
 * A planar (or collinear) tetrahedron makes R singular: refused (CR_EDOMAIN).
 */
#ifndef CR_TETRA_H
#define CR_TETRA_H

#include <stddef.h>

#include "../core/cr_log.h"

struct cr_tetra_inp {
    double r[4][3];          /* vertex positions (any length unit L) */
    double min_eigen_ratio;  /* refuse when the smallest/largest eigenvalue of R is below this (0: 1e-6) */
    const struct cr_log *log;
};

/* A small value type: fill with cr_tetra_init. */
struct cr_tetra {
    double r[4][3];          /* positions [L] */
    double r_mean[3];        /* barycentre [L] */
    double k[4][3];          /* reciprocal vectors [1/L] */
    double eig[3];           /* eigenvalues of R, descending [L^2] */
};

/* Reciprocal vectors of the tetrahedron. CR_EDOMAIN (message logged) when it
 * is planar, collinear or degenerate by the eigenvalue criterion. */
int cr_tetra_init(struct cr_tetra *t, const struct cr_tetra_inp *inp);

/* Shape of the tetrahedron from the eigenvalues l1 >= l2 >= l3 of R
 * (Robert et al. 1998, ISSI SR-001 ch. 13): elongation E = 1 - sqrt(l2/l1),
 * planarity P = 1 - sqrt(l3/l2); both 0 for a regular tetrahedron. */
void cr_tetra_quality(const struct cr_tetra *t, double *elongation, double *planarity);

/* grad f = sum_a k_a f_a [unit of f / L]. */
void cr_tetra_gradient(const struct cr_tetra *t, const double f[4], double grad[3]);

/* Gradient of velocity distributions given on a common velocity grid of nv
 * bins in a common frame (regrid first): f[a][j] is spacecraft a's value in
 * bin j; grad[3 j + d] receives component d of the gradient in bin j. */
void cr_tetra_gradient_vdf(const struct cr_tetra *t, size_t nv, const double *const f[4], double *grad);

/* Parallel gradient distribution b . grad f(v_j) with b the unit vector of
 * b_dir (e.g. the magnetic field at the barycentre). CR_EDOMAIN for b = 0. */
int cr_tetra_parallel_gradient_vdf(const struct cr_tetra *t, size_t nv, const double *const f[4],
                                   const double b_dir[3], double *out);

/* Field-aligned frame (Shuster et al. 2026): e_par along B, e_perp2 along
 * -U x B, e_perp1 along (-U x B) x B. CR_EDOMAIN when B = 0 or U is parallel
 * to B (the frame is undefined). */
int cr_fac_frame(const double B[3], const double U[3], double e_par[3], double e_perp1[3], double e_perp2[3]);

#endif
