/* cr_mhd_axis.c — the singular axis of the LFM-style spherical grid.
 *
 * Three pieces (Zhang et al. 2019, J. Comput. Phys. 376, 276, "conservative
 * averaging-reconstruction techniques (Ring Average)"; Lyon et al. 2004 for
 * LFM's ring averaging):
 *  1. Ghost cells across the axis: ghost cell (i, -1-m, k) is the active cell
 *     (i, m, k + nk/2) (grids/cr_grid.h cr_grid_axis_k). Cartesian components
 *     need no change; face fluxes are copied with the sign of the ghost face's
 *     own area vector (i and k faces of a mirrored cell point the other way).
 *  2. The axis edges (i-edges on j = 0 and j = nj) are one geometric segment
 *     shared by all nk columns: their EMF is made single-valued (the mean of
 *     the nk upwinded values), so the zero-area axis faces keep zero flux and
 *     every cell stays divergence-free.
 *  3. Ring averaging after every stage: in the first rings around each axis
 *     the cells are grouped in chunks of c_r neighbouring columns, c_r the
 *     largest power of two not above h_j / h_k of the ring (so a chunk is
 *     about as wide in azimuth as in polar angle). In each chunk
 *       - the conserved density and Cartesian momentum are replaced by their
 *         volume averages (conservative), and so is the plasma's energy
 *         E - B1^2/2, each cell then taking its own new B1^2/2 on top: the
 *         field is averaged on its own (below), and the B1^2/2 that its
 *         averaging removes (the variance of B1 within the chunk) is not
 *         heat. Averaging the evolved E with it made that variance heat;
 *         where the field cancels the dipole (B1 ~ -B0, the eroded subsolar
 *         magnetopause under IMF Bz = -500 nT) it is the variance of B0
 *         across the chunk, which ran the temperature of first-shell ring
 *         cells away (mhd/README.md, "Ring averaging and energy");
 *       - the field: the chunk's volume-averaged cell field B gives new
 *         fluxes B.A on its i faces and on the j faces it shares with the next
 *         averaged ring, corrected so that each set of faces keeps its total
 *         flux (the correction spread in proportion to |A|; the shared j faces
 *         keep the total of every chunk of the finer ring); the k faces inside
 *         the chunk are then rebuilt cell by cell from div B = 0, and the last
 *         one lands on the unchanged chunk boundary to round-off. A uniform
 *         field and a uniform flow are reproduced exactly.
 *     The time step of an averaged ring uses the chunk's azimuthal width.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cr_common.h"
#include "../core/cr_par.h"
#include "cr_mhd_priv.h"

int cr_mhd_axis_check(struct cr_mhd *m)
{
    const struct cr_grid *g = m->g;
    const int has_axis = g->axis_lo || g->axis_hi;
    if (!has_axis) {
        if (m->axis_rings > 0) {
            cr_error(m->log, "mhd: axis ring averaging needs a grid with an axis (LFM)");
            return CR_ECONFIG;
        }
        return CR_OK;
    }
    if (g->nk < 2 || g->nk % 2) {
        cr_error(m->log, "mhd: an axis grid needs an even number of azimuthal cells (nk = %d)", g->nk);
        return CR_ECONFIG;
    }
    m->ring_chunk = cr_zalloc((size_t)g->nj, sizeof(int));
    if (!m->ring_chunk) return CR_ENOMEM;
    for (int j = 0; j < g->nj; j++) m->ring_chunk[j] = 1;
    m->nrings = 0;
    for (int r = 0; r < m->axis_rings && r < g->nj / 2; r++) {
        /* smallest h_j / h_k over the ring (both axes, all i) */
        double q = 1e300;
        for (int side = 0; side < 2; side++) {
            if (!(side ? g->axis_hi : g->axis_lo)) continue;
            int j = side ? g->nj - 1 - r : r;
            for (int i = 0; i < g->ni; i++) {
                size_t c = CR_GIDX(g, i, j, 0);
                double V = g->vol[c];
                double hj = V / (0.5 * (g->amag[1][c] + g->amag[1][c + g->sj]));
                double hk = V / (0.5 * (g->amag[2][c] + g->amag[2][c + g->sk]));
                q = fmin(q, hj / hk);
            }
        }
        q = cr_mhd_reduce_min(m, q); /* all i: every block of a decomposition */
        int c = 1;
        while (2 * c <= q && 2 * c <= g->nk && g->nk % (2 * c) == 0) c *= 2;
        if (r > 0 && c > m->ring_chunk[r - 1]) c = m->ring_chunk[r - 1];
        if (c < 2) break;
        m->ring_chunk[r] = c;
        m->ring_chunk[g->nj - 1 - r] = c;
        m->nrings = r + 1;
    }
    /* the j sides of an axis grid are axis boundaries */
    if (g->axis_lo) m->bc[2].kind = CR_MHD_BC_AXIS;
    if (g->axis_hi) m->bc[3].kind = CR_MHD_BC_AXIS;
    return CR_OK;
}

