/* cr_wind.c — solar-wind driver: validation, text and bcwind.h5 input/output,
 * linear interpolation in time, planar-front delay, idealized drivers with
 * spin-up and ramps (GEM-2009 baseline), and the `cusprate wind` command. */
#include "cr_wind.h"

#include <ctype.h>
#include <errno.h>
#include <gsl/gsl_interp.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../core/cr_common.h"
#include "../core/cr_epoch.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"
#include "../core/cr_version.h"

const struct cr_key cr_wind_keys[] = {
    {.section = "wind", .name = "driver", .type = CR_KEY_PATH, .unit = "", .def = "", .flags = CR_KEY_EXISTING,
     .doc = "existing driver (our text format or GAMERA bcwind.h5) for the run; `cusprate wind` converts it; "
            "empty = the idealized driver of the keys below"},
    {.section = "wind", .name = "n", .type = CR_KEY_REAL, .unit = "cm^-3", .def = "5", .min = 0, .max = 1e4,
     .flags = CR_KEY_MIN_OPEN, .doc = "solar-wind proton density (GEM-2009 baseline 5)"},
    {.section = "wind", .name = "vx", .type = CR_KEY_REAL, .unit = "km/s", .def = "-400", .min = -5000, .max = 0,
     .flags = CR_KEY_MAX_OPEN, .doc = "solar-wind velocity x (GSM/SM; negative = Earthward)"},
    {.section = "wind", .name = "vy", .type = CR_KEY_REAL, .unit = "km/s", .def = "0", .min = -1000, .max = 1000,
     .doc = "solar-wind velocity y"},
    {.section = "wind", .name = "vz", .type = CR_KEY_REAL, .unit = "km/s", .def = "0", .min = -1000, .max = 1000,
     .doc = "solar-wind velocity z"},
    {.section = "wind", .name = "temperature", .type = CR_KEY_REAL, .unit = "K", .def = "1e5", .min = 0, .max = 1e8,
     .flags = CR_KEY_MIN_OPEN, .doc = "plasma temperature, thermal pressure P = n k_B T (GEM-2009 baseline 1e5)"},
    {.section = "wind", .name = "bx", .type = CR_KEY_REAL, .unit = "nT", .def = "0", .min = -500, .max = 500,
     .doc = "IMF x"},
    {.section = "wind", .name = "by", .type = CR_KEY_REAL, .unit = "nT", .def = "0", .min = -500, .max = 500,
     .doc = "IMF y"},
    {.section = "wind", .name = "bz", .type = CR_KEY_REAL, .unit = "nT", .def = "-5", .min = -500, .max = 500,
     .doc = "IMF z after the spin-up (GEM-2009 baseline -5, southward)"},
    {.section = "wind", .name = "spinup_time", .type = CR_KEY_REAL, .unit = "s", .def = "3600", .min = 0, .max = 1e7,
     .flags = CR_KEY_RANGED, .doc = "spin-up with IMF Bz = spinup_bz before the ramp to bz (0 = none)"},
    {.section = "wind", .name = "spinup_bz", .type = CR_KEY_REAL, .unit = "nT", .def = "0", .min = -500, .max = 500,
     .doc = "IMF Bz during the spin-up (0 = zero IMF, > 0 northward)"},
    {.section = "wind", .name = "ramp_time", .type = CR_KEY_REAL, .unit = "s", .def = "600", .min = 0, .max = 1e6,
     .flags = CR_KEY_MIN_OPEN, .doc = "length of each linear IMF ramp (GEM-2009: 10 min; short = near-step)"},
    {.section = "wind", .name = "bz_steps", .type = CR_KEY_REALS, .unit = "nT", .def = "", .min = -500, .max = 500,
     .doc = "further Bz values after bz, each reached by a ramp (GEM-2009: -10, -20); empty = none"},
    {.section = "wind", .name = "step_time", .type = CR_KEY_REAL, .unit = "s", .def = "7200", .min = 0, .max = 1e7,
     .flags = CR_KEY_MIN_OPEN, .doc = "how long bz and each further step are held before the next ramp"},
    {.section = "wind", .name = "duration", .type = CR_KEY_REAL, .unit = "s", .def = "14400", .min = 0, .max = 1e8,
     .flags = CR_KEY_MIN_OPEN, .doc = "end time of the idealized driver"},
    {.section = "wind", .name = "dt", .type = CR_KEY_REAL, .unit = "s", .def = "60", .min = 0, .max = 1e6,
     .flags = CR_KEY_MIN_OPEN, .doc = "sample cadence of the idealized driver (ramp corners are always samples)"},
    {.section = "wind", .name = "file", .type = CR_KEY_STRING, .unit = "", .def = "wind.txt", .flags = CR_KEY_FILENAME,
     .doc = "name of the text driver `cusprate wind` writes in the run folder"},
    {.section = "wind", .name = "bcwind", .type = CR_KEY_BOOL, .unit = "", .def = "no",
     .doc = "also write the driver as GAMERA bcwind.h5"},
    {.section = "wind", .name = "bcwind_file", .type = CR_KEY_STRING, .unit = "", .def = "bcwind.h5",
     .flags = CR_KEY_FILENAME,
     .doc = "name of the bcwind.h5 file in the run folder"},
    CR_KEY_END,
};

