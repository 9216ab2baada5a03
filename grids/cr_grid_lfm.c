/* cr_grid_lfm.c — the LFM-style warped spherical grid in SM coordinates.
 *
 * Construction (grids/README.md has the figures and the reasoning):
 *  - i is quasi-radial. Shell i is an axisymmetric "egg" about X made of two
 *    half-spheroids joined at the terminator plane x = 0: on the dayside
 *    semi-axes s_i (along +X) and w_i (lateral), on the nightside e_i (along
 *    -X) and w_i. In polar form, along a ray at polar angle theta from +X,
 *        r_i(theta) = [ (cos theta / a)^2 + (sin theta / w_i)^2 ]^(-1/2),
 *    a = s_i for cos theta >= 0, a = e_i otherwise. The surface is C1 (both
 *    halves have a vertical tangent at (0, w_i)); r_i grows with each of s, e,
 *    w, so shells whose extents all grow with i never cross. The region
 *    inside is two half-spheroids: V = (2 pi / 3) w^2 (s + e), which gives the
 *    analytic volume that the volume test converges to. GAMERA's egg grids
 *    (kaipy gamGrids, Egglipses/genEgg) likewise place shell corners along rays
 *    from the origin; their shells are single ellipses, ours are split at
 *    x = 0 so that the volume is analytic and nesting is guaranteed.
 *  - Shell extents: shell 0 is the sphere r_inner. Sunward, s(eta) has the
 *    spacing ds/deta = h0 cosh(beta (eta - eta_f)) with its minimum h0 =
 *    dr_focus at s = r_focus (eta_f), so cells concentrate near the subsolar
 *    magnetopause and widen smoothly both ways:
 *        s(eta) = r_focus + h0 sinh(beta (eta - eta_f)) / beta,
 *    with beta and eta_f fixed by s(0) = r_inner and s(ni) = x_sun. Inside the
 *    focus (eta <= eta_f) the nightside and lateral extents equal s: the inner
 *    shells are spheres. Beyond it they grow as
 *        e = r_focus + h0 (zeta + c zeta^4 / 4),  zeta = eta - eta_f,
 *    (spacing h0 (1 + c zeta^3): fine in the near tail, coarse far down-tail)
 *    with c fixed by e(ni) = x_tail; likewise w with r_side.
 *  - j is the polar angle from +X, theta(eta) = pi eta + A (pi/2 - pi eta)
 *    eta (1 - eta) with eta = j / nj (the theta warp of kaipy genEgg); A > 0
 *    widens the cells next to the axis and narrows those near theta = pi/2.
 *  - k is the azimuth about X from +Y towards +Z, uniform, periodic.
 *  - Ghost corners: k periodic copies; across the axis corner (i, -m, k) is
 *    corner (i, m, k + nk/2) (and likewise beyond j = nj); inside the inner
 *    sphere the ghost shells are spheres with the first cell's spacing, made
 *    smaller if needed so that the innermost ghost stays outside r_inner / 2;
 *    beyond the outer shell the extent profiles continue analytically.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "cr_grid_priv.h"

/* Radial profile of the three shell extents (see the file comment). */
struct lfm_prof {
    double r_in, r_f, h0, beta, eta_f;
    double c_tail, c_side;  /* quartic coefficients; < 0 means linear fallback */
    double lin_tail, lin_side; /* linear spacing for the fallback */
    double dr_ghost;
    double x_sun, x_tail, r_side;
    int ni;
};

/* Cells of the two-sided cosh profile: [asinh(A b / h0) + asinh(B b / h0)] / b. */
static double cosh_cells(double A, double B, double h0, double b)
{
    return (asinh(A * b / h0) + asinh(B * b / h0)) / b;
}

static double prof_sun(const struct lfm_prof *p, double eta)
{
    if (eta < 0.0) return p->r_in + eta * p->dr_ghost;
    double z = eta - p->eta_f;
    if (p->beta == 0.0) return p->r_f + p->h0 * z;
    return p->r_f + p->h0 * sinh(p->beta * z) / p->beta;
}

static double prof_outer(const struct lfm_prof *p, double eta, double c, double lin)
{
    if (eta <= p->eta_f) return prof_sun(p, eta);
    double z = eta - p->eta_f;
    if (c < 0.0) return p->r_f + lin * z;
    return p->r_f + p->h0 * (z + 0.25 * c * z * z * z * z);
}

/* Extents (s, e, w) of shell i (any i, ghosts included); the active
 * boundary shells are set exactly. */
