/* test_mhd_riemann.c — the one-dimensional Riemann solvers against exact
 * properties: consistency with the physical flux, exact resolution of an
 * isolated stationary contact and of a stationary rotational (Alfven)
 * discontinuity by HLLD (Miyoshi & Kusano 2005, section 4), mirror
 * symmetry, and the Boris-reduced fast speed against its limits. */
#include <criterion/criterion.h>
#include <math.h>

#include "../mhd/cr_mhd_riemann.h"

static const double gam = 5.0 / 3.0;

/* Relative difference scaled by the largest flux component. */
static double fdiff(const double *a, const double *b)
{
    double s = 0.0, d = 0.0;
    for (int q = 0; q < CR_MHD_RS_NVAR; q++) {
        s = fmax(s, fmax(fabs(a[q]), fabs(b[q])));
        d = fmax(d, fabs(a[q] - b[q]));
    }
    return d / (s > 0 ? s : 1.0);
}

Test(mhd_riemann, consistency_equal_states)
{
    /* F(U, U) = F(U): both solvers, sub- and supersonic, several field
     * orientations. Tolerance 1e-13: the intermediate states are formed by
     * differences of O(1) numbers (round-off ~1e-16 times a few hundred
     * operations). */
    const double states[][8] = {
        /* rho, vn, vt1, vt2, p, bt1, bt2, bn */
        {1.0, 0.3, -0.2, 0.1, 0.7, 0.4, -0.3, 0.8},
        {0.2, -1.5, 0.5, 0.0, 0.05, 1.2, 0.3, -0.6},
        {3.0, 4.0, 1.0, -1.0, 2.0, 0.0, 0.0, 1.0},   /* supersonic, field along n */
        {1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0},    /* no field */
        {1.0, -0.1, 0.2, 0.3, 0.01, 2.0, 1.0, 0.0},  /* low beta, Bn = 0 */
    };
    for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
        const double *w = states[s];
        double fe[CR_MHD_RS_NVAR], fd[CR_MHD_RS_NVAR], fh[CR_MHD_RS_NVAR];
        cr_mhd_phys_flux(gam, w, w[7], fe);
        cr_mhd_hlld_1(gam, w, w, w[7], fd);
        cr_mhd_hlle_1(gam, 0.0, w, w, w[7], fh);
        cr_assert_lt(fdiff(fd, fe), 1e-13, "HLLD state %zu: %g", s, fdiff(fd, fe));
        cr_assert_lt(fdiff(fh, fe), 1e-13, "HLLE state %zu: %g", s, fdiff(fh, fe));
    }
}

Test(mhd_riemann, hlld_exact_stationary_contact)
{
    /* A contact at rest: density jump, same pressure, velocity and field.
     * The exact flux is the physical flux of either side; HLLD reproduces it
     * (no mass diffusion), HLLE does not. Tolerance 1e-14 of the momentum
     * flux scale (pure round-off). */
    const double bn_list[2] = {0.7, 0.0};
    for (int t = 0; t < 2; t++) {
        double bn = bn_list[t];
        double wl[7] = {1.0, 0.0, 0.3, -0.2, 0.6, 0.5, 0.25};
        double wr[7] = {0.1, 0.0, 0.3, -0.2, 0.6, 0.5, 0.25};
        double fe[7], fd[7], fh[7];
        cr_mhd_phys_flux(gam, wl, bn, fe);
        cr_mhd_hlld_1(gam, wl, wr, bn, fd);
        cr_mhd_hlle_1(gam, 0.0, wl, wr, bn, fh);
        cr_assert_lt(fdiff(fd, fe), 1e-14, "HLLD contact (bn %g): %g", bn, fdiff(fd, fe));
        cr_assert_lt(fabs(fd[0]), 1e-14, "HLLD mass flux through a contact: %g", fd[0]);
        cr_assert_gt(fabs(fh[0]), 1e-3, "HLLE is expected to diffuse the contact (mass flux %g)", fh[0]);
    }
}

