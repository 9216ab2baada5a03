/* test_gradient_cli.c — `cusprate tetrahedron` and `cusprate gradient` end to
 * end on the analytic crescent equilibrium (exact div P): the files' layout,
 * units and attributes, the separation scan's first-order error, the pair,
 * and clear errors (exit status 2, the problem named, nothing written) for
 * missing files, a wrong layout and a planar tetrahedron. */
#include <criterion/criterion.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_units.h"
#include "../multipoint/cr_vdf_io.h"
#include "cf_check.h"
#include "helpers.h"
#include "test_flux_mhdfile.h"

static struct cr_log quiet = {.level = CR_LEVEL_ERROR};

static double *get(int nc, const char *name, size_t n)
{
    int v;
    cr_assert_eq(nc_inq_varid(nc, name, &v), NC_NOERR, "variable %s missing", name);
    double *x = malloc(n * sizeof *x);
    cr_assert_eq(nc_get_var_double(nc, v, x), NC_NOERR, "%s", name);
    return x;
}

static void units_are(int nc, const char *name, const char *want)
{
    int v;
    char u[128] = "";
    cr_assert_eq(nc_inq_varid(nc, name, &v), NC_NOERR, "%s", name);
    cr_assert_eq(nc_get_att_text(nc, v, "units", u), NC_NOERR, "%s has no units", name);
    cr_assert(strncmp(u, want, strlen(want)) == 0, "%s units '%s', expected '%s'", name, u, want);
}

/* Write <dir>/<stem>.ini with `text`, run `cusprate tetrahedron` and
 * `cusprate gradient` on it (both must succeed) and open the gradient file;
 * out receives the tetrahedron command's output. */
static int chain(const char *dir, const char *stem, const char *text, char *out, size_t nout)
{
    char ini[700], args[1600], path[700];
    snprintf(ini, sizeof ini, "%s/%s.ini", dir, stem);
    helper_write_file(ini, text);
    snprintf(args, sizeof args, "tetrahedron %s", ini);
    cr_assert_eq(helper_run_cli(args, out, nout), 0, "%s", out);
    char out2[16384];
    snprintf(args, sizeof args, "gradient %s", ini);
    cr_assert_eq(helper_run_cli(args, out2, sizeof out2), 0, "%s", out2);
    snprintf(path, sizeof path, "%s/%s.vdf.nc", dir, stem);
    CF_ASSERT_FILE(path);
    snprintf(path, sizeof path, "%s/%s.gradient.nc", dir, stem);
    CF_ASSERT_FILE(path);
    int nc;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR, "%s", path);
    return nc;
}

/* The crescent through both commands: div P against the exact kT dn/dx at
 * separations 20, 40, 80 km (rho = 160 km): the error of the linear estimate
 * is first order (ratio 2 per doubling within 25 %; the FPI-like bins'
 * quadrature error, ~0.4 %, is below it) and under 5 % at 20 km. */
Test(gradient_cli, crescent_through_tetrahedron_and_gradient)
{
    char dir[512], out[16384], text[1024];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(text, sizeof text,
             "[run]\ndir = %s\n\n[tetrahedron]\nsource = crescent\nshape = mms\nseparation = 20, 40, 80\n"
             "e_min = 10\ne_max = 30000\n\n[gradient]\nnv = 32\nfigures = yes\n",
             dir);
    int nc = chain(dir, "cres", text, out, sizeof out);
    /* the figures of tools/plot_gradient.py (make deps installs matplotlib) */
    static const char *const figs[] = {"gradient_0.png", "gradient_2.png", "terms.png", "separation.png"};
    for (size_t k = 0; k < sizeof figs / sizeof figs[0]; k++) {
        char png[800];
        snprintf(png, sizeof png, "%s/cres_figures/%s", dir, figs[k]);
        cr_assert(cr_file_exists(png), "%s not drawn", png);
    }
    char conv[64] = "";
    nc_get_att_text(nc, NC_GLOBAL, "Conventions", conv);
    cr_assert_str_eq(conv, "CF-1.8");
    char layout[64] = "";
    nc_get_att_text(nc, NC_GLOBAL, "cusprate_layout", layout);
    cr_assert_str_eq(layout, "gradient-1");
    size_t cfg_len = 0;
    cr_assert_eq(nc_inq_attlen(nc, NC_GLOBAL, "config", &cfg_len), NC_NOERR);
    units_are(nc, "grad_f", "s3 cm-6 km-1");
    units_are(nc, "div_P", "nPa km-1");
    units_are(nc, "E_par", "mV m-1");
    units_are(nc, "v_par", "km/s");
    units_are(nc, "time", "seconds since");
    double *dp = get(nc, "div_P", 9), *ref = get(nc, "reference_grad_P", 9), *size = get(nc, "tetra_size", 3);
    double err[3];
    for (int q = 0; q < 3; q++) {
        double e = 0, m = 0;
        for (int d = 0; d < 3; d++) {
            e += (dp[3 * q + d] - ref[3 * q + d]) * (dp[3 * q + d] - ref[3 * q + d]);
            m += ref[3 * q + d] * ref[3 * q + d];
        }
        err[q] = sqrt(e / m);
        cr_assert(fabs(size[q] - 20.0 * (1 << q)) < 1e-9, "tetra_size %g", size[q]);
    }
    cr_assert(err[0] < 0.05, "div P error %g at 20 km", err[0]);
    for (int q = 1; q < 3; q++)
        cr_assert(fabs(err[q] / err[q - 1] / 2 - 1) < 0.25, "errors %g %g %g: not first order", err[0], err[1], err[2]);
    free(dp);
    free(ref);
    free(size);
    nc_close(nc);
    helper_rm_rf(dir);
}

