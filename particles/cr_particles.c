/* cr_particles.c — the particles stage: [particles] schema, the windowed
 * parallel tracing of the ensemble, particles.h5, `cusprate particles`. */
#include "cr_particles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../core/cr_common.h"
#include "../core/cr_par.h"
#include "../core/cr_file.h"
#include "../core/cr_h5.h"
#include "../core/cr_progress.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "../grids/cr_field_mhd.h"

#define SEC "particles"

const struct cr_key cr_particles_keys[] = {
    {.section = SEC, .name = "n", .type = CR_KEY_INT, .unit = "", .def = "2000", .min = 1, .max = 1e9,
     .doc = "number of test protons injected"},
    {.section = SEC, .name = "seed", .type = CR_KEY_INT, .unit = "", .def = "1", .min = 0, .max = 2147483647,
     .flags = CR_KEY_RANGED, .doc = "random seed (each proton draws from its own stream made from it)"},
    {.section = SEC, .name = "field", .type = CR_KEY_CHOICE, .unit = "", .def = "mhd",
     .choices = "mhd|dipole|dipole_uniform|uniform",
     .doc = "fields: MHD slices from mhd.h5, or an analytic field (verification)"},
    {.section = SEC, .name = "mhd_file", .type = CR_KEY_PATH, .unit = "", .def = "",
     .doc = "MHD slices to read (default: <run dir>/mhd.h5)"},
    {.section = SEC, .name = "dipole_b_e", .type = CR_KEY_REAL, .unit = "nT", .def = "30000", .min = 0, .max = 1e6,
     .flags = CR_KEY_MIN_OPEN, .doc = "dipole equatorial surface field (analytic fields; inside the MHD inner boundary)"},
    {.section = SEC, .name = "uniform_b", .type = CR_KEY_REALS, .unit = "nT", .def = "0, 0, -5", .min = -1e6,
     .max = 1e6, .flags = CR_KEY_RANGED, .min_count = 3, .max_count = 3,
     .doc = "analytic fields: uniform magnetic field Bx, By, Bz"},
    {.section = SEC, .name = "uniform_e", .type = CR_KEY_REALS, .unit = "mV/m", .def = "0, 0, 0", .min = -1e6,
     .max = 1e6, .flags = CR_KEY_RANGED, .min_count = 3, .max_count = 3,
     .doc = "analytic fields: uniform electric field Ex, Ey, Ez (zero inside the inner boundary)"},
    {.section = SEC, .name = "analytic_r_inner", .type = CR_KEY_REAL, .unit = "R_E", .def = "2", .min = 1, .max = 100,
     .doc = "analytic dipole fields: inner boundary (dipole and E = 0 inside)"},
    {.section = SEC, .name = "analytic_r_outer", .type = CR_KEY_REAL, .unit = "R_E", .def = "30", .min = 0, .max = 1e4,
     .flags = CR_KEY_RANGED, .doc = "analytic fields: outer edge of the domain (protons beyond it are lost)"},
    {.section = SEC, .name = "source", .type = CR_KEY_CHOICE, .unit = "", .def = "sheath", .choices = "sheath|box|shell|sheath_box",
     .doc = "source region: dayside magnetosheath found from the fields in the shell sector (source_radii, source_cone), an x/y/z box, a shell sector, or the magnetosheath within source_box"},
    {.section = SEC, .name = "source_topology", .type = CR_KEY_CHOICE, .unit = "", .def = "any",
     .choices = "any|open_north|open_south|open",
     .doc = "keep start points whose field line (traced at the start time) is open to the northern / southern / "
            "either cusp: one end on the inner boundary, the other leaving the domain; any = no test"},
    {.section = SEC, .name = "source_box", .type = CR_KEY_REALS, .unit = "R_E", .def = "9, 11, -1, 1, -1, 1",
     .min = -1e4, .max = 1e4, .flags = CR_KEY_RANGED, .min_count = 6, .max_count = 6,
     .doc = "box source: x0, x1, y0, y1, z0, z1"},
    {.section = SEC, .name = "source_radii", .type = CR_KEY_REALS, .unit = "R_E", .def = "8, 18", .min = 0, .max = 1e4,
     .flags = CR_KEY_MIN_OPEN, .min_count = 2, .max_count = 2,
     .doc = "shell source, or the region searched for the sheath: inner and outer radius"},
    {.section = SEC, .name = "source_cone", .type = CR_KEY_REAL, .unit = "deg", .def = "60", .min = 0, .max = 180,
     .flags = CR_KEY_MIN_OPEN, .doc = "shell/sheath search region: half-angle about the +X (sunward) axis"},
    {.section = SEC, .name = "source_density", .type = CR_KEY_REAL, .unit = "#/cc", .def = "0", .min = 0, .max = 1e6,
     .flags = CR_KEY_RANGED, .doc = "source density for the weights (0 = the MHD density D at the start point)"},
    {.section = SEC, .name = "sheath_density_factor", .type = CR_KEY_REAL, .unit = "", .def = "1.5", .min = 1,
     .max = 10, .doc = "sheath criterion: D > factor * n_sw (behind the bow shock)"},
    {.section = SEC, .name = "sheath_speed_factor", .type = CR_KEY_REAL, .unit = "", .def = "0.9", .min = 0, .max = 1,
     .flags = CR_KEY_MIN_OPEN, .doc = "sheath criterion: |V| < factor * V_sw (decelerated by the shock)"},
    {.section = SEC, .name = "sw_density", .type = CR_KEY_REAL, .unit = "#/cc", .def = "0", .min = 0, .max = 1e4,
     .flags = CR_KEY_RANGED, .doc = "solar-wind density for the sheath criteria (0 = measure at sw_probe)"},
    {.section = SEC, .name = "sw_speed", .type = CR_KEY_REAL, .unit = "km/s", .def = "0", .min = 0, .max = 1e4,
     .flags = CR_KEY_RANGED, .doc = "solar-wind speed for the sheath criteria (0 = measure at sw_probe)"},
    {.section = SEC, .name = "sw_probe", .type = CR_KEY_REALS, .unit = "R_E", .def = "25, 0, 0", .min = -1e4,
     .max = 1e4, .flags = CR_KEY_RANGED, .min_count = 3, .max_count = 3,
     .doc = "upstream point where n_sw and V_sw are measured"},
    {.section = SEC, .name = "energy_range", .type = CR_KEY_REALS, .unit = "eV", .def = "10, 100", .min = 0,
     .max = 1e9, .flags = CR_KEY_MIN_OPEN, .min_count = 2, .max_count = 2,
     .doc = "initial kinetic energies in the plasma (E x B) frame: lowest, highest"},
    {.section = SEC, .name = "pitch_range", .type = CR_KEY_REALS, .unit = "deg", .def = "0, 180", .min = 0,
     .max = 180, .flags = CR_KEY_RANGED, .min_count = 2, .max_count = 2,
     .doc = "initial pitch angles in the plasma frame, lowest, highest (weights keep the isotropic "
            "distribution's value: a narrow range about 0 deg samples the loss cone toward a northern cusp)"},
    {.section = SEC, .name = "energy_sampling", .type = CR_KEY_CHOICE, .unit = "", .def = "uniform",
     .choices = "uniform|log", .doc = "initial energies drawn uniformly or log-uniformly in energy_range"},
    {.section = SEC, .name = "temperature", .type = CR_KEY_REAL, .unit = "eV", .def = "100", .min = 0, .max = 1e7,
     .flags = CR_KEY_MIN_OPEN, .doc = "kT of the Maxwellian the weights represent"},
    {.section = SEC, .name = "inject_interval", .type = CR_KEY_REALS, .unit = "s", .def = "0, 60", .min = -1e9,
     .max = 1e9, .flags = CR_KEY_RANGED, .min_count = 2, .max_count = 2,
     .doc = "start times drawn uniformly in [first, second] (times of the MHD run)"},
    {.section = SEC, .name = "refresh_time", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = 0, .max = 1e9,
     .flags = CR_KEY_RANGED,
     .doc = "time in which the source volume's protons are renewed (weights; 0 = the injection interval)"},
    {.section = SEC, .name = "max_time", .type = CR_KEY_REAL, .unit = "s", .def = "1800", .min = 0, .max = 1e9,
     .flags = CR_KEY_MIN_OPEN, .doc = "longest tracing time per proton (then it times out)"},
    {.section = SEC, .name = "window", .type = CR_KEY_REAL, .unit = "s", .def = "0", .min = 0, .max = 1e9,
     .flags = CR_KEY_RANGED,
     .doc = "synchronisation window for static fields (0 = 1/20 of the span; MHD: the slice spacing)"},
    {.section = SEC, .name = "scheme", .type = CR_KEY_CHOICE, .unit = "", .def = "auto", .choices = "auto|fo|gc",
     .doc = "equations: full orbit <-> guiding centre by adiabaticity, full orbit only, guiding centre only"},
    {.section = SEC, .name = "adiabatic_threshold", .type = CR_KEY_REAL, .unit = "", .def = "0.05", .min = 0,
     .max = 1, .flags = CR_KEY_MIN_OPEN,
     .doc = "guiding centre -> full orbit when gyroradius / field scale length exceeds this"},
    {.section = SEC, .name = "adiabatic_hysteresis", .type = CR_KEY_REAL, .unit = "", .def = "0.5", .min = 0,
     .max = 1, .flags = CR_KEY_MIN_OPEN,
     .doc = "full orbit -> guiding centre below threshold * hysteresis"},
    {.section = SEC, .name = "fo_dt_gyro", .type = CR_KEY_REAL, .unit = "", .def = "0.05", .min = 0, .max = 0.5,
     .flags = CR_KEY_MIN_OPEN, .doc = "full-orbit step as a fraction of the local gyro period"},
    {.section = SEC, .name = "fo_dt_electric", .type = CR_KEY_REAL, .unit = "", .def = "0.5", .min = 0, .max = 10,
     .flags = CR_KEY_MIN_OPEN, .doc = "full-orbit step at most this fraction of p / (q |E|)"},
    {.section = SEC, .name = "fo_ds_max", .type = CR_KEY_REAL, .unit = "R_E", .def = "0.05", .min = 0, .max = 10,
     .flags = CR_KEY_RANGED, .doc = "full-orbit step at most this path length (0 = no limit)"},
    {.section = SEC, .name = "gc_rtol", .type = CR_KEY_REAL, .unit = "", .def = "1e-8", .min = 1e-14, .max = 1e-2,
     .doc = "guiding-centre integrator: relative error per step"},
    {.section = SEC, .name = "gc_ds_max", .type = CR_KEY_REAL, .unit = "R_E", .def = "0.1", .min = 0, .max = 10,
     .flags = CR_KEY_MIN_OPEN, .doc = "guiding-centre step at most this path length"},
    {.section = SEC, .name = "collect_radius", .type = CR_KEY_REAL, .unit = "R_E", .def = "0", .min = 0, .max = 100,
     .flags = CR_KEY_RANGED, .doc = "collection sphere (0 = the inner boundary + 0.25 R_E)"},
    {.section = SEC, .name = "altitude", .type = CR_KEY_REAL, .unit = "km", .def = "590", .min = 0, .max = 1e5,
     .flags = CR_KEY_MIN_OPEN, .doc = "satellite altitude the collected protons are mapped to (TRACERS: 590)"},
    {.section = SEC, .name = "lost_radius", .type = CR_KEY_REAL, .unit = "R_E", .def = "0", .min = 0, .max = 1e5,
     .flags = CR_KEY_RANGED, .doc = "protons beyond this radius are lost (0 = the edge of the field's domain)"},
    {.section = SEC, .name = "max_steps", .type = CR_KEY_INT, .unit = "", .def = "100000000", .min = 1, .max = 1e15,
     .doc = "most steps per proton (then it is stopped as failed)"},
    CR_KEY_END,
};

