/* cr_msphere_run.c — running the magnetosphere: `cusprate mhd FILE.ini`
 * with [mhd] problem = magnetosphere, and its benchmark.
 *
 * Schedule (simulated time): slices every slice_dt_spinup from t = 0 until
 * t_analysis, then every slice_dt until t_end (slice n has an exact time,
 * computed, not accumulated); checkpoints every checkpoint_dt and at the
 * end; the ionosphere on its own cadence. Steps are shortened to land
 * exactly on every slice and checkpoint time.
 *
 * Output: <run>/mhd.h5 through the MHD core's writer (GAMERA/kaipy layout)
 * with split slices (cr_mhd_io.h: each slice in <run>/mhd_slices.K/
 * step_NNNNNN.h5, linked from mhd.h5 as Step#N), each Step#N group with
 * the subgroup `Ionosphere` (potential, FAC,
 * conductances on the MLat x MLT grid of both hemispheres, cr_ionosphere.h)
 * and the slice's diagnostics as attributes (`r_mp`, `r_mp_j`, `r_bs` [R_E],
 * `cpcp_north`, `cpcp_south` [kV], `n_rho_floor`, `n_p_floor` (floor uses
 * since the previous slice), `divb`, `dbz0`, `dbz0_night` [nT] (the
 * Biot-Savart Bz of the domain's currents at the Earth's centre, all cells
 * and those at x < 0)); mhd.xmf; <run>/msphere_diag.csv (the
 * same diagnostics per slice) and <run>/msphere_validation.txt (comparison
 * with the empirical models at the end).
 *
 * Checkpoint and restart: <run>/checkpoint.h5 (written under a temporary
 * name and renamed, so a kill at any moment leaves the previous one intact)
 * holds the solver's arrays (cr_checkpoint.h), the ionosphere state, the
 * schedule, counters, a stamp of the physics configuration, the name of the
 * slice folder and the number of slices complete (each slice file is renamed
 * into place when written, so the checkpoint does not copy them: its size
 * and cost do not grow with the run). A run started on a folder with a
 * checkpoint ([msphere] restart = auto) restores all of it into fresh
 * objects, takes the slice files up to the checkpoint's count (removing any
 * written after it) and continues: the result is bit for bit the run that
 * was not interrupted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_progress.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "../mhd/cr_checkpoint.h"
#include "cr_empirical.h"
#include "../mhd/cr_mhd_io.h"
#include "cr_msphere_priv.h"

struct sched {
    double t_end, t_analysis, dt_slice, dt_spin, dt_ckpt;
    long n_spin;      /* slices before t_analysis */
    long n_slices;    /* slices in the whole run */
};

static void sched_init(struct sched *s, double t_end, double t_an, double dt_slice, double dt_spin, double dt_ckpt)
{
    s->t_end = t_end, s->t_analysis = t_an, s->dt_slice = dt_slice, s->dt_spin = dt_spin, s->dt_ckpt = dt_ckpt;
    s->n_spin = t_an > 0 ? (long)ceil(t_an / dt_spin - 1e-9) : 0;
    if (t_an >= t_end) s->n_spin = (long)floor(t_end / dt_spin + 1e-9) + 1, s->n_slices = s->n_spin;
    else s->n_slices = s->n_spin + (long)floor((t_end - t_an) / dt_slice + 1e-9) + 1;
}

static double slice_time(const struct sched *s, long n)
{
    if (n < s->n_spin) return (double)n * s->dt_spin;
    return fmin(s->t_analysis + (double)(n - s->n_spin) * s->dt_slice, s->t_end);
}

/* Per-slice record (kept for the summary and the CSV). */
struct rec {
    double t, r_mp, r_mp_j, r_bs, cpcp[2], divb, dbz0, dbz0_night;
    long nrho, np, nva, nent;
    double dt_min; /* smallest CFL step since the previous slice [s] (NaN: no step) */
};

struct run {
    struct cr_cmd_ctx *ctx;
    const struct cr_log *log;
    struct cr_msphere *ms;
    struct cr_mhd_out *out;
    struct sched sc;
    char ckpt_path[4200], diag_path[4200], val_path[4200];
    char *stamp;
    long nslice;        /* slices written */
    long nckpt;         /* index of the next checkpoint time (k * dt_ckpt) */
    long nrho_cum, np_cum, nrho_since, np_since, nva_cum, nva_since, nsteps_cum;
    long nent_cum, nent_since; /* pressures the dual-energy switch took from the entropy (cell-stages) */
    double dtmin_since; /* smallest CFL step since the previous slice [s] (INFINITY: none yet) */
    struct rec *recs;
    long nrec, caprec;
};

/* The physics part of the configuration: what a resumed run must share with
 * the run that wrote the checkpoint (run control keys may change). */
static char *physics_stamp(const struct cr_config *cfg)
{
    static const char *const secs[] = {"grid", "mhd", "wind", "ionosphere", "msphere", NULL};
    static const char *const free_keys[] = {"msphere.t_end", "msphere.checkpoint_dt", "msphere.restart",
                                            "msphere.stop_after", "msphere.validate", NULL};
    return cr_config_ini_select(cfg, secs, free_keys, 0);
}

static int rec_add(struct run *r, const struct rec *x)
{
    if (r->nrec == r->caprec) {
        long cap = r->caprec ? 2 * r->caprec : 256;
        struct rec *nr = realloc(r->recs, (size_t)cap * sizeof *nr);
        if (!nr) return CR_ENOMEM;
        r->recs = nr;
        r->caprec = cap;
    }
    r->recs[r->nrec++] = *x;
    return CR_OK;
}

/* ---- slices ------------------------------------------------------------------------- */

static int write_slice_extras(struct run *r, const struct cr_msphere_diag *dp);

