/* cr_msphere.h — the global magnetosphere: the MHD solver (cr_mhd.h) on the
 * LFM-style spherical grid (grids/) with Earth's dipole as the background
 * field, the solar wind (cr_wind.h) imposed on the sunward part of the outer
 * shell, and the inner boundary coupled to the electrostatic ionosphere
 * (cr_ionosphere.h). `cusprate mhd FILE.ini` with `[mhd] problem =
 * magnetosphere` runs it (cr_msphere_run.c): slices in mhd.h5, checkpoints,
 * restart, progress and per-slice summaries. See magnetosphere/README.md.
 *
 * Code units (GAMERA's normalisation, so the numbers stay O(1); mu0 = 1):
 *   length   L0 = 1 R_E = 6371.2 km
 *   density  n0 = 1 proton / cm^3 (mass density m_p n0)
 *   velocity V0 = 100 km/s
 *   time     L0 / V0 = 63.712 s
 *   pressure m_p n0 V0^2 = 0.0167262 nPa
 *   field    sqrt(mu0 m_p n0) V0 = 4.58463 nT
 *   current  B0 / (mu0 L0) = 0.572628 nA/m^2
 *   E field  V0 B0 = 0.458463 mV/m; potential V0 B0 L0 = 2.92096 kV
 * Outside this object (inputs, outputs, logs) everything is in physical
 * units: s, R_E, #/cc, km/s, nPa, nT, nA/m^2, kV.
 *
 * Boundaries (cr_msphere_bc.c):
 *  - outer shell (i high): where the driver's flow enters through the
 *    boundary face (V_sw . n < 0) the ghost cells hold the solar wind of
 *    the planar front arriving with the flow (cr_wind_eval_delayed with the
 *    reference plane at x_bc), field B1 = B_IMF - B0; elsewhere supersonic
 *    outflow: zero gradient, no inflow (an inward normal velocity is
 *    removed), ghost faces that keep the ghost cells divergence-free;
 *  - inner sphere (i low): density of the first active cell (or n_inner),
 *    temperature t_inner (or the first cell's pressure), velocity = the ionospheric E x B / B^2 drift (no outward radial flow),
 *    transverse field copied, normal ghost faces divergence-free; the edge
 *    EMFs lying on the sphere are the line integrals of the ionospheric
 *    electric field mapped along the dipole, E = -grad Phi, i.e. exactly
 *    Phi(start) - Phi(end) of each edge, so the radial flux through every
 *    inner face stays at its initial value (an electrostatic ionosphere
 *    does not change B_r; Lyon et al. 2004, JASTP 66, 1333);
 *  - j: the LFM axis (ring averaging of the MHD core); k periodic.
 *
 * Coupling (every `cadence` seconds of simulated time, default 5 s): the
 * current J = curl B1 at the cell centres of the shell `fac_shell`, the
 * upward field-aligned current J_up = (J . b) sign(B . r) interpolated to the
 * points where each ionospheric node's dipole field line crosses that
 * shell, mapped to the ionosphere (flux-tube scaling), the potential solved
 * (uniform Pedersen conductance), and the boundary drift and EMFs refreshed.
 */
#ifndef CR_MSPHERE_H
#define CR_MSPHERE_H

#include <hdf5.h>

#include "../core/cr_cli.h"
#include "../core/cr_config.h"
#include "../core/cr_log.h"
#include "../grids/cr_grid.h"
#include "cr_ionosphere.h"
#include "../mhd/cr_mhd.h"
#include "cr_conductance.h"
#include "cr_wind.h"

/* GAMERA's code units (see above) in the solver's units struct (cr_mhd_units_physical). */
void cr_msphere_units(struct cr_mhd_units *u);

