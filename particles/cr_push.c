/* cr_push.c — relativistic Boris full orbit, relativistic guiding centre
 * (GSL adaptive Runge-Kutta) and the hand-over between them. Equations and
 * citations in cr_push.h and README.md. */
#include "cr_push.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

struct cr_push {
    struct cr_push_inp inp; /* with defaults filled in */
    double wb;       /* Omega per nT: q/m * 1e-9 [rad/s/nT] */
    double ae;       /* acceleration per mV/m: q/m * 1e-3 / R_E [R_E/s^2] */
    double exb;      /* E x B / B^2 factor ae/wb [R_E/s per (mV/m)/nT] */
    double c;        /* speed of light [R_E/s] */
    double c2inv;    /* 1/c^2 */
    double mc2_ev;   /* rest energy [eV] */
    double u_floor;  /* momentum per mass of a 1 eV particle (E-limit floor) [R_E/s] */
    double rc2, rl2; /* squared collection / lost radii (0 = none) */
    int check_every; /* FO steps between adiabaticity checks */
    int time_dep;    /* field depends on time (db/dt term) */
};

struct gc_params {
    const struct cr_push *p;
    struct cr_field_hint *hint; /* the particle's field-location hint */
    double M;        /* magnetic moment per mass [(R_E/s)^2/nT] */
    double t_lo, t_hi; /* times the field may be evaluated at (the current window) [s] */
    int domain;      /* set when a field evaluation left the domain */
};

struct cr_push_work {
    gsl_odeiv2_step *step;
    gsl_odeiv2_control *ctl;
    gsl_odeiv2_evolve *ev;
    gsl_rng *rng;
    struct gc_params prm;
    gsl_odeiv2_system sys;
};

const char *cr_pstatus_name(int status)
{
    switch (status) {
    case CR_PST_ACTIVE: return "active";
    case CR_PST_COLLECTED: return "collected";
    case CR_PST_MIRRORED: return "mirrored";
    case CR_PST_OUTFLOW: return "outflow";
    case CR_PST_TIMEOUT: return "timeout";
    case CR_PST_FAILED: return "failed";
    default: return "unknown";
    }
}

/* ---- small vector helpers (arrays) --------------------------------------- */
static inline double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
static inline void cross3(const double *a, const double *b, double *c)
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

/* ---- constants ----------------------------------------------------------- */
struct cr_push *cr_push_new(const struct cr_push_inp *inp)
{
    if (!inp || !inp->field) {
        cr_error(inp ? inp->log : NULL, "particles: pusher needs a field source");
        return NULL;
    }
    struct cr_push *p = cr_zalloc(1, sizeof *p);
    if (!p) return NULL;
    /* GSL failures (integrator, quadrature) come back as status codes; the
     * default handler would abort the program (library code never aborts) */
    gsl_set_error_handler_off();
    p->inp = *inp;
    struct cr_push_inp *q = &p->inp;
    if (q->charge == 0) q->charge = 1.0;
    if (q->mass <= 0) q->mass = CR_MP;
    if (q->fo_dt_gyro <= 0) q->fo_dt_gyro = 0.05;
    if (q->fo_dt_electric <= 0) q->fo_dt_electric = 0.5;
    if (q->threshold <= 0) q->threshold = 0.05;
    if (q->hysteresis <= 0 || q->hysteresis > 1) q->hysteresis = 0.5;
    if (q->gc_rtol <= 0) q->gc_rtol = 1e-8;
    if (q->gc_atol <= 0) q->gc_atol = 1e-9;
    if (q->gc_ds_max <= 0) q->gc_ds_max = 0.1;
    if (q->fd_step <= 0) q->fd_step = 1e-3;
    if (q->max_steps <= 0) q->max_steps = 1000000000L;
    double qm = q->charge * CR_QE / q->mass;
    p->wb = qm * CR_NT;
    p->ae = qm * 1e-3 / CR_RE_M;
    p->exb = p->ae / p->wb;
    p->c = CR_C / CR_RE_M;
    p->c2inv = 1.0 / (p->c * p->c);
    p->mc2_ev = q->mass * CR_C * CR_C / CR_EV_J;
    p->rc2 = q->r_collect > 0 ? q->r_collect * q->r_collect : 0.0;
    p->rl2 = q->r_lost > 0 ? q->r_lost * q->r_lost : 0.0;
    p->check_every = (int)ceil(1.0 / q->fo_dt_gyro);
    if (p->check_every < 1) p->check_every = 1;
    p->time_dep = inp->field->t_max > inp->field->t_min;
    p->u_floor = cr_push_umag_of_energy(p, 1.0);
    return p;
}

void cr_push_release(struct cr_push *p) { free(p); }

