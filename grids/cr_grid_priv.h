/* cr_grid_priv.h — functions shared between the grid's own source files
 * (generators, metrics, point location). Not for use outside grids/. */
#ifndef CR_GRID_PRIV_H
#define CR_GRID_PRIV_H

#include "cr_grid.h"

/* Corner coordinate of (i,j,k) as a small array. */
static inline void cr_grid_corner(const struct cr_grid *g, int i, int j, int k, double p[3])
{
    size_t n = CR_GIDX(g, i, j, k);
    p[0] = g->x[n];
    p[1] = g->y[n];
    p[2] = g->z[n];
}

/* LFM-style spherical grid: fill every corner (ghosts included) of g, whose
 * sizes are set. CR_OK or CR_ECONFIG / CR_EDOMAIN with a logged reason. */
int cr_grid_lfm_corners(struct cr_grid *g);

/* Checks of an LFM spec (defaults filled): extents, counts, nested shells. */
int cr_grid_lfm_check(const struct cr_grid_spec *s);

/* Defaults of the LFM shape parameters left at zero in a spec. */
void cr_grid_lfm_defaults(struct cr_grid_spec *s);

/* Point-location data: built by cr_grid_new, freed by release. */
struct cr_grid_aux {
    double *theta;      /* LFM: polar angle of the corner rays j = 0..nj (increasing) */
    double h[3];        /* box grids: nominal cell size per direction */
    double r_safe;      /* LFM: points with r < r_safe are inside the inner boundary (outside the grid) */
    double r_max;       /* LFM: points with r > r_max are outside the grid */
    double egg[3];      /* LFM: outer shell (x_sun, x_tail, r_side) holding every corner, or 0: beyond it is outside */
    double axis_gap;    /* LFM: largest angle [rad] between an axis corner (j = 0, nj) and the X axis when the
                           axis corners sit off it (GAMERA's grids), 0 when they are on it or the gap is not thin */
};

int cr_grid_aux_build(struct cr_grid *g);
void cr_grid_aux_free(struct cr_grid_aux *aux);

#endif
