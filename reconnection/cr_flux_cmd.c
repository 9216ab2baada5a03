/* cr_flux_cmd.c — `cusprate flux FILE.ini`: topology maps of the footpoint
 * grid every [flux] interval, reconnected flux per MLT bin and hemisphere,
 * written to <run>/flux.nc (netCDF-4, CF-1.8; docs/formats.md); and
 * `cusprate bench flux`. */
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/cr_epoch.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_nc.h"
#include "../core/cr_progress.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "../grids/cr_field_mhd.h"
#include "cr_convection.h"
#include "cr_flux.h"

#define RANGED CR_KEY_RANGED
#define MINO CR_KEY_MIN_OPEN

const struct cr_key cr_flux_keys[] = {
    {.section = "flux", .name = "source", .type = CR_KEY_CHOICE, .unit = "", .def = "mhd", .choices = "mhd|analytic",
     .doc = "field: the run's MHD slices (mhd.h5), or the analytic dipole + uniform Bz ramp (verification)"},
    {.section = "flux", .name = "mhd_file", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "MHD slices to read (GAMERA/kaipy layout); default <run dir>/mhd.h5"},
    {.section = "flux", .name = "t_start", .type = CR_KEY_REAL, .unit = "s", .def = "first", .min = -1e12,
     .max = 1e12, .flags = RANGED, .choices = "first",
     .doc = "first state time (any time, negative in a spin-up); first = the first slice (0 for the analytic source)"},
    {.section = "flux", .name = "t_end", .type = CR_KEY_REAL, .unit = "s", .def = "last", .min = -1e12, .max = 1e12,
     .flags = RANGED, .choices = "last",
     .doc = "last state time; last = the last slice (t_start + interval for the analytic source)"},
    {.section = "flux", .name = "interval", .type = CR_KEY_REAL, .unit = "s", .def = "60", .min = 0, .max = 1e9,
     .flags = MINO, .doc = "time between the two topology maps of an accounting interval"},
    {.section = "flux", .name = "mlt_bin", .type = CR_KEY_REAL, .unit = "h", .def = "0.5", .min = 0, .max = 24,
     .flags = MINO, .doc = "MLT bin width of the accounting (divides 24 h, a multiple of dmlt / refine_mlt)"},
    {.section = "flux", .name = "mlat_min", .type = CR_KEY_REAL, .unit = "deg", .def = "50", .min = 0, .max = 89.9,
     .flags = RANGED, .doc = "lowest |MLat| of the footpoint grid at the ionosphere (both hemispheres)"},
    {.section = "flux", .name = "mlat_max", .type = CR_KEY_REAL, .unit = "deg", .def = "90", .min = 0.1, .max = 90,
     .doc = "highest |MLat| of the footpoint grid"},
    {.section = "flux", .name = "dlat", .type = CR_KEY_REAL, .unit = "deg", .def = "0.25", .min = 0, .max = 10,
     .flags = MINO, .doc = "footpoint cell size in MLat"},
    {.section = "flux", .name = "dmlt", .type = CR_KEY_REAL, .unit = "h", .def = "0.1", .min = 0, .max = 6,
     .flags = MINO, .doc = "footpoint cell size in MLT (24 h / dmlt whole)"},
    {.section = "flux", .name = "refine_lat", .type = CR_KEY_INT, .unit = "", .def = "4", .min = 1, .max = 64,
     .doc = "sub-footpoints in MLat per cell on a topology boundary"},
    {.section = "flux", .name = "refine_mlt", .type = CR_KEY_INT, .unit = "", .def = "1", .min = 1, .max = 64,
     .doc = "sub-footpoints in MLT per cell on a topology boundary"},
    {.section = "flux", .name = "coarse_lat", .type = CR_KEY_INT, .unit = "", .def = "4", .min = 1, .max = 4096,
     .doc = "stride in cells of the first coarse pass in MLat (1 = trace every cell)"},
    {.section = "flux", .name = "coarse_mlt", .type = CR_KEY_INT, .unit = "", .def = "2", .min = 1, .max = 4096,
     .doc = "stride in cells of the first coarse pass in MLT (1 = trace every cell)"},
    {.section = "flux", .name = "boundary_bisect", .type = CR_KEY_INT, .unit = "", .def = "4", .min = 0, .max = 30,
     .doc = "bisections placing the open-closed boundary inside a sub-footpoint pair (0 = whole sub-footpoints)"},
    {.section = "flux", .name = "r_iono", .type = CR_KEY_REAL, .unit = "R_E", .def = "1", .min = 0.5, .max = 10,
     .doc = "radius at which footpoint MLat is given (mapped along the dipole to the footpoint sphere)"},
    {.section = "flux", .name = "r_foot", .type = CR_KEY_REAL, .unit = "R_E", .def = "0", .min = 0, .max = 20,
     .flags = RANGED, .doc = "footpoint sphere where lines start and end 'on Earth'; 0 = the field's inner boundary"},
    {.section = "flux", .name = "r_outer", .type = CR_KEY_REAL, .unit = "R_E", .def = "0", .min = 0, .max = 1e4,
     .flags = RANGED,
     .doc = "a line reaching this radius has left the domain; 0 = the MHD grid's edge (60 for the analytic source)"},
    {.section = "flux", .name = "max_length", .type = CR_KEY_REAL, .unit = "R_E", .def = "2000", .min = 0,
     .max = 1e6, .flags = MINO, .doc = "longest traced length per direction (longer = undetermined)"},
    {.section = "flux", .name = "eps", .type = CR_KEY_REAL, .unit = "R_E", .def = "1e-6", .min = 0, .max = 1,
     .flags = MINO, .doc = "error tolerance per integration step (absolute in R_E and relative)"},
    {.section = "flux", .name = "h_max", .type = CR_KEY_REAL, .unit = "R_E", .def = "1", .min = 0, .max = 100,
     .flags = MINO, .doc = "longest integration step"},
    {.section = "flux", .name = "b_null", .type = CR_KEY_REAL, .unit = "nT", .def = "1e-3", .min = 0, .max = 10,
     .flags = MINO, .doc = "|B| below which a line ends at a null (undetermined)"},
    {.section = "flux", .name = "stepper", .type = CR_KEY_CHOICE, .unit = "", .def = "rk8pd",
     .choices = "rk8pd|rkf45|rkck", .doc = "GSL Runge-Kutta pair for the field lines"},
    {.section = "flux", .name = "ocb_bisect", .type = CR_KEY_INT, .unit = "", .def = "12", .min = 0, .max = 50,
     .doc = "bisection steps locating the boundary for the X-line trace"},
    {.section = "flux", .name = "xline_samples", .type = CR_KEY_INT, .unit = "", .def = "1", .min = 0, .max = 16,
     .doc = "X-line points per MLT bin (0 = no X-line lengths)"},
    {.section = "flux", .name = "footpoints", .type = CR_KEY_CHOICE, .unit = "", .def = "auto",
     .choices = "auto|drifting|fixed",
     .doc = "drifting: each footpoint follows the ionospheric E x B drift between the two maps (counts flux crossing "
            "the open-closed boundary); fixed: topology compared at fixed footpoints (counts only the boundary's "
            "motion); auto: drifting when the source has a potential (MHD slices with an Ionosphere group, or "
            "analytic_cpcp > 0), else fixed"},
    {.section = "flux", .name = "track_step", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = 0, .max = 1e6,
     .flags = RANGED, .doc = "longest RK4 step following the footpoints; 0 = the closest slices' spacing inside the accounting window (5 s analytic)"},
    {.section = "flux", .name = "track_band", .type = CR_KEY_BOOL, .unit = "", .def = "yes",
     .doc = "follow only the footpoints within reach of a topology boundary (bounded by the largest drift speed; the "
            "others cannot change topology in the count); no = follow every footpoint (same counts, slower)"},
    {.section = "flux", .name = "analytic_cpcp", .type = CR_KEY_REAL, .unit = "kV", .def = "0", .min = 0,
     .max = 1e4, .flags = RANGED,
     .doc = "analytic source: dawn-dusk potential Phi = -(cpcp / 2) sin((MLT - 12) 15 deg) at the ionosphere "
            "equatorward of 85 deg MLat (purely meridional drift), a uniform field poleward of it (verification of "
            "drifting footpoints)"},
    {.section = "flux", .name = "save_maps", .type = CR_KEY_BOOL, .unit = "", .def = "yes",
     .doc = "store every topology map (compressed) in flux.nc"},
    {.section = "flux", .name = "b_e", .type = CR_KEY_REAL, .unit = "nT", .def = "30000", .min = 0, .max = 1e6,
     .flags = MINO, .doc = "dipole equatorial surface field (analytic source; MHD: default fitted to the file's Bx0..Bz0)"},
    {.section = "flux", .name = "bz_start", .type = CR_KEY_REAL, .unit = "nT", .def = "-5", .min = -1000,
     .max = 1000, .doc = "analytic source: uniform Bz at t_start"},
    {.section = "flux", .name = "bz_end", .type = CR_KEY_REAL, .unit = "nT", .def = "-6", .min = -1000, .max = 1000,
     .doc = "analytic source: uniform Bz at t_end (linear in between)"},
    CR_KEY_END,
};