/* The TRACERS-like pair: the along-track derivative file; int ds f equals
 * ds n to the regridding error of the FPI-like bins (measured 0.5 %: 3 %). */
Test(gradient_cli, pair_gives_the_along_track_derivative)
{
    char dir[512], out[16384], text[1024];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(text, sizeof text,
             "[run]\ndir = %s\n\n[tetrahedron]\nsource = crescent\nshape = pair\ndirection = 1, 0, 0\n"
             "separation = 20\ne_min = 10\ne_max = 30000\n\n[gradient]\nfigures = no\n",
             dir);
    int nc = chain(dir, "pair", text, out, sizeof out), v;
    cr_assert_eq(nc_inq_varid(nc, "ds_f", &v), NC_NOERR);
    cr_assert_neq(nc_inq_varid(nc, "grad_f", &v), NC_NOERR, "a pair has no gradient");
    double *dsn = get(nc, "ds_n", 1), *ids = get(nc, "int_ds_f", 1);
    cr_assert(fabs(*ids / *dsn - 1) < 0.03, "int ds f %g, ds n %g", *ids, *dsn);
    cr_assert(*dsn > 0, "the crescent's density rises along +x: ds n = %g", *dsn);
    free(dsn);
    free(ids);
    nc_close(nc);
    helper_rm_rf(dir);
}

/* Errors: exit status 2, the reason named, no output file. */
Test(gradient_cli, bad_inputs_exit_2_and_write_nothing)
{
    char dir[512], ini[700], out[16384], args[1600], text[2048], gpath[800];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(ini, sizeof ini, "%s/g.ini", dir);
    snprintf(gpath, sizeof gpath, "%s/v.gradient.nc", dir);
    /* 1. a missing input */
    snprintf(text, sizeof text, "[run]\ndir = %s\n[gradient]\ninput = %s/none.vdf.nc\nfigures = no\n", dir, dir);
    helper_write_file(ini, text);
    snprintf(args, sizeof args, "gradient %s", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "gradient.input") && strstr(out, "none.vdf.nc"), "%s", out);
    /* 2. a planar tetrahedron: refused with the eigenvalues */
    struct cr_vdf_set *s = cr_vdf_set_new(CR_VDF_SPHERICAL, 1, 4, 4, 4, 8, CR_MP, 1);
    cr_assert_not_null(s);
    const double r[4][3] = {{0, 0, 0}, {10, 0, 0}, {0, 10, 0}, {10, 10, 0}};
    for (int a = 0; a < 4; a++) {
        struct cr_vdf *v = s->v[a];
        for (size_t i = 0; i < 4; i++) v->c[0][i] = 100.0 * (i + 1);
        for (size_t j = 0; j < 4; j++) v->c[1][j] = 22.5 + 45.0 * j;
        for (size_t k = 0; k < 8; k++) v->c[2][k] = 22.5 + 45.0 * k;
        cr_vdf_default_edges(v);
        for (size_t b = 0; b < 128; b++) v->f[b] = 1e-20;
        for (int d = 0; d < 3; d++) {
            s->pos[a * 3 + d] = r[a][d];
            s->B[a * 3 + d] = d == 2 ? 10 : 0;
        }
    }
    char vpath[700];
    snprintf(vpath, sizeof vpath, "%s/v.vdf.nc", dir);
    cr_assert_eq(cr_vdf_set_write(s, vpath, "test", NULL, &quiet), CR_OK);
    snprintf(text, sizeof text, "[run]\ndir = %s\n[gradient]\ninput = %s\nfigures = no\n", dir, vpath);
    helper_write_file(ini, text);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "eigenvalues") && strstr(out, "record 0"), "%s", out);
    cr_assert(!cr_file_exists(gpath), "a refused input wrote %s", gpath);
    /* the same file made valid (a regular tetrahedron) is accepted: the refusal was the geometry */
    s->pos[3 * 3 + 2] = 10;
    cr_assert_eq(cr_vdf_set_write(s, vpath, "test", NULL, &quiet), CR_OK);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_assert(cr_file_exists(gpath));
    remove(gpath);
    cr_vdf_set_release(s);
    /* 3. not the layout: a netCDF file without cusprate_layout */
    int nc;
    cr_assert_eq(nc_create(vpath, NC_CLOBBER | NC_NETCDF4, &nc), NC_NOERR);
    nc_close(nc);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "cusprate_layout"), "%s", out);
    cr_assert(!cr_file_exists(gpath));
    /* 4. a key out of range names the key */
    snprintf(args, sizeof args, "gradient %s gradient.nv=2", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 2, "%s", out);
    cr_assert(strstr(out, "nv"), "%s", out);
    helper_rm_rf(dir);
}

