/* cr_par.c — MPI or a single process (see cr_par.h). Built with MPI when
 * CR_HAVE_MPI is defined (make MPI=1, mpicc). */
#include "cr_par.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cr_common.h"

void cr_par_block(const struct cr_par *p, long n, long *lo, long *hi)
{
    const long size = p && p->size > 1 ? p->size : 1, r = size > 1 ? p->rank : 0;
    const long base = n / size, extra = n % size;
    *lo = r * base + (r < extra ? r : extra);
    *hi = *lo + base + (r < extra);
}

#ifdef CR_HAVE_MPI
#include <mpi.h>

/* The run's communicator: a library constant of MPI, not state of ours. */
static const MPI_Comm world_comm = MPI_COMM_WORLD;

static MPI_Comm comm_of(const struct cr_par *p) { return p && p->comm ? *(const MPI_Comm *)p->comm : MPI_COMM_SELF; }

int cr_par_enabled(void) { return 1; }

int cr_par_init(int *argc, char ***argv)
{
    int provided = 0;
    /* threads inside ranks (OpenMP); only the master thread calls MPI */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return CR_EIO;
    return CR_OK;
}

void cr_par_finalize(void)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) MPI_Finalize();
}

void cr_par_world(struct cr_par *p)
{
    p->comm = (void *)(uintptr_t)&world_comm; /* read only (comm_of) */
    MPI_Comm_rank(world_comm, &p->rank);
    MPI_Comm_size(world_comm, &p->size);
}

void cr_par_abort(const struct cr_par *p, int rc)
{
    MPI_Abort(comm_of(p), rc);
    exit(rc);
}

/* One value reduced over the processes, in place (no-op on one process). */
static void allreduce(const struct cr_par *p, void *x, MPI_Datatype type, MPI_Op op)
{
    if (p && p->size > 1) MPI_Allreduce(MPI_IN_PLACE, x, 1, type, op, comm_of(p));
}

double cr_par_max(const struct cr_par *p, double x) { return allreduce(p, &x, MPI_DOUBLE, MPI_MAX), x; }
double cr_par_min(const struct cr_par *p, double x) { return allreduce(p, &x, MPI_DOUBLE, MPI_MIN), x; }
long cr_par_sum_long(const struct cr_par *p, long x) { return allreduce(p, &x, MPI_LONG, MPI_SUM), x; }
int cr_par_max_int(const struct cr_par *p, int x) { return allreduce(p, &x, MPI_INT, MPI_MAX), x; }

void cr_par_barrier(const struct cr_par *p)
{
    if (p && p->size > 1) MPI_Barrier(comm_of(p));
}

int cr_par_bcast(const struct cr_par *p, void *buf, size_t n, int root)
{
    if (!p || p->size <= 1) return CR_OK;
    return MPI_Bcast(buf, (int)n, MPI_BYTE, root, comm_of(p)) == MPI_SUCCESS ? CR_OK : CR_EIO;
}

/* counts and displacements of a gather */
static int gather_layout(const struct cr_par *p, size_t n, int **cnt, int **dsp)
{
    int me = (int)n;
    *cnt = malloc((size_t)p->size * sizeof(int));
    *dsp = malloc((size_t)p->size * sizeof(int));
    if (!*cnt || !*dsp) return CR_ENOMEM;
    MPI_Allgather(&me, 1, MPI_INT, *cnt, 1, MPI_INT, comm_of(p));
    long s = 0;
    for (int r = 0; r < p->size; r++) {
        (*dsp)[r] = (int)s;
        s += (*cnt)[r];
    }
    return s > 2147483647L ? CR_ENOMEM : CR_OK;
}

int cr_par_gather_doubles(const struct cr_par *p, const double *send, size_t n, double *recv, int root)
{
    if (!p || p->size <= 1) {
        if (recv && recv != send) memcpy(recv, send, n * sizeof(double));
        return CR_OK;
    }
    int *cnt = NULL, *dsp = NULL;
    int rc = gather_layout(p, n, &cnt, &dsp);
    if (!rc && MPI_Gatherv(send, (int)n, MPI_DOUBLE, recv, cnt, dsp, MPI_DOUBLE, root, comm_of(p)) != MPI_SUCCESS)
        rc = CR_EIO;
    free(cnt);
    free(dsp);
    return rc;
}

