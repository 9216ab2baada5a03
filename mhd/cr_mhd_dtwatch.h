/* cr_mhd_dtwatch.h — time-step collapse: a watch on the CFL time step that
 * says when it has collapsed, and the diagnosis of the cell that limits it.
 *
 * The CFL step is cfl min over cells and directions of h / (|v.n| + c_f)
 * (h = V / |A|, c_f the fast speed, Boris-limited when the correction is
 * on). When a solution goes wrong (a density driven to the floor under a
 * strong field, a runaway flow or temperature) the step shrinks without
 * bound while the simulated time stands still: 1e-77 s steps, thousands of
 * them, that look like a hang. The watch stops the run early and names the
 * cell, the quantity that limits the step and its state.
 *
 * Rule (cr_mhd_dtwatch_update): the CFL step has collapsed when it stays
 * below `fraction` (1e-3 in the magnetosphere) of the reference step for
 * `steps` (100) consecutive steps. The reference is the largest CFL step of
 * the first `steps` steps the watch saw (the run's early, pre-ramp step).
 * Why: with the Boris correction the fast speed is capped, so a sound run's
 * step stays within a small factor of its early value (the shipped D and Q
 * magnetosphere runs keep 0.33 s and 0.74 s to within 1 % for hours); a step
 * a thousand times shorter makes the run a thousand times slower than its
 * own start promised, which is no longer a run. Requiring it for 100 steps
 * in a row lets a transient (one cell flaring for a few steps) recover.
 */
#ifndef CR_MHD_DTWATCH_H
#define CR_MHD_DTWATCH_H

#include "cr_mhd.h"

struct cr_mhd_dtwatch {
    double fraction;  /* collapse below fraction * dt_ref */
    long steps;       /* ... for this many consecutive steps (also the reference window) */
    double dt_ref;    /* largest CFL step of the first `steps` steps [code time] */
    long seen;        /* steps seen */
    long below;       /* consecutive steps below the threshold */
};

/* Start a watch (fraction in (0, 1), steps >= 1). */
void cr_mhd_dtwatch_init(struct cr_mhd_dtwatch *w, double fraction, long steps);

/* Feed the CFL step of one step (cr_mhd_step_info.dt_cfl, not the step
 * clipped to an output time). 1 when the step has collapsed, else 0. */
int cr_mhd_dtwatch_update(struct cr_mhd_dtwatch *w, double dt_cfl);

/* The cell that limits the CFL step, and its state. */
struct cr_mhd_dt_cell {
    int i, j, k;          /* active-cell indices */
    int dir;              /* the grid direction (0 = i, 1 = j, 2 = k) of its limit */
    double dt;            /* its CFL step cfl h / (|v.n| + c_f) [code time] */
    double x[3];          /* centroid [code length] */
    double h;             /* cell width along dir, V / |A| [code length] */
    double rho, v[3], p;  /* density, velocity, pressure [code units] */
    double b[3];          /* total field (background included) [code units] */
    double vn;            /* |v . n| along dir */
    double cf;            /* fast speed along dir (Boris-limited when on) */
    double ca;            /* Alfven speed |B| / sqrt(rho) (mu0 = 1) */
    double cs;            /* sound speed sqrt(gamma p / rho) */
    int rho_floor;        /* 1 when the density is at the floor */
};

/* Find the limiting cell of the current state (boundaries and primitives
 * are brought up to date first). CR_OK, or the status of the boundary
 * fill / a non-finite state. */
int cr_mhd_dt_limiter(struct cr_mhd *m, struct cr_mhd_dt_cell *c);

/* Log the collapse: the step against the reference, the limiting cell
 * (indices, position, n, V, P, |B| in the solver's output units), the speed
 * that limits it (flow, Alfven or sound) and why. */
void cr_mhd_dt_report(const struct cr_mhd *m, const struct cr_mhd_dtwatch *w, const struct cr_mhd_dt_cell *c);

#endif
