/* cr_gradient_cmd.c — `cusprate gradient FILE.ini`: reads four (or two)
 * spacecraft's velocity distributions (layout vdf-1), computes the gradient
 * distributions and the pressure-divergence budget of every record
 * (cr_gradient.h) and writes <run>/<name>.gradient.nc (docs/formats.md) and
 * the figures of tools/plot_gradient.py. Also the [gradient] schema. */
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_file.h"
#include "../core/cr_nc.h"
#include "../core/cr_progress.h"
#include "../core/cr_script.h"
#include "cr_gradient.h"
#include "cr_vdf_io.h"

const struct cr_key cr_gradient_keys[] = {
    {.section = "gradient", .name = "input", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "the distributions (empty = <run>/<INI stem>.vdf.nc, what `cusprate tetrahedron` writes for the same "
            "file): a netCDF file in the layout vdf-1 (docs/formats.md; written by cusprate tetrahedron "
            "or tools/mms_fpi_to_vdf.py)"},
    {.section = "gradient", .name = "name", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "output <run>/<name>.gradient.nc (empty = the input's name without .vdf.nc / .nc)"},
    {.section = "gradient", .name = "nv", .type = CR_KEY_INT, .unit = "cells", .def = "32", .min = 4, .max = 256,
     .doc = "cells per axis of the common field-aligned velocity grid"},
    {.section = "gradient", .name = "v_max", .type = CR_KEY_REAL, .unit = "km/s", .def = "0", .min = 0, .max = 3e5,
     .flags = CR_KEY_RANGED,
     .doc = "half-width of the common velocity grid (0 = the largest speed the instrument bins reach)"},
    {.section = "gradient", .name = "min_eigen_ratio", .type = CR_KEY_REAL, .unit = "", .def = "1e-6", .min = 0,
     .max = 1, .flags = CR_KEY_MIN_OPEN | CR_KEY_MAX_OPEN,
     .doc = "refuse a tetrahedron whose smallest/largest volumetric-tensor eigenvalue is below this (planar, "
            "collinear)"},
    {.section = "gradient", .name = "figures", .type = CR_KEY_BOOL, .unit = "", .def = "yes",
     .doc = "draw the figures with tools/plot_gradient.py (Python 3 + matplotlib + netCDF4) into <run>/<name>_figures"},
    {.section = "gradient", .name = "script", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "figure script (default: tools/plot_gradient.py under $CUSPRATE_ROOT, the current folder or the "
            "executable's)"},
    {.section = "gradient", .name = "python", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "Python interpreter (default: $PYTHON, else /usr/bin/python3)"},
    CR_KEY_END};

/* ---- output file ---------------------------------------------------------------- */

enum { V_TIME, V_POS, V_B, V_U, V_FRAME, V_FALLBACK, V_F, V_GRAD, V_N, V_USC, V_P, V_T, V_EIG, V_ELONG, V_PLAN,
       V_SIZE, V_GRADN, V_DIVP, V_TGN, V_NDT, V_DIVI, V_DIVP_F, V_TGN_F, V_NDT_F, V_DIVI_F, V_EPAR, V_EPARN, V_EPART,
       V_IGF, V_KSP, V_KST, V_DSP, V_RG, V_RGL, V_RSL, V_DIR, V_DSN, V_DSPT, V_NVARS };

struct out {
    struct cr_nc *nc;
    int id, var[V_NVARS], nsc, ref;
    size_t nv;
};

static int def(struct out *o, int k, const char *name, int nd, const int *dims, const char *units, const char *ln,
               const char *desc)
{
    return cr_nc_def_var(o->nc, name, NC_DOUBLE, nd, dims, units, ln, desc, NULL, &o->var[k]);
}

