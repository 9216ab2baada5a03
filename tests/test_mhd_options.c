/* test_mhd_options.c — the solver options the magnetosphere needs, each
 * against an exact property, and the `cusprate mhd` command:
 *  - background field split (Tanaka 1994): a plasma at rest in a curl-free,
 *    non-uniform B0 is an exact equilibrium and stays at rest to round-off,
 *    while the same field carried as the evolved field is pushed by the
 *    truncation error of its Maxwell stress;
 *  - a B0 with currents: its J0 x B0 force is applied (the split run follows
 *    the unsplit one);
 *  - Boris correction (Gombosi et al. 2002): an Alfven wave along B travels
 *    at vA / sqrt(1 + vA^2/c^2);
 *  - floors: a cavitating flow uses them, counts them and stays finite;
 *  - the command writes mhd.h5 (GAMERA layout, units on every dataset),
 *    mhd.xmf and the CSV profile, and refuses bad input with status 2. */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "test_mhd_common.h"

/* curl-free, divergence-free B0 = grad(a x y z) + (0.3, 0, 0) */
static void b0_pot(void *ctx, const double x[3], double b[3])
{
    const double a = *(const double *)ctx;
    b[0] = a * x[1] * x[2] + 0.3;
    b[1] = a * x[0] * x[2];
    b[2] = a * x[0] * x[1];
}

static void rest(void *ctx, const double x[3], double w[5])
{
    (void)ctx, (void)x;
    w[0] = 1.0, w[1] = w[2] = w[3] = 0.0, w[4] = 0.1;
}

static void vecpot_pot(void *ctx, const double x[3], double A[3])
{
    /* curl A = B0 for B0 = a (yz, xz, xy) + (0.3, 0, 0): A = a/2 (x z^2 - x y^2, y x^2 - y z^2, z y^2 - z x^2)
     * + 0.3 (0, -z/2, y/2) */
    const double a = *(const double *)ctx;
    A[0] = 0.5 * a * x[0] * (x[2] * x[2] - x[1] * x[1]);
    A[1] = 0.5 * a * x[1] * (x[0] * x[0] - x[2] * x[2]) - 0.15 * x[2];
    A[2] = 0.5 * a * x[2] * (x[1] * x[1] - x[0] * x[0]) + 0.15 * x[1];
}

static int keep_ghosts(void *ctx, const struct cr_mhd_view *v, int side, double t)
{
    (void)ctx, (void)v, (void)side, (void)t;
    return 0;
}

static double max_speed(struct cr_mhd *m)
{
    double *out[CR_MHD_NOUT];
    cr_assert_eq(tmhd_vars(m, out), 0);
    const struct cr_grid *g = cr_mhd_grid(m);
    double v = 0.0;
    for (int c = 0; c < g->ni * g->nj * g->nk; c++)
        v = fmax(v, sqrt(out[1][c] * out[1][c] + out[2][c] * out[2][c] + out[3][c] * out[3][c]));
    tmhd_free_vars(out);
    return v;
}

Test(mhd_options, b0_split_keeps_potential_field_equilibrium)
{
    /* A potential field exerts no force, so rho, p uniform, v = 0 is exact.
     * Split: the face fluxes carry p n and the B0 stress is removed face by
     * face, so the total flux of every closed cell is zero to round-off
     * (velocities ~1e-15 vA). Unsplit, the discrete stress of the same field
     * does not cancel on the warped grid (truncation error ~h^2). */
    tmhd_threads(1);
    int n = helper_sanitized() ? 8 : 12;
    double a = 2.0;
    const double lo[3] = {-0.5, -0.5, -0.5}, hi[3] = {0.5, 0.5, 0.5};
    const int open[3] = {1, 1, 1};
    struct cr_grid *g = tmhd_grid(CR_GRID_WARPED, 0.25, n, n, n, lo, hi, open);
    /* boundaries that keep the exact initial ghosts (a user boundary doing nothing) */
    const struct cr_mhd_bc_user keep = {.fill = keep_ghosts};
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.3);
    for (int s = 0; s < 6; s++) in.bc[s].kind = CR_MHD_BC_USER, in.bc[s].user = &keep;
    in.b0 = b0_pot;
    in.b0_ctx = &a;
    struct cr_mhd *m = cr_mhd_new(&in);
    cr_assert_not_null(m);
    struct cr_mhd_inp in2 = in;
    in2.b0 = NULL;
    struct cr_mhd *m2 = cr_mhd_new(&in2);
    /* split: B1 = 0 (face fluxes stay zero); unsplit: the same field as B1 */
    cr_assert_eq(cr_mhd_init_prim(m, rest, NULL), 0);
    cr_assert_eq(cr_mhd_init_vecpot(m2, vecpot_pot, &a), 0);
    cr_assert_eq(cr_mhd_init_prim(m2, rest, NULL), 0);
    cr_assert_eq(tmhd_run(m, 1e9, 20), 0);
    cr_assert_eq(tmhd_run(m2, 1e9, 20), 0);
    double v1 = max_speed(m), v2 = max_speed(m2);
    printf("potential B0 (max |B0| ~ %.2f) at rest, 20 steps on a warped %d^3 box: max |v| split %.3e, unsplit "
           "%.3e\n",
           0.3 + 0.25 * a, n, v1, v2);
    /* the ghosts hold the exact state: round-off only, bound 1e-12 of the Alfven speed ~1 */
    cr_assert_lt(v1, 1e-12);
    cr_assert_gt(v2, 1e3 * fmax(v1, 1e-16), "the unsplit run should show the truncation force of the stress");
    cr_mhd_release(m);
    cr_mhd_release(m2);
    cr_grid_release(g);
}

/* B0 = (0, 0, 1 + 0.2 sin 2 pi x): J0 = -dB/dx y, J0 x B0 = -B B' x: a force along x */
static void b0_cur(void *ctx, const double x[3], double b[3])
{
    (void)ctx;
    b[0] = b[1] = 0.0;
    b[2] = 1.0 + 0.2 * sin(2.0 * 3.14159265358979323846 * x[0]);
}

static void b_cur_face(void *ctx, const double x[3], double b[3]) { b0_cur(ctx, x, b); }

