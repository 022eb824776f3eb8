#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, checks
# formatting, builds, and runs every test (unit tests and end-to-end tests
# that run the built art binary).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== lint (swift format) =="
swift format lint --strict --recursive Package.swift Sources Tests
echo "== build =="
swift build --build-tests
echo "== test =="
swift test --skip-build
