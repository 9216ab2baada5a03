/* cr_mhd.c — the MHD solver object: construction, initial-condition helpers,
 * the time-step driver and diagnostics (see cr_mhd.h, mhd/README.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../core/cr_par.h"
#include "cr_mhd_priv.h"


void cr_mhd_units_code(struct cr_mhd_units *u)
{
    *u = (struct cr_mhd_units){.length = 1, .density = 1, .velocity = 1, .pressure = 1, .bfield = 1, .current = 1,
                               .time = 1, .length_unit = "code length", .density_unit = "code density",
                               .velocity_unit = "code velocity", .pressure_unit = "code pressure",
                               .bfield_unit = "code field (mu0 = 1)", .current_unit = "code current density",
                               .time_unit = "code time",
                               .note = "normalised code units: mu0 = 1, magnetic pressure B^2/2"};
}

void cr_mhd_units_physical(struct cr_mhd_units *u, double l0_m, double n0_cc, double v0_kms)
{
    const double rho0 = CR_MP * n0_cc * CR_CC;      /* kg/m^3 */
    const double v0 = v0_kms * CR_KMS;               /* m/s */
    const double b0 = sqrt(CR_MU0 * rho0) * v0;      /* T */
    *u = (struct cr_mhd_units){.length = l0_m / CR_RE_M,
                               .density = n0_cc,
                               .velocity = v0_kms,
                               .pressure = rho0 * v0 * v0 / CR_NPA,
                               .bfield = b0 / CR_NT,
                               .current = b0 / (CR_MU0 * l0_m) * 1e9,
                               .time = l0_m / v0,
                               .length_unit = "R_E",
                               .density_unit = "#/cc",
                               .velocity_unit = "km/s",
                               .pressure_unit = "nPa",
                               .bfield_unit = "nT",
                               .current_unit = "nA/m^2",
                               .time_unit = "s",
                               .note = "physical units (SM coordinates); code units normalised with mu0 = 1"};
}

static double *alloc_array(struct cr_mhd *m, int *fail)
{
    double *p = cr_zalloc(m->g->ntot, sizeof(double));
    if (!p) *fail = 1;
    else m->bytes += m->g->ntot * sizeof(double);
    return p;
}

int cr_mhd_scratch_ensure(struct cr_mhd *m)
{
    int nt = 1;
#ifdef _OPENMP
    nt = omp_get_max_threads();
#endif
    if (nt <= m->nscratch) return CR_OK;
    if (m->scratch)
        for (int t = 0; t < m->nscratch; t++) free(m->scratch[t]);
    free(m->scratch);
    m->nscratch = 0;
    m->scratch = cr_zalloc((size_t)nt, sizeof(double *));
    if (!m->scratch) return CR_ENOMEM;
    for (int t = 0; t < nt; t++) {
        m->scratch[t] = cr_zalloc(m->scratch_len, sizeof(double));
        if (!m->scratch[t]) return CR_ENOMEM;
    }
    m->nscratch = nt;
    return CR_OK;
}

/* Inverse of the symmetric 3x3 matrix sum_f A_f A_f^T for every cell. */
static int setup_minv(struct cr_mhd *m)
{
    const struct cr_grid *g = m->g;
    const int ng = g->ng;
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad)
    for (int k = -ng; k < g->nk + ng; k++)
        for (int j = -ng; j < g->nj + ng; j++)
            for (int i = -ng; i < g->ni + ng; i++) {
                size_t c = CR_GIDX(g, i, j, k);
                double a[6] = {0, 0, 0, 0, 0, 0};
                for (int d = 0; d < 3; d++)
                    for (int s = 0; s < 2; s++) {
                        size_t f = c + (s ? (size_t)m->stride[d] : 0);
                        double x = g->area[d][0][f], y = g->area[d][1][f], z = g->area[d][2][f];
                        a[0] += x * x, a[1] += x * y, a[2] += x * z;
                        a[3] += y * y, a[4] += y * z, a[5] += z * z;
                    }
                /* cofactors */
                double c00 = a[3] * a[5] - a[4] * a[4];
                double c01 = a[2] * a[4] - a[1] * a[5];
                double c02 = a[1] * a[4] - a[2] * a[3];
                double c11 = a[0] * a[5] - a[2] * a[2];
                double c12 = a[1] * a[2] - a[0] * a[4];
                double c22 = a[0] * a[3] - a[1] * a[1];
                double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
                double tr = a[0] + a[3] + a[5];
                if (!(fabs(det) > 1e-14 * tr * tr * tr)) {
                    bad = 1;
                    continue;
                }
                double id = 1.0 / det;
                m->minv[0][c] = c00 * id, m->minv[1][c] = c01 * id, m->minv[2][c] = c02 * id;
                m->minv[3][c] = c11 * id, m->minv[4][c] = c12 * id, m->minv[5][c] = c22 * id;
            }
    if (bad) {
        cr_error(m->log, "mhd: a cell has face-area vectors that do not span 3-D space (degenerate cell)");
        return CR_EDOMAIN;
    }
    return CR_OK;
}

