/* cr_tetrahedron_cmd.c — `cusprate tetrahedron FILE.ini`: a virtual MMS-like
 * tetrahedron (or a TRACERS-like pair) inside cusprate's own run. Four
 * spacecraft at a configurable centre, separation and shape carry an
 * FPI-like ion instrument (energy x polar x azimuth bins); the phase-space
 * density of every bin centre is exact by the backward Liouville mapping
 * through the MHD slices (particles/cr_liouville.h: a detector in the sheath
 * sees the source plasma itself, one inside the magnetopause the sheath
 * plasma its ions came from). Writes <run>/<name>.vdf.nc in the layout
 * `cusprate gradient` reads, with the MHD density, pressure and pressure
 * gradient at the spacecraft as reference_* variables. A list of separations
 * makes a separation scan (one record per time and separation).
 *
 * source = crescent replaces the MHD by the analytic crescent equilibrium of
 * cr_vdf_models.h (exact div P), to verify the whole chain from the command
 * line. Also the [tetrahedron] schema. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_epoch.h"
#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_progress.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "../grids/cr_field_mhd.h"
#include "../particles/cr_liouville.h"
#include "../particles/cr_particles.h"
#include "cr_vdf_io.h"
#include "cr_vdf_models.h"

const struct cr_key cr_tetrahedron_keys[] = {
    {.section = "tetrahedron", .name = "name", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "output <run>/<name>.vdf.nc (empty = the INI file's stem)"},
    {.section = "tetrahedron", .name = "source", .type = CR_KEY_CHOICE, .unit = "", .def = "mhd",
     .choices = "mhd|crescent",
     .doc = "mhd: f by backward Liouville tracing through <run>/mhd.h5 ([particles], [liouville] keys); crescent: "
            "the analytic finite-Larmor-radius crescent equilibrium (verification; model_* keys)"},
    {.section = "tetrahedron", .name = "centre", .type = CR_KEY_REALS, .unit = "R_E", .def = "10, 0, 0", .min = -1e3,
     .max = 1e3, .min_count = 3, .max_count = 3, .doc = "barycentre of the spacecraft, SM (source = mhd)"},
    {.section = "tetrahedron", .name = "shape", .type = CR_KEY_CHOICE, .unit = "", .def = "regular",
     .choices = "regular|mms|pair",
     .doc = "regular tetrahedron (cube axes along x, y, z), an irregular MMS-like one (elongation 0.05, planarity "
            "0.03), or two spacecraft along `direction` (TRACERS-like pair: the along-track derivative)"},
    {.section = "tetrahedron", .name = "separation", .type = CR_KEY_REALS, .unit = "km", .def = "1000", .min = 1e-3,
     .max = 1e6, .min_count = 1, .max_count = 64,
     .doc = "mean inter-spacecraft distance; several values make a separation scan"},
    {.section = "tetrahedron", .name = "direction", .type = CR_KEY_REALS, .unit = "", .def = "0, 0, 1", .min = -1,
     .max = 1, .min_count = 3, .max_count = 3, .doc = "pair: direction from spacecraft 1 to 2 (normalised)"},
    {.section = "tetrahedron", .name = "t_start", .type = CR_KEY_REAL, .unit = "s", .def = "last", .min = -1e9,
     .max = 1e9, .choices = "first|last",
     .doc = "first time (any time, negative in a spin-up); first / last = the first / last MHD slice (0 for the "
            "crescent model)"},
    {.section = "tetrahedron", .name = "t_end", .type = CR_KEY_REAL, .unit = "s", .def = "t_start", .min = -1e9,
     .max = 1e9, .choices = "t_start|last", .doc = "last time; t_start = one time; last = the last MHD slice"},
    {.section = "tetrahedron", .name = "n_times", .type = CR_KEY_INT, .unit = "", .def = "1", .min = 1, .max = 100000,
     .doc = "times from t_start to t_end, evenly spaced"},
    {.section = "tetrahedron", .name = "n_energy", .type = CR_KEY_INT, .unit = "", .def = "32", .min = 2, .max = 512,
     .doc = "energy channels (FPI DIS: 32)"},
    {.section = "tetrahedron", .name = "e_min", .type = CR_KEY_REAL, .unit = "eV", .def = "2", .min = 0, .max = 1e7,
     .flags = CR_KEY_MIN_OPEN, .doc = "lowest channel centre (FPI DIS: ~2 eV)"},
    {.section = "tetrahedron", .name = "e_max", .type = CR_KEY_REAL, .unit = "eV", .def = "17800", .min = 0,
     .max = 1e7, .flags = CR_KEY_MIN_OPEN, .doc = "highest channel centre (FPI DIS: ~17.8 keV); channels log-spaced"},
    {.section = "tetrahedron", .name = "n_polar", .type = CR_KEY_INT, .unit = "", .def = "16", .min = 2, .max = 256,
     .doc = "polar bins over 0-180 deg (FPI: 16)"},
    {.section = "tetrahedron", .name = "n_azimuth", .type = CR_KEY_INT, .unit = "", .def = "32", .min = 2,
     .max = 512, .doc = "azimuth bins over 0-360 deg (FPI: 32)"},
    {.section = "tetrahedron", .name = "grad_step", .type = CR_KEY_REAL, .unit = "R_E", .def = "0.05", .min = 0,
     .max = 5, .flags = CR_KEY_MIN_OPEN,
     .doc = "step of the central differences giving the MHD pressure gradient at the barycentre"},
    {.section = "tetrahedron", .name = "model_n", .type = CR_KEY_REAL, .unit = "cm^-3", .def = "10", .min = 0,
     .max = 1e6, .flags = CR_KEY_MIN_OPEN, .doc = "crescent: density on the dense side"},
    {.section = "tetrahedron", .name = "model_kt", .type = CR_KEY_REAL, .unit = "eV", .def = "1000", .min = 0,
     .max = 1e6, .flags = CR_KEY_MIN_OPEN, .doc = "crescent: temperature"},
    {.section = "tetrahedron", .name = "model_b", .type = CR_KEY_REAL, .unit = "nT", .def = "20", .min = 0,
     .max = 1e6, .flags = CR_KEY_MIN_OPEN, .doc = "crescent: uniform field along +z"},
    {.section = "tetrahedron", .name = "model_delta", .type = CR_KEY_REAL, .unit = "km", .def = "60", .min = 0,
     .max = 1e6, .flags = CR_KEY_MIN_OPEN, .doc = "crescent: width of the guiding-centre density edge"},
    {.section = "tetrahedron", .name = "model_offset", .type = CR_KEY_REAL, .unit = "km", .def = "80", .min = -1e6,
     .max = 1e6, .doc = "crescent: barycentre's x from the edge (positive: dense side)"},
    CR_KEY_END};

/* shapes (scaled to a mean inter-spacecraft distance of 1) */
static const double REGULAR[4][3] = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
static const double MMS[4][3] = {{0, 0, 0}, {1.02, 0.03, -0.04}, {0.48, 0.89, 0.07}, {0.51, 0.29, 0.86}};

