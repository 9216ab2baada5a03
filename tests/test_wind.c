/* test_wind.c — the solar-wind driver (magnetosphere/cr_wind.h): round trips of our
 * text format and of GAMERA's bcwind.h5, interpolation exact for
 * piecewise-linear input, the planar-front delay, ramps of the idealized
 * GEM-2009 driver as specified, the `cusprate wind` command, and bad files
 * (missing column, non-monotonic time, NaN, wrong unit) reported as
 * CR_ECONFIG with file:line. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_config.h"
#include "../core/cr_h5.h"
#include "../core/cr_units.h"
#include "../magnetosphere/cr_wind.h"
#include "helpers.h"

static struct cr_log quiet = {.level = CR_LEVEL_ERROR, .no_timestamps = 1};

/* A small series with values that have no short decimal form. */
static struct cr_wind *awkward_series(void)
{
    struct cr_wind_sample s[5];
    for (int k = 0; k < 5; k++) {
        s[k] = (struct cr_wind_sample){.t = 0.1 * k + (k > 2 ? 1e4 / 3.0 : 0.0),
                                       .n = 5.0 + 1.0 / 3.0 * k,
                                       .v = {-400.123456789 - k, 0.1 * k, -1e-7 * k},
                                       .temp = 1e5 * (1 + 0.01 * k),
                                       .b = {1.0 / 7.0, -2.0 / 3.0 * k, -5.0 + 0.3 * k}};
    }
    struct cr_wind_inp inp = {.n = 5, .samples = s, .source = "test", .log = &quiet};
    struct cr_wind *w = cr_wind_new(&inp);
    cr_assert_not_null(w);
    return w;
}

Test(wind, text_round_trip_is_exact)
{
    char dir[512], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/w.txt", dir);
    struct cr_wind *w = awkward_series();
    cr_assert_eq(cr_wind_write_text(w, path, NULL, &quiet), CR_OK);
    struct cr_wind *r = NULL;
    cr_assert_eq(cr_wind_load(path, &quiet, &r), CR_OK);
    cr_assert_eq(cr_wind_size(r), cr_wind_size(w));
    /* the writer prints the shortest text that reads back to the same double: equality is exact */
    cr_assert_eq(memcmp(cr_wind_samples(r), cr_wind_samples(w), 5 * sizeof(struct cr_wind_sample)), 0);
    cr_wind_release(w);
    cr_wind_release(r);
    helper_rm_rf(dir);
}

Test(wind, bcwind_round_trip_and_layout)
{
    char dir[512], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/bcwind.h5", dir);
    struct cr_wind *w = awkward_series();
    cr_assert_eq(cr_wind_write_bcwind(w, path, NULL, &quiet), CR_OK);
    struct cr_wind *r = NULL;
    cr_assert_eq(cr_wind_load(path, &quiet, &r), CR_OK, "HDF5 detected by its signature");
    cr_assert_eq(cr_wind_size(r), 5);
    const struct cr_wind_sample *a = cr_wind_samples(w), *b = cr_wind_samples(r);
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(a[k].t, b[k].t);
        cr_assert_eq(a[k].n, b[k].n);
        cr_assert_eq(a[k].temp, b[k].temp);
        for (int c = 0; c < 3; c++) {
            /* V goes through km/s -> m/s -> km/s: two roundings, 2 ulp */
            cr_assert_float_eq(a[k].v[c], b[k].v[c], 4.5e-16 * fabs(a[k].v[c]));
            cr_assert_eq(a[k].b[c], b[k].b[c]);
        }
    }
    /* GAMERA's layout: velocities in m/s, and units on every dataset */
    hid_t f = cr_h5_open_read(path, &quiet);
    double vx[5];
    cr_assert_eq(cr_h5_read_doubles(f, "Vx", vx, 5, path, &quiet), CR_OK);
    cr_assert_float_eq(vx[0], -400123.456789, 1e-6);
    char u[32];
    cr_assert_eq(cr_h5_read_attr_string(f, "Vx", "Units", u, sizeof u), 0);
    cr_assert_str_eq(u, "m/s");
    cr_assert_eq(cr_h5_read_attr_string(f, "D", "units", u, sizeof u), 0);
    cr_assert_str_eq(u, "#/cc");
    const char *extra[] = {"tilt", "symh", "f10.7", "MJD", "Bx0", "ByC", "BzC"};
    for (int k = 0; k < 7; k++) cr_assert_gt(H5Lexists(f, extra[k], H5P_DEFAULT), 0, "%s", extra[k]);
    H5Fclose(f);
    cr_wind_release(w);
    cr_wind_release(r);
    helper_rm_rf(dir);
}