/* Centre of face (d; i,j,k): mean of its four corners. */
static void face_centre(const struct cr_grid *g, int d, int i, int j, int k, double p[3])
{
    int a = (d + 1) % 3, b = (d + 2) % 3;
    int idx[4][3] = {{i, j, k}, {i, j, k}, {i, j, k}, {i, j, k}};
    idx[1][a] += 1;
    idx[2][a] += 1;
    idx[2][b] += 1;
    idx[3][b] += 1;
    p[0] = p[1] = p[2] = 0.0;
    for (int q = 0; q < 4; q++) {
        size_t n = CR_GIDX(g, idx[q][0], idx[q][1], idx[q][2]);
        p[0] += 0.25 * g->x[n];
        p[1] += 0.25 * g->y[n];
        p[2] += 0.25 * g->z[n];
    }
}

static int setup_b0(struct cr_mhd *m, cr_mhd_field_fn b0, void *ctx)
{
    const struct cr_grid *g = m->g;
    const int ng = g->ng;
    for (int k = -ng; k < g->nk + ng; k++)
        for (int j = -ng; j < g->nj + ng; j++)
            for (int i = -ng; i < g->ni + ng; i++) {
                size_t c = CR_GIDX(g, i, j, k);
                double x[3] = {g->cx[c], g->cy[c], g->cz[c]}, b[3];
                b0(ctx, x, b);
                for (int q = 0; q < 3; q++) m->b0c[q][c] = b[q];
            }
    for (int d = 0; d < 3; d++) {
        const int ext[3] = {d == 0, d == 1, d == 2};
        for (int k = -ng; k < g->nk + ng + ext[2]; k++)
            for (int j = -ng; j < g->nj + ng + ext[1]; j++)
                for (int i = -ng; i < g->ni + ng + ext[0]; i++) {
                    double x[3], b[3];
                    face_centre(g, d, i, j, k, x);
                    b0(ctx, x, b);
                    size_t f = CR_GIDX(g, i, j, k);
                    for (int q = 0; q < 3; q++) m->b0f[d][q][f] = b[q];
                }
    }
    if (m->b0_sources) {
        /* J0 = (1/V) sum_f s_f A_f x B0_f (Gauss), for the J0 x B0 and E.J0 sources */
        for (int k = -ng; k < g->nk + ng; k++)
            for (int j = -ng; j < g->nj + ng; j++)
                for (int i = -ng; i < g->ni + ng; i++) {
                    size_t c = CR_GIDX(g, i, j, k);
                    double jv[3] = {0, 0, 0};
                    for (int d = 0; d < 3; d++)
                        for (int s = 0; s < 2; s++) {
                            size_t f = c + (s ? (size_t)m->stride[d] : 0);
                            double sg = s ? 1.0 : -1.0;
                            const double A[3] = {g->area[d][0][f], g->area[d][1][f], g->area[d][2][f]};
                            const double B[3] = {m->b0f[d][0][f], m->b0f[d][1][f], m->b0f[d][2][f]};
                            jv[0] += sg * (A[1] * B[2] - A[2] * B[1]);
                            jv[1] += sg * (A[2] * B[0] - A[0] * B[2]);
                            jv[2] += sg * (A[0] * B[1] - A[1] * B[0]);
                        }
                    for (int q = 0; q < 3; q++) m->j0[q][c] = jv[q] / g->vol[c];
                }
    }
    return CR_OK;
}

