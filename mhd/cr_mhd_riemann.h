/* cr_mhd_riemann.h — one-dimensional ideal-MHD Riemann solvers (HLLD, HLLE)
 * working on rows of faces, in each face's own orthonormal frame (n, t1, t2).
 *
 * Inputs are primitive left/right states per face (structure of arrays):
 *   rho, vn, vt1, vt2, p, bt1, bt2   and the common normal field bn,
 * where the field is the TOTAL field (background + evolved part) and mu0 = 1
 * (code units: B is measured in units where the magnetic pressure is B^2/2).
 * Outputs are the fluxes per unit area through the face:
 *   mass, normal momentum, two tangential momenta, total energy, and the
 *   induction fluxes of bt1 and bt2 (Bt vn - Bn vt).
 * The induction fluxes give the tangential electric field at the face:
 *   E.t1 = F(bt2),  E.t2 = -F(bt1)   (E = -v x B).
 *
 * Methods:
 *  - HLLD: Miyoshi & Kusano (2005, J. Comput. Phys. 208, 315), eqs. (38)-(66),
 *    with the signal speeds of their eq. (67).
 *  - HLLE: Harten, Lax & van Leer (1983) with Einfeldt (1988) speeds: the
 *    extreme of the Roe-averaged fast speeds (Cargo & Gallice 1997 averages,
 *    as written in Stone et al. 2008, ApJS 178, 137, eqs. B17-B18) and of the
 *    outer states' fast speeds.
 *  - Boris correction (Gombosi et al. 2002, J. Comput. Phys. 177, 176): when
 *    inv_c2 = 1/c^2 > 0, the fast speeds are those of the simplified
 *    semi-relativistic system (see cr_mhd_cfast_boris) and the HLLE flux is
 *    used (HLLD's intermediate states assume the full Alfven speed).
 *
 * The loops are written for the compiler to vectorise along the row.
 */
#ifndef CR_MHD_RIEMANN_H
#define CR_MHD_RIEMANN_H

#include <math.h>

/* Indices of the face-frame primitive state and of the flux. */
enum {
    CR_MHD_RS_RHO = 0, /* density            | mass flux */
    CR_MHD_RS_VN,      /* normal velocity    | normal momentum flux */
    CR_MHD_RS_VT1,     /* tangential vel. 1  | momentum flux along t1 */
    CR_MHD_RS_VT2,     /* tangential vel. 2  | momentum flux along t2 */
    CR_MHD_RS_P,       /* gas pressure       | total energy flux */
    CR_MHD_RS_BT1,     /* tangential B 1     | induction flux of bt1 */
    CR_MHD_RS_BT2,     /* tangential B 2     | induction flux of bt2 */
    CR_MHD_RS_NVAR
};

enum cr_mhd_riemann_kind { CR_MHD_HLLD = 0, CR_MHD_HLLE = 1 };

/* A row of n faces: pointers to n-long arrays. */
struct cr_mhd_rs_row {
    int n;
    const double *wl[CR_MHD_RS_NVAR]; /* left states (cell on the low side) */
    const double *wr[CR_MHD_RS_NVAR]; /* right states */
    const double *bn;                 /* normal field */
    const double *ic2;                /* optional 1/c_Boris^2 per face (NULL: par->inv_c2 on every face) */
    double *flux[CR_MHD_RS_NVAR];     /* fluxes per unit area */
    double *fluxj[3];                 /* with fluxm: the dissipation of S/c^2 alone (n, t1, t2) */
    double *fluxm[3];                 /* optional (NULL: not wanted; HLLE only): the magnetic part of the
                                       * momentum flux (n, t1, t2) in flux[1..3], Maxwell stress and the
                                       * dissipation of the Poynting momentum S/c^2 */
};

struct cr_mhd_rs_par {
    double gamma;   /* ratio of specific heats */
    double inv_c2;  /* 1/c_Boris^2 (0: no Boris correction) */
};

/* Solve every face of the row with the chosen method (HLLD falls back to
 * HLLE when the Boris correction is on). */
void cr_mhd_riemann(enum cr_mhd_riemann_kind kind, const struct cr_mhd_rs_par *par, const struct cr_mhd_rs_row *row);

/* Single-face versions (tests, boundary code). w = {rho, vn, vt1, vt2, p, bt1, bt2}. */
void cr_mhd_hlld_1(double gamma, const double wl[CR_MHD_RS_NVAR], const double wr[CR_MHD_RS_NVAR], double bn,
                   double f[CR_MHD_RS_NVAR]);
void cr_mhd_hlle_1(double gamma, double inv_c2, const double wl[CR_MHD_RS_NVAR], const double wr[CR_MHD_RS_NVAR],
                   double bn, double f[CR_MHD_RS_NVAR]);

/* Exact (physical) flux of one state along the normal. */
void cr_mhd_phys_flux(double gamma, const double w[CR_MHD_RS_NVAR], double bn, double f[CR_MHD_RS_NVAR]);

/* Fast magnetosonic speed along a direction: rho, p, the field component
 * along it (bn) and the squared magnitude of the field (b2). */
static inline double cr_mhd_cfast(double gamma, double rho, double p, double bn, double b2)
{
    double a2 = gamma * p / rho;
    double s = a2 + b2 / rho;
    double d = s * s - 4.0 * a2 * bn * bn / rho;
    return sqrt(0.5 * (s + sqrt(d > 0.0 ? d : 0.0)));
}

/* Fast speed of the simplified semi-relativistic (Boris) system: with
 * alpha = vA^2/c^2, a^2 = gamma p/rho, vA^2 = B^2/rho, vAn^2 = Bn^2/rho,
 * cos^2 = Bn^2/B^2:
 *   cf^2 = [T + sqrt(T^2 - 4 a^2 vAn^2 (1+alpha))] / (2 (1+alpha)),
 *   T = a^2 (1 + alpha cos^2) + vA^2.
 * Derived from the linearised system in which the momentum change across B
 * is divided by (1 + vA^2/c^2) (Gombosi et al. 2002, section 5); it reduces
 * to the MHD fast speed for c -> infinity and gives vA/sqrt(1+vA^2/c^2) for
 * the Alfven wave along B. */
static inline double cr_mhd_cfast_boris(double gamma, double inv_c2, double rho, double p, double bn, double b2)
{
    double a2 = gamma * p / rho;
    double va2 = b2 / rho;
    double alpha = va2 * inv_c2;
    double cos2 = b2 > 0.0 ? bn * bn / b2 : 0.0;
    double t = a2 * (1.0 + alpha * cos2) + va2;
    double d = t * t - 4.0 * a2 * (bn * bn / rho) * (1.0 + alpha);
    return sqrt((t + sqrt(d > 0.0 ? d : 0.0)) / (2.0 * (1.0 + alpha)));
}

#endif
