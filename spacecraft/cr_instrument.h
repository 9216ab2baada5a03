/* cr_instrument.h — a particle instrument described by data: energy
 * channels (centres and widths, or a logarithmic table), an energy-dependent
 * geometric factor, accumulation time, look direction and field of view,
 * optional Poisson counting noise.
 *
 * Counts and fluxes (the convention of DMSP SSJ and TRACERS ACI, where the
 * geometric factor is an "energy geometric factor" G [cm^2 sr eV/eV], i.e.
 * A dOmega dE/E):
 *
 *   count rate            C  = J(E_c) G(E_c) E_c            [s^-1]
 *   counts per accumulation N = C tau                       [1]
 *   differential number flux J = C / (G E_c)                [cm^-2 s^-1 sr^-1 eV^-1]
 *   differential energy flux F = E_c J = C / G              [eV cm^-2 s^-1 sr^-1 eV^-1]
 *
 * F = C / G is the conversion quoted by Burkholder et al. (2025, Sect. 3.2:
 * "differential energy flux = count rate / geometric factor").
 */
#ifndef CR_INSTRUMENT_H
#define CR_INSTRUMENT_H

#include "../core/cr_config.h"
#include "../core/cr_log.h"

/* Which particles the aperture sees, relative to the local magnetic field. */
enum cr_look {
    CR_LOOK_PRECIPITATING = 0, /* downgoing: pitch < 90 deg north, > 90 deg south */
    CR_LOOK_UPGOING = 1,       /* upgoing: the opposite */
    CR_LOOK_ALL = 2            /* both */
};

struct cr_instrument_inp {
    const char *name;          /* short name, e.g. "dmsp_ssj" */
    const char *description;   /* free text (may be NULL) */
    const char *fov;           /* field of view as text, e.g. "22.5 x 6 deg" (may be NULL) */
    /* energy table: explicit centres, or (centres == NULL) a logarithmic table */
    int nchannel;              /* number of explicit centres */
    const double *centres;     /* [eV], strictly ascending */
    const double *widths;      /* [eV] per channel, or NULL */
    double log_first, log_last;/* [eV] first and last centre of a log table */
    int log_count;             /* channels of the log table */
    double energy_resolution;  /* dE/E (FWHM) when widths == NULL; 0 = contiguous
                                  channels with edges at geometric midpoints */
    /* geometric factor [cm^2 sr eV/eV]: one value, one per channel, or a table
       over gf_energies [eV] interpolated linearly in log G - log E */
    int ngf;
    const double *gf;
    const double *gf_energies; /* NULL unless a table over energy */
    double accumulation_time;  /* [s] one spectrum */
    enum cr_look look;
    double cone_half_angle;    /* [deg] half-width of the accepted pitch-angle cone about the look direction */
    int noise;                 /* 1: Poisson counting noise */
    unsigned long seed;        /* random seed for the noise */
    const struct cr_log *log;
};

struct cr_instrument;

/* New instrument; NULL (with a message naming the instrument.* key) on
 * invalid input: unsorted or overlapping channels, a geometric-factor table
 * of the wrong length, non-positive values. */
struct cr_instrument *cr_instrument_new(const struct cr_instrument_inp *inp);

/* Fill an input struct from the [instrument] keys of cfg (pointers stay
 * valid while cfg lives). CR_ECONFIG with a message naming the key when the
 * energy table is missing or given twice. */
int cr_instrument_inp_from_config(const struct cr_config *cfg, const struct cr_log *log,
                                  struct cr_instrument_inp *inp);

int cr_instrument_nchannel(const struct cr_instrument *in);
const char *cr_instrument_name(const struct cr_instrument *in);
const char *cr_instrument_description(const struct cr_instrument *in);
const char *cr_instrument_fov(const struct cr_instrument *in);
/* Channel centre, lower and upper edge [eV], width [eV], geometric factor [cm^2 sr eV/eV]. */
const double *cr_instrument_centres(const struct cr_instrument *in);
const double *cr_instrument_lower(const struct cr_instrument *in);
const double *cr_instrument_upper(const struct cr_instrument *in);
const double *cr_instrument_gf(const struct cr_instrument *in);
double cr_instrument_width(const struct cr_instrument *in, int ch);
double cr_instrument_accumulation_time(const struct cr_instrument *in);
enum cr_look cr_instrument_look(const struct cr_instrument *in);
const char *cr_instrument_look_name(const struct cr_instrument *in);
double cr_instrument_cone_half_angle(const struct cr_instrument *in);
int cr_instrument_noise(const struct cr_instrument *in);
unsigned long cr_instrument_seed(const struct cr_instrument *in);

/* Channel that contains energy E [eV] (lower <= E < upper), or -1. */
int cr_instrument_channel(const struct cr_instrument *in, double energy_ev);

/* Conversions of the header comment for channel ch. */
double cr_instrument_rate_from_dnf(const struct cr_instrument *in, int ch, double dnf);
double cr_instrument_dnf_from_rate(const struct cr_instrument *in, int ch, double rate);
double cr_instrument_def_from_rate(const struct cr_instrument *in, int ch, double rate);

void cr_instrument_release(struct cr_instrument *in);

/* Schema of the [instrument] section (instrument files use the same keys). */
extern const struct cr_key cr_instrument_keys[];

#endif