static int write_slice(struct run *r, double steps_per_s, double mcells)
{
    struct cr_msphere *ms = r->ms;
    struct cr_msphere_diag d;
    int rc = cr_mhd_out_write(r->out, ms->m);
    if (!rc) rc = cr_msphere_diagnose(ms, &d);
    if (rc) return rc;
    if (cr_mhd_out_writer(r->out)) rc = write_slice_extras(r, &d);
    rc = cr_par_max_int(&ms->par, rc); /* every rank stops if the writer failed */
    if (rc) return rc;
    struct rec x = {.t = d.t, .r_mp = d.r_mp, .r_mp_j = d.r_mp_j, .r_bs = d.r_bs, .cpcp = {d.cpcp[0], d.cpcp[1]},
                    .divb = d.divb, .dbz0 = d.dbz0, .dbz0_night = d.dbz0_night, .nrho = r->nrho_since,
                    .np = r->np_since, .nva = r->nva_since, .nent = r->nent_since,
                    .dt_min = isfinite(r->dtmin_since) ? r->dtmin_since : NAN};
    rc = rec_add(r, &x);
    cr_info(r->log,
            "slice %d t = %.1f s: magnetopause %.2f R_E (|J| peak %.2f), bow shock %.2f R_E, CPCP N/S %.1f/%.1f kV, "
            "dBz(0) %.1f nT (night %.1f), floors rho/p %ld/%ld, entropy %ld, vA limiter %ld, div B %.1e, "
            "%.1f steps/s, %.2f M cell-updates/s",
            cr_mhd_out_count(r->out) - 1, d.t, d.r_mp, d.r_mp_j, d.r_bs, d.cpcp[0], d.cpcp[1], d.dbz0, d.dbz0_night,
            r->nrho_since, r->np_since, r->nent_since, r->nva_since, d.divb, steps_per_s, mcells);
    r->nrho_since = r->np_since = r->nva_since = r->nent_since = 0;
    r->dtmin_since = INFINITY;
    r->nslice++;
    return rc;
}

/* The writer's part of a slice: the ionosphere and the diagnostics in the
 * slice's group. */
static int write_slice_extras(struct run *r, const struct cr_msphere_diag *dp)
{
    struct cr_msphere *ms = r->ms;
    const struct cr_msphere_diag d = *dp;
    int rc = CR_OK;
    char name[64];
    snprintf(name, sizeof name, "Step#%d", cr_mhd_out_count(r->out) - 1);
    hid_t grp = H5Gopen2(cr_mhd_out_file(r->out), name, H5P_DEFAULT);
    if (grp < 0) return CR_EIO;
    hid_t ig = H5Gcreate2(grp, "Ionosphere", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ig < 0) rc = CR_EIO;
    else {
        rc |= cr_iono_write_h5(ms->io, ig, r->log);
        rc |= cr_h5_attr_string(ig, "description",
                                "electrostatic ionosphere coupled to the inner boundary at this slice: potential, "
                                "field-aligned current and conductances on the MLat x MLT grid, both hemispheres");
        rc |= cr_h5_attr_string(ig, "conductance",
                                ms->cond ? "model: EUV (Moen & Brekke 1993) and precipitation from the MHD (Fedder et "
                                           "al. 1995, Knight 1973, Robinson et al. 1987), floored; see "
                                           "magnetosphere/README.md"
                                         : "uniform (ionosphere.sigma_p, ionosphere.sigma_h)");
        if (ms->cond) {
            rc |= cr_h5_attr_double(ig, "f107", ms->f107);
            rc |= cr_h5_attr_string(ig, "f107_units", "sfu (10^-22 W m^-2 Hz^-1), of the last coupling");
        }
        H5Gclose(ig);
    }
    rc |= cr_h5_attr_double(grp, "r_mp", d.r_mp);
    rc |= cr_h5_attr_double(grp, "r_mp_j", d.r_mp_j);
    rc |= cr_h5_attr_double(grp, "r_bs", d.r_bs);
    rc |= cr_h5_attr_double(grp, "cpcp_north", d.cpcp[0]);
    rc |= cr_h5_attr_double(grp, "cpcp_south", d.cpcp[1]);
    rc |= cr_h5_attr_double(grp, "divb", d.divb);
    rc |= cr_h5_attr_double(grp, "dbz0", d.dbz0);
    rc |= cr_h5_attr_double(grp, "dbz0_night", d.dbz0_night);
    rc |= cr_h5_attr_int(grp, "n_rho_floor", r->nrho_since);
    rc |= cr_h5_attr_int(grp, "n_p_floor", r->np_since);
    rc |= cr_h5_attr_int(grp, "n_va_limit", r->nva_since);
    rc |= cr_h5_attr_int(grp, "n_entropy", r->nent_since);
    rc |= cr_h5_attr_double(grp, "dt_min", isfinite(r->dtmin_since) ? r->dtmin_since : NAN);
    rc |= cr_h5_attr_string(grp, "diagnostics_units",
                            "r_mp, r_mp_j, r_bs [R_E] (subsolar magnetopause from the Bz reversal or density drop, "
                            "from the |J| peak; bow shock at twice the upstream density; 0 = not found); "
                            "cpcp_north, cpcp_south [kV]; n_rho_floor, n_p_floor: floor uses since the previous "
                            "slice (cell-stages); n_entropy: pressures taken from the entropy by the dual-energy "
                            "switch since the previous slice (cell-stages; mhd.dual_energy); n_va_limit: cells "
                            "raised by the Alfven-speed limiter since the previous slice (cell-steps); dt_min [s]: "
                            "the smallest CFL time step since the previous slice (NaN: none); divb: max |div B| "
                            "V^-1 / (|B1|/h); dbz0, dbz0_night [nT]: "
                            "Bz at the Earth's centre from the currents of the whole domain and of its x < 0 half "
                            "(Biot-Savart; a Dst proxy without ionospheric, inner and induced currents)");
    H5Gclose(grp);
    if (!rc) rc = cr_mhd_out_end_slice(r->out);
    if (rc) {
        cr_error(r->log, "msphere: cannot write the ionosphere and diagnostics of %s", name);
        return CR_EIO;
    }
    return CR_OK;
}

/* ---- checkpoint -------------------------------------------------------------------------- */

static int write_checkpoint_file(struct run *r);

/* Every rank: the solver's state is gathered by rank 0, which writes. */
static int write_checkpoint(struct run *r)
{
    if (r->ms->par.rank == 0) return cr_par_max_int(&r->ms->par, write_checkpoint_file(r));
    int rc = cr_checkpoint_write_mhd(H5I_INVALID_HID, r->ms->m, r->log);
    return cr_par_max_int(&r->ms->par, rc);
}

