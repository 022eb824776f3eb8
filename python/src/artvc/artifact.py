"""Artifacts: drafts to log, and logged versions to read, download and edit."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from . import _cli
from .errors import (
    ArtifactFinalizedError,
    ArtifactNotLoggedError,
    DiffersError,
    NotFoundError,
    UsageError,
)

if TYPE_CHECKING:
    from .repository import Repository

PathLike = Union[str, "os.PathLike[str]"]


def parse_time(text: str) -> datetime:
    """An aware datetime from art's RFC 3339 UTC text (``2026-11-29T08:55:09.250Z``)."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _timedelta(value: Union[timedelta, int, float, None]) -> Optional[timedelta]:
    """A TTL as a timedelta (numbers are seconds)."""
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


def duration_text(value: Union[timedelta, str, int, float], allow_zero: bool = False) -> str:
    """art's duration form (``90s``) of a timedelta or seconds; a string is passed as is."""
    if isinstance(value, str):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    whole = int(seconds)
    if whole < (0 if allow_zero else 1) or whole != seconds:
        least = 0 if allow_zero else 1
        raise ValueError(f"a duration must be a whole number of seconds, at least {least}: {value!r}")
    return f"{whole}s"


_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


def check_label(text: str, what: str) -> str:
    """``text`` if it is a valid artifact name, alias or tag (``what``), else UsageError.

    Aliases and tags are never ``vN`` nor 4 or more hex digits alone, as art rules.
    """
    if not isinstance(text, str) or not _LABEL.match(text):
        raise UsageError(
            f"{text!r} is not a valid {what}",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit "
            "(at most 128)",
            exit_status=64,
        )
    if what in ("alias", "tag") and (
        re.fullmatch(r"v[0-9]+", text) or re.fullmatch(r"[0-9a-fA-F]{4,}", text)
    ):
        raise UsageError(
            f"{text!r} is not a valid {what}", hint="'v3' and hex ids are reserved", exit_status=64
        )
    return text


def label_list(value: Union[str, Sequence[str], None], what: str) -> List[str]:
    """A list of labels from one string or a sequence (never a string's characters)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [check_label(item, what) for item in items]


def check_spec(spec: str) -> str:
    """A version spec as art takes it; one that art would read as a flag is refused."""
    if not isinstance(spec, str) or not spec or spec.startswith("-"):
        raise UsageError(
            f"{spec!r} is not a version spec",
            hint="use NAME, NAME:vN, NAME:ALIAS, an id prefix, PROJECT/NAME:ALIAS or REMOTE/NAME:ALIAS",
            exit_status=64,
        )
    return spec


def glob_escaped(path: str) -> str:
    """``path`` as an art ``--path`` pattern matching it literally."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", path)


def metadata_json(metadata: Any) -> str:
    """``metadata`` as JSON text, checked: an object of JSON values, no NaN or infinity."""
    if not isinstance(metadata, dict):
        raise ValueError(f"metadata must be a dict of JSON values, not {type(metadata).__name__}")
    try:
        return json.dumps(metadata, allow_nan=False)
    except ValueError as error:
        raise ValueError(f"metadata holds a number JSON cannot carry (NaN or infinity): {error}") from None
    except TypeError as error:
        raise ValueError(f"metadata must hold only JSON values (str, int, float, bool, None, list, dict): {error}") from None


def _relative_name(name: str, what: str) -> str:
    """``name`` as a path inside the artifact, checked: relative, no ``..``."""
    text = name.replace(os.sep, "/").strip("/") if name not in ("", ".") else ""
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if name.startswith("/") or ".." in parts:
        raise ValueError(f"{what} {name!r} must be a relative path inside the artifact, without '..'")
    return "/".join(parts)


@dataclass(frozen=True)
class RunInfo:
    """A run that logged or used a version.

    Attributes:
        run_id: the run's id (``run(run_id=...)``, ``art use --run``).
        job_type: the kind of job (``train``), or None.
        time: when it used (or logged) the version.
        user: who, as art recorded it (``ART_USER`` or ``user@host``), or None.
    """

    run_id: str
    job_type: Optional[str]
    time: datetime
    user: Optional[str] = None


