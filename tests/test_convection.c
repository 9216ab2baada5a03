/* test_convection.c — V_c of the convection-corrected Lockwood-Smith rate
 * from the ionospheric potential of MHD slices (reconnection/cr_convection.h),
 * against the closed form for a potential Phi = A sin(phi) (phi = MLT * 15
 * deg): E_east = -A cos(phi) / (R_I cos lat), v_I = E_east / |B_r|, mapped up
 * the dipole line to the satellite. */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"
#include "../reconnection/cr_convection.h"
#include "helpers.h"

enum { NT = 31, NP = 360 };

/* Rows 90 -> 60 deg per hemisphere (1 deg), 360 MLT columns. Slice k has
 * Phi = amp[k] sin(MLT 15 deg) + kv_deg |MLat| [kV] at time times[k]; a
 * slice without Ionosphere group comes first (it must be skipped). corot:
 * the run's corotation attribute. */
static void write_file_ext(const char *path, int ns, const double *times, const double *amp, double r_iono,
                           double kv_deg, int corot)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    hid_t g0 = H5Gcreate2(f, "Step#0", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_eq(cr_h5_attr_double(g0, "time", -100.0), 0);
    H5Gclose(g0);
    static double mlat[2 * NT], mlt[NP], pot[2 * NT * NP];
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < NT; i++) mlat[h * NT + i] = (h ? -1 : 1) * (90.0 - i);
    for (int j = 0; j < NP; j++) mlt[j] = 24.0 * j / NP;
    for (int k = 0; k < ns; k++) {
        char name[32];
        snprintf(name, sizeof name, "Step#%d", k + 1);
        hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        cr_assert_eq(cr_h5_attr_double(g, "time", times[k]), 0);
        hid_t ig = H5Gcreate2(g, "Ionosphere", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < NT; i++)
                for (int j = 0; j < NP; j++)
                    pot[(h * NT + i) * NP + j] = amp[k] * sin(mlt[j] * 15.0 * CR_DEG) + kv_deg * (90.0 - i);
        hsize_t d2[2] = {2, NT}, d1[1] = {NP}, d3[3] = {2, NT, NP};
        cr_assert_eq(cr_h5_write_doubles(ig, "mlat", 2, d2, mlat, "deg", "rows", NULL), 0);
        cr_assert_eq(cr_h5_write_doubles(ig, "mlt", 1, d1, mlt, "h", "columns", NULL), 0);
        cr_assert_eq(cr_h5_write_doubles(ig, "Potential", 3, d3, pot, "kV", "potential", NULL), 0);
        cr_assert_eq(cr_h5_attr_double(ig, "r_iono", r_iono), 0);
        if (corot) cr_assert_eq(cr_h5_attr_string(ig, "corotation", "yes"), 0);
        H5Gclose(ig);
        H5Gclose(g);
    }
    H5Fclose(f);
}

static void write_file(const char *path, int ns, const double *times, const double *amp, double r_iono)
{
    write_file_ext(path, ns, times, amp, r_iono, 0.0, 0);
}

/* Closed form [km/s] at the satellite. */
static double expected(double amp_kv, double b_e, double r_iono, double mlat, double mlt, double alt_km)
{
    double rs = 1.0 + alt_km / CR_RE_KM, lat_s = fabs(mlat) * CR_DEG;
    double lat_i = acos(sqrt(r_iono / rs) * cos(lat_s));
    double phi = mlt * 15.0 * CR_DEG;
    double e_east = -amp_kv * 1e3 * cos(phi) / (r_iono * CR_RE_M * cos(lat_i));
    double br = 2.0 * b_e * 1e-9 * pow(r_iono, -3) * sin(lat_i);
    double vi = e_east / br * 1e-3;
    return vi * (rs / r_iono) * (rs / r_iono) * sin(2 * lat_i) / sin(2 * lat_s);
}

Test(convection, closed_form_both_hemispheres_and_time_interpolation)
{
    char dir[512], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    const double times[2] = {100.0, 110.0}, amp[2] = {30.0, 50.0}, r_iono = 1.0 + 120.0 / CR_RE_KM;
    write_file(path, 2, times, amp, r_iono);
    struct cr_convection *c = cr_convection_new(path, 30000.0, NULL);
    cr_assert_not_null(c);
    double t0, t1;
    cr_convection_time_range(c, &t0, &t1);
    cr_assert_eq(t0, 100.0); /* the slice without an ionosphere is skipped */
    cr_assert_eq(t1, 110.0);
    /* noon: the potential falls from dawn to dusk, the flow is poleward (anti-sunward) */
    const double mlts[] = {12.0, 11.3, 12.7, 10.0};
    for (int h = 1; h >= -1; h -= 2)
        for (size_t q = 0; q < sizeof mlts / sizeof mlts[0]; q++) {
            double v;
            cr_assert_eq(cr_convection_poleward(c, 105.0, h, h * 76.3, mlts[q], 590.0, &v), 0);
            double want = expected(40.0, 30000.0, r_iono, 76.3, mlts[q], 590.0);
            /* error: bilinear interpolation + centred difference over one 0.067-h column,
             * relative O((dphi)^2 / 6) = 1e-5 on a sine; 1e-4 leaves room for the MLT interpolation */
            cr_assert(fabs(v - want) <= 1e-4 * fabs(want), "h %d mlt %g: %g vs %g km/s", h, mlts[q], v, want);
            if (fabs(mlts[q] - 12.0) < 1.0) cr_assert_gt(v, 0.0);
        }
    /* a few hundred m/s for 40 kV across the cap: the order of magnitude of a real polar cap */
    double v;
    cr_assert_eq(cr_convection_poleward(c, 100.0, 1, 76.3, 12.0, 590.0, &v), 0);
    cr_assert(v > 0.1 && v < 2.0, "%g km/s", v);
    /* outside the slices or the grid */
    cr_assert_eq(cr_convection_poleward(c, 99.0, 1, 76.3, 12.0, 590.0, &v), CR_EDOMAIN);
    cr_assert_eq(cr_convection_poleward(c, 111.0, 1, 76.3, 12.0, 590.0, &v), CR_EDOMAIN);
    cr_assert_eq(cr_convection_poleward(c, 105.0, 1, 50.0, 12.0, 590.0, &v), CR_EDOMAIN);
    cr_convection_release(c);
    helper_rm_rf(dir);
}

