/* test_empirical.c — empirical reference models (magnetosphere/cr_empirical.h)
 * against the GEM-2009 baseline numbers of REFERENCES.md section 2 and the
 * limits of the formulas. Baseline: n = 5 cm^-3, V = 400 km/s, T = 1e5 K,
 * Bz = -5 nT. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../magnetosphere/cr_empirical.h"

static const struct cr_emp_sw baseline = {.n = 5, .v = {-400, 0, 0}, .temp = 1e5, .b = {0, 0, -5}};

/* REFERENCES.md: P_dyn = 1.6726e-6 n V^2 = 1.338 nPa (4 digits quoted). */
Test(empirical, dynamic_pressure_baseline)
{
    cr_assert_float_eq(cr_emp_pdyn_npa(5, 400), 1.338, 5e-4);
    cr_assert_float_eq(cr_emp_pdyn_npa(5, 400), 1.6726e-6 * 5 * 400 * 400, 1e-4 * 1.338);
}

/* Shue 1998 baseline r0 = 10.42 R_E, alpha = 0.619 (quoted to the last digit:
 * tolerance half a unit of it); the surface passes through r0 at theta = 0 and
 * r0 2^alpha at 90 deg (eq. 1). */
Test(empirical, shue98_baseline)
{
    double r0, al;
    cr_assert_eq(cr_emp_shue98(-5, cr_emp_pdyn_npa(5, 400), &r0, &al), CR_OK);
    printf("Shue 1998 baseline: r0 = %.4f R_E, alpha = %.4f\n", r0, al);
    cr_assert_float_eq(r0, 10.42, 0.005);
    cr_assert_float_eq(al, 0.619, 0.0005);
    cr_assert_float_eq(cr_emp_shue98_r(r0, al, 0), r0, 1e-14 * r0);
    cr_assert_float_eq(cr_emp_shue98_r(r0, al, CR_PI / 2), r0 * pow(2, al), 1e-13 * r0);
    /* a stronger southward IMF erodes the magnetopause and flares it more */
    double r1, a1;
    cr_emp_shue98(-10, cr_emp_pdyn_npa(5, 400), &r1, &a1);
    cr_assert_lt(r1, r0);
    cr_assert_gt(a1, al);
    cr_assert_eq(cr_emp_shue98(-5, 0, &r0, &al), CR_EDOMAIN);
}

/* Farris & Russell 1994 at the baseline. The Mach number depends on the
 * thermal pressure: hand values (python, CODATA constants) c_s = 37.09 km/s,
 * v_A = 48.77 km/s, c_f = 61.27 km/s, M = 6.528, R_bs = 13.563 R_E with
 * P = n k T; with T_e = T_i (P = 2 n k T) M = 5.585, R_bs = 13.668 R_E.
 * REFERENCES.md quotes "about 13.7 R_E": both are within 1.1 % of it. */
Test(empirical, farris_russell94_baseline)
{
    struct cr_emp_ref r;
    cr_assert_eq(cr_emp_reference(&baseline, &r), CR_OK);
    printf("Farris-Russell baseline: c_f = %.2f km/s, M = %.3f, R_bs = %.3f R_E (P = n k T)\n", r.c_fast, r.mach,
           r.r_bs);
    cr_assert_float_eq(r.c_fast, 61.274, 0.005);
    cr_assert_float_eq(r.mach, 6.528, 0.001);
    cr_assert_float_eq(r.r_bs, 13.563, 0.002);
    struct cr_emp_sw hot = baseline;
    hot.te_over_ti = 1.0;
    cr_assert_eq(cr_emp_reference(&hot, &r), CR_OK);
    printf("Farris-Russell baseline: M = %.3f, R_bs = %.3f R_E (P = 2 n k T)\n", r.mach, r.r_bs);
    cr_assert_float_eq(r.mach, 5.585, 0.001);
    cr_assert_float_eq(r.r_bs, 13.668, 0.002);
    cr_assert_float_eq(r.r_bs, 13.7, 0.011 * 13.7);
}

/* Limits: M -> infinity gives R_bs/R_mp -> 1 + 1.1 (g-1)/(g+1) = 1.275 for
 * g = 5/3; M <= 1 has no stand-off (an error, not a number); a field along
 * the flow leaves only the sound speed (parallel fast mode = max(c_s, v_A)). */