/* Everything the command reads from [flux]. */
struct flux_cfg {
    int source; /* 0 mhd, 1 analytic */
    char mhd_file[4096];
    double t_start, t_end, interval;
    struct cr_footgrid_inp grid;
    struct cr_flux_opts opts;
    int save_maps;
    int footpoints; /* 0 auto, 1 drifting, 2 fixed */
    double track_step, analytic_cpcp;
    int track_band;
    double b_e, bz_start, bz_end, r_outer;
};

static void read_cfg(const struct cr_config *c, const struct cr_log *log, struct flux_cfg *f)
{
    memset(f, 0, sizeof *f);
    f->source = cr_config_choice(c, "flux", "source");
    snprintf(f->mhd_file, sizeof f->mhd_file, "%s", cr_config_path(c, "flux", "mhd_file"));
    f->t_start = cr_config_real(c, "flux", "t_start");
    f->t_end = cr_config_real(c, "flux", "t_end");
    f->interval = cr_config_real(c, "flux", "interval");
    f->grid.mlat_min = cr_config_real(c, "flux", "mlat_min");
    f->grid.mlat_max = cr_config_real(c, "flux", "mlat_max");
    f->grid.dlat = cr_config_real(c, "flux", "dlat");
    f->grid.dmlt = cr_config_real(c, "flux", "dmlt");
    f->grid.sub_lat = (int)cr_config_int(c, "flux", "refine_lat");
    f->grid.sub_mlt = (int)cr_config_int(c, "flux", "refine_mlt");
    f->grid.coarse_lat = (int)cr_config_int(c, "flux", "coarse_lat");
    f->grid.coarse_mlt = (int)cr_config_int(c, "flux", "coarse_mlt");
    f->grid.edge_bisect = (int)cr_config_int(c, "flux", "boundary_bisect");
    f->grid.r_iono = cr_config_real(c, "flux", "r_iono");
    f->grid.r_foot = cr_config_real(c, "flux", "r_foot");
    f->grid.log = log;
    f->opts.mlt_bin = cr_config_real(c, "flux", "mlt_bin");
    f->opts.ocb_bisect = (int)cr_config_int(c, "flux", "ocb_bisect");
    f->opts.xline_samples = (int)cr_config_int(c, "flux", "xline_samples");
    struct cr_fieldline_inp *t = &f->opts.trace;
    t->max_length = cr_config_real(c, "flux", "max_length");
    t->eps_abs = t->eps_rel = cr_config_real(c, "flux", "eps");
    t->h_max = cr_config_real(c, "flux", "h_max");
    t->b_null = cr_config_real(c, "flux", "b_null");
    t->stepper = (enum cr_fl_stepper)cr_config_choice(c, "flux", "stepper");
    t->log = log;
    f->r_outer = cr_config_real(c, "flux", "r_outer");
    f->save_maps = cr_config_bool(c, "flux", "save_maps");
    f->footpoints = cr_config_choice(c, "flux", "footpoints");
    f->track_step = cr_config_real(c, "flux", "track_step");
    f->track_band = cr_config_bool(c, "flux", "track_band");
    f->analytic_cpcp = cr_config_real(c, "flux", "analytic_cpcp");
    f->b_e = cr_config_real(c, "flux", "b_e");
    f->bz_start = cr_config_real(c, "flux", "bz_start");
    f->bz_end = cr_config_real(c, "flux", "bz_end");
}

/* ---- flux.nc ---------------------------------------------------------------- */

struct series {
    int nt, nmap, nbin, nx;
    double *t0, *t1;                     /* [nt] */
    double *opened, *closed;             /* [nt][2][nbin] Wb */
    double *l_iono, *l_xline;            /* [nt][2][nbin] m */
    double *ocb;                         /* [nt][2][nbin] signed deg */
    double *open0, *open1, *undet;       /* [nt][2] Wb */
    double *map_t, *map_wall;            /* [nmap] */
    long *map_ntr;                       /* [nmap] */
    signed char *maps;                   /* [nmap][2][nal][nam] or NULL */
    double *xline;                       /* [nmap][2][nx][3] */
    double *xline_mlt;                   /* [nx] */
};

static void series_free(struct series *s)
{
    free(s->t0);
    free(s->t1);
    free(s->opened);
    free(s->closed);
    free(s->l_iono);
    free(s->l_xline);
    free(s->ocb);
    free(s->open0);
    free(s->open1);
    free(s->undet);
    free(s->map_t);
    free(s->map_wall);
    free(s->map_ntr);
    free(s->maps);
    free(s->xline);
    free(s->xline_mlt);
}

static int series_alloc(struct series *s, int nt, int nbin, int nx, size_t mapsize)
{
    memset(s, 0, sizeof *s);
    s->nt = nt;
    s->nmap = nt + 1;
    s->nbin = nbin;
    s->nx = nx;
    size_t a = (size_t)nt * 2 * (size_t)nbin;
    s->t0 = cr_zalloc((size_t)nt, sizeof(double));
    s->t1 = cr_zalloc((size_t)nt, sizeof(double));
    s->opened = cr_zalloc(a, sizeof(double));
    s->closed = cr_zalloc(a, sizeof(double));
    s->l_iono = cr_zalloc(a, sizeof(double));
    s->l_xline = cr_zalloc(a, sizeof(double));
    s->ocb = cr_zalloc(a, sizeof(double));
    s->open0 = cr_zalloc((size_t)nt * 2, sizeof(double));
    s->open1 = cr_zalloc((size_t)nt * 2, sizeof(double));
    s->undet = cr_zalloc((size_t)nt * 2, sizeof(double));
    s->map_t = cr_zalloc((size_t)s->nmap, sizeof(double));
    s->map_wall = cr_zalloc((size_t)s->nmap, sizeof(double));
    s->map_ntr = cr_zalloc((size_t)s->nmap, sizeof(long));
    s->xline = cr_zalloc((size_t)s->nmap * 2 * (size_t)nx * 3 + 1, sizeof(double));
    s->xline_mlt = cr_zalloc((size_t)nx + 1, sizeof(double));
    if (mapsize) s->maps = cr_zalloc((size_t)s->nmap * mapsize, 1);
    if (!s->t0 || !s->t1 || !s->opened || !s->closed || !s->l_iono || !s->l_xline || !s->ocb || !s->open0 ||
        !s->open1 || !s->undet || !s->map_t || !s->map_wall || !s->map_ntr || !s->xline || !s->xline_mlt ||
        (mapsize && !s->maps)) {
        series_free(s);
        return CR_ENOMEM;
    }
    return CR_OK;
}