static void shell_extents(const struct lfm_prof *p, int i, double *s, double *e, double *w)
{
    if (i == 0) {
        *s = *e = *w = p->r_in;
        return;
    }
    if (i == p->ni) {
        *s = p->x_sun;
        *e = p->x_tail;
        *w = p->r_side;
        return;
    }
    double eta = i;
    *s = prof_sun(p, eta);
    *e = prof_outer(p, eta, p->c_tail, p->lin_tail);
    *w = prof_outer(p, eta, p->c_side, p->lin_side);
}

static int make_profile(const struct cr_grid_spec *sp, struct lfm_prof *p, const struct cr_log *log)
{
    memset(p, 0, sizeof *p);
    p->ni = sp->ni;
    p->r_in = sp->r_inner;
    p->r_f = sp->r_focus;
    p->x_sun = sp->x_sun;
    p->x_tail = sp->x_tail;
    p->r_side = sp->r_side;
    double A = p->r_f - p->r_in, B = p->x_sun - p->r_f, h0 = sp->dr_focus;
    if ((A + B) / h0 <= sp->ni) {
        /* more cells than the focus spacing needs: uniform sunward spacing */
        p->h0 = (A + B) / sp->ni;
        p->beta = 0.0;
        p->eta_f = A / p->h0;
        cr_debug(log, "grid: %d radial cells resolve %.3g R_E everywhere sunward (dr_focus %.3g)", sp->ni, p->h0,
                h0);
    } else {
        double lo = 0.0, hi = 1.0;
        while (cosh_cells(A, B, h0, hi) > sp->ni && hi < 1e6) hi *= 2.0;
        for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
            double mid = 0.5 * (lo + hi);
            if (cosh_cells(A, B, h0, mid) > sp->ni) lo = mid;
            else hi = mid;
        }
        p->h0 = h0;
        p->beta = 0.5 * (lo + hi);
        p->eta_f = asinh(A * p->beta / h0) / p->beta;
    }
    double Z = sp->ni - p->eta_f;
    if (!(Z > 0.0)) {
        cr_error(log, "grid.r_focus: %.3g R_E leaves no radial cells sunward of it", p->r_f);
        return CR_ECONFIG;
    }
    const double D[2] = {p->x_tail - p->r_f, p->r_side - p->r_f};
    double *c[2] = {&p->c_tail, &p->c_side}, *lin[2] = {&p->lin_tail, &p->lin_side};
    for (int q = 0; q < 2; q++) {
        *c[q] = (D[q] / p->h0 - Z) * 4.0 / (Z * Z * Z * Z);
        *lin[q] = D[q] / Z;
        if (*c[q] < 0.0) *c[q] = -1.0; /* shorter than the focus spacing reaches: uniform */
    }
    /* inner ghosts: spheres with the first cell's sunward spacing, kept
     * outside r_inner / 2 */
    double first = prof_sun(p, 1.0) - p->r_in;
    if (sp->ni == 1) first = p->x_sun - p->r_in;
    int ng = sp->ng ? sp->ng : 4;
    p->dr_ghost = CR_MIN(first, 0.5 * p->r_in / ng);
    return CR_OK;
}

void cr_grid_lfm_defaults(struct cr_grid_spec *s)
{
    if (s->r_inner == 0.0) s->r_inner = 2.0;
    if (s->x_sun == 0.0) s->x_sun = 30.0;
    if (s->x_tail == 0.0) s->x_tail = 300.0;
    if (s->r_side == 0.0) s->r_side = 100.0;
    if (s->r_focus == 0.0) s->r_focus = 10.0;
    if (s->dr_focus == 0.0) s->dr_focus = 0.34 * 48.0 / (s->ni > 0 ? s->ni : 48);
}

int cr_grid_spec_preset(struct cr_grid_spec *spec, const char *name)
{
    int n;
    if (name && !strcmp(name, "D")) n = 48;
    else if (name && !strcmp(name, "Q")) n = 96;
    else {
        cr_error(spec ? spec->log : NULL, "grid: unknown preset '%s' (allowed: D, Q)", name ? name : "(null)");
        return CR_ECONFIG;
    }
    spec->kind = CR_GRID_LFM;
    spec->ni = n;
    spec->nj = n;
    spec->nk = 4 * n / 3;
    spec->r_inner = 2.0;
    spec->x_sun = 30.0;
    spec->x_tail = 300.0;
    spec->r_side = 100.0;
    spec->r_focus = 10.0;
    spec->dr_focus = 0.34 * 48.0 / n; /* 0.34 R_E on D, 0.17 on Q */
    spec->j_warp = 0.5;
    return CR_OK;
}

