/* cr_checkpoint.h — the complete state of an MHD solver in an HDF5 group,
 * for checkpoint and restart. Everything the next step reads is saved bit
 * for bit: the conserved cell arrays and the face fluxes of the evolved
 * field over the whole node-sized layout (ghosts included), the time and
 * the step count. Work arrays (primitives, fluxes, EMFs) are recomputed by
 * every step from these, so a solver restored into a fresh object (same
 * grid and options) continues exactly as the original would have.
 *
 * Group layout: datasets `rho`, `mx`, `my`, `mz`, `en` (conserved, code
 * units), `face_i`, `face_j`, `face_k` (Phi = B1 . A, code units), each
 * 1-D of g->ntot values in the solver's own layout (grids/cr_grid.h);
 * attributes `time` (code units), `nstep`, `ni`, `nj`, `nk`, `ng`, `gamma`,
 * `crc32` (zlib's CRC-32 of the eight arrays' bytes in that order: a
 * restore refuses arrays that do not match it, CR_ECONFIG; checkpoints
 * without it are read unchecked). A restore also refuses non-finite values
 * and active cells without a positive density and finite energies.
 */
#ifndef CR_CHECKPOINT_H
#define CR_CHECKPOINT_H

#include <hdf5.h>
#include <stddef.h>

#include "../core/cr_log.h"
#include "cr_mhd.h"

/* zlib's CRC-32 of n doubles' bytes, continuing crc (start: crc32(0, NULL, 0)). */
unsigned long cr_checkpoint_crc(unsigned long crc, const double *a, size_t n);

/* Write the solver's state into loc (an open file or group). CR_EIO on failure. */
int cr_checkpoint_write_mhd(hid_t loc, struct cr_mhd *m, const struct cr_log *log);

/* Restore it into m, which must have the same grid sizes, ghost layers and
 * gamma (CR_ECONFIG with a message otherwise; CR_EIO when unreadable). */
int cr_checkpoint_read_mhd(hid_t loc, struct cr_mhd *m, const struct cr_log *log);

#endif
