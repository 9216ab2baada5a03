/* cr_mhd.h — the ideal-MHD solver on a structured curvilinear hexahedral
 * grid (grids/cr_grid.h): finite volume for density, momentum and energy at
 * cell centres, constrained transport for the magnetic field stored as
 * face-normal fluxes Phi = B.A, so that the divergence of every cell (the sum
 * of its six face fluxes) stays at round-off on any grid.
 *
 * One step (see mhd/README.md for the equations and the papers):
 *   boundaries -> primitive variables (cell-centred B by least squares from
 *   the face fluxes; floors) -> reconstruction (PCM, PLM, WENO-Z) along each
 *   index direction -> Riemann fluxes (HLLD / HLLE) in each face's own frame
 *   -> edge EMFs by the upwinded "CT contact" average (Gardiner & Stone 2005)
 *   -> Stokes update of the face fluxes and finite-volume update of the cells,
 *   in a two- or three-stage time integrator (VL2, RK2, RK3).
 *
 * Options for the magnetosphere: a static background field B0 split off
 * (Tanaka 1994), the Boris correction (Gombosi et al. 2002), counted density
 * and pressure floors, ring averaging around the LFM axis, and boundary
 * conditions supplied through function pointers.
 *
 * Code units: mu0 = 1 (magnetic pressure B^2/2). `struct cr_mhd_units` maps
 * code units to the physical units written in output files.
 *
 * Data layout: every array is node-sized with ghosts (grids/cr_grid.h,
 * CR_GIDX), i fastest. The object holds no global state; two solvers in one
 * process are independent.
 */
#ifndef CR_MHD_H
#define CR_MHD_H

#include <stddef.h>

#include "../core/cr_log.h"
#include "../grids/cr_grid.h"
#include "cr_mhd_riemann.h"

/* Conserved variables at cell centres (the field lives on faces). */
enum { CR_MHD_RHO = 0, CR_MHD_MX, CR_MHD_MY, CR_MHD_MZ, CR_MHD_EN, CR_MHD_NCONS };

/* Primitive variables: rho, vx, vy, vz, p, and the cell-centred evolved field
 * (B minus the background B0). */
enum { CR_MHD_W_RHO = 0, CR_MHD_W_VX, CR_MHD_W_VY, CR_MHD_W_VZ, CR_MHD_W_P, CR_MHD_W_BX, CR_MHD_W_BY, CR_MHD_W_BZ,
       CR_MHD_NPRIM };

enum cr_mhd_recon { CR_MHD_PCM = 0, CR_MHD_PLM = 1, CR_MHD_WENOZ = 2 };
enum cr_mhd_limiter { CR_MHD_LIM_MINMOD = 0, CR_MHD_LIM_MC = 1, CR_MHD_LIM_VANLEER = 2 };
enum cr_mhd_integrator { CR_MHD_VL2 = 0, CR_MHD_RK2 = 1, CR_MHD_RK3 = 2 };

/* Boundary kinds, per side. Sides: 0 = i low, 1 = i high, 2 = j low,
 * 3 = j high, 4 = k low, 5 = k high. */
enum cr_mhd_bc_kind {
    CR_MHD_BC_PERIODIC = 0, /* copy from the other side (the grid must be periodic there) */
    CR_MHD_BC_OUTFLOW = 1,  /* zero gradient; ghost normal fluxes keep the ghost cells divergence-free */
    CR_MHD_BC_REFLECT = 2,  /* mirror: normal velocity and normal field reversed */
    CR_MHD_BC_INFLOW = 3,   /* fixed primitive state (rho, vx, vy, vz, p, Bx, By, Bz; B total) */
    CR_MHD_BC_USER = 4,     /* function pointers (struct cr_mhd_bc_user) */
    CR_MHD_BC_AXIS = 5,     /* LFM axis: ghost cells across the axis (set from the grid, not by users) */
    CR_MHD_BC_RANK = 6      /* a cut of the domain decomposition: ghosts from the neighbouring process
                               (set from struct cr_mhd_part, not by users) */
};