struct cr_wind {
    size_t n;
    struct cr_wind_sample *s;
    double *t; /* copy of the times for the binary search */
    double *index[CR_WIND_NINDEX]; /* geomagnetic and solar indices of a GAMERA driver, one per sample (NULL: none) */
    char source[512];              /* the driver's name for messages */
};

static const char *const index_name[CR_WIND_NINDEX] = {"symh", "f10.7", "Kp"};
static const char *const index_unit[CR_WIND_NINDEX] = {"nT", "sfu", "1"};

/* ---- construction and validation -------------------------------------- */

/* The one rule for a driver sample, wherever it comes from (our text file,
 * bcwind.h5, the idealized driver): every value a finite number, and n, V, T
 * and B inside the range of the [wind] key that sets the same quantity
 * (cr_wind_keys: a driver file may not drive a run where the keys may not).
 * On failure `why` names the quantity, its value and unit, and the range. */
static int sample_ok(const struct cr_wind_sample *s, char *why, size_t n)
{
    const double v[9] = {s->t, s->n, s->v[0], s->v[1], s->v[2], s->temp, s->b[0], s->b[1], s->b[2]};
    static const char *const names[9] = {"time", "n", "vx", "vy", "vz", "T", "bx", "by", "bz"};
    static const char *const units[9] = {"s", "cm^-3", "km/s", "km/s", "km/s", "K", "nT", "nT", "nT"};
    static const char *const keys[9] = {NULL, "n", "vx", "vy", "vz", "temperature", "bx", "by", "bz"};
    for (int k = 0; k < 9; k++) {
        if (!isfinite(v[k])) {
            snprintf(why, n, "%s is not a finite number", names[k]);
            return 0;
        }
        const struct cr_key *key = keys[k] ? cr_key_find(cr_wind_keys, keys[k]) : NULL;
        char allowed[160];
        if (key && !cr_key_allows(key, v[k], allowed, sizeof allowed)) {
            if (snprintf(why, n, "%s = %.17g %s is out of range; allowed: %s (the range of wind.%s)", names[k], v[k],
                     units[k], allowed, keys[k]) < 0)
                why[0] = '\0';
            return 0;
        }
    }
    return 1;
}

struct cr_wind *cr_wind_new(const struct cr_wind_inp *inp)
{
    const char *src = inp->source ? inp->source : "solar-wind driver";
    if (inp->n < 1 || !inp->samples) {
        cr_error(inp->log, "%s: no samples", src);
        return NULL;
    }
    char why[400];
    for (size_t k = 0; k < inp->n; k++) {
        if (!sample_ok(&inp->samples[k], why, sizeof why)) {
            cr_error(inp->log, "%s: sample %zu: %s", src, k, why);
            return NULL;
        }
        if (k > 0 && !(inp->samples[k].t > inp->samples[k - 1].t)) {
            cr_error(inp->log, "%s: sample %zu: time %.17g s does not increase (previous %.17g s)", src, k,
                     inp->samples[k].t, inp->samples[k - 1].t);
            return NULL;
        }
    }
    struct cr_wind *w = cr_zalloc(1, sizeof *w);
    if (!w) return NULL;
    w->s = cr_zalloc(inp->n, sizeof *w->s);
    w->t = cr_zalloc(inp->n, sizeof *w->t);
    if (!w->s || !w->t) {
        cr_wind_release(w);
        return NULL;
    }
    w->n = inp->n;
    snprintf(w->source, sizeof w->source, "%s", src);
    memcpy(w->s, inp->samples, inp->n * sizeof *w->s);
    for (size_t k = 0; k < inp->n; k++) w->t[k] = w->s[k].t;
    return w;
}

void cr_wind_release(struct cr_wind *w)
{
    if (!w) return;
    free(w->s);
    free(w->t);
    for (int q = 0; q < CR_WIND_NINDEX; q++) free(w->index[q]);
    free(w);
}

const double *cr_wind_index(const struct cr_wind *w, int q)
{
    return q >= 0 && q < CR_WIND_NINDEX ? w->index[q] : NULL;
}

size_t cr_wind_size(const struct cr_wind *w) { return w->n; }
const char *cr_wind_source(const struct cr_wind *w) { return w->source; }
const struct cr_wind_sample *cr_wind_samples(const struct cr_wind *w) { return w->s; }
double cr_wind_t_first(const struct cr_wind *w) { return w->t[0]; }
double cr_wind_t_last(const struct cr_wind *w) { return w->t[w->n - 1]; }

/* ---- evaluation -------------------------------------------------------- */

void cr_wind_eval(const struct cr_wind *w, double t, struct cr_wind_sample *s)
{
    if (w->n == 1 || !(t > w->t[0])) {
        *s = w->s[0];
        s->t = t;
        return;
    }
    if (t >= w->t[w->n - 1]) {
        *s = w->s[w->n - 1];
        s->t = t;
        return;
    }
    /* GSL's binary search (no accelerator: stateless, so thread-safe) */
    size_t k = gsl_interp_bsearch(w->t, t, 0, w->n - 1);
    const struct cr_wind_sample *a = &w->s[k], *b = &w->s[k + 1];
    double f = (t - a->t) / (b->t - a->t);
    s->t = t;
    s->n = a->n + f * (b->n - a->n);
    s->temp = a->temp + f * (b->temp - a->temp);
    for (int c = 0; c < 3; c++) {
        s->v[c] = a->v[c] + f * (b->v[c] - a->v[c]);
        s->b[c] = a->b[c] + f * (b->b[c] - a->b[c]);
    }
}

