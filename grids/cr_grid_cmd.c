/* cr_grid_cmd.c — the [grid] keys, cr_grid_spec_from_config, grid statistics,
 * the grid.h5 / grid.xmf writer, `cusprate grid` and `cusprate bench grid`. */
#include "cr_grid_cmd.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/cr_common.h"
#include "../core/cr_sys.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"

const struct cr_key cr_grid_keys[] = {
    {.section = "grid", .name = "kind", .type = CR_KEY_CHOICE, .unit = "", .def = "lfm",
     .choices = "cartesian|warped|lfm",
     .doc = "grid type: Cartesian box, box with a smooth sinusoidal warp, or LFM-style warped spherical (SM)"},
    {.section = "grid", .name = "preset", .type = CR_KEY_CHOICE, .unit = "", .def = "D", .choices = "D|Q|custom",
     .doc = "lfm: D = 48x48x64, Q = 96x96x128 with the standard shape; keys given explicitly override the preset"},
    {.section = "grid", .name = "ni", .type = CR_KEY_INT, .unit = "", .def = "48", .min = 1, .max = 100000,
     .doc = "active cells along i (lfm: quasi-radial)"},
    {.section = "grid", .name = "nj", .type = CR_KEY_INT, .unit = "", .def = "48", .min = 1, .max = 100000,
     .doc = "active cells along j (lfm: polar angle from +X, >= 2)"},
    {.section = "grid", .name = "nk", .type = CR_KEY_INT, .unit = "", .def = "64", .min = 1, .max = 100000,
     .doc = "active cells along k (lfm: azimuth about X from +Y, even)"},
    {.section = "grid", .name = "ng", .type = CR_KEY_INT, .unit = "", .def = "4", .min = 4, .max = 16,
     .doc = "ghost layers on every side"},
    {.section = "grid", .name = "box", .type = CR_KEY_REALS, .unit = "R_E (or code units)", .def = "-1 1 -1 1 -1 1",
     .doc = "cartesian/warped: x0 x1 y0 y1 z0 z1", .min_count = 6, .max_count = 6},
    {.section = "grid", .name = "periodic_x", .type = CR_KEY_BOOL, .unit = "", .def = "no",
     .doc = "cartesian/warped: periodic along x (i)"},
    {.section = "grid", .name = "periodic_y", .type = CR_KEY_BOOL, .unit = "", .def = "no",
     .doc = "cartesian/warped: periodic along y (j)"},
    {.section = "grid", .name = "periodic_z", .type = CR_KEY_BOOL, .unit = "", .def = "no",
     .doc = "cartesian/warped: periodic along z (k)"},
    {.section = "grid", .name = "warp_amp", .type = CR_KEY_REAL, .unit = "cell sizes", .def = "0.2", .min = -0.5,
     .max = 0.5, .doc = "warped: amplitude of the sinusoidal corner displacement"},
    {.section = "grid", .name = "r_inner", .type = CR_KEY_REAL, .unit = "R_E", .def = "2", .min = 0, .max = 1000,
     .flags = CR_KEY_MIN_OPEN, .doc = "lfm: radius of the inner sphere"},
    {.section = "grid", .name = "x_sun", .type = CR_KEY_REAL, .unit = "R_E", .def = "30", .min = 0, .max = 1e5,
     .flags = CR_KEY_MIN_OPEN, .doc = "lfm: sunward extent of the outer shell (on +X)"},
    {.section = "grid", .name = "x_tail", .type = CR_KEY_REAL, .unit = "R_E", .def = "300", .min = 0, .max = 1e5,
     .flags = CR_KEY_MIN_OPEN, .doc = "lfm: down-tail extent of the outer shell (distance along -X)"},
    {.section = "grid", .name = "r_side", .type = CR_KEY_REAL, .unit = "R_E", .def = "100", .min = 0, .max = 1e5,
     .flags = CR_KEY_MIN_OPEN, .doc = "lfm: lateral extent of the outer shell in the plane x = 0"},
    {.section = "grid", .name = "r_focus", .type = CR_KEY_REAL, .unit = "R_E", .def = "10", .min = 0, .max = 1e5,
     .flags = CR_KEY_MIN_OPEN, .doc = "lfm: sunward distance where the radial spacing is smallest (subsolar magnetopause)"},
    {.section = "grid", .name = "dr_focus", .type = CR_KEY_REAL, .unit = "R_E", .def = "0", .min = 0, .max = 1000,
     .doc = "lfm: radial spacing at r_focus; 0 = 0.34 * 48 / ni (0.34 on D, 0.17 on Q)"},
    {.section = "grid", .name = "file", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "HDF5 file whose corner arrays X, Y, Z [R_E] are the grid (GAMERA's lfmD.h5, or a grid.h5 / mhd.h5); "
            "then kind, preset, ni, nj, nk and the shape keys must not be given"},
    {.section = "grid", .name = "file_ghosts", .type = CR_KEY_INT, .unit = "", .def = "4", .min = 0, .max = 64,
     .flags = CR_KEY_RANGED,
     .doc = "ghost layers on every side of grid.file's corner arrays (GAMERA's grid generator: 4; grid.h5, mhd.h5: 0)"},
    {.section = "grid", .name = "j_warp", .type = CR_KEY_REAL, .unit = "", .def = "0.5", .min = -2, .max = 4,
     .flags = CR_KEY_MIN_OPEN | CR_KEY_MAX_OPEN,
     .doc = "lfm: polar-angle warp A (0 uniform; > 0 widens the cells next to the X axis)"},
    CR_KEY_END,
};

