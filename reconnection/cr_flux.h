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

/* --- footpoints that drift with the convection ---------------------------
 *
 * In ideal MHD a field line keeps its plasma, and its ionospheric end moves
 * with the E x B drift of the ionospheric potential. In a steady state the
 * open-closed boundary stands still while flux tubes cross it, so comparing
 * the topology at fixed footpoints counts only the boundary's own motion
 * (nothing at all in an exact steady state). Following each footpoint with
 * the drift instead counts the flux that crosses the boundary,
 *     d Phi_rec / dt = integral of (E + u_b x B) . dl along the boundary
 * (u_b the boundary's velocity), the reconnection rate seen from the
 * ionosphere (e.g. Blanchard et al. 1996, JGR 101, 15265), in which the
 * fixed-footpoint count is the u_b part alone.
 *
 * A drift function gives d|MLat|/dt [deg/s] and dMLT/dt [h/s] of a footpoint
 * on the footpoint grid's r_iono at time t; a non-zero return other than
 * CR_EDOMAIN is an error, CR_EDOMAIN means no drift there (outside the
 * potential's grid). It must be callable from several threads at once. */
typedef int (*cr_flux_drift_fn)(void *ctx, double t, int hemi, double alat_deg, double mlt_h, double *dlat_dt,
                                double *dmlt_dt);

/* Where the footpoint now at each atom centre (time t1) was at t0 < t1. */
struct cr_flux_track {
    double t0, t1;
    size_t natom;     /* atoms per hemisphere (nal * nam) */
    double *lat[2];   /* [hemi][atom] |MLat| at r_iono at t0 [deg] */
    double *mlt[2];   /* [hemi][atom] MLT at t0 [h] */
    double max_shift; /* largest displacement over the interval [deg of arc] (of the atoms followed) */
    size_t ntracked;  /* atoms followed, both hemispheres (the others keep their own centre) */
};

/* Integrate every atom centre back from t1 to t0 with the drift: the
 * position as a unit vector on the sphere (regular over the pole), GSL's
 * fixed-step RK4 (gsl_odeiv2) with steps of at most dt_max [s] (the slices'
 * cadence resolves the drift's time variation; the potential is piecewise
 * linear in time between slices). Parallel over atoms. need (NULL = every
 * atom): per hemisphere, the atoms to follow (cr_flux_band); the others
 * keep their own centre. */
int cr_flux_track_new(const struct cr_footgrid *g, cr_flux_drift_fn drift, void *ctx, double t0, double t1,
                      double dt_max, const unsigned char *const need[2], struct cr_flux_track **out);
void cr_flux_track_release(struct cr_flux_track *tr);

/* Largest drift speed [deg of arc per s] at the cell centres of the grid
 * (every sub_lat-th, sub_mlt-th atom) at t0, t0 + dt, ..., t1: with the
 * potential linear in time between slices 5 s apart, the times of the
 * slices bound it over the interval; between the sampled points the
 * caller's safety factor covers it. */
int cr_flux_drift_bound(const struct cr_footgrid *g, cr_flux_drift_fn drift, void *ctx, double t0, double t1,
                        double dt, double *vmax);

/* The atoms whose followed start position can change the count
 * (need[h][atom] = 1; caller's arrays of nal * nam): those within reach
 * radius [deg of arc] plus two atoms of an atom of map a that is not
 * uniformly open or closed like its four neighbours (cut, undetermined,
 * solar wind, or next to a different one), and those whose open fraction
 * or topology differs between a and b. Any other atom followed back by at
 * most radius lands where a is uniform and as open as the atom itself in
 * a and b: no transition either way. The window is +-(radius / dlat_a + 2)
 * rows times +-(radius / column arc + 2) columns, the arc along the
 * parallel at the window's most poleward latitude, so it contains the
 * disc; the two atoms cover the moved atom's own extent, the second column
 * its MLT extent overlaps and the neighbour rule of a cut atom. Returns
 * the number of atoms marked. */
size_t cr_flux_band(const struct cr_topomap *a, const struct cr_topomap *b, double radius, unsigned char *need[2]);

/* The track between maps a (t0) and b (t1 > t0): band = 0 follows every
 * atom; band = 1 only those of cr_flux_band with the reach
 *     radius = 1.5 v_max (t1 - t0)
 * (v_max from cr_flux_drift_bound at dt_max, the factor for its sampling),
 * and follows every atom after all if one of those moved further than
 * radius. Same counts as band = 0 but for round-off in the atoms left out
 * (their df is 0 exactly instead of ~1e-16). */
int cr_flux_track_between(const struct cr_topomap *a, const struct cr_topomap *b, cr_flux_drift_fn drift, void *ctx,
                          double dt_max, int band, struct cr_flux_track **out);

/* Opened and closed flux [Wb] per hemisphere and bin between maps a (t0)
 * and b (t1) on the same footpoint grid; opened[h], closed[h] have nbin
 * entries (zeroed here). tr NULL: fixed footpoints, an atom's open fraction
 * in b against its own in a. tr given (built from t0 to t1 on this grid):
 * drifting footpoints, an atom's open fraction in b against the open
 * fraction in a over the same atom moved back to tr's t0 position (its
 * latitude extent split exactly over a's atoms of the one or two columns it
 * overlaps, a cut atom's open part on the side of its more open neighbour);
 * atoms whose t0 area touches an undetermined or solar-wind atom, or leaves
 * the grid, take part in no transition. The bin is the atom's at t1.
 * CR_ECONFIG if the grids differ or the bins do not fit the atom columns. */
int cr_flux_transitions(const struct cr_topomap *a, const struct cr_topomap *b, const struct cr_flux_track *tr,
                        double mlt_bin, int nbin, double *opened[2], double *closed[2]);

/* Number of MLT bins for a bin width (CR_ECONFIG through *nbin = 0 when the
 * width does not divide 24 h or is not a multiple of the atom MLT size). */
int cr_flux_nbins(const struct cr_footgrid *g, double mlt_bin, const struct cr_log *log, int *nbin);

/* `[flux]` configuration keys, the command and the benchmark. */
extern const struct cr_key cr_flux_keys[];
int cr_cmd_flux(struct cr_cmd_ctx *ctx);
int cr_bench_flux(struct cr_cmd_ctx *ctx);

#endif
