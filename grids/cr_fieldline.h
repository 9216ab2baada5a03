/* cr_fieldline.h — magnetic field-line tracing through any field source
 * (grids/cr_field.h): analytic fields or MHD slices.
 *
 * A field line is integrated in arc length s [R_E],
 *     dx/ds = sigma B(x) / |B(x)|,   sigma = +1 (along B) or -1 (against B),
 * with GSL's adaptive Runge-Kutta machinery (gsl_odeiv2 step + standard error
 * control + evolve; Prince-Dormand 8(7) by default, Hairer, Norsett & Wanner,
 * "Solving ODEs I", 1993, sec. II.5). Each direction stops at the first of:
 *   - the inner boundary, r <= r_inner: the line ends "on Earth"; the
 *     crossing of the sphere is located to round-off by a secant iteration on
 *     the length of the last step (each trial is one Runge-Kutta step from the
 *     last accepted point, no longer than the step the error control accepted);
 *   - the outer boundary: r >= r_outer, or the field reports the point
 *     outside its domain (beyond the MHD grid); the end is the last point
 *     inside;
 *   - a null: |B| < b_null;
 *   - the maximum length (per direction) or the maximum number of steps.
 *
 * A tracer object owns GSL workspaces and is NOT thread-safe: make one per
 * thread (they are cheap) and share the (const, thread-safe) field.
 *
 * Field evaluations are hinted (cr_field_eval_hinted): the tracer keeps one
 * location hint in the parameters of its ODE system, so every evaluation of
 * a line (Runge-Kutta stages, the boundary and target refinements) starts
 * from the previous one's cell. The hint is reset where each direction of a
 * line starts, so a traced line does not depend on the lines traced before
 * it by the same tracer (results are the same for any thread count).
 *
 * Units: positions [R_E] SM, time [s], |B| [nT].
 */
#ifndef CR_FIELDLINE_H
#define CR_FIELDLINE_H

#include <stddef.h>

#include "../core/cr_log.h"
#include "cr_field.h"

/* Why one end of a field line stopped. */
enum cr_fl_stop {
    CR_FL_NONE = 0,     /* not traced */
    CR_FL_INNER = 1,    /* reached the inner boundary: on Earth */
    CR_FL_OUTER = 2,    /* left the domain (r >= r_outer or outside the field's domain) */
    CR_FL_NULL = 3,     /* |B| fell below b_null */
    CR_FL_MAXLEN = 4,   /* maximum length reached */
    CR_FL_MAXSTEPS = 5, /* maximum number of steps reached */
    CR_FL_FAILED = 6    /* integration failure (non-finite field, step size underflow) */
};

/* Name of a stop reason ("inner", "outer", "null", ...). */
const char *cr_fl_stop_name(enum cr_fl_stop why);

enum cr_fl_stepper { CR_FL_RK8PD = 0, CR_FL_RKF45 = 1, CR_FL_RKCK = 2 };

struct cr_fieldline_inp {
    const struct cr_field *field; /* required; not owned */
    double r_inner;     /* [R_E] stop radius; 0 = field->r_inner */
    double r_outer;     /* [R_E] stop radius; 0 = field->r_outer, or 100 when that is 0 too */
    double b_null;      /* [nT] null threshold; 0 = 1e-3 */
    double max_length;  /* [R_E] per direction; 0 = 2000 */
    long max_steps;     /* per direction; 0 = 100000 */
    double eps_abs;     /* [R_E] absolute error per step; 0 = 1e-8 */
    double eps_rel;     /* relative error per step; 0 = 1e-8 */
    double h_max;       /* [R_E] largest step; 0 = 1 */
    double h_init;      /* [R_E] first trial step; 0 = 1e-2 */
    enum cr_fl_stepper stepper;
    const struct cr_log *log;
};

/* One end of a traced line. */
struct cr_fl_end {
    enum cr_fl_stop why;
    double x[3];       /* [R_E] end point (on the sphere for CR_FL_INNER) */
    double length;     /* [R_E] arc length from the start to this end */
    long steps;        /* accepted steps */
};

