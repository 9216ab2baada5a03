/* test_lockwood.c — the Lockwood-Smith estimator: the E_ic finder on
 * hand-made spectra, the estimator on an exact analytic E_ic series, and the
 * whole `rate` stage on synthetic dispersions from a forward time-of-flight
 * model (tests/test_lockwood_synth.h): a steady rate and the three 1-minute
 * bursts 10 minutes apart of Lockwood & Smith (1992). */
#include <criterion/criterion.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_config.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../grids/cr_fieldline.h"
#include "../reconnection/cr_lockwood.h"
#include "../reconnection/cr_lockwood_io.h"
#include "helpers.h"
#include "test_lockwood_synth.h"

/* ---- helpers -------------------------------------------------------------- */

static struct cr_log quiet_log = {.level = CR_LEVEL_WARN, .stream = NULL, .no_timestamps = 1};

/* Run `cusprate rate` in-process on run_dir with extra INI text. */
static int run_rate(const char *run_dir, const char *ini_text)
{
    struct cr_config *cfg = cr_config_new_all(&quiet_log);
    cr_assert_not_null(cfg);
    char ini[8192];
    snprintf(ini, sizeof ini, "[run]\ndir = %s\n%s", run_dir, ini_text ? ini_text : "");
    char name[4200];
    snprintf(name, sizeof name, "%s/test.ini", run_dir);
    int rc = cr_config_load_string(cfg, ini, name);
    cr_assert_eq(rc, CR_OK, "config");
    struct cr_cmd_ctx ctx = {.cfg = cfg, .log = &quiet_log, .ini_path = name};
    cr_run_dir_resolve(cfg, name, ctx.run_dir, sizeof ctx.run_dir);
    rc = cr_cmd_rate(&ctx);
    cr_config_release(cfg);
    return rc;
}

struct rate_file {
    int n;
    double *t_s, *t_o, *e_ic, *e_ic_s, *e_i, *e_i_err, *e_ic_conv, *e_i_conv, *e_i_conv_err, *e_mp, *b_s, *x;
    int *flag;
};

static double *get_var(int ncid, const char *name, int n)
{
    int id;
    cr_assert_eq(nc_inq_varid(ncid, name, &id), NC_NOERR, "variable %s missing", name);
    double *v = calloc((size_t)n, sizeof *v);
    cr_assert_eq(nc_get_var_double(ncid, id, v), NC_NOERR);
    return v;
}

static void read_rate(const char *path, struct rate_file *r)
{
    int ncid, dim, id;
    size_t n;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR, "cannot open %s", path);
    cr_assert_eq(nc_inq_dimid(ncid, "time", &dim), NC_NOERR);
    nc_inq_dimlen(ncid, dim, &n);
    r->n = (int)n;
    r->t_s = get_var(ncid, "t_s", r->n);
    r->t_o = get_var(ncid, "t_o", r->n);
    r->e_ic = get_var(ncid, "E_ic", r->n);
    r->e_ic_s = get_var(ncid, "E_ic_smooth", r->n);
    r->e_i = get_var(ncid, "E_i", r->n);
    r->e_i_err = get_var(ncid, "E_i_err", r->n);
    r->e_i_conv = get_var(ncid, "E_i_conv", r->n);
    r->e_i_conv_err = get_var(ncid, "E_i_conv_err", r->n);
    r->e_mp = get_var(ncid, "E_mp", r->n);
    r->b_s = get_var(ncid, "B_s", r->n);
    r->x = get_var(ncid, "X", r->n);
    r->flag = calloc(n, sizeof(int));
    cr_assert_eq(nc_inq_varid(ncid, "flag", &id), NC_NOERR);
    nc_get_var_int(ncid, id, r->flag);
    nc_close(ncid);
}

