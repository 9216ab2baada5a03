/* cr_fieldline.c — field-line tracing in arc length with GSL's adaptive
 * Runge-Kutta integrators (see cr_fieldline.h for the method and the stop
 * conditions). */
#include "cr_fieldline.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"

/* Why the right-hand side refused a point. */
enum { RHS_OK = 0, RHS_OUTSIDE = 1, RHS_NULL = 2, RHS_NONFINITE = 3 };

/* The parameters of the ODE system: one traced line at a time, so the
 * field-location hint here follows that line (reset where each direction
 * of a line starts, so a line's result does not depend on the lines the
 * tracer traced before it, nor on the thread). */
struct rhs_ctx {
    const struct cr_field *f;
    struct cr_field_hint hint;
    double t;
    double sigma;
    double b_null;
    int flag;
    long evals;
};

struct cr_fieldline {
    struct cr_fieldline_inp p;
    gsl_odeiv2_step *step;
    gsl_odeiv2_control *ctrl;
    gsl_odeiv2_evolve *evo;
    struct rhs_ctx ctx;
    gsl_odeiv2_system sys;
    struct cr_fl_path half[2]; /* scratch: one direction each */
};

const char *cr_fl_stop_name(enum cr_fl_stop why)
{
    switch (why) {
    case CR_FL_NONE: return "none";
    case CR_FL_INNER: return "inner";
    case CR_FL_OUTER: return "outer";
    case CR_FL_NULL: return "null";
    case CR_FL_MAXLEN: return "max_length";
    case CR_FL_MAXSTEPS: return "max_steps";
    case CR_FL_FAILED: return "failed";
    }
    return "unknown";
}

static int rhs(double s, const double y[], double dyds[], void *params)
{
    (void)s;
    struct rhs_ctx *c = params;
    struct cr_field_sample smp;
    c->evals++;
    if (cr_field_eval_hinted(c->f, c->t, y, &c->hint, &smp) != CR_OK) {
        c->flag = RHS_OUTSIDE;
        return GSL_EBADFUNC;
    }
    double b = sqrt(smp.B[0] * smp.B[0] + smp.B[1] * smp.B[1] + smp.B[2] * smp.B[2]);
    if (!isfinite(b)) {
        c->flag = RHS_NONFINITE;
        return GSL_EBADFUNC;
    }
    if (b < c->b_null) {
        c->flag = RHS_NULL;
        return GSL_EBADFUNC;
    }
    double k = c->sigma / b;
    dyds[0] = k * smp.B[0];
    dyds[1] = k * smp.B[1];
    dyds[2] = k * smp.B[2];
    return GSL_SUCCESS;
}

/* |B| at x; negative when it cannot be evaluated. */
static double bmag_at(struct rhs_ctx *c, const double x[3])
{
    struct cr_field_sample smp;
    if (cr_field_eval_hinted(c->f, c->t, x, &c->hint, &smp) != CR_OK) return -1.0;
    return sqrt(smp.B[0] * smp.B[0] + smp.B[1] * smp.B[1] + smp.B[2] * smp.B[2]);
}