Test(mhd_options, b0_with_current_applies_its_force)
{
    /* The same non-potential field as B0 (with sources) and as the evolved
     * field must give the same flow up to truncation: after 0.05 time units
     * the velocities (|v| ~ 0.03) agree to a few per cent on 128 cells. */
    tmhd_threads(1);
    int n = 128;
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
    struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, NULL);
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.5);
    in.b0 = b0_cur;
    in.b0_not_curl_free = 1;
    struct cr_mhd *m = cr_mhd_new(&in);
    struct cr_mhd_inp in2 = tmhd_inp(g, 5.0 / 3.0, 0.5);
    struct cr_mhd *m2 = cr_mhd_new(&in2);
    cr_assert_eq(cr_mhd_init_prim(m, rest, NULL), 0);
    cr_assert_eq(cr_mhd_init_bface(m2, b_cur_face, NULL), 0);
    cr_assert_eq(cr_mhd_init_prim(m2, rest, NULL), 0);
    cr_assert_eq(tmhd_run(m, 0.05, 0), 0);
    cr_assert_eq(tmhd_run(m2, 0.05, 0), 0);
    double *o1[CR_MHD_NOUT], *o2[CR_MHD_NOUT];
    cr_assert_eq(tmhd_vars(m, o1), 0);
    cr_assert_eq(tmhd_vars(m2, o2), 0);
    double vmax = 0.0, dmax = 0.0, bdiff = 0.0;
    for (int i = 0; i < n; i++) {
        vmax = fmax(vmax, fabs(o2[1][i]));
        dmax = fmax(dmax, fabs(o1[1][i] - o2[1][i]));
        bdiff = fmax(bdiff, fabs(o1[CR_MHD_OUT_BZ][i] - o2[CR_MHD_OUT_BZ][i]));
    }
    printf("B0 with current: max |vx| %.4e, split - unsplit %.3e (vx), %.3e (Bz total)\n", vmax, dmax, bdiff);
    cr_assert_gt(vmax, 1e-2, "the J x B force should accelerate the plasma");
    cr_assert_lt(dmax, 0.03 * vmax);
    tmhd_free_vars(o1);
    tmhd_free_vars(o2);
    cr_mhd_release(m);
    cr_mhd_release(m2);
    cr_grid_release(g);
}

/* Phase of the first Fourier mode of vy along x. */
static double phase_vy(struct cr_mhd *m)
{
    double *out[CR_MHD_NOUT];
    cr_assert_eq(tmhd_vars(m, out), 0);
    const struct cr_grid *g = cr_mhd_grid(m);
    double s = 0.0, c = 0.0;
    for (int i = 0; i < g->ni; i++) {
        double x = g->cx[CR_GIDX(g, i, 0, 0)];
        s += out[2][i] * sin(2.0 * 3.14159265358979323846 * x);
        c += out[2][i] * cos(2.0 * 3.14159265358979323846 * x);
    }
    tmhd_free_vars(out);
    return atan2(s, c);
}

struct alfven {
    double amp, c; /* amplitude, Boris speed of light (0 = none) */
};

static void alf_a(void *ctx, const double x[3], double A[3])
{
    /* B = (1, amp sin kx, 0): A = (0, 0, -amp cos(kx)/k) + (0, 0, y) */
    const struct alfven *p = ctx;
    double k = 2.0 * 3.14159265358979323846;
    A[0] = 0.0, A[1] = 0.0;
    A[2] = x[1] + p->amp * cos(k * x[0]) / k;
}

static void alf_w(void *ctx, const double x[3], double w[5])
{
    /* a right-going Alfven wave: dv = -dB / sqrt(rho (1 + vA^2/c^2)) (the eigenvector of the corrected system) */
    const struct alfven *p = ctx;
    double k = 2.0 * 3.14159265358979323846;
    double f = p->c > 0.0 ? 1.0 / sqrt(1.0 + 1.0 / (p->c * p->c)) : 1.0;
    w[0] = 1.0, w[1] = 0.0, w[2] = -f * p->amp * sin(k * x[0]), w[3] = 0.0, w[4] = 1.0;
}

static double c_const(void *ctx, const double x[3])
{
    (void)x;
    return *(const double *)ctx;
}

static double alfven_speed_at(double boris_c, double (*c_at)(void *, const double *), double *c_ctx)
{
    int n = 256;
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
    struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, NULL);
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.5);
    in.boris_c = boris_c;
    in.boris_c_at = c_at;
    in.boris_ctx = c_ctx;
    struct cr_mhd *m = cr_mhd_new(&in);
    struct alfven p = {.amp = 1e-4, .c = c_at ? *c_ctx : boris_c};
    cr_assert_eq(cr_mhd_init_vecpot(m, alf_a, &p), 0);
    cr_assert_eq(cr_mhd_init_prim(m, alf_w, &p), 0);
    double ph0 = phase_vy(m), T = 0.25;
    cr_assert_eq(tmhd_run(m, T, 0), 0);
    double ph1 = phase_vy(m);
    double dph = ph1 - ph0; /* for v ~ sin(kx - wt): atan2(sum v sin kx, sum v cos kx) = pi/2 + wt */
    while (dph < 0) dph += 2.0 * 3.14159265358979323846;
    cr_mhd_release(m);
    cr_grid_release(g);
    return dph / (2.0 * 3.14159265358979323846) / T;
}

static double alfven_speed(double boris_c) { return alfven_speed_at(boris_c, NULL, NULL); }

Test(mhd_options, boris_speed_given_per_position)
{
    /* A position-dependent Boris speed (cr_mhd_inp.boris_c_at) is used in the
     * fast speeds, the dissipation, the time step and the cell update: a
     * function returning 1 everywhere gives bit for bit the run with the
     * constant c = 1, and one returning 3 (with boris_c = 1) the speed of
     * c = 3, vA / sqrt(1 + 1/9) (bound as in boris_reduces_alfven_speed). */
    tmhd_threads(1);
    double one = 1.0, three = 3.0;
    double v1 = alfven_speed(1.0), f1 = alfven_speed_at(1.0, c_const, &one), f3 = alfven_speed_at(1.0, c_const, &three);
    printf("Alfven wave speed with c given per position: c = 1 %.17g (constant c: %.17g), c = 3 %.5f (%.5f)\n", f1,
           v1, f3, 1.0 / sqrt(1.0 + 1.0 / 9.0));
    cr_assert_eq(memcmp(&f1, &v1, sizeof f1), 0);
    cr_assert_lt(fabs(f3 - 1.0 / sqrt(1.0 + 1.0 / 9.0)), 0.005);
}

Test(mhd_options, boris_reduces_alfven_speed)
{
    /* vA = 1 along B. Without the correction the wave moves at 1; with
     * c = 1 at 1/sqrt(2) (semi-relativistic MHD, Gombosi et al. 2002). The
     * phase error of the second-order scheme at 256 cells per wavelength
     * is ~1e-4; bound 0.5 %. */
    tmhd_threads(1);
    double v0 = alfven_speed(0.0), v1 = alfven_speed(1.0), v2 = alfven_speed(3.0);
    printf("Alfven wave speed: no Boris %.5f (1), c = 1: %.5f (%.5f), c = 3: %.5f (%.5f)\n", v0, v1, 1.0 / sqrt(2.0),
           v2, 1.0 / sqrt(1.0 + 1.0 / 9.0));
    cr_assert_lt(fabs(v0 - 1.0), 0.005);
    cr_assert_lt(fabs(v1 - 1.0 / sqrt(2.0)), 0.005);
    cr_assert_lt(fabs(v2 - 1.0 / sqrt(1.0 + 1.0 / 9.0)), 0.005);
}

