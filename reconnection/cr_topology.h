/* cr_topology.h — magnetic topology of footpoints on the inner-boundary
 * sphere, and topology maps over an MLat x MLT footpoint grid in both
 * hemispheres.
 *
 * Topology codes. CHIMP (the kaiju test-particle and field-line code) labels
 * a traced line by how many of its ends reach the inner boundary: 0 = solar
 * wind (IMF), 1 = open, 2 = closed. We keep those values and split "open" by
 * the hemisphere of the Earth end; lines that stopped before reaching a
 * boundary (maximum length or steps, a null, an integration failure) are
 * "undetermined" (-1), as CHIMP treats timed-out lines:
 *   CR_TOPO_UNDETERMINED = -1, CR_TOPO_SOLAR_WIND = 0, CR_TOPO_OPEN_NORTH = 1,
 *   CR_TOPO_CLOSED = 2, CR_TOPO_OPEN_SOUTH = 3 (CHIMP value 1).
 * A line with one end on Earth and the other stopped early is undetermined,
 * not open: only an end that leaves the domain makes a line open.
 *
 * Footpoint grid. Cells of dlat x dmlt in MLat at the ionosphere (radius
 * r_iono) and MLT, from mlat_min to mlat_max in each hemisphere. MLat maps to
 * the footpoint sphere r_foot (the inner boundary) along the dipole,
 *     cos^2(lat_foot) = cos^2(lat_iono) r_foot / r_iono
 * (a dipole line r = L cos^2(lat)), MLT to the SM azimuth
 * phi = (MLT - 12 h) * 15 deg/h (noon = +X, dusk = +Y). Each cell is split
 * into sub_lat x sub_mlt sub-footpoints ("atoms"); the flux of an atom is
 * |B_r| A at its centre on the footpoint sphere, A its exact spherical area
 * there. Cells are classified adaptively (cr_topomap_compute):
 *   1. a coarse lattice (every coarse_lat-th row, coarse_mlt-th column) is
 *      traced; a block whose four corners agree (and are determined) is
 *      filled, otherwise it is split in two along each direction longer than
 *      one cell and the new corners are traced, down to single cells;
 *   2. every cell with a 4-neighbour of a different topology (or itself
 *      undetermined) is refined: its sub_lat x sub_mlt atoms are traced one
 *      by one; the atoms of the other cells take the cell's topology;
 *   3. wherever a closed atom and an open atom are neighbours in latitude,
 *      the boundary between them is bisected edge_bisect times along the
 *      column's central MLT and the atom it cuts is counted open by the
 *      fraction of its latitude extent on the open side (frac).
 * So the open-closed boundary is resolved to dlat/sub_lat/2^(edge_bisect+1)
 * in latitude at the cost of tracing only near it. A closed island smaller than a coarse block
 * with four agreeing corners is missed; coarse_lat = coarse_mlt = 1 traces
 * every cell. The traces run in parallel (OpenMP, dynamic schedule); every
 * trace is independent of the others, so results do not depend on the
 * number of threads.
 */
#ifndef CR_TOPOLOGY_H
#define CR_TOPOLOGY_H

#include "../core/cr_log.h"
#include "../grids/cr_field.h"
#include "../grids/cr_fieldline.h"

enum cr_topo {
    CR_TOPO_UNDETERMINED = -1,
    CR_TOPO_SOLAR_WIND = 0,
    CR_TOPO_OPEN_NORTH = 1,
    CR_TOPO_CLOSED = 2,
    CR_TOPO_OPEN_SOUTH = 3
};

const char *cr_topo_name(int topo);

/* CHIMP's value: ends on Earth (0, 1, 2), or -1 for undetermined. */
int cr_topo_chimp(int topo);

static inline int cr_topo_is_open(int t) { return t == CR_TOPO_OPEN_NORTH || t == CR_TOPO_OPEN_SOUTH; }

/* Topology of a traced line (both ends). */
enum cr_topo cr_topo_classify(const struct cr_fl_result *res);

/* Trace the line through x [R_E] at time t and classify it; res may be NULL. */
enum cr_topo cr_topo_point(struct cr_fieldline *fl, double t, const double x[3], struct cr_fl_result *res);

/* --- footpoint grid ---------------------------------------------------- */

