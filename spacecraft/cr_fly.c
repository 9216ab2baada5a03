/* cr_fly.c — `cusprate fly FLYBY.ini`: fly a virtual spacecraft (or a
 * TRACERS-like pair) through the collected particles of a run and write its
 * ion spectrogram(s); the [flyby] schema; `cusprate bench fly`.
 *
 * The instrument comes from an instrument file (runs/instruments/<name>.ini,
 * [flyby] instrument = name or path) and/or an inline [instrument] section of
 * the flyby file; inline keys override the file's.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "cr_instrument.h"
#include "cr_orbit.h"
#include "cr_pset.h"
#include "cr_spectrogram.h"
#include "cr_spectrogram_bw.h"
#include "../particles/cr_particles.h"
#include "cr_synth.h"

int cr_cmd_fly(struct cr_cmd_ctx *ctx);
int cr_bench_fly(struct cr_cmd_ctx *ctx);

const struct cr_key cr_flyby_keys[] = {
    {.section = "flyby", .name = "name", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "flyby name: output <run>/<name>.spectrogram.nc (default: the flyby file's stem)"},
    {.section = "flyby", .name = "run", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "run folder holding particles.h5 and receiving the spectrogram (used unless [run] dir is set or the "
            "pipeline gives the run)"},
    {.section = "flyby", .name = "particles", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "particles.h5 to fly through (default: <run folder>/particles.h5); outputs go next to it unless a run "
            "folder is given"},
    {.section = "flyby", .name = "instrument", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "instrument name (file <name>.ini in instrument_dir, <flyby folder>/instruments or runs/instruments) "
            "or path to an instrument file; empty: inline [instrument] only"},
    {.section = "flyby", .name = "instrument_dir", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "folder of instrument files (default: <flyby folder>/instruments, then runs/instruments)"},
    {.section = "flyby", .name = "orbit", .type = CR_KEY_CHOICE, .unit = "", .def = "meridian",
     .choices = "meridian|circular",
     .doc = "meridian: pass at constant MLT from start_mlat to end_mlat; circular: orbit of given inclination"},
    {.section = "flyby", .name = "hemisphere", .type = CR_KEY_CHOICE, .unit = "", .def = "north",
     .choices = "north|south", .doc = "hemisphere of the pass (sign of start_mlat and end_mlat)"},
    {.section = "flyby", .name = "mlt", .type = CR_KEY_REAL, .unit = "h", .def = "12", .min = 0, .max = 24,
     .flags = CR_KEY_RANGED | CR_KEY_MAX_OPEN, .doc = "meridian pass: MLT of the track (centre of the MLT sector)"},
    {.section = "flyby", .name = "mlt_width", .type = CR_KEY_REAL, .unit = "h", .def = "1", .min = 0, .max = 24,
     .flags = CR_KEY_MIN_OPEN, .doc = "width of the MLT sector collected around the spacecraft's MLT"},
    {.section = "flyby", .name = "start_mlat", .type = CR_KEY_REAL, .unit = "deg", .def = "70", .min = 0,
     .max = 90, .flags = CR_KEY_RANGED, .doc = "|MLat| of the first sample (circular orbit: on the northbound leg)"},
    {.section = "flyby", .name = "end_mlat", .type = CR_KEY_REAL, .unit = "deg", .def = "80", .min = 0, .max = 90,
     .flags = CR_KEY_RANGED, .doc = "meridian pass: |MLat| of the last sample (above start_mlat = poleward)"},
    {.section = "flyby", .name = "step_mlat", .type = CR_KEY_REAL, .unit = "deg", .def = "0.25", .min = 0,
     .max = 30, .flags = CR_KEY_MIN_OPEN, .doc = "arc between samples along the track (Burkholder et al. 2025: 0.25)"},
    {.section = "flyby", .name = "bin_mlat", .type = CR_KEY_REAL, .unit = "deg", .def = "0.5", .min = 0, .max = 30,
     .flags = CR_KEY_MIN_OPEN, .doc = "MLat width of the collection bin around the spacecraft (Burkholder et al. 2025: 0.5)"},
    {.section = "flyby", .name = "altitude_km", .type = CR_KEY_REAL, .unit = "km", .def = "0", .min = 0,
     .max = 100000, .flags = CR_KEY_RANGED,
     .doc = "spacecraft altitude (0 = the collection altitude of particles.h5; otherwise mapped along dipole field lines)"},
    {.section = "flyby", .name = "speed_km_s", .type = CR_KEY_REAL, .unit = "km/s", .def = "7.5", .min = 0,
     .max = 100, .flags = CR_KEY_RANGED, .doc = "speed along the track (used unless period_min or step_time is given)"},
    {.section = "flyby", .name = "period_min", .type = CR_KEY_REAL, .unit = "min", .def = "0", .min = 0,
     .max = 100000, .flags = CR_KEY_RANGED, .doc = "orbital period; > 0 sets the speed 2 pi r / period"},
    {.section = "flyby", .name = "step_time", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = 0, .max = 100000,
     .flags = CR_KEY_RANGED, .doc = "time per sample; > 0 sets the speed (Burkholder et al. 2025: 1.8 s per 0.25 deg)"},
    {.section = "flyby", .name = "launch_time", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = -1e9, .max = 1e9,
     .flags = CR_KEY_RANGED, .doc = "time of the first sample, seconds since the start of the MHD run"},
    {.section = "flyby", .name = "window", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = 0, .max = 1e6,
     .flags = CR_KEY_RANGED, .doc = "collection time window centred on each sample (0 = the time per sample)"},
    {.section = "flyby", .name = "pair_separation", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = 0,
     .max = 3600, .flags = CR_KEY_RANGED,
     .doc = "> 0: a second spacecraft flies the same track this much later (TRACERS: 10-120 s)"},
    {.section = "flyby", .name = "inclination", .type = CR_KEY_REAL, .unit = "deg", .def = "90", .min = 0,
     .max = 180, .flags = CR_KEY_MIN_OPEN | CR_KEY_MAX_OPEN, .doc = "circular orbit: inclination to the SM equator"},
    {.section = "flyby", .name = "node_mlt", .type = CR_KEY_REAL, .unit = "h", .def = "12", .min = 0, .max = 24,
     .flags = CR_KEY_RANGED | CR_KEY_MAX_OPEN, .doc = "circular orbit: MLT of the ascending (northbound) node"},
    {.section = "flyby", .name = "duration", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = 0, .max = 1e7,
     .flags = CR_KEY_RANGED, .doc = "circular orbit: length of the track (0 = one orbital period)"},
    {.section = "flyby", .name = "method", .type = CR_KEY_CHOICE, .unit = "", .def = "forward",
     .choices = "forward|backward",
     .doc = "forward: bin the protons of particles.h5; backward: trace every pixel back to its source through "
            "mhd.h5 (Liouville; [liouville] keys, [particles] field, equations and sheath criteria)"},
    {.section = "flyby", .name = "grazing_cut", .type = CR_KEY_REAL, .unit = "deg", .def = "5", .min = 0, .max = 45,
     .flags = CR_KEY_RANGED | CR_KEY_MAX_OPEN,
     .doc = "leave out particles within this angle of the shell plane (bounds the 1/|cos pitch| weights)"},
    CR_KEY_END,
};

/* ---- instrument: file and inline keys -------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static void list_instruments(const char *dir, char *buf, size_t n)
{
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) return;
    size_t used = 0;
    struct dirent *e;
    while ((e = readdir(d)) && used + 2 < n) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".ini")) continue;
        int w = snprintf(buf + used, n - used, "%s%.*s", used ? ", " : "", (int)(strlen(e->d_name) - 4), e->d_name);
        if (w < 0) break;
        used += (size_t)w;
    }
    closedir(d);
}

/* Resolve flyby.instrument to a file. */
static int find_instrument(const struct cr_config *cfg, const char *name, char *buf, size_t n,
                           const struct cr_log *log)
{
    const char *dir = cr_config_dir(cfg);
    if (strchr(name, '/') || ends_with(name, ".ini")) {
        if (name[0] == '/' || !strcmp(dir, ".")) snprintf(buf, n, "%s", name);
        else snprintf(buf, n, "%s/%s", dir, name);
        if (!cr_file_exists(buf)) {
            cr_error(log, "%s: flyby.instrument = '%s': file %s not found", cr_config_file(cfg), name, buf);
            return CR_ECONFIG;
        }
        return CR_OK;
    }
    char dirs[3][4096];
    int nd = 0;
    if (cr_config_is_set(cfg, "flyby", "instrument_dir")) {
        snprintf(dirs[nd++], sizeof dirs[0], "%s", cr_config_path(cfg, "flyby", "instrument_dir"));
    } else {
        snprintf(dirs[nd++], sizeof dirs[0], "%s/instruments", dir);
        snprintf(dirs[nd++], sizeof dirs[0], "runs/instruments");
    }
    for (int i = 0; i < nd; i++) {
        int w = snprintf(buf, n, "%s/%s.ini", dirs[i], name);
        if (w > 0 && (size_t)w < n && cr_file_exists(buf)) return CR_OK;
    }
    char known[1024] = "";
    for (int i = 0; i < nd && !known[0]; i++) list_instruments(dirs[i], known, sizeof known);
    cr_error(log, "%s: flyby.instrument = '%s': unknown instrument (no %s.ini in %s%s%s); known instruments: %s",
             *cr_config_file(cfg) ? cr_config_file(cfg) : "flyby", name, name, dirs[0], nd > 1 ? " or " : "",
             nd > 1 ? dirs[1] : "", known[0] ? known : "none found");
    return CR_ECONFIG;
}