int cr_par_allgather_doubles(const struct cr_par *p, const double *send, size_t n, double *recv)
{
    if (!p || p->size <= 1) {
        if (recv != send) memcpy(recv, send, n * sizeof(double));
        return CR_OK;
    }
    int *cnt = NULL, *dsp = NULL;
    int rc = gather_layout(p, n, &cnt, &dsp);
    if (!rc && MPI_Allgatherv(send, (int)n, MPI_DOUBLE, recv, cnt, dsp, MPI_DOUBLE, comm_of(p)) != MPI_SUCCESS)
        rc = CR_EIO;
    free(cnt);
    free(dsp);
    return rc;
}

int cr_par_allgather_bytes(const struct cr_par *p, const void *send, size_t n, void *recv)
{
    if (!p || p->size <= 1) {
        if (recv != send) memcpy(recv, send, n);
        return CR_OK;
    }
    int *cnt = NULL, *dsp = NULL;
    int rc = n > 2147483647UL ? CR_ENOMEM : gather_layout(p, n, &cnt, &dsp);
    if (!rc && MPI_Allgatherv(send, (int)n, MPI_BYTE, recv, cnt, dsp, MPI_BYTE, comm_of(p)) != MPI_SUCCESS) rc = CR_EIO;
    free(cnt);
    free(dsp);
    return rc;
}

int cr_par_sendrecv(const struct cr_par *p, const double *send, size_t n, int to, double *recv, size_t m, int from)
{
    MPI_Request req[2];
    int nr = 0;
    if (from >= 0) MPI_Irecv(recv, (int)m, MPI_DOUBLE, from, 17, comm_of(p), &req[nr++]);
    if (to >= 0) MPI_Isend(send, (int)n, MPI_DOUBLE, to, 17, comm_of(p), &req[nr++]);
    return MPI_Waitall(nr, req, MPI_STATUSES_IGNORE) == MPI_SUCCESS ? CR_OK : CR_EIO;
}

#else /* a single process */

int cr_par_enabled(void) { return 0; }
int cr_par_init(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return CR_OK;
}
void cr_par_finalize(void) {}
void cr_par_world(struct cr_par *p)
{
    p->rank = 0;
    p->size = 1;
    p->comm = NULL;
}
void cr_par_abort(const struct cr_par *p, int rc)
{
    (void)p;
    exit(rc);
}
double cr_par_max(const struct cr_par *p, double x) { return (void)p, x; }
double cr_par_min(const struct cr_par *p, double x) { return (void)p, x; }
long cr_par_sum_long(const struct cr_par *p, long x) { return (void)p, x; }
int cr_par_max_int(const struct cr_par *p, int x) { return (void)p, x; }
void cr_par_barrier(const struct cr_par *p) { (void)p; }
int cr_par_bcast(const struct cr_par *p, void *buf, size_t n, int root) { return (void)p, (void)buf, (void)n, (void)root, CR_OK; }
int cr_par_gather_doubles(const struct cr_par *p, const double *send, size_t n, double *recv, int root)
{
    (void)p, (void)root;
    if (recv && recv != send) memcpy(recv, send, n * sizeof(double));
    return CR_OK;
}
int cr_par_allgather_doubles(const struct cr_par *p, const double *send, size_t n, double *recv)
{
    (void)p;
    if (recv != send) memcpy(recv, send, n * sizeof(double));
    return CR_OK;
}
int cr_par_allgather_bytes(const struct cr_par *p, const void *send, size_t n, void *recv)
{
    (void)p;
    if (recv != send) memcpy(recv, send, n);
    return CR_OK;
}
int cr_par_sendrecv(const struct cr_par *p, const double *send, size_t n, int to, double *recv, size_t m, int from)
{
    (void)p, (void)send, (void)n, (void)to, (void)recv, (void)m, (void)from;
    return CR_OK;
}
#endif
