/* cr_inject.c — source region, start times, plasma-frame velocities and
 * Maxwellian weights of the test protons (definitions in cr_inject.h). */
#include "cr_inject.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../grids/cr_fieldline.h"

struct cr_inject {
    struct cr_inject_inp inp;
    double n_sw, v_sw;
    double vol;        /* search volume [R_E^3] */
    double cos_cone;
    double mc2_ev;
};

static uint64_t mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t stream_of(uint64_t seed, long i) { return mix64(mix64(seed) ^ (uint64_t)i); }

uint64_t cr_inject_stream(uint64_t seed, long i) { return stream_of(seed, i); }

double cr_maxwell_energy_pdf(double e, double kt)
{
    if (e < 0 || kt <= 0) return 0.0;
    return 2.0 * sqrt(e / CR_PI) * pow(kt, -1.5) * exp(-e / kt);
}

static void sample_region(const struct cr_inject *inj, gsl_rng *r, double x[3])
{
    const struct cr_inject_inp *q = &inj->inp;
    if (q->kind == CR_SOURCE_BOX || q->kind == CR_SOURCE_SHEATH_BOX) {
        for (int c = 0; c < 3; c++) x[c] = q->box[2 * c] + gsl_rng_uniform(r) * (q->box[2 * c + 1] - q->box[2 * c]);
        return;
    }
    /* uniform in volume in the shell sector r_min..r_max, angle from +X <= cone */
    double r3a = q->r_min * q->r_min * q->r_min, r3b = q->r_max * q->r_max * q->r_max;
    double rr = cbrt(r3a + gsl_rng_uniform(r) * (r3b - r3a));
    double ct = inj->cos_cone + gsl_rng_uniform(r) * (1.0 - inj->cos_cone);
    double st = sqrt(fmax(0.0, 1.0 - ct * ct));
    double ps = 2.0 * CR_PI * gsl_rng_uniform(r);
    x[0] = rr * ct;
    x[1] = rr * st * cos(ps);
    x[2] = rr * st * sin(ps);
}

static int is_sheath(const struct cr_inject *inj, const struct cr_field_sample *s);

/* 1 when the field line through x at time t has the wanted topology. The
 * tolerances are loose (1e-4 R_E per step): only where the ends go matters. */
static int topology_ok(const struct cr_inject_inp *q, struct cr_fieldline **fl, double t, const double x[3])
{
    if (q->topology == CR_TOPO_ANY) return 1;
    if (!*fl) {
        struct cr_fieldline_inp fi = {.field = q->field, .eps_abs = 1e-4, .eps_rel = 1e-4, .h_max = 0.5,
                                      .max_length = 500, .log = q->log};
        *fl = cr_fieldline_new(&fi);
        if (!*fl) return 0;
    }
    struct cr_fl_result res;
    if (cr_fieldline_trace(*fl, t, x, &res, NULL) != CR_OK) return 0;
    int inner = -1, outer = 0;
    for (int e = 0; e < 2; e++) {
        if (res.end[e].why == CR_FL_INNER) inner = e;
        else if (res.end[e].why == CR_FL_OUTER) outer = 1;
    }
    if (inner < 0 || !outer || res.end[1 - inner].why != CR_FL_OUTER) return 0;
    const int north = res.end[inner].x[2] > 0;
    return q->topology == CR_TOPO_OPEN || (q->topology == CR_TOPO_OPEN_NORTH) == north;
}