/* Mean of two lengths, either may be NaN. */
static double mean2(double a, double b)
{
    if (isfinite(a) && isfinite(b)) return 0.5 * (a + b);
    return isfinite(a) ? a : b;
}

static int def(struct cr_nc *f, const char *name, nc_type type, int nd, const int *dims, const char *units,
               const char *long_name, const char *desc, int *id)
{
    int rc = cr_nc_def_var(f, name, type, nd, dims, units, long_name, desc, NULL, id);
    if (!rc && (type == NC_DOUBLE)) {
        double fill = NAN;
        rc = cr_nc_check(nc_def_var_fill(cr_nc_id(f), *id, 0, &fill), cr_nc_path(f), name, NULL);
    }
    return rc;
}

static int write_nc(const char *path, const struct cr_config *cfg, const struct cr_log *log, const struct flux_cfg *fc,
                    const struct cr_footgrid *g, const struct series *s, const char *source_desc,
                    const char *fp_desc)
{
    struct cr_nc *f = cr_nc_create(path, "cusprate reconnected-flux accounting", cfg, log);
    if (!f) return CR_EIO;
    int nc = cr_nc_id(f);
    int rc = 0;
    int d_t, d_h, d_m, d_b, d_mt = -1, d_ml = -1, d_mm = -1, d_x = -1, d_xyz = -1;
    rc |= cr_nc_def_dim(f, "time", (size_t)s->nt, &d_t);
    rc |= cr_nc_def_dim(f, "hemisphere", 2, &d_h);
    rc |= cr_nc_def_dim(f, "mlt", (size_t)s->nbin, &d_m);
    rc |= cr_nc_def_dim(f, "bnds", 2, &d_b);
    rc |= cr_nc_def_dim(f, "map_time", (size_t)s->nmap, &d_mt);
    if (s->maps) {
        rc |= cr_nc_def_dim(f, "map_mlat", (size_t)g->nal, &d_ml);
        rc |= cr_nc_def_dim(f, "map_mlt", (size_t)g->nam, &d_mm);
    }
    if (s->nx > 0) {
        rc |= cr_nc_def_index_dim(f, "xline_point", (size_t)s->nx, "index of the X-line sample point", NULL, &d_x);
        rc |= cr_nc_def_index_dim(f, "spatial", 3, "SM vector component", "x y z", &d_xyz);
    }
    struct cr_epoch epoch;
    char tunits[128];
    if (!rc && cr_epoch_from_config(cfg, &epoch, log)) rc = CR_ECONFIG;
    if (rc) {
        cr_nc_discard(f);
        return rc == CR_ECONFIG ? rc : CR_EIO;
    }
    cr_epoch_cf_units(&epoch, tunits, sizeof tunits);
    int v_t, v_tb, v_h, v_m, v_mb, v_op, v_cl, v_or, v_cr, v_ork, v_crk, v_ei, v_eic, v_li, v_ex, v_exc, v_lx;
    int v_of, v_of1, v_un, v_ocb, v_mtime, v_mwall, v_mntr, v_ml = -1, v_mm = -1, v_topo = -1, v_xp = -1, v_xm = -1;
    int dt[1] = {d_t}, dtb[2] = {d_t, d_b}, dh[1] = {d_h}, dm[1] = {d_m}, dmb[2] = {d_m, d_b};
    int dthm[3] = {d_t, d_h, d_m}, dth[2] = {d_t, d_h}, dmt[1] = {d_mt};
    rc |= def(f, "time", NC_DOUBLE, 1, dt, tunits, "interval start time",
              "start of the accounting interval (the run epoch is t = 0 of the MHD run)", &v_t);
    rc |= cr_nc_put_att_text(f, v_t, "standard_name", "time");
    rc |= cr_nc_put_att_text(f, v_t, "axis", "T");
    rc |= cr_nc_put_att_text(f, v_t, "bounds", "time_bnds");
    rc |= def(f, "time_bnds", NC_DOUBLE, 2, dtb, tunits, "interval bounds", "times of the two topology maps compared",
              &v_tb);
    rc |= cr_nc_def_var(f, "hemisphere", NC_INT, 1, dh, "1", "hemisphere", "+1 north, -1 south", NULL, &v_h);
    rc |= cr_nc_put_att_text(f, v_h, "flag_meanings", "north south");
    int flags_h[2] = {1, -1};
    rc |= cr_nc_check(nc_put_att_int(nc, v_h, "flag_values", NC_INT, 2, flags_h), path, "flag_values", log);
    rc |= def(f, "mlt", NC_DOUBLE, 1, dm, "h", "magnetic local time", "MLT bin centre (12 = noon, +X SM)", &v_m);
    rc |= cr_nc_put_att_text(f, v_m, "bounds", "mlt_bnds");
    rc |= def(f, "mlt_bnds", NC_DOUBLE, 2, dmb, "h", "MLT bin edges", "edges of the MLT bin", &v_mb);
    rc |= def(f, "opened_flux", NC_DOUBLE, 3, dthm, "Wb", "newly opened flux",
              "sum of |B_r| A over footpoints closed at the interval start and open at its end (fixed or drifting "
              "footpoints: global attribute footpoints)",
              &v_op);
    rc |= def(f, "closed_flux", NC_DOUBLE, 3, dthm, "Wb", "newly closed flux",
              "sum of |B_r| A over footpoints open at the interval start and closed at its end (global attribute "
              "footpoints)",
              &v_cl);
    rc |= def(f, "opening_rate", NC_DOUBLE, 3, dthm, "kWb/min", "flux opening rate", "opened_flux / interval",
              &v_or);
    rc |= def(f, "closing_rate", NC_DOUBLE, 3, dthm, "kWb/min", "flux closing rate", "closed_flux / interval",
              &v_cr);
    rc |= def(f, "opening_rate_kV", NC_DOUBLE, 3, dthm, "kV", "flux opening rate as a voltage",
              "opened_flux / interval (1 Wb/s = 1 V)", &v_ork);
    rc |= def(f, "closing_rate_kV", NC_DOUBLE, 3, dthm, "kV", "flux closing rate as a voltage",
              "closed_flux / interval (1 Wb/s = 1 V)", &v_crk);
    rc |= def(f, "E_iono", NC_DOUBLE, 3, dthm, "mV/m", "opening electric field along the ionospheric boundary",
              "opening rate / L_iono", &v_ei);
    rc |= def(f, "E_iono_closing", NC_DOUBLE, 3, dthm, "mV/m", "closing electric field along the ionospheric boundary",
              "closing rate / L_iono", &v_eic);
    rc |= def(f, "L_iono", NC_DOUBLE, 3, dthm, "km", "ionospheric length of the open-closed boundary in the bin",
              "polyline through the boundary points of the footpoint columns at r_iono, mean of the two maps", &v_li);
    rc |= def(f, "E_xline", NC_DOUBLE, 3, dthm, "mV/m", "opening electric field along the X-line",
              "opening rate / L_xline", &v_ex);
    rc |= def(f, "E_xline_closing", NC_DOUBLE, 3, dthm, "mV/m", "closing electric field along the X-line",
              "closing rate / L_xline", &v_exc);
    rc |= def(f, "L_xline", NC_DOUBLE, 3, dthm, "km", "length of the X-line segment mapping to the bin",
              "chords between the minimum-|B| points of the last closed field lines traced from the bisected "
              "boundary at the bin's sample MLTs; mean of the two maps",
              &v_lx);
    rc |= def(f, "open_flux", NC_DOUBLE, 2, dth, "Wb", "open flux at the interval start",
              "sum of |B_r| A over open footpoints of the hemisphere", &v_of);
    rc |= def(f, "open_flux_end", NC_DOUBLE, 2, dth, "Wb", "open flux at the interval end",
              "sum of |B_r| A over open footpoints of the hemisphere", &v_of1);
    rc |= def(f, "undetermined_flux", NC_DOUBLE, 2, dth, "Wb", "flux of undetermined footpoints at the interval start",
              "footpoints whose field line stopped at a null or the length/step limit", &v_un);
    rc |= def(f, "ocb_mlat", NC_DOUBLE, 3, dthm, "degree", "open-closed boundary magnetic latitude",
              "ionospheric MLat of the equatorward edge of the open region, mean over the bin's columns, at the "
              "interval start (south negative)",
              &v_ocb);
    rc |= def(f, "map_time", NC_DOUBLE, 1, dmt, tunits, "topology map time", "time of each topology map", &v_mtime);
    rc |= def(f, "map_wall_time", NC_DOUBLE, 1, dmt, "s", "wall time of the map", "wall-clock time to compute it",
              &v_mwall);
    rc |= cr_nc_def_var(f, "map_traces", NC_INT64, 1, dmt, "1", "field lines traced for the map", NULL, NULL,
                        &v_mntr);
    if (s->maps) {
        int dml[1] = {d_ml}, dmm[1] = {d_mm}, dmap[4] = {d_mt, d_h, d_ml, d_mm};
        rc |= def(f, "map_mlat", NC_DOUBLE, 1, dml, "degrees", "|MLat| of the map rows",
                  "ionospheric |MLat| of the footpoint (sub-cell) centres, each hemisphere", &v_ml);
        rc |= def(f, "map_mlt", NC_DOUBLE, 1, dmm, "h", "MLT of the map columns", "MLT of the footpoint centres",
                  &v_mm);
        rc |= cr_nc_def_var(f, "topology", NC_BYTE, 4, dmap, "1", "field-line topology of the footpoint",
                            "CHIMP-style code: ends on Earth (0 solar wind, 1 open, 2 closed) with open south = 3 and "
                            "undetermined = -1",
                            NULL, &v_topo);
        signed char fv[5] = {-1, 0, 1, 2, 3};
        rc |= cr_nc_check(nc_put_att_schar(nc, v_topo, "flag_values", NC_BYTE, 5, fv), path, "flag_values", log);
        rc |= cr_nc_put_att_text(f, v_topo, "flag_meanings", "undetermined solar_wind open_north closed open_south");
        rc |= cr_nc_check(nc_def_var_deflate(nc, v_topo, 1, 1, 4), path, "deflate", log);
    }
    if (s->nx > 0) {
        int dx[1] = {d_x}, dxp[4] = {d_mt, d_h, d_x, d_xyz};
        rc |= def(f, "xline_mlt", NC_DOUBLE, 1, dx, "h", "MLT of the X-line sample points",
                  "MLT of the footpoint whose last closed line gives the point", &v_xm);
        rc |= def(f, "xline_points", NC_DOUBLE, 4, dxp, CR_NC_RE_UNITS, "X-line points (SM x, y, z) in Earth radii",
                  "minimum-|B| point of the last closed field line at each sample MLT", &v_xp);
    }
    char buf[1024];
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "field_source", source_desc);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "footpoints", fp_desc);
    snprintf(buf, sizeof buf,
             "footpoints: |MLat| %g..%g deg at r_iono = %g R_E (mapped along the dipole to r_foot = %g R_E), cells "
             "%g deg x %g h, boundary cells refined %d x %d, coarse pass every %d x %d cells, boundary bisected %d "
             "times inside sub-footpoint pairs",
             g->p.mlat_min, g->p.mlat_max, g->p.r_iono, g->p.r_foot, g->p.dlat, g->p.dmlt, g->p.sub_lat,
             g->p.sub_mlt, g->p.coarse_lat, g->p.coarse_mlt, g->p.edge_bisect);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "footpoint_grid", buf);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "method",
                             "Ouellette et al. (2010): flux that changes topology between two maps, |B_r| A at the "
                             "footpoint sphere; topology from field lines traced both ways (GSL adaptive RK)");
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "interval_s", fc->interval);
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "mlt_bin_h", fc->opts.mlt_bin);
    if (!rc) rc = cr_nc_check(nc_enddef(nc), path, "enddef", log);
    if (rc) {
        cr_nc_discard(f);
        return CR_EIO;
    }
    /* data */
    size_t a = (size_t)s->nt * 2 * (size_t)s->nbin;
    double *tb = cr_zalloc((size_t)s->nt * 2, sizeof(double)), *mlt = cr_zalloc((size_t)s->nbin, sizeof(double));
    double *mb = cr_zalloc((size_t)s->nbin * 2, sizeof(double));
    double *w[10];
    for (int q = 0; q < 10; q++) w[q] = cr_zalloc(a, sizeof(double));
    int ok = tb && mlt && mb;
    for (int q = 0; q < 10; q++) ok = ok && w[q];
    if (!ok) rc = CR_ENOMEM;
    if (!rc) {
        for (int n = 0; n < s->nt; n++) {
            tb[2 * n] = s->t0[n];
            tb[2 * n + 1] = s->t1[n];
        }
        for (int b = 0; b < s->nbin; b++) {
            mlt[b] = (b + 0.5) * fc->opts.mlt_bin;
            mb[2 * b] = b * fc->opts.mlt_bin;
            mb[2 * b + 1] = (b + 1) * fc->opts.mlt_bin;
        }
        for (size_t q = 0; q < a; q++) {
            double span = s->t1[q / (2 * (size_t)s->nbin)] - s->t0[q / (2 * (size_t)s->nbin)];
            double vo = s->opened[q] / span, vc = s->closed[q] / span; /* V */
            w[0][q] = vo * 60.0 / 1e3;                             /* kWb/min */
            w[1][q] = vc * 60.0 / 1e3;
            w[2][q] = vo / 1e3; /* kV */
            w[3][q] = vc / 1e3;
            double li = s->l_iono[q], lx = s->l_xline[q];
            w[4][q] = li > 0 ? vo / li * 1e3 : NAN; /* V/m -> mV/m */
            w[5][q] = li > 0 ? vc / li * 1e3 : NAN;
            w[6][q] = li / 1e3; /* km */
            w[7][q] = lx > 0 ? vo / lx * 1e3 : NAN;
            w[8][q] = lx > 0 ? vc / lx * 1e3 : NAN;
            w[9][q] = lx / 1e3;
        }
        int hem[2] = {1, -1};
        rc |= cr_nc_check(nc_put_var_double(nc, v_t, s->t0), path, "time", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_tb, tb), path, "time_bnds", log);
        rc |= cr_nc_check(nc_put_var_int(nc, v_h, hem), path, "hemisphere", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_m, mlt), path, "mlt", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_mb, mb), path, "mlt_bnds", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_op, s->opened), path, "opened_flux", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_cl, s->closed), path, "closed_flux", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_or, w[0]), path, "opening_rate", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_cr, w[1]), path, "closing_rate", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_ork, w[2]), path, "opening_rate_kV", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_crk, w[3]), path, "closing_rate_kV", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_ei, w[4]), path, "E_iono", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_eic, w[5]), path, "E_iono_closing", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_li, w[6]), path, "L_iono", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_ex, w[7]), path, "E_xline", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_exc, w[8]), path, "E_xline_closing", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_lx, w[9]), path, "L_xline", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_of, s->open0), path, "open_flux", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_of1, s->open1), path, "open_flux_end", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_un, s->undet), path, "undetermined_flux", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_ocb, s->ocb), path, "ocb_mlat", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_mtime, s->map_t), path, "map_time", log);
        rc |= cr_nc_check(nc_put_var_double(nc, v_mwall, s->map_wall), path, "map_wall_time", log);
        rc |= cr_nc_check(nc_put_var_long(nc, v_mntr, s->map_ntr), path, "map_traces", log);
        if (s->maps) {
            rc |= cr_nc_check(nc_put_var_double(nc, v_ml, g->lat_iono), path, "map_mlat", log);
            rc |= cr_nc_check(nc_put_var_double(nc, v_mm, g->mlt), path, "map_mlt", log);
            rc |= cr_nc_check(nc_put_var_schar(nc, v_topo, s->maps), path, "topology", log);
        }
        if (s->nx > 0) {
            rc |= cr_nc_check(nc_put_var_double(nc, v_xm, s->xline_mlt), path, "xline_mlt", log);
            rc |= cr_nc_check(nc_put_var_double(nc, v_xp, s->xline), path, "xline_points", log);
        }
    }
    free(tb);
    free(mlt);
    free(mb);
    for (int q = 0; q < 10; q++) free(w[q]);
    if (rc) {
        cr_nc_discard(f);
        return rc == CR_ENOMEM ? CR_ENOMEM : CR_EIO;
    }
    return cr_nc_commit(f);
}

