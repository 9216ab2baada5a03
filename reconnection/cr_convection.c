/* cr_convection.c — poleward convection speed at a satellite from the
 * ionospheric potential of the MHD slices (equations in cr_convection.h). */
#include "cr_convection.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"

struct cr_convection {
    hid_t file;
    char *path;
    double b_e;       /* [nT] */
    double r_iono;    /* [R_E] */
    int nslice;       /* slices with an ionosphere */
    int *step;        /* their Step#N numbers */
    double *time;     /* [s] */
    int nt, np;       /* rows per hemisphere, MLT columns */
    double *mlat;     /* 2 x nt [deg], rows from the pole */
    double *mlt;      /* np [h] */
    double **pot;     /* per slice: 2 x nt x np [kV], read on demand */
    int corotation;   /* the run added corotation to the inner-boundary drift */
    const struct cr_log *log;
};

void cr_convection_release(struct cr_convection *c)
{
    if (!c) return;
    if (c->pot)
        for (int s = 0; s < c->nslice; s++) free(c->pot[s]);
    free(c->pot);
    free(c->step);
    free(c->time);
    free(c->mlat);
    free(c->mlt);
    free(c->path);
    if (c->file >= 0) H5Fclose(c->file);
    free(c);
}

struct cr_convection *cr_convection_new(const char *mhd_path, double b_e, const struct cr_log *log)
{
    struct cr_convection *c = cr_zalloc(1, sizeof *c);
    if (!c) return NULL;
    c->file = -1;
    c->b_e = b_e;
    c->log = log;
    c->path = cr_strdup(mhd_path);
    c->file = cr_h5_open_read(mhd_path, log);
    if (c->file < 0 || !c->path) goto fail;
    int cap = 64;
    c->step = malloc((size_t)cap * sizeof *c->step);
    c->time = malloc((size_t)cap * sizeof *c->time);
    if (!c->step || !c->time) goto fail;
    for (int n = 0;; n++) {
        char g[64], ig[80];
        snprintf(g, sizeof g, "Step#%d", n);
        if (H5Lexists(c->file, g, H5P_DEFAULT) <= 0) break;
        snprintf(ig, sizeof ig, "%s/Ionosphere", g);
        if (H5Lexists(c->file, ig, H5P_DEFAULT) <= 0) continue;
        double t;
        if (cr_h5_read_attr_double(c->file, g, "time", &t)) continue;
        if (c->nslice == cap) {
            cap *= 2;
            int *s2 = realloc(c->step, (size_t)cap * sizeof *s2);
            if (s2) c->step = s2;
            double *t2 = realloc(c->time, (size_t)cap * sizeof *t2);
            if (t2) c->time = t2;
            if (!s2 || !t2) goto fail;
        }
        if (c->nslice > 0 && !(t > c->time[c->nslice - 1])) continue; /* times must increase */
        c->step[c->nslice] = n;
        c->time[c->nslice++] = t;
    }
    if (c->nslice == 0) {
        cr_error(log, "%s: no slice with an Ionosphere group (a magnetosphere run writes one per slice)", mhd_path);
        goto fail;
    }
    char ig[96];
    snprintf(ig, sizeof ig, "Step#%d/Ionosphere", c->step[0]);
    hid_t g = H5Gopen2(c->file, ig, H5P_DEFAULT);
    if (g < 0) goto fail;
    int rank;
    hsize_t d[8];
    int rc = cr_h5_shape(g, "Potential", &rank, d, mhd_path, log);
    if (!rc && (rank != 3 || d[0] != 2 || d[1] < 2 || d[2] < 3)) {
        cr_error(log, "%s: %s/Potential must have the shape (2, nlat, nmlt)", mhd_path, ig);
        rc = CR_EIO;
    }
    if (!rc) {
        c->nt = (int)d[1];
        c->np = (int)d[2];
        c->mlat = malloc(2 * (size_t)c->nt * sizeof *c->mlat);
        c->mlt = malloc((size_t)c->np * sizeof *c->mlt);
        c->pot = cr_zalloc((size_t)c->nslice, sizeof *c->pot);
        if (!c->mlat || !c->mlt || !c->pot) rc = CR_ENOMEM;
    }
    if (!rc) rc = cr_h5_read_doubles(g, "mlat", c->mlat, 2 * (size_t)c->nt, mhd_path, log);
    if (!rc) rc = cr_h5_read_doubles(g, "mlt", c->mlt, (size_t)c->np, mhd_path, log);
    if (!rc && cr_h5_read_attr_double(g, ".", "r_iono", &c->r_iono)) c->r_iono = 1.0;
    char cor[16] = "";
    if (!rc && !cr_h5_read_attr_string(g, ".", "corotation", cor, sizeof cor)) c->corotation = !strcmp(cor, "yes");
    H5Gclose(g);
    if (rc || !(c->r_iono > 0)) goto fail;
    return c;
fail:
    cr_convection_release(c);
    return NULL;
}