/* Linear interpolation reproduces a piecewise-linear history exactly at any
 * time (to the rounding of a + f (b - a), a few ulp) and holds the end
 * values outside it. */
Test(wind, interpolation_exact_for_piecewise_linear_input)
{
    const double tk[4] = {0, 100, 250, 1000}, bz[4] = {2, -5, -5, -20}, nk[4] = {5, 6, 4, 4};
    struct cr_wind_sample s[4];
    for (int k = 0; k < 4; k++)
        s[k] = (struct cr_wind_sample){.t = tk[k], .n = nk[k], .v = {-400 - k * 10.0, 0, 0}, .temp = 1e5,
                                       .b = {0, 0, bz[k]}};
    struct cr_wind_inp inp = {.n = 4, .samples = s, .log = &quiet};
    struct cr_wind *w = cr_wind_new(&inp);
    cr_assert_not_null(w);
    for (int q = 0; q <= 400; q++) {
        double t = -50 + q * 2.8;
        int k = t <= 0 ? 0 : t >= 1000 ? 2 : (t < 100 ? 0 : t < 250 ? 1 : 2);
        double f = t <= 0 ? 0 : t >= 1000 ? 1 : (t - tk[k]) / (tk[k + 1] - tk[k]);
        double ebz = bz[k] + f * (bz[k + 1] - bz[k]), en = nk[k] + f * (nk[k + 1] - nk[k]);
        struct cr_wind_sample o;
        cr_wind_eval(w, t, &o);
        cr_assert_float_eq(o.b[2], ebz, 4e-15 * 20, "t = %g", t);
        cr_assert_float_eq(o.n, en, 4e-15 * 6, "t = %g", t);
        cr_assert_eq(o.t, t);
    }
    cr_wind_release(w);
}

/* Planar front: a ramp in Bz that starts at the boundary at t0 starts at x
 * at t0 + (x_bc - x) R_E / |Vx|. */
Test(wind, planar_front_delay)
{
    struct cr_wind_sample s[3] = {
        {.t = 0, .n = 5, .v = {-400, 0, 0}, .temp = 1e5, .b = {0, 0, 0}},
        {.t = 600, .n = 5, .v = {-400, 0, 0}, .temp = 1e5, .b = {0, 0, 0}},
        {.t = 1200, .n = 5, .v = {-400, 0, 0}, .temp = 1e5, .b = {0, 0, -5}},
    };
    struct cr_wind_inp inp = {.n = 3, .samples = s, .log = &quiet};
    struct cr_wind *w = cr_wind_new(&inp);
    double x_bc = 30, x = 10, delay = (x_bc - x) * CR_RE_KM / 400.0; /* 318.56 s */
    struct cr_wind_sample o;
    cr_wind_eval_delayed(w, 600 + delay, x, x_bc, &o);
    cr_assert_float_eq(o.b[2], 0.0, 1e-12);
    cr_assert_float_eq(o.t, 600.0, 1e-9);
    cr_wind_eval_delayed(w, 900 + delay, x, x_bc, &o);
    cr_assert_float_eq(o.b[2], -2.5, 1e-12);
    cr_wind_eval_delayed(w, 900, x_bc, x_bc, &o); /* at the boundary: no delay */
    cr_assert_float_eq(o.b[2], -2.5, 1e-12);
    cr_wind_release(w);
}

