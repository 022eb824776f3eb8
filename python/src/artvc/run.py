"""Runs: lineage the W&B way, from what a job uses and what it logs."""

from __future__ import annotations

import secrets
from types import TracebackType
from typing import Any, Dict, List, Optional, Sequence, Type, Union

from .artifact import Artifact, PathLike, check_spec
from .repository import Repository


class Run:
    """One job of a pipeline (W&B's run): every version it uses becomes an input of
    every version it logs, so ``art lineage`` draws the graph.

    Make one with :func:`run`; use it as a context manager or call ``finish()``.
    """

    def __init__(
        self,
        repository: Repository,
        job_type: Optional[str] = None,
        run_id: Optional[str] = None,
        group: Optional[str] = None,
    ) -> None:
        self.repository = repository
        self.job_type = job_type
        self.id = run_id or secrets.token_hex(4)
        self.group = group
        # Versions of other projects used: recorded as inputs of what is logged.
        self._project_inputs: List[str] = []
        self.finished = False

    def __repr__(self) -> str:
        return f"<Run {self.id} ({self.job_type or 'no job type'})>"

    def __enter__(self) -> "Run":
        return self

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.finish()

    def finish(self) -> None:
        """Ends the run; nothing is pending, so this only marks it finished."""
        self.finished = True

    def _job(self) -> List[str]:
        return ["--job", self.job_type] if self.job_type else []

    def use_artifact(self, spec: Union[str, Artifact], type: Optional[str] = None) -> Artifact:
        """The version ``spec`` names, recorded as used by this run (``art use``): it
        becomes an input of what the run logs afterwards. ``PROJECT/NAME:ALIAS``
        of another project is recorded as an input too; a remote's version
        (``origin/NAME:ALIAS``) is read but, not being here, is no input."""
        if isinstance(spec, Artifact):
            spec = spec._spec()
        origin = self.repository._origin_of(check_spec(spec))
        if origin:
            artifact = self.repository.use_artifact(spec, type)
            if origin.rstrip("/") in self.repository._project_names():
                self._project_inputs.append(f"{origin}{artifact.name}:{artifact.version}")
            return artifact
        document = self.repository._run(["use", spec, "--run", self.id, *self._job()])
        artifact = Artifact._logged(self.repository, document)
        self.repository._check_type(artifact, type)
        return artifact

    def log_artifact(
        self, artifact: Artifact, aliases: Sequence[str] = (), tags: Sequence[str] = ()
    ) -> Artifact:
        """Logs ``artifact`` as the next version of its name, made by this run: every
        version the run used is one of its inputs."""
        return self.repository.log_artifact(
            artifact,
            aliases,
            tags,
            _run_id=self.id,
            _job_type=self.job_type,
            _inputs=self._project_inputs,
        )

    def upsert_artifact(
        self,
        artifact: Artifact,
        distributed_id: Optional[str] = None,
        *,
        worker: Optional[str] = None,
        remote: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Adds this worker's files to the shared draft ``distributed_id`` (default:
        the run's ``group``); see ``Repository.upsert_artifact``."""
        return self.repository.upsert_artifact(
            artifact, self._distributed_id(distributed_id), worker=worker or self.id, remote=remote
        )

    def finish_artifact(
        self,
        artifact: Artifact,
        distributed_id: Optional[str] = None,
        aliases: Sequence[str] = (),
        *,
        remote: Optional[str] = None,
    ) -> Artifact:
        """Makes the version from every part of ``distributed_id`` (default: the run's
        ``group``), made by this run."""
        return self.repository.finish_artifact(
            artifact,
            self._distributed_id(distributed_id),
            aliases,
            remote=remote,
            _run_id=self.id,
            _job_type=self.job_type,
        )

    def _distributed_id(self, given: Optional[str]) -> str:
        value = given or self.group
        if not value:
            raise ValueError("give distributed_id=..., or run(group=...) to share one")
        return value


def run(
    job_type: Optional[str] = None,
    run_id: Optional[str] = None,
    repository: Union[Repository, PathLike, None] = None,
    group: Optional[str] = None,
) -> Run:
    """Starts a run in ``repository`` (a Repository or a path; default: the one at
    or above the current folder).

    ``with artvc.run(job_type="train") as r: data = r.use_artifact("features:latest")``
    """
    if not isinstance(repository, Repository):
        repository = Repository(repository if repository is not None else ".")
    return Run(repository, job_type=job_type, run_id=run_id, group=group)
