/* test_spacecraft_tetra.c — four-spacecraft reciprocal vectors and
 * gradients of velocity distributions against their exact properties
 * (Chanteur 1998; Shuster et al. 2026). */
#include <criterion/criterion.h>
#include <math.h>

#include "../core/cr_common.h"
#include "../multipoint/cr_tetra.h"

static struct cr_log quiet = {.level = CR_LEVEL_ERROR + 0};

/* An irregular MMS-like tetrahedron, ~10 km sides, placed 60000 km from the
 * origin so that round-off from large coordinates is part of the test. */
static void mms_like(double r[4][3])
{
    const double base[4][3] = {{0, 0, 0}, {10.2, 0.3, -0.4}, {4.8, 8.9, 0.7}, {5.1, 2.9, 8.6}};
    for (int a = 0; a < 4; a++) {
        r[a][0] = 60000.0 + base[a][0];
        r[a][1] = -20000.0 + base[a][1];
        r[a][2] = 30000.0 + base[a][2];
    }
}

static void cross(const double a[3], const double b[3], double c[3])
{
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

/* Tolerances: positions ~6e4 km carry ~6e4 x 2.2e-16 = 1.3e-11 km of
 * rounding; times |k| ~ 0.2 /km that is ~3e-12 in k (r_a - r_m): 1e-11. The
 * cyclic form, evaluated here from the same coordinates, agrees to the
 * relative rounding of ~10 km separations, ~1e-12: 1e-10 of |k|. */
Test(spacecraft_tetra, reciprocal_vector_identities)
{
    struct cr_tetra_inp in = {.log = &quiet};
    mms_like(in.r);
    struct cr_tetra t;
    cr_assert_eq(cr_tetra_init(&t, &in), CR_OK);
    double kmax = 0;
    for (int a = 0; a < 4; a++)
        for (int d = 0; d < 3; d++) kmax = fmax(kmax, fabs(t.k[a][d]));
    for (int d = 0; d < 3; d++) {
        double s = t.k[0][d] + t.k[1][d] + t.k[2][d] + t.k[3][d];
        cr_assert(fabs(s) < 1e-12 * kmax, "sum k_a [%d] = %g", d, s);
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int a = 0; a < 4; a++) s += t.k[a][i] * (t.r[a][j] - t.r_mean[j]);
            cr_assert(fabs(s - (i == j)) < 1e-11, "sum k_a (r_a - r_m)^T [%d][%d] = %.17g", i, j, s);
        }
    /* the cyclic form k_a = (r_bg x r_bl) / (r_ba . (r_bg x r_bl)) */
    for (int a = 0; a < 4; a++) {
        int b = (a + 1) % 4, g = (a + 2) % 4, l = (a + 3) % 4;
        double rbg[3], rbl[3], rba[3], c[3];
        for (int d = 0; d < 3; d++) {
            rbg[d] = t.r[g][d] - t.r[b][d];
            rbl[d] = t.r[l][d] - t.r[b][d];
            rba[d] = t.r[a][d] - t.r[b][d];
        }
        cross(rbg, rbl, c);
        double den = rba[0] * c[0] + rba[1] * c[1] + rba[2] * c[2];
        for (int d = 0; d < 3; d++)
            cr_assert(fabs(t.k[a][d] - c[d] / den) < 1e-10 * kmax, "k_%d[%d] %g vs cyclic %g", a, d, t.k[a][d], c[d] / den);
    }
}

/* grad f is exact for f = c + g . r. */
Test(spacecraft_tetra, exact_for_linear_fields)
{
    struct cr_tetra_inp in = {.log = &quiet};
    mms_like(in.r);
    struct cr_tetra t;
    cr_assert_eq(cr_tetra_init(&t, &in), CR_OK);
    const double g[3] = {0.37, -1.25, 2.5}, c0 = 4.0;
    double f[4], grad[3];
    for (int a = 0; a < 4; a++) f[a] = c0 + g[0] * in.r[a][0] + g[1] * in.r[a][1] + g[2] * in.r[a][2];
    cr_tetra_gradient(&t, f, grad);
    /* f ~ 1.2e5 is rounded to ~3e-11; differences of such values times
       sum |k_a| ~ 0.6 /km give ~2e-11: tolerance 1e-10 (measured ~1e-12) */
    for (int d = 0; d < 3; d++) cr_assert(fabs(grad[d] - g[d]) < 1e-10, "grad[%d] = %.17g, want %g", d, grad[d], g[d]);
}

/* Velocity distributions: density linear in position times a Maxwellian
 * shape. Each bin's gradient is exact, the parallel gradient is b . grad f,
 * and the sum over bins of grad f d3v equals the gradient of the density
 * moment to round-off. */
