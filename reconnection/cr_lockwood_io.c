/* cr_lockwood_io.c — `cusprate rate`: reads <flyby>.spectrogram.nc, finds the
 * low-energy cutoff of every spectrum, runs the Lockwood & Smith (1992)
 * estimator (cr_lockwood.h) and writes <flyby>.rate.nc (docs/formats.md,
 * reconnection/README.md). Also the [rate] schema table.
 */
#include "cr_lockwood_io.h"

#include <dirent.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/cr_epoch.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_nc.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../grids/cr_field_mhd.h"
#include "../grids/cr_fieldline.h"
#include "cr_convection.h"

/* ---- the [rate] keys ------------------------------------------------------ */

const struct cr_key cr_rate_keys[] = {
    {.section = "rate", .name = "spectrograms", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "comma-separated spectrogram files (relative to the run folder); empty = every "
            "<run>/*.spectrogram.nc"},
    {.section = "rate", .name = "quantity", .type = CR_KEY_CHOICE, .unit = "", .def = "diff_energy_flux",
     .choices = "diff_energy_flux|counts|diff_number_flux",
     .doc = "spectrogram variable the low-energy cutoff is found in (da Silva et al. 2025: energy flux)"},
    {.section = "rate", .name = "eic_method", .type = CR_KEY_CHOICE, .unit = "", .def = "threshold",
     .choices = "threshold|peak",
     .doc = "E_ic: first channel below eic_fraction of the peak walking down in energy, or the peak energy"},
    {.section = "rate", .name = "eic_fraction", .type = CR_KEY_REAL, .unit = "", .def = "0.1", .min = 0, .max = 1,
     .flags = CR_KEY_MIN_OPEN | CR_KEY_MAX_OPEN, .doc = "threshold as a fraction of the spectrum's peak"},
    {.section = "rate", .name = "eic_interp", .type = CR_KEY_CHOICE, .unit = "", .def = "edge",
     .choices = "none|linear|edge",
     .doc = "continuous E_ic: none = channel centres; linear = flux linear in log E across the threshold; edge = "
            "inside the cutoff channel from its filled fraction (sharp cutoff; see reconnection/README.md)"},
    {.section = "rate", .name = "min_peak", .type = CR_KEY_REAL, .unit = "units of quantity", .def = "0", .min = 0,
     .max = 1e300, .flags = CR_KEY_RANGED,
     .doc = "a spectrum whose peak is not above this is empty (no E_ic)"},
    {.section = "rate", .name = "min_effective_count", .type = CR_KEY_REAL, .unit = "", .def = "30", .min = 0,
     .max = 1e12, .flags = CR_KEY_RANGED,
     .doc = "a spectrum whose effective count above its cutoff, (sum F)^2 / sum sigma_F^2 over the channels from E_ic "
            "up, is below this is flagged noisy (eic_flag 3) and not used; only for files with effective_count "
            "(simulated spectrograms); 0 = off"},
    {.section = "rate", .name = "smooth_window", .type = CR_KEY_INT, .unit = "samples", .def = "5", .min = 1,
     .max = 201, .doc = "moving average of log10 E_ic over this many spectra (odd) before differentiating"},
    {.section = "rate", .name = "deriv_window", .type = CR_KEY_INT, .unit = "samples", .def = "3", .min = 3,
     .max = 201, .doc = "dE_ic/dt from a straight-line fit (gsl_fit_linear) of the smoothed log10 E_ic over "
                        "this many spectra (odd)"},
    {.section = "rate", .name = "step_dex", .type = CR_KEY_REAL, .unit = "dex", .def = "0.3", .min = 0, .max = 10,
     .flags = CR_KEY_RANGED,
     .doc = "a jump of log10 E_ic larger than this between consecutive spectra is a step (a pause in reconnection): "
            "windows do not reach across it; 0 = off"},
    {.section = "rate", .name = "d_source", .type = CR_KEY_CHOICE, .unit = "", .def = "constant",
     .choices = "constant|traced|flight",
     .doc = "field-line length X-line -> satellite: the constant d; traced from the satellite to the minimum of "
            "|B| along its field line in trace_field (median over the spectra of the 5 youngest lines); or flight: "
            "the distance the ions at the cutoff flew, v(E_ic channel) x flight_time of a backward spectrogram "
            "(median over the pass)"},
    {.section = "rate", .name = "d", .type = CR_KEY_REAL, .unit = "R_E", .def = "15", .min = 0, .max = 1000,
     .flags = CR_KEY_MIN_OPEN, .doc = "field-line length from the X-line to the satellite (d_source = constant)"},
    {.section = "rate", .name = "d_err_frac", .type = CR_KEY_REAL, .unit = "", .def = "0.2", .min = 0, .max = 1,
     .flags = CR_KEY_RANGED, .doc = "1-sigma uncertainty of d as a fraction of d"},
    {.section = "rate", .name = "dipole_b_e", .type = CR_KEY_REAL, .unit = "nT", .def = "30000", .min = 0,
     .max = 1e6, .flags = CR_KEY_MIN_OPEN,
     .doc = "equatorial surface field of the dipole giving B_s at the satellite (below the MHD inner boundary)"},
    {.section = "rate", .name = "mapping", .type = CR_KEY_CHOICE, .unit = "", .def = "sqrt_b",
     .choices = "sqrt_b|constant|traced",
     .doc = "L_i/L' from the satellite to the magnetopause: sqrt(b_mp/B_s), mapping_ratio, or measured by tracing "
            "two field lines map_dmlt apart in MLT to their |B| minima in trace_field"},
    {.section = "rate", .name = "b_mp", .type = CR_KEY_REAL, .unit = "nT", .def = "50", .min = 0, .max = 1e5,
     .flags = CR_KEY_MIN_OPEN, .doc = "field B' at the magnetopause end of the field line (mapping = sqrt_b)"},
    {.section = "rate", .name = "mapping_ratio", .type = CR_KEY_REAL, .unit = "", .def = "0.033", .min = 0,
     .max = 1e3, .flags = CR_KEY_MIN_OPEN, .doc = "constant L_i/L' (mapping = constant)"},
    {.section = "rate", .name = "trace_field", .type = CR_KEY_CHOICE, .unit = "", .def = "mhd",
     .choices = "mhd|dipole_uniform",
     .doc = "field traced for d_source/mapping = traced: the MHD slice (mhd_file) at trace_time, or the analytic "
            "dipole + uniform southward field (b_uniform_z; REFERENCES section 3)"},
    {.section = "rate", .name = "mhd_file", .type = CR_KEY_STRING, .unit = "", .def = "mhd.h5",
     .doc = "MHD slices for trace_field = mhd, relative to the run folder"},
    {.section = "rate", .name = "trace_time", .type = CR_KEY_REAL, .unit = "s", .def = "pass", .min = -1e9,
     .max = 1e9, .flags = CR_KEY_RANGED, .choices = "pass",
     .doc = "time of the field traced (any time); pass = the time of the pass's spectrum with the highest cutoff "
            "energy (the youngest field line)"},
    {.section = "rate", .name = "b_uniform_z", .type = CR_KEY_REAL, .unit = "nT", .def = "-5", .min = -1000,
     .max = 0, .flags = CR_KEY_MAX_OPEN, .doc = "uniform southward field for trace_field = dipole_uniform"},
    {.section = "rate", .name = "map_dmlt", .type = CR_KEY_REAL, .unit = "h", .def = "0.01", .min = 0, .max = 1,
     .flags = CR_KEY_MIN_OPEN, .doc = "MLT separation of the two field lines traced for mapping = traced"},
    {.section = "rate", .name = "v_conv", .type = CR_KEY_REAL, .unit = "km/s", .def = "0.5", .min = -100,
     .max = 100, .doc = "poleward convection speed of the field lines at the satellite (convection-corrected form)"},
    {.section = "rate", .name = "v_conv_source", .type = CR_KEY_CHOICE, .unit = "", .def = "auto",
     .choices = "auto|ionosphere|constant",
     .doc = "V_c of the convection-corrected form: from the ionospheric potential of the MHD slices (mhd_file) at "
            "each spectrum's time and footpoint (reconnection/cr_convection.h), or the constant v_conv; auto = the "
            "ionosphere when mhd_file has one"},
    {.section = "rate", .name = "speed_source", .type = CR_KEY_CHOICE, .unit = "", .def = "auto",
     .choices = "auto|attributes|track",
     .doc = "satellite poleward speed U = V_s cos(track angle) from the file's speed/track-angle attributes, "
            "or from the MLat track; auto = attributes when present"},
    CR_KEY_END,
};