struct cr_mhd *cr_mhd_new(const struct cr_mhd_inp *inp)
{
    const struct cr_log *log = inp ? inp->log : NULL;
    if (!inp || !inp->grid) {
        cr_error(log, "mhd: no grid given");
        return NULL;
    }
    if (!(inp->gamma > 1.0)) {
        cr_error(log, "mhd: gamma must be > 1 (got %g)", inp->gamma);
        return NULL;
    }
    if (!(inp->dual_energy >= 0.0 && inp->dual_energy <= 0.5)) {
        cr_error(log, "mhd: dual_energy must be in [0, 0.5] (got %g)", inp->dual_energy);
        return NULL;
    }
    if (inp->cfl < 0.0 || inp->cfl >= 1.0 || inp->boris_c < 0.0 || inp->rho_floor < 0.0 || inp->p_floor < 0.0) {
        cr_error(log, "mhd: cfl must be in [0, 1) and boris_c, floors >= 0 (cfl %g, boris_c %g, floors %g %g)",
                 inp->cfl, inp->boris_c, inp->rho_floor, inp->p_floor);
        return NULL;
    }
    const struct cr_grid *g = inp->grid;
    struct cr_mhd *m = cr_zalloc(1, sizeof *m);
    if (!m) return NULL;
    m->g = g;
    m->log = log;
    if (inp->units) m->units = *inp->units;
    else cr_mhd_units_code(&m->units);
    memcpy(m->bc, inp->bc, sizeof m->bc);
    m->riemann = inp->riemann;
    m->recon = inp->recon;
    m->limiter = inp->limiter;
    m->integrator = inp->integrator;
    m->gamma = inp->gamma;
    m->cfl = inp->cfl > 0.0 ? inp->cfl : 0.3;
    m->rho_floor = inp->rho_floor > 0.0 ? inp->rho_floor : 1e-10;
    m->p_floor = inp->p_floor > 0.0 ? inp->p_floor : 1e-10;
    m->dual_eta = inp->dual_energy;
    m->boris_c = inp->boris_c;
    m->inv_c2 = inp->boris_c > 0.0 ? 1.0 / (inp->boris_c * inp->boris_c) : 0.0;
    m->n[0] = g->ni, m->n[1] = g->nj, m->n[2] = g->nk;
    m->stride[0] = 1, m->stride[1] = (ptrdiff_t)g->sj, m->stride[2] = (ptrdiff_t)g->sk;
    m->ns = m->recon == CR_MHD_WENOZ ? 3 : 2;
    if (g->ng < m->ns + 1) {
        cr_error(log, "mhd: the grid has %d ghost layers, the reconstruction needs %d", g->ng, m->ns + 1);
        free(m);
        return NULL;
    }
    for (int d = 0; d < 3; d++) {
        m->active[d] = m->n[d] > 1;
        m->off[d] = m->active[d] ? m->stride[d] : 0;
        m->wr.lo[d] = m->active[d] ? -m->ns : 0;
        m->wr.hi[d] = m->active[d] ? m->n[d] + m->ns - 1 : 0;
    }
    switch (m->integrator) {
    case CR_MHD_VL2:
        m->nstages = 2;
        m->g0[0] = 1, m->g1[0] = 0, m->beta[0] = 0.5, m->c[0] = 0;
        m->g0[1] = 1, m->g1[1] = 0, m->beta[1] = 1.0, m->c[1] = 0.5;
        break;
    case CR_MHD_RK2:
        m->nstages = 2;
        m->g0[0] = 1, m->g1[0] = 0, m->beta[0] = 1.0, m->c[0] = 0;
        m->g0[1] = 0.5, m->g1[1] = 0.5, m->beta[1] = 0.5, m->c[1] = 1;
        break;
    case CR_MHD_RK3:
    default:
        m->nstages = 3;
        m->g0[0] = 1, m->g1[0] = 0, m->beta[0] = 1.0, m->c[0] = 0;
        m->g0[1] = 0.75, m->g1[1] = 0.25, m->beta[1] = 0.25, m->c[1] = 1;
        m->g0[2] = 1.0 / 3.0, m->g1[2] = 2.0 / 3.0, m->beta[2] = 2.0 / 3.0, m->c[2] = 0.5;
        break;
    }
    int fail = 0;
    for (int q = 0; q < CR_MHD_NCONS; q++) {
        m->u[q] = alloc_array(m, &fail);
        m->u0[q] = alloc_array(m, &fail);
    }
    for (int q = 0; q < CR_MHD_NPRIM; q++) m->w[q] = alloc_array(m, &fail);
    if (m->dual_eta > 0.0) m->pn = alloc_array(m, &fail);
    for (int d = 0; d < 3; d++) {
        m->face[d] = alloc_array(m, &fail);
        m->face0[d] = alloc_array(m, &fail);
        m->ecc[d] = alloc_array(m, &fail);
        m->emf[d] = alloc_array(m, &fail);
        m->mflux[d] = alloc_array(m, &fail);
        for (int c = 0; c < 3; c++) m->eface[d][c] = alloc_array(m, &fail);
        if (m->active[d])
            for (int q = 0; q < CR_MHD_NCONS; q++) m->flux[d][q] = alloc_array(m, &fail);
        if (m->active[d] && m->dual_eta > 0.0)
            for (int q = 0; q < 2; q++) m->upw[d][q] = alloc_array(m, &fail);
        if (m->active[d] && m->inv_c2 > 0.0) {
            for (int c = 0; c < 3; c++) m->fluxm[d][c] = alloc_array(m, &fail);
            for (int c = 0; c < 2; c++) m->ej[d][c] = alloc_array(m, &fail);
        }
    }
    if (m->inv_c2 > 0.0 && inp->boris_c_at) {
        /* a Boris speed that varies in space: 1/c^2 at every centroid, ghosts
         * included, and the mean of the two cells on every face */
        m->ic2c = alloc_array(m, &fail);
        for (int d = 0; d < 3; d++)
            if (m->active[d]) m->ic2f[d] = alloc_array(m, &fail);
        if (!fail) {
            const int ng = g->ng;
            for (int k = -ng; k < g->nk + ng; k++)
                for (int j = -ng; j < g->nj + ng; j++)
                    for (int i = -ng; i < g->ni + ng; i++) {
                        size_t c = CR_GIDX(g, i, j, k);
                        double x[3] = {g->cx[c], g->cy[c], g->cz[c]};
                        double cc = inp->boris_c_at(inp->boris_ctx, x);
                        if (!(cc > 0.0) || !isfinite(cc)) cc = inp->boris_c;
                        m->ic2c[c] = 1.0 / (cc * cc);
                    }
            for (int d = 0; d < 3; d++) {
                if (!m->ic2f[d]) continue;
                const ptrdiff_t s = m->stride[d];
                for (int k = -ng + (d == 2); k < g->nk + ng; k++)
                    for (int j = -ng + (d == 1); j < g->nj + ng; j++)
                        for (int i = -ng + (d == 0); i < g->ni + ng; i++) {
                            size_t c = CR_GIDX(g, i, j, k);
                            m->ic2f[d][c] = 0.5 * (m->ic2c[c] + m->ic2c[c - s]);
                        }
            }
        }
    }
    for (int q = 0; q < 6; q++) m->minv[q] = alloc_array(m, &fail);
    if (inp->b0) {
        m->has_b0 = 1;
        m->b0_sources = inp->b0_not_curl_free != 0;
        for (int c = 0; c < 3; c++) {
            m->b0c[c] = alloc_array(m, &fail);
            for (int d = 0; d < 3; d++) m->b0f[d][c] = alloc_array(m, &fail);
            if (m->b0_sources) m->j0[c] = alloc_array(m, &fail);
        }
    }
    int rowlen = CR_MAX(g->ni, CR_MAX(g->nj, g->nk)) + 2 * g->ng + 8;
    m->scratch_len = (size_t)CR_MHD_NROWBUF * (size_t)rowlen;
    if (fail || cr_mhd_scratch_ensure(m)) {
        cr_error(log, "mhd: out of memory (%zu MiB allocated so far)", m->bytes >> 20);
        cr_mhd_release(m);
        return NULL;
    }
    m->axis_rings = inp->axis_rings;
    {
        long cells = (long)g->ni * g->nj * g->nk;
        long minc = inp->omp_min_cells > 0 ? inp->omp_min_cells : 20000;
        m->omp = cells >= minc;
        /* Boundary loops run on one thread: they are ~3 % of a step, but
         * threading them costs ~50 fork/join barriers per step, and on a
         * shared machine with OpenMP's default spin-waiting two threads then
         * ran at 0.46 M cell-updates/s instead of 1.5-1.7 M (64^3 box; 128^3:
         * 1.27 -> 2.15 M). The loops keep their `if (m->omp_bc)` clauses. */
        m->omp_bc = 0;
    }
    int rc = cr_mhd_part_setup(m, inp->part);
    if (!rc) rc = setup_minv(m);
    if (!rc && m->has_b0) rc = setup_b0(m, inp->b0, inp->b0_ctx);
    if (!rc) rc = cr_mhd_axis_check(m);
    if (!rc) rc = cr_mhd_bc_check(m);
    if (rc) {
        cr_mhd_release(m);
        return NULL;
    }
    return m;
}

