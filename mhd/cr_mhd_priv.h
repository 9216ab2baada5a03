/* cr_mhd_priv.h — the solver's struct body and the functions shared between
 * its source files (primitives, sweeps, constrained transport, boundaries,
 * axis). Not for use outside mhd/. */
#ifndef CR_MHD_PRIV_H
#define CR_MHD_PRIV_H

#include <stddef.h>

#include "cr_mhd.h"

/* Row buffers per thread used by the sweeps (each of scratch_len / CR_MHD_NROWBUF doubles). */
#define CR_MHD_NROWBUF 44

/* Index ranges [lo, hi] (inclusive) per direction. */
struct cr_mhd_range {
    int lo[3], hi[3];
};

struct cr_mhd {
    const struct cr_grid *g;
    const struct cr_log *log;
    struct cr_mhd_units units;
    struct cr_mhd_bc bc[6];
    enum cr_mhd_riemann_kind riemann;
    enum cr_mhd_recon recon;
    enum cr_mhd_limiter limiter;
    enum cr_mhd_integrator integrator;
    double gamma, cfl, rho_floor, p_floor, boris_c, inv_c2;
    double dual_eta;      /* dual-energy switch (0 = off) */
    double *pn;           /* with the switch: the pressure of U^n per cell (saved at stage 0) */
    double *upw[3][2];    /* with the switch: density and pressure of the upwind reconstructed state per face */
    int n[3];             /* active cells per direction */
    int active[3];        /* direction has more than one cell */
    ptrdiff_t stride[3];  /* flat-index strides 1, sj, sk */
    ptrdiff_t off[3];     /* stride if active, else 0 (inactive directions are uniform) */
    int ns;               /* reconstruction half-width (cells each side of a face) */
    struct cr_mhd_range wr; /* cells where primitives are computed */

    /* time integration: U_new = g0 U0 + g1 U + beta dt L(U), stage time t + c dt */
    int nstages;
    double g0[3], g1[3], beta[3], c[3];
    double t;
    long nstep;

    /* state */
    double *u[CR_MHD_NCONS], *u0[CR_MHD_NCONS];
    double *face[3], *face0[3];
    /* work arrays */
    double *w[CR_MHD_NPRIM];      /* primitives (B part: evolved field B1 at centres) */
    double *ecc[3];               /* cell-centred E = -v x B (total B) */
    double *flux[3][CR_MHD_NCONS];/* face fluxes times |A| (momentum in Cartesian components) */
    double *ej[3][2];             /* with the Boris correction: v . J per face, J the dissipation of S/c^2 alone (part
                                   * of fluxm) times the area, v the velocity of the low [0] and the high [1] cell */
    double *fluxm[3][3];          /* with the Boris correction: the magnetic part of flux[d][1..3] */
    double *ic2c, *ic2f[3];       /* 1/c^2 per cell and per face of a position-dependent Boris speed (else NULL) */
    double *eface[3][3];          /* electric field at faces (Cartesian), [dir][comp] */
    double *mflux[3];             /* CT upwind weight of the low side at faces (from the mass flux) */
    double *emf[3];               /* E . l on edges */
    double *minv[6];              /* per cell: inverse of sum_f A_f A_f^T (xx, xy, xz, yy, yz, zz) */
    /* background field */
    double *b0c[3];               /* at centroids (NULL = none) */
    double *b0f[3][3];            /* at face centres */
    double *j0[3];                /* curl of B0 at centres (only with b0_not_curl_free) */
    int has_b0, b0_sources;
    /* axis averaging (LFM) */
    int axis_rings;               /* rings requested */
    int nrings;                   /* rings averaged next to each axis */
    int *ring_chunk;              /* per j: columns per chunk (1 = not averaged) */
    int omp;                      /* run loops in parallel (enough cells to pay for the threads) */
    int omp_bc;                   /* boundary loops too (large ghost regions) */
    /* per-thread scratch for the sweeps */
    int nscratch;                 /* threads it is allocated for */
    size_t scratch_len;           /* doubles per thread */
    double **scratch;
    /* counters of the current step */
    long n_rho_floor, n_p_floor, n_entropy;
    size_t bytes;
    /* domain decomposition (cr_mhd_part.c) */
    struct cr_mhd_part part;
    int parted;                   /* more than one process */
    double *xbuf[4];              /* halo buffers: send low, send high, receive low, receive high */
    size_t xlen;                  /* doubles per buffer */
};

/* cr_mhd_part.c: the halo exchange across the i cuts (both sides), the
 * agreement of every rank on a status, reductions. */
int cr_mhd_part_setup(struct cr_mhd *m, const struct cr_mhd_part *part);
void cr_mhd_part_release(struct cr_mhd *m);
int cr_mhd_exchange(struct cr_mhd *m);
int cr_mhd_agree(const struct cr_mhd *m, int rc);
double cr_mhd_reduce_max(const struct cr_mhd *m, double x);
double cr_mhd_reduce_min(const struct cr_mhd *m, double x);
long cr_mhd_reduce_sum_long(const struct cr_mhd *m, long x);