int cr_convection_available(const char *mhd_path)
{
    hid_t f = H5Fopen(mhd_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    int found = 0;
    for (int n = 0; !found; n++) {
        char g[64], ig[80];
        snprintf(g, sizeof g, "Step#%d", n);
        if (H5Lexists(f, g, H5P_DEFAULT) <= 0) break;
        snprintf(ig, sizeof ig, "%s/Ionosphere", g);
        found = H5Lexists(f, ig, H5P_DEFAULT) > 0;
    }
    H5Fclose(f);
    return found;
}

void cr_convection_time_range(const struct cr_convection *c, double *t0, double *t1)
{
    *t0 = c->time[0];
    *t1 = c->time[c->nslice - 1];
}

static const double *slice_pot(struct cr_convection *c, int s)
{
    if (c->pot[s]) return c->pot[s];
    size_t n = 2 * (size_t)c->nt * (size_t)c->np;
    double *p = malloc(n * sizeof *p);
    if (!p) return NULL;
    char ig[96];
    snprintf(ig, sizeof ig, "Step#%d/Ionosphere", c->step[s]);
    hid_t g = H5Gopen2(c->file, ig, H5P_DEFAULT);
    int rc = g < 0 ? CR_EIO : cr_h5_read_doubles(g, "Potential", p, n, c->path, c->log);
    if (g >= 0) H5Gclose(g);
    if (rc) {
        free(p);
        return NULL;
    }
    return c->pot[s] = p;
}

/* The slices bracketing t: s0 and the weight w of slice s0 + 1 (binary
 * search; a single slice serves its own time only). CR_EDOMAIN outside. */
static int bracket(const struct cr_convection *c, double t, int *s0, double *w)
{
    *s0 = 0;
    *w = 0.0;
    const int n = c->nslice;
    if (n == 1) return fabs(t - c->time[0]) <= 1e-9 * (1 + fabs(t)) ? CR_OK : CR_EDOMAIN;
    if (!(t >= c->time[0] && t <= c->time[n - 1])) return CR_EDOMAIN;
    int lo = 0, hi = n - 2; /* the largest s <= n - 2 with time[s] <= t */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (c->time[mid] <= t) lo = mid;
        else hi = mid - 1;
    }
    *s0 = lo;
    *w = (t - c->time[lo]) / (c->time[lo + 1] - c->time[lo]);
    return CR_OK;
}

/* Bilinear potential [kV] of hemisphere h at |lat| [deg] and MLT [h];
 * CR_EDOMAIN outside the rows. */
static int interp(const struct cr_convection *c, const double *pot, int h, double alat, double mlt, double *out)
{
    const double *ml = c->mlat + (size_t)h * (size_t)c->nt;
    /* rows run from the pole: |mlat| decreasing */
    int i = -1;
    for (int k = 0; k + 1 < c->nt; k++) {
        double a = fabs(ml[k]), b = fabs(ml[k + 1]);
        if (alat <= a && alat >= b) {
            i = k;
            break;
        }
    }
    if (i < 0) return CR_EDOMAIN;
    double a = fabs(ml[i]), b = fabs(ml[i + 1]);
    double fi = a > b ? (a - alat) / (a - b) : 0.0;
    /* columns: uniform in MLT, periodic */
    const double dm = 24.0 / c->np;
    double x = fmod((mlt - c->mlt[0]) / dm, (double)c->np);
    if (x < 0) x += c->np;
    int j = (int)floor(x);
    if (j >= c->np) j = c->np - 1;
    double fj = x - j;
    int j1 = (j + 1) % c->np;
    const double *p = pot + (size_t)h * (size_t)c->nt * (size_t)c->np;
    double p00 = p[(size_t)i * c->np + j], p01 = p[(size_t)i * c->np + j1];
    double p10 = p[(size_t)(i + 1) * c->np + j], p11 = p[(size_t)(i + 1) * c->np + j1];
    *out = (1 - fi) * ((1 - fj) * p00 + fj * p01) + fi * ((1 - fj) * p10 + fj * p11);
    return CR_OK;
}