/* ---- lists of files ------------------------------------------------------- */

void cr_lw_free_list(char **list)
{
    if (!list) return;
    for (char **p = list; *p; p++) free(*p);
    free(list);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

char **cr_lw_list_dir(const char *dir, const char *suffix, int *n)
{
    *n = 0;
    int cap = 16;
    char **list = cr_zalloc((size_t)cap + 1, sizeof *list);
    if (!list) return NULL;
    DIR *d = opendir(dir);
    if (!d) return list; /* a missing folder has no files */
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, suffix)) continue;
        if (*n == cap) {
            char **g = realloc(list, ((size_t)cap * 2 + 1) * sizeof *list);
            if (!g) break;
            list = g;
            cap *= 2;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(len);
        if (!p) break;
        snprintf(p, len, "%s/%s", dir, e->d_name);
        list[(*n)++] = p;
        list[*n] = NULL;
    }
    closedir(d);
    qsort(list, (size_t)*n, sizeof *list, cmp_str);
    return list;
}

void cr_lw_flyby_name(const char *path, char *buf, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(buf, n, "%s", base);
    const char *sfx[] = {".spectrogram.nc", ".rate.nc", ".nc"};
    for (size_t k = 0; k < CR_ARRAY_LEN(sfx); k++) {
        if (ends_with(buf, sfx[k])) {
            buf[strlen(buf) - strlen(sfx[k])] = '\0';
            return;
        }
    }
}

int cr_rate_output_for(const char *spectrogram, const char *run_dir, char *buf, size_t n)
{
    char name[1024];
    cr_lw_flyby_name(spectrogram, name, sizeof name);
    int w = snprintf(buf, n, "%s/%s.rate.nc", run_dir, name);
    return (w < 0 || (size_t)w >= n) ? CR_EIO : CR_OK;
}

char **cr_rate_inputs(const struct cr_config *cfg, const char *run_dir, int *n, const struct cr_log *log)
{
    const char *names = cr_config_string(cfg, "rate", "spectrograms");
    if (!names || !*names) return cr_lw_list_dir(run_dir, ".spectrogram.nc", n);
    *n = 0;
    char *copy = cr_strdup(names);
    size_t cap = strlen(names) / 2 + 2;
    char **list = cr_zalloc(cap + 1, sizeof *list);
    if (!copy || !list) {
        free(copy);
        free(list);
        return NULL;
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t') tok++;
        size_t len = strlen(tok);
        while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t')) tok[--len] = '\0';
        if (!len) continue;
        char path[4096];
        if (cr_path_join(path, sizeof path, run_dir, tok)) {
            cr_error(log, "rate.spectrograms: path too long: %s", tok);
            continue;
        }
        list[(*n)++] = cr_strdup(path);
    }
    free(copy);
    return list;
}

/* ---- reading a spectrogram -------------------------------------------------- */

void cr_lw_spec_release(struct cr_lw_spec *s)
{
    if (!s) return;
    double *a[] = {s->time, s->mlat, s->mlt,  s->altitude, s->x,           s->y,
                   s->z,    s->energy, s->flux, s->e_lo,     s->e_hi,       s->track_angle, s->neff, s->flight};
    for (size_t k = 0; k < CR_ARRAY_LEN(a); k++) free(a[k]);
    free(s);
}

#define CR_LW_ABSENT (-1) /* read_var: an optional variable is not in the file */

/* Read a 1-D (or, with n2 > 0, 2-D) double variable with its fill value
 * replaced. Returns CR_OK, CR_EIO when missing and `required`, or
 * CR_LW_ABSENT when it is missing and optional (*out = NULL). */
static int read_var(int ncid, const char *path, const char *name, size_t n1, size_t n2, double fill_to,
                    int required, double **out, char *units, size_t nunits, const struct cr_log *log)
{
    *out = NULL;
    int varid, ndims;
    if (nc_inq_varid(ncid, name, &varid) != NC_NOERR) {
        if (required) cr_error(log, "%s: variable '%s' is missing (see docs/formats.md)", path, name);
        return required ? CR_EIO : CR_LW_ABSENT;
    }
    if (cr_nc_check(nc_inq_varndims(ncid, varid, &ndims), path, name, log)) return CR_EIO;
    int dimids[NC_MAX_VAR_DIMS];
    nc_inq_vardimid(ncid, varid, dimids);
    size_t want = n2 > 0 ? n1 * n2 : n1, got = 1;
    for (int k = 0; k < ndims; k++) {
        size_t len;
        nc_inq_dimlen(ncid, dimids[k], &len);
        got *= len;
    }
    if (ndims != (n2 > 0 ? 2 : 1) || got != want) {
        cr_error(log, "%s: variable '%s' has %d dimensions and %zu values, expected %s with %zu", path, name, ndims,
                 got, n2 > 0 ? "(time, energy)" : "one dimension", want);
        return CR_EIO;
    }
    double *v = malloc((want ? want : 1) * sizeof *v);
    if (!v) return CR_ENOMEM;
    if (cr_nc_check(nc_get_var_double(ncid, varid, v), path, name, log)) {
        free(v);
        return CR_EIO;
    }
    double fv;
    int has_fill = nc_get_att_double(ncid, varid, "_FillValue", &fv) == NC_NOERR;
    for (size_t k = 0; k < want; k++)
        if (!isfinite(v[k]) || (has_fill && v[k] == fv)) v[k] = fill_to;
    if (units) {
        size_t len = 0;
        units[0] = '\0';
        if (nc_inq_attlen(ncid, varid, "units", &len) == NC_NOERR && len < nunits) {
            nc_get_att_text(ncid, varid, "units", units);
            units[len] = '\0';
        }
    }
    *out = v;
    return CR_OK;
}

/* A global attribute as a number (numeric, or text that parses), else `def`. */
static double global_number(int ncid, const char *name, double def)
{
    nc_type type;
    size_t len;
    if (nc_inq_att(ncid, NC_GLOBAL, name, &type, &len) != NC_NOERR || len == 0) return def;
    if (type == NC_CHAR) {
        char buf[128];
        if (len >= sizeof buf) return def;
        nc_get_att_text(ncid, NC_GLOBAL, name, buf);
        buf[len] = '\0';
        if (!strncasecmp(buf, "north", 5)) return 1;
        if (!strncasecmp(buf, "south", 5)) return -1;
        char *end;
        double v = strtod(buf, &end);
        return end != buf && isfinite(v) ? v : def;
    }
    if (type == NC_STRING) return def;
    double v;
    if (len == 1 && nc_get_att_double(ncid, NC_GLOBAL, name, &v) == NC_NOERR && isfinite(v)) return v;
    return def;
}