static int write_checkpoint_file(struct run *r)
{
    struct cr_h5 *f = cr_h5_create(r->ckpt_path, r->ctx->cfg, r->log);
    if (!f) {
        /* the others still gather the solver's state */
        if (r->ms->gb) cr_checkpoint_write_mhd(H5I_INVALID_HID, r->ms->m, r->log);
        return CR_EIO;
    }
    hid_t root = cr_h5_root(f);
    int rc = 0;
    rc |= cr_h5_attr_string(root, "content",
                            "cusprate magnetosphere checkpoint: solver state (group mhd), ionosphere and schedule "
                            "(group msphere); the slices 0 .. nslice-1 are the files step_NNNNNN.h5 in the run "
                            "folder's slice_dir");
    rc |= cr_h5_attr_string(root, "physics_stamp", r->stamp);
    rc |= cr_h5_attr_string(root, "slice_dir", cr_mhd_out_slice_dir(r->out));
    rc |= cr_h5_attr_int(root, "nslice", r->nslice);
    rc |= cr_h5_attr_int(root, "nckpt", r->nckpt);
    rc |= cr_h5_attr_int(root, "nrho_cum", r->nrho_cum);
    rc |= cr_h5_attr_int(root, "np_cum", r->np_cum);
    rc |= cr_h5_attr_int(root, "nrho_since", r->nrho_since);
    rc |= cr_h5_attr_int(root, "np_since", r->np_since);
    rc |= cr_h5_attr_int(root, "nva_cum", r->nva_cum);
    rc |= cr_h5_attr_int(root, "nva_since", r->nva_since);
    rc |= cr_h5_attr_int(root, "nent_cum", r->nent_cum);
    rc |= cr_h5_attr_int(root, "nent_since", r->nent_since);
    rc |= cr_h5_attr_double(root, "dtmin_since", r->dtmin_since);
    rc |= cr_h5_attr_int(root, "nsteps_cum", r->nsteps_cum);
    rc |= cr_h5_attr_double(root, "time_s", cr_msphere_time(r->ms));
    hid_t g1 = H5Gcreate2(root, "mhd", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t g2 = H5Gcreate2(root, "msphere", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g1 < 0 || g2 < 0) rc = 1;
    /* collective when decomposed: then called whatever rc is */
    if (!rc || r->ms->gb) rc |= cr_checkpoint_write_mhd(g1, r->ms->m, r->log);
    if (!rc) rc |= cr_msphere_save(r->ms, g2);
    if (g1 >= 0) H5Gclose(g1);
    if (g2 >= 0) H5Gclose(g2);
    if (rc) {
        cr_error(r->log, "msphere: cannot write the checkpoint %s", r->ckpt_path);
        cr_h5_discard(f);
        return CR_EIO;
    }
    rc = cr_h5_commit(f);
    if (!rc)
        cr_info(r->log, "checkpoint at t = %.1f s (step %ld, %ld slices): %s", cr_msphere_time(r->ms),
                cr_msphere_nstep(r->ms), r->nslice, r->ckpt_path);
    return rc;
}

static int read_long(hid_t f, const char *name, long *v)
{
    double d;
    if (cr_h5_read_attr_double(f, ".", name, &d)) return CR_EIO;
    *v = (long)d;
    return CR_OK;
}

/* Restore from the checkpoint and adopt its slices into the (fresh) output. */
static int resume(struct run *r)
{
    hid_t f = cr_h5_open_read(r->ckpt_path, r->log);
    if (f < 0) return CR_ECONFIG;
    int rc = CR_OK;
    char *st = cr_zalloc(strlen(r->stamp) + 65536, 1);
    if (!st) rc = CR_ENOMEM;
    if (!rc && cr_h5_read_attr_string(f, ".", "physics_stamp", st, strlen(r->stamp) + 65536)) rc = CR_EIO;
    if (!rc && strcmp(st, r->stamp)) {
        /* name the first differing line */
        const char *a = st, *b = r->stamp;
        while (*a && *a == *b) a++, b++;
        while (a > st && a[-1] != '\n') a--;
        while (b > r->stamp && b[-1] != '\n') b--;
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        cr_error(r->log,
                 "msphere: %s was written with a different configuration (checkpoint: '%.*s', now: '%.*s'); "
                 "delete it or set msphere.restart=no to start again",
                 r->ckpt_path, ea ? (int)(ea - a) : (int)strlen(a), a, eb ? (int)(eb - b) : (int)strlen(b), b);
        rc = CR_ECONFIG;
    }
    free(st);
    if (!rc)
        rc = read_long(f, "nslice", &r->nslice) | read_long(f, "nckpt", &r->nckpt) |
             read_long(f, "nrho_cum", &r->nrho_cum) | read_long(f, "np_cum", &r->np_cum) |
             read_long(f, "nrho_since", &r->nrho_since) | read_long(f, "np_since", &r->np_since) |
             read_long(f, "nva_cum", &r->nva_cum) | read_long(f, "nva_since", &r->nva_since) |
             read_long(f, "nsteps_cum", &r->nsteps_cum);
    /* absent in checkpoints written before this diagnostic existed */
    if (!rc && cr_h5_read_attr_double(f, ".", "dtmin_since", &r->dtmin_since)) r->dtmin_since = INFINITY;
    if (!rc && (read_long(f, "nent_cum", &r->nent_cum) | read_long(f, "nent_since", &r->nent_since)))
        r->nent_cum = r->nent_since = 0;
    if (rc == 1 || rc == CR_EIO) rc = CR_EIO;
    hid_t g = -1;
    if (!rc) {
        g = H5Gopen2(f, "mhd", H5P_DEFAULT);
        rc = g < 0 ? CR_EIO : cr_checkpoint_read_mhd(g, r->ms->m, r->log);
        if (g >= 0) H5Gclose(g);
    }
    if (!rc) {
        g = H5Gopen2(f, "msphere", H5P_DEFAULT);
        rc = g < 0 ? CR_EIO : cr_msphere_restore(r->ms, g);
        if (g >= 0) H5Gclose(g);
    }
    if (!rc) {
        /* the slice files up to the checkpoint, and their diagnostics for the summary */
        rc = cr_mhd_out_adopt_files(r->out, (int)r->nslice);
        for (long s = 0; s < r->nslice && !rc && cr_mhd_out_writer(r->out); s++) {
            char name[64], sp[4400];
            struct rec x;
            double a, b;
            snprintf(name, sizeof name, "Step#%ld", s);
            if (cr_mhd_out_slice_path(r->out, (int)s, sp, sizeof sp) || (g = cr_h5_open_read(sp, r->log)) < 0) {
                rc = CR_EIO;
                break;
            }
            rc |= cr_h5_read_attr_double(g, name, "time", &x.t);
            rc |= cr_h5_read_attr_double(g, name, "r_mp", &x.r_mp);
            rc |= cr_h5_read_attr_double(g, name, "r_mp_j", &x.r_mp_j);
            rc |= cr_h5_read_attr_double(g, name, "r_bs", &x.r_bs);
            rc |= cr_h5_read_attr_double(g, name, "cpcp_north", &x.cpcp[0]);
            rc |= cr_h5_read_attr_double(g, name, "cpcp_south", &x.cpcp[1]);
            rc |= cr_h5_read_attr_double(g, name, "divb", &x.divb);
            /* absent in checkpoints written before this diagnostic existed */
            if (cr_h5_read_attr_double(g, name, "dbz0", &x.dbz0)) x.dbz0 = NAN;
            if (cr_h5_read_attr_double(g, name, "dbz0_night", &x.dbz0_night)) x.dbz0_night = NAN;
            rc |= cr_h5_read_attr_double(g, name, "n_rho_floor", &a);
            rc |= cr_h5_read_attr_double(g, name, "n_p_floor", &b);
            x.nrho = (long)a, x.np = (long)b;
            rc |= cr_h5_read_attr_double(g, name, "n_va_limit", &a);
            x.nva = (long)a;
            x.nent = cr_h5_read_attr_double(g, name, "n_entropy", &a) ? 0 : (long)a;
            if (cr_h5_read_attr_double(g, name, "dt_min", &x.dt_min)) x.dt_min = NAN;
            H5Fclose(g);
            if (!rc) rc = rec_add(r, &x);
            else rc = CR_EIO;
        }
    }
    H5Fclose(f);
    if (rc == CR_EIO) { /* a damaged input, not a failure of this run: exit status 2 */
        cr_error(r->log, "msphere: cannot restore the run from %s (damaged or truncated): delete it or set "
                 "msphere.restart=no to start again", r->ckpt_path);
        rc = CR_ECONFIG;
    }
    if (!rc)
        cr_info(r->log, "resumed from %s at t = %.1f s (step %ld, %ld slices)", r->ckpt_path,
                cr_msphere_time(r->ms), cr_msphere_nstep(r->ms), r->nslice);
    return rc;
}

/* ---- the summary against the empirical models -------------------------------------------- */

static int write_diag_csv(struct run *r)
{
    char tmp[4400];
    if (cr_tmp_name(r->diag_path, tmp, sizeof tmp)) return CR_EIO;
    FILE *f = fopen(tmp, "w");
    if (!f) return CR_EIO;
    fprintf(f, "# cusprate magnetosphere diagnostics per slice (SM, along +X: ring j = 0 averaged over azimuth)\n"
               "# r_mp: subsolar magnetopause (Bz reversal under southward IMF, else density drop) [R_E]; r_mp_j: "
               "|J| peak [R_E]; r_bs: bow shock (twice the upstream density) [R_E]; 0 = not found\n"
               "# cpcp: cross-polar-cap potential [kV]; floors: uses since the previous slice; divb: max |div B| "
               "V^-1 / (|B1|/h); dbz0: Bz at the Earth's centre from the domain's currents (Biot-Savart, a Dst proxy) "
               "[nT], dbz0_night: its part from x < 0; dt_min: the smallest CFL time step since the previous slice "
               "[s] (nan: no step); n_entropy: pressures taken from the entropy by the dual-energy switch "
               "(mhd.dual_energy) since the previous slice\n");
    fprintf(f, "t_s,r_mp_RE,r_mp_j_RE,r_bs_RE,cpcp_north_kV,cpcp_south_kV,n_rho_floor,n_p_floor,n_va_limit,divb,"
               "dbz0_nT,dbz0_night_nT,dt_min_s,n_entropy\n");
    for (long s = 0; s < r->nrec; s++) {
        const struct rec *x = &r->recs[s];
        fprintf(f, "%.6f,%.4f,%.4f,%.4f,%.4f,%.4f,%ld,%ld,%ld,%.3e,%.3f,%.3f,%.4g,%ld\n", x->t, x->r_mp, x->r_mp_j,
                x->r_bs, x->cpcp[0], x->cpcp[1], x->nrho, x->np, x->nva, x->divb, x->dbz0, x->dbz0_night, x->dt_min,
                x->nent);
    }
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad) {
        unlink(tmp);
        return CR_EIO;
    }
    return cr_commit_file(tmp, r->diag_path, r->log);
}

