/* test_liouville.c — backward (Liouville) tracing: the time reversal brings
 * a traced proton back to where it started; the source Maxwellian and the
 * flux conversion against closed forms; the sheath source on a plasma with
 * known moments; and forward and backward spectrograms of one pass through a
 * one-shot release agreeing within the forward run's statistical error. */
#include <criterion/criterion.h>
#include <unistd.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../particles/cr_liouville.h"
#include "../particles/cr_push.h"
#include "../spacecraft/cr_synth.h"
#include "helpers.h"

static struct cr_log quiet = {.level = CR_LEVEL_ERROR};
static const double MC2 = 938.27208816e6; /* proton rest energy [eV] */

/* Trace a proton forward for 60 s, then trace the end point backward to a
 * small release box around the start at the start time: it must come back
 * to the start. Guiding centre and full orbit, in the dipole plus a uniform
 * southward field with a uniform E (parallel acceleration included). */
static void reversal(enum cr_push_scheme scheme, double tol_rho, double tol_e)
{
    const double bu[3] = {0, 0, -5}, eu[3] = {0, 0.05, 0};
    struct cr_field *f = cr_field_dipole_uniform_new(30000, bu, eu, 2.0, 30.0);
    cr_assert_not_null(f);
    struct cr_push_inp pi = {.field = f, .scheme = scheme, .gc_rtol = 1e-10, .gc_atol = 1e-10, .fo_dt_gyro = 0.01,
                             .log = &quiet};
    struct cr_push *push = cr_push_new(&pi);
    struct cr_push_work *w = cr_push_work_new(push);
    const double x0[3] = {3.0, 0.5, 8.0}, v0[3] = {-150.0, 40.0, -300.0}; /* km/s, ~600 eV */
    struct cr_particle pt;
    cr_assert_eq(cr_push_start(push, w, &pt, 0.0, x0, v0, 60.0, 7), CR_OK);
    double e0;
    cr_assert_eq(cr_push_kinematics(push, &pt, NULL, NULL, NULL, &e0, NULL), CR_OK);
    cr_assert_eq(cr_push_advance(push, w, &pt, 60.0), CR_OK);
    cr_assert_eq(pt.status, CR_PST_TIMEOUT, "the forward trace ended early (status %d)", pt.status);
    /* the lab-frame velocity at the end */
    double v1[3];
    if (pt.mode == CR_PMODE_FO) {
        double gam = cr_push_gamma(push, sqrt(pt.u[0] * pt.u[0] + pt.u[1] * pt.u[1] + pt.u[2] * pt.u[2]));
        for (int c = 0; c < 3; c++) v1[c] = pt.u[c] / gam * CR_RE_KM;
    } else {
        cr_assert_eq(cr_push_to_fo(push, &pt, 0.3), CR_OK);
        double gam = cr_push_gamma(push, sqrt(pt.u[0] * pt.u[0] + pt.u[1] * pt.u[1] + pt.u[2] * pt.u[2]));
        for (int c = 0; c < 3; c++) v1[c] = pt.u[c] / gam * CR_RE_KM;
    }
    struct cr_lv_point q = {.t = 60.0, .stream = 3};
    memcpy(q.x, pt.x, sizeof q.x);
    memcpy(q.v, v1, sizeof q.v);
    struct cr_liouville_inp li = {.field = f, .push = pi, .r_collect = 2.1, .max_time = 100,
                                  .source = CR_LV_SRC_RELEASE, .t_release = 0.0, .density = 1.0,
                                  .temperature = 1000.0, .flow = CR_LV_FLOW_EXB, .progress = -1, .log = &quiet};
    for (int c = 0; c < 3; c++) {
        li.box[2 * c] = x0[c] - 0.2;
        li.box[2 * c + 1] = x0[c] + 0.2;
    }
    struct cr_lv_result r;
    struct cr_liouville_stats st;
    cr_assert_eq(cr_liouville_trace(&li, &q, 1, &r, &st), CR_OK);
    cr_assert_eq(r.status, CR_LV_SOURCE, "status %s", cr_lv_status_name(r.status));
    double d = sqrt((r.x0[0] - x0[0]) * (r.x0[0] - x0[0]) + (r.x0[1] - x0[1]) * (r.x0[1] - x0[1]) +
                    (r.x0[2] - x0[2]) * (r.x0[2] - x0[2]));
    /* gyro-radius p / (q B) at the start [R_E] */
    double B[3];
    cr_dipole_field(30000, x0, B);
    B[2] += bu[2];
    double rho = sqrt(v0[0] * v0[0] + v0[1] * v0[1] + v0[2] * v0[2]) * 1e3 * CR_MP /
                 (CR_QE * sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]) * 1e-9) / CR_RE_M;
    cr_assert_lt(d, tol_rho * rho, "back at %g R_E from the start (gyro-radius %g R_E)", d, rho);
    cr_assert_float_eq(r.t0, 0.0, 1e-9);
    cr_assert_lt(fabs(r.e0 - e0) / e0, tol_e, "energy %g eV, started with %g eV", r.e0, e0);
    /* f is the release Maxwellian at the start energy */
    cr_assert_float_eq(r.f, cr_liouville_maxwellian(1.0, 1000.0, r.e0, MC2), 1e-12 * r.f);
    cr_push_work_release(w);
    cr_push_release(push);
    cr_field_release(f);
}

