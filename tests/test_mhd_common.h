/* test_mhd_common.h — small helpers shared by the MHD test files: build a
 * grid and a solver for a problem of the table, run it, compare states. */
#ifndef CR_TEST_MHD_COMMON_H
#define CR_TEST_MHD_COMMON_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../grids/cr_grid.h"
#include "../mhd/cr_mhd.h"
#include "../mhd/cr_mhd_problem.h"

static inline void tmhd_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* A box grid: kind, cells, box [lo, hi], all directions periodic unless
 * open[d] is set. */
static inline struct cr_grid *tmhd_grid(enum cr_grid_kind kind, double warp, int ni, int nj, int nk,
                                        const double lo[3], const double hi[3], const int open[3])
{
    static const struct cr_log quiet = {.level = CR_LEVEL_WARN};
    struct cr_grid_spec gs = {.kind = kind, .warp_amp = warp, .ni = ni, .nj = nj, .nk = nk, .ng = 4, .log = &quiet};
    for (int d = 0; d < 3; d++) {
        gs.lo[d] = lo[d];
        gs.hi[d] = hi[d];
        gs.periodic[d] = !(open && open[d]);
    }
    return cr_grid_new(&gs);
}

/* Solver inputs with the usual defaults (HLLD, PLM van Leer, VL2). Sides
 * of open directions are outflow, others periodic. */
static inline struct cr_mhd_inp tmhd_inp(const struct cr_grid *g, double gamma, double cfl)
{
    static const struct cr_log quiet = {.level = CR_LEVEL_WARN};
    struct cr_mhd_inp in = {.grid = g, .gamma = gamma, .riemann = CR_MHD_HLLD, .recon = CR_MHD_PLM,
                            .limiter = CR_MHD_LIM_VANLEER, .integrator = CR_MHD_VL2, .cfl = cfl, .log = &quiet};
    for (int s = 0; s < 6; s++)
        in.bc[s].kind = g->bc[s / 2] == CR_GRID_PERIODIC ? CR_MHD_BC_PERIODIC : CR_MHD_BC_OUTFLOW;
    in.omp_min_cells = 1; /* threads even on small test grids (the thread-identity test needs them) */
    return in;
}

/* Advance to time t (exactly) or at most nmax steps (0 = no limit). */
static inline int tmhd_run(struct cr_mhd *m, double t, long nmax)
{
    long n0 = cr_mhd_nstep(m);
    while (cr_mhd_time(m) < t * (1.0 - 1e-14)) {
        int rc = cr_mhd_step(m, t - cr_mhd_time(m), NULL);
        if (rc) return rc;
        if (nmax > 0 && cr_mhd_nstep(m) - n0 >= nmax) break;
    }
    return 0;
}

/* Cell-centred output variables of the active cells (caller frees out[q]). */
static inline int tmhd_vars(struct cr_mhd *m, double *out[CR_MHD_NOUT])
{
    const struct cr_grid *g = cr_mhd_grid(m);
    size_t n = (size_t)g->ni * g->nj * g->nk;
    for (int q = 0; q < CR_MHD_NOUT; q++) out[q] = malloc(n * sizeof(double));
    return cr_mhd_output_vars(m, out);
}

static inline void tmhd_free_vars(double *out[CR_MHD_NOUT])
{
    for (int q = 0; q < CR_MHD_NOUT; q++) free(out[q]);
}

#endif
