/* cr_msphere.c — the magnetosphere set-up: configuration, the solver with
 * the dipole background and the two physical boundaries, the initial state,
 * magnetosphere-ionosphere coupling, one step, diagnostics along the
 * Sun-Earth line, and the object's part of a checkpoint (see cr_msphere.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_h5.h"
#include "../core/cr_par.h"
#include "../core/cr_units.h"
#include "../grids/cr_field.h"
#include "../grids/cr_grid_cmd.h"
#include "../mhd/cr_checkpoint.h"
#include "cr_msphere_priv.h"

#define SEC "msphere"

const struct cr_key cr_msphere_keys[] = {
    {.section = SEC, .name = "b_e", .type = CR_KEY_REAL, .unit = "nT", .def = "30000", .min = 0, .max = 1e7,
     .flags = CR_KEY_MIN_OPEN, .doc = "Earth's dipole: field at the equatorial surface (moment along -z, SM, zero tilt)"},
    {.section = SEC, .name = "boris_c", .type = CR_KEY_REAL, .unit = "km/s", .def = "500", .min = 0, .max = 3e5,
     .flags = CR_KEY_RANGED, .doc = "reduced speed of light of the Boris correction (0 = no correction)"},
    {.section = SEC, .name = "boris_c_near", .type = CR_KEY_REAL, .unit = "km/s", .def = "200", .min = 0, .max = 3e5,
     .flags = CR_KEY_RANGED,
     .doc = "Boris speed inside boris_r_near (rising linearly in r to boris_c at 1.5 boris_r_near; 0 = boris_c "
            "everywhere): the numerical diffusion near the Earth scales with it"},
    {.section = SEC, .name = "boris_r_near", .type = CR_KEY_REAL, .unit = "R_E", .def = "6", .min = 0, .max = 1e3,
     .flags = CR_KEY_MIN_OPEN, .doc = "radius inside which boris_c_near applies"},
    {.section = SEC, .name = "n_floor", .type = CR_KEY_REAL, .unit = "cm^-3", .def = "1e-3", .min = 0, .max = 1,
     .flags = CR_KEY_MIN_OPEN, .doc = "density floor (every use is counted and reported)"},
    {.section = SEC, .name = "p_floor", .type = CR_KEY_REAL, .unit = "nPa", .def = "1e-6", .min = 0, .max = 1,
     .flags = CR_KEY_MIN_OPEN, .doc = "pressure floor (every use is counted and reported)"},
    {.section = SEC, .name = "n_init", .type = CR_KEY_REAL, .unit = "cm^-3", .def = "1", .min = 0, .max = 1e4,
     .flags = CR_KEY_MIN_OPEN, .doc = "initial plasma density inside the domain (at rest, before the wind arrives)"},
    {.section = SEC, .name = "t_init", .type = CR_KEY_REAL, .unit = "K", .def = "1e5", .min = 0, .max = 1e9,
     .flags = CR_KEY_MIN_OPEN, .doc = "initial plasma temperature (pressure n k_B T)"},
    {.section = SEC, .name = "va_max", .type = CR_KEY_REAL, .unit = "km/s", .def = "5000", .min = 0, .max = 1e7,
     .flags = CR_KEY_RANGED,
     .doc = "Alfven-speed limiter: density raised to B^2 / (mu0 m_p va_max^2) where lower (counted as density floors; 0 = off)"},
    {.section = SEC, .name = "n_inner", .type = CR_KEY_REAL, .unit = "cm^-3", .def = "0", .min = 0, .max = 1e6,
     .flags = CR_KEY_RANGED, .doc = "density of the inner-boundary ghost cells (0 = that of the first active cell)"},
    {.section = SEC, .name = "t_inner", .type = CR_KEY_REAL, .unit = "K", .def = "1e5", .min = 0, .max = 1e9,
     .flags = CR_KEY_RANGED,
     .doc = "temperature of the inner-boundary ghost cells (0 = the first active cell's pressure; a fixed "
            "temperature keeps the low-beta first shell from losing its pressure to truncation errors)"},
    {.section = SEC, .name = "axis_rings", .type = CR_KEY_INT, .unit = "", .def = "4", .min = 0, .max = 64,
     .flags = CR_KEY_RANGED, .doc = "rings of cells averaged next to the LFM axis by the MHD core (0 = none)"},
    {.section = SEC, .name = "fac_shell", .type = CR_KEY_INT, .unit = "", .def = "0", .min = 0, .max = 100000, .flags = CR_KEY_RANGED,
     .doc = "cell shell (radial index i, from 0 at the inner boundary) where the field-aligned current is sampled"},
    {.section = SEC, .name = "x_bc", .type = CR_KEY_REAL, .unit = "R_E", .def = "0", .min = 0, .max = 1e4,
     .flags = CR_KEY_RANGED, .doc = "x of the plane where the driver's values apply (planar front; 0 = the grid's x_sun)"},
    {.section = SEC, .name = "t_end", .type = CR_KEY_REAL, .unit = "s", .def = "12300", .min = 0, .max = 1e7,
     .flags = CR_KEY_MIN_OPEN, .doc = "end of the run (simulated time)"},
    {.section = SEC, .name = "t_analysis", .type = CR_KEY_REAL, .unit = "s", .def = "11400", .min = 0, .max = 1e7,
     .flags = CR_KEY_RANGED, .doc = "start of the analysis window: slices every slice_dt from here on"},
    {.section = SEC, .name = "slice_dt", .type = CR_KEY_REAL, .unit = "s", .def = "5", .min = 0, .max = 1e6,
     .flags = CR_KEY_MIN_OPEN, .doc = "slice cadence from t_analysis on"},
    {.section = SEC, .name = "slice_dt_spinup", .type = CR_KEY_REAL, .unit = "s", .def = "600", .min = 0, .max = 1e7,
     .flags = CR_KEY_MIN_OPEN, .doc = "slice cadence before t_analysis (spin-up)"},
    {.section = SEC, .name = "checkpoint_dt", .type = CR_KEY_REAL, .unit = "s", .def = "600", .min = 0, .max = 1e7,
     .flags = CR_KEY_MIN_OPEN, .doc = "checkpoint cadence (simulated time); a checkpoint is also written at the end"},
    {.section = SEC, .name = "restart", .type = CR_KEY_CHOICE, .unit = "", .def = "auto", .choices = "auto|no",
     .doc = "auto: resume from <run>/checkpoint.h5 when it exists; no: start from t = 0 (the checkpoint is replaced)"},
    {.section = SEC, .name = "stop_after", .type = CR_KEY_INT, .unit = "", .def = "0", .min = 0, .max = 1000000000,
     .flags = CR_KEY_RANGED,
     .doc = "stop after this many steps of this process as if killed: nothing more is written, the last checkpoint "
            "stays (restart tests; 0 = run to t_end)"},
    {.section = SEC, .name = "validate", .type = CR_KEY_BOOL, .unit = "", .def = "no",
     .doc = "at the end, fail unless stand-offs and polar-cap potential meet the GEM-2009 reference tolerances"},
    CR_KEY_END,
};

void cr_msphere_units(struct cr_mhd_units *u)
{
    cr_mhd_units_physical(u, CR_RE_M, 1.0, 100.0);
    u->note = "GAMERA's normalisation (mu0 = 1): R_E, 1 proton/cc, 100 km/s (63.712 s, 0.0167262 nPa, 4.58463 nT, "
              "0.572628 nA/m^2); written in physical units; SM coordinates, zero dipole tilt";
}

int cr_msphere_inp_from_config(const struct cr_config *cfg, struct cr_msphere_inp *inp, const struct cr_log *log)
{
    memset(inp, 0, sizeof *inp);
    inp->log = log;
    int rc = cr_grid_spec_from_config(cfg, &inp->grid, log);
    if (rc) return rc;
    if (inp->grid.kind != CR_GRID_LFM) {
        cr_error(log, "msphere: the magnetosphere needs the LFM-style spherical grid ([grid] kind = lfm, got %s)",
                 cr_config_choice_name(cfg, "grid", "kind"));
        return CR_ECONFIG;
    }
    cr_iono_inp_from_config(cfg, &inp->iono);
    inp->cadence = cr_config_real(cfg, "ionosphere", "cadence");
    inp->cond_model = cr_conductance_is_model(cfg);
    cr_conductance_inp_from_config(cfg, &inp->cond);
    inp->b_e = cr_config_real(cfg, SEC, "b_e");
    /* numerics from the MHD core's [mhd] section (same keys as the verification problems) */
    inp->gamma = cr_config_real(cfg, "mhd", "gamma");
    if (inp->gamma == 0.0) inp->gamma = 5.0 / 3.0;
    if (!(inp->gamma > 1.0)) {
        cr_error(log, "msphere: mhd.gamma must be > 1 (or 0 for 5/3); got %g", inp->gamma);
        return CR_ECONFIG;
    }
    const char *rec = cr_config_choice_name(cfg, "mhd", "recon");
    inp->recon = !strcmp(rec, "pcm") ? CR_MHD_PCM : !strcmp(rec, "wenoz") ? CR_MHD_WENOZ : CR_MHD_PLM;
    const char *lim = cr_config_choice_name(cfg, "mhd", "limiter");
    inp->limiter = !strcmp(lim, "mc") ? CR_MHD_LIM_MC : !strcmp(lim, "minmod") ? CR_MHD_LIM_MINMOD : CR_MHD_LIM_VANLEER;
    const char *itg = cr_config_choice_name(cfg, "mhd", "integrator");
    inp->integrator = !strcmp(itg, "rk2") ? CR_MHD_RK2 : !strcmp(itg, "rk3") ? CR_MHD_RK3 : CR_MHD_VL2;
    inp->riemann = !strcmp(cr_config_choice_name(cfg, "mhd", "riemann"), "hlle") ? CR_MHD_HLLE : CR_MHD_HLLD;
    inp->cfl = cr_config_real(cfg, "mhd", "cfl");
    inp->dual_energy = cr_config_real(cfg, "mhd", "dual_energy");
    inp->boris_c = cr_config_real(cfg, SEC, "boris_c");
    inp->boris_c_near = cr_config_real(cfg, SEC, "boris_c_near");
    inp->boris_r_near = cr_config_real(cfg, SEC, "boris_r_near");
    inp->n_floor = cr_config_real(cfg, SEC, "n_floor");
    inp->p_floor = cr_config_real(cfg, SEC, "p_floor");
    inp->n_init = cr_config_real(cfg, SEC, "n_init");
    inp->t_init = cr_config_real(cfg, SEC, "t_init");
    inp->n_inner = cr_config_real(cfg, SEC, "n_inner");
    inp->va_max = cr_config_real(cfg, SEC, "va_max");
    inp->t_inner = cr_config_real(cfg, SEC, "t_inner");
    inp->axis_rings = (int)cr_config_int(cfg, SEC, "axis_rings");
    inp->fac_shell = (int)cr_config_int(cfg, SEC, "fac_shell");
    inp->x_bc = cr_config_real(cfg, SEC, "x_bc");
    if (inp->fac_shell >= inp->grid.ni - 1) {
        cr_error(log, "msphere: msphere.fac_shell = %d must be below the outermost shells (ni = %d)", inp->fac_shell,
                 inp->grid.ni);
        return CR_ECONFIG;
    }
    return CR_OK;
}