/* ---- the virtual tetrahedron in an MHD sheath -------------------------------- */
/* A box of magnetosheath, 8-12 R_E in x: B = -20 nT z, V = (-100, 0, 0) km/s,
 * D and P linear in x (P from 0.8 to 1.2 nPa: beta 5-7.5, scale length
 * P / |grad P| = 10 R_E). Linear fields are reproduced exactly by the
 * trilinear interpolation, so the MHD's grad P is exactly 0.1 nPa / R_E. */
static void sheath_fill(const double c[3], double t, double B[3], double V[3], double *D, void *ctx)
{
    (void)t;
    (void)ctx;
    B[0] = B[1] = 0;
    B[2] = -20;
    V[0] = -100;
    V[1] = V[2] = 0;
    *D = 20.0 * (1 + 0.05 * (c[0] - 10));
}

static void write_sheath(const char *path)
{
    const int ni = 16, nj = 16, nk = 16;
    size_t n = (size_t)(ni + 1) * (nj + 1) * (nk + 1);
    double *X = malloc(n * sizeof(double)), *Y = malloc(n * sizeof(double)), *Z = malloc(n * sizeof(double));
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++)
            for (int i = 0; i <= ni; i++) {
                size_t m = ((size_t)k * (nj + 1) + j) * (ni + 1) + i;
                X[m] = 8 + 4.0 * i / ni;
                Y[m] = -2 + 4.0 * j / nj;
                Z[m] = -2 + 4.0 * k / nk;
            }
    const double times[2] = {0, 100};
    cr_assert_eq(mhdfile_write(path, ni, nj, nk, X, Y, Z, NULL, NULL, 2, times, sheath_fill, NULL, SYNTH_OK), CR_OK);
    /* the pressure, which the writer does not hold */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    double *P = malloc((size_t)ni * nj * nk * sizeof(double));
    for (int k = 0; k < nk; k++)
        for (int j = 0; j < nj; j++)
            for (int i = 0; i < ni; i++) P[((size_t)k * nj + j) * ni + i] = 1.0 + 0.1 * (8 + 4.0 * (i + 0.5) / ni - 10);
    for (int s = 0; s < 2; s++) {
        char grp[32];
        snprintf(grp, sizeof grp, "Step#%d", s);
        hid_t g = H5Gopen2(f, grp, H5P_DEFAULT);
        hsize_t dd[3] = {(hsize_t)nk, (hsize_t)nj, (hsize_t)ni};
        cr_assert_eq(cr_h5_write_doubles(g, "P", 3, dd, P, "nPa", "cell-centred", NULL), CR_OK);
        H5Gclose(g);
    }
    H5Fclose(f);
    free(P);
    free(X);
    free(Y);
    free(Z);
}

