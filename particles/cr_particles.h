/* cr_particles.h — the `cusprate particles` stage: inject test protons in
 * the magnetosheath, trace them through the (time-dependent) fields, collect
 * those that reach the cusp at a satellite altitude, write particles.h5.
 *
 * Tracing proceeds in time windows (the intervals between MHD slices, or
 * equal windows for static fields): the field's two slices are loaded once
 * per window, the protons that start in the window are injected, and every
 * active proton is advanced to the window's end, in parallel over protons
 * (OpenMP, dynamic schedule). Each proton sub-cycles on its own steps and
 * draws from its own random stream, so the results do not depend on the
 * number of threads.
 */
#ifndef CR_PARTICLES_H
#define CR_PARTICLES_H

#include "../core/cr_cli.h"
#include "../core/cr_config.h"
#include "../grids/cr_field.h"
#include "cr_collect.h"
#include "cr_inject.h"
#include "cr_liouville.h"
#include "cr_push.h"

/* Schema of the [particles] section. */
extern const struct cr_key cr_particles_keys[];

struct cr_field_mhd;

struct cr_par;
struct cr_particles_inp {
    struct cr_field *field;         /* required; not owned */
    struct cr_field_mhd *mhd;       /* when the field is MHD slices: windows follow its slices */
    int mhd_load;                   /* CR_MHD_LOAD_* bits read from the slices (0 = B, V, D) */
    struct cr_push_inp push;        /* .field is set from `field` */
    struct cr_inject_inp inject;    /* .field, .r_exclude are set from `field` / r_collect */
    long n;                         /* protons to inject */
    double max_time;                /* [s] tracing time per proton */
    double window;                  /* [s] window for static fields (0 = 1/20 of the span) */
    double r_sat;                   /* [R_E] satellite radius (1 + altitude) */
    int progress;                   /* cr_progress force flag: 0 auto, 1 always, -1 never */
    const struct cr_log *log;
    const struct cr_par *par;       /* processes sharing the protons (core/cr_par.h; NULL = this one): proton j
                                       of the start-time order is traced by rank j % size, and every rank gets
                                       every record (identical to one process: each proton has its own stream) */
};

struct cr_particles_out {
    long n;                         /* protons drawn (= records) */
    struct cr_injected *inj;        /* [n] start state */
    struct cr_collect_rec *rec;     /* [n] how and where each ended */
    double weight_scale;            /* weight = inj[i].wunit * weight_scale */
    long n_injected;                /* start point found */
    long n_status[6];               /* by enum cr_pstatus (after mapping: collected / mirrored) */
    long tries;                     /* positions tried by the injection */
    long steps_fo, steps_gc, switches;
    double n_sw, v_sw;              /* upstream values used by the sheath criteria */
    double source_volume;           /* [R_E^3] */
    double wall;                    /* [s] tracing wall time */
};

/* Synchronisation windows from t_from to t_to (either direction; backward
 * tracing goes down): the MHD slice times between them, or equal windows of
 * `window` seconds (0 = 1/20 of the span) for static fields. Returns the
 * nedge >= 2 edges in order (caller frees), NULL when out of memory. */
double *cr_particles_window_edges(const struct cr_field_mhd *mhd, double t_from, double t_to, double window,
                                  size_t *nedge);

/* Run the whole ensemble. CR_OK, or an error with a logged reason. */
int cr_particles_trace(const struct cr_particles_inp *inp, struct cr_particles_out *out);
void cr_particles_out_free(struct cr_particles_out *out);

/* Fill push/inject/collection settings from the [particles] section
 * (everything but the field). */
int cr_particles_inp_from_config(const struct cr_config *cfg, struct cr_particles_inp *inp, const struct cr_log *log);

/* Write particles.h5 (docs/formats.md). */
int cr_particles_write(const char *path, const struct cr_config *cfg, const struct cr_particles_inp *inp,
                       const struct cr_particles_out *out, const struct cr_log *log);

/* Backward (Liouville) tracing set up from a configuration: the field
 * ([particles] field / mhd_file, or <run_dir>/mhd.h5 with the pressure),
 * the equations and sheath criteria of [particles], the [liouville] keys. */
extern const struct cr_key cr_liouville_keys[];
struct cr_liouville_setup {
    struct cr_liouville_inp inp;    /* owns inp.field (released by cr_liouville_setup_release) */
    int samples;                    /* liouville.samples */
    uint64_t seed;                  /* liouville.seed */
};
int cr_liouville_from_config(const struct cr_config *cfg, const char *run_dir, const struct cr_log *log,
                             struct cr_liouville_setup *out);
void cr_liouville_setup_release(struct cr_liouville_setup *s);

/* `cusprate particles FILE.ini` */
int cr_cmd_particles(struct cr_cmd_ctx *ctx);

/* `cusprate bench particles` */
int cr_bench_particles(struct cr_cmd_ctx *ctx);

#endif