static void free_rate(struct rate_file *r)
{
    free(r->t_s), free(r->t_o), free(r->e_ic), free(r->e_ic_s), free(r->e_i), free(r->e_i_err);
    free(r->e_i_conv), free(r->e_i_conv_err), free(r->e_mp), free(r->b_s), free(r->x), free(r->flag);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int usable_flag(int f) { return !(f & (CR_LW_NO_EIC | CR_LW_FEW_SAMPLES | CR_LW_SINGULAR | CR_LW_NO_BS)); }

/* ---- 1. E_ic finder on hand-made spectra -------------------------------------- */

static const double E8[8] = {10, 20, 40, 80, 160, 320, 640, 1280};

Test(lockwood, eic_single_peak)
{
    /* peak 100 at 320 eV; walking down: 160 eV has 30 (>= 10), 80 eV has 5 (< 10) */
    const double f[8] = {0, 1, 2, 5, 30, 100, 60, 20};
    struct cr_eic_opts o = {.method = CR_EIC_THRESHOLD, .fraction = 0.1, .interp = CR_EIC_INTERP_NONE};
    double e;
    cr_assert_eq(cr_eic_find(E8, f, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, 80.0, 1e-12, "first channel below 10 %% of the peak: 80 eV, got %g", e);
    /* interpolated: flux linear in log E between 80 eV (5) and 160 eV (30): crosses 10 at w = 0.2 */
    o.interp = CR_EIC_INTERP_LINEAR;
    cr_assert_eq(cr_eic_find(E8, f, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, 80.0 * pow(2.0, 0.2), 1e-9, "got %g", e);
    /* the same spectrum listed from high to low energy gives the same answer */
    double er[8], fr[8];
    for (int k = 0; k < 8; k++) er[k] = E8[7 - k], fr[k] = f[7 - k];
    double e2;
    cr_assert_eq(cr_eic_find(er, fr, NULL, NULL, 8, &o, &e2), CR_EIC_OK);
    cr_assert_float_eq(e2, e, 1e-12);
    /* a higher threshold stops earlier: 50 % of 100 -> 160 eV has 30 < 50 */
    o.fraction = 0.5;
    o.interp = CR_EIC_INTERP_NONE;
    cr_assert_eq(cr_eic_find(E8, f, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, 160.0, 1e-12);
}

Test(lockwood, eic_two_populations)
{
    /* an older low-energy population (peak 40 at 20 eV) separated by an empty
     * channel from the main one (peak 100 at 640 eV): the walk from the main
     * peak stops at the first channel below 10 -> 80 eV (a gap at 40 eV would
     * be reached only if 80 eV were above threshold) */
    const double f[8] = {10, 40, 8, 3, 50, 80, 100, 30};
    struct cr_eic_opts o = {.method = CR_EIC_THRESHOLD, .fraction = 0.1, .interp = CR_EIC_INTERP_NONE};
    double e;
    cr_assert_eq(cr_eic_find(E8, f, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, 80.0, 1e-12, "got %g", e);
    /* when the low population is the brighter one it is the one measured */
    const double g[8] = {10, 140, 8, 3, 50, 80, 100, 30};
    cr_assert_eq(cr_eic_find(E8, g, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, 10.0, 1e-12, "got %g", e);
    /* peak method: the energy of the largest channel */
    o.method = CR_EIC_PEAK;
    cr_assert_eq(cr_eic_find(E8, f, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, 640.0, 1e-12);
    /* interpolated peak of a parabola in log E: symmetric neighbours keep the centre */
    const double h[8] = {0, 0, 0, 0, 50, 100, 50, 0};
    o.interp = CR_EIC_INTERP_LINEAR;
    cr_assert_eq(cr_eic_find(E8, h, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, 320.0, 1e-9);
}

/* The edge interpolation on spectra cut sharply inside one channel, whose
 * edges are the geometric midpoints (E8 is a factor-2 table): the channel
 * average of a spectrum S cut at E_c is S (hi - E_c)/(hi - lo), so a known
 * filled fraction q must give E_ic = hi - q (hi - lo) exactly. */
Test(lockwood, eic_edge_interpolation)
{
    struct cr_eic_opts o = {.method = CR_EIC_THRESHOLD, .fraction = 0.1, .interp = CR_EIC_INTERP_EDGE};
    const double lo = sqrt(40.0 * 80.0), hi = sqrt(80.0 * 160.0); /* the 80 eV channel */
    double e;
    /* flat spectrum (100), the 80 eV channel 40 % filled: the walk passes it (40 >= 10)
     * and stops at the empty 40 eV channel; the cutoff channel is the one above */
    const double flat[8] = {0, 0, 0, 40, 100, 100, 100, 100};
    cr_assert_eq(cr_eic_find(E8, flat, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, hi - 0.4 * (hi - lo), 1e-9, "got %g", e);
    /* spectrum rising as E (S = E/10), the 80 eV channel half filled (4 < 10 % of the
     * 128 peak): the cutoff channel is the first below threshold, S there extrapolated
     * from 160 and 320 eV (slope 1 in log-log: S = 8) */
    const double rising[8] = {0, 0, 0, 4, 16, 32, 64, 128};
    cr_assert_eq(cr_eic_find(E8, rising, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, hi - 0.5 * (hi - lo), 1e-9, "got %g", e);
    /* explicit edges are used when given */
    double elo[8], ehi[8];
    for (int k = 0; k < 8; k++) elo[k] = 0.9 * E8[k], ehi[k] = 1.1 * E8[k];
    cr_assert_eq(cr_eic_find(E8, flat, elo, ehi, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, 88.0 - 0.4 * 16.0, 1e-9, "got %g", e);
    /* a full cutoff channel puts E_ic at its lower edge */
    const double full[8] = {0, 0, 0, 100, 100, 100, 100, 100};
    cr_assert_eq(cr_eic_find(E8, full, NULL, NULL, 8, &o, &e), CR_EIC_OK);
    cr_assert_float_eq(e, lo, 1e-9, "got %g", e);
}

Test(lockwood, eic_empty_and_below_range)
{
    struct cr_eic_opts o = {.method = CR_EIC_THRESHOLD, .fraction = 0.1, .interp = CR_EIC_INTERP_LINEAR};
    double e = 0;
    const double zero[8] = {0};
    cr_assert_eq(cr_eic_find(E8, zero, NULL, NULL, 8, &o, &e), CR_EIC_EMPTY);
    cr_assert_eq(e, CR_LW_FILL, "empty spectrum gives the fill value, not NaN");
    const double bad[8] = {NAN, -1, CR_LW_FILL, INFINITY, 0, 0, 0, 0};
    cr_assert_eq(cr_eic_find(E8, bad, NULL, NULL, 8, &o, &e), CR_EIC_EMPTY);
    cr_assert_eq(e, CR_LW_FILL);
    /* every channel from the peak down stays above threshold: cutoff below the table */
    const double flat[8] = {50, 60, 70, 80, 90, 100, 40, 10};
    cr_assert_eq(cr_eic_find(E8, flat, NULL, NULL, 8, &o, &e), CR_EIC_BELOW_RANGE);
    cr_assert_eq(e, CR_LW_FILL);
    /* min_peak: a weak spectrum counts as empty */
    const double weak[8] = {0, 0, 0, 1, 2, 3, 1, 0};
    o.min_peak = 5;
    cr_assert_eq(cr_eic_find(E8, weak, NULL, NULL, 8, &o, &e), CR_EIC_EMPTY);
}

/* ---- 2. the estimator on an exact E_ic series --------------------------------- */

/* Steady reconnection E (mV/m at the satellite), field lines convecting at
 * V_c = E/B, satellite moving poleward at U: the line overhead has
 * t_s - t_o = a0 + (U/V_c - 1)... built exactly: age(t) = age0 + (U/V_c) (t - t0),
 * E_ic = (m/2) (d/age)^2. The convection-corrected form must return E to the
 * accuracy of the smoothing of a smooth curve (quadratic terms over a
 * 5-sample window: < 1e-3 relative), and the Lockwood form E U/(U - V_c). */
Test(lockwood, estimator_exact_series)
{
    const int n = 200;
    const double e_true = 30.0, b = 45000.0, u = 7.5, d = 12.0; /* mV/m, nT, km/s, R_E */
    const double vc = e_true / b * 1e3;                          /* km/s */
    double t[200], eic[200], bs[200], uu[200];
    for (int i = 0; i < n; i++) {
        t[i] = 1000.0 + 0.5 * i;
        double age = 300.0 + (u / vc) * (t[i] - 1000.0);
        double v = d * CR_RE_M / age;
        eic[i] = 0.5 * CR_MP * v * v / CR_EV_J;
        bs[i] = b;
        uu[i] = u;
    }
    eic[50] = CR_LW_FILL; /* a missing spectrum: flagged, neighbours unaffected */
    struct cr_lockwood_inp inp = {.d = d, .d_err_frac = 0.1, .v_conv = vc, .b_mp = 50, .smooth_window = 5,
                                  .deriv_window = 3, .log = &quiet_log};
    struct cr_lockwood *lw = cr_lockwood_new(&inp);
    cr_assert_not_null(lw);
    struct cr_lw_result *r = cr_lw_result_new(n);
    struct cr_lw_series in = {.n = n, .t_s = t, .e_ic = eic, .b_s = bs, .u = uu};
    cr_assert_eq(cr_lockwood_run(lw, &in, r), CR_OK);
    cr_assert(r->flag[50] & CR_LW_NO_EIC);
    cr_assert_eq(r->e_i[50], CR_LW_FILL);
    int nchk = 0;
    for (int i = 5; i < n - 5; i++) {
        if (i >= 45 && i <= 55) continue;
        cr_assert(usable_flag(r->flag[i]), "flag %d at %d", r->flag[i], i);
        cr_assert(fabs(r->e_i_conv[i] / e_true - 1) < 2e-3, "E_i_conv %g at %d", r->e_i_conv[i], i);
        cr_assert(fabs(r->e_i[i] / (e_true * u / (u - vc)) - 1) < 2e-3, "E_i %g at %d", r->e_i[i], i);
        /* t_o: the exact age at t_s (smoothing of a smooth curve: < 0.1 s) */
        double age = 300.0 + (u / vc) * (t[i] - 1000.0);
        cr_assert(fabs(r->t_o[i] - (t[i] - age)) < 0.1, "t_o %g vs %g", r->t_o[i], t[i] - age);
        /* E_mp = E_i sqrt(B'/B_s) */
        cr_assert_float_eq(r->e_mp[i], r->e_i[i] * sqrt(50.0 / b), 1e-12 * fabs(r->e_i[i]));
        /* uncertainty: with a noiseless series only d contributes, sigma_X = 0.1 |X| */
        /* uncertainty: a noiseless series leaves only d (sigma_X = 0.1 |X|) plus the
         * tiny scatter of a curved log E_ic about the window's straight line */
        double e_d = fabs(r->e_i[i]) * 0.1 * fabs(r->x[i]) / fabs(1 + r->x[i]);
        cr_assert(r->e_i_err[i] >= e_d * (1 - 1e-12) && r->e_i_err[i] < 1.01 * e_d, "E_i_err %g vs %g (X %g)",
                  r->e_i_err[i], e_d, r->x[i]);
        nchk++;
    }
    cr_assert_gt(nchk, 150);
    cr_lw_result_release(r);
    cr_lockwood_release(lw);
}

Test(lockwood, estimator_bad_input)
{
    struct cr_lockwood_inp inp = {.d = 0, .smooth_window = 5, .deriv_window = 3, .b_mp = 50, .log = &quiet_log};
    cr_assert_null(cr_lockwood_new(&inp), "d = 0 is refused");
    inp.d = 10;
    inp.smooth_window = 4;
    cr_assert_null(cr_lockwood_new(&inp), "even windows are refused");
    inp.smooth_window = 5;
    struct cr_lockwood *lw = cr_lockwood_new(&inp);
    cr_assert_not_null(lw);
    double t[4] = {0, 1, 1, 2}, e[4] = {100, 90, 80, 70}, b[4] = {1, 1, 1, 1};
    struct cr_lw_result *r = cr_lw_result_new(4);
    struct cr_lw_series in = {.n = 4, .t_s = t, .e_ic = e, .b_s = b, .u = b};
    cr_assert_eq(cr_lockwood_run(lw, &in, r), CR_ECONFIG, "times must increase");
    /* all spectra empty: CR_EDOMAIN, every value the fill value */
    double t2[4] = {0, 1, 2, 3}, none[4] = {CR_LW_FILL, CR_LW_FILL, CR_LW_FILL, CR_LW_FILL};
    in.t_s = t2;
    in.e_ic = none;
    cr_assert_eq(cr_lockwood_run(lw, &in, r), CR_EDOMAIN);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(r->e_i[i], CR_LW_FILL);
        cr_assert_eq(r->t_o[i], CR_LW_FILL);
        cr_assert(r->flag[i] & CR_LW_NO_EIC);
    }
    cr_lw_result_release(r);
    cr_lockwood_release(lw);
}

/* ---- 3. forward model -> spectrogram.nc -> rate.nc ---------------------------- */

static struct synth_inp steady_inp(enum synth_instrument ins)
{
    struct synth_inp p = {
        .instrument = ins,
        .rate = {.kind = 0, .e0 = 30.0},
        .t_rate0 = 0.0,
        .d_re = 12.0,
        .b_e = 30000.0,
        .altitude_km = ins == SYNTH_DMSP ? 840.0 : 590.0,
        .speed_km_s = ins == SYNTH_DMSP ? 7.4 : 7.6,
        .track_angle_deg = 0.0,
        .mlt = 12.0,
        .mlat_ocb = 74.0,
        .t_ocb = 2000.0,
        .t_start = 1990.0,
        .t_end = 2090.0,
        .gamma = 0.3,
        .e0 = 1000.0,
        .e_roll = 3000.0,
        .j0 = 1e7,
        .nsub = 8,
    };
    return p;
}

/* Steady reconnection at 30 mV/m (satellite altitude; ~1 mV/m at the
 * magnetopause). The convection-corrected form with the model's V_c must
 * recover the rate; the Lockwood form (V_c = 0) must come out high by the
 * factor U/(U - V_c) that its neglect of convection predicts. */
static void steady_case(enum synth_instrument ins, const char *label, unsigned long seed)
{
    char dir[1024], path[2048];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/steady.spectrogram.nc", dir);
    struct synth_inp p = steady_inp(ins);
    p.noise_seed = seed;
    p.geometric_factor = 1e-4; /* with j0 = 1e7: ~1000 counts per channel per accumulation at the peak */
    struct synth_truth tr;
    cr_assert_eq(synth_write(path, &p, &tr), 0);
    /* convection speed of the model at the satellite (B_s varies by ~1 % over the pass) */
    double vc = 0;
    for (int i = 0; i < tr.n; i++) vc += tr.v_c[i] / tr.n;
    char ini[512];
    snprintf(ini, sizeof ini, "[rate]\nd = 12\nd_err_frac = 0\nv_conv = %.6f\n%s", vc,
             seed ? "min_peak = 1e6\nsmooth_window = 9\nderiv_window = 5\n" : "");
    cr_assert_eq(run_rate(dir, ini), CR_OK);
    snprintf(path, sizeof path, "%s/steady.rate.nc", dir);
    struct rate_file r;
    read_rate(path, &r);
    const double e_true = 30.0, e_lock = e_true * tr.u / (tr.u - vc);
    double sum = 0, sum_l = 0, sumsq = 0;
    int n = 0, in10 = 0, in2s = 0;
    for (int i = 0; i < r.n; i++) {
        if (!usable_flag(r.flag[i])) continue;
        sum += r.e_i_conv[i];
        sum_l += r.e_i[i];
        sumsq += (r.e_i_conv[i] - e_true) * (r.e_i_conv[i] - e_true);
        in10 += fabs(r.e_i_conv[i] / e_true - 1) < 0.1;
        in2s += fabs(r.e_i_conv[i] - e_true) < 2 * r.e_i_conv_err[i];
        n++;
    }
    double mean = sum / n, mean_l = sum_l / n, rms = sqrt(sumsq / n);
    double *sorted = calloc((size_t)n, sizeof *sorted);
    int k = 0;
    for (int i = 0; i < r.n; i++)
        if (usable_flag(r.flag[i])) sorted[k++] = r.e_i_conv[i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    free(sorted);
    fprintf(stderr,
            "[lockwood] %s steady %g mV/m%s: %d estimates, mean E_i_conv %.3f (%.1f %%), median %.3f, rms %.3f, %.0f %% "
            "of points within 10 %%, %.0f %% within 2 sigma (E_ic scatter only); Lockwood form mean %.3f vs predicted "
            "%.3f\n",
            label, e_true, seed ? " with Poisson noise" : "", n, mean, 100 * (mean / e_true - 1), median, rms,
            100.0 * in10 / n, 100.0 * in2s / n, mean_l, e_lock);
    cr_assert_gt(n, ins == SYNTH_DMSP ? 40 : 150, "a dispersion of this pass gives many estimates (%d)", n);
    if (!seed) {
        /* (a) the steady rate within 10 % (mean over the dispersion; the
         * edge interpolation of E_ic is exact for a sharp cutoff in a flat spectrum, the
         * residual comes from the spectral slope within a channel and the smoothing) */
        cr_assert(fabs(mean / e_true - 1) < 0.10, "mean E_i_conv %g vs %g", mean, e_true);
        cr_assert(fabs(mean_l / e_lock - 1) < 0.10, "Lockwood form %g vs %g", mean_l, e_lock);
        cr_assert_geq(in10, 0.75 * n, "only %d of %d estimates within 10 %%", in10, n);
    } else {
        /* with counting noise the estimate 1/(1 + X) has heavy tails (a noisy slope
         * can bring 1 + X near 0): the median is the robust measure, and the 1-sigma
         * uncertainties from the E_ic scatter must cover the truth (>= 90 % of points
         * within 2 sigma; a Gaussian gives 95 %) */
        cr_assert(fabs(median / e_true - 1) < 0.10, "median E_i_conv %g vs %g", median, e_true);
        cr_assert_geq(in2s, 0.90 * n, "only %d of %d estimates within 2 sigma", in2s, n);
    }
    free_rate(&r);
    synth_truth_free(&tr);
    helper_rm_rf(dir);
}

Test(lockwood, steady_tracers) { steady_case(SYNTH_TRACERS, "TRACERS", 0); }
Test(lockwood, steady_dmsp) { steady_case(SYNTH_DMSP, "DMSP", 0); }
Test(lockwood, steady_tracers_noise) { steady_case(SYNTH_TRACERS, "TRACERS", 12345); }
Test(lockwood, steady_dmsp_noise) { steady_case(SYNTH_DMSP, "DMSP", 777); }
/* Three 1-minute bursts 10 minutes apart with no reconnection in between
 * (Lockwood & Smith 1992's DMSP F7 case): the satellite (TRACERS-like,
 * track 75 deg from poleward) crosses the three bands of reconnected flux
 * after the last burst. The estimate against t_o must show the three bursts
 * at their times, separate, with their reconnected flux. */
Test(lockwood, bursts_tracers)
{
    char dir[1024], path[2048];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/bursts.spectrogram.nc", dir);
    struct synth_inp p = steady_inp(SYNTH_TRACERS);
    const double e_b = 30.0, start[3] = {100, 700, 1300}, len = 60;
    p.rate = (struct synth_rate){.kind = 1, .e0 = 0.0, .e_burst = e_b, .nburst = 3,
                                 .burst_start = {start[0], start[1], start[2]}, .burst_len = len};
    p.d_re = 10.0;
    p.track_angle_deg = 75.0;
    p.t_ocb = 1400.0;
    p.t_start = 1395.0;
    p.t_end = 1470.0;
    struct synth_truth tr;
    cr_assert_eq(synth_write(path, &p, &tr), 0);
    /* V_c = 0: after the last burst the field lines no longer move (conveyor model) */
    cr_assert_eq(run_rate(dir, "[rate]\nd = 10\nd_err_frac = 0\nv_conv = 0\n"), CR_OK);
    snprintf(path, sizeof path, "%s/bursts.rate.nc", dir);
    struct rate_file r;
    read_rate(path, &r);
    const double dt_s = synth_accumulation(SYNTH_TRACERS);
    for (int b = 0; b < 3; b++) {
        /* trapezoid rule in t_o over consecutive estimates whose t_o both fall within
         * 2 minutes of the burst: flux = int E dt_o, centre = int E t_o dt_o / flux */
        double w = 0, wt = 0, dto_max = 0;
        int nin = 0;
        const double c = start[b] + 0.5 * len;
        for (int i = 1; i < r.n; i++) {
            if (!usable_flag(r.flag[i]) || !usable_flag(r.flag[i - 1])) continue;
            if (fabs(r.t_o[i] - c) > 120 || fabs(r.t_o[i - 1] - c) > 120) continue;
            double dto = fabs(r.t_o[i] - r.t_o[i - 1]);
            w += 0.5 * (r.e_i[i] + r.e_i[i - 1]) * dto;
            wt += 0.5 * (r.e_i[i] * r.t_o[i] + r.e_i[i - 1] * r.t_o[i - 1]) * dto;
            nin++;
        }
        double flux = w;
        /* one spacecraft sample, in reconnection time: |dt_o/dt_s| dt_s inside the band (truth) */
        for (int i = 1; i < tr.n; i++)
            if (tr.t_o[i] > start[b] && tr.t_o[i] < start[b] + len && tr.t_o[i - 1] > start[b] &&
                tr.t_o[i - 1] < start[b] + len)
                dto_max = CR_MAX(dto_max, fabs(tr.t_o[i] - tr.t_o[i - 1]));
        double centre = wt / w;
        (void)c;
        fprintf(stderr,
                "[lockwood] burst %d: %d estimates, centre t_o %.2f s (true %.2f, one sample = %.2f s of t_o, %.2f s of "
                "t_s), reconnected flux %.1f mV/m s (true %.1f)\n",
                b + 1, nin, centre, start[b] + 0.5 * len, dto_max, dt_s, flux, e_b * len);
        cr_assert_gt(nin, 20);
        cr_assert_gt(dto_max, 0);
        /* (b) the burst time within one spacecraft sample */
        cr_assert(fabs(centre - (start[b] + 0.5 * len)) < dto_max, "burst %d centre %g vs %g (tolerance %g s)", b + 1,
                  centre, start[b] + 0.5 * len, dto_max);
        /* flux conservation: the area under the rate against t_o is the flux the burst
         * reconnected (10 %: the samples next to each step are smeared by the smoothing) */
        cr_assert(fabs(flux / (e_b * len) - 1) < 0.10, "burst %d flux %g vs %g", b + 1, flux, e_b * len);
    }
    /* the two steps in E_ic between the bands are found (each flags the spectra on
     * both sides), and no estimate puts reconnection into the quiet 9 minutes
     * between bursts (smoothing across a step would: small rates at t_o in between) */
    int nstep = 0, ngap = 0;
    for (int i = 0; i < r.n; i++) {
        if (r.flag[i] & CR_LW_STEP) nstep++;
        if (!usable_flag(r.flag[i])) continue;
        for (int b = 0; b < 2; b++)
            if (r.t_o[i] > start[b] + len + 5 && r.t_o[i] < start[b + 1] - 5) ngap++;
    }
    fprintf(stderr, "[lockwood] bursts: %d spectra flagged at steps, %d estimates between the bursts\n", nstep, ngap);
    cr_assert_eq(nstep, 4, "two steps expected, %d spectra flagged", nstep);
    cr_assert_eq(ngap, 0);
    free_rate(&r);
    synth_truth_free(&tr);
    helper_rm_rf(dir);
}

/* d and L_i/L' traced in the dipole + uniform southward field (REFERENCES.md
 * section 3, B0 = 5 nT: null ring at r_n = (B_E/B0)^(1/3) = 18.17 R_E). A
 * satellite just poleward of the polar-cap boundary is on a newly opened line
 * that passes by the null ring: its |B| minimum (the X-line) must lie there;
 * by axial symmetry an MLT offset maps to the same angle at the minimum, so
 * L_i/L' = (r_s sin theta_s) / rho_min exactly. */
Test(lockwood, traced_d_and_mapping_dipole_uniform)
{
    const double b_e = 30000.0, b0 = 5.0, buni[3] = {0, 0, -b0};
    struct cr_field *f = cr_field_dipole_uniform_new(b_e, buni, NULL, 1.0, 0.0);
    cr_assert_not_null(f);
    struct cr_fieldline_inp fi = {.field = f, .r_outer = 200.0, .max_length = 500.0, .log = &quiet_log};
    struct cr_fieldline *fl = cr_fieldline_new(&fi);
    cr_assert_not_null(fl);
    const double r_n = cbrt(b_e / b0), r_s = 1.0 + 590.0 / CR_RE_KM;
    const double s2 = 3 * b0 * r_n * r_n / (r_s * r_s * (2 * b_e / (r_s * r_s * r_s) + b0));
    const double th_pc = asin(sqrt(s2)); /* boundary colatitude at the satellite's radius */
    for (int k = 0; k < 3; k++) {
        double th = th_pc - (0.005 + 0.005 * k) * CR_DEG; /* just poleward (north) */
        double x[3] = {r_s * sin(th), 0.0, r_s * cos(th)};
        struct cr_rate_trace_out tr;
        cr_assert_eq(cr_rate_trace(fl, 0.0, x, 0.01, &tr), CR_OK);
        double rho = sqrt(tr.xline[0] * tr.xline[0] + tr.xline[1] * tr.xline[1]);
        double rr = sqrt(rho * rho + tr.xline[2] * tr.xline[2]);
        fprintf(stderr,
                "[lockwood] traced from %.3f deg poleward of the boundary: d = %.2f R_E, |B|min %.3f nT at r = %.2f R_E "
                "(null ring %.2f), z = %.2f; L_i/L' = %.5f (symmetry %.5f; sqrt(50 nT/B_s) would give %.5f)\n",
                (th_pc - th) / CR_DEG, tr.d, tr.bmin, rr, r_n, tr.xline[2], tr.mapping, r_s * sin(th) / rho,
                sqrt(50.0 / (b_e * sqrt(1 + 3 * cos(th) * cos(th)) / (r_s * r_s * r_s))));
        /* the X-line is the null ring: within 1 R_E (the line passes the null at a
         * distance that shrinks with the offset from the boundary) */
        cr_assert(fabs(rr - r_n) < 1.0 && fabs(tr.xline[2]) < 1.0, "X-line at r %g z %g", rr, tr.xline[2]);
        cr_assert_lt(tr.bmin, 0.5 * b0, "a |B| minimum near the null, %g nT", tr.bmin);
        /* the field-line length is at least the straight distance to the X-line */
        double dx = sqrt((tr.xline[0] - x[0]) * (tr.xline[0] - x[0]) + (tr.xline[2] - x[2]) * (tr.xline[2] - x[2]));
        cr_assert(tr.d >= dx && tr.d < 2 * dx, "d %g vs straight distance %g", tr.d, dx);
        /* mapping: axial symmetry, to the tracer's accuracy */
        cr_assert(fabs(tr.mapping / (r_s * sin(th) / rho) - 1) < 1e-4, "L_i/L' %g vs %g", tr.mapping,
                  r_s * sin(th) / rho);
    }
    cr_fieldline_release(fl);
    cr_field_release(f);
}

/* The rate command with d and the mapping traced from the youngest field
 * lines of the pass (dipole + 5 nT field: the satellite near the polar-cap
 * boundary is on lines passing the null ring, 15-40 R_E away; L_i/L' between
 * the symmetry values for the null ring and for 3 r_n); one value for the
 * pass; with trace_field = mhd and no mhd.h5 the command stops with a
 * configuration error. */
Test(lockwood, rate_with_traced_d_and_mapping)
{
    char dir[1024], path[2048];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/traced.spectrogram.nc", dir);
    struct synth_inp p = steady_inp(SYNTH_DMSP);
    p.mlat_ocb = 72.6; /* near the 5 nT polar-cap boundary at 840 km */
    cr_assert_eq(synth_write(path, &p, NULL), 0);
    cr_assert_eq(run_rate(dir, "[rate]\nd_source = traced\nmapping = traced\ntrace_field = dipole_uniform\n"), CR_OK);
    snprintf(path, sizeof path, "%s/traced.rate.nc", dir);
    int ncid, dim, id;
    size_t n;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &ncid), NC_NOERR);
    nc_inq_dimid(ncid, "time", &dim);
    nc_inq_dimlen(ncid, dim, &n);
    double *d = get_var(ncid, "d", (int)n), *map = get_var(ncid, "mapping_ratio", (int)n);
    int *flag = calloc(n, sizeof *flag);
    nc_inq_varid(ncid, "flag", &id);
    nc_get_var_int(ncid, id, flag);
    nc_close(ncid);
    int k = 0;
    double dmin = 1e9, dmax = 0;
    for (size_t i = 0; i < n; i++) {
        if (!usable_flag(flag[i])) continue;
        k++;
        dmin = CR_MIN(dmin, d[i]), dmax = CR_MAX(dmax, d[i]);
        cr_assert(d[i] > 15 && d[i] < 40, "d %g R_E", d[i]);
        double rs = 1.0 + 840.0 / CR_RE_KM, rn = cbrt(30000.0 / 5.0);
        cr_assert(map[i] > rs * 0.2 / (3 * rn) && map[i] < rs * 0.4 / rn, "L_i/L' %g", map[i]);
    }
    fprintf(stderr, "[lockwood] traced d for the pass: %.3f R_E (%d estimates)\n", dmin, k);
    cr_assert_gt(k, 40);
    cr_assert_eq(dmin, dmax, "one d for the pass");
    free(d), free(map), free(flag);
    cr_assert_eq(run_rate(dir, "[rate]\nd_source = traced\n"), CR_ECONFIG, "trace_field = mhd needs mhd.h5");
    helper_rm_rf(dir);
}