void cr_push_constants(const struct cr_push *p, double *omega_per_nt, double *accel_per_mvm, double *c_re,
                       double *mc2_ev)
{
    if (omega_per_nt) *omega_per_nt = p->wb;
    if (accel_per_mvm) *accel_per_mvm = p->ae;
    if (c_re) *c_re = p->c;
    if (mc2_ev) *mc2_ev = p->mc2_ev;
}

double cr_push_gamma(const struct cr_push *p, double umag) { return sqrt(1.0 + umag * umag * p->c2inv); }

double cr_push_energy_ev(const struct cr_push *p, double umag)
{
    /* (gamma - 1) m c^2 written without cancellation: u^2/c^2 / (gamma + 1) */
    double x = umag * umag * p->c2inv;
    return p->mc2_ev * x / (sqrt(1.0 + x) + 1.0);
}

double cr_push_umag_of_energy(const struct cr_push *p, double energy_ev)
{
    /* gamma = 1 + K/mc^2, u = c sqrt(gamma^2 - 1) = c sqrt(k (k + 2)), k = K/mc^2 */
    double k = energy_ev / p->mc2_ev;
    return p->c * sqrt(k * (k + 2.0));
}

/* ---- field geometry: B, E, gradients by central differences --------------- */
struct geom {
    double B[3], E[3], b[3], bmag;
    double gradB[3]; /* grad |B| [nT/R_E] */
    double curlb[3]; /* curl b [1/R_E] */
    double kappa[3]; /* (b.grad) b [1/R_E] */
    double dbdt[3];  /* db/dt [1/s] */
};

/* Field at (t, x), located from the particle's hint (may be NULL). */
static int eval_b(const struct cr_push *p, struct cr_field_hint *hint, double t, const double x[3],
                  struct cr_field_sample *s)
{
    int rc = cr_field_eval_hinted(p->inp.field, t, x, hint, s);
    if (rc) return rc;
    if (!isfinite(s->B[0] + s->B[1] + s->B[2] + s->E[0] + s->E[1] + s->E[2])) return CR_ENUMERIC;
    return CR_OK;
}

/* need_dt: also db/dt, by central differences in time within [t_lo, t_hi]
 * (the time window the field is valid in). hint (may be NULL): the
 * particle's; the neighbouring points of the differences are located from
 * a copy of it at x, so it ends at x. */
static int field_geom(const struct cr_push *p, struct cr_field_hint *hint, double t, const double x[3],
                      struct geom *g, int need_dt, double t_lo, double t_hi)
{
    struct cr_field_sample s;
    int rc = eval_b(p, hint, t, x, &s);
    if (rc) return rc;
    memcpy(g->B, s.B, sizeof g->B);
    memcpy(g->E, s.E, sizeof g->E);
    g->bmag = sqrt(dot3(g->B, g->B));
    if (!(g->bmag > 0)) return CR_EDOMAIN;
    for (int c = 0; c < 3; c++) g->b[c] = g->B[c] / g->bmag;
    /* dB[j][i] = dB_i / dx_j, central differences */
    const double h = p->inp.fd_step;
    double dB[3][3];
    for (int j = 0; j < 3; j++) {
        double xp[3] = {x[0], x[1], x[2]}, xm[3] = {x[0], x[1], x[2]};
        xp[j] += h;
        xm[j] -= h;
        struct cr_field_sample sp, sm;
        struct cr_field_hint hp, hm, *php = NULL, *phm = NULL;
        if (hint) {
            hp = hm = *hint;
            php = &hp;
            phm = &hm;
        }
        rc = eval_b(p, php, t, xp, &sp);
        if (!rc) rc = eval_b(p, phm, t, xm, &sm);
        if (rc) return rc;
        for (int i = 0; i < 3; i++) dB[j][i] = (sp.B[i] - sm.B[i]) / (2.0 * h);
    }
    double bgB[3]; /* (b.grad) B */
    for (int i = 0; i < 3; i++) {
        g->gradB[i] = g->b[0] * dB[i][0] + g->b[1] * dB[i][1] + g->b[2] * dB[i][2];
        bgB[i] = g->b[0] * dB[0][i] + g->b[1] * dB[1][i] + g->b[2] * dB[2][i];
    }
    double curlB[3] = {dB[1][2] - dB[2][1], dB[2][0] - dB[0][2], dB[0][1] - dB[1][0]};
    double bxg[3];
    cross3(g->b, g->gradB, bxg);
    double bdg = dot3(g->b, g->gradB);
    for (int i = 0; i < 3; i++) {
        /* curl b = (curl B + b x grad B) / B;  (b.grad) b = ((b.grad) B - b (b.grad B)) / B */
        g->curlb[i] = (curlB[i] + bxg[i]) / g->bmag;
        g->kappa[i] = (bgB[i] - g->b[i] * bdg) / g->bmag;
        g->dbdt[i] = 0.0;
    }
    if (need_dt) {
        double dt = 1e-2;
        double t1 = CR_MIN(t + dt, t_hi), t0 = CR_MAX(t - dt, t_lo);
        if (t1 > t0) {
            struct cr_field_sample s1, s0;
            rc = eval_b(p, hint, t1, x, &s1);
            if (!rc) rc = eval_b(p, hint, t0, x, &s0);
            if (rc) return rc;
            double m1 = sqrt(dot3(s1.B, s1.B)), m0 = sqrt(dot3(s0.B, s0.B));
            if (m1 > 0 && m0 > 0)
                for (int i = 0; i < 3; i++) g->dbdt[i] = (s1.B[i] / m1 - s0.B[i] / m0) / (t1 - t0);
        }
    }
    return CR_OK;
}

