/* cr_liouville.h — backward (Liouville) tracing: the phase-space density a
 * detector sees at (t_s, x_s, v) is that of the source plasma where the
 * proton's trajectory, followed backward in time, entered from the source
 * (Liouville's theorem for a collisionless plasma; the method of
 * OpenGGCM-LTPT for cusp ions, Connor et al. 2015, JGR 120, 4890,
 * doi:10.1002/2015JA021156, and of Onsager et al. 1993, JGR 98, 15509).
 *
 * The caller gives a list of (time, position, lab-frame velocity) points, as
 * an instrument's pixels sub-sampled in energy, angle and time; nothing here
 * knows about instruments.
 *
 * Per point:
 *  1. Below the collection sphere r_c (the field there is Earth's dipole with
 *     E = 0, grids/cr_field.h) the guiding centre is mapped up its dipole
 *     field line to r_c with energy and magnetic moment kept, as
 *     particles/cr_collect.h maps forward protons down; the start time at r_c
 *     is t_s minus the travel time along the line (cr_dipole_travel_time).
 *     A point moving up the field line (upgoing) came from below: it has no
 *     source (status CR_LV_BELOW).
 *  2. Backward in time: time reversal of the Lorentz force. With s = -t,
 *     x~(s) = x(-s) and v~ = dx~/ds = -v, the equation of motion becomes
 *       dv~/ds = (q/m) (E(x~, -s) - v~ x B(x~, -s)),
 *     a proton moving forward in s through the fields E~ = E, B~ = -B at the
 *     time -s. The reversed field is a field source (it wraps the real one:
 *     B and the flow V negated, E kept, time negated), so the forward pusher
 *     (cr_push.h: Boris full orbit, guiding centre, their hand-over) traces
 *     backward unchanged, through the MHD slices in reverse order.
 *  3. The trace ends
 *     - in the source (CR_LV_SOURCE), checked every `check_dt` seconds:
 *       sheath: the magnetosheath criteria of particles/cr_inject.h
 *       (D > density_factor n_sw, |V| < speed_factor V_sw, V_x < 0), on
 *       the plasma side of the magnetopause, beta = 2 mu0 P / B^2 > beta_min
 *       (1 by default: the magnetopause as the surface where the plasma
 *       and magnetic pressures are equal; the MHD cusp throat below it is
 *       filled with sheath-dense plasma at beta << 1, whose ions in reality
 *       are the dispersed population itself, not a Maxwellian), at a
 *       point whose field line is not closed (both ends on the inner
 *       boundary): dense slow plasma on closed lines (the MHD's inner
 *       magnetosphere) is not the sheath; after a closed verdict the
 *       topology is not traced again for 10 check_dt;
 *       release (verification): at the release time t_release, inside the
 *       release box and energy window (a one-shot release of a uniform
 *       Maxwellian, the forward tracer's `inject_interval = t, t`);
 *     - on the inner boundary (CR_LV_INNER: from the ionosphere, f = 0);
 *     - leaving the domain (CR_LV_OUTFLOW, f = 0);
 *     - at max_time or the first MHD slice (CR_LV_TIMEOUT, f = 0);
 *     - by a numerical failure (CR_LV_FAILED, f = 0).
 *  4. f at a source point is a drifting Maxwellian,
 *       f = n (m / (2 pi kT))^(3/2) exp(-E' / kT)      [s^3 cm^-6]
 *     with E' the kinetic energy in the frame of the source flow
 *     (E x B drift plus, with flow = mhd, the MHD flow along B), n the MHD
 *     density D (or a given density) and kT = P / D from the MHD pressure
 *     (the single-fluid temperature, P = n k_B T as cusprate's solar wind
 *     is set up) or a given temperature.
 *
 * Units at this interface: positions [R_E] SM, times [s], velocities [km/s],
 * energies [eV], densities [#/cc], f [s^3 cm^-6]. Differential number flux
 * per unit solid angle follows as J = 2 E f / m^2, i.e. J [cm^-2 s^-1 sr^-1
 * eV^-1] = f v^2 / m with m = 1.04397e-12 eV s^2 cm^-2 for protons
 * (cr_liouville_dnf).
 *
 * Every point draws its gyrophases (GC -> FO hand-overs) from its own
 * stream, so results do not depend on the number of threads.
 */
#ifndef CR_LIOUVILLE_H
#define CR_LIOUVILLE_H

#include <stdint.h>

#include "../core/cr_log.h"
#include "../grids/cr_field.h"
#include "cr_push.h"

struct cr_field_mhd;

enum cr_lv_source { CR_LV_SRC_SHEATH = 0, CR_LV_SRC_RELEASE = 1 };
enum cr_lv_flow { CR_LV_FLOW_MHD = 0, CR_LV_FLOW_EXB = 1 };