/* Text of a key's value in cfg, for transferring inline keys. Caller frees. */
static char *value_text(const struct cr_config *cfg, const struct cr_key *k)
{
    char tmp[128] = "";
    switch (k->type) {
    case CR_KEY_REAL: snprintf(tmp, sizeof tmp, "%.17g", cr_config_real(cfg, k->section, k->name)); break;
    case CR_KEY_INT: snprintf(tmp, sizeof tmp, "%ld", cr_config_int(cfg, k->section, k->name)); break;
    case CR_KEY_BOOL: snprintf(tmp, sizeof tmp, "%s", cr_config_bool(cfg, k->section, k->name) ? "true" : "false"); break;
    case CR_KEY_CHOICE: return cr_strdup(cr_config_choice_name(cfg, k->section, k->name));
    case CR_KEY_STRING:
    case CR_KEY_PATH: return cr_strdup(cr_config_string(cfg, k->section, k->name));
    case CR_KEY_REALS: {
        size_t nv;
        const double *v = cr_config_reals(cfg, k->section, k->name, &nv);
        char *s = cr_zalloc(nv * 26 + 1, 1);
        if (!s) return NULL;
        size_t used = 0;
        for (size_t i = 0; i < nv; i++) used += (size_t)sprintf(s + used, "%s%.17g", i ? "," : "", v[i]);
        return s;
    }
    }
    return cr_strdup(tmp);
}