/* Mean and relative spread (max - min) / mean of one diagnostic over the
 * records with t >= t0. Stand-offs that were not found (0) are left out of
 * the statistics and counted in *nmiss. */
static void stat_of(const struct run *r, double t0, int what, double *mean, double *spread, int *n, int *nmiss)
{
    double s = 0, lo = INFINITY, hi = -INFINITY;
    *n = *nmiss = 0;
    for (long k = 0; k < r->nrec; k++) {
        const struct rec *x = &r->recs[k];
        if (x->t < t0 - 1e-9) continue;
        double v = what == 0 ? x->r_mp : what == 1 ? x->r_bs : 0.5 * (x->cpcp[0] + x->cpcp[1]);
        if (what < 2 && !(v > 0)) {
            (*nmiss)++;
            continue;
        }
        s += v, lo = fmin(lo, v), hi = fmax(hi, v);
        (*n)++;
    }
    *mean = *n ? s / *n : 0.0;
    *spread = *n && *mean != 0 ? (hi - lo) / fabs(*mean) : 0.0;
}

/* Area-weighted mean Pedersen conductance [S] poleward of 60 deg MLat, both
 * hemispheres: the polar cap's conductance for the Hill-Siscoe potential. */
static double polar_sigma_p(const struct cr_msphere *ms)
{
    const struct cr_iono *io = ms->io;
    int nt = cr_iono_ntheta(io), np = cr_iono_nphi(io);
    double s = 0.0, w = 0.0;
    for (int h = 0; h < 2; h++) {
        const double *sp = cr_iono_sigma_p(io, h);
        for (int i = 0; i < nt; i++) {
            if (fabs(cr_iono_mlat(io, h, i)) < 60.0) continue;
            double a = sin(cr_iono_alpha(io, i));
            if (i == 0) a = 0.125 * cr_iono_dtheta(io); /* the polar cap node's ring */
            for (int j = 0; j < np; j++) s += a * sp[i * np + j], w += a;
        }
    }
    return w > 0 ? s / w : NAN;
}