static void offsets(int shape, const double dir[3], double L, double off[4][3])
{
    if (shape == 2) {
        double n = sqrt(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
        for (int d = 0; d < 3; d++) {
            off[0][d] = -0.5 * L * dir[d] / n;
            off[1][d] = 0.5 * L * dir[d] / n;
        }
        return;
    }
    const double(*s)[3] = shape == 0 ? REGULAR : MMS;
    double m[3] = {0, 0, 0}, mean = 0;
    for (int a = 0; a < 4; a++)
        for (int d = 0; d < 3; d++) m[d] += s[a][d] / 4;
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++) {
            double q = 0;
            for (int d = 0; d < 3; d++) q += (s[a][d] - s[b][d]) * (s[a][d] - s[b][d]);
            mean += sqrt(q) / 6;
        }
    for (int a = 0; a < 4; a++)
        for (int d = 0; d < 3; d++) off[a][d] = (s[a][d] - m[d]) * L / mean;
}

struct run {
    const struct cr_config *cfg;
    const struct cr_log *log;
    struct cr_vdf_set *set;
    int src_mhd;
    struct cr_liouville_setup lv;
    struct cr_crescent cres;
    long traces, sources;
    double trace_wall;
};

/* the MHD at x [R_E] and time t; CR_OK or CR_EDOMAIN */
static int mhd_at(struct run *R, double t, const double x[3], struct cr_field_sample *s)
{
    if (R->lv.inp.mhd && cr_field_mhd_set_time(R->lv.inp.mhd, t)) return CR_ERR;
    return cr_field_eval(R->lv.inp.field, t, x, s);
}

