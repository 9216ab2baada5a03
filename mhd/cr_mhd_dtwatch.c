/* cr_mhd_dtwatch.c — time-step collapse: the watch and the diagnosis of the
 * cell that limits the CFL step (see cr_mhd_dtwatch.h for the rule). */
#include "cr_mhd_dtwatch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_par.h"
#include "cr_mhd_priv.h"

void cr_mhd_dtwatch_init(struct cr_mhd_dtwatch *w, double fraction, long steps)
{
    memset(w, 0, sizeof *w);
    w->fraction = fraction;
    w->steps = steps > 0 ? steps : 1;
}

int cr_mhd_dtwatch_update(struct cr_mhd_dtwatch *w, double dt_cfl)
{
    if (w->seen < w->steps && dt_cfl > w->dt_ref) w->dt_ref = dt_cfl;
    w->seen++;
    if (w->seen <= w->steps) return 0; /* still measuring the reference */
    if (dt_cfl < w->fraction * w->dt_ref) w->below++;
    else w->below = 0;
    return w->below >= w->steps;
}

int cr_mhd_dt_limiter(struct cr_mhd *m, struct cr_mhd_dt_cell *c)
{
    memset(c, 0, sizeof *c);
    double dt_all;
    int rc = cr_mhd_dt(m, &dt_all); /* boundaries, primitives */
    if (rc) return rc;
    const struct cr_grid *g = m->g;
    double best = INFINITY;
    /* serial: a diagnosis once per run, the same formula as the CFL rate
       (cr_mhd_prim.c rate_row) cell by cell */
    for (int k = 0; k < g->nk; k++)
        for (int j = 0; j < g->nj; j++)
            for (int i = 0; i < g->ni; i++) {
                const size_t q = CR_GIDX(g, i, j, k);
                const double rho = m->w[CR_MHD_W_RHO][q], p = m->w[CR_MHD_W_P][q];
                const double v[3] = {m->w[CR_MHD_W_VX][q], m->w[CR_MHD_W_VY][q], m->w[CR_MHD_W_VZ][q]};
                double b[3] = {m->w[CR_MHD_W_BX][q], m->w[CR_MHD_W_BY][q], m->w[CR_MHD_W_BZ][q]};
                if (m->has_b0)
                    for (int e = 0; e < 3; e++) b[e] += m->b0c[e][q];
                const double b2 = b[0] * b[0] + b[1] * b[1] + b[2] * b[2];
                const double ic2 = m->ic2c ? m->ic2c[q] : m->inv_c2;
                for (int d = 0; d < 3; d++) {
                    if (!m->active[d]) continue;
                    const double *n0 = g->fn[d][0], *n1 = g->fn[d][1], *n2 = g->fn[d][2];
                    const double vn = v[0] * n0[q] + v[1] * n1[q] + v[2] * n2[q];
                    const double bn = b[0] * n0[q] + b[1] * n1[q] + b[2] * n2[q];
                    const double cf = ic2 > 0.0 ? cr_mhd_cfast_boris(m->gamma, ic2, rho, p, bn, b2)
                                                : cr_mhd_cfast(m->gamma, rho, p, bn, b2);
                    double width = 0.5 * (g->amag[d][q] + g->amag[d][q + (size_t)m->stride[d]]) / g->vol[q];
                    if (d == 2 && m->ring_chunk) width /= (double)m->ring_chunk[j];
                    const double dt = m->cfl / ((fabs(vn) + cf) * width);
                    if (dt < best) {
                        best = dt;
                        *c = (struct cr_mhd_dt_cell){
                            .i = i, .j = j, .k = k, .dir = d, .dt = dt, .x = {g->cx[q], g->cy[q], g->cz[q]},
                            .h = 1.0 / width, .rho = rho, .v = {v[0], v[1], v[2]}, .p = p, .b = {b[0], b[1], b[2]},
                            .vn = fabs(vn), .cf = cf, .ca = sqrt(b2 / rho), .cs = sqrt(m->gamma * p / rho),
                            .rho_floor = rho <= m->rho_floor};
                    }
                }
            }
    if (m->parted) {
        /* the limiting cell of the whole grid: every block's, the smallest
         * step (the lowest rank on a tie), in the whole grid's indices */
        c->i += m->part.i0;
        const int np = m->part.par->size;
        struct cr_mhd_dt_cell *all = malloc((size_t)np * sizeof *all);
        int rc2 = all ? CR_OK : CR_ENOMEM;
        rc2 = cr_par_max_int(m->part.par, rc2);
        if (!rc2) rc2 = cr_par_allgather_bytes(m->part.par, c, sizeof *c, all);
        if (!rc2) {
            int r0 = 0;
            for (int r = 1; r < np; r++)
                if (all[r].dt < all[r0].dt) r0 = r;
            *c = all[r0];
        }
        free(all);
        return rc2;
    }
    return CR_OK;
}

