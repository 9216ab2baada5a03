/* cr_registry.c — the composition root: every command, benchmark and
 * configuration-schema table of cusprate, in one list. Adding a stage means
 * adding its line here; nothing else in core/ knows about physics modules. */
#include "cr_cli.h"
#include "cr_common.h"

int cr_cmd_config(struct cr_cmd_ctx *ctx);
int cr_cmd_fly(struct cr_cmd_ctx *ctx);
int cr_bench_fly(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_flyby_keys[], cr_instrument_keys[];
static const char *const sec_fly[] = {"run", "flyby", "instrument", NULL};

static const char *const sec_all[] = {NULL};

const struct cr_command cr_commands[] = {
    {"config", "FILE.ini", "print the fully resolved configuration with units and docs",
     "Loads FILE.ini and the overrides, validates every key and prints every key of every section with its "
     "value, unit, allowed range, origin and one-line documentation. Writes nothing.",
     sec_all, 1, cr_cmd_config},
    {"fly", "FLYBY.ini", "fly a virtual TRACERS/DMSP-like spacecraft through the collected particles",
     "Reads <run>/particles.h5 (or flyby.particles) and an instrument (runs/instruments/<name>.ini and/or an inline "
     "[instrument] section) and writes <run>/<flyby>.spectrogram.nc (a pair: also <flyby>.sc2.spectrogram.nc): count "
     "rate, differential energy and number flux per energy channel along the track (see spacecraft/README.md).",
     sec_fly, 1, cr_cmd_fly},
};
const int cr_ncommands = (int)CR_ARRAY_LEN(cr_commands);

const struct cr_key *const cr_schema_tables[] = {
    cr_run_keys,
    cr_flyby_keys,
    cr_instrument_keys,
};
const int cr_nschema_tables = (int)CR_ARRAY_LEN(cr_schema_tables);

const struct cr_bench cr_benches[] = {
    {"fly", "virtual spacecraft: binning 2e6 synthetic cusp protons into a 47-channel spectrogram", cr_bench_fly},
    {NULL, NULL, NULL} /* sentinel: keep last */
};
const int cr_nbenches = (int)CR_ARRAY_LEN(cr_benches) - 1;