/* ---- the command ------------------------------------------------------------ */

/* A field source with its time window handling, and the footpoint drift. */
struct source {
    struct cr_field *field;     /* analytic */
    struct cr_field_mhd *mhd;   /* or MHD */
    struct cr_convection *conv; /* MHD ionospheric potential (drifting footpoints) */
    double r_iono, b_e, cpcp_v; /* drift: footpoint grid radius [R_E], dipole [nT], analytic potential [V] */
    double slice_dt;            /* [s] spacing of the MHD slices (the drift's time resolution) */
    int drifting;
    char desc[4400];
};

/* Drift of a footpoint from the MHD run's ionospheric potential. */
static int drift_mhd(void *ctx, double t, int hemi, double alat, double mlt, double *dlat, double *dmlt)
{
    const struct source *s = ctx;
    return cr_convection_drift(s->conv, t, hemi, s->r_iono, alat, mlt, dlat, dmlt);
}

/* Analytic drift: Phi = -(cpcp / 2) sin(phi) G(a), phi = (MLT - 12) 15 deg,
 * G = 1 equatorward of a_p = 85 deg and cos(a) / cos(a_p) poleward of it (a
 * uniform dawn-dusk field over the pole, where a potential of phi alone would
 * be singular). Equatorward of a_p: E_east = (cpcp / 2) cos(phi) / (R cos a),
 * no azimuthal drift; footpoints move at v_pole = E_east / |B_r|, v_east =
 * -E_pole / |B_r| with the dipole's |B_r| = 2 B_E (R_E / R)^3 sin a. */
