/* cr_sys.h — wall clock, peak memory and thread count, for benchmarks and
 * progress reports. */
#ifndef CR_SYS_H
#define CR_SYS_H

/* Monotonic wall-clock time [s]. */
double cr_wtime(void);

/* Peak resident memory of this process [MiB] (getrusage ru_maxrss). */
double cr_peak_rss_mib(void);

/* Threads an OpenMP parallel region would use (1 without OpenMP). */
int cr_max_threads(void);

/* Set the OpenMP thread count (no-op without OpenMP). */
void cr_set_threads(int n);

/* Logical cores available. */
int cr_num_cores(void);

#endif
