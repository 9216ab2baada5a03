/* cr_mhd_problem.c — the verification problems (see cr_mhd_problem.h). */
#include "cr_mhd_problem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

/* ---- shock tubes ---------------------------------------------------------------- */

struct tube {
    double x0;
    const double *l, *r;
};

static void tube_b(void *ctx, const double x[3], double b[3])
{
    const struct tube *t = ctx;
    const double *s = x[0] < t->x0 ? t->l : t->r;
    b[0] = s[5], b[1] = s[6], b[2] = s[7];
}

static void tube_w(void *ctx, const double x[3], double w[5])
{
    const struct tube *t = ctx;
    const double *s = x[0] < t->x0 ? t->l : t->r;
    for (int q = 0; q < 5; q++) w[q] = s[q];
}

static int init_tube(struct cr_mhd *m, const struct cr_mhd_problem_par *p)
{
    struct tube t = {.x0 = p->x0, .l = p->left, .r = p->right};
    if (p->left[5] != p->right[5]) {
        /* the normal field must be continuous (div B = 0) */
        return CR_ECONFIG;
    }
    int rc = cr_mhd_init_bface(m, tube_b, &t);
    return rc ? rc : cr_mhd_init_prim(m, tube_w, &t);
}

/* ---- linear waves ------------------------------------------------------------- */

/* Right eigenvectors of ideal MHD in conserved variables (rho, M1, M2, M3,
 * E, B2, B3) for a uniform state, with the normalisation of Roe & Balsara
 * (1996) as written in Stone et al. (2008, ApJS 178, 137), Appendix B,
 * eqs. (B18)-(B21) with X = 0, Y = 1. Columns 0..6: fast-, Alfven-, slow-,
 * entropy, slow+, Alfven+, fast+. Also the eigenvalues. */
static void eigen(double gamma, double d, double v1, double v2, double v3, double p, double b1, double b2, double b3,
                  double ev[7], double rem[7][7])
{
    double gm1 = gamma - 1.0;
    double vsq = v1 * v1 + v2 * v2 + v3 * v3;
    double btsq = b2 * b2 + b3 * b3;
    double vaxsq = b1 * b1 / d;
    double asq = gamma * p / d;                 /* (gamma-1)(hp - v^2/2) */
    double hp = asq / gm1 + 0.5 * vsq;          /* enthalpy less the magnetic part */
    double ct2 = btsq / d;
    double tsum = vaxsq + ct2 + asq, tdif = vaxsq + ct2 - asq;
    double cfsq = 0.5 * (tsum + sqrt(tdif * tdif + 4.0 * asq * ct2));
    double cf = sqrt(cfsq), cssq = asq * vaxsq / cfsq, cs = sqrt(cssq);
    double bt = sqrt(btsq), bet2 = 1.0, bet3 = 0.0;
    if (bt > 0.0) bet2 = b2 / bt, bet3 = b3 / bt;
    double af, as;
    if (cfsq - cssq == 0.0) af = 1.0, as = 0.0;
    else if (asq - cssq <= 0.0) af = 0.0, as = 1.0;
    else if (cfsq - asq <= 0.0) af = 1.0, as = 0.0;
    else af = sqrt((asq - cssq) / (cfsq - cssq)), as = sqrt((cfsq - asq) / (cfsq - cssq));
    double sqd = sqrt(d), s = b1 >= 0.0 ? 1.0 : -1.0, a = sqrt(asq);
    double qf = cf * af * s, qs = cs * as * s;
    double afp = a * af / sqd, asp = a * as / sqd;
    double afpbb = afp * bt, aspbb = asp * bt; /* beta*^2 = 1 for Y = 1 */
    double vbet = v2 * bet2 + v3 * bet3;
    double vax = sqrt(vaxsq);
    ev[0] = v1 - cf, ev[1] = v1 - vax, ev[2] = v1 - cs, ev[3] = v1;
    ev[4] = v1 + cs, ev[5] = v1 + vax, ev[6] = v1 + cf;
    const double col[7][7] = {
        {af, af * ev[0], af * v2 + qs * bet2, af * v3 + qs * bet3, af * (hp - v1 * cf) + qs * vbet + aspbb,
         asp * bet2, asp * bet3},
        {0, 0, -bet3, bet2, -(v2 * bet3 - v3 * bet2), -bet3 * s / sqd, bet2 * s / sqd},
        {as, as * ev[2], as * v2 - qf * bet2, as * v3 - qf * bet3, as * (hp - v1 * cs) - qf * vbet - afpbb,
         -afp * bet2, -afp * bet3},
        {1, v1, v2, v3, 0.5 * vsq, 0, 0},
        {as, as * ev[4], as * v2 + qf * bet2, as * v3 + qf * bet3, as * (hp + v1 * cs) + qf * vbet - afpbb,
         -afp * bet2, -afp * bet3},
        {0, 0, bet3, -bet2, v2 * bet3 - v3 * bet2, -bet3 * s / sqd, bet2 * s / sqd},
        {af, af * ev[6], af * v2 - qs * bet2, af * v3 - qs * bet3, af * (hp + v1 * cf) - qs * vbet + aspbb,
         asp * bet2, asp * bet3},
    };
    for (int w = 0; w < 7; w++)
        for (int q = 0; q < 7; q++) rem[q][w] = col[w][q];
}

