/* cr_mhd_cmd.c — the solver's side of `cusprate mhd FILE.ini`: a
 * verification problem from the problem table on the [grid] grid, written to
 * <run>/mhd.h5 + mhd.xmf, and a CSV profile for 1-D problems; the [mhd] and
 * [problem] configuration keys; the solver's part of `cusprate bench mhd`.
 * The command itself (which also runs the global magnetosphere) is
 * ../magnetosphere/cr_msphere_cmd.c: the solver knows no application. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_par.h"
#include "../core/cr_progress.h"
#include "../core/cr_sys.h"
#include "../grids/cr_grid.h"
#include "cr_mhd.h"
#include "cr_mhd_io.h"
#include "cr_mhd_problem.h"

int cr_grid_spec_from_config(const struct cr_config *cfg, struct cr_grid_spec *spec, const struct cr_log *log);

#define BC_CHOICES "default|periodic|outflow|reflect"

const struct cr_key cr_mhd_keys[] = {
    {.section = "mhd", .name = "riemann", .type = CR_KEY_CHOICE, .unit = "", .def = "hlld", .choices = "hlld|hlle",
     .doc = "Riemann solver: HLLD (Miyoshi & Kusano 2005) or HLLE (Einfeldt speeds)"},
    {.section = "mhd", .name = "recon", .type = CR_KEY_CHOICE, .unit = "", .def = "plm", .choices = "plm|wenoz|pcm",
     .doc = "reconstruction of the primitive variables: piecewise linear, WENO-Z 5th order, or first order"},
    {.section = "mhd", .name = "limiter", .type = CR_KEY_CHOICE, .unit = "", .def = "vanleer",
     .choices = "vanleer|mc|minmod", .doc = "PLM slope limiter"},
    {.section = "mhd", .name = "integrator", .type = CR_KEY_CHOICE, .unit = "", .def = "vl2", .choices = "vl2|rk2|rk3",
     .doc = "time integrator: van Leer predictor-corrector (Stone & Gardiner 2009), SSP-RK2, SSP-RK3"},
    {.section = "mhd", .name = "cfl", .type = CR_KEY_REAL, .unit = "", .def = "0.3", .min = 0, .max = 1,
     .flags = CR_KEY_MIN_OPEN | CR_KEY_MAX_OPEN,
     .doc = "Courant number: dt = cfl min over cells and directions of h / (|v.n| + c_fast)"},
    {.section = "mhd", .name = "gamma", .type = CR_KEY_REAL, .unit = "", .def = "0", .min = 0, .max = 10,
     .flags = CR_KEY_RANGED, .doc = "ratio of specific heats (> 1); 0 = the problem's published value"},
    {.section = "mhd", .name = "tlim", .type = CR_KEY_REAL, .unit = "code time", .def = "0", .min = 0, .max = 1e30,
     .flags = CR_KEY_RANGED, .doc = "end time; 0 = the problem's published end time (linear_wave: one period)"},
    {.section = "mhd", .name = "dt_out", .type = CR_KEY_REAL, .unit = "code time", .def = "0", .min = 0, .max = 1e30,
     .flags = CR_KEY_RANGED, .doc = "interval between output slices; 0 = the initial and final states only"},
    {.section = "mhd", .name = "nlim", .type = CR_KEY_INT, .unit = "", .def = "0", .min = 0, .max = 1e12,
     .flags = CR_KEY_RANGED, .doc = "stop after this many steps (0 = no limit); the last state is written"},
    {.section = "mhd", .name = "rho_floor", .type = CR_KEY_REAL, .unit = "code density", .def = "1e-10", .min = 0,
     .max = 1e30, .flags = CR_KEY_MIN_OPEN, .doc = "density floor (every use counted and reported)"},
    {.section = "mhd", .name = "p_floor", .type = CR_KEY_REAL, .unit = "code pressure", .def = "1e-10", .min = 0,
     .max = 1e30, .flags = CR_KEY_MIN_OPEN, .doc = "pressure floor (every use counted and reported)"},
    {.section = "mhd", .name = "dual_energy", .type = CR_KEY_REAL, .unit = "", .def = "0", .min = 0, .max = 0.5,
     .flags = CR_KEY_RANGED,
     .doc = "dual-energy switch eta: where a stage leaves the thermal energy below eta of the evolved energy, the "
            "pressure comes from the entropy p / rho^(gamma-1) carried with the mass flux (Ryu et al. 1993; Bryan "
            "et al. 1995; every use counted); 0 = off"},
    {.section = "mhd", .name = "boris_c", .type = CR_KEY_REAL, .unit = "code velocity", .def = "0", .min = 0,
     .max = 1e30, .flags = CR_KEY_RANGED,
     .doc = "reduced speed of light of the Boris correction (Gombosi et al. 2002); 0 = off"},
    {.section = "mhd", .name = "bc_ilo", .type = CR_KEY_CHOICE, .unit = "", .def = "default", .choices = BC_CHOICES,
     .doc = "boundary at the low i side; default = periodic where the grid is, else the problem's choice"},
    {.section = "mhd", .name = "bc_ihi", .type = CR_KEY_CHOICE, .unit = "", .def = "default", .choices = BC_CHOICES,
     .doc = "boundary at the high i side"},
    {.section = "mhd", .name = "bc_jlo", .type = CR_KEY_CHOICE, .unit = "", .def = "default", .choices = BC_CHOICES,
     .doc = "boundary at the low j side"},
    {.section = "mhd", .name = "bc_jhi", .type = CR_KEY_CHOICE, .unit = "", .def = "default", .choices = BC_CHOICES,
     .doc = "boundary at the high j side"},
    {.section = "mhd", .name = "bc_klo", .type = CR_KEY_CHOICE, .unit = "", .def = "default", .choices = BC_CHOICES,
     .doc = "boundary at the low k side"},
    {.section = "mhd", .name = "bc_khi", .type = CR_KEY_CHOICE, .unit = "", .def = "default", .choices = BC_CHOICES,
     .doc = "boundary at the high k side"},
    {.section = "mhd", .name = "axis_rings", .type = CR_KEY_INT, .unit = "", .def = "8", .min = 0, .max = 64,
     .flags = CR_KEY_RANGED,
     .doc = "LFM grid: rings next to each axis that may be ring-averaged (chunk sizes from the cell shapes)"},
    {.section = "mhd", .name = "log_every", .type = CR_KEY_INT, .unit = "", .def = "100", .min = 0, .max = 1e9,
     .flags = CR_KEY_RANGED, .doc = "steps between step-log lines (time, dt, floor uses); 0 = none"},
    CR_KEY_END,
};

const struct cr_key cr_problem_keys[] = {
    {.section = "problem", .name = "name", .type = CR_KEY_CHOICE, .unit = "", .def = "brio_wu",
     .choices = "brio_wu|rj2a|shock_tube|linear_wave|orszag_tang|field_loop|blast|uniform|magnetosphere",
     .doc = "verification problem (mhd/README.md: papers, set-ups, published end times)"},
    {.section = "problem", .name = "wave", .type = CR_KEY_CHOICE, .unit = "", .def = "fast",
     .choices = "fast|alfven|slow|entropy", .doc = "linear_wave: the (left-going) wave family"},
    {.section = "problem", .name = "amp", .type = CR_KEY_REAL, .unit = "", .def = "1e-6", .min = 0, .max = 1,
     .flags = CR_KEY_MIN_OPEN, .doc = "linear_wave: amplitude of the eigenvector perturbation"},
    {.section = "problem", .name = "vflow", .type = CR_KEY_REAL, .unit = "code velocity", .def = "0", .min = -100,
     .max = 100, .doc = "linear_wave: background flow along the wave vector (entropy waves need it)"},
    {.section = "problem", .name = "x0", .type = CR_KEY_REAL, .unit = "code length", .def = "0.5", .min = -1e30,
     .max = 1e30, .doc = "shock tubes: position of the initial discontinuity along x"},
    {.section = "problem", .name = "left", .type = CR_KEY_REALS, .unit = "code units", .def = "", .min = -1e30,
     .max = 1e30, .min_count = 8, .max_count = 8,
     .doc = "shock_tube: left state rho, vx, vy, vz, p, Bx, By, Bz (default: Brio-Wu)"},
    {.section = "problem", .name = "right", .type = CR_KEY_REALS, .unit = "code units", .def = "", .min = -1e30,
     .max = 1e30, .min_count = 8, .max_count = 8, .doc = "shock_tube: right state (same order)"},
    {.section = "problem", .name = "velocity", .type = CR_KEY_REALS, .unit = "code velocity", .def = "", .min = -1e30,
     .max = 1e30, .min_count = 3, .max_count = 3,
     .doc = "uniform / field_loop: flow velocity (defaults (1, 0.5, 0.25) / (2, 1, 0))"},
    {.section = "problem", .name = "field", .type = CR_KEY_REALS, .unit = "code field", .def = "", .min = -1e30,
     .max = 1e30, .min_count = 3, .max_count = 3, .doc = "uniform: magnetic field (default (0.5, 0.3, 0.2))"},
    CR_KEY_END,
};

static const char *const side_keys[6] = {"bc_ilo", "bc_ihi", "bc_jlo", "bc_jhi", "bc_klo", "bc_khi"};

/* Solver inputs from [mhd] (boundaries resolved against the grid and problem). */
static int inp_from_config(const struct cr_config *cfg, const struct cr_grid *g, const struct cr_mhd_problem *pb,
                           const struct cr_log *log, struct cr_mhd_inp *in)
{
    memset(in, 0, sizeof *in);
    in->grid = g;
    in->log = log;
    double gamma = cr_config_real(cfg, "mhd", "gamma");
    if (gamma == 0.0) gamma = pb ? pb->gamma : 5.0 / 3.0;
    if (!(gamma > 1.0)) {
        cr_error(log, "mhd.gamma must be > 1 (or 0 for the problem's value); got %g", gamma);
        return CR_ECONFIG;
    }
    in->gamma = gamma;
    in->riemann = (enum cr_mhd_riemann_kind)cr_config_choice(cfg, "mhd", "riemann");
    const int rec = cr_config_choice(cfg, "mhd", "recon");
    in->recon = rec == 0 ? CR_MHD_PLM : rec == 1 ? CR_MHD_WENOZ : CR_MHD_PCM;
    const int lim = cr_config_choice(cfg, "mhd", "limiter");
    in->limiter = lim == 0 ? CR_MHD_LIM_VANLEER : lim == 1 ? CR_MHD_LIM_MC : CR_MHD_LIM_MINMOD;
    in->integrator = (enum cr_mhd_integrator)cr_config_choice(cfg, "mhd", "integrator");
    in->cfl = cr_config_real(cfg, "mhd", "cfl");
    in->rho_floor = cr_config_real(cfg, "mhd", "rho_floor");
    in->p_floor = cr_config_real(cfg, "mhd", "p_floor");
    in->dual_energy = cr_config_real(cfg, "mhd", "dual_energy");
    in->boris_c = cr_config_real(cfg, "mhd", "boris_c");
    if (g->axis_lo || g->axis_hi) in->axis_rings = (int)cr_config_int(cfg, "mhd", "axis_rings");
    const int n[3] = {g->ni, g->nj, g->nk};
    for (int s = 0; s < 6; s++) {
        int d = s / 2;
        if (g->bc[d] == CR_GRID_AXIS) {
            in->bc[s].kind = CR_MHD_BC_AXIS; /* set by the solver on an LFM grid */
            continue;
        }
        int c = cr_config_choice(cfg, "mhd", side_keys[s]);
        enum cr_mhd_bc_kind k;
        if (c == 0) {
            if (g->bc[d] == CR_GRID_PERIODIC || n[d] == 1) k = CR_MHD_BC_PERIODIC;
            else k = pb ? pb->bc_open : CR_MHD_BC_OUTFLOW;
            if (k == CR_MHD_BC_PERIODIC && g->bc[d] != CR_GRID_PERIODIC && n[d] > 1) {
                cr_error(log, "mhd: problem %s needs a grid periodic along %c (set grid.periodic_%c = yes)",
                         pb ? pb->name : "?", 'x' + d, 'x' + d);
                return CR_ECONFIG;
            }
        } else {
            k = c == 1 ? CR_MHD_BC_PERIODIC : c == 2 ? CR_MHD_BC_OUTFLOW : CR_MHD_BC_REFLECT;
        }
        in->bc[s].kind = k;
    }
    return CR_OK;
}