Test(spacecraft_tetra, vdf_gradients_and_moments)
{
    struct cr_tetra_inp in = {.log = &quiet};
    mms_like(in.r);
    struct cr_tetra t;
    cr_assert_eq(cr_tetra_init(&t, &in), CR_OK);
    enum { NV = 16 * 16 * 16 };
    static double fa[4][NV], grad[3 * NV], par[NV];
    const double dv = 250.0, d3v = dv * dv * dv;   /* km/s bins */
    const double gn[3] = {2e-3, -1e-3, 5e-4}, n0 = 5.0;   /* cm^-3 and cm^-3 / km */
    double n_a[4] = {0};
    for (int a = 0; a < 4; a++) {
        double na = n0 + gn[0] * (in.r[a][0] - 60000) + gn[1] * (in.r[a][1] + 20000) + gn[2] * (in.r[a][2] - 30000);
        for (int j = 0; j < NV; j++) {
            int ix = j % 16, iy = (j / 16) % 16, iz = j / 256;
            double vx = (ix - 7.5) * dv, vy = (iy - 7.5) * dv, vz = (iz - 7.5) * dv;
            double shape = exp(-(vx * vx + vy * vy + (vz - 300) * (vz - 300)) / (2 * 600.0 * 600.0));
            fa[a][j] = na * shape;
            n_a[a] += fa[a][j] * d3v;
        }
    }
    const double *f[4] = {fa[0], fa[1], fa[2], fa[3]};
    cr_tetra_gradient_vdf(&t, NV, f, grad);
    double sum[3] = {0}, gnum[3];
    for (int j = 0; j < NV; j++)
        for (int d = 0; d < 3; d++) sum[d] += grad[3 * j + d] * d3v;
    cr_tetra_gradient(&t, n_a, gnum);
    for (int d = 0; d < 3; d++) /* the same linear sum in another order: round-off only */
        cr_assert(fabs(sum[d] - gnum[d]) < 1e-11 * fabs(gnum[0]), "sum grad f d3v [%d] %g vs grad n %g", d, sum[d], gnum[d]);
    /* each bin: grad f_j = grad n x shape_j (exact for a linear density) */
    double n_ref = fa[0][1000] / (n0 + gn[0] * (in.r[0][0] - 60000) + gn[1] * (in.r[0][1] + 20000) +
                                  gn[2] * (in.r[0][2] - 30000));
    for (int d = 0; d < 3; d++) cr_assert(fabs(grad[3 * 1000 + d] - gn[d] * n_ref) < 1e-8 * fabs(gn[0] * n_ref));
    const double b[3] = {0, 0, 3.0}; /* not normalised on purpose */
    cr_assert_eq(cr_tetra_parallel_gradient_vdf(&t, NV, f, b, par), CR_OK);
    for (int j = 0; j < NV; j += 97) cr_assert(fabs(par[j] - grad[3 * j + 2]) < 1e-12 * fabs(grad[3 * j + 2]) + 1e-300);
    const double zero[3] = {0, 0, 0};
    cr_assert_eq(cr_tetra_parallel_gradient_vdf(&t, NV, f, zero, par), CR_EDOMAIN);
}

Test(spacecraft_tetra, planar_tetrahedra_are_refused)
{
    struct cr_tetra_inp in = {.log = &quiet};
    const double planar[4][3] = {{0, 0, 0}, {10, 0, 0}, {0, 10, 0}, {7, 6, 0}};
    for (int a = 0; a < 4; a++)
        for (int d = 0; d < 3; d++) in.r[a][d] = planar[a][d];
    struct cr_tetra t;
    cr_assert_eq(cr_tetra_init(&t, &in), CR_EDOMAIN);
    in.r[3][2] = 1e-4; /* 1e-5 of the size out of the plane: eigenvalue ratio ~1e-11 */
    cr_assert_eq(cr_tetra_init(&t, &in), CR_EDOMAIN);
    in.r[3][2] = 3.0;  /* a flat but honest tetrahedron */
    cr_assert_eq(cr_tetra_init(&t, &in), CR_OK);
    const double line[4][3] = {{0, 0, 0}, {1, 1, 1}, {2, 2, 2}, {5, 5, 5}};
    for (int a = 0; a < 4; a++)
        for (int d = 0; d < 3; d++) in.r[a][d] = line[a][d];
    cr_assert_eq(cr_tetra_init(&t, &in), CR_EDOMAIN);
    for (int a = 0; a < 4; a++)
        for (int d = 0; d < 3; d++) in.r[a][d] = 1.0; /* all at one point */
    cr_assert_eq(cr_tetra_init(&t, &in), CR_EDOMAIN);
}

Test(spacecraft_tetra, field_aligned_frame)
{
    const double B[3] = {3, -1, 20}, U[3] = {-300, 50, 10};
    double ep[3], e1[3], e2[3];
    cr_assert_eq(cr_fac_frame(B, U, ep, e1, e2), CR_OK);
    double *e[3] = {e1, e2, ep};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double dot = e[i][0] * e[j][0] + e[i][1] * e[j][1] + e[i][2] * e[j][2];
            cr_assert(fabs(dot - (i == j)) < 1e-14, "orthonormal");
        }
    double c[3];
    cross(e1, e2, c);
    for (int d = 0; d < 3; d++) cr_assert(fabs(c[d] - ep[d]) < 1e-14, "right-handed (perp1, perp2, par)");
    double nb = sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]);
    for (int d = 0; d < 3; d++) cr_assert(fabs(ep[d] - B[d] / nb) < 1e-15);
    cr_assert(fabs(e2[0] * U[0] + e2[1] * U[1] + e2[2] * U[2]) < 1e-10, "e_perp2 is perpendicular to U");
    const double Upar[3] = {6, -2, 40}, Z[3] = {0, 0, 0};
    cr_assert_eq(cr_fac_frame(B, Upar, ep, e1, e2), CR_EDOMAIN);
    cr_assert_eq(cr_fac_frame(Z, U, ep, e1, e2), CR_EDOMAIN);
}