/* one record from the MHD: positions, B, V, references, f by Liouville */
static int record_mhd(struct run *R, size_t q, double t, const double centre[3], double off[4][3], double h)
{
    struct cr_vdf_set *S = R->set;
    int nsc = S->nsc;
    size_t nb = S->v[0]->n[0] * S->v[0]->n[1] * S->v[0]->n[2];
    S->time[q] = t;
    int below = 0;
    for (int a = 0; a < nsc; a++) {
        double x[3];
        for (int d = 0; d < 3; d++) {
            x[d] = centre[d] + off[a][d] / CR_RE_KM;
            S->pos[(q * nsc + a) * 3 + d] = x[d] * CR_RE_KM;
        }
        struct cr_field_sample s;
        if (mhd_at(R, t, x, &s) != CR_OK) {
            cr_error(R->log, "tetrahedron: spacecraft %d at (%g, %g, %g) R_E, t = %g s is outside the MHD domain", a + 1,
                     x[0], x[1], x[2], t);
            return CR_ECONFIG;
        }
        /* below the inner boundary (a low-altitude pair): the dipole, no MHD plasma */
        below += s.inside;
        for (int d = 0; d < 3; d++) {
            S->B[(q * nsc + a) * 3 + d] = s.B[d];
            S->U[(q * nsc + a) * 3 + d] = s.inside ? 0 : s.V[d];
        }
        S->ref_n[q * nsc + a] = s.inside ? NAN : s.D;
        S->ref_P[q * nsc + a] = s.inside ? NAN : s.P;
    }
    /* the MHD's grad P at the barycentre: central differences, step h R_E */
    for (int d = 0; d < 3 && below; d++) S->ref_grad_P[q * 3 + d] = NAN;
    for (int d = 0; d < 3 && !below; d++) {
        double xp[3] = {centre[0], centre[1], centre[2]}, xm[3] = {centre[0], centre[1], centre[2]};
        xp[d] += h;
        xm[d] -= h;
        struct cr_field_sample sp, sm;
        if (mhd_at(R, t, xp, &sp) != CR_OK || mhd_at(R, t, xm, &sm) != CR_OK) {
            cr_error(R->log, "tetrahedron: the MHD gradient stencil at (%g, %g, %g) R_E leaves the domain", centre[0],
                     centre[1], centre[2]);
            return CR_ECONFIG;
        }
        S->ref_grad_P[q * 3 + d] = (sp.P - sm.P) / (2 * h * CR_RE_KM);
    }
    /* every bin centre of every spacecraft, traced back */
    long np = (long)(nsc * nb);
    struct cr_lv_point *pts = cr_zalloc((size_t)np, sizeof *pts);
    struct cr_lv_result *res = cr_zalloc((size_t)np, sizeof *res);
    if (!pts || !res) {
        free(pts);
        free(res);
        return CR_ENOMEM;
    }
    for (int a = 0; a < nsc; a++) {
        const struct cr_vdf *v = S->v[q * nsc + a];
        for (size_t b = 0; b < nb; b++) {
            struct cr_lv_point *p = &pts[a * (long)nb + (long)b];
            size_t i = b / (v->n[1] * v->n[2]), j = (b / v->n[2]) % v->n[1], k = b % v->n[2];
            p->t = t;
            for (int d = 0; d < 3; d++) p->x[d] = S->pos[(q * nsc + a) * 3 + d] / CR_RE_KM;
            cr_vdf_bin_velocity(v, i, j, k, p->v);
            p->stream = R->lv.seed ^ (((uint64_t)q * 4 + (uint64_t)a) << 32) ^ (uint64_t)b;
        }
    }
    struct cr_liouville_stats st;
    int rc = cr_liouville_trace(&R->lv.inp, pts, np, res, &st);
    if (!rc) {
        for (int a = 0; a < nsc; a++)
            for (size_t b = 0; b < nb; b++) S->v[q * nsc + a]->f[b] = res[a * (long)nb + (long)b].f;
        R->traces += np;
        R->sources += st.n_status[CR_LV_SOURCE];
        R->trace_wall += st.wall;
    }
    free(pts);
    free(res);
    return rc;
}

struct cres_ctx {
    const struct cr_crescent *c;
    const double *x;
};
static double cres_fn(const double v[3], void *p)
{
    const struct cres_ctx *c = p;
    return cr_crescent_f(c->c, c->x, v);
}

static void record_crescent(struct run *R, size_t q, double t, double off[4][3])
{
    struct cr_vdf_set *S = R->set;
    int nsc = S->nsc;
    const struct cr_crescent *c = &R->cres;
    S->time[q] = t;
    double xc[3] = {cr_config_real(R->cfg, "tetrahedron", "model_offset") + c->x_edge, 0, 0};
    for (int a = 0; a < nsc; a++) {
        double x[3];
        for (int d = 0; d < 3; d++) x[d] = S->pos[(q * nsc + a) * 3 + d] = xc[d] + off[a][d];
        S->B[(q * nsc + a) * 3 + 2] = c->B;
        struct cr_vdf_moments m;
        cr_crescent_moments(c, x, &m);
        for (int d = 0; d < 3; d++) S->U[(q * nsc + a) * 3 + d] = m.U[d];
        S->ref_n[q * nsc + a] = m.n;
        S->ref_P[q * nsc + a] = m.P[0][0];
        struct cres_ctx cc = {c, x};
        cr_vdf_fill(S->v[q * nsc + a], cres_fn, &cc);
    }
    S->ref_grad_P[q * 3 + 0] = cr_crescent_div_P(c, xc);
    S->ref_grad_P[q * 3 + 1] = S->ref_grad_P[q * 3 + 2] = 0;
}