/* Poleward footpoint speed [km/s] at the ionosphere from one slice. */
static int v_iono(struct cr_convection *c, int s, int h, double alat_i, double mlt, double *v)
{
    const double *pot = slice_pot(c, s);
    if (!pot) return CR_EIO;
    const double dm = 24.0 / c->np; /* one column [h] */
    double pe, pw;
    int rc = interp(c, pot, h, alat_i, mlt + 0.5 * dm, &pe);
    if (!rc) rc = interp(c, pot, h, alat_i, mlt - 0.5 * dm, &pw);
    if (rc) return rc;
    const double dphi = dm * 15.0 * CR_DEG;                 /* [rad] */
    const double ri = c->r_iono * CR_RE_M;                  /* [m] */
    const double lat = alat_i * CR_DEG;
    const double e_east = -(pe - pw) * 1e3 / (ri * cos(lat) * dphi);           /* [V/m] */
    const double br = 2.0 * c->b_e * 1e-9 * pow(1.0 / c->r_iono, 3) * sin(lat); /* [T] */
    if (!(br > 0)) return CR_EDOMAIN;
    *v = e_east / br * 1e-3;
    return CR_OK;
}

int cr_convection_poleward(struct cr_convection *c, double t, int hemisphere, double mlat_deg, double mlt_h,
                           double alt_km, double *v_kms)
{
    if (!isfinite(t) || !isfinite(mlat_deg) || !isfinite(mlt_h) || !isfinite(alt_km)) return CR_EDOMAIN;
    const int h = hemisphere >= 0 ? 0 : 1;
    /* the footpoint of the satellite's dipole line */
    const double rs = 1.0 + alt_km / CR_RE_KM, ri = c->r_iono;
    const double lat_s = fabs(mlat_deg) * CR_DEG;
    const double c2 = (ri / rs) * cos(lat_s) * cos(lat_s);
    if (!(c2 > 0 && c2 < 1) || !(lat_s > 0 && lat_s < 0.5 * CR_PI)) return CR_EDOMAIN;
    const double lat_i = acos(sqrt(c2));
    int s0;
    double w, v;
    int rc = bracket(c, t, &s0, &w);
    if (rc) return rc;
    if (c->nslice == 1) rc = v_iono(c, 0, h, lat_i / CR_DEG, mlt_h, &v);
    else {
        double va, vb;
        rc = v_iono(c, s0, h, lat_i / CR_DEG, mlt_h, &va);
        if (!rc) rc = v_iono(c, s0 + 1, h, lat_i / CR_DEG, mlt_h, &vb);
        v = (1 - w) * va + w * vb;
    }
    if (rc) return rc;
    const double dlat = (rs / ri) * sin(2.0 * lat_i) / sin(2.0 * lat_s);
    *v_kms = v * (rs / ri) * dlat;
    return CR_OK;
}

int cr_convection_load(struct cr_convection *c, double t0, double t1)
{
    for (int s = 0; s < c->nslice; s++) {
        int lo = s > 0 && c->time[s - 1] >= t1; /* wholly after the window */
        int hi = s + 1 < c->nslice && c->time[s + 1] <= t0; /* wholly before */
        if (lo || hi) {
            /* outside the window: let it go (memory stays bounded over a long series) */
            free(c->pot[s]);
            c->pot[s] = NULL;
            continue;
        }
        if (!slice_pot(c, s)) return CR_EIO;
    }
    return CR_OK;
}

