/* cr_ionosphere.c — electrostatic ionosphere: finite-volume discretisation of
 * div(Sigma . grad Phi) = J_up sin I on a polar-cap grid per hemisphere,
 * solved with a GMRES right-preconditioned by a direct solve of the
 * ring-averaged operator (GSL BLAS, sparse and FFT; GSL's GMRES as the
 * fallback); dipole mapping of FAC inwards and of the potential
 * and E x B drift outwards (see cr_ionosphere.h for equations and sources). */
#include "cr_ionosphere.h"

#include <complex.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_spblas.h>
#include <gsl/gsl_splinalg.h>
#include <gsl/gsl_spmatrix.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_sys.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"


const struct cr_key cr_ionosphere_keys[] = {
    {.section = "ionosphere", .name = "altitude", .type = CR_KEY_REAL, .unit = "km", .def = "110", .min = 0,
     .max = 2000, .flags = CR_KEY_MIN_OPEN, .doc = "altitude of the conducting shell above R_E"},
    {.section = "ionosphere", .name = "dtheta", .type = CR_KEY_REAL, .unit = "deg", .def = "1", .min = 0,
     .max = 15, .flags = CR_KEY_MIN_OPEN,
     .doc = "colatitude step (adjusted so that the low-latitude edge falls on a node)"},
    {.section = "ionosphere", .name = "nphi", .type = CR_KEY_INT, .unit = "", .def = "360", .min = 8, .max = 8192,
     .doc = "longitude (MLT) cells, periodic"},
    {.section = "ionosphere", .name = "sigma_p", .type = CR_KEY_REAL, .unit = "S", .def = "10", .min = 0,
     .max = 1e4, .flags = CR_KEY_MIN_OPEN, .doc = "uniform height-integrated Pedersen conductance"},
    {.section = "ionosphere", .name = "sigma_h", .type = CR_KEY_REAL, .unit = "S", .def = "0", .min = 0, .max = 1e4,
     .flags = CR_KEY_RANGED, .doc = "uniform height-integrated Hall conductance (0 = none)"},
    {.section = "ionosphere", .name = "dip", .type = CR_KEY_BOOL, .unit = "", .def = "yes",
     .doc = "dipole dip-angle conductance tensor and sin(I) source factor (no = vertical field lines)"},
    {.section = "ionosphere", .name = "corotation", .type = CR_KEY_BOOL, .unit = "", .def = "no",
     .doc = "add the corotation potential (drift Omega x r) to the inner-boundary flow"},
    {.section = "ionosphere", .name = "no_outflow", .type = CR_KEY_BOOL, .unit = "", .def = "yes",
     .doc = "remove an outward radial component of the E x B drift imposed at the inner boundary"},
    {.section = "ionosphere", .name = "tol", .type = CR_KEY_REAL, .unit = "", .def = "1e-9", .min = 1e-14,
     .max = 1e-2, .doc = "GMRES relative residual tolerance"},
    {.section = "ionosphere", .name = "tol_stall", .type = CR_KEY_REAL, .unit = "", .def = "1e-6", .min = 1e-14,
     .max = 1e-2,
     .doc = "relative residual accepted when the preconditioned GMRES stagnates at the round-off floor of a "
            "strongly contrasted conductance (else GSL's GMRES continues)"},
    {.section = "ionosphere", .name = "krylov", .type = CR_KEY_INT, .unit = "", .def = "60", .min = 5, .max = 1000,
     .doc = "GMRES restart length (Krylov subspace dimension)"},
    {.section = "ionosphere", .name = "max_restarts", .type = CR_KEY_INT, .unit = "", .def = "2000", .min = 1,
     .max = 1000000, .doc = "GMRES restarts before the solve is declared failed"},
    {.section = "ionosphere", .name = "cadence", .type = CR_KEY_REAL, .unit = "s", .def = "5", .min = 0,
     .max = 3600, .flags = CR_KEY_MIN_OPEN, .doc = "magnetosphere-ionosphere coupling interval"},
    CR_KEY_END,
};

void cr_iono_inp_from_config(const struct cr_config *cfg, struct cr_iono_inp *inp)
{
    inp->altitude_km = cr_config_real(cfg, "ionosphere", "altitude");
    inp->dtheta_deg = cr_config_real(cfg, "ionosphere", "dtheta");
    inp->nphi = (int)cr_config_int(cfg, "ionosphere", "nphi");
    inp->sigma_p = cr_config_real(cfg, "ionosphere", "sigma_p");
    inp->sigma_h = cr_config_real(cfg, "ionosphere", "sigma_h");
    inp->vertical_field = !cr_config_bool(cfg, "ionosphere", "dip");
    inp->corotation = cr_config_bool(cfg, "ionosphere", "corotation");
    inp->no_outflow = cr_config_bool(cfg, "ionosphere", "no_outflow");
    inp->tol = cr_config_real(cfg, "ionosphere", "tol");
    inp->tol_stall = cr_config_real(cfg, "ionosphere", "tol_stall");
    inp->krylov = (int)cr_config_int(cfg, "ionosphere", "krylov");
    inp->max_restarts = (int)cr_config_int(cfg, "ionosphere", "max_restarts");
}

/* Stencil of one row (i, j = 0) of the operator with ring-averaged
 * conductances: coefficient c of Phi(i + di, dj). */
struct ringst {
    int n;
    int di[24], dj[24];
    double c[24];
};

struct hemi {
    double *phi;          /* convective potential [V], ntheta*nphi */
    double *fac;          /* J_up [A/m^2] */
    double *sp, *sh;      /* conductances [S] */
    double *gx, *gy;      /* dPhi/dX, dPhi/dY at nodes [V] (X = sin a cos phi, Y = sin a sin phi) */
    gsl_spmatrix *A;      /* CSR, rows scaled by 1/diagonal */
    double *diag;         /* the diagonal of the unscaled operator (rows are scaled by its inverse) */
    double *pw;           /* preconditioner weight per unknown: (ring mean / local Pedersen)^(1/2) */
    int *pos;             /* CSR position of each coefficient of a row in the order assemble_row adds them */
    size_t npos;          /* length of pos (the non-zeros of A) */
    gsl_vector *x, *b, *r;
    double *bu;           /* unscaled right-hand side */
    struct ringst *st;    /* ring stencils of the ring-averaged operator (rows 0 .. N-1) */
    gsl_splinalg_itersolve *work;
    /* ring-averaged operator in Fourier space: the factored tridiagonal
     * coefficients of modes m = 0 .. nphi/2 (the others are their complex
     * conjugates) per row i, real and imaginary parts apart, ring-major
     * ([i * nmode + m]) so that the Thomas sweeps run over all modes at once;
     * the modes of the right-hand side / solution (zr, zi, same layout); FFT
     * tables and scratch */
    double *tlr, *tli, *tdr, *tdi, *tur, *tui, *zr, *zi;
    double complex *ephase;           /* e^{i 2 pi k / nphi}, k = 0 .. nphi-1 */
    double complex *tsc;              /* factorisation scratch (3 n) */
    int tbad;                         /* a zero pivot: no direct solve */
    double *tz;                       /* one ring in GSL's half-complex order (nphi) */
    gsl_fft_real_wavetable *rwt;
    gsl_fft_halfcomplex_wavetable *hwt;
    gsl_fft_real_workspace *rws;
    /* preconditioned GMRES: Krylov basis V (krylov + 1 vectors), preconditioned
     * basis Z (krylov), Hessenberg matrix and rotations, scratch */
    double *kv, *kz, *kh, *kc, *ks, *kg, *ku;
    int dirty;            /* conductance changed: rebuild A */
    int iters;
    double resid;
    long stalled;         /* solves accepted at a stagnated residual (<= tol_stall) */
};

struct cr_iono {
    struct cr_iono_inp inp;
    int n;          /* edge row index N (ntheta = N + 1) */
    int nphi;
    int nmode;      /* Fourier modes kept by the ring-averaged solve: nphi / 2 + 1 */
    double da, dphi, amax;
    /* geometry per node row i = 0 .. N (computed once): sin a_i, sin I(a_i),
     * the unit-sphere cell area, and at the face a_{i+1/2}: sin, sin I */
    double *g_sa, *g_sd, *g_area, *g_sf, *g_sdf;
    double r_iono;  /* [R_E] */
    double r_inner; /* [R_E] */
    double b_e;     /* [nT] */
    double cor_c;   /* corotation constant C [V]: Phi_cor = -C (X^2 + Y^2) */
    size_t nunk;
    struct hemi h[2];
};

static inline size_t node(const struct cr_iono *io, int i, int j) { return (size_t)i * (size_t)io->nphi + (size_t)j; }

static inline int wrapj(const struct cr_iono *io, int j)
{
    j %= io->nphi;
    return j < 0 ? j + io->nphi : j;
}

/* ---- geometry ---------------------------------------------------------- */

double cr_iono_sin_dip(const struct cr_iono *io, double a)
{
    if (io->inp.vertical_field) return 1.0;
    double c = fabs(cos(a));
    return 2.0 * c / sqrt(1.0 + 3.0 * c * c);
}