static int par_from_config(const struct cr_config *cfg, const char *name, struct cr_mhd_problem_par *p)
{
    cr_mhd_problem_defaults(name, p);
    p->wave = (enum cr_mhd_wave)cr_config_choice(cfg, "problem", "wave");
    p->amp = cr_config_real(cfg, "problem", "amp");
    p->vflow = cr_config_real(cfg, "problem", "vflow");
    p->x0 = cr_config_real(cfg, "problem", "x0");
    size_t nl, nr, nv, nb;
    const double *l = cr_config_reals(cfg, "problem", "left", &nl);
    const double *r = cr_config_reals(cfg, "problem", "right", &nr);
    if (nl == 8) memcpy(p->left, l, sizeof p->left), p->have_states = 1;
    if (nr == 8) memcpy(p->right, r, sizeof p->right), p->have_states = 1;
    const double *v = cr_config_reals(cfg, "problem", "velocity", &nv);
    const double *b = cr_config_reals(cfg, "problem", "field", &nb);
    if (nv == 3) memcpy(p->v, v, sizeof p->v);
    if (nb == 3) memcpy(p->b, b, sizeof p->b);
    return CR_OK;
}

int cr_mhd_problem_cmd(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    const struct cr_log *log = ctx->log;
    const char *pname = cr_config_choice_name(cfg, "problem", "name");
    const struct cr_mhd_problem *pb = cr_mhd_problem_find(pname);
    if (!pb) {
        cr_error(log, "mhd: unknown problem '%s' (allowed: %s)", pname, cr_mhd_problem_choices());
        return CR_ECONFIG;
    }
    struct cr_grid_spec spec;
    int rc = cr_grid_spec_from_config(cfg, &spec, log);
    if (rc) return rc;
    if (spec.kind == CR_GRID_LFM && strcmp(pname, "uniform")) {
        cr_error(log, "mhd: on grid.kind = lfm the verification problem is 'uniform' (free-stream preservation); "
                      "the others run on cartesian or warped boxes");
        return CR_ECONFIG;
    }
    struct cr_grid *g = cr_grid_new(&spec);
    if (!g) return CR_ECONFIG;
    /* the processes of the run: each solves a block of i planes (mhd/cr_mhd.h) */
    const struct cr_par world = ctx->par;
    struct cr_mhd_part part;
    struct cr_grid *gb = NULL; /* this process's block (NULL: all of g) */
    rc = cr_mhd_part_split(&world, g->ni, g->bc[0] == CR_GRID_PERIODIC, g->ng, &part, log);
    if (!rc && world.size > 1 && !(gb = cr_grid_new_block(g, part.i0, part.ni))) rc = CR_ENOMEM;
    struct cr_mhd_inp in;
    struct cr_mhd_problem_par par;
    if (!rc) rc = inp_from_config(cfg, gb ? gb : g, pb, log, &in);
    if (gb) in.part = &part;
    if (!rc) rc = par_from_config(cfg, pname, &par);
    if (!rc && g->kind == CR_GRID_LFM) {
        /* uniform flow on the spherical grid: the inner and outer shells hold the uniform state exactly */
        const double st[8] = {1.0, par.v[0], par.v[1], par.v[2], 1.0, par.b[0], par.b[1], par.b[2]};
        for (int s = 0; s < 2; s++) {
            in.bc[s].kind = CR_MHD_BC_INFLOW;
            memcpy(in.bc[s].inflow, st, sizeof st);
        }
    }
    struct cr_mhd *m = NULL;
    if (!rc) {
        m = cr_mhd_new(&in);
        if (!m) rc = CR_ECONFIG;
    }
    if (!rc) {
        rc = pb->init(m, &par);
        if (rc) cr_error(log, "mhd: the %s set-up failed (%s)", pname, cr_status_name(rc));
    }
    double tlim = cr_config_real(cfg, "mhd", "tlim");
    if (!rc && tlim == 0.0) {
        tlim = pb->tlim;
        if (!strcmp(pname, "linear_wave")) rc = cr_mhd_linwave_period(g, &par, in.gamma, &tlim);
    }
    const double dt_out = cr_config_real(cfg, "mhd", "dt_out");
    const long nlim = cr_config_int(cfg, "mhd", "nlim");
    const long log_every = cr_config_int(cfg, "mhd", "log_every");
    struct cr_mhd_out *out = NULL;
    char h5path[4096];
    if (!rc) rc = cr_run_path(ctx, "mhd.h5", h5path, sizeof h5path);
    if (!rc) {
        struct cr_mhd_out_inp oi = {.dir = ctx->run_dir, .cfg = cfg, .problem = pname, .csv = pb->is_1d, .log = log,
                                    .grid = g};
        out = cr_mhd_out_open(m, &oi);
        if (!out) rc = CR_EIO;
    }
    if (rc) {
        cr_mhd_release(m);
        cr_grid_release(gb);
        cr_grid_release(g);
        return rc;
    }
    if (gb)
        cr_info(log, "mhd: %d processes, blocks of %d-%d i planes; this one (rank %d) has i = %d .. %d", world.size,
                g->ni / world.size, (g->ni + world.size - 1) / world.size, world.rank, part.i0, part.i0 + part.ni - 1);
    cr_info(log, "mhd: problem %s on a %d x %d x %d %s grid, gamma %.6g, %s + %s + %s, cfl %.3g, t = 0 .. %.6g",
            pname, g->ni, g->nj, g->nk, cr_config_choice_name(cfg, "grid", "kind"), in.gamma,
            cr_config_choice_name(cfg, "mhd", "riemann"), cr_config_choice_name(cfg, "mhd", "recon"),
            cr_config_choice_name(cfg, "mhd", "integrator"), in.cfl, tlim);
    struct cr_mhd_totals tot0;
    cr_mhd_totals(m, &tot0);
    rc = cr_mhd_out_write(out, m);
    const char *prog_mode = cr_config_choice_name(cfg, "run", "progress");
    struct cr_progress_inp pi = {.label = "mhd", .total = tlim, .unit = "t", .log = log,
                                 .force = !strcmp(prog_mode, "always") ? 1 : !strcmp(prog_mode, "never") ? -1 : 0};
    struct cr_progress *prog = cr_progress_new(&pi);
    long floors_rho = 0, floors_p = 0;
    double t_next = dt_out > 0.0 ? dt_out : tlim;
    double w0 = cr_wtime();
    while (!rc && cr_mhd_time(m) < tlim * (1.0 - 1e-14)) {
        double target = fmin(t_next, tlim);
        struct cr_mhd_step_info si;
        rc = cr_mhd_step(m, target - cr_mhd_time(m), &si);
        if (rc) break;
        floors_rho += si.n_rho_floor;
        floors_p += si.n_p_floor;
        long ns = cr_mhd_nstep(m);
        if (log_every > 0 && (ns % log_every == 0 || si.n_rho_floor || si.n_p_floor))
            cr_info(log, "mhd: step %ld t = %.6g dt = %.4g (CFL %.4g) floors: density %ld pressure %ld", ns,
                    cr_mhd_time(m), si.dt, si.dt_cfl, si.n_rho_floor, si.n_p_floor);
        if (prog) {
            char extra[96];
            snprintf(extra, sizeof extra, "step %ld dt=%.3g", ns, si.dt);
            cr_progress_update(prog, cr_mhd_time(m), extra);
        }
        if (cr_mhd_time(m) >= target * (1.0 - 1e-14) && target < tlim * (1.0 - 1e-14)) {
            rc = cr_mhd_out_write(out, m);
            t_next += dt_out;
        }
        if (nlim > 0 && ns >= nlim) {
            cr_info(log, "mhd: stopping at the step limit nlim = %ld (t = %.6g)", nlim, cr_mhd_time(m));
            break;
        }
    }
    cr_progress_release(prog);
    double wall = cr_wtime() - w0;
    if (!rc) rc = cr_mhd_out_write(out, m);
    if (!rc) {
        struct cr_mhd_totals tot;
        cr_mhd_totals(m, &tot);
        double absdiv;
        double rel = cr_mhd_divb_max(m, &absdiv);
        long cells = (long)g->ni * g->nj * g->nk;
        printf("mhd %s: %ld steps to t = %.6g in %.2f s (%.3g cell-updates/s), %d slices\n", pname,
               cr_mhd_nstep(m), cr_mhd_time(m), wall, wall > 0 ? (double)cells * cr_mhd_nstep(m) / wall : 0.0,
               cr_mhd_out_count(out));
        printf("  floors used: density %ld, pressure %ld (cell-stages)\n", floors_rho, floors_p);
        printf("  max |div B| h / max|B| = %.3g; change of mass %.3g, energy %.3g (relative; boundaries may "
               "exchange both)\n",
               rel, (tot.mass - tot0.mass) / fabs(tot0.mass), (tot.energy - tot0.energy) / fabs(tot0.energy));
        if (!strcmp(pname, "linear_wave") && gb) {
            printf("  linear wave errors: run on one process (the error sums are per block)\n");
        } else if (!strcmp(pname, "linear_wave")) {
            double l1[8], rms;
            if (cr_mhd_linwave_error(m, &par, l1, &rms) == CR_OK)
                printf("  linear wave (%s) L1 errors: d %.3e M1 %.3e M2 %.3e M3 %.3e E %.3e B1 %.3e B2 %.3e B3 %.3e; "
                       "RMS %.4e\n",
                       cr_config_choice_name(cfg, "problem", "wave"), l1[0], l1[1], l1[2], l1[3], l1[4], l1[5], l1[6],
                       l1[7], rms);
        }
    }
    int rc2 = cr_mhd_out_close(out, rc == CR_OK);
    if (!rc) rc = rc2;
    if (!rc) printf("wrote %s/mhd.h5, mhd.xmf%s\n", ctx->run_dir, pb->is_1d ? ", mhd_profile.csv" : "");
    cr_mhd_release(m);
    cr_grid_release(gb);
    cr_grid_release(g);
    return rc;
}