struct cr_par;
struct cr_msphere_inp {
    struct cr_grid_spec grid;          /* the LFM grid (kind CR_GRID_LFM) */
    const struct cr_par *par;          /* the processes sharing the grid (core/cr_par.h; NULL = this one alone) */
    const struct cr_wind *wind;        /* solar-wind driver (not owned; must outlive the object) */
    struct cr_iono_inp iono;           /* ionosphere (r_inner and b_e are filled from here) */
    double cadence;                    /* coupling interval [s] (0 -> 5) */
    int cond_model;                    /* 1: conductance from the model (cr_conductance.h) every coupling;
                                          0: the uniform sigma_p, sigma_h of iono */
    struct cr_conductance_inp cond;    /* the model's parameters (gamma and log are filled from here) */
    double b_e;                        /* dipole equatorial surface field [nT] (0 -> 30000) */
    double gamma;                      /* 0 -> 5/3 */
    enum cr_mhd_riemann_kind riemann;
    enum cr_mhd_recon recon;
    enum cr_mhd_limiter limiter;
    enum cr_mhd_integrator integrator;
    double cfl;                        /* 0 -> 0.3 */
    double dual_energy;                /* mhd.dual_energy: eta of the dual-energy switch (0 = off) */
    double boris_c;                    /* reduced speed of light [km/s] (0 = none) */
    double boris_c_near;               /* Boris speed near the Earth [km/s] (0 = boris_c everywhere) */
    double boris_r_near;               /* ... inside this radius [R_E], rising linearly to boris_c at 1.5 times it */
    double n_floor, p_floor;           /* floors [#/cc], [nPa] (0 -> 1e-3, 1e-6) */
    double n_init, t_init;             /* initial plasma: density [#/cc], temperature [K] (0 -> 1, 1e5) */
    double n_inner;                    /* inner ghost density [#/cc] (0 = the first active cell's) */
    double va_max;                     /* Alfven-speed limiter [km/s] (0 = off) */
    double t_inner;                    /* inner ghost temperature [K] (0 = the first active cell's pressure) */
    int axis_rings;                    /* rings averaged next to the axis (MHD core) */
    int fac_shell;                     /* cell shell (i index >= 1) where J_par is sampled (0 -> 1) */
    double x_bc;                       /* reference plane of the driver's planar front [R_E] (0 -> grid x_sun) */
    const struct cr_log *log;
};

/* Defaults, then the [msphere], [grid], [ionosphere] sections of cfg. The
 * wind is not touched (see cr_msphere_wind_from_config). CR_ECONFIG (with a
 * message naming the key) when the grid is not an LFM grid or keys clash. */
int cr_msphere_inp_from_config(const struct cr_config *cfg, struct cr_msphere_inp *inp, const struct cr_log *log);

/* The driver named by [wind] driver, or the idealized one of [wind]. */
int cr_msphere_wind_from_config(const struct cr_config *cfg, const struct cr_log *log, struct cr_wind **out);

/* Schema of the [msphere] section. */
extern const struct cr_key cr_msphere_keys[];

struct cr_msphere;

/* Build grid, solver, boundaries and ionosphere and set the initial state
 * (t = 0: dipole, tenuous plasma at rest). NULL (logged) on bad input. */
struct cr_msphere *cr_msphere_new(const struct cr_msphere_inp *inp);
void cr_msphere_release(struct cr_msphere *ms);

struct cr_mhd *cr_msphere_mhd(struct cr_msphere *ms);
struct cr_iono *cr_msphere_iono(struct cr_msphere *ms);
const struct cr_grid *cr_msphere_grid(const struct cr_msphere *ms);

/* Simulated time [s] and steps taken. */
/* Where the coupling samples node (i, j) of hemisphere h (CR_IONO_NORTH or
 * _SOUTH): the cell-centre position [R_E] that its four cells' weights make on
 * the FAC shell (which = 0) or on the conductance model's source shell
 * (which = 1; `ionosphere.precip_r`, the FAC shell by default), and that
 * shell's mean radius in *r. Returns 0, or 1 where the node's dipole field
 * line does not reach the shell (or which = 1 without the model). */
int cr_msphere_sample_point(const struct cr_msphere *ms, int which, int h, int i, int j, double x[3], double *r);

double cr_msphere_time(const struct cr_msphere *ms);
long cr_msphere_nstep(const struct cr_msphere *ms);

