/* cr_common.h — error codes and small helpers shared by every cusprate module.
 *
 * Library code returns one of these codes (0 = ok) and reports the reason
 * through core/ logging; only the CLI turns a code into an exit status.
 */
#ifndef CR_COMMON_H
#define CR_COMMON_H

#include <stddef.h>

enum cr_status {
    CR_OK = 0,
    CR_ERR = 1,        /* generic runtime failure (exit status 1) */
    CR_ECONFIG = 2,    /* configuration or input-data error (exit status 2) */
    CR_EIO = 3,        /* file could not be read or written */
    CR_ENOMEM = 4,     /* allocation failed */
    CR_EDOMAIN = 5,    /* degenerate or out-of-domain input (planar tetrahedron, null field, point outside grid) */
    CR_ENUMERIC = 6,   /* numerical failure (NaN, non-convergence) */
    CR_ESTALL = 7      /* the time step collapsed: the run cannot go on (exit status 3) */
};

/* Exit status the CLI uses for a library status: config and data errors are
 * 2, a collapsed time step 3, every other failure 1. */
int cr_status_exit_code(int status);

/* Human-readable name of a status code. */
const char *cr_status_name(int status);

/* Allocation helpers that zero memory; NULL on failure (never abort). */
void *cr_zalloc(size_t n, size_t size);

/* Duplicate a string (NULL -> NULL). */
char *cr_strdup(const char *s);

#define CR_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CR_MAX(a, b) ((a) > (b) ? (a) : (b))
#define CR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
