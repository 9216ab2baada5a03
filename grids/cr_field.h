/* cr_field.h — one interface for the fields that field lines and test
 * particles are traced through: analytic (dipole, dipole plus uniform field,
 * uniform E and B) and MHD slices (one slice, or two slices interpolated
 * linearly in time).
 *
 * Units at the interface: position [R_E] in SM coordinates, time [s],
 * B [nT], E [mV/m], V [km/s]. A field is a small vtable object
 * (gkylzero style): sources are real alternatives, so they plug in through
 * function pointers; the evaluation is const and thread-safe.
 *
 * Hinted evaluation: a caller that evaluates one field along a path (a test
 * particle from step to step, a field line from stage to stage) owns a
 * struct cr_field_hint and passes it to cr_field_eval_hinted(). A source
 * that can use it (MHD slices: the point location walks from the previously
 * located cell) reads and updates it; the others ignore it. The result is
 * the unhinted evaluation's up to the round-off of the location (the cell
 * and its local coordinates are the same, found from a different start).
 * The hint is the caller's: one per particle or field line, never shared
 * between threads, and tied to the field it was filled by (reset it with
 * cr_field_hint_reset, or zero it, before using it with another field).
 * Results stay independent of the number of threads when every hint is
 * reset at the start of its path (not carried from path to path by a
 * per-thread object).
 */
#ifndef CR_FIELD_H
#define CR_FIELD_H

#include "../core/cr_log.h"
#include "cr_grid.h"

struct cr_field_sample {
    double B[3];   /* magnetic field [nT] (total, including any background) */
    double E[3];   /* electric field [mV/m] */
    double V[3];   /* plasma flow [km/s] (0 for analytic vacuum fields) */
    double D;      /* number density [#/cc] (0 when unknown) */
    double P;      /* thermal pressure [nPa] (0 when unknown or not loaded) */
    int inside;    /* 1 inside the inner boundary (r < r_inner): dipole, E = 0 */
};

struct cr_field;

/* Caller-owned state of hinted evaluations (see above). All zero = no hint. */
struct cr_field_hint {
    int valid;              /* 0: nothing known yet */
    struct cr_grid_loc loc; /* MHD slices: cell and local coordinates of the last located point */
};

struct cr_field_vtable {
    /* Evaluate at time t [s] and position x [R_E]. Returns CR_OK, or
     * CR_EDOMAIN when x is outside the field's domain (beyond the grid). */
    int (*eval)(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *out);
    void (*release)(struct cr_field *f);
};

struct cr_field {
    const struct cr_field_vtable *vt;
    double r_inner;     /* inner boundary [R_E] (Earth's surface = 1 for analytic) */
    double r_outer;     /* beyond this the domain ends (0 = unbounded) */
    double b_e;         /* dipole equatorial surface field [nT] (0 if none) */
    double t_min, t_max;/* valid time range [s] (both 0 = static) */
    const char *name;   /* "dipole", "dipole+uniform", "uniform", "mhd-slice", ... */
    /* Optional hinted evaluation (NULL: the source has none, the hint is
     * ignored): like vt->eval, reading and updating *hint. It lives here and
     * not in the vtable so that sources declaring their vtables positionally
     * stay valid; a source sets it when it builds its object. */
    int (*eval_hint)(const struct cr_field *f, double t, const double x[3], struct cr_field_hint *hint,
                     struct cr_field_sample *out);
};

static inline int cr_field_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    return f->vt->eval(f, t, x, s);
}

static inline void cr_field_hint_reset(struct cr_field_hint *h) { h->valid = 0; }

/* Evaluate with the caller's hint (may be NULL = cr_field_eval). Same return
 * codes as cr_field_eval; the hint is left as it was on CR_EDOMAIN. */
static inline int cr_field_eval_hinted(const struct cr_field *f, double t, const double x[3],
                                       struct cr_field_hint *hint, struct cr_field_sample *s)
{
    if (hint && f->eval_hint) return f->eval_hint(f, t, x, hint, s);
    return f->vt->eval(f, t, x, s);
}

void cr_field_release(struct cr_field *f);

/* Earth's dipole in SM with moment along -z and equatorial surface field
 * b_e [nT] (positive, e.g. 30000): B = b_e (1/r)^3 [3 (m.r) r - m], m = -z.
 * E = 0. r_inner is where tracing stops (1 = surface). */
struct cr_field *cr_field_dipole_new(double b_e, double r_inner);

/* Dipole plus a uniform field b_uni [nT] (e.g. {0,0,-5} for 5 nT southward
 * IMF) and a uniform electric field e_uni [mV/m] (may be NULL = 0). This is
 * the exact vacuum superposition of REFERENCES section 3. r_outer bounds the
 * domain (0 = unbounded). */
struct cr_field *cr_field_dipole_uniform_new(double b_e, const double b_uni[3], const double e_uni[3],
                                             double r_inner, double r_outer);

/* Dipole plus a uniform field that changes linearly in time: b_uni0 [nT] at
 * t0 [s], b_uni1 at t1 > t0, constant outside [t0, t1]; E = 0. A static
 * vacuum superposition at every instant (REFERENCES section 3), used to
 * verify flux accounting between states of known open flux. */
struct cr_field *cr_field_dipole_ramp_new(double b_e, const double b_uni0[3], const double b_uni1[3], double t0,
                                          double t1, double r_inner, double r_outer);

/* Uniform B [nT] and E [mV/m] everywhere (no inner boundary). */
struct cr_field *cr_field_uniform_new(const double b[3], const double e[3]);

/* The dipole field alone at x (helper for mapping along the dipole) [nT]. */
void cr_dipole_field(double b_e, const double x[3], double B[3]);

#endif