/* A view of the solver's arrays for problem set-ups and boundary code. */
struct cr_mhd_view {
    const struct cr_grid *g;
    double gamma;
    double t;
    double *u[CR_MHD_NCONS];     /* conserved variables (E = evolved-field energy, see README) */
    double *face[3];             /* Phi of the evolved field through i, j, k faces (B1 . A) */
    double *emf[3];              /* edge EMFs (E . l) along i, j, k edges (valid inside the emf hook) */
    const double *b0c[3];        /* background field at cell centroids (NULL when none) */
    const double *b0f[3][3];     /* background field at face centres, [face dir][component] (NULL when none) */
    int active[3];               /* 1 if the direction has more than one cell (else 1-D/2-D, periodic) */
};

/* User boundary: fills the ghost cells (u) and ghost faces (face) beyond one
 * side at time t. Ghost cells are the ng layers beyond the side, over the
 * whole transverse extent including ghosts; ghost faces normal to the side
 * are the ng faces beyond the boundary face (the boundary face itself is
 * evolved by the solver). The optional emf hook runs after the edge EMFs are
 * computed and may overwrite those lying in the boundary surface (e.g. an
 * ionospheric electric field). Return CR_OK or an error status. */
struct cr_mhd_bc_user {
    int (*fill)(void *ctx, const struct cr_mhd_view *v, int side, double t);
    int (*emf)(void *ctx, const struct cr_mhd_view *v, int side, double t);
    void *ctx;
};

struct cr_mhd_bc {
    enum cr_mhd_bc_kind kind;
    double inflow[CR_MHD_NPRIM];        /* CR_MHD_BC_INFLOW: rho, vx, vy, vz, p, Bx, By, Bz (total B) */
    const struct cr_mhd_bc_user *user;  /* CR_MHD_BC_USER */
};

/* Domain decomposition (MPI, core/cr_par.h): the global grid is cut in the
 * first (i) index into blocks of whole (j, k) planes, one per process, in
 * rank order. On the LFM grid i is the radial index, so the axis (ghosts
 * across it, axis EMFs, ring averages) and the periodic azimuth stay inside
 * every block, the inner boundary (ionosphere) belongs to rank 0 and the
 * outer boundary to the last rank. Each block is a cr_grid_new_block of the
 * global grid with ng ghost layers; across a cut the ghost cells and faces
 * come from the neighbour (the face on the cut is owned by the upper block,
 * as the first face is by a periodic direction), the time step is the
 * minimum over ranks, floors and diagnostics are reduced, and sums are
 * taken plane by plane in i order, so every result is bit-identical for
 * any number of ranks. */
struct cr_par;
struct cr_mhd_part {
    const struct cr_par *par;   /* the processes (NULL or size 1: the whole grid here) */
    int i0, ni, ni_global;      /* this block: cells i0 .. i0 + ni - 1 of ni_global */
    int rank_lo, rank_hi;       /* neighbours across the i sides, -1 = the global boundary */
    int periodic_i;             /* the global grid is periodic in i */
};

/* The even split of ni_global cells over par's processes (the first
 * ni_global % size ranks take one more); periodic_i joins the ends.
 * CR_ECONFIG (logged) when a block would have fewer than min_cells. */
int cr_mhd_part_split(const struct cr_par *par, int ni_global, int periodic_i, int min_cells,
                      struct cr_mhd_part *part, const struct cr_log *log);

/* Code units -> physical units: physical = code * scale. */
struct cr_mhd_units {
    double length, density, velocity, pressure, bfield, current, time;
    const char *length_unit, *density_unit, *velocity_unit, *pressure_unit, *bfield_unit, *current_unit, *time_unit;
    const char *note; /* e.g. "code units (mu0 = 1)" */
};

/* The normalised code units of the verification problems (all scales 1). */
void cr_mhd_units_code(struct cr_mhd_units *u);

/* Physical units for a run normalised by a length L0 [m], a proton number
 * density n0 [cm^-3] and a speed v0 [km/s] (mu0 = 1 in code units):
 * rho0 = m_p n0, B0 = sqrt(mu0 rho0) v0, p0 = rho0 v0^2, t0 = L0 / v0,
 * J0 = B0 / (mu0 L0). Output units: lengths in R_E, D in #/cc, V in km/s,
 * P in nPa, B in nT, J in nA/m^2, t in s (the GAMERA/kaipy set). */
void cr_mhd_units_physical(struct cr_mhd_units *u, double l0_m, double n0_cc, double v0_kms);

/* Background field callback: B0 at x (code units). */
typedef void (*cr_mhd_field_fn)(void *ctx, const double x[3], double b[3]);

