/* cr_config.c — schema-validated INI configuration on top of libinih.
 * See cr_config.h for the contract. */
#include "cr_config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cr_common.h"

struct entry {
    const struct cr_key *key;
    char *text;          /* value as given (or default) */
    double real;
    long ival;
    bool bval;
    int choice;
    double *list;
    size_t nlist;
    char *path;          /* resolved path */
    char origin[300];
    int set;             /* given in a file or override */
    int line;            /* line in file (0 = not from file) */
    int load;            /* which load set it (a later file overrides, the same file may not repeat) */
};

struct cr_config {
    const struct cr_log *log;
    struct entry *e;
    int n;
    char *file;
    char *dir;
    int nloads;          /* files and strings loaded so far */
};

/* ---- small string helpers ------------------------------------------------ */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static const char *type_name(enum cr_key_type t)
{
    switch (t) {
    case CR_KEY_REAL: return "real";
    case CR_KEY_INT: return "integer";
    case CR_KEY_BOOL: return "boolean";
    case CR_KEY_STRING: return "string";
    case CR_KEY_PATH: return "path";
    case CR_KEY_CHOICE: return "choice";
    case CR_KEY_REALS: return "list of reals";
    }
    return "?";
}

static int has_range(const struct cr_key *k)
{
    return (k->flags & CR_KEY_RANGED) || k->min != 0.0 || k->max != 0.0;
}

/* Text describing what a key allows, e.g. "real in (0, 1] R_E". */
static void allowed_text(const struct cr_key *k, char *buf, size_t n)
{
    char range[160] = "";
    if ((k->type == CR_KEY_REAL || k->type == CR_KEY_INT || k->type == CR_KEY_REALS) && has_range(k)) {
        snprintf(range, sizeof range, " in %c%.17g, %.17g%c", (k->flags & CR_KEY_MIN_OPEN) ? '(' : '[',
                 k->min, k->max, (k->flags & CR_KEY_MAX_OPEN) ? ')' : ']');
    }
    if (k->type == CR_KEY_CHOICE) {
        snprintf(buf, n, "one of %s", k->choices ? k->choices : "");
        return;
    }
    if (k->type == CR_KEY_BOOL) {
        snprintf(buf, n, "true/false (yes/no, on/off, 1/0)");
        return;
    }
    if (k->type == CR_KEY_REAL && k->choices) {
        snprintf(buf, n, "%s%s%s%s or one of %s", type_name(k->type), range, (k->unit && *k->unit) ? " " : "",
                 (k->unit && *k->unit) ? k->unit : "", k->choices);
        return;
    }
    if (k->type == CR_KEY_PATH && (k->flags & CR_KEY_EXISTING)) {
        snprintf(buf, n, "path of an existing, readable, non-empty file (empty = none)");
        return;
    }
    if (k->type == CR_KEY_STRING && (k->flags & CR_KEY_FILENAME)) {
        snprintf(buf, n, "a file name (not empty, no '/')");
        return;
    }
    char count[96] = "";
    if (k->type == CR_KEY_REALS && (k->min_count > 0 || k->max_count > 0))
        snprintf(count, sizeof count, ", %d to %d values", k->min_count,
                 k->max_count > 0 ? k->max_count : INT32_MAX);
    snprintf(buf, n, "%s%s%s%s%s", type_name(k->type), range, count, (k->unit && *k->unit) ? " " : "",
             (k->unit && *k->unit) ? k->unit : "");
}

static int in_range(const struct cr_key *k, double v)
{
    if (!has_range(k)) return 1;
    if (k->flags & CR_KEY_MIN_OPEN) {
        if (!(v > k->min)) return 0;
    } else if (!(v >= k->min)) return 0;
    if (k->flags & CR_KEY_MAX_OPEN) {
        if (!(v < k->max)) return 0;
    } else if (!(v <= k->max)) return 0;
    return 1;
}

int cr_key_allows(const struct cr_key *k, double v, char *allowed, size_t n)
{
    if (allowed && n) allowed_text(k, allowed, n);
    return isfinite(v) && in_range(k, v);
}