/* Guiding centre: the same equations integrated both ways with error
 * control 1e-10; what is left is the hand-over at both ends (the end state
 * is turned into a particle at gyrophase 0.3 and back into a guiding centre,
 * first order in the gyro-radius over the field's scale): within half a
 * gyro-radius (~0.01 R_E here), measured 0.1. Full orbit: the Boris scheme
 * is time-symmetric, but the steps chosen backward differ from those
 * forward, so the gyrophase comes back with its O((Omega dt)^2) error
 * accumulated over ~100 gyrations: within a gyro-circle's diameter. The
 * plasma-frame energy at both ends to 1e-5 (GC: the hand-overs take p_par
 * from the energy at the guiding centre instead of the particle, an
 * O(q E rho) shift; measured 1.7e-6) and 1e-4 (FO: Boris with E). */
Test(liouville, time_reversal_returns_to_the_start_gc) { reversal(CR_PUSH_GC_ONLY, 0.5, 1e-5); }
Test(liouville, time_reversal_returns_to_the_start_fo) { reversal(CR_PUSH_FO_ONLY, 2.0, 1e-4); }

/* The source Maxwellian integrates to its density, and J = 2 E f / m^2
 * averaged over a channel is the closed form of cr_synth (both written
 * independently). */
Test(liouville, maxwellian_density_and_flux_units)
{
    const double n = 3.0, kt = 250.0;
    /* n = int f 4 pi v^2 dv = int f 4 pi sqrt(2 E) / m^(3/2) dE, m in eV s^2 cm^-2 */
    const double m = MC2 / (CR_C * 100.0 * CR_C * 100.0);
    double sum = 0.0;
    const int N = 200000;
    const double emax = 60.0 * kt, de = emax / N;
    for (int i = 0; i < N; i++) {
        double e = (i + 0.5) * de;
        sum += cr_liouville_maxwellian(n, kt, e, MC2) * 4.0 * CR_PI * sqrt(2.0 * e) / pow(m, 1.5) * de;
    }
    /* midpoint rule on a smooth integrand with an inverse-square-root-free
     * sqrt(E) start: relative error ~ (de/kT)^(3/2) ~ 1e-6 */
    cr_assert_lt(fabs(sum / n - 1.0), 1e-5, "int f d3v = %.8g, n = %g", sum, n);
    const double e1 = 300.0, e2 = 330.0;
    double jm = 0.0;
    for (int i = 0; i < 1000; i++) {
        double e = e1 + (i + 0.5) * (e2 - e1) / 1000.0;
        jm += cr_liouville_dnf(cr_liouville_maxwellian(n, kt, e, MC2), e, MC2) / 1000.0;
    }
    double want = cr_maxwellian_dnf_mean(n, kt, e1, e2);
    cr_assert_lt(fabs(jm / want - 1.0), 1e-6, "J %g against %g", jm, want);
}