/* The merged instrument configuration: the instrument file (if any), then
 * the inline [instrument] keys of the flyby file. */
static int load_instrument(const struct cr_config *cfg, const struct cr_log *log, struct cr_config **icfg_out,
                           struct cr_instrument **out)
{
    *icfg_out = NULL;
    *out = NULL;
    const struct cr_key *tabs[] = {cr_instrument_keys};
    struct cr_config *icfg = cr_config_new(tabs, 1, log);
    if (!icfg) return CR_ENOMEM;
    const char *name = cr_config_string(cfg, "flyby", "instrument");
    int inline_keys = 0;
    for (const struct cr_key *k = cr_instrument_keys; k->name; k++) inline_keys += cr_config_is_set(cfg, k->section, k->name);
    int rc = CR_OK;
    if (*name) {
        char path[4096];
        rc = find_instrument(cfg, name, path, sizeof path, log);
        if (rc == CR_OK) rc = cr_config_load(icfg, path);
    } else if (!inline_keys) {
        cr_error(log, "%s: no instrument: set flyby.instrument (e.g. dmsp_ssj, tracers_aci) or describe one in an "
                      "[instrument] section", *cr_config_file(cfg) ? cr_config_file(cfg) : "flyby");
        rc = CR_ECONFIG;
    }
    for (const struct cr_key *k = cr_instrument_keys; k->name && rc == CR_OK; k++) {
        if (!cr_config_is_set(cfg, k->section, k->name)) continue;
        char *v = value_text(cfg, k);
        size_t len = (v ? strlen(v) : 0) + strlen(k->section) + strlen(k->name) + 4;
        char *a = malloc(len);
        if (!v || !a) rc = CR_ENOMEM;
        else {
            snprintf(a, len, "%s.%s=%s", k->section, k->name, v);
            rc = cr_config_override(icfg, a);
        }
        free(a);
        free(v);
    }
    struct cr_instrument_inp inp;
    if (rc == CR_OK) rc = cr_instrument_inp_from_config(icfg, log, &inp);
    if (rc == CR_OK) {
        if (!*inp.name) inp.name = *name ? name : "inline";
        *out = cr_instrument_new(&inp);
        if (!*out) rc = CR_ECONFIG;
    }
    if (rc) {
        cr_config_release(icfg);
        return rc;
    }
    *icfg_out = icfg;
    return CR_OK;
}

/* ---- the command --------------------------------------------------------------- */

/* Check that the track can see the particles at all; CR_ECONFIG naming the
 * keys otherwise. Particles with zero weight are ignored. */