struct cr_inject *cr_inject_new(const struct cr_inject_inp *inp, int *status)
{
    int dummy;
    if (!status) status = &dummy;
    *status = CR_ECONFIG;
    const struct cr_log *log = inp ? inp->log : NULL;
    if (!inp || !inp->field) {
        cr_error(log, "particles: injection needs a field source");
        return NULL;
    }
    struct cr_inject *inj = cr_zalloc(1, sizeof *inj);
    if (!inj) {
        *status = CR_ENOMEM;
        return NULL;
    }
    inj->inp = *inp;
    struct cr_inject_inp *q = &inj->inp;
    if (q->cone_deg <= 0) q->cone_deg = 90.0;
    if (q->density_factor <= 0) q->density_factor = 1.5;
    if (q->speed_factor <= 0) q->speed_factor = 0.9;
    if (q->mass <= 0) q->mass = CR_MP;
    if (q->charge == 0) q->charge = 1.0;
    if (q->max_tries <= 0) q->max_tries = 10000;
    if (q->pitch_min == 0 && q->pitch_max == 0) q->pitch_max = 180.0;
    if (!(q->pitch_min >= 0 && q->pitch_max <= 180 && q->pitch_max > q->pitch_min)) {
        cr_error(log, "particles: pitch-angle range [%g, %g] deg must satisfy 0 <= lowest < highest <= 180",
                 q->pitch_min, q->pitch_max);
        goto fail;
    }
    inj->mc2_ev = q->mass * CR_C * CR_C / CR_EV_J;
    inj->cos_cone = cos(q->cone_deg * CR_DEG);
    if (!(q->e_min > 0 && q->e_max > q->e_min)) {
        cr_error(log, "particles: energy range [%g, %g] eV must satisfy 0 < e_min < e_max", q->e_min, q->e_max);
        goto fail;
    }
    if (!(q->temperature > 0)) {
        cr_error(log, "particles: temperature %g eV must be positive", q->temperature);
        goto fail;
    }
    if (q->t_end < q->t_start) {
        cr_error(log, "particles: injection interval [%g, %g] s is reversed", q->t_start, q->t_end);
        goto fail;
    }
    if (q->kind == CR_SOURCE_BOX || q->kind == CR_SOURCE_SHEATH_BOX) {
        inj->vol = 1.0;
        for (int c = 0; c < 3; c++) {
            double d = q->box[2 * c + 1] - q->box[2 * c];
            if (!(d > 0)) {
                cr_error(log, "particles: source box has an empty extent along %c", "xyz"[c]);
                goto fail;
            }
            inj->vol *= d;
        }
    } else {
        if (!(q->r_min > 0 && q->r_max > q->r_min)) {
            cr_error(log, "particles: source radii [%g, %g] R_E must satisfy 0 < r_min < r_max", q->r_min, q->r_max);
            goto fail;
        }
        inj->vol = 2.0 * CR_PI / 3.0 * (pow(q->r_max, 3) - pow(q->r_min, 3)) * (1.0 - inj->cos_cone);
    }
    inj->n_sw = q->n_sw;
    inj->v_sw = q->v_sw;
    const int sheath = q->kind == CR_SOURCE_SHEATH || q->kind == CR_SOURCE_SHEATH_BOX;
    if (sheath && (q->n_sw <= 0 || q->v_sw <= 0)) {
        struct cr_field_sample s;
        int rc = cr_field_eval(q->field, q->t_start, q->probe, &s);
        if (rc) {
            cr_error(log, "particles: upstream probe (%g, %g, %g) R_E is outside the field's domain",
                     q->probe[0], q->probe[1], q->probe[2]);
            *status = CR_ECONFIG;
            goto fail;
        }
        if (q->n_sw <= 0) inj->n_sw = s.D;
        if (q->v_sw <= 0) inj->v_sw = sqrt(s.V[0] * s.V[0] + s.V[1] * s.V[1] + s.V[2] * s.V[2]);
        if (!(inj->n_sw > 0 && inj->v_sw > 0)) {
            cr_error(log,
                     "particles: the field has no density/flow at the upstream probe (D = %g /cc, |V| = %g km/s); "
                     "the sheath source needs MHD fields or particles.sw_density and particles.sw_speed",
                     s.D, inj->v_sw);
            goto fail;
        }
        cr_info(log, "particles: sheath criteria with n_sw = %.3g /cc, V_sw = %.4g km/s (D > %.3g /cc, |V| < %.4g km/s, Vx < 0)",
                inj->n_sw, inj->v_sw, q->density_factor * inj->n_sw, q->speed_factor * inj->v_sw);
        /* is there any sheath in the search region at the first start time? */
        gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
        if (!r) {
            *status = CR_ENOMEM;
            goto fail;
        }
        gsl_rng_set(r, 271828);
        long found = 0, k;
        for (k = 0; k < 20000 && !found; k++) {
            double x[3];
            struct cr_field_sample sx;
            sample_region(inj, r, x);
            if (cr_field_eval(q->field, q->t_start, x, &sx) == CR_OK && is_sheath(inj, &sx)) found = 1;
        }
        gsl_rng_free(r);
        if (!found) {
            cr_error(log,
                     "particles: no point of the search region (r = %g..%g R_E within %g deg of +X) meets the sheath "
                     "criteria at t = %g s in %ld tries: check particles.source_radii, source_cone and the "
                     "sheath_* factors, or use a box/shell source",
                     q->r_min, q->r_max, q->cone_deg, q->t_start, k);
            *status = CR_ECONFIG;
            goto fail;
        }
    }
    if (q->density <= 0 && !sheath) {
        /* the source density comes from the field: it must have one */
        gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
        if (!r) {
            *status = CR_ENOMEM;
            goto fail;
        }
        gsl_rng_set(r, 12345);
        double dmax = 0;
        for (int k = 0; k < 16; k++) {
            double x[3];
            struct cr_field_sample s;
            sample_region(inj, r, x);
            if (cr_field_eval(q->field, q->t_start, x, &s) == CR_OK) dmax = fmax(dmax, s.D);
        }
        gsl_rng_free(r);
        if (!(dmax > 0)) {
            cr_error(log, "particles: the field (%s) has no density in the source region: set particles.source_density",
                     q->field->name ? q->field->name : "?");
            goto fail;
        }
    }
    *status = CR_OK;
    return inj;
fail:
    free(inj);
    return NULL;
}

