#!/usr/bin/env bash
# Prints the `swift build` arguments that embed the git commit in mts-relay (its --version and
# its start log line): `-Xcc -DMTS_RELAY_GIT_COMMIT="<12 hex digits>[-dirty]"`. Outside a git
# checkout it prints nothing and the binary says "unknown commit". Usage:
#   swift build -c release $(bash scripts/lib/build-info.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
commit="$(git rev-parse --short=12 HEAD 2>/dev/null)" || exit 0
git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
printf '%s\n' "-Xcc" "-DMTS_RELAY_GIT_COMMIT=\"$commit\""