Test(mhd_riemann, hlld_exact_rotational_discontinuity)
{
    /* A stationary rotational discontinuity: un = Bn / sqrt(rho) (the
     * left-going Alfven wave is at rest), the tangential field rotates by
     * 120 degrees at constant magnitude and vt jumps by dBt / sqrt(rho).
     * Both sides have the same physical flux (checked), HLLD returns it. */
    double rho = 1.3, bn = 0.9, un = bn / sqrt(rho), p = 0.4;
    double b1l = 0.6, b2l = 0.0, ang = 2.0 * 3.14159265358979323846 / 3.0;
    double b1r = 0.6 * cos(ang), b2r = 0.6 * sin(ang);
    double v1l = 0.05, v2l = -0.1;
    double v1r = v1l + (b1r - b1l) / sqrt(rho), v2r = v2l + (b2r - b2l) / sqrt(rho);
    double wl[7] = {rho, un, v1l, v2l, p, b1l, b2l};
    double wr[7] = {rho, un, v1r, v2r, p, b1r, b2r};
    double fl[7], fr[7], fd[7], fh[7];
    cr_mhd_phys_flux(gam, wl, bn, fl);
    cr_mhd_phys_flux(gam, wr, bn, fr);
    cr_assert_lt(fdiff(fl, fr), 1e-14, "the set-up is not a stationary discontinuity (%g)", fdiff(fl, fr));
    cr_mhd_hlld_1(gam, wl, wr, bn, fd);
    cr_mhd_hlle_1(gam, 0.0, wl, wr, bn, fh);
    cr_assert_lt(fdiff(fd, fl), 1e-13, "HLLD across a rotational discontinuity: %g", fdiff(fd, fl));
    cr_assert_gt(fdiff(fh, fl), 1e-3, "HLLE is expected to diffuse it (%g)", fdiff(fh, fl));
}

Test(mhd_riemann, mirror_symmetry)
{
    /* Swapping left and right and reversing the normal gives the flux with
     * reversed sign in the odd components (mass, tangential momenta,
     * energy, induction) and the same normal momentum flux. */
    double wl[7] = {1.0, 0.4, 0.2, -0.3, 1.0, 0.75, 0.1};
    double wr[7] = {0.125, -0.2, 0.0, 0.5, 0.1, -1.0, 0.3};
    double bn = 0.75;
    double ml[7], mr[7];
    for (int q = 0; q < 7; q++) ml[q] = wr[q], mr[q] = wl[q];
    ml[1] = -wr[1], mr[1] = -wl[1];
    for (int s = 0; s < 2; s++) {
        double f[7], g[7];
        if (s == 0) {
            cr_mhd_hlld_1(gam, wl, wr, bn, f);
            cr_mhd_hlld_1(gam, ml, mr, -bn, g);
        } else {
            cr_mhd_hlle_1(gam, 0.0, wl, wr, bn, f);
            cr_mhd_hlle_1(gam, 0.0, ml, mr, -bn, g);
        }
        const double sign[7] = {-1, 1, -1, -1, -1, -1, -1};
        for (int q = 0; q < 7; q++)
            cr_assert_lt(fabs(f[q] - sign[q] * g[q]), 1e-13, "solver %d component %d: %g vs %g", s, q, f[q], g[q]);
    }
}

Test(mhd_riemann, boris_fast_speed_limits)
{
    /* c -> infinity: the MHD fast speed. Along B the Alfven branch is
     * vA / sqrt(1 + vA^2/c^2) and sound is unchanged: the fast speed is the
     * larger of the two. Across B: sqrt((a^2 + vA^2) / (1 + vA^2/c^2)). */
    double rho = 0.5, p = 0.2, b = 2.0;
    double a2 = gam * p / rho, va2 = b * b / rho;
    double c1 = cr_mhd_cfast(gam, rho, p, 0.6, b * b);
    double c2 = cr_mhd_cfast_boris(gam, 1e-30, rho, p, 0.6, b * b);
    cr_assert_lt(fabs(c1 - c2), 1e-12 * c1);
    double c = 1.5, ic2 = 1.0 / (c * c);
    double along = cr_mhd_cfast_boris(gam, ic2, rho, p, b, b * b);
    double expect_along = fmax(sqrt(a2), sqrt(va2 / (1.0 + va2 * ic2)));
    cr_assert_lt(fabs(along - expect_along), 1e-12, "%g vs %g", along, expect_along);
    double across = cr_mhd_cfast_boris(gam, ic2, rho, p, 0.0, b * b);
    double expect_across = sqrt((a2 + va2) / (1.0 + va2 * ic2));
    cr_assert_lt(fabs(across - expect_across), 1e-12, "%g vs %g", across, expect_across);
    cr_assert_lt(across, c * 1.0000001, "the reduced fast speed exceeds c in a low-beta plasma");
}
