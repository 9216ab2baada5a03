/* cr_config.h — the configuration schema and INI loading (libinih).
 *
 * Every key cusprate reads is declared exactly once, in a `struct cr_key`
 * table owned by the module that uses it (type, unit, default, allowed range,
 * one-line doc). A `struct cr_config` holds the schema plus the resolved
 * values, each with its origin (file:line, command-line override, default).
 * Loading validates everything: an unknown key, a wrong type, a value out of
 * range, a missing file or a syntax error gives one message naming the file,
 * line, key and what is allowed, and returns CR_ECONFIG (exit status 2).
 *
 * Getters on a key that is not in the schema are programming errors: they
 * print the key and abort, so a test catches them at once.
 */
#ifndef CR_CONFIG_H
#define CR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cr_log.h"

enum cr_key_type {
    CR_KEY_REAL = 0, /* double, range [min, max] */
    CR_KEY_INT,      /* long, range [min, max] */
    CR_KEY_BOOL,     /* true/false, yes/no, on/off, 1/0 */
    CR_KEY_STRING,   /* free text */
    CR_KEY_PATH,     /* file name; relative names are resolved against the INI file's folder */
    CR_KEY_CHOICE,   /* one of `choices` ("hlld|hlle") */
    CR_KEY_REALS     /* comma/space separated list of doubles, each in [min, max];
                        count limits in [min_count, max_count] (0 = no limit);
                        continuation lines (indented) append */
};

/* Flags for ranges. With no flag and min == max == 0 the range is unbounded. */
enum {
    CR_KEY_MIN_OPEN = 1 << 0,  /* value must be > min, not >= */
    CR_KEY_MAX_OPEN = 1 << 1,  /* value must be < max, not <= */
    CR_KEY_RANGED = 1 << 2,    /* [min, max] applies even if both are 0 */
    CR_KEY_REQUIRED = 1 << 3,  /* no default: the key must be given */
    CR_KEY_EXISTING = 1 << 4,  /* CR_KEY_PATH: when not empty, an existing, readable, non-empty file */
    CR_KEY_FILENAME = 1 << 5   /* CR_KEY_STRING: a file name in the run folder (not empty, no '/', not . or ..) */
};

struct cr_key {
    const char *section;  /* INI section, e.g. "grid" */
    const char *name;     /* key, e.g. "ni" */
    enum cr_key_type type;
    const char *unit;     /* "" when dimensionless, e.g. "R_E", "km/s" */
    const char *def;      /* default as text ("" allowed for strings) */
    double min, max;      /* allowed range (see flags) */
    unsigned flags;
    const char *choices;  /* CR_KEY_CHOICE: "a|b|c"; CR_KEY_REAL: words allowed instead of a number
                             ("first|last": cr_config_real gives NaN, cr_config_real_word the word's index) */
    const char *doc;      /* one line of documentation */
    int min_count, max_count; /* CR_KEY_REALS: list length limits (0 = none) */
};

/* 1 when v is allowed by key k's range (real/integer/list keys), else 0;
 * `allowed` (may be NULL) receives what the key allows, e.g.
 * "real in [-500, 500] nT". For checking numbers read from data files
 * against the same rule as the key that sets them. */
int cr_key_allows(const struct cr_key *k, double v, char *allowed, size_t n);

/* The key `name` of a schema table (NULL when absent). */
const struct cr_key *cr_key_find(const struct cr_key *table, const char *name);

/* A schema table ends with an entry whose `name` is NULL. */
#define CR_KEY_END { .section = NULL, .name = NULL }

struct cr_config;

/* New configuration over the schema tables (array of `ntables` pointers).
 * Every key starts at its default. Duplicate keys across tables are a
 * programming error and make this return NULL. */
struct cr_config *cr_config_new(const struct cr_key *const *tables, size_t ntables,
                                const struct cr_log *log);

/* Load an INI file; values override defaults and the values of files loaded
 * before it (a key given twice in one file is an error). CR_ECONFIG on any error. */
int cr_config_load(struct cr_config *cfg, const char *path);

/* Load INI text (tests, embedded defaults). `name` stands in for the file name
 * in messages and for resolving relative paths (its folder). */
int cr_config_load_string(struct cr_config *cfg, const char *text, const char *name);

/* Apply "section.key=value" (command-line override). CR_ECONFIG on error. */
int cr_config_override(struct cr_config *cfg, const char *assignment);

/* Apply to dst every value src was given on the command line (its
 * section.key=value overrides), e.g. when a stage re-reads its files.
 * CR_ECONFIG when dst does not know a key. */
int cr_config_copy_overrides(struct cr_config *dst, const struct cr_config *src);

/* Check that required keys are set. CR_ECONFIG when one is missing. */
int cr_config_check_required(const struct cr_config *cfg);

/* Typed getters (key must exist in the schema with that type). */
double cr_config_real(const struct cr_config *cfg, const char *section, const char *name);
/* A real key with words (struct cr_key choices): the index of the word given,
 * or -1 when the value is a number. */
int cr_config_real_word(const struct cr_config *cfg, const char *section, const char *name);
long cr_config_int(const struct cr_config *cfg, const char *section, const char *name);
bool cr_config_bool(const struct cr_config *cfg, const char *section, const char *name);
const char *cr_config_string(const struct cr_config *cfg, const char *section, const char *name);
/* Resolved path (relative to the INI file's folder); "" when unset. */
const char *cr_config_path(const struct cr_config *cfg, const char *section, const char *name);
/* Index of the chosen value in `choices` (0-based) and its text. */
int cr_config_choice(const struct cr_config *cfg, const char *section, const char *name);
const char *cr_config_choice_name(const struct cr_config *cfg, const char *section, const char *name);
/* List value; *n receives its length. Pointer valid while cfg lives. */
const double *cr_config_reals(const struct cr_config *cfg, const char *section, const char *name,
                              size_t *n);

/* 1 if the schema of cfg declares the key (configurations built over a
 * subset of the tables, e.g. in tests, may lack a section). */
int cr_config_has(const struct cr_config *cfg, const char *section, const char *name);

/* 1 if the key was given in a file or override (not just defaulted). */
int cr_config_is_set(const struct cr_config *cfg, const char *section, const char *name);

/* Where the value came from: "file.ini:12", "command line", "default". */
const char *cr_config_origin(const struct cr_config *cfg, const char *section, const char *name);

/* The INI file loaded last ("" if none) and its folder ("." if none). */
const char *cr_config_file(const struct cr_config *cfg);
const char *cr_config_dir(const struct cr_config *cfg);

/* Print the resolved configuration with units, origins and docs.
 * `sections`: NULL-terminated list of sections to print, or NULL for all. */
void cr_config_print(const struct cr_config *cfg, FILE *out, const char *const *sections);

/* The resolved configuration as INI text (every key, one per line, with a
 * unit comment). Caller frees. This is what output files store. */
char *cr_config_to_ini(const struct cr_config *cfg);

/* Part of cr_config_to_ini's text, for comparing configurations (checkpoint
 * and pipeline stamps): only the sections in `sections` (NULL-terminated;
 * NULL = all), without those named in `skip` ("section" or
 * "section.key"; NULL = none), without comment lines and, unless
 * keep_blank, without blank lines. Caller frees. */
char *cr_config_ini_select(const struct cr_config *cfg, const char *const *sections, const char *const *skip,
                           int keep_blank);

/* Print the schema (key reference) as Markdown. */
void cr_config_print_schema(const struct cr_config *cfg, FILE *out);

void cr_config_release(struct cr_config *cfg);

#endif
