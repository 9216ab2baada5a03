/* test_particles_mhd.c — protons through MHD slices (grids/cr_field_mhd.h):
 * a field that is linear in space and changes linearly in time between two
 * slices is reproduced exactly between them, so a proton traced through the
 * slices follows the same orbit as through the analytic field; the ensemble
 * stage runs on an mhd.h5 with the sheath source. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../grids/cr_field_mhd.h"
#include "../grids/cr_grid.h"
#include "../particles/cr_particles.h"
#include "../particles/cr_push.h"
#include "helpers.h"

/* The analytic fields at slice a (t = 0) and b (t = T): linear in x. */
#define T_B 5.0
static void lin_fields(int slice, const double x[3], double B[3], double V[3], double *D)
{
    if (slice == 0) {
        B[0] = 5.0 + 1.0 * x[1];
        B[1] = 3.0 - 0.5 * x[2];
        B[2] = 100.0 + 4.0 * x[0];
        V[0] = -50.0 + 5.0 * x[1];
        V[1] = 20.0;
        V[2] = 10.0 * x[2];
        *D = 5.0 + x[0];
    } else {
        B[0] = 8.0 - 1.0 * x[2];
        B[1] = 2.0 + 0.3 * x[0];
        B[2] = 120.0 - 3.0 * x[1];
        V[0] = -80.0;
        V[1] = 30.0 - 4.0 * x[0];
        V[2] = 0.0;
        *D = 6.0 + x[1];
    }
}

/* exact field at (t, x): linear in time between the slices, E = -V x B */
static void exact(double t, const double x[3], struct cr_field_sample *s)
{
    double Ba[3], Va[3], Da, Bb[3], Vb[3], Db;
    lin_fields(0, x, Ba, Va, &Da);
    lin_fields(1, x, Bb, Vb, &Db);
    double w = t / T_B;
    memset(s, 0, sizeof *s);
    for (int c = 0; c < 3; c++) {
        s->B[c] = (1 - w) * Ba[c] + w * Bb[c];
        s->V[c] = (1 - w) * Va[c] + w * Vb[c];
    }
    s->D = (1 - w) * Da + w * Db;
    /* -V x B: (km/s)(nT) = 1e-6 V/m = 1e-3 mV/m */
    s->E[0] = -1e-3 * (s->V[1] * s->B[2] - s->V[2] * s->B[1]);
    s->E[1] = -1e-3 * (s->V[2] * s->B[0] - s->V[0] * s->B[2]);
    s->E[2] = -1e-3 * (s->V[0] * s->B[1] - s->V[1] * s->B[0]);
}

struct exact_field {
    struct cr_field base;
};
static int exact_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    (void)f;
    exact(t, x, s);
    return CR_OK;
}
static void exact_release(struct cr_field *f) { (void)f; }
static const struct cr_field_vtable exact_vt = {exact_eval, exact_release};

/* Write an mhd.h5 on a Cartesian grid [4, 8] x [-2, 2] x [-2, 2] R_E with
 * nslices slices T_B apart, alternating the two linear states. */