struct cr_lw_spec *cr_lw_spec_read(const char *path, const char *quantity, const struct cr_log *log)
{
    int ncid = cr_nc_open_read(path, log);
    if (ncid < 0) return NULL;
    struct cr_lw_spec *s = cr_zalloc(1, sizeof *s);
    int rc = s ? CR_OK : CR_ENOMEM;
    int dt = -1, de = -1;
    size_t nt = 0, ne = 0;
    if (!rc && (nc_inq_dimid(ncid, "time", &dt) || nc_inq_dimid(ncid, "energy", &de))) {
        cr_error(log, "%s: needs dimensions 'time' and 'energy' (docs/formats.md)", path);
        rc = CR_EIO;
    }
    if (!rc) {
        nc_inq_dimlen(ncid, dt, &nt);
        nc_inq_dimlen(ncid, de, &ne);
        s->nt = (int)nt;
        s->ne = (int)ne;
        if (ne == 0) {
            cr_error(log, "%s: no energy channels", path);
            rc = CR_EIO;
        }
    }
    if (!rc) rc = read_var(ncid, path, "time", nt, 0, CR_LW_FILL, 1, &s->time, NULL, 0, log);
    for (size_t i = 1; !rc && i < nt; i++) {
        if (!(s->time[i] > s->time[i - 1])) {
            cr_error(log, "%s: time[%zu] = %.17g s does not follow time[%zu] = %.17g s (times must increase; a fill "
                     "value counts as missing)", path, i, s->time[i], i - 1, s->time[i - 1]);
            rc = CR_ECONFIG;
        }
    }
    if (!rc) rc = read_var(ncid, path, "energy", ne, 0, CR_LW_FILL, 1, &s->energy, NULL, 0, log);
    if (!rc) {
        /* channel edges (optional): energy_bnds (energy, bnds) */
        double *b = NULL;
        int r = read_var(ncid, path, "energy_bnds", ne, 2, CR_LW_FILL, 0, &b, NULL, 0, log);
        if (r > 0) rc = r;
        else if (r == CR_OK) {
            s->e_lo = cr_zalloc(ne, sizeof(double));
            s->e_hi = cr_zalloc(ne, sizeof(double));
            if (!s->e_lo || !s->e_hi) rc = CR_ENOMEM;
            for (size_t k = 0; !rc && k < ne; k++) {
                s->e_lo[k] = CR_MIN(b[2 * k], b[2 * k + 1]);
                s->e_hi[k] = CR_MAX(b[2 * k], b[2 * k + 1]);
            }
        }
        free(b);
    }
    if (!rc) {
        snprintf(s->quantity, sizeof s->quantity, "%s", quantity);
        rc = read_var(ncid, path, quantity, nt, ne, 0.0, 1, &s->flux, s->units, sizeof s->units, log);
    }
    if (!rc) {
        int r = read_var(ncid, path, "effective_count", nt, ne, 0.0, 0, &s->neff, NULL, 0, log);
        if (r > 0) rc = r;
        if (!rc && (r = read_var(ncid, path, "flight_time", nt, ne, CR_LW_FILL, 0, &s->flight, NULL, 0, log)) > 0)
            rc = r;
    }
    if (!rc) rc = read_var(ncid, path, "mlat", nt, 0, CR_LW_FILL, 1, &s->mlat, NULL, 0, log);
    if (!rc) rc = read_var(ncid, path, "mlt", nt, 0, CR_LW_FILL, 1, &s->mlt, NULL, 0, log);
    if (!rc) {
        int r1 = read_var(ncid, path, "altitude", nt, 0, CR_LW_FILL, 0, &s->altitude, NULL, 0, log);
        int r2 = read_var(ncid, path, "x", nt, 0, CR_LW_FILL, 0, &s->x, NULL, 0, log);
        int r3 = r2 ? r2 : read_var(ncid, path, "y", nt, 0, CR_LW_FILL, 0, &s->y, NULL, 0, log);
        int r4 = r3 ? r3 : read_var(ncid, path, "z", nt, 0, CR_LW_FILL, 0, &s->z, NULL, 0, log);
        int r5 = read_var(ncid, path, "track_angle", nt, 0, CR_LW_FILL, 0, &s->track_angle, NULL, 0, log);
        if (r1 > 0 || r2 > 0 || r3 > 0 || r4 > 0 || r5 > 0) rc = CR_EIO;
        else if (r4 != CR_OK) { /* an incomplete position is no position */
            free(s->x), free(s->y), free(s->z);
            s->x = s->y = s->z = NULL;
        }
        if (!rc && !s->altitude && !s->z) {
            cr_error(log, "%s: needs either the position x, y, z or the altitude (docs/formats.md)", path);
            rc = CR_EIO;
        }
    }
    if (!rc && !s->altitude) {
        /* altitude from the position */
        s->altitude = cr_zalloc(nt ? nt : 1, sizeof(double));
        if (!s->altitude) rc = CR_ENOMEM;
        for (size_t i = 0; !rc && i < nt; i++) {
            double r = sqrt(s->x[i] * s->x[i] + s->y[i] * s->y[i] + s->z[i] * s->z[i]);
            s->altitude[i] = (r - 1.0) * CR_RE_KM;
        }
    }
    if (!rc && !s->z) {
        /* position from MLat, MLT and altitude (SM, MLT 12 = +X) */
        s->x = cr_zalloc(nt ? nt : 1, sizeof(double));
        s->y = cr_zalloc(nt ? nt : 1, sizeof(double));
        s->z = cr_zalloc(nt ? nt : 1, sizeof(double));
        if (!s->x || !s->y || !s->z) rc = CR_ENOMEM;
        for (size_t i = 0; !rc && i < nt; i++) {
            double r = 1.0 + s->altitude[i] / CR_RE_KM, lat = s->mlat[i] * CR_DEG;
            double phi = (s->mlt[i] - 12.0) * 15.0 * CR_DEG;
            s->x[i] = r * cos(lat) * cos(phi);
            s->y[i] = r * cos(lat) * sin(phi);
            s->z[i] = r * sin(lat);
        }
    }
    if (!rc) {
        s->speed_km_s = global_number(ncid, "speed_km_s", 0);
        s->track_angle_deg = global_number(ncid, "track_angle_deg", CR_LW_FILL);
        double h = global_number(ncid, "hemisphere", 0);
        if (h == 0) {
            double sum = 0;
            for (size_t i = 0; i < nt; i++)
                if (s->mlat[i] != CR_LW_FILL) sum += s->mlat[i];
            h = sum < 0 ? -1 : 1;
        }
        s->hemisphere = h < 0 ? -1 : 1;
    }
    nc_close(ncid);
    if (rc) {
        cr_lw_spec_release(s);
        return NULL;
    }
    return s;
}

/* ---- the command ------------------------------------------------------------- */

struct rate_opts {
    struct cr_eic_opts eic;
    struct cr_lockwood_inp lw;
    const char *quantity;
    int speed_source;     /* 0 auto, 1 attributes, 2 track */
    int d_traced, map_traced, trace_mhd, d_flight;
    const struct cr_config *cfg; /* the [slices] keys of the traced MHD file */
    double b_e, b_uniform_z, trace_time, map_dmlt;
    const char *mhd_file;
    int vc_source;        /* 0 auto, 1 ionosphere, 2 constant */
    double min_neff;      /* rate.min_effective_count */
};