int cr_particles_inp_from_config(const struct cr_config *cfg, struct cr_particles_inp *inp, const struct cr_log *log)
{
    size_t nv;
    inp->log = log;
    inp->n = cr_config_int(cfg, SEC, "n");
    inp->max_time = cr_config_real(cfg, SEC, "max_time");
    inp->window = cr_config_real(cfg, SEC, "window");
    inp->r_sat = 1.0 + cr_config_real(cfg, SEC, "altitude") / CR_RE_KM;

    struct cr_push_inp *p = &inp->push;
    static const enum cr_push_scheme schemes[] = {CR_PUSH_AUTO, CR_PUSH_FO_ONLY, CR_PUSH_GC_ONLY};
    p->scheme = schemes[cr_config_choice(cfg, SEC, "scheme")];
    p->threshold = cr_config_real(cfg, SEC, "adiabatic_threshold");
    p->hysteresis = cr_config_real(cfg, SEC, "adiabatic_hysteresis");
    p->fo_dt_gyro = cr_config_real(cfg, SEC, "fo_dt_gyro");
    p->fo_dt_electric = cr_config_real(cfg, SEC, "fo_dt_electric");
    p->fo_ds_max = cr_config_real(cfg, SEC, "fo_ds_max");
    p->gc_rtol = cr_config_real(cfg, SEC, "gc_rtol");
    p->gc_ds_max = cr_config_real(cfg, SEC, "gc_ds_max");
    p->r_collect = cr_config_real(cfg, SEC, "collect_radius");
    p->r_lost = cr_config_real(cfg, SEC, "lost_radius");
    p->max_steps = cr_config_int(cfg, SEC, "max_steps");
    p->log = log;

    struct cr_inject_inp *q = &inp->inject;
    static const enum cr_source_kind kinds[] = {CR_SOURCE_SHEATH, CR_SOURCE_BOX, CR_SOURCE_SHELL, CR_SOURCE_SHEATH_BOX};
    q->kind = kinds[cr_config_choice(cfg, SEC, "source")];
    q->topology = (enum cr_source_topology)cr_config_choice(cfg, SEC, "source_topology");
    const double *v = cr_config_reals(cfg, SEC, "source_box", &nv);
    memcpy(q->box, v, 6 * sizeof(double));
    v = cr_config_reals(cfg, SEC, "source_radii", &nv);
    q->r_min = v[0];
    q->r_max = v[1];
    q->cone_deg = cr_config_real(cfg, SEC, "source_cone");
    q->density = cr_config_real(cfg, SEC, "source_density");
    q->density_factor = cr_config_real(cfg, SEC, "sheath_density_factor");
    q->speed_factor = cr_config_real(cfg, SEC, "sheath_speed_factor");
    q->n_sw = cr_config_real(cfg, SEC, "sw_density");
    q->v_sw = cr_config_real(cfg, SEC, "sw_speed");
    v = cr_config_reals(cfg, SEC, "sw_probe", &nv);
    memcpy(q->probe, v, 3 * sizeof(double));
    v = cr_config_reals(cfg, SEC, "energy_range", &nv);
    q->e_min = v[0];
    q->e_max = v[1];
    v = cr_config_reals(cfg, SEC, "pitch_range", &nv);
    q->pitch_min = v[0];
    q->pitch_max = v[1];
    q->log_energy = cr_config_choice(cfg, SEC, "energy_sampling") == 1;
    q->temperature = cr_config_real(cfg, SEC, "temperature");
    v = cr_config_reals(cfg, SEC, "inject_interval", &nv);
    q->t_start = v[0];
    q->t_end = v[1];
    q->refresh_time = cr_config_real(cfg, SEC, "refresh_time");
    q->seed = (uint64_t)cr_config_int(cfg, SEC, "seed");
    q->log = log;
    if (q->t_end < q->t_start) {
        cr_error(log, "particles.inject_interval: start %g s is after end %g s (%s)", q->t_start, q->t_end,
                 cr_config_origin(cfg, SEC, "inject_interval"));
        return CR_ECONFIG;
    }
    if (q->pitch_max <= q->pitch_min) {
        cr_error(log, "particles.pitch_range: lowest %g deg must be below highest %g deg (%s)", q->pitch_min,
                 q->pitch_max, cr_config_origin(cfg, SEC, "pitch_range"));
        return CR_ECONFIG;
    }
    if (q->e_max <= q->e_min) {
        cr_error(log, "particles.energy_range: lowest %g eV must be below highest %g eV (%s)", q->e_min, q->e_max,
                 cr_config_origin(cfg, SEC, "energy_range"));
        return CR_ECONFIG;
    }
    if (q->kind != CR_SOURCE_BOX && q->kind != CR_SOURCE_SHEATH_BOX && q->r_max <= q->r_min) {
        cr_error(log, "particles.source_radii: inner %g R_E must be below outer %g R_E (%s)", q->r_min, q->r_max,
                 cr_config_origin(cfg, SEC, "source_radii"));
        return CR_ECONFIG;
    }
    return CR_OK;
}