static int check_coverage(const struct cr_config *cfg, const struct cr_pset *ps, const struct cr_orbit *orb,
                          double r_c, double bin, double mlt_width, double window, double t_shift,
                          const char *pfile, const struct cr_log *log)
{
    const struct cr_orbit_inp *o = cr_orbit_inp(orb);
    const char *file = *cr_config_file(cfg) ? cr_config_file(cfg) : "flyby";
    size_t nh = 0, nother = 0, nmlt = 0;
    double lat_min = 1e9, lat_max = -1e9, t_min = 1e300, t_max = -1e300, mlt_min = 1e9, mlt_max = -1e9;
    for (size_t i = 0; i < ps->n; i++) {
        if (!(ps->weight[i] > 0)) continue;
        if (o->kind == CR_ORBIT_MERIDIAN && ps->mlat[i] * o->hemisphere < 0) {
            nother++;
            continue;
        }
        nh++;
        double a = fabs(ps->mlat[i]);
        lat_min = CR_MIN(lat_min, a);
        lat_max = CR_MAX(lat_max, a);
        t_min = CR_MIN(t_min, ps->t[i]);
        t_max = CR_MAX(t_max, ps->t[i]);
        mlt_min = CR_MIN(mlt_min, ps->mlt[i]);
        mlt_max = CR_MAX(mlt_max, ps->mlt[i]);
        if (o->kind == CR_ORBIT_MERIDIAN) {
            double d = fmod(ps->mlt[i] - o->mlt + 36.0, 24.0) - 12.0;
            if (d >= -0.5 * mlt_width && d < 0.5 * mlt_width) nmlt++;
        }
    }
    if (nh == 0 && nother == 0) {
        cr_warn(log, "%s: no collected particle with positive weight: the spectrogram will be empty (all zero)", pfile);
        return CR_OK;
    }
    if (nh == 0) {
        cr_error(log, "%s: flyby.hemisphere = %s, but every collected particle of %s is in the other hemisphere", file,
                 o->hemisphere > 0 ? "north" : "south", pfile);
        return CR_ECONFIG;
    }
    double r_sc = cr_orbit_radius(orb);
    int n = cr_orbit_nsamples(orb);
    struct cr_orbit_sample s0, s1;
    cr_orbit_sample(orb, 0, t_shift, &s0);
    cr_orbit_sample(orb, n - 1, t_shift, &s1);
    if (o->kind == CR_ORBIT_MERIDIAN) {
        /* |MLat| covered on the collection shell */
        double c0 = cos(s0.mlat * CR_DEG), c1 = cos(s1.mlat * CR_DEG);
        double q0 = c0 * c0 * r_c / r_sc, q1 = c1 * c1 * r_c / r_sc;
        double a0 = q0 <= 1 ? acos(sqrt(q0)) / CR_DEG : 0, a1 = q1 <= 1 ? acos(sqrt(q1)) / CR_DEG : 0;
        double lo = CR_MIN(a0, a1) - 0.5 * bin, hi = CR_MAX(a0, a1) + 0.5 * bin;
        if (hi < lat_min || lo > lat_max) {
            cr_error(log, "%s: flyby.start_mlat = %g, flyby.end_mlat = %g: the pass covers |MLat| %.3g-%.3g deg on the "
                          "collection shell, outside the collection region of %s (|MLat| %.4g-%.4g deg, %s)",
                     file, o->start_mlat, o->end_mlat, lo, hi, pfile, lat_min, lat_max,
                     o->hemisphere > 0 ? "north" : "south");
            return CR_ECONFIG;
        }
        if (nmlt == 0) {
            cr_error(log, "%s: flyby.mlt = %g, flyby.mlt_width = %g: no collected particle in that MLT sector of %s "
                          "(particles span MLT %.3g-%.3g h)", file, o->mlt, mlt_width, pfile, mlt_min, mlt_max);
            return CR_ECONFIG;
        }
    } else {
        double maxlat = o->inclination <= 90 ? o->inclination : 180 - o->inclination;
        if (maxlat + 0.5 * bin < lat_min) {
            cr_error(log, "%s: flyby.inclination = %g: the orbit reaches |MLat| %g deg, below the collection region of "
                          "%s (|MLat| %.4g-%.4g deg)", file, o->inclination, maxlat, pfile, lat_min, lat_max);
            return CR_ECONFIG;
        }
    }
    double ta = CR_MIN(s0.t, s1.t) - 0.5 * window, tb = CR_MAX(s0.t, s1.t) + 0.5 * window;
    if (tb < t_min || ta > t_max) {
        cr_error(log, "%s: flyby.launch_time = %g s: the pass (t = %.6g-%.6g s) misses every particle arrival of %s "
                      "(t = %.6g-%.6g s)", file, o->launch_time, ta, tb, pfile, t_min, t_max);
        return CR_ECONFIG;
    }
    return CR_OK;
}

