/* cr_report.h — the comparison report: the Lockwood-Smith estimate of each
 * flyby (<flyby>.rate.nc) against the flux-accounting rate of the same MLT
 * sector (flux.nc), in the same units and length convention.
 *
 * `cusprate report FILE.ini` writes <run>/report/: comparison.nc (every
 * number), index.md and index.html (table and figure links), and the PNG
 * figures drawn by tools/report.py (skipped, and said so, when Python or
 * matplotlib is missing).
 */
#ifndef CR_REPORT_H
#define CR_REPORT_H

#include <stddef.h>

#include "../core/cr_cli.h"
#include "../core/cr_config.h"

/* The [report] schema table (registered in core/cr_registry.c). */
extern const struct cr_key cr_report_keys[];

int cr_cmd_report(struct cr_cmd_ctx *ctx);

/* Statistics of estimate/reference pairs (GSL statistics). Fields the data
 * cannot define (correlation of a constant series, ratio with a zero
 * reference everywhere) are set to `missing` and `ok_*` to 0. */
struct cr_report_stats {
    int n;
    double mean_est, mean_ref;
    double mean_ratio; int ok_ratio;   /* mean of est/ref over pairs with ref != 0 */
    double median_ratio;               /* median of the same ratios (gsl_stats_median; robust against the
                                        * estimates near a singular 1 + X), valid with ok_ratio */
    double correlation; int ok_corr;   /* Pearson, gsl_stats_correlation */
    double rms_diff;                   /* sqrt(mean (est - ref)^2) */
};
void cr_report_stats(const double *est, const double *ref, int n, double missing, struct cr_report_stats *out);

/* The mean of MLT values [h] on the 24-h circle (e.g. 23.5 and 0.5 -> 0). */
double cr_report_mlt_mean(const double *mlt, int n, double missing);

/* Signed MLT difference a - b folded into [-12, 12) h. */
double cr_report_mlt_diff(double a, double b);

#endif
