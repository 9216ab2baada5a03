/* cr_mhd_bc.c — boundary conditions: fill the ghost cells and ghost faces
 * beyond each side, direction by direction (i, then j, then k, so edge and
 * corner ghosts take consistent values).
 *
 *  periodic  copies of the cells and faces one period away;
 *  outflow   zero gradient: cells copied from the last active cell, the
 *            field normal to transverse faces copied (flux scaled by the face
 *            area), and the ghost faces normal to the boundary set so that
 *            each ghost cell is divergence-free;
 *  reflect   mirror images: velocity and field normal to the boundary face
 *            reversed;
 *  inflow    a fixed primitive state (total field B; B1 = B - B0);
 *  user      function pointers (struct cr_mhd_bc_user), e.g. the solar wind
 *            and the ionosphere of the magnetosphere.
 *  axis      LFM axis (cr_mhd_axis.c).
 */
#include <math.h>

#include "../core/cr_common.h"
#include "cr_mhd_priv.h"

static const char *side_name(int s)
{
    static const char *const names[6] = {"i low", "i high", "j low", "j high", "k low", "k high"};
    return names[s];
}

int cr_mhd_bc_check(struct cr_mhd *m)
{
    for (int s = 0; s < 6; s++) {
        int d = s / 2;
        const struct cr_mhd_bc *b = &m->bc[s];
        if (!m->active[d] && b->kind != CR_MHD_BC_PERIODIC) {
            cr_error(m->log, "mhd: the %s boundary: a direction with a single cell must be periodic", side_name(s));
            return CR_ECONFIG;
        }
        if (b->kind == CR_MHD_BC_PERIODIC) {
            if (m->bc[2 * d + (1 - s % 2)].kind != CR_MHD_BC_PERIODIC) {
                cr_error(m->log, "mhd: the %s boundary is periodic but the opposite side is not", side_name(s));
                return CR_ECONFIG;
            }
            if (m->active[d] && m->g->bc[d] != CR_GRID_PERIODIC) {
                cr_error(m->log, "mhd: the %s boundary is periodic but the grid is not periodic in that direction",
                         side_name(s));
                return CR_ECONFIG;
            }
        }
        if (b->kind == CR_MHD_BC_USER && (!b->user || !b->user->fill)) {
            cr_error(m->log, "mhd: the %s boundary is a user boundary without a fill function", side_name(s));
            return CR_ECONFIG;
        }
        if (b->kind == CR_MHD_BC_INFLOW && !(b->inflow[0] > 0.0 && b->inflow[4] > 0.0)) {
            cr_error(m->log, "mhd: the %s inflow state needs positive density and pressure", side_name(s));
            return CR_ECONFIG;
        }
        if (b->kind == CR_MHD_BC_RANK && (s > 1 || !m->parted)) {
            cr_error(m->log, "mhd: the %s boundary: only the i sides of a decomposed grid join other processes",
                     side_name(s));
            return CR_ECONFIG;
        }
        if (b->kind == CR_MHD_BC_AXIS && !((s == 2 && m->g->axis_lo) || (s == 3 && m->g->axis_hi))) {
            cr_error(m->log, "mhd: the %s boundary is an axis boundary but the grid has no axis there", side_name(s));
            return CR_ECONFIG;
        }
    }
    return CR_OK;
}

/* Index ranges of a ghost block: in direction d the ng layers beyond the
 * side; transversely every cell of an active direction (ghosts included)
 * and only index 0 of a direction with a single cell (nothing reads more). */
static void ghost_box(const struct cr_mhd *m, int d, int hi, int extra_dir, int lo[3], int up[3])
{
    const int ng = m->g->ng;
    for (int e = 0; e < 3; e++) {
        if (e == d) {
            lo[e] = hi ? m->n[d] : -ng;
            up[e] = hi ? m->n[d] + ng - 1 : -1;
        } else if (m->active[e]) {
            lo[e] = -ng;
            up[e] = m->n[e] + ng - 1 + (e == extra_dir);
        } else {
            lo[e] = 0;
            up[e] = e == extra_dir ? 1 : 0;
        }
    }
}