/* The track of the [flyby] keys at altitude alt [km]: the speed from
 * speed_km_s, period_min or step_time (one of them). NULL with a message
 * naming the keys on bad input. */
static struct cr_orbit *orbit_from_config(const struct cr_config *cfg, double alt, const struct cr_log *log)
{
    const char *file = *cr_config_file(cfg) ? cr_config_file(cfg) : "flyby";
    double r_km = CR_RE_KM + alt;
    double step = cr_config_real(cfg, "flyby", "step_mlat");
    double period = cr_config_real(cfg, "flyby", "period_min"), step_time = cr_config_real(cfg, "flyby", "step_time");
    double speed = cr_config_real(cfg, "flyby", "speed_km_s");
    if (period > 0 && step_time > 0) {
        cr_error(log, "%s: flyby.period_min and flyby.step_time both set the speed: give one", file);
        return NULL;
    }
    if ((period > 0 || step_time > 0) && cr_config_is_set(cfg, "flyby", "speed_km_s")) {
        cr_error(log, "%s: flyby.speed_km_s and flyby.%s both set the speed: give one", file,
                 period > 0 ? "period_min" : "step_time");
        return NULL;
    }
    if (period > 0) speed = 2.0 * CR_PI * r_km / (period * 60.0);
    else if (step_time > 0) speed = step * CR_DEG * r_km / step_time;
    struct cr_orbit_inp oi = {
        .kind = (enum cr_orbit_kind)cr_config_choice(cfg, "flyby", "orbit"),
        .hemisphere = cr_config_choice(cfg, "flyby", "hemisphere") == 0 ? 1 : -1,
        .mlt = cr_config_real(cfg, "flyby", "mlt"),
        .start_mlat = cr_config_real(cfg, "flyby", "start_mlat"),
        .end_mlat = cr_config_real(cfg, "flyby", "end_mlat"),
        .step = step,
        .altitude_km = alt,
        .speed_km_s = speed,
        .launch_time = cr_config_real(cfg, "flyby", "launch_time"),
        .inclination = cr_config_real(cfg, "flyby", "inclination"),
        .node_mlt = cr_config_real(cfg, "flyby", "node_mlt"),
        .duration = cr_config_real(cfg, "flyby", "duration"),
        .log = log,
    };
    return cr_orbit_new(&oi);
}

/* Write <out_dir>/<flyby>.spectrogram.nc (.sc2. for the trailing
 * spacecraft); path receives the file's name. */
static int write_spectrogram(const struct cr_spectrogram *s, const struct cr_spectrogram_meta *m, const char *out_dir,
                             char *path, size_t npath, const struct cr_config *cfg, const struct cr_log *log)
{
    char fname[512];
    snprintf(fname, sizeof fname, m->spacecraft == 2 ? "%s.sc2.spectrogram.nc" : "%s.spectrogram.nc", m->flyby);
    if (cr_path_join(path, npath, out_dir, fname)) return CR_EIO;
    return cr_spectrogram_write(s, m, path, cfg, log);
}

/* The backward (Liouville) fly: no particles.h5; every pixel is traced back
 * through the MHD slices of the run (or the [particles] analytic field). */