int cr_iono_ntheta(const struct cr_iono *io) { return io->n + 1; }
int cr_iono_nphi(const struct cr_iono *io) { return io->nphi; }
double cr_iono_dtheta(const struct cr_iono *io) { return io->da; }
double cr_iono_theta_max(const struct cr_iono *io) { return io->amax; }
double cr_iono_r_iono(const struct cr_iono *io) { return io->r_iono; }
double cr_iono_r_inner(const struct cr_iono *io) { return io->r_inner; }
double cr_iono_alpha(const struct cr_iono *io, int i) { return i * io->da; }
double cr_iono_phi(const struct cr_iono *io, int j) { return j * io->dphi; }

double cr_iono_mlat(const struct cr_iono *io, int hemi, int i)
{
    double lat = 90.0 - cr_iono_alpha(io, i) / CR_DEG;
    return hemi == CR_IONO_SOUTH ? -lat : lat;
}

double cr_iono_mlt(const struct cr_iono *io, int j)
{
    double m = 12.0 + cr_iono_phi(io, j) * 12.0 / CR_PI;
    return fmod(m, 24.0);
}

void cr_iono_node_position(const struct cr_iono *io, int hemi, int i, int j, double x[3])
{
    double a = cr_iono_alpha(io, i), p = cr_iono_phi(io, j);
    x[0] = io->r_iono * sin(a) * cos(p);
    x[1] = io->r_iono * sin(a) * sin(p);
    x[2] = io->r_iono * cos(a) * (hemi == CR_IONO_SOUTH ? -1.0 : 1.0);
}

int cr_iono_footpoint(const struct cr_iono *io, const double x[3], int *hemi, double *a, double *phi)
{
    double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    if (!(r > 0) || !isfinite(r)) return CR_EDOMAIN;
    double rho2 = x[0] * x[0] + x[1] * x[1];
    double s2 = io->r_iono / r * rho2 / (r * r); /* sin^2 a = (r_i / r) sin^2 theta */
    if (s2 > 1.0) return CR_EDOMAIN;
    *hemi = x[2] >= 0 ? CR_IONO_NORTH : CR_IONO_SOUTH;
    *a = asin(sqrt(s2));
    double p = atan2(x[1], x[0]);
    *phi = p < 0 ? p + 2.0 * CR_PI : p;
    return CR_OK;
}

int cr_iono_node_at_radius(const struct cr_iono *io, int hemi, int i, int j, double r, double x[3])
{
    double a = cr_iono_alpha(io, i), p = cr_iono_phi(io, j);
    double s2 = r / io->r_iono * sin(a) * sin(a);
    if (!(r > 0) || s2 > 1.0) return CR_EDOMAIN;
    double s = sqrt(s2), c = sqrt(1.0 - s2);
    x[0] = r * s * cos(p);
    x[1] = r * s * sin(p);
    x[2] = r * c * (hemi == CR_IONO_SOUTH ? -1.0 : 1.0);
    return CR_OK;
}

double cr_iono_fac_scale(const struct cr_iono *io, const double x[3])
{
    int hemi;
    double a, p;
    if (cr_iono_footpoint(io, x, &hemi, &a, &p)) return 0.0;
    double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    double cb = x[2] / r, ci = cos(a);
    /* |B| of a dipole ~ sqrt(1 + 3 cos^2 theta) / r^3 */
    double bi = sqrt(1.0 + 3.0 * ci * ci) / (io->r_iono * io->r_iono * io->r_iono);
    double bb = sqrt(1.0 + 3.0 * cb * cb) / (r * r * r);
    return bi / bb;
}

double cr_iono_fac_up(const double J[3], const double B[3], const double x[3])
{
    double bn = sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]);
    double br = B[0] * x[0] + B[1] * x[1] + B[2] * x[2];
    if (!(bn > 0) || br == 0) return 0.0;
    double jpar = (J[0] * B[0] + J[1] * B[1] + J[2] * B[2]) / bn;
    return br > 0 ? jpar : -jpar;
}

/* ---- life cycle -------------------------------------------------------- */

static void hemi_free(struct hemi *h)
{
    free(h->phi);
    free(h->fac);
    free(h->sp);
    free(h->sh);
    free(h->gx);
    free(h->gy);
    free(h->diag);
    free(h->pw);
    free(h->pos);
    if (h->A) gsl_spmatrix_free(h->A);
    if (h->x) gsl_vector_free(h->x);
    if (h->b) gsl_vector_free(h->b);
    if (h->r) gsl_vector_free(h->r);
    free(h->bu);
    free(h->st);
    if (h->work) gsl_splinalg_itersolve_free(h->work);
    free(h->tlr), free(h->tli), free(h->tdr), free(h->tdi), free(h->tur), free(h->tui);
    free(h->zr), free(h->zi), free(h->tz), free(h->ephase), free(h->tsc);
    if (h->rwt) gsl_fft_real_wavetable_free(h->rwt);
    if (h->hwt) gsl_fft_halfcomplex_wavetable_free(h->hwt);
    if (h->rws) gsl_fft_real_workspace_free(h->rws);
    free(h->kv), free(h->kz), free(h->kh), free(h->kc), free(h->ks), free(h->kg), free(h->ku);
    memset(h, 0, sizeof *h);
}

void cr_iono_release(struct cr_iono *io)
{
    if (!io) return;
    for (int k = 0; k < 2; k++) hemi_free(&io->h[k]);
    free(io->g_sa), free(io->g_sd), free(io->g_area), free(io->g_sf), free(io->g_sdf);
    free(io);
}

struct cr_iono *cr_iono_new(const struct cr_iono_inp *inp_in)
{
    struct cr_iono_inp inp = *inp_in;
    const struct cr_log *log = inp.log;
    if (inp.r_inner == 0) inp.r_inner = 2.0;
    if (inp.altitude_km == 0) inp.altitude_km = 110.0;
    if (inp.b_e == 0) inp.b_e = 30000.0;
    if (inp.dtheta_deg == 0) inp.dtheta_deg = 1.0;
    if (inp.nphi == 0) inp.nphi = 360;
    if (inp.sigma_p == 0) inp.sigma_p = 10.0;
    if (inp.tol == 0) inp.tol = 1e-9;
    if (inp.tol_stall == 0) inp.tol_stall = 1e-6;
    if (inp.tol_stall < inp.tol) inp.tol_stall = inp.tol;
    if (inp.krylov == 0) inp.krylov = 60;
    if (inp.max_restarts == 0) inp.max_restarts = 2000;
    double r_iono = 1.0 + inp.altitude_km / CR_RE_KM;
    if (!(inp.altitude_km > 0) || !(inp.r_inner > r_iono) || !isfinite(inp.r_inner)) {
        cr_error(log, "ionosphere: the inner boundary (%g R_E) must lie above the ionosphere (%g R_E)", inp.r_inner,
                 r_iono);
        return NULL;
    }
    if (!(inp.dtheta_deg > 0) || inp.nphi < 8 || !(inp.sigma_p > 0) || inp.sigma_h < 0 || !(inp.b_e > 0) ||
        inp.krylov < 1 || inp.max_restarts < 1 || !(inp.tol > 0)) {
        cr_error(log, "ionosphere: invalid input (dtheta %g deg, nphi %d, sigma_p %g S, sigma_h %g S, b_e %g nT)",
                 inp.dtheta_deg, inp.nphi, inp.sigma_p, inp.sigma_h, inp.b_e);
        return NULL;
    }
    struct cr_iono *io = cr_zalloc(1, sizeof *io);
    if (!io) return NULL;
    io->inp = inp;
    io->r_iono = r_iono;
    io->r_inner = inp.r_inner;
    io->b_e = inp.b_e;
    io->amax = asin(sqrt(r_iono / inp.r_inner));
    io->n = (int)lround(io->amax / (inp.dtheta_deg * CR_DEG));
    if (io->n < 3) io->n = 3;
    io->da = io->amax / io->n;
    io->nphi = inp.nphi;
    io->dphi = 2.0 * CR_PI / io->nphi;
    io->nunk = 1 + (size_t)(io->n - 1) * (size_t)io->nphi;
    io->nmode = io->nphi / 2 + 1;
    double **gf[5] = {&io->g_sa, &io->g_sd, &io->g_area, &io->g_sf, &io->g_sdf};
    for (int t = 0; t < 5; t++) {
        if (!(*gf[t] = cr_zalloc((size_t)io->n + 1, sizeof(double)))) {
            cr_iono_release(io);
            return NULL;
        }
    }
    for (int i = 0; i <= io->n; i++) {
        double a = i * io->da, af = (i + 0.5) * io->da;
        io->g_sa[i] = sin(a);
        io->g_sd[i] = cr_iono_sin_dip(io, a);
        io->g_area[i] = i == 0 ? 2.0 * CR_PI * (1.0 - cos(0.5 * io->da))
                               : (cos((i - 0.5) * io->da) - cos((i + 0.5) * io->da)) * io->dphi;
        io->g_sf[i] = sin(af);
        io->g_sdf[i] = cr_iono_sin_dip(io, af);
    }
    /* Phi_cor = -Omega B_E R_E^3 sin^2(theta) / r = -C (X^2 + Y^2), C = Omega B_E R_E^2 / r_iono[R_E] */
    io->cor_c = CR_OMEGA_EARTH * inp.b_e * CR_NT * CR_RE_M * CR_RE_M / r_iono;
    size_t nn = (size_t)(io->n + 1) * (size_t)io->nphi;
    for (int k = 0; k < 2; k++) {
        struct hemi *h = &io->h[k];
        h->phi = cr_zalloc(nn, sizeof(double));
        h->fac = cr_zalloc(nn, sizeof(double));
        h->sp = cr_zalloc(nn, sizeof(double));
        h->sh = cr_zalloc(nn, sizeof(double));
        h->gx = cr_zalloc(nn, sizeof(double));
        h->gy = cr_zalloc(nn, sizeof(double));
        h->diag = cr_zalloc(io->nunk, sizeof(double));
        h->pw = cr_zalloc(io->nunk, sizeof(double));
        h->x = gsl_vector_calloc(io->nunk);
        h->b = gsl_vector_calloc(io->nunk);
        h->r = gsl_vector_calloc(io->nunk);
        h->bu = cr_zalloc(io->nunk, sizeof(double));
        h->st = cr_zalloc((size_t)io->n, sizeof(struct ringst));
        h->work = gsl_splinalg_itersolve_alloc(gsl_splinalg_itersolve_gmres, io->nunk, (size_t)inp.krylov);
        size_t nm = (size_t)io->nmode * (size_t)io->n, kr = (size_t)inp.krylov;
        double **tf[8] = {&h->tlr, &h->tli, &h->tdr, &h->tdi, &h->tur, &h->tui, &h->zr, &h->zi};
        int tfail = 0;
        for (int t = 0; t < 8; t++) tfail |= !(*tf[t] = cr_zalloc(nm, sizeof(double)));
        h->ephase = cr_zalloc((size_t)io->nphi, sizeof(double complex));
        if (h->ephase)
            for (int k2 = 0; k2 < io->nphi; k2++) h->ephase[k2] = cexp(I * (double)k2 * io->dphi);
        h->tz = cr_zalloc((size_t)io->nphi, sizeof(double));
        h->tsc = cr_zalloc(3 * (size_t)io->n, sizeof(double complex));
        h->rwt = gsl_fft_real_wavetable_alloc((size_t)io->nphi);
        h->hwt = gsl_fft_halfcomplex_wavetable_alloc((size_t)io->nphi);
        h->rws = gsl_fft_real_workspace_alloc((size_t)io->nphi);
        if (!inp.gmres_only) {
            h->kv = cr_zalloc((kr + 1) * io->nunk, sizeof(double));
            h->kz = cr_zalloc(kr * io->nunk, sizeof(double));
            h->kh = cr_zalloc((kr + 1) * kr, sizeof(double));
            h->kc = cr_zalloc(kr, sizeof(double));
            h->ks = cr_zalloc(kr, sizeof(double));
            h->kg = cr_zalloc(kr + 1, sizeof(double));
            h->ku = cr_zalloc(io->nunk, sizeof(double));
        }
        int kfail = !inp.gmres_only && (!h->kv || !h->kz || !h->kh || !h->kc || !h->ks || !h->kg || !h->ku);
        if (!h->phi || !h->fac || !h->sp || !h->sh || !h->gx || !h->gy || !h->diag || !h->pw || !h->x || !h->b || !h->r ||
            !h->bu || !h->st || !h->work || tfail || !h->ephase || !h->tz || !h->tsc || !h->rwt || !h->hwt ||
            !h->rws || kfail) {
            cr_iono_release(io);
            return NULL;
        }
        for (size_t q = 0; q < nn; q++) {
            h->sp[q] = inp.sigma_p;
            h->sh[q] = inp.sigma_h;
        }
        h->dirty = 1;
    }
    cr_debug(log, "ionosphere: r_iono %.5f R_E, edge at colatitude %.3f deg (MLat %.3f), %d x %d nodes, %zu unknowns",
             io->r_iono, io->amax / CR_DEG, 90.0 - io->amax / CR_DEG, io->n + 1, io->nphi, io->nunk);
    return io;
}