Test(mhd_options, floors_counted_and_finite)
{
    /* Two streams leaving the centre at Mach 30 empty it: the density and
     * pressure floors must be used, counted and keep the state finite. */
    tmhd_threads(1);
    int n = 200;
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
    const int open[3] = {1, 0, 0};
    struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, open);
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.5);
    in.rho_floor = 1e-3;
    in.p_floor = 1e-5;
    struct cr_mhd *m = cr_mhd_new(&in);
    struct cr_mhd_problem_par p;
    cr_mhd_problem_defaults("shock_tube", &p);
    const double l[8] = {1.0, -10.0, 0, 0, 1e-3, 0, 0.1, 0}, r[8] = {1.0, 10.0, 0, 0, 1e-3, 0, 0.1, 0};
    memcpy(p.left, l, sizeof l);
    memcpy(p.right, r, sizeof r);
    cr_assert_eq(cr_mhd_problem_find("shock_tube")->init(m, &p), 0);
    long nr = 0, np = 0;
    while (cr_mhd_time(m) < 0.02) {
        struct cr_mhd_step_info si;
        cr_assert_eq(cr_mhd_step(m, 0.02 - cr_mhd_time(m), &si), 0);
        nr += si.n_rho_floor;
        np += si.n_p_floor;
    }
    double *out[CR_MHD_NOUT];
    cr_assert_eq(tmhd_vars(m, out), 0);
    double rmin = 1e300, pmin = 1e300;
    for (int i = 0; i < n; i++) {
        cr_assert(isfinite(out[0][i]) && isfinite(out[4][i]) && isfinite(out[1][i]));
        rmin = fmin(rmin, out[0][i]);
        pmin = fmin(pmin, out[4][i]);
    }
    printf("floors: %ld density and %ld pressure uses; min rho %.3e, min p %.3e\n", nr, np, rmin, pmin);
    cr_assert_gt(nr + np, 0);
    cr_assert_geq(rmin, 1e-3 * (1 - 1e-12));
    cr_assert_geq(pmin, 1e-5 * (1 - 1e-12));
    tmhd_free_vars(out);
    cr_mhd_release(m);
    cr_grid_release(g);
}

static int has_attr_string(hid_t loc, const char *obj, const char *name)
{
    return H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) > 0;
}

Test(mhd_cli, writes_gamera_layout_xdmf_and_profile)
{
    char dir[512], args[2048], out[16384], path[1024];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(args, sizeof args,
             "mhd %s/runs/verify/brio_wu.ini run.dir=%s grid.ni=100 \"grid.box=0 1 0 0.01 0 0.01\" mhd.dt_out=0.05 "
             "run.progress=never",
             helper_root(), dir);
    int st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "status %d: %s", st, out);
    cr_assert(strstr(out, "max |div B|"), "%s", out);
    snprintf(path, sizeof path, "%s/mhd.h5", dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    const char *root[] = {"X", "Y", "Z", "dV"};
    for (int q = 0; q < 4; q++) cr_assert(H5Lexists(f, root[q], H5P_DEFAULT) > 0, "missing %s", root[q]);
    const char *vars[] = {"D", "Vx", "Vy", "Vz", "P", "Bx", "By", "Bz", "Jx", "Jy", "Jz"};
    for (int s = 0; s < 3; s++) {
        char grp[32];
        snprintf(grp, sizeof grp, "Step#%d", s);
        cr_assert(H5Lexists(f, grp, H5P_DEFAULT) > 0, "missing %s", grp);
        cr_assert(has_attr_string(f, grp, "time"));
        for (int q = 0; q < 11; q++) {
            char ds[64];
            snprintf(ds, sizeof ds, "%s/%s", grp, vars[q]);
            cr_assert(H5Lexists(f, ds, H5P_DEFAULT) > 0, "missing %s", ds);
            cr_assert(has_attr_string(f, ds, "Units") && has_attr_string(f, ds, "Description"), "%s", ds);
        }
    }
    /* the X corners: 101 x 2 x 2 */
    hid_t d = H5Dopen2(f, "X", H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[3];
    cr_assert_eq(H5Sget_simple_extent_dims(sp, dims, NULL), 3);
    cr_assert(dims[0] == 2 && dims[1] == 2 && dims[2] == 101);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    snprintf(path, sizeof path, "%s/mhd.xmf", dir);
    FILE *x = fopen(path, "r");
    cr_assert_not_null(x);
    static char buf[1 << 16]; /* the whole file: 3 slices with scalars and vectors */
    size_t nread = fread(buf, 1, sizeof buf - 1, x);
    buf[nread] = 0;
    fclose(x);
    cr_assert(strstr(buf, "3DSMesh") && strstr(buf, "mhd.h5:/Step#2/D"), "%s", buf);
    snprintf(path, sizeof path, "%s/mhd_profile.csv", dir);
    x = fopen(path, "r");
    cr_assert_not_null(x);
    int lines = 0, c;
    while ((c = fgetc(x)) != EOF) lines += c == '\n';
    fclose(x);
    cr_assert_eq(lines, 3 + 3 * 100, "header + 3 slices x 100 cells (got %d lines)", lines);
    helper_rm_rf(dir);
}

Test(mhd_cli, bad_input_exit_2_nothing_written)
{
    char dir[512], args[2048], out[8192], path[1024];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(args, sizeof args, "mhd %s/runs/verify/brio_wu.ini run.dir=%s/run problem.name=nosuch", helper_root(),
             dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    /* a periodic problem on a non-periodic grid */
    snprintf(args, sizeof args, "mhd %s/runs/verify/brio_wu.ini run.dir=%s/run problem.name=orszag_tang", helper_root(),
             dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "periodic"), "%s", out);
    snprintf(path, sizeof path, "%s/run/mhd.h5", dir);
    FILE *f = fopen(path, "r");
    cr_assert_null(f, "nothing may be written on bad input");
    helper_rm_rf(dir);
}

Test(mhd_options, physical_units)
{
    /* n0 = 5 cm^-3, v0 = 400 km/s (the GEM baseline solar wind): the
     * pressure unit is the dynamic pressure 1.6726e-6 n V^2 = 1.338 nPa
     * (REFERENCES section 1); the field unit makes vA = B / sqrt(mu0 rho):
     * 5 nT in 5 protons/cc is 48.77 km/s. */
    struct cr_mhd_units u;
    cr_mhd_units_physical(&u, 6371.2e3, 5.0, 400.0);
    cr_assert_lt(fabs(u.pressure - 1.6726e-6 * 5 * 400 * 400) / u.pressure, 1e-4, "%g", u.pressure);
    double bcode = 5.0 / u.bfield, va = bcode / sqrt(1.0) * u.velocity;
    double va_si = 5e-9 / sqrt(1.25663706212e-6 * 5e6 * 1.67262192369e-27) / 1e3;
    cr_assert_lt(fabs(va - va_si) / va_si, 1e-12, "%g vs %g km/s", va, va_si);
    cr_assert_lt(fabs(va_si - 48.77) / 48.77, 1e-3, "%g", va_si);
    cr_assert_lt(fabs(u.length - 1.0), 1e-15);
    cr_assert_lt(fabs(u.time - 6371.2 / 400.0) / u.time, 1e-15);
    cr_assert_str_eq(u.bfield_unit, "nT");
}

/* A user boundary that reproduces the periodic one in i through the view. */
static int user_periodic_i(void *ctx, const struct cr_mhd_view *v, int side, double t)
{
    (void)ctx, (void)t;
    const struct cr_grid *g = v->g;
    const int ng = g->ng, ni = g->ni;
    for (int k = -ng; k <= g->nk + ng; k++)
        for (int j = -ng; j <= g->nj + ng; j++)
            for (int l = 0; l <= ng; l++) {
                /* ghost cells (and their j/k faces) and ghost i faces; side 1 also the seam face ni */
                int gi = side == 0 ? -l : ni + l, src = side == 0 ? ni - l : l;
                if (side == 0 && l == 0) continue;
                size_t d = CR_GIDX(g, gi, j, k), s = CR_GIDX(g, src, j, k);
                v->face[0][d] = v->face[0][s];
                int gc = side == 0 ? -l : ni - 1 + l, sc = side == 0 ? ni - l : l - 1;
                if (side == 1 && l == 0) continue;
                size_t dc = CR_GIDX(g, gc, j, k), scc = CR_GIDX(g, sc, j, k);
                if (j < g->nj + ng && k < g->nk + ng)
                    for (int q = 0; q < CR_MHD_NCONS; q++) v->u[q][dc] = v->u[q][scc];
                if (k < g->nk + ng) v->face[1][dc] = v->face[1][scc];
                if (j < g->nj + ng) v->face[2][dc] = v->face[2][scc];
            }
    return 0;
}

/* EMF hook: no electric field on the i = 0 surface (and its periodic image i = ni). */
static int zero_emf_ilo(void *ctx, const struct cr_mhd_view *v, int side, double t)
{
    (void)ctx, (void)t;
    if (side != 0) return 0;
    const struct cr_grid *g = v->g;
    for (int k = 0; k <= g->nk; k++)
        for (int j = 0; j <= g->nj; j++) {
            size_t e0 = CR_GIDX(g, 0, j, k), e1 = CR_GIDX(g, g->ni, j, k);
            v->emf[1][e0] = v->emf[2][e0] = 0.0;
            v->emf[1][e1] = v->emf[2][e1] = 0.0;
        }
    return 0;
}

Test(mhd_options, user_boundary_interface)
{
    /* (1) a user boundary that copies through the view reproduces the
     *     built-in periodic run bit for bit;
     * (2) an EMF hook that zeroes the tangential electric field on the
     *     i = 0 surface freezes the flux through each of its faces exactly
     *     (Stokes), and div B stays at round-off. */
    tmhd_threads(1);
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1.0 / 32};
    struct cr_grid *g = tmhd_grid(CR_GRID_WARPED, 0.2, 32, 32, 1, lo, hi, NULL);
    struct cr_mhd_problem_par p;
    cr_mhd_problem_defaults("orszag_tang", &p);
    struct cr_mhd *m[3];
    const struct cr_mhd_bc_user up = {.fill = user_periodic_i};
    const struct cr_mhd_bc_user up_hook = {.fill = user_periodic_i, .emf = zero_emf_ilo};
    for (int r = 0; r < 3; r++) {
        struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.4);
        if (r > 0) {
            in.bc[0].kind = in.bc[1].kind = CR_MHD_BC_USER;
            in.bc[0].user = in.bc[1].user = r == 1 ? &up : &up_hook;
        }
        m[r] = cr_mhd_new(&in);
        cr_assert_not_null(m[r]);
        cr_assert_eq(cr_mhd_problem_find("orszag_tang")->init(m[r], &p), 0);
    }
    struct cr_mhd_view v0;
    cr_mhd_get_view(m[2], &v0);
    double *phi0 = malloc((size_t)g->nj * sizeof(double));
    for (int j = 0; j < g->nj; j++) phi0[j] = v0.face[0][CR_GIDX(g, 0, j, 0)];
    for (int r = 0; r < 3; r++) cr_assert_eq(tmhd_run(m[r], 1e9, 30), 0);
    struct cr_mhd_view a, b, c;
    cr_mhd_get_view(m[0], &a);
    cr_mhd_get_view(m[1], &b);
    cr_mhd_get_view(m[2], &c);
    for (int j = 0; j < g->nj; j++)
        for (int i = 0; i < g->ni; i++) {
            size_t x = CR_GIDX(g, i, j, 0);
            for (int q = 0; q < CR_MHD_NCONS; q++)
                cr_assert_eq(memcmp(&a.u[q][x], &b.u[q][x], sizeof(double)), 0, "cell %d %d var %d", i, j, q);
            for (int d = 0; d < 2; d++) cr_assert_eq(memcmp(&a.face[d][x], &b.face[d][x], sizeof(double)), 0);
        }
    double change = 0.0, scale = 0.0;
    for (int j = 0; j < g->nj; j++) {
        size_t x = CR_GIDX(g, 0, j, 0);
        change = fmax(change, fabs(c.face[0][x] - phi0[j]));
        scale = fmax(scale, fabs(phi0[j]));
    }
    double d = cr_mhd_divb_max(m[2], NULL);
    printf("user boundaries: periodic copy bit-identical; frozen surface flux change %.3e (scale %.3e), div B %.3e\n",
           change, scale, d);
    cr_assert_eq(change, 0.0);
    cr_assert_gt(scale, 0.0);
    cr_assert_lt(d, 1e-12);
    free(phi0);
    for (int r = 0; r < 3; r++) cr_mhd_release(m[r]);
    cr_grid_release(g);
}

