#include "build_info.h"

// A C string macro is the one way a build command can hand a value to the code: Swift's -D
// defines carry no value. Without it (a plain `swift build`) the commit is unknown.
#ifndef MTS_RELAY_GIT_COMMIT
#define MTS_RELAY_GIT_COMMIT ""
#endif

const char *mts_relay_git_commit(void) { return MTS_RELAY_GIT_COMMIT; }