struct cr_par;
struct cr_footgrid_inp {
    double mlat_min, mlat_max; /* [deg] |MLat| range at the ionosphere (each hemisphere) */
    double dlat;               /* [deg] cell size in MLat */
    double dmlt;               /* [h] cell size in MLT (24 / dmlt must be an integer) */
    int sub_lat, sub_mlt;      /* atoms per cell (>= 1) */
    int coarse_lat, coarse_mlt;/* coarse lattice stride in cells (>= 1) */
    int edge_bisect;           /* bisections placing a boundary inside its atom pair (0 = whole atoms) */
    double r_iono;             /* [R_E] radius where MLat is given */
    double r_foot;             /* [R_E] footpoint sphere (the inner boundary) */
    const struct cr_log *log;
    const struct cr_par *par;  /* processes sharing the traces (core/cr_par.h; NULL = this one): the field
                                  lines of a map and the followed footpoints are split in contiguous blocks,
                                  every rank gets every result (identical to one process) */
};

/* Geometry, read-only after cr_footgrid_new. Index of an atom in one
 * hemisphere: ia * nam + ja (ia from mlat_min poleward, ja from MLT 0). */
struct cr_footgrid {
    struct cr_footgrid_inp p;
    int nlat, nmlt;           /* cells per hemisphere */
    int nal, nam;             /* atoms per hemisphere: nal = nlat sub_lat, nam = nmlt sub_mlt */
    double dlat_a, dmlt_a;    /* [deg], [h] atom size */
    double *lat_iono;         /* [nal] |MLat| of atom centres at the ionosphere [deg] */
    double *lat_foot;         /* [nal] |latitude| of atom centres on the footpoint sphere [deg] */
    double *area;             /* [nal] atom area on the footpoint sphere [m^2] */
    double *mlt;              /* [nam] MLT of atom centres [h] */
};

/* NULL (with a logged reason, e.g. a latitude that does not reach the
 * footpoint sphere along the dipole) on bad input. */
struct cr_footgrid *cr_footgrid_new(const struct cr_footgrid_inp *inp);
void cr_footgrid_release(struct cr_footgrid *g);

/* SM position [R_E] on the footpoint sphere of ionospheric |MLat| lat_iono
 * [deg] in hemisphere hemi (0 north, 1 south) at MLT mlt [h]. */
void cr_footgrid_point(const struct cr_footgrid *g, int hemi, double lat_iono, double mlt, double x[3]);

/* --- topology map ---------------------------------------------------------- */

struct cr_topomap {
    const struct cr_footgrid *grid;
    double time;           /* [s] */
    signed char *topo[2];  /* [hemi][ia * nam + ja] topology code */
    double *flux[2];       /* [hemi][atom] |B_r| A [Wb] */
    double *frac[2];       /* [hemi][atom] open fraction: 1 open, 0 closed (or undetermined / solar wind),
                              in between for an atom that a bisected boundary cuts */
    double *ocb[2];        /* [hemi][ja] |MLat| of the open-closed boundary at the ionosphere [deg]: below the
                              most equatorward open atom (bisected when edge_bisect > 0, else that atom's
                              equatorward edge); NaN where none is open */
    long ntraces;          /* field lines traced */
    long nundetermined[2]; /* undetermined atoms per hemisphere */
    double wall;           /* [s] wall time of cr_topomap_compute */
};

/* Classify every atom of the grid at time t in field f. `trace` gives the
 * tracing parameters (its field and r_inner are replaced by f and
 * g->p.r_foot). CR_OK, CR_ENOMEM, or CR_EDOMAIN when a footpoint lies
 * outside the field's domain. */
int cr_topomap_compute(const struct cr_footgrid *g, const struct cr_field *f, double t,
                       const struct cr_fieldline_inp *trace, struct cr_topomap **out);

void cr_topomap_release(struct cr_topomap *m);

/* Total flux [Wb] of atoms with topology `topo` in hemisphere hemi; pass
 * -2 for the open flux (sum of frac |B_r| A, boundary fractions included). */
double cr_topomap_flux_of(const struct cr_topomap *m, int hemi, int topo);

/* The open-closed boundary at MLT mlt [h] in hemisphere hemi, bisected in
 * latitude to within dlat_a / 2^nbisect, starting from the map's atom
 * column that holds mlt. On CR_OK, *lat_closed and *lat_open [deg,
 * ionospheric |MLat|] bracket the boundary (closed equatorward).
 * CR_EDOMAIN when the column has no open atom or no bracket is found. */
int cr_topomap_ocb_bisect(const struct cr_topomap *m, struct cr_fieldline *fl, int hemi, double mlt, int nbisect,
                          double *lat_closed, double *lat_open);

#endif