int cr_grid_spec_from_config(const struct cr_config *cfg, struct cr_grid_spec *spec, const struct cr_log *log)
{
    memset(spec, 0, sizeof *spec);
    spec->log = log;
    spec->kind = (enum cr_grid_kind)cr_config_choice(cfg, "grid", "kind");
    const char *preset = cr_config_choice_name(cfg, "grid", "preset");
    int use_preset = spec->kind == CR_GRID_LFM && strcmp(preset, "custom");
    if (use_preset && cr_grid_spec_preset(spec, preset)) return CR_ECONFIG;
    spec->log = log;
#define KEY_INT(field, name) \
    if (!use_preset || cr_config_is_set(cfg, "grid", name)) spec->field = (int)cr_config_int(cfg, "grid", name)
#define KEY_REAL(field, name) \
    if (!use_preset || cr_config_is_set(cfg, "grid", name)) spec->field = cr_config_real(cfg, "grid", name)
    KEY_INT(ni, "ni");
    KEY_INT(nj, "nj");
    KEY_INT(nk, "nk");
    KEY_REAL(r_inner, "r_inner");
    KEY_REAL(x_sun, "x_sun");
    KEY_REAL(x_tail, "x_tail");
    KEY_REAL(r_side, "r_side");
    KEY_REAL(r_focus, "r_focus");
    KEY_REAL(j_warp, "j_warp");
#undef KEY_INT
#undef KEY_REAL
    /* dr_focus follows ni unless given */
    spec->dr_focus = cr_config_real(cfg, "grid", "dr_focus");
    spec->ng = (int)cr_config_int(cfg, "grid", "ng");
    size_t nb = 0;
    const double *box = cr_config_reals(cfg, "grid", "box", &nb);
    for (int d = 0; d < 3 && nb == 6; d++) {
        spec->lo[d] = box[2 * d];
        spec->hi[d] = box[2 * d + 1];
    }
    spec->periodic[0] = cr_config_bool(cfg, "grid", "periodic_x");
    spec->periodic[1] = cr_config_bool(cfg, "grid", "periodic_y");
    spec->periodic[2] = cr_config_bool(cfg, "grid", "periodic_z");
    spec->warp_amp = cr_config_real(cfg, "grid", "warp_amp");
    if (spec->kind == CR_GRID_LFM && spec->dr_focus == 0.0) spec->dr_focus = 0.34 * 48.0 / spec->ni;
    const char *file = cr_config_path(cfg, "grid", "file");
    if (file && *file) {
        /* the file gives the whole grid: a key that would shape it is a contradiction */
        static const char *const shape_keys[] = {"kind",   "preset", "ni",       "nj",       "nk",     "box",
                                                 "r_inner", "x_sun", "x_tail",   "r_side",   "r_focus", "dr_focus",
                                                 "j_warp",  "warp_amp", "periodic_x", "periodic_y", "periodic_z"};
        for (size_t q = 0; q < sizeof shape_keys / sizeof *shape_keys; q++)
            if (cr_config_is_set(cfg, "grid", shape_keys[q])) {
                cr_error(log, "%s: grid.%s is given with grid.file = %s; the file's corners are the grid (remove one)",
                         cr_config_origin(cfg, "grid", shape_keys[q]), shape_keys[q], file);
                return CR_ECONFIG;
            }
        int ghosts = (int)cr_config_int(cfg, "grid", "file_ghosts");
        struct cr_grid *g = cr_grid_new_from_file(file, ghosts, log);
        if (!g) {
            cr_error(log, "%s: grid.file = %s (grid.file_ghosts = %d) is not a usable grid",
                     cr_config_origin(cfg, "grid", "file"), file, ghosts);
            return CR_ECONFIG;
        }
        /* what the file's grid is, for the checks of the stages before they build it */
        int ng = spec->ng;
        *spec = g->spec;
        spec->ng = ng;
        spec->log = log;
        spec->file = file;
        spec->file_ghosts = ghosts;
        cr_grid_release(g);
        return CR_OK;
    }
    return cr_grid_spec_check(spec);
}

