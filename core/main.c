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
 * policy the user sets is kept). */
#include <stdlib.h>
#include <unistd.h>

#include "cr_cli.h"

int main(int argc, char **argv)
{
#ifdef _OPENMP
    if (!getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "passive", 1) == 0) {
        execv("/proc/self/exe", argv);
        /* exec failed (no /proc): go on with the runtime's default */
    }
#endif
    return cr_cli_main(argc, argv);
}