/* V_c per spectrum [km/s]: from the ionospheric potential of the MHD slices
 * (cr_convection.h), or the constant v_conv. `how` says which. */
static int convection_speed(const struct cr_lw_spec *s, const struct rate_opts *o, const char *run_dir, double *vc,
                            char *how, size_t nhow, const char *path, const struct cr_log *log)
{
    for (int i = 0; i < s->nt; i++) vc[i] = o->lw.v_conv;
    snprintf(how, nhow, "configured constant rate.v_conv = %g km/s", o->lw.v_conv);
    if (o->vc_source == 2) return CR_OK;
    char mhd[4096];
    int have = !cr_path_join(mhd, sizeof mhd, run_dir, o->mhd_file) && cr_file_exists(mhd);
    if (!have) {
        if (o->vc_source == 1) {
            cr_error(log, "%s: rate.v_conv_source = ionosphere, but %s/%s does not exist", path, run_dir, o->mhd_file);
            return CR_ECONFIG;
        }
        return CR_OK;
    }
    struct cr_convection *cv = cr_convection_new(mhd, o->b_e, o->vc_source == 1 ? log : NULL);
    if (!cv) {
        if (o->vc_source == 1) {
            cr_error(log, "%s: rate.v_conv_source = ionosphere, but %s has no ionospheric potential", path, mhd);
            return CR_ECONFIG;
        }
        return CR_OK;
    }
    int nok = 0;
    for (int i = 0; i < s->nt; i++) {
        double v;
        if (s->time[i] == CR_LW_FILL || s->mlat[i] == CR_LW_FILL || s->mlt[i] == CR_LW_FILL ||
            cr_convection_poleward(cv, s->time[i], s->hemisphere >= 0 ? 1 : -1, s->mlat[i], s->mlt[i],
                                   s->altitude && s->altitude[i] != CR_LW_FILL ? s->altitude[i] : 0.0, &v) != CR_OK) {
            vc[i] = CR_LW_FILL;
            continue;
        }
        vc[i] = v;
        nok++;
    }
    cr_convection_release(cv);
    snprintf(how, nhow,
             "E x B drift of the ionospheric potential in %s at each spectrum's time and dipole footpoint, mapped to "
             "the satellite (reconnection/cr_convection.h); %d of %d spectra (the others: rate.v_conv = %g km/s)",
             o->mhd_file, nok, s->nt, o->lw.v_conv);
    cr_info(log, "%s: V_c from the ionospheric potential for %d of %d spectra", path, nok, s->nt);
    return CR_OK;
}

/* Poleward speed of the satellite per sample [km/s]. */
static int poleward_speed(const struct cr_lw_spec *s, int source, double *u, char *how, size_t nhow,
                          const char *path, const struct cr_log *log)
{
    int have_attr = s->speed_km_s > 0 && (s->track_angle || s->track_angle_deg != CR_LW_FILL);
    if (source == 1 && !have_attr) {
        cr_error(log, "%s: rate.speed_source = attributes, but the file has no speed_km_s and track angle", path);
        return CR_ECONFIG;
    }
    if (source != 2 && have_attr) {
        for (int i = 0; i < s->nt; i++) {
            double a = s->track_angle ? s->track_angle[i] : s->track_angle_deg;
            u[i] = a == CR_LW_FILL ? CR_LW_FILL : s->speed_km_s * cos(a * CR_DEG);
        }
        snprintf(how, nhow, "V_s cos(track angle) from the file: speed_km_s = %g km/s, track angle %s", s->speed_km_s,
                 s->track_angle ? "per sample (track_angle)" : "global (track_angle_deg)");
        return CR_OK;
    }
    /* from the track: U = hemisphere * (R_E + h) dMLat/dt, centred differences */
    for (int i = 0; i < s->nt; i++) {
        int a = i > 0 ? i - 1 : i, b = i < s->nt - 1 ? i + 1 : i;
        if (a == b || s->mlat[a] == CR_LW_FILL || s->mlat[b] == CR_LW_FILL || !(s->time[b] > s->time[a])) {
            u[i] = CR_LW_FILL;
            continue;
        }
        double r_km = CR_RE_KM + s->altitude[i];
        u[i] = s->hemisphere * r_km * (s->mlat[b] - s->mlat[a]) * CR_DEG / (s->time[b] - s->time[a]);
    }
    snprintf(how, nhow, "poleward speed from the MLat track: U = (R_E + altitude) dMLat/dt (centred differences)");
    return CR_OK;
}

int cr_rate_trace(struct cr_fieldline *fl, double t, const double x[3], double dmlt, struct cr_rate_trace_out *out)
{
    struct cr_fl_target_info a, b;
    memset(out, 0, sizeof *out);
    out->d = out->mapping = CR_LW_FILL;
    int rc = cr_fieldline_length_to(fl, t, x, 0, CR_FL_TO_BMIN_FIRST, &a);
    if (rc) return rc;
    if (!(a.length > 0)) return CR_EDOMAIN;
    out->d = a.length;
    out->bmin = a.bmag;
    memcpy(out->xline, a.x, sizeof out->xline);
    if (dmlt > 0) {
        /* the neighbour: the satellite position turned by dmlt about the SM z axis */
        double phi = dmlt * 15.0 * CR_DEG, c = cos(phi), sn = sin(phi);
        double x2[3] = {c * x[0] - sn * x[1], sn * x[0] + c * x[1], x[2]};
        rc = cr_fieldline_length_to(fl, t, x2, 0, CR_FL_TO_BMIN_FIRST, &b);
        if (rc) return rc;
        double li = sqrt((x2[0] - x[0]) * (x2[0] - x[0]) + (x2[1] - x[1]) * (x2[1] - x[1]) + (x2[2] - x[2]) * (x2[2] - x[2]));
        double lp = sqrt((b.x[0] - a.x[0]) * (b.x[0] - a.x[0]) + (b.x[1] - a.x[1]) * (b.x[1] - a.x[1]) +
                         (b.x[2] - a.x[2]) * (b.x[2] - a.x[2]));
        if (!(lp > 0)) return CR_EDOMAIN;
        out->mapping = li / lp;
    }
    return CR_OK;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_dbl);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#define CR_LW_NYOUNG 5 /* spectra of the youngest field lines traced for d and L_i/L' */

/* d and/or L_i/L' for the pass, traced in the configured field
 * (grids/cr_fieldline.h; the MHD slice through grids/cr_field_mhd.h). In a
 * snapshot only a newly opened field line still passes its reconnection
 * site (older open lines have convected away: their |B| minimum is far
 * down the tail), so the lines traced are those of the CR_LW_NYOUNG spectra
 * with the highest E_ic (the youngest lines, nearest the open-closed
 * boundary), and the medians of their d and L_i/L' are used for the whole
 * pass, as the ions of every spectrum entered at that X-line. */