/* Every spacecraft sits in the sheath source, so each FPI-like bin holds the
 * local drifting Maxwellian (n = D, kT = P / D, flow V) and the four-point
 * div P_i must equal the MHD's grad P = (0.1 nPa/R_E, 0, 0): the moments'
 * quadrature over 32 x 16 x 32 bins (0.6 % on P, nearly the same at
 * the four spacecraft) and, P being linear, no truncation error: 2 %. The
 * MHD's own four-point estimate is exact (1e-9). Measured: 0.67 %. */
Test(gradient_cli, virtual_tetrahedron_div_P_matches_the_mhd_grad_P_in_the_sheath)
{
    char dir[512], out[16384], text[2048], mhd[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(mhd, sizeof mhd, "%s/box.h5", dir);
    write_sheath(mhd);
    snprintf(text, sizeof text,
             "[run]\ndir = %s\n\n[particles]\nfield = mhd\nmhd_file = %s\nsw_density = 5\nsw_speed = 400\n\n"
             "[tetrahedron]\ncentre = 10, 0.3, -0.2\nshape = mms\nseparation = 1000\nt_start = 100\n\n"
             "[gradient]\nfigures = no\n",
             dir, mhd);
    int nc = chain(dir, "sheath", text, out, sizeof out);
    cr_assert(strstr(out, "65536 of 65536 bins"), "every bin sits in the source: %s", out);
    double *dp = get(nc, "div_P", 3), *ref = get(nc, "reference_grad_P", 3), *lin = get(nc, "reference_grad_P_linear", 3);
    const double want = 0.1 / CR_RE_KM;
    cr_assert(fabs(ref[0] / want - 1) < 1e-9 && fabs(lin[0] / want - 1) < 1e-9, "MHD grad P %g, linear %g, exact %g",
              ref[0], lin[0], want);
    double e = sqrt((dp[0] - want) * (dp[0] - want) + dp[1] * dp[1] + dp[2] * dp[2]) / want;
    cr_assert(e < 0.02, "div P_i (%g, %g, %g) against the MHD's (%g, 0, 0) nPa/km: %.3g", dp[0], dp[1], dp[2], want, e);
    free(dp);
    free(ref);
    free(lin);
    nc_close(nc);
    helper_rm_rf(dir);
}

/* The path from MMS FPI files (tools/mms_fpi_to_vdf.py): its self-test
 * writes FPI-like burst files of four spacecraft (drifting Maxwellians in
 * look directions, alternating energy tables; n = 5 (1 + 0.02 (k - 1)) /cc
 * at MMS k), converts them and checks them; `cusprate gradient` then reads
 * the result and recovers each density from the 32 x 16 x 32 bins within
 * the instrument quadrature (the converter measured 0.4 %: 1 %). */
Test(gradient_cli, mms_fpi_conversion_feeds_the_gradient_command)
{
    char dir[512], cmd[2400], out[16384], args[1600], ini[700], text[1600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tools/mms_fpi_to_vdf.py --selftest %s/st > %s/st.log 2>&1",
             helper_root(), dir, dir);
    cr_assert_eq(system(cmd), 0, "the converter's self-test failed (see %s/st.log)", dir);
    snprintf(ini, sizeof ini, "%s/g.ini", dir);
    snprintf(text, sizeof text, "[run]\ndir = %s\n[gradient]\ninput = %s/st/selftest_dis_nc_time.vdf.nc\nfigures = no\n",
             dir, dir);
    helper_write_file(ini, text);
    snprintf(args, sizeof args, "gradient %s", ini);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    char path[700];
    snprintf(path, sizeof path, "%s/selftest_dis_nc_time.gradient.nc", dir);
    int nc, dim;
    size_t nt;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR, "%s", path);
    cr_assert_eq(nc_inq_dimid(nc, "time", &dim), NC_NOERR);
    nc_inq_dimlen(nc, dim, &nt);
    double *n = get(nc, "n", nt * 4);
    for (size_t q = 0; q < nt * 4; q++) {
        double want = 5.0 * (1 + 0.02 * (double)(q % 4));
        cr_assert(fabs(n[q] / want - 1) < 0.01, "record %zu, MMS%zu: n = %g /cc, the self-test's %g", q / 4, q % 4 + 1,
                  n[q], want);
    }
    free(n);
    nc_close(nc);
    helper_rm_rf(dir);
}