static void write_linear_file(const char *path, int nslices)
{
    struct cr_grid_spec spec = {.kind = CR_GRID_CARTESIAN, .ni = 12, .nj = 12, .nk = 12, .lo = {4, -2, -2},
                                .hi = {8, 2, 2}};
    struct cr_grid *g = cr_grid_new(&spec);
    cr_assert_not_null(g);
    int ni = g->ni, nj = g->nj, nk = g->nk;
    size_t nc = (size_t)(ni + 1) * (nj + 1) * (nk + 1), ncell = (size_t)ni * nj * nk;
    double *cx[3], *cv[7];
    for (int c = 0; c < 3; c++) cx[c] = cr_zalloc(nc, sizeof(double));
    for (int c = 0; c < 7; c++) cv[c] = cr_zalloc(ncell, sizeof(double));
    size_t q = 0;
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++)
            for (int i = 0; i <= ni; i++, q++) {
                size_t gi = CR_GIDX(g, i, j, k);
                cx[0][q] = g->x[gi];
                cx[1][q] = g->y[gi];
                cx[2][q] = g->z[gi];
            }
    struct cr_h5 *h = cr_h5_create(path, NULL, NULL);
    cr_assert_not_null(h);
    hsize_t cd[3] = {(hsize_t)nk + 1, (hsize_t)nj + 1, (hsize_t)ni + 1};
    const char *cn[3] = {"X", "Y", "Z"};
    for (int c = 0; c < 3; c++)
        cr_assert_eq(cr_h5_write_doubles(cr_h5_root(h), cn[c], 3, cd, cx[c], "R_E", "corners", NULL), CR_OK);
    hsize_t dd[3] = {(hsize_t)nk, (hsize_t)nj, (hsize_t)ni};
    const char *vn[7] = {"Bx", "By", "Bz", "Vx", "Vy", "Vz", "D"};
    const char *vu[7] = {"nT", "nT", "nT", "km/s", "km/s", "km/s", "#/cc"};
    for (int s = 0; s < nslices; s++) {
        q = 0;
        for (int k = 0; k < nk; k++)
            for (int j = 0; j < nj; j++)
                for (int i = 0; i < ni; i++, q++) {
                    size_t gi = CR_GIDX(g, i, j, k);
                    double xc[3] = {g->cx[gi], g->cy[gi], g->cz[gi]}, B[3], V[3], D;
                    lin_fields(s % 2, xc, B, V, &D);
                    for (int c = 0; c < 3; c++) {
                        cv[c][q] = B[c];
                        cv[3 + c][q] = V[c];
                    }
                    cv[6][q] = D;
                }
        char name[32];
        snprintf(name, sizeof name, "Step#%d", s);
        hid_t grp = H5Gcreate2(cr_h5_root(h), name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        cr_assert_geq(grp, 0);
        cr_assert_eq(cr_h5_attr_double(grp, "time", s * T_B), CR_OK);
        for (int c = 0; c < 7; c++)
            cr_assert_eq(cr_h5_write_doubles(grp, vn[c], 3, dd, cv[c], vu[c], "linear test field", NULL), CR_OK);
        H5Gclose(grp);
    }
    cr_assert_eq(cr_h5_commit(h), CR_OK);
    for (int c = 0; c < 3; c++) free(cx[c]);
    for (int c = 0; c < 7; c++) free(cv[c]);
    cr_grid_release(g);
}

Test(particles_mhd, linear_in_time_field_reproduced_and_traced)
{
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    write_linear_file(path, 2);
    struct cr_field_mhd_inp mi = {.path = path};
    int st;
    struct cr_field_mhd *m = cr_field_mhd_new(&mi, &st);
    cr_assert_not_null(m, "cannot open %s (%d)", path, st);
    cr_assert_eq(cr_field_mhd_set_time(m, 2.5), CR_OK);
    struct cr_field *f = cr_field_mhd_field(m);
    /* (1) between the slices, at points at least one cell (1/3 R_E) inside the
     * grid (where trilinear interpolation between cell centres is exact for
     * linear data): B, V, D and E = -V x B equal the exact field to round-off
     * (1e-12 relative: a few operations on values of order 100). */
    double maxerr = 0;
    for (int k = 0; k < 200; k++) {
        double fr[4] = {fmod(0.37 * k, 1.0), fmod(0.61 * k + 0.1, 1.0), fmod(0.83 * k + 0.2, 1.0),
                        fmod(0.29 * k + 0.05, 1.0)};
        double x[3] = {4.5 + 3.0 * fr[0], -1.5 + 3.0 * fr[1], -1.5 + 3.0 * fr[2]}, t = T_B * fr[3];
        struct cr_field_sample s, e;
        cr_assert_eq(cr_field_eval(f, t, x, &s), CR_OK);
        exact(t, x, &e);
        for (int c = 0; c < 3; c++) {
            maxerr = fmax(maxerr, fabs(s.B[c] - e.B[c]) / 100.0);
            maxerr = fmax(maxerr, fabs(s.V[c] - e.V[c]) / 100.0);
            maxerr = fmax(maxerr, fabs(s.E[c] - e.E[c]) / 10.0);
        }
        maxerr = fmax(maxerr, fabs(s.D - e.D) / 5.0);
    }
    cr_assert_lt(maxerr, 1e-12, "max relative error %.3e", maxerr);

    /* (2) a ~0.3 keV proton traced through the slices and through the exact
     * field from t = 0 to 5 s (~8 gyrations, E x B drift ~50 km/s), in full
     * orbit (32 steps per gyration) and as a guiding centre: the same orbit.
     * The fields agree to ~1e-14 and the orbit is not chaotic in this nearly
     * uniform field, so the end points agree to 1e-9 of the gyroradius
     * (~0.004 R_E). */
    struct exact_field ef = {.base = {.vt = &exact_vt, .name = "exact", .t_min = 0, .t_max = T_B}};
    struct cr_particle pm, pe;
    for (int scheme = 0; scheme < 2; scheme++) {
        struct cr_push_inp im = {.field = f, .scheme = scheme ? CR_PUSH_GC_ONLY : CR_PUSH_FO_ONLY,
                                 .fo_dt_gyro = 1.0 / 32.0};
        struct cr_push_inp ie = im;
        ie.field = &ef.base;
        struct cr_push *p1 = cr_push_new(&im), *p2 = cr_push_new(&ie);
        struct cr_push_work *w = cr_push_work_new(p1);
        double x0[3] = {6.0, 0.1, -0.2}, v0[3] = {300.0, 100.0, 150.0};
        cr_assert_eq(cr_push_start(p1, w, &pm, 0.0, x0, v0, 1e30, 1), CR_OK);
        cr_assert_eq(cr_push_start(p2, w, &pe, 0.0, x0, v0, 1e30, 1), CR_OK);
        cr_push_advance(p1, w, &pm, T_B);
        cr_push_advance(p2, w, &pe, T_B);
        cr_assert_eq(pm.status, CR_PST_TIMEOUT, "status %d", pm.status); /* the slices end at T_B */
        cr_assert_eq(pe.status, CR_PST_TIMEOUT);
        cr_assert_float_eq(pm.t, T_B, 1e-12);
        double d = 0, moved = 0;
        for (int c = 0; c < 3; c++) {
            d = fmax(d, fabs(pm.x[c] - pe.x[c]));
            moved = fmax(moved, fabs(pm.x[c] - x0[c]));
        }
        cr_assert_lt(d, 1e-9 * 0.004, "%s: end points differ by %.3e R_E", scheme ? "GC" : "FO", d);
        cr_assert_gt(moved, 0.01, "the proton must have moved (drift and parallel motion)");
        cr_push_work_release(w);
        cr_push_release(p1);
        cr_push_release(p2);
    }
    cr_field_mhd_release(m);
    helper_rm_rf(dir);
}