/* The linear-wave set-up of Athena++ (pgen/linear_wave.cpp, the facts of
 * Gardiner & Stone 2008 section 4.1): background d = 1, p = 1/gamma,
 * B = (1, sqrt 2, 1/2) in the wave frame, wave vector along x (1-D), the
 * diagonal of the x-y box (2-D) or of the box (3-D) with one wavelength
 * across the box in each direction. */
struct linwave {
    double gamma, amp, k, lambda;
    double c2, s2, c3, s3;
    double d0, p0, u0, b0[3];
    double r[7];    /* the chosen eigenvector */
    double speed;   /* its eigenvalue */
};

static int linwave_setup(const struct cr_grid *g, const struct cr_mhd_problem_par *p, double gamma,
                         struct linwave *lw)
{
    memset(lw, 0, sizeof *lw);
    const double *lo = g->spec.lo, *hi = g->spec.hi;
    double x1 = hi[0] - lo[0], x2 = hi[1] - lo[1], x3 = hi[2] - lo[2];
    double a2 = 0.0, a3 = 0.0;
    if (g->nj > 1) a3 = atan(x1 / x2);
    if (g->nk > 1) a2 = atan(0.5 * (x1 * cos(a3) + x2 * sin(a3)) / x3);
    lw->c2 = cos(a2), lw->s2 = sin(a2), lw->c3 = cos(a3), lw->s3 = sin(a3);
    double lam = x1 * lw->c2 * lw->c3;
    if (g->nj > 1 && a3 != 0.0) lam = fmin(lam, x2 * lw->c2 * lw->s3);
    if (g->nk > 1 && a2 != 0.0) lam = fmin(lam, x3 * lw->s2);
    if (!(lam > 0.0)) return CR_ECONFIG;
    lw->lambda = lam;
    lw->k = 2.0 * CR_PI / lam;
    lw->gamma = gamma;
    lw->amp = p->amp;
    lw->d0 = 1.0;
    lw->p0 = 1.0 / gamma;
    lw->u0 = p->vflow;
    lw->b0[0] = 1.0, lw->b0[1] = sqrt(2.0), lw->b0[2] = 0.5;
    double ev[7], rem[7][7];
    eigen(gamma, lw->d0, lw->u0, 0.0, 0.0, lw->p0, lw->b0[0], lw->b0[1], lw->b0[2], ev, rem);
    int w = (int)p->wave;
    if (w < 0 || w > 3) return CR_ECONFIG;
    for (int q = 0; q < 7; q++) lw->r[q] = rem[q][w];
    lw->speed = ev[w];
    return CR_OK;
}