/* Potential [kV] and its derivatives along |lat| [kV/deg] and MLT [kV/h] of
 * one loaded slice, by central differences over one grid spacing (one-sided
 * at the last rows). */
static int grad(const struct cr_convection *c, const double *pot, int h, double alat, double mlt, double *dp_dlat,
                double *dp_dmlt)
{
    const double dm = 24.0 / c->np;
    const double *ml = c->mlat + (size_t)h * (size_t)c->nt;
    const double dl = fabs(fabs(ml[0]) - fabs(ml[1]));
    double pe, pw, pn, ps;
    int rc = interp(c, pot, h, alat, mlt + 0.5 * dm, &pe);
    if (!rc) rc = interp(c, pot, h, alat, mlt - 0.5 * dm, &pw);
    if (rc) return rc;
    double top = fabs(ml[0]), bot = fabs(ml[c->nt - 1]);
    double a1 = fmin(alat + 0.5 * dl, top), a0 = fmax(alat - 0.5 * dl, bot);
    if (!(a1 > a0)) return CR_EDOMAIN;
    rc = interp(c, pot, h, a1, mlt, &pn);
    if (!rc) rc = interp(c, pot, h, a0, mlt, &ps);
    if (rc) return rc;
    *dp_dmlt = (pe - pw) / dm;
    *dp_dlat = (pn - ps) / (a1 - a0);
    return CR_OK;
}

int cr_convection_drift(const struct cr_convection *c, double t, int hemi, double r_foot, double alat_deg,
                        double mlt_h, double *dlat_dt, double *dmlt_dt)
{
    *dlat_dt = *dmlt_dt = 0.0;
    if (!isfinite(t) || !isfinite(alat_deg) || !isfinite(mlt_h) || !(r_foot > 0)) return CR_EDOMAIN;
    const int h = hemi ? 1 : 0;
    const double ri = c->r_iono;
    /* the same dipole line at R_I: cos^2 lat_I = (R_I / r_foot) cos^2 lat_f */
    const double lat_f = fabs(alat_deg) * CR_DEG, c2 = (ri / r_foot) * cos(lat_f) * cos(lat_f);
    if (!(c2 >= 0 && c2 < 1)) return CR_EDOMAIN;
    const double lat_i = acos(sqrt(c2));
    int s0;
    double w;
    int rb = bracket(c, t, &s0, &w);
    if (rb) return rb;
    double gl = 0.0, gm = 0.0;
    for (int k = 0; k < 2; k++) {
        double wk = k ? w : 1.0 - w;
        if (wk == 0.0) continue;
        const double *pot = c->pot[s0 + k];
        if (!pot) return CR_EIO;
        double a, b;
        int rc = grad(c, pot, h, lat_i / CR_DEG, mlt_h, &a, &b);
        if (rc) return rc;
        gl += wk * a;
        gm += wk * b;
    }
    const double R = ri * CR_RE_M, cl = cos(lat_i);
    const double br = 2.0 * c->b_e * CR_NT * pow(1.0 / ri, 3) * sin(lat_i); /* [T] */
    if (!(br > 0) || !(cl > 1e-9)) return CR_EDOMAIN;
    /* kV/deg -> V/m along the meridian; kV/h -> V/m along the parallel */
    const double e_pole = -gl * 1e3 / (CR_DEG * R);
    const double e_east = -gm * 1e3 / (15.0 * CR_DEG * R * cl);
    const double v_pole = e_east / br, v_east = -e_pole / br; /* [m/s] */
    const double dlat_i = v_pole / R / CR_DEG;                /* [deg/s] at R_I */
    /* d lat_f / d lat_I = (r_f / R_I) sin(2 lat_I) / sin(2 lat_f) */
    const double s2f = sin(2.0 * lat_f);
    *dlat_dt = fabs(s2f) > 1e-12 ? dlat_i * (r_foot / ri) * sin(2.0 * lat_i) / s2f : 0.0;
    *dmlt_dt = v_east / (R * cl) / (15.0 * CR_DEG);
    if (c->corotation) *dmlt_dt += CR_OMEGA_EARTH * 12.0 / CR_PI;
    return CR_OK;
}