void cr_grid_stats(const struct cr_grid *g, struct cr_grid_stats *st)
{
    memset(st, 0, sizeof *st);
    st->vol_min = INFINITY;
    st->ncells = (long)g->ni * g->nj * g->nk;
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                size_t m = CR_GIDX(g, i, j, k);
                const size_t hi[3] = {CR_GIDX(g, i + 1, j, k), CR_GIDX(g, i, j + 1, k), CR_GIDX(g, i, j, k + 1)};
                double v = g->vol[m];
                st->vol_sum += v;
                if (v < st->vol_min) {
                    st->vol_min = v;
                    st->at_min[0] = i, st->at_min[1] = j, st->at_min[2] = k;
                }
                if (v > st->vol_max) {
                    st->vol_max = v;
                    st->at_max[0] = i, st->at_max[1] = j, st->at_max[2] = k;
                }
                double wmin = INFINITY, wmax = 0.0;
                for (int d = 0; d < 3; d++) {
                    double w = v / (0.5 * (g->amag[d][m] + g->amag[d][hi[d]]));
                    wmin = fmin(wmin, w);
                    wmax = fmax(wmax, w);
                }
                double a = wmax / wmin;
                if (a > st->aspect_max) {
                    st->aspect_max = a;
                    st->at_aspect[0] = i, st->at_aspect[1] = j, st->at_aspect[2] = k;
                }
            }
}

/* Active corners (or cells) of a node-sized array into a C-order (k, j, i) buffer. */
static void pack(const struct cr_grid *g, const double *src, int cells, double *dst)
{
    int ni = g->ni + !cells, nj = g->nj + !cells, nk = g->nk + !cells;
    size_t n = 0;
    for (int k = 0; k < nk; k++)
        for (int j = 0; j < nj; j++)
            for (int i = 0; i < ni; i++) dst[n++] = src[CR_GIDX(g, i, j, k)];
}