/* ---- the sheath source on a plasma of known moments ------------------------ */
/* Uniform B = -20 nT z; below z = 10 R_E a tenuous magnetosphere, above it a
 * sheath with D = 20 /cc, kT = P / D = 300 eV, flow V = (-50, 0, 100) km/s
 * (E = -V x B, its perpendicular part the E x B drift). */
struct slab {
    struct cr_field base;
};

static int slab_eval(const struct cr_field *f, double t, const double x[3], struct cr_field_sample *s)
{
    (void)f;
    (void)t;
    memset(s, 0, sizeof *s);
    s->B[2] = -20.0;
    double V[3] = {-50.0, 0.0, 100.0};
    int sheath = x[2] > 10.0;
    if (!sheath) V[0] = V[2] = 0.0;
    memcpy(s->V, V, sizeof V);
    s->E[0] = -1e-3 * (V[1] * s->B[2] - V[2] * s->B[1]);
    s->E[1] = -1e-3 * (V[2] * s->B[0] - V[0] * s->B[2]);
    s->E[2] = -1e-3 * (V[0] * s->B[1] - V[1] * s->B[0]);
    s->D = sheath ? 20.0 : 1.0;
    /* P [nPa] = n kT: 20e6 m^-3 x 300 eV */
    s->P = sheath ? 20.0e6 * 300.0 * CR_EV_J * 1e9 : 1e-4;
    return CR_OK;
}
static void slab_release(struct cr_field *f) { (void)f; }
static const struct cr_field_vtable slab_vt = {slab_eval, slab_release};

Test(liouville, sheath_source_has_the_sheath_maxwellian)
{
    struct slab sl = {.base = {.vt = &slab_vt, .name = "slab"}};
    struct cr_push_inp pi = {.field = &sl.base, .scheme = CR_PUSH_AUTO, .log = &quiet};
    struct cr_liouville_inp li = {.field = &sl.base, .push = pi, .max_time = 600, .check_dt = 0.1,
                                  .source = CR_LV_SRC_SHEATH, .n_sw = 5, .v_sw = 400, .beta_min = 1,
                                  .flow = CR_LV_FLOW_MHD, .progress = -1, .log = &quiet};
    /* 1 keV protons arriving at z = 2 moving down the field (backward: up) */
    const double v = sqrt(2.0 * 1000.0 / (MC2 / (CR_C * CR_C * 1e-6)));
    struct cr_lv_point q[2] = {{.t = 100.0, .x = {0, 0, 2}, .v = {0, 0, -v}, .stream = 1},
                               {.t = 100.0, .x = {0, 0, 2}, .v = {0.6 * v, 0, -0.8 * v}, .stream = 2}};
    struct cr_lv_result r[2];
    struct cr_liouville_stats st;
    cr_assert_eq(cr_liouville_trace(&li, q, 2, r, &st), CR_OK);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(r[i].status, CR_LV_SOURCE, "point %d: %s", i, cr_lv_status_name(r[i].status));
        /* the stop test runs after the first step past each check time: the
         * entry lies within one check interval (0.1 s) plus one guiding-centre
         * step (gc_ds_max, 0.1 R_E by default) of the edge */
        cr_assert(r[i].x0[2] > 10.0 && r[i].x0[2] < 10.0 + v / CR_RE_KM * 0.1 + 0.1 + 1e-9, "z0 = %g", r[i].x0[2]);
        cr_assert_float_eq(r[i].n0, 20.0, 1e-9);
        cr_assert_float_eq(r[i].kt0, 300.0, 1e-9);
        /* plasma-frame energy: v_par relative to the flow along B (-100 km/s along b = -z), v_perp unchanged */
        double vpar = q[i].v[2] * -1.0, vperp = fabs(q[i].v[0]); /* along b = -z */
        double upar = 100.0 * -1.0;
        double e0 = 0.5 * (MC2 / (CR_C * CR_C * 1e-6)) * ((vpar - upar) * (vpar - upar) + vperp * vperp);
        cr_assert_lt(fabs(r[i].e0 / e0 - 1.0), 1e-6, "point %d: e0 %g eV, expected %g eV", i, r[i].e0, e0);
        cr_assert_lt(fabs(r[i].f / cr_liouville_maxwellian(20.0, 300.0, e0, MC2) - 1.0), 1e-5);
    }
    /* the same with beta_min above the sheath's beta (2 mu0 P / B^2 = 6.0): never a source */
    li.beta_min = 10.0;
    li.max_time = 60;
    cr_assert_eq(cr_liouville_trace(&li, q, 2, r, &st), CR_OK);
    cr_assert_eq(r[0].status, CR_LV_TIMEOUT, "%s", cr_lv_status_name(r[0].status));
    cr_assert_eq(r[0].f, 0.0);
}