static int check_lfm(const struct cr_grid_spec *s, const struct cr_log *log)
{
    if (s->nk % 2 || s->nk < 4) {
        cr_error(log, "grid.nk: the LFM grid needs an even nk >= 4 (axis ghosts pair k with k + nk/2); got %d", s->nk);
        return CR_ECONFIG;
    }
    if (s->nj < 2) {
        cr_error(log, "grid.nj: the LFM grid needs nj >= 2 (got %d)", s->nj);
        return CR_ECONFIG;
    }
    if (!(s->r_inner > 0.0) || !(s->r_focus > s->r_inner) || !(s->x_sun > s->r_focus) ||
        !(s->x_tail > s->r_focus) || !(s->r_side > s->r_focus) || !(s->x_sun < 1e6) || !(s->x_tail < 1e6) ||
        !(s->r_side < 1e6)) {
        cr_error(log,
                 "grid.r_inner, grid.r_focus, grid.x_sun, grid.x_tail, grid.r_side: need 0 < r_inner < r_focus < "
                 "x_sun, x_tail, r_side (got %g, %g, %g, %g, %g R_E)",
                 s->r_inner, s->r_focus, s->x_sun, s->x_tail, s->r_side);
        return CR_ECONFIG;
    }
    if (!(s->dr_focus > 0.0) || !(s->dr_focus < s->x_sun - s->r_inner)) {
        cr_error(log, "grid.dr_focus: must be in (0, x_sun - r_inner) (got %g R_E)", s->dr_focus);
        return CR_ECONFIG;
    }
    if (!(s->j_warp > -2.0 && s->j_warp < 4.0)) {
        cr_error(log, "grid.j_warp: must be in (-2, 4) for a monotone polar angle (got %g)", s->j_warp);
        return CR_ECONFIG;
    }
    return CR_OK;
}

/* cos and sin of 2 pi k / nk, k in [0, nk), exactly symmetric under
 * k -> nk - k (z -> -z) and k -> nk/2 - k (y -> -y) when 4 divides nk. */
static void azimuth_table(int nk, double *c, double *s)
{
    if (nk % 4) {
        for (int k = 0; k < nk; k++) {
            c[k] = cos(2.0 * CR_PI * k / nk);
            s[k] = sin(2.0 * CR_PI * k / nk);
        }
        return;
    }
    int q4 = nk / 4;
    /* first quadrant, symmetric about 45 degrees */
    for (int m = 0; m <= q4; m++) {
        if (2 * m <= q4) {
            c[m] = cos(2.0 * CR_PI * m / nk);
            s[m] = sin(2.0 * CR_PI * m / nk);
            if (2 * m == q4) s[m] = c[m];
        }
    }
    c[0] = 1.0;
    s[0] = 0.0;
    for (int m = 0; m <= q4; m++)
        if (2 * m > q4) {
            c[m] = s[q4 - m];
            s[m] = c[q4 - m];
        }
    for (int m = 0; m < q4; m++) {
        c[q4 + m] = -s[m];
        s[q4 + m] = c[m];
        c[2 * q4 + m] = -c[m];
        s[2 * q4 + m] = -s[m];
        c[3 * q4 + m] = s[m];
        s[3 * q4 + m] = -c[m];
    }
}

/* The checks, the radial profile and the nesting of the shells. */
static int lfm_prepare(const struct cr_grid_spec *sp, struct lfm_prof *p)
{
    const struct cr_log *log = sp->log;
    if (check_lfm(sp, log)) return CR_ECONFIG;
    int rc = make_profile(sp, p, log);
    if (rc) return rc;
    const int ng = sp->ng ? sp->ng : 4;
    /* shells must grow with i in all three extents */
    double ps = 0, pe = 0, pw = 0;
    for (int i = -ng; i <= sp->ni + ng; i++) {
        double s, e, w;
        shell_extents(p, i, &s, &e, &w);
        if (!(s > 0.0 && e > 0.0 && w > 0.0) || (i > -ng && !(s > ps && e > pe && w > pw))) {
            cr_error(log, "grid.dr_focus, grid.x_sun, grid.x_tail, grid.r_side: LFM shell %d is not outside shell %d "
                          "(extents %g %g %g R_E)", i, i - 1, s, e, w);
            return CR_ECONFIG;
        }
        ps = s;
        pe = e;
        pw = w;
    }
    return CR_OK;
}