static int trace_pass(const struct cr_lw_spec *s, const double *eic, const int *eflag, const struct rate_opts *o,
                      const char *run_dir, double *d, double *map, const struct cr_log *log)
{
    /* the youngest lines */
    int young[CR_LW_NYOUNG], ny = 0;
    for (int i = 0; i < s->nt; i++) {
        if (eflag[i] != CR_EIC_OK) continue;
        int j = ny < CR_LW_NYOUNG ? ny++ : CR_LW_NYOUNG;
        if (j == CR_LW_NYOUNG) {
            if (eic[i] <= eic[young[CR_LW_NYOUNG - 1]]) continue;
            j = CR_LW_NYOUNG - 1;
        }
        while (j > 0 && eic[young[j - 1]] < eic[i]) {
            young[j] = young[j - 1];
            j--;
        }
        young[j] = i;
    }
    for (int i = 0; i < s->nt; i++) d[i] = map[i] = CR_LW_FILL;
    if (ny == 0) return CR_OK; /* no cutoff anywhere: nothing to trace, no rate */
    double t_tr = o->trace_time;
    if (isnan(t_tr)) t_tr = s->time[young[0]];
    struct cr_field *f = NULL;
    if (o->trace_mhd) {
        char path[4096];
        if (cr_path_join(path, sizeof path, run_dir, o->mhd_file)) return CR_ECONFIG;
        int st = CR_OK;
        struct cr_field_mhd_inp mi = {.path = path, .b_e = o->b_e, .load = CR_MHD_LOAD_B, .log = log};
        if (cr_field_mhd_inp_from_config(o->cfg, &mi, log)) return CR_ECONFIG;
        struct cr_field_mhd *m = cr_field_mhd_new(&mi, &st);
        if (!m) {
            cr_error(log, "rate: trace_field = mhd needs %s (set rate.mhd_file, or trace_field = dipole_uniform)", path);
            return st ? st : CR_ECONFIG;
        }
        if ((st = cr_field_mhd_set_time(m, t_tr))) {
            cr_error(log, "rate: %s has no slices around t = %g s (rate.trace_time)", path, t_tr);
            cr_field_mhd_release(m);
            return st;
        }
        f = cr_field_mhd_field(m);
    } else {
        const double buni[3] = {0, 0, o->b_uniform_z};
        f = cr_field_dipole_uniform_new(o->b_e, buni, NULL, 1.0, 0.0);
        if (!f) return CR_ENOMEM;
    }
    /* the satellite is below the MHD inner boundary: trace from the surface (the field is the dipole there) */
    struct cr_fieldline_inp fi = {.field = f, .r_inner = 1.0, .r_outer = 200.0, .max_length = 500.0, .log = log};
    struct cr_fieldline *fl = cr_fieldline_new(&fi);
    double dv[CR_LW_NYOUNG], mv[CR_LW_NYOUNG];
    int nd = 0, nm = 0;
    for (int k = 0; fl && k < ny; k++) {
        int i = young[k];
        double x0[3] = {s->x[i], s->y[i], s->z[i]};
        struct cr_rate_trace_out tr;
        if (cr_rate_trace(fl, t_tr, x0, o->map_traced ? o->map_dmlt : 0.0, &tr) != CR_OK) continue;
        dv[nd++] = tr.d;
        if (o->map_traced && tr.mapping != CR_LW_FILL) mv[nm++] = tr.mapping;
        cr_debug(log, "rate: trace from t = %g s (E_ic %g eV): d = %g R_E, |B| min %g nT at (%g, %g, %g) R_E", s->time[i],
                 eic[i], tr.d, tr.bmin, tr.xline[0], tr.xline[1], tr.xline[2]);
    }
    cr_fieldline_release(fl);
    cr_field_release(f);
    if (nd == 0 || (o->map_traced && nm == 0)) {
        cr_error(log, "rate: no field line could be traced from the satellite to a |B| minimum (%s field at t = %g s)",
                 o->trace_mhd ? "MHD" : "dipole + uniform", t_tr);
        return CR_EDOMAIN;
    }
    double dm = median_of(dv, nd), mm = nm ? median_of(mv, nm) : CR_LW_FILL;
    for (int i = 0; i < s->nt; i++) {
        if (o->d_traced) d[i] = dm;
        if (o->map_traced) map[i] = mm;
    }
    cr_info(log, "rate: traced %d youngest field lines in the %s field at t = %g s: d = %.3g R_E%s", nd,
            o->trace_mhd ? "MHD slice" : "dipole + uniform", t_tr, dm, o->map_traced ? "" : "");
    if (o->map_traced) cr_info(log, "rate: traced L_i/L' = %.4g (median of %d)", mm, nm);
    return CR_OK;
}

static int put_var(struct cr_nc *f, const char *name, int dim, const char *units, const char *long_name,
                   const char *desc, int *varid, int is_int)
{
    int rc = cr_nc_def_var(f, name, is_int ? NC_INT : NC_DOUBLE, 1, &dim, units, long_name, desc, NULL, varid);
    if (rc) return rc;
    if (!is_int) {
        double fv = CR_LW_FILL;
        rc = cr_nc_check(nc_put_att_double(cr_nc_id(f), *varid, "_FillValue", NC_DOUBLE, 1, &fv), cr_nc_path(f),
                         name, NULL);
    }
    return rc;
}

static const char *const eic_flag_meanings =
    "0 ok, 1 empty spectrum, 2 cutoff below the lowest channel, 3 effective count above the cutoff below "
    "rate.min_effective_count (not used)";
static const char *const flag_meanings =
    "bit mask: 1 no E_ic, 2 fewer than 3 E_ic in the window, 4 singular denominator 1+X, 8 negative Lockwood-form "
    "rate (kept), 16 no B_s, 32 next to a step in E_ic (kept)";

struct out_cols {
    const char *name, *units, *long_name, *desc;
    const double *data;
};