struct cr_fieldline *cr_fieldline_new(const struct cr_fieldline_inp *inp)
{
    const struct cr_log *log = inp ? inp->log : NULL;
    if (!inp || !inp->field) {
        cr_error(log, "fieldline: no field source given");
        return NULL;
    }
    struct cr_fieldline_inp p = *inp;
    if (p.r_inner == 0) p.r_inner = p.field->r_inner;
    if (p.r_outer == 0) p.r_outer = p.field->r_outer > 0 ? p.field->r_outer : 100.0;
    if (p.b_null == 0) p.b_null = 1e-3;
    if (p.max_length == 0) p.max_length = 2000.0;
    if (p.max_steps == 0) p.max_steps = 100000;
    if (p.eps_abs == 0) p.eps_abs = 1e-8;
    if (p.eps_rel == 0) p.eps_rel = 1e-8;
    if (p.h_max == 0) p.h_max = 1.0;
    if (p.h_init == 0) p.h_init = 1e-2;
    if (!(p.r_inner >= 0) || !(p.r_outer > p.r_inner) || !(p.b_null > 0) || !(p.max_length > 0) ||
        p.max_steps < 1 || !(p.eps_abs > 0) || !(p.eps_rel >= 0) || !(p.h_max > 0) || !(p.h_init > 0)) {
        cr_error(log,
                 "fieldline: bad parameters (need 0 <= r_inner < r_outer, b_null > 0, max_length > 0, "
                 "max_steps >= 1, eps_abs > 0, h_max > 0; got r_inner=%g r_outer=%g b_null=%g max_length=%g "
                 "max_steps=%ld eps_abs=%g h_max=%g)",
                 p.r_inner, p.r_outer, p.b_null, p.max_length, p.max_steps, p.eps_abs, p.h_max);
        return NULL;
    }
    /* Every GSL status is checked here; the CLI turns GSL's aborting error
     * handler off once (a process-wide setting, not touched from threads). */
    const gsl_odeiv2_step_type *type = gsl_odeiv2_step_rk8pd;
    if (p.stepper == CR_FL_RKF45) type = gsl_odeiv2_step_rkf45;
    else if (p.stepper == CR_FL_RKCK) type = gsl_odeiv2_step_rkck;
    struct cr_fieldline *fl = cr_zalloc(1, sizeof *fl);
    if (!fl) return NULL;
    fl->p = p;
    fl->step = gsl_odeiv2_step_alloc(type, 3);
    fl->ctrl = gsl_odeiv2_control_standard_new(p.eps_abs, p.eps_rel, 1.0, 0.0);
    fl->evo = gsl_odeiv2_evolve_alloc(3);
    if (!fl->step || !fl->ctrl || !fl->evo) {
        cr_error(log, "fieldline: out of memory for the GSL integrator");
        cr_fieldline_release(fl);
        return NULL;
    }
    fl->ctx.f = p.field;
    fl->ctx.b_null = p.b_null;
    fl->sys.function = rhs;
    fl->sys.jacobian = NULL;
    fl->sys.dimension = 3;
    fl->sys.params = &fl->ctx;
    return fl;
}

void cr_fieldline_release(struct cr_fieldline *fl)
{
    if (!fl) return;
    if (fl->step) gsl_odeiv2_step_free(fl->step);
    if (fl->ctrl) gsl_odeiv2_control_free(fl->ctrl);
    if (fl->evo) gsl_odeiv2_evolve_free(fl->evo);
    cr_fl_path_free(&fl->half[0]);
    cr_fl_path_free(&fl->half[1]);
    free(fl);
}

const struct cr_fieldline_inp *cr_fieldline_params(const struct cr_fieldline *fl) { return &fl->p; }

void cr_fl_path_free(struct cr_fl_path *path)
{
    if (!path) return;
    free(path->x);
    free(path->s);
    free(path->bmag);
    memset(path, 0, sizeof *path);
}

static int path_push(struct cr_fl_path *p, const double x[3], double s, double b)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        double *nx = realloc(p->x, 3 * cap * sizeof *nx);
        if (!nx) return CR_ENOMEM;
        p->x = nx;
        double *ns = realloc(p->s, cap * sizeof *ns);
        if (!ns) return CR_ENOMEM;
        p->s = ns;
        double *nb = realloc(p->bmag, cap * sizeof *nb);
        if (!nb) return CR_ENOMEM;
        p->bmag = nb;
        p->cap = cap;
    }
    memcpy(p->x + 3 * p->n, x, 3 * sizeof *x);
    p->s[p->n] = s;
    p->bmag[p->n] = b;
    p->n++;
    return CR_OK;
}

/* One explicit Runge-Kutta step of length h from y0 (no error control: h is
 * never longer than a step the control accepted). CR_OK or CR_EDOMAIN. */
static int single_step(struct cr_fieldline *fl, const double y0[3], double h, double y[3])
{
    double yerr[3];
    memcpy(y, y0, 3 * sizeof *y);
    gsl_odeiv2_step_reset(fl->step);
    fl->ctx.flag = RHS_OK;
    int st = gsl_odeiv2_step_apply(fl->step, 0.0, h, y, yerr, NULL, NULL, &fl->sys);
    return st == GSL_SUCCESS ? CR_OK : CR_EDOMAIN;
}

static double radius(const double x[3]) { return sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]); }