int cr_msphere_wind_from_config(const struct cr_config *cfg, const struct cr_log *log, struct cr_wind **out)
{
    *out = NULL;
    const char *drv = cr_config_path(cfg, "wind", "driver");
    if (drv && *drv) return cr_wind_load(drv, log, out);
    struct cr_wind_ideal p;
    cr_wind_ideal_from_config(cfg, &p);
    *out = cr_wind_ideal_new(&p, log);
    return *out ? CR_OK : CR_ECONFIG;
}

/* ---- small helpers ------------------------------------------------------------ */

void cr_msphere_dipole(void *ctx, const double x[3], double b[3])
{
    const double *be = ctx; /* code units */
    cr_dipole_field(*be, x, b);
}

/* The Boris speed at x [code units, R_E]: c_near inside r_near, c far beyond
 * 1.5 r_near, linear in r between (the correction leaves steady states
 * unchanged, Gombosi et al. 2002, so c may vary in space; near the Earth the
 * flows are slow and a lower c means less numerical diffusion and longer
 * time steps, docs/magnetosphere.md). */
static double boris_c_at(void *ctx, const double x[3])
{
    const double *p = ctx;
    const double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    double f = (r - p[2]) / (0.5 * p[2]);
    f = f < 0.0 ? 0.0 : f > 1.0 ? 1.0 : f;
    return p[1] + f * (p[0] - p[1]);
}

void cr_msphere_cell_b(const struct cr_grid *g, double *const face[3], size_t c, double b[3])
{
    const size_t st[3] = {1, g->sj, g->sk};
    double a[6] = {0, 0, 0, 0, 0, 0}, r[3] = {0, 0, 0};
    for (int d = 0; d < 3; d++)
        for (int s = 0; s < 2; s++) {
            size_t f = c + (s ? st[d] : 0);
            double x = g->area[d][0][f], y = g->area[d][1][f], z = g->area[d][2][f], p = face[d][f];
            a[0] += x * x, a[1] += x * y, a[2] += x * z, a[3] += y * y, a[4] += y * z, a[5] += z * z;
            r[0] += x * p, r[1] += y * p, r[2] += z * p;
        }
    double c00 = a[3] * a[5] - a[4] * a[4], c01 = a[2] * a[4] - a[1] * a[5], c02 = a[1] * a[4] - a[2] * a[3];
    double c11 = a[0] * a[5] - a[2] * a[2], c12 = a[1] * a[2] - a[0] * a[4], c22 = a[0] * a[3] - a[1] * a[1];
    double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
    if (!(fabs(det) > 0.0)) {
        b[0] = b[1] = b[2] = 0.0;
        return;
    }
    double id = 1.0 / det;
    b[0] = (c00 * r[0] + c01 * r[1] + c02 * r[2]) * id;
    b[1] = (c01 * r[0] + c11 * r[1] + c12 * r[2]) * id;
    b[2] = (c02 * r[0] + c12 * r[1] + c22 * r[2]) * id;
}

/* ---- initial state ------------------------------------------------------------- */

struct init_ctx {
    double rho, p;
};

static void init_prim(void *ctx, const double x[3], double w[5])
{
    const struct init_ctx *c = ctx;
    (void)x;
    w[0] = c->rho;
    w[1] = w[2] = w[3] = 0.0;
    w[4] = c->p;
}

/* The solver's grid: this process's block, or the whole grid. */
static const struct cr_grid *solver_grid(const struct cr_msphere *ms) { return ms->gb ? ms->gb : ms->g; }

/* A grid's sizes, topology and spec without its arrays (ni radial cells):
 * what ranks other than 0 keep of the whole grid. */
static struct cr_grid *grid_header(const struct cr_grid *g, int ni)
{
    struct cr_grid *h = cr_zalloc(1, sizeof *h);
    if (!h) return NULL;
    h->kind = g->kind, h->ni = ni, h->nj = g->nj, h->nk = g->nk, h->ng = g->ng;
    memcpy(h->bc, g->bc, sizeof h->bc);
    h->bc[0] = CR_GRID_OPEN;
    h->sj = (size_t)ni + 1 + 2 * (size_t)g->ng;
    h->sk = h->sj * ((size_t)g->nj + 1 + 2 * (size_t)g->ng);
    h->ntot = h->sk * ((size_t)g->nk + 1 + 2 * (size_t)g->ng);
    h->axis_lo = g->axis_lo, h->axis_hi = g->axis_hi;
    h->spec = g->spec;
    h->spec.ni = ni;
    h->spec.block_i0 = h->spec.block_ni = 0;
    return h; /* no arrays: cr_grid_release frees NULLs */
}