static double eps_of_geom(const struct cr_push *p, const struct geom *g, double umag, double *scale)
{
    double gb = sqrt(dot3(g->gradB, g->gradB));
    double kap = sqrt(dot3(g->kappa, g->kappa));
    double inv_l = CR_MAX(gb / g->bmag, kap); /* 1/L_B = max(|grad B|/B, 1/R_c) */
    if (scale) *scale = inv_l > 0 ? 1.0 / inv_l : HUGE_VAL;
    double rho = umag / (p->wb * g->bmag);
    return rho * inv_l;
}

static int adiabaticity(const struct cr_push *p, struct cr_field_hint *hint, double t, const double x[3],
                        double umag, double *eps, double *scale)
{
    struct geom g;
    int rc = field_geom(p, hint, t, x, &g, 0, t, t);
    if (rc) return rc;
    *eps = eps_of_geom(p, &g, umag, scale);
    return CR_OK;
}

int cr_push_adiabaticity(const struct cr_push *p, double t, const double x[3], double umag, double *eps,
                         double *scale)
{
    return adiabaticity(p, NULL, t, x, umag, eps, scale);
}

/* A unit vector perpendicular to b: e1 = unit(b x z), or unit(b x x) when b is
 * (nearly) along z; e2 = b x e1. */
static void perp_basis(const double b[3], double e1[3], double e2[3])
{
    const double z[3] = {0, 0, 1}, xh[3] = {1, 0, 0};
    cross3(b, fabs(b[2]) < 0.9 ? z : xh, e1);
    double n = sqrt(dot3(e1, e1));
    for (int c = 0; c < 3; c++) e1[c] /= n;
    cross3(b, e1, e2);
}

/* ---- hand-over ----------------------------------------------------------- */
/* FO -> GC. mbar > 0: use this (gyro-averaged) magnetic moment and set the
 * parallel momentum from energy conservation in the E x B frame; otherwise
 * the instantaneous first-order values. */
static int to_gc(const struct cr_push *p, struct cr_particle *pt, double mbar)
{
    if (pt->mode == CR_PMODE_GC) return CR_OK;
    struct cr_field_sample s;
    int rc = eval_b(p, &pt->hint, pt->t, pt->x, &s);
    if (rc) return rc;
    double bm = sqrt(dot3(s.B, s.B));
    if (!(bm > 0)) return CR_EDOMAIN;
    double b[3] = {s.B[0] / bm, s.B[1] / bm, s.B[2] / bm};
    double exb[3];
    cross3(s.E, s.B, exb);
    double gam = cr_push_gamma(p, sqrt(dot3(pt->u, pt->u)));
    double upar = dot3(pt->u, b);
    double w[3];
    for (int c = 0; c < 3; c++) w[c] = pt->u[c] - gam * p->exb * exb[c] / (bm * bm) - upar * b[c];
    double bxw[3];
    cross3(b, w, bxw);
    double X[3];
    for (int c = 0; c < 3; c++) X[c] = pt->x[c] - bxw[c] / (p->wb * bm);
    struct cr_field_sample sx;
    rc = eval_b(p, &pt->hint, pt->t, X, &sx);
    if (rc) return rc;
    double bx = sqrt(dot3(sx.B, sx.B));
    if (!(bx > 0)) return CR_EDOMAIN;
    double w2 = dot3(w, w);
    double M = w2 / (2.0 * bx);
    if (mbar > 0) {
        double up2 = upar * upar + w2 - 2.0 * mbar * bx;
        M = mbar;
        upar = up2 > 0 ? copysign(sqrt(up2), upar) : 0.0;
    }
    memcpy(pt->x, X, sizeof X);
    pt->u[0] = upar;
    pt->u[1] = M;
    pt->u[2] = 0.0;
    pt->bmag = bx;
    pt->h = 0.0;
    pt->mode = CR_PMODE_GC;
    pt->since_check = 0;
    return CR_OK;
}

int cr_push_to_gc(const struct cr_push *p, struct cr_particle *pt) { return to_gc(p, pt, 0.0); }

