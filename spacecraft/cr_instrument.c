/* cr_instrument.c — energy channels, geometric factor and count/flux
 * conversions of a data-described particle instrument (see cr_instrument.h). */
#include "cr_instrument.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_interp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_units.h"

struct cr_instrument {
    char *name, *description, *fov;
    int n;
    double *centre, *lower, *upper, *gf;
    double tau;
    enum cr_look look;
    double cone;
    int noise;
    unsigned long seed;
};

const struct cr_key cr_instrument_keys[] = {
    {.section = "instrument", .name = "name", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "short instrument name recorded in the spectrogram (e.g. dmsp_ssj)"},
    {.section = "instrument", .name = "description", .type = CR_KEY_STRING, .unit = "", .def = "",
     .doc = "free-text description (source of the numbers, caveats)"},
    {.section = "instrument", .name = "energies", .type = CR_KEY_REALS, .unit = "eV", .def = "", .min = 0,
     .max = 1e8, .flags = CR_KEY_MIN_OPEN,
     .doc = "channel centres, ascending (alternative to energy_log); continuation lines append"},
    {.section = "instrument", .name = "widths", .type = CR_KEY_REALS, .unit = "eV", .def = "", .min = 0,
     .max = 1e8, .flags = CR_KEY_MIN_OPEN,
     .doc = "channel widths, one per centre (empty: from energy_resolution or contiguous channels)"},
    {.section = "instrument", .name = "energy_log", .type = CR_KEY_REALS, .unit = "eV, eV, 1", .def = "",
     .min = 0, .max = 1e8, .flags = CR_KEY_MIN_OPEN, .min_count = 3, .max_count = 3,
     .doc = "logarithmic channel table: first centre, last centre, number of channels"},
    {.section = "instrument", .name = "energy_resolution", .type = CR_KEY_REAL, .unit = "1", .def = "0",
     .min = 0, .max = 2, .flags = CR_KEY_RANGED | CR_KEY_MAX_OPEN,
     .doc = "channel width dE/E when widths are not listed (0 = contiguous channels, edges at geometric midpoints)"},
    {.section = "instrument", .name = "geometric_factor", .type = CR_KEY_REALS, .unit = "cm^2 sr eV/eV",
     .def = "", .min = 0, .max = 1e3, .flags = CR_KEY_MIN_OPEN,
     .doc = "energy geometric factor: one value, one per channel, or a table over gf_energies"},
    {.section = "instrument", .name = "gf_energies", .type = CR_KEY_REALS, .unit = "eV", .def = "", .min = 0,
     .max = 1e8, .flags = CR_KEY_MIN_OPEN,
     .doc = "energies of the geometric-factor table (log-log interpolation, constant beyond its ends)"},
    {.section = "instrument", .name = "accumulation_time", .type = CR_KEY_REAL, .unit = "s", .def = "1",
     .min = 0, .max = 3600, .flags = CR_KEY_MIN_OPEN, .doc = "time to accumulate one spectrum"},
    {.section = "instrument", .name = "look", .type = CR_KEY_CHOICE, .unit = "", .def = "precipitating",
     .choices = "precipitating|upgoing|all",
     .doc = "precipitating: pitch < 90 deg in the north, > 90 deg in the south; upgoing: the opposite"},
    {.section = "instrument", .name = "cone_half_angle", .type = CR_KEY_REAL, .unit = "deg", .def = "90",
     .min = 0, .max = 90, .flags = CR_KEY_MIN_OPEN,
     .doc = "accepted pitch angles: within this angle of the look direction (field-aligned)"},
    {.section = "instrument", .name = "fov", .type = CR_KEY_STRING, .unit = "deg", .def = "",
     .doc = "field of view of one look as text (recorded, e.g. \"22.5 x 6\")"},
    {.section = "instrument", .name = "noise", .type = CR_KEY_BOOL, .unit = "", .def = "false",
     .doc = "draw Poisson counting noise on the counts of each sample"},
    {.section = "instrument", .name = "seed", .type = CR_KEY_INT, .unit = "", .def = "1", .min = 0,
     .max = 2147483647, .flags = CR_KEY_RANGED, .doc = "random seed of the counting noise (GSL mt19937)"},
    CR_KEY_END,
};

