/* cr_epoch.c — the run epoch ([run] epoch) as a modified Julian date and CF
 * time units (see cr_epoch.h). Calendar arithmetic: days from the civil
 * date in the proleptic Gregorian calendar (Fliegel & Van Flandern 1968,
 * Comm. ACM 11, 657, in its integer form). */
#include "cr_epoch.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cr_common.h"

/* Julian day number (noon-based, integer) of a Gregorian date. */
static long julian_day_number(long y, long m, long d)
{
    long a = (14 - m) / 12;
    long yy = y + 4800 - a, mm = m + 12 * a - 3;
    return d + (153 * mm + 2) / 5 + 365 * yy + yy / 4 - yy / 100 + yy / 400 - 32045;
}

static int days_in_month(long y, long m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

/* n digits at *p into *v; advances p. 0 on success. */
static int digits(const char **p, int n, long *v)
{
    long x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        x = 10 * x + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

int cr_epoch_parse(const char *text, struct cr_epoch *e)
{
    if (!text) return CR_ECONFIG;
    const char *p = text;
    while (*p == ' ') p++;
    long y, mo, d, h = 0, mi = 0, s = 0;
    double frac = 0.0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return CR_ECONFIG;
    if (*p == 'T' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) return CR_ECONFIG;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &s)) return CR_ECONFIG;
            if (*p == '.') {
                const char *q = p + 1;
                double scale = 0.1;
                if (!isdigit((unsigned char)*q)) return CR_ECONFIG;
                while (isdigit((unsigned char)*q)) {
                    frac += scale * (*q - '0');
                    scale *= 0.1;
                    q++;
                }
                p = q;
            }
        }
    }
    if (*p == 'Z') p++;
    while (*p == ' ') p++;
    if (*p) return CR_ECONFIG;
    if (y < 1858 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        s > 59)
        return CR_ECONFIG;
    /* MJD = JD - 2400000.5; the JDN counts from noon, MJD from midnight */
    double mjd = (double)(julian_day_number(y, mo, d) - 2400001) + (h * 3600.0 + mi * 60.0 + s + frac) / 86400.0;
    if (mjd < 0) return CR_ECONFIG;
    e->mjd = mjd;
    if (frac > 0) {
        char f[16];
        snprintf(f, sizeof f, "%.6f", frac);
        /* strip trailing zeros of the fraction ("0.500000" -> ".5") */
        size_t n = strlen(f);
        while (n > 2 && f[n - 1] == '0') f[--n] = '\0';
        snprintf(e->iso, sizeof e->iso, "%04d-%02d-%02dT%02d:%02d:%02d%.8sZ", (int)y, (int)mo, (int)d, (int)h,
                 (int)mi, (int)s, f + 1);
    } else {
        snprintf(e->iso, sizeof e->iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)mo, (int)d, (int)h,
                 (int)mi, (int)s);
    }
    return CR_OK;
}

int cr_epoch_from_config(const struct cr_config *cfg, struct cr_epoch *e, const struct cr_log *log)
{
    int has = cfg && cr_config_has(cfg, "run", "epoch");
    const char *text = has ? cr_config_string(cfg, "run", "epoch") : CR_EPOCH_DEFAULT;
    if (cr_epoch_parse(text, e) == CR_OK) return CR_OK;
    cr_error(log, "%s: [run] epoch = '%s' is not a UTC date and time (allowed: YYYY-MM-DD[THH:MM[:SS[.fff]]][Z], "
                  "years 1858-9999)",
             has ? cr_config_origin(cfg, "run", "epoch") : "default", text);
    return CR_ECONFIG;
}

double cr_epoch_mjd(const struct cr_epoch *e, double t_s) { return e->mjd + t_s / 86400.0; }

double cr_epoch_seconds(const struct cr_epoch *e, double mjd) { return (mjd - e->mjd) * 86400.0; }

void cr_epoch_cf_units(const struct cr_epoch *e, char *buf, size_t n) { snprintf(buf, n, "seconds since %s", e->iso); }