void cr_wind_eval_delayed(const struct cr_wind *w, double t, double x, double x_bc, struct cr_wind_sample *s)
{
    double dist = (x_bc - x) * CR_RE_KM; /* [km] */
    double td = t;
    cr_wind_eval(w, t, s);
    /* fixed point: the delay uses Vx at the departure time (a few iterations suffice for drivers whose
     * speed changes little over one crossing time) */
    for (int it = 0; it < 8; it++) {
        double vx = fabs(s->v[0]);
        if (!(vx > 0)) break;
        double tn = t - dist / vx;
        if (fabs(tn - td) <= 1e-12 * (fabs(t) + 1.0)) break;
        td = tn;
        cr_wind_eval(w, td, s);
    }
    s->t = td;
}

double cr_wind_pressure_npa(const struct cr_wind_sample *s) { return s->n * CR_CC * CR_KB * s->temp / CR_NPA; }

double cr_wind_pdyn_npa(const struct cr_wind_sample *s)
{
    double v2 = (s->v[0] * s->v[0] + s->v[1] * s->v[1] + s->v[2] * s->v[2]) * CR_KMS * CR_KMS;
    return CR_MP * s->n * CR_CC * v2 / CR_NPA;
}

/* ---- text format ------------------------------------------------------- */

enum { COL_T, COL_N, COL_VX, COL_VY, COL_VZ, COL_TEMP, COL_BX, COL_BY, COL_BZ, NCOL };
static const char *const col_canon[NCOL] = {"time[s]", "n[cm^-3]", "vx[km/s]", "vy[km/s]", "vz[km/s]",
                                            "T[K]",    "bx[nT]",   "by[nT]",   "bz[nT]"};

static int col_of_name(const char *name)
{
    if (!strcmp(name, "time") || !strcmp(name, "t")) return COL_T;
    if (!strcasecmp(name, "n") || !strcasecmp(name, "density")) return COL_N;
    if (!strcasecmp(name, "vx")) return COL_VX;
    if (!strcasecmp(name, "vy")) return COL_VY;
    if (!strcasecmp(name, "vz")) return COL_VZ;
    if (!strcmp(name, "T") || !strcasecmp(name, "temp") || !strcasecmp(name, "temperature")) return COL_TEMP;
    if (!strcasecmp(name, "bx")) return COL_BX;
    if (!strcasecmp(name, "by")) return COL_BY;
    if (!strcasecmp(name, "bz")) return COL_BZ;
    return -1;
}

static int unit_ok(int col, const char *u)
{
    switch (col) {
    case COL_T: return !strcmp(u, "s");
    case COL_N: return !strcmp(u, "cm^-3") || !strcmp(u, "cm-3") || !strcmp(u, "#/cc") || !strcmp(u, "/cc");
    case COL_VX:
    case COL_VY:
    case COL_VZ: return !strcmp(u, "km/s");
    case COL_TEMP: return !strcmp(u, "K");
    default: return !strcmp(u, "nT");
    }
}

static char *strip_comment(char *line)
{
    char *h = strchr(line, '#');
    if (h) *h = '\0';
    size_t l = strlen(line);
    while (l > 0 && isspace((unsigned char)line[l - 1])) line[--l] = '\0';
    while (*line && isspace((unsigned char)*line)) line++;
    return line;
}