/* Crossing functions located by refine(): g changes sign within the step. */
enum { G_SPHERE = 0, G_EQUATOR = 1 };

static double gfun(int kind, double r_in, const double x[3])
{
    return kind == G_SPHERE ? radius(x) - r_in : x[2];
}

/* Locate g(y(h)) = 0 for h in [0, hstep] (g(y0), g(y1) of opposite signs or
 * zero) by the Illinois variant of regula falsi, each trial a single RK step
 * from y0. Writes the point and its h. */
static void refine(struct cr_fieldline *fl, int kind, const double y0[3], const double y1[3], double hstep,
                   double xout[3], double *hout)
{
    double r_in = fl->p.r_inner;
    double ha = 0.0, ga = gfun(kind, r_in, y0);
    double hb = hstep, gb = gfun(kind, r_in, y1);
    double yb[3], yc[3];
    memcpy(yb, y1, sizeof yb);
    if (ga == 0.0 || (kind == G_SPHERE && ga < 0.0)) { /* started on (or at round-off below) the sphere */
        memcpy(xout, y0, 3 * sizeof *xout);
        *hout = 0.0;
        return;
    }
    int side = 0;
    for (int it = 0; it < 60 && gb != 0.0; it++) {
        double hc = (ha * gb - hb * ga) / (gb - ga);
        if (!(hc > fmin(ha, hb) && hc < fmax(ha, hb))) hc = 0.5 * (ha + hb);
        if (single_step(fl, y0, hc, yc) != CR_OK) break; /* keep the bracket end found so far */
        double gc = gfun(kind, r_in, yc);
        if ((gc > 0) == (gb > 0)) {
            hb = hc;
            gb = gc;
            memcpy(yb, yc, sizeof yb);
            if (side == -1) ga *= 0.5;
            side = -1;
        } else {
            ha = hc;
            ga = gc;
            if (side == 1) gb *= 0.5;
            side = 1;
        }
        /* converged: |g| at round-off (1e-13 R_E) or the bracket cannot shrink */
        if (fabs(gc) < 1e-13 || fabs(hb - ha) <= 1e-15 * (1.0 + fabs(hstep))) {
            memcpy(yb, yc, sizeof yb);
            hb = hc;
            break;
        }
    }
    memcpy(xout, yb, 3 * sizeof *xout);
    *hout = hb;
}

/* Bookkeeping for CR_FL_TO_BMIN and CR_FL_TO_EQUATOR while integrating. */
struct track {
    enum cr_fl_target target;
    int active;
    /* BMIN: accepted points around the smallest |B| */
    double s[3], y[3][3], b[3];
    int have_next, found;
    int frozen; /* BMIN_FIRST: |B| rose well above the minimum: it is kept */
    /* EQUATOR */
    double xe[3], se;
};

static void track_bmin(struct track *tr, double s_prev, const double y_prev[3], double b_prev, double s,
                       const double y[3], double b)
{
    if (tr->have_next == 0 && tr->found) { /* the point after the current minimum */
        tr->s[2] = s;
        memcpy(tr->y[2], y, sizeof tr->y[2]);
        tr->b[2] = b;
        tr->have_next = 1;
    }
    if (tr->frozen) return;
    if (tr->target == CR_FL_TO_BMIN_FIRST && tr->found && tr->have_next && b > CR_FL_FIRST_RISE * tr->b[1]) {
        tr->frozen = 1;
        return;
    }
    if (!tr->found || b < tr->b[1]) {
        tr->found = 1;
        tr->s[0] = s_prev;
        memcpy(tr->y[0], y_prev, sizeof tr->y[0]);
        tr->b[0] = b_prev;
        tr->s[1] = s;
        memcpy(tr->y[1], y, sizeof tr->y[1]);
        tr->b[1] = b;
        tr->have_next = 0;
    }
}

/* Integrate one direction from x0. Fills end; appends points to path (when
 * not NULL) with arc lengths from x0; feeds tr (may be NULL; for the equator
 * target the integration stops at the crossing). */