static int write_rate(const char *path, const char *spec_path, const struct cr_lw_spec *s, const double *eic,
                      const int *eic_flag, const double *neff, const double *bs, const double *u, const double *d,
                      const double *vc, const char *vc_how, const struct cr_lw_result *r, const struct rate_opts *o,
                      const char *speed_how, const struct cr_config *cfg, const struct cr_log *log)
{
    struct cr_nc *f = cr_nc_create(path, "cusprate Lockwood-Smith reconnection-rate estimate", cfg, log);
    if (!f) return CR_EIO;
    int dim, rc = cr_nc_def_dim(f, "time", (size_t)s->nt, &dim);
    const int n = s->nt;
    struct cr_epoch epoch;
    char tunits[128];
    cr_epoch_parse(CR_EPOCH_DEFAULT, &epoch);
    if (!rc && cr_epoch_from_config(cfg, &epoch, log)) rc = CR_ECONFIG;
    cr_epoch_cf_units(&epoch, tunits, sizeof tunits);
    double *d_err = cr_zalloc(n ? (size_t)n : 1, sizeof(double));
    if (!d_err) rc = CR_ENOMEM;
    for (int i = 0; !rc && i < n; i++) d_err[i] = d[i] == CR_LW_FILL ? CR_LW_FILL : d[i] * o->lw.d_err_frac;
    const struct out_cols cols[] = {
        {"time", tunits, "satellite time", "the spectrum's sample centre time (the coordinate; = t_s)", s->time},
        {"t_s", tunits, "satellite time", "sample centre time", s->time},
        {"t_o", tunits, "reconnection time", "t_o = t_s - d / v_ic, v_ic = sqrt(2 E_ic_smooth / m_p)", r->t_o},
        {"t_o_err", "s", "1-sigma of t_o", "from the spread of E_ic and the uncertainty of d", r->t_o_err},
        {"mlat", "degree", "satellite magnetic latitude", NULL, s->mlat},
        {"mlt", "h", "satellite magnetic local time", NULL, s->mlt},
        {"altitude", "km", "satellite altitude", NULL, s->altitude},
        {"E_ic", "eV", "low-energy cutoff", "per spectrum (attributes eic_method, eic_fraction, eic_interp)", eic},
        {"effective_count", "1", "effective count of the spectrum above its cutoff",
         "(sum F)^2 / sum sigma_F^2 over the channels from E_ic up (-1: the spectrogram has no effective_count)",
         neff},
        {"E_ic_smooth", "eV", "smoothed low-energy cutoff", "10^(moving average of log10 E_ic over smooth_window)",
         r->e_ic_smooth},
        {"E_ic_err", "eV", "1-sigma of E_ic_smooth", "scatter of log10 E_ic about a straight line over the window / sqrt(N)",
         r->e_ic_err},
        {"dEic_dt", "eV/s", "time derivative of E_ic_smooth", "straight-line fit over deriv_window", r->deic_dt},
        {"X", "1", "time-of-flight term", "X = (d/2) sqrt(m/2) E_ic^(-3/2) dE_ic/dt_s = dt_o/dt_s - 1", r->x},
        {"d", CR_NC_RE_UNITS, "field-line length X-line to satellite in Earth radii", NULL, d},
        {"d_err", CR_NC_RE_UNITS, "1-sigma of d in Earth radii", NULL, d_err},
        {"B_s", "nT", "magnetic field strength at the satellite", NULL, bs},
        {"U", "km/s", "poleward satellite speed V_s cos(alpha)", NULL, u},
        {"V_c", "km/s", "poleward convection speed of the field lines", "attribute V_c_source", vc},
        {"E_i", "mV/m", "reconnection rate at satellite altitude, Lockwood form",
         "E_i = B_s (0 - U) / (1 + X): per unit length of the merging gap at the satellite", r->e_i},
        {"E_i_err", "mV/m", "1-sigma of E_i", NULL, r->e_i_err},
        {"E_i_conv", "mV/m", "reconnection rate at satellite altitude, convection-corrected",
         "E_i_conv = B_s (V_c - U) / (1 + X)", r->e_i_conv},
        {"E_i_conv_err", "mV/m", "1-sigma of E_i_conv", NULL, r->e_i_conv_err},
        {"E_mp", "mV/m", "reconnection rate at the magnetopause, Lockwood form",
         "E_mp = E_i L_i/L': per unit length of the magnetopause X-line", r->e_mp},
        {"E_mp_err", "mV/m", "1-sigma of E_mp", NULL, r->e_mp_err},
        {"E_mp_conv", "mV/m", "reconnection rate at the magnetopause, convection-corrected", "E_mp_conv = E_i_conv L_i/L'",
         r->e_mp_conv},
        {"E_mp_conv_err", "mV/m", "1-sigma of E_mp_conv", NULL, r->e_mp_conv_err},
        {"mapping_ratio", "1", "L_i / L'", "length ratio satellite / magnetopause of the merging gap", r->mapping_ratio},
    };
    int ids[CR_ARRAY_LEN(cols)], id_flag = -1, id_eflag = -1;
    for (size_t k = 0; !rc && k < CR_ARRAY_LEN(cols); k++)
        rc = put_var(f, cols[k].name, dim, cols[k].units, cols[k].long_name, cols[k].desc, &ids[k], 0);
    if (!rc) rc = put_var(f, "flag", dim, "1", "estimate quality flags", flag_meanings, &id_flag, 1);
    if (!rc) rc = put_var(f, "eic_flag", dim, "1", "E_ic finder status", eic_flag_meanings, &id_eflag, 1);
    if (!rc) {
        /* CF flags: the bits of flag, the values of eic_flag */
        const int masks[6] = {CR_LW_NO_EIC, CR_LW_FEW_SAMPLES, CR_LW_SINGULAR, CR_LW_NEGATIVE, CR_LW_NO_BS,
                              CR_LW_STEP};
        const int vals[4] = {0, 1, 2, 3};
        rc |= cr_nc_check(nc_put_att_int(cr_nc_id(f), id_flag, "flag_masks", NC_INT, 6, masks), path, "flag", log);
        rc |= cr_nc_put_att_text(f, id_flag, "flag_meanings",
                                 "no_E_ic few_E_ic_in_window singular_1_plus_X negative_Lockwood_rate no_B_s "
                                 "next_to_E_ic_step");
        rc |= cr_nc_check(nc_put_att_int(cr_nc_id(f), id_eflag, "flag_values", NC_INT, 4, vals), path, "eic_flag",
                          log);
        rc |= cr_nc_put_att_text(f, id_eflag, "flag_meanings",
                                 "ok empty_spectrum cutoff_below_lowest_channel low_effective_count");
        rc |= cr_nc_put_att_text(f, ids[0], "standard_name", "time");
        rc |= cr_nc_put_att_text(f, ids[0], "axis", "T");
        rc = rc ? CR_EIO : CR_OK;
    }
    char buf[1024], name[512];
    cr_lw_flyby_name(spec_path, name, sizeof name);
    if (!rc) {
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "flyby", name);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "spectrogram_file", spec_path);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "quantity", o->quantity);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "quantity_units", s->units);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "eic_method", o->eic.method == CR_EIC_PEAK ? "peak" : "threshold");
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "eic_fraction", o->eic.fraction);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "eic_interp",
                                 o->eic.interp == CR_EIC_INTERP_EDGE
                                     ? "edge"
                                     : (o->eic.interp == CR_EIC_INTERP_LINEAR ? "linear" : "none"));
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "smooth_window", o->lw.smooth_window);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "deriv_window", o->lw.deriv_window);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "step_dex", o->lw.step_dex);
        const char *fld = o->trace_mhd ? "the MHD slice" : "the dipole + uniform field";
        if (o->d_flight)
            snprintf(buf, sizeof buf,
                     "flight: v(E_ic channel) x flight_time of the backward spectrogram (the distance the cutoff "
                     "ions flew from the source), median over the pass's spectra with a cutoff");
        else if (o->d_traced)
            snprintf(buf, sizeof buf,
                     "traced from the satellite to the minimum of |B| along the field line in %s (B_E = %g nT, "
                     "uniform Bz = %g nT for the analytic field): median over the 5 spectra of the youngest lines "
                     "(highest E_ic), used for the whole pass",
                     fld, o->b_e, o->b_uniform_z);
        else
            snprintf(buf, sizeof buf, "constant rate.d = %g R_E", o->lw.d);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "d_source", buf);
        snprintf(buf, sizeof buf, "|B| of the dipole (B_E = %g nT) at the satellite position", o->b_e);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "B_s_source", buf);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "U_source", speed_how);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "V_c_source", vc_how);
        if (o->map_traced)
            snprintf(buf, sizeof buf,
                     "L_i/L' measured: two field lines %g h of MLT apart traced to their |B| minima in %s, median "
                     "over the 5 spectra of the youngest lines, used for the whole pass",
                     o->map_dmlt, fld);
        else if (o->lw.mapping_ratio > 0) snprintf(buf, sizeof buf, "constant L_i/L' = %g", o->lw.mapping_ratio);
        else snprintf(buf, sizeof buf, "L_i/L' = sqrt(B'/B_s), B' = %g nT", o->lw.b_mp);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "mapping", buf);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "v_conv_km_s", o->lw.v_conv);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "d_err_frac", o->lw.d_err_frac);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "hemisphere", s->hemisphere);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "n_estimates", cr_lw_result_count_valid(r));
        rc |= cr_nc_put_att_text(
            f, NC_GLOBAL, "equations",
            "Lockwood & Smith (1992): t_o = t_s - d/v_ic, v_ic = sqrt(2 E_ic/m); X = (d/2) sqrt(m/2) E_ic^-3/2 dE_ic/dt_s; "
            "E_i = B_s (V_c - U)/(1 + X) with V_c = 0 (Lockwood form) or V_c (convection-corrected, V_c_source); "
            "U = V_s cos(alpha) poleward; E_mp = E_i L_i/L'");
        rc |= cr_nc_put_att_text(
            f, NC_GLOBAL, "uncertainty",
            "linear propagation: (sigma_X)^2 = X^2 [(sigma_d/d)^2 + (ln10 sigma_L/2)^2] + (ln10 (t_s - t_o)/2)^2 sigma_s^2; "
            "sigma_E = |E| sigma_X / |1+X|; sigma_t_o = (t_s - t_o) sqrt((sigma_d/d)^2 + (ln10 sigma_L/2)^2); sigma_L = "
            "scatter of log10 E_ic about a line over the smoothing window / sqrt(N), sigma_s = standard error of that "
            "line's slope");
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "references",
                                 "Lockwood, M. & Smith, M. F. (1992), JGR 97, 14841; da Silva, D. E. et al. (2025), "
                                 "Front. Astron. Space Sci. 12, 1607611; Burkholder, B. L. et al. (2025), Front. Astron. "
                                 "Space Sci. 12, 1704328");
        rc = rc ? CR_EIO : CR_OK;
    }
    int ncid = cr_nc_id(f);
    for (size_t k = 0; !rc && k < CR_ARRAY_LEN(cols); k++)
        rc = cr_nc_check(nc_put_var_double(ncid, ids[k], cols[k].data), path, cols[k].name, log);
    if (!rc) rc = cr_nc_check(nc_put_var_int(ncid, id_flag, r->flag), path, "flag", log);
    if (!rc) rc = cr_nc_check(nc_put_var_int(ncid, id_eflag, eic_flag), path, "eic_flag", log);
    free(d_err);
    if (rc) {
        cr_nc_discard(f);
        return rc;
    }
    return cr_nc_commit(f);
}

