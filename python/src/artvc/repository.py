"""A handle on an art repository: log, use, list, diff, gc, remotes, projects."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Union, overload

from . import _cli
from .artifact import (
    Artifact,
    PathLike,
    check_label,
    check_spec,
    duration_text,
    label_list,
)
from .errors import NotARepositoryError, UsageError

Duration = Union[timedelta, str, int]


def _strings(value: Union[str, Sequence[str], None]) -> List[str]:
    """One string, or a sequence of them, as a list (never a string's characters)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class Change:
    """One path that differs between two versions (or a version and a folder).

    Attributes:
        status: ``A`` added, ``D`` deleted, ``M`` modified, ``R`` renamed.
        path: the path (the new one for a rename).
        old_path: the path before a rename.
        old_size: bytes before (absent for an added path).
        new_size: bytes after (absent for a deleted path).
        reference: the entry's bytes live outside the store.
        target: the version a bundle entry names.
        old_mode: permission bits before, in octal (``"755"``), when they changed.
        new_mode: permission bits after, when they changed. A folder whose
            mode changed is an ``M`` change with these and no sizes.
    """

    status: str
    path: str
    old_path: Optional[str] = None
    old_size: Optional[int] = None
    new_size: Optional[int] = None
    reference: bool = False
    target: Optional[str] = None
    old_mode: Optional[str] = None
    new_mode: Optional[str] = None


@dataclass(frozen=True)
class MetadataChange:
    """A metadata key that differs (dotted for nested keys); ``old`` or ``new`` is
    missing (``MISSING``) when the key was added or removed."""

    key: str
    old: Any
    new: Any


#: The value of ``MetadataChange.old``/``new`` for a key one side lacks.
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


@dataclass(frozen=True)
class Diff:
    """What ``Repository.diff`` found.

    Attributes:
        changes: every path that differs, sorted by path.
        totals: counts (``added``, ``removed``, ``modified``, ``renamed``,
            ``bytesAdded``, ``bytesRemoved``, ``references``).
        metadata: metadata keys that differ between two versions.
    """

    changes: List[Change]
    totals: Dict[str, int]
    metadata: List[MetadataChange] = field(default_factory=list)


@dataclass(frozen=True)
class RowsDiff:
    """A row-level comparison of one modified CSV, TSV or JSON Lines file.

    ``schema``, ``rows`` and ``examples`` are art's objects as documented in
    ``Docs/JSON.md`` (``art diff --rows``); ``error`` says why a file could
    not be compared.
    """

    path: str
    format: str
    key: List[str]
    schema: Dict[str, Any]
    rows: Dict[str, int]
    examples: Dict[str, Any]
    error: Optional[str] = None


@dataclass(frozen=True)
class GCDecision:
    """gc's fate for one version and the rule that decided it."""

    version: str
    id: str
    keep: bool
    reason: str


@dataclass(frozen=True)
class GCResult:
    """What ``Repository.gc`` did (or, with ``dry_run``, would do).

    Attributes:
        dry_run: nothing was changed.
        decisions: every version with keep or drop and why.
        dropped: versions dropped.
        bytes_reclaimed: bytes of packs freed.
        artifacts_gone: artifacts every version of which was dropped.
        report: art's whole JSON document.
    """

    dry_run: bool
    decisions: List[GCDecision]
    dropped: int
    bytes_reclaimed: int
    artifacts_gone: List[str]
    report: Dict[str, Any]


@dataclass(frozen=True)
class ArtifactSummary:
    """One artifact (a W&B collection): its type, how many versions, the latest."""

    name: str
    type: str
    versions: int
    latest: str
    files: int
    bytes: int


def _find_top(path: str) -> Optional[str]:
    folder = os.path.abspath(path)
    while True:
        if os.path.isdir(os.path.join(folder, ".art")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _metadata_condition(key: str, value: Any) -> Optional[str]:
    """``KEY=VALUE`` for art's filter when art types VALUE back to ``value``, else None."""
    if isinstance(value, bool):
        return f"{key}={'true' if value else 'false'}"
    if value is None:
        return f"{key}=null"
    if isinstance(value, (int, float)):
        return f"{key}={value!r}"
    if isinstance(value, str):
        if value in ("true", "false", "null") or value.startswith("+"):
            return None
        try:
            float(value)
            return None
        except ValueError:
            return f"{key}={value}"
    return None


def _metadata_value(metadata: Mapping[str, Any], key: str) -> Any:
    if key in metadata:
        return metadata[key]
    value: Any = metadata
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value


class Repository:
    """An art repository: the folder holding ``.art`` (or one below it).

    Every method runs the art binary once or a few times with ``--json``.

    Raises:
        NotARepositoryError: no ``.art`` at or above ``path``.
    """

    def __init__(self, path: PathLike = ".", lock_timeout: Optional[int] = None) -> None:
        top = _find_top(os.fspath(path))
        if top is None:
            raise NotARepositoryError(
                f"no art repository at or above {os.path.abspath(os.fspath(path))}",
                hint="create one with artvc.init(path) or 'art init'",
            )
        self.path = top
        self.lock_timeout = lock_timeout
        self._projects: Optional[List[str]] = None

    def __repr__(self) -> str:
        return f"<Repository {self.path}>"

    def _run(self, arguments: Sequence[str]) -> Dict[str, Any]:
        return _cli.run(arguments, directory=self.path, lock_timeout=self.lock_timeout)

    def _contains(self, path: str) -> bool:
        """Whether ``path`` is inside the repository's folder and not in ``.art``."""
        real = os.path.realpath(path)
        top = os.path.realpath(self.path)
        inside = real == top or real.startswith(top + os.sep)
        return inside and not (real + os.sep).startswith(os.path.join(top, ".art") + os.sep)

    def _project_names(self) -> List[str]:
        if self._projects is None:
            self._projects = [p["name"] for p in self._run(["project", "ls"])["projects"]]
        return self._projects

    def _origin_of(self, spec: str) -> str:
        """``PROJECT/`` or ``REMOTE/`` when ``spec`` names a version elsewhere, else ``""``."""
        if "/" not in spec.split(":", 1)[0]:
            return ""
        return spec.split("/", 1)[0] + "/"

    # -- logging --------------------------------------------------------------

    def log_artifact(
        self,
        artifact: Artifact,
        aliases: Sequence[str] = (),
        tags: Sequence[str] = (),
        *,
        _run_id: Optional[str] = None,
        _job_type: Optional[str] = None,
        _inputs: Sequence[str] = (),
    ) -> Artifact:
        """Makes ``artifact`` (a draft) the next version of its name and returns it,
        logged. When its contents equal the latest version's, no version is
        made and that one is returned (as W&B does).

        ``aliases`` point at the new version (``latest`` always does);
        ``tags`` are added to it.
        """
        if not isinstance(artifact, Artifact):
            raise TypeError(f"log_artifact takes an artvc.Artifact, not {type(artifact).__name__}")
        artifact._require_draft()
        aliases = label_list(aliases, "alias")
        tags = label_list(tags, "tag")
        if artifact._base is not None and not artifact._has_contents():
            said = (artifact._description, artifact._metadata)
            if artifact._base_said == said and artifact._draft_ttl is None:
                # Nothing changed: the version it was drafted from, as W&B returns it.
                base = self.artifact(artifact._base)
                artifact._become_logged(self, dict(base._info), "")
                self._label(artifact, aliases, tags)
                return artifact
        elif not artifact._has_contents():
            raise UsageError(
                f"artifact {artifact.name!r} is empty",
                hint="add_file, add_dir, new_file or add_reference before logging it",
                exit_status=64,
            )
        contents, adds_file = artifact._commit_arguments(self)
        arguments = ["commit", artifact.name, *contents]
        try:
            recording, metadata_file = artifact._recording_arguments(aliases, _run_id, _job_type)
        except BaseException:
            if adds_file:
                os.unlink(adds_file)
            raise
        for spec in _inputs:
            recording += ["--input", spec]
        try:
            document = self._run(arguments + recording)
            if not document.get("created", True) and (
                artifact._description or artifact._metadata or artifact._draft_ttl
            ):
                # The same files: a new version only if what is said about them differs.
                same = self.artifact(str(document["id"]))
                if (
                    (artifact._description or "") != (same.description or "")
                    or artifact._metadata != same.metadata
                    or artifact._draft_ttl != same.ttl
                ):
                    document = self._run(arguments + recording + ["--allow-empty"])
        finally:
            for temporary in (metadata_file, adds_file):
                if temporary:
                    os.unlink(temporary)
        created = bool(document.get("created", True))
        artifact._become_logged(self, document, "")
        self._label(artifact, [] if created else aliases, tags)
        return artifact

    def _label(self, artifact: Artifact, aliases: Sequence[str], tags: Sequence[str]) -> None:
        """Points ``aliases`` at a logged version and adds ``tags`` to it."""
        for alias in aliases:
            if alias != "latest":
                artifact.link(alias)
        if tags:
            self._run(["tag", "add", artifact.id, *tags])
            artifact._refresh()

    def upsert_artifact(
        self,
        artifact: Artifact,
        distributed_id: str,
        *,
        worker: Optional[str] = None,
        remote: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Adds this process's files to the version many workers build together under
        ``distributed_id`` (any number may upsert at once); ``finish_artifact``
        then makes it. Every file must sit at its path below one folder.

        Returns art's ``upsert`` document (files, bytes, worker).
        """
        arguments = ["upsert", artifact.name, "--distributed-id", check_label(distributed_id, "distributed id")]
        arguments += artifact._upsert_arguments()
        if worker:
            arguments += ["--worker", worker]
        if remote:
            arguments += ["--remote", remote]
        return self._run(arguments)

    def finish_artifact(
        self,
        artifact: Artifact,
        distributed_id: str,
        aliases: Sequence[str] = (),
        *,
        remote: Optional[str] = None,
        _run_id: Optional[str] = None,
        _job_type: Optional[str] = None,
    ) -> Artifact:
        """Merges every part upserted under ``distributed_id`` into the next version of
        ``artifact.name``, with ``artifact``'s type, description, metadata and TTL."""
        arguments = ["finish", artifact.name, "--distributed-id", check_label(distributed_id, "distributed id")]
        recording, metadata_file = artifact._recording_arguments(
            label_list(aliases, "alias"), _run_id, _job_type
        )
        if remote:
            recording += ["--remote", remote]
        try:
            document = self._run(arguments + recording)
        finally:
            if metadata_file:
                os.unlink(metadata_file)
        artifact._become_logged(self, document, "")
        return artifact

    # -- reading --------------------------------------------------------------

    def use_artifact(self, spec: str, type: Optional[str] = None) -> Artifact:
        """The version ``spec`` names: ``NAME``, ``NAME:vN``, ``NAME:ALIAS``, an id
        prefix, ``PROJECT/NAME:ALIAS`` (after ``add_project``) or
        ``REMOTE/NAME:ALIAS``. Records no lineage: use ``run()`` for that.

        Raises:
            NotFoundError: no such version.
            UsageError: a malformed spec, or ``type`` differs from the artifact's.
        """
        origin = self._origin_of(check_spec(spec))
        if origin:
            document = self._run(["show", spec])
            artifact = Artifact._logged(self, document, origin)
            artifact._take_show(document)
        else:
            artifact = Artifact._logged(self, self._run(["rev-parse", spec]))
        self._check_type(artifact, type)
        return artifact

    def artifact(self, spec: str, type: Optional[str] = None) -> Artifact:
        """The version ``spec`` names (W&B's ``Api.artifact``); see ``use_artifact``."""
        return self.use_artifact(spec, type)

    @staticmethod
    def _check_type(artifact: Artifact, type: Optional[str]) -> None:
        if type is not None and artifact.type != type:
            raise UsageError(
                f"{artifact.qualified_name} has type {artifact.type!r}, not {type!r}",
                hint="drop type= or use the artifact of that type",
                exit_status=64,
            )

    def artifacts(
        self,
        type: Optional[str] = None,
        name: Union[str, Sequence[str], None] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        alias: Union[str, Sequence[str], None] = None,
        tag: Union[str, Sequence[str], None] = None,
        since: Union[datetime, str, None] = None,
        until: Union[datetime, str, None] = None,
    ) -> List[Artifact]:
        """Every version matching all the conditions given, newest first within each
        artifact: ``type``, ``name`` globs (``server_logs_2024_*``), ``metadata``
        values (``{"year": 2024}``; a dotted key reaches into nested objects),
        ``alias``, ``tag``, and a time range."""
        arguments = ["log"]
        if type:
            arguments += ["--type", type]
        for glob in [name] if isinstance(name, str) else list(name or []):
            arguments += ["--name", glob]
        for value in [alias] if isinstance(alias, str) else list(alias or []):
            arguments += ["--alias", value]
        for value in [tag] if isinstance(tag, str) else list(tag or []):
            arguments += ["--tag", value]
        for flag, moment in (("--since", since), ("--until", until)):
            if moment is not None:
                text = moment if isinstance(moment, str) else moment.isoformat()
                arguments += [flag, text]
        checked_here: Dict[str, Any] = {}
        for key, value in (metadata or {}).items():
            condition = _metadata_condition(key, value)
            if condition is None:
                checked_here[key] = value  # art cannot say it exactly: compared below
            else:
                arguments += ["--metadata", condition]
        if len(arguments) == 1:
            arguments += ["--name", "*"]
        versions = [Artifact._logged(self, info) for info in self._run(arguments)["versions"]]
        if checked_here:
            versions = [
                v
                for v in versions
                if all(_metadata_value(v.metadata, k) == want for k, want in checked_here.items())
            ]
        return versions

    def versions(self, name: str) -> List[Artifact]:
        """Every version of artifact ``name``, newest first."""
        return [Artifact._logged(self, info) for info in self._run(["log", name])["versions"]]

    def collections(self, type: Optional[str] = None) -> List[ArtifactSummary]:
        """Every artifact (W&B's collections), with its type and latest version."""
        arguments = ["ls"] + (["--type", type] if type else [])
        return [
            ArtifactSummary(a["name"], a["type"], a["versions"], a["latest"], a["files"], a["bytes"])
            for a in self._run(arguments)["artifacts"]
        ]

    @overload
    def diff(
        self,
        a: Union[str, Artifact],
        b: Union[str, Artifact, "os.PathLike[str]", None] = None,
        rows: Literal[False] = False,
        key: Union[str, Sequence[str], None] = None,
        path: Union[str, Sequence[str], None] = None,
    ) -> Diff: ...

    @overload
    def diff(
        self,
        a: Union[str, Artifact],
        b: Union[str, Artifact, "os.PathLike[str]", None] = None,
        *,
        rows: Literal[True],
        key: Union[str, Sequence[str], None] = None,
        path: Union[str, Sequence[str], None] = None,
    ) -> List[RowsDiff]: ...

    @overload
    def diff(
        self,
        a: Union[str, Artifact],
        b: Union[str, Artifact, "os.PathLike[str]", None] = None,
        rows: bool = False,
        key: Union[str, Sequence[str], None] = None,
        path: Union[str, Sequence[str], None] = None,
    ) -> Union[Diff, List[RowsDiff]]: ...

    def diff(
        self,
        a: Union[str, Artifact],
        b: Union[str, Artifact, "os.PathLike[str]", None] = None,
        rows: bool = False,
        key: Union[str, Sequence[str], None] = None,
        path: Union[str, Sequence[str], None] = None,
    ) -> Union[Diff, List[RowsDiff]]:
        """What changed from version ``a`` to version ``b`` (default: ``a``'s root folder;
        a folder path compares with that folder).

        With ``rows``, returns one ``RowsDiff`` per modified CSV, TSV or JSON
        Lines file, rows matched on ``key`` columns (``path`` globs restrict
        the files).
        """
        arguments = ["diff", a._spec() if isinstance(a, Artifact) else check_spec(a)]
        if isinstance(b, Artifact):
            arguments.append(b._spec())
        elif b is not None:
            text = os.fspath(b)
            arguments.append(os.path.abspath(text) if os.path.isdir(text) else text)
        if not rows:
            document = self._run(arguments)
            return Diff(
                changes=[
                    Change(
                        c["status"],
                        c["path"],
                        c.get("oldPath"),
                        c.get("oldSize"),
                        c.get("newSize"),
                        bool(c.get("reference", False)),
                        c.get("target"),
                        c.get("oldMode"),
                        c.get("newMode"),
                    )
                    for c in document.get("changes", [])
                ],
                totals=dict(document["totals"]),
                metadata=[
                    MetadataChange(m["key"], m.get("old", MISSING), m.get("new", MISSING))
                    for m in document.get("metadata", [])
                ],
            )
        arguments.append("--rows")
        for column in [key] if isinstance(key, str) else list(key or []):
            arguments += ["--key", column]
        for pattern in [path] if isinstance(path, str) else list(path or []):
            arguments += ["--path", pattern]
        return [
            RowsDiff(
                f["path"], f["format"], list(f["key"]), f["schema"], f["rows"], f["examples"],
                f.get("error"),
            )
            for f in self._run(arguments)["files"]
        ]

    # -- keeping it in shape ----------------------------------------------------

    def gc(
        self,
        keep_last: Optional[int] = None,
        keep_within: Optional[Duration] = None,
        dry_run: bool = True,
        *,
        protect: Union[str, Sequence[str]] = (),
        name: Union[str, Sequence[str]] = (),
        type: Union[str, Sequence[str]] = (),
        grace: Optional[Duration] = None,
    ) -> GCResult:
        """Drops versions by retention policy and reclaims their data; with
        ``dry_run`` (the default) only says what it would do.

        Versions carrying ``latest`` or a protected alias (``production``,
        ``best``, ``protect``) and inputs of kept versions are kept; expired
        versions (``ttl``) are dropped. Each decision says which rule made it.
        """
        arguments = ["gc"]
        if dry_run:
            arguments.append("--dry-run")
        if keep_last is not None:
            arguments += ["--keep-last", str(keep_last)]
        if keep_within is not None:
            arguments += ["--keep-within", duration_text(keep_within)]
        for alias in label_list(protect, "alias"):
            arguments += ["--protect", alias]
        for glob in _strings(name):
            arguments += ["--name", glob]
        for kind in _strings(type):
            arguments += ["--type", kind]
        if grace is not None:
            arguments += ["--grace", duration_text(grace, allow_zero=True)]
        document = self._run(arguments)
        return GCResult(
            dry_run=bool(document["dryRun"]),
            decisions=[
                GCDecision(v["version"], v["id"], bool(v["keep"]), v["reason"])
                for v in document["versions"]
            ],
            dropped=int(document["dropped"]),
            bytes_reclaimed=int(document["bytesReclaimed"]),
            artifacts_gone=list(document["artifactsGone"]),
            report=document,
        )

    def fsck(self, full: bool = False) -> Dict[str, Any]:
        """Checks the repository (``art fsck``): ``clean``, ``errors`` and counts."""
        return self._run(["fsck"] + (["--full"] if full else []))

    # -- other projects, the cache and remotes -------------------------------------

    def add_project(self, name: str, path: PathLike) -> None:
        """Names another art repository, so ``NAME/artifact:alias`` specs reach it."""
        self._run(["project", "add", name, os.path.abspath(os.fspath(path))])
        self._projects = None

    def projects(self) -> List[Dict[str, Any]]:
        """Projects added, with ``name``, ``path`` and ``reachable``."""
        return list(self._run(["project", "ls"])["projects"])

    def cache_info(self) -> Dict[str, Any]:
        """The shared cache's ``directory``, ``objects``, ``bytes`` and ``users``."""
        return self._run(["cache", "info"])

    def cache_cleanup(self, size: Union[int, str]) -> Dict[str, Any]:
        """Deletes least recently used cache objects until at most ``size`` (bytes, or
        text such as ``10GiB``) is left."""
        return self._run(["cache", "cleanup", str(size)])

    def add_remote(
        self, name: str, url: str, endpoint: Optional[str] = None, region: Optional[str] = None
    ) -> None:
        """Adds a remote: ``s3://bucket/prefix`` (with ``endpoint`` for S3-compatible
        servers) or a folder path."""
        arguments = ["remote", "add", name, url if "://" in url else os.path.abspath(url)]
        if endpoint:
            arguments += ["--endpoint", endpoint]
        if region:
            arguments += ["--region", region]
        self._run(arguments)

    def remotes(self) -> List[Dict[str, Any]]:
        """Remotes with ``name``, ``url`` and their endpoint and region."""
        return list(self._run(["remote", "ls"])["remotes"])

    def push(
        self, remote: Optional[str] = None, names: Union[str, Sequence[str]] = ()
    ) -> Dict[str, Any]:
        """Uploads versions (all, or those of ``names``) and the journal to ``remote``."""
        names = [check_label(n, "artifact name") for n in _strings(names)]
        return self._run(["push", *(["--remote", remote] if remote else []), *names])

    def pull(self, remote: Optional[str] = None) -> Dict[str, Any]:
        """Brings the remote's new versions, aliases and journal here."""
        return self._run(["pull", *(["--remote", remote] if remote else [])])

    def fetch(self, remote: Optional[str] = None) -> Dict[str, Any]:
        """Downloads the remote's new objects without changing refs here."""
        return self._run(["fetch", *(["--remote", remote] if remote else [])])


def init(path: PathLike = ".") -> Repository:
    """Creates an art repository in ``path`` (made if missing; an existing one is
    kept) and returns it."""
    folder = os.path.abspath(os.fspath(path))
    _cli.run(["init", folder])
    return Repository(folder)


def clone(
    url: str,
    path: Optional[PathLike] = None,
    endpoint: Optional[str] = None,
    region: Optional[str] = None,
) -> Repository:
    """Clones the remote at ``url`` (``s3://bucket/prefix`` or a folder) into ``path``
    and returns the new repository."""
    arguments = ["clone", url if "://" in url else os.path.abspath(url)]
    if path is not None:
        arguments.append(os.path.abspath(os.fspath(path)))
    if endpoint:
        arguments += ["--endpoint", endpoint]
    if region:
        arguments += ["--region", region]
    document = _cli.run(arguments)
    return Repository(str(document["folder"]))
