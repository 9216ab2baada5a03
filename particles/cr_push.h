/* cr_push.h — equations of motion of one test particle in a field source
 * (grids/cr_field.h): relativistic Boris full orbit (FO) where the particle
 * is not adiabatic, relativistic guiding centre (GC) where it is, and the
 * hand-over between the two.
 *
 * Full orbit: the relativistic Boris scheme (Boris 1970; Birdsall & Langdon,
 * "Plasma Physics via Computer Simulation", 1991, sec. 4-3 and 15-4; the
 * relativistic form as written by Vay 2008, Phys. Plasmas 15, 056701, eq. 3-6)
 * in its synchronised drift-kick-drift arrangement: half a drift of the
 * position, the Boris velocity update with the fields at the mid-point, half
 * a drift. Position and momentum are known at the same time (no stagger), the
 * step can change from one step to the next, and in a uniform magnetic field
 * the orbit is a polygon inscribed in a circle whose radius is exactly the
 * gyroradius p_perp/(qB); the phase advances by 2 atan(Omega dt / 2) per step
 * (the known Boris frequency shift, Birdsall & Langdon sec. 4-4). |u| is kept
 * to round-off when E = 0.
 *
 * Guiding centre: the relativistic equations of Cary & Brizard (2009, Rev.
 * Mod. Phys. 81, 693, eq. 6.4-6.8; the drifts of Northrop 1963), with
 *   B*  = B + (p_par/q) curl b,     B*_par = b . B*,
 *   E*  = E - (mu/(q gamma)) grad B - (p_par/q) db/dt,
 *   dX/dt     = [ (p_par/(gamma m)) B* + E* x b ] / B*_par,
 *   dp_par/dt = q B* . E* / B*_par,
 * mu = p_perp^2 / (2 m B) constant. This contains the E x B, grad-B and
 * curvature drifts, the mirror force and the parallel acceleration; it
 * conserves the energy exactly in static fields. It is integrated with GSL's
 * adaptive Runge-Kutta (gsl_odeiv2 evolve, Prince-Dormand 8(7)). grad B,
 * curl b and the curvature come from central differences of the field source.
 *
 * Switching: the adiabaticity parameter eps = rho / L_B, rho = p/(q B) (total
 * momentum) and L_B = min(B/|grad B|, R_c) (R_c the curvature radius). GC ->
 * FO when eps > threshold; FO -> GC when eps < threshold * hysteresis (checked
 * about once per gyro period). FO -> GC: X = x - rho_vec with rho_vec =
 * b x w / (q B / m) from the momentum w perpendicular to B in the E x B frame,
 * p_par = p . b, mu = |w|^2/(2 m B(X)); GC -> FO: the inverse with a gyrophase
 * drawn from the particle's own random stream.
 *
 * Units at this interface: positions [R_E] SM, time [s], momentum per mass
 * u = gamma v [R_E/s], fields as in cr_field.h (B [nT], E [mV/m]).
 */
#ifndef CR_PUSH_H
#define CR_PUSH_H

#include <stdint.h>

#include "../core/cr_log.h"
#include "../grids/cr_field.h"

/* How a particle's tracing ended (0 = still active). Written to particles.h5. */
enum cr_pstatus {
    CR_PST_ACTIVE = 0,
    CR_PST_COLLECTED = 1, /* crossed the collection sphere inward, reached the satellite altitude */
    CR_PST_MIRRORED = 2,  /* crossed the collection sphere but mirrors above the altitude (or moves up) */
    CR_PST_OUTFLOW = 3,   /* left the domain (outer boundary / beyond the grid / lost radius) */
    CR_PST_TIMEOUT = 4,   /* reached its maximum tracing time or the end of the field's time range */
    CR_PST_FAILED = 5,    /* numerical failure or step limit */
    CR_PST_STOPPED = 6    /* the caller's stop test (cr_push_inp.stop) said so */
};

/* Text for the status codes (for the file's `status_codes` attribute). */
const char *cr_pstatus_name(int status);

enum cr_pmode { CR_PMODE_FO = 0, CR_PMODE_GC = 1 };

/* Which equations are allowed. */
enum cr_push_scheme {
    CR_PUSH_AUTO = 0,    /* FO <-> GC on the adiabaticity parameter */
    CR_PUSH_FO_ONLY = 1, /* full orbit everywhere */
    CR_PUSH_GC_ONLY = 2  /* guiding centre everywhere */
};

/* The state of one particle. In FO mode x is the particle position and u its
 * momentum per mass gamma*v; in GC mode x is the guiding centre, u[0] =
 * gamma v_par and u[1] = M = (gamma v_perp)^2 / (2 B) (the magnetic moment per
 * unit mass, [(R_E/s)^2/nT]), u[2] = 0. */
struct cr_particle {
    double x[3];      /* [R_E] */
    double u[3];      /* [R_E/s] (FO) or (u_par [R_E/s], M, 0) (GC) */
    double t;         /* [s] */
    double t_stop;    /* [s] tracing stops here with CR_PST_TIMEOUT */
    double h;         /* [s] GC: next trial step of the adaptive integrator (0 = choose) */
    double bmag;      /* [nT] |B| at the last field evaluation (FO step size) */
    uint64_t stream;  /* seed of the particle's random stream (gyrophases) */
    long nfo, ngc;    /* FO steps and accepted GC steps taken */
    int nswitch;      /* number of FO <-> GC hand-overs */
    int mode;         /* enum cr_pmode */
    int status;       /* enum cr_pstatus */
    int since_check;  /* FO steps since the last adiabaticity check */
    struct cr_field_hint hint; /* where the particle's last field evaluation was located (cr_field.h);
                                  reset by cr_push_start, carried from step to step and window to window */
    double next_check;  /* [s] cr_push_inp.stop is called after the first accepted step at or past this time */
    void *user;         /* the caller's (e.g. for its stop test); zeroed by cr_push_start */
};