int cr_wind_read_text(const char *path, const struct cr_log *log, struct cr_wind **out)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        cr_error(log, "%s: cannot open solar-wind driver: %s", path, strerror(errno));
        return CR_ECONFIG;
    }
    char *line = NULL;
    size_t cap = 0, ns = 0, scap = 0;
    long lineno = 0, header_line = 0;
    int map[64]; /* file column -> our column (-1 = ignored) */
    int ncols = 0, rc = CR_OK;
    struct cr_wind_sample *s = NULL;
    long *lines = NULL;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *p = strip_comment(line);
        if (!*p) continue;
        if (!header_line) {
            header_line = lineno;
            int seen[NCOL] = {0};
            char *save = NULL;
            for (char *tok = strtok_r(p, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                if (ncols >= 64) {
                    cr_error(log, "%s:%ld: more than 64 columns", path, lineno);
                    rc = CR_ECONFIG;
                    goto done;
                }
                char name[64] = "", unit[64] = "";
                char *lb = strchr(tok, '['), *rb = lb ? strchr(lb, ']') : NULL;
                if (lb && rb && rb[1] == '\0') {
                    snprintf(name, sizeof name, "%.*s", (int)(lb - tok), tok);
                    snprintf(unit, sizeof unit, "%.*s", (int)(rb - lb - 1), lb + 1);
                } else {
                    snprintf(name, sizeof name, "%s", tok);
                }
                int c = col_of_name(name);
                if (c >= 0 && !lb) {
                    cr_error(log, "%s:%ld: column '%s' must name its unit, e.g. %s", path, lineno, name, col_canon[c]);
                    rc = CR_ECONFIG;
                    goto done;
                }
                if (c >= 0 && !unit_ok(c, unit)) {
                    cr_error(log, "%s:%ld: column '%s' has unit '%s'; expected %s", path, lineno, name, unit,
                             col_canon[c]);
                    rc = CR_ECONFIG;
                    goto done;
                }
                if (c >= 0 && seen[c]) {
                    cr_error(log, "%s:%ld: column %s appears twice", path, lineno, col_canon[c]);
                    rc = CR_ECONFIG;
                    goto done;
                }
                if (c >= 0) seen[c] = 1;
                map[ncols++] = c;
            }
            for (int c = 0; c < NCOL; c++) {
                if (!seen[c]) {
                    cr_error(log, "%s:%ld: missing column %s (the header line must name time[s] n[cm^-3] "
                             "vx[km/s] vy[km/s] vz[km/s] T[K] bx[nT] by[nT] bz[nT])",
                             path, lineno, col_canon[c]);
                    rc = CR_ECONFIG;
                    goto done;
                }
            }
            continue;
        }
        double v[NCOL];
        int k = 0;
        char *save = NULL;
        int extra = 0;
        for (char *tok = strtok_r(p, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save), k++) {
            if (k >= ncols) { /* more values than the header names columns */
                extra = 1;
                while (strtok_r(NULL, " \t,", &save)) k++;
                k++;
                break;
            }
            char *end;
            errno = 0;
            double d = strtod(tok, &end);
            if (end == tok || *end) {
                cr_error(log, "%s:%ld: column %d ('%s') is not a number", path, lineno, k + 1, tok);
                rc = CR_ECONFIG;
                goto done;
            }
            if (map[k] >= 0) {
                if (!isfinite(d)) {
                    cr_error(log, "%s:%ld: %s is not a finite number ('%s')", path, lineno, col_canon[map[k]], tok);
                    rc = CR_ECONFIG;
                    goto done;
                }
                v[map[k]] = d;
            }
        }
        if (k != ncols || extra) {
            cr_error(log, "%s:%ld: %d values where the header (line %ld) names %d columns", path, lineno, k,
                     header_line, ncols);
            rc = CR_ECONFIG;
            goto done;
        }
        if (ns == scap) {
            scap = scap ? 2 * scap : 256;
            struct cr_wind_sample *ns_ = realloc(s, scap * sizeof *s);
            long *nl = realloc(lines, scap * sizeof *lines);
            if (ns_) s = ns_;
            if (nl) lines = nl;
            if (!ns_ || !nl) {
                rc = CR_ENOMEM;
                goto done;
            }
        }
        struct cr_wind_sample *q = &s[ns];
        *q = (struct cr_wind_sample){.t = v[COL_T], .n = v[COL_N], .v = {v[COL_VX], v[COL_VY], v[COL_VZ]},
                                     .temp = v[COL_TEMP], .b = {v[COL_BX], v[COL_BY], v[COL_BZ]}};
        char why[400];
        if (!sample_ok(q, why, sizeof why)) {
            cr_error(log, "%s:%ld: %s", path, lineno, why);
            rc = CR_ECONFIG;
            goto done;
        }
        if (ns > 0 && !(q->t > s[ns - 1].t)) {
            cr_error(log, "%s:%ld: time %.17g s does not increase (previous %.17g s at line %ld)", path, lineno, q->t,
                     s[ns - 1].t, lines[ns - 1]);
            rc = CR_ECONFIG;
            goto done;
        }
        lines[ns++] = lineno;
    }
    if (ferror(f)) {
        cr_error(log, "%s: read error", path);
        rc = CR_EIO;
        goto done;
    }
    if (!header_line) {
        cr_error(log, "%s:%ld: no header line (expected: time[s] n[cm^-3] vx[km/s] vy[km/s] vz[km/s] T[K] bx[nT] "
                 "by[nT] bz[nT])", path, lineno);
        rc = CR_ECONFIG;
        goto done;
    }
    if (ns == 0) {
        cr_error(log, "%s:%ld: no data rows after the header", path, lineno);
        rc = CR_ECONFIG;
        goto done;
    }
    {
        struct cr_wind_inp inp = {.n = ns, .samples = s, .source = path, .log = log};
        *out = cr_wind_new(&inp);
        if (!*out) rc = CR_ECONFIG;
    }
done:
    free(line);
    free(s);
    free(lines);
    fclose(f);
    return rc;
}

/* Shortest %g text that reads back to the same double. */
static void fmt_exact(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, n, "%.17g", v);
}

