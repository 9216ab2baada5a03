/* cr_grid.h — structured curvilinear hexahedral grids and their metrics.
 *
 * One grid type serves the Cartesian verification problems and the LFM-style
 * warped spherical magnetosphere. Geometry is defined by corner coordinates;
 * every metric (face-area vectors, volumes, centres, edges, face frames) is
 * computed from the corners, so the MHD solver follows one code path on all
 * grids.
 *
 * Index conventions (all arrays share ONE layout, "node-sized"):
 *   active cells i = 0..ni-1, j = 0..nj-1, k = 0..nk-1; ghosts down to -ng
 *   and up to n+ng-1; corners i = -ng..ni+ng (one more than cells).
 *   flat index  CR_GIDX(g, i, j, k) = (i + ng) + sj * (j + ng) + sk * (k + ng)
 *   with sj = ni + 1 + 2 ng, sk = sj * (nj + 1 + 2 ng); every array has
 *   g->ntot = sk * (nk + 1 + 2 ng) entries, i fastest (structure of arrays).
 *   - corner (i,j,k) is the low corner of cell (i,j,k);
 *   - i-face (i,j,k) is the face between cells (i-1,j,k) and (i,j,k), with
 *     corners (i,j,k),(i,j+1,k),(i,j+1,k+1),(i,j,k+1); its area vector points
 *     towards +i. Likewise j-faces (towards +j) and k-faces (towards +k);
 *   - i-edge (i,j,k) joins corners (i,j,k) and (i+1,j,k); likewise j, k.
 *
 * The LFM-style spherical grid: i quasi-radial (inner sphere -> outer
 * boundary), j polar angle from the +X (Sun-Earth) axis (0..pi), k azimuth
 * about X starting at +Y, periodic. Cells next to the two axes (j = 0 and
 * j = nj - 1) are degenerate wedges; the grid records these axis rings so the
 * solver can average over them (as LFM/GAMERA do).
 *
 * Face-area vectors follow the bilinear-face formula
 *   A = 1/2 (p2 - p0) x (p3 - p1)
 * (corners p0..p3 in order), which makes the six faces of every hexahedron
 * close exactly in exact arithmetic. Volumes use the divergence theorem over
 * the bilinear faces (exact for trilinear hexahedra).
 */
#ifndef CR_GRID_H
#define CR_GRID_H

#include <stddef.h>

#include "../core/cr_log.h"

enum cr_grid_kind { CR_GRID_CARTESIAN = 0, CR_GRID_WARPED = 1, CR_GRID_LFM = 2 };

/* Boundary topology along one index direction. */
enum cr_grid_bc { CR_GRID_OPEN = 0, CR_GRID_PERIODIC = 1, CR_GRID_AXIS = 2 };

struct cr_grid_spec {
    enum cr_grid_kind kind;
    int ni, nj, nk;            /* active cells */
    int ng;                    /* ghost layers (0 -> 4; at least 4) */
    /* Cartesian / warped: box [x0,x1] x [y0,y1] x [z0,z1]; periodic flags */
    double lo[3], hi[3];
    int periodic[3];
    double warp_amp;           /* warped: amplitude as a fraction of the cell size (e.g. 0.1..0.3) */
    /* LFM spherical: */
    double r_inner;            /* inner sphere radius [R_E] (default 2) */
    double x_sun;              /* sunward extent of the outer shell [R_E] (~30) */
    double x_tail;             /* down-tail extent [R_E] (~300, positive number) */
    double r_side;             /* lateral extent [R_E] (~100) */
    double r_focus;            /* radius where cells are concentrated (~10) */
    double dr_focus;           /* target radial spacing there [R_E] (0.34 on D) */
    const struct cr_log *log;
    /* --- additions (documented in grids/README.md) --- */
    double j_warp;             /* LFM: polar-angle warp A of theta(eta) = pi eta + A (pi/2 - pi eta) eta (1 - eta);
                                  0 = uniform, > 0 widens the cells next to the axis (presets: 0.5); (-2, 4) */
    int block_i0, block_ni;    /* LFM: build only the radial cells block_i0 .. block_i0 + block_ni - 1 of the
                                  ni-cell grid (block_ni 0 = all): every corner and metric as the whole grid's
                                  (a block of a domain decomposition without the whole grid in memory) */
    const char *file;          /* non-empty: the grid is the corners X, Y, Z of this HDF5 file (a GAMERA grid
                                  file such as lfmD.h5, or a grid.h5 / mhd.h5), the other fields are ignored */
    int file_ghosts;           /* ghost layers on every side of the file's corner arrays (GAMERA: 4, ours: 0) */
};

struct cr_grid {
    enum cr_grid_kind kind;
    int ni, nj, nk, ng;
    enum cr_grid_bc bc[3];     /* per direction i, j, k */
    size_t sj, sk, ntot;       /* strides and array length */
    /* corners (node-sized layout, ghosts filled) */
    double *x, *y, *z;
    /* cell metrics */
    double *vol;               /* volume */
    double *cx, *cy, *cz;      /* centroid */
    /* face-area vectors, per direction d = 0 (i), 1 (j), 2 (k); components [d][c] */
    double *area[3][3];
    double *amag[3];           /* |A| */
    /* per-face orthonormal frames: normal n, tangents t1, t2 (t1 along the
     * face's first in-plane edge direction, t2 = n x t1), components [d][c] */
    double *fn[3][3], *ft1[3][3], *ft2[3][3];
    /* edge vectors and lengths per direction */
    double *edge[3][3];
    double *elen[3];
    /* axis rings (LFM): axis_lo = 1 if j = 0 touches the +X axis, axis_hi = 1
     * if j = nj touches the -X axis */
    int axis_lo, axis_hi;
    /* --- additions (documented in grids/README.md) --- */
    struct cr_grid_spec spec;  /* the resolved spec (ng, presets and defaults filled) */
    double period[3];          /* shift of a periodic Cartesian/warped direction (box length), else 0 */
    struct cr_grid_aux *aux;   /* private: per-grid data for point location (cr_grid_locate.c) */
};