/* A detector inside the sheath with start_check: every velocity has the
 * sheath Maxwellian of its own position (the source is where it sits), with
 * the same plasma-frame energy as source_f gives a traced end: flow frame
 * E x B drift plus the flow along B, here V = (-50, 0, 100) km/s. Without
 * start_check the same point is traced and found in the source after one
 * check interval, with the same f (uniform sheath): 1e-9 and 1e-5. */
Test(liouville, detector_in_the_source_sees_the_source_plasma)
{
    struct slab sl = {.base = {.vt = &slab_vt, .name = "slab"}};
    struct cr_push_inp pi = {.field = &sl.base, .scheme = CR_PUSH_AUTO, .log = &quiet};
    struct cr_liouville_inp li = {.field = &sl.base, .push = pi, .max_time = 60, .check_dt = 0.1,
                                  .source = CR_LV_SRC_SHEATH, .n_sw = 5, .v_sw = 400, .beta_min = 1,
                                  .flow = CR_LV_FLOW_MHD, .start_check = 1, .progress = -1, .log = &quiet};
    const double mk = MC2 / (CR_C * CR_C * 1e-6), v = sqrt(2.0 * 800.0 / mk);
    struct cr_lv_point q[3] = {{.t = 50.0, .x = {0, 0, 12}, .v = {0, 0, -v}, .stream = 1},
                               {.t = 50.0, .x = {0, 0, 12}, .v = {0.6 * v, 0, 0.8 * v}, .stream = 2},
                               {.t = 50.0, .x = {0, 0, 12}, .v = {-0.3 * v, 0.9 * v, 0.1 * v}, .stream = 3}};
    struct cr_lv_result r[3], r2[3];
    struct cr_liouville_stats st;
    cr_assert_eq(cr_liouville_trace(&li, q, 3, r, &st), CR_OK);
    li.start_check = 0;
    cr_assert_eq(cr_liouville_trace(&li, q, 3, r2, &st), CR_OK);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(r[i].status, CR_LV_SOURCE, "point %d: %s", i, cr_lv_status_name(r[i].status));
        cr_assert_eq(r[i].x0[2], 12.0);
        cr_assert_eq(r[i].t0, 50.0);
        double w[3] = {q[i].v[0] + 50.0, q[i].v[1], q[i].v[2] - 100.0};
        double e0 = 0.5 * mk * (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
        cr_assert_lt(fabs(r[i].e0 / e0 - 1.0), 1e-9, "point %d: e0 %g eV, expected %g eV", i, r[i].e0, e0);
        cr_assert_lt(fabs(r[i].f / cr_liouville_maxwellian(20.0, 300.0, e0, MC2) - 1.0), 1e-9);
        cr_assert_eq(r2[i].status, CR_LV_SOURCE);
        cr_assert_lt(fabs(r2[i].f / r[i].f - 1.0), 1e-5, "point %d: traced f %g, at the start %g", i, r2[i].f, r[i].f);
    }
}