int cr_wind_write_text(const struct cr_wind *w, const char *path, const struct cr_config *cfg,
                       const struct cr_log *log)
{
    char tmp[4200];
    if (cr_tmp_name(path, tmp, sizeof tmp)) {
        cr_error(log, "%s: path too long", path);
        return CR_EIO;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cr_error(log, "%s: cannot write: %s", tmp, strerror(errno));
        return CR_EIO;
    }
    char stamp[64];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    fprintf(f, "# cusprate solar-wind driver\n# written by %s on %s\n", cr_version_full(), stamp);
    fprintf(f, "# units: time s (from the MHD run start); n cm^-3; V km/s; T K (thermal pressure P = n k_B T); B nT\n"
               "# coordinates: GSM = SM (zero dipole tilt)\n");
    if (cfg) {
        char *ini = cr_config_to_ini(cfg);
        if (ini) {
            fprintf(f, "# configuration:\n");
            for (char *p = ini, *e; *p; p = e + (*e ? 1 : 0)) {
                e = strchr(p, '\n');
                if (!e) e = p + strlen(p);
                fprintf(f, "#   %.*s\n", (int)(e - p), p);
            }
            free(ini);
        }
    }
    fprintf(f, "time[s] n[cm^-3] vx[km/s] vy[km/s] vz[km/s] T[K] bx[nT] by[nT] bz[nT]");
    /* the source driver's indices, recorded as extra columns (F10.7 feeds the ionosphere's EUV
       conductance; SYM-H and Kp are not used) */
    for (int q = 0; q < CR_WIND_NINDEX; q++)
        if (w->index[q]) fprintf(f, " %s[%s]", index_name[q], index_unit[q]);
    fputc('\n', f);
    for (size_t k = 0; k < w->n; k++) {
        const struct cr_wind_sample *s = &w->s[k];
        const double v[NCOL] = {s->t, s->n, s->v[0], s->v[1], s->v[2], s->temp, s->b[0], s->b[1], s->b[2]};
        for (int c = 0; c < NCOL; c++) {
            char b[40];
            fmt_exact(b, sizeof b, v[c]);
            fprintf(f, c ? " %s" : "%s", b);
        }
        for (int q = 0; q < CR_WIND_NINDEX; q++) {
            if (!w->index[q]) continue;
            char b[40];
            fmt_exact(b, sizeof b, w->index[q][k]);
            fprintf(f, " %s", b);
        }
        fputc('\n', f);
    }
    int bad = ferror(f);
    if (fclose(f) || bad) {
        cr_error(log, "%s: write error", tmp);
        remove(tmp);
        return CR_EIO;
    }
    return cr_commit_file(tmp, path, log);
}

/* ---- bcwind.h5 ---------------------------------------------------------- */

static const char *const h5_names[NCOL] = {"T", "D", "Vx", "Vy", "Vz", "Temp", "Bx", "By", "Bz"};
static const char *const h5_units[NCOL] = {"s", "#/cc", "m/s", "m/s", "m/s", "K", "nT", "nT", "nT"};

/* An optional dataset of n values (or one) that must be zero: CR_ECONFIG
 * with the file, dataset, value and why otherwise. */
static int refuse_nonzero(hid_t fid, const char *path, const char *name, size_t n, const char *what,
                          const struct cr_log *log)
{
    if (H5Lexists(fid, name, H5P_DEFAULT) <= 0) return CR_OK;
    int rank;
    hsize_t dims[8];
    if (cr_h5_shape(fid, name, &rank, dims, path, log)) return CR_ECONFIG;
    size_t len = 1;
    for (int d = 0; d < rank; d++) len *= (size_t)dims[d];
    if (len != 1 && len != n) {
        cr_error(log, "%s: dataset %s has %zu values, T has %zu", path, name, len, n);
        return CR_ECONFIG;
    }
    double *v = cr_zalloc(len, sizeof *v);
    if (!v) return CR_ENOMEM;
    int rc = cr_h5_read_doubles(fid, name, v, len, path, log) ? CR_ECONFIG : CR_OK;
    for (size_t k = 0; k < len && !rc; k++)
        if (v[k] != 0.0) {
            cr_error(log, "%s: dataset %s[%zu] = %.9g: %s, which cusprate does not model; use a driver with %s = 0",
                     path, name, k, v[k], what, name);
            rc = CR_ECONFIG;
        }
    free(v);
    return rc;
}