/* ---- setters and accessors --------------------------------------------- */

static int check_hemi(const struct cr_iono *io, int hemi)
{
    if (hemi != CR_IONO_NORTH && hemi != CR_IONO_SOUTH) {
        cr_error(io->inp.log, "ionosphere: hemisphere must be CR_IONO_NORTH or CR_IONO_SOUTH (got %d)", hemi);
        return CR_EDOMAIN;
    }
    return CR_OK;
}

int cr_iono_set_fac(struct cr_iono *io, int hemi, const double *j_up)
{
    if (check_hemi(io, hemi)) return CR_EDOMAIN;
    size_t nn = (size_t)(io->n + 1) * (size_t)io->nphi;
    for (size_t q = 0; q < nn; q++) {
        if (!isfinite(j_up[q])) {
            cr_error(io->inp.log, "ionosphere: FAC at node %zu is not finite", q);
            return CR_ENUMERIC;
        }
    }
    memcpy(io->h[hemi].fac, j_up, nn * sizeof(double));
    return CR_OK;
}

int cr_iono_set_fac_from_radius(struct cr_iono *io, int hemi, double r_b, const double *j_b)
{
    if (check_hemi(io, hemi)) return CR_EDOMAIN;
    if (!(r_b >= io->r_iono)) {
        cr_error(io->inp.log, "ionosphere: FAC mapping radius %g R_E is below the ionosphere", r_b);
        return CR_EDOMAIN;
    }
    struct hemi *h = &io->h[hemi];
    for (int i = 0; i <= io->n; i++) {
        for (int j = 0; j < io->nphi; j++) {
            size_t q = node(io, i, j);
            double x[3];
            if (!isfinite(j_b[q])) {
                cr_error(io->inp.log, "ionosphere: FAC at node (%d, %d) is not finite", i, j);
                return CR_ENUMERIC;
            }
            h->fac[q] = cr_iono_node_at_radius(io, hemi, i, j, r_b, x) ? 0.0 : j_b[q] * cr_iono_fac_scale(io, x);
        }
    }
    return CR_OK;
}

int cr_iono_set_conductance(struct cr_iono *io, int hemi, const double *sigma_p, const double *sigma_h)
{
    if (check_hemi(io, hemi)) return CR_EDOMAIN;
    size_t nn = (size_t)(io->n + 1) * (size_t)io->nphi;
    for (size_t q = 0; q < nn; q++) {
        if ((sigma_p && !(sigma_p[q] > 0 && isfinite(sigma_p[q]))) ||
            (sigma_h && !(sigma_h[q] >= 0 && isfinite(sigma_h[q])))) {
            cr_error(io->inp.log, "ionosphere: conductance at node %zu must be finite, Pedersen > 0, Hall >= 0", q);
            return CR_EDOMAIN;
        }
    }
    if (sigma_p) memcpy(io->h[hemi].sp, sigma_p, nn * sizeof(double));
    if (sigma_h) memcpy(io->h[hemi].sh, sigma_h, nn * sizeof(double));
    io->h[hemi].dirty = 1;
    return CR_OK;
}

const double *cr_iono_potential(const struct cr_iono *io, int hemi) { return io->h[hemi & 1].phi; }
const double *cr_iono_fac(const struct cr_iono *io, int hemi) { return io->h[hemi & 1].fac; }
const double *cr_iono_sigma_p(const struct cr_iono *io, int hemi) { return io->h[hemi & 1].sp; }
const double *cr_iono_sigma_h(const struct cr_iono *io, int hemi) { return io->h[hemi & 1].sh; }
int cr_iono_last_iterations(const struct cr_iono *io, int hemi) { return io->h[hemi & 1].iters; }
double cr_iono_last_residual(const struct cr_iono *io, int hemi) { return io->h[hemi & 1].resid; }

double cr_iono_cpcp(const struct cr_iono *io, int hemi)
{
    const double *p = io->h[hemi & 1].phi;
    size_t nn = (size_t)(io->n + 1) * (size_t)io->nphi;
    double lo = p[0], hi = p[0];
    for (size_t q = 1; q < nn; q++) {
        if (p[q] < lo) lo = p[q];
        if (p[q] > hi) hi = p[q];
    }
    return hi - lo;
}

/* Nodal gradient of Phi in the footpoint coordinates X = sin a cos phi,
 * Y = sin a sin phi (regular over the whole cap, including the pole). */
static void nodal_gradient(struct cr_iono *io, struct hemi *h)
{
    const int n = io->n, np = io->nphi;
    const double *p = h->phi;
    /* Pole: the m = 1 Fourier coefficients of ring 1 are g sin(da) + O(da^3). */
    double c1 = 0, s1 = 0;
    for (int j = 0; j < np; j++) {
        c1 += p[node(io, 1, j)] * cos(cr_iono_phi(io, j));
        s1 += p[node(io, 1, j)] * sin(cr_iono_phi(io, j));
    }
    double gx0 = 2.0 * c1 / (np * sin(io->da)), gy0 = 2.0 * s1 / (np * sin(io->da));
    for (int j = 0; j < np; j++) {
        h->gx[node(io, 0, j)] = gx0;
        h->gy[node(io, 0, j)] = gy0;
    }
#pragma omp parallel for schedule(static)
    for (int i = 1; i <= n; i++) {
        double a = cr_iono_alpha(io, i), sa = sin(a), ca = cos(a);
        for (int j = 0; j < np; j++) {
            double pa, pp;
            if (i < n) {
                pa = (p[node(io, i + 1, j)] - p[node(io, i - 1, j)]) / (2.0 * io->da);
                pp = (p[node(io, i, wrapj(io, j + 1))] - p[node(io, i, wrapj(io, j - 1))]) / (2.0 * io->dphi);
            } else { /* one-sided, second order; Phi = 0 along the edge */
                pa = (3.0 * p[node(io, n, j)] - 4.0 * p[node(io, n - 1, j)] + p[node(io, n - 2, j)]) / (2.0 * io->da);
                pp = 0.0;
            }
            double cp = cos(cr_iono_phi(io, j)), sp = sin(cr_iono_phi(io, j));
            h->gx[node(io, i, j)] = cp * pa / ca - sp * pp / sa;
            h->gy[node(io, i, j)] = sp * pa / ca + cp * pp / sa;
        }
    }
}

