/* cr_grid_lfm.c — the LFM-style warped spherical grid (corners and presets). */
#include <string.h>

#include "../core/cr_common.h"
#include "cr_grid_priv.h"

void cr_grid_lfm_defaults(struct cr_grid_spec *s)
{
    (void)s;
}

int cr_grid_lfm_corners(struct cr_grid *g)
{
    cr_error(g->spec.log, "grid: the LFM grid generator is not available in this build yet");
    return CR_ECONFIG;
}