int cr_wind_read_bcwind(const char *path, const struct cr_log *log, struct cr_wind **out)
{
    *out = NULL;
    hid_t fid = cr_h5_open_read(path, log);
    if (fid < 0) return CR_ECONFIG; /* unreadable input: named by cr_h5_open_read */
    int rc = CR_OK;
    double *col[NCOL] = {0};
    struct cr_wind_sample *s = NULL;
    size_t n = 0;
    for (int c = 0; c < NCOL; c++) {
        int rank;
        hsize_t dims[8];
        if (H5Lexists(fid, h5_names[c], H5P_DEFAULT) <= 0) {
            cr_error(log, "%s: missing dataset %s [%s] (bcwind.h5 needs T D Vx Vy Vz Temp Bx By Bz)", path,
                     h5_names[c], h5_units[c]);
            rc = CR_ECONFIG;
            goto done;
        }
        if (cr_h5_shape(fid, h5_names[c], &rank, dims, path, log)) {
            rc = CR_ECONFIG;
            goto done;
        }
        size_t len = 1;
        for (int d = 0; d < rank; d++) len *= (size_t)dims[d];
        if (rank > 2 || (rank == 2 && dims[0] != 1 && dims[1] != 1)) {
            cr_error(log, "%s: dataset %s must be one-dimensional", path, h5_names[c]);
            rc = CR_ECONFIG;
            goto done;
        }
        if (c == 0) n = len;
        if (len != n || n == 0) {
            cr_error(log, "%s: dataset %s has %zu values, T has %zu", path, h5_names[c], len, n);
            rc = CR_ECONFIG;
            goto done;
        }
        col[c] = cr_zalloc(n, sizeof(double));
        if (!col[c]) {
            rc = CR_ENOMEM;
            goto done;
        }
        if (cr_h5_read_doubles(fid, h5_names[c], col[c], n, path, log)) {
            rc = CR_ECONFIG;
            goto done;
        }
    }
    s = cr_zalloc(n, sizeof *s);
    if (!s) {
        rc = CR_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        for (int c = 0; c < NCOL; c++) {
            if (!isfinite(col[c][k])) {
                cr_error(log, "%s: %s[%zu]: not a finite number", path, h5_names[c], k);
                rc = CR_ECONFIG;
                goto done;
            }
        }
        s[k] = (struct cr_wind_sample){.t = col[COL_T][k], .n = col[COL_N][k],
                                       .v = {col[COL_VX][k] / CR_KMS, col[COL_VY][k] / CR_KMS, col[COL_VZ][k] / CR_KMS},
                                       .temp = col[COL_TEMP][k],
                                       .b = {col[COL_BX][k], col[COL_BY][k], col[COL_BZ][k]}};
        char why[400];
        if (!sample_ok(&s[k], why, sizeof why)) {
            cr_error(log, "%s: record %zu (T[%zu] = %.17g s; datasets T D Vx Vy Vz Temp Bx By Bz, V read in m/s): %s",
                     path, k, k, s[k].t, why);
            rc = CR_ECONFIG;
            goto done;
        }
        if (k > 0 && !(s[k].t > s[k - 1].t)) {
            cr_error(log, "%s: T[%zu]: time %.17g s does not increase (T[%zu] = %.17g s)", path, k, s[k].t, k - 1,
                     s[k - 1].t);
            rc = CR_ECONFIG;
            goto done;
        }
    }
    /* GAMERA's dipole tilt and tilted planar front change the physics, which
     * cusprate does not model: non-zero values are refused, never ignored */
    if ((rc = refuse_nonzero(fid, path, "tilt", n,
                             "a dipole tilt [rad]; cusprate's magnetosphere is in SM with the dipole along z (zero tilt)",
                             log)))
        goto done;
    static const char *const front[3] = {"Bx0", "ByC", "BzC"};
    for (int q = 0; q < 3; q++)
        if ((rc = refuse_nonzero(fid, path, front[q], n,
                                 "a tilted planar front (Bx = Bx0 + ByC By + BzC Bz); cusprate's solar-wind front is "
                                 "normal to x and takes Bx from the Bx dataset",
                                 log)))
            goto done;
    {
        struct cr_wind_inp inp = {.n = n, .samples = s, .source = path, .log = log};
        *out = cr_wind_new(&inp);
        if (!*out) rc = CR_ECONFIG;
    }
    /* SYM-H, F10.7 and Kp are kept (written back by cr_wind_write_bcwind) */
    for (int q = 0; q < CR_WIND_NINDEX && !rc; q++) {
        if (H5Lexists(fid, index_name[q], H5P_DEFAULT) <= 0) continue;
        double *v = cr_zalloc(n, sizeof *v);
        if (!v) rc = CR_ENOMEM;
        else if (cr_h5_read_doubles(fid, index_name[q], v, n, path, log)) rc = CR_ECONFIG;
        for (size_t k = 0; k < n && !rc; k++)
            if (!isfinite(v[k])) {
                cr_error(log, "%s: %s[%zu]: not a finite number", path, index_name[q], k);
                rc = CR_ECONFIG;
            }
        if (rc) free(v);
        else (*out)->index[q] = v;
    }
    if (rc) {
        cr_wind_release(*out);
        *out = NULL;
    }
done:
    for (int c = 0; c < NCOL; c++) free(col[c]);
    free(s);
    H5Fclose(fid);
    return rc;
}