/* wave frame (x along k) -> grid frame */
static void lw_rot(const struct linwave *lw, const double a[3], double out[3])
{
    out[0] = a[0] * lw->c2 * lw->c3 - a[1] * lw->s3 - a[2] * lw->s2 * lw->c3;
    out[1] = a[0] * lw->c2 * lw->s3 + a[1] * lw->c3 - a[2] * lw->s2 * lw->s3;
    out[2] = a[0] * lw->s2 + a[2] * lw->c2;
}

static double lw_x(const struct linwave *lw, const double x[3])
{
    return lw->c2 * (x[0] * lw->c3 + x[1] * lw->s3) + x[2] * lw->s2;
}

static void lw_cons(void *ctx, const double x[3], double u[CR_MHD_NCONS])
{
    const struct linwave *lw = ctx;
    double sn = sin(lw->k * lw_x(lw, x)), as = lw->amp * sn;
    double mw[3] = {lw->d0 * lw->u0 + as * lw->r[1], as * lw->r[2], as * lw->r[3]}, mg[3];
    lw_rot(lw, mw, mg);
    u[0] = lw->d0 + as * lw->r[0];
    u[1] = mg[0], u[2] = mg[1], u[3] = mg[2];
    u[4] = lw->p0 / (lw->gamma - 1.0) + 0.5 * lw->d0 * lw->u0 * lw->u0 + as * lw->r[4] +
           0.5 * (lw->b0[0] * lw->b0[0] + lw->b0[1] * lw->b0[1] + lw->b0[2] * lw->b0[2]);
}

/* Vector potential of B = (b1, b2 + db2 sin kx, b3 + db3 sin kx) in the wave
 * frame: A = (0, b3 x - db3 cos(kx)/k, -b2 x + db2 cos(kx)/k + b1 y). */
static void lw_vecpot(void *ctx, const double x[3], double a[3])
{
    const struct linwave *lw = ctx;
    double xw = lw_x(lw, x);
    double yw = -x[0] * lw->s3 + x[1] * lw->c3;
    double c = cos(lw->k * xw) / lw->k;
    double aw[3] = {0.0, lw->b0[2] * xw - lw->amp * lw->r[6] * c,
                    -lw->b0[1] * xw + lw->amp * lw->r[5] * c + lw->b0[0] * yw};
    lw_rot(lw, aw, a);
}

static int init_linwave(struct cr_mhd *m, const struct cr_mhd_problem_par *p)
{
    struct linwave lw;
    int rc = linwave_setup(cr_mhd_grid(m), p, cr_mhd_gamma(m), &lw);
    if (rc) return rc;
    rc = cr_mhd_init_vecpot(m, lw_vecpot, &lw);
    return rc ? rc : cr_mhd_init_cons(m, lw_cons, &lw);
}

int cr_mhd_linwave_period(const struct cr_grid *g, const struct cr_mhd_problem_par *p, double gamma, double *period)
{
    struct linwave lw;
    int rc = linwave_setup(g, p, gamma, &lw);
    if (rc) return rc;
    *period = lw.lambda / fabs(lw.speed);
    return CR_OK;
}