/* How a backward trace ended. */
enum cr_lv_status {
    CR_LV_ACTIVE = 0,
    CR_LV_SOURCE = 1,  /* reached the source: f = source Maxwellian */
    CR_LV_INNER = 2,   /* came from the inner boundary (ionosphere) */
    CR_LV_OUTFLOW = 3, /* came from beyond the domain */
    CR_LV_TIMEOUT = 4, /* max_time or the start of the field's time range */
    CR_LV_FAILED = 5,  /* numerical failure */
    CR_LV_BELOW = 6    /* upgoing at the detector: came from below it */
};
const char *cr_lv_status_name(int status);

/* One point to trace: what a detector sees at time t, position x, with a
 * proton arriving at lab-frame velocity v. */
struct cr_lv_point {
    double t;       /* [s] */
    double x[3];    /* [R_E] SM */
    double v[3];    /* [km/s] */
    uint64_t stream; /* seed of the point's random stream (gyrophases) */
};

/* The result for one point. */
struct cr_lv_result {
    double f;       /* [s^3 cm^-6] phase-space density (0 without a source) */
    double t0;      /* [s] where the backward trace ended: time */
    double x0[3];   /* [R_E] ... and position (guiding centre in GC mode) */
    double n0;      /* [#/cc] source density at the end (0 when not a source) */
    double kt0;     /* [eV] source temperature */
    double e0;      /* [eV] kinetic energy in the source-flow frame at the end */
    long steps;     /* FO + GC steps */
    int status;     /* enum cr_lv_status */
};

struct cr_liouville_inp {
    const struct cr_field *field;   /* required; not owned (the real, forward-time field) */
    struct cr_field_mhd *mhd;       /* when the field is MHD slices: windows follow its slices */
    struct cr_push_inp push;        /* equations and tolerances; .field, .r_collect, .r_lost are set here */
    double r_collect;               /* [R_E] points below it are mapped up the dipole (0 -> r_inner + 0.25) */
    double r_lost;                  /* [R_E] outflow beyond (0 -> the field's domain) */
    double max_time;                /* [s] longest backward tracing time */
    double check_dt;                /* [s] source test interval (0 -> 0.5) */
    double window;                  /* [s] synchronisation window for static fields (0 -> 1/20 of the span) */
    enum cr_lv_source source;
    /* sheath source */
    double density_factor, speed_factor; /* (0 -> 1.5, 0.9) */
    double beta_min;                /* plasma beta above which the sheath starts (0 = no beta test) */
    double n_sw, v_sw;              /* [#/cc], [km/s]; 0 = measured at probe at the latest point time */
    double probe[3];                /* [R_E] */
    /* both */
    double density;                 /* [#/cc] source density (0 = the MHD D) */
    double temperature;             /* [eV] source kT (0 = the MHD P / D) */
    enum cr_lv_flow flow;
    /* release source (verification) */
    double t_release;               /* [s] */
    double box[6];                  /* [R_E] x0, x1, y0, y1, z0, z1 */
    double r_exclude;               /* [R_E] release points inside this radius are not source */
    double e_min, e_max;            /* [eV] release energy window in the plasma frame (e_max 0 = no limit) */
    int start_check;                /* 1: test every point for the source where it starts (a detector in the
                                       sheath sees the source plasma itself); points at the same (t, x)
                                       given consecutively share one test */
    int progress;                   /* cr_progress force flag */
    const struct cr_log *log;
};

struct cr_liouville_stats {
    long n_status[7];               /* by enum cr_lv_status */
    long steps_fo, steps_gc, switches;
    long steps_by_status[7];        /* FO + GC steps of the traces that ended each way */
    double n_sw, v_sw;              /* upstream values used (sheath) */
    double wall;                    /* [s] */
};

/* Trace n points backward; res[n] receives the results. CR_OK, or an error
 * with a logged reason (CR_ECONFIG for settings that cannot work: points
 * outside the field's time range, no density for an analytic field). */
int cr_liouville_trace(const struct cr_liouville_inp *inp, const struct cr_lv_point *pts, long n,
                       struct cr_lv_result *res, struct cr_liouville_stats *stats);

/* Differential number flux J [cm^-2 s^-1 sr^-1 eV^-1] of phase-space density
 * f [s^3 cm^-6] at kinetic energy E [eV] for a species of rest energy mc2
 * [eV]: J = 2 E f / m^2 (non-relativistic). */
double cr_liouville_dnf(double f, double energy_ev, double mc2_ev);

/* Phase-space density [s^3 cm^-6] of a Maxwellian of density n [#/cc] and
 * kT [eV] at kinetic energy E' [eV] in its own frame. */
double cr_liouville_maxwellian(double n, double kt_ev, double e_ev, double mc2_ev);

#endif
