/* cr_pset.h — the collected protons of particles.h5 (docs/formats.md) as
 * flat arrays: what a virtual spacecraft needs from the particle tracer.
 * Reading checks every value; writing produces a file in exactly the
 * tracer's layout (used for synthetic populations in tests and benchmarks).
 */
#ifndef CR_PSET_H
#define CR_PSET_H

#include <stddef.h>

#include "../core/cr_config.h"
#include "../core/cr_log.h"

struct cr_pset {
    size_t n;            /* collected macro-particles */
    double *t;           /* arrival time at the collection altitude [s] */
    double *x, *y, *z;   /* SM position [R_E] */
    double *mlat;        /* [deg], north positive */
    double *mlt;         /* [h] */
    double *energy;      /* [eV] */
    double *pitch;       /* [deg], 0 = along B */
    double *weight;      /* real protons per macro-particle [1] */
    double *hemisphere;  /* +1 north, -1 south */
    double altitude_km;  /* collection altitude [km] (root attribute altitude_km) */
    int has_altitude;    /* 0 when the file gives neither altitude_km nor collection_radius */
};

/* An empty set of n particles (arrays zeroed). NULL when out of memory. */
struct cr_pset *cr_pset_new(size_t n);

/* Read group `collected` of a particles.h5 file. CR_ECONFIG when the file is
 * missing or malformed (a message names the file and dataset), CR_ENOMEM.
 * Particles whose pitch angle is NaN (unknown field) get weight 0 (warned). */
int cr_pset_read(const char *path, const struct cr_log *log, struct cr_pset **out);

/* Write a particles.h5 file (group `collected`, root attributes) with the
 * provenance of cfg (may be NULL). Fields not held by the set (start
 * position and time, start energy, status) are written as the arrival
 * values / status 1 (collected). `weight_description` is recorded as given. */
int cr_pset_write(const struct cr_pset *p, const char *path, const char *weight_description,
                  const struct cr_config *cfg, const struct cr_log *log);

void cr_pset_release(struct cr_pset *p);

#endif
