#ifndef MTS_RELAY_BUILD_INFO_H
#define MTS_RELAY_BUILD_INFO_H

/// The git commit the executable was built from, as scripts/lib/build-info.sh passes it
/// (`-Xcc -DMTS_RELAY_GIT_COMMIT="..."`), or "" for a plain `swift build`.
const char *mts_relay_git_commit(void);

#endif