static struct cr_config *wind_cfg(const char *ini)
{
    const struct cr_key *tabs[] = {cr_wind_keys};
    struct cr_config *cfg = cr_config_new(tabs, 1, &quiet);
    cr_assert_not_null(cfg);
    if (ini) cr_assert_eq(cr_config_load_string(cfg, ini, "test.ini"), CR_OK);
    return cfg;
}

/* Defaults: GEM-2009 baseline after a 3600 s zero-IMF spin-up and a 600 s
 * ramp (REFERENCES.md section 1). */
Test(wind, ideal_default_is_gem_baseline_with_ramp)
{
    struct cr_config *cfg = wind_cfg(NULL);
    struct cr_wind_ideal p;
    cr_wind_ideal_from_config(cfg, &p);
    struct cr_wind *w = cr_wind_ideal_new(&p, &quiet);
    cr_assert_not_null(w);
    struct cr_wind_sample o;
    cr_wind_eval(w, 7000, &o);
    cr_assert_eq(o.n, 5.0);
    cr_assert_eq(o.v[0], -400.0);
    cr_assert_eq(o.temp, 1e5);
    cr_assert_eq(o.b[2], -5.0);
    cr_assert_float_eq(cr_wind_pdyn_npa(&o), 1.338, 5e-4, "P_dyn %.4f nPa", cr_wind_pdyn_npa(&o));
    const double t[6] = {0, 1800, 3600, 3750, 3900, 4200}, e[6] = {0, 0, 0, -1.25, -2.5, -5};
    for (int k = 0; k < 6; k++) {
        cr_wind_eval(w, t[k], &o);
        cr_assert_float_eq(o.b[2], e[k], 1e-12, "Bz(%g) = %g, expected %g", t[k], o.b[2], e[k]);
    }
    cr_assert_eq(cr_wind_t_last(w), 14400.0);
    /* the ramp corners are samples of the series */
    int c1 = 0, c2 = 0;
    for (size_t k = 0; k < cr_wind_size(w); k++) {
        c1 |= cr_wind_samples(w)[k].t == 3600.0;
        c2 |= cr_wind_samples(w)[k].t == 4200.0;
    }
    cr_assert(c1 && c2);
    cr_wind_release(w);
    cr_config_release(cfg);
}

/* Northward spin-up, GEM-2009 steps -10, -20 nT each after 2 h with 10 min
 * ramps, and corners off the sample cadence. */
Test(wind, ideal_steps_and_northward_spinup)
{
    struct cr_config *cfg = wind_cfg("[wind]\nspinup_time = 1000\nspinup_bz = 5\nramp_time = 300\nbz = -5\n"
                                     "bz_steps = -10, -20\nstep_time = 7200\nduration = 20000\ndt = 77\n");
    struct cr_wind_ideal p;
    cr_wind_ideal_from_config(cfg, &p);
    struct cr_wind *w = cr_wind_ideal_new(&p, &quiet);
    cr_assert_not_null(w);
    /* corners: 1000 (5), 1300 (-5), 8500 (-5), 8800 (-10), 16000 (-10), 16300 (-20) */
    const double t[9] = {500, 1000, 1150, 1300, 8500, 8650, 8800, 16150, 19999},
                 e[9] = {5, 5, 0, -5, -5, -7.5, -10, -15, -20};
    struct cr_wind_sample o;
    for (int k = 0; k < 9; k++) {
        cr_wind_eval(w, t[k], &o);
        cr_assert_float_eq(o.b[2], e[k], 1e-12, "Bz(%g) = %g, expected %g", t[k], o.b[2], e[k]);
    }
    cr_wind_release(w);
    cr_config_release(cfg);
}