/* dipole of moment (0, 0, M) at (0, 0, -1.1), below the unit box: curl-free,
 * divergence-free, |B| from ~4 M at the box's bottom to ~0.15 M at its top */
static void b0_dipole(void *ctx, const double x[3], double b[3])
{
    const double M = *(const double *)ctx;
    const double r[3] = {x[0], x[1], x[2] + 1.1};
    const double r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2], r1 = sqrt(r2);
    const double f = M / (r2 * r2 * r1);
    for (int q = 0; q < 3; q++) b[q] = f * (3.0 * r[2] * r[q] - (q == 2 ? r2 : 0.0));
}

static void rest_kick(void *ctx, const double x[3], double w[5])
{
    /* rho = 1, p = 0.08 at rest, plus a 1e-6 blob of velocity across the dipole's field */
    (void)ctx;
    const double s2 = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
    w[0] = 1.0, w[1] = 1e-6 * exp(-s2 / 0.02), w[2] = 0.0, w[3] = 0.0, w[4] = 0.08;
}

static double boris_dipole_growth(double c, int n, long nstep)
{
    double M = 200.0; /* |B| up to ~800 at the bottom: vA/c up to 800/c */
    const double lo[3] = {-0.5, -0.5, -0.5}, hi[3] = {0.5, 0.5, 0.5};
    const int open[3] = {1, 1, 1};
    struct cr_grid *g = tmhd_grid(CR_GRID_WARPED, 0.1, n, n, n, lo, hi, open);
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.3);
    in.riemann = CR_MHD_HLLE;
    in.b0 = b0_dipole;
    in.b0_ctx = &M;
    in.boris_c = c;
    struct cr_mhd *m = cr_mhd_new(&in);
    cr_assert_not_null(m);
    cr_assert_eq(cr_mhd_init_prim(m, rest_kick, NULL), 0);
    double v0 = max_speed(m);
    int rc = tmhd_run(m, 1e9, nstep);
    double v1 = rc ? INFINITY : max_speed(m);
    cr_mhd_release(m);
    cr_grid_release(g);
    return v1 / v0;
}