/* ---- benchmark ------------------------------------------------------------------ */

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Time `steps` steps of the 3-D linear wave on an n^3 periodic box. */
static int bench_box(const struct cr_config *cfg, const struct cr_log *log, int n, int steps, int threads,
                     double *rate, double *rate_cpu)
{
    struct cr_grid_spec gs = {.kind = CR_GRID_CARTESIAN, .ni = n, .nj = n, .nk = n, .ng = 4,
                              .lo = {0, 0, 0}, .hi = {1, 1, 1}, .periodic = {1, 1, 1}, .log = log};
    struct cr_grid *g = cr_grid_new(&gs);
    if (!g) return CR_ERR;
    const struct cr_mhd_problem *pb = cr_mhd_problem_find("linear_wave");
    struct cr_mhd_inp in;
    int rc = inp_from_config(cfg, g, pb, log, &in);
    struct cr_mhd *m = rc ? NULL : cr_mhd_new(&in);
    if (!m) {
        cr_grid_release(g);
        return CR_ERR;
    }
    struct cr_mhd_problem_par par;
    cr_mhd_problem_defaults("linear_wave", &par);
    par.amp = 1e-2;
    rc = pb->init(m, &par);
    cr_set_threads(threads);
    if (!rc) rc = cr_mhd_step(m, 0.0, NULL); /* warm-up (first touch, scratch) */
    double t0 = cr_wtime(), c0 = cpu_s();
    for (int s = 0; s < steps && !rc; s++) rc = cr_mhd_step(m, 0.0, NULL);
    double wall = cr_wtime() - t0, cpu = cpu_s() - c0;
    double cu = (double)n * n * n * steps;
    *rate = cu / wall;
    *rate_cpu = cu / cpu;
    cr_mhd_release(m);
    cr_grid_release(g);
    return rc;
}