/* The thermal pressure follows GAMERA's convention P = n k_B T: its default
 * 1.4493e5 K at 5 cm^-3 is "0.01 nPa" (kaiju's wind generator comment). */
Test(wind, thermal_pressure_convention)
{
    struct cr_wind_sample s = {.n = 5, .temp = 1.4493e5};
    cr_assert_float_eq(cr_wind_pressure_npa(&s), 0.01, 1e-5);
}

/* Run a reader on text and return its status; the log goes to buf. */
static int read_text_capture(const char *text, char *buf, size_t n, char *path, size_t np_)
{
    char dir[512];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, np_, "%s/bad.txt", dir);
    helper_write_file(path, text);
    FILE *lf = tmpfile();
    struct cr_log log = {.level = CR_LEVEL_ERROR, .stream = lf, .no_timestamps = 1};
    struct cr_wind *w = NULL;
    int rc = cr_wind_load(path, &log, &w);
    cr_assert_null(w);
    rewind(lf);
    size_t got = fread(buf, 1, n - 1, lf);
    buf[got] = '\0';
    fclose(lf);
    helper_rm_rf(dir);
    return rc;
}

Test(wind, bad_text_files_report_file_and_line)
{
    const char *hdr = "# comment\ntime[s] n[cm^-3] vx[km/s] vy[km/s] vz[km/s] T[K] bx[nT] by[nT] bz[nT]\n";
    struct {
        const char *body;
        int line;
        const char *what;
    } cases[] = {
        {"# c\ntime[s] n[cm^-3] vx[km/s] vy[km/s] vz[km/s] T[K] bx[nT] by[nT]\n0 5 -400 0 0 1e5 0 0\n", 2, "bz[nT]"},
        {"0 5 -400 0 0 1e5 0 0 0\n60 5 -400 0 0 1e5 0 0 0\n60 5 -400 0 0 1e5 0 0 -5\n", 5, "does not increase"},
        {"0 5 -400 0 0 1e5 0 0 0\n60 nan -400 0 0 1e5 0 0 0\n", 4, "not a finite"},
        {"0 5 -400 0 0 1e5 0 0 0\n60 5 -400 0 0 1e5 0 0\n", 4, "values where the header"},
        {"0 5 -400 0 0 1e5 0 0 0\n60 5 -400 0 abc 1e5 0 0 0\n", 4, "not a number"},
        {"0 -5 -400 0 0 1e5 0 0 0\n", 3, "n = -5 cm^-3 is out of range; allowed: real in (0, 10000] cm^-3 (the range of wind.n)"},
        /* every value against the range of its [wind] key, and exactly the columns of the header */
        {"0 5 -400 0 0 1e5 0 0 0\n60 5 -400 0 0 1e5 0 0 1e300\n", 4, "bz = 1.0000000000000001e+300 nT is out of range; allowed: real in [-500, 500] nT"},
        {"0 5 400 0 0 1e5 0 0 0\n", 3, "vx = 400 km/s is out of range; allowed: real in [-5000, 0) km/s"},
        {"0 5 -400 0 0 1e5 0 0 -5 7\n", 3, "10 values where the header (line 2) names 9 columns"},
    };
    char buf[2048], path[600], want[700];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s", c == 0 ? "" : hdr, cases[c].body);
        int rc = read_text_capture(text, buf, sizeof buf, path, sizeof path);
        cr_assert_eq(rc, CR_ECONFIG, "case %zu: status %d (%s)", c, rc, buf);
        snprintf(want, sizeof want, "%s:%d:", path, cases[c].line);
        cr_assert(strstr(buf, want), "case %zu: '%s' not in '%s'", c, want, buf);
        cr_assert(strstr(buf, cases[c].what), "case %zu: '%s' not in '%s'", c, cases[c].what, buf);
    }
    /* a wrong unit is named with the expected one */
    int rc = read_text_capture("time[s] n[m^-3] vx[km/s] vy[km/s] vz[km/s] T[K] bx[nT] by[nT] bz[nT]\n", buf,
                               sizeof buf, path, sizeof path);
    cr_assert_eq(rc, CR_ECONFIG);
    cr_assert(strstr(buf, ":1:") && strstr(buf, "n[cm^-3]"), "%s", buf);
}