Test(mhd_options, boris_stable_where_va_far_above_c)
{
    /* Tenuous plasma in a strongly curved background field (a dipole just
     * below the box) with the Boris speed c = 10, so vA/c reaches 80: the
     * semi-relativistic system's waves are bounded by c and a 1e-6 velocity
     * blob must stay a small perturbation (it spreads and leaves through
     * the outflow sides; physical amplification is at most a few). Before
     * the magnetic force was divided by 1 + vA^2/c^2 along B as well, the
     * truncation error of the discrete Maxwell stress along B accelerated
     * the plasma along B and the blob grew by 20-50 per step. Bound: 10. */
    tmhd_threads(1);
    int n = helper_sanitized() ? 10 : 16;
    double gr = boris_dipole_growth(10.0, n, 300);
    printf("Boris c = 10 in a dipole field (vA/c <= 80), %d^3 box, 300 steps: max |v| / initial = %.3g\n", n, gr);
    cr_assert_lt(gr, 10.0, "growth %.3g", gr);
}

/* A standing Alfven wave released from rest: B = (1, amp sin kx, 0), v = 0,
 * rho = p = 1. Over a quarter period the tension gives the field's energy
 * in B_y to the plasma's motion along y and no heat (the motion is
 * incompressible to first order). With the Boris correction the plasma
 * receives only 1 / (1 + alpha) of the work as kinetic energy; if the
 * evolved total energy took the full work, the rest (alpha / (1 + alpha),
 * 96 % here) would appear as heat. Returns the mean pressure change. */
static void standing_w(void *ctx, const double x[3], double w[5])
{
    (void)ctx, (void)x;
    w[0] = 1.0, w[1] = 0.0, w[2] = 0.0, w[3] = 0.0, w[4] = 1.0;
}

static double standing_heating(double c, double amp, double t_end)
{
    int n = 64;
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
    struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, NULL);
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.5);
    in.boris_c = c;
    struct cr_mhd *m = cr_mhd_new(&in);
    struct alfven p = {.amp = amp, .c = c};
    cr_assert_eq(cr_mhd_init_vecpot(m, alf_a, &p), 0);
    cr_assert_eq(cr_mhd_init_prim(m, standing_w, &p), 0);
    cr_assert_eq(tmhd_run(m, t_end, 0), 0);
    double *out[CR_MHD_NOUT];
    cr_assert_eq(tmhd_vars(m, out), 0);
    double pm = 0.0, ke = 0.0, by2 = 0.0;
    for (int i = 0; i < n; i++) {
        by2 += 0.5 * out[6][i] * out[6][i] / n;
        pm += out[4][i] / n;
        ke += 0.5 * out[0][i] * (out[1][i] * out[1][i] + out[2][i] * out[2][i] + out[3][i] * out[3][i]) / n;
    }
    printf("standing Alfven wave, c = %g, amp %g, t = %g: mean pressure %+.3e, kinetic energy %.3e, B_y energy %.3e "
           "(at the start %.3e)\n",
           c, amp, t_end, pm - 1.0, ke, by2, 0.25 * amp * amp);
    tmhd_free_vars(out);
    cr_mhd_release(m);
    cr_grid_release(g);
    return pm - 1.0;
}

Test(mhd_options, boris_correction_does_not_heat)
{
    /* c = 0.2, alpha = B^2 / (rho c^2) = 25: the wave moves at 1/sqrt(26) and a
     * quarter period is 1.27. The field energy in B_y is amp^2 / 4 = 0.0225
     * on average; given to the plasma as heat it would raise the mean
     * pressure by (gamma - 1) 0.0225 alpha / (1 + alpha) = 0.0144. Without
     * the Boris correction (c = 0, a quarter period 0.25) the same wave
     * heats only by the scheme's dissipation at 64 cells per wavelength;
     * the corrected run may heat by that and the second-order compression of
     * B_y^2 / 2, bounded here by a tenth of the spurious heat. */
    tmhd_threads(1);
    double h0 = standing_heating(0.0, 0.3, 0.25);
    double h1 = standing_heating(0.2, 0.3, 0.25 * sqrt(26.0));
    cr_assert(fabs(h1) < 1.44e-3, "Boris run heats by %g (no Boris: %g)", h1, h0);
    cr_assert(fabs(h0) < 1.44e-3, "no-Boris run heats by %g", h0);
}

/* A shear flow across a uniform field: B = (0, 0, 1), rho = 1, p = 1e-3,
 * v_y = V sin(2 pi x). E = -v x B = (-v_y, 0, 0) has no curl, so this is a
 * steady state of ideal MHD (and of the semi-relativistic system): B and the
 * flow stay, and whatever the scheme's dissipation takes from the flow's
 * kinetic energy is all the heat it may make (energy conservation). The
 * Riemann dissipation of the corrected momentum holds the term S_A/c^2, a
 * diffusion of v across B with the inertia rho vA^2/c^2 (mhd/README.md,
 * "Boris correction"); the energy of that inertia (the reduced-c electric
 * field) is not in the evolved energy. When the correction's energy term also
 * counted that dissipation, the heat was ~ (1 + vA^2/c^2) times the kinetic
 * energy lost, and next to the magnetosphere's inner boundary this heating
 * of field-aligned flows through the curved dipole ran away (the storm
 * sweep). */
struct shear {
    double v;
};

static void shear_bz(void *ctx, const double x[3], double b[3])
{
    (void)ctx, (void)x;
    b[0] = 0.0, b[1] = 0.0, b[2] = 1.0;
}

static void shear_w(void *ctx, const double x[3], double w[5])
{
    const struct shear *p = ctx;
    w[0] = 1.0, w[1] = 0.0, w[2] = p->v * sin(2.0 * 3.14159265358979323846 * x[0]), w[3] = 0.0, w[4] = 1e-3;
}

/* Heat and field energy made (mean p / (gamma - 1) + B^2 / 2 gained) over the kinetic energy lost, after
 * nstep steps. */