static int drift_analytic(void *ctx, double t, int hemi, double alat, double mlt, double *dlat, double *dmlt)
{
    (void)t, (void)hemi;
    const struct source *s = ctx;
    const double a = alat * CR_DEG, phi = (mlt - 12.0) * 15.0 * CR_DEG, R = s->r_iono * CR_RE_M;
    const double br = 2.0 * s->b_e * CR_NT * pow(s->r_iono, -3.0) * sin(a), cp = cos(85.0 * CR_DEG);
    *dlat = *dmlt = 0.0;
    if (!(br > 0)) return CR_EDOMAIN;
    double e_east, e_pole = 0.0;
    if (alat < 85.0) e_east = 0.5 * s->cpcp_v * cos(phi) / (R * cos(a));
    else {
        e_east = 0.5 * s->cpcp_v * cos(phi) / (R * cp);
        e_pole = -0.5 * s->cpcp_v * sin(phi) * sin(a) / (R * cp);
    }
    *dlat = e_east / br / R / CR_DEG;
    if (cos(a) > 1e-12) *dmlt = -e_pole / br / (R * cos(a)) / (15.0 * CR_DEG);
    return CR_OK;
}

static void source_close(struct source *src);

static int source_open(const struct cr_cmd_ctx *ctx, struct flux_cfg *fc, struct source *src)
{
    const struct cr_log *log = ctx->log;
    memset(src, 0, sizeof *src);
    if (fc->source == 1) {
        double r_in = fc->grid.r_foot > 0 ? fc->grid.r_foot : 1.0;
        if (isnan(fc->t_start)) fc->t_start = 0.0;
        if (isnan(fc->t_end)) fc->t_end = fc->t_start + fc->interval;
        if (!(fc->t_end > fc->t_start)) {
            cr_error(log, "flux: t_end (%g s) must be after t_start (%g s)", fc->t_end, fc->t_start);
            return CR_ECONFIG;
        }
        double b0[3] = {0, 0, fc->bz_start}, b1[3] = {0, 0, fc->bz_end};
        src->field = cr_field_dipole_ramp_new(fc->b_e, b0, b1, fc->t_start, fc->t_end, r_in, 0.0);
        if (!src->field) return CR_ENOMEM;
        if (fc->r_outer == 0) fc->r_outer = 60.0;
        src->b_e = fc->b_e;
        src->cpcp_v = fc->analytic_cpcp * 1e3;
        src->slice_dt = 5.0;
        if (fc->footpoints == 1 && !(src->cpcp_v > 0)) {
            cr_error(log, "flux: footpoints = drifting needs a potential: set [flux] analytic_cpcp (0..1e4 kV) > 0 "
                          "for the analytic source");
            cr_field_release(src->field);
            src->field = NULL;
            return CR_ECONFIG;
        }
        src->drifting = fc->footpoints != 2 && src->cpcp_v > 0;
        snprintf(src->desc, sizeof src->desc,
                 "analytic: dipole (B_E = %g nT) plus uniform Bz from %g nT at %g s to %g nT at %g s (vacuum "
                 "superposition), inner boundary %g R_E",
                 fc->b_e, fc->bz_start, fc->t_start, fc->bz_end, fc->t_end, r_in);
        return CR_OK;
    }
    char path[4096];
    if (fc->mhd_file[0]) snprintf(path, sizeof path, "%s", fc->mhd_file);
    else if (cr_path_join(path, sizeof path, ctx->run_dir, "mhd.h5")) return CR_ECONFIG;
    if (!cr_file_exists(path)) {
        cr_error(log, "flux: MHD file %s not found (run `cusprate mhd` first or set [flux] mhd_file)", path);
        return CR_ECONFIG;
    }
    int st = CR_OK;
    /* b_e from the file's background field unless [flux] b_e is given */
    double be = cr_config_is_set(ctx->cfg, "flux", "b_e") ? fc->b_e : 0.0;
    struct cr_field_mhd_inp in = {.path = path, .b_e = be, .load = CR_MHD_LOAD_B, .log = log};
    if (cr_field_mhd_inp_from_config(ctx->cfg, &in, log)) return CR_ECONFIG;
    src->mhd = cr_field_mhd_new(&in, &st);
    if (!src->mhd) return st ? st : CR_ECONFIG;
    int ns = cr_field_mhd_nslices(src->mhd);
    double first = cr_field_mhd_slice_time(src->mhd, 0), last = cr_field_mhd_slice_time(src->mhd, ns - 1);
    if (isnan(fc->t_start)) fc->t_start = first;
    if (isnan(fc->t_end)) fc->t_end = last;
    if (fc->t_start < first - 1e-9 || fc->t_end > last + 1e-9 || !(fc->t_end >= fc->t_start)) {
        cr_error(log, "flux: states from %g s to %g s requested, but %s holds slices from %g s to %g s", fc->t_start,
                 fc->t_end, path, first, last);
        cr_field_mhd_release(src->mhd);
        src->mhd = NULL;
        return CR_ECONFIG;
    }
    src->field = cr_field_mhd_field(src->mhd);
    /* the drift's time resolution: the closest slices inside the accounting
     * window (a run's spin-up slices are much sparser than its window's) */
    src->slice_dt = 0.0;
    for (int i = 1; i < ns; i++) {
        double ta = cr_field_mhd_slice_time(src->mhd, i - 1), tb = cr_field_mhd_slice_time(src->mhd, i);
        if (tb <= fc->t_start + 1e-9 || ta >= fc->t_end - 1e-9) continue;
        if (tb - ta > 0 && (src->slice_dt == 0.0 || tb - ta < src->slice_dt)) src->slice_dt = tb - ta;
    }
    if (!(src->slice_dt > 0)) src->slice_dt = 5.0;
    src->b_e = src->field->b_e;
    if (fc->footpoints != 2) {
        int ion = cr_convection_available(path);
        if (!ion && fc->footpoints == 1) {
            cr_error(log, "flux: footpoints = drifting needs the ionospheric potential, but %s has no slice with an "
                          "Ionosphere group (set [flux] footpoints = fixed)",
                     path);
            source_close(src);
            return CR_ECONFIG;
        }
        if (ion) {
            src->conv = cr_convection_new(path, src->b_e, log);
            if (!src->conv) {
                source_close(src);
                return CR_EIO;
            }
            src->drifting = 1;
        }
    }
    snprintf(src->desc, sizeof src->desc,
             "MHD slices from %s (%d slices, %g..%g s), total B interpolated (as the deviation from a dipole of "
             "B_E = %.6g nT on spherical grids)",
             path, ns, first, last, src->field->b_e);
    return CR_OK;
}