Test(convection, file_without_ionosphere_is_refused)
{
    char dir[512], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    write_file(path, 0, NULL, NULL, 1.0);
    cr_assert_null(cr_convection_new(path, 30000.0, NULL));
    snprintf(path, sizeof path, "%s/missing.h5", dir);
    cr_assert_null(cr_convection_new(path, 30000.0, NULL));
    helper_rm_rf(dir);
}

/* Footpoint drift (cr_convection_drift) for Phi = A sin(phi) + K |lat|:
 * at R_I, v_pole = E_east / |B_r| with E_east = -A cos(phi) / (R_I cos a)
 * and v_east = -E_pole / |B_r| with E_pole = -K / R_I (per radian of
 * latitude); d|lat|/dt = v_pole / R_I, dMLT/dt = v_east / (R_I cos a) in h/s;
 * at r_foot the latitude rate scales by (r_f / R_I) sin 2a_I / sin 2a_f. */
Test(convection, footpoint_drift_closed_form)
{
    char dir[512], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    const double times[2] = {100.0, 110.0}, amp[2] = {30.0, 50.0}, r_iono = 1.0 + 120.0 / CR_RE_KM, K = 2.0;
    const double b_e = 30000.0;
    for (int corot = 0; corot < 2; corot++) {
        write_file_ext(path, 2, times, amp, r_iono, K, corot);
        struct cr_convection *c = cr_convection_new(path, b_e, NULL);
        cr_assert_not_null(c);
        double dl, dm;
        /* slices are read by cr_convection_load only */
        cr_assert_eq(cr_convection_drift(c, 105.0, 0, r_iono, 75.0, 12.0, &dl, &dm), CR_EIO);
        cr_assert_eq(cr_convection_load(c, 100.0, 110.0), CR_OK);
        const double mlts[] = {12.0, 6.5, 17.3, 0.7}, rfs[] = {r_iono, 2.0};
        for (int h = 0; h < 2; h++)
            for (int f = 0; f < 2; f++)
                for (size_t q = 0; q < sizeof mlts / sizeof mlts[0]; q++) {
                    const double rf = rfs[f], lat_f = 76.3;
                    cr_assert_eq(cr_convection_drift(c, 105.0, h, rf, lat_f, mlts[q], &dl, &dm), CR_OK);
                    double ai = acos(sqrt(r_iono / rf) * cos(lat_f * CR_DEG)), R = r_iono * CR_RE_M;
                    double br = 2.0 * b_e * CR_NT * pow(r_iono, -3) * sin(ai), phi = mlts[q] * 15.0 * CR_DEG;
                    double e_east = -40.0e3 * cos(phi) / (R * cos(ai)), e_pole = -K * 1e3 / (R * CR_DEG);
                    double want_l = e_east / br / R / CR_DEG * (rf / r_iono) * sin(2 * ai) / sin(2 * lat_f * CR_DEG);
                    double want_m = -e_pole / br / (R * cos(ai)) / (15.0 * CR_DEG);
                    if (corot) want_m += 7.2921159e-5 * 12.0 / CR_PI;
                    /* centred differences of the bilinear potential: exact on the
                     * linear latitude term, O(dphi^2 / 6) = 1e-5 relative on the sine */
                    double scale = 40.0e3 / (R * br) / R / CR_DEG * 5.0; /* the largest latitude rate here */
                    cr_assert(fabs(dl - want_l) <= 1e-4 * scale, "h %d rf %g mlt %g: %g vs %g deg/s", h, rf,
                              mlts[q], dl, want_l);
                    cr_assert(fabs(dm - want_m) <= 1e-9 * fabs(want_m) + 1e-15, "h %d rf %g mlt %g: %g vs %g h/s",
                              h, rf, mlts[q], dm, want_m);
                    /* noon: poleward; with K > 0 the potential rises poleward: eastward drift */
                    if (q == 0) cr_assert_gt(dl, 0.0);
                }
        /* a later window releases the earlier slice */
        cr_assert_eq(cr_convection_load(c, 110.0, 110.0), CR_OK);
        cr_assert_eq(cr_convection_drift(c, 105.0, 0, r_iono, 75.0, 12.0, &dl, &dm), CR_EIO);
        cr_assert_eq(cr_convection_load(c, 100.0, 110.0), CR_OK);
        /* outside the slices, equatorward of the grid */
        cr_assert_eq(cr_convection_drift(c, 99.0, 0, r_iono, 75.0, 12.0, &dl, &dm), CR_EDOMAIN);
        cr_assert_eq(cr_convection_drift(c, 105.0, 0, r_iono, 55.0, 12.0, &dl, &dm), CR_EDOMAIN);
        cr_convection_release(c);
    }
    helper_rm_rf(dir);
}
