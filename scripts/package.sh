#!/usr/bin/env bash
# Builds the Debian package dist/mts-relay_<version>_<arch>.deb, in one command:
#   - /usr/bin/mts-relay: `swift build -c release --static-swift-stdlib`, the git commit embedded
#     (scripts/lib/build-info.sh), debug info stripped (the symbol table stays, for backtraces);
#   - /lib/systemd/system/mts-relay.service and /etc/logrotate.d/mts-relay (systemd/);
#   - /etc/mts-relay/mts-relay.yaml, the production template (config/), a conffile;
#   - the man page (swift-argument-parser's generate-manual tool) and bash completion;
#   - the maintainer scripts of packaging/debian/ (user, state directory, /etc/mts-relay/env);
#   - examples: the HA drop-in and monitoring/alerts.yaml, under /usr/share/doc/mts-relay;
#   - Depends: computed by dpkg-shlibdeps from the shared libraries the binary links.
# Needs the Swift toolchain, dpkg-dev (dpkg-shlibdeps) and what scripts/setup.sh installs.
#   MTS_RELAY_SKIP_BUILD=1 packages the existing release build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

version="$(sed -n 's/^ *static let number = "\(.*\)"$/\1/p' Sources/MTSRelayCommand/MTSRelayVersion.swift)"
[ -n "$version" ] || { echo "package: no version in MTSRelayVersion.swift" >&2; exit 1; }
arch="$(dpkg --print-architecture)"
name="mts-relay_${version}_${arch}"
say() { echo "package: $*" >&2; }

mapfile -t build_info < <(bash scripts/lib/build-info.sh)
if [ "${MTS_RELAY_SKIP_BUILD:-0}" != 1 ]; then
  say "release build with --static-swift-stdlib ${build_info[*]} (slow: tens of minutes on 2 cores)"
  started=$(date +%s)
  swift build -c release --static-swift-stdlib --product mts-relay "${build_info[@]}"
  say "release build took $(( $(date +%s) - started )) s"
fi
binary="$(swift build -c release --show-bin-path)/mts-relay"

stage="$(mktemp -d /tmp/mts-relay-package.XXXXXX)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/$name"

install -D -m 0755 "$binary" "$pkg/usr/bin/mts-relay"
strip --strip-debug "$pkg/usr/bin/mts-relay"
install -D -m 0644 systemd/mts-relay.service "$pkg/lib/systemd/system/mts-relay.service"
install -D -m 0644 systemd/mts-relay.logrotate "$pkg/etc/logrotate.d/mts-relay"
install -D -m 0644 config/mts-relay.yaml "$pkg/etc/mts-relay/mts-relay.yaml"
install -D -m 0644 systemd/mts-relay.service.d/ha.conf "$pkg/usr/share/doc/mts-relay/examples/ha.conf"
install -D -m 0644 monitoring/alerts.yaml "$pkg/usr/share/doc/mts-relay/examples/alerts.yaml"
install -D -m 0644 packaging/debian/copyright "$pkg/usr/share/doc/mts-relay/copyright"

# Bash completion, from the binary itself.
install -d "$pkg/usr/share/bash-completion/completions"
"$pkg/usr/bin/mts-relay" --generate-completion-script bash >"$pkg/usr/share/bash-completion/completions/mts-relay"

# The man page: swift-argument-parser's generate-manual tool (what its `swift package
# generate-manual` plugin runs) on the release binary. The plugin itself would rebuild every
# product in a build of its own first (15 minutes and more here), for the same page.
say "man page (swift-argument-parser's generate-manual)"
swift build --product generate-manual >&2
manual="$stage/manual"
mkdir -p "$manual"
"$(swift build --show-bin-path)/generate-manual" "$pkg/usr/bin/mts-relay" --output-directory "$manual" >&2
install -d "$pkg/usr/share/man/man1"
gzip -9n <"$manual/mts-relay.1" >"$pkg/usr/share/man/man1/mts-relay.1.gz"

# Depends: what the binary links, as dpkg-shlibdeps maps the libraries to their packages.
mkdir -p "$stage/debian"
printf 'Source: mts-relay\n\nPackage: mts-relay\nArchitecture: any\n' >"$stage/debian/control"
shlibs="$(cd "$stage" && dpkg-shlibdeps -O "$pkg/usr/bin/mts-relay" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlibs" ] || { echo "package: dpkg-shlibdeps found no libraries" >&2; exit 1; }
say "Depends: $shlibs"

install -d "$pkg/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 "packaging/debian/$script" "$pkg/DEBIAN/$script"
done
printf '/etc/mts-relay/mts-relay.yaml\n/etc/logrotate.d/mts-relay\n' >"$pkg/DEBIAN/conffiles"
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: mts-relay
Version: $version
Architecture: $arch
Maintainer: mts-relay maintainers <mts-relay@localhost>
Section: net
Priority: optional
Depends: $shlibs, adduser
Recommends: systemd, logrotate
Installed-Size: $(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
Homepage: https://github.com/mts-relay/mts-relay
Description: Sportradar MTS reply correlation relay
 Pairs Sportradar MTS replies from RabbitMQ with the requests the platform
 sent, decides each outcome by event time (matched, timeout, late,
 duplicate, unmatched, invalid) and forwards every result to file, HTTP
 and AMQP sinks. A systemd service with a Prometheus endpoint.
CONTROL

mkdir -p dist
dpkg-deb --root-owner-group -Zxz --build "$pkg" "dist/$name.deb" >&2
say "built dist/$name.deb ($(du -h "dist/$name.deb" | cut -f1))"
echo "$root/dist/$name.deb"
