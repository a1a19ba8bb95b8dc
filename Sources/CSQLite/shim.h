// The one door from Swift into libsqlite3 (Debian's libsqlite3-dev, 3.40 on bookworm).
// Only MTSCorrelation's store imports this. Each wrapper below exists because Swift cannot use
// the C declaration as it stands; the comment on it says why.
#ifndef MTS_RELAY_CSQLITE_SHIM_H
#define MTS_RELAY_CSQLITE_SHIM_H

// pkg-config's sqlite3 gives no -I flag; the header is on the default include path.
#include <sqlite3.h>

// SQLITE_TRANSIENT is the macro ((sqlite3_destructor_type)-1): a cast of an integer to a
// function pointer, which Swift does not import. It tells SQLite to copy the bound bytes at
// once, so the Swift buffer need only live for the duration of the bind call. These wrappers
// pass it on Swift's behalf.
static inline int mts_sqlite3_bind_text_transient(sqlite3_stmt *statement, int index,
                                                  const char *text, int byteCount) {
    return sqlite3_bind_text(statement, index, text, byteCount, SQLITE_TRANSIENT);
}

static inline int mts_sqlite3_bind_blob_transient(sqlite3_stmt *statement, int index,
                                                  const void *bytes, int byteCount) {
    return sqlite3_bind_blob(statement, index, bytes, byteCount, SQLITE_TRANSIENT);
}

#endif