void cr_mhd_release(struct cr_mhd *m)
{
    if (!m) return;
    for (int q = 0; q < CR_MHD_NCONS; q++) free(m->u[q]), free(m->u0[q]);
    for (int q = 0; q < CR_MHD_NPRIM; q++) free(m->w[q]);
    free(m->pn);
    for (int d = 0; d < 3; d++) {
        free(m->face[d]), free(m->face0[d]), free(m->ecc[d]), free(m->emf[d]), free(m->mflux[d]);
        for (int c = 0; c < 3; c++) free(m->eface[d][c]), free(m->b0f[d][c]);
        for (int q = 0; q < CR_MHD_NCONS; q++) free(m->flux[d][q]);
        free(m->upw[d][0]), free(m->upw[d][1]);
        for (int c = 0; c < 3; c++) free(m->fluxm[d][c]);
        for (int c = 0; c < 2; c++) free(m->ej[d][c]);
        free(m->ic2f[d]);
        free(m->b0c[d]), free(m->j0[d]);
    }
    free(m->ic2c);
    for (int q = 0; q < 6; q++) free(m->minv[q]);
    free(m->ring_chunk);
    cr_mhd_part_release(m);
    if (m->scratch)
        for (int t = 0; t < m->nscratch; t++) free(m->scratch[t]);
    free(m->scratch);
    free(m);
}

void cr_mhd_get_view(struct cr_mhd *m, struct cr_mhd_view *v)
{
    memset(v, 0, sizeof *v);
    v->g = m->g;
    v->gamma = m->gamma;
    v->t = m->t;
    for (int q = 0; q < CR_MHD_NCONS; q++) v->u[q] = m->u[q];
    for (int d = 0; d < 3; d++) {
        v->face[d] = m->face[d];
        v->emf[d] = m->emf[d];
        v->b0c[d] = m->b0c[d];
        for (int c = 0; c < 3; c++) v->b0f[d][c] = m->b0f[d][c];
        v->active[d] = m->active[d];
    }
}