Test(wind, bad_bcwind_reports_dataset_and_index)
{
    char dir[512], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/bcwind.h5", dir);
    const char *names[9] = {"T", "D", "Vx", "Vy", "Vz", "Temp", "Bx", "By", "Bz"};
    for (int variant = 0; variant < 3; variant++) {
        struct cr_h5 *f = cr_h5_create(path, NULL, &quiet);
        /* legal values (Vx Earthward, in m/s) except for the flaw of each variant */
        double v[4] = {0, 60, variant == 0 ? 60 : 90, 120}, one[4] = {1, 1, 1, 1}, vx[4] = {-4e5, -4e5, -4e5, -4e5};
        double bz[4] = {-5, -5, variant == 2 ? 1e300 : -5, -5};
        hsize_t d[1] = {4};
        for (int k = 0; k < 9; k++) {
            if (variant == 1 && k == 8) continue; /* no Bz */
            cr_h5_write_doubles(cr_h5_root(f), names[k], 1, d, k == 0 ? v : k == 2 ? vx : k == 8 ? bz : one, "", "",
                                &quiet);
        }
        cr_assert_eq(cr_h5_commit(f), CR_OK);
        FILE *lf = tmpfile();
        struct cr_log log = {.level = CR_LEVEL_ERROR, .stream = lf, .no_timestamps = 1};
        struct cr_wind *w = NULL;
        cr_assert_eq(cr_wind_load(path, &log, &w), CR_ECONFIG);
        char buf[1024];
        rewind(lf);
        buf[fread(buf, 1, sizeof buf - 1, lf)] = '\0';
        fclose(lf);
        if (variant == 0)
            cr_assert(strstr(buf, "T[2]") && strstr(buf, "does not increase"), "%s", buf);
        else if (variant == 1)
            cr_assert(strstr(buf, "missing dataset Bz"), "%s", buf);
        else /* Bz = 1e300 in record 2: the file, the record, the quantity and the range of wind.bz */
            cr_assert(strstr(buf, path) && strstr(buf, "record 2") &&
                          strstr(buf, "bz = 1.0000000000000001e+300 nT is out of range; allowed: real in [-500, "
                                      "500] nT (the range of wind.bz)"),
                      "%s", buf);
    }
    helper_rm_rf(dir);
}