/* Rank 0 (or the only process): inner boundary, ionosphere, files. */
static int is_root(const struct cr_msphere *ms) { return ms->par.rank == 0; }

/* ---- FAC sampling set-up ---------------------------------------------------------- */

/* Polar angle from +X and azimuth about X from +Y towards +Z, in [0, 2 pi). */
static void lfm_angles(const double x[3], double *th, double *ph)
{
    double r = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    *th = acos(fmax(-1.0, fmin(1.0, x[0] / r)));
    double p = atan2(x[2], x[1]);
    *ph = p < 0 ? p + 2.0 * CR_PI : p;
}

/* Mean radius [R_E] of the cell centres of shell i. */
static double shell_radius(const struct cr_grid *g, int i)
{
    double rs = 0.0;
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++) {
            size_t c = CR_GIDX(g, i, j, k);
            rs += sqrt(g->cx[c] * g->cx[c] + g->cy[c] * g->cy[c] + g->cz[c] * g->cz[c]);
        }
    return rs / ((double)g->nj * g->nk);
}

/* The map from the ionosphere's nodes (both hemispheres, node q of
 * hemisphere h at h * nnode + q) along the dipole to shell `is`: per node the
 * four cells (j, k pairs, already mapped across the axis / seam) and their
 * bilinear weights in the shell's angles; ok = 0 where the node's field
 * line does not reach the shell's mean radius (sm->r). */
static int map_shell(struct cr_msphere *ms, int is, struct shell_map *sm)
{
    const struct cr_grid *g = ms->g;
    const int nj = g->nj, nk = g->nk;
    /* cell-centre angles of the shell (spherical inside the focus) */
    double *thc = cr_zalloc((size_t)nj, sizeof(double)), *phc = cr_zalloc((size_t)nk, sizeof(double));
    size_t n2 = 2 * ms->nnode;
    sm->j = cr_zalloc(4 * n2, sizeof(int));
    sm->k = cr_zalloc(4 * n2, sizeof(int));
    sm->w = cr_zalloc(4 * n2, sizeof(double));
    sm->ok = cr_zalloc(n2, 1);
    if (!thc || !phc || !sm->j || !sm->k || !sm->w || !sm->ok) {
        free(thc), free(phc);
        return CR_ENOMEM;
    }
    sm->shell = is;
    sm->r = shell_radius(g, is);
    for (int j = 0; j < nj; j++) {
        size_t c = CR_GIDX(g, is, j, 0);
        double x[3] = {g->cx[c], g->cy[c], g->cz[c]}, ph;
        lfm_angles(x, &thc[j], &ph);
    }
    for (int k = 0; k < nk; k++) {
        size_t c = CR_GIDX(g, is, nj / 2, k);
        double x[3] = {g->cx[c], g->cy[c], g->cz[c]}, th;
        lfm_angles(x, &th, &phc[k]);
    }
    const double dph = 2.0 * CR_PI / nk;
    const int nth = cr_iono_ntheta(ms->io), nph = cr_iono_nphi(ms->io);
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < nth; i++)
            for (int jn = 0; jn < nph; jn++) {
                size_t q = (size_t)h * ms->nnode + (size_t)i * nph + jn;
                double x[3], th, ph;
                if (cr_iono_node_at_radius(ms->io, h, i, jn, sm->r, x)) continue;
                lfm_angles(x, &th, &ph);
                /* j pair (j0, j0 + 1) in the extended row: -1 and nj are the cells across the axis */
                int j0;
                double t0, t1;
                if (th < thc[0]) {
                    j0 = -1, t0 = -thc[0], t1 = thc[0];
                } else if (th >= thc[nj - 1]) {
                    j0 = nj - 1, t0 = thc[nj - 1], t1 = 2.0 * CR_PI - thc[nj - 1];
                } else {
                    int lo = 0, hi = nj - 1;
                    while (hi - lo > 1) {
                        int mid = (lo + hi) / 2;
                        if (thc[mid] <= th) lo = mid;
                        else hi = mid;
                    }
                    j0 = lo, t0 = thc[lo], t1 = thc[lo + 1];
                }
                double wj = (th - t0) / (t1 - t0);
                double fk = (ph - phc[0]) / dph;
                int k0 = (int)floor(fk);
                double wk = fk - k0;
                for (int n = 0; n < 4; n++) {
                    int jj = j0 + (n & 1), kk = ((k0 + (n >> 1)) % nk + nk) % nk;
                    if (jj < 0) jj = 0, kk = cr_grid_axis_k(g, kk);
                    if (jj >= nj) jj = nj - 1, kk = cr_grid_axis_k(g, kk);
                    sm->j[4 * q + n] = jj;
                    sm->k[4 * q + n] = kk;
                    sm->w[4 * q + n] = ((n & 1) ? wj : 1.0 - wj) * ((n >> 1) ? wk : 1.0 - wk);
                }
                sm->ok[q] = 1;
            }
    free(thc), free(phc);
    return CR_OK;
}

static void shell_map_free(struct shell_map *sm) { free(sm->j), free(sm->k), free(sm->w), free(sm->ok); }

/* The value at node qq of the map (0 where its field line misses the shell)
 * of the shell's cell values a[base + stride (j + nj k)]. */
static double shell_at(const struct shell_map *sm, size_t qq, const double *a, size_t base, size_t stride, int nj)
{
    double s = 0.0;
    if (sm->ok[qq])
        for (int n = 0; n < 4; n++) {
            size_t jk = (size_t)sm->j[4 * qq + n] + (size_t)nj * (size_t)sm->k[4 * qq + n];
            s += sm->w[4 * qq + n] * a[base + stride * jk];
        }
    return s;
}

/* The number of radial cells in rank 0's block (it holds the FAC shell and
 * the conductance model's source shell). */
static int rank0_shells(const struct cr_msphere *ms, int ni)
{
    return ni / ms->par.size + (ni % ms->par.size > 0);
}

/* The map the conductance model takes its source plasma from. */
static const struct shell_map *source_map(const struct cr_msphere *ms) { return ms->src.j ? &ms->src : &ms->fac; }

/* The conductance model's source shell: the one whose mean radius is
 * nearest r [R_E], mapped when it is not the FAC shell; it must lie in rank
 * 0's block (the model is computed there). */
static int source_shell(struct cr_msphere *ms, double r)
{
    const struct cr_grid *g = ms->g;
    int best = 0;
    double dbest = INFINITY;
    for (int i = 0; i < g->ni - 1; i++) {
        double d = fabs(shell_radius(g, i) - r);
        if (d < dbest) dbest = d, best = i;
    }
    if (ms->par.size > 1) {
        const int ni0 = rank0_shells(ms, g->ni);
        if (best >= ni0) {
            cr_error(ms->log,
                     "msphere: ionosphere.precip_r = %g R_E (shell %d) must lie inside rank 0's %d radial cells "
                     "(use fewer processes or a smaller radius)",
                     r, best, ni0);
            return CR_EDOMAIN;
        }
    }
    if (best == ms->inp.fac_shell) return CR_OK;
    int rc = map_shell(ms, best, &ms->src);
    if (rc) cr_error(ms->log, "msphere: out of memory");
    return rc;
}

int cr_msphere_sample_point(const struct cr_msphere *ms, int which, int h, int i, int j, double x[3], double *r)
{
    const struct cr_grid *g = ms->g;
    const struct shell_map *sm = which == 1 ? source_map(ms) : &ms->fac;
    x[0] = x[1] = x[2] = 0.0;
    *r = sm->r;
    const int nth = cr_iono_ntheta(ms->io), nph = cr_iono_nphi(ms->io);
    if ((which == 1 && !ms->cond) || !sm->ok || (h != 0 && h != 1) || i < 0 || i >= nth || j < 0 || j >= nph) return 1;
    size_t qq = (size_t)h * ms->nnode + (size_t)i * nph + (size_t)j;
    if (!sm->ok[qq]) return 1;
    for (int n = 0; n < 4; n++) {
        size_t c = CR_GIDX(g, sm->shell, sm->j[4 * qq + n], sm->k[4 * qq + n]);
        x[0] += sm->w[4 * qq + n] * g->cx[c];
        x[1] += sm->w[4 * qq + n] * g->cy[c];
        x[2] += sm->w[4 * qq + n] * g->cz[c];
    }
    return 0;
}