const struct cr_key *cr_key_find(const struct cr_key *table, const char *name)
{
    for (const struct cr_key *k = table; k && k->name; k++)
        if (!strcmp(k->name, name)) return k;
    return NULL;
}

static int parse_real(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v)) return -1;
    while (*end == ' ' || *end == '\t') end++;
    if (*end) return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || errno == ERANGE) return -1;
    while (*end == ' ' || *end == '\t') end++;
    if (*end) return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"true", "yes", "on", "1"};
    static const char *no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) { *out = true; return 0; }
        if (!strcasecmp(s, no[i])) { *out = false; return 0; }
    }
    return -1;
}

static int choice_index(const char *choices, const char *s)
{
    if (!choices) return -1;
    const char *p = choices;
    int idx = 0;
    size_t n = strlen(s);
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, s, n)) return idx;
        idx++;
        if (!bar) break;
        p = bar + 1;
    }
    return -1;
}

/* ---- schema lookup -------------------------------------------------------- */

static struct entry *find(const struct cr_config *cfg, const char *section, const char *name)
{
    for (int i = 0; i < cfg->n; i++)
        if (!strcmp(cfg->e[i].key->section, section) && !strcmp(cfg->e[i].key->name, name))
            return &cfg->e[i];
    return NULL;
}

int cr_config_has(const struct cr_config *cfg, const char *section, const char *name)
{
    return find(cfg, section, name) != NULL;
}

static int section_known(const struct cr_config *cfg, const char *section)
{
    for (int i = 0; i < cfg->n; i++)
        if (!strcmp(cfg->e[i].key->section, section)) return 1;
    return 0;
}

static struct entry *must_find(const struct cr_config *cfg, const char *section, const char *name,
                               enum cr_key_type type)
{
    struct entry *e = find(cfg, section, name);
    if (!e || (e->key->type != type && !(type == CR_KEY_STRING && e->key->type == CR_KEY_PATH))) {
        fprintf(stderr, "cusprate: internal error: key %s.%s (%s) is not in the configuration schema\n",
                section, name, type_name(type));
        abort();
    }
    return e;
}

/* List the keys of a section into buf (for "unknown key" messages). */
static void section_keys(const struct cr_config *cfg, const char *section, char *buf, size_t n)
{
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < cfg->n && used + 2 < n; i++) {
        if (strcmp(cfg->e[i].key->section, section)) continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", cfg->e[i].key->name);
        if (w < 0) break;
        used += (size_t)w;
    }
}

