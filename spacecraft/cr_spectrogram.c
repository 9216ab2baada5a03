/* cr_spectrogram.c — binning collected test particles into a virtual
 * instrument's spectrogram along a spacecraft track, and writing it as CF
 * netCDF (see cr_spectrogram.h for the estimator and its sources). */
#include "cr_spectrogram.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_epoch.h"
#include "../core/cr_common.h"
#include "../core/cr_nc.h"
#include "../core/cr_progress.h"
#include "../core/cr_units.h"

/* One candidate particle. Candidates are sorted by MLat bucket (a fraction
 * of the collection bin wide), then by arrival time, so that a sample visits
 * only the buckets of its MLat bin and, in each, only its time window. */
struct prt {
    double t, mlat, mlt, cosp, w;
    int ch, bucket;
};

static int cmp_bucket_t(const void *a, const void *b)
{
    const struct prt *pa = a, *pb = b;
    if (pa->bucket != pb->bucket) return (pa->bucket > pb->bucket) - (pa->bucket < pb->bucket);
    return (pa->t > pb->t) - (pa->t < pb->t);
}

/* First index in [lo, hi) with t >= t0 (hi when none). */
static size_t lower_bound(const struct prt *p, size_t lo, size_t hi, double t0)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid].t < t0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

void cr_spectrogram_release(struct cr_spectrogram *s)
{
    if (!s) return;
    double *arrays[] = {s->time, s->mlat, s->mlt, s->altitude, s->x, s->y, s->z, s->track_angle,
                        s->collection_mlat, s->bin_area, s->solid_angle, s->energy, s->energy_lower,
                        s->energy_upper, s->gf, s->counts, s->counts_expected, s->dnf, s->def, s->def_err};
    for (size_t i = 0; i < CR_ARRAY_LEN(arrays); i++) free(arrays[i]);
    free(s->macro);
    free(s->neff);
    double *src[] = {s->src_n, s->src_kt, s->src_dt, s->src_x, s->src_y, s->src_z};
    for (size_t i = 0; i < CR_ARRAY_LEN(src); i++) free(src[i]);
    free(s);
}

void cr_spectrogram_set_sample(struct cr_spectrogram *s, int k, const struct cr_orbit_sample *os, double r_sc)
{
    s->time[k] = os->t;
    s->mlat[k] = os->mlat;
    s->mlt[k] = os->mlt;
    s->altitude[k] = (r_sc - 1.0) * CR_RE_KM;
    s->x[k] = os->x[0];
    s->y[k] = os->x[1];
    s->z[k] = os->x[2];
    s->track_angle[k] = os->track_angle;
}

void cr_spectrogram_set_instrument(struct cr_spectrogram *s, const struct cr_instrument *ins, double window,
                                   double grazing_cut, double bin_mlat, double mlt_width)
{
    s->window = window;
    double tau = cr_instrument_accumulation_time(ins);
    double nacc = floor(s->window / tau + 1e-9);
    s->integration_time = (nacc < 1 ? 1 : nacc) * tau;
    s->grazing_cut = grazing_cut;
    s->bin_mlat = bin_mlat;
    s->mlt_width = mlt_width;
    s->noise = cr_instrument_noise(ins);
    for (int c = 0; c < s->nch; c++) {
        s->energy[c] = cr_instrument_centres(ins)[c];
        s->energy_lower[c] = cr_instrument_lower(ins)[c];
        s->energy_upper[c] = cr_instrument_upper(ins)[c];
        s->gf[c] = cr_instrument_gf(ins)[c];
    }
}

void cr_spectrogram_set_pixel(struct cr_spectrogram *s, const struct cr_instrument *ins, size_t i, int c, double j,
                              double jerr, gsl_rng *noise)
{
    double rate = cr_instrument_rate_from_dnf(ins, c, j);
    s->counts_expected[i] = rate;
    if (noise) rate = gsl_ran_poisson(noise, rate * s->integration_time) / s->integration_time;
    s->counts[i] = rate;
    s->dnf[i] = cr_instrument_dnf_from_rate(ins, c, rate);
    s->def[i] = cr_instrument_def_from_rate(ins, c, rate);
    s->def_err[i] = jerr * s->energy[c];
}