struct cr_mhd_inp {
    const struct cr_grid *grid;         /* not owned; must outlive the solver */
    double gamma;                       /* ratio of specific heats (> 1) */
    enum cr_mhd_riemann_kind riemann;
    enum cr_mhd_recon recon;
    enum cr_mhd_limiter limiter;
    enum cr_mhd_integrator integrator;
    double cfl;                         /* Courant number (0 -> 0.3) */
    double rho_floor, p_floor;          /* floors (0 -> 1e-10 of the code unit) */
    double dual_energy;                 /* eta of the dual-energy switch (0 = off): where a stage leaves the
                                           thermal energy below eta of the evolved energy, the pressure is
                                           taken from the entropy S = p / rho^(gamma-1) carried by the mass
                                           flux instead (README, "Dual energy"); in [0, 0.5] */
    double boris_c;                     /* reduced speed of light in code units (0 = no Boris correction) */
    double (*boris_c_at)(void *ctx, const double x[3]); /* optional: c at x (code units, > 0), used instead of
                                           boris_c wherever it is given (boris_c must be > 0 too) */
    void *boris_ctx;
    struct cr_mhd_bc bc[6];             /* per side; periodic grid directions must be periodic */
    cr_mhd_field_fn b0;                 /* background field (NULL = none) */
    void *b0_ctx;
    int b0_not_curl_free;               /* 1: add the J0 x B0 and E.J0 sources of a B0 with currents */
    int axis_rings;                     /* LFM axis: rings averaged next to each axis (0 = none) */
    long omp_min_cells;                 /* run OpenMP loops only from this many active cells (0 -> 20000):
                                           small grids are faster on one thread */
    const struct cr_mhd_units *units;   /* NULL = code units */
    const struct cr_log *log;
    const struct cr_mhd_part *part;     /* this process's block of a decomposed grid (NULL = all of it);
                                           grid is then the block (cr_grid_new_block) */
};

struct cr_mhd;

/* New solver: arrays allocated and zeroed, state undefined until a set-up
 * fills it (cr_mhd_init_* below). NULL with a logged reason on bad input. */
struct cr_mhd *cr_mhd_new(const struct cr_mhd_inp *inp);
void cr_mhd_release(struct cr_mhd *m);

/* The arrays (for set-ups and boundary code). */
void cr_mhd_get_view(struct cr_mhd *m, struct cr_mhd_view *v);
const struct cr_grid *cr_mhd_grid(const struct cr_mhd *m);
const struct cr_mhd_units *cr_mhd_units(const struct cr_mhd *m);
double cr_mhd_gamma(const struct cr_mhd *m);

/* ---- initial conditions ---------------------------------------------------
 * Set the field first, then the hydrodynamic state (the energy includes the
 * magnetic energy of the cell-centred field). Callbacks give code units. */

/* Evolved field B1 = curl A: face fluxes by Stokes' theorem from line
 * integrals of A along the edges (5-point Gauss-Legendre), so div B = 0 to
 * round-off on any grid. */
int cr_mhd_init_vecpot(struct cr_mhd *m, cr_mhd_field_fn a, void *ctx);

/* Evolved field from B1 at face centres: Phi = B1(face centre) . A (exact
 * for uniform fields; not divergence-free in general). */
int cr_mhd_init_bface(struct cr_mhd *m, cr_mhd_field_fn b, void *ctx);

/* Hydrodynamic state from primitives at cell centroids, ghost cells
 * included: prim(ctx, x, w) fills w[0..4] = rho, vx, vy, vz, p. */
typedef void (*cr_mhd_prim_fn)(void *ctx, const double x[3], double w[5]);
int cr_mhd_init_prim(struct cr_mhd *m, cr_mhd_prim_fn prim, void *ctx);

/* Conserved state directly: cons(ctx, x, u) fills u[0..4] = rho, mx, my,
 * mz, E at cell centroids, ghosts included (E includes the magnetic
 * energy, as the caller defines it). */
typedef void (*cr_mhd_cons_fn)(void *ctx, const double x[3], double u[CR_MHD_NCONS]);
int cr_mhd_init_cons(struct cr_mhd *m, cr_mhd_cons_fn cons, void *ctx);

/* Primitive (rho, v, p) and cell B1 -> conserved (helper for boundary code). */
void cr_mhd_prim_to_cons(double gamma, const double w[5], const double b1[3], double u[CR_MHD_NCONS]);