int cr_push_to_fo(const struct cr_push *p, struct cr_particle *pt, double phi)
{
    if (pt->mode == CR_PMODE_FO) return CR_OK;
    struct cr_field_sample s;
    int rc = eval_b(p, &pt->hint, pt->t, pt->x, &s);
    if (rc) return rc;
    double bm = sqrt(dot3(s.B, s.B));
    if (!(bm > 0)) return CR_EDOMAIN;
    double b[3] = {s.B[0] / bm, s.B[1] / bm, s.B[2] / bm}, e1[3], e2[3];
    perp_basis(b, e1, e2);
    double upar = pt->u[0], wperp = sqrt(2.0 * pt->u[1] * bm);
    double w[3];
    for (int c = 0; c < 3; c++) w[c] = wperp * (cos(phi) * e1[c] + sin(phi) * e2[c]);
    double exb[3];
    cross3(s.E, s.B, exb);
    double gam = cr_push_gamma(p, sqrt(upar * upar + wperp * wperp));
    double bxw[3];
    cross3(b, w, bxw);
    for (int c = 0; c < 3; c++) {
        pt->x[c] += bxw[c] / (p->wb * bm);
        pt->u[c] = upar * b[c] + w[c] + gam * p->exb * exb[c] / (bm * bm);
    }
    pt->bmag = bm;
    pt->h = 0.0;
    pt->mode = CR_PMODE_FO;
    pt->since_check = 0;
    return CR_OK;
}

int cr_push_kinematics(const struct cr_push *p, const struct cr_particle *pt, double *u_par, double *u_perp,
                       double *bmag, double *energy_ev, double *pitch_deg)
{
    struct cr_field_sample s;
    struct cr_field_hint h = pt->hint; /* pt is const: locate from a copy */
    int rc = eval_b(p, &h, pt->t, pt->x, &s);
    if (rc) return rc;
    double bm = sqrt(dot3(s.B, s.B));
    if (!(bm > 0)) return CR_EDOMAIN;
    double upar, uperp;
    if (pt->mode == CR_PMODE_GC) {
        upar = pt->u[0];
        uperp = sqrt(2.0 * pt->u[1] * bm);
    } else {
        double b[3] = {s.B[0] / bm, s.B[1] / bm, s.B[2] / bm}, exb[3];
        cross3(s.E, s.B, exb);
        double gam = cr_push_gamma(p, sqrt(dot3(pt->u, pt->u)));
        upar = dot3(pt->u, b);
        double w2 = 0;
        for (int c = 0; c < 3; c++) {
            double w = pt->u[c] - gam * p->exb * exb[c] / (bm * bm) - upar * b[c];
            w2 += w * w;
        }
        uperp = sqrt(w2);
    }
    if (u_par) *u_par = upar;
    if (u_perp) *u_perp = uperp;
    if (bmag) *bmag = bm;
    if (energy_ev) *energy_ev = cr_push_energy_ev(p, sqrt(upar * upar + uperp * uperp));
    if (pitch_deg) *pitch_deg = atan2(uperp, upar) / CR_DEG;
    return CR_OK;
}

/* ---- work space ---------------------------------------------------------- */
static int gc_rhs(double t, const double y[], double dydt[], void *params);

struct cr_push_work *cr_push_work_new(const struct cr_push *p)
{
    struct cr_push_work *w = cr_zalloc(1, sizeof *w);
    if (!w) return NULL;
    w->step = gsl_odeiv2_step_alloc(gsl_odeiv2_step_rk8pd, 4);
    w->ctl = gsl_odeiv2_control_standard_new(p->inp.gc_atol, p->inp.gc_rtol, 1.0, 0.0);
    w->ev = gsl_odeiv2_evolve_alloc(4);
    w->rng = gsl_rng_alloc(gsl_rng_taus2);
    if (!w->step || !w->ctl || !w->ev || !w->rng) {
        cr_push_work_release(w);
        return NULL;
    }
    w->prm.p = p;
    w->sys.function = gc_rhs;
    w->sys.jacobian = NULL;
    w->sys.dimension = 4;
    w->sys.params = &w->prm;
    return w;
}

void cr_push_work_release(struct cr_push_work *w)
{
    if (!w) return;
    if (w->step) gsl_odeiv2_step_free(w->step);
    if (w->ctl) gsl_odeiv2_control_free(w->ctl);
    if (w->ev) gsl_odeiv2_evolve_free(w->ev);
    if (w->rng) gsl_rng_free(w->rng);
    free(w);
}

/* splitmix64 finaliser: decorrelates (stream, counter) into a seed. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Gyrophase for the k-th hand-over of a particle: deterministic in
 * (stream, k), independent of the thread that traces it. */
static double gyrophase(struct cr_push_work *w, const struct cr_particle *pt)
{
    gsl_rng_set(w->rng, (unsigned long)(mix64(pt->stream ^ mix64((uint64_t)pt->nswitch + 1)) & 0xffffffffUL));
    return 2.0 * CR_PI * gsl_rng_uniform(w->rng);
}