@dataclass(frozen=True)
class ArtifactEntry:
    """One path of a logged version (``art ls-files``).

    Attributes:
        path: the path inside the version.
        kind: ``file``, ``chunked``, ``symlink``, ``folder``, ``external`` (a
            external reference) or ``bundle`` (another version inside this one).
        size: bytes.
        digest: the SHA-256 id of its content object.
        mode: permission bits, octal text.
        ref: the reference URI of an ``external`` entry, ``art:NAME:vN`` of a
            ``bundle`` entry, else None.
    """

    path: str
    kind: str
    size: int
    digest: str
    mode: str
    ref: Optional[str]
    artifact: "Artifact" = field(repr=False, compare=False)

    def download(self, root: Optional[PathLike] = None) -> str:
        """Writes this path of the version below ``root`` (default: the version's
        download folder) and returns the local path of the file."""
        folder = self.artifact.download(root, path_prefix=None, _paths=[self.path])
        return os.path.join(folder, *self.path.split("/"))


class Artifact:
    """A W&B-style artifact: a draft until logged, then a version of the repository.

    A draft collects files (``add_file``, ``add_dir``, ``new_file``),
    references (``add_reference``) and removals (``remove``, on a draft made
    by ``new_draft()``); ``Repository.log_artifact`` or ``Run.log_artifact``
    makes it the artifact's next version. A logged artifact (also what
    ``use_artifact`` returns) reads its version's record lazily from art.
    """

    def __init__(
        self,
        name: str,
        type: str = "dataset",
        description: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
        ttl: Optional[timedelta] = None,
    ) -> None:
        check_label(name, "artifact name")
        if metadata is not None and not isinstance(metadata, dict):
            raise ValueError(f"metadata must be a dict, not {metadata.__class__.__name__}")
        self._name = name
        self._type: Optional[str] = type
        self._description: Optional[str] = description
        self._metadata: Dict[str, Any] = dict(metadata or {})
        self._draft_ttl = _timedelta(ttl)
        # A draft's contents: (source on disk, path in the version), references
        # (uri, path or None, checksum), removals.
        self._additions: List[Tuple[str, str]] = []
        self._references: List[Tuple[str, Optional[str], bool]] = []
        self._removals: List[str] = []
        self._base: Optional[str] = None
        # What the version a new_draft() starts from says (description, metadata).
        self._base_said: Optional[Tuple[Optional[str], Dict[str, Any]]] = None
        self._base_version: Optional["Artifact"] = None
        self._staging: Optional[str] = None
        # A logged version.
        self._repository: Optional["Repository"] = None
        self._origin = ""
        self._info: Dict[str, Any] = {}
        self._loaded = False
        self._saved: Dict[str, Any] = {}
        self._entries: Optional[List[ArtifactEntry]] = None

    # -- making -----------------------------------------------------------

    @classmethod
    def _logged(
        cls, repository: "Repository", info: Dict[str, Any], origin: str = ""
    ) -> "Artifact":
        artifact = cls(str(info["artifact"]))
        artifact._type = None
        artifact._become_logged(repository, info, origin)
        return artifact

    def _become_logged(self, repository: "Repository", info: Dict[str, Any], origin: str) -> None:
        self._repository = repository
        self._origin = origin
        self._name = str(info["artifact"])
        self._info = dict(info)
        self._loaded = False
        self._entries = None
        # What save() compares edits with: the values of the document read.
        self._saved = {
            key: copy.deepcopy(info[key]) for key in ("aliases", "tags", "description") if key in info
        }
        if "description" in info:
            self._description = str(info["description"])
        self._additions, self._references, self._removals, self._base = [], [], [], None
        self._cleanup_staging()

    def _cleanup_staging(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    def _require_draft(self) -> None:
        if self._repository is not None:
            raise ArtifactFinalizedError(
                f"{self.qualified_name} is logged and cannot change; "
                "call new_draft() for a draft of the next version"
            )

    def _require_logged(self) -> "Repository":
        if self._repository is None:
            raise ArtifactNotLoggedError(
                f"artifact {self._name!r} is a draft: log it first (log_artifact)"
            )
        return self._repository

    def add_file(self, local_path: PathLike, name: Optional[str] = None) -> None:
        """Adds the file ``local_path`` at ``name`` (default: its file name); it is read
        when the artifact is logged."""
        self._require_draft()
        # A link's content is stored, as W&B does (links inside add_dir stay links).
        given = os.fspath(local_path)
        path = os.path.realpath(given)
        if not os.path.isfile(path):
            raise ValueError(f"{given!r} is not a file")
        destination = _relative_name(name if name is not None else os.path.basename(given), "name")
        if not destination:
            raise ValueError(f"name {name!r} names no file")
        self._add(path, destination)

    def add_dir(self, local_path: PathLike, name: Optional[str] = None) -> None:
        """Adds the folder ``local_path``'s files under ``name`` (default: the artifact's
        top), merged into any folder already there; what its ``.artignore`` files
        leave out, ``.git``, sockets and FIFOs stay out, and links stay links."""
        self._require_draft()
        path = os.path.realpath(os.fspath(local_path))
        if not os.path.isdir(path):
            raise ValueError(f"{os.fspath(local_path)!r} is not a folder")
        self._add(path, _relative_name(name or "", "name"))

    def _add(self, source: str, destination: str) -> None:
        # In order: art merges folders and lets the later of two files win,
        # and applies removals first (remove() then add_dir() replaces).
        self._additions.append((source, destination))
        self._entries = None

    def add_reference(
        self,
        uri: Union[str, "os.PathLike[str]", "Artifact"],
        name: Optional[str] = None,
        checksum: bool = True,
    ) -> None:
        """Records data kept outside the store: ``s3://bucket/key`` (a prefix gives one
        entry per object), ``http(s)://…``, ``file:///path`` or a local path, or
        another logged artifact (a bundle entry, checked out as a folder).

        ``checksum`` downloads http(s) files once to record their SHA-256 (art
        takes it for the whole version: one http reference asking for it has
        them all checksummed); s3 and file references always record size and
        ETag or SHA-256.
        """
        self._require_draft()
        if isinstance(uri, os.PathLike):
            uri = os.fspath(uri)
        if isinstance(uri, Artifact):
            uri = "art:" + uri._reference_spec()
        elif "://" not in uri and not uri.startswith("art:"):
            uri = os.path.abspath(uri)
            if name is None:
                name = os.path.basename(uri.rstrip("/"))
        elif uri.startswith(("s3://", "http://", "https://")):
            # art splits URI=PATH at the last '=': the path must hold none.
            if name is None and "=" in uri:
                name = uri.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1]
            if name is not None and "=" in name:
                raise ValueError(
                    f"the name {name!r} of reference {uri!r} holds '=', which art cannot take "
                    "there; give name= without '='"
                )
        if name is not None:
            name = _relative_name(name, "name")
        self._references.append((uri, name, checksum))
        self._entries = None

    @contextlib.contextmanager
    def new_file(
        self, name: str, mode: str = "w", encoding: Optional[str] = None
    ) -> Iterator[IO[Any]]:
        """A file opened for writing whose contents become ``name`` in the version.

        ``with artifact.new_file("config.json") as f: json.dump(config, f)``
        """
        self._require_draft()
        destination = _relative_name(name, "name")
        if not destination:
            raise ValueError(f"name {name!r} names no file")
        if "r" in mode or not any(c in mode for c in "wxa"):
            raise ValueError(f"new_file opens a new file for writing: mode 'w', 'wb' or 'x', not {mode!r}")
        if self._staging is None:
            self._staging = tempfile.mkdtemp(prefix="artvc-")
            weakref.finalize(self, shutil.rmtree, self._staging, True)
        path = os.path.join(self._staging, *destination.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode, encoding=encoding if "b" not in mode else None) as handle:
            yield handle
        self._add(path, destination)

    def remove(self, item: Union[str, ArtifactEntry]) -> None:
        """Drops a path (a file or a whole folder) from a draft made by ``new_draft()``,
        or a path added to this draft."""
        self._require_draft()
        path = _relative_name(item.path if isinstance(item, ArtifactEntry) else item, "path")
        if not path:
            raise ValueError("remove() takes a path of the version, not its top")
        added = [(s, d) for s, d in self._additions if d == path]
        if added:
            self._additions = [(s, d) for s, d in self._additions if d != path]
            if self._base is None or not self._base_has(path):
                return
        elif self._base is None:
            raise ValueError(
                f"{path!r} is not in this draft; remove() drops paths of the version a "
                "new_draft() starts from, or ones added to the draft"
            )
        if path not in self._removals:
            self._removals.append(path)
        self._entries = None

    def _base_has(self, path: str) -> bool:
        """Whether the version a new_draft() starts from has ``path`` (a file or folder)."""
        if self._base_version is None:
            return False
        return any(
            e.path == path or e.path.startswith(path + "/") for e in self._base_version.files()
        )

    def new_draft(self) -> "Artifact":
        """A draft of the next version that starts from this one's files, type,
        description and metadata; only what it adds and removes is stored."""
        self._require_logged()
        if self._origin:
            raise ValueError(
                f"{self.qualified_name} is a version of {self._origin.rstrip('/')}; a draft "
                "starts from a version of this repository (download it and add_dir instead)"
            )
        draft = Artifact(
            self._name,
            self.type,
            description=self.description,
            metadata=copy.deepcopy(self.metadata),
        )
        draft._base = self.id
        draft._base_version = self
        draft._base_said = (draft._description, copy.deepcopy(draft._metadata))
        return draft

    def _commit_arguments(self, repository: "Repository") -> Tuple[List[str], Optional[str]]:
        """What ``art commit NAME …`` needs for this draft's contents, and the file
        of additions (``--adds``) to delete afterwards."""
        arguments: List[str] = []
        if (
            self._base is None
            and not self._references
            and len(self._additions) == 1
            and self._additions[0][1] == ""
            and repository._contains(self._additions[0][0])
        ):
            # A snapshot of the folder, the fast path; exactly the folder, as W&B.
            return [self._additions[0][0], "--no-carry"], None
        if self._base is not None:
            arguments += ["--from", self._base]
        else:
            arguments.append("--fresh")
        adds_file = None
        if self._additions:
            # A file, not --add SRC=DEST: names may hold '=', and a draft may
            # add more files than a command line holds.
            handle, adds_file = tempfile.mkstemp(prefix="artvc-adds-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump([{"source": s, "path": d or "."} for s, d in self._additions], out)
            arguments += ["--adds", adds_file]
        for uri, name, _ in self._references:
            arguments.append("--reference=" + (uri if name is None else f"{uri}={name}"))
        if any(c and u.startswith(("http://", "https://")) for u, _, c in self._references):
            arguments.append("--checksum")
        for path in self._removals:
            arguments.append(f"--remove={path}")
        if self._base is not None and not (self._additions or self._references or self._removals):
            arguments.append("--allow-empty")  # Only what is said about it changed.
        return arguments, adds_file

    def _has_contents(self) -> bool:
        return bool(self._additions or self._references or self._removals)

    def _upsert_arguments(self) -> List[str]:
        """What ``art upsert`` needs: paths below one root folder."""
        if self._base is not None or self._references or self._removals:
            raise ValueError(
                "upsert_artifact takes files and folders only: no new_draft(), references or removals"
            )
        if not self._additions:
            raise ValueError(f"artifact {self._name!r} has no files to upsert")
        roots = set()
        paths: List[str] = []
        for source, destination in self._additions:
            if not destination:
                roots.add(source)
                paths.append(source)
                continue
            parts = destination.split("/")
            source_parts = source.split(os.sep)
            if source_parts[-len(parts):] != parts:
                raise ValueError(
                    f"upsert_artifact needs each file at its own path below one folder: "
                    f"{source!r} is not at {destination!r} below any folder"
                )
            roots.add(os.sep.join(source_parts[: -len(parts)]) or os.sep)
            paths.append(source)
        if len(roots) != 1:
            raise ValueError(
                "upsert_artifact needs every file below one folder, at its path there; "
                f"these come from {len(roots)} folders: {', '.join(sorted(roots))}"
            )
        return paths + ["--root", roots.pop()]

    def _recording_arguments(
        self, aliases: Sequence[str], run_id: Optional[str], job_type: Optional[str]
    ) -> Tuple[List[str], Optional[str]]:
        """``commit``/``finish`` flags for type, description, metadata, aliases, TTL and
        run, and the metadata file to delete afterwards."""
        # --flag=VALUE: a value starting with '-' is not read as a flag.
        arguments: List[str] = []
        if self._type:
            arguments.append(f"--type={self._type}")
        if self.description:
            arguments.append(f"--message={self.description}")
        ttl = duration_text(self._draft_ttl) if self._draft_ttl is not None else None
        metadata_file = None
        if self.metadata:
            text = metadata_json(self.metadata)
            handle, metadata_file = tempfile.mkstemp(prefix="artvc-metadata-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            arguments += ["--metadata-file", metadata_file]
        for alias in aliases:
            if alias != "latest":  # art moves latest itself
                arguments.append(f"--alias={alias}")
        if ttl is not None:
            arguments.append(f"--ttl={ttl}")
        if run_id:
            arguments.append(f"--run={run_id}")
        if job_type:
            arguments.append(f"--job={job_type}")
        return arguments, metadata_file

    # -- a logged version ---------------------------------------------------

    def _spec(self) -> str:
        """How art is told about this version: its id here, ``PREFIX/NAME:vN`` elsewhere."""
        self._require_logged()
        if self._origin:
            return f"{self._origin}{self._name}:{self.version}"
        return str(self._info["id"])

    def _reference_spec(self) -> str:
        spec = self._spec()
        if self._origin and not self._repository_has_project(self._origin):
            raise ValueError(f"{self.qualified_name} is on a remote: pull it before bundling it")
        return spec

    def _repository_has_project(self, origin: str) -> bool:
        repository = self._require_logged()
        return origin.rstrip("/") in repository._project_names()

    def _show(self) -> Dict[str, Any]:
        repository = self._require_logged()
        if not self._loaded:
            self._take_show(repository._run(["show", self._spec()]))
        return self._info

    def _take_show(self, document: Dict[str, Any]) -> None:
        """Keeps ``art show``'s document as what this version says now; edits not
        saved yet (to aliases, tags, description read from a listing) are kept."""
        edited = {
            key: self._info[key]
            for key in ("aliases", "tags")
            if key in self._saved and key in self._info and self._info[key] != self._saved[key]
        }
        description_edited = (
            "description" in self._saved and self._description != self._saved["description"]
        )
        self._info.update(document)
        self._loaded = True
        for key in ("aliases", "tags"):
            if key not in edited:
                self._saved[key] = list(document.get(key, []))
            self._info[key] = list(edited.get(key, self._saved[key]))
        self._saved["metadata"] = copy.deepcopy(document.get("metadata", {}))
        self._metadata = copy.deepcopy(self._saved["metadata"])
        if not description_edited:
            self._saved["description"] = str(document.get("description", ""))
            self._description = self._saved["description"]

    def _field(self, key: str) -> Any:
        if key not in self._info:
            self._show()
        return self._info.get(key)

    def _refresh(self) -> None:
        """Forgets what was read, but the name, number and id, which never change."""
        self._info = {key: self._info[key] for key in ("artifact", "version", "id")}
        self._saved = {}
        self._loaded = False
        self._entries = None

    def _require_here(self, action: str) -> "Repository":
        repository = self._require_logged()
        if self._origin:
            raise UsageError(
                f"{self.qualified_name} belongs to {self._origin.rstrip('/')}; {action} it there",
                hint="a version of another project or a remote is read-only here",
                exit_status=64,
            )
        return repository

    @property
    def name(self) -> str:
        """The artifact's name (without the version: see ``qualified_name``)."""
        return self._name

    @property
    def description(self) -> Optional[str]:
        """A description; on a logged version, edit it and ``save()``."""
        if self._repository is not None and "description" not in self._saved:
            self._show()
        return self._description

    @description.setter
    def description(self, value: Optional[str]) -> None:
        if self._repository is not None and "description" not in self._saved:
            self._show()
        self._description = value

    @property
    def metadata(self) -> Dict[str, Any]:
        """A JSON object of facts about the version; on a logged version, edit it and
        ``save()``."""
        if self._repository is not None:
            self._show()
        return self._metadata

    @metadata.setter
    def metadata(self, value: Dict[str, Any]) -> None:
        if self._repository is not None:
            self._show()
        self._metadata = dict(value)

    @property
    def version(self) -> str:
        """The version number, ``v3``."""
        self._require_logged()
        return str(self._info["version"])

    @property
    def qualified_name(self) -> str:
        """``NAME:vN`` (with ``PROJECT/`` or ``REMOTE/`` for another project's or a
        remote's version): W&B's ``artifact.name`` of a logged artifact."""
        if self._repository is None:
            return self._name
        return f"{self._origin}{self._name}:{self.version}"

    @property
    def id(self) -> str:
        """The version's id: the SHA-256 of its record (64 hex digits)."""
        self._require_logged()
        return str(self._info["id"])

    @property
    def digest(self) -> str:
        """The id of the version's top manifest: equal for equal contents."""
        return str(self._field("manifest"))

    @property
    def type(self) -> str:
        """The artifact's type (``dataset``, ``model``, …)."""
        if self._repository is None:
            return self._type or "dataset"
        return str(self._field("type"))

    def _labels(self, key: str) -> List[str]:
        """The version's ``aliases`` or ``tags``: the list save() compares with."""
        self._require_logged()
        labels = self._field(key)
        assert isinstance(labels, list)
        return labels

    def _set_labels(self, key: str, value: Sequence[str], what: str) -> None:
        self._labels(key)  # read first, so save() knows what changed
        self._info[key] = label_list(value, what)

    @property
    def aliases(self) -> List[str]:
        """The version's aliases; edit the list and ``save()`` to change them."""
        return self._labels("aliases")

    @aliases.setter
    def aliases(self, value: Sequence[str]) -> None:
        self._set_labels("aliases", value, "alias")

    @property
    def tags(self) -> List[str]:
        """The version's tags; edit the list and ``save()`` to change them."""
        return self._labels("tags")

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._set_labels("tags", value, "tag")

    @property
    def created_at(self) -> datetime:
        """When the version was made (an aware UTC datetime)."""
        return parse_time(str(self._field("created")))

    @property
    def size(self) -> int:
        """Bytes of its files (external references not counted: see ``reference_bytes``)."""
        return int(self._field("bytes"))

    @property
    def file_count(self) -> int:
        """How many files it holds."""
        return int(self._field("files"))

    @property
    def reference_bytes(self) -> int:
        """Bytes of its external references, kept outside the store."""
        return int(self._field("referenceBytes"))

    @property
    def expires_at(self) -> Optional[datetime]:
        """When gc may drop the version, or None."""
        self._show()
        expires = self._info.get("expires")
        return parse_time(str(expires)) if expires else None

    @property
    def ttl(self) -> Optional[timedelta]:
        """How long after it was made the version may be dropped by gc, or None.

        Set it to a timedelta (or None for never) on a logged version to change it
        (``art ttl set``); on a draft, it is recorded when logged.
        """
        if self._repository is None:
            return self._draft_ttl
        expires = self.expires_at
        return None if expires is None else expires - self.created_at

    @ttl.setter
    def ttl(self, value: Optional[timedelta]) -> None:
        if self._repository is None:
            self._draft_ttl = _timedelta(value)
            return
        repository = self._require_here("set the TTL of")
        repository._run(["ttl", "set", self._spec(), "none" if value is None else duration_text(value)])
        self._refresh()

    @property
    def inputs(self) -> List["Artifact"]:
        """The versions this one was made from (lineage) that still exist: here, or
        copied from another project (``PROJECT/NAME:vN``)."""
        repository = self._require_logged()
        if self._origin:
            return []  # Labels of another repository's inputs mean nothing here.
        return [
            repository.artifact(str(i["version"]))
            for i in self._show().get("inputVersions", [])
            if i.get("version")
        ]

    def logged_by(self) -> Optional[RunInfo]:
        """The run that made this version (``run(...).log_artifact``), or None."""
        info = self._show()
        run_id = str(info.get("run") or "")
        if not run_id:
            return None
        return RunInfo(run_id, str(info.get("job") or "") or None, self.created_at)

    def used_by(self) -> List[RunInfo]:
        """The runs that used this version (``Run.use_artifact``), oldest first."""
        return [
            RunInfo(str(u["run"]), u.get("job"), parse_time(str(u["time"])), u.get("user"))
            for u in self._show().get("usedBy", [])
        ]

    def files(self) -> List[ArtifactEntry]:
        """Every path of the version, sorted (read from its manifests; nothing is
        downloaded)."""
        repository = self._require_logged()
        if self._entries is None:
            document = repository._run(["ls-files", self._spec()])
            self._entries = [
                ArtifactEntry(
                    path=str(e["path"]),
                    kind=str(e["kind"]),
                    size=int(e["size"]),
                    digest=str(e["id"]),
                    mode=str(e["mode"]),
                    ref=e.get("uri") or (f"art:{e['version']}" if e.get("version") else None),
                    artifact=self,
                )
                for e in document["files"]
            ]
        return list(self._entries)

    def get_entry(self, name: str) -> ArtifactEntry:
        """The entry at path ``name`` (size, digest, reference URI).

        Raises:
            KeyError: the version has no such path.
        """
        path = _relative_name(name, "path")
        for entry in self.files():
            if entry.path == path:
                return entry
        raise KeyError(f"{self.qualified_name} has no path {name!r}")

    def get_path(self, name: str) -> ArtifactEntry:
        """The entry at path ``name``; ``.download(root)`` fetches just it."""
        return self.get_entry(name)

    def _default_root(self) -> str:
        base = os.environ.get("ART_ARTIFACT_DIR", os.path.join(".", "artifacts"))
        return os.path.abspath(os.path.join(base, f"{self._name}:{self.version}"))

    def download(
        self,
        root: Optional[PathLike] = None,
        path_prefix: Optional[str] = None,
        skip_references: bool = False,
        allow_changed: bool = False,
        *,
        _paths: Sequence[str] = (),
    ) -> str:
        """Writes the version's files below ``root`` (default
        ``./artifacts/NAME:vN``, or under ``$ART_ARTIFACT_DIR``) and returns it.

        Every byte is checked against its SHA-256 as it is written; files
        already right are left alone, so a second call only repairs what
        changed. Files of the folder the version lacks are kept (``checkout``
        deletes them). ``path_prefix`` fetches only paths starting with it.
        """
        repository = self._require_logged()
        folder = os.path.abspath(os.fspath(root)) if root is not None else self._default_root()
        arguments = ["checkout", self._spec(), "--to", folder, "--force"]
        patterns = [glob_escaped(path) for path in _paths]
        if path_prefix:
            prefix = path_prefix.replace(os.sep, "/").lstrip("/")
            patterns.append(
                glob_escaped(prefix.rstrip("/")) if prefix.endswith("/") else glob_escaped(prefix) + "*"
            )
        for pattern in patterns:
            arguments += ["--path", pattern]
        if skip_references:
            arguments.append("--skip-references")
        if allow_changed:
            arguments.append("--allow-changed")
        repository._run(arguments)
        return folder

    def checkout(self, root: Optional[PathLike] = None) -> str:
        """Makes ``root`` hold exactly this version: writes what differs and deletes
        every other file (never ``.git``, ``.art`` or what ``.artignore`` leaves out)."""
        repository = self._require_logged()
        folder = os.path.abspath(os.fspath(root)) if root is not None else self._default_root()
        repository._run(["checkout", self._spec(), "--to", folder, "--force", "--clean"])
        return folder

    def verify(self, root: Optional[PathLike] = None) -> None:
        """Checks that ``root`` holds exactly this version's files, byte for byte.

        Raises:
            DiffersError: with ``differences`` (missing, changed, extra paths).
        """
        repository = self._require_logged()
        folder = os.path.abspath(os.fspath(root)) if root is not None else self._default_root()
        if not os.path.isdir(folder):
            raise NotFoundError(
                f"no folder {folder} to verify against {self.qualified_name}",
                hint="download() it first, or give the folder",
            )
        document = repository._run(["verify", self._spec(), "--folder", folder])
        differences = document.get("differences", [])
        if differences:
            counts: Dict[str, int] = {}
            for difference in differences:
                counts[difference["kind"]] = counts.get(difference["kind"], 0) + 1
            summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
            raise DiffersError(
                f"{folder} differs from {self.qualified_name}: {summary}",
                differences=differences,
                exit_status=3,
                hint="download() or checkout() it again",
            )

    def verify_references(self) -> Dict[str, Any]:
        """Asks where each external reference lives whether it is unchanged (``art verify``).

        Returns art's document: per reference its ``status`` (``unchanged``,
        ``changed``, ``unavailable``, ``refused``) and the counts.
        """
        return self._require_logged()._run(["verify", self._spec()])

    def link(self, alias: str) -> None:
        """Points ``alias`` (``production``, ``best``) at this version."""
        self._require_here("set aliases of")._run(
            ["alias", "set", self._spec(), check_label(alias, "alias")]
        )
        self._refresh()

    def unlink(self, alias: str) -> None:
        """Removes ``alias`` from this artifact."""
        self._require_here("remove aliases of")._run(
            ["alias", "rm", f"{self._name}:{check_label(alias, 'alias')}"]
        )
        self._refresh()

    def save(self) -> None:
        """Records changes to ``description``, ``metadata``, ``aliases`` and ``tags`` of a
        logged version (its files never change; each edit is kept in its history).

        Validated before anything is recorded: bad metadata, aliases or tags
        change nothing.
        """
        repository = self._require_here("edit")
        spec = self._spec()
        saved = self._saved
        annotate: List[str] = []
        if "description" in saved and (self._description or "") != saved["description"]:
            annotate.append(f"--message={self._description or ''}")
        changed: Dict[str, Any] = {}
        if "metadata" in saved:
            old = saved["metadata"]
            changed = {k: v for k, v in self._metadata.items() if k not in old or old[k] != v}
            annotate += [f"--unset={key}" for key in sorted(set(old) - set(self._metadata))]
        text = metadata_json(changed) if changed else None
        aliases = label_list(self._info.get("aliases", saved.get("aliases", [])), "alias")
        tags = label_list(self._info.get("tags", saved.get("tags", [])), "tag")
        metadata_file = None
        try:
            if text is not None:
                handle, metadata_file = tempfile.mkstemp(prefix="artvc-metadata-", suffix=".json")
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(text)
                annotate += ["--metadata-file", metadata_file]
            if annotate:
                repository._run(["annotate", spec, *annotate])
        finally:
            if metadata_file:
                os.unlink(metadata_file)
        if "aliases" in saved:
            for alias in [a for a in aliases if a not in saved["aliases"] and a != "latest"]:
                repository._run(["alias", "set", spec, alias])
            for alias in [a for a in saved["aliases"] if a not in aliases and a != "latest"]:
                repository._run(["alias", "rm", f"{self._name}:{alias}"])
        if "tags" in saved:
            added = [t for t in tags if t not in saved["tags"]]
            removed = [t for t in saved["tags"] if t not in tags]
            if added:
                repository._run(["tag", "add", spec, *added])
            if removed:
                repository._run(["tag", "rm", spec, *removed])
        self._refresh()

    def delete(self, delete_aliases: bool = False) -> None:
        """Removes the version (gc reclaims its data); one carrying a protected alias
        (``production``, ``best``) needs ``delete_aliases=True``."""
        repository = self._require_here("remove")
        arguments = ["rm", self._spec()]
        if delete_aliases:
            arguments.append("--force")
        repository._run(arguments)
        self._refresh()

    def __repr__(self) -> str:
        if self._repository is None:
            return f"<Artifact draft {self._name!r} ({self.type})>"
        return f"<Artifact {self.qualified_name} {self.id[:12]}>"