/* cr_mhd_prim.c: boundary-filled state -> primitives and E_cc; floors
 * applied and counted (active cells). With rate != NULL also the CFL rate
 * max over active cells of (|v.n| + c_fast) |A| / V (dt = cfl / rate). */
int cr_mhd_prims(struct cr_mhd *m, double *rate);

/* The sweeps, EMFs, face and cell updates and the inactive-face fill are
 * orphaned worksharing loops (omp for ... nowait): every thread of the
 * caller's parallel region calls them with the same arguments, so a stage
 * needs only a few barriers; called outside a parallel region they run
 * serially. */

/* cr_mhd_sweep.c: fluxes of direction d (0, 1, 2) with the given reconstruction. */
void cr_mhd_sweep(struct cr_mhd *m, int d, enum cr_mhd_recon recon, double dt);

/* cr_mhd_prim.c: face data of single-cell directions (after dt is known). */
void cr_mhd_inactive_faces(struct cr_mhd *m, double dt);

/* cr_mhd_ct.c: edge EMFs (upwinded CT average) and the updates. */
void cr_mhd_emf(struct cr_mhd *m);
void cr_mhd_update_faces(struct cr_mhd *m, int stage, double dt);
void cr_mhd_update_cells(struct cr_mhd *m, int stage, double dt, int *bad);
/* The dual-energy switch after the cell update (needs the updated faces of
 * every thread: the caller puts a barrier before it); uses added to *nsw. */
void cr_mhd_dual_energy(struct cr_mhd *m, int stage, double dt, long *nsw);

/* cr_mhd_bc.c: fill every ghost cell and ghost face at time t. */
int cr_mhd_bc_fill(struct cr_mhd *m, double t);
int cr_mhd_bc_emf(struct cr_mhd *m, double t);
int cr_mhd_bc_check(struct cr_mhd *m);
/* Copy face 0 onto the periodic image face n (after each step). */
void cr_mhd_seams(struct cr_mhd *m);

/* cr_mhd_axis.c: the LFM axis: chunk sizes (and the j sides set to axis
 * boundaries), ghost cells across the axis, single-valued axis EMFs, ring
 * averaging after each stage. */
int cr_mhd_axis_check(struct cr_mhd *m);
void cr_mhd_axis_fill(struct cr_mhd *m, int side);
void cr_mhd_axis_emf(struct cr_mhd *m);
int cr_mhd_axis_average(struct cr_mhd *m);

/* Per-thread scratch (re)allocation for the current thread count. */
int cr_mhd_scratch_ensure(struct cr_mhd *m);

/* Ask for n doubles from p to be brought into the outer caches (L2): the
 * rows of the next loop iteration, fetched while this one computes (rows
 * are short, ~70 doubles, and a row touches 20-40 arrays, more streams than
 * the hardware prefetchers follow). No effect on results. */
static inline void cr_mhd_prefetch(const double *p, int n)
{
#if defined(__GNUC__)
    const char *c = (const char *)p, *e = (const char *)(p + n);
    for (; c < e; c += 64) __builtin_prefetch(c, 0, 2);
    if (n > 0) __builtin_prefetch(e - 1, 0, 2);
#else
    (void)p, (void)n;
#endif
}
static inline void cr_mhd_prefetch_w(double *p, int n)
{
#if defined(__GNUC__)
    char *c = (char *)p, *e = (char *)(p + n);
    for (; c < e; c += 64) __builtin_prefetch(c, 1, 2);
    if (n > 0) __builtin_prefetch(e - 1, 1, 2);
#else
    (void)p, (void)n;
#endif
}

/* Cell-centred evolved field from the six face fluxes (least squares), the
 * high face of direction d read at hf[d] (its area at c + stride[d]: a
 * periodic image face has the geometry of its own place). */
static inline void cr_mhd_cell_b_at(const struct cr_mhd *m, size_t c, const size_t hf[3], double b[3])
{
    const struct cr_grid *g = m->g;
    double r0 = 0.0, r1 = 0.0, r2 = 0.0;
    for (int d = 0; d < 3; d++) {
        size_t h = c + (size_t)m->stride[d];
        double pl = m->face[d][c], ph = m->face[d][hf[d]];
        r0 += g->area[d][0][c] * pl + g->area[d][0][h] * ph;
        r1 += g->area[d][1][c] * pl + g->area[d][1][h] * ph;
        r2 += g->area[d][2][c] * pl + g->area[d][2][h] * ph;
    }
    b[0] = m->minv[0][c] * r0 + m->minv[1][c] * r1 + m->minv[2][c] * r2;
    b[1] = m->minv[1][c] * r0 + m->minv[3][c] * r1 + m->minv[4][c] * r2;
    b[2] = m->minv[2][c] * r0 + m->minv[4][c] * r1 + m->minv[5][c] * r2;
}

/* The same with the cell's own six faces. */
static inline void cr_mhd_cell_b(const struct cr_mhd *m, size_t c, double b[3])
{
    const size_t hf[3] = {c + (size_t)m->stride[0], c + (size_t)m->stride[1], c + (size_t)m->stride[2]};
    cr_mhd_cell_b_at(m, c, hf, b);
}

#endif