/* Effective count of spectrum i above its cutoff: (sum F)^2 / sum sigma^2
 * over the channels at and above E_ic (all channels when it has none), with
 * sigma_c = F_c / sqrt(neff_c) from the file's per-pixel effective counts;
 * -1 when the file has none. */
static double spectrum_neff(const struct cr_lw_spec *s, int i, double eic)
{
    if (!s->neff) return -1.0;
    double sf = 0, sv = 0;
    for (int c = 0; c < s->ne; c++) {
        size_t k = (size_t)i * (size_t)s->ne + (size_t)c;
        double f = s->flux[k], ne = s->neff[k];
        double top = s->e_hi ? s->e_hi[c] : s->energy[c];
        if (eic != CR_LW_FILL && top <= eic) continue;
        if (!(f > 0) || f == CR_LW_FILL) continue;
        sf += f;
        sv += ne > 0 ? f * f / ne : HUGE_VAL;
    }
    return sv > 0 && isfinite(sv) ? sf * sf / sv : 0.0;
}

/* d from the flight of the cutoff ions (rate.d_source = flight): per
 * spectrum with a cutoff, v(E_c) x flight_time in the channel c holding
 * E_ic; the median over the pass is used for every spectrum, as the traced
 * d is. */
static int flight_d(const struct cr_lw_spec *s, const double *eic, const int *eflag, const struct rate_opts *o,
                    double *d, const char *path, const struct cr_log *log)
{
    if (!s->flight) {
        cr_error(log, "%s: rate.d_source = flight needs a backward spectrogram (variable flight_time; flyby.method = "
                      "backward)", path);
        return CR_ECONFIG;
    }
    double *v = cr_zalloc(s->nt ? (size_t)s->nt : 1, sizeof *v);
    if (!v) return CR_ENOMEM;
    int m = 0;
    for (int i = 0; i < s->nt; i++) {
        if (eflag[i] != CR_EIC_OK) continue;
        int c = -1;
        double best = HUGE_VAL;
        for (int k = 0; k < s->ne; k++) {
            if (s->e_lo && eic[i] >= s->e_lo[k] && eic[i] < s->e_hi[k]) {
                c = k;
                break;
            }
            double dist = fabs(s->energy[k] > eic[i] ? s->energy[k] / eic[i] : eic[i] / s->energy[k]);
            if (dist < best) {
                best = dist;
                c = k;
            }
        }
        double ft = c >= 0 ? s->flight[(size_t)i * (size_t)s->ne + (size_t)c] : CR_LW_FILL;
        if (!(ft > 0) || ft == CR_LW_FILL || !isfinite(ft)) continue;
        v[m++] = cr_lw_speed_kms(s->energy[c], o->lw.mass_amu) * ft / CR_RE_KM;
    }
    if (m == 0) {
        free(v);
        cr_error(log, "%s: rate.d_source = flight: no spectrum with a cutoff has a flight time there", path);
        return CR_ECONFIG;
    }
    gsl_sort(v, 1, (size_t)m);
    double dm = gsl_stats_median_from_sorted_data(v, 1, (size_t)m);
    cr_info(log, "rate: flight distance of the cutoff ions: median d = %.3g R_E over %d spectra (%.3g-%.3g)", dm, m,
            v[0], v[m - 1]);
    for (int i = 0; i < s->nt; i++) d[i] = dm;
    free(v);
    return CR_OK;
}

