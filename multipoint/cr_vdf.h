/* cr_vdf.h — one velocity distribution function as an instrument or a
 * simulation delivers it: phase-space density on energy x polar x azimuth
 * bins (MMS FPI, TRACERS ACI) or on a uniform Cartesian velocity grid (PIC);
 * its velocity moments, its value anywhere in velocity space (for regridding
 * onto the common field-aligned grid of Shuster et al. 2026), and the bins'
 * velocity-space volumes.
 *
 * Units: energy [eV], angles [deg], velocities [km/s], f [s^3 cm^-6],
 * density [cm^-3], pressure [nPa], temperature [eV].
 *
 * Spherical bins (i energy, j polar, k azimuth): centre speed
 * v_i = sqrt(2 e E_i / m); polar angle theta_j of the particle velocity from
 * +z, azimuth phi_k from +x towards +y. A bin's volume is exact,
 *   dV = (v_hi^3 - v_lo^3)/3 (cos theta_lo - cos theta_hi) (phi_hi - phi_lo),
 * and the moments use f and v at the bin centre (midpoint rule in each
 * coordinate; error second order in the bin widths), as instrument moments
 * are formed (e.g. MMS FPI, Pollock et al. 2016).
 */
#ifndef CR_VDF_H
#define CR_VDF_H

#include <stddef.h>

#include "../core/cr_log.h"

enum cr_vdf_grid { CR_VDF_SPHERICAL = 0, CR_VDF_CARTESIAN = 1 };

struct cr_vdf {
    enum cr_vdf_grid grid;
    size_t n[3];       /* spherical: energy, polar, azimuth; cartesian: vx, vy, vz */
    double *c[3];      /* bin centres: E [eV], polar [deg], azimuth [deg]; or vx, vy, vz [km/s] */
    double *lo[3];     /* lower bin edges, same units */
    double *hi[3];     /* upper bin edges */
    double *f;         /* [s^3 cm^-6], index (i n[1] + j) n[2] + k */
    double mass;       /* [kg] */
};

/* Velocity moments. */
struct cr_vdf_moments {
    double n;          /* [cm^-3] */
    double U[3];       /* [km/s] */
    double P[3][3];    /* [nPa] pressure tensor m int (v-U)(v-U) f d3v */
    double T[3][3];    /* [eV] P / n */
};

/* A distribution with zeroed centres, edges and f. NULL on failure. */
struct cr_vdf *cr_vdf_new(enum cr_vdf_grid grid, size_t n0, size_t n1, size_t n2, double mass);
void cr_vdf_release(struct cr_vdf *v);

/* An instrument-like spherical grid (MMS FPI style): ne channels spaced
 * logarithmically from e_min to e_max [eV] (centres), np polar bins of equal
 * width over [0, 180] deg, na azimuth bins of equal width over [0, 360);
 * edges by cr_vdf_default_edges. NULL on failure. */
struct cr_vdf *cr_vdf_new_instrument(size_t ne, double e_min, double e_max, size_t np, size_t na, double mass);

/* A uniform Cartesian grid of n^3 cells covering [-v_max, v_max]^3 [km/s]. */
struct cr_vdf *cr_vdf_new_cartesian(size_t n, double v_max, double mass);

/* Fill f with fn(velocity [km/s], ctx) at every bin centre. */
void cr_vdf_fill(struct cr_vdf *v, double (*fn)(const double vel[3], void *ctx), void *ctx);

/* Edges from the centres: energy geometric midpoints (the end channels
 * symmetric in log E), polar midpoints clipped to [0, 180], azimuth
 * midpoints (periodic), Cartesian midpoints (the end bins symmetric). */
void cr_vdf_default_edges(struct cr_vdf *v);

/* Checks of centres and edges: finite, increasing, energies > 0, polar in
 * [0, 180], azimuth spanning at most one turn, uniform Cartesian spacing.
 * CR_ECONFIG with a message naming `what` (e.g. "file.nc, spacecraft 2"). */
int cr_vdf_check(const struct cr_vdf *v, const char *what, const struct cr_log *log);

/* Speed [km/s] of kinetic energy E [eV] for mass m [kg], and back. */
double cr_vdf_speed(double e_ev, double mass);
double cr_vdf_energy(double v_kms, double mass);

/* Velocity-space volume [(km/s)^3] and centre velocity [km/s] of bin (i, j, k). */
double cr_vdf_bin_volume(const struct cr_vdf *v, size_t i, size_t j, size_t k);
void cr_vdf_bin_velocity(const struct cr_vdf *v, size_t i, size_t j, size_t k, double vel[3]);

/* Moments by the midpoint rule over the bins (U = the moments' bulk velocity).
 * A distribution with n = 0 has U = 0, T = 0. */
void cr_vdf_moments(const struct cr_vdf *v, struct cr_vdf_moments *m);

/* f at velocity vel [km/s] by linear interpolation between bin centres
 * (spherical: in speed, polar and azimuth, periodic in azimuth; cartesian:
 * trilinear). Below the lowest energy centre and beyond the polar centres
 * the nearest centre's value is kept; beyond the outermost bin edges f = 0. */
double cr_vdf_eval(const struct cr_vdf *v, const double vel[3]);

/* Largest speed [km/s] the bins reach (upper edge of the highest energy
 * channel; the farthest Cartesian corner). */
double cr_vdf_max_speed(const struct cr_vdf *v);

#endif