static int integrate(struct cr_fieldline *fl, double t, const double x0[3], int sigma, struct cr_fl_end *end,
                     struct cr_fl_path *path, struct track *tr)
{
    const struct cr_fieldline_inp *p = &fl->p;
    memset(end, 0, sizeof *end);
    fl->ctx.t = t;
    fl->ctx.sigma = sigma >= 0 ? 1.0 : -1.0;
    cr_field_hint_reset(&fl->ctx.hint);
    double b0 = bmag_at(&fl->ctx, x0);
    fl->ctx.evals++;
    if (!(b0 >= 0) || !isfinite(b0)) return CR_EDOMAIN;
    if (b0 < p->b_null) return CR_EDOMAIN;
    int need_b = path != NULL || (tr && tr->target != CR_FL_TO_EQUATOR);
    if (path && path_push(path, x0, 0.0, b0)) return CR_ENOMEM;
    if (tr && tr->target != CR_FL_TO_EQUATOR) track_bmin(tr, 0.0, x0, b0, 0.0, x0, b0);
    gsl_odeiv2_evolve_reset(fl->evo);
    gsl_odeiv2_step_reset(fl->step);
    double y[3] = {x0[0], x0[1], x0[2]}, yp[3];
    double s = 0.0, h = p->h_init, b = b0, bp;
    const double h_floor = 1e-7; /* [R_E] steps shorter than this cannot approach an edge further */
    long steps = 0;
    for (;;) {
        if (steps >= p->max_steps) {
            end->why = CR_FL_MAXSTEPS;
            break;
        }
        if (s >= p->max_length) {
            end->why = CR_FL_MAXLEN;
            break;
        }
        memcpy(yp, y, sizeof yp);
        double sp = s;
        bp = b;
        if (h > p->h_max) h = p->h_max;
        fl->ctx.flag = RHS_OK;
        int st = gsl_odeiv2_evolve_apply(fl->evo, fl->ctrl, fl->step, &fl->sys, &s, p->max_length, &h, y);
        if (st != GSL_SUCCESS) {
            int flag = fl->ctx.flag;
            memcpy(y, yp, sizeof y);
            s = sp;
            gsl_odeiv2_evolve_reset(fl->evo);
            gsl_odeiv2_step_reset(fl->step);
            if ((flag == RHS_OUTSIDE || flag == RHS_NULL) && h > h_floor) {
                h *= 0.25; /* approach the domain edge / the null with shorter steps */
                continue;
            }
            end->why = flag == RHS_OUTSIDE ? CR_FL_OUTER : flag == RHS_NULL ? CR_FL_NULL : CR_FL_FAILED;
            break;
        }
        steps++;
        double r = radius(y);
        if (r < p->r_inner) {
            double hc, xc[3];
            refine(fl, G_SPHERE, yp, y, s - sp, xc, &hc);
            memcpy(y, xc, sizeof y);
            s = sp + hc;
            b = need_b ? bmag_at(&fl->ctx, y) : 0.0;
            if (path && path_push(path, y, s, b)) return CR_ENOMEM;
            if (tr && tr->target != CR_FL_TO_EQUATOR) track_bmin(tr, sp, yp, bp, s, y, b);
            end->why = CR_FL_INNER;
            break;
        }
        if (tr && tr->target == CR_FL_TO_EQUATOR && ((yp[2] > 0 && y[2] <= 0) || (yp[2] < 0 && y[2] >= 0))) {
            double hc;
            refine(fl, G_EQUATOR, yp, y, s - sp, tr->xe, &hc);
            tr->se = sp + hc;
            tr->found = 1;
            end->why = CR_FL_NONE; /* stopped at the target */
            memcpy(y, tr->xe, sizeof y);
            s = tr->se;
            break;
        }
        b = need_b ? bmag_at(&fl->ctx, y) : 0.0;
        if (need_b && !(b >= 0)) b = 0.0;
        if (path && path_push(path, y, s, b)) return CR_ENOMEM;
        if (tr && tr->target != CR_FL_TO_EQUATOR) track_bmin(tr, sp, yp, bp, s, y, b);
        if (tr && tr->frozen) break; /* the first minimum is behind: no need to go on */
        if (r >= p->r_outer) {
            end->why = CR_FL_OUTER;
            break;
        }
    }
    memcpy(end->x, y, sizeof end->x);
    end->length = s;
    end->steps = steps;
    return CR_OK;
}