Test(empirical, farris_russell94_limits_and_fast_mode)
{
    double r;
    cr_assert_eq(cr_emp_farris_russell94(10, 1e6, 5.0 / 3.0, &r), CR_OK);
    cr_assert_float_eq(r / 10, 1.275, 1e-9);
    cr_assert_eq(cr_emp_farris_russell94(10, 1.0, 5.0 / 3.0, &r), CR_EDOMAIN);
    cr_assert_eq(cr_emp_farris_russell94(10, 1.01, 5.0 / 3.0, &r), CR_OK);
    cr_assert_gt(r, 100, "the shock runs away as M -> 1");
    double v[3] = {-400, 0, 0}, bpar[3] = {-5, 0, 0}, bperp[3] = {0, 0, -5}, c1, c2;
    double p = 5 * CR_CC * CR_KB * 1e5 / CR_NPA;
    cr_assert_eq(cr_emp_fast_speed(5, p, bpar, v, 5.0 / 3.0, &c1), CR_OK);
    cr_assert_eq(cr_emp_fast_speed(5, p, bperp, v, 5.0 / 3.0, &c2), CR_OK);
    cr_assert_float_eq(c1, 48.773, 0.001, "parallel: max(c_s 37.09, v_A 48.77) = %g", c1);
    cr_assert_float_eq(c2 * c2, 37.091 * 37.091 + 48.773 * 48.773, 0.2);
    double v0[3] = {0, 0, 0};
    cr_assert_eq(cr_emp_fast_speed(5, p, bpar, v0, 5.0 / 3.0, &c1), CR_EDOMAIN);
}

/* Boyle et al. 1997: 1e-4 * 400^2 + 11.7 * 5 * sin^3(90 deg) = 16 + 58.5 =
 * 74.5 kV for the baseline; northward IMF leaves the 16 kV viscous term. */
Test(empirical, boyle97_baseline)
{
    struct cr_emp_ref r;
    cr_assert_eq(cr_emp_reference(&baseline, &r), CR_OK);
    printf("Boyle 1997 baseline: %.3f kV\n", r.cpcp_kv);
    cr_assert_float_eq(r.cpcp_kv, 74.5, 1e-10);
    double v[3] = {-400, 0, 0}, bn[3] = {0, 0, 5}, by[3] = {0, 5, 0};
    cr_assert_float_eq(cr_emp_boyle97_kv(v, bn), 16.0, 1e-10);
    /* By only: clock angle 90 deg, sin^3(45 deg) = 0.35355 */
    cr_assert_float_eq(cr_emp_boyle97_kv(v, by), 16.0 + 58.5 * pow(sqrt(0.5), 3), 1e-10);
}

Test(empirical, unphysical_state_is_an_error)
{
    struct cr_emp_ref r;
    struct cr_emp_sw s = baseline;
    s.n = 0;
    cr_assert_eq(cr_emp_reference(&s, &r), CR_EDOMAIN);
    s = baseline;
    s.temp = -1;
    cr_assert_eq(cr_emp_reference(&s, &r), CR_EDOMAIN);
    /* a slow, dense, hot wind is sub-fast-magnetosonic: no bow shock, not an error */
    s = baseline;
    s.v[0] = -20;
    cr_assert_eq(cr_emp_reference(&s, &r), CR_OK);
    cr_assert_lt(r.mach, 1);
    cr_assert_eq(r.r_bs, 0.0);
}

Test(empirical, siscoe02_hill_saturation)
{
    /* Siscoe et al. (2002) eqs. 3-5 by hand for the GEM-2009 wind (P = 1.3381
     * nPa, V = 400 km/s): E = 2 mV/m at Bz = -5 nT, F = 1, xi = 4.45 - 1.08
     * log10(10) = 3.37: 57.6 * 2 * 1.3381^(1/3) / (1.3381^(1/2) + 0.0125 *
     * 3.37 * 10 * 2) = 63.50 kV; Bz = -20 nT: 112.17 kV; with 5 S: 169.02 kV
     * (saturation lower with more conductance); northward IMF: F = 0. */
    const double v[3] = {-400, 0, 0}, b5[3] = {0, 0, -5}, b20[3] = {0, 0, -20}, bn[3] = {0, 0, 5};
    double p = cr_emp_pdyn_npa(5, 400);
    cr_assert_float_eq(cr_emp_siscoe02_kv(v, b5, p, 10.0), 63.496, 2e-3);
    cr_assert_float_eq(cr_emp_siscoe02_kv(v, b20, p, 10.0), 112.173, 2e-3);
    cr_assert_float_eq(cr_emp_siscoe02_kv(v, b20, p, 5.0), 169.017, 2e-3);
    cr_assert_float_eq(cr_emp_siscoe02_kv(v, bn, p, 10.0), 0.0, 1e-12);
    cr_assert_eq(cr_emp_siscoe02_kv(v, b5, p, 0.0), 0.0, "no conductance: no value");
}