int cr_instrument_inp_from_config(const struct cr_config *cfg, const struct cr_log *log,
                                  struct cr_instrument_inp *inp)
{
    memset(inp, 0, sizeof *inp);
    const char *where = *cr_config_file(cfg) ? cr_config_file(cfg) : "instrument";
    inp->name = cr_config_string(cfg, "instrument", "name");
    inp->description = cr_config_string(cfg, "instrument", "description");
    inp->fov = cr_config_string(cfg, "instrument", "fov");
    size_t ne = 0, nw = 0, nl = 0, ng = 0, nge = 0;
    const double *e = cr_config_reals(cfg, "instrument", "energies", &ne);
    const double *w = cr_config_reals(cfg, "instrument", "widths", &nw);
    const double *l = cr_config_reals(cfg, "instrument", "energy_log", &nl);
    const double *g = cr_config_reals(cfg, "instrument", "geometric_factor", &ng);
    const double *ge = cr_config_reals(cfg, "instrument", "gf_energies", &nge);
    if (ne > 0 && nl > 0) {
        cr_error(log, "%s: instrument.energies and instrument.energy_log are both given; give one energy table", where);
        return CR_ECONFIG;
    }
    if (ne == 0 && nl == 0) {
        cr_error(log, "%s: the instrument has no energy table: give instrument.energies (channel centres) or "
                      "instrument.energy_log (first, last, count)", where);
        return CR_ECONFIG;
    }
    if (nw > 0 && ne == 0) {
        cr_error(log, "%s: instrument.widths needs instrument.energies (one width per centre)", where);
        return CR_ECONFIG;
    }
    if (ng == 0) {
        cr_error(log, "%s: instrument.geometric_factor is missing (cm^2 sr eV/eV: one value, one per channel, "
                      "or a table over instrument.gf_energies)", where);
        return CR_ECONFIG;
    }
    if (ne > 0) {
        inp->nchannel = (int)ne;
        inp->centres = e;
        inp->widths = nw > 0 ? w : NULL;
        if (nw > 0 && nw != ne) {
            cr_error(log, "%s: instrument.widths has %zu values but instrument.energies has %zu", where, nw, ne);
            return CR_ECONFIG;
        }
    } else {
        inp->log_first = l[0];
        inp->log_last = l[1];
        if (l[2] != floor(l[2]) || l[2] < 1 || l[2] > 100000) {
            cr_error(log, "%s: instrument.energy_log: the third value (channel count) must be a whole number in "
                          "[1, 100000], got %g", where, l[2]);
            return CR_ECONFIG;
        }
        inp->log_count = (int)l[2];
    }
    inp->energy_resolution = cr_config_real(cfg, "instrument", "energy_resolution");
    inp->ngf = (int)ng;
    inp->gf = g;
    inp->gf_energies = nge > 0 ? ge : NULL;
    if (nge > 0 && nge != ng) {
        cr_error(log, "%s: instrument.gf_energies has %zu values but instrument.geometric_factor has %zu", where, nge,
                 ng);
        return CR_ECONFIG;
    }
    inp->accumulation_time = cr_config_real(cfg, "instrument", "accumulation_time");
    inp->look = (enum cr_look)cr_config_choice(cfg, "instrument", "look");
    inp->cone_half_angle = cr_config_real(cfg, "instrument", "cone_half_angle");
    inp->noise = cr_config_bool(cfg, "instrument", "noise");
    inp->seed = (unsigned long)cr_config_int(cfg, "instrument", "seed");
    inp->log = log;
    return CR_OK;
}

/* Log-log linear interpolation of the geometric-factor table at E (GSL
 * linear interpolation in (ln E, ln G); constant beyond the table ends). */
static int gf_table(const struct cr_instrument_inp *inp, const double *centre, int n, double *out)
{
    int m = inp->ngf;
    for (int i = 1; i < m; i++) {
        if (!(inp->gf_energies[i] > inp->gf_energies[i - 1])) {
            cr_error(inp->log, "instrument.gf_energies must be strictly ascending (value %d: %g after %g)", i + 1,
                     inp->gf_energies[i], inp->gf_energies[i - 1]);
            return CR_ECONFIG;
        }
    }
    if (m == 1) {
        for (int c = 0; c < n; c++) out[c] = inp->gf[0];
        return CR_OK;
    }
    double *le = malloc((size_t)m * sizeof *le), *lg = malloc((size_t)m * sizeof *lg);
    gsl_interp *it = gsl_interp_alloc(gsl_interp_linear, (size_t)m);
    gsl_interp_accel *acc = gsl_interp_accel_alloc();
    int rc = CR_OK;
    if (!le || !lg || !it || !acc) rc = CR_ENOMEM;
    if (rc == CR_OK) {
        for (int i = 0; i < m; i++) {
            le[i] = log(inp->gf_energies[i]);
            lg[i] = log(inp->gf[i]);
        }
        if (gsl_interp_init(it, le, lg, (size_t)m) != GSL_SUCCESS) rc = CR_ECONFIG;
    }
    int outside = 0;
    for (int c = 0; c < n && rc == CR_OK; c++) {
        double x = log(centre[c]);
        if (x <= le[0]) { out[c] = inp->gf[0]; outside += x < le[0]; }
        else if (x >= le[m - 1]) { out[c] = inp->gf[m - 1]; outside += x > le[m - 1]; }
        else out[c] = exp(gsl_interp_eval(it, le, lg, x, acc));
    }
    if (rc == CR_OK && outside)
        cr_warn(inp->log, "instrument %s: %d channel(s) outside instrument.gf_energies [%g, %g] eV use the end values",
                inp->name ? inp->name : "", outside, inp->gf_energies[0], inp->gf_energies[m - 1]);
    gsl_interp_accel_free(acc);
    gsl_interp_free(it);
    free(le);
    free(lg);
    return rc;
}