static int fly_backward(struct cr_cmd_ctx *ctx, const char *run, const char *out_dir, const char *name,
                        struct cr_instrument *ins, const char *iini)
{
    const struct cr_config *cfg = ctx->cfg;
    const struct cr_log *log = ctx->log;
    struct cr_liouville_setup lv;
    int rc = cr_liouville_from_config(cfg, run, log, &lv);
    if (rc) return rc;
    double alt = cr_config_real(cfg, "flyby", "altitude_km");
    if (!(alt > 0)) alt = cr_config_real(cfg, "particles", "altitude");
    struct cr_orbit *orb = orbit_from_config(cfg, alt, log);
    if (!orb) {
        cr_liouville_setup_release(&lv);
        return CR_ECONFIG;
    }
    double sep = cr_config_real(cfg, "flyby", "pair_separation");
    char src[4200];
    const char *mf = cr_config_path(cfg, "particles", "mhd_file");
    if (cr_config_choice(cfg, "particles", "field") != 0) snprintf(src, sizeof src, "analytic field %s", lv.inp.field->name);
    else if (mf && *mf) snprintf(src, sizeof src, "%s", mf);
    else snprintf(src, sizeof src, "%s/mhd.h5", run);
    cr_info(log, "fly (backward): %s, instrument %s (%d channels), %d samples every %.4g s, %d sub-samples per pixel "
                 "(%ld traces per spacecraft), %s source, %d thread(s)", name, cr_instrument_name(ins),
            cr_instrument_nchannel(ins), cr_orbit_nsamples(orb), cr_orbit_step_time(orb), lv.samples,
            (long)cr_orbit_nsamples(orb) * cr_instrument_nchannel(ins) * lv.samples,
            lv.inp.source == CR_LV_SRC_RELEASE ? "release" : "sheath", cr_max_threads());
    rc = cr_mkdir_p(out_dir, log);
    if (!rc) rc = cr_run_lock(ctx, out_dir);
    for (int sc = 1; sc <= (sep > 0 ? 2 : 1) && rc == CR_OK; sc++) {
        struct cr_spectrogram_bw_inp bi = {
            .orbit = orb, .instrument = ins, .tracer = &lv.inp, .time_offset = sc == 2 ? sep : 0.0,
            .bin_mlat = cr_config_real(cfg, "flyby", "bin_mlat"), .mlt_width = cr_config_real(cfg, "flyby", "mlt_width"),
            .window = cr_config_real(cfg, "flyby", "window"), .grazing_cut = cr_config_real(cfg, "flyby", "grazing_cut"),
            .samples = lv.samples, .seed = lv.seed + (uint64_t)(sc - 1) * 7919u,
            .noise_stream = (unsigned long)(sc - 1) * 7919UL, .log = log};
        struct cr_spectrogram *s = cr_spectrogram_backward_new(&bi);
        if (!s) {
            rc = CR_ERR;
            break;
        }
        char path[4700];
        struct cr_spectrogram_meta m = {.flyby = name, .spacecraft = sc, .pair_separation = sep, .particles_file = src,
                                        .instrument_config = iini, .orbit = orb, .instrument = ins};
        rc = write_spectrogram(s, &m, out_dir, path, sizeof path, cfg, log);
        if (rc == CR_OK) {
            double tot = 0;
            for (int q = 1; q < 7; q++) tot += (double)s->n_status[q];
            cr_info(log, "fly (backward): wrote %s: %ld of %.0f traces reached the source (%ld inner boundary, %ld "
                         "outflow, %ld timeout, %ld failed, %ld upgoing); %.3g steps in %.1f s (%.3g traces/s)",
                    path, s->n_status[CR_LV_SOURCE], tot, s->n_status[CR_LV_INNER], s->n_status[CR_LV_OUTFLOW],
                    s->n_status[CR_LV_TIMEOUT], s->n_status[CR_LV_FAILED], s->n_status[CR_LV_BELOW],
                    (double)s->trace_steps, s->trace_wall, s->trace_wall > 0 ? tot / s->trace_wall : 0.0);
        }
        cr_spectrogram_release(s);
    }
    cr_orbit_release(orb);
    cr_liouville_setup_release(&lv);
    return rc;
}