static int setup_fac(struct cr_msphere *ms)
{
    const struct cr_grid *g = ms->g;
    const int nth = cr_iono_ntheta(ms->io), nph = cr_iono_nphi(ms->io);
    ms->nnode = (size_t)nth * (size_t)nph;
    ms->jb = cr_zalloc(ms->nnode, sizeof(double));
    ms->jup_shell = cr_zalloc((size_t)g->nj * (size_t)g->nk, sizeof(double));
    if (!ms->jb || !ms->jup_shell) return CR_ENOMEM;
    return map_shell(ms, ms->inp.fac_shell, &ms->fac);
}

/* ---- boundary data from the ionosphere ------------------------------------------- */

void cr_msphere_refresh_boundary(struct cr_msphere *ms)
{
    if (!is_root(ms)) return; /* the inner boundary is rank 0's */
    const struct cr_grid *g = ms->g;
    const int ng = g->ng, nJ = ms->nJ, nK = ms->nK;
    const double vs = 1.0 / ms->units.velocity;
#pragma omp parallel for collapse(2) schedule(static)
    for (int kk = 0; kk < nK; kk++)
        for (int jj = 0; jj < nJ; jj++)
            for (int l = 0; l < ng; l++) {
                size_t c = CR_GIDX(g, -1 - l, jj - ng, kk - ng);
                double x[3] = {g->cx[c], g->cy[c], g->cz[c]}, E[3], v[3];
                if (cr_iono_drift(ms->io, x, E, v)) v[0] = v[1] = v[2] = 0.0;
                size_t o = (size_t)l + (size_t)ng * ((size_t)jj + (size_t)nJ * (size_t)kk);
                for (int q = 0; q < 3; q++) ms->vdrift[q][o] = v[q] * vs;
            }
    const int nj = g->nj, nk = g->nk;
#pragma omp parallel for schedule(static)
    for (int k = 0; k <= nk; k++)
        for (int j = 0; j <= nj; j++) {
            size_t n = CR_GIDX(g, 0, j, k);
            double x[3] = {g->x[n], g->y[n], g->z[n]};
            ms->phib[(size_t)j + (size_t)(nj + 1) * (size_t)k] = cr_iono_potential_at(ms->io, x) / ms->phi0_v;
        }
}

/* F10.7 [sfu] of the driver at time t (linear in time between its
 * samples, held outside), else the configured value. */
static double f107_at(const struct cr_msphere *ms, double t)
{
    const double *f = cr_wind_index(ms->wind, CR_WIND_F107);
    if (!f) return cr_conductance_f107_default(ms->cond);
    const struct cr_wind_sample *s = cr_wind_samples(ms->wind);
    size_t n = cr_wind_size(ms->wind);
    if (n == 1 || !(t > s[0].t)) return f[0];
    if (t >= s[n - 1].t) return f[n - 1];
    size_t lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s[mid].t <= t) lo = mid;
        else hi = mid;
    }
    double w = (t - s[lo].t) / (s[hi].t - s[lo].t);
    return (1.0 - w) * f[lo] + w * f[hi];
}

/* The model conductance of hemisphere h from the MHD density and pressure
 * at the FAC shell (the same cells and weights as the FAC: n and T are
 * taken constant along the field line down to the ionosphere, the source
 * plasma of Fedder et al. 1995) and the ionosphere's FAC just set. */
static int model_conductance(struct cr_msphere *ms, int h)
{
    const struct cr_grid *g = solver_grid(ms);
    const int ni = g->ni, nj = g->nj;
    const struct shell_map *sm = source_map(ms);
    const double *D = ms->lout[CR_MHD_OUT_D], *P = ms->lout[CR_MHD_OUT_P];
    for (size_t q = 0; q < ms->nnode; q++) {
        size_t qq = (size_t)h * ms->nnode + q;
        ms->nb[q] = shell_at(sm, qq, D, (size_t)sm->shell, (size_t)ni, nj) * ms->units.density;
        ms->pb[q] = shell_at(sm, qq, P, (size_t)sm->shell, (size_t)ni, nj) * ms->units.pressure;
    }
    ms->f107 = f107_at(ms, cr_msphere_time(ms));
    int rc = cr_conductance_compute(ms->cond, ms->io, h, ms->f107, ms->nb, ms->pb, ms->sigp, ms->sigh);
    if (!rc) rc = cr_iono_set_conductance(ms->io, h, ms->sigp, ms->sigh);
    return rc;
}

int cr_msphere_couple(struct cr_msphere *ms)
{
    /* the FAC shell lies in rank 0's block (cr_msphere_new checks): the
     * others only take part in the boundary exchange of output_vars */
    const struct cr_grid *g = solver_grid(ms);
    int rc = cr_mhd_output_vars(ms->m, ms->lout);
    if (rc) return rc;
    if (!is_root(ms)) {
        ms->ncouple++;
        return CR_OK;
    }
    const int ni = g->ni, nj = g->nj, nk = g->nk, is = ms->inp.fac_shell;
    const double js = ms->units.current * 1e-9; /* code -> A/m^2 */
    for (int k = 0; k < nk; k++)
        for (int j = 0; j < nj; j++) {
            size_t o = (size_t)is + (size_t)ni * ((size_t)j + (size_t)nj * (size_t)k);
            size_t c = CR_GIDX(g, is, j, k);
            double J[3] = {ms->lout[CR_MHD_OUT_JX][o], ms->lout[CR_MHD_OUT_JY][o], ms->lout[CR_MHD_OUT_JZ][o]};
            double B[3] = {ms->lout[CR_MHD_OUT_BX][o], ms->lout[CR_MHD_OUT_BY][o], ms->lout[CR_MHD_OUT_BZ][o]};
            double x[3] = {g->cx[c], g->cy[c], g->cz[c]};
            ms->jup_shell[(size_t)j + (size_t)nj * (size_t)k] = cr_iono_fac_up(J, B, x) * js;
        }
    for (int h = 0; h < 2 && !rc; h++) {
        for (size_t q = 0; q < ms->nnode; q++) {
            size_t qq = (size_t)h * ms->nnode + q;
            ms->jb[q] = shell_at(&ms->fac, qq, ms->jup_shell, 0, 1, nj);
        }
        rc = cr_iono_set_fac_from_radius(ms->io, h, ms->fac.r, ms->jb);
        if (!rc && ms->cond) rc = model_conductance(ms, h);
    }
    if (!rc) rc = cr_iono_solve(ms->io);
    if (rc) {
        cr_error(ms->log, "msphere: the ionospheric potential could not be solved at t = %.3f s", cr_msphere_time(ms));
        return rc;
    }
    cr_msphere_refresh_boundary(ms);
    ms->ncouple++;
    return CR_OK;
}

/* Alfven-speed limiter: where vA = |B| / sqrt(rho) exceeds va_max, raise the
 * density to |B|^2 / va_max^2 keeping the velocity and the temperature (the
 * momentum, kinetic and thermal energies grow with the mass). Where the
 * plasma beta is ~1e-8 the pressure, a small difference of the total and the
 * field energy, is lost to truncation errors; a density floor that depends
 * on B of this kind is common in global codes. Uses are counted. */
