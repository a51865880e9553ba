#!/usr/bin/env bash
# Installs Portkey's open-source gateway (@portkey-ai/gateway, pinned) for the gateway benchmark,
# with npm, in its own folder OUTSIDE the workspace: its postinstall patch step does not run under
# pnpm. Idempotent: does nothing when that version is already there. The folder is $PORTKEY_DIR,
# else ${XDG_CACHE_HOME:-$HOME/.cache}/rephysco-bench/portkey; the benchmark looks in the same
# place. Prints the folder. Needs npm and the npm registry; nothing is started.
# Portkey's postinstall is `patch-package`; the published package ships no patches/ folder, so it
# has nothing to apply (npm 11 may also hold it back until approved and say so: harmless).
set -euo pipefail
VERSION="${PORTKEY_VERSION:-1.15.2}"
DIR="${PORTKEY_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rephysco-bench/portkey}"
PKG="$DIR/node_modules/@portkey-ai/gateway"
installed() {
  [ -f "$PKG/build/start-server.js" ] &&
    node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
      "$PKG/package.json" "$VERSION"
}
if installed; then
  echo "$DIR"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: install Node.js with npm, then rerun $0" >&2
  exit 1
fi
mkdir -p "$DIR"
cd "$DIR"
# A package.json of its own, so that npm installs here and never walks up into a workspace.
[ -f package.json ] || echo '{ "name": "rephysco-bench-portkey", "private": true }' >package.json
npm install --no-audit --no-fund --save-exact "@portkey-ai/gateway@$VERSION" >&2
installed || {
  echo "@portkey-ai/gateway@$VERSION did not install into $DIR" >&2
  exit 1
}
echo "$DIR"
