"""artvc: a Python API for art, version control for datasets and ML artifacts.

Shaped like W&B Artifacts, so W&B snippets port by changing the import::

    import artvc

    repo = artvc.init("project")
    with artvc.run(job_type="prepare", repository=repo) as run:
        artifact = artvc.Artifact("imagenet_train", type="dataset")
        artifact.add_dir("data/train")
        run.log_artifact(artifact, aliases=["production"])

Every call runs the ``art`` binary once (or a few times) with ``--json``;
nothing else is parsed. Errors raise :class:`ArtError` subclasses chosen by
art's stable error codes.
"""

from .artifact import Artifact, ArtifactEntry, RunInfo
from .errors import (
    ArtError,
    ArtifactFinalizedError,
    ArtifactNotLoggedError,
    ArtIOError,
    BinaryNotFoundError,
    ConflictError,
    DamagedError,
    DiffersError,
    LockTimeoutError,
    NotARepositoryError,
    NotFoundError,
    ReferenceChangedError,
    ReferenceRefusedError,
    UnsupportedFormatError,
    UsageError,
)
from .repository import (
    MISSING,
    ArtifactSummary,
    Change,
    Diff,
    GCDecision,
    GCResult,
    MetadataChange,
    Repository,
    RowsDiff,
    clone,
    init,
)
from .run import Run, run

__version__ = "0.1.0"

__all__ = [
    "MISSING",
    "ArtError",
    "ArtIOError",
    "Artifact",
    "ArtifactEntry",
    "ArtifactFinalizedError",
    "ArtifactNotLoggedError",
    "ArtifactSummary",
    "BinaryNotFoundError",
    "Change",
    "ConflictError",
    "DamagedError",
    "Diff",
    "DiffersError",
    "GCDecision",
    "GCResult",
    "LockTimeoutError",
    "MetadataChange",
    "NotARepositoryError",
    "NotFoundError",
    "ReferenceChangedError",
    "ReferenceRefusedError",
    "Repository",
    "RowsDiff",
    "Run",
    "RunInfo",
    "UnsupportedFormatError",
    "UsageError",
    "clone",
    "init",
    "run",
]
