/* cr_gradient_bench.c — `cusprate bench gradient`: the cost of one
 * four-spacecraft gradient of FPI-like distributions (32 energies x 16 polar
 * x 32 azimuth bins each, the magnetosheath bi-Maxwellian of the tests) onto
 * a 32^3 field-aligned grid: moments, regridding, grad f, the budget and the
 * identities. Median of 7 repetitions, with 1 thread and with all. */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <stdio.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_sys.h"
#include "../core/cr_units.h"
#include "cr_gradient.h"
#include "cr_vdf_models.h"

int cr_bench_gradient(struct cr_cmd_ctx *ctx);

struct bctx {
    const struct cr_bimax_field *m;
    const double *x;
};
static double bfn(const double v[3], void *p)
{
    const struct bctx *c = p;
    return cr_bimax_f(c->m, c->x, v);
}

int cr_bench_gradient(struct cr_cmd_ctx *ctx)
{
    const struct cr_log *log = ctx->log;
    struct cr_bimax_field m = {.mass = CR_MP, .b = {0, 0, 1}, .n0 = 20, .tpar0 = 300, .tperp0 = 450,
                               .U0 = {150, 0, 0}, .grad_n = {0.012, -0.004, 0.006}, .grad_tpar = {0.1, 0.05, -0.08},
                               .grad_tperp = {-0.12, 0.09, 0.04}};
    const double r[4][3] = {{0, 0, 0}, {10.2, 0.3, -0.4}, {4.8, 8.9, 0.7}, {5.1, 2.9, 8.6}};
    struct cr_gradient_inp in = {.nsc = 4, .charge = 1, .nv = 32, .log = log};
    struct cr_vdf *v[4] = {0};
    int rc = CR_OK;
    for (int a = 0; a < 4 && !rc; a++) {
        v[a] = cr_vdf_new_instrument(32, 2, 17800, 16, 32, CR_MP);
        if (!v[a]) {
            rc = CR_ENOMEM;
            break;
        }
        struct bctx c = {&m, r[a]};
        cr_vdf_fill(v[a], bfn, &c);
        in.vdf[a] = v[a];
        for (int d = 0; d < 3; d++) {
            in.r[a][d] = r[a][d];
            in.B[a][d] = d == 2 ? 20 : 0;
        }
    }
    int nthr = cr_max_threads();
    printf("gradient: four 32 x 16 x 32 FPI-like distributions -> 32^3 field-aligned grid (moments, regridding, "
           "grad f, div P split, identities)\n");
    for (int pass = 0; pass < 2 && !rc; pass++) {
        int th = pass == 0 ? 1 : nthr;
        if (pass == 1 && nthr == 1) break;
        cr_set_threads(th);
        double t[7];
        for (int k = 0; k < 7 && !rc; k++) {
            double t0 = cr_wtime();
            struct cr_gradient *g = cr_gradient_new(&in);
            t[k] = cr_wtime() - t0;
            if (!g) rc = CR_ERR;
            cr_gradient_release(g);
        }
        if (rc) break;
        gsl_sort(t, 1, 7);
        printf("  %d thread(s): median %.4f s per gradient (min %.4f, max %.4f)\n", th, gsl_stats_median_from_sorted_data(t, 1, 7),
               t[0], t[6]);
    }
    cr_set_threads(nthr);
    printf("  peak memory %.1f MiB\n", cr_peak_rss_mib());
    for (int a = 0; a < 4; a++) cr_vdf_release(v[a]);
    return rc;
}