static int define(struct out *o, const struct cr_vdf_set *s)
{
    int rc = 0, dt, dsc, d3, dfac, deig, dv[3];
    rc |= cr_nc_def_dim(o->nc, "time", s->nt, &dt);
    rc |= cr_nc_def_index_dim(o->nc, "spacecraft", (size_t)s->nsc, "index of the spacecraft", NULL, &dsc);
    rc |= cr_nc_def_index_dim(o->nc, "three", 3, "vector component in coordinate_system", "x y z", &d3);
    rc |= cr_nc_def_index_dim(o->nc, "fac", 3, "field-aligned component", "par perp1 perp2", &dfac);
    rc |= cr_nc_def_index_dim(o->nc, "eigen", 3, "eigenvalue of the volumetric tensor, descending",
                              "largest middle smallest", &deig);
    static const char *const vn[3] = {"v_par", "v_perp1", "v_perp2"};
    for (int c = 0; c < 3; c++) rc |= cr_nc_def_dim(o->nc, vn[c], o->nv, &dv[c]);
    rc |= cr_nc_put_att_text(o->nc, NC_GLOBAL, "coordinate_system", s->coords);
    rc |= cr_nc_put_att_text(o->nc, NC_GLOBAL, "species", s->species);
    rc |= cr_nc_put_att_text(o->nc, NC_GLOBAL, "cusprate_layout", o->nsc == 2 ? "gradient-pair-1" : "gradient-1");
    rc |= cr_nc_put_att_text(o->nc, NC_GLOBAL, "fac_components", "par, perp1, perp2");
    rc |= cr_nc_put_att_text(o->nc, NC_GLOBAL, "references",
                             "Shuster et al. 2026 (smile-shaped electron gradient distributions), eqs. 2-5; "
                             "Chanteur 1998 and Harvey 1998, ISSI SR-001 (reciprocal vectors); Robert et al. 1998 "
                             "(tetrahedron shape)");
    const char *cs = s->coords;
    int t1[1] = {dt}, tv[2] = {dt, d3}, tsv[3] = {dt, dsc, d3}, ts[2] = {dt, dsc}, tst[4] = {dt, dsc, d3, d3},
        tfv[3] = {dt, dfac, d3}, tf[2] = {dt, dfac}, te[2] = {dt, deig}, tt[3] = {dt, d3, d3};
    int grid5[5] = {dt, dsc, dv[0], dv[1], dv[2]}, grad5[5] = {dt, dfac, dv[0], dv[1], dv[2]},
        ds4[4] = {dt, dv[0], dv[1], dv[2]};
    rc |= def(o, V_TIME, "time", 1, t1, s->time_units, "time of the record", "copied from the input");
    for (int c = 0; c < 3; c++) {
        int vid;
        rc |= cr_nc_def_var(o->nc, vn[c], NC_DOUBLE, 1, &dv[c], "km/s", "common velocity grid cell centre",
                            "lab-frame velocity along the field-aligned axis", NULL, &vid);
    }
    rc |= def(o, V_POS, "position", 3, tsv, "km", "spacecraft position", cs);
    rc |= def(o, V_B, "B", 2, tv, "nT", "mean magnetic field of the spacecraft", cs);
    rc |= def(o, V_U, "U", 2, tv, "km/s", "mean bulk velocity used for the frame", cs);
    rc |= def(o, V_FRAME, "frame", 3, tfv, "1", "field-aligned unit vectors e_par, e_perp1, e_perp2",
              "e_par along B, e_perp2 along -U x B, e_perp1 along (-U x B) x B (Shuster et al. 2026)");
    rc |= def(o, V_FALLBACK, "frame_fallback", 1, t1, "1", "1: U zero or parallel to B",
              "e_perp2 along b x x (b x y when b is near x) instead of -U x B");
    rc |= def(o, V_F, "f", 5, grid5, "s3 cm-6", "phase-space density on the common grid",
              "each spacecraft's distribution interpolated linearly between its bin centres");
    rc |= def(o, V_N, "n", 2, ts, "cm-3", "density moment", "midpoint rule over the native bins");
    rc |= def(o, V_USC, "U_sc", 3, tsv, "km/s", "bulk velocity moment", cs);
    rc |= def(o, V_P, "P", 4, tst, "nPa", "pressure tensor moment", cs);
    rc |= def(o, V_T, "T", 4, tst, "eV", "temperature tensor P / n", cs);
    if (s->nsc == 2) {
        rc |= def(o, V_DIR, "direction", 2, tv, "1", "unit vector from spacecraft 1 to spacecraft 2", cs);
        rc |= def(o, V_SIZE, "separation", 1, t1, "km", "distance between the two spacecraft", "");
        rc |= def(o, V_GRAD, "ds_f", 4, ds4, "s3 cm-6 km-1", "along-track derivative of f", "(f_2 - f_1) / separation");
        rc |= def(o, V_DSN, "ds_n", 1, t1, "cm-3 km-1", "along-track derivative of n", "");
        rc |= def(o, V_DSPT, "ds_P", 3, tt, "nPa km-1", "along-track derivative of P", cs);
        rc |= def(o, V_IGF, "int_ds_f", 1, t1, "cm-3 km-1", "integral of ds_f over the common grid",
                  "identity: equals ds_n to the regridding and quadrature error");
        return rc;
    }
    rc |= def(o, V_GRAD, "grad_f", 5, grad5, "s3 cm-6 km-1", "gradient distribution in the field-aligned frame",
              "grad_par f, grad_perp1 f, grad_perp2 f: sum_a k_a f_a per cell, projected on the frame");
    rc |= def(o, V_EIG, "tetra_eigenvalues", 2, te, "km2", "eigenvalues of the volumetric tensor", "descending");
    rc |= def(o, V_ELONG, "elongation", 1, t1, "1", "tetrahedron elongation 1 - sqrt(l2/l1)", "Robert et al. 1998");
    rc |= def(o, V_PLAN, "planarity", 1, t1, "1", "tetrahedron planarity 1 - sqrt(l3/l2)", "Robert et al. 1998");
    rc |= def(o, V_SIZE, "tetra_size", 1, t1, "km", "mean inter-spacecraft distance", "");
    rc |= def(o, V_GRADN, "grad_n", 2, tv, "cm-3 km-1", "four-point gradient of n", cs);
    rc |= def(o, V_DIVP, "div_P", 2, tv, "nPa km-1", "divergence of the pressure tensor", cs);
    rc |= def(o, V_TGN, "T_grad_n", 2, tv, "nPa km-1", "density part T . grad n", "T and n: means of the four");
    rc |= def(o, V_NDT, "n_div_T", 2, tv, "nPa km-1", "temperature part n div T", "n: mean of the four");
    rc |= def(o, V_DIVI, "div_inertia", 2, tv, "nPa km-1", "inertial term div(m n U U)", cs);
    rc |= def(o, V_DIVP_F, "div_P_fac", 2, tf, "nPa km-1", "div P in the field-aligned frame", "");
    rc |= def(o, V_TGN_F, "T_grad_n_fac", 2, tf, "nPa km-1", "T . grad n in the field-aligned frame", "");
    rc |= def(o, V_NDT_F, "n_div_T_fac", 2, tf, "nPa km-1", "n div T in the field-aligned frame", "");
    rc |= def(o, V_DIVI_F, "div_inertia_fac", 2, tf, "nPa km-1", "div(m n U U) in the field-aligned frame", "");
    rc |= def(o, V_EPAR, "E_par", 1, t1, "mV m-1", "parallel electric field from the pressure divergence",
              "(div P)_par / (n q): Shuster et al. 2026 eq. 4 (q = -e for electrons)");
    rc |= def(o, V_EPARN, "E_par_density", 1, t1, "mV m-1", "density-gradient part (T . grad n)_par / (n q)", "");
    rc |= def(o, V_EPART, "E_par_temperature", 1, t1, "mV m-1", "temperature-divergence part (div T)_par / q", "");
    rc |= def(o, V_IGF, "int_grad_f", 2, tv, "cm-3 km-1", "integral of grad f over the common grid",
              "identity: equals grad_n to the regridding and quadrature error");
    rc |= def(o, V_KSP, "kinetic_div_stress_par", 1, t1, "nPa km-1", "m int v_par (v . grad f) d3v",
              "Shuster et al. 2026 eq. 5 on the common grid");
    rc |= def(o, V_KST, "kinetic_div_stress_par_terms", 2, tf, "nPa km-1", "m int v_par v_c grad_c f d3v",
              "c = par, perp1, perp2");
    rc |= def(o, V_DSP, "div_stress_par", 1, t1, "nPa km-1", "(div P + div(m n U U))_par from the moments",
              "the right side of the kinetic identity");
    if (o->ref) {
        rc |= def(o, V_RG, "reference_grad_P", 2, tv, "nPa km-1", "model pressure gradient at the barycentre",
                  "copied from the input");
        rc |= def(o, V_RGL, "reference_grad_P_linear", 2, tv, "nPa km-1",
                  "four-point estimate of the model pressure gradient", "sum_a k_a reference_P_a");
        rc |= def(o, V_RSL, "reference_scale_length", 1, t1, "km", "model pressure scale length",
                  "mean reference_P / |reference_grad_P|");
    }
    return rc;
}