void cr_mhd_dt_report(const struct cr_mhd *m, const struct cr_mhd_dtwatch *w, const struct cr_mhd_dt_cell *c)
{
    const struct cr_mhd_units *u = &m->units;
    static const char *const dirs[3] = {"i", "j", "k"};
    const double bm = sqrt(c->b[0] * c->b[0] + c->b[1] * c->b[1] + c->b[2] * c->b[2]);
    const double vm = sqrt(c->v[0] * c->v[0] + c->v[1] * c->v[1] + c->v[2] * c->v[2]);
    const double r = sqrt(c->x[0] * c->x[0] + c->x[1] * c->x[1] + c->x[2] * c->x[2]);
    /* what limits the step: the flow or the fast wave, and in the wave the
       Alfven or the sound speed */
    const char *what, *why;
    if (c->vn >= c->cf) {
        what = "the flow speed";
        why = "a runaway flow";
    } else if (c->ca >= c->cs) {
        what = "the fast (Alfven) speed";
        why = c->rho_floor ? "a strong field over a density at the floor: the plasma was evacuated"
                           : "a strong field over a low density";
    } else {
        what = "the fast (sound) speed";
        why = "a runaway temperature (pressure far above the density's)";
    }
    const double lim = c->vn >= c->cf ? c->vn : c->cf;
    cr_error(m->log,
             "mhd: the time step collapsed: the CFL step stayed below %g of the run's early step (%.4g %s) for %ld "
             "steps and is now %.4g %s, at t = %.6g %s (step %ld). Limiting cell (i, j, k) = (%d, %d, %d) at "
             "(%.3f, %.3f, %.3f) %s (r = %.3f %s), width %.3g %s along %s, limited by %s (%.4g %s; flow %.4g, "
             "fast %.4g, Alfven %.4g, sound %.4g %s; |V| %.4g %s); density %.4g %s%s, pressure %.4g %s, |B| %.4g %s. "
             "Likely cause: %s. Check the driver (extreme IMF or density), mhd.cfl, the floors and the Boris and "
             "Alfven-speed limits",
             w->fraction, w->dt_ref * u->time, u->time_unit, w->below, c->dt * u->time, u->time_unit, m->t * u->time,
             u->time_unit, m->nstep, c->i, c->j, c->k, c->x[0] * u->length, c->x[1] * u->length, c->x[2] * u->length,
             u->length_unit, r * u->length, u->length_unit, c->h * u->length, u->length_unit, dirs[c->dir], what,
             lim * u->velocity, u->velocity_unit, c->vn * u->velocity, c->cf * u->velocity, c->ca * u->velocity,
             c->cs * u->velocity, u->velocity_unit, vm * u->velocity, u->velocity_unit, c->rho * u->density,
             u->density_unit, c->rho_floor ? " (at the floor)" : "", c->p * u->pressure, u->pressure_unit,
             bm * u->bfield, u->bfield_unit, why);
}
