"""Read the files of a spec and resolve `$ref`s between them, lazily.

Real specs are large (Stripe is 4 MB of YAML) and recursive (a customer has sources that have a
customer...). Full dereferencing, as prance does, is slow on the first and impossible on the
second, so we never inline a whole document: each user of a node asks for the `$ref` it meets,
and schemas keep their references as canonical keys into one registry (see `schemas.py`).

Canonical keys name a node independently of where it was referenced from: `#/components/...` for
the root file, `relative/path.yaml#/pointer` for any other file (relative to the root's folder).
"""

from __future__ import annotations

import codecs
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from inferload.errors import ErrorKind, InferloadError, Location, file_error


class _SpecYamlLoader(yaml.CSafeLoader):
    """libyaml's fast loader minus timestamps: `2024-01-01` stays a string, as in JSON."""


_SpecYamlLoader.yaml_implicit_resolvers = {
    first_char: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first_char, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def parse_document(path: Path, raw: bytes | None = None) -> tuple[Any, str]:
    """Parse one JSON or YAML file (or its bytes, already read), turning every failure into a
    located `InferloadError`; with the SHA-256 of its bytes (the catalog cache's key), so the
    file is read once."""
    raw = _read_bytes(path) if raw is None else raw
    return _parse_text(_decode(raw, path), path), hashlib.sha256(raw).hexdigest()


def _parse_text(text: str, path: Path) -> Any:
    if text.lstrip().startswith(("{", "[")) or path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _file_error(
                ErrorKind.SYNTAX, f"invalid JSON: {exc.msg}", path, exc.lineno
            ) from None
    try:
        return yaml.load(text, Loader=_SpecYamlLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        line = mark.line + 1 if mark is not None else None
        raise _file_error(ErrorKind.SYNTAX, f"invalid YAML: {problem}", path, line) from None
    except yaml.YAMLError as exc:
        raise _file_error(ErrorKind.SYNTAX, f"invalid YAML: {exc}", path) from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise file_error(exc, str(path)) from None


def _decode(raw: bytes, path: Path) -> str:
    """UTF-8 (a BOM allowed), or UTF-16 with its BOM: YAML 1.2 and JSON's first RFC admit it,
    and Windows PowerShell's `>` writes it (`Invoke-WebRequest ... > openapi.yaml`)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _file_error(
                ErrorKind.UNREADABLE, f"not UTF-16 text (byte {exc.start})", path
            ) from None
    if b"\x00" in raw:
        raise _file_error(ErrorKind.UNREADABLE, "binary content, not YAML or JSON", path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start})"
        raise _file_error(ErrorKind.UNREADABLE, message, path) from None


def _file_error(
    kind: ErrorKind, message: str, path: Path, line: int | None = None
) -> InferloadError:
    return InferloadError(kind, message, location=Location(str(path), line=line))


def _unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class DocumentSet:
    """The files of one spec, each parsed once, and the `$ref` lookups between them."""

    def __init__(self, root: Path, root_bytes: bytes | None = None) -> None:
        """`root_bytes`: the root file as the caller already read it (to hash it for the cache),
        so what is parsed is exactly what was hashed."""
        self.root = root.resolve()
        self._display_root = str(root)
        self._documents: dict[Path, Any] = {}
        self.hashes: dict[Path, str] = {}  # SHA-256 of each file read
        self._id_indexes: dict[Path, tuple[dict[str, str], dict[tuple[str, str], str]]] = {}
        self.root_document = self.load(self.root, display=str(root), raw=root_bytes)

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file read so far, root first: the cache key depends on all of them."""
        return tuple(self._documents)

    def display(self, path: Path) -> str:
        """A path as the user would recognise it (relative to the root they gave us)."""
        if path == self.root:
            return self._display_root
        return str(Path(self._display_root).parent / self.relative(path))

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root.parent).as_posix()
        except ValueError:
            return path.as_posix()

    def load(self, path: Path, display: str | None = None, raw: bytes | None = None) -> Any:
        if path not in self._documents:
            try:
                self._documents[path], self.hashes[path] = parse_document(path, raw)
            except InferloadError as exc:
                if display is not None and exc.location is not None:
                    exc.location = Location(display, exc.location.line, exc.location.field)
                raise
        return self._documents[path]

    def canonical_key(self, file: Path, pointer: str) -> str:
        prefix = "" if file == self.root else self.relative(file)
        return f"{prefix}#{pointer}"

    def resolve(self, ref: str, base: Path, where: str) -> tuple[Any, Path, str]:
        """Follow one `$ref` found in `base` at field `where`.

        Returns the target node, the file it lives in (for the refs inside it) and its canonical
        key. Raises a located `InferloadError` for external or dangling references.
        """
        if not isinstance(ref, str):
            raise self._ref_error(
                ErrorKind.BROKEN_REF, f"$ref must be a string, got {ref!r}", base, where
            )
        if ref.startswith(("http://", "https://", "//")):
            raise self._ref_error(
                ErrorKind.EXTERNAL_REF,
                f"external $ref {ref!r} is not fetched",
                base,
                where,
                hint="download the referenced document and point the $ref at the local copy",
            )
        file_part, _, fragment = ref.partition("#")
        pointer = unquote(fragment)
        if pointer and not pointer.startswith("/") or (file_part and self._has_id(base, file_part)):
            return self._resolve_schema_id(ref, file_part, pointer, base, where)
        target_file = (base.parent / unquote(file_part)).resolve() if file_part else base
        if file_part:
            if not target_file.is_file():
                raise self._ref_error(
                    ErrorKind.BROKEN_REF, f"$ref {ref!r} points to a missing file", base, where
                )
            document = self.load(target_file)
        else:
            document = self._documents[base]
        node = document
        if pointer not in ("", "/"):
            for token in pointer.lstrip("/").split("/"):
                key = _unescape_pointer_token(token)
                if isinstance(node, dict) and key in node:
                    node = node[key]
                elif isinstance(node, dict) and key.isdigit() and int(key) in node:
                    node = node[int(key)]  # YAML turned a `200:` key into an int
                elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                    node = node[int(key)]
                else:
                    raise self._ref_error(
                        ErrorKind.BROKEN_REF,
                        f"$ref {ref!r} points to nothing ({key!r} not found)",
                        base,
                        where,
                    )
        return node, target_file, self.canonical_key(target_file, pointer)

    def _has_id(self, file: Path, schema_id: str) -> bool:
        return schema_id in self._id_index(file)[0]

    def _id_index(self, file: Path) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        """JSON Schema 2020-12 `$id`s and `$anchor`s of a file (OpenAPI 3.1), as pointers.

        Built on first use only: 3.0 and 2.0 specs, and 3.1 specs that only use pointers,
        never pay for the walk.
        """
        if file not in self._id_indexes:
            ids: dict[str, str] = {}
            anchors: dict[tuple[str, str], str] = {}
            stack: list[tuple[Any, str, str]] = [(self._documents[file], "", "")]
            while stack:
                node, pointer, scope = stack.pop()
                if isinstance(node, dict):
                    if isinstance(node.get("$id"), str):
                        scope = node["$id"].rstrip("#")
                        ids.setdefault(scope, pointer)
                    if isinstance(node.get("$anchor"), str):
                        anchors.setdefault((scope, node["$anchor"]), pointer)
                        anchors.setdefault(("", node["$anchor"]), pointer)
                    for key, value in node.items():
                        if isinstance(value, dict | list):
                            token = str(key).replace("~", "~0").replace("/", "~1")
                            stack.append((value, f"{pointer}/{token}", scope))
                elif isinstance(node, list):
                    stack.extend((v, f"{pointer}/{i}", scope) for i, v in enumerate(node))
            self._id_indexes[file] = (ids, anchors)
        return self._id_indexes[file]

    def _resolve_schema_id(
        self, ref: str, schema_id: str, fragment: str, base: Path, where: str
    ) -> tuple[Any, Path, str]:
        """`/schemas/pet#name_anchor` or `#name_anchor`: resolve through `$id`/`$anchor`."""
        ids, anchors = self._id_index(base)
        if schema_id and schema_id not in ids:
            raise self._ref_error(
                ErrorKind.BROKEN_REF, f"$ref {ref!r}: no schema has that $id", base, where
            )
        if fragment and not fragment.startswith("/"):
            pointer = anchors.get((schema_id, fragment))
            if pointer is None:
                raise self._ref_error(
                    ErrorKind.BROKEN_REF, f"$ref {ref!r}: no $anchor {fragment!r}", base, where
                )
        else:
            pointer = ids[schema_id] + fragment
        return self.resolve(f"#{pointer}", base, where)

    def follow(self, node: Any, base: Path, where: str) -> tuple[Any, Path]:
        """Follow a chain of `$ref`s to the real object (for parameters, responses, ...)."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            target, base, key = self.resolve(node["$ref"], base, where)
            if key in seen:
                raise self._ref_error(
                    ErrorKind.BROKEN_REF, f"$ref cycle through {key}", base, where
                )
            seen.add(key)
            node = target
        return node, base

    def _ref_error(
        self, kind: ErrorKind, message: str, base: Path, where: str, hint: str | None = None
    ) -> InferloadError:
        return InferloadError(
            kind, message, location=Location(self.display(base), field=where), hint=hint
        )
