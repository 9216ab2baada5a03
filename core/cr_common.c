/* cr_common.c — status names and allocation helpers. */
#include "cr_common.h"

#include <stdlib.h>
#include <string.h>

int cr_status_exit_code(int status)
{
    if (status == CR_OK) return 0;
    if (status == CR_ECONFIG) return 2;
    if (status == CR_ESTALL) return 3;
    return 1;
}

const char *cr_status_name(int status)
{
    switch (status) {
    case CR_OK: return "ok";
    case CR_ERR: return "error";
    case CR_ECONFIG: return "configuration/input error";
    case CR_EIO: return "I/O error";
    case CR_ENOMEM: return "out of memory";
    case CR_EDOMAIN: return "degenerate or out-of-domain input";
    case CR_ENUMERIC: return "numerical failure";
    case CR_ESTALL: return "time step collapsed";
    default: return "unknown status";
    }
}

void *cr_zalloc(size_t n, size_t size)
{
    if (n == 0 || size == 0) n = size = 1;
    return calloc(n, size);
}

char *cr_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
