/* cr_msphere_cmd.c — `cusprate mhd FILE.ini` and `cusprate bench mhd`: the
 * global magnetosphere (`[problem] name = magnetosphere`, cr_msphere.h) or a
 * verification problem of the solver (../mhd/cr_mhd_problem.h); the
 * benchmark runs the solver's cases, then the D-grid magnetosphere (under
 * mpirun the magnetosphere alone, decomposed over the ranks). The
 * dispatch lives here so that the solver in ../mhd/ knows no application. */
#include <string.h>

#include "../core/cr_cli.h"
#include "../core/cr_common.h"
#include "../core/cr_par.h"
#include "../mhd/cr_mhd_problem.h"
#include "cr_msphere.h"

int cr_cmd_mhd(struct cr_cmd_ctx *ctx);
int cr_bench_mhd(struct cr_cmd_ctx *ctx);

int cr_cmd_mhd(struct cr_cmd_ctx *ctx)
{
    const char *pname = cr_config_choice_name(ctx->cfg, "problem", "name");
    if (!strcmp(pname, "magnetosphere")) return cr_msphere_cmd(ctx);
    return cr_mhd_problem_cmd(ctx);
}

int cr_bench_mhd(struct cr_cmd_ctx *ctx)
{
    /* under mpirun only the decomposed magnetosphere: the solver's cases are
     * single-process benchmarks */
    int rc = ctx->par.size > 1 ? CR_OK : cr_mhd_bench_solver(ctx);
    if (!rc) rc = cr_bench_msphere(ctx); /* the D-grid magnetosphere (cr_msphere_run.c) */
    return rc;
}
