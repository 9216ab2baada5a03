/* cr_mhd_part.c — the solver's domain decomposition over processes
 * (core/cr_par.h): blocks of whole (j, k) planes in the first index, halo
 * exchange across the cuts, reductions that every rank agrees on.
 *
 * Halo across a cut (ng layers, every (j, k) node row of the block with its
 * ghosts; the j and k boundaries fill their own ghosts afterwards, as in the
 * serial order i -> j -> k of cr_mhd_bc_fill):
 *   low ghosts  i = -ng .. -1      <- the lower block's i = ni-ng .. ni-1
 *   high ghosts i = ni .. ni+ng-1  <- the upper block's i = 0 .. ng-1
 *   and the i faces ni .. ni+ng    <- the upper block's faces 0 .. ng
 * for the conserved variables and the faces of all three directions. The
 * face on a cut is evolved by both blocks from the same data; the upper
 * block's copy is the one kept (as a periodic direction keeps face 0). */
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_par.h"
#include "cr_mhd_priv.h"

int cr_mhd_part_split(const struct cr_par *par, int ni_global, int periodic_i, int min_cells,
                      struct cr_mhd_part *part, const struct cr_log *log)
{
    const int size = par && par->size > 1 ? par->size : 1, rank = size > 1 ? par->rank : 0;
    memset(part, 0, sizeof *part);
    part->par = par;
    part->ni_global = ni_global;
    part->periodic_i = periodic_i != 0;
    const int base = ni_global / size, extra = ni_global % size;
    part->ni = base + (rank < extra);
    part->i0 = rank * base + (rank < extra ? rank : extra);
    part->rank_lo = rank > 0 ? rank - 1 : (periodic_i && size > 1 ? size - 1 : -1);
    part->rank_hi = rank < size - 1 ? rank + 1 : (periodic_i && size > 1 ? 0 : -1);
    if (size > 1 && base < min_cells) {
        cr_error(log, "mhd: %d cells in i cannot be split over %d processes: a block needs at least %d (use at most %d "
                      "processes)", ni_global, size, min_cells, ni_global / min_cells);
        return CR_ECONFIG;
    }
    return CR_OK;
}

const struct cr_mhd_part *cr_mhd_part(const struct cr_mhd *m) { return m->parted ? &m->part : NULL; }

int cr_mhd_part_setup(struct cr_mhd *m, const struct cr_mhd_part *part)
{
    if (!part || !part->par || part->par->size <= 1) return CR_OK;
    const struct cr_grid *g = m->g;
    if (part->ni != g->ni || part->i0 < 0 || part->i0 + part->ni > part->ni_global) {
        cr_error(m->log, "mhd: the block (%d cells from i = %d of %d) does not match its grid (%d cells)", part->ni,
                 part->i0, part->ni_global, g->ni);
        return CR_ECONFIG;
    }
    if (g->ni < g->ng) {
        cr_error(m->log, "mhd: a block of %d cells in i is thinner than the %d ghost layers", g->ni, g->ng);
        return CR_ECONFIG;
    }
    m->part = *part;
    m->parted = 1;
    if (part->rank_lo >= 0) m->bc[0].kind = CR_MHD_BC_RANK;
    if (part->rank_hi >= 0) m->bc[1].kind = CR_MHD_BC_RANK;
    const size_t nrow = (size_t)(g->nj + 1 + 2 * g->ng) * (size_t)(g->nk + 1 + 2 * g->ng);
    m->xlen = nrow * (size_t)(CR_MHD_NCONS + 3) * (size_t)(g->ng + 1);
    for (int b = 0; b < 4; b++) {
        m->xbuf[b] = malloc(m->xlen * sizeof(double));
        if (!m->xbuf[b]) return CR_ENOMEM;
        m->bytes += m->xlen * sizeof(double);
    }
    return CR_OK;
}

void cr_mhd_part_release(struct cr_mhd *m)
{
    for (int b = 0; b < 4; b++) free(m->xbuf[b]);
}

/* The arrays a halo carries: 5 conserved, 3 face directions. */
static double *halo_array(struct cr_mhd *m, int a) { return a < CR_MHD_NCONS ? m->u[a] : m->face[a - CR_MHD_NCONS]; }

/* Copy n entries of every array of every node row starting at index i
 * into (pack) or out of (unpack) buf. */