static double shear_heat_ratio(double c, long nstep)
{
    int n = 32;
    const double gam = 5.0 / 3.0, lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
    struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, NULL);
    struct cr_mhd_inp in = tmhd_inp(g, gam, 0.4);
    in.boris_c = c;
    in.riemann = CR_MHD_HLLE; /* the solver the correction uses (HLLD keeps this tangential discontinuity exactly) */
    struct cr_mhd *m = cr_mhd_new(&in);
    struct shear p = {.v = 0.05};
    cr_assert_eq(cr_mhd_init_bface(m, shear_bz, NULL), 0);
    cr_assert_eq(cr_mhd_init_prim(m, shear_w, &p), 0);
    double e[2][3]; /* [start, end][kinetic, thermal, magnetic] */
    for (int s = 0; s < 2; s++) {
        if (s) cr_assert_eq(tmhd_run(m, 1e30, nstep), 0);
        double *out[CR_MHD_NOUT];
        cr_assert_eq(tmhd_vars(m, out), 0);
        e[s][0] = e[s][1] = e[s][2] = 0.0;
        for (int i = 0; i < n; i++) {
            e[s][0] += 0.5 * out[CR_MHD_OUT_D][i] *
                       (out[CR_MHD_OUT_VX][i] * out[CR_MHD_OUT_VX][i] + out[CR_MHD_OUT_VY][i] * out[CR_MHD_OUT_VY][i] +
                        out[CR_MHD_OUT_VZ][i] * out[CR_MHD_OUT_VZ][i]) / n;
            e[s][1] += out[CR_MHD_OUT_P][i] / (gam - 1.0) / n;
            e[s][2] += 0.5 *
                       (out[CR_MHD_OUT_BX][i] * out[CR_MHD_OUT_BX][i] + out[CR_MHD_OUT_BY][i] * out[CR_MHD_OUT_BY][i] +
                        out[CR_MHD_OUT_BZ][i] * out[CR_MHD_OUT_BZ][i]) / n;
        }
        tmhd_free_vars(out);
    }
    /* heat and field energy made (the heated gas's pressure gradient compresses B a little) */
    double lost = e[0][0] - e[1][0], heat = e[1][1] - e[0][1], mag = e[1][2] - e[0][2];
    printf("shear flow across B (c = %g, vA/c = %g), %ld steps: kinetic energy lost %.4e of %.4e, heat made %.4e, "
           "field energy %+.1e (ratio %.4f)\n",
           c, c > 0 ? 1.0 / c : 0.0, nstep, lost, e[0][0], heat, mag, (heat + mag) / lost);
    cr_assert_gt(lost, 0.0, "the dissipation took no kinetic energy (%g)", lost);
    cr_mhd_release(m);
    cr_grid_release(g);
    return (heat + mag) / lost;
}

Test(mhd_options, boris_dissipation_across_b_heats_no_more_than_it_takes)
{
    /* Bound: energy made <= the kinetic energy lost (energy conservation; the
     * uncorrected scheme conserves the total energy to round-off, so its ratio
     * is 1 up to round-off, bound 1e-9). With the correction the energy term
     * is the linearised kinetic-energy change v . (dm_B - dm), not the exact
     * one (they differ by terms of second order in the stage's change of v,
     * the likely remainder): measured 1.2e-4 of the dissipated energy, at
     * vA/c = 10 and 30 alike; bound 1e-3. With vA/c = 10 the correction that counted the S_A/c^2
     * dissipation made 99.95 times the kinetic energy lost (1 + vA^2/c^2). */
    tmhd_threads(1);
    double r0 = shear_heat_ratio(0.0, 400);
    cr_assert(fabs(r0 - 1.0) < 1e-9, "without the correction (heat + field energy) / lost = %.12g, expected 1", r0);
    const double cs[2] = {0.1, 1.0 / 30.0};
    for (int q = 0; q < 2; q++) {
        double r = shear_heat_ratio(cs[q], 400);
        cr_assert(r > 0.0 && r <= 1.0 + 1e-3, "vA/c = %g: energy made / kinetic energy lost = %g (bound 1.001)", 1.0 / cs[q], r);
    }
}

/* The Boris correction and a moving frame. In a 1-D problem along a uniform
 * B = (1, 0, 0) a uniform drift v_y = U across B is an exact solution of
 * ideal MHD whatever the gas does along B (no force across B: B_y, B_z stay
 * 0 because v_y is uniform, and the y momentum rho v_y is carried by the
 * mass flux alone), and so it is of the semi-relativistic system, whose
 * correction acts only on the acceleration across B (Gombosi et al. 2002,
 * J. Comput. Phys. 177, 176: the momentum rho v + S_A/c^2 with v the
 * velocity). Here the gas expands along B from a dense slab (two
 * rarefactions, density falling from 1 to ~0.4) with vA/c = 20-57. */
struct drift {
    double u;
};

static void drift_bx(void *ctx, const double x[3], double b[3])
{
    (void)ctx, (void)x;
    b[0] = 1.0, b[1] = 0.0, b[2] = 0.0;
}

static void drift_w(void *ctx, const double x[3], double w[5])
{
    const struct drift *p = ctx;
    int in = x[0] > 0.25 && x[0] < 0.75;
    w[0] = in ? 1.0 : 0.125, w[1] = 0.0, w[2] = p->u, w[3] = 0.0, w[4] = in ? 1.0 : 0.1;
}

Test(mhd_options, boris_keeps_a_uniform_drift_across_b_through_a_rarefaction)
{
    /* Exact solution: v_y = U everywhere at every time. A correction applied
     * to the change of the momentum rho v_y (instead of to the acceleration)
     * keeps rho v_y nearly fixed where vA >> c while the density falls, so
     * v_y grows as 1/rho (by a factor ~2.5 here: the runaway flows of the
     * storm-driven magnetosphere). Bound: 1e-10 U, round-off of a few hundred
     * steps (the drift is carried by the mass flux exactly in HLL). */
    tmhd_threads(1);
    int n = 128;
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
    struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, NULL);
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.4);
    in.boris_c = 0.05;
    struct cr_mhd *m = cr_mhd_new(&in);
    struct drift p = {.u = 0.2};
    cr_assert_eq(cr_mhd_init_bface(m, drift_bx, NULL), 0);
    cr_assert_eq(cr_mhd_init_prim(m, drift_w, &p), 0);
    cr_assert_eq(tmhd_run(m, 0.1, 0), 0);
    double *out[CR_MHD_NOUT];
    cr_assert_eq(tmhd_vars(m, out), 0);
    double dv = 0.0, bt = 0.0, rmin = 1e300;
    for (int i = 0; i < n; i++) {
        dv = fmax(dv, fabs(out[CR_MHD_OUT_VY][i] - p.u));
        bt = fmax(bt, fmax(fabs(out[CR_MHD_OUT_BY][i]), fabs(out[CR_MHD_OUT_BZ][i])));
        if (i >= n / 4 && i < 3 * n / 4) rmin = fmin(rmin, out[CR_MHD_OUT_D][i]); /* the slab */
    }
    printf("uniform drift U = %g across B through a rarefaction (Boris c = %g, vA/c >= %.0f), %ld steps: "
           "max |v_y - U| / U = %.3e, max |B_t| = %.3e, min rho in the slab %.3f\n",
           p.u, in.boris_c, 1.0 / in.boris_c, (long)cr_mhd_nstep(m), dv / p.u, bt, rmin);
    cr_assert_lt(rmin, 0.6, "the slab has expanded (min rho %g)", rmin);
    cr_assert_lt(dv, 1e-10 * p.u, "v_y departs from the uniform drift by %g", dv);
    cr_assert_lt(bt, 1e-12, "a tangential field appeared: %g", bt);
    tmhd_free_vars(out);
    cr_mhd_release(m);
    cr_grid_release(g);
}

/* A flow across a strong field faster than the Boris speed but slower than
 * the Alfven speed: B = (0, 1, 0), rho = 1, p = 0.01, v_x = U, c = 0.1
 * (vA/c = 10). The corrected system's fast waves then travel at
 * s = [U (1 + e) -/+ sqrt(U^2 (1 - e)^2 + 4 c_f^2)] / 2, e = 1/(1 + vA^2/c^2),
 * c_f the corrected fast speed: one of them AGAINST the flow although
 * U > c_f. A density ripple of 1e-6 must stay small. */
static void xflow_by(void *ctx, const double x[3], double b[3])
{
    (void)ctx, (void)x;
    b[0] = 0.0, b[1] = 1.0, b[2] = 0.0;
}

