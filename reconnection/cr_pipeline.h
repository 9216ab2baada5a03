/* cr_pipeline.h — `cusprate pipeline FILE.ini`: every stage in order
 * (mhd -> flux -> particles -> fly -> rate -> report), each dispatched by
 * name through the command table (core/cr_cli.h) and skipped when it is up
 * to date: its outputs exist, are newer than its inputs (cr_file_mtime), and
 * the configuration sections it reads are those each output records (its
 * `config` attribute; for outputs without one, the stamp the pipeline wrote
 * in <run>/.pipeline/<stage>.ini when the stage last ran). A stage that must
 * run but has no command in this build is reported as unavailable and stops
 * the pipeline; nothing is pretended.
 *
 * The flyby stage runs once per file named in [pipeline] flybys, with the
 * run file's configuration and the flyby file laid over it, in the run
 * folder.
 */
#ifndef CR_PIPELINE_H
#define CR_PIPELINE_H

#include "../core/cr_cli.h"

extern const struct cr_key cr_pipeline_keys[];

int cr_cmd_pipeline(struct cr_cmd_ctx *ctx);

#endif
