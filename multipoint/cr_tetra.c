/* cr_tetra.c — reciprocal vectors and four-point gradients (Chanteur 1998;
 * Harvey 1998, ISSI SR-001; see cr_tetra.h). The volumetric tensor is
 * diagonalised with GSL (gsl_eigen_symmv); its inverse gives the reciprocal
 * vectors, its eigenvalue ratio the planarity test. */
#include "cr_tetra.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <string.h>

#include "../core/cr_common.h"

int cr_tetra_init(struct cr_tetra *t, const struct cr_tetra_inp *inp)
{
    memset(t, 0, sizeof *t);
    double ratio_min = inp->min_eigen_ratio > 0 ? inp->min_eigen_ratio : 1e-6;
    for (int a = 0; a < 4; a++)
        for (int d = 0; d < 3; d++) {
            if (!isfinite(inp->r[a][d])) {
                cr_error(inp->log, "tetrahedron: position of spacecraft %d is not finite", a + 1);
                return CR_EDOMAIN;
            }
            t->r[a][d] = inp->r[a][d];
            t->r_mean[d] += 0.25 * inp->r[a][d];
        }
    /* positions relative to the barycentre, formed from separations (r_a - r_0)
       so that large coordinates cost no accuracy and sum_a dr_a = 0 to round-off
       of the separations */
    double dr[4][3], R[9] = {0};
    for (int d = 0; d < 3; d++) {
        double rel[4], m = 0;
        for (int a = 0; a < 4; a++) {
            rel[a] = t->r[a][d] - t->r[0][d];
            m += 0.25 * rel[a];
        }
        for (int a = 0; a < 4; a++) dr[a][d] = rel[a] - m;
    }
    for (int a = 0; a < 4; a++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) R[3 * i + j] += 0.25 * dr[a][i] * dr[a][j];
    gsl_matrix_view m = gsl_matrix_view_array(R, 3, 3);
    gsl_vector *eval = gsl_vector_alloc(3);
    gsl_matrix *evec = gsl_matrix_alloc(3, 3);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(3);
    if (!eval || !evec || !w) {
        if (w) gsl_eigen_symmv_free(w);
        if (evec) gsl_matrix_free(evec);
        if (eval) gsl_vector_free(eval);
        return CR_ENOMEM;
    }
    int rc = CR_OK;
    if (gsl_eigen_symmv(&m.matrix, eval, evec, w) != GSL_SUCCESS) {
        cr_error(inp->log, "tetrahedron: the volumetric tensor could not be diagonalised");
        rc = CR_ENUMERIC;
    } else {
        gsl_eigen_symmv_sort(eval, evec, GSL_EIGEN_SORT_VAL_DESC);
        for (int i = 0; i < 3; i++) t->eig[i] = gsl_vector_get(eval, i);
    }
    if (rc) {
        /* reported above */
    } else if (!(t->eig[0] > 0) || !(t->eig[2] > ratio_min * t->eig[0])) {
        cr_error(inp->log, "tetrahedron is planar or degenerate: eigenvalues of the volumetric tensor %g, %g, %g "
                           "(smallest/largest %g < %g)", t->eig[0], t->eig[1], t->eig[2],
                 t->eig[0] > 0 ? t->eig[2] / t->eig[0] : 0.0, ratio_min);
        rc = CR_EDOMAIN;
    } else {
        /* R^-1 = V diag(1/lambda) V^T;  k_a = (1/4) R^-1 (r_a - r_m) */
        double Rinv[3][3] = {{0}};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int e = 0; e < 3; e++)
                    Rinv[i][j] += gsl_matrix_get(evec, i, e) * gsl_matrix_get(evec, j, e) / t->eig[e];
        for (int a = 1; a < 4; a++)
            for (int i = 0; i < 3; i++) {
                double s = 0;
                for (int j = 0; j < 3; j++) s += Rinv[i][j] * dr[a][j];
                t->k[a][i] = 0.25 * s;
            }
        for (int i = 0; i < 3; i++) t->k[0][i] = -(t->k[1][i] + t->k[2][i] + t->k[3][i]); /* sum k_a = 0 */
    }
    gsl_eigen_symmv_free(w);
    gsl_matrix_free(evec);
    gsl_vector_free(eval);
    return rc;
}

void cr_tetra_quality(const struct cr_tetra *t, double *elongation, double *planarity)
{
    *elongation = t->eig[0] > 0 ? 1 - sqrt(t->eig[1] / t->eig[0]) : 1;
    *planarity = t->eig[1] > 0 ? 1 - sqrt(fmax(t->eig[2], 0) / t->eig[1]) : 1;
}

/* sum_a k_a f_a written as sum_{a>0} k_a (f_a - f_0) (equal since sum k_a = 0):
   a large common value of f then costs no accuracy. */
void cr_tetra_gradient(const struct cr_tetra *t, const double f[4], double grad[3])
{
    for (int d = 0; d < 3; d++)
        grad[d] = t->k[1][d] * (f[1] - f[0]) + t->k[2][d] * (f[2] - f[0]) + t->k[3][d] * (f[3] - f[0]);
}

void cr_tetra_gradient_vdf(const struct cr_tetra *t, size_t nv, const double *const f[4], double *grad)
{
    const double *f0 = f[0], *f1 = f[1], *f2 = f[2], *f3 = f[3];
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < nv; j++) {
        for (int d = 0; d < 3; d++)
            grad[3 * j + d] = t->k[1][d] * (f1[j] - f0[j]) + t->k[2][d] * (f2[j] - f0[j]) + t->k[3][d] * (f3[j] - f0[j]);
    }
}

int cr_tetra_parallel_gradient_vdf(const struct cr_tetra *t, size_t nv, const double *const f[4],
                                   const double b_dir[3], double *out)
{
    double nb = sqrt(b_dir[0] * b_dir[0] + b_dir[1] * b_dir[1] + b_dir[2] * b_dir[2]);
    if (!(nb > 0) || !isfinite(nb)) return CR_EDOMAIN;
    double kb[4];
    for (int a = 0; a < 4; a++) kb[a] = (t->k[a][0] * b_dir[0] + t->k[a][1] * b_dir[1] + t->k[a][2] * b_dir[2]) / nb;
    const double *f0 = f[0], *f1 = f[1], *f2 = f[2], *f3 = f[3];
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < nv; j++) out[j] = kb[1] * (f1[j] - f0[j]) + kb[2] * (f2[j] - f0[j]) + kb[3] * (f3[j] - f0[j]);
    return CR_OK;
}

static void cross(const double a[3], const double b[3], double c[3])
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

static double unit(double v[3])
{
    double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (n > 0)
        for (int d = 0; d < 3; d++) v[d] /= n;
    return n;
}

int cr_fac_frame(const double B[3], const double U[3], double e_par[3], double e_perp1[3], double e_perp2[3])
{
    double b[3] = {B[0], B[1], B[2]};
    double nb = unit(b);
    if (!(nb > 0)) return CR_EDOMAIN;
    double mu[3] = {-U[0], -U[1], -U[2]}, w[3];
    cross(mu, b, w); /* -U x B direction */
    double nu = sqrt(U[0] * U[0] + U[1] * U[1] + U[2] * U[2]);
    if (!(unit(w) > 1e-12 * nu) || !(nu > 0)) return CR_EDOMAIN;
    double p1[3];
    cross(w, b, p1);
    unit(p1);
    for (int d = 0; d < 3; d++) {
        e_par[d] = b[d];
        e_perp1[d] = p1[d];
        e_perp2[d] = w[d];
    }
    return CR_OK;
}