static int write_xmf(const struct cr_grid *g, const char *h5_path, const char *xmf_path, const struct cr_log *log)
{
    char tmp[4200];
    if (cr_tmp_name(xmf_path, tmp, sizeof tmp)) {
        cr_error(log, "%s: path too long", xmf_path);
        return CR_EIO;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cr_error(log, "%s: cannot write", tmp);
        return CR_EIO;
    }
    const char *base = strrchr(h5_path, '/');
    base = base ? base + 1 : h5_path;
    int nk = g->nk, nj = g->nj, ni = g->ni;
    fprintf(f, "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"2.0\">\n"
               " <Domain>\n  <Grid Name=\"cusprate_grid\" GridType=\"Uniform\">\n");
    fprintf(f, "   <Topology TopologyType=\"3DSMesh\" NumberOfElements=\"%d %d %d\"/>\n", nk + 1, nj + 1, ni + 1);
    fprintf(f, "   <Geometry GeometryType=\"X_Y_Z\">\n");
    const char *xyz[3] = {"X", "Y", "Z"};
    for (int c = 0; c < 3; c++)
        fprintf(f,
                "    <DataItem Dimensions=\"%d %d %d\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/%s"
                "</DataItem>\n",
                nk + 1, nj + 1, ni + 1, base, xyz[c]);
    fprintf(f, "   </Geometry>\n   <Attribute Name=\"dV\" AttributeType=\"Scalar\" Center=\"Cell\">\n");
    fprintf(f,
            "    <DataItem Dimensions=\"%d %d %d\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/dV"
            "</DataItem>\n",
            nk, nj, ni, base);
    fprintf(f, "   </Attribute>\n  </Grid>\n </Domain>\n</Xdmf>\n");
    if (fclose(f)) {
        cr_error(log, "%s: write failed", tmp);
        remove(tmp);
        return CR_EIO;
    }
    return cr_commit_file(tmp, xmf_path, log);
}

int cr_grid_write(const struct cr_grid *g, const char *h5_path, const char *xmf_path, const struct cr_config *cfg,
                  const struct cr_log *log)
{
    size_t nc = (size_t)(g->ni + 1) * (g->nj + 1) * (g->nk + 1);
    double *buf = malloc(nc * sizeof(double));
    if (!buf) {
        cr_error(log, "grid: out of memory writing %s", h5_path);
        return CR_ENOMEM;
    }
    struct cr_h5 *f = cr_h5_create(h5_path, cfg, log);
    if (!f) {
        free(buf);
        return CR_EIO;
    }
    hid_t root = cr_h5_root(f);
    const int lfm = g->kind == CR_GRID_LFM;
    const char *lunit = lfm ? "R_E" : "code_length";
    const char *vunit = lfm ? "R_E^3" : "code_length^3";
    hsize_t dn[3] = {(hsize_t)g->nk + 1, (hsize_t)g->nj + 1, (hsize_t)g->ni + 1};
    hsize_t dc[3] = {(hsize_t)g->nk, (hsize_t)g->nj, (hsize_t)g->ni};
    const double *src[3] = {g->x, g->y, g->z};
    const char *names[3] = {"X", "Y", "Z"};
    const char *desc[3] = {"corner x coordinate (SM), C order (k, j, i), no ghosts",
                           "corner y coordinate (SM), C order (k, j, i), no ghosts",
                           "corner z coordinate (SM), C order (k, j, i), no ghosts"};
    int rc = CR_OK;
    for (int c = 0; c < 3 && rc == CR_OK; c++) {
        pack(g, src[c], 0, buf);
        rc = cr_h5_write_doubles(root, names[c], 3, dn, buf, lunit, desc[c], log);
    }
    if (rc == CR_OK) {
        pack(g, g->vol, 1, buf);
        rc = cr_h5_write_doubles(root, "dV", 3, dc, buf, vunit, "cell volume (exact for the trilinear cell)", log);
    }
    static const char *kinds[] = {"cartesian", "warped", "lfm"};
    if (rc == CR_OK) rc = cr_h5_attr_string(root, "grid_kind", kinds[g->kind]);
    if (rc == CR_OK) rc = cr_h5_attr_int(root, "Ni", g->ni);
    if (rc == CR_OK) rc = cr_h5_attr_int(root, "Nj", g->nj);
    if (rc == CR_OK) rc = cr_h5_attr_int(root, "Nk", g->nk);
    if (rc == CR_OK)
        rc = cr_h5_attr_string(root, "index_convention",
                               lfm ? "i quasi-radial (inner -> outer), j polar angle from +X (0..pi), k azimuth about "
                                     "X from +Y towards +Z (periodic)"
                                   : "i along x, j along y, k along z");
    free(buf);
    if (rc) {
        cr_h5_discard(f);
        return rc;
    }
    rc = cr_h5_commit(f);
    if (rc) return rc;
    return write_xmf(g, h5_path, xmf_path, log);
}