static void source_close(struct source *src)
{
    cr_convection_release(src->conv);
    if (src->mhd) cr_field_mhd_release(src->mhd);
    else if (src->field) cr_field_release(src->field);
    memset(src, 0, sizeof *src);
}

/* The field at time t (moves the MHD window). */
static int source_at(struct source *src, double t)
{
    if (src->mhd) return cr_field_mhd_set_time(src->mhd, t);
    return CR_OK;
}

int cr_cmd_flux(struct cr_cmd_ctx *ctx)
{
    const struct cr_log *log = ctx->log;
    struct flux_cfg fc;
    read_cfg(ctx->cfg, log, &fc);
    struct source src;
    int rc = source_open(ctx, &fc, &src);
    if (rc) return rc;
    src.r_iono = fc.grid.r_iono;
    const double track_step = fc.track_step > 0 ? fc.track_step : src.slice_dt;
    char fp_desc[512];
    if (src.drifting)
        snprintf(fp_desc, sizeof fp_desc,
                 "drifting: each footpoint followed back over the interval with the ionospheric E x B drift (%s; RK4 "
                 "steps <= %g s) and its open fraction at the end compared with the open fraction at the start over "
                 "the same footpoint moved back",
                 src.conv ? "potential of the MHD slices' Ionosphere groups" : "analytic dawn-dusk potential",
                 track_step);
    else
        snprintf(fp_desc, sizeof fp_desc,
                 "fixed: the open fraction of each footpoint compared at the two map times (counts the boundary's "
                 "own motion only)");
    if (fc.grid.r_foot == 0) fc.grid.r_foot = src.field->r_inner;
    /* analytic: r_outer (60 R_E by default) ends open lines; MHD: the grid's edge */
    fc.opts.trace.r_outer = fc.r_outer > 0 ? fc.r_outer : 1e30;
    fc.grid.par = &ctx->par; /* the ranks share the traces; rank 0 writes flux.nc */
    struct cr_footgrid *g = cr_footgrid_new(&fc.grid);
    int nbin = 0;
    if (!g || cr_flux_nbins(g, fc.opts.mlt_bin, log, &nbin)) {
        cr_footgrid_release(g);
        source_close(&src);
        return CR_ECONFIG;
    }
    int nt = (int)floor((fc.t_end - fc.t_start) / fc.interval + 1e-9);
    if (nt < 1) {
        cr_error(log, "flux: [flux] t_start..t_end (%g..%g s) holds no interval of %g s", fc.t_start, fc.t_end,
                 fc.interval);
        cr_footgrid_release(g);
        source_close(&src);
        return CR_ECONFIG;
    }
    char out[4200];
    if ((rc = cr_run_path(ctx, "flux.nc", out, sizeof out))) {
        cr_footgrid_release(g);
        source_close(&src);
        return rc;
    }
    size_t mapsize = fc.save_maps ? 2 * (size_t)g->nal * (size_t)g->nam : 0;
    struct series s;
    if ((rc = series_alloc(&s, nt, nbin, nbin * fc.opts.xline_samples, mapsize))) {
        cr_footgrid_release(g);
        source_close(&src);
        return rc;
    }
    cr_info(log, "flux: %d interval(s) of %g s from %g s; footpoints %d x %d atoms per hemisphere, %s; %s", nt,
            fc.interval, fc.t_start, g->nal, g->nam, src.drifting ? "drifting" : "fixed", src.desc);
    struct cr_progress *prog =
        cr_progress_new(&(struct cr_progress_inp){.label = "flux", .total = nt + 1, .unit = "maps", .log = log});
    struct cr_topomap *prev = NULL;
    struct cr_flux_state *sprev = NULL;
    double *op[2], *cl[2];
    for (int n = 0; n <= nt && !rc; n++) {
        double t = fc.t_start + n * fc.interval;
        struct cr_topomap *m = NULL;
        struct cr_flux_state *st = NULL;
        rc = source_at(&src, t);
        if (!rc) rc = cr_topomap_compute(g, src.field, t, &fc.opts.trace, &m);
        if (!rc) rc = cr_flux_state_new(m, src.field, &fc.opts, &st);
        if (rc) {
            cr_topomap_release(m);
            break;
        }
        s.map_t[n] = t;
        s.map_wall[n] = m->wall;
        s.map_ntr[n] = m->ntraces;
        if (s.maps) {
            size_t na = (size_t)g->nal * (size_t)g->nam;
            memcpy(s.maps + (size_t)n * mapsize, m->topo[0], na);
            memcpy(s.maps + (size_t)n * mapsize + na, m->topo[1], na);
        }
        if (s.nx > 0) {
            for (int h = 0; h < 2; h++) {
                memcpy(s.xline + ((size_t)n * 2 + (size_t)h) * 3 * (size_t)s.nx, st->xline[h],
                       3 * (size_t)s.nx * sizeof(double));
            }
            memcpy(s.xline_mlt, st->xline_mlt, (size_t)s.nx * sizeof(double));
        }
        for (int h = 0; h < 2; h++)
            if (st->undetermined_flux[h] > 0.01 * st->open_flux[h] && st->undetermined_flux[h] > 0)
                cr_warn(log, "flux: t = %g s, %s: %.3g MWb of undetermined footpoints (open flux %.4g MWb)", t,
                        h ? "south" : "north", st->undetermined_flux[h] / 1e6, st->open_flux[h] / 1e6);
        cr_debug(log, "flux: map t = %g s: %ld traces in %.2f s, open flux N %.4g S %.4g MWb", t, m->ntraces, m->wall,
                 st->open_flux[0] / 1e6, st->open_flux[1] / 1e6);
        if (prev) {
            int k = n - 1;
            size_t base = (size_t)k * 2 * (size_t)nbin;
            op[0] = s.opened + base;
            op[1] = s.opened + base + nbin;
            cl[0] = s.closed + base;
            cl[1] = s.closed + base + nbin;
            struct cr_flux_track *tr = NULL;
            if (src.drifting) {
                if (src.conv) rc = cr_convection_load(src.conv, prev->time, t);
                if (!rc)
                    rc = cr_flux_track_between(prev, m, src.conv ? drift_mhd : drift_analytic, &src, track_step,
                                               fc.track_band, &tr);
                if (!rc)
                    cr_debug(log, "flux: %g..%g s: footpoints moved up to %.3f deg", prev->time, t, tr->max_shift);
            }
            if (!rc) rc = cr_flux_transitions(prev, m, tr, fc.opts.mlt_bin, nbin, op, cl);
            cr_flux_track_release(tr);
            s.t0[k] = prev->time;
            s.t1[k] = t;
            for (int h = 0; h < 2; h++) {
                s.open0[2 * k + h] = sprev->open_flux[h];
                s.open1[2 * k + h] = st->open_flux[h];
                s.undet[2 * k + h] = sprev->undetermined_flux[h];
                for (int b = 0; b < nbin; b++) {
                    size_t q = base + (size_t)h * nbin + b;
                    s.l_iono[q] = mean2(sprev->l_iono[h][b], st->l_iono[h][b]);
                    s.l_xline[q] = mean2(sprev->l_xline[h][b], st->l_xline[h][b]);
                    s.ocb[q] = (h ? -1.0 : 1.0) * sprev->ocb[h][b];
                }
            }
            double so = 0, sc = 0;
            for (int b = 0; b < 2 * nbin; b++) {
                so += s.opened[base + b];
                sc += s.closed[base + b];
            }
            cr_info(log, "flux: %g..%g s: opened %.4g MWb, closed %.4g MWb (%.1f / %.1f kV), open flux N %.4g S %.4g MWb",
                    prev->time, t, so / 1e6, sc / 1e6, so / fc.interval / 1e3, sc / fc.interval / 1e3,
                    st->open_flux[0] / 1e6, st->open_flux[1] / 1e6);
        }
        cr_topomap_release(prev);
        cr_flux_state_release(sprev);
        prev = m;
        sprev = st;
        cr_progress_update(prog, n + 1, NULL);
    }
    cr_progress_release(prog);
    cr_topomap_release(prev);
    cr_flux_state_release(sprev);
    if (!rc && ctx->par.rank == 0) {
        rc = write_nc(out, ctx->cfg, log, &fc, g, &s, src.desc, fp_desc);
        if (!rc) cr_info(log, "flux: wrote %s", out);
    }
    series_free(&s);
    cr_footgrid_release(g);
    source_close(&src);
    return rc;
}

