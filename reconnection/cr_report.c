/* cr_report.c — `cusprate report`: the Lockwood-Smith estimate of each flyby
 * against the flux-accounting rate of its MLT sector (see cr_report.h and
 * reconnection/README.md). Numbers in report/comparison.nc, a Markdown and an
 * HTML page, PNG figures from tools/report.py.
 *
 * Length convention (REFERENCES.md section 4): with compare = xline the
 * estimator's magnetopause field E_mp (rate per unit length of the X-line,
 * L_i/L' mapping) is compared with flux.nc's E_xline (sector opening rate /
 * X-line length of the sector); with compare = iono the satellite-altitude
 * field E_i, mapped down the dipole field line to the ionosphere
 * (E ~ sqrt(B): lengths across a flux tube scale as B^-1/2), with E_iono
 * (sector opening rate / ionospheric boundary length).
 */
#include "cr_report.h"

#include <errno.h>
#include <stdarg.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_sort_double.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/cr_epoch.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_nc.h"
#include "../core/cr_script.h"
#include "../core/cr_units.h"
#include "cr_lockwood.h"
#include "cr_lockwood_io.h"

#define FILLV CR_LW_FILL

const struct cr_key cr_report_keys[] = {
    {.section = "report", .name = "flux_file", .type = CR_KEY_STRING, .unit = "", .def = "flux.nc",
     .doc = "flux-accounting file, relative to the run folder"},
    {.section = "report", .name = "rate_files", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "comma-separated rate files (relative to the run folder); empty = every <run>/*.rate.nc"},
    {.section = "report", .name = "compare", .type = CR_KEY_CHOICE, .unit = "", .def = "xline",
     .choices = "xline|iono",
     .doc = "length convention: xline = estimator E_mp vs flux.nc E_xline (per unit X-line length); iono = "
            "estimator E_i mapped to the ionosphere vs E_iono (per unit ionospheric boundary length)"},
    {.section = "report", .name = "sector_width", .type = CR_KEY_REAL, .unit = "h", .def = "1", .min = 0, .max = 24,
     .flags = CR_KEY_MIN_OPEN,
     .doc = "MLT sector compared, centred on the flyby's mean MLT (flux bins whose centres fall inside are summed)"},
    {.section = "report", .name = "iono_altitude_km", .type = CR_KEY_REAL, .unit = "km", .def = "110", .min = 0,
     .max = 2000, .flags = CR_KEY_RANGED, .doc = "ionosphere altitude for compare = iono (dipole mapping of E_i)"},
    {.section = "report", .name = "figures", .type = CR_KEY_BOOL, .unit = "", .def = "yes",
     .doc = "draw the PNG figures with tools/report.py (Python 3 + matplotlib + netCDF4)"},
    {.section = "report", .name = "script", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "figure script (default: tools/report.py under $CUSPRATE_ROOT, the current folder or the executable's "
            "source tree)"},
    {.section = "report", .name = "python", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "Python interpreter (default: $PYTHON, else /usr/bin/python3)"},
    CR_KEY_END,
};

/* ---- statistics ----------------------------------------------------------------- */

void cr_report_stats(const double *est, const double *ref, int n, double missing, struct cr_report_stats *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->mean_est = s->mean_ref = s->mean_ratio = s->median_ratio = s->correlation = s->rms_diff = missing;
    if (n <= 0) return;
    s->mean_est = gsl_stats_mean(est, 1, (size_t)n);
    s->mean_ref = gsl_stats_mean(ref, 1, (size_t)n);
    double sq = 0, rsum = 0;
    int nr = 0;
    double *ratios = malloc((size_t)n * sizeof *ratios);
    for (int i = 0; i < n; i++) {
        sq += (est[i] - ref[i]) * (est[i] - ref[i]);
        if (ref[i] != 0) {
            rsum += est[i] / ref[i];
            if (ratios) ratios[nr] = est[i] / ref[i];
            nr++;
        }
    }
    s->rms_diff = sqrt(sq / n);
    if (nr > 0) {
        s->mean_ratio = rsum / nr;
        s->ok_ratio = 1;
        if (ratios) {
            gsl_sort(ratios, 1, (size_t)nr);
            s->median_ratio = gsl_stats_median_from_sorted_data(ratios, 1, (size_t)nr);
        }
    }
    free(ratios);
    if (n >= 2) {
        double ve = gsl_stats_variance(est, 1, (size_t)n), vr = gsl_stats_variance(ref, 1, (size_t)n);
        if (ve > 0 && vr > 0) {
            s->correlation = gsl_stats_correlation(est, 1, ref, 1, (size_t)n);
            s->ok_corr = isfinite(s->correlation);
            if (!s->ok_corr) s->correlation = missing;
        }
    }
}

double cr_report_mlt_diff(double a, double b)
{
    double d = fmod(a - b, 24.0);
    if (d < -12.0) d += 24.0;
    if (d >= 12.0) d -= 24.0;
    return d;
}

double cr_report_mlt_mean(const double *mlt, int n, double missing)
{
    double c = 0, s = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (mlt[i] == missing || !isfinite(mlt[i])) continue;
        double a = mlt[i] * CR_PI / 12.0;
        c += cos(a);
        s += sin(a);
        k++;
    }
    if (k == 0) return missing;
    double m = atan2(s, c) * 12.0 / CR_PI;
    return m < 0 ? m + 24.0 : m;
}

/* ---- flux.nc ------------------------------------------------------------------ */

struct flux_data {
    int nt, nh, nm;
    double *t0, *t1;      /* interval [s] */
    double *mlt;          /* bin centres [h] */
    double *e[2], *l[2];  /* [0] xline, [1] iono: (nt, nh, nm), mV/m and km; l may be NULL */
    int hemi_north;       /* index of the northern hemisphere (0 by the format) */
};

static void flux_free(struct flux_data *f)
{
    free(f->t0), free(f->t1), free(f->mlt);
    for (int k = 0; k < 2; k++) free(f->e[k]), free(f->l[k]);
}

