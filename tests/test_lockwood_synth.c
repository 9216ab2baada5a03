/* test_lockwood_synth.c — forward time-of-flight model of a cusp ion
 * dispersion written as <flyby>.spectrogram.nc, and a minimal flux.nc, for
 * the estimator and report tests (see test_lockwood_synth.h). */
#include "test_lockwood_synth.h"

#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_nc.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"

#define NOVAL (-1.0e30)

/* DMSP SSJ/4-5 ion channel centres [eV] (REFERENCES.md section 6). */
static const double dmsp_e[19] = {30,   44,   64.6, 94.9, 139.2, 204.4, 300,   440,   646,  948,
                                  1390, 2040, 3000, 4400, 6460,  9480,  13920, 20440, 30000};

int synth_channels(enum synth_instrument ins, double *c, double *lo, double *hi)
{
    int n;
    if (ins == SYNTH_DMSP) {
        n = 19;
        for (int k = 0; k < n; k++) c[k] = dmsp_e[k];
    } else {
        n = 47; /* ~8 eV - 20 keV in 47 log steps */
        for (int k = 0; k < n; k++) c[k] = 8.0 * pow(20000.0 / 8.0, k / 46.0);
    }
    /* edges at the geometric midpoints; the outer edges half a step out */
    for (int k = 0; k < n; k++) {
        double below = k > 0 ? sqrt(c[k - 1] * c[k]) : c[0] * sqrt(c[0] / c[1]);
        double above = k < n - 1 ? sqrt(c[k] * c[k + 1]) : c[n - 1] * sqrt(c[n - 1] / c[n - 2]);
        lo[k] = below;
        hi[k] = above;
    }
    return n;
}

double synth_accumulation(enum synth_instrument ins) { return ins == SYNTH_DMSP ? 1.0 : 0.312; }

double synth_rate_eval(const struct synth_rate *r, double t)
{
    if (r->kind == 0) return r->e0;
    for (int k = 0; k < r->nburst; k++)
        if (t >= r->burst_start[k] && t < r->burst_start[k] + r->burst_len) return r->e_burst;
    return r->e0;
}

/* F(t) = int_{t0}^{t} E dt' [mV/m s], exact for the piecewise-constant history. */
static double rate_integral(const struct synth_rate *r, double t0, double t)
{
    if (t <= t0) return 0;
    double f = r->e0 * (t - t0);
    if (r->kind == 1)
        for (int k = 0; k < r->nburst; k++) {
            double a = CR_MAX(t0, r->burst_start[k]), b = CR_MIN(t, r->burst_start[k] + r->burst_len);
            if (b > a) f += (r->e_burst - r->e0) * (b - a);
        }
    return f;
}

/* smallest t_o in [t0, t] with F(t_o) >= target (bisection to 1e-9 s) */
static double rate_inverse(const struct synth_rate *r, double t0, double t, double target)
{
    double a = t0, b = t;
    for (int it = 0; it < 200 && b - a > 1e-9; it++) {
        double m = 0.5 * (a + b);
        if (rate_integral(r, t0, m) >= target) b = m;
        else a = m;
    }
    return b;
}

struct track {
    const struct synth_inp *p;
    double r_re, u, w; /* radius [R_E]; poleward and eastward speed [km/s] */
    double t_lo, h;    /* phi table start and step [s] */
    int nphi;
    double *phi;       /* satellite flux coordinate [mV/m s] */
};

static void track_pos(const struct track *tr, double t, double *mlat, double *mlt, double x[3])
{
    const struct synth_inp *p = tr->p;
    double r_km = tr->r_re * CR_RE_KM;
    double lat = p->mlat_ocb * CR_DEG + tr->u * (t - p->t_ocb) / r_km;
    double lat0 = p->mlat_ocb * CR_DEG;
    double dphi = tr->w * (t - p->t_ocb) / (r_km * cos(lat0));
    double phi = (p->mlt - 12.0) * 15.0 * CR_DEG + dphi;
    *mlat = lat / CR_DEG;
    *mlt = fmod(12.0 + phi / (15.0 * CR_DEG) + 48.0, 24.0);
    x[0] = tr->r_re * cos(lat) * cos(phi);
    x[1] = tr->r_re * cos(lat) * sin(phi);
    x[2] = tr->r_re * sin(lat);
}