const struct cr_grid *cr_mhd_grid(const struct cr_mhd *m) { return m->g; }
const struct cr_mhd_units *cr_mhd_units(const struct cr_mhd *m) { return &m->units; }
double cr_mhd_gamma(const struct cr_mhd *m) { return m->gamma; }
double cr_mhd_time(const struct cr_mhd *m) { return m->t; }
long cr_mhd_nstep(const struct cr_mhd *m) { return m->nstep; }
size_t cr_mhd_bytes(const struct cr_mhd *m) { return m->bytes; }

void cr_mhd_set_time(struct cr_mhd *m, double t, long nstep)
{
    m->t = t;
    m->nstep = nstep;
}

/* ---- initial conditions ------------------------------------------------------ */

/* 5-point Gauss-Legendre on [0, 1]. */
static const double gl_x[5] = {0.046910077030668, 0.230765344947158, 0.5, 0.769234655052842, 0.953089922969332};
static const double gl_w[5] = {0.118463442528095, 0.239314335249683, 0.284444444444444, 0.239314335249683,
                               0.118463442528095};

int cr_mhd_init_vecpot(struct cr_mhd *m, cr_mhd_field_fn afn, void *ctx)
{
    const struct cr_grid *g = m->g;
    const int ng = g->ng;
    /* line integrals of A along every edge, into the emf arrays */
    for (int e = 0; e < 3; e++) {
        const int ex[3] = {e == 0, e == 1, e == 2};
        for (int k = -ng; k <= g->nk + ng - ex[2]; k++)
            for (int j = -ng; j <= g->nj + ng - ex[1]; j++)
                for (int i = -ng; i <= g->ni + ng - ex[0]; i++) {
                    size_t n0 = CR_GIDX(g, i, j, k), n1 = CR_GIDX(g, i + ex[0], j + ex[1], k + ex[2]);
                    double p0[3] = {g->x[n0], g->y[n0], g->z[n0]};
                    double dl[3] = {g->x[n1] - p0[0], g->y[n1] - p0[1], g->z[n1] - p0[2]};
                    double s = 0.0;
                    for (int q = 0; q < 5; q++) {
                        double x[3] = {p0[0] + gl_x[q] * dl[0], p0[1] + gl_x[q] * dl[1], p0[2] + gl_x[q] * dl[2]};
                        double a[3];
                        afn(ctx, x, a);
                        s += gl_w[q] * (a[0] * dl[0] + a[1] * dl[1] + a[2] * dl[2]);
                    }
                    m->emf[e][n0] = s;
                }
    }
    /* Stokes: Phi = circulation of A around each face (see cr_mhd_ct.c for the orientation) */
    for (int d = 0; d < 3; d++) {
        const int a = (d + 1) % 3, b = (d + 2) % 3;
        const int ext[3] = {d == 0, d == 1, d == 2};
        const ptrdiff_t sa = m->stride[a], sb = m->stride[b];
        for (int k = -ng; k < g->nk + ng + ext[2]; k++)
            for (int j = -ng; j < g->nj + ng + ext[1]; j++)
                for (int i = -ng; i < g->ni + ng + ext[0]; i++) {
                    size_t f = CR_GIDX(g, i, j, k);
                    m->face[d][f] = (m->emf[a][f] + m->emf[b][f + sa]) - (m->emf[a][f + sb] + m->emf[b][f]);
                }
    }
    memset(m->emf[0], 0, g->ntot * sizeof(double));
    memset(m->emf[1], 0, g->ntot * sizeof(double));
    memset(m->emf[2], 0, g->ntot * sizeof(double));
    return CR_OK;
}

int cr_mhd_init_bface(struct cr_mhd *m, cr_mhd_field_fn bfn, void *ctx)
{
    const struct cr_grid *g = m->g;
    const int ng = g->ng;
    for (int d = 0; d < 3; d++) {
        const int ext[3] = {d == 0, d == 1, d == 2};
        for (int k = -ng; k < g->nk + ng + ext[2]; k++)
            for (int j = -ng; j < g->nj + ng + ext[1]; j++)
                for (int i = -ng; i < g->ni + ng + ext[0]; i++) {
                    double x[3], b[3];
                    face_centre(g, d, i, j, k, x);
                    bfn(ctx, x, b);
                    size_t f = CR_GIDX(g, i, j, k);
                    m->face[d][f] = b[0] * g->area[d][0][f] + b[1] * g->area[d][1][f] + b[2] * g->area[d][2][f];
                }
    }
    return CR_OK;
}