int cr_iono_set_potential(struct cr_iono *io, int hemi, const double *phi)
{
    if (check_hemi(io, hemi)) return CR_EDOMAIN;
    struct hemi *h = &io->h[hemi];
    size_t nn = (size_t)(io->n + 1) * (size_t)io->nphi;
    for (size_t q = 0; q < nn; q++) {
        if (!isfinite(phi[q])) {
            cr_error(io->inp.log, "ionosphere: potential at node %zu is not finite", q);
            return CR_ENUMERIC;
        }
    }
    memcpy(h->phi, phi, nn * sizeof(double));
    /* the pole is one node and the edge is Phi = 0 */
    for (int j = 0; j < io->nphi; j++) {
        h->phi[node(io, 0, j)] = phi[0];
        h->phi[node(io, io->n, j)] = 0.0;
    }
    nodal_gradient(io, h);
    return CR_OK;
}

/* ---- assembly ---------------------------------------------------------- */

/* Row accumulator: (column, value) pairs. */
struct rowacc {
    size_t *col;
    double *val;
    int n;
};

static inline long unknown(const struct cr_iono *io, int i, int j)
{
    if (i >= io->n) return -1; /* Dirichlet edge: Phi = 0 */
    if (i == 0) return 0;
    return 1 + (long)(i - 1) * io->nphi + wrapj(io, j);
}

static inline void acc_add(struct rowacc *r, const struct cr_iono *io, int i, int j, double v)
{
    long c = unknown(io, i, j);
    if (c < 0 || v == 0.0) return;
    for (int k = 0; k < r->n; k++) {
        if (r->col[k] == (size_t)c) {
            r->val[k] += v;
            return;
        }
    }
    r->col[r->n] = (size_t)c;
    r->val[r->n++] = v;
}

static inline double avg2(const double *s, size_t q1, size_t q2) { return 0.5 * (s[q1] + s[q2]); }

/* Add to row r the outward flux through the a-face between rows i and i+1 at
 * column j, times `sign` (+1: the cell below the face, -1: the cell above). */
static void flux_aface(struct rowacc *r, const struct cr_iono *io, const struct hemi *h, int i, int j, double sign)
{
    double sf = io->g_sf[i], sd = io->g_sdf[i];
    size_t q0 = node(io, i, j), q1 = node(io, i + 1, j);
    double saa = avg2(h->sp, q0, q1) / (sd * sd);
    double saf = avg2(h->sh, q0, q1) / sd;
    double len = sf * io->dphi;
    double ca = sign * len * saa / io->da;
    acc_add(r, io, i + 1, j, ca);
    acc_add(r, io, i, j, -ca);
    if (saf != 0.0) {
        double cf = sign * len * saf / sf / (4.0 * io->dphi);
        if (i > 0) { /* the pole row has no phi derivative */
            acc_add(r, io, i, j + 1, cf);
            acc_add(r, io, i, j - 1, -cf);
        }
        acc_add(r, io, i + 1, j + 1, cf);
        acc_add(r, io, i + 1, j - 1, -cf);
    }
}

/* Outward flux through the phi-face between columns j and j+1 of row i
 * (i >= 1), times sign (+1: cell j, -1: cell j+1). */
static void flux_pface(struct rowacc *r, const struct cr_iono *io, const struct hemi *h, int i, int j, double sign)
{
    double sa = io->g_sa[i], sd = io->g_sd[i];
    int jp = wrapj(io, j + 1);
    size_t q0 = node(io, i, j), q1 = node(io, i, jp);
    double sff = avg2(h->sp, q0, q1);
    double sfa = -avg2(h->sh, q0, q1) / sd;
    double len = io->da;
    double cp = sign * len * sff / sa / io->dphi;
    acc_add(r, io, i, j + 1, cp);
    acc_add(r, io, i, j, -cp);
    if (sfa != 0.0) {
        double cf = sign * len * sfa / (4.0 * io->da);
        acc_add(r, io, i + 1, j, cf);
        acc_add(r, io, i - 1, j, -cf);
        acc_add(r, io, i + 1, j + 1, cf);
        acc_add(r, io, i - 1, j + 1, -cf);
    }
}

/* Assemble the rows of the operator into r (row = unknown index). */
static void assemble_row(struct rowacc *r, const struct cr_iono *io, const struct hemi *h, size_t row)
{
    const int np = io->nphi;
    r->n = 0;
    if (row == 0) {
        for (int j = 0; j < np; j++) flux_aface(r, io, h, 0, j, +1.0);
    } else {
        int i = 1 + (int)((row - 1) / (size_t)np), j = (int)((row - 1) % (size_t)np);
        flux_aface(r, io, h, i, j, +1.0);
        flux_aface(r, io, h, i - 1, j, -1.0);
        flux_pface(r, io, h, i, j, +1.0);
        flux_pface(r, io, h, i, wrapj(io, j - 1), -1.0);
    }
}

/* Ring stencils of the operator with ring-averaged conductances: the
 * operator is then invariant under phi shifts, and a discrete Fourier
 * transform in phi splits it into one tridiagonal system per mode. */
static int ring_stencils(struct cr_iono *io, struct hemi *h, struct rowacc *r)
{
    const int np = io->nphi;
    size_t nn = (size_t)(io->n + 1) * (size_t)np;
    struct hemi avg = {0};
    avg.sp = cr_zalloc(nn, sizeof(double));
    avg.sh = cr_zalloc(nn, sizeof(double));
    if (!avg.sp || !avg.sh) {
        free(avg.sp);
        free(avg.sh);
        return CR_ENOMEM;
    }
    h->pw[0] = 1.0;
    for (int i = 0; i <= io->n; i++) {
        double mp = 0, mh = 0;
        for (int j = 0; j < np; j++) {
            mp += h->sp[node(io, i, j)];
            mh += h->sh[node(io, i, j)];
        }
        for (int j = 0; j < np; j++) {
            avg.sp[node(io, i, j)] = mp / np;
            if (i > 0 && i < io->n) h->pw[unknown(io, i, j)] = sqrt(mp / np / h->sp[node(io, i, j)]);
            avg.sh[node(io, i, j)] = mh / np;
        }
    }
    for (int i = 0; i < io->n; i++) {
        struct ringst *s = &h->st[i];
        s->n = 0;
        assemble_row(r, io, &avg, i == 0 ? 0 : (size_t)unknown(io, i, 0));
        double ring1 = 0;
        for (int k = 0; k < r->n; k++) {
            int di, dj;
            if (r->col[k] == 0) {
                di = -i;
                dj = 0;
            } else {
                int ii = 1 + (int)((r->col[k] - 1) / (size_t)np), jj = (int)((r->col[k] - 1) % (size_t)np);
                di = ii - i;
                dj = jj > np / 2 ? jj - np : jj;
            }
            if (i == 0 && di == 1) { /* pole row: every ring-1 node has the same coefficient */
                ring1 += r->val[k];
                continue;
            }
            if (s->n >= 23) break;
            s->di[s->n] = di;
            s->dj[s->n] = dj;
            s->c[s->n++] = r->val[k];
        }
        if (i == 0) {
            s->di[s->n] = 1;
            s->dj[s->n] = 0;
            s->c[s->n++] = ring1; /* multiplies the ring mean: sum_j c Phi_1j = (sum c) <Phi_1> */
        }
    }
    free(avg.sp);
    free(avg.sh);
    return CR_OK;
}

static void fourier_coeffs(const struct cr_iono *io, struct hemi *h);

/* New conductances, same sparsity (the same coefficients non-zero): write
 * the rows' values into the existing CSR matrix in place, exactly the values
 * a rebuild would hold. Returns 0 when done, 1 when the pattern differs (the
 * caller rebuilds; rows written so far are overwritten then). *rc gets
 * CR_ENUMERIC for a degenerate row. */
