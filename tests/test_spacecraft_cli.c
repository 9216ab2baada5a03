/* test_spacecraft_cli.c — `cusprate fly` end to end on a synthetic
 * particles.h5: the spectrogram file's layout, units and attributes, the
 * TRACERS pair, instruments by name and inline, and clear errors (exit
 * status 2, the offending key named, nothing written) for bad flyby files. */
#include <criterion/criterion.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_units.h"
#include "../spacecraft/cr_pset.h"
#include "../spacecraft/cr_synth.h"
#include "cf_check.h"
#include "helpers.h"

static struct cr_log quiet = {.level = CR_LEVEL_ERROR};

/* A run folder with a synthetic particles.h5: Maxwellian on MLat 72-78 north,
 * MLT 11-13, t = 100-160 s, 590 km. */
static void make_run(char *dir, size_t n)
{
    cr_assert_eq(helper_tmpdir(dir, n), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/particles.h5", dir);
    struct cr_synth_inp si = {.density_cc = 1, .temperature_ev = 300, .e_min = 5, .e_max = 40000, .t0 = 100, .t1 = 160,
                              .mlat_min = 72, .mlat_max = 78, .mlt_min = 11, .mlt_max = 13, .altitude_km = 590,
                              .n = 20000, .direction = CR_SYNTH_DOWN, .seed = 3};
    struct cr_pset *p;
    cr_assert_eq(cr_synth_maxwellian(&si, &p), CR_OK);
    cr_assert_eq(cr_pset_write(p, path, "synthetic Maxwellian, flux weighted", NULL, &quiet), CR_OK);
    cr_pset_release(p);
}

/* Write <dir>/<name>.ini: a TRACERS-like pass through the synthetic cusp
 * plus `extra` lines (appended to [flyby] unless they open a section). */
static void write_flyby(const char *dir, const char *name, const char *extra)
{
    char path[600], text[4096];
    snprintf(path, sizeof path, "%s/%s.ini", dir, name);
    snprintf(text, sizeof text,
             "[run]\ndir = .\n\n[flyby]\ninstrument_dir = %s/runs/instruments\nhemisphere = north\nmlt = 12\n"
             "mlt_width = 1\nstart_mlat = 73\nend_mlat = 77\nstep_mlat = 0.25\nbin_mlat = 0.5\nstep_time = 1.8\n"
             "launch_time = 110\n%s\n",
             helper_root(), extra);
    helper_write_file(path, text);
}

static int fly_with(const char *dir, const char *name, const char *overrides, char *out, size_t n)
{
    char args[2048];
    snprintf(args, sizeof args, "fly %s/%s.ini %s", dir, name, overrides);
    return helper_run_cli(args, out, n);
}

static int fly(const char *dir, const char *name, char *out, size_t n)
{
    char args[1024];
    snprintf(args, sizeof args, "fly %s/%s.ini", dir, name);
    return helper_run_cli(args, out, n);
}

static double att_d(int nc, const char *name)
{
    double v = NAN;
    cr_assert_eq(nc_get_att_double(nc, NC_GLOBAL, name, &v), NC_NOERR, "attribute %s", name);
    return v;
}

static void att_s(int nc, int var, const char *name, char *buf, size_t n)
{
    size_t len = 0;
    cr_assert_eq(nc_inq_attlen(nc, var, name, &len), NC_NOERR, "attribute %s", name);
    cr_assert(len < n);
    cr_assert_eq(nc_get_att_text(nc, var, name, buf), NC_NOERR);
    buf[len] = '\0';
}

Test(spacecraft_cli, tracers_pair_spectrogram_file)
{
    char dir[256], out[16384], path[600];
    make_run(dir, sizeof dir);
    write_flyby(dir, "pass", "instrument = tracers_aci\npair_separation = 30\nwindow = 10\n");
    int rc = fly(dir, "pass", out, sizeof out);
    cr_assert_eq(rc, 0, "fly failed: %s", out);
    snprintf(path, sizeof path, "%s/pass.spectrogram.nc", dir);
    int nc, nc2;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR, "%s missing: %s", path, out);
    snprintf(path, sizeof path, "%s/pass.sc2.spectrogram.nc", dir);
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc2), NC_NOERR, "trailing spacecraft file missing");
    CF_ASSERT_FILE(path);
    snprintf(path, sizeof path, "%s/pass.spectrogram.nc", dir);
    CF_ASSERT_FILE(path);
    /* dimensions */
    int dt, de, db;
    size_t nt, ne, nb;
    cr_assert_eq(nc_inq_dimid(nc, "time", &dt), NC_NOERR);
    cr_assert_eq(nc_inq_dimid(nc, "energy", &de), NC_NOERR);
    cr_assert_eq(nc_inq_dimid(nc, "bnds", &db), NC_NOERR);
    nc_inq_dimlen(nc, dt, &nt);
    nc_inq_dimlen(nc, de, &ne);
    nc_inq_dimlen(nc, db, &nb);
    cr_assert_eq(nt, 17, "73 -> 77 deg in 0.25 deg steps");
    cr_assert_eq(ne, 47);
    cr_assert_eq(nb, 2);
    /* every variable of docs/formats.md with its unit */
    const char *vars[][2] = {{"time", "seconds since 2000-01-01T00:00:00Z"}, {"mlat", "degree"}, {"mlt", "h"},
                             {"altitude", "km"}, {"x", "6371200 m"}, {"y", "6371200 m"}, {"z", "6371200 m"}, {"energy", "eV"}, {"energy_bnds", "eV"},
                             {"geometric_factor", "cm^2 sr eV/eV"}, {"counts", "s^-1"},
                             {"diff_energy_flux", "eV cm^-2 s^-1 sr^-1 eV^-1"},
                             {"diff_number_flux", "cm^-2 s^-1 sr^-1 eV^-1"}};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        int v;
        char units[128];
        cr_assert_eq(nc_inq_varid(nc, vars[i][0], &v), NC_NOERR, "variable %s", vars[i][0]);
        att_s(nc, v, "units", units, sizeof units);
        cr_assert_str_eq(units, vars[i][1], "%s units", vars[i][0]);
    }
    int ve, vt, vt2, vm, vd, vc, vg, vmac;
    char buf[32768]; /* the global "config" attribute holds the whole resolved configuration */
    nc_inq_varid(nc, "energy", &ve);
    att_s(nc, ve, "bounds", buf, sizeof buf);
    cr_assert_str_eq(buf, "energy_bnds");
    att_s(nc, NC_GLOBAL, "Conventions", buf, sizeof buf);
    cr_assert_str_eq(buf, "CF-1.8");
    att_s(nc, NC_GLOBAL, "instrument", buf, sizeof buf);
    cr_assert_str_eq(buf, "tracers_aci");
    att_s(nc, NC_GLOBAL, "hemisphere", buf, sizeof buf);
    cr_assert_str_eq(buf, "north");
    att_s(nc, NC_GLOBAL, "config", buf, sizeof buf);
    cr_assert(strstr(buf, "[flyby]"), "resolved configuration recorded");
    att_s(nc, NC_GLOBAL, "instrument_config", buf, sizeof buf);
    cr_assert(strstr(buf, "accumulation_time = 0.312"), "%s", buf);
    cr_assert_float_eq(att_d(nc, "accumulation_time"), 0.312, 1e-15);
    cr_assert_float_eq(att_d(nc, "altitude_km"), 590, 1e-9, "altitude from particles.h5");
    cr_assert_float_eq(att_d(nc, "track_angle_deg"), 0, 0);
    cr_assert_float_eq(att_d(nc, "step_time_s"), 1.8, 1e-12);
    cr_assert_float_eq(att_d(nc, "speed_km_s"), 0.25 * CR_DEG * (CR_RE_KM + 590) / 1.8, 1e-9);
    /* the pair: same track 30 s later */
    double t1[17], t2[17], m1[17], m2[17];
    nc_inq_varid(nc, "time", &vt);
    nc_inq_varid(nc2, "time", &vt2);
    nc_get_var_double(nc, vt, t1);
    nc_get_var_double(nc2, vt2, t2);
    nc_inq_varid(nc, "mlat", &vm);
    nc_get_var_double(nc, vm, m1);
    nc_inq_varid(nc2, "mlat", &vm);
    nc_get_var_double(nc2, vm, m2);
    for (int k = 0; k < 17; k++) {
        cr_assert_float_eq(t1[k], 110 + 1.8 * k, 1e-9);
        cr_assert_float_eq(t2[k], t1[k] + 30, 1e-9);
        cr_assert_float_eq(m1[k], m2[k], 0);
        cr_assert_float_eq(m1[k], 73 + 0.25 * k, 1e-12);
    }
    /* fluxes are finite and the counts follow C = F G */
    static double def[17 * 47], cnt[17 * 47], gf[47];
    static int mac[17 * 47];
    nc_inq_varid(nc, "diff_energy_flux", &vd);
    nc_inq_varid(nc, "counts", &vc);
    nc_inq_varid(nc, "geometric_factor", &vg);
    nc_inq_varid(nc, "macro_particles", &vmac);
    nc_get_var_double(nc, vd, def);
    nc_get_var_double(nc, vc, cnt);
    nc_get_var_double(nc, vg, gf);
    nc_get_var_int(nc, vmac, mac);
    long used = 0;
    for (int i = 0; i < 17 * 47; i++) {
        cr_assert(isfinite(def[i]) && def[i] >= 0);
        cr_assert_float_eq(cnt[i], def[i] * gf[i % 47], 1e-12 * cnt[i]);
        used += mac[i];
    }
    cr_assert(used > 1000, "particles counted: %ld", used);
    nc_close(nc);
    nc_close(nc2);
    helper_rm_rf(dir);
}