/* Ghost cells and ghost faces across the axis at side 2 (j low) or 3 (j high). */
void cr_mhd_axis_fill(struct cr_mhd *m, int side)
{
    const struct cr_grid *g = m->g;
    const int ng = g->ng, nj = g->nj, nk = g->nk, hi = side == 3;
#pragma omp parallel for if (m->omp) collapse(2) schedule(static)
    for (int k = -ng; k <= nk + ng; k++)
        for (int mm = 0; mm < ng; mm++) {
            const int kp = cr_grid_axis_k(g, k);
            const int jg = hi ? nj + mm : -1 - mm, jp = hi ? nj - 1 - mm : mm;
            for (int i = -ng; i <= g->ni + ng; i++) {
                const size_t dst = CR_GIDX(g, i, jg, k), src = CR_GIDX(g, i, jp, kp);
                const int cell = i < g->ni + ng && k < nk + ng;
                if (cell)
                    for (int q = 0; q < CR_MHD_NCONS; q++) m->u[q][dst] = m->u[q][src];
                /* the ghost's i and k faces are the partner's with reversed area vectors */
                if (k < nk + ng) m->face[0][dst] = -m->face[0][src];
                if (i < g->ni + ng) m->face[2][dst] = -m->face[2][src];
                /* j faces beyond the axis face: ghost face -m'  <->  partner face m' (same vector) */
                if (cell) {
                    const int jfg = hi ? nj + 1 + mm : -1 - mm, jfp = hi ? nj - 1 - mm : 1 + mm;
                    m->face[1][CR_GIDX(g, i, jfg, k)] = m->face[1][CR_GIDX(g, i, jfp, kp)];
                }
            }
        }
}

/* One EMF on each axis edge: the mean over the nk columns. */
void cr_mhd_axis_emf(struct cr_mhd *m)
{
    const struct cr_grid *g = m->g;
    for (int side = 0; side < 2; side++) {
        if (!(side ? g->axis_hi : g->axis_lo)) continue;
        const int j = side ? g->nj : 0;
#pragma omp parallel for if (m->omp) schedule(static)
        for (int i = 0; i < g->ni; i++) {
            double s = 0.0;
            for (int k = 0; k < g->nk; k++) s += m->emf[0][CR_GIDX(g, i, j, k)];
            s /= g->nk;
            for (int k = 0; k <= g->nk; k++) m->emf[0][CR_GIDX(g, i, j, k)] = s;
        }
    }
}

/* Volume-averaged evolved field of the chunk of ring j starting at k0 (c columns) at radial index i. */
static void chunk_b(const struct cr_mhd *m, int i, int j, int k0, int c, double b[3], double *vsum)
{
    const struct cr_grid *g = m->g;
    double s[3] = {0, 0, 0}, vs = 0.0;
    for (int k = k0; k < k0 + c; k++) {
        size_t cc = CR_GIDX(g, i, j, k);
        double bb[3];
        cr_mhd_cell_b(m, cc, bb);
        double v = g->vol[cc];
        for (int q = 0; q < 3; q++) s[q] += bb[q] * v;
        vs += v;
    }
    for (int q = 0; q < 3; q++) b[q] = s[q] / vs;
    *vsum = vs;
}

/* B1^2/2 of cell c from its face fluxes (the field the primitives use). */
static inline double cell_eb(const struct cr_mhd *m, size_t c)
{
    double bb[3];
    cr_mhd_cell_b(m, c, bb);
    return 0.5 * (bb[0] * bb[0] + bb[1] * bb[1] + bb[2] * bb[2]);
}

