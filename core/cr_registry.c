/* cr_registry.c — the composition root: every command, benchmark and
 * configuration-schema table of cusprate, in one list. Adding a stage means
 * adding its line here; nothing else in core/ knows about physics modules. */
#include "cr_cli.h"
#include "cr_common.h"

int cr_cmd_config(struct cr_cmd_ctx *ctx);

static const char *const sec_all[] = {NULL};

const struct cr_command cr_commands[] = {
    {"config", "FILE.ini", "print the fully resolved configuration with units and docs",
     "Loads FILE.ini and the overrides, validates every key and prints every key of every section with its "
     "value, unit, allowed range, origin and one-line documentation. Writes nothing.",
     sec_all, 1, cr_cmd_config},
};
const int cr_ncommands = (int)CR_ARRAY_LEN(cr_commands);

const struct cr_key *const cr_schema_tables[] = {
    cr_run_keys,
};
const int cr_nschema_tables = (int)CR_ARRAY_LEN(cr_schema_tables);

const struct cr_bench cr_benches[] = {
    {NULL, NULL, NULL} /* sentinel: keep last */
};
const int cr_nbenches = (int)CR_ARRAY_LEN(cr_benches) - 1;
