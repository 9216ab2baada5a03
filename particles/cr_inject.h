/* cr_inject.h — where, when and how test protons start, and how many real
 * protons each one stands for.
 *
 * Source region (one of):
 *   - sheath: the dayside magnetosheath found from the field at the start
 *     time, searched for in a spherical shell sector about +X (radii
 *     [r_min, r_max], half-angle `cone`). A point belongs to the sheath when
 *       D > density_factor * n_sw        (compressed: behind the bow shock),
 *       |V| < speed_factor * V_sw        (slowed down by the shock),
 *       V_x < 0                          (still flowing tailward: outside the
 *                                         magnetopause; the dayside
 *                                         magnetosphere convects sunward or
 *                                         is stagnant),
 *       not inside the inner boundary;
 *     n_sw and V_sw are given or measured at an upstream probe point.
 *     Positions are drawn uniformly in the search region and rejected until
 *     the criteria hold; the fraction accepted times the search volume
 *     estimates the source volume.
 *   - box: uniform in an x/y/z box;
 *   - shell: uniform in the shell sector itself (no criteria).
 * Start times: uniform in [t_start, t_end] (continuous injection).
 * Velocities, in the local plasma (E x B) frame: energy in [e_min, e_max]
 * drawn uniformly (or log-uniformly), pitch angle uniform in 0-180 deg,
 * gyrophase uniform; the lab velocity adds v_E = E x B / B^2.
 *
 * Weights (importance sampling of an isotropic Maxwellian; Burkholder et al.
 * 2025 weight 10-100 eV ions to a 100 eV Maxwellian): particle i represents
 *   w_i = n(x_i) V_src (T_inj / tau) / N * f_M(E_i) / g(E_i) * (pi/2) sin(alpha_i)
 * real protons, where n is the local density [cm^-3] (the field's D, or a
 * given density), V_src [cm^3] the source volume, N the number of particles
 * injected, T_inj = t_end - t_start and tau the time in which the source
 * volume's protons are renewed (T_inj / tau = 1 when tau is not given, or
 * for a single start time), f_M(E) = 2 sqrt(E/pi) (kT)^-3/2 exp(-E/kT) the
 * Maxwellian energy density, g(E) the density the energies were drawn from,
 * and (pi/2) sin(alpha) turns pitch angles drawn uniformly in alpha into an
 * isotropic distribution (uniform in cos alpha). The weights' sum estimates
 * the number of source protons in [e_min, e_max] released over T_inj.
 *
 * Random numbers: particle i draws from its own GSL generator (taus2,
 * L'Ecuyer 1996; small state, cheap to seed)
 * seeded with a hash of (seed, i), so the ensemble does not depend on the
 * order or the thread in which particles are made.
 */
#ifndef CR_INJECT_H
#define CR_INJECT_H

#include <stdint.h>

#include "../core/cr_log.h"
#include "../grids/cr_field.h"

/* SHEATH: the sheath criteria in the shell sector; SHEATH_BOX: the sheath
 * criteria in the box (e.g. the high-latitude dayside sheath over one cusp). */
/* Topology of the field line through a start point (traced at the start
 * time): any, open with its Earth end in the north / south, or open. A line
 * is open when one end reaches the inner boundary and the other leaves the
 * domain (grids/cr_fieldline.h). Rejected points count as tries, so the
 * source volume estimated from the tries is the volume of the kept region. */
enum cr_source_topology { CR_TOPO_ANY = 0, CR_TOPO_OPEN_NORTH = 1, CR_TOPO_OPEN_SOUTH = 2, CR_TOPO_OPEN = 3 };

enum cr_source_kind { CR_SOURCE_SHEATH = 0, CR_SOURCE_BOX = 1, CR_SOURCE_SHELL = 2, CR_SOURCE_SHEATH_BOX = 3 };