/* Read a variable over any subset of the dimensions (time, hemisphere, mlt)
 * into a (nt, nh, nm) array (missing dimensions broadcast). Returns CR_OK,
 * CR_LW_ABSENT-like 1 when absent and optional, CR_EIO on a shape error. */
static int read_thm(int ncid, const char *path, const char *name, const struct flux_data *f, double **out,
                    int required, const struct cr_log *log)
{
    *out = NULL;
    int id, nd, dims[NC_MAX_VAR_DIMS];
    if (nc_inq_varid(ncid, name, &id) != NC_NOERR) {
        if (required) cr_error(log, "%s: variable '%s' is missing (docs/formats.md)", path, name);
        return required ? CR_EIO : 1;
    }
    nc_inq_varndims(ncid, id, &nd);
    nc_inq_vardimid(ncid, id, dims);
    size_t len[3] = {1, 1, 1}, stride[3] = {0, 0, 0}, total = 1;
    int role[NC_MAX_VAR_DIMS];
    for (int k = 0; k < nd; k++) {
        char dn[NC_MAX_NAME + 1];
        size_t l;
        nc_inq_dimname(ncid, dims[k], dn);
        nc_inq_dimlen(ncid, dims[k], &l);
        role[k] = !strcmp(dn, "time") ? 0 : !strcmp(dn, "hemisphere") ? 1 : !strcmp(dn, "mlt") ? 2 : -1;
        size_t want = role[k] == 0 ? (size_t)f->nt : role[k] == 1 ? (size_t)f->nh : (size_t)f->nm;
        if (role[k] < 0 || l != want) {
            cr_error(log, "%s: variable '%s' has dimension '%s' (%zu); expected time, hemisphere, mlt", path, name, dn,
                     l);
            return CR_EIO;
        }
        len[role[k]] = l;
        total *= l;
    }
    /* C order strides of the stored variable per role */
    size_t st = 1;
    for (int k = nd - 1; k >= 0; k--) {
        stride[role[k]] = st;
        st *= len[role[k]];
    }
    double *raw = malloc((total ? total : 1) * sizeof *raw);
    double *v = malloc((size_t)f->nt * f->nh * f->nm * sizeof *v + sizeof *v);
    if (!raw || !v) {
        free(raw), free(v);
        return CR_ENOMEM;
    }
    if (cr_nc_check(nc_get_var_double(ncid, id, raw), path, name, log)) {
        free(raw), free(v);
        return CR_EIO;
    }
    double fv;
    int has_fill = nc_get_att_double(ncid, id, "_FillValue", &fv) == NC_NOERR;
    for (int t = 0; t < f->nt; t++)
        for (int h = 0; h < f->nh; h++)
            for (int m = 0; m < f->nm; m++) {
                size_t src = (size_t)t * stride[0] + (size_t)h * stride[1] + (size_t)m * stride[2];
                double x = raw[src];
                if (!isfinite(x) || (has_fill && x == fv)) x = FILLV;
                v[((size_t)t * f->nh + h) * f->nm + m] = x;
            }
    free(raw);
    *out = v;
    return CR_OK;
}

static int read_1d(int ncid, const char *path, const char *name, size_t n, double **out, int required,
                   const struct cr_log *log)
{
    *out = NULL;
    int id, nd;
    if (nc_inq_varid(ncid, name, &id) != NC_NOERR) {
        if (required) cr_error(log, "%s: variable '%s' is missing", path, name);
        return required ? CR_EIO : 1;
    }
    nc_inq_varndims(ncid, id, &nd);
    int dims[NC_MAX_VAR_DIMS];
    nc_inq_vardimid(ncid, id, dims);
    size_t tot = 1;
    for (int k = 0; k < nd; k++) {
        size_t l;
        nc_inq_dimlen(ncid, dims[k], &l);
        tot *= l;
    }
    if (tot != n) {
        cr_error(log, "%s: variable '%s' has %zu values, expected %zu", path, name, tot, n);
        return CR_EIO;
    }
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return CR_ENOMEM;
    if (cr_nc_check(nc_get_var_double(ncid, id, v), path, name, log)) {
        free(v);
        return CR_EIO;
    }
    double fv;
    int has_fill = nc_get_att_double(ncid, id, "_FillValue", &fv) == NC_NOERR;
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k]) || (has_fill && v[k] == fv)) v[k] = FILLV;
    *out = v;
    return CR_OK;
}

static int flux_read(const char *path, struct flux_data *f, const struct cr_log *log)
{
    memset(f, 0, sizeof *f);
    int ncid = cr_nc_open_read(path, log);
    if (ncid < 0) return CR_EIO;
    int rc = CR_OK, dt, dh, dm;
    size_t nt = 0, nh = 0, nm = 0;
    if (nc_inq_dimid(ncid, "time", &dt) || nc_inq_dimid(ncid, "hemisphere", &dh) || nc_inq_dimid(ncid, "mlt", &dm)) {
        cr_error(log, "%s: needs dimensions time, hemisphere and mlt (docs/formats.md)", path);
        rc = CR_EIO;
    } else {
        nc_inq_dimlen(ncid, dt, &nt);
        nc_inq_dimlen(ncid, dh, &nh);
        nc_inq_dimlen(ncid, dm, &nm);
        f->nt = (int)nt, f->nh = (int)nh, f->nm = (int)nm;
        if (nt == 0 || nh == 0 || nm == 0) {
            cr_error(log, "%s: empty time, hemisphere or mlt dimension", path);
            rc = CR_EIO;
        }
    }
    double *tb = NULL, *hem = NULL;
    if (!rc) rc = read_1d(ncid, path, "time", nt, &f->t0, 1, log);
    if (!rc) rc = read_1d(ncid, path, "mlt", nm, &f->mlt, 1, log);
    if (!rc) {
        f->t1 = malloc(nt * sizeof(double));
        if (!f->t1) rc = CR_ENOMEM;
    }
    if (!rc) {
        int r = read_1d(ncid, path, "time_bnds", 2 * nt, &tb, 0, log);
        if (r > 1) rc = r;
        for (size_t k = 0; !rc && k < nt; k++) {
            if (tb) {
                f->t0[k] = tb[2 * k];
                f->t1[k] = tb[2 * k + 1];
            } else {
                double step = nt > 1 ? (k + 1 < nt ? f->t0[k + 1] - f->t0[k] : f->t0[k] - f->t0[k - 1]) : 60.0;
                f->t1[k] = f->t0[k] + step;
            }
        }
    }
    if (!rc) {
        int r = read_1d(ncid, path, "hemisphere", nh, &hem, 0, log);
        if (r > 1) rc = r;
        f->hemi_north = 0;
        if (hem)
            for (size_t k = 0; k < nh; k++)
                if (hem[k] > 0) {
                    f->hemi_north = (int)k;
                    break;
                }
    }
    const char *ev[2] = {"E_xline", "E_iono"}, *lv[2] = {"L_xline", "L_iono"};
    for (int k = 0; k < 2 && !rc; k++) {
        int r = read_thm(ncid, path, ev[k], f, &f->e[k], 0, log);
        if (r > 1) rc = r;
        r = rc ? CR_OK : read_thm(ncid, path, lv[k], f, &f->l[k], 0, log);
        if (r > 1) rc = r;
    }
    if (!rc && !f->e[0] && !f->e[1]) {
        cr_error(log, "%s: neither E_xline nor E_iono is present (docs/formats.md)", path);
        rc = CR_EIO;
    }
    free(tb);
    free(hem);
    nc_close(ncid);
    if (rc) flux_free(f);
    return rc;
}

