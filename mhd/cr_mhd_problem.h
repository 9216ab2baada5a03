/* cr_mhd_problem.h — verification problems that plug into the solver
 * without touching it: a table of name -> initial condition, default
 * boundaries and (where one exists) the exact solution to measure errors.
 *
 * Problems (papers in mhd/README.md and in each input deck under runs/verify):
 *   brio_wu       Brio & Wu (1988) shock tube, gamma = 2
 *   rj2a          Ryu & Jones (1995) test 2a (all seven waves), gamma = 5/3
 *   shock_tube    any two states from [problem] left/right
 *   linear_wave   fast / Alfven / slow / entropy wave of Gardiner & Stone
 *                 (2005, 2008) and Stone et al. (2008): along x in 1-D, along
 *                 the box diagonal in 2-D and 3-D (Athena++'s set-up)
 *   orszag_tang   Orszag & Tang (1979) vortex as in Stone et al. (2008)
 *   field_loop    Gardiner & Stone (2005) advection of a weak field loop
 *   blast         MHD blast wave (Londrillo & Del Zanna 2000; Stone et al. 2008)
 *   uniform       uniform flow and uniform field (free-stream preservation)
 */
#ifndef CR_MHD_PROBLEM_H
#define CR_MHD_PROBLEM_H

#include "cr_mhd.h"

enum cr_mhd_wave { CR_MHD_WAVE_FAST = 0, CR_MHD_WAVE_ALFVEN = 1, CR_MHD_WAVE_SLOW = 2, CR_MHD_WAVE_ENTROPY = 3 };

/* Parameters of a set-up (filled from [problem] by the command, or by tests). */
struct cr_mhd_problem_par {
    enum cr_mhd_wave wave;  /* linear_wave: which left-going wave (entropy moves with vflow) */
    double amp;             /* linear_wave amplitude (1e-6) */
    double vflow;           /* linear_wave background flow along the wave vector */
    double x0;              /* shock tubes: position of the discontinuity along x */
    int have_states;        /* shock_tube: left/right given */
    double left[8], right[8]; /* rho, vx, vy, vz, p, Bx, By, Bz */
    double v[3], b[3];      /* uniform: velocity and field; field_loop: velocity */
};

/* Default parameters of a problem (amplitudes, states). */
void cr_mhd_problem_defaults(const char *name, struct cr_mhd_problem_par *p);

struct cr_mhd_problem {
    const char *name;
    const char *summary;            /* one line, with the paper */
    double gamma;                   /* gamma of the published set-up */
    double tlim;                    /* published end time (linear waves: one period, set at run time) */
    enum cr_mhd_bc_kind bc_open;    /* boundary kind of a non-periodic grid side */
    int is_1d;                      /* writes a CSV profile */
    int (*init)(struct cr_mhd *m, const struct cr_mhd_problem_par *p);
};

extern const struct cr_mhd_problem cr_mhd_problems[];
extern const int cr_mhd_nproblems;

/* Problem by name; NULL if unknown. */
const struct cr_mhd_problem *cr_mhd_problem_find(const char *name);

/* "brio_wu|rj2a|..." (static text). */
const char *cr_mhd_problem_choices(void);

/* Linear waves: the wave speed (one period = wavelength / speed) and the
 * wavelength of the set-up on this grid. */
int cr_mhd_linwave_period(const struct cr_grid *g, const struct cr_mhd_problem_par *p, double gamma, double *period);

/* Linear waves: L1 errors of d, M1, M2, M3, E, B1, B2, B3 (cell-centred,
 * against the initial state, which the exact solution returns to after a
 * whole number of periods) and their RMS (Athena++'s measure). */
int cr_mhd_linwave_error(struct cr_mhd *m, const struct cr_mhd_problem_par *p, double l1[8], double *rms);

/* `cusprate mhd` for a verification problem (any [problem] name the table
 * holds), and the solver's cases of `cusprate bench mhd`; the command itself
 * dispatches from ../magnetosphere/cr_msphere_cmd.c. */
struct cr_cmd_ctx;
int cr_mhd_problem_cmd(struct cr_cmd_ctx *ctx);
int cr_mhd_bench_solver(struct cr_cmd_ctx *ctx);

#endif
