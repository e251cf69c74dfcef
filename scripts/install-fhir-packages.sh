#!/usr/bin/env bash
# Installs the FHIR packages OneDoor reads into the standard FHIR package cache
# (${FHIR_PACKAGE_CACHE:-~/.fhir/packages}/<name>#<version>/package/). Each package comes from the
# FHIR package registry where it is reachable, otherwise from ../shared/fhir-packages/, and its
# content is checked against a pinned sha256 before it is used. Packages are never committed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cache=${FHIR_PACKAGE_CACHE:-$HOME/.fhir/packages}
registry=${FHIR_REGISTRY:-https://packages.fhir.org}

# name version archive-sha256 (of the shared copy) content-sha256 (see content_digest)
pins=(
  "hl7.fhir.r4.core 4.0.1 6dd4ff5393a71552a5348e87a8f5a2169cf9cdead0a1aa9302118998af0dc831 7931d043ed3920d91993199a6ec58267a7c1520b63f7fbc6e8aafef239bfeb17"
)

# sha256 over the sha256sum listing of the package's top-level definition files: the same
# whichever way the files were archived.
content_digest() {
  (cd "$1" && LC_ALL=C ls ./*.json | sed 's#^\./##' | grep -vx package.json | xargs sha256sum) |
    sha256sum | cut -d' ' -f1
}

install_one() {
  local name=$1 version=$2 archive_sha=$3 content_sha=$4
  local dest="$cache/$name#$version"
  if [[ -f "$dest/package/package.json" ]]; then
    return 0
  fi
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  local tgz="$tmp/package.tgz"
  local source=""
  if curl -fsSL --connect-timeout 5 --max-time 120 -o "$tgz" "$registry/$name/$version" 2>/dev/null; then
    source="registry $registry"
  else
    local shared="$root/../shared/fhir-packages/$name-$version.tgz"
    if [[ ! -f "$shared" ]]; then
      echo "install-fhir-packages: $name#$version: the registry is unreachable and $shared is absent" >&2
      return 1
    fi
    echo "$archive_sha  $shared" | sha256sum -c --quiet - || {
      echo "install-fhir-packages: $shared does not match its pinned sha256" >&2
      return 1
    }
    cp "$shared" "$tgz"
    source="$shared"
  fi
  mkdir -p "$tmp/x"
  tar xzf "$tgz" -C "$tmp/x"
  local got
  got=$(content_digest "$tmp/x/package")
  if [[ "$got" != "$content_sha" ]]; then
    echo "install-fhir-packages: $name#$version from $source has unexpected content (sha256 $got)" >&2
    return 1
  fi
  mkdir -p "$cache"
  rm -rf "$dest.partial"
  mkdir -p "$dest.partial"
  mv "$tmp/x/package" "$dest.partial/package"
  mv "$dest.partial" "$dest"
  echo "install-fhir-packages: installed $name#$version from $source into $cache"
}

for pin in "${pins[@]}"; do
  # shellcheck disable=SC2086
  install_one $pin
done
