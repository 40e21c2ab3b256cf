#!/bin/sh
# Installs restic (Debian package) for `bun scripts/engine.ts bench`. Idempotent; caches nothing.
set -e
if command -v restic >/dev/null 2>&1; then
  restic version
  exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y restic
restic version