int cr_mhd_linwave_error(struct cr_mhd *m, const struct cr_mhd_problem_par *p, double l1[8], double *rms)
{
    const struct cr_grid *g = cr_mhd_grid(m);
    struct linwave lw;
    int rc = linwave_setup(g, p, cr_mhd_gamma(m), &lw);
    if (rc) return rc;
    size_t n = (size_t)g->ni * (size_t)g->nj * (size_t)g->nk;
    double *out[CR_MHD_NOUT] = {0};
    for (int q = 0; q < 3; q++) {
        out[CR_MHD_OUT_BX + q] = malloc(n * sizeof(double));
        if (!out[CR_MHD_OUT_BX + q]) rc = CR_ENOMEM;
    }
    if (!rc) rc = cr_mhd_output_vars(m, out);
    if (!rc) {
        struct cr_mhd_view v;
        cr_mhd_get_view(m, &v);
        for (int q = 0; q < 8; q++) l1[q] = 0.0;
        size_t o = 0;
        for (int k = 0; k < g->nk; k++)
            for (int j = 0; j < g->nj; j++)
                for (int i = 0; i < g->ni; i++, o++) {
                    size_t c = CR_GIDX(g, i, j, k);
                    double x[3] = {g->cx[c], g->cy[c], g->cz[c]}, u[CR_MHD_NCONS];
                    lw_cons(&lw, x, u);
                    double sn = sin(lw.k * lw_x(&lw, x));
                    double bw[3] = {lw.b0[0], lw.b0[1] + lw.amp * sn * lw.r[5], lw.b0[2] + lw.amp * sn * lw.r[6]};
                    double bg[3];
                    lw_rot(&lw, bw, bg);
                    for (int q = 0; q < 5; q++) l1[q] += fabs(u[q] - v.u[q][c]);
                    for (int q = 0; q < 3; q++) l1[5 + q] += fabs(bg[q] - out[CR_MHD_OUT_BX + q][o]);
                }
        double s = 0.0;
        for (int q = 0; q < 8; q++) {
            l1[q] /= (double)n;
            s += l1[q] * l1[q];
        }
        *rms = sqrt(s);
    }
    for (int q = 0; q < 3; q++) free(out[CR_MHD_OUT_BX + q]);
    return rc;
}

/* ---- Orszag-Tang, field loop, blast, uniform -------------------------------------- */

/* Orszag-Tang as in Stone et al. (2008) section 5.4: box [0,1]^2, gamma 5/3,
 * rho = 25/(36 pi), p = 5/(12 pi), v = (-sin 2 pi y, sin 2 pi x, 0),
 * B = B0 (-sin 2 pi y, sin 4 pi x, 0) with B0 = 1/sqrt(4 pi),
 * A_z = B0 (cos 4 pi x / (4 pi) + cos 2 pi y / (2 pi)). */
static void ot_a(void *ctx, const double x[3], double a[3])
{
    (void)ctx;
    double b0 = 1.0 / sqrt(4.0 * CR_PI);
    a[0] = a[1] = 0.0;
    a[2] = b0 * (cos(4.0 * CR_PI * x[0]) / (4.0 * CR_PI) + cos(2.0 * CR_PI * x[1]) / (2.0 * CR_PI));
}

static void ot_w(void *ctx, const double x[3], double w[5])
{
    (void)ctx;
    w[0] = 25.0 / (36.0 * CR_PI);
    w[1] = -sin(2.0 * CR_PI * x[1]);
    w[2] = sin(2.0 * CR_PI * x[0]);
    w[3] = 0.0;
    w[4] = 5.0 / (12.0 * CR_PI);
}

static int init_ot(struct cr_mhd *m, const struct cr_mhd_problem_par *p)
{
    (void)p;
    int rc = cr_mhd_init_vecpot(m, ot_a, NULL);
    return rc ? rc : cr_mhd_init_prim(m, ot_w, NULL);
}

/* Field loop of Gardiner & Stone (2005) section 5.1: A_z = A0 (R - r) for
 * r < R, A0 = 1e-3, R = 0.3, rho = 1, p = 1, uniform velocity p->v (the
 * default (2, 1, 0) crosses the [-1,1] x [-1/2,1/2] box diagonally in t = 1).
 * The loop is centred on the box centre. */
struct loop {
    double xc[3];
    const double *v;
};

static void loop_a(void *ctx, const double x[3], double a[3])
{
    const struct loop *l = ctx;
    double dx = x[0] - l->xc[0], dy = x[1] - l->xc[1];
    double r = sqrt(dx * dx + dy * dy);
    a[0] = a[1] = 0.0;
    a[2] = r < 0.3 ? 1e-3 * (0.3 - r) : 0.0;
}