static int summarize(struct run *r, int *pass)
{
    struct cr_wind_sample s;
    double t_end = r->sc.t_end;
    cr_wind_eval(r->ms->wind, t_end, &s);
    struct cr_emp_sw sw = {.n = s.n, .temp = s.temp, .gamma = r->ms->inp.gamma};
    for (int q = 0; q < 3; q++) sw.v[q] = s.v[q], sw.b[q] = s.b[q];
    struct cr_emp_ref ref;
    cr_emp_reference(&sw, &ref);
    sw.te_over_ti = 1.0;
    struct cr_emp_ref ref2;
    cr_emp_reference(&sw, &ref2);
    const double sig_pc = polar_sigma_p(r->ms);
    const double hs = cr_emp_siscoe02_kv(sw.v, sw.b, ref.pdyn, sig_pc);
    /* the last 30 minutes */
    double m[3], sp[3];
    int n[3], miss[3];
    for (int w = 0; w < 3; w++) stat_of(r, t_end - 1800.0, w, &m[w], &sp[w], &n[w], &miss[w]);
    double dbz = 0.0, divb = 0.0;
    int ndbz = 0;
    for (long k = 0; k < r->nrec; k++) {
        divb = fmax(divb, r->recs[k].divb);
        if (r->recs[k].t >= t_end - 1800.0 - 1e-9 && isfinite(r->recs[k].dbz0)) dbz += r->recs[k].dbz0, ndbz++;
    }
    dbz = ndbz ? dbz / ndbz : NAN;
    /* The goals of the validation across driving (docs/magnetosphere.md, "Across
     * driving"), set before any result: the stand-off within 10 % of Shue et
     * al. for IMF Bz >= -5 nT and within 15 % below (the empirical fit's
     * scatter grows with the driving); the potential within a factor 1.5 of
     * Boyle et al. down to -10 nT, and below that between the Hill-Siscoe
     * saturation and Boyle et al.'s unsaturated fit. */
    const double tol_mp = s.b[2] >= -5.0 - 1e-9 ? 0.10 : 0.15;
    const int saturated = s.b[2] < -10.0 - 1e-9;
    double e_mp = ref.r0 > 0 ? fabs(m[0] - ref.r0) / ref.r0 : INFINITY;
    double e_bs = ref.r_bs > 0 ? fabs(m[1] - ref.r_bs) / ref.r_bs : INFINITY;
    double f_pc = m[2] > 0 && ref.cpcp_kv > 0 ? fmax(m[2] / ref.cpcp_kv, ref.cpcp_kv / m[2]) : INFINITY;
    /* a stand-off must be found in at least 90 % of the slices to be judged */
    int ok_mp = e_mp <= tol_mp && n[0] > 0 && miss[0] * 10 <= n[0] + miss[0];
    int ok_bs = e_bs <= 0.15 && n[1] > 0 && miss[1] * 10 <= n[1] + miss[1];
    int ok_pc = saturated ? m[2] >= fmin(hs, ref.cpcp_kv) && m[2] <= fmax(hs, ref.cpcp_kv) : f_pc <= 1.5;
    int ok_st = n[0] >= 2 && sp[0] < 0.10 && sp[2] < 0.10;
    /* Stability (docs/magnetosphere.md): the smallest CFL step after the IMF
     * starts to turn within a factor 3 of the step before (the Boris speed caps
     * the fast speed, so a sound run keeps its step), div B at round-off. */
    const double t_turn = cr_config_real(r->ctx->cfg, "wind", "spinup_time");
    double dt_pre = NAN, dt_post = INFINITY;
    for (long k = 0; k < r->nrec; k++) {
        const struct rec *x = &r->recs[k];
        if (!isfinite(x->dt_min)) continue;
        if (x->t <= t_turn + 1e-9) dt_pre = x->dt_min; /* the last slice interval before the turning */
        else dt_post = fmin(dt_post, x->dt_min);
    }
    double dt_ratio = isfinite(dt_pre) && isfinite(dt_post) ? dt_post / dt_pre : NAN;
    int ok_dt = !(dt_ratio < 1.0 / 3.0); /* no record (resumed from an old checkpoint): not judged */
    int ok_db = divb <= 1e-12;
    *pass = ok_mp && ok_bs && ok_pc && ok_st && ok_dt && ok_db;
    char pcgoal[160];
    if (saturated)
        snprintf(pcgoal, sizeof pcgoal, "goal: between Hill-Siscoe %.1f kV and Boyle", hs);
    else
        snprintf(pcgoal, sizeof pcgoal, "factor %.2f, tolerance 1.5; Hill-Siscoe %.1f kV", f_pc, hs);
    char text[4096];
    int w = snprintf(text, sizeof text,
                     "magnetosphere at t = %.0f s against the GEM-2009 references (upstream n = %.3g /cc, V = "
                     "(%.4g, %.4g, %.4g) km/s, T = %.3g K, B = (%.3g, %.3g, %.3g) nT, P_dyn = %.4g nPa)\n"
                     "means over the %d slices from t = %.0f s (last 30 min):\n"
                     "  subsolar magnetopause %.2f R_E vs Shue et al. 1998 %.2f R_E: %+.1f %% (tolerance %.0f %%; "
                     "not found in %d slices) %s\n"
                     "  bow shock             %.2f R_E vs Farris & Russell 1994 %.2f R_E (M_f %.2f; %.2f R_E with "
                     "T_e = T_i): %+.1f %% (tolerance 15 %%; not found in %d slices) %s\n"
                     "  cross-polar-cap pot.  %.1f kV vs Boyle et al. 1997 %.1f kV (%s; polar-cap Sigma_P %.3g S) %s\n"
                     "  quasi-steady: spread (max-min)/mean of the stand-off %.1f %%, bow shock %.1f %%, CPCP %.1f %% "
                     "(tolerance 10 %%) %s\n"
                     "  Dst proxy (Bz at the centre from the domain's currents, mean) %.2f nT\n"
                     "  time step: %.4g s before the IMF turns (t <= %.0f s), smallest after %.4g s: ratio %.3f "
                     "(goal >= 1/3) %s\n"
                     "  div B: at most %.1e of |B1|/h over the run (goal <= 1e-12, round-off) %s\n"
                     "  floors used over the run: density %ld, pressure %ld (cell-stages); Alfven-speed limiter %ld "
                     "(cell-steps); pressure from the entropy (mhd.dual_energy) %ld (cell-stages); steps %ld\n",
                     t_end, s.n, s.v[0], s.v[1], s.v[2], s.temp, s.b[0], s.b[1], s.b[2], ref.pdyn, n[2],
                     t_end - 1800.0, m[0], ref.r0, 100 * (m[0] - ref.r0) / ref.r0, 100 * tol_mp, miss[0],
                     ok_mp ? "PASS" : "FAIL", m[1], ref.r_bs, ref.mach, ref2.r_bs,
                     ref.r_bs > 0 ? 100 * (m[1] - ref.r_bs) / ref.r_bs : 0.0, miss[1], ok_bs ? "PASS" : "FAIL", m[2],
                     ref.cpcp_kv, pcgoal, sig_pc, ok_pc ? "PASS" : "FAIL", 100 * sp[0], 100 * sp[1], 100 * sp[2],
                     ok_st ? "PASS" : "FAIL", dbz, dt_pre, t_turn, dt_post, dt_ratio, ok_dt ? "PASS" : "FAIL", divb,
                     ok_db ? "PASS" : "FAIL", r->nrho_cum, r->np_cum, r->nva_cum, r->nent_cum, r->nsteps_cum);
    (void)w;
    fputs(text, cr_log_stream(r->log));
    char tmp[4400];
    if (cr_tmp_name(r->val_path, tmp, sizeof tmp)) return CR_EIO;
    FILE *f = fopen(tmp, "w");
    if (!f) return CR_EIO;
    fprintf(f, "# cusprate %s\n%s", "magnetosphere validation", text);
    if (fclose(f)) return CR_EIO;
    return cr_commit_file(tmp, r->val_path, r->log);
}