/* ---- guiding centre ------------------------------------------------------ */
static int gc_rhs(double t, const double y[], double dydt[], void *params)
{
    struct gc_params *q = params;
    const struct cr_push *p = q->p;
    struct geom g;
    int rc = field_geom(p, q->hint, t, y, &g, p->time_dep, q->t_lo, q->t_hi);
    if (rc) {
        /* Outside the field's domain: GSL_EBADFUNC makes evolve_apply return
         * at once, and advance_gc shrinks the step itself until the particle
         * is declared outflowing. (GSL_EDOM would make GSL halve the step
         * down to machine precision and accept it: a guiding centre moving
         * towards the domain's edge then creeps up to it in ever smaller
         * steps and never ends.) */
        if (rc == CR_EDOMAIN) {
            q->domain = 1;
            return GSL_EBADFUNC;
        }
        return GSL_EDOM;
    }
    double upar = y[3], M = q->M;
    double gam = sqrt(1.0 + (upar * upar + 2.0 * M * g.bmag) * p->c2inv);
    double G[3], Bs[3];
    double kg = M / (gam * p->wb), kc = upar / p->wb;
    for (int i = 0; i < 3; i++) {
        G[i] = p->exb * g.E[i] - kg * g.gradB[i] - kc * g.dbdt[i];
        Bs[i] = g.B[i] + kc * g.curlb[i];
    }
    double bpar = dot3(g.b, Bs);
    if (!(bpar > 0)) return GSL_EDOM; /* B*_par <= 0: the expansion has broken down */
    double gxb[3];
    cross3(G, g.b, gxb);
    for (int i = 0; i < 3; i++) dydt[i] = ((upar / gam) * Bs[i] + gxb[i]) / bpar;
    dydt[3] = p->wb * dot3(Bs, G) / bpar;
    return GSL_SUCCESS;
}

/* Speed of the guiding centre [R_E/s] (parallel + E x B, an upper estimate
 * used to cap the step). */
static double gc_speed(const struct cr_push *p, const struct geom *g, double upar, double M)
{
    double gam = sqrt(1.0 + (upar * upar + 2.0 * M * g->bmag) * p->c2inv);
    double exb[3];
    cross3(g->E, g->B, exb);
    return fabs(upar) / gam + p->exb * sqrt(dot3(exb, exb)) / (g->bmag * g->bmag) +
           2.0 * M / (gam * p->wb) * sqrt(dot3(g->gradB, g->gradB)) / g->bmag;
}

/* Locate the crossing of the collection sphere inside the last GC step:
 * regula falsi (Illinois) on the length of a single Runge-Kutta step from the
 * previous accepted point. */
static void gc_refine_crossing(const struct cr_push *p, struct cr_push_work *w, double t0, const double y0[4],
                               double H, double *t_out, double y_out[4])
{
    double rc = sqrt(p->rc2);
    double a = 0.0, fa = sqrt(dot3(y0, y0)) - rc;
    double bb = H, fb = sqrt(dot3(y_out, y_out)) - rc;
    double ytry[4], yerr[4], ybest[4];
    memcpy(ybest, y_out, sizeof ybest);
    double hbest = H;
    int side = 0;
    for (int it = 0; it < 60 && fb - fa != 0; it++) {
        double h = (a * fb - bb * fa) / (fb - fa);
        if (!(h > a && h < bb)) h = 0.5 * (a + bb);
        memcpy(ytry, y0, sizeof ytry);
        if (gsl_odeiv2_step_apply(w->step, t0, h, ytry, yerr, NULL, NULL, &w->sys) != GSL_SUCCESS) break;
        double f = sqrt(dot3(ytry, ytry)) - rc;
        if (f <= 0) {
            bb = h;
            fb = f;
            memcpy(ybest, ytry, sizeof ybest);
            hbest = h;
            if (side == -1) fa *= 0.5;
            side = -1;
        } else {
            a = h;
            fa = f;
            if (side == 1) fb *= 0.5;
            side = 1;
        }
        if (fabs(f) < 1e-11 * rc || bb - a < 1e-12 * H) break;
    }
    gsl_odeiv2_step_reset(w->step);
    memcpy(y_out, ybest, sizeof ybest);
    *t_out = t0 + hbest;
}

static void observe(const struct cr_push *p, const struct cr_particle *pt)
{
    if (p->inp.observe) p->inp.observe(p->inp.observe_ctx, pt);
}

