/* cr_spectrogram_bw.h — a virtual instrument's spectrogram by backward
 * (Liouville) tracing of its pixels, the alternative to binning forward test
 * particles (cr_spectrogram.h): every pixel gets a value, with an error set
 * by the number of samples instead of by rare forward protons (the method of
 * OpenGGCM-LTPT for cusp ions, Connor et al. 2015, JGR 120, 4890).
 *
 * Pixel (sample k, channel c) is sub-sampled `samples` times: energy
 * stratified uniformly over the channel [E_lo, E_hi] (the channel value is
 * the channel-width average, as the forward estimator's), direction uniform
 * in solid angle over the accepted cone about the look direction (cone
 * half-angle, less the grazing cut, as forward), position uniform in area
 * over the MLat x MLT bin centred on the spacecraft (bin_mlat x mlt_width;
 * the forward estimator's collection bin) at the spacecraft's radius, time
 * uniform in the window centred on the sample. Each sub-sample is a point
 * (t, x, v) traced backward to its source (particles/cr_liouville.h); its
 * differential number flux is J = 2 E f / m^2. The channel value is the mean
 * J, its 1-sigma error the standard error of the mean; count rate, energy
 * flux and number flux follow as for the forward estimator (cr_instrument.h).
 * `macro` counts the sub-samples that reached the source and `neff` is
 * (mean / error)^2.
 *
 * A flyby with bin_mlat, mlt_width and window small measures at a point
 * and an instant, as a real instrument does; the defaults keep the forward
 * estimator's bins so that both can be compared pixel by pixel.
 */
#ifndef CR_SPECTROGRAM_BW_H
#define CR_SPECTROGRAM_BW_H

#include <stdint.h>

#include "../particles/cr_liouville.h"
#include "cr_spectrogram.h"

struct cr_spectrogram_bw_inp {
    const struct cr_orbit *orbit;
    const struct cr_instrument *instrument;
    const struct cr_liouville_inp *tracer; /* field, equations and source */
    double time_offset;            /* [s] added to the track times (trailing spacecraft) */
    double bin_mlat;               /* [deg] MLat extent of the sampled bin (0 = at the spacecraft) */
    double mlt_width;              /* [h] MLT extent of the sampled bin (0 = at the spacecraft) */
    double window;                 /* [s] sampled time window (0 = the step time) */
    double grazing_cut;            /* [deg] directions within this of perpendicular to B are left out */
    int samples;                   /* sub-samples per pixel (>= 1) */
    uint64_t seed;                 /* sub-sample random streams */
    unsigned long noise_stream;    /* added to the instrument seed (one stream per spacecraft) */
    const struct cr_log *log;
};

/* Trace and fill the spectrogram (method "backward"). NULL on failure
 * (message logged). */
struct cr_spectrogram *cr_spectrogram_backward_new(const struct cr_spectrogram_bw_inp *inp);

#endif
