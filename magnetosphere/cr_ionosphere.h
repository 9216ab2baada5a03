/* cr_ionosphere.h — electrostatic ionosphere for the MHD inner boundary:
 * field-aligned current in, potential and E x B drift out.
 *
 * A thin spherical shell at r_iono = R_E + altitude carries height-integrated
 * Pedersen and Hall conductances. Field-aligned current (FAC) reaching it
 * closes through horizontal currents; current continuity gives the potential
 * equation (Wolf 1983; Merkin & Lyon 2010, JGR 115, A10202):
 *
 *     div_perp( Sigma . grad Phi ) = J_up sin(I)                        (1)
 *
 * SIGN CONVENTION: J_up is the field-aligned current density at the
 * ionosphere, positive when it flows UPWARD (away from the Earth, out of the
 * ionosphere) in both hemispheres; negative = downward, into the ionosphere.
 * With E = -grad Phi and K = Sigma . E the height-integrated current,
 * div K = -j_r (the radial current that leaves through the top), so (1) holds
 * with j_r = J_up sin(I) and no minus sign. Downward FAC is a source of
 * horizontal current and a local maximum of Phi: with Region-1 currents
 * (down at dawn, up at dusk) the dawn cell is positive and the dusk cell
 * negative. The MHD side converts J . b (b = B/|B|) with cr_iono_fac_up().
 *
 * Conductance tensor in the (polar angle from the hemisphere's own pole, phi)
 * frame for a dipole field with dip angle I, sin I = 2|cos t|/sqrt(1+3cos^2 t)
 * (parallel conductance taken infinite; Wolf 1983; Ridley et al. 2004, Ann.
 * Geophys. 22, 567):
 *     Sigma_aa = Sigma_P / sin^2 I,  Sigma_af = Sigma_H / sin I,
 *     Sigma_fa = -Sigma_H / sin I,   Sigma_ff = Sigma_P.
 * Written in each hemisphere's own-pole colatitude a (a = theta in the north,
 * pi - theta in the south) the operator is the same in both hemispheres (the
 * Hall sign flip of the field direction and the flip of the coordinate
 * handedness cancel). With `dip = 0` the field is taken vertical: sin I = 1.
 *
 * Grid: per hemisphere, nodes at a_i = i da (i = 0 .. N), phi_j = 2 pi j /
 * nphi (j = 0 .. nphi-1, periodic; phi = atan2(y, x) in SM, so phi = 0 is noon,
 * MLT = 12 + phi [h]). a_N is the footpoint of the MHD inner boundary's
 * equator mapped along the dipole: sin^2 a_N = r_iono / r_inner. N is chosen
 * so that da is closest to the requested step. Boundary conditions: Phi = 0 on
 * the low-latitude edge i = N; the pole i = 0 is ONE node (a single polar-cap
 * unknown whose control volume is the cap a < da/2). Finite volumes around
 * each node; face fluxes with centred differences (second order; the cross
 * terms of the Hall tensor averaged over the four neighbouring nodes). The
 * non-symmetric sparse system is assembled as a gsl_spmatrix, compressed to
 * CSR and row-scaled by its diagonal. The lat-lon grid is strongly
 * anisotropic near the pole (ring circumference ~ da), so unpreconditioned
 * GMRES (gsl_splinalg_itersolve_gmres, which takes no preconditioner) needs
 * thousands of iterations on a 1 deg grid. The same discrete operator with
 * ring-averaged conductances is invariant under phi shifts, so a discrete
 * Fourier transform in phi splits it into one tridiagonal system per mode:
 * a direct solve, exact for conductances uniform along rings. The solve
 * starts from the better (smaller residual) of the previous potential and
 * that direct solution (weighted by (<Sigma_P>_ring / Sigma_P)^(1/2) on both
 * sides), and runs a restarted GMRES right-preconditioned by the same
 * weighted direct solve (Saad 2003, sec. 9.3.2); GSL's GMRES is the fallback
 * when it stagnates (magnetosphere/README.md, "Solver").
 *
 * Mapping (dipole field lines, sin^2(theta)/r constant):
 *   footpoint: sin^2 a_iono = (r_iono / r) sin^2 theta;
 *   FAC:       J_iono = J_b B(r_iono, a_iono) / B(r_b, theta_b) (the current in
 *              a flux tube is conserved and the tube's cross-section ~ 1/B);
 *   potential: constant along field lines, so Phi_b(x) = Phi(a_iono(x), phi)
 *              and E_b = -grad Phi_b is perpendicular to the dipole B exactly;
 *   drift:     v = E x B / B^2 with the dipole B at the point.
 * Optional corotation potential (Earth's rotation axis = dipole axis at zero
 * tilt): Phi_cor = -Omega B_E R_E^3 sin^2(theta) / r, whose drift is Omega x r.
 *
 * Units: positions in R_E (SM), B in nT, v in km/s; inside and at the array
 * accessors SI: Phi in V, J in A/m^2, Sigma in S. Not thread-safe to solve
 * while another thread evaluates drifts; evaluation alone is thread-safe.
 */