int cr_grid_lfm_check(const struct cr_grid_spec *s)
{
    struct lfm_prof p;
    return lfm_prepare(s, &p);
}

int cr_grid_lfm_corners(struct cr_grid *g)
{
    const struct cr_grid_spec *sp = &g->spec;
    const struct cr_log *log = sp->log;
    struct lfm_prof p;
    int rc = lfm_prepare(sp, &p);
    if (rc) return rc;
    const int ni = g->ni, nj = g->nj, nk = g->nk, ng = g->ng;
    double *ck = cr_zalloc((size_t)nk, sizeof(double)), *sk = cr_zalloc((size_t)nk, sizeof(double));
    double *cth = cr_zalloc((size_t)nj + 1, sizeof(double)), *sth = cr_zalloc((size_t)nj + 1, sizeof(double));
    if (!ck || !sk || !cth || !sth) {
        free(ck);
        free(sk);
        free(cth);
        free(sth);
        cr_error(log, "grid: out of memory");
        return CR_ENOMEM;
    }
    azimuth_table(nk, ck, sk);
    const double A = sp->j_warp;
    for (int j = 0; j <= nj; j++) {
        double eta = (double)j / nj;
        double th = CR_PI * eta + A * (0.5 * CR_PI - CR_PI * eta) * eta * (1.0 - eta);
        cth[j] = cos(th);
        sth[j] = sin(th);
    }
    cth[0] = 1.0;
    sth[0] = 0.0;
    cth[nj] = -1.0;
    sth[nj] = 0.0;
    if (nj % 2 == 0) { /* theta(1/2) = pi/2 for any A: the terminator plane is x = 0 exactly */
        cth[nj / 2] = 0.0;
        sth[nj / 2] = 1.0;
    }
    /* active j, k in [0, nk), every i */
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nk; k++)
        for (int j = 0; j <= nj; j++)
            for (int i = -ng; i <= ni + ng; i++) {
                double s, e, w;
                shell_extents(&p, i + g->spec.block_i0 * (g->spec.block_ni > 0), &s, &e, &w); /* i of the whole grid */
                double a = cth[j] >= 0.0 ? s : e;
                double u = cth[j] / a, v = sth[j] / w;
                double r = 1.0 / sqrt(u * u + v * v);
                double rho = r * sth[j];
                size_t m = CR_GIDX(g, i, j, k);
                g->x[m] = r * cth[j];
                g->y[m] = rho * ck[k];
                g->z[m] = rho * sk[k];
            }
    free(ck);
    free(sk);
    free(cth);
    free(sth);
    /* k ghosts and the seam k = nk: periodic copies */
#pragma omp parallel for schedule(static)
    for (int k = -ng; k <= nk + ng; k++) {
        if (k >= 0 && k < nk) continue;
        int ks = ((k % nk) + nk) % nk;
        for (int j = 0; j <= nj; j++)
            for (int i = -ng; i <= ni + ng; i++) {
                size_t d = CR_GIDX(g, i, j, k), s = CR_GIDX(g, i, j, ks);
                g->x[d] = g->x[s];
                g->y[d] = g->y[s];
                g->z[d] = g->z[s];
            }
    }
    /* j ghosts: reflection through the axis */
#pragma omp parallel for schedule(static)
    for (int k = -ng; k <= nk + ng; k++) {
        int kp = (((k + nk / 2) % nk) + nk) % nk;
        for (int m = 1; m <= ng; m++)
            for (int i = -ng; i <= ni + ng; i++) {
                size_t d = CR_GIDX(g, i, -m, k), s = CR_GIDX(g, i, m, kp);
                g->x[d] = g->x[s];
                g->y[d] = g->y[s];
                g->z[d] = g->z[s];
                d = CR_GIDX(g, i, nj + m, k);
                s = CR_GIDX(g, i, nj - m, kp);
                g->x[d] = g->x[s];
                g->y[d] = g->y[s];
                g->z[d] = g->z[s];
            }
    }
    return CR_OK;
}

double cr_grid_lfm_volume(const struct cr_grid_spec *spec)
{
    struct cr_grid_spec s = *spec;
    cr_grid_lfm_defaults(&s);
    double w = s.r_side;
    return 2.0 * CR_PI / 3.0 * w * w * (s.x_sun + s.x_tail) - 4.0 * CR_PI / 3.0 * s.r_inner * s.r_inner * s.r_inner;
}
