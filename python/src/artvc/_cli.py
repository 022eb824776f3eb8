"""Running the art binary: one process per call, an argument list, ``--json``."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .errors import ArtError, BinaryNotFoundError, UnsupportedFormatError, error_for

#: The oldest art binary this package works with, and the newest JSON format it reads.
MINIMUM_VERSION: Tuple[int, int, int] = (0, 1, 0)
JSON_FORMAT = 1

logger = logging.getLogger("artvc")

_checked: Dict[str, str] = {}
_rejected: Dict[str, str] = {}
_lock = threading.Lock()


def _candidates() -> List[Tuple[str, str]]:
    """Where to look for art, in order, each with how it was found."""
    found: List[Tuple[str, str]] = []
    explicit = os.environ.get("ART_BINARY")
    if explicit:
        return [(explicit, "ART_BINARY")]
    on_path = shutil.which("art")
    if on_path:
        found.append((on_path, "PATH"))
    # A build in the checkout this package lives in (python/src/artvc/…).
    for parent in Path(__file__).resolve().parents:
        if (parent / "Package.swift").is_file():
            for configuration in ("release", "debug"):
                found.append((str(parent / ".build" / configuration / "art"), "a build"))
            break
    return found


def _parse_version(text: str) -> Optional[Tuple[int, int, int]]:
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    return (int(parts[0]), int(parts[1]), int(parts[2]))


def binary() -> str:
    """The art binary to run: ``ART_BINARY``, else ``art`` on ``PATH``, else a build
    in the checkout holding this package; its version is checked once.

    Raises:
        BinaryNotFoundError: none found, or the one found is not a usable art.
    """
    candidates = _candidates()
    problems: List[str] = []
    for path, source in candidates:
        with _lock:
            if path in _checked:
                return path
            if path in _rejected:  # checked once: not started again on every call
                problems.append(_rejected[path])
                continue
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problems.append(f"{path} ({source}) is not an executable file")
            continue
        try:
            completed = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=30, check=False
            )
        except OSError as error:
            problems.append(f"{path} ({source}) does not run: {error}")
            continue
        version = _parse_version(completed.stdout)
        if completed.returncode != 0 or version is None:
            problems.append(f"{path} ({source}) is not art: '--version' printed {completed.stdout!r}")
            continue
        if version < MINIMUM_VERSION or version[0] != MINIMUM_VERSION[0]:
            wanted = ".".join(map(str, MINIMUM_VERSION))
            problem = (
                f"{path} ({source}) is art {completed.stdout.strip()}; "
                f"artvc needs {wanted} or a later {MINIMUM_VERSION[0]}.x"
            )
            with _lock:
                _rejected[path] = problem
            problems.append(problem)
            continue
        with _lock:
            _checked[path] = completed.stdout.strip()
        return path
    raise BinaryNotFoundError(
        "no usable art binary" + (": " + "; ".join(problems) if problems else " on PATH"),
        hint="build it (swift build -c release) and put .build/release/art on PATH, "
        "or set ART_BINARY to its path",
    )


def run(
    arguments: Sequence[str],
    *,
    directory: Optional[str] = None,
    lock_timeout: Optional[int] = None,
) -> Dict[str, Any]:
    """Runs ``art ARGUMENTS --json`` and returns its JSON document.

    ``directory`` becomes ``-C DIRECTORY``. Warnings art prints on standard
    error go to the ``artvc`` logger.

    Raises:
        ArtError: the subclass for the error object's code, with art's
            message and hint; :class:`ArtError` itself when art printed no
            JSON (it crashed or was killed).
    """
    command: List[str] = []
    if directory is not None:
        command += ["-C", directory]
    if lock_timeout is not None:
        command += ["--lock-timeout", str(lock_timeout)]
    command += list(arguments)
    command.append("--json")
    completed = subprocess.run(
        [binary(), *command], capture_output=True, check=False, stdin=subprocess.DEVNULL
    )
    stderr = completed.stderr.decode("utf-8", "replace")
    for line in stderr.splitlines():
        if line.startswith("art: warning:"):
            logger.warning("%s", line)
        elif line and not line.startswith(("art: error:", "art: hint:")):
            logger.info("%s", line)
    try:
        document = json.loads(completed.stdout)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        tail = stderr.strip().splitlines()[-3:]
        raise ArtError(
            f"art {' '.join(list(arguments)[:2])} exited with status {completed.returncode} "
            "without a JSON document" + (": " + " / ".join(tail) if tail else ""),
            exit_status=completed.returncode,
            command=command,
        )
    if document.get("format", 0) > JSON_FORMAT:
        raise UnsupportedFormatError(
            f"art printed JSON format {document.get('format')}; this artvc reads format {JSON_FORMAT}",
            hint="upgrade the artvc package",
            command=command,
        )
    error = document.get("error")
    if isinstance(error, dict):
        code = str(error.get("code", "unknown"))
        raise error_for(code)(
            str(error.get("message", "art failed")),
            code=code,
            hint=error.get("hint"),
            exit_status=int(error.get("exitStatus", completed.returncode)),
            command=command,
        )
    return document