/* Time `steps` steps of a uniform flow on the LFM D grid (axis averaging on). */
static int bench_lfm(const struct cr_config *cfg, const struct cr_log *log, int steps, int threads, double *rate,
                     double *rate_cpu, long *cells)
{
    struct cr_grid_spec gs = {.kind = CR_GRID_LFM, .log = log};
    int rc = cr_grid_spec_preset(&gs, "D");
    struct cr_grid *g = rc ? NULL : cr_grid_new(&gs);
    if (!g) return CR_ERR;
    struct cr_mhd_inp in;
    rc = inp_from_config(cfg, g, NULL, log, &in);
    struct cr_mhd_problem_par par;
    cr_mhd_problem_defaults("uniform", &par);
    const double st[8] = {1.0, par.v[0], par.v[1], par.v[2], 1.0, par.b[0], par.b[1], par.b[2]};
    for (int s = 0; s < 2; s++) {
        in.bc[s].kind = CR_MHD_BC_INFLOW;
        memcpy(in.bc[s].inflow, st, sizeof st);
    }
    in.axis_rings = 8;
    struct cr_mhd *m = rc ? NULL : cr_mhd_new(&in);
    if (!m) {
        cr_grid_release(g);
        return CR_ERR;
    }
    rc = cr_mhd_problem_find("uniform")->init(m, &par);
    cr_set_threads(threads);
    if (!rc) rc = cr_mhd_step(m, 0.0, NULL);
    double t0 = cr_wtime(), c0 = cpu_s();
    for (int s = 0; s < steps && !rc; s++) rc = cr_mhd_step(m, 0.0, NULL);
    double wall = cr_wtime() - t0, cpu = cpu_s() - c0;
    *cells = (long)g->ni * g->nj * g->nk;
    *rate = (double)*cells * steps / wall;
    *rate_cpu = (double)*cells * steps / cpu;
    cr_mhd_release(m);
    cr_grid_release(g);
    return rc;
}