/* A traced path: points ordered from the end reached against B (end[0]) to
 * the end reached along B (end[1]); s[n] is the arc length [R_E] measured from
 * end[0]. Grows as needed; reuse it between traces. */
struct cr_fl_path {
    double *x;     /* 3 * n positions [R_E] */
    double *s;     /* n arc lengths [R_E] */
    double *bmag;  /* n values of |B| [nT] */
    size_t n, cap;
};

struct cr_fl_result {
    struct cr_fl_end end[2]; /* [0]: traced against B (sigma = -1); [1]: along B (sigma = +1) */
    double length;           /* [R_E] total length end[0] -> end[1] */
    long evals;              /* field evaluations used */
};

struct cr_fieldline;

/* New tracer; NULL (with a logged reason) on a bad input. */
struct cr_fieldline *cr_fieldline_new(const struct cr_fieldline_inp *inp);
void cr_fieldline_release(struct cr_fieldline *fl);

/* The effective parameters (defaults filled). */
const struct cr_fieldline_inp *cr_fieldline_params(const struct cr_fieldline *fl);

/* Trace the line through x0 [R_E] at time t [s] in both directions. `path`
 * may be NULL; when given it receives the whole line. CR_OK when traced (even
 * if an end stopped at a null or the maximum length: see res->end[].why);
 * CR_EDOMAIN when x0 itself is outside the domain or at a null; CR_ENOMEM. */
int cr_fieldline_trace(struct cr_fieldline *fl, double t, const double x0[3], struct cr_fl_result *res,
                       struct cr_fl_path *path);

/* Trace one direction only (sigma = +1 along B, -1 against B). `path` (may be
 * NULL) receives the points from x0 to the end. */
int cr_fieldline_trace_dir(struct cr_fieldline *fl, double t, const double x0[3], int sigma, struct cr_fl_end *end,
                           struct cr_fl_path *path);

/* Where a line goes from a point, for the Lockwood-Smith estimator's field-
 * line length d (REFERENCES.md section 5):
 *   CR_FL_TO_BMIN:    the point of minimum |B| along the line (the whole line
 *                     in that direction, up to where it stops), located between
 *                     accepted steps by a parabola through |B|(s) at the three
 *                     points around the smallest value; for a field line
 *                     through the magnetopause reconnection site this is the
 *                     X-line (the last closed line of the dipole + uniform
 *                     field passes through the null ring);
 *   CR_FL_TO_EQUATOR: the first crossing of the SM equator z = 0, located to
 *                     round-off like the inner boundary.
 * sigma = +1 / -1 as above, or 0 = the direction that leaves Earth (B . x
 * times sigma > 0 at x0; e.g. from a footpoint). */
enum cr_fl_target { CR_FL_TO_BMIN = 0, CR_FL_TO_EQUATOR = 1, CR_FL_TO_BMIN_FIRST = 2 };
/* CR_FL_TO_BMIN_FIRST: the first minimum of |B| along the line after which
 * |B| rises above CR_FL_FIRST_RISE times its value (located like BMIN): on
 * an open MHD field line traced from the cusp this is the magnetopause
 * crossing near the X-line, not the weaker solar-wind field beyond the bow
 * shock that the global minimum would find. The integration stops there. */
#define CR_FL_FIRST_RISE 1.5

struct cr_fl_target_info {
    double length; /* [R_E] arc length from x0 to the target */
    double x[3];   /* [R_E] the target point */
    double bmag;   /* [nT] |B| there */
    int sigma;     /* direction used */
    struct cr_fl_end end; /* where the traced line stopped */
};

/* CR_OK and *out filled; CR_EDOMAIN when the target is not on the line (no
 * equator crossing before the line stops; x0 outside the domain). */
int cr_fieldline_length_to(struct cr_fieldline *fl, double t, const double x0[3], int sigma,
                           enum cr_fl_target target, struct cr_fl_target_info *out);

/* Free the arrays of a path (the struct itself is the caller's). */
void cr_fl_path_free(struct cr_fl_path *path);

#endif
