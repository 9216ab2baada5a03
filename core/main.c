/* main.c — entry point of bin/cusprate; everything is in cr_cli.c, but for
 * the OpenMP wait policy, which must be chosen before the OpenMP runtime
 * starts.
 *
 * With OpenMP's default (active) wait policy an idle thread spins for a
 * while at the end of every parallel region. On a machine shared with other
 * jobs that spinning thread holds a core its partner needs, and the run
 * crawls: the D magnetosphere ran 4-8 times slower on 2 threads than on 1
 * while other jobs ran (BENCHMARKS.md, "Threads on a shared machine"). The
 * passive policy sleeps instead. libgomp reads OMP_WAIT_POLICY once, when it
 * is loaded, so a process cannot change its own policy: when the variable is
 * unset, cusprate sets it to passive and executes itself again (once; a
 * policy the user sets is kept).
 *
 * Built with MPI (make MPI=1) the processes of `mpirun` start here too: the
 * runtime starts after that choice, and only rank 0 prints results (the
 * others keep their warnings and errors on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cr_cli.h"
#include "cr_par.h"

int main(int argc, char **argv)
{
#ifdef _OPENMP
    if (!getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "passive", 1) == 0) {
        execv("/proc/self/exe", argv);
        /* exec failed (no /proc): go on with the runtime's default */
    }
#endif
    if (cr_par_init(&argc, &argv)) {
        fprintf(stderr, "cusprate: the MPI runtime did not start\n");
        return 1;
    }
    struct cr_par world;
    cr_par_world(&world);
    if (world.rank > 0 && !freopen("/dev/null", "w", stdout)) return 1;
    int rc = cr_cli_main(argc, argv);
    /* a process that fails stops the whole MPI run (the others may be
     * waiting for it), with its exit status */
    if (rc && world.size > 1) cr_par_abort(&world, rc);
    cr_par_finalize();
    return rc;
}
