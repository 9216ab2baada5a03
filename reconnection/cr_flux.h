/* cr_flux.h — reconnected-flux accounting (Ouellette et al. 2010 definition,
 * REFERENCES.md section 4): the magnetic flux that changes topology per unit
 * time, per MLT bin and hemisphere, from two topology maps
 * (reconnection/cr_topology.h) a known interval apart.
 *
 *   opened flux = sum of |B_r| A over atoms closed at t0 and open at t1,
 *   closed flux = sum over atoms open at t0 and closed at t1,
 * with |B_r| A the mean of the two maps' values (the inner-boundary field
 * hardly changes). An atom cut by a bisected boundary counts by its open
 * fraction f (cr_topology.h): opened += |B_r| A max(0, f1 - f0), closed +=
 * |B_r| A max(0, f0 - f1). Undetermined and solar-wind atoms take part in no
 * transition; the undetermined flux is reported. Rates: 1 Wb/s = 1 V; 1 kWb/min = 16.67 V.
 *
 * Lengths that turn a rate into an electric field (E = rate / L):
 *   L_iono:  the length of the open-closed boundary inside the MLT bin at the
 *            ionosphere (radius r_iono): the polyline through the boundary
 *            points of the atom columns (their MLT centres), each segment
 *            between two columns shared half-and-half by their bins;
 *   L_xline: the length of the magnetopause X-line segment that maps to the
 *            bin: at xline_samples MLTs per bin (bin edges first) the boundary
 *            is bisected in latitude (ocb_bisect halvings of an atom), the
 *            last closed field line is traced from its footpoint away from
 *            Earth, and its point of minimum |B| is taken as the X-line point
 *            (for the dipole + uniform field this is the null ring, where
 *            the last closed line touches the separatrix; in an MHD
 *            magnetosphere the reconnection site in the magnetopause or tail
 *            current sheet). L_xline is the length of the chords joining
 *            consecutive points across the bin.
 * Both are evaluated on each map; an interval uses the mean of its two maps.
 */
#ifndef CR_FLUX_H
#define CR_FLUX_H

#include "../core/cr_cli.h"
#include "../core/cr_config.h"
#include "cr_topology.h"

/* What one map gives per MLT bin (mlt_bin wide, bins from MLT 0). */
struct cr_flux_state {
    double time;             /* [s] */
    int nbin;
    double open_flux[2];     /* [Wb] per hemisphere (0 north, 1 south) */
    double undetermined_flux[2]; /* [Wb] */
    double *ocb[2];          /* [nbin] |MLat| of the boundary at the ionosphere, mean over the bin's columns
                                [deg]; NaN where no column has open flux */
    double *l_iono[2];       /* [nbin] [m] */
    double *l_xline[2];      /* [nbin] [m]; NaN where an X-line point is missing */
    int nx;                  /* X-line points per hemisphere (nbin * xline_samples) */
    double *xline[2];        /* [nx * 3] X-line points [R_E] (NaN when not found) */
    double *xline_mlt;       /* [nx] their MLT [h] */
};

struct cr_flux_opts {
    double mlt_bin;          /* [h]; must be a multiple of the atom MLT size and divide 24 h */
    int ocb_bisect;          /* bisection steps for the boundary (X-line tracing) */
    int xline_samples;       /* X-line points per bin; 0 = no X-line (L_xline NaN) */
    struct cr_fieldline_inp trace; /* tracing parameters (field and r_inner are set from the map) */
};

/* Per-map summary, including the X-line tracing (parallel over points). */
int cr_flux_state_new(const struct cr_topomap *m, const struct cr_field *f, const struct cr_flux_opts *o,
                      struct cr_flux_state **out);
void cr_flux_state_release(struct cr_flux_state *s);

/* Opened and closed flux [Wb] per hemisphere and bin between maps a (t0)
 * and b (t1) on the same footpoint grid; opened[h], closed[h] have nbin
 * entries (zeroed here). CR_ECONFIG if the grids differ or the bins do not
 * fit the atom columns. */
int cr_flux_transitions(const struct cr_topomap *a, const struct cr_topomap *b, double mlt_bin, int nbin,
                        double *opened[2], double *closed[2]);

/* Number of MLT bins for a bin width (CR_ECONFIG through *nbin = 0 when the
 * width does not divide 24 h or is not a multiple of the atom MLT size). */
int cr_flux_nbins(const struct cr_footgrid *g, double mlt_bin, const struct cr_log *log, int *nbin);

/* `[flux]` configuration keys, the command and the benchmark. */
extern const struct cr_key cr_flux_keys[];
int cr_cmd_flux(struct cr_cmd_ctx *ctx);
int cr_bench_flux(struct cr_cmd_ctx *ctx);

#endif