/* Advance in GC mode; returns 1 when the particle switched to FO. */
static int advance_gc(const struct cr_push *p, struct cr_push_work *w, struct cr_particle *pt, double t_end)
{
    double y[4] = {pt->x[0], pt->x[1], pt->x[2], pt->u[0]};
    double t = pt->t;
    w->prm.M = pt->u[1];
    w->prm.hint = &pt->hint;
    w->prm.t_lo = t;
    w->prm.t_hi = t_end;
    gsl_odeiv2_evolve_reset(w->ev);
    gsl_odeiv2_step_reset(w->step);
    struct geom g;
    int rc = field_geom(p, &pt->hint, t, y, &g, 0, t, t);
    if (rc) {
        pt->status = rc == CR_EDOMAIN ? CR_PST_OUTFLOW : CR_PST_FAILED;
        return 0;
    }
    double h = pt->h;
    int switched = 0;
    while (t < t_end) {
        if (pt->nfo + pt->ngc >= p->inp.max_steps) {
            pt->status = CR_PST_FAILED;
            break;
        }
        double speed = gc_speed(p, &g, y[3], w->prm.M);
        double hmax = speed > 0 ? p->inp.gc_ds_max / speed : t_end - t;
        if (h <= 0) h = CR_MIN(hmax, 2.0 * CR_PI / (p->wb * g.bmag));
        if (h > hmax) h = hmax;
        double y0[4] = {y[0], y[1], y[2], y[3]}, t0 = t;
        w->prm.domain = 0;
        int st = gsl_odeiv2_evolve_apply(w->ev, w->ctl, w->step, &w->sys, &t, t_end, &h, y);
        if (st != GSL_SUCCESS) {
            gsl_odeiv2_evolve_reset(w->ev);
            t = t0;
            memcpy(y, y0, sizeof y);
            h *= 0.25;
            if (h < 1e-9 * (1.0 + fabs(t))) {
                if (!w->prm.domain && p->inp.scheme == CR_PUSH_AUTO) {
                    /* the guiding-centre expansion broke down (B*_par <= 0,
                     * a null): continue in full orbit */
                    memcpy(pt->x, y, 3 * sizeof(double));
                    pt->u[0] = y[3];
                    pt->t = t;
                    if (cr_push_to_fo(p, pt, gyrophase(w, pt)) == CR_OK) {
                        pt->nswitch++;
                        switched = 1;
                        break;
                    }
                }
                pt->status = w->prm.domain ? CR_PST_OUTFLOW : CR_PST_FAILED;
                break;
            }
            continue;
        }
        pt->ngc++;
        double r2 = dot3(y, y);
        if (p->rc2 > 0 && r2 < p->rc2) {
            gc_refine_crossing(p, w, t0, y0, t - t0, &t, y);
            pt->status = CR_PST_COLLECTED;
        } else if (p->rl2 > 0 && r2 > p->rl2) {
            pt->status = CR_PST_OUTFLOW;
        }
        memcpy(pt->x, y, 3 * sizeof(double));
        pt->u[0] = y[3];
        pt->t = t;
        pt->h = h;
        if (pt->status) break;
        rc = field_geom(p, &pt->hint, t, y, &g, 0, t, t);
        if (rc) {
            pt->status = rc == CR_EDOMAIN ? CR_PST_OUTFLOW : CR_PST_FAILED;
            break;
        }
        pt->bmag = g.bmag;
        observe(p, pt);
        if (p->inp.stop && t >= pt->next_check && p->inp.stop(pt)) {
            pt->status = CR_PST_STOPPED;
            break;
        }
        if (p->inp.scheme == CR_PUSH_AUTO) {
            double umag = sqrt(y[3] * y[3] + 2.0 * w->prm.M * g.bmag);
            if (eps_of_geom(p, &g, umag, NULL) > p->inp.threshold) {
                double phi = gyrophase(w, pt);
                if (cr_push_to_fo(p, pt, phi) == CR_OK) {
                    pt->nswitch++;
                    switched = 1;
                    break;
                }
            }
        }
    }
    if (!switched) {
        memcpy(pt->x, y, 3 * sizeof(double));
        pt->u[0] = y[3];
        pt->t = t;
    }
    return switched;
}