/* LFM: the azimuthal index facing column k across the axis; the axis ring
 * cells (i, 0, k) and (i, 0, cr_grid_axis_k(g, k)) (likewise j = nj - 1) are
 * mirror images, and ghost cell (i, -1-m, k) is cell (i, m, cr_grid_axis_k(g, k)). */
static inline int cr_grid_axis_k(const struct cr_grid *g, int k) { return (((k + g->nk / 2) % g->nk) + g->nk) % g->nk; }

#define CR_GIDX(g, i, j, k) \
    ((size_t)((i) + (g)->ng) + (g)->sj * (size_t)((j) + (g)->ng) + (g)->sk * (size_t)((k) + (g)->ng))

/* Build a grid from a spec. NULL (with a logged reason) on bad spec. */
struct cr_grid *cr_grid_new(const struct cr_grid_spec *spec);
void cr_grid_release(struct cr_grid *g);

/* Check a spec without building the grid: CR_OK, or CR_ECONFIG with a message
 * naming the [grid] key at fault (grid.nk, grid.r_focus, ...). */
int cr_grid_spec_check(const struct cr_grid_spec *spec);

/* A grid from explicit corners, e.g. read from a GAMERA/kaipy file: x, y, z
 * [R_E] of the (nk+1) (nj+1) (ni+1) active corners in C order (k slowest,
 * i fastest), no ghosts. An LFM-style grid (the j = 0 and j = nj corner rows
 * on the X axis, the k = nk plane equal to k = 0, nk even) gets the LFM
 * boundary topology (open i, axis j, periodic k) and ghost corners like
 * cr_grid_new's; any other grid is CR_GRID_WARPED with open boundaries and
 * linearly extrapolated ghost corners. NULL (logged) on non-finite corners
 * or a cell of non-positive volume. */
/* The grid of an HDF5 file's corner arrays X, Y, Z, shape (Nk+1+2g, Nj+1+2g,
 * Ni+1+2g) in C order with g = ghosts layers on every side, which are
 * dropped (GAMERA's grid generator writes 4; cusprate's grid.h5 and mhd.h5
 * none); the kind is recognised as by cr_grid_new_from_corners. NULL with a
 * message naming the file on any error. */
struct cr_grid *cr_grid_new_from_file(const char *path, int ghosts, const struct cr_log *log);

struct cr_grid *cr_grid_new_from_corners(int ni, int nj, int nk, const double *x, const double *y, const double *z,
                                         const struct cr_log *log);

/* A block of a grid: the cells i0 .. i0 + ni - 1 of g (all j and k), with
 * ng ghost layers taken from g (its active cells across the cut, its own
 * ghosts at its ends): every metric is a copy of g's, so a solver on the
 * block computes exactly what it computes on g (the MHD domain
 * decomposition, mhd/cr_mhd.h). The block keeps g's topology in j and k; in
 * i it is open unless it is all of g. NULL (logged) on a bad range. */
struct cr_grid *cr_grid_new_block(const struct cr_grid *g, int i0, int ni);

/* The same block of an LFM grid built from its spec alone (spec.block_i0
 * and block_ni set; the whole grid is never built): equal, node for node, to
 * cr_grid_new_block of the whole grid. Other kinds: NULL (logged). */
struct cr_grid *cr_grid_new_lfm_block(const struct cr_grid_spec *spec, int i0, int ni);

/* Presets for the LFM grid: "D" = 48x48x64, "Q" = 96x96x128. Fills the LFM
 * fields of spec with the documented defaults. CR_ECONFIG for unknown. */
int cr_grid_spec_preset(struct cr_grid_spec *spec, const char *name);

/* Analytic volume [R_E^3] of the LFM grid's active region (between the inner
 * sphere and the outer shell of two half-spheroids): the value the summed
 * cell volumes converge to. Zero fields of spec take their defaults. */
double cr_grid_lfm_volume(const struct cr_grid_spec *spec);

/* Point location. The hint is `loc` itself: if loc->(i,j,k) is an active
 * cell (e.g. the previous result along an orbit) the search walks from it
 * (and starts Newton from loc->(u,v,w) when they are in [0,1]); set
 * loc->i = -1 for no hint. On success fills cell (i,j,k) and local
 * coordinates (u,v,w) in [0,1]^3 of the trilinear map, returns CR_OK;
 * CR_EDOMAIN if the point is outside the active grid (or not finite), and
 * loc is then left unchanged. Points in a periodic direction of a box grid
 * are wrapped into the box first. Thread-safe (g is read only). */
struct cr_grid_loc {
    int i, j, k;
    double u, v, w;
};
int cr_grid_locate(const struct cr_grid *g, const double p[3], struct cr_grid_loc *loc);

/* Trilinear interpolation at a located point of corner-centred data
 * (node-sized array). */
double cr_grid_interp_corner(const struct cr_grid *g, const double *data, const struct cr_grid_loc *loc);

/* Interpolation of cell-centred data (node-sized array with filled ghosts)
 * at a located point: trilinear between the 8 surrounding cell centres. */
double cr_grid_interp_cell(const struct cr_grid *g, const double *data, const struct cr_grid_loc *loc,
                           const double p[3]);

#endif