static int refill(struct cr_iono *io, struct hemi *h, struct rowacc *r, int *rc)
{
    gsl_spmatrix *A = h->A;
    if (!h->pos || h->npos != gsl_spmatrix_nnz(A)) return 1;
    for (size_t row = 0; row < io->nunk; row++) {
        assemble_row(r, io, h, row);
        int k0 = A->p[row], k1 = A->p[row + 1];
        if (r->n != k1 - k0) return 1;
        double diag = 0;
        for (int k = 0; k < r->n; k++)
            if (r->col[k] == row) diag = r->val[k];
        if (!(diag < 0)) {
            cr_error(io->inp.log, "ionosphere: degenerate matrix row %zu (diagonal %g)", row, diag);
            *rc = CR_ENUMERIC;
            return 1;
        }
        h->diag[row] = diag;
        for (int k = 0; k < r->n; k++) {
            /* the position found for this coefficient last time, else a search */
            int q = h->pos[k0 + k];
            if (q < k0 || q >= k1 || (size_t)A->i[q] != r->col[k]) {
                q = k0;
                while (q < k1 && (size_t)A->i[q] != r->col[k]) q++;
                if (q == k1) return 1;
                h->pos[k0 + k] = q;
            }
            A->data[q] = r->val[k] / diag;
        }
    }
    return 0;
}

static int assemble(struct cr_iono *io, struct hemi *h)
{
    const int np = io->nphi;
    gsl_spmatrix *T = NULL;
    struct rowacc r = {.col = cr_zalloc((size_t)np + 16, sizeof(size_t)), .val = cr_zalloc((size_t)np + 16, sizeof(double))};
    int rc = CR_OK;
    if (!r.col || !r.val) {
        rc = CR_ENOMEM;
        goto done;
    }
    if (h->A && refill(io, h, &r, &rc) == 0) goto stencils;
    if (rc) goto done;
    T = gsl_spmatrix_alloc_nzmax(io->nunk, io->nunk, 2 * (size_t)np + 10 * io->nunk, GSL_SPMATRIX_COO);
    if (!T) {
        rc = CR_ENOMEM;
        goto done;
    }
    for (size_t row = 0; row < io->nunk; row++) {
        assemble_row(&r, io, h, row);
        double diag = 0;
        for (int k = 0; k < r.n; k++)
            if (r.col[k] == row) diag = r.val[k];
        if (!(diag < 0)) {
            cr_error(io->inp.log, "ionosphere: degenerate matrix row %zu (diagonal %g)", row, diag);
            rc = CR_ENUMERIC;
            goto done;
        }
        h->diag[row] = diag;
        for (int k = 0; k < r.n; k++) gsl_spmatrix_set(T, row, r.col[k], r.val[k] / diag);
    }
    if (h->A) gsl_spmatrix_free(h->A);
    h->A = gsl_spmatrix_compress(T, GSL_SPMATRIX_CSR);
    free(h->pos);
    h->npos = h->A ? gsl_spmatrix_nnz(h->A) : 0;
    h->pos = h->A ? malloc((h->npos ? h->npos : 1) * sizeof(int)) : NULL;
    if (!h->A || !h->pos) {
        rc = CR_ENOMEM;
        goto done;
    }
    for (size_t q = 0; q < h->npos; q++) h->pos[q] = -1; /* found at the first refill */
stencils:
    rc = ring_stencils(io, h, &r);
    if (!rc) fourier_coeffs(io, h);
    if (!rc) h->dirty = 0;
done:
    if (T) gsl_spmatrix_free(T);
    free(r.col);
    free(r.val);
    return rc;
}

/* ---- solve ------------------------------------------------------------- */

/* Tridiagonal systems of the ring-averaged operator per Fourier mode m in
 * phi (its ring stencils summed with the phase e^{i m dj dphi}), factored
 * once per assembly for the Thomas algorithm: per row the elimination
 * multiplier (tl), the reciprocal pivot (td) and the upper coefficient (tu).
 * The stencil coefficients are real, so mode nphi - m is the complex
 * conjugate of mode m: only m = 0 .. nphi/2 are kept. A zero pivot marks
 * the factorisation unusable (tbad). */
static void fourier_coeffs(const struct cr_iono *io, struct hemi *h)
{
    const int np = io->nphi, n = io->n, nm = io->nmode;
    h->tbad = 0;
    for (int m = 0; m < nm; m++) {
        int i0 = m == 0 ? 0 : 1; /* first unknown row: the pole has no m != 0 part */
        double complex *lo = h->tsc, *di = lo + n, *up = di + n;
        for (int i = 0; i < n; i++) {
            double complex s3[3] = {0, 0, 0};
            const struct ringst *st = &h->st[i];
            for (int k = 0; k < st->n; k++) {
                int d = st->di[k];
                if (i == 1 && d == -1 && m != 0) continue;
                if (d < -1 || d > 1) continue;
                int ph = (int)(((long)m * st->dj[k]) % np);
                if (ph < 0) ph += np;
                s3[d + 1] += st->c[k] * h->ephase[ph];
            }
            lo[i] = s3[0];
            di[i] = s3[1];
            up[i] = s3[2];
        }
        for (int i = i0; i < n; i++) {
            if (i > i0) {
                lo[i] = lo[i] * di[i - 1]; /* di[i - 1] holds the reciprocal pivot by now */
                di[i] -= lo[i] * up[i - 1];
            }
            if (cabs(di[i]) == 0) {
                h->tbad = 1;
                return;
            }
            di[i] = 1.0 / di[i];
        }
        for (int i = 0; i < n; i++) {
            size_t q = (size_t)i * (size_t)nm + (size_t)m;
            int used = i >= i0;
            /* rows before i0 (the pole for m != 0) take no part: zero coefficients */
            h->tlr[q] = used && i > i0 ? creal(lo[i]) : 0.0;
            h->tli[q] = used && i > i0 ? cimag(lo[i]) : 0.0;
            h->tdr[q] = used ? creal(di[i]) : 0.0;
            h->tdi[q] = used ? cimag(di[i]) : 0.0;
            h->tur[q] = used ? creal(up[i]) : 0.0;
            h->tui[q] = used ? cimag(up[i]) : 0.0;
        }
    }
}

/* Direct solution of the ring-averaged operator (exact for conductances that
 * are uniform along each ring): real DFT of each ring in phi (GSL's
 * half-complex transforms), one tridiagonal system per mode m in the ring
 * index (Thomas algorithm; the sweeps run over all modes of a ring at once),
 * inverse DFT. The pole couples only to m = 0. bu and x in unknown ordering
 * (x may alias bu). */
static int fourier_solve(const struct cr_iono *io, struct hemi *h, const double *bu, double *x)
{
    const int np = io->nphi, n = io->n, nm = io->nmode;
    const size_t snm = (size_t)nm;
    double *restrict zr = h->zr, *restrict zi = h->zi, *restrict t = h->tz;
    const double inv = 1.0 / np;
    /* forward transform of each ring's right-hand side; ring 0 holds only the pole (mode 0) */
    for (int m = 0; m < nm; m++) zr[m] = zi[m] = 0.0;
    zr[0] = bu[0];
    for (int i = 1; i < n; i++) {
        memcpy(t, bu + 1 + (size_t)(i - 1) * (size_t)np, (size_t)np * sizeof(double));
        gsl_fft_real_transform(t, 1, (size_t)np, h->rwt, h->rws);
        double *ri = zr + (size_t)i * snm, *ii = zi + (size_t)i * snm;
        ri[0] = t[0] * inv;
        ii[0] = 0.0;
        for (int m = 1; 2 * m < np; m++) {
            ri[m] = t[2 * m - 1] * inv;
            ii[m] = t[2 * m] * inv;
        }
        if (np % 2 == 0) {
            ri[np / 2] = t[np - 1] * inv;
            ii[np / 2] = 0.0;
        }
    }
    if (h->tbad) return CR_ENUMERIC;
    /* Thomas algorithm, forward elimination (the multipliers of rows before a
     * mode's first row are zero) */
    for (int i = 1; i < n; i++) {
        const double *lr = h->tlr + (size_t)i * snm, *li = h->tli + (size_t)i * snm;
        double *restrict ar = zr + (size_t)i * snm, *restrict ai = zi + (size_t)i * snm;
        const double *br = ar - snm, *bi = ai - snm;
        for (int m = 0; m < nm; m++) {
            double pr = lr[m] * br[m] - li[m] * bi[m], pi = lr[m] * bi[m] + li[m] * br[m];
            ar[m] -= pr;
            ai[m] -= pi;
        }
    }
    /* back substitution (the pole row only for m = 0) */
    for (int i = n - 1; i >= 1; i--) {
        const size_t o = (size_t)i * snm;
        const double *dr = h->tdr + o, *di = h->tdi + o, *ur = h->tur + o, *ui = h->tui + o;
        double *restrict ar = zr + o, *restrict ai = zi + o;
        if (i == n - 1) {
            for (int m = 0; m < nm; m++) {
                double sr = ar[m], si = ai[m];
                ar[m] = sr * dr[m] - si * di[m];
                ai[m] = sr * di[m] + si * dr[m];
            }
            continue;
        }
        const double *nr = zr + o + snm, *ni = zi + o + snm;
        for (int m = 0; m < nm; m++) {
            double sr = ar[m] - (ur[m] * nr[m] - ui[m] * ni[m]);
            double si = ai[m] - (ur[m] * ni[m] + ui[m] * nr[m]);
            ar[m] = sr * dr[m] - si * di[m];
            ai[m] = sr * di[m] + si * dr[m];
        }
    }
    {
        double sr = zr[0] - (h->tur[0] * zr[snm] - h->tui[0] * zi[snm]);
        double si = zi[0] - (h->tur[0] * zi[snm] + h->tui[0] * zr[snm]);
        x[0] = sr * h->tdr[0] - si * h->tdi[0];
    }
    /* inverse transform of each ring */
    for (int i = 1; i < n; i++) {
        const double *ri = zr + (size_t)i * snm, *ii = zi + (size_t)i * snm;
        t[0] = ri[0];
        for (int m = 1; 2 * m < np; m++) {
            t[2 * m - 1] = ri[m];
            t[2 * m] = ii[m];
        }
        if (np % 2 == 0) t[np - 1] = ri[np / 2];
        gsl_fft_halfcomplex_backward(t, 1, (size_t)np, h->hwt, h->rws);
        memcpy(x + 1 + (size_t)(i - 1) * (size_t)np, t, (size_t)np * sizeof(double));
    }
    return CR_OK;
}

