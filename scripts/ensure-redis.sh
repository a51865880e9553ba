#!/usr/bin/env bash
# Installs redis-server from Debian's packages when it is missing (needs root or sudo). The
# @rephysco/cache-redis tests start their own server on a free port; nothing runs as a service.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and this system has no apt-get: install Redis (for example 'brew install redis') so that redis-server is on the PATH." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package may start a system service; the tests do not use it.
command -v redis-server