static void fill_side(struct cr_mhd *m, int s)
{
    const struct cr_grid *g = m->g;
    const int d = s / 2, hi = s % 2, ng = g->ng;
    const int nd = m->n[d];
    const struct cr_mhd_bc *bc = &m->bc[s];
    const enum cr_mhd_bc_kind kind = bc->kind;
    const ptrdiff_t sd = m->stride[d];

    if (!m->active[d]) {
        /* a single periodic cell: only the face at index 1 is read (the
         * cell-centred field of cell 0); it is the copy of face 0 */
        int lo[3], up[3];
        ghost_box(m, d, 0, -1, lo, up);
        lo[d] = up[d] = 0;
#pragma omp parallel for if (m->omp_bc) collapse(2) schedule(static)
        for (int k = lo[2]; k <= up[2]; k++)
            for (int j = lo[1]; j <= up[1]; j++)
                for (int i = lo[0]; i <= up[0]; i++) {
                    size_t f = CR_GIDX(g, i, j, k);
                    m->face[d][f + (size_t)sd] = m->face[d][f];
                }
        return;
    }
    /* source d-index of ghost layer gi */
#define SRC(gi) (kind == CR_MHD_BC_PERIODIC ? ((gi) < 0 ? (gi) + nd : (gi) - nd) \
                 : kind == CR_MHD_BC_OUTFLOW ? (hi ? nd - 1 : 0) : (hi ? 2 * nd - 1 - (gi) : -1 - (gi)))
    const int bface = hi ? nd : 0; /* d-index of the boundary face */
    int lo[3], up[3];

    /* 1. cells */
    ghost_box(m, d, hi, -1, lo, up);
