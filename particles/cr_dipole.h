/* cr_dipole.h — charged-particle motion along and across dipole field lines:
 * mapping a point down its field line to a given radius (the collection
 * step), the travel time along the line, and the exact bounce and drift
 * periods that the tracer is verified against.
 *
 * Dipole with equatorial surface field b_e [nT], moment along -z (SM):
 *   field line r = L cos^2(lambda),  |B| = b_e sqrt(1 + 3 sin^2 lambda) / r^3,
 *   ds = L cos(lambda) sqrt(1 + 3 sin^2 lambda) dlambda   (lengths in R_E).
 * Bounce period (Schulz & Lanzerotti 1974, "Particle Diffusion in the
 * Radiation Belts", sec. I.3, eq. 1.28-1.30; Hamlin et al. 1961, JGR 66, 1):
 *   tau_b = (4 L R_E / v) T(y),  y = sin(alpha_eq),
 *   T(y) = int_0^{lambda_m} cos l sqrt(1+3 sin^2 l) / sqrt(1 - B(l)/B_m) dl.
 * Bounce-averaged drift (grad-B + curvature, vacuum field): the local angular
 * drift rate of a guiding centre is
 *   dphi/dt = -(3 L p v / (q b_e R_E^2)) cos^2 l (1 + sin^2 l) (1 + 3 sin^2 l)^-2 (1 - B/(2 B_m)),
 * averaged with the weight ds/v_par; the common approximations are
 *   T(y) ~ 1.3802 - 0.3198 (y + sqrt(y))   (Schulz & Lanzerotti eq. 1.31),
 *   tau_d ~ 2 pi q b_e R_E^2 / (3 L p v (0.35 + 0.15 y))   (Hamlin et al. 1961).
 * The exact integrals are evaluated with GSL adaptive quadrature (QAG after
 * the substitution lambda = lambda_m sin(phi), which removes the
 * inverse-square-root singularity at the mirror point). The quadratures
 * report failures as status codes: GSL's default error handler (which aborts)
 * must be off, as cr_push_new() leaves it (gsl_set_error_handler_off is
 * global, so it is set once there, outside any parallel region).
 */
#ifndef CR_DIPOLE_H
#define CR_DIPOLE_H

/* Where a point's dipole field line meets the sphere r = r_to. */
struct cr_dipole_map {
    double L;        /* equatorial crossing distance of the field line [R_E] */
    double lat_from; /* magnetic latitude of the start point [rad] (sign = hemisphere) */
    double lat_to;   /* magnetic latitude at r_to [rad], same hemisphere */
    double x_to[3];  /* the point at r_to [R_E], same magnetic longitude */
    double b_from, b_to; /* dipole |B| at both points [nT] */
};

/* Map x [R_E] along its dipole field line to radius r_to (< |x|).
 * CR_EDOMAIN when the line does not reach r_to (L < r_to) or x = 0. */
int cr_dipole_map_down(double b_e, const double x[3], double r_to, struct cr_dipole_map *m);

/* Dipole |B| [nT] at radius r [R_E] and magnetic latitude lat [rad]. */
double cr_dipole_bmag(double b_e, double r, double lat);

/* Arc length [R_E] along the field line L between latitudes lat1 and lat2
 * (same hemisphere, closed form). */
double cr_dipole_arc_length(double L, double lat1, double lat2);

/* Time [s] to move along the field line L from latitude |lat_from| to
 * |lat_to| (|lat_to| > |lat_from|, towards the Earth) at speed v [km/s],
 * with sin^2(alpha) = s2_from at the start, conserving the magnetic moment:
 * v_par = v sqrt(1 - s2_from B/B_from). CR_EDOMAIN if the particle mirrors
 * before lat_to. */
int cr_dipole_travel_time(double L, double lat_from, double lat_to, double v_kms, double s2_from, double *t);

/* Mirror latitude [rad] of equatorial pitch angle alpha_eq [rad]. */
double cr_dipole_mirror_lat(double alpha_eq);

/* T(y) and the drift integral ratio D(y) = <dphi/dt> / (3 L p v / (q b_e R_E^2))
 * (exact; y = sin alpha_eq in (0, 1]). */
double cr_dipole_T(double y);
double cr_dipole_drift_ratio(double y);

/* Exact periods [s] for kinetic energy [eV], rest energy mc2 [eV], charge
 * [e], L [R_E], equatorial pitch angle [rad], b_e [nT]. */
double cr_dipole_bounce_period(double energy_ev, double mc2_ev, double L, double alpha_eq);
double cr_dipole_drift_period(double energy_ev, double mc2_ev, double charge, double L, double alpha_eq,
                              double b_e);

/* The approximations quoted above (same arguments). */
double cr_dipole_bounce_period_approx(double energy_ev, double mc2_ev, double L, double alpha_eq);
double cr_dipole_drift_period_approx(double energy_ev, double mc2_ev, double charge, double L, double alpha_eq,
                                     double b_e);

#endif