#ifndef CR_IONOSPHERE_H
#define CR_IONOSPHERE_H

#include <hdf5.h>

#include "../core/cr_config.h"
#include "../core/cr_log.h"

enum { CR_IONO_NORTH = 0, CR_IONO_SOUTH = 1 };

struct cr_iono_inp {
    double r_inner;      /* MHD inner boundary radius [R_E] (> r_iono); 0 -> 2 */
    double altitude_km;  /* ionosphere altitude above R_E [km]; 0 -> 110 */
    double b_e;          /* dipole equatorial surface field [nT]; 0 -> 30000 */
    double dtheta_deg;   /* requested colatitude step [deg]; 0 -> 1 */
    int nphi;            /* longitude cells (periodic); 0 -> 360 */
    double sigma_p;      /* uniform Pedersen conductance [S]; 0 -> 10 */
    double sigma_h;      /* uniform Hall conductance [S] (0 = none) */
    int vertical_field;  /* 1: take sin I = 1 (no dip tensor); 0: dipole dip angle */
    int corotation;      /* 1: add the corotation potential to Phi and the drift */
    int no_outflow;      /* 1: cr_iono_drift() removes an outward radial drift component */
    double tol;          /* GMRES relative residual ||Ax-b||/||b||; 0 -> 1e-9 */
    double tol_stall;    /* relative residual accepted when the preconditioned GMRES stagnates
                            (a cycle gains less than a factor 2); 0 -> 1e-6 (at least tol) */
    int krylov;          /* GMRES restart length; 0 -> 60 */
    int max_restarts;    /* GMRES restarts before giving up; 0 -> 2000 */
    int gmres_only;      /* 1: start GMRES from the previous potential only, without the
                            ring-averaged direct solution as a candidate (tests, benchmarks) */
    const struct cr_log *log;
};

/* Fill inp from the [ionosphere] configuration section (leaves r_inner, b_e
 * and log to the caller). */
void cr_iono_inp_from_config(const struct cr_config *cfg, struct cr_iono_inp *inp);

/* Schema of the [ionosphere] section. */
extern const struct cr_key cr_ionosphere_keys[];

struct cr_iono;

/* New ionosphere (potential 0, FAC 0, uniform conductances). NULL on bad
 * input (logged) or allocation failure. */
struct cr_iono *cr_iono_new(const struct cr_iono_inp *inp);
void cr_iono_release(struct cr_iono *io);

/* Grid: ntheta = N + 1 node rows from the pole (i = 0) to the low-latitude
 * edge (i = N); nphi columns. Node (i, j) of an array is [i * nphi + j]. */
int cr_iono_ntheta(const struct cr_iono *io);
int cr_iono_nphi(const struct cr_iono *io);
double cr_iono_dtheta(const struct cr_iono *io);   /* [rad] */
double cr_iono_theta_max(const struct cr_iono *io); /* own-pole colatitude of the edge [rad] */
double cr_iono_r_iono(const struct cr_iono *io);   /* [R_E] */
double cr_iono_r_inner(const struct cr_iono *io);  /* [R_E] */
/* Own-pole colatitude a_i [rad], longitude phi_j [rad], MLat [deg] (north
 * positive), MLT [h]. */
double cr_iono_alpha(const struct cr_iono *io, int i);
double cr_iono_phi(const struct cr_iono *io, int j);
double cr_iono_mlat(const struct cr_iono *io, int hemi, int i);
double cr_iono_mlt(const struct cr_iono *io, int j);
/* SM position [R_E] of node (i, j) on the ionosphere shell. */
void cr_iono_node_position(const struct cr_iono *io, int hemi, int i, int j, double x[3]);

/* Dip factor sin I at own-pole colatitude a on the shell (1 with vertical_field). */
double cr_iono_sin_dip(const struct cr_iono *io, double a);

