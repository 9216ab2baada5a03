/* cr_orbit.h — the track of a virtual spacecraft: a pass along one magnetic
 * meridian (constant MLT, MLat stepping from start to end, as the virtual
 * satellite of Burkholder et al. 2025: 0.25 deg per sample), or a circular
 * orbit of given inclination whose plane is fixed in SM coordinates.
 *
 * Samples are equally spaced in arc length along the track (step [deg] of
 * great-circle arc at the spacecraft radius) and therefore in time
 * (step_time = step r / speed). Positions are SM [R_E]; MLat is the latitude
 * of the position vector, MLT = 12 h + azimuth from +X (noon) towards +Y
 * (dusk) / 15 deg.
 */
#ifndef CR_ORBIT_H
#define CR_ORBIT_H

#include "../core/cr_log.h"

enum cr_orbit_kind { CR_ORBIT_MERIDIAN = 0, CR_ORBIT_CIRCULAR = 1 };

struct cr_orbit_inp {
    enum cr_orbit_kind kind;
    int hemisphere;          /* +1 north, -1 south: sign given to start_mlat/end_mlat */
    double mlt;              /* meridian pass: MLT of the meridian [h] */
    double start_mlat;       /* |MLat| of the first sample [deg] */
    double end_mlat;         /* meridian pass: |MLat| of the last sample [deg] */
    double step;             /* arc between samples [deg] (0.25 in Burkholder et al. 2025) */
    double altitude_km;      /* [km] above R_E */
    double speed_km_s;       /* along the track [km/s], > 0 */
    double launch_time;      /* time of the first sample [s] */
    double inclination;      /* circular: [deg] in (0, 180) */
    double node_mlt;         /* circular: MLT of the ascending node [h] */
    double duration;         /* circular: [s]; 0 = one orbital period */
    const struct cr_log *log;
};

struct cr_orbit_sample {
    double t;                /* [s] */
    double mlat;             /* [deg], signed (north positive) */
    double mlt;              /* [h] in [0, 24) */
    double x[3];             /* SM position [R_E] */
    double track_angle;      /* [deg] angle of the velocity from the poleward direction, positive
                                towards east (increasing MLT); 0 = poleward, 180 = equatorward */
};

struct cr_orbit;

/* New track; NULL (message naming the flyby.* key) on invalid input: zero
 * speed, a circular orbit that never reaches start_mlat, a step larger than
 * the pass. */
struct cr_orbit *cr_orbit_new(const struct cr_orbit_inp *inp);

int cr_orbit_nsamples(const struct cr_orbit *o);
double cr_orbit_step_time(const struct cr_orbit *o);   /* [s] */
double cr_orbit_period(const struct cr_orbit *o);      /* circular orbit period 2 pi r / v [s] */
double cr_orbit_radius(const struct cr_orbit *o);      /* [R_E] */
double cr_orbit_speed(const struct cr_orbit *o);       /* [km/s] */
const struct cr_orbit_inp *cr_orbit_inp(const struct cr_orbit *o);

/* Sample k (0 <= k < nsamples); time_offset [s] is added to the time (the
 * trailing spacecraft of a pair flies the same track later). */
void cr_orbit_sample(const struct cr_orbit *o, int k, double time_offset, struct cr_orbit_sample *s);

void cr_orbit_release(struct cr_orbit *o);

#endif
