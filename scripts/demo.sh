#!/usr/bin/env bash
# The README's first command: sets up what is missing, starts RabbitMQ on 127.0.0.1 when
# none answers, builds, and runs mts-relay's main job on local defaults.
#
# Until the daemon (`mts-relay run`) lands, the main job is the broker check: connect,
# round-trip messages with publisher confirms and manual acks, report.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
mkdir -p var   # the example configuration keeps its store and result file here
swift build -c release --product mts-relay
.build/release/mts-relay check-broker --count "${MTS_RELAY_DEMO_COUNT:-10000}"