static void xflow_w(void *ctx, const double x[3], double w[5])
{
    const double *u = ctx;
    double k = 2.0 * 3.14159265358979323846;
    w[0] = 1.0 + 1e-6 * (sin(k * x[0]) + 0.5 * sin(7 * k * x[0] + 1.0) + 0.25 * sin(29 * k * x[0] + 2.0));
    w[1] = *u, w[2] = 0.0, w[3] = 0.0, w[4] = 0.01;
}

static double xflow_growth(double u, double c, long nstep)
{
    int n = 64;
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
    struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, NULL);
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.4);
    in.boris_c = c;
    struct cr_mhd *m = cr_mhd_new(&in);
    cr_assert_eq(cr_mhd_init_bface(m, xflow_by, NULL), 0);
    cr_assert_eq(cr_mhd_init_prim(m, xflow_w, &u), 0);
    int rc = tmhd_run(m, 1e30, nstep);
    double *out[CR_MHD_NOUT];
    double dr = INFINITY;
    if (!rc && !tmhd_vars(m, out)) {
        dr = 0.0;
        for (int i = 0; i < n; i++) dr = fmax(dr, fabs(out[CR_MHD_OUT_D][i] - 1.0));
        if (!isfinite(dr)) dr = INFINITY;
    }
    tmhd_free_vars(out);
    cr_mhd_release(m);
    cr_grid_release(g);
    return dr / 1.75e-6;
}

Test(mhd_options, boris_flow_faster_than_c_across_b_is_stable)
{
    /* Physical evolution of the ripple: advected and split into fast waves,
     * amplitude at most its initial one (linear, no instability in ideal
     * MHD); the scheme only damps it. Bound: 2 (a factor for the
     * superposition of the split waves). Checked at U = 2 c and 5 c. */
    tmhd_threads(1);
    for (int q = 0; q < 2; q++) {
        double u = q ? 0.5 : 0.2;
        double gr = xflow_growth(u, 0.1, 2000);
        printf("flow U = %g across B (Boris c = 0.1, vA = 1), 2000 steps: max |drho| / initial = %.3g\n", u, gr);
        cr_assert_lt(gr, 2.0, "U = %g: ripple grew by %g", u, gr);
    }
}

/* A 1-D periodic problem of 64 cells on [0, 1] run to t_end with the
 * dual-energy switch at eta (0 = off): B0 (may be NULL), the evolved field's
 * face function and the primitives; err(x, rho, p) per cell, the largest
 * |err| returned; pressure-floor and entropy uses in *np, *ne. */
typedef double (*dual_err_fn)(double x, double rho, double p);

static double dual_run(double eta, cr_mhd_field_fn b0, void (*b1)(void *, const double *, double *),
                       void (*w)(void *, const double *, double *), double t_end, dual_err_fn err, long *np,
                       long *ne)
{
    int n = 64;
    const double lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
    struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, NULL);
    struct cr_mhd_inp in = tmhd_inp(g, 5.0 / 3.0, 0.4);
    in.p_floor = 1e-14;
    in.dual_energy = eta;
    in.b0 = b0;
    struct cr_mhd *m = cr_mhd_new(&in);
    cr_assert_not_null(m);
    cr_assert_eq(cr_mhd_init_bface(m, b1, NULL), 0);
    cr_assert_eq(cr_mhd_init_prim(m, w, NULL), 0);
    *np = *ne = 0;
    while (cr_mhd_time(m) < t_end * (1.0 - 1e-14)) {
        struct cr_mhd_step_info si;
        cr_assert_eq(cr_mhd_step(m, t_end - cr_mhd_time(m), &si), 0);
        *np += si.n_p_floor;
        *ne += si.n_entropy;
    }
    double *out[CR_MHD_NOUT];
    cr_assert_eq(tmhd_vars(m, out), 0);
    double e = 0.0;
    for (int i = 0; i < n; i++)
        e = fmax(e, fabs(err(g->cx[CR_GIDX(g, i, 0, 0)], out[CR_MHD_OUT_D][i], out[CR_MHD_OUT_P][i])));
    tmhd_free_vars(out);
    cr_mhd_release(m);
    cr_grid_release(g);
    return e;
}

/* The problem run without (index 0) and with the switch at eta = 1e-2
 * (index 1): the largest |err|, pressure-floor and entropy uses of each,
 * printed under the label. */
struct dual_pair {
    double e[2];
    long np[2], ne[2];
};

static struct dual_pair dual_compare(const char *label, cr_mhd_field_fn b0,
                                     void (*b1)(void *, const double *, double *),
                                     void (*w)(void *, const double *, double *), double t_end, dual_err_fn err)
{
    struct dual_pair r;
    for (int q = 0; q < 2; q++) r.e[q] = dual_run(q ? 1e-2 : 0.0, b0, b1, w, t_end, err, &r.np[q], &r.ne[q]);
    printf("%s, 64 cells: max error %.3g with the energy equation (%ld pressure floors), %.3g with the dual-energy "
           "switch (eta 1e-2: %ld entropy uses, %ld floors)\n",
           label, r.e[0], r.np[0], r.e[1], r.ne[1], r.np[1]);
    return r;
}

/* Dual energy (mhd/README.md, "Dual energy"): a density wave carried at
 * Mach ~800 through a uniform field along the flow, rho = 1 + 0.5 sin(2 pi x),
 * v_x = 1, p = 1e-6, B = (1, 0, 0), periodic, one period (t = 1). The exact
 * solution is the initial state moved by one box length: p stays 1e-6
 * everywhere. The thermal energy is ~3e-6 of the evolved energy (kinetic
 * ~0.5 rho, field 0.5), so the energy equation's pressure is a difference of
 * numbers 3e5 times larger than itself: the truncation error of the kinetic
 * energy of a moving density gradient swamps it. */
static void cold_bx(void *ctx, const double x[3], double b[3])
{
    (void)ctx, (void)x;
    b[0] = 1.0, b[1] = 0.0, b[2] = 0.0;
}

static void cold_w(void *ctx, const double x[3], double w[5])
{
    (void)ctx;
    w[0] = 1.0 + 0.5 * sin(2.0 * 3.14159265358979323846 * x[0]);
    w[1] = 1.0, w[2] = 0.0, w[3] = 0.0, w[4] = 1e-6;
}

static double cold_err(double x, double rho, double p)
{
    (void)x, (void)rho;
    return p / 1e-6 - 1.0;
}

Test(mhd_options, dual_energy_keeps_the_pressure_of_a_cold_fast_flow)
{
    tmhd_threads(1);
    const struct dual_pair r =
        dual_compare("density wave at Mach ~800, one period, |p/p0 - 1|", NULL, cold_bx, cold_w, 1.0, cold_err);
    /* HLLD carries this contact exactly with the energy equation; the switch
     * acts everywhere (thermal fraction 3e-6) and its S / rho flux uses the
     * upwind face state's p / rho^gamma, which PLM reconstructs from p and rho
     * separately: a second-order error where the limiter clips the density
     * slope (measured 3.5e-3). Bound 1e-2: the switch must not cost a
     * contact more than a percent (a first-order S / rho flux gave 0.26) */
    cr_assert_eq(r.ne[0], 0, "the switch acted while off");
    cr_assert_gt(r.ne[1], 0, "the switch never acted");
    cr_assert_eq(r.np[1], 0, "pressure floors used with the switch: %ld", r.np[1]);
    cr_assert_lt(r.e[1], 1e-2, "pressure error %g", r.e[1]);
}