struct cr_spectrogram *cr_spectrogram_alloc(int nt, int nch)
{
    struct cr_spectrogram *s = cr_zalloc(1, sizeof *s);
    if (!s) return NULL;
    s->nt = nt;
    s->nch = nch;
    size_t a = (size_t)nt, b = (size_t)nch, ab = a * b;
    double **per_t[] = {&s->time, &s->mlat, &s->mlt, &s->altitude, &s->x, &s->y, &s->z, &s->track_angle,
                        &s->collection_mlat, &s->bin_area, &s->solid_angle};
    double **per_c[] = {&s->energy, &s->energy_lower, &s->energy_upper, &s->gf};
    double **per_tc[] = {&s->counts, &s->counts_expected, &s->dnf, &s->def, &s->def_err, &s->neff};
    int ok = 1;
    for (size_t i = 0; i < CR_ARRAY_LEN(per_t); i++) ok &= (*per_t[i] = cr_zalloc(a, sizeof(double))) != NULL;
    for (size_t i = 0; i < CR_ARRAY_LEN(per_c); i++) ok &= (*per_c[i] = cr_zalloc(b, sizeof(double))) != NULL;
    for (size_t i = 0; i < CR_ARRAY_LEN(per_tc); i++) ok &= (*per_tc[i] = cr_zalloc(ab, sizeof(double))) != NULL;
    ok &= (s->macro = cr_zalloc(ab, sizeof(int))) != NULL;
    if (!ok) {
        cr_spectrogram_release(s);
        return NULL;
    }
    return s;
}

/* Dipole field strength ratio B(r1, lat1) / B(r2, lat2): B ~ sqrt(1 + 3 sin^2 lat) / r^3. */
static double dipole_ratio(double r1, double lat1, double r2, double lat2)
{
    double s1 = sin(lat1), s2 = sin(lat2);
    return pow(r2 / r1, 3) * sqrt(1.0 + 3.0 * s1 * s1) / sqrt(1.0 + 3.0 * s2 * s2);
}

/* The MLat bucket index of latitude lat [deg]. */
static int bucket_of(double lat, double bw, int nb)
{
    int b = (int)floor((lat + 90.0) / bw);
    return b < 0 ? 0 : (b >= nb ? nb - 1 : b);
}

struct index {
    const struct prt *p;
    const size_t *start; /* bucket b holds p[start[b] .. start[b+1]) */
    double bw;
    int nb;
};

/* Bin one sample k: fills the row k of S1 (sum w/cos), S2 (sum (w/cos)^2) and macro. */
static void bin_sample(const struct index *ix, double t_lo, double t_hi, double lat_lo, double lat_hi,
                       double mlt_c, double half_w_mlt, int hem, enum cr_look look, double cos_min, int nch,
                       double *s1, double *s2, int *macro)
{
    for (int c = 0; c < nch; c++) {
        s1[c] = 0;
        s2[c] = 0;
        macro[c] = 0;
    }
    const struct prt *p = ix->p;
    int b0 = bucket_of(lat_lo, ix->bw, ix->nb), b1 = bucket_of(lat_hi, ix->bw, ix->nb);
    for (int b = b0; b <= b1; b++) {
        size_t end = ix->start[b + 1];
        for (size_t i = lower_bound(p, ix->start[b], end, t_lo); i < end && p[i].t < t_hi; i++) {
            if (!(p[i].mlat >= lat_lo && p[i].mlat < lat_hi)) continue;
            double d = fmod(p[i].mlt - mlt_c + 36.0, 24.0) - 12.0; /* in [-12, 12) */
            if (!(d >= -half_w_mlt && d < half_w_mlt)) continue;
            double cf;
            if (look == CR_LOOK_PRECIPITATING) cf = hem * p[i].cosp;
            else if (look == CR_LOOK_UPGOING) cf = -hem * p[i].cosp;
            else cf = fabs(p[i].cosp);
            if (!(cf > 0 && cf >= cos_min)) continue;
            double v = p[i].w / cf;
            s1[p[i].ch] += v;
            s2[p[i].ch] += v * v;
            macro[p[i].ch]++;
        }
    }
}

