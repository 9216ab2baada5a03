/* cr_gradient.c — four-spacecraft gradient distributions, moments and the
 * pressure-divergence budget (Shuster et al. 2026, eqs. 2-5; see
 * cr_gradient.h). */
#include "cr_gradient.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

/* eV cm^-3 in nPa; (cm^-3 (km/s)^2) x kg in nPa; 1 (km/s)^3 of f in cm^-3 */
#define EV_CC_NPA (CR_EV_J * CR_CC / CR_NPA)
#define KMS2_CC_NPA (CR_CC * CR_KMS * CR_KMS / CR_NPA)
#define DV_CC 1e15

double cr_gradient_v(const struct cr_gradient *g, size_t i) { return -g->v_max + (i + 0.5) * g->dv; }

void cr_gradient_to_fac(const struct cr_gradient *g, const double x[3], double out[3])
{
    for (int c = 0; c < 3; c++) out[c] = g->frame[c][0] * x[0] + g->frame[c][1] * x[1] + g->frame[c][2] * x[2];
}

void cr_gradient_release(struct cr_gradient *g)
{
    if (!g) return;
    for (int a = 0; a < 4; a++) free(g->f[a]);
    for (int c = 0; c < 3; c++) free(g->grad[c]);
    free(g);
}

static double norm(const double a[3]) { return sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

/* The paper's frame; when U is zero or along B the same construction with x
 * (y when b is near x) in place of U: e_perp2 along b x x. */
static int make_frame(struct cr_gradient *g)
{
    if (cr_fac_frame(g->B, g->U, g->frame[0], g->frame[1], g->frame[2]) == CR_OK) return CR_OK;
    double nb = norm(g->B);
    if (!(nb > 0)) return CR_EDOMAIN;
    double axis[3] = {1, 0, 0};
    if (fabs(g->B[0]) > 0.9 * nb) axis[0] = 0, axis[1] = 1;
    if (cr_fac_frame(g->B, axis, g->frame[0], g->frame[1], g->frame[2]) != CR_OK) return CR_EDOMAIN;
    g->frame_fallback = 1;
    return CR_OK;
}

/* each native f on the common grid */
static void regrid(struct cr_gradient *g, const struct cr_gradient_inp *inp)
{
    size_t nv = g->nv;
    for (int a = 0; a < g->nsc; a++) {
        const struct cr_vdf *v = inp->vdf[a];
        double *out = g->f[a];
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < nv; i++) {
            double vp = cr_gradient_v(g, i);
            for (size_t j = 0; j < nv; j++) {
                double v1 = cr_gradient_v(g, j);
                for (size_t k = 0; k < nv; k++) {
                    double v2 = cr_gradient_v(g, k), vel[3];
                    for (int d = 0; d < 3; d++)
                        vel[d] = vp * g->frame[0][d] + v1 * g->frame[1][d] + v2 * g->frame[2][d];
                    out[(i * nv + j) * nv + k] = cr_vdf_eval(v, vel);
                }
            }
        }
    }
}

/* four-point terms from the moments */
static void fluid_terms(struct cr_gradient *g)
{
    const struct cr_tetra *t = &g->tetra;
    double n[4], tmp[3];
    for (int a = 0; a < 4; a++) n[a] = g->mom[a].n;
    cr_tetra_gradient(t, n, g->grad_n);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double P[4], T[4], I[4];
            for (int a = 0; a < 4; a++) {
                P[a] = g->mom[a].P[i][j];
                T[a] = g->mom[a].T[i][j];
                I[a] = g->mass * KMS2_CC_NPA * g->mom[a].n * g->mom[a].U[i] * g->mom[a].U[j];
            }
            /* (div X)_j = sum_i d_i X_ij */
            cr_tetra_gradient(t, P, tmp);
            g->div_P[j] += tmp[i];
            cr_tetra_gradient(t, T, tmp);
            g->n_div_T[j] += EV_CC_NPA * g->n_mean * tmp[i];
            cr_tetra_gradient(t, I, tmp);
            g->div_inertia[j] += tmp[i];
            g->T_grad_n[j] += EV_CC_NPA * g->T_mean[i][j] * g->grad_n[i];
        }
}