/* The split field's cancellation: B = B0 + B1 with B0 = (0, 1000, 0)
 * uniform and B1 = (0, b(x) - 1000, 0), so the total field is b = 1 + 0.5
 * sin(2 pi x) while the evolved field's energy B1^2/2 is ~5e5; p = 2 - b^2/2
 * (total pressure balance), rho = 1, v_x = 1, periodic, one period. The
 * exact solution is the initial state moved by one box length. This is the
 * eroded magnetopause of strong southward driving (B1 ~ -B0) in 1-D. */
static void cancel_b0(void *ctx, const double x[3], double b[3])
{
    (void)ctx, (void)x;
    b[0] = 0.0, b[1] = 1000.0, b[2] = 0.0;
}

static double cancel_b(double x) { return 1.0 + 0.5 * sin(2.0 * 3.14159265358979323846 * x); }

static void cancel_b1(void *ctx, const double x[3], double b[3])
{
    (void)ctx;
    b[0] = 0.0, b[1] = cancel_b(x[0]) - 1000.0, b[2] = 0.0;
}

static void cancel_w(void *ctx, const double x[3], double w[5])
{
    (void)ctx;
    const double b = cancel_b(x[0]);
    w[0] = 1.0, w[1] = 1.0, w[2] = 0.0, w[3] = 0.0, w[4] = 2.0 - 0.5 * b * b;
}

static double cancel_err(double x, double rho, double p)
{
    (void)rho;
    const double b = cancel_b(x);
    return p / (2.0 - 0.5 * b * b) - 1.0;
}

Test(mhd_options, dual_energy_keeps_the_pressure_where_b1_cancels_b0)
{
    tmhd_threads(1);
    const struct dual_pair r =
        dual_compare("B1 ~ -B0 (|B0| = 1000, total field 0.5-1.5), one period, |p/p_exact - 1|", cancel_b0,
                     cancel_b1, cancel_w, 1.0, cancel_err);
    /* In 1-D the split energy handles the cancellation (both errors are the
     * scheme's diffusion of b, 2.3 % at 64 cells); the switch, which acts
     * everywhere here (thermal fraction 3e-6), must do as well: within 10 %
     * of the energy equation's error. The stage-end field it uses must take
     * the periodic image face from face 0 (without that: p off by 168x) */
    cr_assert_gt(r.ne[1], 0, "the switch never acted");
    cr_assert_eq(r.np[1], 0, "pressure floors used with the switch: %ld", r.np[1]);
    cr_assert_lt(r.e[1], 1.1 * r.e[0], "pressure error %g against the energy equation's %g", r.e[1], r.e[0]);
}

/* A cold compressive flow: rho = 1, p = 1e-8, v_x = 1 + 0.1 sin(2 pi x),
 * B = (1, 0, 0), periodic, to t = 0.5 (the characteristics of the
 * pressureless flow cross at t = 1 / (0.2 pi) = 1.59, so the flow is smooth
 * and adiabatic: p / rho^gamma stays 1e-8 everywhere). */
static void comp_w(void *ctx, const double x[3], double w[5])
{
    (void)ctx;
    w[0] = 1.0, w[1] = 1.0 + 0.1 * sin(2.0 * 3.14159265358979323846 * x[0]), w[2] = 0.0, w[3] = 0.0, w[4] = 1e-8;
}

static double comp_err(double x, double rho, double p)
{
    (void)x;
    return p / (1e-8 * pow(rho, 5.0 / 3.0)) - 1.0;
}

Test(mhd_options, dual_energy_keeps_a_cold_compression_adiabatic)
{
    tmhd_threads(1);
    const struct dual_pair r =
        dual_compare("cold compressive flow (p/rho v^2 = 1e-8), t = 0.5, |p/(p0 rho^gamma) - 1|", NULL, cold_bx,
                     comp_w, 0.5, comp_err);
    /* The energy equation loses the pressure to the truncation error of the
     * kinetic energy (measured: off by 2.9e3, floors used): the problem the
     * switch is for. With it the entropy stays uniform: the face value of
     * p / rho^gamma is held between the two cells' values, equal here, so
     * only round-off and the second-order mismatch of the reconstructed
     * density remain (measured 8.4e-7); bound 1e-4, far below the energy
     * equation's error */
    cr_assert_gt(r.e[0], 1.0, "the energy equation kept this pressure (%g): the test no longer tests the switch",
                 r.e[0]);
    cr_assert_gt(r.ne[1], 0, "the switch never acted");
    cr_assert_eq(r.np[1], 0, "pressure floors used with the switch: %ld", r.np[1]);
    cr_assert_lt(r.e[1], 1e-4, "p / (p0 rho^gamma) off by %g", r.e[1]);
}

/* Where the thermal energy is not small the switch does nothing: the Brio &
 * Wu shock tube (thermal fraction >= 0.1 everywhere) with eta = 1e-2 is
 * bit for bit the run without it. */
Test(mhd_options, dual_energy_leaves_ordinary_flows_alone)
{
    tmhd_threads(1);
    double *res[2][CR_MHD_NOUT];
    long ne = 0;
    for (int r = 0; r < 2; r++) {
        int n = 128;
        const double lo[3] = {0, 0, 0}, hi[3] = {1, 1.0 / n, 1.0 / n};
        const int open[3] = {1, 0, 0};
        struct cr_grid *g = tmhd_grid(CR_GRID_CARTESIAN, 0, n, 1, 1, lo, hi, open);
        struct cr_mhd_inp in = tmhd_inp(g, 2.0, 0.4);
        in.dual_energy = r ? 1e-2 : 0.0;
        struct cr_mhd *m = cr_mhd_new(&in);
        struct cr_mhd_problem_par p;
        cr_mhd_problem_defaults("brio_wu", &p);
        cr_assert_eq(cr_mhd_problem_find("brio_wu")->init(m, &p), 0);
        while (cr_mhd_time(m) < 0.1 * (1.0 - 1e-14)) {
            struct cr_mhd_step_info si;
            cr_assert_eq(cr_mhd_step(m, 0.1 - cr_mhd_time(m), &si), 0);
            if (r) ne += si.n_entropy;
        }
        cr_assert_eq(tmhd_vars(m, res[r]), 0);
        cr_mhd_release(m);
        cr_grid_release(g);
    }
    int same = 1;
    for (int q = 0; q < CR_MHD_NOUT; q++)
        for (int i = 0; i < 128; i++) same &= res[0][q][i] == res[1][q][i];
    printf("Brio & Wu with the dual-energy switch (eta 1e-2): %ld entropy uses, %s\n", ne,
           same ? "bit for bit the run without it" : "DIFFERENT");
    cr_assert_eq(ne, 0);
    cr_assert(same);
    tmhd_free_vars(res[0]);
    tmhd_free_vars(res[1]);
}
