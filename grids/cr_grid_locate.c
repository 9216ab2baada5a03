/* cr_grid_locate.c — point location and interpolation on curvilinear grids. */
#include <stdlib.h>

#include "../core/cr_common.h"
#include "cr_grid_priv.h"

int cr_grid_aux_build(struct cr_grid *g)
{
    g->aux = NULL;
    return CR_OK;
}

void cr_grid_aux_free(struct cr_grid_aux *aux)
{
    free(aux);
}