static long va_limit(struct cr_msphere *ms)
{
    if (!(ms->inp.va_max > 0)) return 0;
    const struct cr_grid *g = solver_grid(ms);
    struct cr_mhd_view v;
    cr_mhd_get_view(ms->m, &v);
    const double iva2 = 1.0 / ((ms->inp.va_max / ms->units.velocity) * (ms->inp.va_max / ms->units.velocity));
    const double pfl_e = ms->inp.p_floor / ms->units.pressure / (cr_mhd_gamma(ms->m) - 1.0);
    long n = 0;
#pragma omp parallel for collapse(2) schedule(static) reduction(+ : n)
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                size_t c = CR_GIDX(g, i, j, k);
                double b1[3];
                cr_msphere_cell_b(g, v.face, c, b1);
                double B[3] = {b1[0] + v.b0c[0][c], b1[1] + v.b0c[1][c], b1[2] + v.b0c[2][c]};
                double rmin = (B[0] * B[0] + B[1] * B[1] + B[2] * B[2]) * iva2;
                double rho = v.u[CR_MHD_RHO][c];
                if (!(rho < rmin)) continue;
                /* the added plasma has the cell's velocity and temperature: rho, m and
                 * the thermal and kinetic energies scale by f, the field energy stays */
                double f = rmin / rho;
                double m2 = v.u[1][c] * v.u[1][c] + v.u[2][c] * v.u[2][c] + v.u[3][c] * v.u[3][c];
                double eb = 0.5 * (b1[0] * b1[0] + b1[1] * b1[1] + b1[2] * b1[2]);
                double eth = v.u[CR_MHD_EN][c] - eb - 0.5 * m2 / rho;
                if (!(eth >= pfl_e)) eth = pfl_e;
                v.u[CR_MHD_EN][c] = eb + f * (eth + 0.5 * m2 / rho);
                for (int q = 1; q <= 3; q++) v.u[q][c] *= f;
                v.u[CR_MHD_RHO][c] = rmin;
                n++;
            }
    return n;
}

/* ---- the object -------------------------------------------------------------------- */

static double f107_at(const struct cr_msphere *ms, double t);

/* The driver's F10.7 must be a usable flux: finite and in (0, 1000] sfu
 * (the range of the ionosphere.f107 key). */
static int check_f107(const struct cr_msphere *ms)
{
    const double *f = cr_wind_index(ms->wind, CR_WIND_F107);
    size_t n = cr_wind_size(ms->wind);
    for (size_t k = 0; f && k < n; k++)
        if (!(f[k] > 0 && f[k] <= 1000)) {
            cr_error(ms->log, "%s: f10.7 of sample %zu (t = %g s) is %g sfu; the conductance model needs a value in "
                              "(0, 1000] sfu",
                     cr_wind_source(ms->wind), k, cr_wind_samples(ms->wind)[k].t, f[k]);
            return CR_ECONFIG;
        }
    return CR_OK;
}

void cr_msphere_release(struct cr_msphere *ms)
{
    if (!ms) return;
    cr_mhd_release(ms->m);
    cr_iono_release(ms->io);
    cr_grid_release(ms->gb);
    cr_grid_release(ms->g);
    for (int q = 0; q < 3; q++) free(ms->vdrift[q]), free(ms->nout[q]);
    for (int q = 0; q < CR_MHD_NOUT; q++) free(ms->out[q]), free(ms->lout[q]);
    free(ms->phib);
    free(ms->inflow), free(ms->ws);
    shell_map_free(&ms->fac), shell_map_free(&ms->src), free(ms->jb), free(ms->jup_shell);
    cr_conductance_release(ms->cond);
    free(ms->nb), free(ms->pb), free(ms->sigp), free(ms->sigh);
    free(ms);
}

struct cr_msphere *cr_msphere_new(const struct cr_msphere_inp *inp_in)
{
    const struct cr_log *log = inp_in ? inp_in->log : NULL;
    if (!inp_in || !inp_in->wind) {
        cr_error(log, "msphere: no solar-wind driver given");
        return NULL;
    }
    struct cr_msphere *ms = cr_zalloc(1, sizeof *ms);
    if (!ms) return NULL;
    /* collapse: the CFL step below 1e-3 of its early value for 100 steps in a
       row (the rule and its reasons: mhd/cr_mhd_dtwatch.h) */
    cr_mhd_dtwatch_init(&ms->dtwatch, 1e-3, 100);
    ms->inp = *inp_in;
    struct cr_msphere_inp *inp = &ms->inp;
    ms->log = log;
    ms->wind = inp->wind;
    if (!(inp->cadence > 0)) inp->cadence = 5.0;
    if (!(inp->b_e > 0)) inp->b_e = 30000.0;
    if (!(inp->gamma > 1)) inp->gamma = 5.0 / 3.0;
    if (!(inp->n_floor > 0)) inp->n_floor = 1e-3;
    if (!(inp->p_floor > 0)) inp->p_floor = 1e-6;
    if (!(inp->n_init > 0)) inp->n_init = 1.0;
    if (!(inp->t_init > 0)) inp->t_init = 1e5;
    if (inp->fac_shell < 0) inp->fac_shell = 0;
    if (inp->grid.kind != CR_GRID_LFM) {
        cr_error(log, "msphere: the magnetosphere needs the LFM-style spherical grid");
        free(ms);
        return NULL;
    }
    inp->grid.log = log;
    /* the processes: blocks of i planes (mhd/cr_mhd.h). Rank 0 builds the
     * whole grid (FAC shell, diagnostics, output) and cuts its block out;
     * the others build only their block from the spec (a grid read from a
     * file: cut out of the whole one) and keep the whole grid's sizes */
    if (inp->par) ms->par = *inp->par;
    else ms->par = (struct cr_par){.rank = 0, .size = 1, .comm = NULL};
    const int own_block = ms->par.size > 1 && ms->par.rank > 0 && !(inp->grid.file && inp->grid.file[0]);
    if (own_block) {
        const int ng = inp->grid.ng > 0 ? inp->grid.ng : 4;
        if (cr_mhd_part_split(&ms->par, inp->grid.ni, 0, ng, &ms->part, log) ||
            !(ms->gb = cr_grid_new_lfm_block(&inp->grid, ms->part.i0, ms->part.ni)) ||
            !(ms->g = grid_header(ms->gb, inp->grid.ni))) {
            cr_msphere_release(ms);
            return NULL;
        }
    } else if (!(ms->g = cr_grid_new(&inp->grid))) {
        cr_msphere_release(ms);
        return NULL;
    }
    const struct cr_grid *g = ms->g;
    if (inp->fac_shell >= g->ni - 1) {
        cr_error(log, "msphere: fac_shell = %d must be below the outermost shells (ni = %d)", inp->fac_shell, g->ni);
        cr_msphere_release(ms);
        return NULL;
    }
    /* rank 0's block must hold the FAC shell and the shell outside it (the
     * current there uses both) */
    if (!own_block && cr_mhd_part_split(&ms->par, g->ni, 0, g->ng, &ms->part, log)) {
        cr_msphere_release(ms);
        return NULL;
    }
    if (ms->par.size > 1) {
        const int ni0 = rank0_shells(ms, g->ni);
        if (inp->fac_shell + 2 > ni0) {
            cr_error(log, "msphere: msphere.fac_shell = %d must lie inside rank 0's %d radial cells (use fewer "
                          "processes or a lower shell)", inp->fac_shell, ni0);
            cr_msphere_release(ms);
            return NULL;
        }
        if (!ms->gb && !(ms->gb = cr_grid_new_block(g, ms->part.i0, ms->part.ni))) {
            cr_msphere_release(ms);
            return NULL;
        }
    }
    ms->x_bc = inp->x_bc > 0 ? inp->x_bc : g->spec.x_sun;
    cr_msphere_units(&ms->units);
    ms->phi0_v = ms->units.velocity * CR_KMS * ms->units.bfield * CR_NT * CR_RE_M;
    ms->b_e_code = inp->b_e / ms->units.bfield;

    /* ionosphere */
    inp->iono.r_inner = g->spec.r_inner;
    inp->iono.b_e = inp->b_e;
    inp->iono.log = log;
    ms->io = cr_iono_new(&inp->iono);
    if (!ms->io) {
        cr_msphere_release(ms);
        return NULL;
    }