/* The preconditioner z = W M^-1 W (d v): M the ring-averaged operator
 * (fourier_solve), d the row diagonal (NULL: v is unscaled already), W the
 * diagonal (<Sigma_P>_ring / Sigma_P)^(1/2) per node. The operator
 * div(Sigma grad) with Sigma = <Sigma>_ring s(phi) is close to
 * s^(1/2) M s^(1/2) where s varies slowly (the terms left out hold the
 * derivatives of s^(1/2)), so the weights take most of the conductance's
 * variation along the rings (the day-night contrast) into the preconditioner:
 * half the Krylov iterations of M alone under EUV conductance. W = 1 where
 * the conductance is uniform along rings (M exact). z may not alias v. */
static int precond(const struct cr_iono *io, struct hemi *h, const double *v, const double *d, double *z)
{
    const size_t nu = io->nunk;
    const double *restrict pw = h->pw;
    double *restrict zz = z;
    if (d)
        for (size_t q = 0; q < nu; q++) zz[q] = v[q] * d[q] * pw[q];
    else
        for (size_t q = 0; q < nu; q++) zz[q] = v[q] * pw[q];
    if (fourier_solve(io, h, z, z)) return CR_ENUMERIC;
    for (size_t q = 0; q < nu; q++) zz[q] *= pw[q];
    return CR_OK;
}

/* ||A x - b|| of the scaled system, using h->r as scratch. */
static double residual(struct hemi *h, const gsl_vector *x)
{
    gsl_vector_memcpy(h->r, h->b);
    gsl_spblas_dgemv(CblasNoTrans, 1.0, h->A, x, -1.0, h->r);
    return gsl_blas_dnrm2(h->r);
}

/* Right-preconditioned restarted GMRES (Saad & Schultz 1986, SIAM J. Sci.
 * Stat. Comput. 7, 856; Saad 2003, Iterative Methods for Sparse Linear
 * Systems, 2nd ed., sec. 9.3.2): GMRES on A P u = b, x = P u, where P is
 * the weighted direct solve of the ring-averaged operator (precond). A
 * varies along rings only through the conductances, so A P stays close to
 * the identity and a few tens of iterations reach the tolerance where plain
 * GMRES needs thousands (GSL's GMRES takes no preconditioner). On the
 * row-scaled system (rows divided by their diagonal d): P v = W M^-1 W (d v).
 * Modified Gram-Schmidt, Givens rotations; converged
 * when the true residual ||b - A x|| <= tol ||b|| (checked at each restart).
 * Returns GSL_SUCCESS, GSL_CONTINUE (restarts spent), GSL_ETOL (a cycle
 * gained less than a factor 2 on the true residual: stagnation at the
 * round-off floor) or GSL_EFAILED (the preconditioner failed); h->iters
 * counts the Krylov iterations; *rnorm gets the true residual norm of the
 * returned x. */
static int pgmres(struct cr_iono *io, struct hemi *h, double bnorm, double *rnorm)
{
    const size_t nu = io->nunk;
    const int m = io->inp.krylov;
    const double tol = io->inp.tol;
    double *V = h->kv, *Z = h->kz, *H = h->kh, *cs = h->kc, *sn = h->ks, *g = h->kg;
    double beta_prev = INFINITY;
    for (int rs = 0;; rs++) {
        gsl_vector_view v0 = gsl_vector_view_array(V, nu);
        gsl_vector_memcpy(&v0.vector, h->b);
        gsl_spblas_dgemv(CblasNoTrans, -1.0, h->A, h->x, 1.0, &v0.vector);
        double beta = gsl_blas_dnrm2(&v0.vector);
        *rnorm = beta; /* x changes only at the end of a cycle */
        if (beta <= tol * bnorm) return GSL_SUCCESS;
        if (rs >= io->inp.max_restarts) return GSL_CONTINUE;
        /* a whole cycle that gained less than a factor 2 on the true residual:
           the round-off floor of this system (ill-conditioned by strong
           conductance contrasts) or stagnation; more cycles would not help */
        if (beta > 0.5 * beta_prev) return GSL_ETOL;
        beta_prev = beta;
        gsl_blas_dscal(1.0 / beta, &v0.vector);
        for (int k = 0; k <= m; k++) g[k] = 0.0;
        g[0] = beta;
        int j = 0;
        while (j < m) {
            double *vj = V + (size_t)j * nu, *zj = Z + (size_t)j * nu;
            if (precond(io, h, vj, h->diag, zj)) return GSL_EFAILED;
            gsl_vector_view zv = gsl_vector_view_array(zj, nu);
            gsl_vector_view w = gsl_vector_view_array(V + (size_t)(j + 1) * nu, nu);
            gsl_spblas_dgemv(CblasNoTrans, 1.0, h->A, &zv.vector, 0.0, &w.vector);
            h->iters++;
            for (int i = 0; i <= j; i++) {
                gsl_vector_view vi = gsl_vector_view_array(V + (size_t)i * nu, nu);
                double hij;
                gsl_blas_ddot(&w.vector, &vi.vector, &hij);
                H[(size_t)i * m + j] = hij;
                gsl_blas_daxpy(-hij, &vi.vector, &w.vector);
            }
            double hn = gsl_blas_dnrm2(&w.vector);
            if (hn > 0) gsl_blas_dscal(1.0 / hn, &w.vector);
            for (int i = 0; i < j; i++) { /* earlier rotations on the new column */
                double a = H[(size_t)i * m + j], b = H[(size_t)(i + 1) * m + j];
                H[(size_t)i * m + j] = cs[i] * a + sn[i] * b;
                H[(size_t)(i + 1) * m + j] = -sn[i] * a + cs[i] * b;
            }
            double a = H[(size_t)j * m + j], d = hypot(a, hn);
            if (d == 0) break; /* breakdown without progress: restart from the current x */
            cs[j] = a / d;
            sn[j] = hn / d;
            H[(size_t)j * m + j] = d;
            g[j + 1] = -sn[j] * g[j];
            g[j] = cs[j] * g[j];
            j++;
            if (fabs(g[j]) <= tol * bnorm || hn == 0) break;
        }
        for (int i = j - 1; i >= 0; i--) { /* H y = g, upper triangular; y into g */
            double s = g[i];
            for (int k = i + 1; k < j; k++) s -= H[(size_t)i * m + k] * g[k];
            g[i] = s / H[(size_t)i * m + i];
        }
        for (int i = 0; i < j; i++) {
            gsl_vector_view zi = gsl_vector_view_array(Z + (size_t)i * nu, nu);
            gsl_blas_daxpy(g[i], &zi.vector, h->x);
        }
    }
}