struct cr_spectrogram *cr_spectrogram_new(const struct cr_spectrogram_inp *inp)
{
    const struct cr_log *log = inp->log;
    const struct cr_instrument *ins = inp->instrument;
    const struct cr_pset *ps = inp->particles;
    if (!(inp->bin_mlat > 0) || !(inp->mlt_width > 0 && inp->mlt_width <= 24) || !(inp->window >= 0) ||
        !(inp->grazing_cut >= 0 && inp->grazing_cut < 90) || !(inp->collection_altitude_km >= 0)) {
        cr_error(log, "spectrogram: invalid bin (bin_mlat %g deg, mlt_width %g h, window %g s, grazing_cut %g deg, "
                      "collection altitude %g km)", inp->bin_mlat, inp->mlt_width, inp->window, inp->grazing_cut,
                 inp->collection_altitude_km);
        return NULL;
    }
    int nt = cr_orbit_nsamples(inp->orbit), nch = cr_instrument_nchannel(ins);
    struct cr_spectrogram *s = cr_spectrogram_alloc(nt, nch);
    if (!s) {
        cr_error(log, "spectrogram: out of memory (%d samples x %d channels)", nt, nch);
        return NULL;
    }
    cr_spectrogram_set_instrument(s, ins, inp->window > 0 ? inp->window : cr_orbit_step_time(inp->orbit),
                                  inp->grazing_cut, inp->bin_mlat, inp->mlt_width);
    s->method = "forward";

    /* candidates: positive weight, energy inside a channel; sorted by MLat bucket and time */
    double bw = inp->bin_mlat / 4.0;
    int nb = (int)ceil(180.0 / bw) + 1;
    size_t n = ps ? ps->n : 0, np = 0;
    struct prt *p = cr_zalloc(n ? n : 1, sizeof *p);
    if (!p) {
        cr_spectrogram_release(s);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        int ch = cr_instrument_channel(ins, ps->energy[i]);
        if (ch < 0 || !(ps->weight[i] > 0)) continue;
        p[np].t = ps->t[i];
        p[np].mlat = ps->mlat[i];
        p[np].mlt = ps->mlt[i];
        p[np].cosp = cos(ps->pitch[i] * CR_DEG);
        p[np].w = ps->weight[i];
        p[np].ch = ch;
        p[np].bucket = bucket_of(ps->mlat[i], bw, nb);
        np++;
    }
    qsort(p, np, sizeof *p, cmp_bucket_t);
    s->n_candidates = np;
    size_t *start = cr_zalloc((size_t)nb + 1, sizeof *start);
    if (!start) {
        free(p);
        cr_spectrogram_release(s);
        return NULL;
    }
    for (size_t i = 0; i < np; i++) start[p[i].bucket + 1]++;
    for (int b = 0; b < nb; b++) start[b + 1] += start[b];
    struct index ix = {.p = p, .start = start, .bw = bw, .nb = nb};

