/* cr_mhd_axis.c — ring averaging around the singular axis of the LFM-style
 * spherical grid (placeholder until the LFM grid exists: any request for
 * axis rings is refused with a configuration error). */
#include "../core/cr_common.h"
#include "cr_mhd_priv.h"

int cr_mhd_axis_check(struct cr_mhd *m)
{
    if (m->axis_rings > 0) {
        cr_error(m->log, "mhd: axis ring averaging is not available yet");
        return CR_ECONFIG;
    }
    return CR_OK;
}

void cr_mhd_axis_average(struct cr_mhd *m) { (void)m; }