    /* solver */
    ms->bc_inner = (struct cr_mhd_bc_user){.fill = cr_msphere_fill_inner, .emf = cr_msphere_emf_inner, .ctx = ms};
    ms->bc_outer = (struct cr_mhd_bc_user){.fill = cr_msphere_fill_outer, .ctx = ms};
    const double kb_T0 = CR_KB / (ms->units.pressure * CR_NPA) * CR_CC; /* n [cc] k T [K] -> code pressure */
    ms->boris_prof[0] = inp->boris_c / ms->units.velocity;
    ms->boris_prof[1] = inp->boris_c_near / ms->units.velocity;
    ms->boris_prof[2] = inp->boris_r_near; /* R_E: the code length unit */
    struct cr_mhd_inp mi = {
        .grid = solver_grid(ms),
        .part = ms->gb ? &ms->part : NULL,
        .gamma = inp->gamma,
        .riemann = inp->riemann,
        .recon = inp->recon,
        .limiter = inp->limiter,
        .integrator = inp->integrator,
        .cfl = inp->cfl,
        .rho_floor = inp->n_floor,
        .p_floor = inp->p_floor / ms->units.pressure,
        .dual_energy = inp->dual_energy,
        .boris_c = inp->boris_c / ms->units.velocity,
        .boris_c_at = inp->boris_c > 0 && inp->boris_c_near > 0 ? boris_c_at : NULL,
        .boris_ctx = ms->boris_prof,
        .b0 = cr_msphere_dipole,
        .b0_ctx = &ms->b_e_code,
        .axis_rings = inp->axis_rings,
        .units = &ms->units,
        .log = log,
    };
    mi.bc[0] = (struct cr_mhd_bc){.kind = CR_MHD_BC_USER, .user = &ms->bc_inner};
    mi.bc[1] = (struct cr_mhd_bc){.kind = CR_MHD_BC_USER, .user = &ms->bc_outer};
    mi.bc[2] = (struct cr_mhd_bc){.kind = CR_MHD_BC_AXIS};
    mi.bc[3] = (struct cr_mhd_bc){.kind = CR_MHD_BC_AXIS};
    mi.bc[4] = (struct cr_mhd_bc){.kind = CR_MHD_BC_PERIODIC};
    mi.bc[5] = (struct cr_mhd_bc){.kind = CR_MHD_BC_PERIODIC};
    ms->m = cr_mhd_new(&mi);
    if (!ms->m) {
        cr_msphere_release(ms);
        return NULL;
    }

    /* boundary work arrays */
    const int ng = g->ng;
    ms->nJ = g->nj + 2 * ng;
    ms->nK = g->nk + 2 * ng;
    size_t ngh = (size_t)ng * (size_t)ms->nJ * (size_t)ms->nK;
    size_t ncol = (size_t)ms->nJ * (size_t)ms->nK;
    int fail = 0;
    for (int q = 0; q < 3; q++) {
        ms->vdrift[q] = cr_zalloc(ngh, sizeof(double));
        ms->nout[q] = cr_zalloc(ncol, sizeof(double));
        fail |= !ms->vdrift[q] || !ms->nout[q];
    }
    ms->phib = cr_zalloc((size_t)(g->nj + 1) * (size_t)(g->nk + 1), sizeof(double));
    ms->inflow = cr_zalloc(ncol, 1);
    ms->ws = cr_zalloc(ngh, sizeof *ms->ws);
    fail |= !ms->inflow || !ms->ws;
    const struct cr_grid *gs = solver_grid(ms);
    size_t ncell = (size_t)g->ni * (size_t)g->nj * (size_t)g->nk;
    size_t nloc = (size_t)gs->ni * (size_t)gs->nj * (size_t)gs->nk;
    for (int q = 0; q < CR_MHD_NOUT; q++) {
        if (is_root(ms)) fail |= !(ms->out[q] = malloc(ncell * sizeof(double)));
        fail |= !(ms->lout[q] = malloc(nloc * sizeof(double)));
    }
    if (fail || !ms->phib || (is_root(ms) && setup_fac(ms))) { /* the FAC shell is rank 0's */
        cr_error(log, "msphere: out of memory");
        cr_msphere_release(ms);
        return NULL;
    }
    if (inp->cond_model && is_root(ms)) { /* the conductance model is the ionosphere's: rank 0's */
        inp->cond.gamma = inp->gamma;
        inp->cond.log = log;
        if (!(ms->cond = cr_conductance_new(&inp->cond)) || check_f107(ms)) {
            cr_msphere_release(ms);
            return NULL;
        }
        if (inp->cond.precip_r > 0 && source_shell(ms, inp->cond.precip_r)) {
            cr_msphere_release(ms);
            return NULL;
        }
        ms->nb = cr_zalloc(ms->nnode, sizeof(double));
        ms->pb = cr_zalloc(ms->nnode, sizeof(double));
        ms->sigp = cr_zalloc(ms->nnode, sizeof(double));
        ms->sigh = cr_zalloc(ms->nnode, sizeof(double));
        if (!ms->nb || !ms->pb || !ms->sigp || !ms->sigh) {
            cr_error(log, "msphere: out of memory");
            cr_msphere_release(ms);
            return NULL;
        }
        /* until the first coupling (the slice at t = 0): EUV and floors, no precipitation */
        ms->f107 = f107_at(ms, 0.0);
        for (int h = 0; h < 2; h++)
            if (cr_conductance_compute(ms->cond, ms->io, h, ms->f107, ms->nb, ms->pb, ms->sigp, ms->sigh) ||
                cr_iono_set_conductance(ms->io, h, ms->sigp, ms->sigh)) {
                cr_msphere_release(ms);
                return NULL;
            }
    }
    /* the outer shell's normals (its block's last face on the last rank,
     * the only one that uses them) */
    for (int kk = 0; kk < ms->nK; kk++)
        for (int jj = 0; jj < ms->nJ; jj++) {
            size_t f = CR_GIDX(gs, gs->ni, jj - ng, kk - ng);
            for (int q = 0; q < 3; q++) ms->nout[q][(size_t)jj + (size_t)ms->nJ * kk] = gs->fn[0][q][f];
        }

    /* initial state: the dipole alone (B1 = 0) and a tenuous plasma at rest */
    struct cr_mhd_view v;
    cr_mhd_get_view(ms->m, &v);
    for (int d = 0; d < 3; d++) memset(v.face[d], 0, gs->ntot * sizeof(double));
    struct init_ctx ic = {.rho = inp->n_init,
                          .p = inp->n_init * inp->t_init * kb_T0};
    int rc = cr_mhd_init_prim(ms->m, init_prim, &ic);
    if (rc) {
        cr_msphere_release(ms);
        return NULL;
    }
    cr_mhd_set_time(ms->m, 0.0, 0);
    va_limit(ms);
    ms->t_next_couple = 0.0;
    cr_msphere_refresh_boundary(ms);
    if (ms->gb && !is_root(ms) && !own_block) {
        /* a grid read from a file: only rank 0 reads the whole grid's
         * geometry after the set-up; the others keep its sizes */
        struct cr_grid *hdr = grid_header(ms->g, ms->g->ni);
        if (!hdr) {
            cr_msphere_release(ms);
            return NULL;
        }
        cr_grid_release(ms->g);
        ms->g = hdr;
    }
    return ms;
}

struct cr_mhd *cr_msphere_mhd(struct cr_msphere *ms) { return ms->m; }
struct cr_iono *cr_msphere_iono(struct cr_msphere *ms) { return ms->io; }
const struct cr_grid *cr_msphere_grid(const struct cr_msphere *ms) { return ms->g; }
double cr_msphere_time(const struct cr_msphere *ms) { return cr_mhd_time(ms->m) * ms->units.time; }
long cr_msphere_nstep(const struct cr_msphere *ms) { return cr_mhd_nstep(ms->m); }