/* grad f on the common grid and the velocity-space identities */
static void kinetic_terms(struct cr_gradient *g)
{
    size_t nv = g->nv, nc = nv * nv * nv;
    const struct cr_tetra *t = &g->tetra;
    double kf[4][3]; /* reciprocal vectors in the frame */
    for (int a = 0; a < 4; a++) cr_gradient_to_fac(g, t->k[a], kf[a]);
    double sg[3] = {0}, sk[3] = {0};
#pragma omp parallel for schedule(static) reduction(+ : sg[:3], sk[:3])
    for (size_t c = 0; c < nc; c++) {
        size_t i = c / (nv * nv), j = (c / nv) % nv, k = c % nv;
        double vel[3] = {cr_gradient_v(g, i), cr_gradient_v(g, j), cr_gradient_v(g, k)};
        for (int d = 0; d < 3; d++) {
            double s = 0;
            for (int a = 1; a < 4; a++) s += kf[a][d] * (g->f[a][c] - g->f[0][c]);
            g->grad[d][c] = s;
            sg[d] += s;
            sk[d] += vel[0] * vel[d] * s;
        }
    }
    double dv3 = g->dv * g->dv * g->dv, xyz[3] = {0};
    for (int c = 0; c < 3; c++)
        for (int d = 0; d < 3; d++) xyz[d] += g->frame[c][d] * sg[c];
    for (int d = 0; d < 3; d++) g->int_grad_f[d] = DV_CC * dv3 * xyz[d];
    g->kin_stress_par = 0;
    for (int c = 0; c < 3; c++) {
        g->kin_stress_terms[c] = g->mass * DV_CC * KMS2_CC_NPA * dv3 * sk[c];
        g->kin_stress_par += g->kin_stress_terms[c];
    }
}

static void pair_terms(struct cr_gradient *g)
{
    size_t nc = g->nv * g->nv * g->nv;
    double s = 0;
    for (size_t c = 0; c < nc; c++) {
        g->grad[0][c] = (g->f[1][c] - g->f[0][c]) / g->ds;
        s += g->grad[0][c];
    }
    g->int_grad_f[0] = DV_CC * g->dv * g->dv * g->dv * s;
    g->grad_n[0] = (g->mom[1].n - g->mom[0].n) / g->ds;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) g->ds_P[i][j] = (g->mom[1].P[i][j] - g->mom[0].P[i][j]) / g->ds;
}