static void loop_w(void *ctx, const double x[3], double w[5])
{
    const struct loop *l = ctx;
    (void)x;
    w[0] = 1.0;
    w[1] = l->v[0], w[2] = l->v[1], w[3] = l->v[2];
    w[4] = 1.0;
}

static int init_loop(struct cr_mhd *m, const struct cr_mhd_problem_par *p)
{
    const struct cr_grid *g = cr_mhd_grid(m);
    struct loop l = {.v = p->v};
    for (int q = 0; q < 3; q++) l.xc[q] = 0.5 * (g->spec.lo[q] + g->spec.hi[q]);
    int rc = cr_mhd_init_vecpot(m, loop_a, &l);
    return rc ? rc : cr_mhd_init_prim(m, loop_w, &l);
}

/* MHD blast wave (Londrillo & Del Zanna 2000; Stone et al. 2008 section
 * 5.5): rho = 1, p = 0.1 outside and 10 inside r < 0.1 about the box
 * centre, B = (1/sqrt 2, 1/sqrt 2, 0), gamma 5/3. */
static void blast_b(void *ctx, const double x[3], double b[3])
{
    (void)ctx, (void)x;
    b[0] = b[1] = sqrt(0.5);
    b[2] = 0.0;
}

struct blast {
    double xc[3];
    int use_z;
};

static void blast_w(void *ctx, const double x[3], double w[5])
{
    const struct blast *b = ctx;
    double r2 = 0.0;
    for (int q = 0; q < (b->use_z ? 3 : 2); q++) r2 += (x[q] - b->xc[q]) * (x[q] - b->xc[q]);
    w[0] = 1.0;
    w[1] = w[2] = w[3] = 0.0;
    w[4] = r2 < 0.01 ? 10.0 : 0.1;
}

static int init_blast(struct cr_mhd *m, const struct cr_mhd_problem_par *p)
{
    (void)p;
    const struct cr_grid *g = cr_mhd_grid(m);
    struct blast b = {.use_z = g->nk > 1};
    for (int q = 0; q < 3; q++) b.xc[q] = 0.5 * (g->spec.lo[q] + g->spec.hi[q]);
    int rc = cr_mhd_init_bface(m, blast_b, NULL);
    return rc ? rc : cr_mhd_init_prim(m, blast_w, &b);
}

/* Uniform flow and field: free-stream preservation on curvilinear grids. */
static void uni_b(void *ctx, const double x[3], double b[3])
{
    const struct cr_mhd_problem_par *p = ctx;
    (void)x;
    for (int q = 0; q < 3; q++) b[q] = p->b[q];
}

static void uni_w(void *ctx, const double x[3], double w[5])
{
    const struct cr_mhd_problem_par *p = ctx;
    (void)x;
    w[0] = 1.0;
    w[1] = p->v[0], w[2] = p->v[1], w[3] = p->v[2];
    w[4] = 1.0;
}

static void uni_a(void *ctx, const double x[3], double a[3])
{
    /* A = B x r / 2 gives curl A = B */
    const struct cr_mhd_problem_par *p = ctx;
    a[0] = 0.5 * (p->b[1] * x[2] - p->b[2] * x[1]);
    a[1] = 0.5 * (p->b[2] * x[0] - p->b[0] * x[2]);
    a[2] = 0.5 * (p->b[0] * x[1] - p->b[1] * x[0]);
}

static int init_uniform(struct cr_mhd *m, const struct cr_mhd_problem_par *p)
{
    /* the vector potential makes every cell divergence-free to round-off on any grid */
    int rc = cr_mhd_init_vecpot(m, uni_a, (void *)p);
    (void)uni_b;
    return rc ? rc : cr_mhd_init_prim(m, uni_w, (void *)p);
}

/* ---- the table ------------------------------------------------------------------ */