void cr_mhd_prim_to_cons(double gamma, const double w[5], const double b1[3], double u[CR_MHD_NCONS])
{
    u[CR_MHD_RHO] = w[0];
    u[CR_MHD_MX] = w[0] * w[1];
    u[CR_MHD_MY] = w[0] * w[2];
    u[CR_MHD_MZ] = w[0] * w[3];
    u[CR_MHD_EN] = w[4] / (gamma - 1.0) + 0.5 * w[0] * (w[1] * w[1] + w[2] * w[2] + w[3] * w[3]) +
                   0.5 * (b1[0] * b1[0] + b1[1] * b1[1] + b1[2] * b1[2]);
}

int cr_mhd_init_prim(struct cr_mhd *m, cr_mhd_prim_fn prim, void *ctx)
{
    /* every cell, ghosts included: boundaries overwrite what they own, and
     * user boundaries may keep the analytic initial state in their ghosts */
    const struct cr_grid *g = m->g;
    const int ng = g->ng;
    int bad = 0;
    for (int k = -ng; k < g->nk + ng; k++)
        for (int j = -ng; j < g->nj + ng; j++)
            for (int i = -ng; i < g->ni + ng; i++) {
                size_t c = CR_GIDX(g, i, j, k);
                const int act = i >= 0 && i < g->ni && j >= 0 && j < g->nj && k >= 0 && k < g->nk;
                double x[3] = {g->cx[c], g->cy[c], g->cz[c]}, w[5], b[3], u[CR_MHD_NCONS];
                prim(ctx, x, w);
                if (act && (!(w[0] > 0.0) || !(w[4] > 0.0) || !isfinite(w[1] + w[2] + w[3]))) bad++;
                cr_mhd_cell_b(m, c, b);
                cr_mhd_prim_to_cons(m->gamma, w, b, u);
                for (int q = 0; q < CR_MHD_NCONS; q++) m->u[q][c] = u[q];
            }
    if (bad) {
        cr_error(m->log, "mhd: the initial state has %d cells with non-positive density or pressure", bad);
        return CR_EDOMAIN;
    }
    return CR_OK;
}

int cr_mhd_init_cons(struct cr_mhd *m, cr_mhd_cons_fn cons, void *ctx)
{
    const struct cr_grid *g = m->g;
    const int ng = g->ng;
    int bad = 0;
    for (int k = -ng; k < g->nk + ng; k++)
        for (int j = -ng; j < g->nj + ng; j++)
            for (int i = -ng; i < g->ni + ng; i++) {
                size_t c = CR_GIDX(g, i, j, k);
                const int act = i >= 0 && i < g->ni && j >= 0 && j < g->nj && k >= 0 && k < g->nk;
                double x[3] = {g->cx[c], g->cy[c], g->cz[c]}, u[CR_MHD_NCONS];
                cons(ctx, x, u);
                if (act && (!(u[0] > 0.0) || !isfinite(u[1] + u[2] + u[3] + u[4]))) bad++;
                for (int q = 0; q < CR_MHD_NCONS; q++) m->u[q][c] = u[q];
            }
    if (bad) {
        cr_error(m->log, "mhd: the initial state has %d cells with non-positive density or non-finite values", bad);
        return CR_EDOMAIN;
    }
    return CR_OK;
}

/* ---- time stepping ------------------------------------------------------------- */

int cr_mhd_dt(struct cr_mhd *m, double *dt)
{
    double rate = 0.0;
    int rc = cr_mhd_scratch_ensure(m);
    if (!rc) rc = cr_mhd_bc_fill(m, m->t);
    if (!rc) rc = cr_mhd_prims(m, &rate);
    rc = cr_mhd_agree(m, rc);
    if (rc) return rc;
    rate = cr_mhd_reduce_max(m, rate);
    *dt = rate > 0.0 ? m->cfl / rate : INFINITY;
    return CR_OK;
}