static int put(struct out *o, int k, size_t t, int nd, const size_t *cnt, const double *x)
{
    size_t st[5] = {t, 0, 0, 0, 0}, ct[5] = {1, 1, 1, 1, 1};
    for (int d = 1; d < nd; d++) ct[d] = cnt[d - 1];
    return nc_put_vara_double(o->id, o->var[k], st, ct, x);
}

static int write_record(struct out *o, size_t t, const struct cr_gradient *g, const struct cr_vdf_set *s)
{
    int rc = 0, nsc = s->nsc;
    size_t nv = o->nv, c3[1] = {3}, c33[2] = {3, 3}, csc[1] = {(size_t)nsc}, cs3[2] = {(size_t)nsc, 3},
           cs33[3] = {(size_t)nsc, 3, 3};
    rc |= put(o, V_TIME, t, 1, NULL, &s->time[t]);
    rc |= put(o, V_POS, t, 3, cs3, s->pos + t * nsc * 3);
    rc |= put(o, V_B, t, 2, c3, g->B);
    rc |= put(o, V_U, t, 2, c3, g->U);
    rc |= put(o, V_FRAME, t, 3, c33, &g->frame[0][0]);
    double fb = g->frame_fallback;
    rc |= put(o, V_FALLBACK, t, 1, NULL, &fb);
    for (int a = 0; a < nsc; a++) {
        size_t st[5] = {t, (size_t)a, 0, 0, 0}, ct[5] = {1, 1, nv, nv, nv};
        rc |= nc_put_vara_double(o->id, o->var[V_F], st, ct, g->f[a]);
    }
    double n[4], U[4][3], P[4][3][3], T[4][3][3];
    for (int a = 0; a < nsc; a++) {
        n[a] = g->mom[a].n;
        memcpy(U[a], g->mom[a].U, sizeof U[a]);
        memcpy(P[a], g->mom[a].P, sizeof P[a]);
        memcpy(T[a], g->mom[a].T, sizeof T[a]);
    }
    rc |= put(o, V_N, t, 2, csc, n);
    rc |= put(o, V_USC, t, 3, cs3, &U[0][0]);
    rc |= put(o, V_P, t, 4, cs33, &P[0][0][0]);
    rc |= put(o, V_T, t, 4, cs33, &T[0][0][0]);
    if (nsc == 2) {
        rc |= put(o, V_DIR, t, 2, c3, g->direction);
        rc |= put(o, V_SIZE, t, 1, NULL, &g->ds);
        size_t cv[3] = {nv, nv, nv};
        rc |= put(o, V_GRAD, t, 4, cv, g->grad[0]);
        rc |= put(o, V_DSN, t, 1, NULL, &g->grad_n[0]);
        rc |= put(o, V_DSPT, t, 3, c33, &g->ds_P[0][0]);
        rc |= put(o, V_IGF, t, 1, NULL, &g->int_grad_f[0]);
        return rc;
    }
    for (int c = 0; c < 3; c++) {
        size_t st[5] = {t, (size_t)c, 0, 0, 0}, ct[5] = {1, 1, nv, nv, nv};
        rc |= nc_put_vara_double(o->id, o->var[V_GRAD], st, ct, g->grad[c]);
    }
    double el = g->elongation, pl = g->planarity, sz = g->size;
    rc |= put(o, V_EIG, t, 2, c3, g->tetra.eig);
    rc |= put(o, V_ELONG, t, 1, NULL, &el);
    rc |= put(o, V_PLAN, t, 1, NULL, &pl);
    rc |= put(o, V_SIZE, t, 1, NULL, &sz);
    rc |= put(o, V_GRADN, t, 2, c3, g->grad_n);
    const double *vec[4] = {g->div_P, g->T_grad_n, g->n_div_T, g->div_inertia};
    for (int k = 0; k < 4; k++) {
        double fac[3];
        cr_gradient_to_fac(g, vec[k], fac);
        rc |= put(o, V_DIVP + k, t, 2, c3, vec[k]);
        rc |= put(o, V_DIVP_F + k, t, 2, c3, fac);
    }
    rc |= put(o, V_EPAR, t, 1, NULL, &g->E_par);
    rc |= put(o, V_EPARN, t, 1, NULL, &g->E_par_density);
    rc |= put(o, V_EPART, t, 1, NULL, &g->E_par_temperature);
    rc |= put(o, V_IGF, t, 2, c3, g->int_grad_f);
    rc |= put(o, V_KSP, t, 1, NULL, &g->kin_stress_par);
    rc |= put(o, V_KST, t, 2, c3, g->kin_stress_terms);
    rc |= put(o, V_DSP, t, 1, NULL, &g->div_stress_par);
    if (o->ref) {
        const double *rg = s->ref_grad_P + 3 * t;
        double rp[4], lin[3], pm = 0;
        for (int a = 0; a < 4; a++) {
            rp[a] = s->ref_P[t * 4 + a];
            pm += rp[a] / 4;
        }
        cr_tetra_gradient(&g->tetra, rp, lin);
        double mag = sqrt(rg[0] * rg[0] + rg[1] * rg[1] + rg[2] * rg[2]);
        double L = mag > 0 ? pm / mag : INFINITY;
        rc |= put(o, V_RG, t, 2, c3, rg);
        rc |= put(o, V_RGL, t, 2, c3, lin);
        rc |= put(o, V_RSL, t, 1, NULL, &L);
    }
    return rc;
}