int cr_cmd_fly(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    const struct cr_log *log = ctx->log;
    const char *file = *cr_config_file(cfg) ? cr_config_file(cfg) : "flyby";
    struct cr_config *icfg = NULL;
    struct cr_instrument *ins = NULL;
    struct cr_pset *ps = NULL;
    struct cr_orbit *orb = NULL;
    int rc = load_instrument(cfg, log, &icfg, &ins);
    if (rc) return rc;

    /* where: the run folder is the one the caller chose (the pipeline passes
       its own), else [run] dir, else flyby.run; flyby.particles names the
       particle file explicitly (outputs then go next to it when no run folder
       is given); else <run folder>/particles.h5 */
    char out_dir[4096], pfile[4096], name[256], resolved[4096];
    cr_run_dir_resolve(cfg, ctx->ini_path, resolved, sizeof resolved);
    const char *run_key = cr_config_path(cfg, "flyby", "run");
    const char *run = ctx->run_dir;
    int have_run = strcmp(resolved, ctx->run_dir) != 0 || cr_config_is_set(cfg, "run", "dir");
    if (!have_run && *run_key) {
        run = run_key;
        have_run = 1;
    }
    if (cr_config_is_set(cfg, "flyby", "particles")) {
        snprintf(pfile, sizeof pfile, "%s", cr_config_path(cfg, "flyby", "particles"));
        if (have_run) snprintf(out_dir, sizeof out_dir, "%s", run);
        else {
            const char *slash = strrchr(pfile, '/');
            if (slash) snprintf(out_dir, sizeof out_dir, "%.*s", (int)(slash - pfile), pfile);
            else snprintf(out_dir, sizeof out_dir, ".");
        }
    } else {
        snprintf(out_dir, sizeof out_dir, "%s", run);
        if (cr_path_join(pfile, sizeof pfile, run, "particles.h5")) {
            rc = CR_ECONFIG;
            goto done;
        }
    }
    if (*cr_config_string(cfg, "flyby", "name")) snprintf(name, sizeof name, "%s", cr_config_string(cfg, "flyby", "name"));
    else if (ctx->ini_path) cr_path_stem(ctx->ini_path, name, sizeof name);
    else snprintf(name, sizeof name, "flyby");
    if (cr_config_choice(cfg, "flyby", "method") == 1) {
        char *iini = cr_config_to_ini(icfg);
        rc = fly_backward(ctx, run, out_dir, name, ins, iini);
        free(iini);
        goto done;
    }
    if (!cr_file_exists(pfile)) {
        cr_error(log, "%s: particle file %s not found (set flyby.run or [run] dir to the run folder that holds "
                      "particles.h5, or flyby.particles; run `cusprate particles` first)", file, pfile);
        rc = CR_ECONFIG;
        goto done;
    }
    rc = cr_pset_read(pfile, log, &ps);
    if (rc) goto done;

    /* altitudes and speed */
    double alt_c = ps->has_altitude ? ps->altitude_km : cr_config_real(cfg, "flyby", "altitude_km");
    double alt = cr_config_real(cfg, "flyby", "altitude_km");
    if (!ps->has_altitude && !(alt > 0)) {
        cr_error(log, "%s: %s gives no collection altitude (altitude_km attribute): set flyby.altitude_km", file, pfile);
        rc = CR_ECONFIG;
        goto done;
    }
    if (!(alt > 0)) alt = alt_c;
    orb = orbit_from_config(cfg, alt, log);
    if (!orb) {
        rc = CR_ECONFIG;
        goto done;
    }
    double speed = cr_orbit_speed(orb);
    double window = cr_config_real(cfg, "flyby", "window");
    double bin = cr_config_real(cfg, "flyby", "bin_mlat"), mlt_width = cr_config_real(cfg, "flyby", "mlt_width");
    double sep = cr_config_real(cfg, "flyby", "pair_separation");
    double r_c = 1.0 + alt_c / CR_RE_KM;
    double w_eff = window > 0 ? window : cr_orbit_step_time(orb);
    /* the time span seen by both spacecraft of a pair: [t_0 - W/2, t_last + sep + W/2],
       i.e. a window W + sep around the track shifted by sep/2 */
    rc = check_coverage(cfg, ps, orb, r_c, bin, mlt_width, w_eff + sep, sep * 0.5, pfile, log);
    if (rc) goto done;
    if (fabs(alt - alt_c) > 1e-6)
        cr_info(log, "fly: spacecraft at %g km, particles collected at %g km: mapped along dipole field lines", alt, alt_c);
    cr_info(log, "fly: %s, instrument %s (%d channels), %d samples every %.4g s (%.4g km/s), %s", name,
            cr_instrument_name(ins), cr_instrument_nchannel(ins), cr_orbit_nsamples(orb), cr_orbit_step_time(orb), speed,
            sep > 0 ? "pair" : "single spacecraft");
    rc = cr_mkdir_p(out_dir, log);
    if (!rc) rc = cr_run_lock(ctx, out_dir);
    if (rc) goto done;
    char *iini = cr_config_to_ini(icfg);
    for (int sc = 1; sc <= (sep > 0 ? 2 : 1) && rc == CR_OK; sc++) {
        struct cr_spectrogram_inp si = {
            .particles = ps, .orbit = orb, .instrument = ins, .time_offset = sc == 2 ? sep : 0.0,
            .collection_altitude_km = alt_c, .bin_mlat = bin, .mlt_width = mlt_width, .window = window,
            .grazing_cut = cr_config_real(cfg, "flyby", "grazing_cut"), .noise_stream = (unsigned long)(sc - 1) * 7919UL,
            .progress = cr_config_choice(cfg, "run", "progress") == 1 ? 1 : (cr_config_choice(cfg, "run", "progress") == 2 ? -1 : 0),
            .log = log};
        struct cr_spectrogram *s = cr_spectrogram_new(&si);
        if (!s) {
            rc = CR_ERR;
            break;
        }
        char path[4700];
        struct cr_spectrogram_meta m = {.flyby = name, .spacecraft = sc, .pair_separation = sep, .particles_file = pfile,
                                        .instrument_config = iini, .orbit = orb, .instrument = ins};
        rc = write_spectrogram(s, &m, out_dir, path, sizeof path, cfg, log);
        if (rc == CR_OK) {
            long used = 0, nonempty = 0;
            for (int k = 0; k < s->nt; k++) {
                long row = 0;
                for (int c = 0; c < s->nch; c++) row += s->macro[(size_t)k * s->nch + c];
                used += row;
                nonempty += row > 0;
            }
            cr_info(log, "fly: wrote %s (%d of %d samples with particles, %ld macro-particle counts; %zu of %zu "
                         "candidates outside every time window)", path, (int)nonempty, s->nt, used, s->n_outside_time,
                    s->n_candidates);
        }
        cr_spectrogram_release(s);
    }
    free(iini);
done:
    cr_orbit_release(orb);
    cr_pset_release(ps);
    cr_instrument_release(ins);
    cr_config_release(icfg);
    return rc;
}

