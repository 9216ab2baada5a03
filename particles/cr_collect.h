/* cr_collect.h — what a satellite at low altitude sees of a proton that
 * crossed the collection sphere.
 *
 * Below the collection sphere (just above the MHD inner boundary) the field
 * is the dipole and E = 0 (cr_field.h), so the rest of the way down is
 * analytic: the guiding centre follows its dipole field line r = L cos^2(lat)
 * at constant magnetic longitude (MLT) to the satellite radius r_s =
 * 1 + altitude / R_E, keeping its kinetic energy (E x B frame at the sphere)
 * and its magnetic moment mu = p_perp^2 / (2 m B): sin^2(alpha_s) =
 * 2 M B_s / u^2 with M from the perpendicular momentum and the field at the
 * crossing. A proton whose sin^2(alpha_s) >= 1 mirrors above the satellite,
 * and one that moves up the field line at the crossing (it entered the
 * sphere by drifting) never reaches it: both are "mirrored", not collected.
 * The arrival time adds the travel time along the line at
 * v_par = v sqrt(1 - sin^2(alpha) B / B_c) (cr_dipole_travel_time; drifts
 * over these few seconds are neglected).
 */
#ifndef CR_COLLECT_H
#define CR_COLLECT_H

#include "cr_push.h"

/* One record of particles.h5 (docs/formats.md). */
struct cr_collect_rec {
    double t;          /* [s] arrival time (collected) or end time */
    double x[3];       /* [R_E] SM position at the satellite altitude (or where it ended) */
    double mlat;       /* [deg] */
    double mlt;        /* [h] 12 = noon (+X) */
    double energy;     /* [eV] */
    double pitch;      /* [deg] relative to B (NaN when the field is unknown there) */
    int hemisphere;    /* +1 north, -1 south */
    int status;        /* enum cr_pstatus */
};

/* MLat [deg] and MLT [h] of a position (dipole axis along z, SM). */
void cr_mlat_mlt(const double x[3], double *mlat, double *mlt);

/* Map a particle that ended with CR_PST_COLLECTED at the collection sphere
 * down the dipole of equatorial field b_e [nT] to r_sat [R_E]. Sets
 * rec->status to CR_PST_COLLECTED or CR_PST_MIRRORED. CR_EDOMAIN / CR_ENUMERIC
 * on failure (rec->status = CR_PST_FAILED). */
int cr_collect_map(const struct cr_push *p, double b_e, double r_sat, const struct cr_particle *pt,
                   struct cr_collect_rec *rec);

/* Record of a particle that ended any other way: where and when it ended,
 * its energy and pitch angle there. */
void cr_collect_lost(const struct cr_push *p, const struct cr_particle *pt, struct cr_collect_rec *rec);

#endif
