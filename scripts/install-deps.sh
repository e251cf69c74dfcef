#!/usr/bin/env bash
# Installs what OneDoor needs to build and test, from Debian 12's packages, when it is missing.
# Usage: scripts/install-deps.sh [--test]   (--test adds what the test suite needs: PostgreSQL)
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config git ca-certificates curl
  libpoco-dev rapidjson-dev libxml2-dev libssl-dev libboost-test-dev libsqlite3-dev libpq-dev
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(postgresql openssl)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (${missing[*]}); run as root or install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