/* Sector field for one convention: sum(E L) / sum(L) over the bins whose
 * centres fall in the sector (plain mean without lengths). FILLV when no bin
 * has data. */
static void flux_sector(const struct flux_data *f, int conv, int h, double mlt_lo, double width, double *out)
{
    for (int t = 0; t < f->nt; t++) {
        double num = 0, den = 0;
        int k = 0;
        for (int m = 0; m < f->nm; m++) {
            double dm = cr_report_mlt_diff(f->mlt[m], mlt_lo);
            if (dm < 0) dm += 24.0;
            if (dm > width) continue;
            size_t i = ((size_t)t * f->nh + h) * f->nm + m;
            double e = f->e[conv][i];
            if (e == FILLV) continue;
            double l = f->l[conv] ? f->l[conv][i] : 1.0;
            if (l == FILLV || !(l > 0)) continue;
            num += e * l;
            den += l;
            k++;
        }
        out[t] = (k && den > 0) ? num / den : FILLV;
    }
}

/* ---- rate.nc ------------------------------------------------------------------ */

struct rate_data {
    int n;
    double *t_s, *t_o, *t_o_err, *mlt, *mlat, *alt, *b_s, *est[2], *err[2], *e_ic_s;
    int *flag;
    int hemisphere;
    char flyby[512], spec[4096];
};

static void rate_free(struct rate_data *r)
{
    free(r->t_s), free(r->t_o), free(r->t_o_err), free(r->mlt), free(r->mlat), free(r->alt), free(r->b_s);
    free(r->e_ic_s);
    for (int k = 0; k < 2; k++) free(r->est[k]), free(r->err[k]);
    free(r->flag);
}

static int rate_read(const char *path, int conv, struct rate_data *r, const struct cr_log *log)
{
    memset(r, 0, sizeof *r);
    int ncid = cr_nc_open_read(path, log), dt, rc = CR_OK;
    if (ncid < 0) return CR_EIO;
    size_t n = 0;
    if (nc_inq_dimid(ncid, "time", &dt)) {
        cr_error(log, "%s: no time dimension (docs/formats.md)", path);
        nc_close(ncid);
        return CR_EIO;
    }
    nc_inq_dimlen(ncid, dt, &n);
    r->n = (int)n;
    const char *e[2] = {conv == 0 ? "E_mp" : "E_i", conv == 0 ? "E_mp_conv" : "E_i_conv"};
    const char *ee[2] = {conv == 0 ? "E_mp_err" : "E_i_err", conv == 0 ? "E_mp_conv_err" : "E_i_conv_err"};
    struct {
        const char *name;
        double **dst;
    } vars[] = {{"t_s", &r->t_s},   {"t_o", &r->t_o},       {"t_o_err", &r->t_o_err},         {"mlt", &r->mlt},
                {"mlat", &r->mlat}, {"altitude", &r->alt}, {"B_s", &r->b_s},       {"E_ic_smooth", &r->e_ic_s},      {e[0], &r->est[0]},
                {e[1], &r->est[1]}, {ee[0], &r->err[0]},    {ee[1], &r->err[1]}};
    for (size_t k = 0; !rc && k < CR_ARRAY_LEN(vars); k++) rc = read_1d(ncid, path, vars[k].name, n, vars[k].dst, 1, log);
    if (!rc) {
        int id;
        r->flag = cr_zalloc(n ? n : 1, sizeof(int));
        if (!r->flag) rc = CR_ENOMEM;
        else if (nc_inq_varid(ncid, "flag", &id) || nc_get_var_int(ncid, id, r->flag)) {
            cr_error(log, "%s: variable 'flag' is missing", path);
            rc = CR_EIO;
        }
    }
    if (!rc) {
        cr_lw_flyby_name(path, r->flyby, sizeof r->flyby);
        size_t len;
        r->spec[0] = '\0';
        if (nc_inq_attlen(ncid, NC_GLOBAL, "spectrogram_file", &len) == NC_NOERR && len < sizeof r->spec) {
            nc_get_att_text(ncid, NC_GLOBAL, "spectrogram_file", r->spec);
            r->spec[len] = '\0';
        }
        double h = 1;
        if (nc_get_att_double(ncid, NC_GLOBAL, "hemisphere", &h) != NC_NOERR) h = 1;
        r->hemisphere = h < 0 ? -1 : 1;
    }
    nc_close(ncid);
    if (rc) rate_free(r);
    return rc;
}