    double r_sc = cr_orbit_radius(inp->orbit);
    double r_c = 1.0 + inp->collection_altitude_km / CR_RE_KM;
    double r_c_cm = r_c * CR_RE_KM * 1e5;
    double dphi = inp->mlt_width * 2.0 * CR_PI / 24.0;
    double sin_cone = sin(cr_instrument_cone_half_angle(ins) * CR_DEG);
    enum cr_look look = cr_instrument_look(ins);
    double *s1 = cr_zalloc((size_t)nt * (size_t)nch, sizeof(double));
    double *s2 = cr_zalloc((size_t)nt * (size_t)nch, sizeof(double));
    if (!s1 || !s2) {
        free(s1);
        free(s2);
        free(p);
        free(start);
        cr_spectrogram_release(s);
        return NULL;
    }
    struct cr_progress *prog = cr_progress_new(&(struct cr_progress_inp){
        .label = "fly", .total = nt, .unit = "samples", .log = log, .force = inp->progress});
    const int chunk = 256;
    for (int k0 = 0; k0 < nt; k0 += chunk) {
        int k1 = k0 + chunk < nt ? k0 + chunk : nt;
#pragma omp parallel for schedule(dynamic, 4)
        for (int k = k0; k < k1; k++) {
            struct cr_orbit_sample os;
            cr_orbit_sample(inp->orbit, k, inp->time_offset, &os);
            cr_spectrogram_set_sample(s, k, &os, r_sc);
            int hem = os.mlat >= 0 ? 1 : -1;
            double lat_sc = os.mlat * CR_DEG;
            /* footpoint on the collection shell along the dipole field line: r / cos^2 lat constant */
            double c2 = cos(lat_sc) * cos(lat_sc) * r_c / r_sc;
            size_t row = (size_t)k * (size_t)nch;
            if (c2 > 1.0 + 1e-12) { /* the field line closes before reaching the shell */
                s->collection_mlat[k] = NAN;
                for (int c = 0; c < nch; c++) {
                    s1[row + c] = 0;
                    s2[row + c] = 0;
                    s->macro[row + c] = 0;
                }
                continue;
            }
            double lat_c = hem * acos(sqrt(c2 < 1 ? c2 : 1.0));
            s->collection_mlat[k] = lat_c / CR_DEG;
            double lo = s->collection_mlat[k] - 0.5 * inp->bin_mlat, hi = s->collection_mlat[k] + 0.5 * inp->bin_mlat;
            if (lo < -90) lo = -90;
            if (hi > 90) hi = 90;
            s->bin_area[k] = r_c_cm * r_c_cm * dphi * (sin(hi * CR_DEG) - sin(lo * CR_DEG));
            /* largest pitch angle at the shell that maps into the cone at the spacecraft */
            double sa = sin_cone * sqrt(dipole_ratio(r_c, lat_c, r_sc, lat_sc));
            double amax = asin(sa < 1 ? sa : 1.0) / CR_DEG;
            if (amax > 90.0 - inp->grazing_cut) amax = 90.0 - inp->grazing_cut;
            double cos_min = cos(amax * CR_DEG);
            s->solid_angle[k] = 2.0 * CR_PI * (1.0 - cos_min) * (look == CR_LOOK_ALL ? 2.0 : 1.0);
            bin_sample(&ix, os.t - 0.5 * s->window, os.t + 0.5 * s->window, lo, hi, os.mlt, 0.5 * inp->mlt_width,
                       hem, look, cos_min, nch, s1 + row, s2 + row, s->macro + row);
        }
        cr_progress_update(prog, k1, NULL);
    }
    cr_progress_release(prog);

    /* particles no window sees */
    if (np > 0 && nt > 0) {
        double ta = s->time[0], tb = s->time[nt - 1];
        double t_first = (ta < tb ? ta : tb) - 0.5 * s->window, t_last = (ta < tb ? tb : ta) + 0.5 * s->window;
        for (size_t i = 0; i < np; i++) s->n_outside_time += p[i].t < t_first || p[i].t >= t_last;
    }

    /* fluxes and counts */
    gsl_rng *rng = NULL;
    if (s->noise) {
        rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (!rng) {
            free(s1);
            free(s2);
            free(p);
            free(start);
            cr_spectrogram_release(s);
            return NULL;
        }
        gsl_rng_set(rng, cr_instrument_seed(ins) + inp->noise_stream);
    }
    for (int k = 0; k < nt; k++) {
        for (int c = 0; c < nch; c++) {
            size_t i = (size_t)k * (size_t)nch + (size_t)c;
            double denom = s->bin_area[k] * s->window * (s->energy_upper[c] - s->energy_lower[c]) * s->solid_angle[k];
            double j = denom > 0 ? s1[i] / denom : 0.0;
            double jerr = denom > 0 ? sqrt(s2[i]) / denom : 0.0;
            cr_spectrogram_set_pixel(s, ins, i, c, j, jerr, rng);
            s->neff[i] = s2[i] > 0 ? s1[i] * s1[i] / s2[i] : 0.0;
        }
    }
    if (rng) gsl_rng_free(rng);
    free(s1);
    free(s2);
    free(p);
    free(start);
    return s;
}

/* ---- netCDF output ---------------------------------------------------------- */