/* Inline [instrument] keys override the instrument file's; doubling the
 * geometric factor doubles the written counts and leaves the flux. */
Test(spacecraft_cli, inline_instrument_overrides_file)
{
    char dir[256], out[16384], path[600];
    make_run(dir, sizeof dir);
    write_flyby(dir, "a", "instrument = dmsp_ssj\nname = a\nwindow = 10\n");
    write_flyby(dir, "b",
                "instrument = dmsp_ssj\nname = b\nwindow = 10\n[instrument]\ngeometric_factor = 6e-4\n"
                "accumulation_time = 0.5\nlook = precipitating\nnoise = false\nseed = 9\n");
    cr_assert_eq(fly(dir, "a", out, sizeof out), 0, "%s", out);
    cr_assert_eq(fly(dir, "b", out, sizeof out), 0, "%s", out);
    static double ca[17 * 19], cb[17 * 19], fa[17 * 19], fb[17 * 19];
    const char *names[] = {"a", "b"};
    double *c[] = {ca, cb}, *f[] = {fa, fb};
    for (int i = 0; i < 2; i++) {
        int nc, v;
        snprintf(path, sizeof path, "%s/%s.spectrogram.nc", dir, names[i]);
        cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
        nc_inq_varid(nc, "counts", &v);
        nc_get_var_double(nc, v, c[i]);
        nc_inq_varid(nc, "diff_energy_flux", &v);
        nc_get_var_double(nc, v, f[i]);
        /* scalar inline keys (real, integer) override the file's too */
        cr_assert_float_eq(att_d(nc, "accumulation_time"), i ? 0.5 : 1.0, 0);
        cr_assert_float_eq(att_d(nc, "noise_seed"), i ? 9 : 1, 0);
        nc_close(nc);
    }
    int nonzero = 0;
    for (int i = 0; i < 17 * 19; i++) {
        cr_assert_float_eq(cb[i], 2 * ca[i], 1e-12 * ca[i]);
        cr_assert_float_eq(fb[i], fa[i], 1e-12 * fa[i]);
        nonzero += ca[i] > 0;
    }
    cr_assert(nonzero > 50);
    helper_rm_rf(dir);
}