/* ---- the command ------------------------------------------------------------------ */

static void output_name(const struct cr_config *cfg, const char *input, char *buf, size_t n)
{
    const char *name = cr_config_string(cfg, "gradient", "name");
    if (name && *name) {
        snprintf(buf, n, "%s", name);
        return;
    }
    const char *base = strrchr(input, '/');
    snprintf(buf, n, "%.1000s", base ? base + 1 : input);
    size_t len = strlen(buf);
    if (len > 7 && !strcmp(buf + len - 7, ".vdf.nc")) buf[len - 7] = '\0';
    else if (len > 3 && !strcmp(buf + len - 3, ".nc")) buf[len - 3] = '\0';
}

int cr_cmd_gradient(struct cr_cmd_ctx *ctx)
{
    const struct cr_config *cfg = ctx->cfg;
    const struct cr_log *log = ctx->log;
    const char *input = cr_config_path(cfg, "gradient", "input");
    char dflt[4096];
    if (!input || !*input) {
        char stem[512];
        cr_path_stem(ctx->ini_path ? ctx->ini_path : "gradient", stem, sizeof stem);
        snprintf(dflt, sizeof dflt, "%.3500s/%.500s.vdf.nc", ctx->run_dir, stem);
        input = dflt;
    }
    if (!cr_file_exists(input)) {
        cr_error(log, "gradient.input: %s does not exist (run `cusprate tetrahedron` first, or name a vdf-1 file)",
                 input);
        return CR_ECONFIG;
    }
    struct cr_vdf_set *s = cr_vdf_set_read(input, log);
    if (!s) return CR_ECONFIG;
    struct cr_gradient_inp gi = {.nsc = s->nsc, .charge = s->charge, .nv = (size_t)cr_config_int(cfg, "gradient", "nv"),
                                 .v_max = cr_config_real(cfg, "gradient", "v_max"),
                                 .min_eigen_ratio = cr_config_real(cfg, "gradient", "min_eigen_ratio"), .log = log};
    /* validate every record's geometry before writing anything */
    for (size_t t = 0; t < s->nt && s->nsc == 4; t++) {
        struct cr_tetra_inp ti = {.min_eigen_ratio = gi.min_eigen_ratio, .log = log};
        memcpy(ti.r, s->pos + t * 12, sizeof ti.r);
        struct cr_tetra tt;
        if (cr_tetra_init(&tt, &ti) != CR_OK) {
            cr_error(log, "%s: record %zu (time %g %s): the tetrahedron is refused (above)", input, t, s->time[t],
                     s->time_units);
            cr_vdf_set_release(s);
            return CR_ECONFIG;
        }
    }
    char name[1024], path[4096];
    output_name(cfg, input, name, sizeof name);
    char fname[1200];
    snprintf(fname, sizeof fname, "%s.gradient.nc", name);
    int rc = cr_run_path(ctx, fname, path, sizeof path);
    if (rc) {
        cr_vdf_set_release(s);
        return rc;
    }
    struct out o = {.nsc = s->nsc, .nv = gi.nv, .ref = s->nsc == 4 && s->ref_P && s->ref_grad_P};
    o.nc = cr_nc_create(path, "cusprate four-spacecraft gradient distributions", cfg, log);
    if (!o.nc) {
        cr_vdf_set_release(s);
        return CR_EIO;
    }
    o.id = cr_nc_id(o.nc);
    rc = define(&o, s) ? CR_EIO : CR_OK;
    struct cr_progress_inp pin = {.label = "gradient", .total = (double)s->nt, .unit = "records", .log = log};
    struct cr_progress *pg = cr_progress_new(&pin);
    for (size_t t = 0; t < s->nt && !rc; t++) {
        for (int a = 0; a < s->nsc; a++) {
            gi.vdf[a] = s->v[t * s->nsc + a];
            for (int d = 0; d < 3; d++) {
                gi.r[a][d] = s->pos[(t * s->nsc + a) * 3 + d];
                gi.B[a][d] = s->B[(t * s->nsc + a) * 3 + d];
                gi.U[a][d] = s->U ? s->U[(t * s->nsc + a) * 3 + d] : 0;
            }
        }
        gi.have_U = s->U != NULL;
        struct cr_gradient *g = cr_gradient_new(&gi);
        if (!g) {
            cr_error(log, "%s: record %zu could not be analysed (above)", input, t);
            rc = CR_ECONFIG;
            break;
        }
        if (t == 0) {
            /* the grid (same every record when v_max is given; else the first record's) */
            static const char *const vn[3] = {"v_par", "v_perp1", "v_perp2"};
            double *ax = malloc(gi.nv * sizeof(double));
            for (size_t i = 0; ax && i < gi.nv; i++) ax[i] = cr_gradient_v(g, i);
            for (int c = 0; c < 3 && ax; c++) {
                int vid;
                if (nc_inq_varid(o.id, vn[c], &vid) == NC_NOERR) rc |= nc_put_var_double(o.id, vid, ax);
            }
            free(ax);
            gi.v_max = g->v_max; /* every record on the same grid */
        }
        if (!rc && write_record(&o, t, g, s)) {
            cr_error(log, "%s: writing record %zu failed", path, t);
            rc = CR_EIO;
        }
        cr_gradient_release(g);
        cr_progress_update(pg, (double)(t + 1), "");
    }
    cr_progress_release(pg);
    if (rc) {
        cr_nc_discard(o.nc);
        cr_vdf_set_release(s);
        return rc;
    }
    rc = cr_nc_commit(o.nc);
    if (!rc) cr_info(log, "wrote %s (%zu records, %d spacecraft, %zu^3 velocity grid)", path, s->nt, s->nsc, gi.nv);
    cr_vdf_set_release(s);
    if (rc || !cr_config_bool(cfg, "gradient", "figures")) return rc;
    char figdir[4096], note[1024] = "";
    snprintf(figdir, sizeof figdir, "%.4000s_figures", path);
    size_t L = strlen(figdir);
    /* <run>/<name>.gradient.nc_figures -> <run>/<name>_figures */
    const char *suf = ".gradient.nc_figures";
    if (L > strlen(suf)) snprintf(figdir + L - strlen(suf), sizeof figdir - (L - strlen(suf)), "_figures");
    if (cr_script_figures(cfg, "gradient", "plot_gradient.py", path, figdir, note, sizeof note, log))
        cr_info(log, "figures in %s", figdir);
    else cr_warn(log, "%s", note);
    return CR_OK;
}