int cr_cmd_tetrahedron(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    const struct cr_log *log = ctx->log;
    struct run R = {.cfg = cfg, .log = log, .src_mhd = cr_config_choice(cfg, "tetrahedron", "source") == 0};
    int shape = cr_config_choice(cfg, "tetrahedron", "shape"), nsc = shape == 2 ? 2 : 4;
    size_t nsep = 0, nc3 = 0, nd3 = 0;
    const double *seps = cr_config_reals(cfg, "tetrahedron", "separation", &nsep);
    const double *centre = cr_config_reals(cfg, "tetrahedron", "centre", &nc3);
    const double *dir = cr_config_reals(cfg, "tetrahedron", "direction", &nd3);
    if (shape == 2 && !(fabs(dir[0]) + fabs(dir[1]) + fabs(dir[2]) > 0)) {
        cr_error(log, "tetrahedron.direction = 0, 0, 0: a pair needs a direction");
        return CR_ECONFIG;
    }
    double e_min = cr_config_real(cfg, "tetrahedron", "e_min"), e_max = cr_config_real(cfg, "tetrahedron", "e_max");
    if (!(e_max > e_min)) {
        cr_error(log, "tetrahedron.e_max = %g eV must exceed tetrahedron.e_min = %g eV", e_max, e_min);
        return CR_ECONFIG;
    }
    long ntimes = cr_config_int(cfg, "tetrahedron", "n_times");
    double t0 = cr_config_real(cfg, "tetrahedron", "t_start"), t1 = cr_config_real(cfg, "tetrahedron", "t_end");
    int rc = CR_OK;
    if (R.src_mhd) {
        if ((rc = cr_liouville_from_config(cfg, ctx->run_dir, log, &R.lv))) return rc;
        R.lv.inp.start_check = 1;
        const struct cr_field *f = R.lv.inp.field;
        int w0 = cr_config_real_word(cfg, "tetrahedron", "t_start");
        if (w0 >= 0) t0 = w0 == 0 ? f->t_min : f->t_max;
        int w1 = cr_config_real_word(cfg, "tetrahedron", "t_end");
        if (w1 >= 0) t1 = w1 == 0 ? t0 : f->t_max;
        if (f->t_max > f->t_min && (t0 < f->t_min || t1 > f->t_max || t0 > f->t_max)) {
            cr_error(log, "tetrahedron.t_start = %g s, t_end = %g s: the MHD slices cover [%g, %g] s", t0, t1, f->t_min,
                     f->t_max);
            cr_liouville_setup_release(&R.lv);
            return CR_ECONFIG;
        }
    } else {
        R.cres = (struct cr_crescent){.mass = CR_MP, .charge = 1, .B = cr_config_real(cfg, "tetrahedron", "model_b"),
                                      .n0 = cr_config_real(cfg, "tetrahedron", "model_n"),
                                      .kt = cr_config_real(cfg, "tetrahedron", "model_kt"),
                                      .delta = cr_config_real(cfg, "tetrahedron", "model_delta")};
        if (isnan(t0)) t0 = 0;
        if (isnan(t1)) t1 = t0;
    }
    if (t1 < t0) {
        cr_error(log, "tetrahedron.t_end = %g s is before t_start = %g s", t1, t0);
        if (R.src_mhd) cr_liouville_setup_release(&R.lv);
        return CR_ECONFIG;
    }
    struct cr_epoch epoch;
    if (cr_epoch_from_config(cfg, &epoch, log)) {
        if (R.src_mhd) cr_liouville_setup_release(&R.lv);
        return CR_ECONFIG;
    }
    size_t nrec = (size_t)ntimes * nsep;
    R.set = cr_vdf_set_new(CR_VDF_SPHERICAL, nrec, nsc, (size_t)cr_config_int(cfg, "tetrahedron", "n_energy"),
                           (size_t)cr_config_int(cfg, "tetrahedron", "n_polar"),
                           (size_t)cr_config_int(cfg, "tetrahedron", "n_azimuth"), CR_MP, 1);
    if (R.set) {
        R.set->U = cr_zalloc(nrec * (size_t)nsc * 3, sizeof(double));
        R.set->ref_n = cr_zalloc(nrec * (size_t)nsc, sizeof(double));
        R.set->ref_P = cr_zalloc(nrec * (size_t)nsc, sizeof(double));
        R.set->ref_grad_P = cr_zalloc(nrec * 3, sizeof(double));
    }
    if (!R.set || !R.set->U || !R.set->ref_n || !R.set->ref_P || !R.set->ref_grad_P) {
        cr_error(log, "tetrahedron: out of memory for %zu records", nrec);
        cr_vdf_set_release(R.set);
        if (R.src_mhd) cr_liouville_setup_release(&R.lv);
        return CR_ENOMEM;
    }
    struct cr_vdf *proto = cr_vdf_new_instrument(R.set->v[0]->n[0], e_min, e_max, R.set->v[0]->n[1],
                                                 R.set->v[0]->n[2], CR_MP);
    for (size_t q = 0; proto && q < nrec * (size_t)nsc; q++)
        for (int d = 0; d < 3; d++) {
            size_t n = proto->n[d] * sizeof(double);
            memcpy(R.set->v[q]->c[d], proto->c[d], n);
            memcpy(R.set->v[q]->lo[d], proto->lo[d], n);
            memcpy(R.set->v[q]->hi[d], proto->hi[d], n);
        }
    cr_vdf_release(proto);
    snprintf(R.set->species, sizeof R.set->species, "proton");
    snprintf(R.set->coords, sizeof R.set->coords, "%s",
             R.src_mhd ? "SM (positions in km from Earth's centre)" : "crescent model frame: B along +z, edge normal +x");
    cr_epoch_cf_units(&epoch, R.set->time_units, sizeof R.set->time_units);
    cr_info(log, "tetrahedron: %s source, %s, %zu separation(s) x %ld time(s), %zu x %zu x %zu bins per spacecraft "
                 "(%zu points per record)", R.src_mhd ? "MHD (backward Liouville)" : "crescent model",
            shape == 0 ? "regular tetrahedron" : shape == 1 ? "MMS-like tetrahedron" : "pair", nsep, ntimes,
            R.set->v[0]->n[0], R.set->v[0]->n[1], R.set->v[0]->n[2],
            (size_t)nsc * R.set->v[0]->n[0] * R.set->v[0]->n[1] * R.set->v[0]->n[2]);
    double w0 = cr_wtime(), h = cr_config_real(cfg, "tetrahedron", "grad_step");
    /* one progress line: over the records when there are several, else the tracer's own */
    struct cr_progress_inp pin = {.label = "tetrahedron", .total = (double)nrec, .unit = "records", .log = log,
                                  .force = nrec > 1 ? 0 : -1};
    struct cr_progress *pg = cr_progress_new(&pin);
    if (R.src_mhd && nrec > 1) R.lv.inp.progress = -1;
    for (long it = 0; it < ntimes && !rc; it++) {
        double t = ntimes > 1 ? t0 + (t1 - t0) * (double)it / (double)(ntimes - 1) : t0;
        for (size_t js = 0; js < nsep && !rc; js++) {
            double off[4][3] = {{0}};
            offsets(shape, dir, seps[js], off);
            size_t q = (size_t)it * nsep + js;
            if (R.src_mhd) rc = record_mhd(&R, q, t, centre, off, h);
            else record_crescent(&R, q, t, off);
            cr_progress_update(pg, (double)(q + 1), NULL);
        }
    }
    cr_progress_release(pg);
    if (R.src_mhd) cr_liouville_setup_release(&R.lv);
    if (!rc) {
        char name[512], fname[600], path[4096];
        const char *nm = cr_config_string(cfg, "tetrahedron", "name");
        if (nm && *nm) snprintf(name, sizeof name, "%s", nm);
        else cr_path_stem(ctx->ini_path ? ctx->ini_path : "tetrahedron", name, sizeof name);
        snprintf(fname, sizeof fname, "%s.vdf.nc", name);
        rc = cr_run_path(ctx, fname, path, sizeof path);
        if (!rc) rc = cr_vdf_set_write(R.set, path, "cusprate virtual tetrahedron: ion distributions", cfg, log);
        if (!rc)
            cr_info(log, "tetrahedron: wrote %s (%zu records) in %.1f s%s", path, nrec, cr_wtime() - w0,
                    R.src_mhd ? "" : " (crescent model)");
        if (!rc && R.src_mhd)
            cr_info(log, "tetrahedron: %ld of %ld bins reached the source (or sat in it); tracing %.1f s", R.sources,
                    R.traces, R.trace_wall);
    }
    cr_vdf_set_release(R.set);
    return rc;
}
