/* cr_par.h — the processes of a run: MPI (Open MPI) when bin/cusprate is
 * built with `make MPI=1`, a single process otherwise, behind one small API
 * so that no other file includes mpi.h or needs #ifdefs.
 *
 * A `struct cr_par` is a communicator handle, passed to the objects that
 * work on a part of the domain (the MHD solver's blocks, the gathering
 * writer). Reductions of doubles use MIN, MAX or a fixed-order sum (values
 * gathered and added in rank order), so results do not depend on the
 * network's reduction order; sums of counts are exact. Every function is
 * collective over the communicator unless it says otherwise. */
#ifndef CR_PAR_H
#define CR_PAR_H

#include <stddef.h>

struct cr_par {
    int rank, size;   /* this process, number of processes */
    void *comm;       /* MPI_Comm * of the run (NULL in the serial build) */
};

/* Start and end the parallel runtime (MPI_Init_thread with
 * MPI_THREAD_FUNNELED / MPI_Finalize); no effect in the serial build.
 * cr_par_world fills p for all processes of the run. */
int cr_par_init(int *argc, char ***argv);
void cr_par_finalize(void);
void cr_par_world(struct cr_par *p);

/* 1 when built with MPI. */
int cr_par_enabled(void);

/* Stop every process of the run (MPI_Abort) with status rc: for an error
 * that only some processes saw. Does not return. */
void cr_par_abort(const struct cr_par *p, int rc);

double cr_par_max(const struct cr_par *p, double x);
double cr_par_min(const struct cr_par *p, double x);
long cr_par_sum_long(const struct cr_par *p, long x);
int cr_par_max_int(const struct cr_par *p, int x);
void cr_par_barrier(const struct cr_par *p);

/* This rank's contiguous block [lo, hi) of n items split evenly in rank
 * order (the first n % size ranks take one more); all of them for p NULL
 * or a single process. Not collective. */
void cr_par_block(const struct cr_par *p, long n, long *lo, long *hi);

/* Broadcast n bytes from rank root. */
int cr_par_bcast(const struct cr_par *p, void *buf, size_t n, int root);

/* Gather blocks of doubles in rank order: every rank sends n (its own
 * count) from `send`; on rank root `recv` receives the concatenation (all
 * counts summed); other ranks may pass recv = NULL. allgather: every rank
 * receives. */
int cr_par_gather_doubles(const struct cr_par *p, const double *send, size_t n, double *recv, int root);
int cr_par_allgather_doubles(const struct cr_par *p, const double *send, size_t n, double *recv);

/* Every rank sends n bytes (its own count); every rank receives the
 * concatenation in rank order (recv holds the sum of the counts). */
int cr_par_allgather_bytes(const struct cr_par *p, const void *send, size_t n, void *recv);

/* Point-to-point exchange for halos: send n doubles to rank `to` and
 * receive m doubles from rank `from` (either may be -1: none). */
int cr_par_sendrecv(const struct cr_par *p, const double *send, size_t n, int to, double *recv, size_t m, int from);

#endif