struct cr_msphere_step {
    double dt;           /* step taken [s] */
    double dt_cfl;       /* the CFL step [s] (before clipping to an output time) */
    long n_rho_floor;    /* floor uses in the step */
    long n_p_floor;
    long n_entropy;      /* pressures taken from the entropy by the dual-energy switch in the step */
    long n_va_limit;     /* cells whose density the Alfven-speed limiter raised after the step */
    int coupled;         /* 1 if the ionosphere was solved before the step */
};

/* One step ending at or before t_stop [s] (exactly at t_stop when the CFL
 * allows it); the ionosphere is solved first when its cadence is due.
 * CR_ENUMERIC on a non-finite state or a failed potential solve; CR_ESTALL
 * (logged with the limiting cell) when the time step has collapsed: below
 * 1e-3 of its early value for 100 steps in a row (mhd/cr_mhd_dtwatch.h). */
int cr_msphere_step(struct cr_msphere *ms, double t_stop, struct cr_msphere_step *info);

/* Solve the ionosphere now from the current state (FAC in, potential,
 * boundary drift and EMFs out). Called by cr_msphere_step on its cadence. */
int cr_msphere_couple(struct cr_msphere *ms);

/* Recompute the inner-boundary drift and edge potentials from the
 * ionosphere's current potential (after cr_iono_set_potential, e.g. to
 * impose a given pattern; cr_msphere_couple does it after every solve). */
void cr_msphere_refresh_boundary(struct cr_msphere *ms);

/* Diagnostics of the current state along the Sun-Earth line (cells of the
 * axis ring j = 0, averaged over k), from the ionosphere, and the
 * Biot-Savart field of the domain's currents at the Earth's centre. */
struct cr_msphere_diag {
    double t;            /* [s] */
    double r_mp;         /* subsolar magnetopause [R_E]: Bz reversal (southward IMF) or the density drop (0 = none found) */
    double r_mp_j;       /* the same from the peak of |J| between the inner boundary and the bow shock [R_E] */
    double r_bs;         /* bow shock [R_E]: outermost point where the density exceeds twice the upstream value (0 = none) */
    double cpcp[2];      /* cross-polar-cap potential north, south [kV] */
    double n_sw, v_sw, bz_sw; /* upstream values used [#/cc], [km/s], [nT] (driver delayed to x = 15 R_E) */
    double divb;         /* largest |div B| V^(-1) / (|B1| / h) */
    double dbz0;         /* Bz at the Earth's centre from the currents in the domain [nT] (Biot-Savart; a Dst proxy) */
    double dbz0_night;   /* the part of dbz0 from the cells with x < 0 [nT] */
};
int cr_msphere_diagnose(struct cr_msphere *ms, struct cr_msphere_diag *d);

/* Bz at the origin of the currents J given at the active cells of an LFM
 * grid (index i + ni (j + nj k)), by the Biot-Savart law summed over the
 * cells (midpoint rule over the centroids and volumes), in code units
 * (mu0 = 1; lengths in the grid's unit, R_E here):
 *     dBz(0) = (1 / 4 pi) sum (x Jy - y Jx) / r^3 V.
 * With a westward ring current it is negative: the quantity global MHD
 * codes report as their Dst (e.g. SWMF's Biot-Savart Dst), here without
 * the ionospheric currents, the currents inside the inner boundary and the
 * Earth's induced ones. *night gets the part from cells with x < 0. */
void cr_msphere_dbz_centre(const struct cr_grid *g, const double *jx, const double *jy, double *total,
                           double *night);

/* Save / restore the object's own state (ionosphere potential and FAC,
 * the next coupling time) into / from an HDF5 group; the solver's arrays go
 * through cr_checkpoint.h. */
int cr_msphere_save(const struct cr_msphere *ms, hid_t loc);
int cr_msphere_restore(struct cr_msphere *ms, hid_t loc);

/* `cusprate mhd FILE.ini` with [mhd] problem = magnetosphere (and the
 * `cusprate bench mhd` magnetosphere case). */
int cr_msphere_cmd(struct cr_cmd_ctx *ctx);
int cr_bench_msphere(struct cr_cmd_ctx *ctx);

#endif