static double track_b(const struct track *tr, double t)
{
    double mlat, mlt, x[3], b[3];
    track_pos(tr, t, &mlat, &mlt, x);
    cr_dipole_field(tr->p->b_e, x, b);
    return sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
}

/* flux coordinate phi(t) = int_{t_ocb}^{t} B_s U dt (1e-3: nT km/s -> mV/m) */
static double track_phi(const struct track *tr, double t)
{
    double s = (t - tr->t_lo) / tr->h;
    int k = (int)floor(s);
    if (k < 0) k = 0;
    if (k > tr->nphi - 2) k = tr->nphi - 2;
    double w = s - k;
    return (1 - w) * tr->phi[k] + w * tr->phi[k + 1];
}

static int track_init(struct track *tr, const struct synth_inp *p, double acc)
{
    tr->p = p;
    tr->r_re = 1.0 + p->altitude_km / CR_RE_KM;
    tr->u = p->speed_km_s * cos(p->track_angle_deg * CR_DEG);
    tr->w = p->speed_km_s * sin(p->track_angle_deg * CR_DEG);
    tr->h = 0.01;
    tr->t_lo = CR_MIN(p->t_ocb, p->t_start - acc) - 1.0;
    double t_hi = CR_MAX(p->t_ocb, p->t_end + acc) + 1.0;
    tr->nphi = (int)ceil((t_hi - tr->t_lo) / tr->h) + 2;
    tr->phi = calloc((size_t)tr->nphi, sizeof(double));
    if (!tr->phi) return -1;
    /* trapezoid of B U from t_lo, then shift so that phi(t_ocb) = 0 */
    double prev = track_b(tr, tr->t_lo);
    for (int k = 1; k < tr->nphi; k++) {
        double b = track_b(tr, tr->t_lo + k * tr->h);
        tr->phi[k] = tr->phi[k - 1] + 0.5 * (prev + b) * tr->u * 1e-3 * tr->h;
        prev = b;
    }
    double at = track_phi(tr, p->t_ocb);
    for (int k = 0; k < tr->nphi; k++) tr->phi[k] -= at;
    return 0;
}

/* t_o of the line overhead at t, and E_min [eV]; NOVAL when no ions */
static void overhead(const struct track *tr, double t, double *t_o, double *e_min)
{
    const struct synth_inp *p = tr->p;
    *t_o = *e_min = NOVAL;
    double phi = track_phi(tr, t);
    if (phi < 0) return; /* closed field line */
    double ft = rate_integral(&p->rate, p->t_rate0, t);
    double target = ft - phi;
    if (target < 0) return; /* older than the rate history */
    double to = rate_inverse(&p->rate, p->t_rate0, t, target);
    double age = t - to;
    *t_o = to;
    if (!(age > 0)) return;
    double v = p->d_re * CR_RE_M / age;
    *e_min = 0.5 * CR_MP * v * v / CR_EV_J;
}

struct spec_par {
    double gamma, e0, e_roll;
};

static double jspec(double x, void *par) /* x = ln E; returns J_E(E) E (dE = E dx) */
{
    const struct spec_par *s = par;
    double e = exp(x);
    return pow(e / s->e0, s->gamma) * exp(-e / s->e_roll) * e;
}

/* channel average of J_E over [lo, hi] above e_min */
static double channel_mean(const struct spec_par *sp, double lo, double hi, double e_min,
                           gsl_integration_glfixed_table *tab)
{
    double a = CR_MAX(lo, e_min);
    if (a >= hi) return 0;
    gsl_function f = {.function = jspec, .params = (void *)sp};
    return gsl_integration_glfixed(&f, log(a), log(hi), tab) / (hi - lo);
}