struct cr_gradient *cr_gradient_new(const struct cr_gradient_inp *inp)
{
    const struct cr_log *log = inp->log;
    if (inp->nsc != 4 && inp->nsc != 2) {
        cr_error(log, "gradient: %d spacecraft; four (a tetrahedron) or two (a pair) are needed", inp->nsc);
        return NULL;
    }
    if (inp->nv < 2) {
        cr_error(log, "gradient: the common velocity grid needs at least 2 cells per axis (got %zu)", inp->nv);
        return NULL;
    }
    struct cr_gradient *g = cr_zalloc(1, sizeof *g);
    if (!g) return NULL;
    g->nsc = inp->nsc;
    g->nv = inp->nv;
    g->mass = inp->vdf[0]->mass;
    g->charge = inp->charge;
    for (int a = 1; a < g->nsc; a++)
        if (fabs(inp->vdf[a]->mass - g->mass) > 1e-12 * g->mass) {
            cr_error(log, "gradient: spacecraft %d's distribution has mass %g kg, spacecraft 1's %g", a + 1,
                     inp->vdf[a]->mass, g->mass);
            cr_gradient_release(g);
            return NULL;
        }
    /* geometry */
    if (g->nsc == 4) {
        struct cr_tetra_inp ti = {.min_eigen_ratio = inp->min_eigen_ratio, .log = log};
        memcpy(ti.r, inp->r, sizeof ti.r);
        if (cr_tetra_init(&g->tetra, &ti) != CR_OK) {
            cr_gradient_release(g);
            return NULL;
        }
        cr_tetra_quality(&g->tetra, &g->elongation, &g->planarity);
        double s = 0;
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++) {
                double d[3] = {inp->r[b][0] - inp->r[a][0], inp->r[b][1] - inp->r[a][1], inp->r[b][2] - inp->r[a][2]};
                s += norm(d) / 6;
            }
        g->size = s;
    } else {
        for (int d = 0; d < 3; d++) g->direction[d] = inp->r[1][d] - inp->r[0][d];
        g->ds = norm(g->direction);
        if (!(g->ds > 0) || !isfinite(g->ds)) {
            cr_error(log, "gradient: the two spacecraft are at the same place (or a position is not finite)");
            cr_gradient_release(g);
            return NULL;
        }
        for (int d = 0; d < 3; d++) g->direction[d] /= g->ds;
        g->size = g->ds;
    }
    /* moments and the frame */
    for (int a = 0; a < g->nsc; a++) {
        cr_vdf_moments(inp->vdf[a], &g->mom[a]);
        g->n_mean += g->mom[a].n / g->nsc;
        for (int i = 0; i < 3; i++) {
            g->B[i] += inp->B[a][i] / g->nsc;
            g->U[i] += (inp->have_U ? inp->U[a][i] : g->mom[a].U[i]) / g->nsc;
            for (int j = 0; j < 3; j++) g->T_mean[i][j] += g->mom[a].T[i][j] / g->nsc;
        }
    }
    if (make_frame(g) != CR_OK) {
        cr_error(log, "gradient: the mean magnetic field is zero or not finite (%g, %g, %g nT): no field-aligned frame",
                 g->B[0], g->B[1], g->B[2]);
        cr_gradient_release(g);
        return NULL;
    }
    g->v_max = inp->v_max;
    if (!(g->v_max > 0))
        for (int a = 0; a < g->nsc; a++) g->v_max = fmax(g->v_max, cr_vdf_max_speed(inp->vdf[a]));
    g->dv = 2 * g->v_max / (double)g->nv;
    size_t nc = g->nv * g->nv * g->nv;
    for (int a = 0; a < g->nsc; a++)
        if (!(g->f[a] = cr_zalloc(nc, sizeof(double)))) goto nomem;
    for (int c = 0; c < (g->nsc == 4 ? 3 : 1); c++)
        if (!(g->grad[c] = cr_zalloc(nc, sizeof(double)))) goto nomem;
    regrid(g, inp);
    if (g->nsc == 2) {
        pair_terms(g);
        return g;
    }
    fluid_terms(g);
    kinetic_terms(g);
    double dpar = 0, dn = 0, dt = 0, dstress = 0;
    for (int d = 0; d < 3; d++) {
        dpar += g->frame[0][d] * g->div_P[d];
        dn += g->frame[0][d] * g->T_grad_n[d];
        dt += g->frame[0][d] * g->n_div_T[d];
        dstress += g->frame[0][d] * (g->div_P[d] + g->div_inertia[d]);
    }
    g->div_stress_par = dstress;
    /* E_par = (div P)_par / (n q): nPa/km -> Pa/m is 1e-12; V/m -> mV/m 1e3 */
    double nq = g->n_mean * CR_CC * g->charge * CR_QE;
    if (nq != 0) {
        g->E_par = 1e-9 * dpar / nq;
        g->E_par_density = 1e-9 * dn / nq;
        g->E_par_temperature = 1e-9 * dt / nq;
    }
    return g;
nomem:
    cr_error(log, "gradient: out of memory for a %zu^3 velocity grid", g->nv);
    cr_gradient_release(g);
    return NULL;
}
