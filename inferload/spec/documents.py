"""Read the files of a spec and resolve `$ref`s between them, lazily.

Real specs are large (Stripe is 4 MB of YAML) and recursive (a customer has sources that have a
customer...). Full dereferencing, as prance does, is slow on the first and impossible on the
second, so we never inline a whole document: each user of a node asks for the `$ref` it meets,
and schemas keep their references as canonical keys into one registry (see `schemas.py`).

Canonical keys name a node independently of where it was referenced from: `#/components/...` for
the root file, `relative/path.yaml#/pointer` for any other file (relative to the root's folder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from inferload.errors import ErrorKind, InferloadError, Location


class _SpecYamlLoader(yaml.CSafeLoader):
    """libyaml's fast loader, minus timestamps: `2024-01-01` stays a string as JSON would have it."""


_SpecYamlLoader.yaml_implicit_resolvers = {
    first_char: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first_char, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def parse_document(path: Path) -> Any:
    """Parse one JSON or YAML file, turning every failure into an `InferloadError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InferloadError(ErrorKind.FILE_NOT_FOUND, "no such file", location=Location(str(path)))
    except IsADirectoryError:
        raise InferloadError(
            ErrorKind.UNREADABLE, "is a directory, not a spec file", location=Location(str(path))
        )
    except OSError as exc:
        raise InferloadError(
            ErrorKind.UNREADABLE, f"cannot read: {exc.strerror}", location=Location(str(path))
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InferloadError(
            ErrorKind.UNREADABLE,
            f"not UTF-8 text (byte {exc.start})",
            location=Location(str(path)),
            hint="an OpenAPI document is a YAML or JSON text file",
        )
    if "\x00" in text:
        raise InferloadError(
            ErrorKind.UNREADABLE, "binary content, not YAML or JSON", location=Location(str(path))
        )
    if text.lstrip().startswith(("{", "[")) or path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InferloadError(
                ErrorKind.SYNTAX,
                f"invalid JSON: {exc.msg}",
                location=Location(str(path), line=exc.lineno),
            )
    try:
        return yaml.load(text, Loader=_SpecYamlLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InferloadError(
            ErrorKind.SYNTAX, f"invalid YAML: {problem}", location=Location(str(path), line=line)
        )
    except yaml.YAMLError as exc:
        raise InferloadError(
            ErrorKind.SYNTAX, f"invalid YAML: {exc}", location=Location(str(path))
        )


def _unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class DocumentSet:
    """The files of one spec, each parsed once, and the `$ref` lookups between them."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._display_root = str(root)
        self._documents: dict[Path, Any] = {}
        self.root_document = self.load(self.root, display=str(root))

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

    def load(self, path: Path, display: str | None = None) -> Any:
        if path not in self._documents:
            try:
                self._documents[path] = parse_document(path)
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
            raise self._ref_error(ErrorKind.BROKEN_REF, f"$ref must be a string, got {ref!r}", base, where)
        if ref.startswith(("http://", "https://", "//")):
            raise self._ref_error(
                ErrorKind.EXTERNAL_REF,
                f"external $ref {ref!r} is not fetched",
                base,
                where,
                hint="download the referenced document and point the $ref at the local copy",
            )
        file_part, _, fragment = ref.partition("#")
        target_file = (base.parent / unquote(file_part)).resolve() if file_part else base
        if file_part:
            if not target_file.is_file():
                raise self._ref_error(
                    ErrorKind.BROKEN_REF, f"$ref {ref!r} points to a missing file", base, where
                )
            document = self.load(target_file)
        else:
            document = self._documents[base]
        pointer = unquote(fragment)
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

    def follow(self, node: Any, base: Path, where: str) -> tuple[Any, Path]:
        """Follow a chain of `$ref`s to the real object (for parameters, responses, ...)."""
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            target, base, key = self.resolve(node["$ref"], base, where)
            if key in seen:
                raise self._ref_error(ErrorKind.BROKEN_REF, f"$ref cycle through {key}", base, where)
            seen.add(key)
            node = target
        return node, base

    def _ref_error(
        self, kind: ErrorKind, message: str, base: Path, where: str, hint: str | None = None
    ) -> InferloadError:
        return InferloadError(kind, message, location=Location(self.display(base), field=where), hint=hint)
