/* cr_grid_cmd.h — the [grid] configuration section, building a grid spec
 * from a configuration, the `cusprate grid` command and the grid benchmark.
 *
 * Every stage that needs the grid (mhd, particles, flux) builds its spec
 * through cr_grid_spec_from_config(), so the [grid] keys mean the same
 * everywhere.
 */
#ifndef CR_GRID_CMD_H
#define CR_GRID_CMD_H

#include "../core/cr_cli.h"
#include "../core/cr_config.h"
#include "cr_grid.h"

/* Schema of the [grid] section (registered in core/cr_registry.c). */
extern const struct cr_key cr_grid_keys[];

/* Fill a spec from the [grid] section: kind, preset (D/Q fill the LFM shape
 * and counts; keys given explicitly override the preset), counts, ghosts,
 * box, periodic flags, warp, LFM extents. spec->log is taken from `log`.
 * CR_OK, or CR_ECONFIG with a message naming the key. */
int cr_grid_spec_from_config(const struct cr_config *cfg, struct cr_grid_spec *spec, const struct cr_log *log);

/* Summary figures of a grid (active cells only). */
struct cr_grid_stats {
    long ncells;              /* active cells */
    double vol_min, vol_max, vol_sum;
    int at_min[3], at_max[3]; /* cells where the extremes are */
    double aspect_max;        /* largest ratio of cell widths (width_d = V / mean |A_d|) */
    int at_aspect[3];
};
void cr_grid_stats(const struct cr_grid *g, struct cr_grid_stats *st);

/* Write <path>.h5 (X, Y, Z corners and dV, active only, C order (k, j, i))
 * and the XDMF companion `xmf_path` that points at it. CR_OK or CR_EIO. */
int cr_grid_write(const struct cr_grid *g, const char *h5_path, const char *xmf_path, const struct cr_config *cfg,
                  const struct cr_log *log);

/* `cusprate grid FILE.ini`: build, report, write <run>/grid.h5 + grid.xmf. */
int cr_cmd_grid(struct cr_cmd_ctx *ctx);

/* `cusprate bench grid`: point locations per second (1 thread) along a
 * random walk with steps of a fraction of a cell, on the [grid] grid
 * (default the LFM D grid). */
int cr_bench_grid(struct cr_cmd_ctx *ctx);

#endif