Test(particles_mhd, ensemble_through_slices)
{
    /* Three slices (0, 5, 10 s): the tracer moves the window twice, injects
     * protons at their start times in [0, 8] s, and every proton (no
     * collection sphere on this Cartesian grid, and it is too small to leave
     * in 10 s at these speeds) times out when the slices end, at exactly 10 s.
     * The density for the weights comes from D of the slices (5 + x at t = 0,
     * 6 + y at 5 s: between 4.5 and 12.5 /cc here). With 1 and 2 threads the
     * records are bit-identical. */
    char dir[256], path[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    write_linear_file(path, 3);
    struct cr_particles_out out[2];
    int nmax = cr_max_threads();
    for (int th = 0; th < 2; th++) {
        struct cr_field_mhd_inp mi = {.path = path};
        int st;
        struct cr_field_mhd *m = cr_field_mhd_new(&mi, &st);
        cr_assert_not_null(m);
        struct cr_particles_inp in = {
            .field = cr_field_mhd_field(m),
            .mhd = m,
            .n = 64,
            .max_time = 100.0,
            .r_sat = 1.1,
            .progress = -1,
            .inject = {.kind = CR_SOURCE_BOX, .box = {5.5, 6.5, -0.5, 0.5, -0.5, 0.5}, .e_min = 10, .e_max = 100,
                       .temperature = 100, .t_start = 0, .t_end = 8, .seed = 9},
        };
        cr_set_threads(th + 1);
        cr_assert_eq(cr_particles_trace(&in, &out[th]), CR_OK);
        cr_field_mhd_release(m);
    }
    cr_set_threads(nmax);
    struct cr_particles_out *o = &out[0];
    cr_assert_eq(o->n_injected, 64);
    cr_assert_eq(o->n_status[CR_PST_TIMEOUT], 64);
    for (long i = 0; i < o->n; i++) {
        cr_assert_float_eq(o->rec[i].t, 2.0 * T_B, 1e-9);
        cr_assert(o->inj[i].t0 >= 0.0 && o->inj[i].t0 <= 8.0);
        cr_assert(o->inj[i].density >= 4.5 && o->inj[i].density <= 12.5, "density %g", o->inj[i].density);
        cr_assert_eq(memcmp(&out[0].inj[i], &out[1].inj[i], sizeof out[0].inj[i]), 0);
        cr_assert_eq(memcmp(&out[0].rec[i], &out[1].rec[i], sizeof out[0].rec[i]), 0);
    }
    cr_particles_out_free(&out[0]);
    cr_particles_out_free(&out[1]);
    helper_rm_rf(dir);
}