/* |B| of the dipole along the field line through (r_s, mlat_s) at radius r [R_E] */
static double dipole_b_on_line(double b_e, double r_s, double mlat_deg, double r)
{
    double c2 = cos(mlat_deg * CR_DEG);
    c2 *= c2;
    double lshell = r_s / c2;
    double cl2 = r / lshell; /* cos^2 of the latitude at r */
    if (cl2 > 1) cl2 = 1;
    double s2 = 1 - cl2;
    return b_e * sqrt(1 + 3 * s2) / (r * r * r);
}

/* ---- the command --------------------------------------------------------------- */

struct fly_row {
    struct rate_data r;
    char rate_path[4096];
    double mlt_c, mlt_lo, mlt_hi;
    int hemi_index;
    double *sector;             /* flux sector field per flux interval, mV/m */
    int npair;
    double *p_to, *p_to_err, *p_est[2], *p_err[2], *p_ref, *p_ts;
    struct cr_report_stats st[2];
};

static void row_free(struct fly_row *w)
{
    rate_free(&w->r);
    free(w->sector), free(w->p_to), free(w->p_to_err), free(w->p_ref), free(w->p_ts);
    for (int k = 0; k < 2; k++) free(w->p_est[k]), free(w->p_err[k]);
}

static int build_row(struct fly_row *w, const struct flux_data *fx, const char *flux_path, int conv, double width,
                     double iono_alt, double b_e, const struct cr_log *log)
{
    struct rate_data *r = &w->r;
    /* flyby sector: mean MLT of the spectra with an estimate (all spectra when none) */
    double *m = cr_zalloc(r->n ? (size_t)r->n : 1, sizeof(double));
    if (!m) return CR_ENOMEM;
    int k = 0;
    for (int i = 0; i < r->n; i++)
        if (!(r->flag[i] & (CR_LW_NO_EIC | CR_LW_FEW_SAMPLES | CR_LW_SINGULAR | CR_LW_NO_BS))) m[k++] = r->mlt[i];
    if (k == 0)
        for (int i = 0; i < r->n; i++) m[k++] = r->mlt[i];
    w->mlt_c = cr_report_mlt_mean(m, k, FILLV);
    free(m);
    if (w->mlt_c == FILLV) w->mlt_c = 12.0;
    w->mlt_lo = fmod(w->mlt_c - 0.5 * width + 24.0, 24.0);
    w->mlt_hi = fmod(w->mlt_c + 0.5 * width + 24.0, 24.0);
    w->hemi_index = r->hemisphere > 0 ? fx->hemi_north : (fx->nh > 1 ? 1 - fx->hemi_north : 0);
    if (w->hemi_index >= fx->nh) w->hemi_index = 0;
    w->sector = cr_zalloc((size_t)fx->nt, sizeof(double));
    size_t n = r->n ? (size_t)r->n : 1;
    w->p_to = cr_zalloc(n, sizeof(double)), w->p_to_err = cr_zalloc(n, sizeof(double));
    w->p_ref = cr_zalloc(n, sizeof(double)), w->p_ts = cr_zalloc(n, sizeof(double));
    for (int c = 0; c < 2; c++) w->p_est[c] = cr_zalloc(n, sizeof(double)), w->p_err[c] = cr_zalloc(n, sizeof(double));
    if (!w->sector || !w->p_to || !w->p_to_err || !w->p_ref || !w->p_ts || !w->p_est[0] || !w->p_est[1] ||
        !w->p_err[0] || !w->p_err[1])
        return CR_ENOMEM;
    if (!fx->e[conv]) {
        cr_error(log, "%s: no variable %s for report.compare = %s (docs/formats.md)", flux_path,
                 conv == 0 ? "E_xline" : "E_iono", conv == 0 ? "xline" : "iono");
        return CR_ECONFIG;
    }
    flux_sector(fx, conv, w->hemi_index, w->mlt_lo, width, w->sector);
    /* pairs: each usable estimate against the flux interval that contains t_o */
    const double r_io = 1.0 + iono_alt / CR_RE_KM;
    for (int i = 0; i < r->n; i++) {
        if (r->flag[i] & (CR_LW_NO_EIC | CR_LW_FEW_SAMPLES | CR_LW_SINGULAR | CR_LW_NO_BS)) continue;
        if (r->est[0][i] == FILLV || r->est[1][i] == FILLV || r->t_o[i] == FILLV) continue;
        int it = -1;
        for (int t = 0; t < fx->nt; t++)
            if (r->t_o[i] >= fx->t0[t] && r->t_o[i] < fx->t1[t]) {
                it = t;
                break;
            }
        if (it < 0 || w->sector[it] == FILLV) continue;
        double map = 1.0;
        if (conv == 1) {
            /* E_i at the satellite -> ionosphere: E scales as sqrt(B) along the flux tube */
            double bs = r->b_s[i];
            if (bs == FILLV || !(bs > 0) || r->alt[i] == FILLV) continue;
            double rsat = 1.0 + r->alt[i] / CR_RE_KM;
            double bio = dipole_b_on_line(b_e, rsat, r->mlat[i], r_io);
            map = sqrt(bio / bs);
        }
        int j = w->npair++;
        w->p_to[j] = r->t_o[i];
        w->p_to_err[j] = r->t_o_err[i];
        w->p_ts[j] = r->t_s[i];
        for (int c = 0; c < 2; c++) {
            w->p_est[c][j] = r->est[c][i] * map;
            w->p_err[c][j] = r->err[c][i] == FILLV ? FILLV : r->err[c][i] * map;
        }
        w->p_ref[j] = w->sector[it];
    }
    for (int c = 0; c < 2; c++) cr_report_stats(w->p_est[c], w->p_ref, w->npair, FILLV, &w->st[c]);
    return CR_OK;
}

static char **rate_list(const struct cr_config *cfg, const char *run_dir, int *n)
{
    const char *names = cr_config_string(cfg, "report", "rate_files");
    if (!names || !*names) return cr_lw_list_dir(run_dir, ".rate.nc", n);
    *n = 0;
    char *copy = cr_strdup(names);
    char **list = cr_zalloc(strlen(names) / 2 + 3, sizeof *list);
    if (!copy || !list) {
        free(copy), free(list);
        return NULL;
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ') tok[--len] = '\0';
        if (!len) continue;
        char p[4096];
        if (cr_path_join(p, sizeof p, run_dir, tok) == CR_OK) list[(*n)++] = cr_strdup(p);
    }
    free(copy);
    return list;
}