const struct cr_mhd_problem cr_mhd_problems[] = {
    {"brio_wu", "Brio & Wu (1988, J. Comput. Phys. 75, 400) shock tube: compound wave, gamma = 2", 2.0, 0.1,
     CR_MHD_BC_OUTFLOW, 1, init_tube},
    {"rj2a", "Ryu & Jones (1995, ApJ 442, 228) test 2a: all seven discontinuities, gamma = 5/3", 5.0 / 3.0, 0.2,
     CR_MHD_BC_OUTFLOW, 1, init_tube},
    {"shock_tube", "two states from [problem] left and right, split at [problem] x0", 5.0 / 3.0, 0.1,
     CR_MHD_BC_OUTFLOW, 1, init_tube},
    {"linear_wave", "linear MHD wave of Stone et al. (2008, ApJS 178, 137) section 8.1 / Athena++ linear_wave",
     5.0 / 3.0, 0.0, CR_MHD_BC_PERIODIC, 0, init_linwave},
    {"orszag_tang", "Orszag & Tang (1979) vortex as in Stone et al. (2008) section 5.4", 5.0 / 3.0, 0.5,
     CR_MHD_BC_PERIODIC, 0, init_ot},
    {"field_loop", "Gardiner & Stone (2005, J. Comput. Phys. 205, 509) section 5.1 field-loop advection", 5.0 / 3.0,
     2.0, CR_MHD_BC_PERIODIC, 0, init_loop},
    {"blast", "MHD blast wave of Londrillo & Del Zanna (2000) / Stone et al. (2008) section 5.5", 5.0 / 3.0, 0.2,
     CR_MHD_BC_OUTFLOW, 0, init_blast},
    {"uniform", "uniform flow and field: free-stream preservation on curvilinear grids", 5.0 / 3.0, 1.0,
     CR_MHD_BC_OUTFLOW, 0, init_uniform},
};
const int cr_mhd_nproblems = (int)CR_ARRAY_LEN(cr_mhd_problems);

const char *cr_mhd_problem_choices(void)
{
    return "brio_wu|rj2a|shock_tube|linear_wave|orszag_tang|field_loop|blast|uniform";
}

const struct cr_mhd_problem *cr_mhd_problem_find(const char *name)
{
    for (int i = 0; i < cr_mhd_nproblems; i++)
        if (!strcmp(cr_mhd_problems[i].name, name)) return &cr_mhd_problems[i];
    return NULL;
}

void cr_mhd_problem_defaults(const char *name, struct cr_mhd_problem_par *p)
{
    memset(p, 0, sizeof *p);
    p->wave = CR_MHD_WAVE_FAST;
    p->amp = 1e-6;
    p->x0 = 0.5;
    p->v[0] = 2.0, p->v[1] = 1.0, p->v[2] = 0.0;
    if (!strcmp(name, "uniform")) {
        p->v[0] = 1.0, p->v[1] = 0.5, p->v[2] = 0.25;
        p->b[0] = 0.5, p->b[1] = 0.3, p->b[2] = 0.2;
    }
    if (!strcmp(name, "brio_wu") || !strcmp(name, "shock_tube")) {
        const double l[8] = {1.0, 0, 0, 0, 1.0, 0.75, 1.0, 0}, r[8] = {0.125, 0, 0, 0, 0.1, 0.75, -1.0, 0};
        memcpy(p->left, l, sizeof l);
        memcpy(p->right, r, sizeof r);
    } else if (!strcmp(name, "rj2a")) {
        const double s4 = sqrt(4.0 * CR_PI);
        const double l[8] = {1.08, 1.2, 0.01, 0.5, 0.95, 2.0 / s4, 3.6 / s4, 2.0 / s4};
        const double r[8] = {1.0, 0, 0, 0, 1.0, 2.0 / s4, 4.0 / s4, 2.0 / s4};
        memcpy(p->left, l, sizeof l);
        memcpy(p->right, r, sizeof r);
    }
}