/* Bad flyby files: exit status 2, a message naming the key, no output.
 * `overrides` change keys of the base file on the command line. */
static void expect_error(const char *dir, const char *extra, const char *overrides, const char *want1,
                         const char *want2)
{
    char out[16384], path[600];
    write_flyby(dir, "bad", extra);
    int rc = fly_with(dir, "bad", overrides, out, sizeof out);
    cr_assert_eq(rc, 2, "expected exit status 2 for:\n%s %s\ngot %d: %s", extra, overrides, rc, out);
    cr_assert(strstr(out, want1), "message lacks '%s': %s", want1, out);
    if (want2) cr_assert(strstr(out, want2), "message lacks '%s': %s", want2, out);
    cr_assert(!strstr(out, "given twice"), "%s", out);
    snprintf(path, sizeof path, "%s/bad.spectrogram.nc", dir);
    cr_assert(!cr_file_exists(path), "no output on error");
}

Test(spacecraft_cli, bad_flyby_files)
{
    const char *ssj = "instrument = dmsp_ssj\n";
    char d[256];
    make_run(d, sizeof d);
    /* the pass lies outside the collection region (72-78 deg) */
    expect_error(d, ssj, "flyby.start_mlat=50 flyby.end_mlat=60", "flyby.start_mlat", "collection region");
    expect_error(d, ssj, "flyby.step_time=0 flyby.speed_km_s=0", "flyby.speed_km_s", NULL);
    expect_error(d, "instrument = hubble_wfc3\n", "", "flyby.instrument", "tracers_aci");
    expect_error(d, ssj, "flyby.launch_time=5000", "flyby.launch_time", NULL);
    expect_error(d, ssj, "flyby.hemisphere=south", "flyby.hemisphere", NULL);
    expect_error(d, ssj, "flyby.mlt=0", "flyby.mlt", NULL);
    expect_error(d, "instrument = dmsp_ssj\nparticles = nowhere/particles.h5\n", "", "particles.h5", "not found");
    expect_error(d, "", "", "no instrument", "flyby.instrument");
    expect_error(d, "instrument = tracers_aci\n[instrument]\nenergies = 10, 20, 30\n", "", "instrument.energy_log",
                 "instrument.energies");
    expect_error(d, "instrument = dmsp_ssj\n[instrument]\ngeometric_factor = 1e-4, 2e-4\n", "",
                 "instrument.geometric_factor", NULL);
    expect_error(d, "instrument = dmsp_ssj\nbogus_key = 1\n", "", "flyby.bogus_key", NULL);
    expect_error(d, "instrument = dmsp_ssj\nperiod_min = 100\n", "", "flyby.period_min", "flyby.step_time");
    expect_error(d, ssj, "flyby.bin_mlat=0", "flyby.bin_mlat", NULL);
    helper_rm_rf(d);
}