/* ---- forward and backward spectrograms of one pass ------------------------- */
static void write_run(const char *dir, long n)
{
    char path[600], text[8192], root[2048], cwd[1024];
    if (helper_root()[0] == '/') snprintf(root, sizeof root, "%s", helper_root());
    else {
        cr_assert_not_null(getcwd(cwd, sizeof cwd));
        snprintf(root, sizeof root, "%s/%s", cwd, helper_root());
    }
    snprintf(path, sizeof path, "%s/run.ini", dir);
    snprintf(text, sizeof text,
             "[run]\ndir = %s\n\n[flyby]\ninstrument = dmsp_ssj\ninstrument_dir = %s/runs/instruments\n"
             "hemisphere = north\nmlt = 10\nmlt_width = 4\nstart_mlat = 82\nend_mlat = 89\nstep_mlat = 0.5\n"
             "bin_mlat = 1\nstep_time = 10\nlaunch_time = 50\nwindow = 40\n\n"
             "[particles]\nfield = dipole_uniform\nuniform_b = 0, 0, -5\nuniform_e = 0, 0, 0\n"
             "analytic_r_inner = 2\nanalytic_r_outer = 14\nn = %ld\nsource = box\nsource_box = 0, 4, -2, 2, 8, 11\n"
             "source_density = 1\nenergy_range = 100, 5000\nenergy_sampling = log\ntemperature = 1000\n"
             "pitch_range = 0, 10\ninject_interval = 0, 0\nmax_time = 300\n\n"
             "[liouville]\nsource = release\nsamples = 16\n",
             dir, root, n);
    helper_write_file(path, text);
}

struct spec {
    size_t nt, ne;
    double *def, *err;
    int *macro;
};

static void read_spec(const char *path, struct spec *s)
{
    int nc, d, v;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR, "%s", path);
    cr_assert_eq(nc_inq_dimid(nc, "time", &d), NC_NOERR);
    nc_inq_dimlen(nc, d, &s->nt);
    cr_assert_eq(nc_inq_dimid(nc, "energy", &d), NC_NOERR);
    nc_inq_dimlen(nc, d, &s->ne);
    size_t n = s->nt * s->ne;
    s->def = malloc(n * sizeof *s->def);
    s->err = malloc(n * sizeof *s->err);
    s->macro = malloc(n * sizeof *s->macro);
    cr_assert_eq(nc_inq_varid(nc, "diff_energy_flux", &v), NC_NOERR);
    nc_get_var_double(nc, v, s->def);
    cr_assert_eq(nc_inq_varid(nc, "diff_energy_flux_err", &v), NC_NOERR);
    nc_get_var_double(nc, v, s->err);
    cr_assert_eq(nc_inq_varid(nc, "macro_particles", &v), NC_NOERR);
    nc_get_var_int(nc, v, s->macro);
    nc_close(nc);
}

static void free_spec(struct spec *s)
{
    free(s->def);
    free(s->err);
    free(s->macro);
}

/* chi^2 per pixel of the difference over the pixels where the forward run
 * has >= 20 macro-particles (its error then near Gaussian), and the sums. */
static void compare(const struct spec *fw, const struct spec *bw, int *npix, double *chi2, double *zsum)
{
    *npix = 0;
    *chi2 = 0;
    double sf = 0, sb = 0, vf = 0, vb = 0;
    for (size_t i = 0; i < fw->nt * fw->ne; i++) {
        if (fw->macro[i] < 20) continue;
        double z = (fw->def[i] - bw->def[i]) / sqrt(fw->err[i] * fw->err[i] + bw->err[i] * bw->err[i]);
        *chi2 += z * z;
        (*npix)++;
        sf += fw->def[i];
        sb += bw->def[i];
        vf += fw->err[i] * fw->err[i];
        vb += bw->err[i] * bw->err[i];
    }
    *zsum = (sf - sb) / sqrt(vf + vb);
}