struct cr_push_inp {
    const struct cr_field *field; /* required; not owned */
    double charge;          /* [e] (0 -> 1: proton) */
    double mass;            /* [kg] (0 -> proton mass) */
    enum cr_push_scheme scheme;
    double fo_dt_gyro;      /* FO step as a fraction of the local gyro period (0 -> 0.05) */
    double fo_dt_electric;  /* FO step at most this fraction of max(p, gamma m v_E)/(q|E|) (0 -> 0.5) */
    double fo_ds_max;       /* [R_E] FO step at most this path length (0 -> no limit) */
    double threshold;       /* adiabaticity threshold (0 -> 0.05) */
    double hysteresis;      /* FO -> GC below threshold*hysteresis (0 -> 0.5) */
    double gc_rtol;         /* GC relative error per step (0 -> 1e-8) */
    double gc_atol;         /* [R_E] GC absolute position error per step (0 -> 1e-9) */
    double gc_ds_max;       /* [R_E] GC step at most this path length (0 -> 0.1) */
    double fd_step;         /* [R_E] central-difference step for gradients (0 -> 1e-3) */
    double r_collect;       /* [R_E] stop when crossing this sphere inward (0 -> none) */
    double r_lost;          /* [R_E] stop (outflow) beyond this radius (0 -> none) */
    long max_steps;         /* per particle, FO + GC (0 -> 1e9) */
    /* Optional: called after every accepted step (tests, diagnostics). Not
     * thread-safe unless the callee is. */
    void (*observe)(void *ctx, const struct cr_particle *p);
    void *observe_ctx;
    /* Optional stop test (backward tracing: has the particle reached its
     * source?): called after an accepted step whose end time is at or past
     * p->next_check, with the particle's state synchronised; it sets
     * p->next_check for the next call and returns 1 to stop the particle
     * (status CR_PST_STOPPED). Steps are not shortened for it, so a test
     * every few steps costs one field evaluation, not a truncated step.
     * Called from the thread advancing the particle. */
    int (*stop)(struct cr_particle *p);
    const struct cr_log *log;
};

struct cr_push;      /* parameters (const, shared by threads) */
struct cr_push_work; /* per-thread scratch (GSL integrator, random generator) */

/* Also turns GSL's aborting error handler off (process-wide; call it outside
 * parallel regions). */
struct cr_push *cr_push_new(const struct cr_push_inp *inp);
void cr_push_release(struct cr_push *p);

struct cr_push_work *cr_push_work_new(const struct cr_push *p);
void cr_push_work_release(struct cr_push_work *w);

/* Start a particle at time t, position x [R_E], lab-frame velocity v [km/s],
 * with random stream seed `stream`; t_stop is when tracing ends. The mode is
 * chosen from the adiabaticity parameter (or the scheme). CR_EDOMAIN if x is
 * outside the field's domain or B vanishes there. */
int cr_push_start(const struct cr_push *p, struct cr_push_work *w, struct cr_particle *pt, double t,
                  const double x[3], const double v_kms[3], double t_stop, uint64_t stream);

/* Advance until time t_end, or until the particle ends (its status becomes
 * non-zero). Returns CR_OK (the status says how it ended) or CR_ENOMEM. */
int cr_push_advance(const struct cr_push *p, struct cr_push_work *w, struct cr_particle *pt, double t_end);

/* Kinematics of a particle in either mode, evaluated with the field at its
 * position: particle position xp [R_E] (FO: x; GC: x + a gyro-radius vector
 * at phase 0 is NOT added, xp = X), momentum per mass along B u_par [R_E/s],
 * perpendicular momentum per mass in the E x B frame u_perp [R_E/s], |B| [nT],
 * kinetic energy [eV] (lab frame) and pitch angle [deg] (0 = along B). Any
 * output pointer may be NULL. */
int cr_push_kinematics(const struct cr_push *p, const struct cr_particle *pt, double *u_par, double *u_perp,
                       double *bmag, double *energy_ev, double *pitch_deg);

/* Convert an FO particle to GC (FO -> GC hand-over) or back (with gyrophase
 * phi [rad] about b measured from the reference direction e1 = unit(b x z)
 * (or b x x when b is along z)). Exposed for tests. */
int cr_push_to_gc(const struct cr_push *p, struct cr_particle *pt);
int cr_push_to_fo(const struct cr_push *p, struct cr_particle *pt, double phi);

/* Adiabaticity parameter eps = (|u| / (Omega_0 B)) / L_B at time t and
 * position x for momentum per mass |u| [R_E/s]; also L_B [R_E] when
 * scale != NULL. CR_EDOMAIN outside the field's domain. */
int cr_push_adiabaticity(const struct cr_push *p, double t, const double x[3], double umag, double *eps,
                         double *scale);

/* Constants of the species in the internal units: Omega per nT [rad/s/nT],
 * acceleration per mV/m [R_E/s^2], c [R_E/s], m c^2 [eV]. */
void cr_push_constants(const struct cr_push *p, double *omega_per_nt, double *accel_per_mvm, double *c_re,
                       double *mc2_ev);

/* Lorentz factor of a momentum per mass u [R_E/s] (|u|), and the kinetic
 * energy [eV] of |u|; the momentum per mass [R_E/s] of a kinetic energy [eV]. */
double cr_push_gamma(const struct cr_push *p, double umag);
double cr_push_energy_ev(const struct cr_push *p, double umag);
double cr_push_umag_of_energy(const struct cr_push *p, double energy_ev);

#endif