static int solve_hemi(struct cr_iono *io, int hemi)
{
    struct hemi *h = &io->h[hemi];
    const int np = io->nphi;
    const double R = io->r_iono * CR_RE_M;
    int rc;
    if (h->dirty && (rc = assemble(io, h))) return rc;
    rc = CR_OK;
    /* right-hand side: integral of j_r = J_up sin I over the control volume (m^2) */
    double bnorm = 0;
    for (size_t row = 0; row < io->nunk; row++) {
        double src;
        if (row == 0) {
            double m = 0;
            for (int j = 0; j < np; j++) m += h->fac[node(io, 0, j)];
            src = m / np * io->g_sd[0] * io->g_area[0];
        } else {
            int i = 1 + (int)((row - 1) / (size_t)np), j = (int)((row - 1) % (size_t)np);
            src = h->fac[node(io, i, j)] * io->g_sd[i] * io->g_area[i];
        }
        h->bu[row] = R * R * src;
        double v = h->bu[row] / h->diag[row];
        h->b->data[row] = v;
        bnorm += v * v;
    }
    bnorm = sqrt(bnorm);
    h->iters = 0;
    h->resid = 0;
    if (bnorm == 0.0) {
        gsl_vector_set_zero(h->x);
    } else {
        /* Initial guess: the better of the previous potential (warm start) and
         * the direct solution with ring-averaged conductances (exact when the
         * conductances are uniform along rings); GMRES then iterates on the
         * full sparse operator to the tolerance. */
        h->x->data[0] = h->phi[0]; /* unknowns 1 .. are the rings 1 .. N-1, node-ordered */
        memcpy(h->x->data + 1, h->phi + node(io, 1, 0), (io->nunk - 1) * sizeof(double));
        double r_warm = residual(h, h->x);
        int status = GSL_CONTINUE;
        int gsl_ran = 1;     /* h->x moved after its last true residual */
        double rr_pre = 0.0; /* else that residual, relative */
        if (!io->inp.gmres_only) {
            double r0 = r_warm;
            gsl_vector_view xf = gsl_vector_view_array(h->ku, io->nunk); /* scratch */
            if (precond(io, h, h->bu, NULL, xf.vector.data) == CR_OK) {
                double r_four = residual(h, &xf.vector);
                if (r_four < r_warm) {
                    gsl_vector_memcpy(h->x, &xf.vector);
                    r0 = r_four;
                }
            }
            if (!(r0 < bnorm)) gsl_vector_set_zero(h->x); /* no start beats zero */
            double rn = bnorm;
            status = pgmres(io, h, bnorm, &rn);
            gsl_ran = 0;
            double rr = rr_pre = rn / bnorm;
            if (status == GSL_ETOL && rr <= io->inp.tol_stall) {
                /* stagnated within the acceptable residual: keep it, say so */
                cr_debug(io->inp.log,
                         "ionosphere: %s hemisphere: preconditioned GMRES stagnated at relative residual %.3e after "
                         "%d iterations (tolerance %.1e, accepted below %.1e)",
                         hemi == CR_IONO_NORTH ? "northern" : "southern", rr, h->iters, io->inp.tol,
                         io->inp.tol_stall);
                status = GSL_SUCCESS;
                h->stalled++;
            }
            if (status != GSL_SUCCESS) { /* safeguard: GSL's GMRES from the best iterate */
                cr_warn(io->inp.log,
                        "ionosphere: preconditioned GMRES stopped in the %s hemisphere after %d iterations (%s, "
                        "relative residual %.3e); GSL's GMRES continues",
                        hemi == CR_IONO_NORTH ? "northern" : "southern", h->iters,
                        status == GSL_EFAILED ? "zero pivot in the ring-averaged operator"
                        : status == GSL_ETOL  ? "stagnation above ionosphere.tol_stall"
                                              : "restarts spent",
                        rr);
                if (!(rr < 1)) gsl_vector_set_zero(h->x);
                status = GSL_CONTINUE;
                gsl_ran = 1;
                for (int k = 0; status == GSL_CONTINUE && k < io->inp.max_restarts; k++)
                    status = gsl_splinalg_itersolve_iterate(h->A, h->b, io->inp.tol, h->x, h->work);
            }
        } else {
            while (status == GSL_CONTINUE && h->iters < io->inp.max_restarts) {
                status = gsl_splinalg_itersolve_iterate(h->A, h->b, io->inp.tol, h->x, h->work);
                h->iters++;
            }
        }
        h->resid = gsl_ran ? residual(h, h->x) / bnorm : rr_pre;
        if (status != GSL_SUCCESS) {
            cr_error(io->inp.log,
                     "ionosphere: GMRES did not converge in the %s hemisphere after %d restarts of %d "
                     "(relative residual %.3e, tolerance %.1e)",
                     hemi == CR_IONO_NORTH ? "northern" : "southern", io->inp.max_restarts, io->inp.krylov, h->resid,
                     io->inp.tol);
            rc = CR_ENUMERIC;
        }
    }
    for (int j = 0; j < np; j++) {
        h->phi[node(io, 0, j)] = gsl_vector_get(h->x, 0);
        h->phi[node(io, io->n, j)] = 0.0;
    }
    memcpy(h->phi + node(io, 1, 0), h->x->data + 1, (io->nunk - 1) * sizeof(double));
    nodal_gradient(io, h);
    return rc;
}

int cr_iono_solve(struct cr_iono *io)
{
    int rcs[2] = {CR_OK, CR_OK};
    /* the hemispheres are independent: one thread each */
#pragma omp parallel for num_threads(2) schedule(static, 1)
    for (int k = 0; k < 2; k++) rcs[k] = solve_hemi(io, k);
    return rcs[0] ? rcs[0] : rcs[1];
}

/* ---- mapping out ------------------------------------------------------- */

/* Bilinear interpolation of the three nodal fields at (a, phi). */
static void interp(const struct cr_iono *io, const struct hemi *h, double a, double phi, double *p, double *gx,
                   double *gy)
{
    double fi = a / io->da;
    int i0 = (int)floor(fi);
    if (i0 >= io->n) i0 = io->n - 1;
    if (i0 < 0) i0 = 0;
    double t = fi - i0;
    double fj = phi / io->dphi;
    int j0 = (int)floor(fj);
    double s = fj - j0;
    j0 = wrapj(io, j0);
    int j1 = wrapj(io, j0 + 1);
    size_t q00 = node(io, i0, j0), q01 = node(io, i0, j1), q10 = node(io, i0 + 1, j0), q11 = node(io, i0 + 1, j1);
    double w00 = (1 - t) * (1 - s), w01 = (1 - t) * s, w10 = t * (1 - s), w11 = t * s;
    *p = w00 * h->phi[q00] + w01 * h->phi[q01] + w10 * h->phi[q10] + w11 * h->phi[q11];
    *gx = w00 * h->gx[q00] + w01 * h->gx[q01] + w10 * h->gx[q10] + w11 * h->gx[q11];
    *gy = w00 * h->gy[q00] + w01 * h->gy[q01] + w10 * h->gy[q10] + w11 * h->gy[q11];
}

double cr_iono_potential_at(const struct cr_iono *io, const double x[3])
{
    int hemi;
    double a, phi, p, gx, gy;
    if (cr_iono_footpoint(io, x, &hemi, &a, &phi) || a > io->amax) return 0.0;
    interp(io, &io->h[hemi], a, phi, &p, &gx, &gy);
    if (io->inp.corotation) p += -io->cor_c * sin(a) * sin(a);
    return p;
}

int cr_iono_drift(const struct cr_iono *io, const double x[3], double E[3], double v[3])
{
    int hemi;
    double a, phi;
    for (int c = 0; c < 3; c++) E[c] = v[c] = 0.0;
    double r2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
    if (!(r2 > 0) || !isfinite(r2)) return CR_EDOMAIN;
    if (cr_iono_footpoint(io, x, &hemi, &a, &phi) || a > io->amax) return CR_OK;
    double p, gx, gy;
    interp(io, &io->h[hemi], a, phi, &p, &gx, &gy);
    /* footpoint coordinates X = sqrt(r_i) x r^-3/2, Y = sqrt(r_i) y r^-3/2 (R_E units) */
    double r = sqrt(r2), sri = sqrt(io->r_iono), r32 = pow(r, -1.5), r72 = r32 / r2;
    double X = sri * x[0] * r32, Y = sri * x[1] * r32;
    if (io->inp.corotation) {
        gx += -2.0 * io->cor_c * X;
        gy += -2.0 * io->cor_c * Y;
    }
    double gradX[3], gradY[3];
    for (int k = 0; k < 3; k++) {
        gradX[k] = sri * ((k == 0 ? r32 : 0.0) - 1.5 * x[0] * x[k] * r72);
        gradY[k] = sri * ((k == 1 ? r32 : 0.0) - 1.5 * x[1] * x[k] * r72);
    }
    double B[3];
    double xs[3] = {x[0], x[1], x[2]};
    /* dipole with moment along -z, equatorial surface field b_e (grids/cr_field.h convention) */
    double r5 = r2 * r2 * r;
    B[0] = io->b_e * (-3.0 * xs[2] * xs[0]) / r5;
    B[1] = io->b_e * (-3.0 * xs[2] * xs[1]) / r5;
    B[2] = io->b_e * (-3.0 * xs[2] * xs[2] + r2) / r5;
    double Es[3], Bt[3];
    for (int k = 0; k < 3; k++) {
        Es[k] = -(gx * gradX[k] + gy * gradY[k]) / CR_RE_M; /* V/m */
        Bt[k] = B[k] * CR_NT;
        E[k] = Es[k] * 1e3; /* mV/m */
    }
    double b2 = Bt[0] * Bt[0] + Bt[1] * Bt[1] + Bt[2] * Bt[2];
    v[0] = (Es[1] * Bt[2] - Es[2] * Bt[1]) / b2 / CR_KMS;
    v[1] = (Es[2] * Bt[0] - Es[0] * Bt[2]) / b2 / CR_KMS;
    v[2] = (Es[0] * Bt[1] - Es[1] * Bt[0]) / b2 / CR_KMS;
    if (io->inp.no_outflow) {
        double vr = (v[0] * x[0] + v[1] * x[1] + v[2] * x[2]) / r;
        if (vr > 0)
            for (int k = 0; k < 3; k++) v[k] -= vr * x[k] / r;
    }
    return CR_OK;
}

/* ---- output ------------------------------------------------------------ */