/* ---- stepping ------------------------------------------------------------------------ */


int cr_msphere_step(struct cr_msphere *ms, double t_stop, struct cr_msphere_step *info)
{
    struct cr_msphere_step si = {0};
    double t = cr_msphere_time(ms);
    int rc;
    if (t >= ms->t_next_couple) {
        rc = cr_msphere_couple(ms);
        if (rc) return rc;
        while (ms->t_next_couple <= t) ms->t_next_couple += ms->inp.cadence;
        si.coupled = 1;
    }
    double dt_max = (t_stop - t) / ms->units.time;
    if (!(dt_max > 0)) {
        cr_error(ms->log, "msphere: step requested to t = %.6g s from t = %.6g s", t_stop, t);
        return CR_EDOMAIN;
    }
    struct cr_mhd_step_info mi;
    rc = cr_mhd_step(ms->m, dt_max, &mi);
    if (rc) return rc;
    if (cr_mhd_dtwatch_update(&ms->dtwatch, mi.dt_cfl)) {
        struct cr_mhd_dt_cell c;
        if (cr_mhd_dt_limiter(ms->m, &c) == CR_OK && is_root(ms)) cr_mhd_dt_report(ms->m, &ms->dtwatch, &c);
        return CR_ESTALL;
    }
    if (mi.dt == dt_max) cr_mhd_set_time(ms->m, t_stop / ms->units.time, cr_mhd_nstep(ms->m));
    si.dt = mi.dt * ms->units.time;
    si.dt_cfl = mi.dt_cfl * ms->units.time;
    si.n_va_limit = cr_par_sum_long(&ms->par, va_limit(ms));
    si.n_rho_floor = mi.n_rho_floor;
    si.n_p_floor = mi.n_p_floor;
    si.n_entropy = mi.n_entropy;
    if (info) *info = si;
    return CR_OK;
}

/* ---- diagnostics ----------------------------------------------------------------------- */

int cr_msphere_diagnose(struct cr_msphere *ms, struct cr_msphere_diag *d)
{
    const struct cr_grid *g = ms->g;
    memset(d, 0, sizeof *d);
    d->t = cr_msphere_time(ms);
    int rc = cr_mhd_output_vars(ms->m, ms->gb ? ms->lout : ms->out);
    if (!rc && ms->gb) {
        /* rank 0 diagnoses the whole grid: gather what it reads */
        static const int need[6] = {CR_MHD_OUT_D, CR_MHD_OUT_VX, CR_MHD_OUT_BZ, CR_MHD_OUT_JX, CR_MHD_OUT_JY,
                                    CR_MHD_OUT_JZ};
        for (int q = 0; q < 6 && !rc; q++)
            rc = cr_mhd_gather_cells(ms->m, ms->lout[need[q]], is_root(ms) ? ms->out[need[q]] : NULL, 0);
    }
    double divb = rc ? 0.0 : cr_mhd_divb_max(ms->m, NULL); /* collective */
    if (rc) return rc;
    if (!is_root(ms)) return cr_par_bcast(&ms->par, d, sizeof *d, 0);
    const int ni = g->ni, nj = g->nj, nk = g->nk;
    double *xr = cr_zalloc((size_t)ni, sizeof(double)), *dn = cr_zalloc((size_t)ni, sizeof(double));
    double *bz = cr_zalloc((size_t)ni, sizeof(double)), *jm = cr_zalloc((size_t)ni, sizeof(double));
    double *vx = cr_zalloc((size_t)ni, sizeof(double));
    if (!xr || !dn || !bz || !jm || !vx) {
        free(xr), free(dn), free(bz), free(jm), free(vx);
        return CR_ENOMEM;
    }
    /* ring j = 0 around the +X axis, averaged over the azimuth */
    for (int i = 0; i < ni; i++) {
        for (int k = 0; k < nk; k++) {
            size_t c = CR_GIDX(g, i, 0, k), o = (size_t)i + (size_t)ni * (size_t)nj * (size_t)k;
            xr[i] += sqrt(g->cx[c] * g->cx[c] + g->cy[c] * g->cy[c] + g->cz[c] * g->cz[c]);
            dn[i] += ms->out[CR_MHD_OUT_D][o];
            bz[i] += ms->out[CR_MHD_OUT_BZ][o];
            vx[i] += ms->out[CR_MHD_OUT_VX][o];
            double jx = ms->out[CR_MHD_OUT_JX][o], jy = ms->out[CR_MHD_OUT_JY][o], jz = ms->out[CR_MHD_OUT_JZ][o];
            jm[i] += sqrt(jx * jx + jy * jy + jz * jz);
        }
        xr[i] /= nk, dn[i] /= nk, bz[i] /= nk, jm[i] /= nk, vx[i] /= nk;
    }
    /* the upstream state that reaches the bow shock now (planar front delayed to x = 15 R_E) */
    struct cr_wind_sample s;
    cr_wind_eval_delayed(ms->wind, d->t, 15.0, ms->x_bc, &s);
    d->n_sw = s.n;
    d->v_sw = sqrt(s.v[0] * s.v[0] + s.v[1] * s.v[1] + s.v[2] * s.v[2]);
    d->bz_sw = s.b[2];
    /* bow shock: outermost crossing of twice the upstream density (scanning
     * inwards) with the solar wind flowing outside it (Vx below 0.7 of the
     * driver's in one of the two cells outside, so that dense plasma near the
     * Earth is not taken for the sheath; the first cell outside may be the
     * shock's own, half decelerated) */
    int ibs = -1;
    const double nth = 2.0 * s.n, vth = 0.7 * s.v[0] / ms->units.velocity;
    for (int i = ni - 2; i >= 0; i--)
        if (dn[i] >= nth && dn[i + 1] < nth && (vx[i + 1] < vth || (i + 2 < ni && vx[i + 2] < vth))) {
            ibs = i;
            d->r_bs = xr[i + 1] + (nth - dn[i + 1]) * (xr[i] - xr[i + 1]) / (dn[i] - dn[i + 1]);
            break;
        }
    /* magnetopause, inside the bow shock: southward IMF: the first Bz reversal
     * (sheath Bz < 0 to magnetospheric Bz > 0); otherwise the density falling below
     * half of the sheath's largest value */
    int itop = ibs >= 0 ? ibs : ni - 2;
    if (s.b[2] < 0) {
        for (int i = itop; i >= 0; i--)
            if (bz[i] > 0 && bz[i + 1] <= 0) {
                d->r_mp = xr[i + 1] + (0.0 - bz[i + 1]) * (xr[i] - xr[i + 1]) / (bz[i] - bz[i + 1]);
                break;
            }
    } else {
        double dmax = 0.0;
        for (int i = itop; i >= 0; i--) {
            if (dn[i] > dmax) dmax = dn[i];
            if (dmax > nth && dn[i] < 0.5 * dmax) {
                double h = 0.5 * dmax;
                d->r_mp = xr[i + 1] + (h - dn[i + 1]) * (xr[i] - xr[i + 1]) / (dn[i] - dn[i + 1]);
                break;
            }
        }
    }
    /* peak of |J| between 5 R_E and the bow shock */
    double jbest = 0.0;
    for (int i = 1; i <= itop && i < ni - 1; i++)
        if (xr[i] > 5.0 && jm[i] > jbest && jm[i] >= jm[i - 1] && jm[i] >= jm[i + 1]) jbest = jm[i], d->r_mp_j = xr[i];
    for (int h = 0; h < 2; h++) d->cpcp[h] = cr_iono_cpcp(ms->io, h) * 1e-3;
    d->divb = divb;
    cr_msphere_dbz_centre(g, ms->out[CR_MHD_OUT_JX], ms->out[CR_MHD_OUT_JY], &d->dbz0, &d->dbz0_night);
    d->dbz0 *= ms->units.bfield, d->dbz0_night *= ms->units.bfield;
    free(xr), free(dn), free(bz), free(jm), free(vx);
    return cr_par_bcast(&ms->par, d, sizeof *d, 0);
}