Test(wind, cli_writes_text_and_bcwind)
{
    char dir[512], ini[600], args[1400], out[8192], p1[700], p2[700];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(ini, sizeof ini, "%s/w.ini", dir);
    helper_write_file(ini, "[run]\ndir = out\n[wind]\nbcwind = yes\nduration = 7200\nspinup_bz = 5\n");
    snprintf(args, sizeof args, "wind %s", ini);
    int st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "%s", out);
    snprintf(p1, sizeof p1, "%s/out/wind.txt", dir);
    snprintf(p2, sizeof p2, "%s/out/bcwind.h5", dir);
    struct cr_wind *a = NULL, *b = NULL;
    cr_assert_eq(cr_wind_load(p1, &quiet, &a), CR_OK);
    cr_assert_eq(cr_wind_load(p2, &quiet, &b), CR_OK);
    struct cr_wind_sample o;
    cr_wind_eval(a, 100, &o);
    cr_assert_eq(o.b[2], 5.0);
    cr_wind_eval(b, 7200, &o);
    cr_assert_eq(o.b[2], -5.0);
    cr_assert_eq(cr_wind_size(a), cr_wind_size(b));
    cr_wind_release(a);
    cr_wind_release(b);
    /* the text file records the code version and the configuration */
    FILE *f = fopen(p1, "r");
    char txt[8192];
    txt[fread(txt, 1, sizeof txt - 1, f)] = '\0';
    fclose(f);
    cr_assert(strstr(txt, "cusprate") && strstr(txt, "spinup_bz = 5"), "%s", txt);
    /* conversion of an existing driver: the bcwind.h5 just written back to text */
    char ini2[600], p3[700];
    snprintf(ini2, sizeof ini2, "%s/conv.ini", dir);
    helper_write_file(ini2, "[run]\ndir = conv\n[wind]\ndriver = out/bcwind.h5\nfile = from_h5.txt\n");
    snprintf(args, sizeof args, "wind %s", ini2);
    st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 0, "%s", out);
    snprintf(p3, sizeof p3, "%s/conv/from_h5.txt", dir);
    struct cr_wind *c = NULL;
    cr_assert_eq(cr_wind_load(p3, &quiet, &c), CR_OK);
    cr_assert_eq(cr_wind_load(p1, &quiet, &a), CR_OK);
    cr_assert_eq(cr_wind_size(c), cr_wind_size(a));
    for (size_t k = 0; k < cr_wind_size(a); k++) {
        cr_assert_eq(cr_wind_samples(c)[k].t, cr_wind_samples(a)[k].t);
        cr_assert_eq(cr_wind_samples(c)[k].b[2], cr_wind_samples(a)[k].b[2]);
        cr_assert_float_eq(cr_wind_samples(c)[k].v[0], cr_wind_samples(a)[k].v[0], 1e-12);
    }
    cr_wind_release(a);
    cr_wind_release(c);
    /* a broken driver is a configuration error naming the file and line */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    helper_write_file(bad, "time[s] n[cm^-3] vx[km/s] vy[km/s] vz[km/s] T[K] bx[nT] by[nT] bz[nT]\n0 5 -400 0 0 1e5 0 0 x\n");
    snprintf(ini2, sizeof ini2, "%s/bad.ini", dir);
    helper_write_file(ini2, "[run]\ndir = conv\n[wind]\ndriver = bad.txt\n");
    snprintf(args, sizeof args, "wind %s", ini2);
    st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 2, "%s", out);
    cr_assert(strstr(out, "bad.txt:2:"), "%s", out);
    /* a bad value is a configuration error: exit status 2 */
    snprintf(args, sizeof args, "wind %s wind.dt=-1", ini);
    st = helper_run_cli(args, out, sizeof out);
    cr_assert_eq(st, 2, "%s", out);
    helper_rm_rf(dir);
}

/* The shipped run files build the drivers they describe. */
Test(wind, shipped_run_files)
{
    const char *files[2] = {"runs/wind_gem_baseline.ini", "runs/wind_gem_steps.ini"};
    const double t_end[2] = {14100, 27600};
    for (int f = 0; f < 2; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", helper_root(), files[f]);
        struct cr_config *cfg = cr_config_new_all(&quiet);
        cr_assert_eq(cr_config_load(cfg, path), CR_OK, "%s", path);
        struct cr_wind_ideal p;
        cr_wind_ideal_from_config(cfg, &p);
        struct cr_wind *w = cr_wind_ideal_new(&p, &quiet);
        cr_assert_not_null(w);
        cr_assert_eq(cr_wind_t_last(w), t_end[f]);
        struct cr_wind_sample o;
        cr_wind_eval(w, 4200, &o);
        cr_assert_eq(o.b[2], -5.0, "%s: Bz at the end of the first ramp", files[f]);
        cr_wind_eval(w, t_end[f], &o);
        cr_assert_eq(o.b[2], f == 0 ? -5.0 : -20.0);
        cr_wind_release(w);
        cr_config_release(cfg);
    }
}

static void overwrite(const char *path, const char *name, const double *v)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    cr_assert_geq(d, 0, "%s", name);
    cr_assert_geq(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    H5Dclose(d);
    H5Fclose(f);
}