/* A particle file with no collected particle gives a documented empty
 * spectrogram (all zeros) and a warning, not an error. */
Test(spacecraft_cli, empty_particle_file)
{
    char dir[256], out[16384], path[600];
    cr_assert_eq(helper_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/particles.h5", dir);
    struct cr_pset *p = cr_pset_new(0);
    p->altitude_km = 590;
    cr_assert_eq(cr_pset_write(p, path, "none", NULL, &quiet), CR_OK);
    cr_pset_release(p);
    write_flyby(dir, "empty", "instrument = dmsp_ssj\n");
    cr_assert_eq(fly(dir, "empty", out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "empty"), "warning expected: %s", out);
    snprintf(path, sizeof path, "%s/empty.spectrogram.nc", dir);
    int nc, v;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    static double c[17 * 19];
    nc_inq_varid(nc, "counts", &v);
    nc_get_var_double(nc, v, c);
    for (int i = 0; i < 17 * 19; i++) cr_assert_eq(c[i], 0.0);
    nc_close(nc);
    helper_rm_rf(dir);
}

/* The run folder: flyby.run (relative to the flyby file) when standalone;
 * the caller's folder when the pipeline passes one, whatever flyby.run says. */
int cr_cmd_fly(struct cr_cmd_ctx *ctx);
Test(spacecraft_cli, run_folder_resolution)
{
    char dir[256], other[256], out[16384], path[1200], text[2048];
    make_run(dir, sizeof dir);
    cr_assert_eq(helper_tmpdir(other, sizeof other), 0);
    /* standalone: the flyby file lives elsewhere and names the run folder */
    snprintf(path, sizeof path, "%s/f.ini", other);
    snprintf(text, sizeof text,
             "[flyby]\nrun = %s\ninstrument = dmsp_ssj\ninstrument_dir = %s/runs/instruments\nstart_mlat = 73\n"
             "end_mlat = 77\nstep_time = 1.8\nlaunch_time = 110\n",
             dir, helper_root());
    helper_write_file(path, text);
    cr_assert_eq(helper_run_cli(strcat(strcpy(text, "fly "), path), out, sizeof out), 0, "%s", out);
    snprintf(path, sizeof path, "%s/f.spectrogram.nc", dir);
    cr_assert(cr_file_exists(path), "spectrogram written into flyby.run: %s", out);
    /* pipeline-like caller: its run folder wins over flyby.run */
    snprintf(path, sizeof path, "%s/g.ini", other);
    snprintf(text, sizeof text,
             "[flyby]\nrun = nowhere\ninstrument = dmsp_ssj\ninstrument_dir = %s/runs/instruments\nstart_mlat = 73\n"
             "end_mlat = 77\nstep_time = 1.8\nlaunch_time = 110\n",
             helper_root());
    helper_write_file(path, text);
    struct cr_config *cfg = cr_config_new_all(&quiet);
    cr_assert_eq(cr_config_load(cfg, path), CR_OK);
    struct cr_cmd_ctx ctx = {.cfg = cfg, .log = &quiet, .ini_path = path};
    snprintf(ctx.run_dir, sizeof ctx.run_dir, "%s", dir);
    cr_assert_eq(cr_cmd_fly(&ctx), CR_OK);
    cr_config_release(cfg);
    snprintf(path, sizeof path, "%s/g.spectrogram.nc", dir);
    cr_assert(cr_file_exists(path), "spectrogram written into the caller's run folder");
    helper_rm_rf(dir);
    helper_rm_rf(other);
}

/* The shipped flyby and instrument files are valid configurations. */
Test(spacecraft_cli, shipped_files_validate)
{
    const char *files[] = {"runs/flyby_tracers.ini", "runs/flyby_tracers_pair.ini", "runs/flyby_dmsp.ini",
                           "runs/flyby_polar_orbit.ini"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char args[1024], out[65536];
        snprintf(args, sizeof args, "config %s/%s", helper_root(), files[i]);
        cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s: %s", files[i], out);
    }
}

/* tools/plot_spectrogram.py draws the file (skipped without matplotlib/netCDF4). */
Test(spacecraft_cli, plot_tool)
{
    if (system("/usr/bin/python3 -c 'import matplotlib, netCDF4' >/dev/null 2>&1") != 0)
        cr_skip_test("python3 with matplotlib and netCDF4 not available");
    char dir[256], out[16384], cmd[2048], png[600];
    make_run(dir, sizeof dir);
    write_flyby(dir, "p", "instrument = tracers_aci\n");
    cr_assert_eq(fly(dir, "p", out, sizeof out), 0, "%s", out);
    snprintf(png, sizeof png, "%s/p.png", dir);
    snprintf(cmd, sizeof cmd, "MPLBACKEND=Agg /usr/bin/python3 %s/tools/plot_spectrogram.py %s/p.spectrogram.nc -o %s "
                              ">/dev/null 2>&1", helper_root(), dir, png);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    cr_assert(cr_file_exists(png));
    helper_rm_rf(dir);
}

/* The pipeline's fly stage: one flyby file flown in two MLT sectors at the
 * run's launch time ([pipeline] mlt_sectors, launch_time), named
 * <flyby>_mlt<centre>; a second run finds both up to date. */
Test(spacecraft_cli, pipeline_flies_each_sector)
{
    char dir[512], out[1 << 15], args[2048], path[700];
    make_run(dir, sizeof dir);
    write_flyby(dir, "pass", "instrument = tracers_aci");
    snprintf(path, sizeof path, "%s/run.ini", dir);
    helper_write_file(path, "[run]\ndir = .\n[pipeline]\nstages = fly\nflybys = pass.ini\nmlt_sectors = 11.5, 12.5\n"
                            "launch_time = 120\n");
    snprintf(args, sizeof args, "pipeline %s/run.ini", dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "fly pass_mlt11.5"), "%s", out);
    cr_assert(strstr(out, "fly pass_mlt12.5"), "%s", out);
    const double centre[2] = {11.5, 12.5};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/pass_mlt%g.spectrogram.nc", dir, centre[k]);
        int nc, vt, vm, dt;
        size_t nt;
        cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR, "%s missing: %s", path, out);
        cr_assert_eq(nc_inq_dimid(nc, "time", &dt), NC_NOERR);
        nc_inq_dimlen(nc, dt, &nt);
        cr_assert_gt(nt, 1);
        double *t = malloc(nt * sizeof *t), *m = malloc(nt * sizeof *m);
        cr_assert_eq(nc_inq_varid(nc, "time", &vt), NC_NOERR);
        cr_assert_eq(nc_inq_varid(nc, "mlt", &vm), NC_NOERR);
        cr_assert_eq(nc_get_var_double(nc, vt, t), NC_NOERR);
        cr_assert_eq(nc_get_var_double(nc, vm, m), NC_NOERR);
        /* the run's launch time (the flyby file says 110 s), the sector's MLT */
        cr_assert(t[0] >= 120.0 && t[0] < 122.0, "first sample at %g s", t[0]);
        for (size_t i = 0; i < nt; i++) cr_assert(fabs(m[i] - centre[k]) < 1e-9, "MLT %g", m[i]);
        free(t), free(m);
        nc_close(nc);
    }
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "fly pass_mlt12.5                 up to date"), "%s", out);
    /* a command-line override reaches the fly stage (over the run and flyby files) and reruns it */
    snprintf(args, sizeof args, "pipeline %s/run.ini flyby.bin_mlat=1", dir);
    cr_assert_eq(helper_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "fly pass_mlt12.5                 ran"), "%s", out);
    snprintf(path, sizeof path, "%s/pass_mlt12.5.spectrogram.nc", dir);
    int nc;
    double bin = 0;
    cr_assert_eq(nc_open(path, NC_NOWRITE, &nc), NC_NOERR);
    cr_assert_eq(nc_get_att_double(nc, NC_GLOBAL, "bin_mlat_deg", &bin), NC_NOERR);
    nc_close(nc);
    cr_assert_eq(bin, 1.0, "bin_mlat_deg %g: the override did not reach the fly stage", bin);
    helper_rm_rf(dir);
}
