/* cr_msphere_priv.h — the magnetosphere object's body and the functions
 * shared by its source files (set-up, boundaries, run driver). Not for use
 * outside the cr_msphere*.c files. */
#ifndef CR_MSPHERE_PRIV_H
#define CR_MSPHERE_PRIV_H

#include <stddef.h>

#include "../core/cr_par.h"
#include "cr_msphere.h"
#include "../mhd/cr_mhd_dtwatch.h"

/* A cell shell seen from the ionosphere: per node (node q of hemisphere h at
 * h * nnode + q) the four cells (j, k pairs, already mapped across the axis
 * and seam) around its dipole field line's point at the shell's mean radius
 * and their bilinear weights; ok = 0 where the field line misses the shell. */
struct shell_map {
    int shell;
    double r;            /* the shell's mean radius [R_E] */
    int *j, *k;          /* 4 per node */
    double *w;           /* 4 per node */
    unsigned char *ok;
};

struct cr_msphere {
    struct cr_msphere_inp inp;        /* resolved input (defaults filled) */
    const struct cr_log *log;
    struct cr_grid *g;                /* owned: the whole grid (geometry, output, diagnostics) */
    struct cr_mhd *m;                 /* owned */
    /* MPI (core/cr_par.h, mhd/cr_mhd.h): the solver works on this process's
     * block of i planes; rank 0 owns the inner boundary and the ionosphere,
     * gathers and writes */
    struct cr_par par;
    struct cr_mhd_part part;
    struct cr_grid *gb;               /* owned: the block (NULL: the solver has all of g) */
    double *lout[CR_MHD_NOUT];        /* the block's output_vars (ncell of the block each) */
    struct cr_iono *io;               /* owned */
    const struct cr_wind *wind;       /* not owned */
    struct cr_mhd_units units;         /* code -> physical factors (ms->units.velocity [km/s] ...) */
    double phi0_v;                     /* potential unit [V]: V0 B0 L0 */
    struct cr_mhd_bc_user bc_inner, bc_outer;
    double b_e_code;                  /* dipole surface field in code units */
    double boris_prof[3];             /* Boris speed profile: c far, c near [code], r near [R_E] */
    double x_bc;                      /* reference plane of the driver [R_E] */
    double t_next_couple;             /* [s] */
    struct cr_mhd_dtwatch dtwatch;    /* time-step collapse (mhd/cr_mhd_dtwatch.h) */
    int ncouple;                      /* couplings done */

    /* inner boundary: E x B drift at every inner ghost cell (code units),
     * index l + ng * (jj + nJ * kk) with l = -1 - i, jj = j + ng, kk = k + ng */
    int nJ, nK;                       /* nj + 2 ng, nk + 2 ng */
    double *vdrift[3];
    /* ionospheric potential at the inner-boundary corners (i = 0), code units,
     * index j + (nj + 1) k for j = 0..nj, k = 0..nk */
    double *phib;

    /* outer boundary: per column (jj, kk) the unit normal of the boundary face,
     * the inflow flag and the wind at the ghost cells (l + ng * column) */
    double *nout[3];
    unsigned char *inflow;
    struct cr_wind_sample *ws;

    /* FAC sampling: the map of the ionosphere's nodes to the FAC shell along
     * the dipole; the conductance model's source plasma: its own map when
     * `ionosphere.precip_r` names another shell (src.j NULL: the FAC shell's;
     * source_map() picks) */
    size_t nnode;
    struct shell_map fac, src;
    double *jb;                       /* FAC on the shell at the node points [A/m^2] (nnode) */
    double *out[CR_MHD_NOUT];         /* cell arrays of the whole grid (rank 0; gathered when decomposed) */
    double *jup_shell;                /* J_up at the shell's cells (nj * nk) [A/m^2] */
    /* conductance model (rank 0; NULL with uniform conductance): n [cm^-3]
     * and P [nPa] on the shell at the node points, conductances [S] */
    struct cr_conductance *cond;
    double *nb, *pb, *sigp, *sigh;    /* nnode each */
    double f107;                      /* F10.7 of the last coupling [sfu] */
};

/* Boundary hooks (cr_msphere_bc.c). */
int cr_msphere_fill_inner(void *ctx, const struct cr_mhd_view *v, int side, double t);
int cr_msphere_emf_inner(void *ctx, const struct cr_mhd_view *v, int side, double t);
int cr_msphere_fill_outer(void *ctx, const struct cr_mhd_view *v, int side, double t);

/* Least-squares cell-centred field from the six face fluxes of cell c (the
 * solver's own reconstruction, cr_mhd_prim.c). */
void cr_msphere_cell_b(const struct cr_grid *g, double *const face[3], size_t c, double b[3]);

/* The dipole in code units at x [R_E]. */
void cr_msphere_dipole(void *ctx, const double x[3], double b[3]);

#endif
