/* cr_cli.h — what a cusprate command receives, and the command/benchmark
 * tables that the CLI dispatches on.
 *
 * A command is one stage of the pipeline (`cusprate grid FILE.ini`, ...). It
 * gets the loaded, validated configuration and the resolved run folder and
 * returns a status; only core/main.c turns that into an exit code.
 */
#ifndef CR_CLI_H
#define CR_CLI_H

#include "cr_config.h"
#include "cr_log.h"
#include "cr_par.h"

struct cr_cmd_ctx {
    struct cr_config *cfg;   /* resolved configuration (defaults when no file) */
    const struct cr_log *log;
    const char *ini_path;    /* the INI file, or NULL */
    int argc;                /* positional arguments after COMMAND [FILE] */
    char **argv;
    char run_dir[4096];      /* [run] dir resolved (not yet created) */
    int *run_lock;           /* the run folder's lock descriptor (-1 until taken; see cr_run_path), shared by
                                the contexts copied from this one (the pipeline's stages); may be NULL */
    struct cr_par par;       /* the processes that run this command together (core/cr_par.h): all of an
                                MPI run for a parallel command, rank 0 alone (size 1) otherwise */
};

struct cr_command {
    const char *name;
    const char *args;        /* usage after the name, e.g. "FILE.ini" */
    const char *summary;     /* one line */
    const char *help;        /* paragraph: what it reads and writes */
    const char *const *sections; /* config sections it reads (NULL-terminated) */
    int needs_file;          /* 1: first positional argument is an INI file */
    int (*run)(struct cr_cmd_ctx *ctx);
    int parallel;            /* 1: shares its work among the processes of an MPI run; 0: rank 0 runs it
                                alone and the other ranks end at once */
};

/* The registry (core/cr_registry.c): every command and every schema table. */
extern const struct cr_command cr_commands[];
extern const int cr_ncommands;
extern const struct cr_key *const cr_schema_tables[];
extern const int cr_nschema_tables;

/* Schema of the [run] section, owned by core. */
extern const struct cr_key cr_run_keys[];

/* A configuration over the full schema (all defaults). */
struct cr_config *cr_config_new_all(const struct cr_log *log);

/* The run folder: [run] dir, or "out/<ini stem>" (or "out/run") when unset. */
void cr_run_dir_resolve(const struct cr_config *cfg, const char *ini_path, char *buf, size_t n);

/* Create the run folder; writes <run_dir>/<name> path into buf. The first
 * call takes the folder's lock (<run_dir>/.cusprate.lock, flock, with this
 * process's PID and command): a second cusprate writing into the same folder
 * is refused (CR_ECONFIG) naming the holder, so two runs never delete each
 * other's files. The kernel drops the lock when the process ends. */
int cr_run_path(const struct cr_cmd_ctx *ctx, const char *name, char *buf, size_t n);

/* Take the lock of an existing folder `dir` a command writes into (what
 * cr_run_path does for the run folder; for commands whose output folder is
 * resolved otherwise). Once per process; CR_ECONFIG when another process
 * holds it. */
int cr_run_lock(const struct cr_cmd_ctx *ctx, const char *dir);

/* Benchmarks: `cusprate bench NAME`. */
struct cr_bench {
    const char *name;
    const char *summary;
    int (*run)(struct cr_cmd_ctx *ctx);
};
extern const struct cr_bench cr_benches[];
extern const int cr_nbenches;

/* The whole CLI (main() calls this); returns the process exit status. */
int cr_cli_main(int argc, char **argv);

#endif