int cr_iono_write_h5(const struct cr_iono *io, hid_t loc, const struct cr_log *log)
{
    const int nt = io->n + 1, np = io->nphi;
    size_t nn = (size_t)nt * (size_t)np;
    double *buf = cr_zalloc(2 * nn, sizeof(double));
    double *mlat = cr_zalloc(2 * (size_t)nt, sizeof(double));
    double *mlt = cr_zalloc((size_t)np, sizeof(double));
    int rc = CR_OK;
    if (!buf || !mlat || !mlt) {
        rc = CR_ENOMEM;
        goto done;
    }
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nt; i++) mlat[(size_t)k * nt + i] = cr_iono_mlat(io, k, i);
    for (int j = 0; j < np; j++) mlt[j] = cr_iono_mlt(io, j);
    hsize_t d2[2] = {2, (hsize_t)nt}, d1[1] = {(hsize_t)np}, d3[3] = {2, (hsize_t)nt, (hsize_t)np};
    rc |= cr_h5_write_doubles(loc, "mlat", 2, d2, mlat, "deg",
                              "magnetic latitude of the node rows (hemisphere, row from the pole)", log);
    rc |= cr_h5_write_doubles(loc, "mlt", 1, d1, mlt, "h", "magnetic local time of the node columns (12 = noon, +X)",
                              log);
    /* node positions on the ionospheric sphere (the geometry of mhd.xmf's ionosphere grids) */
    static const char *const xyz[3] = {"X", "Y", "Z"};
    for (int c = 0; c < 3; c++) {
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < nt; i++)
                for (int j = 0; j < np; j++) {
                    double la = mlat[(size_t)k * nt + i] * CR_DEG, ph = (mlt[j] - 12.0) * CR_PI / 12.0;
                    double v[3] = {cos(la) * cos(ph), cos(la) * sin(ph), sin(la)};
                    buf[k * nn + (size_t)i * np + j] = io->r_iono * v[c];
                }
        char desc[96];
        snprintf(desc, sizeof desc, "SM %c of the nodes on the ionospheric sphere r_iono", 'x' + c);
        rc |= cr_h5_write_doubles(loc, xyz[c], 3, d3, buf, "R_E", desc, log);
    }
    for (int k = 0; k < 2; k++)
        for (size_t q = 0; q < nn; q++) buf[k * nn + q] = io->h[k].phi[q] * 1e-3;
    rc |= cr_h5_write_doubles(loc, "Potential", 3, d3, buf, "kV",
                              "ionospheric electrostatic potential (convective part, no corotation)", log);
    for (int k = 0; k < 2; k++)
        for (size_t q = 0; q < nn; q++) buf[k * nn + q] = io->h[k].fac[q] * 1e6;
    rc |= cr_h5_write_doubles(loc, "FAC", 3, d3, buf, "uA/m^2",
                              "field-aligned current density at the ionosphere, positive upward (out of the "
                              "ionosphere) in both hemispheres",
                              log);
    for (int k = 0; k < 2; k++) memcpy(buf + k * nn, io->h[k].sp, nn * sizeof(double));
    rc |= cr_h5_write_doubles(loc, "SigmaP", 3, d3, buf, "S", "height-integrated Pedersen conductance", log);
    for (int k = 0; k < 2; k++) memcpy(buf + k * nn, io->h[k].sh, nn * sizeof(double));
    rc |= cr_h5_write_doubles(loc, "SigmaH", 3, d3, buf, "S", "height-integrated Hall conductance", log);
    rc |= cr_h5_attr_double(loc, "cpcp_north", cr_iono_cpcp(io, CR_IONO_NORTH) * 1e-3);
    rc |= cr_h5_attr_double(loc, "cpcp_south", cr_iono_cpcp(io, CR_IONO_SOUTH) * 1e-3);
    rc |= cr_h5_attr_string(loc, "cpcp_units", "kV");
    rc |= cr_h5_attr_double(loc, "r_iono", io->r_iono);
    rc |= cr_h5_attr_double(loc, "r_inner", io->r_inner);
    /* corotation is not in Potential; readers that follow footpoints add it */
    rc |= cr_h5_attr_string(loc, "corotation", io->inp.corotation ? "yes" : "no");
    rc |= cr_h5_attr_string(loc, "radius_units", "R_E");
    rc |= cr_h5_attr_string(loc, "fac_sign", "positive upward (away from the Earth) in both hemispheres");
    rc |= cr_h5_attr_string(loc, "layout", "arrays (hemisphere: 0 north, 1 south; row from the pole; MLT column)");
    if (rc) {
        cr_error(log, "ionosphere: cannot write the HDF5 datasets");
        rc = CR_EIO;
    }
done:
    free(buf);
    free(mlat);
    free(mlt);
    return rc;
}

/* ---- benchmark ---------------------------------------------------------- */

static void bench_fac(const struct cr_iono *io, double *j, double amp_noise)
{
    int nt = io->n + 1, np = io->nphi;
    unsigned s = 12345u;
    for (int i = 0; i < nt; i++)
        for (int k = 0; k < np; k++) {
            s = s * 1664525u + 1013904223u;
            double a = cr_iono_alpha(io, i) / CR_DEG, u = (s >> 8) / 16777216.0 - 0.5;
            j[(size_t)i * np + k] = 1e-6 * sin(cr_iono_phi(io, k)) * exp(-(a - 18) * (a - 18) / 9) +
                                    amp_noise * 1e-6 * u * exp(-(a - 18) * (a - 18) / 36);
        }
}

static int bench_case(const char *label, const struct cr_iono_inp *inp, int nrep, int euv)
{
    struct cr_iono *io = cr_iono_new(inp);
    if (!io) return CR_ERR;
    size_t nn = (size_t)(io->n + 1) * io->nphi;
    double *j = cr_zalloc(nn, sizeof(double));
    if (!j) {
        cr_iono_release(io);
        return CR_ENOMEM;
    }
    bench_fac(io, j, 0.3);
    for (int h = 0; h < 2; h++) cr_iono_set_fac(io, h, j);
    if (euv) { /* the day-night contrast of the EUV conductance (Moen & Brekke 1993 at F10.7 = 100, floors 2 and 1 S) */
        double *sp = cr_zalloc(nn, sizeof(double)), *sh = cr_zalloc(nn, sizeof(double));
        if (!sp || !sh) {
            free(sp), free(sh), free(j);
            cr_iono_release(io);
            return CR_ENOMEM;
        }
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i <= io->n; i++)
                for (int k = 0; k < io->nphi; k++) {
                    double x[3];
                    cr_iono_node_position(io, h, i, k, x);
                    double c = x[0] / io->r_iono, s = c > 0 ? sqrt(c) : 0.0;
                    sp[node(io, i, k)] = fmax(2.0, pow(100.0, 0.49) * (0.34 * fmax(c, 0.0) + 0.93 * s));
                    sh[node(io, i, k)] = fmax(1.0, pow(100.0, 0.53) * (0.81 * fmax(c, 0.0) + 0.54 * s));
                }
            cr_iono_set_conductance(io, h, sp, sh);
        }
        free(sp), free(sh);
    }
    double t0 = cr_wtime();
    int rc = cr_iono_solve(io);
    double tcold = cr_wtime() - t0;
    int it_cold = io->h[0].iters;
    double t1 = cr_wtime();
    for (int r = 0; r < nrep && !rc; r++) {
        for (size_t q = 0; q < nn; q++) j[q] *= 1.0 + 0.01 * sin(0.37 * q + r);
        for (int h = 0; h < 2; h++) cr_iono_set_fac(io, h, j);
        double *sp = euv ? malloc(nn * sizeof(double)) : NULL;
        if (sp) /* a new conductance every coupling, as with the model: the operator is rebuilt */
            for (int h = 0; h < 2; h++) {
                for (size_t q = 0; q < nn; q++) sp[q] = io->h[h].sp[q] * (1.0 + 0.01 * sin(0.23 * q + r));
                cr_iono_set_conductance(io, h, sp, NULL);
            }
        free(sp);
        rc = cr_iono_solve(io);
    }
    double twarm = (cr_wtime() - t1) / nrep;
    const char *what = inp->gmres_only ? "GSL GMRES restarts" : "preconditioned GMRES iterations";
    printf("  %-44s %5d x %-4d nodes, %6zu unknowns/hemisphere: cold %.3f s (%d %s), coupling step %.4f s "
           "(%d, residual %.1e), %.1f solves/s, CPCP %.2f kV\n",
           label, io->n + 1, io->nphi, io->nunk, tcold, it_cold, what, twarm, io->h[0].iters, io->h[0].resid,
           1.0 / twarm, cr_iono_cpcp(io, 0) * 1e-3);
    free(j);
    cr_iono_release(io);
    return rc;
}

int cr_bench_ionosphere(struct cr_cmd_ctx *ctx)
{
    struct cr_iono_inp inp;
    memset(&inp, 0, sizeof inp);
    cr_iono_inp_from_config(ctx->cfg, &inp);
    inp.r_inner = 2.0;
    inp.b_e = 30000.0;
    inp.log = ctx->log;
    int rc = bench_case("uniform conductance (configured grid)", &inp, 10, 0);
    struct cr_iono_inp g = inp;
    g.dtheta_deg = 3.0;
    g.nphi = 120;
    g.gmres_only = 1;
    if (!rc) rc = bench_case("GMRES alone (no direct start), 3 deg x 3 deg", &g, 2, 0);
    struct cr_iono_inp hh = inp;
    hh.sigma_h = 10.0;
    if (!rc) rc = bench_case("with Hall 10 S and dip tensor (configured grid)", &hh, 10, 0);
    if (!rc) rc = bench_case("EUV day-night conductance, Hall (configured grid)", &inp, 10, 1);
    struct cr_iono_inp eg = inp;
    eg.dtheta_deg = 3.0;
    eg.nphi = 120;
    eg.gmres_only = 1;
    if (!rc) rc = bench_case("EUV day-night, GSL GMRES alone, 3 deg x 3 deg", &eg, 2, 1);
    return rc;
}