/* ---- the command ------------------------------------------------------------------------------ */

int cr_msphere_cmd(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    const struct cr_log *log = ctx->log;
    struct cr_msphere_inp inp;
    int rc = cr_msphere_inp_from_config(cfg, &inp, log);
    if (rc) return rc;
    inp.par = &ctx->par;
    struct run r = {.ctx = ctx, .log = log, .dtmin_since = INFINITY};
    sched_init(&r.sc, cr_config_real(cfg, "msphere", "t_end"), cr_config_real(cfg, "msphere", "t_analysis"),
               cr_config_real(cfg, "msphere", "slice_dt"), cr_config_real(cfg, "msphere", "slice_dt_spinup"),
               cr_config_real(cfg, "msphere", "checkpoint_dt"));
    if (r.sc.t_analysis > r.sc.t_end)
        cr_warn(log, "msphere: t_analysis = %g s is after t_end = %g s: only spin-up slices are written",
                r.sc.t_analysis, r.sc.t_end);
    const int restart = cr_config_choice(cfg, "msphere", "restart") == 0;
    const long stop_after = cr_config_int(cfg, "msphere", "stop_after");
    const int validate = cr_config_bool(cfg, "msphere", "validate");
    struct cr_wind *wind = NULL;
    rc = cr_msphere_wind_from_config(cfg, log, &wind);
    if (rc) return rc;
    if (cr_wind_t_last(wind) < r.sc.t_end)
        cr_warn(log, "msphere: the solar-wind driver ends at t = %g s, before t_end = %g s: its last values hold",
                cr_wind_t_last(wind), r.sc.t_end);
    inp.wind = wind;
    r.stamp = physics_stamp(cfg);
    char h5dummy[4200];
    if (!r.stamp || cr_run_path(ctx, "checkpoint.h5", r.ckpt_path, sizeof r.ckpt_path) ||
        cr_run_path(ctx, "msphere_diag.csv", r.diag_path, sizeof r.diag_path) ||
        cr_run_path(ctx, "msphere_validation.txt", r.val_path, sizeof r.val_path) ||
        cr_run_path(ctx, "mhd.h5", h5dummy, sizeof h5dummy)) {
        free(r.stamp);
        cr_wind_release(wind);
        return r.stamp ? CR_EIO : CR_ENOMEM;
    }
    /* the references the run is held against */
    {
        struct cr_wind_sample s;
        cr_wind_eval(wind, r.sc.t_end, &s);
        struct cr_emp_sw sw = {.n = s.n, .temp = s.temp, .gamma = inp.gamma > 1 ? inp.gamma : 5.0 / 3.0};
        for (int q = 0; q < 3; q++) sw.v[q] = s.v[q], sw.b[q] = s.b[q];
        struct cr_emp_ref ref;
        cr_emp_reference(&sw, &ref);
        cr_info(log,
                "magnetosphere: upstream at t_end n = %.3g /cc, Vx = %.4g km/s, Bz = %.3g nT: Shue 1998 stand-off "
                "%.2f R_E, Farris & Russell bow shock %.2f R_E (fast Mach %.2f), Boyle 1997 CPCP %.1f kV",
                s.n, s.v[0], s.b[2], ref.r0, ref.r_bs, ref.mach, ref.cpcp_kv);
    }
    r.ms = cr_msphere_new(&inp);
    if (!r.ms) {
        free(r.stamp);
        cr_wind_release(wind);
        return CR_ECONFIG;
    }
    struct cr_msphere *ms = r.ms;
    const struct cr_grid *g = ms->g;
    /* a resumed run continues in the checkpoint's slice folder, a new one takes a new folder */
    const int have_ckpt = restart && cr_file_exists(r.ckpt_path);
    char sdir[256] = "";
    if (have_ckpt) {
        hid_t f = cr_h5_open_read(r.ckpt_path, log);
        if (f < 0) rc = CR_ECONFIG; /* damaged: the message names the file */
        else {
            if (H5Aexists(f, "slice_dir") <= 0) {
                cr_error(log,
                         "msphere: %s was written by an earlier version that kept copies of the slices in the "
                         "checkpoint; it cannot be resumed: delete it or set msphere.restart=no to start again",
                         r.ckpt_path);
                rc = CR_ECONFIG;
            } else if (cr_h5_read_attr_string(f, ".", "slice_dir", sdir, sizeof sdir) || !sdir[0]) {
                cr_error(log, "msphere: %s: unreadable attribute slice_dir", r.ckpt_path);
                rc = CR_ECONFIG;
            }
            H5Fclose(f);
        }
    }
    struct cr_mhd_out_inp oi = {.dir = ctx->run_dir, .cfg = cfg, .problem = "magnetosphere", .log = log,
                                .slice_dir = sdir, .grid = g, .dipole_nt = ms->b_e_code * ms->units.bfield};
    if (!rc) r.out = cr_mhd_out_open(ms->m, &oi);
    if (!r.out) rc = rc ? rc : CR_EIO;
    if (!rc) {
        /* the ionosphere of every slice (Step#N/Ionosphere) as two surfaces in mhd.xmf */
        static const char *const hemi[2] = {"north", "south"}, *const iv[4] = {"Potential", "FAC", "SigmaP", "SigmaH"};
        rc = cr_mhd_out_xmf_surface(r.out, "Ionosphere", 2, cr_iono_ntheta(ms->io), cr_iono_nphi(ms->io), hemi, iv,
                                    4);
    }
    int resumed = 0;
    if (!rc && have_ckpt) {
        rc = resume(&r);
        resumed = !rc;
    }
    const double ncell = (double)g->ni * g->nj * g->nk;
    char src[96] = "";
    if (ms->cond && ms->src.j)
        snprintf(src, sizeof src, ", precipitation source at %.2f R_E (shell %d)", ms->src.r, ms->src.shell);
    cr_info(log,
            "magnetosphere: grid %d x %d x %d (%.0f cells), inner boundary %.2f R_E, outer shell x_sun %.1f R_E; "
            "Boris c = %g km/s (%g km/s inside %g R_E), coupling every %g s, FAC at %.2f R_E%s; %s from t = %.1f s to "
            "%.1f s, %ld slices, %d thread(s)",
            g->ni, g->nj, g->nk, ncell, g->spec.r_inner, g->spec.x_sun, ms->inp.boris_c,
            ms->inp.boris_c_near > 0 ? ms->inp.boris_c_near : ms->inp.boris_c, ms->inp.boris_r_near, ms->inp.cadence,
            ms->fac.r, src,
            resumed ? "resuming" : "running", cr_msphere_time(ms), r.sc.t_end, r.sc.n_slices, cr_max_threads());
    const double t_start = cr_msphere_time(ms);
    struct cr_progress_inp pi = {.label = "mhd", .total = r.sc.t_end - t_start, .unit = "s", .log = log};
    const char *pm = cr_config_choice_name(cfg, "run", "progress");
    pi.force = !strcmp(pm, "always") ? 1 : !strcmp(pm, "never") ? -1 : 0;
    if (ms->par.rank > 0) pi.force = -1; /* rank 0 shows the progress of an MPI run */
    struct cr_progress *prog = rc ? NULL : cr_progress_new(&pi);
    double w0 = cr_wtime(), wlast = w0, wlog = w0;
    long steps_here = 0, steps_last = 0;
    double rate_steps = 0, rate_cells = 0;
    int stopped = 0;
    /* the slice at the start (t = 0 or a slice time reached before a kill) */
    while (!rc) {
        double t = cr_msphere_time(ms);
        double t_slice = r.nslice < r.sc.n_slices ? slice_time(&r.sc, r.nslice) : INFINITY;
        double t_ckpt = (double)r.nckpt * r.sc.dt_ckpt;
        if (t_slice <= t + 1e-9 * ms->units.time) {
            double wn = cr_wtime();
            if (wn > wlast) {
                rate_steps = (double)(steps_here - steps_last) / (wn - wlast);
                rate_cells = rate_steps * ncell * 1e-6;
            }
            wlast = wn, steps_last = steps_here;
            rc = write_slice(&r, rate_steps, rate_cells);
            continue;
        }
        if (t_ckpt <= t + 1e-9 * ms->units.time) {
            long k = r.nckpt++; /* the checkpoint records the next index */
            if (k > 0) rc = write_checkpoint(&r);
            continue;
        }
        if (t >= r.sc.t_end - 1e-9 * ms->units.time) break;
        if (stop_after > 0 && steps_here >= stop_after) {
            stopped = 1;
            break;
        }
        double t_stop = fmin(fmin(t_slice, t_ckpt), r.sc.t_end);
        struct cr_msphere_step si;
        rc = cr_msphere_step(ms, t_stop, &si);
        if (rc) break;
        steps_here++;
        r.nsteps_cum++;
        r.nrho_since += si.n_rho_floor, r.np_since += si.n_p_floor, r.nva_since += si.n_va_limit;
        r.nrho_cum += si.n_rho_floor, r.np_cum += si.n_p_floor, r.nva_cum += si.n_va_limit;
        r.nent_since += si.n_entropy, r.nent_cum += si.n_entropy;
        r.dtmin_since = fmin(r.dtmin_since, si.dt_cfl);
        if (cr_log_enabled(log, CR_LEVEL_DEBUG))
            cr_debug(log, "step %ld t = %.4f s dt = %.4g s%s floors %ld/%ld", cr_msphere_nstep(ms), cr_msphere_time(ms),
                     si.dt, si.coupled ? " (ionosphere solved)" : "", si.n_rho_floor, si.n_p_floor);
        if (!cr_progress_visible(prog) && cr_wtime() - wlog > 60.0) {
            /* no terminal (batch, nohup): a log line every minute instead of the progress line */
            double el = cr_wtime() - w0, done = cr_msphere_time(ms) - t_start;
            double eta = done > 0 ? el * (r.sc.t_end - cr_msphere_time(ms)) / done : 0.0;
            cr_info(log, "t = %.1f s of %.0f, dt = %.3g s, %.2f steps/s, %.3f M cell-updates/s, ETA %.0f min",
                    cr_msphere_time(ms), r.sc.t_end, si.dt, el > 0 ? steps_here / el : 0.0,
                    el > 0 ? steps_here * ncell * 1e-6 / el : 0.0, eta / 60.0);
            wlog = cr_wtime();
        }
        if (cr_progress_visible(prog)) {
            double el = cr_wtime() - w0;
            char extra[200];
            snprintf(extra, sizeof extra, "t=%.1fs dt=%.3gs %.1f steps/s %.2f Mcell/s", cr_msphere_time(ms), si.dt,
                     el > 0 ? steps_here / el : 0.0, el > 0 ? steps_here * ncell * 1e-6 / el : 0.0);
            cr_progress_update(prog, cr_msphere_time(ms) - t_start, extra);
        }
    }
    cr_progress_release(prog);
    double wall = cr_wtime() - w0;
    if (!rc)
        cr_info(log, "magnetosphere: %ld steps in %.1f s (%.2f steps/s, %.3f M cell-updates/s on %d thread(s)), "
                     "peak memory %.0f MiB",
                steps_here, wall, wall > 0 ? steps_here / wall : 0.0,
                wall > 0 ? steps_here * ncell * 1e-6 / wall : 0.0, cr_max_threads(), cr_peak_rss_mib());
    int pass = 1;
    if (!rc && stopped) {
        /* as if killed: nothing more is written, the last periodic checkpoint stays */
        cr_info(log, "magnetosphere: stopped after %ld steps at t = %.1f s as asked (msphere.stop_after, nothing "
                     "saved since the last checkpoint); run the same command again to resume",
                steps_here, cr_msphere_time(ms));
        cr_mhd_out_close(r.out, 0);
        r.out = NULL;
    } else if (!rc) {
        /* final checkpoint (lets a later run extend t_end), the files, the summary */
        if ((double)(r.nckpt - 1) * r.sc.dt_ckpt < r.sc.t_end - 1e-9) rc = write_checkpoint(&r);
        if (!rc) rc = cr_mhd_out_close(r.out, 1);
        r.out = NULL;
        if (!rc && ms->par.rank == 0) rc = write_diag_csv(&r);
        if (!rc && ms->par.rank == 0) rc = summarize(&r, &pass);
        if (!rc) cr_info(log, "magnetosphere: wrote %s/mhd.h5 (%ld slices), mhd.xmf, msphere_diag.csv, "
                              "msphere_validation.txt", ctx->run_dir, r.nslice);
    }
    if (r.out) cr_mhd_out_close(r.out, 0);
    cr_msphere_release(ms);
    cr_wind_release(wind);
    free(r.stamp);
    free(r.recs);
    if (!rc && validate && !pass) {
        cr_error(log, "magnetosphere: the run does not meet the reference tolerances (msphere.validate = yes)");
        rc = CR_ERR;
    }
    return rc;
}