/* ---- full orbit ---------------------------------------------------------- */
/* Advance in FO mode; returns 1 when the particle switched to GC. */
static int advance_fo(const struct cr_push *p, struct cr_push_work *w, struct cr_particle *pt, double t_end)
{
    (void)w;
    const struct cr_field *f = p->inp.field;
    const double wb = p->wb, ae = p->ae, c2inv = p->c2inv;
    const double two_pi_eta = 2.0 * CR_PI * p->inp.fo_dt_gyro, eta_e = p->inp.fo_dt_electric;
    const double ds_max = p->inp.fo_ds_max;
    const double rc2 = p->rc2, rl2 = p->rl2;
    const int autosw = p->inp.scheme == CR_PUSH_AUTO;
    double x[3] = {pt->x[0], pt->x[1], pt->x[2]}, u[3] = {pt->u[0], pt->u[1], pt->u[2]};
    double t = pt->t;
    struct cr_field_sample s;
    struct cr_field_hint *hint = &pt->hint;
    /* fields at the start point for the first step size */
    int rc = cr_field_eval_hinted(f, t, x, hint, &s);
    if (rc) {
        pt->status = rc == CR_EDOMAIN ? CR_PST_OUTFLOW : CR_PST_FAILED;
        return 0;
    }
    double bm = sqrt(dot3(s.B, s.B)), em = sqrt(dot3(s.E, s.E));
    long nsteps = pt->nfo + pt->ngc;
    int switched = 0;
    double msum = 0.0; /* sum of the magnetic moment over the steps since the last check */
    int mcount = 0;
    while (t < t_end) {
        if (nsteps >= p->inp.max_steps) {
            pt->status = CR_PST_FAILED;
            break;
        }
        double u2 = dot3(u, u);
        double gam = sqrt(1.0 + u2 * c2inv);
        double dt = bm > 0 ? two_pi_eta * gam / (wb * bm) : HUGE_VAL;
        if (em > 0) {
            double umag = sqrt(u2);
            double dte = eta_e * (umag > p->u_floor ? umag : p->u_floor) / (ae * em);
            if (dte < dt) dt = dte;
        }
        if (ds_max > 0 && u2 > 0) {
            double dts = ds_max * gam / sqrt(u2);
            if (dts < dt) dt = dts;
        }
        if (t + dt > t_end) dt = t_end - t;
        /* drift half a step */
        double hg = 0.5 * dt / gam;
        double xh[3] = {x[0] + hg * u[0], x[1] + hg * u[1], x[2] + hg * u[2]};
        rc = cr_field_eval_hinted(f, t + 0.5 * dt, xh, hint, &s);
        if (rc) {
            pt->status = rc == CR_EDOMAIN ? CR_PST_OUTFLOW : CR_PST_FAILED;
            break;
        }
        /* Boris kick (Vay 2008 eq. 3-6): half electric kick, rotation, half electric kick */
        double he = 0.5 * dt * ae;
        double um[3] = {u[0] + he * s.E[0], u[1] + he * s.E[1], u[2] + he * s.E[2]};
        double gm = sqrt(1.0 + dot3(um, um) * c2inv);
        double fr = 0.5 * dt * wb / gm;
        double tv[3] = {fr * s.B[0], fr * s.B[1], fr * s.B[2]};
        double sf = 2.0 / (1.0 + dot3(tv, tv));
        double up[3], c1[3], c2[3];
        cross3(um, tv, c1);
        for (int k = 0; k < 3; k++) up[k] = um[k] + c1[k];
        cross3(up, tv, c2);
        double un[3];
        for (int k = 0; k < 3; k++) un[k] = um[k] + sf * c2[k] + he * s.E[k];
        if (autosw) {
            /* magnetic moment of this step: the Boris rotation keeps the part
             * of u - gamma v_E perpendicular to B(xh) (Birdsall & Langdon
             * sec. 4-3), so |w_perp|^2 / (2 B) at the mid-point */
            double b2 = dot3(s.B, s.B), ec[3];
            cross3(s.E, s.B, ec);
            double gv = gam * p->exb / b2, wv[3];
            for (int k = 0; k < 3; k++) wv[k] = u[k] - gv * ec[k];
            double wpar = dot3(wv, s.B);
            msum += (dot3(wv, wv) - wpar * wpar / b2) / (2.0 * sqrt(b2));
            mcount++;
        }
        double gn = sqrt(1.0 + dot3(un, un) * c2inv);
        double hn = 0.5 * dt / gn;
        double xn[3] = {xh[0] + hn * un[0], xh[1] + hn * un[1], xh[2] + hn * un[2]};
        nsteps++;
        pt->nfo++;
        bm = sqrt(dot3(s.B, s.B));
        em = sqrt(dot3(s.E, s.E));
        if (!isfinite(xn[0] + xn[1] + xn[2] + un[0] + un[1] + un[2])) {
            pt->status = CR_PST_FAILED;
            break;
        }
        double r2 = dot3(xn, xn);
        if (rc2 > 0 && r2 < rc2) {
            /* crossing of the collection sphere on the segment x -> xn */
            double d[3] = {xn[0] - x[0], xn[1] - x[1], xn[2] - x[2]};
            double A = dot3(d, d), B = 2.0 * dot3(x, d), C = dot3(x, x) - rc2;
            double disc = B * B - 4.0 * A * C;
            double fr2 = A > 0 && disc >= 0 ? (-B - sqrt(disc)) / (2.0 * A) : 1.0;
            if (!(fr2 >= 0 && fr2 <= 1)) fr2 = 1.0;
            for (int k = 0; k < 3; k++) {
                x[k] += fr2 * d[k];
                u[k] += fr2 * (un[k] - u[k]);
            }
            t += fr2 * dt;
            pt->status = CR_PST_COLLECTED;
            break;
        }
        memcpy(x, xn, sizeof x);
        memcpy(u, un, sizeof u);
        t += dt;
        if (rl2 > 0 && r2 > rl2) {
            pt->status = CR_PST_OUTFLOW;
            break;
        }
        if (p->inp.observe) {
            memcpy(pt->x, x, sizeof x);
            memcpy(pt->u, u, sizeof u);
            pt->t = t;
            observe(p, pt);
        }
        if (p->inp.stop && t >= pt->next_check) {
            memcpy(pt->x, x, sizeof x);
            memcpy(pt->u, u, sizeof u);
            pt->t = t;
            pt->bmag = bm;
            if (p->inp.stop(pt)) {
                pt->status = CR_PST_STOPPED;
                break;
            }
        }
        if (autosw && ++pt->since_check >= p->check_every) {
            pt->since_check = 0;
            double eps;
            rc = adiabaticity(p, hint, t, x, sqrt(dot3(u, u)), &eps, NULL);
            if (rc == CR_OK && eps < p->inp.threshold * p->inp.hysteresis) {
                memcpy(pt->x, x, sizeof x);
                memcpy(pt->u, u, sizeof u);
                pt->t = t;
                /* hand over with the moment averaged over the last gyration
                 * (the adiabatic invariant; the instantaneous value carries
                 * an O(eps) gyrophase-dependent part) */
                if (to_gc(p, pt, mcount > 0 ? msum / mcount : 0.0) == CR_OK) {
                    pt->nswitch++;
                    switched = 1;
                    break;
                }
            }
            msum = 0.0;
            mcount = 0;
        }
    }
    if (!switched) {
        memcpy(pt->x, x, sizeof x);
        memcpy(pt->u, u, sizeof u);
        pt->t = t;
        pt->bmag = bm;
    }
    return switched;
}

