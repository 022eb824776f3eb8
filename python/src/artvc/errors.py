"""Exceptions raised by artvc.

Every failure of the ``art`` binary becomes an :class:`ArtError` subclass
chosen by the stable ``code`` of the JSON error object art prints under
``--json`` (see ``Docs/JSON.md``), carrying art's message and hint.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Type


class ArtError(Exception):
    """A command of the art binary failed.

    Attributes:
        code: art's stable error code (``not-found``, ``damaged``, …).
        message: what failed, as art said it.
        hint: what to do about it, when art gave one.
        exit_status: the process's exit status.
        command: the command line that failed (without the binary).
    """

    code = "unknown"

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        hint: Optional[str] = None,
        exit_status: int = 1,
        command: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.hint = hint
        self.exit_status = exit_status
        self.command: List[str] = list(command)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (hint: {self.hint})"
        return self.message


class UsageError(ArtError, ValueError):
    """A bad argument, spec, path or setting (codes ``usage``, ``ambiguous``)."""

    code = "usage"


class NotFoundError(ArtError, LookupError):
    """A version, artifact, object, file, remote or project that does not exist."""

    code = "not-found"


class NotARepositoryError(NotFoundError):
    """No ``.art`` repository at or above the folder."""

    code = "not-a-repository"


class LockTimeoutError(ArtError, TimeoutError):
    """Another art process held the repository lock longer than allowed."""

    code = "lock-timeout"


class ConflictError(ArtError):
    """Local changes a checkout would overwrite, or refs a push cannot merge."""

    code = "conflict"


class ArtIOError(ArtError):
    """A system call failed: disk full, permission, network."""

    code = "io"


class UnsupportedFormatError(ArtError):
    """The repository or a document was written by a newer art."""

    code = "unsupported-format"


class DamagedError(ArtError):
    """Stored data failed a check: a corrupt or truncated pack, index or object."""

    code = "damaged"


class ReferenceChangedError(ArtError):
    """An external reference's data changed since it was recorded."""

    code = "reference-changed"


class ReferenceRefusedError(ArtError):
    """A file reference recorded elsewhere points outside ``[references] allow``."""

    code = "reference-refused"


class DiffersError(ArtError, ValueError):
    """A folder differs from the version it should hold.

    Attributes:
        differences: one ``{"path", "kind"}`` per difference, ``kind`` being
            ``missing``, ``changed`` or ``extra``.
    """

    code = "differs"

    def __init__(
        self, message: str, *, differences: Sequence[Dict[str, Any]] = (), **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.differences: List[Dict[str, Any]] = list(differences)


class BinaryNotFoundError(ArtError, FileNotFoundError):
    """No usable ``art`` binary: not at ``ART_BINARY``, on ``PATH`` or in a build."""

    code = "no-binary"


class ArtifactFinalizedError(ArtError, ValueError):
    """The artifact is a logged version; its files cannot change (use ``new_draft()``)."""

    code = "finalized"


class ArtifactNotLoggedError(ArtError, ValueError):
    """The artifact is a draft not logged yet, so it has no version, id or files."""

    code = "not-logged"


_BY_CODE: Dict[str, Type[ArtError]] = {
    cls.code: cls
    for cls in (
        UsageError,
        NotFoundError,
        NotARepositoryError,
        LockTimeoutError,
        ConflictError,
        ArtIOError,
        UnsupportedFormatError,
        DamagedError,
        ReferenceChangedError,
        ReferenceRefusedError,
        DiffersError,
    )
}
_BY_CODE["ambiguous"] = UsageError


def error_for(code: str) -> Type[ArtError]:
    """The exception class for art's error ``code`` (:class:`ArtError` if unknown)."""
    return _BY_CODE.get(code, ArtError)
