/* cr_version.h — version, git hash, compiler and flags of this build. */
#ifndef CR_VERSION_H
#define CR_VERSION_H

const char *cr_version(void);       /* "0.1.0" */
const char *cr_version_git(void);   /* git hash (with "-dirty"), or "unknown" */
const char *cr_version_build(void); /* compiler and flags */
/* "cusprate 0.1.0 (git abc123)" — what output files record. */
const char *cr_version_full(void);

#endif