void cr_inject_release(struct cr_inject *inj) { free(inj); }

void cr_inject_upstream(const struct cr_inject *inj, double *n_sw, double *v_sw)
{
    if (n_sw) *n_sw = inj->n_sw;
    if (v_sw) *v_sw = inj->v_sw;
}

double cr_inject_search_volume(const struct cr_inject *inj) { return inj->vol; }

static double time_of(const struct cr_inject *inj, gsl_rng *r)
{
    const struct cr_inject_inp *q = &inj->inp;
    return q->t_start + gsl_rng_uniform(r) * (q->t_end - q->t_start);
}

double cr_inject_time(const struct cr_inject *inj, long i)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r) return NAN;
    gsl_rng_set(r, (unsigned long)(stream_of(inj->inp.seed, i) & 0xffffffffUL));
    double t = time_of(inj, r);
    gsl_rng_free(r);
    return t;
}

int cr_sheath_criteria(const struct cr_field_sample *s, double n_sw, double v_sw, double density_factor,
                       double speed_factor)
{
    double v = sqrt(s->V[0] * s->V[0] + s->V[1] * s->V[1] + s->V[2] * s->V[2]);
    return !s->inside && s->D > density_factor * n_sw && v < speed_factor * v_sw && s->V[0] < 0;
}

static int is_sheath(const struct cr_inject *inj, const struct cr_field_sample *s)
{
    const struct cr_inject_inp *q = &inj->inp;
    return cr_sheath_criteria(s, inj->n_sw, inj->v_sw, q->density_factor, q->speed_factor);
}