int cr_wind_write_bcwind(const struct cr_wind *w, const char *path, const struct cr_config *cfg,
                         const struct cr_log *log)
{
    struct cr_h5 *f = cr_h5_create(path, cfg, log);
    if (!f) return CR_EIO;
    hid_t root = cr_h5_root(f);
    double *buf = cr_zalloc(w->n, sizeof(double));
    if (!buf) {
        cr_h5_discard(f);
        return CR_ENOMEM;
    }
    static const char *const desc[NCOL] = {"time from the MHD run start", "solar-wind number density",
                                           "solar-wind velocity x (GSM)", "solar-wind velocity y (GSM)",
                                           "solar-wind velocity z (GSM)", "plasma temperature (P = n k_B T)",
                                           "IMF x (GSM)", "IMF y (GSM)", "IMF z (GSM)"};
    hsize_t dims[1] = {(hsize_t)w->n};
    int rc = 0;
    for (int c = 0; c < NCOL; c++) {
        for (size_t k = 0; k < w->n; k++) {
            const struct cr_wind_sample *s = &w->s[k];
            const double v[NCOL] = {s->t,    s->n,           s->v[0] * CR_KMS, s->v[1] * CR_KMS, s->v[2] * CR_KMS,
                                    s->temp, s->b[0],        s->b[1],          s->b[2]};
            buf[k] = v[c];
        }
        rc |= cr_h5_write_doubles(root, h5_names[c], 1, dims, buf, h5_units[c], desc[c], log);
    }
    /* datasets GAMERA also reads, at neutral values */
    for (size_t k = 0; k < w->n; k++) buf[k] = 0.0;
    rc |= cr_h5_write_doubles(root, "tilt", 1, dims, buf, "rad", "dipole tilt (zero: SM = GSM)", log);
    /* the source driver's indices when it had them, else neutral values (SYM-H 0; F10.7 100 sfu, the default of
     * ionosphere.f107; no Kp) */
    static const char *const idesc[CR_WIND_NINDEX] = {"SYM-H index", "F10.7 solar radio flux", "Kp index"};
    for (int q = 0; q < CR_WIND_NINDEX; q++) {
        char d[160];
        if (w->index[q]) {
            snprintf(d, sizeof d, "%s (from the source driver; %s)", idesc[q],
                     q == CR_WIND_F107 ? "the ionosphere's EUV conductance uses it" : "not used by cusprate's MHD");
            rc |= cr_h5_write_doubles(root, index_name[q], 1, dims, w->index[q], index_unit[q], d, log);
        } else if (q < 2) {
            for (size_t k = 0; k < w->n; k++) buf[k] = q == 0 ? 0.0 : 100.0;
            snprintf(d, sizeof d, "%s (the driver has none: %s)", idesc[q],
                     q == 0 ? "0, not used by cusprate"
                            : "100 sfu, the default of ionosphere.f107 for the EUV conductance");
            rc |= cr_h5_write_doubles(root, index_name[q], 1, dims, buf, index_unit[q], d, log);
        }
    }
    struct cr_epoch epoch;
    if (cr_epoch_from_config(cfg, &epoch, log)) {
        free(buf);
        cr_h5_discard(f);
        return CR_ECONFIG;
    }
    for (size_t k = 0; k < w->n; k++) buf[k] = cr_epoch_mjd(&epoch, w->s[k].t);
    char mdesc[160];
    snprintf(mdesc, sizeof mdesc, "modified Julian date: the run epoch %s ([run] epoch) plus T", epoch.iso);
    rc |= cr_h5_write_doubles(root, "MJD", 1, dims, buf, "day", mdesc, log);
    double zero = 0.0;
    rc |= cr_h5_write_doubles(root, "Bx0", 0, NULL, &zero, "nT", "Bx offset of a tilted planar front (0)", log);
    rc |= cr_h5_write_doubles(root, "ByC", 0, NULL, &zero, "", "By coefficient of Bx for a tilted front (0)", log);
    rc |= cr_h5_write_doubles(root, "BzC", 0, NULL, &zero, "", "Bz coefficient of Bx for a tilted front (0)", log);
    rc |= cr_h5_attr_string(root, "description", "solar-wind driver in the GAMERA bcwind.h5 layout");
    free(buf);
    if (rc) {
        cr_error(log, "%s: cannot write the bcwind datasets", path);
        cr_h5_discard(f);
        return CR_EIO;
    }
    return cr_h5_commit(f);
}

int cr_wind_load(const char *path, const struct cr_log *log, struct cr_wind **out)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        cr_error(log, "%s: cannot open solar-wind driver: %s", path, strerror(errno));
        return CR_ECONFIG;
    }
    unsigned char sig[8] = {0};
    size_t got = fread(sig, 1, 8, f);
    fclose(f);
    static const unsigned char h5sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (got == 8 && !memcmp(sig, h5sig, 8)) return cr_wind_read_bcwind(path, log, out);
    return cr_wind_read_text(path, log, out);
}

/* ---- idealized driver ---------------------------------------------------- */