/* ---- time stepping --------------------------------------------------------- */
struct cr_mhd_step_info {
    double dt;          /* step taken */
    double dt_cfl;      /* CFL limit at the start of the step */
    long n_rho_floor;   /* uses of the density floor during the step (all stages) */
    long n_p_floor;     /* uses of the pressure floor */
    long n_entropy;     /* cells whose pressure the dual-energy switch took from the entropy (all stages) */
};

/* CFL time step of the current state (boundaries applied first). */
int cr_mhd_dt(struct cr_mhd *m, double *dt);

/* One step of at most dt_max (the CFL limit applies; dt_max <= 0: CFL only).
 * CR_ENUMERIC if the state becomes non-finite. */
int cr_mhd_step(struct cr_mhd *m, double dt_max, struct cr_mhd_step_info *info);

double cr_mhd_time(const struct cr_mhd *m);
long cr_mhd_nstep(const struct cr_mhd *m);
void cr_mhd_set_time(struct cr_mhd *m, double t, long nstep);

/* ---- diagnostics and output ---------------------------------------------- */

/* Cell-centred output variables over the active cells, each array of
 * ni*nj*nk doubles in C order (k slowest, i fastest), code units:
 * rho, vx, vy, vz, p, Bx, By, Bz (total field), Jx, Jy, Jz. Any pointer may
 * be NULL. Boundaries are applied first. */
enum { CR_MHD_OUT_D = 0, CR_MHD_OUT_VX, CR_MHD_OUT_VY, CR_MHD_OUT_VZ, CR_MHD_OUT_P, CR_MHD_OUT_BX, CR_MHD_OUT_BY,
       CR_MHD_OUT_BZ, CR_MHD_OUT_JX, CR_MHD_OUT_JY, CR_MHD_OUT_JZ, CR_MHD_NOUT };
int cr_mhd_output_vars(struct cr_mhd *m, double *out[CR_MHD_NOUT]);

/* Background field at the active cell centroids (C order), or CR_EDOMAIN when there is none. */
int cr_mhd_output_b0(const struct cr_mhd *m, double *out[3]);

/* Largest |div B| V^(-1) / (|B| / h) over the active cells, h = V^(1/3):
 * the divergence relative to the field over a cell size (|B| the cell's
 * evolved field magnitude, floored at 1e-300). Also the largest absolute
 * |sum of face fluxes| / V in *abs_max (may be NULL). */
double cr_mhd_divb_max(const struct cr_mhd *m, double *abs_max);

/* Conserved totals over the active cells: mass, momentum x/y/z, energy, and
 * the summed face fluxes of the evolved field through all owned faces of
 * each direction (the mean field times the volume on a Cartesian box). */
struct cr_mhd_totals {
    double mass, mom[3], energy, flux[3];
};
void cr_mhd_totals(const struct cr_mhd *m, struct cr_mhd_totals *t);

/* The decomposition (NULL when the solver has the whole grid). */
const struct cr_mhd_part *cr_mhd_part(const struct cr_mhd *m);

/* Cell-centred output arrays of all blocks gathered on rank root in the
 * global C order (k slowest, i fastest): `local` holds this block's
 * ni * nj * nk values (cr_mhd_output_vars), `global` (rank root only; NULL
 * elsewhere) ni_global * nj * nk. A copy without a decomposition. */
int cr_mhd_gather_cells(const struct cr_mhd *m, const double *local, double *global, int root);

/* Node-sized arrays (grids/cr_grid.h layout, ghosts included) of the whole
 * grid, for checkpoints: the number of entries of the whole grid's array;
 * the blocks' arrays gathered on rank root into the whole grid's layout
 * (each block gives its own i range, the first and last blocks the ghost
 * layers at the ends: the array a single process would hold); and this
 * block's array cut out of a whole-grid one (ghosts included). Copies
 * without a decomposition. */
size_t cr_mhd_global_ntot(const struct cr_mhd *m);
int cr_mhd_gather_nodes(const struct cr_mhd *m, const double *local, double *global, int root);
void cr_mhd_block_of_nodes(const struct cr_mhd *m, const double *global, double *local);

/* Bytes allocated by the solver (arrays), for benchmarks. */
size_t cr_mhd_bytes(const struct cr_mhd *m);

#endif