struct cr_inject_inp {
    const struct cr_field *field;  /* required */
    enum cr_source_kind kind;
    double box[6];                 /* [R_E] x0, x1, y0, y1, z0, z1 (box) */
    double r_min, r_max;           /* [R_E] shell / sheath search radii */
    double cone_deg;               /* [deg] half-angle about +X of the shell sector (0 -> 90) */
    double density_factor;         /* sheath: D > this * n_sw (0 -> 1.5) */
    double speed_factor;           /* sheath: |V| < this * V_sw (0 -> 0.9) */
    double n_sw, v_sw;             /* [#/cc], [km/s] upstream values; 0 = measure at probe */
    double probe[3];               /* [R_E] upstream probe point (sheath, when n_sw/v_sw are 0) */
    double density;                /* [#/cc] source density; 0 = the field's D */
    double e_min, e_max;           /* [eV] plasma-frame energy range */
    double pitch_min, pitch_max;   /* [deg] plasma-frame pitch-angle range (both 0 -> 0..180) */
    int log_energy;                /* 1: log-uniform energies */
    double temperature;            /* [eV] Maxwellian kT */
    double t_start, t_end;         /* [s] start-time interval */
    double refresh_time;           /* [s] tau (0 = T_inj) */
    double mass, charge;           /* [kg], [e] (0 -> proton) */
    uint64_t seed;
    long max_tries;                /* rejection-sampling tries per particle (0 -> 10000) */
    double r_exclude;              /* [R_E] never start inside this radius (e.g. the collection sphere) */
    enum cr_source_topology topology; /* keep only start points on field lines of this topology */
    const struct cr_log *log;
};

/* One injected particle. */
struct cr_injected {
    double t0;         /* [s] start time */
    double x0[3];      /* [R_E] start position */
    double v0[3];      /* [km/s] lab-frame velocity */
    double energy0;    /* [eV] plasma-frame kinetic energy */
    double pitch0;     /* [deg] plasma-frame pitch angle */
    double density;    /* [#/cc] source density at x0 */
    double wunit;      /* n f_M/g (pi/2) sin(alpha) [cm^-3]; weight = wunit * scale (cr_inject_weight_scale) */
    uint64_t stream;   /* seed of the particle's own stream for the tracer */
    long tries;        /* positions tried (sheath rejection sampling) */
    int ok;            /* 1 when a start point was found */
};

struct cr_inject;

/* Checks the input, measures n_sw and V_sw at the probe when needed (the
 * field must be valid at t_start) and, for the sheath, that some of the
 * search region meets the criteria at t_start. NULL with a logged reason
 * (*status = CR_ECONFIG for bad settings, a source without density, a probe
 * outside the field or no sheath found; CR_ENOMEM). */
struct cr_inject *cr_inject_new(const struct cr_inject_inp *inp, int *status);
void cr_inject_release(struct cr_inject *inj);

/* The upstream values used by the sheath criteria [#/cc], [km/s]. */
void cr_inject_upstream(const struct cr_inject *inj, double *n_sw, double *v_sw);

/* Start time of particle i [s] (the first number of its stream). */
double cr_inject_time(const struct cr_inject *inj, long i);

/* Draw particle i at its start time (the field must be valid then). Sets
 * out->ok = 0 when no start point was found in max_tries. Thread-safe. */
int cr_inject_one(const struct cr_inject *inj, long i, struct cr_injected *out);

/* Volume searched [R_E^3] (box or shell sector). */
double cr_inject_search_volume(const struct cr_inject *inj);

/* The factor that turns wunit into weights once all particles are drawn:
 * V_src [cm^3] * (T_inj / tau) / n_ok, with V_src = search volume *
 * (accepted / tried) (points rejected by the sheath criteria, the excluded
 * sphere or the domain are not source). n_ok: particles injected; tries: sum of
 * their tries (plus those of the failed ones). */
double cr_inject_weight_scale(const struct cr_inject *inj, long n_ok, long tries);

/* The sheath criteria of the header comment for one field sample: not
 * inside the inner boundary, D > density_factor n_sw, |V| < speed_factor
 * V_sw, V_x < 0 (n_sw [#/cc], V_sw [km/s]). Shared with the backward
 * tracer's source test (cr_liouville.h). */
int cr_sheath_criteria(const struct cr_field_sample *s, double n_sw, double v_sw, double density_factor,
                       double speed_factor);

/* The seed of random stream i of `seed` (splitmix64 of both): the streams
 * every particle, or every backward-traced point, draws from. */
uint64_t cr_inject_stream(uint64_t seed, long i);

/* Maxwellian energy density f_M(E) [1/eV] for kT [eV]. */
double cr_maxwell_energy_pdf(double energy_ev, double kt_ev);

#endif