static int write_text(const char *path, const char *text, const struct cr_log *log)
{
    char tmp[4200];
    if (cr_tmp_name(path, tmp, sizeof tmp)) return CR_EIO;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cr_error(log, "%s: cannot write: %s", path, strerror(errno));
        return CR_EIO;
    }
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad) {
        unlink(tmp);
        cr_error(log, "%s: write failed", path);
        return CR_EIO;
    }
    return cr_commit_file(tmp, path, log);
}

/* growable text buffer */
struct sbuf {
    char *s;
    size_t n, cap;
    int bad;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->bad) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->bad = 1;
            return;
        }
        if (b->s && b->n + (size_t)w < b->cap) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)w;
        char *g = realloc(b->s, cap);
        if (!g) {
            b->bad = 1;
            return;
        }
        b->s = g;
        b->cap = cap;
    }
}

static void fmt_num(char *buf, size_t n, double v, int ok, const char *fmt)
{
    if (!ok || v == FILLV || !isfinite(v)) snprintf(buf, n, "n/a");
    else snprintf(buf, n, fmt, v);
}

static const char *const form_name[2] = {"Lockwood", "convection-corrected"};

static int write_comparison_nc(const char *path, struct fly_row *rows, int nrow, const struct flux_data *fx, int conv,
                               double width, const char *flux_path, const struct cr_config *cfg,
                               const struct cr_log *log)
{
    struct cr_nc *f = cr_nc_create(path, "cusprate comparison: Lockwood-Smith estimate vs flux accounting", cfg, log);
    if (!f) return CR_EIO;
    int npair = 0;
    for (int k = 0; k < nrow; k++) npair += rows[k].npair;
    int d_fly, d_form, d_pair, d_ft, rc = 0;
    rc |= cr_nc_def_index_dim(f, "flyby", (size_t)(nrow > 0 ? nrow : 1), "index of the flyby (name: flyby_name)",
                              NULL, &d_fly);
    rc |= cr_nc_def_index_dim(f, "form", 2, "form of the estimate", "lockwood convection_corrected", &d_form);
    rc |= cr_nc_def_index_dim(f, "pair", (size_t)(npair > 0 ? npair : 1), "index of the compared estimate", NULL,
                              &d_pair);
    rc |= cr_nc_def_dim(f, "flux_time", (size_t)fx->nt, &d_ft);
    struct cr_epoch epoch;
    char tunits[128];
    cr_epoch_parse(CR_EPOCH_DEFAULT, &epoch);
    if (!rc && cr_epoch_from_config(cfg, &epoch, log)) rc = CR_ECONFIG;
    cr_epoch_cf_units(&epoch, tunits, sizeof tunits);
    const char *unit_e = "mV/m";
    int v_name, v_spec, v_rate, v_mlo, v_mhi, v_mc, v_hem, v_n, v_mr, v_mdr = -1, v_cor, v_rms, v_me, v_mf, v_ft, v_ft1, v_sec;
    int v_pf, v_pto, v_ptoe, v_pts, v_pe0, v_pe1, v_pr0, v_pr1, v_pref;
    int ff[2] = {d_fly, d_form}, fft[2] = {d_fly, d_ft};
    if (!rc) {
        int ncid = cr_nc_id(f);
        rc |= nc_def_var(ncid, "flyby_name", NC_STRING, 1, &d_fly, &v_name);
        rc |= nc_def_var(ncid, "spectrogram_file", NC_STRING, 1, &d_fly, &v_spec);
        rc |= nc_def_var(ncid, "rate_file", NC_STRING, 1, &d_fly, &v_rate);
        rc = rc ? CR_EIO : CR_OK;
    }
#define DEF(name, nd, dims, units, ln, id) \
    if (!rc) rc = cr_nc_def_var(f, name, NC_DOUBLE, nd, dims, units, ln, NULL, NULL, &id)
    DEF("sector_mlt_min", 1, &d_fly, "h", "MLT sector start", v_mlo);
    DEF("sector_mlt_max", 1, &d_fly, "h", "MLT sector end", v_mhi);
    DEF("flyby_mlt", 1, &d_fly, "h", "mean MLT of the flyby's estimates", v_mc);
    DEF("hemisphere", 1, &d_fly, "1", "+1 north, -1 south", v_hem);
    DEF("n_pairs", 2, ff, "1", "estimates compared (t_o inside the flux record)", v_n);
    DEF("mean_ratio", 2, ff, "1", "mean of estimate / flux-accounting rate", v_mr);
    DEF("median_ratio", 2, ff, "1", "median of estimate / flux-accounting rate", v_mdr);
    DEF("correlation", 2, ff, "1", "Pearson correlation of estimate and flux-accounting rate", v_cor);
    DEF("rms_diff", 2, ff, unit_e, "RMS of estimate - flux-accounting rate", v_rms);
    DEF("mean_estimate", 2, ff, unit_e, "mean estimate", v_me);
    DEF("mean_flux_rate", 2, ff, unit_e, "mean flux-accounting rate at the estimates' t_o", v_mf);
    DEF("flux_time", 1, &d_ft, tunits, "start of the flux-accounting interval", v_ft);
    DEF("flux_time_end", 1, &d_ft, tunits, "end of the flux-accounting interval", v_ft1);
    DEF("E_flux_sector", 2, fft, unit_e, "flux-accounting rate of the flyby's MLT sector", v_sec);
    DEF("pair_t_o", 1, &d_pair, tunits, "reconnection time of the estimate", v_pto);
    DEF("pair_t_o_err", 1, &d_pair, "s", "1-sigma of t_o", v_ptoe);
    DEF("pair_t_s", 1, &d_pair, tunits, "satellite time of the estimate", v_pts);
    DEF("pair_E_lockwood", 1, &d_pair, unit_e, "estimate, Lockwood form", v_pe0);
    DEF("pair_E_lockwood_err", 1, &d_pair, unit_e, "1-sigma", v_pr0);
    DEF("pair_E_conv", 1, &d_pair, unit_e, "estimate, convection-corrected form", v_pe1);
    DEF("pair_E_conv_err", 1, &d_pair, unit_e, "1-sigma", v_pr1);
    DEF("pair_E_flux", 1, &d_pair, unit_e, "flux-accounting rate of the sector in the interval containing t_o", v_pref);
#undef DEF
    if (!rc) rc = cr_nc_def_var(f, "pair_flyby", NC_INT, 1, &d_pair, "1", "index of the flyby", NULL, NULL, &v_pf);
    if (!rc) {
        int ids[] = {v_mr, v_mdr, v_cor, v_rms, v_me, v_mf, v_sec, v_pe0, v_pe1, v_pr0, v_pr1, v_pref, v_pto, v_ptoe};
        double fv = FILLV;
        for (size_t k = 0; !rc && k < CR_ARRAY_LEN(ids); k++)
            rc = cr_nc_check(nc_put_att_double(cr_nc_id(f), ids[k], "_FillValue", NC_DOUBLE, 1, &fv), path,
                             "_FillValue", log);
        char conv_text[512];
        snprintf(conv_text, sizeof conv_text,
                 conv == 0 ? "estimator E_mp (rate per unit length of the magnetopause X-line, L_i/L' mapping) against "
                             "flux.nc E_xline (sector opening rate / X-line length L_xline), mV/m"
                           : "estimator E_i mapped along the dipole to the ionosphere (E ~ sqrt(B)) against flux.nc "
                             "E_iono (sector opening rate / ionospheric boundary length L_iono), mV/m");
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "length_convention", conv_text);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "compare", conv == 0 ? "xline" : "iono");
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "form", "form index 0: Lockwood form; 1: convection-corrected form");
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "sector_width_h", width);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "flux_file", flux_path);
        rc = rc ? CR_EIO : CR_OK;
    }
    int ncid = cr_nc_id(f);
    for (int k = 0; !rc && k < nrow; k++) {
        struct fly_row *w = &rows[k];
        size_t i1 = (size_t)k;
        const char *sv[3] = {w->r.flyby, w->r.spec, w->rate_path};
        rc |= nc_put_var1_string(ncid, v_name, &i1, &sv[0]);
        rc |= nc_put_var1_string(ncid, v_spec, &i1, &sv[1]);
        rc |= nc_put_var1_string(ncid, v_rate, &i1, &sv[2]);
        double hem = w->r.hemisphere;
        rc |= nc_put_var1_double(ncid, v_mlo, &i1, &w->mlt_lo);
        rc |= nc_put_var1_double(ncid, v_mhi, &i1, &w->mlt_hi);
        rc |= nc_put_var1_double(ncid, v_mc, &i1, &w->mlt_c);
        rc |= nc_put_var1_double(ncid, v_hem, &i1, &hem);
        for (int c = 0; c < 2; c++) {
            size_t ix[2] = {(size_t)k, (size_t)c};
            double nn = w->st[c].n, vals[6] = {w->st[c].ok_ratio ? w->st[c].mean_ratio : FILLV,
                                               w->st[c].ok_corr ? w->st[c].correlation : FILLV, w->st[c].rms_diff,
                                               w->st[c].mean_est, w->st[c].mean_ref,
                                               w->st[c].ok_ratio ? w->st[c].median_ratio : FILLV};
            int vid[6] = {v_mr, v_cor, v_rms, v_me, v_mf, v_mdr};
            rc |= nc_put_var1_double(ncid, v_n, ix, &nn);
            for (int q = 0; q < 6; q++) rc |= nc_put_var1_double(ncid, vid[q], ix, &vals[q]);
        }
        size_t s2[2] = {(size_t)k, 0}, c2[2] = {1, (size_t)fx->nt};
        rc |= nc_put_vara_double(ncid, v_sec, s2, c2, w->sector);
    }
    if (!rc) {
        rc |= nc_put_var_double(ncid, v_ft, fx->t0);
        rc |= nc_put_var_double(ncid, v_ft1, fx->t1);
    }
    size_t off = 0;
    for (int k = 0; !rc && k < nrow; k++) {
        struct fly_row *w = &rows[k];
        if (w->npair == 0) continue;
        size_t s1 = off, c1 = (size_t)w->npair;
        int *idx = malloc(c1 * sizeof *idx);
        if (!idx) {
            rc = CR_ENOMEM;
            break;
        }
        for (size_t q = 0; q < c1; q++) idx[q] = k;
        rc |= nc_put_vara_int(ncid, v_pf, &s1, &c1, idx);
        free(idx);
        rc |= nc_put_vara_double(ncid, v_pto, &s1, &c1, w->p_to);
        rc |= nc_put_vara_double(ncid, v_ptoe, &s1, &c1, w->p_to_err);
        rc |= nc_put_vara_double(ncid, v_pts, &s1, &c1, w->p_ts);
        rc |= nc_put_vara_double(ncid, v_pe0, &s1, &c1, w->p_est[0]);
        rc |= nc_put_vara_double(ncid, v_pe1, &s1, &c1, w->p_est[1]);
        rc |= nc_put_vara_double(ncid, v_pr0, &s1, &c1, w->p_err[0]);
        rc |= nc_put_vara_double(ncid, v_pr1, &s1, &c1, w->p_err[1]);
        rc |= nc_put_vara_double(ncid, v_pref, &s1, &c1, w->p_ref);
        off += c1;
    }
    if (!rc && npair == 0) {
        /* the pair dimension has one placeholder entry: mark it */
        size_t z = 0;
        int m1 = -1;
        rc |= nc_put_var1_int(ncid, v_pf, &z, &m1);
    }
    if (rc) {
        cr_error(log, "%s: writing the comparison failed", path);
        cr_nc_discard(f);
        return CR_EIO;
    }
    return cr_nc_commit(f);
}