/* ---- tracing ------------------------------------------------------------- */
struct t0idx {
    double t;
    long i;
};

static int cmp_t0(const void *a, const void *b)
{
    const struct t0idx *x = a, *y = b;
    if (x->t < y->t) return -1;
    if (x->t > y->t) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

void cr_particles_out_free(struct cr_particles_out *out)
{
    if (!out) return;
    free(out->inj);
    free(out->rec);
    memset(out, 0, sizeof *out);
}

/* The final record of a proton that has stopped: collected protons are
 * mapped down to the satellite, others recorded where they stopped. Called
 * while the MHD time window still contains the stop time (the field is
 * evaluated there: kinematics, guiding centre). */
static void record_one(const struct cr_push *push, double b_e, double r_sat, const struct cr_injected *q,
                       struct cr_particle *pt, struct cr_collect_rec *rec)
{
    if (!q->ok) {
        rec->status = CR_PST_FAILED;
        return;
    }
    if (pt->status == CR_PST_ACTIVE) pt->status = CR_PST_TIMEOUT; /* the last window ends every proton */
    if (pt->status == CR_PST_COLLECTED) {
        if (!(b_e > 0) || cr_collect_map(push, b_e, r_sat, pt, rec) != CR_OK) {
            cr_collect_lost(push, pt, rec);
            rec->status = CR_PST_FAILED;
        }
    } else {
        cr_collect_lost(push, pt, rec);
    }
}

double *cr_particles_window_edges(const struct cr_field_mhd *mhd, double t_from, double t_to, double window,
                                  size_t *nedge)
{
    const double dir = t_to >= t_from ? 1.0 : -1.0, span = fabs(t_to - t_from);
    double *edges = NULL;
    size_t n = 0;
    if (mhd) {
        int ns = cr_field_mhd_nslices(mhd);
        edges = cr_zalloc((size_t)ns + 2, sizeof *edges);
        if (!edges) return NULL;
        edges[n++] = t_from;
        for (int q = 0; q < ns; q++) {
            double ts = cr_field_mhd_slice_time(mhd, dir > 0 ? q : ns - 1 - q);
            if (dir * (ts - t_from) > 0 && dir * (t_to - ts) > 0) edges[n++] = ts;
        }
        edges[n++] = t_to;
    } else {
        double w = window > 0 ? window : span / 20.0;
        long nw = w > 0 ? (long)ceil(span / w - 1e-9) : 1;
        if (nw < 1) nw = 1;
        if (nw > 1000000) nw = 1000000;
        edges = cr_zalloc((size_t)nw + 1, sizeof *edges);
        if (!edges) return NULL;
        for (long k = 0; k <= nw; k++) edges[n++] = k == nw ? t_to : t_from + dir * span * (double)k / (double)nw;
    }
    *nedge = n;
    return edges;
}

/* What a proton's rank hands the others: its start, its record, its step counts. */
struct proton_result {
    struct cr_injected inj;
    struct cr_collect_rec rec;
    long nfo, ngc;
    int nswitch;
};

/* Every rank gets every proton's result (proton j of the start-time order
 * was traced by rank j % size). */
static int share_protons(const struct cr_par *par, const struct t0idx *order, long n, struct cr_particles_out *out,
                         struct cr_particle *parts)
{
    const int np = par->size, me = par->rank;
    const long mine = n / np + (me < n % np);
    struct proton_result *send = cr_zalloc((size_t)mine + 1, sizeof *send);
    struct proton_result *all = cr_zalloc((size_t)n + 1, sizeof *all);
    int rc = (!send || !all) ? CR_ENOMEM : CR_OK;
    rc = cr_par_max_int(par, rc);
    if (!rc) {
        long k = 0;
        for (long j = me; j < n; j += np, k++) {
            long i = order[j].i;
            send[k] = (struct proton_result){out->inj[i], out->rec[i], parts[i].nfo, parts[i].ngc, parts[i].nswitch};
        }
        rc = cr_par_allgather_bytes(par, send, (size_t)mine * sizeof *send, all);
    }
    if (!rc) {
        long k = 0;
        for (int r = 0; r < np; r++)
            for (long j = r; j < n; j += np, k++) {
                long i = order[j].i;
                out->inj[i] = all[k].inj;
                out->rec[i] = all[k].rec;
                parts[i].nfo = all[k].nfo;
                parts[i].ngc = all[k].ngc;
                parts[i].nswitch = all[k].nswitch;
            }
    }
    free(send);
    free(all);
    return rc;
}

int cr_particles_trace(const struct cr_particles_inp *inp, struct cr_particles_out *out)
{
    const struct cr_log *log = inp->log;
    memset(out, 0, sizeof *out);
    struct cr_field *f = inp->field;
    if (!f || inp->n <= 0) {
        cr_error(log, "particles: nothing to trace (no field or no protons)");
        return CR_ECONFIG;
    }
    const long n = inp->n;
    const int tdep = f->t_max > f->t_min;
    const double t_start = inp->inject.t_start, t_inj_end = inp->inject.t_end;
    if (tdep && (t_start < f->t_min || t_inj_end > f->t_max)) {
        cr_error(log, "particles.inject_interval [%g, %g] s is outside the MHD slices' times [%g, %g] s", t_start,
                 t_inj_end, f->t_min, f->t_max);
        return CR_ECONFIG;
    }
    struct cr_push_inp pi = inp->push;
    pi.field = f;
    pi.log = log;
    struct cr_inject_inp ii = inp->inject;
    ii.field = f;
    ii.r_exclude = pi.r_collect;
    ii.log = log;
    int rc = CR_OK;
    if (inp->mhd && (rc = cr_field_mhd_set_time(inp->mhd, t_start))) return rc;
    struct cr_push *push = cr_push_new(&pi);
    struct cr_inject *inj = push ? cr_inject_new(&ii, &rc) : NULL;
    struct cr_particle *parts = cr_zalloc((size_t)n, sizeof *parts);
    struct t0idx *order = cr_zalloc((size_t)n, sizeof *order);
    out->inj = cr_zalloc((size_t)n, sizeof *out->inj);
    out->rec = cr_zalloc((size_t)n, sizeof *out->rec);
    unsigned char *recorded = cr_zalloc((size_t)n, 1);
    double *edges = NULL;
    struct cr_progress *prog = NULL;
    const double b_e = f->b_e;
    if (!push || !inj) {
        if (!rc) rc = CR_ENOMEM;
        goto done;
    }
    if (!parts || !order || !out->inj || !out->rec || !recorded) {
        rc = CR_ENOMEM;
        goto done;
    }
    out->n = n;
    cr_inject_upstream(inj, &out->n_sw, &out->v_sw);
    out->source_volume = cr_inject_search_volume(inj);
    for (long i = 0; i < n; i++) {
        order[i].t = cr_inject_time(inj, i);
        order[i].i = i;
    }
    qsort(order, (size_t)n, sizeof *order, cmp_t0);

    /* window edges: the slice times (MHD) or equal windows */
    double t_last = t_inj_end + inp->max_time;
    if (tdep) t_last = CR_MIN(t_last, f->t_max);
    size_t nedge = 0;
    edges = cr_particles_window_edges(inp->mhd, t_start, t_last, inp->window, &nedge);
    if (!edges) {
        rc = CR_ENOMEM;
        goto done;
    }

    const int np = inp->par && inp->par->size > 1 ? inp->par->size : 1, me = np > 1 ? inp->par->rank : 0;
    struct cr_progress_inp pin = {.label = "particles", .total = (double)n, .unit = "protons", .log = log,
                                  .force = me > 0 ? -1 : inp->progress};
    prog = cr_progress_new(&pin);
    double w0 = cr_wtime();
    long next = 0;
    int err = 0;
    for (size_t k = 0; k + 1 < nedge && !err; k++) {
        double a = edges[k], b = edges[k + 1];
        int lastw = k + 2 == nedge;
        if (inp->mhd && (rc = cr_field_mhd_set_time(inp->mhd, 0.5 * (a + b)))) {
            err = 1;
            break;
        }
        long i0 = next;
        while (next < n && (order[next].t < b || lastw)) next++;
        long i1 = next;
        /* inject the protons that start in this window and advance every
         * active proton to its end: one parallel loop (one fork/join per
         * window), dynamic schedule since protons cost very different
         * amounts */
#pragma omp parallel
        {
            struct cr_push_work *w = cr_push_work_new(push);
            if (!w) {
#pragma omp atomic write
                err = 1;
            }
#pragma omp for schedule(dynamic, 4)
            for (long j = 0; j < i1; j++) {
                long i = order[j].i;
                struct cr_particle *pt = &parts[i];
                if (!w || j % np != me) continue; /* another rank's proton */
                if (j >= i0) {
                    struct cr_injected *q = &out->inj[i];
                    if (cr_inject_one(inj, i, q) != CR_OK) {
#pragma omp atomic write
                        err = 1;
                        continue;
                    }
                    if (!q->ok || cr_push_start(push, w, pt, q->t0, q->x0, q->v0, q->t0 + inp->max_time,
                                                q->stream) != CR_OK) {
                        pt->status = CR_PST_FAILED;
                        continue;
                    }
                }
                if (pt->status == CR_PST_ACTIVE) cr_push_advance(push, w, pt, b);
            }
            cr_push_work_release(w);
            /* protons that stopped in this window are recorded while the
             * field window still holds their stop time */
#pragma omp for schedule(dynamic, 16)
            for (long j = 0; j < i1; j++) {
                long i = order[j].i;
                if (j % np != me || recorded[i] || (parts[i].status == CR_PST_ACTIVE && !lastw)) continue;
                record_one(push, b_e, inp->r_sat, &out->inj[i], &parts[i], &out->rec[i]);
                recorded[i] = 1;
            }
        }
        if (err) {
            rc = CR_ENOMEM;
            break;
        }
        if (cr_progress_visible(prog)) {
            long done = n - i1;
            for (long j = 0; j < i1; j++) done += parts[order[j].i].status != CR_PST_ACTIVE;
            char extra[64];
            snprintf(extra, sizeof extra, "t = %.0f s", b);
            cr_progress_update(prog, (double)done, extra);
        }
    }
    rc = cr_par_max_int(inp->par, rc); /* one rank's failure stops all */
    out->wall = cr_par_max(inp->par, cr_wtime() - w0);
    if (rc) goto done;

    /* protons never reached by a window (injection failed) */
    for (long j = 0; j < n; j++) {
        long i = order[j].i;
        if (j % np == me && !recorded[i]) record_one(push, b_e, inp->r_sat, &out->inj[i], &parts[i], &out->rec[i]);
    }
    if (np > 1 && (rc = share_protons(inp->par, order, n, out, parts))) goto done;
    for (long i = 0; i < n; i++) {
        out->tries += out->inj[i].tries;
        if (!out->inj[i].ok) continue;
        out->n_injected++;
        out->n_status[out->rec[i].status]++;
        out->steps_fo += parts[i].nfo;
        out->steps_gc += parts[i].ngc;
        out->switches += parts[i].nswitch;
    }
    if (out->n_injected == 0) {
        cr_error(log, "particles: no start point found in the source region in %ld tries (source = %s)", out->tries,
                 ii.kind == CR_SOURCE_SHEATH || ii.kind == CR_SOURCE_SHEATH_BOX ? "sheath: check the criteria and the search region" : "box/shell");
        rc = CR_ECONFIG;
        goto done;
    }
    out->weight_scale = cr_inject_weight_scale(inj, out->n_injected, out->tries);
done:
    cr_progress_release(prog);
    free(recorded);
    free(edges);
    free(order);
    free(parts);
    cr_inject_release(inj);
    cr_push_release(push);
    if (rc) cr_particles_out_free(out);
    return rc;
}

/* ---- particles.h5 -------------------------------------------------------- */
static int write_group(hid_t g, const struct cr_particles_out *out, int collected, const struct cr_log *log)
{
    long m = 0;
    for (long i = 0; i < out->n; i++) {
        if (!out->inj[i].ok) continue;
        if ((out->rec[i].status == CR_PST_COLLECTED) == collected) m++;
    }
    size_t cnt = (size_t)(m > 0 ? m : 1);
    enum { NF = 17 };
    double *d[NF];
    int *hemi = cr_zalloc(cnt, sizeof *hemi), *st = cr_zalloc(cnt, sizeof *st);
    int rc = hemi && st ? CR_OK : CR_ENOMEM;
    for (int k = 0; k < NF; k++) {
        d[k] = cr_zalloc(cnt, sizeof(double));
        if (!d[k]) rc = CR_ENOMEM;
    }
    if (!rc) {
        long j = 0;
        for (long i = 0; i < out->n; i++) {
            const struct cr_injected *q = &out->inj[i];
            const struct cr_collect_rec *r = &out->rec[i];
            if (!q->ok || (r->status == CR_PST_COLLECTED) != collected) continue;
            double v[NF] = {r->t, r->x[0], r->x[1], r->x[2], r->mlat, r->mlt, r->energy, r->pitch,
                            q->wunit * out->weight_scale, q->t0, q->x0[0], q->x0[1], q->x0[2], q->energy0,
                            q->pitch0, q->density, (double)i};
            for (int k = 0; k < NF; k++) d[k][j] = v[k];
            hemi[j] = r->hemisphere;
            st[j] = r->status;
            j++;
        }
        static const char *names[NF] = {"t", "x", "y", "z", "mlat", "mlt", "energy", "pitch", "weight", "t0",
                                        "x0", "y0", "z0", "energy0", "pitch0", "density0", "index"};
        static const char *units[NF] = {"s", "R_E", "R_E", "R_E", "degrees", "h", "eV", "degrees", "1", "s",
                                        "R_E", "R_E", "R_E", "eV", "degrees", "#/cc", "1"};
        const char *desc[NF] = {
            collected ? "time the proton reaches the satellite altitude" : "time the proton's tracing ended",
            collected ? "SM x at the satellite altitude" : "SM x where it ended",
            collected ? "SM y at the satellite altitude" : "SM y where it ended",
            collected ? "SM z at the satellite altitude" : "SM z where it ended",
            "magnetic latitude (north positive)",
            "magnetic local time (12 = noon, +X)",
            "kinetic energy (E x B frame)",
            "pitch angle relative to B (0 = along B; NaN where the field is unknown)",
            "real protons represented by this macro-particle",
            "start time",
            "SM x at the start",
            "SM y at the start",
            "SM z at the start",
            "start kinetic energy in the plasma (E x B) frame",
            "start pitch angle in the plasma frame",
            "source density at the start point",
            "proton index (0-based) in the injected ensemble"};
        hsize_t dims[1] = {(hsize_t)m};
        for (int k = 0; k < NF && !rc; k++) rc = cr_h5_write_doubles(g, names[k], 1, dims, d[k], units[k], desc[k], log);
        if (!rc) rc = cr_h5_write_ints(g, "hemisphere", 1, dims, hemi, "1", "+1 north, -1 south", log);
        if (!rc)
            rc = cr_h5_write_ints(g, "status", 1, dims, st, "1",
                                  "how the tracing ended (see the file's status_codes attribute)", log);
    }
    for (int k = 0; k < NF; k++) free(d[k]);
    free(hemi);
    free(st);
    return rc;
}

int cr_particles_write(const char *path, const struct cr_config *cfg, const struct cr_particles_inp *inp,
                       const struct cr_particles_out *out, const struct cr_log *log)
{
    struct cr_h5 *h = cr_h5_create(path, cfg, log);
    if (!h) return CR_EIO;
    hid_t root = cr_h5_root(h);
    int rc = 0;
    rc |= cr_h5_attr_int(root, "n_injected", out->n_injected);
    rc |= cr_h5_attr_int(root, "n_collected", out->n_status[CR_PST_COLLECTED]);
    rc |= cr_h5_attr_int(root, "n_mirrored", out->n_status[CR_PST_MIRRORED]);
    rc |= cr_h5_attr_int(root, "n_lost_outflow", out->n_status[CR_PST_OUTFLOW]);
    rc |= cr_h5_attr_int(root, "n_lost_timeout", out->n_status[CR_PST_TIMEOUT]);
    rc |= cr_h5_attr_int(root, "n_lost_other", out->n_status[CR_PST_FAILED]);
    rc |= cr_h5_attr_int(root, "n_not_injected", out->n - out->n_injected);
    rc |= cr_h5_attr_double(root, "collection_radius", inp->push.r_collect);
    rc |= cr_h5_attr_double(root, "altitude_km", (inp->r_sat - 1.0) * CR_RE_KM);
    rc |= cr_h5_attr_string(root, "collection_radius_units", "R_E");
    rc |= cr_h5_attr_string(root, "species", "proton");
    rc |= cr_h5_attr_double(root, "temperature_ev", inp->inject.temperature);
    rc |= cr_h5_attr_double(root, "weight_scale_cm3", out->weight_scale);
    rc |= cr_h5_attr_double(root, "source_search_volume_re3", out->source_volume);
    rc |= cr_h5_attr_double(root, "source_volume_re3",
                            out->tries > 0 ? out->source_volume * (double)out->n_injected / (double)out->tries : 0.0);
    rc |= cr_h5_attr_double(root, "sw_density_cc", out->n_sw);
    rc |= cr_h5_attr_double(root, "sw_speed_kms", out->v_sw);
    rc |= cr_h5_attr_int(root, "steps_full_orbit", out->steps_fo);
    rc |= cr_h5_attr_int(root, "steps_guiding_centre", out->steps_gc);
    rc |= cr_h5_attr_int(root, "fo_gc_switches", out->switches);
    rc |= cr_h5_attr_string(root, "status_codes",
                            "1 = collected at the satellite altitude; 2 = mirrored above the altitude or moving up "
                            "at the collection sphere (not counted); 3 = outflow (left the domain); 4 = timeout "
                            "(max_time or the end of the MHD slices); 5 = other (numerical failure, step limit)");
    char wd[1024];
    snprintf(wd, sizeof wd,
             "weight = number of real protons a macro-particle represents: n(x0) [cm^-3] * V_src [cm^3] * "
             "(T_inj / refresh_time) / n_injected * f_M(E0) / g(E0) * (pi/2) sin(pitch0); f_M the Maxwellian "
             "energy density of kT = %g eV, g the density the start energies were drawn from (%s in [%g, %g] eV), "
             "(pi/2) sin(pitch0) makes pitch angles drawn uniformly in 0-180 deg isotropic. Sum over a window: "
             "real protons; differential number flux J = sum(weight) / (A |cos(pitch)| dt dE dOmega).",
             inp->inject.temperature, inp->inject.log_energy ? "log-uniform" : "uniform", inp->inject.e_min,
             inp->inject.e_max);
    rc |= cr_h5_attr_string(root, "weight_description", wd);
    if (rc) {
        cr_h5_discard(h);
        return CR_EIO;
    }
    for (int c = 1; c >= 0 && !rc; c--) {
        hid_t g = H5Gcreate2(root, c ? "collected" : "lost", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) {
            rc = CR_EIO;
            break;
        }
        cr_h5_attr_string(g, "description",
                          c ? "protons that reached the satellite altitude (one entry each)"
                            : "protons that did not reach it: mirrored, outflow, timeout, other (positions where "
                              "they ended)");
        rc = write_group(g, out, c, log);
        H5Gclose(g);
    }
    if (rc) {
        cr_h5_discard(h);
        return rc;
    }
    return cr_h5_commit(h);
}

/* ---- the command ----------------------------------------------------------- */
static int make_field(const struct cr_config *cfg, const char *run_dir, const struct cr_log *log,
                      struct cr_particles_inp *inp, struct cr_field **fout)
{
    size_t nv;
    int which = cr_config_choice(cfg, SEC, "field");
    double b_e = cr_config_real(cfg, SEC, "dipole_b_e");
    const double *bu = cr_config_reals(cfg, SEC, "uniform_b", &nv);
    const double *eu = cr_config_reals(cfg, SEC, "uniform_e", &nv);
    double ri = cr_config_real(cfg, SEC, "analytic_r_inner"), ro = cr_config_real(cfg, SEC, "analytic_r_outer");
    struct cr_field *f = NULL;
    if (which == 0) {
        char path[4096];
        const char *mf = cr_config_path(cfg, SEC, "mhd_file");
        if (mf && *mf) snprintf(path, sizeof path, "%s", mf);
        else if (cr_path_join(path, sizeof path, run_dir, "mhd.h5")) return CR_ECONFIG;
        if (!cr_file_exists(path)) {
            cr_error(log, "%s: MHD slices %s not found (run `cusprate mhd` first, or set particles.mhd_file)",
                     *cr_config_file(cfg) ? cr_config_file(cfg) : "particles", path);
            return CR_ECONFIG;
        }
        struct cr_field_mhd_inp mi = {.path = path, .b_e = b_e, .log = log, .load = inp->mhd_load};
        if (cr_field_mhd_inp_from_config(cfg, &mi, log)) return CR_ECONFIG;
        int st = CR_OK;
        struct cr_field_mhd *m = cr_field_mhd_new(&mi, &st);
        if (!m) return st ? st : CR_EIO;
        inp->mhd = m;
        f = cr_field_mhd_field(m);
    } else if (which == 1) {
        f = cr_field_dipole_new(b_e, ri);
    } else if (which == 2) {
        f = cr_field_dipole_uniform_new(b_e, bu, eu, ri, ro);
    } else {
        f = cr_field_uniform_new(bu, eu);
    }
    if (!f) return CR_ENOMEM;
    if (which != 0 && inp->push.r_lost <= 0 && ro > 0) inp->push.r_lost = ro;
    *fout = f;
    return CR_OK;
}

/* ---- backward (Liouville) tracing: the [liouville] keys ---------------------- */
const struct cr_key cr_liouville_keys[] = {
    {.section = "liouville", .name = "source", .type = CR_KEY_CHOICE, .unit = "", .def = "sheath",
     .choices = "sheath|release",
     .doc = "where a backward trace ends with the source's f: the magnetosheath (the [particles] sheath criteria), "
            "or (verification) the forward run's one-shot release: particles.source_box at the first "
            "particles.inject_interval time, particles.energy_range, particles.source_density and temperature"},
    {.section = "liouville", .name = "samples", .type = CR_KEY_INT, .unit = "", .def = "16", .min = 1, .max = 100000,
     .doc = "backward-traced sub-samples per pixel (energy stratified over the channel; angle, position, time uniform)"},
    {.section = "liouville", .name = "seed", .type = CR_KEY_INT, .unit = "", .def = "1", .min = 0,
     .max = 2147483647, .flags = CR_KEY_RANGED, .doc = "random seed of the sub-samples"},
    {.section = "liouville", .name = "max_time", .type = CR_KEY_REAL, .unit = "s", .def = "1800", .min = 0,
     .max = 1e9, .flags = CR_KEY_MIN_OPEN,
     .doc = "longest backward tracing time (then the sample has no source: f = 0, counted as timeout)"},
    {.section = "liouville", .name = "check_dt", .type = CR_KEY_REAL, .unit = "s", .def = "0.5", .min = 0,
     .max = 1e6, .flags = CR_KEY_MIN_OPEN, .doc = "interval between tests for the source along a backward trace"},
    {.section = "liouville", .name = "temperature", .type = CR_KEY_REAL, .unit = "eV", .def = "0", .min = 0,
     .max = 1e7, .flags = CR_KEY_RANGED,
     .doc = "source kT (0 = the MHD temperature P / (n k_B) where the trace enters the source)"},
    {.section = "liouville", .name = "density", .type = CR_KEY_REAL, .unit = "#/cc", .def = "0", .min = 0, .max = 1e6,
     .flags = CR_KEY_RANGED, .doc = "source density (0 = the MHD density where the trace enters the source)"},
    {.section = "liouville", .name = "beta_min", .type = CR_KEY_REAL, .unit = "", .def = "1", .min = 0, .max = 1e6,
     .flags = CR_KEY_RANGED,
     .doc = "sheath source: also plasma beta 2 mu0 P / B^2 above this (the plasma side of the magnetopause; the MHD "
            "cusp throat holds sheath-dense plasma at beta << 1); 0 = no beta test"},
    {.section = "liouville", .name = "flow", .type = CR_KEY_CHOICE, .unit = "", .def = "mhd", .choices = "mhd|exb",
     .doc = "frame of the source Maxwellian: the MHD flow (E x B drift and flow along B), or the E x B drift only "
            "(the forward tracer's plasma frame)"},
    CR_KEY_END,
};

int cr_liouville_from_config(const struct cr_config *cfg, const char *run_dir, const struct cr_log *log,
                             struct cr_liouville_setup *out)
{
    memset(out, 0, sizeof *out);
    struct cr_particles_inp pin = {0};
    int rc = cr_particles_inp_from_config(cfg, &pin, log);
    if (rc) return rc;
    const int release = cr_config_choice(cfg, "liouville", "source") == 1;
    pin.mhd_load = CR_MHD_LOAD_ALL | CR_MHD_LOAD_P;
    struct cr_field *f = NULL;
    if ((rc = make_field(cfg, run_dir, log, &pin, &f))) return rc;
    struct cr_liouville_inp *q = &out->inp;
    q->field = f;
    q->mhd = pin.mhd;
    q->push = pin.push;
    q->r_collect = pin.push.r_collect;
    q->r_lost = pin.push.r_lost;
    q->max_time = cr_config_real(cfg, "liouville", "max_time");
    q->check_dt = cr_config_real(cfg, "liouville", "check_dt");
    q->window = pin.window;
    q->source = release ? CR_LV_SRC_RELEASE : CR_LV_SRC_SHEATH;
    q->density_factor = pin.inject.density_factor;
    q->speed_factor = pin.inject.speed_factor;
    q->n_sw = pin.inject.n_sw;
    q->v_sw = pin.inject.v_sw;
    memcpy(q->probe, pin.inject.probe, sizeof q->probe);
    q->density = cr_config_real(cfg, "liouville", "density");
    q->beta_min = cr_config_real(cfg, "liouville", "beta_min");
    q->temperature = cr_config_real(cfg, "liouville", "temperature");
    q->flow = cr_config_choice(cfg, "liouville", "flow") == 1 ? CR_LV_FLOW_EXB : CR_LV_FLOW_MHD;
    if (release) {
        /* the forward run's one-shot release, exactly */
        q->t_release = pin.inject.t_start;
        memcpy(q->box, pin.inject.box, sizeof q->box);
        q->r_exclude = q->r_collect > 0 ? q->r_collect : f->r_inner + 0.25;
        q->e_min = pin.inject.e_min;
        q->e_max = pin.inject.e_max;
        if (!(q->density > 0)) q->density = pin.inject.density;
        if (!(q->temperature > 0)) q->temperature = pin.inject.temperature;
        q->flow = CR_LV_FLOW_EXB;
        if (pin.inject.t_end != pin.inject.t_start || pin.inject.kind != CR_SOURCE_BOX) {
            cr_error(log, "%s: liouville.source = release traces back to a one-shot release: set "
                          "particles.source = box and particles.inject_interval = t, t (now %s, %g..%g s)",
                     *cr_config_file(cfg) ? cr_config_file(cfg) : "liouville",
                     cr_config_choice_name(cfg, SEC, "source"), pin.inject.t_start, pin.inject.t_end);
            cr_field_release(f);
            return CR_ECONFIG;
        }
    }
    int pr = cr_config_choice(cfg, "run", "progress");
    q->progress = pr == 0 ? 0 : pr == 1 ? 1 : -1;
    q->log = log;
    out->samples = (int)cr_config_int(cfg, "liouville", "samples");
    out->seed = (uint64_t)cr_config_int(cfg, "liouville", "seed");
    return CR_OK;
}

void cr_liouville_setup_release(struct cr_liouville_setup *s)
{
    if (!s) return;
    if (s->inp.field) cr_field_release((struct cr_field *)s->inp.field);
    memset(s, 0, sizeof *s);
}

int cr_cmd_particles(struct cr_cmd_ctx *ctx)
{
    struct cr_particles_inp inp = {0};
    int rc = cr_particles_inp_from_config(ctx->cfg, &inp, ctx->log);
    if (rc) return rc;
    int pr = cr_config_choice(ctx->cfg, "run", "progress");
    inp.progress = pr == 0 ? 0 : pr == 1 ? 1 : -1;
    struct cr_field *f = NULL;
    if ((rc = make_field(ctx->cfg, ctx->run_dir, ctx->log, &inp, &f))) return rc;
    inp.field = f;
    inp.par = &ctx->par;
    if (inp.push.r_collect <= 0) inp.push.r_collect = f->r_inner > 0 ? f->r_inner + 0.25 : 0.0;
    if (inp.push.r_collect > 0 && inp.push.r_collect <= f->r_inner) {
        cr_error(ctx->log, "particles.collect_radius %g R_E must be above the inner boundary %g R_E",
                 inp.push.r_collect, f->r_inner);
        cr_field_release(f);
        return CR_ECONFIG;
    }
    if (inp.push.r_collect > 0 && inp.r_sat >= inp.push.r_collect) {
        cr_error(ctx->log, "particles.altitude %.0f km is above the collection sphere (%g R_E)",
                 (inp.r_sat - 1.0) * CR_RE_KM, inp.push.r_collect);
        cr_field_release(f);
        return CR_ECONFIG;
    }
    char path[4096];
    if ((rc = cr_run_path(ctx, "particles.h5", path, sizeof path))) {
        cr_field_release(f);
        return rc;
    }
    cr_info(ctx->log, "particles: %ld protons, field %s, collection sphere %.3g R_E, satellite %.0f km, %d thread(s)",
            inp.n, f->name ? f->name : "?", inp.push.r_collect, (inp.r_sat - 1.0) * CR_RE_KM, cr_max_threads());
    struct cr_particles_out out;
    rc = cr_particles_trace(&inp, &out);
    if (!rc) {
        long steps = out.steps_fo + out.steps_gc;
        cr_info(ctx->log,
                "particles: %ld injected, %ld collected, %ld mirrored, %ld outflow, %ld timeout, %ld other; "
                "%ld FO + %ld GC steps, %ld switches, %.2f s (%.3g steps/s)",
                out.n_injected, out.n_status[CR_PST_COLLECTED], out.n_status[CR_PST_MIRRORED],
                out.n_status[CR_PST_OUTFLOW], out.n_status[CR_PST_TIMEOUT], out.n_status[CR_PST_FAILED],
                out.steps_fo, out.steps_gc, out.switches, out.wall, out.wall > 0 ? (double)steps / out.wall : 0.0);
        if (ctx->par.rank == 0) { /* the records are on every rank; rank 0 writes */
            rc = cr_particles_write(path, ctx->cfg, &inp, &out, ctx->log);
            if (!rc) cr_info(ctx->log, "particles: wrote %s", path);
        }
        cr_particles_out_free(&out);
    }
    cr_field_release(f);
    return rc;
}