static void all_sections(const struct cr_config *cfg, char *buf, size_t n)
{
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < cfg->n && used + 2 < n; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            if (!strcmp(cfg->e[j].key->section, cfg->e[i].key->section)) { seen = 1; break; }
        if (seen) continue;
        int w = snprintf(buf + used, n - used, "%s[%s]", used ? ", " : "", cfg->e[i].key->section);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* ---- value assignment ----------------------------------------------------- */

static char *join_path(const char *dir, const char *rel)
{
    if (!rel || !*rel) return cr_strdup("");
    if (rel[0] == '/' || !dir || !*dir || !strcmp(dir, ".")) return cr_strdup(rel);
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

/* 0 when path names a readable, non-empty regular file; else -1 and why. */
static int existing_file(const char *path, char *why, size_t nwhy)
{
    struct stat sb;
    if (stat(path, &sb)) {
        snprintf(why, nwhy, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(why, nwhy, "%s is not a regular file", path);
        return -1;
    }
    if (sb.st_size == 0) {
        snprintf(why, nwhy, "%s is empty", path);
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, nwhy, "%s: %s", path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

/* Parse `value` into entry e. `append` for list continuation. Returns 0, or -1
 * with a reason in why. */
static int assign(struct entry *e, const char *value_in, const char *dir, int append, char *why,
                  size_t nwhy)
{
    const struct cr_key *k = e->key;
    char *tmp = cr_strdup(value_in ? value_in : "");
    if (!tmp) { snprintf(why, nwhy, "out of memory"); return -1; }
    char *v = trim(tmp);
    /* strip matching quotes around strings and paths */
    size_t len = strlen(v);
    if ((k->type == CR_KEY_STRING || k->type == CR_KEY_PATH) && len >= 2 &&
        ((v[0] == '"' && v[len - 1] == '"') || (v[0] == '\'' && v[len - 1] == '\''))) {
        v[len - 1] = '\0';
        v++;
    }
    int rc = 0;
    switch (k->type) {
    case CR_KEY_REAL: {
        double d;
        e->choice = -1;
        if (k->choices && choice_index(k->choices, v) >= 0) {
            /* a real key that also names values by words (e.g. "first|last") */
            e->choice = choice_index(k->choices, v);
            e->real = NAN;
            break;
        }
        if (parse_real(v, &d)) { snprintf(why, nwhy, "'%s' is not a finite real number", v); rc = -1; break; }
        if (!in_range(k, d)) { snprintf(why, nwhy, "%.17g is out of range", d); rc = -1; break; }
        e->real = d;
        break;
    }
    case CR_KEY_INT: {
        long d;
        if (parse_int(v, &d)) { snprintf(why, nwhy, "'%s' is not an integer", v); rc = -1; break; }
        if (!in_range(k, (double)d)) { snprintf(why, nwhy, "%ld is out of range", d); rc = -1; break; }
        e->ival = d;
        break;
    }
    case CR_KEY_BOOL: {
        bool b;
        if (parse_bool(v, &b)) { snprintf(why, nwhy, "'%s' is not a boolean", v); rc = -1; break; }
        e->bval = b;
        break;
    }
    case CR_KEY_CHOICE: {
        int idx = choice_index(k->choices, v);
        if (idx < 0) { snprintf(why, nwhy, "'%s' is not an allowed choice", v); rc = -1; break; }
        e->choice = idx;
        break;
    }
    case CR_KEY_STRING:
        if ((k->flags & CR_KEY_FILENAME) && (!*v || strchr(v, '/') || !strcmp(v, ".") || !strcmp(v, ".."))) {
            snprintf(why, nwhy, "'%s' is not a file name", v);
            rc = -1;
        }
        break;
    case CR_KEY_PATH: {
        char *p = join_path(dir, v);
        if (!p) { snprintf(why, nwhy, "out of memory"); rc = -1; break; }
        if ((k->flags & CR_KEY_EXISTING) && *p && existing_file(p, why, nwhy)) {
            free(p);
            rc = -1;
            break;
        }
        free(e->path);
        e->path = p;
        break;
    }
    case CR_KEY_REALS: {
        /* tokenise a copy: v itself is stored as the value's text below */
        char *work = cr_strdup(v);
        if (!work) { snprintf(why, nwhy, "out of memory"); rc = -1; break; }
        size_t cap = (append ? e->nlist : 0) + 16, n = append ? e->nlist : 0;
        double *list = malloc(cap * sizeof *list);
        if (!list) { free(work); snprintf(why, nwhy, "out of memory"); rc = -1; break; }
        if (append && e->nlist) memcpy(list, e->list, e->nlist * sizeof *list);
        char *save = NULL;
        for (char *tok = strtok_r(work, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
            double d;
            if (parse_real(tok, &d)) { snprintf(why, nwhy, "list item '%s' is not a finite real number", tok); rc = -1; break; }
            if (!in_range(k, d)) { snprintf(why, nwhy, "list item %.17g is out of range", d); rc = -1; break; }
            if (n == cap) {
                cap *= 2;
                double *nl = realloc(list, cap * sizeof *nl);
                if (!nl) { rc = -1; snprintf(why, nwhy, "out of memory"); break; }
                list = nl;
            }
            list[n++] = d;
        }
        if (rc == 0 && k->max_count > 0 && (int)n > k->max_count) {
            snprintf(why, nwhy, "%zu values given", n);
            rc = -1;
        }
        free(work);
        if (rc) { free(list); break; }
        free(e->list);
        e->list = list;
        e->nlist = n;
        break;
    }
    }
    if (rc == 0) {
        if (append && k->type == CR_KEY_REALS && e->text) {
            size_t m = strlen(e->text) + strlen(v) + 3;
            char *t = malloc(m);
            if (t) {
                snprintf(t, m, "%s, %s", e->text, v);
                free(e->text);
                e->text = t;
            }
        } else {
            free(e->text);
            e->text = cr_strdup(v);
        }
    }
    free(tmp);
    return rc;
}

struct cr_config *cr_config_new(const struct cr_key *const *tables, size_t ntables,
                                const struct cr_log *log)
{
    struct cr_config *cfg = cr_zalloc(1, sizeof *cfg);
    if (!cfg) return NULL;
    cfg->log = log;
    int n = 0;
    for (size_t t = 0; t < ntables; t++)
        for (const struct cr_key *k = tables[t]; k && k->name; k++) n++;
    cfg->e = cr_zalloc((size_t)n, sizeof *cfg->e);
    cfg->file = cr_strdup("");
    cfg->dir = cr_strdup(".");
    if (!cfg->e || !cfg->file || !cfg->dir) { cr_config_release(cfg); return NULL; }
    for (size_t t = 0; t < ntables; t++) {
        for (const struct cr_key *k = tables[t]; k && k->name; k++) {
            if (find(cfg, k->section, k->name)) {
                cr_error(log, "internal error: configuration key %s.%s declared twice", k->section, k->name);
                cr_config_release(cfg);
                return NULL;
            }
            struct entry *e = &cfg->e[cfg->n++];
            e->key = k;
            snprintf(e->origin, sizeof e->origin, "default");
            if (k->flags & CR_KEY_REQUIRED) continue;
            char why[256];
            if (assign(e, k->def ? k->def : "", ".", 0, why, sizeof why)) {
                cr_error(log, "internal error: default of %s.%s ('%s') invalid: %s", k->section, k->name,
                         k->def ? k->def : "", why);
                cr_config_release(cfg);
                return NULL;
            }
        }
    }
    return cfg;
}

/* ---- INI loading ------------------------------------------------------------ */

struct load_ctx {
    struct cr_config *cfg;
    const char *name;   /* file name for messages */
    const char *dir;
    FILE *fp;           /* file stream, or NULL for string */
    const char *str;    /* string source */
    size_t pos;
    int line;           /* lines read so far */
    int too_long;       /* line number of an over-long line */
    int indented;       /* the line just read starts with white space (a list continuation) */
    int err_line;       /* first error line */
    char err[1024];     /* first error message */
    char last_section[128];
    char last_name[128];
    int load;           /* number of this load (cfg->nloads after it began) */
};

static char *reader(char *buf, int num, void *stream)
{
    struct load_ctx *c = stream;
    char *r;
    if (c->fp) {
        r = fgets(buf, num, c->fp);
        if (!r) return NULL;
    } else {
        if (!c->str[c->pos]) return NULL;
        int i = 0;
        while (i < num - 1 && c->str[c->pos]) {
            char ch = c->str[c->pos++];
            buf[i++] = ch;
            if (ch == '\n') break;
        }
        buf[i] = '\0';
        r = buf;
    }
    size_t len = strlen(buf);
    int complete = len > 0 && buf[len - 1] == '\n';
    if (!complete) {
        /* Either the last line without newline, or a line longer than inih's buffer. */
        int more = c->fp ? !feof(c->fp) : c->str[c->pos] != '\0';
        if (more && !c->too_long) c->too_long = c->line + 1;
        if (more) {
            /* swallow the rest of the over-long line */
            if (c->fp) {
                int ch;
                while ((ch = fgetc(c->fp)) != EOF && ch != '\n') {}
            } else {
                while (c->str[c->pos] && c->str[c->pos] != '\n') c->pos++;
                if (c->str[c->pos]) c->pos++;
            }
        }
    }
    c->line++;
    c->indented = buf[0] == ' ' || buf[0] == '\t';
    return r;
}

static void set_err(struct load_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct load_ctx *c, const char *fmt, ...)
{
    if (c->err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->err_line = c->line;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct load_ctx *c = user;
    struct cr_config *cfg = c->cfg;
    if (!section_known(cfg, section)) {
        char secs[1024];
        all_sections(cfg, secs, sizeof secs);
        set_err(c, "%s:%d: unknown section [%s] (key '%s'); known sections: %s", c->name, c->line,
                section, name, secs);
        return 0;
    }
    struct entry *e = find(cfg, section, name);
    if (!e) {
        char keys[2048];
        section_keys(cfg, section, keys, sizeof keys);
        set_err(c, "%s:%d: unknown key '%s.%s'; keys of [%s]: %s", c->name, c->line, section, name,
                section, keys);
        return 0;
    }
    /* only an indented line continues a list; `key = ...` written again is the key given twice */
    int continuation = !strcmp(c->last_section, section) && !strcmp(c->last_name, name) && e->line > 0 &&
                       e->set == 1 && e->load == c->load && c->indented;
    if (e->line > 0 && e->set == 1 && e->load == c->load && !(continuation && e->key->type == CR_KEY_REALS)) {
        set_err(c, "%s:%d: key '%s.%s' given twice (first at line %d)", c->name, c->line, section, name,
                e->line);
        return 0;
    }
    char why[512];
    if (assign(e, value, c->dir, continuation, why, sizeof why)) {
        char allowed[256];
        allowed_text(e->key, allowed, sizeof allowed);
        set_err(c, "%s:%d: %s.%s = %s: %s; allowed: %s", c->name, c->line, section, name, value, why,
                allowed);
        return 0;
    }
    e->set = 1;
    e->load = c->load;
    if (!continuation) e->line = c->line;
    snprintf(e->origin, sizeof e->origin, "%s:%d", c->name, e->line);
    snprintf(c->last_section, sizeof c->last_section, "%s", section);
    snprintf(c->last_name, sizeof c->last_name, "%s", name);
    return 1;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return cr_strdup(".");
    if (slash == path) return cr_strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

static int finish_load(struct cr_config *cfg, struct load_ctx *c, int rc)
{
    if (c->too_long && (!c->err[0] || c->too_long <= c->err_line)) {
        c->err[0] = '\0';
        set_err(c, "%s:%d: line longer than %d characters; split long lists over indented continuation lines",
                c->name, c->too_long, INI_MAX_LINE - 1);
    }
    if (rc > 0 && (!c->err[0] || rc < c->err_line)) {
        cr_error(cfg->log, "%s:%d: syntax error: expected '[section]' or 'key = value'", c->name, rc);
        return CR_ECONFIG;
    }
    if (c->err[0]) {
        cr_error(cfg->log, "%s", c->err);
        return CR_ECONFIG;
    }
    if (rc > 0) {
        cr_error(cfg->log, "%s:%d: syntax error: expected '[section]' or 'key = value'", c->name, rc);
        return CR_ECONFIG;
    }
    if (rc < 0) {
        cr_error(cfg->log, "%s: could not be read", c->name);
        return CR_ECONFIG;
    }
    return CR_OK;
}

int cr_config_load(struct cr_config *cfg, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        cr_error(cfg->log, "%s: cannot open configuration file: %s", path, strerror(errno));
        return CR_ECONFIG;
    }
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        /* a folder opens for reading on Linux and reads as an empty file
           (pipes and /dev/null stay allowed) */
        cr_error(cfg->log, "%s: a folder, not a configuration file", path);
        fclose(fp);
        return CR_ECONFIG;
    }
    char *dir = dir_of(path);
    struct load_ctx c = {.cfg = cfg, .name = path, .dir = dir, .fp = fp, .load = ++cfg->nloads};
    int rc = ini_parse_stream(reader, &c, handler, &c);
    fclose(fp);
    int st = finish_load(cfg, &c, rc);
    if (st == CR_OK) {
        free(cfg->file);
        free(cfg->dir);
        cfg->file = cr_strdup(path);
        cfg->dir = dir;
        dir = NULL;
    }
    free(dir);
    return st;
}

int cr_config_load_string(struct cr_config *cfg, const char *text, const char *name)
{
    char *dir = dir_of(name);
    struct load_ctx c = {.cfg = cfg, .name = name, .dir = dir, .str = text, .load = ++cfg->nloads};
    int rc = ini_parse_stream(reader, &c, handler, &c);
    int st = finish_load(cfg, &c, rc);
    if (st == CR_OK) {
        free(cfg->file);
        free(cfg->dir);
        cfg->file = cr_strdup(name);
        cfg->dir = dir;
        dir = NULL;
    }
    free(dir);
    return st;
}

int cr_config_override(struct cr_config *cfg, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = strchr(assignment, '.');
    if (!eq || !dot || dot > eq) {
        cr_error(cfg->log, "command line: '%s': expected section.key=value", assignment);
        return CR_ECONFIG;
    }
    char section[128], name[128];
    size_t ls = (size_t)(dot - assignment), ln = (size_t)(eq - dot - 1);
    if (ls == 0 || ln == 0 || ls >= sizeof section || ln >= sizeof name) {
        cr_error(cfg->log, "command line: '%s': expected section.key=value", assignment);
        return CR_ECONFIG;
    }
    memcpy(section, assignment, ls);
    section[ls] = '\0';
    memcpy(name, dot + 1, ln);
    name[ln] = '\0';
    char *s = trim(section), *n = trim(name);
    struct entry *e = find(cfg, s, n);
    if (!e) {
        if (!section_known(cfg, s)) {
            char secs[1024];
            all_sections(cfg, secs, sizeof secs);
            cr_error(cfg->log, "command line: unknown section [%s] in '%s'; known sections: %s", s, assignment, secs);
        } else {
            char keys[2048];
            section_keys(cfg, s, keys, sizeof keys);
            cr_error(cfg->log, "command line: unknown key '%s.%s'; keys of [%s]: %s", s, n, s, keys);
        }
        return CR_ECONFIG;
    }
    char why[512];
    if (assign(e, eq + 1, ".", 0, why, sizeof why)) {
        char allowed[256];
        allowed_text(e->key, allowed, sizeof allowed);
        cr_error(cfg->log, "command line: %s.%s = %s: %s; allowed: %s", s, n, eq + 1, why, allowed);
        return CR_ECONFIG;
    }
    e->set = 2;
    snprintf(e->origin, sizeof e->origin, "command line");
    return CR_OK;
}

int cr_config_copy_overrides(struct cr_config *dst, const struct cr_config *src)
{
    for (int i = 0; i < src->n; i++) {
        const struct entry *e = &src->e[i];
        if (e->set != 2) continue;
        const char *v = e->text ? e->text : "";
        size_t len = strlen(e->key->section) + strlen(e->key->name) + strlen(v) + 3;
        char *a = malloc(len);
        if (!a) return CR_ENOMEM;
        snprintf(a, len, "%s.%s=%s", e->key->section, e->key->name, v);
        int rc = cr_config_override(dst, a);
        free(a);
        if (rc) return rc;
    }
    return CR_OK;
}

int cr_config_check_required(const struct cr_config *cfg)
{
    for (int i = 0; i < cfg->n; i++) {
        const struct entry *e = &cfg->e[i];
        const struct cr_key *k = e->key;
        if ((k->flags & CR_KEY_REQUIRED) && !e->set) {
            char allowed[256];
            allowed_text(k, allowed, sizeof allowed);
            cr_error(cfg->log, "%s: required key '%s.%s' is missing (%s; allowed: %s)",
                     *cfg->file ? cfg->file : "configuration", k->section, k->name, k->doc, allowed);
            return CR_ECONFIG;
        }
        if (k->type == CR_KEY_REALS && k->min_count > 0 && (e->set || !(k->flags & CR_KEY_REQUIRED)) &&
            (int)e->nlist < k->min_count && (e->set || e->nlist > 0)) {
            char allowed[256];
            allowed_text(k, allowed, sizeof allowed);
            cr_error(cfg->log, "%s: %s.%s has %zu value%s; allowed: %s", e->set ? e->origin : "default",
                     k->section, k->name, e->nlist, e->nlist == 1 ? "" : "s", allowed);
            return CR_ECONFIG;
        }
    }
    return CR_OK;
}

/* ---- getters ------------------------------------------------------------- */

double cr_config_real(const struct cr_config *cfg, const char *section, const char *name)
{
    return must_find(cfg, section, name, CR_KEY_REAL)->real;
}

int cr_config_real_word(const struct cr_config *cfg, const char *section, const char *name)
{
    const struct entry *e = must_find(cfg, section, name, CR_KEY_REAL);
    return e->key->choices ? e->choice : -1;
}

long cr_config_int(const struct cr_config *cfg, const char *section, const char *name)
{
    return must_find(cfg, section, name, CR_KEY_INT)->ival;
}

bool cr_config_bool(const struct cr_config *cfg, const char *section, const char *name)
{
    return must_find(cfg, section, name, CR_KEY_BOOL)->bval;
}

const char *cr_config_string(const struct cr_config *cfg, const char *section, const char *name)
{
    const struct entry *e = must_find(cfg, section, name, CR_KEY_STRING);
    return e->text ? e->text : "";
}

const char *cr_config_path(const struct cr_config *cfg, const char *section, const char *name)
{
    const struct entry *e = must_find(cfg, section, name, CR_KEY_PATH);
    return e->path ? e->path : "";
}

int cr_config_choice(const struct cr_config *cfg, const char *section, const char *name)
{
    return must_find(cfg, section, name, CR_KEY_CHOICE)->choice;
}

const char *cr_config_choice_name(const struct cr_config *cfg, const char *section, const char *name)
{
    const struct entry *e = must_find(cfg, section, name, CR_KEY_CHOICE);
    return e->text ? e->text : "";
}

const double *cr_config_reals(const struct cr_config *cfg, const char *section, const char *name,
                              size_t *n)
{
    const struct entry *e = must_find(cfg, section, name, CR_KEY_REALS);
    if (n) *n = e->nlist;
    return e->list;
}

int cr_config_is_set(const struct cr_config *cfg, const char *section, const char *name)
{
    const struct entry *e = find(cfg, section, name);
    return e && e->set;
}

const char *cr_config_origin(const struct cr_config *cfg, const char *section, const char *name)
{
    const struct entry *e = find(cfg, section, name);
    return e ? e->origin : "unknown key";
}

const char *cr_config_file(const struct cr_config *cfg) { return cfg->file; }
const char *cr_config_dir(const struct cr_config *cfg) { return cfg->dir; }

/* ---- printing ------------------------------------------------------------- */

static int wanted(const char *section, const char *const *sections)
{
    if (!sections) return 1;
    for (; *sections; sections++)
        if (!strcmp(*sections, section)) return 1;
    return 0;
}

static const char *shown_value(const struct entry *e)
{
    if (e->key->type == CR_KEY_PATH && e->path) return e->path;
    return e->text ? e->text : "";
}

void cr_config_print(const struct cr_config *cfg, FILE *out, const char *const *sections)
{
    const char *cur = NULL;
    fprintf(out, "; resolved configuration%s%s\n", *cfg->file ? " of " : "", cfg->file);
    for (int i = 0; i < cfg->n; i++) {
        const struct entry *e = &cfg->e[i];
        if (!wanted(e->key->section, sections)) continue;
        if (!cur || strcmp(cur, e->key->section)) {
            cur = e->key->section;
            fprintf(out, "\n[%s]\n", cur);
        }
        char allowed[256];
        allowed_text(e->key, allowed, sizeof allowed);
        fprintf(out, "%-22s = %-24s ; [%s] %s (%s; from %s)\n", e->key->name,
                (e->key->flags & CR_KEY_REQUIRED) && !e->set ? "<required>" : shown_value(e),
                (e->key->unit && *e->key->unit) ? e->key->unit : "-", e->key->doc ? e->key->doc : "",
                allowed, e->origin);
    }
}

char *cr_config_to_ini(const struct cr_config *cfg)
{
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    buf[0] = '\0';
    const char *cur = NULL;
    for (int i = 0; i < cfg->n; i++) {
        const struct entry *e = &cfg->e[i];
        char line[8192];
        int w = 0;
        if (!cur || strcmp(cur, e->key->section)) {
            cur = e->key->section;
            w = snprintf(line, sizeof line, "%s[%s]\n", used ? "\n" : "", cur);
        }
        w += snprintf(line + w, sizeof line - (size_t)w, "%s = %s ; %s\n", e->key->name, shown_value(e),
                      (e->key->unit && *e->key->unit) ? e->key->unit : "dimensionless");
        if (w < 0) continue;
        size_t lw = strlen(line);
        if (used + lw + 1 > cap) {
            while (used + lw + 1 > cap) cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
        }
        memcpy(buf + used, line, lw + 1);
        used += lw;
    }
    return buf;
}

static int in_list(const char *const *list, const char *name, size_t n)
{
    if (list)
        for (; *list; list++)
            if (strlen(*list) == n && !strncmp(*list, name, n)) return 1;
    return 0;
}

char *cr_config_ini_select(const struct cr_config *cfg, const char *const *sections, const char *const *skip,
                           int keep_blank)
{
    char *all = cr_config_to_ini(cfg);
    if (!all) return NULL;
    char *out = cr_zalloc(strlen(all) + 1, 1);
    if (!out) {
        free(all);
        return NULL;
    }
    char sec[128] = "";
    int keep = 0;
    size_t o = 0;
    for (char *line = all; *line;) {
        char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) + 1 : strlen(line);
        if (line[0] == '[') {
            const char *close = memchr(line, ']', len);
            size_t n = close ? (size_t)(close - line - 1) : 0;
            if (n >= sizeof sec) n = 0;
            memcpy(sec, line + 1, n);
            sec[n] = '\0';
            keep = (!sections || in_list(sections, sec, n)) && !in_list(skip, sec, n);
        }
        int drop = !keep || line[0] == ';' || line[0] == '#' || (!keep_blank && line[0] == '\n');
        if (!drop && line[0] != '[' && skip) {
            /* "section.key" entries: the key is the line's first word */
            size_t kl = strcspn(line, " =\n");
            char full[300];
            int w = snprintf(full, sizeof full, "%s.%.*s", sec, (int)kl, line);
            if (w > 0 && (size_t)w < sizeof full && in_list(skip, full, (size_t)w)) drop = 1;
        }
        if (!drop) {
            memcpy(out + o, line, len);
            o += len;
        }
        line += len;
    }
    out[o] = '\0';
    free(all);
    return out;
}

void cr_config_print_schema(const struct cr_config *cfg, FILE *out)
{
    const char *cur = NULL;
    for (int i = 0; i < cfg->n; i++) {
        const struct cr_key *k = cfg->e[i].key;
        if (!cur || strcmp(cur, k->section)) {
            cur = k->section;
            fprintf(out, "\n### [%s]\n\n| key | type/allowed | unit | default | description |\n|---|---|---|---|---|\n", cur);
        }
        char allowed[256];
        allowed_text(k, allowed, sizeof allowed);
        fprintf(out, "| `%s` | %s | %s | %s | %s |\n", k->name, allowed, (k->unit && *k->unit) ? k->unit : "-",
                (k->flags & CR_KEY_REQUIRED) ? "(required)" : (k->def && *k->def ? k->def : "\"\""),
                k->doc ? k->doc : "");
    }
}

void cr_config_release(struct cr_config *cfg)
{
    if (!cfg) return;
    for (int i = 0; i < cfg->n; i++) {
        free(cfg->e[i].text);
        free(cfg->e[i].list);
        free(cfg->e[i].path);
    }
    free(cfg->e);
    free(cfg->file);
    free(cfg->dir);
    free(cfg);
}
