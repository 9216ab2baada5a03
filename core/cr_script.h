/* cr_script.h — figures drawn by the project's Python scripts (the .py files in tools/):
 * finding the script beside the installation and running it as a child
 * process. A missing interpreter, module or script never fails a command:
 * the caller gets a note saying why no figures were drawn. */
#ifndef CR_SCRIPT_H
#define CR_SCRIPT_H

#include <stddef.h>

#include "cr_config.h"
#include "cr_log.h"

/* Run `PYTHON tools/<script> INPUT OUTDIR`. The section's keys `script`
 * (path; empty = tools/<script> under $CUSPRATE_ROOT, the current folder or
 * the executable's folder and up to three above it) and `python` (empty =
 * $PYTHON, else /usr/bin/python3) choose them. Returns 1 when the script
 * succeeded, 0 otherwise with the reason in note (exit status 3 of the
 * script = a missing Python module). */
int cr_script_figures(const struct cr_config *cfg, const char *section, const char *script, const char *input,
                      const char *outdir, char *note, size_t n, const struct cr_log *log);

#endif
