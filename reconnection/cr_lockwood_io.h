/* cr_lockwood_io.h — files of the Lockwood-Smith estimator: reading a
 * spectrogram (<flyby>.spectrogram.nc, docs/formats.md) and writing
 * <flyby>.rate.nc; the `cusprate rate` command and its [rate] keys.
 */
#ifndef CR_LOCKWOOD_IO_H
#define CR_LOCKWOOD_IO_H

#include "../core/cr_cli.h"
#include "../core/cr_config.h"
#include "../core/cr_log.h"
#include "../grids/cr_fieldline.h"
#include "cr_lockwood.h"

/* One spectrogram as the estimator needs it. Arrays owned by the struct. */
struct cr_lw_spec {
    int nt, ne;
    double *time;            /* [s] */
    double *mlat, *mlt;      /* [deg], [h] */
    double *altitude;        /* [km] (0 when absent from the file) */
    double *x, *y, *z;       /* SM [R_E] */
    double *energy;          /* channel centres [eV] */
    double *e_lo, *e_hi;     /* channel edges [eV] from energy_bnds (NULL when absent) */
    double *flux;            /* nt x ne, row-major [time][energy], the chosen quantity */
    double *track_angle;     /* per sample [deg] from poleward (NULL when absent) */
    double *neff;            /* nt x ne effective counts (variable effective_count; NULL when absent) */
    double *flight;          /* nt x ne flight times [s] of backward spectrograms (flight_time; NULL when absent) */
    double speed_km_s;       /* global attribute (0 when absent) */
    double track_angle_deg;  /* global attribute (CR_LW_FILL when absent) */
    int hemisphere;          /* +1 north, -1 south (attribute, else sign of the mean MLat) */
    char quantity[64];       /* variable the flux came from */
    char units[64];          /* its units */
};

/* Read `path`; `quantity` is the variable for E_ic ("diff_energy_flux",
 * "counts", "diff_number_flux"). NULL (message naming file and variable)
 * on error. */
struct cr_lw_spec *cr_lw_spec_read(const char *path, const char *quantity, const struct cr_log *log);
void cr_lw_spec_release(struct cr_lw_spec *s);

/* Field-line length and mapping from one satellite position, traced in
 * any field (grids/cr_fieldline.h): d = arc length from x to the minimum of
 * |B| along the line in the direction leaving Earth (the X-line of a newly
 * opened line); with dmlt > 0 also L_i/L' = |x2 - x| / |x2' - x'|, where x2
 * is x turned by dmlt [h] of MLT about the SM z axis and the primes are the
 * two lines' |B| minima (the merging-gap length at the satellite over the
 * X-line length it maps to). CR_OK, or the tracer's status. */
struct cr_rate_trace_out {
    double d;        /* [R_E] */
    double mapping;  /* L_i/L' (CR_LW_FILL unless dmlt > 0) */
    double xline[3]; /* |B| minimum [R_E] */
    double bmin;     /* |B| there [nT] */
};
int cr_rate_trace(struct cr_fieldline *fl, double t, const double x[3], double dmlt, struct cr_rate_trace_out *out);

/* The [rate] schema table (registered in core/cr_registry.c). */
extern const struct cr_key cr_rate_keys[];

/* `cusprate rate FILE.ini`: every spectrogram named by [rate] spectrograms
 * (or every <run>/<flyby>.spectrogram.nc) -> <run>/<flyby>.rate.nc. */
int cr_cmd_rate(struct cr_cmd_ctx *ctx);

/* The spectrogram files `rate` would process, as full paths (NULL-terminated
 * list, caller frees with cr_lw_free_list). *n receives the count. Used by the
 * pipeline to decide whether the stage is up to date. */
char **cr_rate_inputs(const struct cr_config *cfg, const char *run_dir, int *n, const struct cr_log *log);

/* "<dir>/<flyby>.rate.nc" for "<dir>/<flyby>.spectrogram.nc" (or any
 * "<name>.nc": "<name>.rate.nc"). */
int cr_rate_output_for(const char *spectrogram, const char *run_dir, char *buf, size_t n);

/* The flyby name of a spectrogram or rate file: its base name without
 * ".spectrogram.nc" / ".rate.nc". */
void cr_lw_flyby_name(const char *path, char *buf, size_t n);

/* Every file in `dir` whose name ends in `suffix` (sorted, hidden and
 * temporary files skipped), as full paths. NULL-terminated; *n the count. */
char **cr_lw_list_dir(const char *dir, const char *suffix, int *n);
void cr_lw_free_list(char **list);

#endif
