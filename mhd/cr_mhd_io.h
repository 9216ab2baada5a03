/* cr_mhd_io.h — output of an MHD run: <run>/mhd.h5 in the GAMERA/kaipy
 * layout (root corners X, Y, Z and volumes dV; one group Step#N per slice
 * with attribute `time` and cell datasets D, Vx, Vy, Vz, P, Bx, By, Bz,
 * Jx, Jy, Jz, each with units and a description), the XDMF companion
 * mhd.xmf that ParaView/VisIt open, and for 1-D problems a CSV profile
 * mhd_profile.csv with every slice. All files are written under temporary
 * names and renamed into place when the run completes.
 *
 * Units and time for kaipy (kaipy/gamera/gampp.py, magsphere.py): the root
 * attribute UnitsID is "EARTH" when the run writes physical units (kaipy
 * then leaves the values unscaled) and "CODE" for the normalised units of
 * the verification problems; each Step#N carries `time` [s or code time]
 * and, in physical units, `MJD` (the run epoch [run] epoch plus time, as
 * GAMERA writes it); the root holds the epoch (`epoch_utc`, `epoch_mjd`)
 * and, with a background dipole, `MagM0` [nT].
 *
 * Split slices (slice_dir set, the magnetosphere's long runs): each slice
 * goes into its own file <run>/<slice folder>/step_NNNNNN.h5 (group Step#N
 * inside), renamed into place as soon as it is complete, and mhd.h5 holds
 * the grid plus an HDF5 external link Step#N -> that file's /Step#N, so
 * h5py/kaipy, the HDF5 tools and cusprate's readers see the usual layout
 * (keep mhd.h5 and the folder together). A checkpoint then only records how
 * many slices are complete instead of copying them. A new run takes a new
 * folder mhd_slices.K, so a run killed half-way never touches the slices an
 * earlier mhd.h5 links to; once the new mhd.h5 is in place the folders of
 * earlier runs are removed. */
#ifndef CR_MHD_IO_H
#define CR_MHD_IO_H

#include <hdf5.h>

#include "../core/cr_config.h"
#include "cr_mhd.h"

struct cr_mhd_out;

struct cr_mhd_out_inp {
    const char *dir;              /* run folder (exists) */
    const struct cr_config *cfg;  /* resolved configuration (provenance), may be NULL */
    const char *problem;          /* problem name (root attribute), may be NULL */
    int csv;                      /* 1: also write the CSV profile (1-D problems) */
    const struct cr_log *log;
    /* NULL: every slice inside mhd.h5. Otherwise split slices: "" takes a new
     * folder mhd_slices.K (K one more than any present), a name (from
     * cr_mhd_out_slice_dir of a checkpointed run) continues in that folder. */
    const char *slice_dir;
    /* A decomposed solver (cr_mhd_part): the global grid (every rank), whose
     * blocks rank 0 gathers and writes; the other ranks write nothing.
     * NULL: the solver's own grid. */
    const struct cr_grid *grid;
    double dipole_nt;             /* equatorial surface field of the background dipole [nT] (0 = none), written as
                                     kaipy's root attribute MagM0 = -dipole_nt */
};

/* 1 on the process that writes (rank 0 of a decomposed run, or the only one). */
int cr_mhd_out_writer(const struct cr_mhd_out *o);

/* Create the files (temporary names) and write the grid. Collective when
 * the solver is decomposed, as are _write and _close. */
struct cr_mhd_out *cr_mhd_out_open(struct cr_mhd *m, const struct cr_mhd_out_inp *inp);

/* Append one slice (Step#N, N = 0, 1, ...) of the current state. */
int cr_mhd_out_write(struct cr_mhd_out *o, struct cr_mhd *m);

/* Describe in mhd.xmf a set of structured surfaces that the caller stores in
 * every slice (e.g. the magnetosphere's ionosphere): group Step#N/<group>
 * holds node coordinates X, Y, Z [lengths of the grid] and the node
 * variables `vars`, each of shape (nsurf, n1, n2); surface k becomes the grid
 * <group>_<labels[k]>_<N> of slice N, beside the MHD grid (each slice is then
 * a spatial collection). Call after open, before close. */
int cr_mhd_out_xmf_surface(struct cr_mhd_out *o, const char *group, int nsurf, int n1, int n2,
                           const char *const *labels, const char *const *vars, int nvar);

/* Number of slices written so far. */
int cr_mhd_out_count(const struct cr_mhd_out *o);

/* Finish: commit = 1 writes the XDMF and renames every file into place
 * (split slices: links them from mhd.h5, then removes the slice folders of
 * earlier runs); commit = 0 removes the temporaries (complete slice files
 * stay for a resume). Frees o. */
int cr_mhd_out_close(struct cr_mhd_out *o, int commit);

/* The open HDF5 file that holds the Step#N group just written (mhd.h5 under
 * its temporary name, or with split slices that slice's own file until
 * cr_mhd_out_end_slice), e.g. to add set-up-specific datasets to it; -1 with
 * split slices after the slice was ended. */
hid_t cr_mhd_out_file(const struct cr_mhd_out *o);

/* The slice just written is complete: with split slices its file is closed
 * and renamed into place (from then on it survives a kill), otherwise mhd.h5
 * is flushed. */
int cr_mhd_out_end_slice(struct cr_mhd_out *o);

/* The split-slice folder's name inside the run folder ("" without split
 * slices), to record in a checkpoint. */
const char *cr_mhd_out_slice_dir(const struct cr_mhd_out *o);

/* The path of slice s's own file (split slices). CR_EIO when it does not fit. */
int cr_mhd_out_slice_path(const struct cr_mhd_out *o, int s, char *buf, size_t n);

/* Restart with split slices: take the complete slice files 0 .. n-1 already
 * in the folder as written (times read from them) and remove whatever else
 * is there (slices after the checkpoint, temporaries of a killed process).
 * Only on an output with no slice yet. CR_EIO with a message when one of
 * the n files is missing or unreadable. */
int cr_mhd_out_adopt_files(struct cr_mhd_out *o, int n);

#endif