int cr_mhd_bench_solver(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    struct cr_log quiet = *ctx->log;
    if (quiet.level > CR_LEVEL_WARN) quiet.level = CR_LEVEL_WARN;
    int all = cr_max_threads();
    printf("MHD core: 3-D linear wave on periodic n^3 boxes, %s + %s + %s + CT, cell-updates per second\n",
           cr_config_choice_name(cfg, "mhd", "riemann"), cr_config_choice_name(cfg, "mhd", "recon"),
           cr_config_choice_name(cfg, "mhd", "integrator"));
    const int sizes[2] = {64, 128}, steps[2] = {10, 3};
    int rc = CR_OK;
    for (int s = 0; s < 2 && !rc; s++) {
        int tl[2] = {1, all};
        for (int t = 0; t < (all > 1 ? 2 : 1) && !rc; t++) {
            double r, rcpu;
            rc = bench_box(cfg, &quiet, sizes[s], steps[s], tl[t], &r, &rcpu);
            if (!rc)
                printf("  %3d^3, %2d steps, %d thread%s: %.3g cell-updates/s (%.3g per core of CPU time)\n", sizes[s],
                       steps[s], tl[t], tl[t] > 1 ? "s" : " ", r, rcpu);
        }
    }
    for (int t = 0; t < (all > 1 ? 2 : 1) && !rc; t++) {
        int th = t ? all : 1;
        double r, rcpu;
        long cells;
        rc = bench_lfm(cfg, &quiet, 3, th, &r, &rcpu, &cells);
        if (!rc)
            printf("  LFM D grid (%ld cells, axis averaging), 3 steps, %d thread%s: %.3g cell-updates/s (%.3g per core "
                   "of CPU time)\n",
                   cells, th, th > 1 ? "s" : " ", r, rcpu);
    }
    cr_set_threads(all);
    printf("  peak memory: %.0f MiB\n", cr_peak_rss_mib());
    return rc;
}
