#!/usr/bin/env bash
# tests/install-deps.sh: installs what building and testing kiln needs on Debian 12, then the
# interop readers (npm ci in tests/interop). Installs only what is missing, so it is safe to run
# again, and it leaves an existing Node.js alone: Debian's npm package conflicts with the
# nodejs packages some images ship (NodeSource's bundles npm), and the tests work with Debian's
# Node 18 / npm 9 and with newer ones alike.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(build-essential cmake pkg-config libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev
          libxxhash-dev libyaml-dev check libsubunit-dev libarchive-dev libisal-dev
          gzip bzip2 xz-utils zstd lz4 tar zip libxml2-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root, or install these Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
else
  echo "install-deps: every Debian package kiln needs is installed"
fi

# The readers the interop and CLI tests check kiln's Parquet with, pinned by package-lock.json.
bash "$root/tests/interop/run_interop.sh" setup