int cr_mhd_step(struct cr_mhd *m, double dt_max, struct cr_mhd_step_info *info)
{
    int rc = cr_mhd_scratch_ensure(m);
    if (rc) return rc;
    m->n_rho_floor = m->n_p_floor = m->n_entropy = 0;
    /* U^n and Phi^n (active cells, evolved faces) are saved by the stage-0 updates */
    double dt = 0.0, dtc = 0.0;
    for (int s = 0; s < m->nstages; s++) {
        double ts = m->t + m->c[s] * dt;
        double rate = 0.0;
        rc = cr_mhd_bc_fill(m, ts);
        if (!rc) rc = cr_mhd_prims(m, s == 0 ? &rate : NULL);
        rc = cr_mhd_agree(m, rc);
        if (rc) return rc;
        if (s == 0) {
            rate = cr_mhd_reduce_max(m, rate);
            /* CFL: dt = cfl min over cells and directions of h_d / (|v.n_d| + c_fast), h_d = V / mean |A_d| */
            dtc = rate > 0.0 ? m->cfl / rate : INFINITY;
            if (!(dtc > 0.0) || isnan(dtc)) {
                cr_error(m->log, "mhd: step %ld at t = %.6g %s: the time step is not positive (%g %s)", m->nstep,
                         m->t * m->units.time, m->units.time_unit, dtc * m->units.time, m->units.time_unit);
                return CR_ENUMERIC;
            }
            dt = dt_max > 0.0 && dt_max < dtc ? dt_max : dtc;
            if (!isfinite(dt)) {
                cr_error(m->log, "mhd: no wave speed and no dt_max: the time step is undefined");
                return CR_ENUMERIC;
            }
        }
        enum cr_mhd_recon rec = (m->integrator == CR_MHD_VL2 && s == 0) ? CR_MHD_PCM : m->recon;
#pragma omp parallel if (m->omp)
        {
            for (int d = 0; d < 3; d++)
                if (m->active[d]) cr_mhd_sweep(m, d, rec, dt);
            cr_mhd_inactive_faces(m, dt);
        }
#pragma omp parallel if (m->omp)
        cr_mhd_emf(m);
        if (m->ring_chunk) cr_mhd_axis_emf(m);
        rc = cr_mhd_agree(m, cr_mhd_bc_emf(m, ts));
        if (rc) return rc;
        int bad = 0;
        long nsw = 0;
#pragma omp parallel if (m->omp)
        {
            cr_mhd_update_faces(m, s, dt);
            cr_mhd_update_cells(m, s, dt, &bad);
            if (m->dual_eta > 0.0) {
                /* the switch reads the new faces of every row */
#pragma omp barrier
                cr_mhd_dual_energy(m, s, dt, &nsw);
            }
        }
        m->n_entropy += nsw;
        rc = cr_mhd_agree(m, bad ? CR_ENUMERIC : CR_OK);

        if (rc) {
            cr_error(m->log, "mhd: step %ld at t = %.6g %s (dt %.3g %s): non-finite state after stage %d", m->nstep,
                     m->t * m->units.time, m->units.time_unit, dt * m->units.time, m->units.time_unit, s + 1);
            return rc;
        }
        if (m->nrings > 0 && (rc = cr_mhd_axis_average(m))) return rc;
    }
    cr_mhd_seams(m);
    m->t += dt;
    m->nstep++;
    if (info) {
        info->dt = dt;
        info->dt_cfl = dtc;
        info->n_rho_floor = cr_mhd_reduce_sum_long(m, m->n_rho_floor);
        info->n_p_floor = cr_mhd_reduce_sum_long(m, m->n_p_floor);
        info->n_entropy = cr_mhd_reduce_sum_long(m, m->n_entropy);
    }
    return CR_OK;
}

/* ---- diagnostics --------------------------------------------------------------- */

int cr_mhd_output_vars(struct cr_mhd *m, double *out[CR_MHD_NOUT])
{
    int rc = cr_mhd_bc_fill(m, m->t);
    if (!rc) rc = cr_mhd_prims(m, NULL);
    rc = cr_mhd_agree(m, rc);
    if (rc) return rc;
    const struct cr_grid *g = m->g;
    const size_t ni = (size_t)g->ni, nj = (size_t)g->nj;
#pragma omp parallel for if (m->omp) collapse(2) schedule(static)
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                size_t c = CR_GIDX(g, i, j, k), o = (size_t)i + ni * ((size_t)j + nj * (size_t)k);
                double b[3] = {m->w[5][c], m->w[6][c], m->w[7][c]};
                if (m->has_b0) b[0] += m->b0c[0][c], b[1] += m->b0c[1][c], b[2] += m->b0c[2][c];
                double vals[8] = {m->w[0][c], m->w[1][c], m->w[2][c], m->w[3][c], m->w[4][c], b[0], b[1], b[2]};
                for (int q = 0; q < 8; q++)
                    if (out[q]) out[q][o] = vals[q];
                if (out[CR_MHD_OUT_JX] || out[CR_MHD_OUT_JY] || out[CR_MHD_OUT_JZ]) {
                    /* J = (1/V) sum_f s_f A_f x B1_f, B1_f the mean of the two cells' fields */
                    double jv[3] = {0, 0, 0};
                    for (int d = 0; d < 3; d++) {
                        if (!m->active[d]) continue;
                        for (int s = 0; s < 2; s++) {
                            size_t f = s ? c + (size_t)m->stride[d] : c;
                            size_t cl = f - (size_t)m->stride[d], cr = f;
                            double sg = s ? 1.0 : -1.0;
                            double A[3] = {g->area[d][0][f], g->area[d][1][f], g->area[d][2][f]};
                            double B[3];
                            for (int q = 0; q < 3; q++) B[q] = 0.5 * (m->w[5 + q][cl] + m->w[5 + q][cr]);
                            jv[0] += sg * (A[1] * B[2] - A[2] * B[1]);
                            jv[1] += sg * (A[2] * B[0] - A[0] * B[2]);
                            jv[2] += sg * (A[0] * B[1] - A[1] * B[0]);
                        }
                    }
                    for (int q = 0; q < 3; q++) {
                        double jq = jv[q] / g->vol[c];
                        if (m->b0_sources) jq += m->j0[q][c];
                        if (out[CR_MHD_OUT_JX + q]) out[CR_MHD_OUT_JX + q][o] = jq;
                    }
                }
            }
    return CR_OK;
}