/* ---- benchmark ---------------------------------------------------------------------------------- */

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cr_bench_msphere(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    struct cr_log qlog = *ctx->log;
    if (qlog.level > CR_LEVEL_WARN) qlog.level = CR_LEVEL_WARN;
    struct cr_msphere_inp inp;
    int rc = cr_msphere_inp_from_config(cfg, &inp, &qlog);
    if (rc) return rc;
    inp.par = &ctx->par;
    struct cr_wind *wind = NULL;
    rc = cr_msphere_wind_from_config(cfg, &qlog, &wind);
    if (rc) return rc;
    inp.wind = wind;
    struct cr_msphere *ms = cr_msphere_new(&inp);
    if (!ms) {
        cr_wind_release(wind);
        return CR_ECONFIG;
    }
    const struct cr_grid *g = ms->g;
    const double ncell = (double)g->ni * g->nj * g->nk;
    const int nthr = cr_max_threads();
    /* a short spin-up (the wind enters, the limiter settles, first couplings) */
    double t_warm = 30.0;
    while (!rc && cr_msphere_time(ms) < t_warm - 1e-9) rc = cr_msphere_step(ms, t_warm, NULL);
    const int tcount[2] = {1, nthr};
    for (int pass = 0; pass < (nthr > 1 ? 2 : 1) && !rc; pass++) {
        cr_set_threads(tcount[pass]);
        int nsteps = 0;
        double w0 = cr_wtime(), c0 = cpu_seconds(), t_s0 = cr_msphere_time(ms);
        /* every rank takes the same number of steps (rank 0's clock decides) */
        while (!rc) {
            int more = cr_wtime() - w0 < 8.0 || nsteps < 5;
            if (cr_par_bcast(&ms->par, &more, sizeof more, 0) || !more) break;
            rc = cr_msphere_step(ms, 1e30, NULL);
            nsteps++;
        }
        double wall = cr_par_max(&ms->par, cr_wtime() - w0), cpu = cpu_seconds() - c0;
        double cpu_all = cpu * ms->par.size; /* ranks run alike: rank 0's CPU time times the ranks */
        double rate = nsteps * ncell / wall;
        printf("magnetosphere %dx%dx%d (%.0f cells), %d rank(s) x %d thread(s): %d steps in %.2f s, %.2f steps/s, "
               "%.3f M cell-updates/s (%.3f M per core of CPU time), dt %.3f s, %.2f x real time\n",
               g->ni, g->nj, g->nk, ncell, ms->par.size, tcount[pass], nsteps, wall, nsteps / wall, rate * 1e-6,
               cpu_all > 0 ? nsteps * ncell / cpu_all * 1e-6 : 0.0, (cr_msphere_time(ms) - t_s0) / nsteps,
               (cr_msphere_time(ms) - t_s0) / wall);
    }
    cr_set_threads(nthr);
    double rss = cr_peak_rss_mib(), rss_max = cr_par_max(&ms->par, rss);
    double arr_max = cr_par_max(&ms->par, (double)cr_mhd_bytes(ms->m) / (1 << 20));
    printf("magnetosphere: solver arrays %.0f MiB per rank (largest block; the grid's metrics ~110 MiB more on the D "
           "grid; a D run's own peak is printed at its end), peak resident memory %.0f MiB per rank (largest of %d)\n",
           arr_max, rss_max, ms->par.size);
    cr_msphere_release(ms);
    cr_wind_release(wind);
    return rc;
}