void synth_truth_free(struct synth_truth *t)
{
    if (!t) return;
    free(t->t);
    free(t->t_o);
    free(t->e_min);
    free(t->b_s);
    free(t->v_c);
    memset(t, 0, sizeof *t);
}

static int def1(struct cr_nc *f, const char *name, int nd, const int *dims, const char *units, int *id)
{
    return cr_nc_def_var(f, name, NC_DOUBLE, nd, dims, units, name, NULL, NULL, id);
}

int synth_write(const char *path, const struct synth_inp *p, struct synth_truth *truth)
{
    double c[64], lo[64], hi[64];
    const int ne = synth_channels(p->instrument, c, lo, hi);
    const double acc = synth_accumulation(p->instrument);
    const int nt = (int)floor((p->t_end - p->t_start) / acc + 0.5) + 1;
    const int nsub = p->nsub > 0 ? p->nsub : 1;
    struct track tr;
    if (track_init(&tr, p, acc)) return -1;
    double *t = calloc((size_t)nt, sizeof *t), *mlat = calloc((size_t)nt, sizeof *t);
    double *mlt = calloc((size_t)nt, sizeof *t), *alt = calloc((size_t)nt, sizeof *t);
    double *x = calloc((size_t)nt, sizeof *t), *y = calloc((size_t)nt, sizeof *t), *z = calloc((size_t)nt, sizeof *t);
    double *def = calloc((size_t)nt * (size_t)ne, sizeof *t), *dnf = calloc((size_t)nt * (size_t)ne, sizeof *t);
    double *cnt = calloc((size_t)nt * (size_t)ne, sizeof *t);
    double *gf = calloc((size_t)ne, sizeof *t), *bnds = calloc((size_t)ne * 2, sizeof *t);
    gsl_integration_glfixed_table *tab = gsl_integration_glfixed_table_alloc(24);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = (t && mlat && mlt && alt && x && y && z && def && dnf && cnt && gf && bnds && tab && rng) ? 0 : -1;
    if (!rc && truth) {
        memset(truth, 0, sizeof *truth);
        truth->n = nt;
        truth->t = calloc((size_t)nt, sizeof(double));
        truth->t_o = calloc((size_t)nt, sizeof(double));
        truth->e_min = calloc((size_t)nt, sizeof(double));
        truth->b_s = calloc((size_t)nt, sizeof(double));
        truth->v_c = calloc((size_t)nt, sizeof(double));
        truth->u = tr.u;
        if (!truth->t || !truth->t_o || !truth->e_min || !truth->b_s || !truth->v_c) rc = -1;
    }
    if (!rc) gsl_rng_set(rng, p->noise_seed);
    const struct spec_par sp = {p->gamma, p->e0, p->e_roll};
    const double g = p->geometric_factor > 0 ? p->geometric_factor : 1e-4;
    for (int i = 0; !rc && i < nt; i++) {
        t[i] = p->t_start + i * acc;
        double xx[3];
        track_pos(&tr, t[i], &mlat[i], &mlt[i], xx);
        x[i] = xx[0], y[i] = xx[1], z[i] = xx[2];
        alt[i] = p->altitude_km;
        for (int s = 0; s < nsub; s++) {
            double ts = t[i] - 0.5 * acc + (s + 0.5) * acc / nsub;
            double to, emin;
            overhead(&tr, ts, &to, &emin);
            if (emin == NOVAL) continue;
            for (int k = 0; k < ne; k++)
                def[(size_t)i * ne + k] += p->j0 * channel_mean(&sp, lo[k], hi[k], emin, tab) / nsub;
        }
        for (int k = 0; k < ne; k++) {
            size_t ik = (size_t)i * ne + k;
            cnt[ik] = def[ik] * g;
            if (p->noise_seed) {
                unsigned int nc = gsl_ran_poisson(rng, cnt[ik] * acc);
                cnt[ik] = nc / acc;
                def[ik] = cnt[ik] / g;
            }
            dnf[ik] = def[ik] / c[k];
        }
        if (truth) {
            truth->t[i] = t[i];
            overhead(&tr, t[i], &truth->t_o[i], &truth->e_min[i]);
            truth->b_s[i] = track_b(&tr, t[i]);
            truth->v_c[i] = synth_rate_eval(&p->rate, t[i]) * 1e3 / truth->b_s[i]; /* mV/m / nT -> km/s */
        }
    }
    for (int k = 0; k < ne; k++) {
        gf[k] = g;
        bnds[2 * k] = lo[k];
        bnds[2 * k + 1] = hi[k];
    }
    struct cr_nc *f = rc ? NULL : cr_nc_create(path, "synthetic cusp ion dispersion (forward time-of-flight model)",
                                               NULL, NULL);
    if (!rc && !f) rc = -1;
    if (!rc) {
        int dt, de, db, v[16];
        rc |= cr_nc_def_dim(f, "time", (size_t)nt, &dt);
        rc |= cr_nc_def_dim(f, "energy", (size_t)ne, &de);
        rc |= cr_nc_def_dim(f, "bnds", 2, &db);
        int te[2] = {dt, de}, eb[2] = {de, db};
        rc |= def1(f, "time", 1, &dt, "s", &v[0]);
        rc |= def1(f, "mlat", 1, &dt, "degrees_north", &v[1]);
        rc |= def1(f, "mlt", 1, &dt, "h", &v[2]);
        rc |= def1(f, "altitude", 1, &dt, "km", &v[3]);
        rc |= def1(f, "x", 1, &dt, "R_E", &v[4]);
        rc |= def1(f, "y", 1, &dt, "R_E", &v[5]);
        rc |= def1(f, "z", 1, &dt, "R_E", &v[6]);
        rc |= def1(f, "energy", 1, &de, "eV", &v[7]);
        rc |= cr_nc_put_att_text(f, v[7], "bounds", "energy_bnds");
        rc |= def1(f, "energy_bnds", 2, eb, "eV", &v[8]);
        rc |= def1(f, "geometric_factor", 1, &de, "cm^2 sr eV/eV", &v[9]);
        rc |= def1(f, "counts", 2, te, "s^-1", &v[10]);
        rc |= def1(f, "diff_energy_flux", 2, te, "eV cm^-2 s^-1 sr^-1 eV^-1", &v[11]);
        rc |= def1(f, "diff_number_flux", 2, te, "cm^-2 s^-1 sr^-1 eV^-1", &v[12]);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "instrument", p->instrument == SYNTH_DMSP ? "dmsp_ssj" : "tracers_aci");
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "accumulation_time", acc);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "look_direction", "precipitating (pitch angles < 90 deg, north)");
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "hemisphere", 1);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "altitude_km", p->altitude_km);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "speed_km_s", p->speed_km_s);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "track_angle_deg", p->track_angle_deg);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "mlt", p->mlt);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "launch_time", p->t_start);
        int id = cr_nc_id(f);
        const double *cols[] = {t, mlat, mlt, alt, x, y, z, c, bnds, gf, cnt, def, dnf};
        for (int k = 0; !rc && k < 13; k++) rc |= nc_put_var_double(id, v[k], cols[k]) != NC_NOERR;
        if (rc) cr_nc_discard(f);
        else rc = cr_nc_commit(f) ? -1 : 0;
    }
    free(t), free(mlat), free(mlt), free(alt), free(x), free(y), free(z);
    free(def), free(dnf), free(cnt), free(gf), free(bnds), free(tr.phi);
    if (tab) gsl_integration_glfixed_table_free(tab);
    if (rng) gsl_rng_free(rng);
    if (rc && truth) synth_truth_free(truth);
    return rc ? -1 : 0;
}