/* A one-shot release of a 1-keV Maxwellian (1 /cc, 100 eV-5 keV) in a box on
 * the open field lines above the northern polar cap of the dipole + 5 nT
 * southward field; a DMSP-like pass through the precipitation 50-190 s
 * later. The forward run bins ~8,000 collected protons; the backward run
 * traces 16 samples per pixel back to the release time. Liouville makes
 * them equal up to sampling: chi^2 per pixel within [0.3, 2] (for ~25
 * pixels the 99.9 % range of chi^2/dof) and the summed flux within 3.5
 * sigma. The same backward run with the release 20 s too late (the protons
 * have not arrived) must fail the comparison: a check that the test can
 * fail. */
Test(liouville, forward_and_backward_spectrograms_agree, .timeout = 600)
{
    char dir[512], out[8192], args[1200], path[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    long n = helper_sanitized() ? 20000 : 40000;
    write_run(dir, n);
    snprintf(args, sizeof args, "particles %s/run.ini", dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    snprintf(args, sizeof args, "fly %s/run.ini flyby.name=fw", dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    snprintf(args, sizeof args, "fly %s/run.ini flyby.name=bw flyby.method=backward", dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    snprintf(args, sizeof args, "fly %s/run.ini flyby.name=late flyby.method=backward particles.inject_interval=20,20",
             dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    struct spec fw, bw, late;
    snprintf(path, sizeof path, "%s/fw.spectrogram.nc", dir);
    read_spec(path, &fw);
    snprintf(path, sizeof path, "%s/bw.spectrogram.nc", dir);
    read_spec(path, &bw);
    snprintf(path, sizeof path, "%s/late.spectrogram.nc", dir);
    read_spec(path, &late);
    cr_assert_eq(fw.nt * fw.ne, bw.nt * bw.ne);
    int np;
    double chi2, zsum;
    compare(&fw, &bw, &np, &chi2, &zsum);
    cr_assert_geq(np, 10, "only %d pixels with >= 20 forward macro-particles", np);
    cr_assert(chi2 / np > 0.3 && chi2 / np < 2.0, "chi^2/dof = %g over %d pixels", chi2 / np, np);
    cr_assert_lt(fabs(zsum), 3.5, "summed flux differs by %g sigma", zsum);
    compare(&fw, &late, &np, &chi2, &zsum);
    cr_assert(chi2 / np > 2.0 || fabs(zsum) > 3.5, "a release 20 s late passed: chi^2/dof %g, sum %g sigma",
              chi2 / np, zsum);
    /* the file says how it was made */
    int nc;
    snprintf(path, sizeof path, "%s/bw.spectrogram.nc", dir);
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    char method[32] = "";
    size_t len = 0;
    cr_assert_eq(nc_inq_attlen(nc, NC_GLOBAL, "method", &len), NC_NOERR);
    cr_assert_lt(len, sizeof method);
    nc_get_att_text(nc, NC_GLOBAL, "method", method);
    cr_assert_str_eq(method, "backward");
    double spp = 0, nsrc = 0;
    nc_get_att_double(nc, NC_GLOBAL, "samples_per_pixel", &spp);
    nc_get_att_double(nc, NC_GLOBAL, "n_source", &nsrc);
    cr_assert_eq(spp, 16);
    cr_assert_gt(nsrc, 0);
    int v;
    cr_assert_eq(nc_inq_varid(nc, "effective_count", &v), NC_NOERR);
    cr_assert_eq(nc_inq_varid(nc, "flight_time", &v), NC_NOERR);
    nc_close(nc);
    free_spec(&fw);
    free_spec(&bw);
    free_spec(&late);
    helper_rm_rf(dir);
}