int cr_cmd_report(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    const struct cr_log *log = ctx->log;
    const int conv = cr_config_choice(cfg, "report", "compare");
    const double width = cr_config_real(cfg, "report", "sector_width");
    const double iono_alt = cr_config_real(cfg, "report", "iono_altitude_km");
    const double b_e = cr_config_real(cfg, "rate", "dipole_b_e");
    char flux_path[4096], outdir[4096], path[4200];
    if (cr_path_join(flux_path, sizeof flux_path, ctx->run_dir, cr_config_string(cfg, "report", "flux_file")) ||
        cr_path_join(outdir, sizeof outdir, ctx->run_dir, "report"))
        return CR_EIO;
    if (!cr_file_exists(flux_path)) {
        cr_error(log, "cusprate report: %s does not exist (run `cusprate flux` first, or set report.flux_file)",
                 flux_path);
        return CR_ECONFIG;
    }
    int nrate = 0;
    char **rates = rate_list(cfg, ctx->run_dir, &nrate);
    if (!rates) return CR_ENOMEM;
    if (nrate == 0) {
        cr_error(log, "cusprate report: no <flyby>.rate.nc in %s (run `cusprate rate` first)", ctx->run_dir);
        cr_lw_free_list(rates);
        return CR_ECONFIG;
    }
    struct flux_data fx;
    int rc = flux_read(flux_path, &fx, log);
    if (rc) {
        cr_lw_free_list(rates);
        return rc == CR_EIO ? CR_ECONFIG : rc;
    }
    struct fly_row *rows = cr_zalloc((size_t)nrate, sizeof *rows);
    int nrow = 0;
    if (!rows) rc = CR_ENOMEM;
    for (int k = 0; !rc && k < nrate; k++) {
        struct fly_row *w = &rows[nrow];
        if (rate_read(rates[k], conv, &w->r, log)) {
            rc = CR_ECONFIG;
            break;
        }
        nrow++;
        snprintf(w->rate_path, sizeof w->rate_path, "%s", rates[k]);
        rc = build_row(w, &fx, flux_path, conv, width, iono_alt, b_e, log);
    }
    if (!rc) rc = cr_mkdir_p(outdir, log);
    if (!rc) rc = cr_run_lock(ctx, ctx->run_dir); /* report/ lies in the run folder */
    snprintf(path, sizeof path, "%s/comparison.nc", outdir);
    if (!rc) rc = write_comparison_nc(path, rows, nrow, &fx, conv, width, flux_path, cfg, log);

    /* figures */
    int figures = cr_config_bool(cfg, "report", "figures");
    char fig_note[1024] = "";
    int drew = 0;
    if (!rc && figures) {
        drew = cr_script_figures(cfg, "report", "report.py", path, outdir, fig_note, sizeof fig_note, log);
    } else if (!rc) {
        snprintf(fig_note, sizeof fig_note, "figures skipped: report.figures = no");
    }
    if (!rc && drew) {
        /* the script must have drawn every figure the page links */
        for (int k = 0; k < nrow && drew; k++) {
            const char *kinds[] = {"comparison", "spectrogram"};
            for (int q = 0; q < 2; q++) {
                char png[4800];
                snprintf(png, sizeof png, "%.4096s/%s_%.512s.png", outdir, kinds[q], rows[k].r.flyby);
                if (!cr_file_exists(png)) {
                    drew = 0;
                    snprintf(fig_note, sizeof fig_note, "figures incomplete: %.900s missing", png);
                }
            }
        }
    }
    if (fig_note[0]) cr_warn(log, "report: %s", fig_note);

    /* Markdown and HTML pages */
    if (!rc) {
        struct sbuf md = {0}, html = {0};
        const char *conv_text =
            conv == 0 ? "Estimator: E_mp, the Lockwood-Smith rate mapped to the magnetopause (L_i/L'), per unit length "
                        "of the X-line. Flux accounting: E_xline = sector opening rate / X-line length of the sector "
                        "(flux.nc). Both in mV/m."
                      : "Estimator: E_i at the satellite, mapped along the dipole to the ionosphere (E ~ sqrt(B)). Flux "
                        "accounting: E_iono = sector opening rate / ionospheric length of the open-closed boundary "
                        "(flux.nc). Both in mV/m.";
        sb_printf(&md, "# cusprate: reconnection rate from cusp ion dispersions vs flux accounting\n\n");
        sb_printf(&md, "Run folder: `%s`. Flux accounting: `%s`.\n\n", ctx->run_dir, flux_path);
        sb_printf(&md, "Length convention: %s\n\n", conv_text);
        sb_printf(&md,
                  "Each estimate is placed at its reconnection time t_o = t_s - d/v_ic and compared with the "
                  "flux-accounting rate of the flyby's MLT sector (width %g h, centred on the flyby's mean MLT) in the "
                  "interval containing t_o. Mean ratio = mean of estimate/flux rate; median ratio = its median (robust against "
                  "the estimates where 1 + X is near zero); correlation = Pearson "
                  "(gsl_stats_correlation); RMS = root mean square of estimate - flux rate. All numbers are in "
                  "`comparison.nc`.\n\n",
                  width);
        sb_printf(&md, "| flyby | MLT sector [h] | hemisphere | form | N | mean estimate [mV/m] | mean flux rate [mV/m] "
                       "| mean ratio | median ratio | correlation | RMS difference [mV/m] |\n");
        sb_printf(&md, "|---|---|---|---|---|---|---|---|---|---|---|\n");
        sb_printf(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>cusprate report</title>"
                         "<style>body{font-family:sans-serif;max-width:70em;margin:auto}table{border-collapse:collapse}"
                         "td,th{border:1px solid #999;padding:2px 6px;text-align:right}img{max-width:100%%}</style>"
                         "</head><body>\n<h1>cusprate: reconnection rate from cusp ion dispersions vs flux accounting"
                         "</h1>\n<p>Run folder: <code>%s</code>. Flux accounting: <code>%s</code>.</p>\n<p>Length "
                         "convention: %s</p>\n<p>Numbers: <a href=\"comparison.nc\">comparison.nc</a>. Markdown: "
                         "<a href=\"index.md\">index.md</a>.</p>\n<table><tr><th>flyby</th><th>MLT sector [h]</th>"
                         "<th>hemisphere</th><th>form</th><th>N</th><th>mean estimate [mV/m]</th><th>mean flux rate "
                         "[mV/m]</th><th>mean ratio</th><th>median ratio</th><th>correlation</th><th>RMS difference [mV/m]</th></tr>\n",
                  ctx->run_dir, flux_path, conv_text);
        for (int k = 0; k < nrow; k++) {
            struct fly_row *w = &rows[k];
            for (int c = 0; c < 2; c++) {
                char a[32], b[32], r[32], md2[32], co[32], rm[32];
                fmt_num(a, sizeof a, w->st[c].mean_est, w->st[c].n > 0, "%.3g");
                fmt_num(b, sizeof b, w->st[c].mean_ref, w->st[c].n > 0, "%.3g");
                fmt_num(r, sizeof r, w->st[c].mean_ratio, w->st[c].ok_ratio, "%.3f");
                fmt_num(md2, sizeof md2, w->st[c].median_ratio, w->st[c].ok_ratio, "%.3f");
                fmt_num(co, sizeof co, w->st[c].correlation, w->st[c].ok_corr, "%.3f");
                fmt_num(rm, sizeof rm, w->st[c].rms_diff, w->st[c].n > 0, "%.3g");
                const char *hem = w->r.hemisphere > 0 ? "north" : "south";
                sb_printf(&md, "| %s | %.2f-%.2f | %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", w->r.flyby,
                          w->mlt_lo, w->mlt_hi, hem, form_name[c], w->st[c].n, a, b, r, md2, co, rm);
                sb_printf(&html,
                          "<tr><td>%s</td><td>%.2f-%.2f</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td>"
                          "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                          w->r.flyby, w->mlt_lo, w->mlt_hi, hem, form_name[c], w->st[c].n, a, b, r, md2, co, rm);
            }
        }
        sb_printf(&html, "</table>\n");
        sb_printf(&md, "\n## Figures\n\n");
        if (!drew) {
            sb_printf(&md, "%s.\n", fig_note);
            sb_printf(&html, "<p>%s.</p>\n", fig_note);
        } else {
            /* summary figures when the script drew them: the flux accounting
             * (Burkholder et al. 2025, Fig. 1) and the sectors per instrument
             * (Figs. 4-6) */
            const char *sumfig[][2] = {{"flux_rates.png", "opened and closed flux per MLT bin"},
                                       {"flux_map.png", "topology map"}};
            for (size_t q = 0; q < CR_ARRAY_LEN(sumfig); q++) {
                snprintf(path, sizeof path, "%.3900s/%s", outdir, sumfig[q][0]);
                if (!cr_file_exists(path)) continue;
                sb_printf(&md, "![%s](%s)\n\n", sumfig[q][1], sumfig[q][0]);
                sb_printf(&html, "<p><img src=\"%s\" alt=\"%s\"></p>\n", sumfig[q][0], sumfig[q][1]);
            }
            for (int k = 0; k < nrow; k++) {
                char base[520];
                snprintf(base, sizeof base, "%s", rows[k].r.flyby);
                char *cut = strstr(base, "_mlt");
                if (cut) *cut = '\0';
                int seen = 0;
                for (int q = 0; q < k && !seen; q++) seen = !strncmp(rows[q].r.flyby, base, strlen(base)) &&
                                                          (rows[q].r.flyby[strlen(base)] == '\0' ||
                                                           !strncmp(rows[q].r.flyby + strlen(base), "_mlt", 4));
                snprintf(path, sizeof path, "%.3900s/sectors_%.200s.png", outdir, base);
                if (seen || !cr_file_exists(path)) continue;
                sb_printf(&md, "### %s: the MLT sectors side by side\n\n![sectors %s](sectors_%s.png)\n\n", base, base,
                          base);
                sb_printf(&html, "<h2>%s: the MLT sectors side by side</h2>\n<p><img src=\"sectors_%s.png\" "
                                 "alt=\"sectors %s\"></p>\n", base, base, base);
            }
            for (int k = 0; k < nrow; k++) {
                const char *fb = rows[k].r.flyby;
                sb_printf(&md,
                          "### %s\n\n![rate comparison %s](comparison_%s.png)\n\n![spectrogram with E_ic, %s]"
                          "(spectrogram_%s.png)\n\n",
                          fb, fb, fb, fb, fb);
                sb_printf(&html,
                          "<h2>%s</h2>\n<p><img src=\"comparison_%s.png\" alt=\"rate comparison %s\"></p>\n"
                          "<p><img src=\"spectrogram_%s.png\" alt=\"spectrogram with E_ic, %s\"></p>\n",
                          fb, fb, fb, fb, fb);
            }
        }
        sb_printf(&md, "\nEstimator: Lockwood & Smith (1992), with E_ic as in da Silva et al. (2025); see "
                       "reconnection/README.md for the equations, the uncertainty propagation and the files.\n");
        sb_printf(&html, "<p>Estimator: Lockwood &amp; Smith (1992), with E_ic as in da Silva et al. (2025); see "
                         "reconnection/README.md.</p>\n</body></html>\n");
        if (md.bad || html.bad) rc = CR_ENOMEM;
        if (!rc) {
            snprintf(path, sizeof path, "%s/index.md", outdir);
            rc = write_text(path, md.s, log);
        }
        if (!rc) {
            snprintf(path, sizeof path, "%s/index.html", outdir);
            rc = write_text(path, html.s, log);
        }
        free(md.s);
        free(html.s);
    }
    if (!rc) cr_info(log, "report: %d flyby(s) compared -> %s/index.md (%s)", nrow, outdir,
                     drew ? "with figures" : fig_note);
    for (int k = 0; k < nrow; k++) row_free(&rows[k]);
    free(rows);
    flux_free(&fx);
    cr_lw_free_list(rates);
    return rc;
}