static void cell_centre(const struct cr_grid *g, const int c[3], double p[3])
{
    size_t m = CR_GIDX(g, c[0], c[1], c[2]);
    p[0] = g->cx[m];
    p[1] = g->cy[m];
    p[2] = g->cz[m];
}

int cr_cmd_grid(struct cr_cmd_ctx *ctx)
{
    struct cr_grid_spec spec;
    int rc = cr_grid_spec_from_config(ctx->cfg, &spec, ctx->log);
    if (rc) return rc;
    struct cr_grid *g = cr_grid_new(&spec);
    if (!g) return CR_ERR;
    struct cr_grid_stats st;
    cr_grid_stats(g, &st);
    static const char *kinds[] = {"cartesian", "warped", "lfm"};
    const char *unit = g->kind == CR_GRID_LFM ? "R_E" : "(code length)";
    printf("grid: %s", kinds[g->kind]);
    if (spec.file && spec.file[0])
        printf(" from %s (%d ghost layers dropped): r_inner %g, outer shell x_sun %g, x_tail %g, r_side %g R_E",
               spec.file, spec.file_ghosts, g->spec.r_inner, g->spec.x_sun, g->spec.x_tail, g->spec.r_side);
    else if (g->kind == CR_GRID_LFM)
        printf(" (preset %s) r_inner %g, x_sun %g, x_tail %g, r_side %g, focus %g R_E with dr %g R_E",
               cr_config_choice_name(ctx->cfg, "grid", "preset"), g->spec.r_inner, g->spec.x_sun, g->spec.x_tail,
               g->spec.r_side, g->spec.r_focus, g->spec.dr_focus);
    printf("\n");
    printf("cells: %d x %d x %d = %ld active; %d ghost layers, %zu nodes with ghosts\n", g->ni, g->nj, g->nk,
           st.ncells, g->ng, g->ntot);
    double p[3];
    cell_centre(g, st.at_min, p);
    printf("smallest cell: %.4g %s^3 at (%d,%d,%d), centre (%.3f, %.3f, %.3f)\n", st.vol_min, unit, st.at_min[0],
           st.at_min[1], st.at_min[2], p[0], p[1], p[2]);
    cell_centre(g, st.at_max, p);
    printf("largest cell:  %.4g %s^3 at (%d,%d,%d), centre (%.3f, %.3f, %.3f)\n", st.vol_max, unit, st.at_max[0],
           st.at_max[1], st.at_max[2], p[0], p[1], p[2]);
    cell_centre(g, st.at_aspect, p);
    printf("largest aspect ratio: %.3g at (%d,%d,%d), centre (%.3f, %.3f, %.3f)\n", st.aspect_max, st.at_aspect[0],
           st.at_aspect[1], st.at_aspect[2], p[0], p[1], p[2]);
    printf("total volume: %.10g %s^3", st.vol_sum, unit);
    if (g->kind == CR_GRID_LFM) printf(" (analytic region %.10g)", cr_grid_lfm_volume(&g->spec));
    printf("\n");
    char h5[4096], xmf[4096];
    rc = cr_run_path(ctx, "grid.h5", h5, sizeof h5);
    if (!rc) rc = cr_run_path(ctx, "grid.xmf", xmf, sizeof xmf);
    if (!rc) rc = cr_grid_write(g, h5, xmf, ctx->cfg, ctx->log);
    if (!rc) printf("wrote %s and %s\n", h5, xmf);
    cr_grid_release(g);
    return rc;
}