void cr_msphere_dbz_centre(const struct cr_grid *g, const double *jx, const double *jy, double *total,
                           double *night)
{
    const int ni = g->ni, nj = g->nj, nk = g->nk;
    /* a fixed-order sum, so that the value does not depend on the thread
       count: one partial per azimuthal plane k (its cells in j, i order),
       then the planes in k order (an OpenMP reduction adds the threads'
       partials in an order that changes the last bits) */
    double *part = cr_zalloc(2 * (size_t)nk, sizeof(double));
    if (!part) {
        *total = *night = NAN;
        return;
    }
#pragma omp parallel for schedule(static)
    for (int k = 0; k < nk; k++) {
        double st = 0.0, sn = 0.0;
        for (int j = 0; j < nj; j++)
            for (int i = 0; i < ni; i++) {
                size_t c = CR_GIDX(g, i, j, k), o = (size_t)i + (size_t)ni * ((size_t)j + (size_t)nj * (size_t)k);
                double x = g->cx[c], y = g->cy[c], z = g->cz[c];
                double r2 = x * x + y * y + z * z;
                double w = (x * jy[o] - y * jx[o]) * g->vol[c] / (r2 * sqrt(r2));
                st += w;
                if (x < 0.0) sn += w;
            }
        part[2 * k] = st;
        part[2 * k + 1] = sn;
    }
    double st = 0.0, sn = 0.0;
    for (int k = 0; k < nk; k++) st += part[2 * k], sn += part[2 * k + 1];
    free(part);
    *total = st / (4.0 * CR_PI);
    *night = sn / (4.0 * CR_PI);
}

/* ---- checkpoint part ------------------------------------------------------------------- */

int cr_msphere_save(const struct cr_msphere *ms, hid_t loc)
{
    int rc = 0;
    rc |= cr_h5_attr_double(loc, "t_next_couple", ms->t_next_couple);
    rc |= cr_h5_attr_int(loc, "ncouple", ms->ncouple);
    hsize_t dims[2] = {(hsize_t)cr_iono_ntheta(ms->io), (hsize_t)cr_iono_nphi(ms->io)};
    const char *pn[2] = {"phi_north", "phi_south"}, *fn[2] = {"fac_north", "fac_south"};
    unsigned long crc = cr_checkpoint_crc(0, NULL, 0);
    for (int h = 0; h < 2 && !rc; h++) {
        rc |= cr_h5_write_doubles(loc, pn[h], 2, dims, cr_iono_potential(ms->io, h), "V",
                                  "ionospheric potential (convective part) at the nodes", ms->log);
        rc |= cr_h5_write_doubles(loc, fn[h], 2, dims, cr_iono_fac(ms->io, h), "A/m^2",
                                  "field-aligned current at the ionosphere, upward positive", ms->log);
        crc = cr_checkpoint_crc(crc, cr_iono_potential(ms->io, h), ms->nnode);
        crc = cr_checkpoint_crc(crc, cr_iono_fac(ms->io, h), ms->nnode);
    }
    if (!rc) rc |= cr_h5_attr_int(loc, "crc32", (long)crc); /* checked by cr_msphere_restore */
    if (ms->cond && !rc) { /* the model conductance of the last coupling: the slices written before the next one show it */
        const char *sn[4] = {"sigma_p_north", "sigma_h_north", "sigma_p_south", "sigma_h_south"};
        unsigned long cs = cr_checkpoint_crc(0, NULL, 0);
        for (int q = 0; q < 4 && !rc; q++) {
            const double *a = q & 1 ? cr_iono_sigma_h(ms->io, q >> 1) : cr_iono_sigma_p(ms->io, q >> 1);
            rc |= cr_h5_write_doubles(loc, sn[q], 2, dims, a, "S",
                                      q & 1 ? "Hall conductance of the last coupling at the nodes"
                                            : "Pedersen conductance of the last coupling at the nodes",
                                      ms->log);
            cs = cr_checkpoint_crc(cs, a, ms->nnode);
        }
        if (!rc) rc |= cr_h5_attr_int(loc, "crc32_sigma", (long)cs);
    }
    return rc ? CR_EIO : CR_OK;
}

int cr_msphere_restore(struct cr_msphere *ms, hid_t loc)
{
    double v = 0;
    if (cr_h5_read_attr_double(loc, ".", "t_next_couple", &v)) return CR_EIO;
    ms->t_next_couple = v;
    if (cr_h5_read_attr_double(loc, ".", "ncouple", &v)) return CR_EIO;
    ms->ncouple = (int)v;
    if (!is_root(ms)) return CR_OK; /* the ionosphere is rank 0's; the schedule above is every rank's */
    size_t n = ms->nnode;
    double *buf = malloc(n * sizeof(double));
    if (!buf) return CR_ENOMEM;
    const char *pn[2] = {"phi_north", "phi_south"}, *fn[2] = {"fac_north", "fac_south"};
    int rc = CR_OK;
    unsigned long crc = cr_checkpoint_crc(0, NULL, 0);
    for (int h = 0; h < 2 && !rc; h++) {
        for (int q = 0; q < 2 && !rc; q++) { /* the potential, then the FAC: finite numbers */
            const char *name = q ? fn[h] : pn[h];
            rc = cr_h5_read_doubles(loc, name, buf, n, "checkpoint", ms->log);
            for (size_t i = 0; i < n && !rc; i++)
                if (!isfinite(buf[i])) {
                    char file[1024] = "checkpoint";
                    if (H5Fget_name(loc, file, sizeof file) < 0) snprintf(file, sizeof file, "checkpoint");
                    cr_error(ms->log, "%s: checkpoint dataset 'msphere/%s'[%zu] is not a finite number (damaged file)",
                             file, name, i);
                    rc = CR_ECONFIG;
                }
            if (!rc) crc = cr_checkpoint_crc(crc, buf, n);
            if (!rc) rc = q ? cr_iono_set_fac(ms->io, h, buf) : cr_iono_set_potential(ms->io, h, buf);
        }
    }
    /* the model conductance of the last coupling (absent: a checkpoint of a
     * uniform-conductance run; the next coupling computes it) */
    if (!rc && ms->cond && H5Lexists(loc, "sigma_p_north", H5P_DEFAULT) > 0) {
        const char *sn[4] = {"sigma_p_north", "sigma_h_north", "sigma_p_south", "sigma_h_south"};
        unsigned long cs = cr_checkpoint_crc(0, NULL, 0);
        for (int q = 0; q < 4 && !rc; q++) {
            rc = cr_h5_read_doubles(loc, sn[q], buf, n, "checkpoint", ms->log);
            if (!rc) cs = cr_checkpoint_crc(cs, buf, n);
            if (!rc) rc = cr_iono_set_conductance(ms->io, q >> 1, q & 1 ? NULL : buf, q & 1 ? buf : NULL);
            if (rc == CR_EDOMAIN) rc = CR_ECONFIG; /* not a positive finite conductance: a damaged file */
        }
        double cs_rec;
        if (!rc && cr_h5_read_attr_double(loc, ".", "crc32_sigma", &cs_rec) == CR_OK && (double)cs != cs_rec) {
            cr_error(ms->log, "checkpoint: the conductance arrays do not match their CRC-32: damaged or edited file");
            rc = CR_ECONFIG;
        }
    }
    free(buf);
    double crc_rec;
    if (!rc && cr_h5_read_attr_double(loc, ".", "crc32", &crc_rec) == CR_OK && (double)crc != crc_rec) {
        char file[1024] = "checkpoint";
        if (H5Fget_name(loc, file, sizeof file) < 0) snprintf(file, sizeof file, "checkpoint");
        cr_error(ms->log, "%s: the checkpoint's ionosphere arrays do not match their CRC-32: damaged or edited file",
                 file);
        rc = CR_ECONFIG;
    }
    if (!rc) cr_msphere_refresh_boundary(ms);
    return rc;
}