/* ---- benchmark ------------------------------------------------------------------- */

int cr_bench_fly(struct cr_cmd_ctx *ctx)
{
    const struct cr_log *log = ctx->log;
    /* ten minutes of cusp precipitation over MLat 70-82 and MLT 10.5-13.5,
       flown at 0.05 deg steps with 60 s collection windows (~2800 particles
       per sample) by a TRACERS-like instrument */
    size_t n = 2000000;
    struct cr_synth_inp si = {.density_cc = 1.0, .temperature_ev = 300.0, .e_min = 5.0, .e_max = 30000.0, .t0 = 0,
                              .t1 = 600, .mlat_min = 70, .mlat_max = 82, .mlt_min = 10.5, .mlt_max = 13.5,
                              .altitude_km = 590, .n = n, .direction = CR_SYNTH_DOWN, .seed = 42};
    double t0 = cr_wtime();
    struct cr_pset *ps = NULL;
    int rc = cr_synth_maxwellian(&si, &ps);
    if (rc) return rc;
    double t_gen = cr_wtime() - t0;
    const double gf_e[] = {8, 100, 1000, 20000}, gf[] = {1e-4, 2.5e-4, 3.6e-4, 3.8e-4};
    struct cr_instrument_inp ii = {.name = "tracers_aci_like", .log_first = 8, .log_last = 20000, .log_count = 47,
                                   .ngf = 4, .gf = gf, .gf_energies = gf_e, .accumulation_time = 0.312,
                                   .look = CR_LOOK_PRECIPITATING, .cone_half_angle = 90, .log = log};
    struct cr_instrument *ins = cr_instrument_new(&ii);
    struct cr_orbit_inp oi = {.kind = CR_ORBIT_MERIDIAN, .hemisphere = 1, .mlt = 12, .start_mlat = 70.25,
                              .end_mlat = 81.75, .step = 0.05, .altitude_km = 590, .speed_km_s = 7.6,
                              .launch_time = 100, .log = log};
    struct cr_orbit *orb = cr_orbit_new(&oi);
    if (!ins || !orb) {
        cr_instrument_release(ins);
        cr_orbit_release(orb);
        cr_pset_release(ps);
        return CR_ERR;
    }
    struct cr_spectrogram_inp sp = {.particles = ps, .orbit = orb, .instrument = ins, .collection_altitude_km = 590,
                                    .bin_mlat = 0.5, .mlt_width = 1.0, .window = 60, .grazing_cut = 5,
                                    .progress = -1, .log = log};
    t0 = cr_wtime();
    struct cr_spectrogram *s = cr_spectrogram_new(&sp);
    double t_bin = cr_wtime() - t0;
    if (!s) rc = CR_ERR;
    else {
        long visits = 0;
        double chi2 = 0;
        int dof = 0;
        for (int k = 0; k < s->nt; k++) {
            for (int c = 0; c < s->nch; c++) {
                size_t i = (size_t)k * s->nch + c;
                visits += s->macro[i];
                if (s->macro[i] < 30 || !(s->def_err[i] > 0)) continue;
                double want = s->energy[c] * cr_maxwellian_dnf_mean(si.density_cc, si.temperature_ev,
                                                                  s->energy_lower[c], s->energy_upper[c]);
                double z = (s->def[i] - want) / s->def_err[i];
                chi2 += z * z;
                dof++;
            }
        }
        printf("fly: %zu macro-particles, %d samples x %d channels, %d threads\n", n, s->nt, s->nch, cr_max_threads());
        printf("fly: synthetic population %.3f s; spectrogram (index + binning) %.3f s: %.3g particles/s, %ld "
               "particle-bin counts\n", t_gen, t_bin, (double)s->n_candidates / t_bin, visits);
        printf("fly: Maxwellian check chi^2/dof = %.3f over %d sample-channels (expected ~1)\n", dof ? chi2 / dof : 0.0,
               dof);
        printf("fly: peak RSS %.1f MiB\n", cr_peak_rss_mib());
    }
    cr_spectrogram_release(s);
    cr_orbit_release(orb);
    cr_instrument_release(ins);
    cr_pset_release(ps);
    return rc;
}
