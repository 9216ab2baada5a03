/* cr_spectrogram_bw.c — a virtual instrument's spectrogram by backward
 * (Liouville) tracing of its pixels: every (sample, energy channel) pixel is
 * sub-sampled in energy, look direction, position and time, each sub-sample
 * is traced backward to its source (particles/cr_liouville.h), and the
 * channel value is the mean differential flux of the sub-samples, with its
 * standard error (see cr_spectrogram_bw.h). */
#include "cr_spectrogram_bw.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../particles/cr_inject.h"

/* Unit vectors at x: b along the dipole field, e1, e2 completing a right-handed set. */
static void frame_at(double b_e, const double x[3], double b[3], double e1[3], double e2[3])
{
    double B[3];
    cr_dipole_field(b_e, x, B);
    double bm = sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]);
    for (int c = 0; c < 3; c++) b[c] = B[c] / bm;
    double ax[3] = {0, 0, 1};
    if (fabs(b[2]) > 0.9) {
        ax[0] = 1;
        ax[2] = 0;
    }
    double d = ax[0] * b[0] + ax[1] * b[1] + ax[2] * b[2];
    double n = 0;
    for (int c = 0; c < 3; c++) {
        e1[c] = ax[c] - d * b[c];
        n += e1[c] * e1[c];
    }
    n = sqrt(n);
    for (int c = 0; c < 3; c++) e1[c] /= n;
    e2[0] = b[1] * e1[2] - b[2] * e1[1];
    e2[1] = b[2] * e1[0] - b[0] * e1[2];
    e2[2] = b[0] * e1[1] - b[1] * e1[0];
}

struct cr_spectrogram *cr_spectrogram_backward_new(const struct cr_spectrogram_bw_inp *inp)
{
    const struct cr_log *log = inp->log;
    const struct cr_instrument *ins = inp->instrument;
    const struct cr_liouville_inp *tr = inp->tracer;
    if (!tr || !tr->field || !(inp->samples >= 1) || !(inp->bin_mlat >= 0) ||
        !(inp->mlt_width >= 0 && inp->mlt_width <= 24) || !(inp->window >= 0) ||
        !(inp->grazing_cut >= 0 && inp->grazing_cut < 90)) {
        cr_error(log, "spectrogram (backward): invalid settings (samples %d, bin_mlat %g deg, mlt_width %g h, "
                      "window %g s, grazing_cut %g deg)", inp->samples, inp->bin_mlat, inp->mlt_width, inp->window,
                 inp->grazing_cut);
        return NULL;
    }
    const int nt = cr_orbit_nsamples(inp->orbit), nch = cr_instrument_nchannel(ins), ns = inp->samples;
    struct cr_spectrogram *s = cr_spectrogram_alloc(nt, nch);
    if (!s) {
        cr_error(log, "spectrogram: out of memory (%d samples x %d channels)", nt, nch);
        return NULL;
    }
    s->method = "backward";
    s->samples = ns;
    s->source = tr->source == CR_LV_SRC_RELEASE ? "release" : "sheath";
    cr_spectrogram_set_instrument(s, ins, inp->window > 0 ? inp->window : cr_orbit_step_time(inp->orbit),
                                  inp->grazing_cut, inp->bin_mlat, inp->mlt_width);
    const double b_e = tr->field->b_e > 0 ? tr->field->b_e : 30000.0;
    const double r_sc = cr_orbit_radius(inp->orbit);
    const double r_cm = r_sc * CR_RE_KM * 1e5;
    const double dphi = inp->mlt_width * 2.0 * CR_PI / 24.0;
    const enum cr_look look = cr_instrument_look(ins);
    double amax = cr_instrument_cone_half_angle(ins);
    if (amax > 90.0 - inp->grazing_cut) amax = 90.0 - inp->grazing_cut;
    const double cos_min = cos(amax * CR_DEG);
    const double mc2 = CR_MP * CR_C * CR_C / CR_EV_J; /* proton rest energy [eV] */
    const double mkev = mc2 / (CR_C * CR_C * 1e-6); /* eV per (km/s)^2 */