/* ---- benchmark -------------------------------------------------------------- */

/* A synthetic mhd.h5 on the LFM D grid: the dipole (b_e) plus a uniform
 * southward field b0 sampled at the cell centroids, one slice at t = 0. */
static int write_dgrid_slice(const char *path, double b_e, double b0, const struct cr_log *log)
{
    struct cr_grid_spec sp = {.log = log};
    if (cr_grid_spec_preset(&sp, "D")) return CR_ECONFIG;
    struct cr_grid *g = cr_grid_new(&sp);
    if (!g) return CR_ECONFIG;
    const int ni = g->ni, nj = g->nj, nk = g->nk;
    size_t nc = (size_t)(ni + 1) * (nj + 1) * (nk + 1), n = (size_t)ni * nj * nk;
    double *c[3], *b[3];
    int rc = CR_OK;
    for (int q = 0; q < 3; q++) {
        c[q] = malloc(nc * sizeof(double));
        b[q] = malloc(n * sizeof(double));
        if (!c[q] || !b[q]) rc = CR_ENOMEM;
    }
    if (!rc) {
        for (int k = 0; k <= nk; k++)
            for (int j = 0; j <= nj; j++)
                for (int i = 0; i <= ni; i++) {
                    size_t m = ((size_t)k * (nj + 1) + j) * (ni + 1) + i, q = CR_GIDX(g, i, j, k);
                    c[0][m] = g->x[q];
                    c[1][m] = g->y[q];
                    c[2][m] = g->z[q];
                }
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < ni; i++) {
                    size_t m = ((size_t)k * nj + j) * ni + i, q = CR_GIDX(g, i, j, k);
                    double x[3] = {g->cx[q], g->cy[q], g->cz[q]}, bb[3];
                    cr_dipole_field(b_e, x, bb);
                    b[0][m] = bb[0];
                    b[1][m] = bb[1];
                    b[2][m] = bb[2] - b0;
                }
        struct cr_h5 *f = cr_h5_create(path, NULL, log);
        if (!f) rc = CR_EIO;
        else {
            hid_t root = cr_h5_root(f);
            hsize_t cd[3] = {(hsize_t)nk + 1, (hsize_t)nj + 1, (hsize_t)ni + 1}, dd[3] = {(hsize_t)nk, (hsize_t)nj,
                                                                                       (hsize_t)ni};
            rc |= cr_h5_write_doubles(root, "X", 3, cd, c[0], "R_E", "corner x", log);
            rc |= cr_h5_write_doubles(root, "Y", 3, cd, c[1], "R_E", "corner y", log);
            rc |= cr_h5_write_doubles(root, "Z", 3, cd, c[2], "R_E", "corner z", log);
            hid_t grp = H5Gcreate2(root, "Step#0", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            rc |= cr_h5_attr_double(grp, "time", 0.0);
            rc |= cr_h5_write_doubles(grp, "Bx", 3, dd, b[0], "nT", "total B", log);
            rc |= cr_h5_write_doubles(grp, "By", 3, dd, b[1], "nT", "total B", log);
            rc |= cr_h5_write_doubles(grp, "Bz", 3, dd, b[2], "nT", "total B", log);
            H5Gclose(grp);
            if (rc) {
                cr_h5_discard(f);
                rc = CR_EIO;
            } else {
                rc = cr_h5_commit(f);
            }
        }
    }
    for (int q = 0; q < 3; q++) {
        free(c[q]);
        free(b[q]);
    }
    cr_grid_release(g);
    return rc;
}