void cr_wind_ideal_from_config(const struct cr_config *cfg, struct cr_wind_ideal *p)
{
    memset(p, 0, sizeof *p);
    p->n = cr_config_real(cfg, "wind", "n");
    p->v[0] = cr_config_real(cfg, "wind", "vx");
    p->v[1] = cr_config_real(cfg, "wind", "vy");
    p->v[2] = cr_config_real(cfg, "wind", "vz");
    p->temp = cr_config_real(cfg, "wind", "temperature");
    p->b[0] = cr_config_real(cfg, "wind", "bx");
    p->b[1] = cr_config_real(cfg, "wind", "by");
    p->b[2] = cr_config_real(cfg, "wind", "bz");
    p->spinup_time = cr_config_real(cfg, "wind", "spinup_time");
    p->spinup_bz = cr_config_real(cfg, "wind", "spinup_bz");
    p->ramp_time = cr_config_real(cfg, "wind", "ramp_time");
    p->bz_steps = cr_config_reals(cfg, "wind", "bz_steps", &p->nsteps);
    p->step_time = cr_config_real(cfg, "wind", "step_time");
    p->duration = cr_config_real(cfg, "wind", "duration");
    p->dt = cr_config_real(cfg, "wind", "dt");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Piecewise-linear Bz through the corners (tc, bc). */
static double corner_eval(const double *tc, const double *bc, int nc, double t)
{
    if (t <= tc[0]) return bc[0];
    for (int k = 1; k < nc; k++) {
        if (t <= tc[k]) {
            double f = (t - tc[k - 1]) / (tc[k] - tc[k - 1]);
            return f >= 1.0 ? bc[k] : bc[k - 1] + f * (bc[k] - bc[k - 1]);
        }
    }
    return bc[nc - 1];
}

struct cr_wind *cr_wind_ideal_new(const struct cr_wind_ideal *p, const struct cr_log *log)
{
    if (!(p->dt > 0) || !(p->duration > 0) || !(p->ramp_time > 0) || p->spinup_time < 0 ||
        (p->nsteps > 0 && !(p->step_time > 0))) {
        cr_error(log, "wind: the idealized driver needs dt > 0, duration > 0, ramp_time > 0, spinup_time >= 0 and "
                 "step_time > 0 with bz_steps");
        return NULL;
    }
    if ((double)p->duration / p->dt > 1e7) {
        cr_error(log, "wind: duration / dt = %.3g samples is too many (at most 1e7)", p->duration / p->dt);
        return NULL;
    }
    /* corners of the Bz history */
    int maxc = 4 + 2 * (int)p->nsteps;
    double *tc = cr_zalloc((size_t)maxc, sizeof(double)), *bc = cr_zalloc((size_t)maxc, sizeof(double));
    if (!tc || !bc) {
        free(tc);
        free(bc);
        return NULL;
    }
    int nc = 0;
    double t = 0.0;
    if (p->spinup_time > 0) {
        tc[nc] = 0.0;
        bc[nc++] = p->spinup_bz;
        t = p->spinup_time;
        tc[nc] = t;
        bc[nc++] = p->spinup_bz;
        t += p->ramp_time;
    }
    tc[nc] = t;
    bc[nc++] = p->b[2];
    for (size_t k = 0; k < p->nsteps; k++) {
        t += p->step_time;
        tc[nc] = t;
        bc[nc] = bc[nc - 1];
        nc++;
        t += p->ramp_time;
        tc[nc] = t;
        bc[nc++] = p->bz_steps[k];
    }
    /* sample times: the cadence, the corners inside (0, duration), and the end */
    size_t nreg = (size_t)floor(p->duration / p->dt + 1e-9) + 1;
    size_t cap = nreg + (size_t)nc + 1, nt = 0;
    double *ts = cr_zalloc(cap, sizeof(double));
    struct cr_wind_sample *s = cr_zalloc(cap, sizeof *s);
    struct cr_wind *w = NULL;
    if (!ts || !s) goto done;
    for (size_t k = 0; k < nreg; k++) ts[nt++] = fmin(k * p->dt, p->duration);
    for (int k = 0; k < nc; k++)
        if (tc[k] > 0 && tc[k] < p->duration) ts[nt++] = tc[k];
    ts[nt++] = p->duration;
    qsort(ts, nt, sizeof(double), cmp_double);
    size_t m = 0;
    for (size_t k = 0; k < nt; k++) {
        if (m > 0 && ts[k] - ts[m - 1] <= 1e-9 * fmax(p->dt, 1.0)) continue;
        ts[m++] = ts[k];
    }
    for (size_t k = 0; k < m; k++) {
        s[k] = (struct cr_wind_sample){.t = ts[k], .n = p->n, .v = {p->v[0], p->v[1], p->v[2]}, .temp = p->temp,
                                       .b = {p->b[0], p->b[1], corner_eval(tc, bc, nc, ts[k])}};
    }
    {
        struct cr_wind_inp inp = {.n = m, .samples = s, .source = "idealized driver", .log = log};
        w = cr_wind_new(&inp);
    }
done:
    free(tc);
    free(bc);
    free(ts);
    free(s);
    return w;
}

/* ---- command ------------------------------------------------------------ */

int cr_cmd_wind(struct cr_cmd_ctx *ctx)
{
    struct cr_wind_ideal p;
    cr_wind_ideal_from_config(ctx->cfg, &p);
    const char *driver = cr_config_path(ctx->cfg, "wind", "driver");
    struct cr_wind *w = NULL;
    if (driver && *driver) { /* validate and convert an existing driver */
        int lrc = cr_wind_load(driver, ctx->log, &w);
        if (lrc) return lrc;
        cr_info(ctx->log, "wind: read %s (%zu samples, %g to %g s)", driver, cr_wind_size(w), cr_wind_t_first(w),
                cr_wind_t_last(w));
    } else {
        w = cr_wind_ideal_new(&p, ctx->log);
    }
    if (!w) return CR_ECONFIG;
    char path[4400];
    int rc = cr_run_path(ctx, cr_config_string(ctx->cfg, "wind", "file"), path, sizeof path);
    if (!rc) rc = cr_wind_write_text(w, path, ctx->cfg, ctx->log);
    if (!rc) cr_info(ctx->log, "wind: wrote %s (%zu samples, 0 to %g s)", path, cr_wind_size(w), cr_wind_t_last(w));
    if (!rc && cr_config_bool(ctx->cfg, "wind", "bcwind")) {
        rc = cr_run_path(ctx, cr_config_string(ctx->cfg, "wind", "bcwind_file"), path, sizeof path);
        if (!rc) rc = cr_wind_write_bcwind(w, path, ctx->cfg, ctx->log);
        if (!rc) cr_info(ctx->log, "wind: wrote %s (GAMERA bcwind.h5 layout)", path);
    }
    if (!rc && !(driver && *driver)) {
        struct cr_wind_sample s;
        cr_wind_eval(w, cr_wind_t_last(w), &s);
        cr_info(ctx->log,
                "wind: n %g cm^-3, V (%g, %g, %g) km/s, T %g K, P_dyn %.3f nPa, P_th %.4f nPa; Bz %g nT for %g s, "
                "ramp %g s, then %g nT",
                s.n, s.v[0], s.v[1], s.v[2], s.temp, cr_wind_pdyn_npa(&s), cr_wind_pressure_npa(&s), p.spinup_bz,
                p.spinup_time, p.ramp_time, p.b[2]);
    }
    cr_wind_release(w);
    return rc;
}