    /* the points: [sample][channel][sub-sample] */
    const size_t npt = (size_t)nt * (size_t)nch * (size_t)ns;
    struct cr_lv_point *pts = cr_zalloc(npt ? npt : 1, sizeof *pts);
    struct cr_lv_result *res = cr_zalloc(npt ? npt : 1, sizeof *res);
    double *en = cr_zalloc(npt ? npt : 1, sizeof *en);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    if (!pts || !res || !en || !rng) {
        cr_error(log, "spectrogram (backward): out of memory for %zu points", npt);
        free(pts);
        free(res);
        free(en);
        if (rng) gsl_rng_free(rng);
        cr_spectrogram_release(s);
        return NULL;
    }
    for (int k = 0; k < nt; k++) {
        struct cr_orbit_sample os;
        cr_orbit_sample(inp->orbit, k, inp->time_offset, &os);
        cr_spectrogram_set_sample(s, k, &os, r_sc);
        s->collection_mlat[k] = os.mlat; /* the bin is centred on the spacecraft */
        double lo = os.mlat - 0.5 * inp->bin_mlat, hi = os.mlat + 0.5 * inp->bin_mlat;
        lo = lo < -90 ? -90 : lo;
        hi = hi > 90 ? 90 : hi;
        s->bin_area[k] = r_cm * r_cm * dphi * (sin(hi * CR_DEG) - sin(lo * CR_DEG));
        s->solid_angle[k] = 2.0 * CR_PI * (1.0 - cos_min) * (look == CR_LOOK_ALL ? 2.0 : 1.0);
        int hem = os.mlat >= 0 ? 1 : -1;
        for (int c = 0; c < nch; c++) {
            size_t base = ((size_t)k * (size_t)nch + (size_t)c) * (size_t)ns;
            double elo = s->energy_lower[c], ehi = s->energy_upper[c];
            for (int q = 0; q < ns; q++) {
                size_t i = base + (size_t)q;
                uint64_t st = cr_inject_stream(inp->seed, (long)i);
                gsl_rng_set(rng, (unsigned long)(st & 0xffffffffUL));
                /* energy stratified over the channel; the rest uniform */
                double e = elo + (ehi - elo) * ((double)q + gsl_rng_uniform(rng)) / (double)ns;
                double t = os.t + s->window * (gsl_rng_uniform(rng) - 0.5);
                double sl = sin(lo * CR_DEG) + (sin(hi * CR_DEG) - sin(lo * CR_DEG)) * gsl_rng_uniform(rng);
                double lat = asin(sl < -1 ? -1 : sl > 1 ? 1 : sl);
                double mlt = os.mlt + inp->mlt_width * (gsl_rng_uniform(rng) - 0.5);
                double phi = (mlt - 12.0) * CR_PI / 12.0;
                double x[3] = {r_sc * cos(lat) * cos(phi), r_sc * cos(lat) * sin(phi), r_sc * sin(lat)};
                /* direction uniform in solid angle over the accepted cone */
                double ca = 1.0 - (1.0 - cos_min) * gsl_rng_uniform(rng);
                double gph = 2.0 * CR_PI * gsl_rng_uniform(rng);
                int dir = hem; /* precipitating: along B in the north, against it in the south */
                if (look == CR_LOOK_UPGOING) dir = -hem;
                else if (look == CR_LOOK_ALL && gsl_rng_uniform(rng) < 0.5) dir = -hem;
                double b[3], e1[3], e2[3];
                frame_at(b_e, x, b, e1, e2);
                double sa = sqrt(fmax(0.0, 1.0 - ca * ca));
                double v = sqrt(2.0 * e / mkev);
                for (int d = 0; d < 3; d++)
                    pts[i].v[d] = v * (dir * ca * b[d] + sa * (cos(gph) * e1[d] + sin(gph) * e2[d]));
                memcpy(pts[i].x, x, sizeof x);
                pts[i].t = t;
                pts[i].stream = cr_inject_stream(st, 1);
                en[i] = e;
            }
        }
    }
    gsl_rng_free(rng);
    struct cr_liouville_stats lst;
    int rc = cr_liouville_trace(tr, pts, (long)npt, res, &lst);
    size_t npix = (size_t)nt * (size_t)nch;
    double **src[] = {&s->src_n, &s->src_kt, &s->src_dt, &s->src_x, &s->src_y, &s->src_z};
    for (size_t q = 0; q < CR_ARRAY_LEN(src) && !rc; q++)
        if (!(*src[q] = cr_zalloc(npix ? npix : 1, sizeof(double)))) rc = CR_ENOMEM;
    if (rc) {
        free(pts);
        free(res);
        free(en);
        cr_spectrogram_release(s);
        return NULL;
    }
    memcpy(s->n_status, lst.n_status, sizeof s->n_status);
    s->source_n_sw = lst.n_sw;
    s->source_v_sw = lst.v_sw;
    s->trace_wall = lst.wall;
    s->trace_steps = lst.steps_fo + lst.steps_gc;
    cr_debug(log, "backward: steps FO %ld GC %ld, switches %ld; by end: source %ld, inner %ld, timeout %ld",
             lst.steps_fo, lst.steps_gc, lst.switches, lst.steps_by_status[CR_LV_SOURCE],
             lst.steps_by_status[CR_LV_INNER], lst.steps_by_status[CR_LV_TIMEOUT]);
    gsl_rng *noise = NULL;
    if (s->noise) {
        noise = gsl_rng_alloc(gsl_rng_mt19937);
        if (noise) gsl_rng_set(noise, cr_instrument_seed(ins) + inp->noise_stream);
    }
    for (int k = 0; k < nt; k++)
        for (int c = 0; c < nch; c++) {
            size_t pix = (size_t)k * (size_t)nch + (size_t)c, base = pix * (size_t)ns;
            double m1 = 0, m2 = 0;
            int hits = 0;
            for (int q = 0; q < ns; q++) {
                const struct cr_lv_result *r = &res[base + (size_t)q];
                double j = cr_liouville_dnf(r->f, en[base + (size_t)q], mc2);
                m1 += j;
                m2 += j * j;
                if (r->status != CR_LV_SOURCE) continue;
                hits++;
                s->src_n[pix] += r->n0;
                s->src_kt[pix] += r->kt0;
                s->src_dt[pix] += pts[base + (size_t)q].t - r->t0;
                s->src_x[pix] += r->x0[0];
                s->src_y[pix] += r->x0[1];
                s->src_z[pix] += r->x0[2];
            }
            for (size_t q = 0; q < CR_ARRAY_LEN(src); q++) (*src[q])[pix] = hits ? (*src[q])[pix] / hits : NAN;
            double mean = m1 / ns;
            double var = ns > 1 ? (m2 - ns * mean * mean) / (ns - 1) : 0.0;
            double err = sqrt(var > 0 ? var / ns : 0.0);
            cr_spectrogram_set_pixel(s, ins, pix, c, mean, err, noise);
            s->neff[pix] = err > 0 ? (mean / err) * (mean / err) : (mean > 0 ? (double)ns : 0.0);
            s->macro[pix] = hits;
        }
    if (noise) gsl_rng_free(noise);
    free(pts);
    free(res);
    free(en);
    return s;
}