int synth_write_flux(const char *path, double t0, int nt, double (*e_xline)(double t, const void *ctx),
                     const void *ctx)
{
    enum { NH = 2, NM = 48 };
    const size_t n = (size_t)nt * NH * NM;
    double *time = calloc((size_t)nt, sizeof(double)), *tb = calloc((size_t)nt * 2, sizeof(double));
    double *ex = calloc(n, sizeof(double)), *lx = calloc(n, sizeof(double));
    double *ei = calloc(n, sizeof(double)), *li = calloc(n, sizeof(double)), *kv = calloc(n, sizeof(double));
    double mlt[NM], mb[NM * 2], hemi[NH] = {1, -1};
    int rc = (time && tb && ex && lx && ei && li && kv) ? 0 : -1;
    for (int m = 0; m < NM; m++) {
        mlt[m] = 0.25 + 0.5 * m;
        mb[2 * m] = 0.5 * m;
        mb[2 * m + 1] = 0.5 * (m + 1);
    }
    for (int it = 0; !rc && it < nt; it++) {
        time[it] = t0 + 60.0 * it;
        tb[2 * it] = time[it];
        tb[2 * it + 1] = time[it] + 60.0;
        double e = e_xline(time[it] + 30.0, ctx);
        for (int h = 0; h < NH; h++)
            for (int m = 0; m < NM; m++) {
                size_t k = ((size_t)it * NH + h) * NM + m;
                lx[k] = 3000.0;                  /* km of X-line per half-hour bin */
                ex[k] = e;
                kv[k] = e * lx[k] * 1e-3;        /* mV/m * km = V; kV */
                li[k] = 100.0;                   /* km of ionospheric boundary per bin */
                ei[k] = kv[k] * 1e3 / li[k];     /* V / km = mV/m */
            }
    }
    struct cr_nc *f = rc ? NULL : cr_nc_create(path, "synthetic flux accounting", NULL, NULL);
    if (!rc && !f) rc = -1;
    if (!rc) {
        int dt, dh, dm, db, v[12];
        rc |= cr_nc_def_dim(f, "time", (size_t)nt, &dt);
        rc |= cr_nc_def_dim(f, "hemisphere", NH, &dh);
        rc |= cr_nc_def_dim(f, "mlt", NM, &dm);
        rc |= cr_nc_def_dim(f, "bnds", 2, &db);
        int thm[3] = {dt, dh, dm}, tbd[2] = {dt, db}, mbd[2] = {dm, db};
        rc |= def1(f, "time", 1, &dt, "s", &v[0]);
        rc |= def1(f, "time_bnds", 2, tbd, "s", &v[1]);
        rc |= def1(f, "hemisphere", 1, &dh, "1", &v[2]);
        rc |= def1(f, "mlt", 1, &dm, "h", &v[3]);
        rc |= def1(f, "mlt_bnds", 2, mbd, "h", &v[4]);
        rc |= def1(f, "opening_rate_kV", 3, thm, "kV", &v[5]);
        rc |= def1(f, "E_xline", 3, thm, "mV/m", &v[6]);
        rc |= def1(f, "L_xline", 3, thm, "km", &v[7]);
        rc |= def1(f, "E_iono", 3, thm, "mV/m", &v[8]);
        rc |= def1(f, "L_iono", 3, thm, "km", &v[9]);
        int id = cr_nc_id(f);
        const double *cols[] = {time, tb, hemi, mlt, mb, kv, ex, lx, ei, li};
        for (int k = 0; !rc && k < 10; k++) rc |= nc_put_var_double(id, v[k], cols[k]) != NC_NOERR;
        if (rc) cr_nc_discard(f);
        else rc = cr_nc_commit(f) ? -1 : 0;
    }
    free(time), free(tb), free(ex), free(lx), free(ei), free(li), free(kv);
    return rc ? -1 : 0;
}