static size_t halo_copy(struct cr_mhd *m, int i, const int n[CR_MHD_NCONS + 3], double *buf, int pack)
{
    const struct cr_grid *g = m->g;
    const int ng = g->ng;
    size_t p = 0;
    for (int a = 0; a < CR_MHD_NCONS + 3; a++) {
        double *arr = halo_array(m, a);
        for (int k = -ng; k <= g->nk + ng; k++)
            for (int j = -ng; j <= g->nj + ng; j++) {
                double *row = arr + CR_GIDX(g, i, j, k);
                if (pack) memcpy(buf + p, row, (size_t)n[a] * sizeof(double));
                else memcpy(row, buf + p, (size_t)n[a] * sizeof(double));
                p += (size_t)n[a];
            }
    }
    return p;
}

int cr_mhd_exchange(struct cr_mhd *m)
{
    if (!m->parted) return CR_OK;
    const struct cr_grid *g = m->g;
    const int ng = g->ng, ni = g->ni;
    int nlo[CR_MHD_NCONS + 3], nhi[CR_MHD_NCONS + 3];
    for (int a = 0; a < CR_MHD_NCONS + 3; a++) {
        nhi[a] = ng;                                  /* what the upper block's low ghosts need */
        nlo[a] = a == CR_MHD_NCONS ? ng + 1 : ng;     /* what the lower block's high ghosts need (+ i face ng) */
    }
    const struct cr_mhd_part *pt = &m->part;
    size_t n_lo = 0, n_hi = 0, r_lo = 0, r_hi = 0;
    if (pt->rank_lo >= 0) {
        n_lo = halo_copy(m, 0, nlo, m->xbuf[0], 1);
        r_lo = n_lo - (size_t)(g->nj + 1 + 2 * ng) * (size_t)(g->nk + 1 + 2 * ng); /* ng i faces, not ng + 1 */
    }
    if (pt->rank_hi >= 0) {
        n_hi = halo_copy(m, ni - ng, nhi, m->xbuf[1], 1);
        r_hi = n_hi + (size_t)(g->nj + 1 + 2 * ng) * (size_t)(g->nk + 1 + 2 * ng);
    }
    /* down: my low part to the lower block, the upper block's low part to me */
    int rc = cr_par_sendrecv(pt->par, m->xbuf[0], n_lo, pt->rank_lo, m->xbuf[3], r_hi, pt->rank_hi);
    /* up: my high part to the upper block, the lower block's high part to me */
    if (!rc) rc = cr_par_sendrecv(pt->par, m->xbuf[1], n_hi, pt->rank_hi, m->xbuf[2], r_lo, pt->rank_lo);
    if (rc) {
        cr_error(m->log, "mhd: the halo exchange failed");
        return rc;
    }
    if (pt->rank_hi >= 0) halo_copy(m, ni, nlo, m->xbuf[3], 0);
    if (pt->rank_lo >= 0) halo_copy(m, -ng, nhi, m->xbuf[2], 0);
    return CR_OK;
}

int cr_mhd_agree(const struct cr_mhd *m, int rc)
{
    return m->parted ? cr_par_max_int(m->part.par, rc) : rc;
}

double cr_mhd_reduce_max(const struct cr_mhd *m, double x) { return m->parted ? cr_par_max(m->part.par, x) : x; }
double cr_mhd_reduce_min(const struct cr_mhd *m, double x) { return m->parted ? cr_par_min(m->part.par, x) : x; }
long cr_mhd_reduce_sum_long(const struct cr_mhd *m, long x)
{
    return m->parted ? cr_par_sum_long(m->part.par, x) : x;
}

int cr_mhd_gather_cells(const struct cr_mhd *m, const double *local, double *global, int root)
{
    const struct cr_grid *g = m->g;
    const size_t nloc = (size_t)g->ni * (size_t)g->nj * (size_t)g->nk;
    if (!m->parted) {
        if (global) memcpy(global, local, nloc * sizeof(double));
        return CR_OK;
    }
    const struct cr_mhd_part *pt = &m->part;
    const int me = pt->par->rank == root;
    const size_t nglob = (size_t)pt->ni_global * (size_t)g->nj * (size_t)g->nk;
    double *tmp = me ? malloc(nglob * sizeof(double)) : NULL;
    if (me && !tmp) return CR_ENOMEM;
    /* the blocks' i ranges, in rank order */
    double range[2] = {(double)pt->i0, (double)pt->ni};
    double *ranges = malloc(2 * (size_t)pt->par->size * sizeof(double));
    int rc = ranges ? cr_par_allgather_doubles(pt->par, range, 2, ranges) : CR_ENOMEM;
    if (!rc) rc = cr_par_gather_doubles(pt->par, local, nloc, tmp, root);
    if (!rc && me) {
        const size_t nrow = (size_t)g->nj * (size_t)g->nk, NI = (size_t)pt->ni_global;
        size_t off = 0;
        for (int r = 0; r < pt->par->size; r++) {
            const size_t i0 = (size_t)ranges[2 * r], n = (size_t)ranges[2 * r + 1];
            for (size_t row = 0; row < nrow; row++) memcpy(global + row * NI + i0, tmp + off + row * n, n * sizeof(double));
            off += n * nrow;
        }
    }
    free(ranges);
    free(tmp);
    return rc;
}