#pragma omp parallel for if (m->omp_bc) collapse(2) schedule(static)
    for (int k = lo[2]; k <= up[2]; k++)
        for (int j = lo[1]; j <= up[1]; j++) {
            if (d > 0 && kind != CR_MHD_BC_INFLOW) {
                /* j and k sides: the row's source is one row, a fixed offset away */
                const int gi = d == 1 ? j : k, n = up[0] - lo[0] + 1;
                const size_t dst = CR_GIDX(g, lo[0], j, k);
                const size_t src = dst + (size_t)((ptrdiff_t)(SRC(gi) - gi) * sd);
                for (int q = 0; q < CR_MHD_NCONS; q++) {
                    double *restrict a = m->u[q] + dst;
                    const double *restrict b = m->u[q] + src;
                    for (int x = 0; x < n; x++) a[x] = b[x];
                }
                if (kind == CR_MHD_BC_REFLECT) {
                    const size_t fb = dst + (size_t)((ptrdiff_t)(bface - gi) * sd);
                    for (int x = 0; x < n; x++) {
                        double n0 = g->fn[d][0][fb + x], n1 = g->fn[d][1][fb + x], n2 = g->fn[d][2][fb + x];
                        double mn = m->u[1][dst + x] * n0 + m->u[2][dst + x] * n1 + m->u[3][dst + x] * n2;
                        m->u[1][dst + x] -= 2.0 * mn * n0;
                        m->u[2][dst + x] -= 2.0 * mn * n1;
                        m->u[3][dst + x] -= 2.0 * mn * n2;
                    }
                }
                continue;
            }
            for (int i = lo[0]; i <= up[0]; i++) {
                int idx[3] = {i, j, k};
                size_t dst = CR_GIDX(g, i, j, k);
                if (kind == CR_MHD_BC_INFLOW) {
                    double b1[3], u[CR_MHD_NCONS];
                    for (int q = 0; q < 3; q++) b1[q] = bc->inflow[5 + q] - (m->has_b0 ? m->b0c[q][dst] : 0.0);
                    cr_mhd_prim_to_cons(m->gamma, bc->inflow, b1, u);
                    for (int q = 0; q < CR_MHD_NCONS; q++) m->u[q][dst] = u[q];
                    continue;
                }
                int gi = idx[d];
                size_t src = dst + (size_t)((ptrdiff_t)(SRC(gi) - gi) * sd);
                for (int q = 0; q < CR_MHD_NCONS; q++) m->u[q][dst] = m->u[q][src];
                if (kind == CR_MHD_BC_REFLECT) {
                    size_t fb = dst + (size_t)((ptrdiff_t)(bface - gi) * sd);
                    double n0 = g->fn[d][0][fb], n1 = g->fn[d][1][fb], n2 = g->fn[d][2][fb];
                    double mn = m->u[1][dst] * n0 + m->u[2][dst] * n1 + m->u[3][dst] * n2;
                    m->u[1][dst] -= 2.0 * mn * n0;
                    m->u[2][dst] -= 2.0 * mn * n1;
                    m->u[3][dst] -= 2.0 * mn * n2;
                }
            }
        }
    /* 2. faces normal to the transverse directions, in the ghost layers */
    for (int t = 1; t <= 2; t++) {
        const int e = (d + t) % 3;
        ghost_box(m, d, hi, e, lo, up);
#pragma omp parallel for if (m->omp_bc) collapse(2) schedule(static)
        for (int k = lo[2]; k <= up[2]; k++)
            for (int j = lo[1]; j <= up[1]; j++) {
                if (d > 0 && kind != CR_MHD_BC_INFLOW) {
                    /* j and k sides: whole rows */
                    const int gi = d == 1 ? j : k, n = up[0] - lo[0] + 1;
                    const size_t dst = CR_GIDX(g, lo[0], j, k);
                    const size_t src = dst + (size_t)((ptrdiff_t)(SRC(gi) - gi) * sd);
                    double *restrict a = m->face[e] + dst;
                    const double *restrict b = m->face[e] + src;
                    if (kind == CR_MHD_BC_PERIODIC) {
                        for (int x = 0; x < n; x++) a[x] = b[x];
                    } else {
                        const double *restrict as = g->amag[e] + src, *restrict ad = g->amag[e] + dst;
                        for (int x = 0; x < n; x++) a[x] = as[x] > 0.0 ? b[x] * (ad[x] / as[x]) : b[x];
                    }
                    continue;
                }
                for (int i = lo[0]; i <= up[0]; i++) {
                    int idx[3] = {i, j, k};
                    size_t dst = CR_GIDX(g, i, j, k);
                    if (kind == CR_MHD_BC_INFLOW) {
                        double B[3];
                        for (int q = 0; q < 3; q++)
                            B[q] = bc->inflow[5 + q] - (m->has_b0 ? m->b0f[e][q][dst] : 0.0);
                        m->face[e][dst] =
                            B[0] * g->area[e][0][dst] + B[1] * g->area[e][1][dst] + B[2] * g->area[e][2][dst];
                        continue;
                    }
                    int gi = idx[d];
                    size_t src = dst + (size_t)((ptrdiff_t)(SRC(gi) - gi) * sd);
                    if (kind == CR_MHD_BC_PERIODIC) {
                        m->face[e][dst] = m->face[e][src];
                    } else {
                        double as = g->amag[e][src], ad = g->amag[e][dst];
                        m->face[e][dst] = as > 0.0 ? m->face[e][src] * (ad / as) : m->face[e][src];
                    }
                }
            }
    }
    /* 3. faces normal to d beyond the boundary face */
    ghost_box(m, d, hi, -1, lo, up);
    lo[d] = up[d] = bface;
#pragma omp parallel for if (m->omp_bc) collapse(2) schedule(static)
    for (int k = lo[2]; k <= up[2]; k++)
        for (int j = lo[1]; j <= up[1]; j++)
            for (int i = lo[0]; i <= up[0]; i++) {
                const size_t fb = CR_GIDX(g, i, j, k); /* the boundary face */
#define FD(l) (fb + (size_t)((ptrdiff_t)(l) * sd))
                if (kind == CR_MHD_BC_PERIODIC) {
                    if (hi)
                        for (int l = 0; l <= ng; l++) m->face[d][FD(l)] = m->face[d][FD(l - nd)];
                    else
                        for (int l = 1; l <= ng; l++) m->face[d][FD(-l)] = m->face[d][FD(nd - l)];
                } else if (kind == CR_MHD_BC_OUTFLOW) {
                    /* divergence-free ghost cells, marching outwards */
                    for (int l = 1; l <= ng; l++) {
                        size_t cell = hi ? FD(l - 1) : FD(-l);
                        double tr = 0.0;
                        for (int t = 1; t <= 2; t++) {
                            int e = (d + t) % 3;
                            tr += m->face[e][cell + (size_t)m->stride[e]] - m->face[e][cell];
                        }
                        if (hi) m->face[d][cell + (size_t)sd] = m->face[d][cell] - tr;
                        else m->face[d][cell] = m->face[d][cell + (size_t)sd] + tr;
                    }
                } else if (kind == CR_MHD_BC_REFLECT) {
                    for (int l = 1; l <= ng; l++) {
                        size_t dst = hi ? FD(l) : FD(-l), src = hi ? FD(-l) : FD(l);
                        double as = g->amag[d][src], ad = g->amag[d][dst];
                        m->face[d][dst] = -(as > 0.0 ? m->face[d][src] * (ad / as) : m->face[d][src]);
                    }
                } else if (kind == CR_MHD_BC_INFLOW) {
                    for (int l = 1; l <= ng; l++) {
                        size_t dst = hi ? FD(l) : FD(-l);
                        double B[3];
                        for (int q = 0; q < 3; q++)
                            B[q] = bc->inflow[5 + q] - (m->has_b0 ? m->b0f[d][q][dst] : 0.0);
                        m->face[d][dst] =
                            B[0] * g->area[d][0][dst] + B[1] * g->area[d][1][dst] + B[2] * g->area[d][2][dst];
                    }
                }
#undef FD
            }