static int put_d(struct cr_nc *f, int var, const double *d, const struct cr_log *log)
{
    char name[NC_MAX_NAME + 1] = "variable";
    nc_inq_varname(cr_nc_id(f), var, name);
    return cr_nc_check(nc_put_var_double(cr_nc_id(f), var, d), cr_nc_path(f), name, log);
}

int cr_spectrogram_write(const struct cr_spectrogram *s, const struct cr_spectrogram_meta *m, const char *path,
                         const struct cr_config *cfg, const struct cr_log *log)
{
    char title[512];
    snprintf(title, sizeof title, "cusprate virtual %s ion spectrogram, flyby %s%s",
             m->instrument ? cr_instrument_name(m->instrument) : "instrument", m->flyby ? m->flyby : "",
             m->spacecraft == 2 ? " (trailing spacecraft)" : "");
    struct cr_nc *f = cr_nc_create(path, title, cfg, log);
    if (!f) return CR_EIO;
    int rc = 0;
    int dt, de, db;
    rc |= cr_nc_def_dim(f, "time", (size_t)s->nt, &dt);
    rc |= cr_nc_def_dim(f, "energy", (size_t)s->nch, &de);
    rc |= cr_nc_def_dim(f, "bnds", 2, &db);
    struct cr_epoch epoch;
    char tunits[128];
    if (!rc && cr_epoch_from_config(cfg, &epoch, log)) rc = CR_ECONFIG;
    if (rc) {
        cr_nc_discard(f);
        return rc == CR_ECONFIG ? rc : CR_EIO;
    }
    cr_epoch_cf_units(&epoch, tunits, sizeof tunits);
    int d_t[1] = {dt}, d_e[1] = {de}, d_eb[2] = {de, db}, d_te[2] = {dt, de};
    int v_time, v_mlat, v_mlt, v_alt, v_x, v_y, v_z, v_en, v_eb, v_gf, v_cnt, v_def, v_dnf, v_err, v_mac, v_exp = -1,
        v_ta, v_cm, v_area, v_sa, v_neff;
    const int bw = s->method && !strcmp(s->method, "backward");
    rc |= cr_nc_def_var(f, "time", NC_DOUBLE, 1, d_t, tunits, "sample centre time",
                        "the run epoch is t = 0 of the MHD run", "time", &v_time);
    rc |= cr_nc_put_att_text(f, v_time, "axis", "T");
    rc |= cr_nc_def_var(f, "mlat", NC_DOUBLE, 1, d_t, "degree", "spacecraft magnetic latitude",
                        "dipole (SM) latitude of the spacecraft, north positive", NULL, &v_mlat);
    rc |= cr_nc_def_var(f, "mlt", NC_DOUBLE, 1, d_t, "h", "spacecraft magnetic local time", "12 h = noon (+X SM)",
                        NULL, &v_mlt);
    rc |= cr_nc_def_var(f, "altitude", NC_DOUBLE, 1, d_t, "km", "spacecraft altitude", "above R_E = 6371.2 km",
                        "altitude", &v_alt);
    rc |= cr_nc_def_var(f, "x", NC_DOUBLE, 1, d_t, CR_NC_RE_UNITS, "spacecraft SM x in Earth radii", NULL, NULL, &v_x);
    rc |= cr_nc_def_var(f, "y", NC_DOUBLE, 1, d_t, CR_NC_RE_UNITS, "spacecraft SM y in Earth radii", NULL, NULL, &v_y);
    rc |= cr_nc_def_var(f, "z", NC_DOUBLE, 1, d_t, CR_NC_RE_UNITS, "spacecraft SM z in Earth radii", NULL, NULL, &v_z);
    rc |= cr_nc_def_var(f, "energy", NC_DOUBLE, 1, d_e, "eV", "channel centre energy", NULL, NULL, &v_en);
    rc |= cr_nc_put_att_text(f, v_en, "bounds", "energy_bnds");
    rc |= cr_nc_def_var(f, "energy_bnds", NC_DOUBLE, 2, d_eb, "eV", "channel edges", "lower and upper edge", NULL,
                        &v_eb);
    rc |= cr_nc_def_var(f, "geometric_factor", NC_DOUBLE, 1, d_e, "cm^2 sr eV/eV", "energy geometric factor",
                        "G such that count rate = J G E = differential energy flux x G", NULL, &v_gf);
    rc |= cr_nc_def_var(f, "counts", NC_DOUBLE, 2, d_te, "s^-1", "count rate",
                        s->noise ? "counts per sample / integration_time, Poisson noise drawn on J G E"
                                 : "J G E (expected count rate, no counting noise)",
                        NULL, &v_cnt);
    rc |= cr_nc_def_var(f, "diff_energy_flux", NC_DOUBLE, 2, d_te, "eV cm^-2 s^-1 sr^-1 eV^-1",
                        "differential energy flux", "count rate / geometric factor = E J", NULL, &v_def);
    rc |= cr_nc_def_var(f, "diff_number_flux", NC_DOUBLE, 2, d_te, "cm^-2 s^-1 sr^-1 eV^-1",
                        "differential number flux", "count rate / (geometric factor x channel centre energy)", NULL,
                        &v_dnf);
    rc |= cr_nc_def_var(f, "diff_energy_flux_err", NC_DOUBLE, 2, d_te, "eV cm^-2 s^-1 sr^-1 eV^-1",
                        bw ? "sampling error of diff_energy_flux" : "macro-particle error of diff_energy_flux",
                        bw ? "1-sigma standard error of the mean over the pixel's backward-traced samples, noise-free"
                           : "1-sigma sampling error E sqrt(sum (w/|cos a|)^2) / (A dt dE dOmega), noise-free",
                        NULL, &v_err);
    rc |= cr_nc_def_var(f, "macro_particles", NC_INT, 2, d_te, "1",
                        bw ? "samples that reached the source" : "macro-particles counted",
                        bw ? "backward-traced samples of the pixel whose trajectory reached the source (f > 0 possible)"
                           : "test particles inside the collection bin, window, cone and channel",
                        NULL, &v_mac);
    rc |= cr_nc_def_var(f, "effective_count", NC_DOUBLE, 2, d_te, "1", "effective number of samples",
                        "(diff_energy_flux / diff_energy_flux_err)^2: forward (sum w')^2 / sum w'^2 with "
                        "w' = w / |cos a|; the count of equal-weight samples with the same relative error",
                        NULL, &v_neff);
    if (s->noise)
        rc |= cr_nc_def_var(f, "counts_expected", NC_DOUBLE, 2, d_te, "s^-1", "noise-free count rate", "J G E",
                            NULL, &v_exp);
    rc |= cr_nc_def_var(f, "track_angle", NC_DOUBLE, 1, d_t, "degree", "track angle",
                        "direction of motion from poleward, positive towards increasing MLT (0 = poleward)", NULL,
                        &v_ta);
    rc |= cr_nc_def_var(f, "collection_mlat", NC_DOUBLE, 1, d_t, "degree", "footpoint magnetic latitude on the collection shell",
                        "centre of the MLat bin, mapped along the dipole field line (NaN: no footpoint)", NULL, &v_cm);
    rc |= cr_nc_def_var(f, "bin_area", NC_DOUBLE, 1, d_t, "cm^2", "collection bin area",
                        "area A of the MLat x MLT bin on the collection shell", NULL, &v_area);
    rc |= cr_nc_def_var(f, "solid_angle", NC_DOUBLE, 1, d_t, "sr", "accepted solid angle",
                        "solid angle dOmega of the accepted pitch-angle cone at the collection shell", NULL, &v_sa);
    int v_src[6] = {-1, -1, -1, -1, -1, -1};
    const double *src_arr[6] = {s->src_n, s->src_kt, s->src_dt, s->src_x, s->src_y, s->src_z};
    if (bw && s->src_n) {
        static const char *const nm[6] = {"source_density", "source_temperature", "flight_time", "source_x",
                                          "source_y", "source_z"};
        static const char *const un[6] = {"cm^-3", "eV", "s", CR_NC_RE_UNITS, CR_NC_RE_UNITS, CR_NC_RE_UNITS};
        static const char *const ln[6] = {"source density", "source temperature kT", "flight time from the source",
                                          "source x (SM)", "source y (SM)", "source z (SM)"};
        for (int q = 0; q < 6; q++)
            rc |= cr_nc_def_var(f, nm[q], NC_DOUBLE, 2, d_te, un[q], ln[q],
                                "mean over the pixel's samples whose backward trace reached the source (NaN: none)",
                                NULL, &v_src[q]);
    }
    int v2[] = {v_cnt, v_def, v_dnf, v_err, v_mac, v_exp, v_neff, v_src[0], v_src[1], v_src[2], v_src[3], v_src[4],
                v_src[5]};
    for (size_t i = 0; i < CR_ARRAY_LEN(v2); i++)
        if (v2[i] >= 0) rc |= cr_nc_put_att_text(f, v2[i], "coordinates", "mlat mlt");

    /* global attributes: instrument and flyby */
    const struct cr_instrument *in = m->instrument;
    if (in) {
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "instrument", cr_instrument_name(in));
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "instrument_description", cr_instrument_description(in));
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "accumulation_time", cr_instrument_accumulation_time(in));
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "look_direction", cr_instrument_look_name(in));
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "cone_half_angle_deg", cr_instrument_cone_half_angle(in));
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "field_of_view", cr_instrument_fov(in));
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "counting_noise", cr_instrument_noise(in) ? "poisson" : "none");
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "noise_seed", (double)cr_instrument_seed(in));
    }
    if (m->instrument_config) rc |= cr_nc_put_att_text(f, NC_GLOBAL, "instrument_config", m->instrument_config);
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "integration_time", s->integration_time);
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "window_s", s->window);
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "bin_mlat_deg", s->bin_mlat);
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "mlt_width_h", s->mlt_width);
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "grazing_cut_deg", s->grazing_cut);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "flyby", m->flyby ? m->flyby : "");
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "spacecraft", m->spacecraft);
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "pair_separation_s", m->pair_separation);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "particles_file", m->particles_file ? m->particles_file : "");
    if (m->orbit) {
        const struct cr_orbit_inp *o = cr_orbit_inp(m->orbit);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "orbit", o->kind == CR_ORBIT_MERIDIAN ? "meridian" : "circular");
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "hemisphere", o->hemisphere > 0 ? "north" : "south");
        if (o->kind == CR_ORBIT_MERIDIAN) {
            char sector[64];
            snprintf(sector, sizeof sector, "%g-%g", o->mlt - 0.5 * s->mlt_width, o->mlt + 0.5 * s->mlt_width);
            rc |= cr_nc_put_att_double(f, NC_GLOBAL, "mlt", o->mlt);
            rc |= cr_nc_put_att_text(f, NC_GLOBAL, "mlt_sector", sector);
            rc |= cr_nc_put_att_double(f, NC_GLOBAL, "end_mlat", o->hemisphere * o->end_mlat);
        } else {
            rc |= cr_nc_put_att_double(f, NC_GLOBAL, "inclination_deg", o->inclination);
            rc |= cr_nc_put_att_double(f, NC_GLOBAL, "node_mlt", o->node_mlt);
            rc |= cr_nc_put_att_double(f, NC_GLOBAL, "orbital_period_s", cr_orbit_period(m->orbit));
        }
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "start_mlat", o->hemisphere * o->start_mlat);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "step_mlat_deg", o->step);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "step_time_s", cr_orbit_step_time(m->orbit));
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "altitude_km", o->altitude_km);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "speed_km_s", o->speed_km_s);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "launch_time", o->launch_time + (m->spacecraft == 2 ? m->pair_separation : 0));
    }
    /* the track angle of the sample where the count rate peaks (the cusp crossing) */
    int kbest = 0;
    double best = -1;
    for (int k = 0; k < s->nt; k++) {
        double tot = 0;
        for (int c = 0; c < s->nch; c++) tot += s->counts[(size_t)k * s->nch + c];
        if (tot > best) {
            best = tot;
            kbest = k;
        }
    }
    rc |= cr_nc_put_att_double(f, NC_GLOBAL, "track_angle_deg", s->nt > 0 ? s->track_angle[kbest] : 0.0);
    rc |= cr_nc_put_att_text(f, NC_GLOBAL, "method", bw ? "backward" : "forward");
    if (bw) {
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "flux_definition",
                                 "J = mean over the pixel's samples of 2 E f / m^2, f the phase-space density of the "
                                 "source Maxwellian where the sample's trajectory, traced backward in time, entered "
                                 "the source (Liouville); samples spread uniformly over the channel's energies, the "
                                 "accepted solid angle, the MLat x MLT bin and the time window; "
                                 "diff_energy_flux = E J; counts = J G E");
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "samples_per_pixel", s->samples);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "liouville_source", s->source ? s->source : "");
        static const char *const stn[] = {"n_active", "n_source", "n_inner_boundary", "n_outflow", "n_timeout",
                                          "n_failed", "n_below"};
        for (int q = 1; q < 7; q++) rc |= cr_nc_put_att_double(f, NC_GLOBAL, stn[q], (double)s->n_status[q]);
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "status_meaning",
                                 "n_source: reached the source; n_inner_boundary: came from the inner boundary; "
                                 "n_outflow: from beyond the domain; n_timeout: no source within the backward "
                                 "time limit or the MHD slices; n_failed: numerical failure; n_below: upgoing at "
                                 "the detector (came from below it); all but n_source contribute f = 0");
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "sw_density_cc", s->source_n_sw);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "sw_speed_kms", s->source_v_sw);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "trace_wall_s", s->trace_wall);
        rc |= cr_nc_put_att_double(f, NC_GLOBAL, "trace_steps", (double)s->trace_steps);
    } else {
        rc |= cr_nc_put_att_text(f, NC_GLOBAL, "flux_definition",
                                 "J = sum(w / |cos a|) / (A dt dE dOmega) over macro-particles in the bin; "
                                 "diff_energy_flux = E J; counts = J G E (G: energy geometric factor)");
    }
    if (rc) {
        cr_nc_discard(f);
        return CR_EIO;
    }
    double *bnds = cr_zalloc((size_t)s->nch * 2, sizeof(double));
    if (!bnds) {
        cr_nc_discard(f);
        return CR_ENOMEM;
    }
    for (int c = 0; c < s->nch; c++) {
        bnds[2 * c] = s->energy_lower[c];
        bnds[2 * c + 1] = s->energy_upper[c];
    }
    rc |= cr_nc_check(nc_enddef(cr_nc_id(f)), path, "enddef", log);
    if (s->nt > 0) {
        rc |= put_d(f, v_time, s->time, log);
        rc |= put_d(f, v_mlat, s->mlat, log);
        rc |= put_d(f, v_mlt, s->mlt, log);
        rc |= put_d(f, v_alt, s->altitude, log);
        rc |= put_d(f, v_x, s->x, log);
        rc |= put_d(f, v_y, s->y, log);
        rc |= put_d(f, v_z, s->z, log);
        rc |= put_d(f, v_ta, s->track_angle, log);
        rc |= put_d(f, v_cm, s->collection_mlat, log);
        rc |= put_d(f, v_area, s->bin_area, log);
        rc |= put_d(f, v_sa, s->solid_angle, log);
        rc |= put_d(f, v_cnt, s->counts, log);
        rc |= put_d(f, v_def, s->def, log);
        rc |= put_d(f, v_dnf, s->dnf, log);
        rc |= put_d(f, v_err, s->def_err, log);
        rc |= cr_nc_check(nc_put_var_int(cr_nc_id(f), v_mac, s->macro), path, "macro_particles", log);
        if (v_exp >= 0) rc |= put_d(f, v_exp, s->counts_expected, log);
        rc |= put_d(f, v_neff, s->neff, log);
        for (int q = 0; q < 6 && bw && s->src_n; q++) rc |= put_d(f, v_src[q], src_arr[q], log);
    }
    rc |= put_d(f, v_en, s->energy, log);
    rc |= put_d(f, v_eb, bnds, log);
    rc |= put_d(f, v_gf, s->gf, log);
    free(bnds);
    if (rc) {
        cr_error(log, "%s: cannot write the spectrogram", path);
        cr_nc_discard(f);
        return CR_EIO;
    }
    return cr_nc_commit(f);
}