struct cr_instrument *cr_instrument_new(const struct cr_instrument_inp *inp)
{
    const struct cr_log *log = inp->log;
    int n = inp->centres ? inp->nchannel : inp->log_count;
    if (n < 1) {
        cr_error(log, "instrument: no energy channels");
        return NULL;
    }
    if (!(inp->accumulation_time > 0)) {
        cr_error(log, "instrument.accumulation_time must be > 0 s (got %g)", inp->accumulation_time);
        return NULL;
    }
    if (!(inp->cone_half_angle > 0 && inp->cone_half_angle <= 90)) {
        cr_error(log, "instrument.cone_half_angle must be in (0, 90] deg (got %g)", inp->cone_half_angle);
        return NULL;
    }
    struct cr_instrument *in = cr_zalloc(1, sizeof *in);
    if (!in) return NULL;
    in->n = n;
    in->centre = cr_zalloc((size_t)n, sizeof(double));
    in->lower = cr_zalloc((size_t)n, sizeof(double));
    in->upper = cr_zalloc((size_t)n, sizeof(double));
    in->gf = cr_zalloc((size_t)n, sizeof(double));
    in->name = cr_strdup(inp->name && *inp->name ? inp->name : "instrument");
    in->description = cr_strdup(inp->description ? inp->description : "");
    in->fov = cr_strdup(inp->fov ? inp->fov : "");
    if (!in->centre || !in->lower || !in->upper || !in->gf || !in->name || !in->description || !in->fov) {
        cr_instrument_release(in);
        return NULL;
    }
    in->tau = inp->accumulation_time;
    in->look = inp->look;
    in->cone = inp->cone_half_angle;
    in->noise = inp->noise;
    in->seed = inp->seed;

    /* centres */
    if (inp->centres) {
        for (int c = 0; c < n; c++) in->centre[c] = inp->centres[c];
    } else {
        if (!(inp->log_first > 0 && inp->log_last > 0) || (n > 1 && !(inp->log_last > inp->log_first))) {
            cr_error(log, "instrument.energy_log: need 0 < first < last (got %g, %g)", inp->log_first, inp->log_last);
            cr_instrument_release(in);
            return NULL;
        }
        double r = n > 1 ? log10(inp->log_last / inp->log_first) / (n - 1) : 0.0;
        for (int c = 0; c < n; c++) in->centre[c] = inp->log_first * pow(10.0, r * c);
        if (n > 1) in->centre[n - 1] = inp->log_last;
    }
    for (int c = 0; c < n; c++) {
        if (!(in->centre[c] > 0) || (c > 0 && !(in->centre[c] > in->centre[c - 1]))) {
            cr_error(log, "instrument.energies must be positive and strictly ascending (channel %d: %g eV)", c + 1,
                     in->centre[c]);
            cr_instrument_release(in);
            return NULL;
        }
    }
    /* edges */
    if (inp->widths) {
        for (int c = 0; c < n; c++) {
            in->lower[c] = in->centre[c] - 0.5 * inp->widths[c];
            in->upper[c] = in->centre[c] + 0.5 * inp->widths[c];
        }
    } else if (inp->energy_resolution > 0) {
        for (int c = 0; c < n; c++) {
            in->lower[c] = in->centre[c] * (1.0 - 0.5 * inp->energy_resolution);
            in->upper[c] = in->centre[c] * (1.0 + 0.5 * inp->energy_resolution);
        }
    } else {
        /* contiguous: edges at geometric midpoints, shared bit for bit by
           neighbours; the end channels take the neighbouring ratio (a single
           channel spans a factor 2 in energy) */
        for (int c = 0; c + 1 < n; c++) {
            double edge = sqrt(in->centre[c] * in->centre[c + 1]);
            in->upper[c] = edge;
            in->lower[c + 1] = edge;
        }
        in->lower[0] = n > 1 ? in->centre[0] * in->centre[0] / in->upper[0] : in->centre[0] / sqrt(2.0);
        in->upper[n - 1] = n > 1 ? in->centre[n - 1] * in->centre[n - 1] / in->lower[n - 1] : in->centre[0] * sqrt(2.0);
    }
    for (int c = 0; c < n; c++) {
        if (!(in->lower[c] > 0) || (c > 0 && in->lower[c] < in->upper[c - 1] * (1 - 1e-12))) {
            cr_error(log, "instrument.widths/energy_resolution: channel %d [%g, %g] eV %s", c + 1, in->lower[c],
                     in->upper[c], in->lower[c] > 0 ? "overlaps the channel below" : "reaches zero energy");
            cr_instrument_release(in);
            return NULL;
        }
        if (c > 0 && in->lower[c] < in->upper[c - 1]) in->lower[c] = in->upper[c - 1]; /* round-off touch */
    }
    /* geometric factor */
    if (inp->ngf < 1 || !inp->gf) {
        cr_error(log, "instrument.geometric_factor is missing");
        cr_instrument_release(in);
        return NULL;
    }
    for (int i = 0; i < inp->ngf; i++) {
        if (!(inp->gf[i] > 0)) {
            cr_error(log, "instrument.geometric_factor must be > 0 (value %d: %g)", i + 1, inp->gf[i]);
            cr_instrument_release(in);
            return NULL;
        }
    }
    if (inp->gf_energies) {
        if (gf_table(inp, in->centre, n, in->gf)) {
            cr_instrument_release(in);
            return NULL;
        }
    } else if (inp->ngf == 1) {
        for (int c = 0; c < n; c++) in->gf[c] = inp->gf[0];
    } else if (inp->ngf == n) {
        for (int c = 0; c < n; c++) in->gf[c] = inp->gf[c];
    } else {
        cr_error(log, "instrument.geometric_factor has %d values: give 1, one per channel (%d), or a table with "
                      "instrument.gf_energies", inp->ngf, n);
        cr_instrument_release(in);
        return NULL;
    }
    return in;
}