#undef SRC
}

int cr_mhd_bc_fill(struct cr_mhd *m, double t)
{
    struct cr_mhd_view v;
    int have_view = 0;
    /* single-cell directions first: their face copies are read by the others */
    for (int pass = 0; pass < 2; pass++)
    for (int d = 0; d < 3; d++)
        for (int hi = 0; hi < 2; hi++) {
            if (m->active[d] != pass) continue;
            int s = 2 * d + hi;
            enum cr_mhd_bc_kind kind = m->bc[s].kind;
            if (d == 0 && hi == 0 && m->parted) {
                /* the cuts of the decomposition, both sides at once (before the
                 * j and k sides, which fill the corners from these ghosts) */
                int rc = cr_mhd_exchange(m);
                if (rc) return rc;
            }
            if (kind == CR_MHD_BC_RANK) continue;
            if (kind == CR_MHD_BC_USER) {
                if (!have_view) {
                    cr_mhd_get_view(m, &v);
                    have_view = 1;
                }
                v.t = t;
                int rc = m->bc[s].user->fill(m->bc[s].user->ctx, &v, s, t);
                if (rc) {
                    cr_error(m->log, "mhd: the %s user boundary failed at t = %.6g", side_name(s), t);
                    return rc;
                }
            } else if (kind == CR_MHD_BC_AXIS) {
                cr_mhd_axis_fill(m, s);
            } else {
                fill_side(m, s);
            }
        }
    return CR_OK;
}

int cr_mhd_bc_emf(struct cr_mhd *m, double t)
{
    for (int s = 0; s < 6; s++) {
        const struct cr_mhd_bc *b = &m->bc[s];
        if (b->kind != CR_MHD_BC_USER || !b->user->emf) continue;
        struct cr_mhd_view v;
        cr_mhd_get_view(m, &v);
        v.t = t;
        int rc = b->user->emf(b->user->ctx, &v, s, t);
        if (rc) {
            cr_error(m->log, "mhd: the %s user boundary EMF hook failed at t = %.6g", side_name(s), t);
            return rc;
        }
    }
    return CR_OK;
}

void cr_mhd_seams(struct cr_mhd *m)
{
    /* The face at index n of a periodic direction is the image of face 0; it
     * is not evolved itself. Refresh it over the active transverse range so
     * the state is consistent between steps (diagnostics, output, views). */
    const struct cr_grid *g = m->g;
    for (int d = 0; d < 3; d++) {
        if (m->bc[2 * d].kind != CR_MHD_BC_PERIODIC) continue;
        int hi[3] = {g->ni - 1, g->nj - 1, g->nk - 1};
        hi[d] = 0;
        const size_t sh = (size_t)m->n[d] * (size_t)m->stride[d];
#pragma omp parallel for if (m->omp_bc) collapse(2) schedule(static)
        for (int k = 0; k <= hi[2]; k++)
            for (int j = 0; j <= hi[1]; j++)
                for (int i = 0; i <= hi[0]; i++) {
                    size_t f = CR_GIDX(g, i, j, k);
                    m->face[d][f + sh] = m->face[d][f];
                }
    }
}