/* CPU time of this thread: the rate per core even on a busy machine. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int cr_bench_grid(struct cr_cmd_ctx *ctx)
{
    struct cr_grid_spec spec;
    int rc = cr_grid_spec_from_config(ctx->cfg, &spec, ctx->log);
    if (rc) return rc;
    struct cr_grid *g = cr_grid_new(&spec);
    if (!g) return CR_ERR;
    const int n = 2000000;
    double(*path)[3] = malloc(sizeof(double[3]) * n);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!path || !r) {
        free(path);
        if (r) gsl_rng_free(r);
        cr_grid_release(g);
        return CR_ENOMEM;
    }
    gsl_rng_set(r, 1);
    /* a random walk inside the grid, steps of 0.25 of the local cell size */
    int c0[3] = {g->ni / 3, g->nj / 3, g->nk / 5};
    double p[3];
    cell_centre(g, c0, p);
    struct cr_grid_loc loc = {.i = -1};
    if (cr_grid_locate(g, p, &loc)) {
        cr_error(ctx->log, "bench grid: the start point is not in the grid");
        rc = CR_ERR;
    }
    for (int s = 0; s < n && !rc; s++) {
        double h = 0.25 * cbrt(g->vol[CR_GIDX(g, loc.i, loc.j, loc.k)]);
        for (int tries = 0; tries < 100; tries++) {
            double q[3];
            for (int c = 0; c < 3; c++) q[c] = p[c] + h * (2.0 * gsl_rng_uniform(r) - 1.0);
            struct cr_grid_loc l2 = loc;
            if (cr_grid_locate(g, q, &l2) == CR_OK) {
                loc = l2;
                p[0] = q[0], p[1] = q[1], p[2] = q[2];
                break;
            }
        }
        path[s][0] = p[0], path[s][1] = p[1], path[s][2] = p[2];
    }
    if (!rc) {
        /* timed: locate the stored path again, each search from the previous cell */
        struct cr_grid_loc l = {.i = -1};
        long fails = 0;
        double t0 = cr_wtime(), u0 = cpu_s();
        for (int s = 0; s < n; s++) fails += cr_grid_locate(g, path[s], &l) != CR_OK;
        double dt = cr_wtime() - t0, dc = cpu_s() - u0;
        /* fresh searches (no hint) on a subsample, for comparison */
        int nf = n / 20;
        double t1 = cr_wtime(), u1 = cpu_s();
        for (int s = 0; s < nf; s++) {
            struct cr_grid_loc lf = {.i = -1};
            fails += cr_grid_locate(g, path[20 * s], &lf) != CR_OK;
        }
        double dtf = cr_wtime() - t1, dcf = cpu_s() - u1;
        printf("grid %d x %d x %d (%s): %d located points along a random walk (steps 0.25 cell), 1 thread\n", g->ni,
               g->nj, g->nk, cr_config_choice_name(ctx->cfg, "grid", "kind"), n);
        printf("  from the previous cell: %.3g locations/s per core (CPU time; %.1f ns each), %.3g/s wall clock\n",
               n / dc, 1e9 * dc / n, n / dt);
        printf("  fresh search (no hint): %.3g locations/s per core (CPU time; %.1f ns each), %.3g/s wall clock\n",
               nf / dcf, 1e9 * dcf / nf, nf / dtf);
        if (fails) {
            cr_error(ctx->log, "bench grid: %ld points of the walk were not located", fails);
            rc = CR_ERR;
        }
    }
    gsl_rng_free(r);
    free(path);
    cr_grid_release(g);
    return rc;
}