int cr_instrument_nchannel(const struct cr_instrument *in) { return in->n; }
const char *cr_instrument_name(const struct cr_instrument *in) { return in->name; }
const char *cr_instrument_description(const struct cr_instrument *in) { return in->description; }
const char *cr_instrument_fov(const struct cr_instrument *in) { return in->fov; }
const double *cr_instrument_centres(const struct cr_instrument *in) { return in->centre; }
const double *cr_instrument_lower(const struct cr_instrument *in) { return in->lower; }
const double *cr_instrument_upper(const struct cr_instrument *in) { return in->upper; }
const double *cr_instrument_gf(const struct cr_instrument *in) { return in->gf; }
double cr_instrument_width(const struct cr_instrument *in, int ch) { return in->upper[ch] - in->lower[ch]; }
double cr_instrument_accumulation_time(const struct cr_instrument *in) { return in->tau; }
enum cr_look cr_instrument_look(const struct cr_instrument *in) { return in->look; }
double cr_instrument_cone_half_angle(const struct cr_instrument *in) { return in->cone; }
int cr_instrument_noise(const struct cr_instrument *in) { return in->noise; }
unsigned long cr_instrument_seed(const struct cr_instrument *in) { return in->seed; }

const char *cr_instrument_look_name(const struct cr_instrument *in)
{
    switch (in->look) {
    case CR_LOOK_PRECIPITATING: return "precipitating";
    case CR_LOOK_UPGOING: return "upgoing";
    case CR_LOOK_ALL: return "all";
    }
    return "?";
}

int cr_instrument_channel(const struct cr_instrument *in, double e)
{
    if (!(e >= in->lower[0]) || !(e < in->upper[in->n - 1])) return -1;
    /* last channel whose lower edge is <= e */
    int lo = 0, hi = in->n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (in->lower[mid] <= e) lo = mid;
        else hi = mid - 1;
    }
    return e < in->upper[lo] ? lo : -1; /* -1: in a gap between channels */
}

double cr_instrument_rate_from_dnf(const struct cr_instrument *in, int ch, double dnf)
{
    return dnf * in->gf[ch] * in->centre[ch];
}

double cr_instrument_dnf_from_rate(const struct cr_instrument *in, int ch, double rate)
{
    return rate / (in->gf[ch] * in->centre[ch]);
}

double cr_instrument_def_from_rate(const struct cr_instrument *in, int ch, double rate)
{
    return rate / in->gf[ch];
}

void cr_instrument_release(struct cr_instrument *in)
{
    if (!in) return;
    free(in->centre);
    free(in->lower);
    free(in->upper);
    free(in->gf);
    free(in->name);
    free(in->description);
    free(in->fov);
    free(in);
}