int cr_push_start(const struct cr_push *p, struct cr_push_work *w, struct cr_particle *pt, double t,
                  const double x[3], const double v_kms[3], double t_stop, uint64_t stream)
{
    (void)w;
    memset(pt, 0, sizeof *pt); /* also: no location hint yet */
    struct cr_field_sample s;
    int rc = eval_b(p, &pt->hint, t, x, &s);
    if (rc) return rc;
    double bm = sqrt(dot3(s.B, s.B));
    if (!(bm > 0)) return CR_EDOMAIN;
    double v2 = 0;
    double v[3];
    for (int c = 0; c < 3; c++) {
        v[c] = v_kms[c] * CR_KMS / CR_RE_M;
        v2 += v[c] * v[c];
    }
    if (v2 * p->c2inv >= 1.0) return CR_EDOMAIN;
    double gam = 1.0 / sqrt(1.0 - v2 * p->c2inv);
    for (int c = 0; c < 3; c++) {
        pt->x[c] = x[c];
        pt->u[c] = gam * v[c];
    }
    pt->t = t;
    pt->t_stop = t_stop;
    pt->stream = stream;
    pt->bmag = bm;
    pt->mode = CR_PMODE_FO;
    pt->status = CR_PST_ACTIVE;
    if (p->inp.scheme == CR_PUSH_GC_ONLY) return cr_push_to_gc(p, pt);
    if (p->inp.scheme == CR_PUSH_AUTO) {
        double eps;
        rc = adiabaticity(p, &pt->hint, t, x, sqrt(dot3(pt->u, pt->u)), &eps, NULL);
        if (rc) return rc;
        if (eps < p->inp.threshold) return cr_push_to_gc(p, pt);
    }
    return CR_OK;
}

int cr_push_advance(const struct cr_push *p, struct cr_push_work *w, struct cr_particle *pt, double t_end)
{
    if (pt->status != CR_PST_ACTIVE) return CR_OK;
    double te = CR_MIN(t_end, pt->t_stop);
    const struct cr_field *f = p->inp.field;
    if (f->t_max > f->t_min) te = CR_MIN(te, f->t_max);
    int guard = 0;
    while (pt->status == CR_PST_ACTIVE && pt->t < te) {
        int sw = pt->mode == CR_PMODE_GC ? advance_gc(p, w, pt, te) : advance_fo(p, w, pt, te);
        /* A particle that flips back and forth at one point without moving
         * forward in time would never end: stop it as a failure. */
        guard = sw ? guard + 1 : 0;
        if (guard > 1000) {
            pt->status = CR_PST_FAILED;
            break;
        }
    }
    if (pt->status == CR_PST_ACTIVE && pt->t >= te) {
        if (pt->t >= pt->t_stop || (f->t_max > f->t_min && pt->t >= f->t_max)) pt->status = CR_PST_TIMEOUT;
    }
    return CR_OK;
}
