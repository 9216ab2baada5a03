/* cr_spectrogram.h — a virtual spacecraft's ion spectrogram from collected
 * test particles: for every sample of the track, the macro-particles inside
 * its collection bin (MLat bin around the spacecraft's footpoint on the
 * collection shell, MLT sector around its MLT, time window around the
 * sample time) and inside the instrument's pitch-angle cone are turned into
 * differential number flux, differential energy flux and count rate per
 * energy channel.
 *
 * Flux estimator (docs/formats.md; Burkholder et al. 2025 collect particles
 * in 0.5 deg MLat bins the same way):
 *   J_c = sum_i w_i / |cos a_i|  /  (A dt dE_c dOmega)     [cm^-2 s^-1 sr^-1 eV^-1]
 * over particles i in channel c, with A [cm^2] the bin area on the collection
 * shell, dt [s] the window, dE_c [eV] the channel width, dOmega [sr] the
 * solid angle of the accepted pitch-angle cone. Then F_c = E_c J_c and the
 * count rate C_c = J_c G_c E_c (see cr_instrument.h). The 1-sigma
 * macro-particle error is sqrt(sum_i (w_i / |cos a_i|)^2) / (A dt dE_c dOmega).
 *
 * Particles within `grazing_cut` degrees of the shell plane (|cos a| small)
 * are left out and the solid angle reduced to match: the 1/|cos a| weights
 * have a logarithmically divergent variance otherwise.
 *
 * A spacecraft above or below the collection shell is mapped to it along
 * dipole field lines (r / cos^2 MLat constant); the differential flux is
 * constant along the field line (Liouville), pitch angles map with
 * sin^2 a / B constant, so particles that mirror before reaching the
 * spacecraft are not counted.
 */
#ifndef CR_SPECTROGRAM_H
#define CR_SPECTROGRAM_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "../core/cr_config.h"
#include "../core/cr_log.h"
#include "cr_instrument.h"
#include "cr_orbit.h"
#include "cr_pset.h"

struct cr_spectrogram_inp {
    const struct cr_pset *particles;
    const struct cr_orbit *orbit;
    const struct cr_instrument *instrument;
    double time_offset;            /* [s] added to the track times (trailing spacecraft) */
    double collection_altitude_km; /* altitude of the particles' collection shell [km] */
    double bin_mlat;               /* MLat bin width [deg] (0.5 in Burkholder et al. 2025) */
    double mlt_width;              /* MLT sector width [h] */
    double window;                 /* collection window [s]; 0 = the step time */
    double grazing_cut;            /* [deg], see above */
    unsigned long noise_stream;    /* added to the instrument seed (one stream per spacecraft) */
    int progress;                  /* cr_progress force flag (0 auto, -1 never) */
    const struct cr_log *log;
};

/* The result, one row per sample and one column per channel (row-major
 * [time][energy]). Arrays are owned by the object. */
struct cr_spectrogram {
    int nt, nch;
    /* per sample */
    double *time, *mlat, *mlt, *altitude, *x, *y, *z, *track_angle;
    double *collection_mlat;   /* footpoint on the collection shell [deg] (NaN: no footpoint) */
    double *bin_area;          /* A [cm^2] */
    double *solid_angle;       /* dOmega [sr] */
    /* per channel */
    double *energy, *energy_lower, *energy_upper, *gf;
    /* per sample and channel */
    double *counts;            /* count rate [s^-1] (with noise when enabled) */
    double *counts_expected;   /* noise-free count rate [s^-1] */
    double *dnf;               /* [cm^-2 s^-1 sr^-1 eV^-1] */
    double *def;               /* [eV cm^-2 s^-1 sr^-1 eV^-1] */
    double *def_err;           /* 1-sigma macro-particle error of def */
    int *macro;                /* macro-particles counted (backward: samples that reached the source) */
    double *neff;              /* effective count (def / def_err)^2: forward (sum w')^2 / sum w'^2 with
                                  w' = w / |cos a|; backward: the same precision ratio of the sample mean */
    /* scalars */
    double window;             /* [s] */
    double integration_time;   /* whole accumulations per sample x accumulation time [s] */
    double grazing_cut;        /* [deg] */
    double bin_mlat, mlt_width;
    int noise;
    /* backward only (NULL forward): means over the pixel's samples that reached the source */
    double *src_n, *src_kt;    /* source density [#/cc] and kT [eV] */
    double *src_dt;            /* flight time from the source to the detector [s] */
    double *src_x, *src_y, *src_z; /* where the traces entered the source [R_E] SM */
    const char *method;        /* "forward" or "backward" (static text) */
    int samples;               /* backward: points traced per pixel (0 forward) */
    long n_status[7];          /* backward: samples by enum cr_lv_status (particles/cr_liouville.h) */
    double source_n_sw, source_v_sw; /* backward, sheath source: upstream values of the criteria */
    double trace_wall;         /* backward: tracing wall time [s] */
    long trace_steps;          /* backward: FO + GC steps */
    const char *source;        /* backward: "sheath" or "release" */
    size_t n_candidates;       /* particles with weight > 0 in an energy channel */
    size_t n_outside_time;     /* of those, arriving outside every sample window */
};

/* Compute the spectrogram. NULL on failure (message logged). */
struct cr_spectrogram *cr_spectrogram_new(const struct cr_spectrogram_inp *inp);

/* An empty spectrogram of nt samples and nch channels (all arrays zero),
 * for the builders of this module. NULL when out of memory. */
struct cr_spectrogram *cr_spectrogram_alloc(int nt, int nch);

/* Fill the per-channel arrays (centres, edges, geometric factor) and the
 * window, integration time, bin and noise settings from the instrument. */
void cr_spectrogram_set_instrument(struct cr_spectrogram *s, const struct cr_instrument *ins, double window,
                                   double grazing_cut, double bin_mlat, double mlt_width);

/* Pixel i (channel c) from its differential number flux j and 1-sigma
 * error jerr [cm^-2 s^-1 sr^-1 eV^-1]: expected count rate, the count rate
 * with Poisson noise when `noise` is a generator, number and energy flux
 * and the energy-flux error. */
void cr_spectrogram_set_pixel(struct cr_spectrogram *s, const struct cr_instrument *ins, size_t i, int c, double j,
                              double jerr, gsl_rng *noise);

/* Fill sample k's time, position, MLat, MLT, altitude and track angle from
 * the orbit sample at radius r_sc [R_E]. */
void cr_spectrogram_set_sample(struct cr_spectrogram *s, int k, const struct cr_orbit_sample *os, double r_sc);

/* Descriptive attributes written with the spectrogram. */
struct cr_spectrogram_meta {
    const char *flyby;             /* flyby name */
    int spacecraft;                /* 1, or 2 for the trailing spacecraft of a pair */
    double pair_separation;        /* [s] (0 = single spacecraft) */
    const char *particles_file;
    const char *instrument_config; /* resolved instrument keys as INI text (may be NULL) */
    const struct cr_orbit *orbit;
    const struct cr_instrument *instrument;
};

/* Write <path> as netCDF-4 / CF-1.8 (layout in docs/formats.md and
 * spacecraft/README.md) with the provenance of cfg. */
int cr_spectrogram_write(const struct cr_spectrogram *s, const struct cr_spectrogram_meta *meta, const char *path,
                         const struct cr_config *cfg, const struct cr_log *log);

void cr_spectrogram_release(struct cr_spectrogram *s);

#endif
