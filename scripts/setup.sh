#!/usr/bin/env bash
# Installs what building art needs on a fresh Debian machine: the zlib, lz4,
# zstd and libdeflate development packages. Safe to run again; does nothing
# when present.
set -euo pipefail

missing=()
for package in zlib1g-dev liblz4-dev libzstd-dev libdeflate-dev pkg-config; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected Swift 6.3 at /opt/swift)"; exit 1; }