static int rate_one(const char *spec_path, const char *out_path, const char *run_dir, const struct rate_opts *o,
                    const struct cr_config *cfg, const struct cr_log *log)
{
    struct cr_lw_spec *s = cr_lw_spec_read(spec_path, o->quantity, log);
    if (!s) return CR_ECONFIG; /* an input that cannot be used: the reason and the file are logged */
    const int n = s->nt;
    size_t m = n ? (size_t)n : 1;
    double *eic = cr_zalloc(m, sizeof(double)), *bs = cr_zalloc(m, sizeof(double));
    double *u = cr_zalloc(m, sizeof(double)), *d = cr_zalloc(m, sizeof(double));
    double *vc = cr_zalloc(m, sizeof(double));
    int *eflag = cr_zalloc(m, sizeof(int));
    double *neff = cr_zalloc(m, sizeof(double));
    struct cr_lw_result *r = cr_lw_result_new(n);
    int rc = (eic && bs && u && d && vc && eflag && neff && r) ? CR_OK : CR_ENOMEM;
    char how[256] = "", vc_how[512] = "";
    if (!rc) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < n; i++) {
            eflag[i] = cr_eic_find(s->energy, s->flux + (size_t)i * (size_t)s->ne, s->e_lo, s->e_hi, s->ne, &o->eic,
                                   &eic[i]);
            neff[i] = spectrum_neff(s, i, eflag[i] == CR_EIC_OK ? eic[i] : CR_LW_FILL);
            if (eflag[i] == CR_EIC_OK && o->min_neff > 0 && s->neff && neff[i] < o->min_neff) {
                eflag[i] = CR_EIC_NOISY;
                eic[i] = CR_LW_FILL;
            }
            double x[3] = {s->x[i], s->y[i], s->z[i]}, b[3];
            if (x[0] == CR_LW_FILL || x[1] == CR_LW_FILL || x[2] == CR_LW_FILL) {
                bs[i] = CR_LW_FILL;
                continue;
            }
            cr_dipole_field(o->b_e, x, b);
            bs[i] = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
        }
        rc = poleward_speed(s, o->speed_source, u, how, sizeof how, spec_path, log);
        if (!rc) rc = convection_speed(s, o, run_dir, vc, vc_how, sizeof vc_how, spec_path, log);
    }
    double *map = cr_zalloc(m, sizeof(double));
    if (!rc && !map) rc = CR_ENOMEM;
    for (int i = 0; !rc && i < n; i++) d[i] = map[i] = CR_LW_FILL;
    if (!rc && (o->d_traced || o->map_traced)) rc = trace_pass(s, eic, eflag, o, run_dir, d, map, log);
    if (!rc && !o->d_traced)
        for (int i = 0; i < n; i++) d[i] = CR_LW_FILL;
    if (!rc && o->d_flight) rc = flight_d(s, eic, eflag, o, d, spec_path, log);
    int nvalid = 0;
    if (!rc) {
        struct cr_lockwood *lw = cr_lockwood_new(&o->lw);
        if (!lw) rc = CR_ECONFIG;
        if (!rc) {
            struct cr_lw_series in = {.n = n, .t_s = s->time, .e_ic = eic, .b_s = bs, .u = u, .d = d,
                                      .mapping = o->map_traced ? map : NULL, .v_c = vc};
            int r2 = cr_lockwood_run(lw, &in, r);
            if (r2 && r2 != CR_EDOMAIN) rc = r2;
            nvalid = cr_lw_result_count_valid(r);
        }
        cr_lockwood_release(lw);
        /* the d each spectrum used, for the file */
        for (int i = 0; i < n; i++)
            if (d[i] == CR_LW_FILL) d[i] = o->lw.d;
    }
    if (!rc) {
        for (int i = 0; i < n; i++)
            if (vc[i] == CR_LW_FILL) vc[i] = o->lw.v_conv; /* the value each spectrum used, for the file */
        rc = write_rate(out_path, spec_path, s, eic, eflag, neff, bs, u, d, vc, vc_how, r, o, how, cfg, log);
    }
    if (!rc) {
        int neic = 0, nnoisy = 0;
        for (int i = 0; i < n; i++) {
            neic += eflag[i] == CR_EIC_OK;
            nnoisy += eflag[i] == CR_EIC_NOISY;
        }
        cr_info(log, "%s: %d spectra, %d with a cutoff, %d rate estimates -> %s", spec_path, n, neic, nvalid, out_path);
        if (nnoisy > 0)
            cr_warn(log, "%s: %d spectra left out: effective count above the cutoff below rate.min_effective_count = %g",
                    spec_path, nnoisy, o->min_neff);
        if (nvalid == 0) cr_warn(log, "%s: no rate estimate (no dispersion found in this pass)", spec_path);
    }
    free(eic);
    free(bs);
    free(u);
    free(d);
    free(vc);
    free(eflag);
    free(neff);
    free(map);
    cr_lw_result_release(r);
    cr_lw_spec_release(s);
    return rc;
}

int cr_cmd_rate(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    struct rate_opts o = {0};
    o.quantity = cr_config_choice_name(cfg, "rate", "quantity");
    o.eic.method = cr_config_choice(cfg, "rate", "eic_method") == 1 ? CR_EIC_PEAK : CR_EIC_THRESHOLD;
    o.eic.fraction = cr_config_real(cfg, "rate", "eic_fraction");
    o.eic.interp = (enum cr_eic_interp)cr_config_choice(cfg, "rate", "eic_interp");
    o.eic.min_peak = cr_config_real(cfg, "rate", "min_peak");
    o.min_neff = cr_config_real(cfg, "rate", "min_effective_count");
    o.lw.d = cr_config_real(cfg, "rate", "d");
    o.lw.d_err_frac = cr_config_real(cfg, "rate", "d_err_frac");
    o.lw.v_conv = cr_config_real(cfg, "rate", "v_conv");
    o.lw.b_mp = cr_config_real(cfg, "rate", "b_mp");
    o.lw.mapping_ratio = cr_config_choice(cfg, "rate", "mapping") == 1 ? cr_config_real(cfg, "rate", "mapping_ratio") : 0;
    o.map_traced = cr_config_choice(cfg, "rate", "mapping") == 2;
    o.trace_mhd = cr_config_choice(cfg, "rate", "trace_field") == 0;
    o.cfg = cfg;
    o.trace_time = cr_config_real(cfg, "rate", "trace_time");
    o.map_dmlt = cr_config_real(cfg, "rate", "map_dmlt");
    o.mhd_file = cr_config_string(cfg, "rate", "mhd_file");
    o.lw.smooth_window = (int)cr_config_int(cfg, "rate", "smooth_window");
    o.lw.deriv_window = (int)cr_config_int(cfg, "rate", "deriv_window");
    o.lw.step_dex = cr_config_real(cfg, "rate", "step_dex");
    o.lw.log = ctx->log;
    o.speed_source = cr_config_choice(cfg, "rate", "speed_source");
    o.vc_source = cr_config_choice(cfg, "rate", "v_conv_source");
    o.d_traced = cr_config_choice(cfg, "rate", "d_source") == 1;
    o.d_flight = cr_config_choice(cfg, "rate", "d_source") == 2;
    o.b_e = cr_config_real(cfg, "rate", "dipole_b_e");
    o.b_uniform_z = cr_config_real(cfg, "rate", "b_uniform_z");
    if (o.lw.smooth_window % 2 == 0 || o.lw.deriv_window % 2 == 0) {
        cr_error(ctx->log, "rate.smooth_window = %d, rate.deriv_window = %d: both must be odd (centred windows)",
                 o.lw.smooth_window, o.lw.deriv_window);
        return CR_ECONFIG;
    }
    /* validate once before touching files */
    struct cr_lockwood *check = cr_lockwood_new(&o.lw);
    if (!check) return CR_ECONFIG;
    cr_lockwood_release(check);

    int n = 0;
    char **inputs = cr_rate_inputs(cfg, ctx->run_dir, &n, ctx->log);
    if (!inputs) return CR_ENOMEM;
    if (n == 0) {
        cr_error(ctx->log, "cusprate rate: no spectrogram in %s (run `cusprate fly` first, or name files in "
                           "rate.spectrograms)", ctx->run_dir);
        cr_lw_free_list(inputs);
        return CR_ECONFIG;
    }
    int rc = CR_OK;
    for (int k = 0; k < n && !rc; k++) {
        if (!cr_file_exists(inputs[k])) {
            cr_error(ctx->log, "cusprate rate: %s does not exist", inputs[k]);
            rc = CR_ECONFIG;
            break;
        }
        char out[4096];
        if (cr_rate_output_for(inputs[k], ctx->run_dir, out, sizeof out)) {
            rc = CR_EIO;
            break;
        }
        char folder[4096];
        snprintf(folder, sizeof folder, "%s", out);
        char *slash = strrchr(folder, '/');
        if (slash) *slash = '\0';
        else snprintf(folder, sizeof folder, ".");
        if ((rc = cr_run_lock(ctx, folder))) break; /* the folder it writes into */
        rc = rate_one(inputs[k], out, ctx->run_dir, &o, cfg, ctx->log);
    }
    cr_lw_free_list(inputs);
    return rc;
}