/* Traces per second through field f from footpoints on the sphere r_foot. */
static int bench_traces(const struct cr_fieldline_inp *tin_in, const struct cr_field *f, double r_foot,
                        const char *what)
{
    struct cr_fieldline_inp tin = *tin_in;
    tin.field = f;
    tin.r_inner = r_foot;
    const int n = 2000;
    long steps = 0, evals = 0;
    int fail = 0;
    double t0 = cr_wtime();
#pragma omp parallel reduction(+ : steps, evals, fail)
    {
        struct cr_fieldline *fl = cr_fieldline_new(&tin);
        if (!fl) fail++;
#pragma omp for schedule(dynamic, 16)
        for (int q = 0; q < n; q++) {
            if (!fl) continue;
            /* footpoints over 60..85 deg at the ionosphere, all MLT, mapped along the dipole */
            double li = (60.0 + 25.0 * ((q * 37) % n) / n) * CR_DEG, phi = 2.0 * CR_PI * (q % 97) / 97.0;
            double cl = cos(li) * sqrt(r_foot), lf = acos(cl < 1 ? cl : 1);
            double x[3] = {r_foot * cos(lf) * cos(phi), r_foot * cos(lf) * sin(phi), r_foot * sin(lf)};
            struct cr_fl_result res;
            if (cr_fieldline_trace(fl, 0.0, x, &res, NULL) == CR_OK) {
                steps += res.end[0].steps + res.end[1].steps;
                evals += res.evals;
            }
        }
        cr_fieldline_release(fl);
    }
    double dt = cr_wtime() - t0;
    if (fail) return CR_ENOMEM;
    printf("flux: %s: %d field lines (eps %g) in %.3f s on %d thread(s): %.0f traces/s, %.0f steps/trace, %.3g "
           "field evaluations/s\n",
           what, n, tin.eps_abs, dt, cr_max_threads(), n / dt, (double)steps / n, evals / dt);
    return CR_OK;
}

static int bench_map(const struct flux_cfg *fc, const struct cr_field *f, double r_foot, double b0, const char *what)
{
    struct cr_footgrid_inp gi = fc->grid;
    gi.r_foot = r_foot;
    struct cr_footgrid *g = cr_footgrid_new(&gi);
    if (!g) return CR_ECONFIG;
    struct cr_fieldline_inp tin = fc->opts.trace;
    if (fc->r_outer > 0) tin.r_outer = fc->r_outer;
    struct cr_topomap *m = NULL;
    clock_t c0 = clock();
    int rc = cr_topomap_compute(g, f, 0.0, &tin, &m);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC; /* all threads */
    if (!rc) {
        double want = 3.0 * CR_PI * CR_RE_M * CR_RE_M * pow(fc->b_e * CR_NT, 2.0 / 3.0) * pow(b0 * CR_NT, 1.0 / 3.0);
        printf("flux: %s: topology map of %d x %d cells x 2 hemispheres (%.0f sub-footpoints, %g deg x %g h, "
               "refined %d x %d) in %.2f s wall (%.2f s CPU) on %d thread(s), %ld traces (%.1f %% of the cells); "
               "open flux N %.1f S %.1f MWb (analytic %.1f); undetermined %ld + %ld\n",
               what, g->nlat, g->nmlt, 2.0 * g->nal * (double)g->nam, gi.dlat, gi.dmlt, gi.sub_lat, gi.sub_mlt,
               m->wall, cpu, cr_max_threads(), m->ntraces, 100.0 * m->ntraces / (2.0 * g->nlat * g->nmlt),
               cr_topomap_flux_of(m, 0, -2) / 1e6, cr_topomap_flux_of(m, 1, -2) / 1e6, want / 1e6,
               m->nundetermined[0], m->nundetermined[1]);
    }
    cr_topomap_release(m);
    cr_footgrid_release(g);
    return rc;
}

int cr_bench_flux(struct cr_cmd_ctx *ctx)
{
    const struct cr_log *log = ctx->log;
    struct flux_cfg fc;
    read_cfg(ctx->cfg, log, &fc);
    const double b0 = 5.0;
    double bu[3] = {0, 0, -b0};
    struct cr_field *f = cr_field_dipole_uniform_new(fc.b_e, bu, NULL, 1.0, 0.0);
    if (!f) return CR_ENOMEM;
    struct cr_fieldline_inp tin = fc.opts.trace;
    tin.r_outer = fc.r_outer > 0 ? fc.r_outer : 60.0;
    int rc = bench_traces(&tin, f, 1.0, "analytic dipole + 5 nT");
    if (!rc) {
        struct flux_cfg fa = fc;
        if (fa.r_outer == 0) fa.r_outer = 60.0;
        rc = bench_map(&fa, f, 1.0, b0, "analytic dipole + 5 nT");
    }
    cr_field_release(f);
    /* following the footpoints of the configured grid over one 60-s interval
     * with the analytic 60-kV dawn-dusk drift, 5-s RK4 steps */
    if (!rc) {
        struct cr_footgrid_inp gi = fc.grid;
        gi.r_foot = 1.0;
        struct cr_footgrid *g = cr_footgrid_new(&gi);
        struct source src = {.r_iono = gi.r_iono, .b_e = fc.b_e, .cpcp_v = 60e3};
        struct cr_flux_track *tr = NULL;
        double t0 = cr_wtime();
        rc = g ? cr_flux_track_new(g, drift_analytic, &src, 0.0, 60.0, 5.0, NULL, &tr) : CR_ECONFIG;
        double dt = cr_wtime() - t0;
        if (!rc)
            printf("flux: footpoint tracking: %zu footpoints x 2 hemispheres over 60 s (12 RK4 steps) in %.2f s on %d "
                   "thread(s): %.3g footpoint-steps/s, largest shift %.2f deg\n",
                   tr->natom, dt, cr_max_threads(), 2.0 * (double)tr->natom * 12.0 / dt, tr->max_shift);
        cr_flux_track_release(tr);
        cr_footgrid_release(g);
    }
    /* the same field sampled on the LFM D grid, read back as an MHD slice */
    char dir[] = "/tmp/cusprate_bench_flux_XXXXXX", path[64];
    if (!rc && !mkdtemp(dir)) rc = CR_EIO;
    if (!rc) {
        snprintf(path, sizeof path, "%s/mhd.h5", dir);
        double t0 = cr_wtime();
        rc = write_dgrid_slice(path, fc.b_e, b0, log);
        struct cr_field_mhd *m = NULL;
        if (!rc) {
            struct cr_field_mhd_inp in = {.path = path, .b_e = fc.b_e, .load = CR_MHD_LOAD_B, .log = log};
            int st = CR_OK;
            m = cr_field_mhd_new(&in, &st);
            if (!m) rc = st ? st : CR_ERR;
        }
        if (!rc) rc = cr_field_mhd_set_time(m, 0.0);
        if (!rc) {
            printf("flux: synthetic D-grid slice (48 x 48 x 64 cells) written and loaded in %.2f s\n", cr_wtime() - t0);
            const struct cr_field *fm = cr_field_mhd_field(m);
            struct cr_fieldline_inp tm = fc.opts.trace;
            tm.r_outer = fc.r_outer > 0 ? fc.r_outer : 1e30; /* the grid's edge ends open lines */
            rc = bench_traces(&tm, fm, fm->r_inner, "D-grid MHD slice");
            struct flux_cfg fd = fc;
            fd.r_outer = tm.r_outer;
            if (!rc) rc = bench_map(&fd, fm, fm->r_inner, b0, "D-grid MHD slice");
        }
        cr_field_mhd_release(m);
        remove(path);
        rmdir(dir);
    }
    printf("flux: peak memory %.1f MiB\n", cr_peak_rss_mib());
    return rc;
}