/* ---- node-sized arrays of the whole grid (checkpoints) ---------------------------- */

/* The i range (local indices, inclusive) this block contributes to a
 * whole-grid node array: its cells, plus the grid's ghost layers and last
 * node at the grid's ends. */
static void owned_i(const struct cr_mhd *m, int *lo, int *hi)
{
    const struct cr_grid *g = m->g;
    *lo = m->part.i0 == 0 ? -g->ng : 0;
    *hi = m->part.i0 + g->ni == m->part.ni_global ? g->ni + g->ng : g->ni - 1;
}

size_t cr_mhd_global_ntot(const struct cr_mhd *m)
{
    const struct cr_grid *g = m->g;
    if (!m->parted) return g->ntot;
    const size_t sj = (size_t)m->part.ni_global + 1 + 2 * (size_t)g->ng;
    return sj * (size_t)(g->nj + 1 + 2 * g->ng) * (size_t)(g->nk + 1 + 2 * g->ng);
}

int cr_mhd_gather_nodes(const struct cr_mhd *m, const double *local, double *global, int root)
{
    const struct cr_grid *g = m->g;
    if (!m->parted) {
        if (global) memcpy(global, local, g->ntot * sizeof(double));
        return CR_OK;
    }
    const struct cr_mhd_part *pt = &m->part;
    const size_t nrow = (size_t)(g->nj + 1 + 2 * g->ng) * (size_t)(g->nk + 1 + 2 * g->ng);
    const size_t SJ = (size_t)pt->ni_global + 1 + 2 * (size_t)g->ng;
    int lo, hi;
    owned_i(m, &lo, &hi);
    const size_t n = (size_t)(hi - lo + 1);
    double *send = malloc(n * nrow * sizeof(double));
    const int me = pt->par->rank == root;
    double *recv = me ? malloc(SJ * nrow * sizeof(double)) : NULL;
    double mine[2] = {(double)(pt->i0 + lo), (double)n}, *ranges = malloc(2 * (size_t)pt->par->size * sizeof(double));
    int rc = (!send || (me && !recv) || !ranges) ? CR_ENOMEM : CR_OK;
    rc = cr_par_max_int(pt->par, rc);
    if (!rc) {
        for (size_t r = 0; r < nrow; r++) memcpy(send + r * n, local + r * g->sj + (size_t)(lo + g->ng), n * sizeof(double));
        rc = cr_par_allgather_doubles(pt->par, mine, 2, ranges);
    }
    if (!rc) rc = cr_par_gather_doubles(pt->par, send, n * nrow, recv, root);
    if (!rc && me) {
        size_t off = 0;
        for (int q = 0; q < pt->par->size; q++) {
            const size_t gi = (size_t)((long)ranges[2 * q] + g->ng), nq = (size_t)ranges[2 * q + 1];
            for (size_t r = 0; r < nrow; r++) memcpy(global + r * SJ + gi, recv + off + r * nq, nq * sizeof(double));
            off += nq * nrow;
        }
    }
    free(send), free(recv), free(ranges);
    return rc;
}

void cr_mhd_block_of_nodes(const struct cr_mhd *m, const double *global, double *local)
{
    const struct cr_grid *g = m->g;
    if (!m->parted) {
        memcpy(local, global, g->ntot * sizeof(double));
        return;
    }
    const size_t nrow = (size_t)(g->nj + 1 + 2 * g->ng) * (size_t)(g->nk + 1 + 2 * g->ng);
    const size_t SJ = (size_t)m->part.ni_global + 1 + 2 * (size_t)g->ng;
    for (size_t r = 0; r < nrow; r++) memcpy(local + r * g->sj, global + r * SJ + (size_t)m->part.i0, g->sj * sizeof(double));
}
