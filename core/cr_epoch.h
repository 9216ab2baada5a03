/* cr_epoch.h — the run epoch: the UT of simulation time t = 0 (key
 * `[run] epoch`, ISO 8601 UTC), as a modified Julian date for GAMERA's
 * per-step `MJD` attribute and as the origin of CF time units
 * ("seconds since <epoch>").
 *
 * MJD = JD - 2400000.5 (days since 1858-11-17T00:00:00 UTC), from the
 * proleptic Gregorian calendar; leap seconds are not counted (as in CF's
 * "standard" calendar and GAMERA's MJD). */
#ifndef CR_EPOCH_H
#define CR_EPOCH_H

#include "cr_config.h"
#include "cr_log.h"

#define CR_EPOCH_DEFAULT "2000-01-01T00:00:00Z"

struct cr_epoch {
    double mjd;     /* modified Julian date of t = 0 [day] */
    char iso[64];   /* normalised text, YYYY-MM-DDTHH:MM:SS[.fff]Z */
};

/* Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM", "YYYY-MM-DDTHH:MM:SS[.f...]",
 * each optionally followed by "Z" (a space may replace the T). Years
 * 1858..9999. CR_OK, or CR_ECONFIG for anything else (no message). */
int cr_epoch_parse(const char *text, struct cr_epoch *e);

/* The epoch of a configuration ([run] epoch; the default when cfg is NULL
 * or its schema has no [run] epoch). CR_ECONFIG with a message naming the key, its
 * origin and the allowed form. */
int cr_epoch_from_config(const struct cr_config *cfg, struct cr_epoch *e, const struct cr_log *log);

/* MJD of simulation time t [s]. */
double cr_epoch_mjd(const struct cr_epoch *e, double t_s);

/* Simulation time [s] of a modified Julian date. */
double cr_epoch_seconds(const struct cr_epoch *e, double mjd);

/* CF/UDUNITS time units "seconds since YYYY-MM-DDTHH:MM:SSZ" into buf. */
void cr_epoch_cf_units(const struct cr_epoch *e, char *buf, size_t n);

#endif