/* Footpoint of x [R_E] on the ionosphere along the dipole: hemisphere
 * (z >= 0 north), own-pole colatitude a [rad], longitude phi [rad].
 * CR_EDOMAIN when x is at the origin or on the axis-free equator r < r_iono. */
int cr_iono_footpoint(const struct cr_iono *io, const double x[3], int *hemi, double *a, double *phi);

/* Point where the dipole field line through node (i, j) crosses the sphere
 * of radius r [R_E] (>= r_iono). CR_EDOMAIN when that field line stays inside
 * r (sin^2 a_i r / r_iono > 1). */
int cr_iono_node_at_radius(const struct cr_iono *io, int hemi, int i, int j, double r, double x[3]);

/* B_iono / B(x): the factor that maps FAC from x (on its field line) to the
 * ionospheric footpoint (flux-tube conservation). */
double cr_iono_fac_scale(const struct cr_iono *io, const double x[3]);

/* Upward FAC from a current J and field B (any units, J's unit returned) at
 * position x: J . b signed so that it is positive away from the Earth
 * (J_up = (J . b) sign(B . x)); 0 where B . x = 0. */
double cr_iono_fac_up(const double J[3], const double B[3], const double x[3]);

/* Set the ionospheric FAC [A/m^2, upward positive] of a hemisphere, one value
 * per node ([i * nphi + j]; row i = N is ignored: it lies on the boundary). */
int cr_iono_set_fac(struct cr_iono *io, int hemi, const double *j_up);

/* Set it from values at the points where each node's field line crosses the
 * sphere r_b (see cr_iono_node_at_radius); j_b [A/m^2, upward positive] is
 * scaled by B_iono/B_b. Nodes whose field line does not reach r_b take 0. */
int cr_iono_set_fac_from_radius(struct cr_iono *io, int hemi, double r_b, const double *j_b);

/* Replace the uniform conductances by per-node values [S] (NULL keeps). */
int cr_iono_set_conductance(struct cr_iono *io, int hemi, const double *sigma_p, const double *sigma_h);

/* Solve (1) in both hemispheres. CR_ENUMERIC when GMRES does not reach the
 * tolerance (the best iterate is kept; the message gives the residual). */
int cr_iono_solve(struct cr_iono *io);

/* Iterations of the last solve and its relative residual, per hemisphere. */
int cr_iono_last_iterations(const struct cr_iono *io, int hemi);
double cr_iono_last_residual(const struct cr_iono *io, int hemi);

/* Set the convective potential directly [V] (tests; external models). */
int cr_iono_set_potential(struct cr_iono *io, int hemi, const double *phi);

/* Arrays of ntheta * nphi values (SI). The potential is the solved
 * (convective) part, without corotation. */
const double *cr_iono_potential(const struct cr_iono *io, int hemi); /* [V] */
const double *cr_iono_fac(const struct cr_iono *io, int hemi);       /* [A/m^2], upward positive */
const double *cr_iono_sigma_p(const struct cr_iono *io, int hemi);   /* [S] */
const double *cr_iono_sigma_h(const struct cr_iono *io, int hemi);   /* [S] */

/* Cross-polar-cap potential max(Phi) - min(Phi) of the convective potential [V]. */
double cr_iono_cpcp(const struct cr_iono *io, int hemi);

/* Potential at x [R_E] mapped along the dipole [V] (convective plus corotation
 * when enabled); 0 beyond the low-latitude edge. */
double cr_iono_potential_at(const struct cr_iono *io, const double x[3]);

/* Electric field [mV/m] and E x B / B^2 drift [km/s] at x [R_E] (any radius
 * >= r_iono; used on the MHD inner boundary) from the mapped potential. The
 * drift is perpendicular to the dipole field to round-off; with no_outflow an
 * outward radial component is removed (v_r <- min(v_r, 0)), which is the only
 * case where v . B may differ from 0. Zero beyond the low-latitude edge.
 * CR_EDOMAIN at the origin. */
int cr_iono_drift(const struct cr_iono *io, const double x[3], double E[3], double v[3]);

/* Write the ionosphere into an HDF5 group: `mlat` (2, ntheta) [deg],
 * `mlt` (nphi) [h], `Potential` (2, ntheta, nphi) [kV], `FAC` [uA/m^2,
 * upward positive], `SigmaP`, `SigmaH` [S]; attributes `cpcp_north`,
 * `cpcp_south` [kV], `r_iono` [R_E], `r_inner` [R_E], `fac_sign`. */
int cr_iono_write_h5(const struct cr_iono *io, hid_t loc, const struct cr_log *log);

#endif
