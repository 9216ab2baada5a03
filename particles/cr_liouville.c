/* cr_liouville.c — backward (Liouville) tracing of detector points to their
 * source: the time-reversed field, the dipole mapping up to the collection
 * sphere, the windowed parallel backward tracing, the source Maxwellian
 * (see cr_liouville.h). */
#include "cr_liouville.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_progress.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "../grids/cr_field_mhd.h"
#include "../grids/cr_fieldline.h"
#include "cr_dipole.h"
#include "cr_inject.h"
#include "cr_particles.h"

const char *cr_lv_status_name(int status)
{
    static const char *const names[] = {"active", "source", "inner_boundary", "outflow", "timeout", "failed", "below"};
    return status >= 0 && status <= CR_LV_BELOW ? names[status] : "unknown";
}

double cr_liouville_maxwellian(double n, double kt_ev, double e_ev, double mc2_ev)
{
    /* m in eV s^2 cm^-2: mc^2 / c^2 with c in cm/s */
    const double c_cms = CR_C * 100.0;
    double m = mc2_ev / (c_cms * c_cms);
    if (!(n > 0) || !(kt_ev > 0)) return 0.0;
    return n * pow(m / (2.0 * CR_PI * kt_ev), 1.5) * exp(-e_ev / kt_ev);
}

double cr_liouville_dnf(double f, double energy_ev, double mc2_ev)
{
    const double c_cms = CR_C * 100.0;
    double m = mc2_ev / (c_cms * c_cms);
    return 2.0 * energy_ev * f / (m * m);
}

/* ---- the time-reversed field: B~ = -B, V~ = -V, E~ = E at time -t ---------- */
struct rev_field {
    struct cr_field base;
    const struct cr_field *in;
};

static void reverse(struct cr_field_sample *s)
{
    for (int c = 0; c < 3; c++) {
        s->B[c] = -s->B[c];
        s->V[c] = -s->V[c];
    }
}

static int rev_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    const struct rev_field *r = (const struct rev_field *)f;
    int rc = cr_field_eval(r->in, -t, x, s);
    if (rc == CR_OK) reverse(s);
    return rc;
}

static int rev_eval_hint(const struct cr_field *f, double t, const double x[3], struct cr_field_hint *hint,
                         struct cr_field_sample *s)
{
    const struct rev_field *r = (const struct rev_field *)f;
    int rc = cr_field_eval_hinted(r->in, -t, x, hint, s);
    if (rc == CR_OK) reverse(s);
    return rc;
}

static void rev_release(struct cr_field *f) { (void)f; }

static const struct cr_field_vtable rev_vt = {rev_eval, rev_release};

static void rev_init(struct rev_field *r, const struct cr_field *in)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->base.vt = &rev_vt;
    r->base.r_inner = in->r_inner;
    r->base.r_outer = in->r_outer;
    r->base.b_e = in->b_e;
    if (in->t_max > in->t_min) {
        r->base.t_min = -in->t_max;
        r->base.t_max = -in->t_min;
    }
    r->base.name = "time-reversed";
    r->base.eval_hint = in->eval_hint ? rev_eval_hint : NULL;
}

/* ---- step 1: from the detector up the dipole to the collection sphere ------- */

struct start {
    double t;      /* [s] real time at the start of the backward trace */
    double x[3];   /* [R_E] */
    double v[3];   /* [km/s] real (forward-time) velocity there */
    int status;    /* CR_LV_ACTIVE, or why the point has no trace */
};