int cr_mhd_output_b0(const struct cr_mhd *m, double *out[3])
{
    if (!m->has_b0) return CR_EDOMAIN;
    const struct cr_grid *g = m->g;
    const size_t ni = (size_t)g->ni, nj = (size_t)g->nj;
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                size_t c = CR_GIDX(g, i, j, k), o = (size_t)i + ni * ((size_t)j + nj * (size_t)k);
                for (int q = 0; q < 3; q++)
                    if (out[q]) out[q][o] = m->b0c[q][c];
            }
    return CR_OK;
}

double cr_mhd_divb_max(const struct cr_mhd *m, double *abs_max)
{
    const struct cr_grid *g = m->g;
    double dmax = 0.0, amax = 0.0, bmax = 0.0;
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                size_t c = CR_GIDX(g, i, j, k);
                double div = 0.0;
                for (int d = 0; d < 3; d++) div += m->face[d][c + (size_t)m->stride[d]] - m->face[d][c];
                double b[3];
                cr_mhd_cell_b(m, c, b);
                double bm = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
                double h = cbrt(g->vol[c]);
                double a = fabs(div) / g->vol[c];
                if (!(a <= amax)) amax = a;
                if (!(a * h <= dmax)) dmax = a * h;
                if (bm > bmax) bmax = bm;
            }
    amax = cr_mhd_reduce_max(m, amax);
    dmax = cr_mhd_reduce_max(m, dmax);
    bmax = cr_mhd_reduce_max(m, bmax);
    if (abs_max) *abs_max = amax;
    return dmax / (bmax > 1e-300 ? bmax : 1e-300);
}

void cr_mhd_totals(const struct cr_mhd *m, struct cr_mhd_totals *t)
{
    /* Sums plane by plane (fixed i: over k, then j), then over the planes in
     * i order, so the totals do not depend on how the i range is split over
     * processes. Slot ni holds the last i faces (a non-periodic direction). */
    enum { NQ = 8 };
    const struct cr_grid *g = m->g;
    const int np = g->ni + 1;
    memset(t, 0, sizeof *t);
    double *pl = cr_zalloc((size_t)NQ * (size_t)np, sizeof(double));
    if (!pl) {
        t->mass = NAN;
        return;
    }
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                size_t c = CR_GIDX(g, i, j, k);
                double v = g->vol[c];
                for (int q = 0; q < CR_MHD_NCONS; q++) pl[(size_t)q * np + (size_t)i] += m->u[q][c] * v;
            }
    const int last = !m->parted || m->part.rank_hi < 0; /* holds the grid's last i faces */
    for (int d = 0; d < 3; d++) {
        int hi[3] = {g->ni - 1, g->nj - 1, g->nk - 1};
        const int per = d == 0 && m->parted ? m->part.periodic_i : g->bc[d] == CR_GRID_PERIODIC;
        if (!per && (d > 0 || last)) hi[d] += 1;
        double *row = pl + (size_t)(CR_MHD_NCONS + d) * (size_t)np;
        for (int k = 0; k <= hi[2]; k++)
            for (int j = 0; j <= hi[1]; j++)
                for (int i = 0; i <= hi[0]; i++) row[i] += m->face[d][CR_GIDX(g, i, j, k)];
    }
    double *all = pl;
    int nall = np;
    if (m->parted) {
        /* every block's planes, in rank (= i) order */
        nall = m->part.ni_global + m->part.par->size;
        all = cr_zalloc((size_t)NQ * (size_t)nall, sizeof(double));
        double *tr = cr_zalloc((size_t)NQ * (size_t)np, sizeof(double));
        if (!all || !tr) {
            free(all), free(tr), free(pl);
            t->mass = NAN;
            return;
        }
        for (int q = 0; q < NQ; q++)
            for (int i = 0; i < np; i++) tr[(size_t)i * NQ + (size_t)q] = pl[(size_t)q * np + (size_t)i];
        if (cr_par_allgather_doubles(m->part.par, tr, (size_t)NQ * (size_t)np, all)) t->mass = NAN;
        free(tr);
    }
    double sum[NQ] = {0};
    for (int q = 0; q < NQ; q++)
        for (int i = 0; i < nall; i++) sum[q] += m->parted ? all[(size_t)i * NQ + (size_t)q] : all[(size_t)q * np + (size_t)i];
    if (all != pl) free(all);
    free(pl);
    t->mass += sum[0];
    t->mom[0] = sum[1], t->mom[1] = sum[2], t->mom[2] = sum[3];
    t->energy = sum[4];
    for (int d = 0; d < 3; d++) t->flux[d] = sum[CR_MHD_NCONS + d];
}
