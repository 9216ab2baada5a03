/* cr_orbit.c — meridian passes and circular orbits of a virtual spacecraft
 * (see cr_orbit.h). Geometry: spherical coordinates in SM, zero dipole tilt. */
#include "cr_orbit.h"

#include <math.h>
#include <stdlib.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

struct cr_orbit {
    struct cr_orbit_inp inp;
    double r;          /* [R_E] */
    double step_time;  /* [s] */
    double period;     /* [s] */
    int n;
    double dir;        /* meridian: +1 poleward (|MLat| increasing), -1 equatorward */
    double u0;         /* circular: argument of latitude of the first sample [rad] */
    double node[3], east_node[3];
};

struct cr_orbit *cr_orbit_new(const struct cr_orbit_inp *inp)
{
    const struct cr_log *log = inp->log;
    if (!(inp->speed_km_s > 0) || !isfinite(inp->speed_km_s)) {
        cr_error(log, "flyby.speed_km_s = %g: the spacecraft must move (give speed_km_s > 0, period_min or step_time)",
                 inp->speed_km_s);
        return NULL;
    }
    if (!(inp->step > 0)) {
        cr_error(log, "flyby.step_mlat = %g deg: the step between samples must be > 0", inp->step);
        return NULL;
    }
    if (!(inp->altitude_km >= 0)) {
        cr_error(log, "flyby.altitude_km = %g: must be >= 0", inp->altitude_km);
        return NULL;
    }
    if (inp->hemisphere != 1 && inp->hemisphere != -1) {
        cr_error(log, "flyby.hemisphere: internal error (hemisphere %d)", inp->hemisphere);
        return NULL;
    }
    struct cr_orbit *o = cr_zalloc(1, sizeof *o);
    if (!o) return NULL;
    o->inp = *inp;
    o->r = 1.0 + inp->altitude_km / CR_RE_KM;
    double step_rad = inp->step * CR_DEG;
    o->step_time = step_rad * o->r * CR_RE_KM / inp->speed_km_s;
    o->period = 2.0 * CR_PI * o->r * CR_RE_KM / inp->speed_km_s;
    if (inp->kind == CR_ORBIT_MERIDIAN) {
        double span = fabs(inp->end_mlat - inp->start_mlat);
        o->dir = inp->end_mlat >= inp->start_mlat ? 1.0 : -1.0;
        o->n = (int)floor(span / inp->step + 1e-9) + 1;
    } else {
        double si = sin(inp->inclination * CR_DEG);
        if (!(inp->inclination > 0 && inp->inclination < 180)) {
            cr_error(log, "flyby.inclination = %g deg: must be in (0, 180)", inp->inclination);
            free(o);
            return NULL;
        }
        double lat0 = inp->hemisphere * inp->start_mlat * CR_DEG;
        double maxlat = inp->inclination <= 90 ? inp->inclination : 180 - inp->inclination;
        if (fabs(sin(lat0)) > si * (1 + 1e-12)) {
            cr_error(log, "flyby.start_mlat = %g deg: an orbit of inclination %g deg reaches only |MLat| <= %g deg",
                     inp->start_mlat, inp->inclination, maxlat);
            free(o);
            return NULL;
        }
        double s = sin(lat0) / si;
        o->u0 = asin(s > 1 ? 1 : (s < -1 ? -1 : s)); /* on the northbound leg */
        double phi = (inp->node_mlt - 12.0) * 15.0 * CR_DEG;
        o->node[0] = cos(phi);
        o->node[1] = sin(phi);
        o->node[2] = 0;
        o->east_node[0] = -sin(phi);
        o->east_node[1] = cos(phi);
        o->east_node[2] = 0;
        double dur = inp->duration > 0 ? inp->duration : o->period;
        o->n = (int)floor(dur / o->step_time + 1e-9) + 1;
    }
    if (o->n > 100000000) {
        cr_error(log, "flyby: %d samples requested (step too small for the pass)", o->n);
        free(o);
        return NULL;
    }
    return o;
}

int cr_orbit_nsamples(const struct cr_orbit *o) { return o->n; }
double cr_orbit_step_time(const struct cr_orbit *o) { return o->step_time; }
double cr_orbit_period(const struct cr_orbit *o) { return o->period; }
double cr_orbit_radius(const struct cr_orbit *o) { return o->r; }
double cr_orbit_speed(const struct cr_orbit *o) { return o->inp.speed_km_s; }
const struct cr_orbit_inp *cr_orbit_inp(const struct cr_orbit *o) { return &o->inp; }

/* MLat, MLT and the track angle of position p moving along v. */
static void geo(const double p[3], const double v[3], struct cr_orbit_sample *s)
{
    double rho = hypot(p[0], p[1]);
    double lat = atan2(p[2], rho);
    double phi = atan2(p[1], p[0]);
    s->mlat = lat / CR_DEG;
    double mlt = 12.0 + phi / (15.0 * CR_DEG);
    mlt = fmod(mlt, 24.0);
    if (mlt < 0) mlt += 24.0;
    if (mlt >= 24.0) mlt -= 24.0;
    s->mlt = mlt;
    double north[3] = {-sin(lat) * cos(phi), -sin(lat) * sin(phi), cos(lat)};
    double east[3] = {-sin(phi), cos(phi), 0};
    double hem = lat >= 0 ? 1.0 : -1.0;
    double vp = hem * (v[0] * north[0] + v[1] * north[1] + v[2] * north[2]);
    double ve = v[0] * east[0] + v[1] * east[1] + v[2] * east[2];
    s->track_angle = atan2(ve, vp) / CR_DEG;
}

void cr_orbit_sample(const struct cr_orbit *o, int k, double time_offset, struct cr_orbit_sample *s)
{
    const struct cr_orbit_inp *in = &o->inp;
    s->t = in->launch_time + time_offset + k * o->step_time;
    if (in->kind == CR_ORBIT_MERIDIAN) {
        double alat = in->start_mlat + o->dir * k * in->step;
        double lat = in->hemisphere * alat * CR_DEG;
        double phi = (in->mlt - 12.0) * 15.0 * CR_DEG;
        s->x[0] = o->r * cos(lat) * cos(phi);
        s->x[1] = o->r * cos(lat) * sin(phi);
        s->x[2] = o->r * sin(lat);
        s->mlat = lat / CR_DEG;
        double mlt = fmod(in->mlt, 24.0);
        s->mlt = mlt < 0 ? mlt + 24.0 : mlt;
        s->track_angle = o->dir > 0 ? 0.0 : 180.0;
        return;
    }
    double u = o->u0 + k * in->step * CR_DEG;
    double ci = cos(in->inclination * CR_DEG), si = sin(in->inclination * CR_DEG);
    double w[3] = {ci * o->east_node[0], ci * o->east_node[1], si}; /* in-plane, 90 deg ahead of the node */
    double p[3], v[3];
    for (int d = 0; d < 3; d++) {
        p[d] = o->r * (cos(u) * o->node[d] + sin(u) * w[d]);
        v[d] = -sin(u) * o->node[d] + cos(u) * w[d];
    }
    for (int d = 0; d < 3; d++) s->x[d] = p[d];
    geo(p, v, s);
}

void cr_orbit_release(struct cr_orbit *o) { free(o); }