int cr_fieldline_trace_dir(struct cr_fieldline *fl, double t, const double x0[3], int sigma, struct cr_fl_end *end,
                           struct cr_fl_path *path)
{
    if (path) path->n = 0;
    return integrate(fl, t, x0, sigma >= 0 ? 1 : -1, end, path, NULL);
}

int cr_fieldline_trace(struct cr_fieldline *fl, double t, const double x0[3], struct cr_fl_result *res,
                       struct cr_fl_path *path)
{
    memset(res, 0, sizeof *res);
    fl->ctx.evals = 0;
    struct cr_fl_path *h0 = path ? &fl->half[0] : NULL, *h1 = path ? &fl->half[1] : NULL;
    if (h0) h0->n = h1->n = 0;
    int rc = integrate(fl, t, x0, -1, &res->end[0], h0, NULL);
    if (rc == CR_OK) rc = integrate(fl, t, x0, +1, &res->end[1], h1, NULL);
    res->evals = fl->ctx.evals;
    if (rc) return rc;
    res->length = res->end[0].length + res->end[1].length;
    if (path) {
        path->n = 0;
        double l0 = res->end[0].length;
        for (size_t m = h0->n; m-- > 0;)
            if (path_push(path, h0->x + 3 * m, l0 - h0->s[m], h0->bmag[m])) return CR_ENOMEM;
        for (size_t m = 1; m < h1->n; m++)
            if (path_push(path, h1->x + 3 * m, l0 + h1->s[m], h1->bmag[m])) return CR_ENOMEM;
    }
    return CR_OK;
}

int cr_fieldline_length_to(struct cr_fieldline *fl, double t, const double x0[3], int sigma,
                           enum cr_fl_target target, struct cr_fl_target_info *out)
{
    memset(out, 0, sizeof *out);
    if (sigma == 0) {
        struct cr_field_sample smp;
        if (cr_field_eval(fl->p.field, t, x0, &smp) != CR_OK) return CR_EDOMAIN;
        double br = smp.B[0] * x0[0] + smp.B[1] * x0[1] + smp.B[2] * x0[2];
        sigma = br >= 0 ? 1 : -1;
    }
    struct track tr;
    memset(&tr, 0, sizeof tr);
    tr.target = target;
    tr.active = 1;
    int rc = integrate(fl, t, x0, sigma, &out->end, NULL, &tr);
    out->sigma = sigma;
    if (rc) return rc;
    if (target == CR_FL_TO_EQUATOR) {
        if (!tr.found) return CR_EDOMAIN;
        out->length = tr.se;
        memcpy(out->x, tr.xe, sizeof out->x);
        out->bmag = bmag_at(&fl->ctx, out->x);
        return CR_OK;
    }
    if (!tr.found) return CR_EDOMAIN;
    /* the minimum is at an accepted point; refine by a parabola through its
     * neighbours when both exist */
    double sm = tr.s[1];
    double xm[3];
    memcpy(xm, tr.y[1], sizeof xm);
    double bm = tr.b[1];
    if (tr.have_next && tr.s[1] > tr.s[0] && tr.s[2] > tr.s[1]) {
        double s0 = tr.s[0], s1 = tr.s[1], s2 = tr.s[2];
        double d01 = (tr.b[1] - tr.b[0]) / (s1 - s0), d12 = (tr.b[2] - tr.b[1]) / (s2 - s1);
        double curv = (d12 - d01) / (s2 - s0); /* half the second derivative */
        if (curv > 0) {
            /* vertex of b(s) = b1 + d (s - s1) + curv (s - s1)^2 with d the slope at s1 */
            double d1 = d01 + curv * (s1 - s0);
            double sv = s1 - d1 / (2.0 * curv);
            if (sv > s0 && sv < s2 && sv != s1) {
                double xv[3];
                int ok = sv > s1 ? single_step(fl, tr.y[1], sv - s1, xv)
                                 : single_step(fl, tr.y[0], sv - s0, xv);
                if (ok == CR_OK) {
                    double bv = bmag_at(&fl->ctx, xv);
                    if (bv >= 0 && bv <= bm) {
                        sm = sv;
                        memcpy(xm, xv, sizeof xm);
                        bm = bv;
                    }
                }
            }
        }
    }
    out->length = sm;
    memcpy(out->x, xm, sizeof out->x);
    out->bmag = bm;
    return CR_OK;
}