static int load_msg(const char *path, char *buf, size_t n, struct cr_wind **w)
{
    FILE *lf = tmpfile();
    struct cr_log log = {.level = CR_LEVEL_ERROR, .stream = lf, .no_timestamps = 1};
    int rc = cr_wind_load(path, &log, w);
    rewind(lf);
    buf[fread(buf, 1, n - 1, lf)] = '\0';
    fclose(lf);
    return rc;
}

/* A GAMERA driver's dipole tilt and tilted-front coefficients are physics
 * cusprate does not model: refused with the file, dataset and value (never
 * ignored). Its SYM-H, F10.7 and Kp are kept: written back to bcwind.h5 and
 * recorded in the text file. */
Test(wind, bcwind_tilt_and_front_refused_indices_kept)
{
    char dir[512], path[600], p2[600], p3[600], msg[2048];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/bcwind.h5", dir);
    struct cr_wind *w = awkward_series(), *r = NULL;
    cr_assert_eq(cr_wind_write_bcwind(w, path, NULL, &quiet), CR_OK);
    const double tilt[5] = {0, 0, 0.1, 0.1, 0}, zero[5] = {0}, bzc = 0.5, kp[5] = {1, 2.3, 4, 5.7, 9},
                 f107[5] = {70, 71.5, 72, 150, 300};
    overwrite(path, "tilt", tilt);
    cr_assert_eq(load_msg(path, msg, sizeof msg, &r), CR_ECONFIG);
    cr_assert_null(r);
    cr_assert(strstr(msg, path) && strstr(msg, "tilt[2] = 0.1") && strstr(msg, "dipole tilt"), "%s", msg);
    overwrite(path, "tilt", zero);
    overwrite(path, "BzC", &bzc);
    cr_assert_eq(load_msg(path, msg, sizeof msg, &r), CR_ECONFIG);
    cr_assert(strstr(msg, "BzC[0] = 0.5") && strstr(msg, "planar front"), "%s", msg);
    overwrite(path, "BzC", zero);
    /* indices: Kp added, F10.7 given */
    overwrite(path, "f10.7", f107);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hsize_t d5[1] = {5};
    cr_assert_eq(cr_h5_write_doubles(f, "Kp", 1, d5, kp, "1", "Kp index", &quiet), CR_OK);
    H5Fclose(f);
    cr_assert_eq(load_msg(path, msg, sizeof msg, &r), CR_OK, "%s", msg);
    snprintf(p2, sizeof p2, "%s/again.h5", dir);
    cr_assert_eq(cr_wind_write_bcwind(r, p2, NULL, &quiet), CR_OK);
    f = cr_h5_open_read(p2, &quiet);
    double got[5];
    cr_assert_eq(cr_h5_read_doubles(f, "Kp", got, 5, p2, &quiet), CR_OK, "Kp kept");
    cr_assert_eq(memcmp(got, kp, sizeof got), 0);
    cr_assert_eq(cr_h5_read_doubles(f, "f10.7", got, 5, p2, &quiet), CR_OK);
    cr_assert_eq(memcmp(got, f107, sizeof got), 0, "F10.7 kept, not replaced");
    H5Fclose(f);
    snprintf(p3, sizeof p3, "%s/wind.txt", dir);
    cr_assert_eq(cr_wind_write_text(r, p3, NULL, &quiet), CR_OK);
    FILE *t = fopen(p3, "r");
    char text[8192];
    text[fread(text, 1, sizeof text - 1, t)] = '\0';
    fclose(t);
    cr_assert(strstr(text, "f10.7[sfu] Kp[1]") && strstr(text, " 150 5.7\n"), "%s", text);
    struct cr_wind *back = NULL;
    cr_assert_eq(cr_wind_load(p3, &quiet, &back), CR_OK, "the text file still reads (extra columns ignored)");
    cr_wind_release(back);
    cr_wind_release(r);
    cr_wind_release(w);
    helper_rm_rf(dir);
}