static double dot3(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void map_up(double b_e, double r_c, const struct cr_lv_point *p, struct start *s)
{
    s->status = CR_LV_ACTIVE;
    s->t = p->t;
    memcpy(s->x, p->x, sizeof s->x);
    memcpy(s->v, p->v, sizeof s->v);
    double r = sqrt(dot3(p->x, p->x));
    if (!(r > 0) || !isfinite(r)) {
        s->status = CR_LV_FAILED;
        return;
    }
    if (r >= r_c) return;
    double B[3];
    cr_dipole_field(b_e, p->x, B);
    double bm = sqrt(dot3(B, B)), v2 = dot3(p->v, p->v);
    if (!(bm > 0) || !(v2 > 0)) {
        s->status = CR_LV_FAILED;
        return;
    }
    double b[3] = {B[0] / bm, B[1] / bm, B[2] / bm};
    double vpar = dot3(p->v, b);
    double lat = asin(p->x[2] / r);
    int hem = lat >= 0 ? 1 : -1;
    /* downgoing: along B in the north (B points down there), against it in the south */
    if (!(hem * vpar > 0)) {
        s->status = CR_LV_BELOW;
        return;
    }
    double cl = cos(lat);
    double L = r / (cl * cl);
    if (L <= r_c) { /* a field line closing below the collection sphere */
        s->status = CR_LV_INNER;
        return;
    }
    double lat_c = hem * acos(sqrt(r_c / L));
    double phi = atan2(p->x[1], p->x[0]);
    double xc[3] = {r_c * cos(lat_c) * cos(phi), r_c * cos(lat_c) * sin(phi), r_c * sin(lat_c)};
    double Bc[3];
    cr_dipole_field(b_e, xc, Bc);
    double bcm = sqrt(dot3(Bc, Bc));
    double s2 = 1.0 - vpar * vpar / v2;             /* sin^2 pitch at the detector */
    double s2c = s2 * bcm / bm;                     /* ... at the sphere (mu kept) */
    double v = sqrt(v2), tt = 0.0;
    if (cr_dipole_travel_time(L, lat_c, lat, v, s2c, &tt) != CR_OK) {
        s->status = CR_LV_FAILED;
        return;
    }
    double bc[3] = {Bc[0] / bcm, Bc[1] / bcm, Bc[2] / bcm};
    /* the perpendicular direction: the detector's, made perpendicular to b_c */
    double vp[3] = {p->v[0] - vpar * b[0], p->v[1] - vpar * b[1], p->v[2] - vpar * b[2]};
    double q = dot3(vp, bc);
    double e1[3] = {vp[0] - q * bc[0], vp[1] - q * bc[1], vp[2] - q * bc[2]};
    double e1m = sqrt(dot3(e1, e1));
    if (!(e1m > 1e-12 * v)) { /* no perpendicular velocity: any direction perpendicular to b_c */
        double ax[3] = {fabs(bc[0]) < 0.9 ? 1.0 : 0.0, fabs(bc[0]) < 0.9 ? 0.0 : 1.0, 0.0};
        double d = dot3(ax, bc);
        for (int c = 0; c < 3; c++) e1[c] = ax[c] - d * bc[c];
        e1m = sqrt(dot3(e1, e1));
    }
    double vpc = v * sqrt(s2c < 1 ? s2c : 1.0), vparc = (vpar > 0 ? 1.0 : -1.0) * v * sqrt(1.0 - (s2c < 1 ? s2c : 1.0));
    for (int c = 0; c < 3; c++) {
        s->x[c] = xc[c];
        s->v[c] = vparc * bc[c] + vpc * e1[c] / e1m;
    }
    s->t = p->t - tt;
}

/* ---- the source -------------------------------------------------------------- */

struct lv {
    const struct cr_liouville_inp *inp;
    const struct cr_field *f;       /* real field */
    struct rev_field rf;            /* reversed field */
    struct cr_push *push;
    double n_sw, v_sw, fn, fv, mc2;
    double check_dt;                /* [s] interval of the source test */
    double recheck_dt;              /* [s] no new topology test for this long after a closed verdict */
    double beta_min;
};

/* The forward injection's sheath criteria, on the plasma side of the
 * magnetopause (beta above beta_min). */
static int is_sheath(const struct lv *L, const struct cr_field_sample *s)
{
    if (!cr_sheath_criteria(s, L->n_sw, L->v_sw, L->fn, L->fv)) return 0;
    double b2 = dot3(s->B, s->B);
    /* plasma beta 2 mu0 P / B^2 with P [nPa], B [nT]: 2 mu0 1e-9 / 1e-18 = 2513.27 */
    double beta = b2 > 0 ? 2.0 * CR_MU0 * 1e9 * s->P / b2 : HUGE_VAL;
    return beta > L->beta_min;
}

static int in_box(const double *b, const double x[3])
{
    return x[0] >= b[0] && x[0] <= b[1] && x[1] >= b[2] && x[1] <= b[3] && x[2] >= b[4] && x[2] <= b[5];
}

/* kinetic energy per (km/s)^2 [eV] */
static double mev_per_kms2(const struct lv *L) { return L->mc2 / (CR_C * CR_C * 1e-6); }

/* The source's drifting Maxwellian at plasma-frame energy e0 [eV]: n and kT
 * from the sample s (or the given density and temperature). Fills res. */
static void source_maxwellian(const struct lv *L, const struct cr_field_sample *s, double e0,
                              struct cr_lv_result *res)
{
    const struct cr_liouville_inp *in = L->inp;
    double n = in->density > 0 ? in->density : s->D;
    double kt = in->temperature;
    if (!(kt > 0)) kt = s->D > 0 ? s->P * CR_NPA / (s->D * CR_CC) / CR_EV_J : 0.0;
    res->status = CR_LV_SOURCE;
    res->n0 = n;
    res->kt0 = kt;
    res->e0 = e0;
    res->f = cr_liouville_maxwellian(n, kt, e0, L->mc2);
}

/* f at the end of a trace that reached the source: the drifting Maxwellian of
 * the sample s (real field at the real time). Fills res. */
static void source_f(const struct lv *L, const struct cr_particle *pt, const struct cr_field_sample *s,
                     struct cr_lv_result *res)
{
    const struct cr_liouville_inp *in = L->inp;
    double upar, uperp;
    res->status = CR_LV_SOURCE;
    if (cr_push_kinematics(L->push, pt, &upar, &uperp, NULL, NULL, NULL) != CR_OK) {
        res->status = CR_LV_FAILED;
        return;
    }
    /* in the reversed frame u_par is along B~ = -B and v~ = -v, so u_par is
     * the real v . b; the E x B frame is the same up to the sign */
    double umag = sqrt(upar * upar + uperp * uperp);
    double gam = cr_push_gamma(L->push, umag);
    double vpar = upar / gam * CR_RE_KM, vperp = uperp / gam * CR_RE_KM; /* km/s */
    double upar_flow = 0.0;
    if (in->flow == CR_LV_FLOW_MHD) {
        double bm = sqrt(dot3(s->B, s->B));
        if (bm > 0) upar_flow = dot3(s->V, s->B) / bm; /* real V . b */
    }
    source_maxwellian(L, s, 0.5 * mev_per_kms2(L) * ((vpar - upar_flow) * (vpar - upar_flow) + vperp * vperp), res);
}

/* 1 when the field line through x at time t has both ends on the inner
 * boundary (closed: sheath-like plasma there is not the magnetosheath).
 * Loose tolerances: only where the ends go matters. */
static int closed_line(struct cr_fieldline *fl, double t, const double x[3])
{
    struct cr_fl_result r;
    if (!fl || cr_fieldline_trace(fl, t, x, &r, NULL) != CR_OK) return 0;
    return r.end[0].why == CR_FL_INNER && r.end[1].why == CR_FL_INNER;
}

/* f of a detector that sits in the source: the drifting Maxwellian of the
 * sample s at lab velocity v [km/s], the flow frame as source_f's (E x B
 * drift E x B / B^2, plus the MHD flow along B with flow = mhd). */
static void here_f(const struct lv *L, const struct cr_field_sample *s, const double v[3], struct cr_lv_result *res)
{
    const struct cr_liouville_inp *in = L->inp;
    double b2 = dot3(s->B, s->B), w[3];
    double ve[3] = {0, 0, 0}, upar = 0;
    if (b2 > 0) {
        /* E [mV/m] x B [nT] / B^2 [nT^2] = 1e-3 / 1e-9 m/s = 1e3 km/s */
        ve[0] = 1e3 * (s->E[1] * s->B[2] - s->E[2] * s->B[1]) / b2;
        ve[1] = 1e3 * (s->E[2] * s->B[0] - s->E[0] * s->B[2]) / b2;
        ve[2] = 1e3 * (s->E[0] * s->B[1] - s->E[1] * s->B[0]) / b2;
        if (in->flow == CR_LV_FLOW_MHD) upar = dot3(s->V, s->B) / sqrt(b2);
    }
    double bm = b2 > 0 ? sqrt(b2) : 1;
    for (int c = 0; c < 3; c++) w[c] = v[c] - ve[c] - (b2 > 0 ? upar * s->B[c] / bm : 0);
    source_maxwellian(L, s, 0.5 * mev_per_kms2(L) * dot3(w, w), res);
}

/* Test a particle of the reversed trace for the source at its current time;
 * sets res and returns 1 when it is in the source. *recheck [s, reversed
 * time] holds off the topology test after a closed verdict. */
static int check_source(const struct lv *L, struct cr_fieldline *fl, const struct cr_particle *pt,
                        struct cr_lv_result *res, int final, double *recheck)
{
    const struct cr_liouville_inp *in = L->inp;
    struct cr_field_sample s;
    struct cr_field_hint h = pt->hint;
    double t = -pt->t;
    if (cr_field_eval_hinted(L->f, t, pt->x, &h, &s) != CR_OK) return 0;
    if (in->source == CR_LV_SRC_SHEATH) {
        if (!is_sheath(L, &s)) return 0;
        if (recheck && pt->t < *recheck) return 0;
        if (closed_line(fl, t, pt->x)) {
            if (recheck) *recheck = pt->t + L->recheck_dt;
            return 0;
        }
        source_f(L, pt, &s, res);
        return 1;
    }
    /* release: only at the release time */
    if (!final) return 0;
    double r = sqrt(dot3(pt->x, pt->x));
    if (!in_box(in->box, pt->x) || r < in->r_exclude || s.inside) return 0;
    source_f(L, pt, &s, res);
    if (res->status == CR_LV_SOURCE && (res->e0 < in->e_min || (in->e_max > 0 && res->e0 > in->e_max))) res->f = 0.0;
    return 1;
}

/* What the stop test of one thread needs; pt->user points here while the
 * thread advances point i. */
struct hook_ctx {
    const struct lv *L;
    struct cr_fieldline *fl;
    struct cr_lv_result *res;
    double *recheck;
};

static int stop_hook(struct cr_particle *pt)
{
    const struct hook_ctx *h = pt->user;
    pt->next_check = pt->t + h->L->check_dt;
    return check_source(h->L, h->fl, pt, h->res, 0, h->recheck);
}

static void finish(const struct cr_particle *pt, struct cr_lv_result *res)
{
    res->t0 = -pt->t;
    memcpy(res->x0, pt->x, sizeof res->x0);
    res->steps = pt->nfo + pt->ngc;
}

struct order {
    double t;
    long i;
};

static int cmp_desc(const void *a, const void *b)
{
    const struct order *pa = a, *pb = b;
    return (pa->t < pb->t) - (pa->t > pb->t);
}

int cr_liouville_trace(const struct cr_liouville_inp *inp, const struct cr_lv_point *pts, long n,
                       struct cr_lv_result *res, struct cr_liouville_stats *stats)
{
    const struct cr_log *log = inp->log;
    memset(stats, 0, sizeof *stats);
    if (!inp->field || n < 0 || (n > 0 && (!pts || !res))) {
        cr_error(log, "liouville: nothing to trace (no field)");
        return CR_ECONFIG;
    }
    if (n == 0) return CR_OK;
    memset(res, 0, (size_t)n * sizeof *res);
    const struct cr_field *f = inp->field;
    const int tdep = f->t_max > f->t_min;
    struct lv L = {.inp = inp, .f = f};
    rev_init(&L.rf, f);
    L.fn = inp->density_factor > 0 ? inp->density_factor : 1.5;
    L.fv = inp->speed_factor > 0 ? inp->speed_factor : 0.9;
    const double r_c = inp->r_collect > 0 ? inp->r_collect : f->r_inner + 0.25;
    L.check_dt = inp->check_dt > 0 ? inp->check_dt : 0.5;
    L.recheck_dt = 10.0 * L.check_dt;
    L.beta_min = inp->beta_min;
    const double b_e = f->b_e > 0 ? f->b_e : 30000.0;
    if (inp->source == CR_LV_SRC_RELEASE && (!(inp->density > 0) || !(inp->temperature > 0))) {
        cr_error(log, "liouville: the release source needs a density and a temperature (particles.source_density, "
                      "particles.temperature)");
        return CR_ECONFIG;
    }

    /* starts at the collection sphere, latest first */
    struct start *st = cr_zalloc((size_t)n, sizeof *st);
    struct order *ord = cr_zalloc((size_t)n, sizeof *ord);
    struct cr_particle *parts = cr_zalloc((size_t)n, sizeof *parts);
    unsigned char *done = cr_zalloc((size_t)n, 1);
    double *recheck = cr_zalloc((size_t)n, sizeof *recheck);
    double *edges = NULL;
    struct cr_progress *prog = NULL;
    int rc = CR_OK;
    if (!st || !ord || !parts || !done || !recheck) {
        rc = CR_ENOMEM;
        goto out;
    }
    double t_hi = -HUGE_VAL, t_lo = HUGE_VAL;
    long nstart = 0, nout = 0;
    for (long i = 0; i < n; i++) {
        recheck[i] = -HUGE_VAL;
        map_up(b_e, r_c, &pts[i], &st[i]);
        if (st[i].status == CR_LV_ACTIVE && tdep && (st[i].t > f->t_max || st[i].t <= f->t_min)) {
            st[i].status = CR_LV_TIMEOUT; /* no fields at that time */
            nout++;
        }
        if (st[i].status != CR_LV_ACTIVE) {
            res[i].status = st[i].status;
            res[i].t0 = st[i].t;
            memcpy(res[i].x0, st[i].x, sizeof res[i].x0);
            done[i] = 1;
            continue;
        }
        ord[nstart].t = st[i].t;
        ord[nstart].i = i;
        nstart++;
        t_hi = CR_MAX(t_hi, st[i].t);
        double tl = inp->source == CR_LV_SRC_RELEASE ? inp->t_release : st[i].t - inp->max_time;
        t_lo = CR_MIN(t_lo, tl);
    }
    if (nout > 0)
        cr_warn(log, "liouville: %ld of %ld points are at times outside the MHD slices [%g, %g] s: no source (f = 0, "
                     "counted as timeout)", nout, n, f->t_min, f->t_max);
    qsort(ord, (size_t)nstart, sizeof *ord, cmp_desc);
    if (nstart == 0) goto tally;
    if (inp->source == CR_LV_SRC_RELEASE && !(inp->t_release < t_hi)) {
        cr_error(log, "liouville: the release time %g s is not before the detector times (up to %g s)",
                 inp->t_release, t_hi);
        rc = CR_ECONFIG;
        goto out;
    }
    if (tdep) t_lo = CR_MAX(t_lo, f->t_min);
    if (!(t_lo < t_hi)) t_lo = t_hi - 1.0;

    /* the upstream values of the sheath criteria */
    L.n_sw = inp->n_sw;
    L.v_sw = inp->v_sw;
    if (inp->mhd && (rc = cr_field_mhd_set_time(inp->mhd, t_hi))) goto out;
    if (inp->source == CR_LV_SRC_SHEATH && (L.n_sw <= 0 || L.v_sw <= 0)) {
        struct cr_field_sample s;
        if (cr_field_eval(f, t_hi, inp->probe, &s) != CR_OK || !(s.D > 0)) {
            cr_error(log, "liouville: the upstream probe (%g, %g, %g) R_E is outside the field or has no density: "
                          "give particles.sw_density and particles.sw_speed", inp->probe[0], inp->probe[1],
                     inp->probe[2]);
            rc = CR_ECONFIG;
            goto out;
        }
        if (L.n_sw <= 0) L.n_sw = s.D;
        if (L.v_sw <= 0) L.v_sw = sqrt(dot3(s.V, s.V));
    }
    stats->n_sw = L.n_sw;
    stats->v_sw = L.v_sw;

    struct cr_push_inp pi = inp->push;
    pi.field = &L.rf.base;
    pi.r_collect = f->r_inner; /* backward: reaching the inner boundary = from the ionosphere */
    pi.r_lost = inp->r_lost;
    pi.stop = inp->source == CR_LV_SRC_SHEATH ? stop_hook : NULL;
    pi.log = log;
    L.push = cr_push_new(&pi);
    if (!L.push) {
        rc = CR_ENOMEM;
        goto out;
    }
    double dummy;
    cr_push_constants(L.push, &dummy, &dummy, &dummy, &L.mc2);

    /* points that start in the source (opt-in): f is the source plasma's there */
    if (inp->start_check && inp->source == CR_LV_SRC_SHEATH) {
        struct cr_fieldline_inp fi = {.field = f, .eps_abs = 1e-4, .eps_rel = 1e-4, .h_max = 0.5, .max_length = 500,
                                      .log = log};
        struct cr_fieldline *fl0 = cr_fieldline_new(&fi);
        int have = 0, verdict = 0;
        double tp = 0, xp[3] = {0, 0, 0};
        struct cr_field_sample sp;
        for (long i = 0; i < n && fl0; i++) {
            if (done[i]) continue;
            if (!have || st[i].t != tp || memcmp(st[i].x, xp, sizeof xp)) {
                tp = st[i].t;
                memcpy(xp, st[i].x, sizeof xp);
                have = 1;
                if (inp->mhd && (rc = cr_field_mhd_set_time(inp->mhd, tp))) break;
                verdict = cr_field_eval(f, tp, xp, &sp) == CR_OK && !sp.inside && is_sheath(&L, &sp) &&
                          !closed_line(fl0, tp, xp);
            }
            if (!verdict) continue;
            here_f(&L, &sp, st[i].v, &res[i]);
            res[i].t0 = tp;
            memcpy(res[i].x0, xp, sizeof xp);
            done[i] = 1;
        }
        cr_fieldline_release(fl0);
        if (rc) goto out;
        long left = 0;
        for (long i = 0; i < n; i++) left += !done[i];
        if (left == 0) goto tally; /* every point sat in the source: no windows to walk */
    }

    /* windows in decreasing real time: the slice times, or equal windows */
    size_t nedge = 0;
    edges = cr_particles_window_edges(inp->mhd, t_hi, t_lo, inp->window, &nedge);
    if (!edges) {
        rc = CR_ENOMEM;
        goto out;
    }

    prog = cr_progress_new(&(struct cr_progress_inp){.label = "liouville", .total = (double)nstart,
                                                     .unit = "traces", .log = log, .force = inp->progress});
    double w0 = cr_wtime();
    long next = 0;
    int err = 0;
    for (size_t k = 0; k + 1 < nedge && !err; k++) {
        double b = edges[k], a = edges[k + 1]; /* real window [a, b], traced from b down to a */
        int lastw = k + 2 == nedge;
        if (inp->mhd && (rc = cr_field_mhd_set_time(inp->mhd, 0.5 * (a + b)))) break;
        long j0 = next;
        while (next < nstart && (ord[next].t > a || lastw)) next++;
        long j1 = next;
#pragma omp parallel
        {
            struct cr_push_work *w = cr_push_work_new(L.push);
            struct cr_fieldline *fl = NULL;
            if (inp->source == CR_LV_SRC_SHEATH) {
                struct cr_fieldline_inp fi = {.field = f, .eps_abs = 1e-4, .eps_rel = 1e-4, .h_max = 0.5,
                                              .max_length = 500, .log = log};
                fl = cr_fieldline_new(&fi);
                if (!fl) {
                    cr_push_work_release(w);
                    w = NULL;
                }
            }
            if (!w) {
#pragma omp atomic write
                err = 1;
            }
#pragma omp for schedule(dynamic, 4)
            for (long j = 0; j < j1; j++) {
                long i = ord[j].i;
                if (!w || done[i]) continue;
                struct cr_particle *pt = &parts[i];
                if (j >= j0) {
                    double t_stop = inp->source == CR_LV_SRC_RELEASE ? inp->t_release : st[i].t - inp->max_time;
                    double vr[3] = {-st[i].v[0], -st[i].v[1], -st[i].v[2]};
                    if (cr_push_start(L.push, w, pt, -st[i].t, st[i].x, vr, -t_stop, pts[i].stream) != CR_OK) {
                        res[i].status = CR_LV_FAILED;
                        finish(pt, &res[i]);
                        done[i] = 1;
                        continue;
                    }
                    pt->next_check = pt->t + L.check_dt;
                }
                /* advance in reversed time to -a; the stop test looks for the source every check_dt */
                struct hook_ctx hc = {.L = &L, .fl = fl, .res = &res[i], .recheck = &recheck[i]};
                pt->user = &hc;
                cr_push_advance(L.push, w, pt, -a);
                pt->user = NULL;
                if (pt->status == CR_PST_STOPPED && res[i].status == CR_LV_SOURCE) {
                    finish(pt, &res[i]);
                    done[i] = 1;
                    continue;
                }
                if (pt->status == CR_PST_ACTIVE && !lastw) continue;
                /* ended otherwise, while this window still holds its time */
                switch (pt->status) {
                case CR_PST_COLLECTED: res[i].status = CR_LV_INNER; break;
                case CR_PST_OUTFLOW: res[i].status = CR_LV_OUTFLOW; break;
                case CR_PST_FAILED:
                case CR_PST_STOPPED: /* stopped by the source test without a source f (kinematics failed) */
                    res[i].status = CR_LV_FAILED;
                    break;
                default:
                    res[i].status = CR_LV_TIMEOUT;
                    if (inp->source == CR_LV_SRC_RELEASE && fabs(-pt->t - inp->t_release) < 1e-6 &&
                        !check_source(&L, fl, pt, &res[i], 1, NULL))
                        res[i].status = CR_LV_TIMEOUT;
                    break;
                }
                finish(pt, &res[i]);
                done[i] = 1;
            }
            cr_push_work_release(w);
            cr_fieldline_release(fl);
        }
        if (err) {
            rc = CR_ENOMEM;
            break;
        }
        if (cr_progress_visible(prog)) {
            long nd = nstart - j1;
            for (long j = 0; j < j1; j++) nd += done[ord[j].i];
            char extra[64];
            snprintf(extra, sizeof extra, "t = %.0f s", a);
            cr_progress_update(prog, (double)nd, extra);
        }
    }
    stats->wall = cr_wtime() - w0;
    if (rc) goto out;
    for (long j = 0; j < nstart; j++) {
        long i = ord[j].i;
        if (!done[i]) { /* never reached by a window */
            res[i].status = CR_LV_TIMEOUT;
            finish(&parts[i], &res[i]);
        }
        if (res[i].status >= 0 && res[i].status <= CR_LV_BELOW)
            stats->steps_by_status[res[i].status] += parts[i].nfo + parts[i].ngc;
        stats->steps_fo += parts[i].nfo;
        stats->steps_gc += parts[i].ngc;
        stats->switches += parts[i].nswitch;
    }
tally:
    for (long i = 0; i < n; i++) {
        if (res[i].status != CR_LV_SOURCE) res[i].f = 0.0;
        if (res[i].status >= 0 && res[i].status <= CR_LV_BELOW) stats->n_status[res[i].status]++;
    }
out:
    cr_progress_release(prog);
    cr_push_release(L.push);
    free(edges);
    free(done);
    free(recheck);
    free(parts);
    free(ord);
    free(st);
    return rc;
}