/* New fluxes for the c faces (direction d) at flat indices f0 + t*sk: B.A with
 * the given field, plus the old total's remainder in proportion to |A|. */
static void set_faces(struct cr_mhd *m, int d, size_t f0, int c, const double b[3])
{
    const struct cr_grid *g = m->g;
    const size_t sk = g->sk;
    double told = 0.0, tnew = 0.0, asum = 0.0;
    for (int t = 0; t < c; t++) {
        size_t f = f0 + (size_t)t * sk;
        told += m->face[d][f];
        tnew += b[0] * g->area[d][0][f] + b[1] * g->area[d][1][f] + b[2] * g->area[d][2][f];
        asum += g->amag[d][f];
    }
    if (!(asum > 0.0)) return;
    const double corr = (told - tnew) / asum;
    for (int t = 0; t < c; t++) {
        size_t f = f0 + (size_t)t * sk;
        m->face[d][f] = b[0] * g->area[d][0][f] + b[1] * g->area[d][1][f] + b[2] * g->area[d][2][f] +
                        corr * g->amag[d][f];
    }
}

int cr_mhd_axis_average(struct cr_mhd *m)
{
    const struct cr_grid *g = m->g;
    const int ni = g->ni, nj = g->nj, nk = g->nk;
    if (m->nrings <= 0) return CR_OK;
    /* B1^2/2 of every averaged cell before any face changes (the averaging of
     * an inner ring rewrites the j faces it shares with the next one) */
    const size_t nring = (size_t)ni * (size_t)nk;
    double *ebo = malloc(2 * (size_t)m->nrings * nring * sizeof(double));
    if (!ebo) {
        cr_error(m->log, "mhd: out of memory in the axis averaging");
        return CR_ENOMEM;
    }
    for (int side = 0; side < 2; side++) {
        if (!(side ? g->axis_hi : g->axis_lo)) continue;
        for (int r = 0; r < m->nrings; r++) {
            const int j = side ? nj - 1 - r : r;
            double *e = ebo + ((size_t)side * (size_t)m->nrings + (size_t)r) * nring;
#pragma omp parallel for if (m->omp) collapse(2) schedule(static)
            for (int k = 0; k < nk; k++)
                for (int i = 0; i < ni; i++) e[(size_t)i + (size_t)ni * (size_t)k] = cell_eb(m, CR_GIDX(g, i, j, k));
        }
    }
    for (int side = 0; side < 2; side++) {
        if (!(side ? g->axis_hi : g->axis_lo)) continue;
        for (int r = 0; r < m->nrings; r++) {
            const int j = side ? nj - 1 - r : r;
            const int c = m->ring_chunk[j], nch = nk / c;
            const int last = r == m->nrings - 1;
            const double *eb0 = ebo + ((size_t)side * (size_t)m->nrings + (size_t)r) * nring;
            /* the j faces this ring shares with the next averaged ring (away from the axis) */
            const int jn = side ? j - 1 : j + 1;          /* the next ring's j index */
            const int jf = side ? j : j + 1;              /* the shared j-face index */
            double *bav = malloc((size_t)ni * (size_t)nch * 3 * sizeof(double));
            double *bnx = last ? NULL : malloc((size_t)ni * (size_t)nch * 3 * sizeof(double));
            if (!bav || (!last && !bnx)) {
                free(bav), free(bnx), free(ebo);
                cr_error(m->log, "mhd: out of memory in the axis averaging");
                return CR_ENOMEM;
            }
            /* 1. chunk fields (before any face changes) */
#pragma omp parallel for if (m->omp) collapse(2) schedule(static)
            for (int i = 0; i < ni; i++)
                for (int h = 0; h < nch; h++) {
                    double vs, vn;
                    chunk_b(m, i, j, h * c, c, bav + 3 * ((size_t)i * nch + h), &vs);
                    if (!last) {
                        double bn[3];
                        chunk_b(m, i, jn, h * c, c, bn, &vn);
                        for (int q = 0; q < 3; q++)
                            bnx[3 * ((size_t)i * nch + h) + q] =
                                (bav[3 * ((size_t)i * nch + h) + q] * vs + bn[q] * vn) / (vs + vn);
                    }
                }
            /* 1b. across the cuts of a decomposition: the neighbours' chunk
             * fields of the planes next to this block (the face on a cut is
             * shared by the chunks on both sides, as inside a block) */
            double *blo = NULL, *bhi = NULL, *xb = NULL;
            if (m->parted) {
                const size_t np = 3 * (size_t)nch;
                xb = malloc(2 * np * sizeof(double));
                if (!xb) {
                    free(bav), free(bnx), free(ebo);
                    return CR_ENOMEM;
                }
                blo = xb;
                bhi = xb + np;
                const struct cr_mhd_part *pt = &m->part;
                int rc = cr_par_sendrecv(pt->par, bav, pt->rank_lo >= 0 ? np : 0, pt->rank_lo, bhi,
                                         pt->rank_hi >= 0 ? np : 0, pt->rank_hi);
                if (!rc)
                    rc = cr_par_sendrecv(pt->par, bav + (size_t)(ni - 1) * np, pt->rank_hi >= 0 ? np : 0, pt->rank_hi,
                                         blo, pt->rank_lo >= 0 ? np : 0, pt->rank_lo);
                if (rc) {
                    free(bav), free(bnx), free(xb), free(ebo);
                    return rc;
                }
                if (pt->rank_lo < 0) blo = NULL;
                if (pt->rank_hi < 0) bhi = NULL;
            }
            /* 2. i faces (face i is shared by the chunks at i-1 and i) and shared j faces */
#pragma omp parallel for if (m->omp) collapse(2) schedule(static)
            for (int i = 0; i <= ni; i++)
                for (int h = 0; h < nch; h++) {
                    const double *bl = i == 0 && blo ? blo + 3 * (size_t)h
                                                     : bav + 3 * ((size_t)(i > 0 ? i - 1 : 0) * nch + h);
                    const double *br = i == ni && bhi ? bhi + 3 * (size_t)h
                                                      : bav + 3 * ((size_t)(i < ni ? i : ni - 1) * nch + h);
                    double b[3] = {0.5 * (bl[0] + br[0]), 0.5 * (bl[1] + br[1]), 0.5 * (bl[2] + br[2])};
                    set_faces(m, 0, CR_GIDX(g, i, j, h * c), c, b);
                    if (!last && i < ni) {
                        /* keep the total flux of every chunk of the next (finer) ring */
                        const int cn = m->ring_chunk[jn];
                        for (int s = 0; s < c; s += cn)
                            set_faces(m, 1, CR_GIDX(g, i, jf, h * c + s), cn, bnx + 3 * ((size_t)i * nch + h));
                    }
                }
            /* 3. k faces inside each chunk from div B = 0, and the hydrodynamic averages */
#pragma omp parallel for if (m->omp) collapse(2) schedule(static)
            for (int i = 0; i < ni; i++)
                for (int h = 0; h < nch; h++) {
                    const int k0 = h * c;
                    for (int k = k0; k < k0 + c - 1; k++) {
                        size_t cc = CR_GIDX(g, i, j, k);
                        double other = (m->face[0][cc + 1] - m->face[0][cc]) + (m->face[1][cc + g->sj] - m->face[1][cc]);
                        m->face[2][cc + g->sk] = m->face[2][cc] - other;
                    }
                    /* the energy averaged is the plasma's, E - B1^2/2: the field has its
                     * own averaging above, and what that removes from B1^2/2 (the
                     * variance of B1 within the chunk) is not heat (top of the file) */
                    double vs = 0.0, us[CR_MHD_NCONS] = {0, 0, 0, 0, 0};
                    for (int k = k0; k < k0 + c; k++) {
                        size_t cc = CR_GIDX(g, i, j, k);
                        double v = g->vol[cc];
                        vs += v;
                        for (int q = 0; q < CR_MHD_NCONS; q++) us[q] += m->u[q][cc] * v;
                        us[4] -= eb0[(size_t)i + (size_t)ni * (size_t)k] * v;
                    }
                    for (int k = k0; k < k0 + c; k++) {
                        size_t cc = CR_GIDX(g, i, j, k);
                        for (int q = 0; q < CR_MHD_NCONS; q++) m->u[q][cc] = us[q] / vs;
                        m->u[4][cc] += cell_eb(m, cc);
                    }
                }
            free(bav);
            free(bnx);
            free(xb);
        }
    }
    free(ebo);
    return CR_OK;
}