int cr_inject_one(const struct cr_inject *inj, long i, struct cr_injected *out)
{
    const struct cr_inject_inp *q = &inj->inp;
    memset(out, 0, sizeof *out);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r) return CR_ENOMEM;
    uint64_t st = stream_of(q->seed, i);
    gsl_rng_set(r, (unsigned long)(st & 0xffffffffUL));
    out->stream = mix64(st ^ 0x5DEECE66DULL);
    out->t0 = time_of(inj, r);
    struct cr_field_sample s;
    double x[3];
    double rx2 = q->r_exclude * q->r_exclude;
    struct cr_fieldline *fl = NULL;
    for (long k = 0; k < q->max_tries; k++) {
        out->tries++;
        sample_region(inj, r, x);
        if (x[0] * x[0] + x[1] * x[1] + x[2] * x[2] <= rx2) continue;
        if (cr_field_eval(q->field, out->t0, x, &s) != CR_OK) continue;
        if (s.inside) continue;
        if ((q->kind == CR_SOURCE_SHEATH || q->kind == CR_SOURCE_SHEATH_BOX) && !is_sheath(inj, &s)) continue;
        if (!topology_ok(q, &fl, out->t0, x)) continue;
        double dens = q->density > 0 ? q->density : s.D;
        if (!(dens > 0)) continue;
        double bm = sqrt(s.B[0] * s.B[0] + s.B[1] * s.B[1] + s.B[2] * s.B[2]);
        if (!(bm > 0)) continue;
        out->ok = 1;
        out->density = dens;
        memcpy(out->x0, x, sizeof x);
        break;
    }
    cr_fieldline_release(fl);
    if (!out->ok) {
        gsl_rng_free(r);
        return CR_OK;
    }
    /* energy, pitch angle, gyrophase in the plasma (E x B) frame */
    double u1 = gsl_rng_uniform(r);
    double e, g;
    if (q->log_energy) {
        double lr = log(q->e_max / q->e_min);
        e = q->e_min * exp(u1 * lr);
        g = 1.0 / (e * lr);
    } else {
        e = q->e_min + u1 * (q->e_max - q->e_min);
        g = 1.0 / (q->e_max - q->e_min);
    }
    /* pitch uniform in [a0, a1]: the weight sin(alpha)/2 / (1/(a1 - a0)) restores isotropy */
    const double a0 = q->pitch_min * CR_DEG, a1 = q->pitch_max * CR_DEG;
    double alpha = a0 + (a1 - a0) * gsl_rng_uniform(r);
    double phi = 2.0 * CR_PI * gsl_rng_uniform(r);
    gsl_rng_free(r);
    double bm = sqrt(s.B[0] * s.B[0] + s.B[1] * s.B[1] + s.B[2] * s.B[2]);
    double b[3] = {s.B[0] / bm, s.B[1] / bm, s.B[2] / bm};
    /* e1 = unit(b x z) (or b x x near the z axis), e2 = b x e1 */
    double ref[3] = {0, 0, 1};
    if (fabs(b[2]) > 0.9) {
        ref[0] = 1;
        ref[2] = 0;
    }
    double e1[3] = {b[1] * ref[2] - b[2] * ref[1], b[2] * ref[0] - b[0] * ref[2], b[0] * ref[1] - b[1] * ref[0]};
    double n1 = sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
    for (int c = 0; c < 3; c++) e1[c] /= n1;
    double e2[3] = {b[1] * e1[2] - b[2] * e1[1], b[2] * e1[0] - b[0] * e1[2], b[0] * e1[1] - b[1] * e1[0]};
    double k = e / inj->mc2_ev;
    double gam = 1.0 + k;
    double v = CR_C * sqrt(1.0 - 1.0 / (gam * gam)) / CR_KMS; /* [km/s] */
    /* E x B / B^2: (mV/m)/nT = 1e6 m/s = 1e3 km/s */
    double exb[3] = {s.E[1] * s.B[2] - s.E[2] * s.B[1], s.E[2] * s.B[0] - s.E[0] * s.B[2],
                     s.E[0] * s.B[1] - s.E[1] * s.B[0]};
    for (int c = 0; c < 3; c++) {
        double vth = v * (cos(alpha) * b[c] + sin(alpha) * (cos(phi) * e1[c] + sin(phi) * e2[c]));
        out->v0[c] = vth + 1e3 * exb[c] / (bm * bm);
    }
    out->energy0 = e;
    out->pitch0 = alpha / CR_DEG;
    out->wunit = out->density * cr_maxwell_energy_pdf(e, q->temperature) / g * 0.5 * (a1 - a0) * sin(alpha);
    return CR_OK;
}

double cr_inject_weight_scale(const struct cr_inject *inj, long n_ok, long tries)
{
    const struct cr_inject_inp *q = &inj->inp;
    if (n_ok <= 0) return 0.0;
    double vol = inj->vol;
    vol *= tries > 0 ? (double)n_ok / (double)tries : 0.0; /* fraction of the searched volume that is source */
    double re_cm = CR_RE_M * 100.0;
    double vol_cm3 = vol * re_cm * re_cm * re_cm;
    double tinj = q->t_end - q->t_start;
    double nvol = (q->refresh_time > 0 && tinj > 0) ? tinj / q->refresh_time : 1.0;
    return vol_cm3 * nvol / (double)n_ok;
}
