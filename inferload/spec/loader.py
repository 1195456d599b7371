"""`load_catalog`: one call from a spec file to a `Catalog`, with a content-hash cache.

Parsing Stripe's 4 MB YAML costs ~1.7 s even with libyaml; the catalog built from it pickles to
a few MB and loads in a fraction of that. The cache key is the root file's SHA-256 plus the
inferload version; the entry records the hash of every other file the spec pulled in through
`$ref`, so editing any of them invalidates it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

from inferload import __version__
from inferload.errors import ErrorKind, InferloadError, Location
from inferload.spec.common import text, unique_operation_ids
from inferload.spec.documents import DocumentSet
from inferload.spec.model import Catalog, SourceFile
from inferload.spec.openapi3 import OpenAPI3Builder
from inferload.spec.schemas import SchemaRegistry
from inferload.spec.servers import servers_from_openapi3, servers_from_swagger2
from inferload.spec.swagger2 import Swagger2Builder

# raised whenever a spec builds to a different catalog (3: base paths of scheme-less servers;
# 4: relative server URLs among the problems; 5: parameters' style and explode)
_CACHE_FORMAT = 5
SUPPORTED_VERSIONS = ("2.0", "3.0.x", "3.1.x", "3.2.x")


def default_cache_dir() -> Path:
    explicit = os.environ.get("INFERLOAD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "inferload"


def load_catalog(
    path: str | Path, *, cache_dir: Path | None = None, use_cache: bool = True
) -> Catalog:
    """Load a Swagger 2.0 / OpenAPI 3.x spec (one file or several linked by `$ref`)."""
    path = Path(path)
    root_bytes = None
    if use_cache:
        cache_dir = cache_dir or default_cache_dir()
        root_bytes = _read_root(path)
        key = hashlib.sha256(root_bytes).hexdigest() if root_bytes is not None else ""
        cached = _read_cache(cache_dir, key, path)
        if cached is not None:
            return replace(cached, sources=(SourceFile(str(path), key), *cached.sources[1:]))
    catalog = build_catalog(path, root_bytes)
    if use_cache:
        _write_cache(cache_dir or default_cache_dir(), catalog)
    return catalog


def build_catalog(path: str | Path, root_bytes: bytes | None = None) -> Catalog:
    """Parse and walk the spec, without the cache (`root_bytes`: the root file, if read)."""
    path = Path(path)
    documents = DocumentSet(path, root_bytes)
    document = documents.root_document
    openapi_version = _detect_version(document, str(path))
    problems: list[str] = []
    registry = SchemaRegistry(documents, problems)
    if openapi_version == "2.0":
        builder: OpenAPI3Builder | Swagger2Builder = Swagger2Builder(documents, registry, problems)
        servers = servers_from_swagger2(document)
        webhooks: tuple[str, ...] = ()
    else:
        builder = OpenAPI3Builder(documents, registry, problems)
        servers = servers_from_openapi3(document.get("servers"), problems)
        webhooks = builder.webhooks()
    schemes = builder.security_schemes()
    operations = unique_operation_ids(builder.operations(schemes), problems)
    if not operations:
        problems.append("the spec documents no operations")
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    return Catalog(
        title=text(info.get("title")) or path.stem,
        api_version=str(info.get("version", "")),
        openapi_version=openapi_version,
        servers=servers,
        operations=tuple(operations),
        security_schemes=schemes,
        schemas=registry.schemas,
        webhooks=webhooks,
        problems=tuple(problems),
        sources=tuple(
            SourceFile(
                str(path) if file == documents.root else documents.relative(file),
                documents.hashes[file],
            )
            for file in documents.files
        ),
    )


def _detect_version(document: Any, display: str) -> str:
    where = Location(display)
    if not isinstance(document, dict):
        raise InferloadError(
            ErrorKind.NOT_OPENAPI,
            "not an OpenAPI document (the top level is not a mapping)",
            location=where,
        )
    if "openapi" in document:
        version = str(document["openapi"])
        if version.split(".")[:2] in (["3", "0"], ["3", "1"], ["3", "2"]):
            return version
    elif "swagger" in document:
        version = str(document["swagger"])
        if version == "2.0":
            return version
    else:
        hint = _hint_for_other_document(document)
        raise InferloadError(
            ErrorKind.NOT_OPENAPI,
            "not an OpenAPI document (no `openapi` or `swagger` field)",
            location=where,
            hint=hint,
        )
    raise InferloadError(
        ErrorKind.UNSUPPORTED_VERSION,
        f"OpenAPI version {version!r} is not supported",
        location=Location(display, field="openapi" if "openapi" in document else "swagger"),
        hint=f"supported: {', '.join(SUPPORTED_VERSIONS)}",
    )


def _hint_for_other_document(document: dict[str, Any]) -> str | None:
    """What to give instead of a document that is about an API but is no OpenAPI."""
    if "item" in document and "info" in document:
        return "this looks like a Postman collection; export the API's OpenAPI document instead"
    if "arazzo" in document:  # workflows over OpenAPI documents, which it names
        sources = document.get("sourceDescriptions")
        urls = [
            str(source["url"])
            for source in (sources if isinstance(sources, list) else [])
            if isinstance(source, dict) and source.get("type") == "openapi" and "url" in source
        ]
        named = f": {', '.join(urls)}, relative to this file" if urls else ""
        return f"this is an Arazzo workflow document; give the OpenAPI document it describes{named}"
    return None


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_root(path: Path) -> bytes | None:
    """The root file's bytes, read once for both its cache key and its parse."""
    try:
        return path.read_bytes()
    except OSError:
        return None  # build_catalog reads it again and reports the real problem with the file


def _cache_file(cache_dir: Path, root_hash: str) -> Path:
    return cache_dir / f"catalog-v{_CACHE_FORMAT}-{__version__}-{root_hash}.pickle"


def _read_cache(cache_dir: Path, root_hash: str, root: Path) -> Catalog | None:
    if not root_hash:
        return None
    try:
        with _cache_file(cache_dir, root_hash).open("rb") as handle:
            catalog = pickle.load(handle)  # noqa: S301 - our own cache, keyed by content hash
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    if not isinstance(catalog, Catalog):
        return None
    root_dir = root.resolve().parent
    for source in catalog.sources[1:]:
        try:
            if _file_hash(root_dir / source.path) != source.sha256:
                return None
        except OSError:
            return None
    return catalog


def _write_cache(cache_dir: Path, catalog: Catalog) -> None:
    """Best effort: a read-only or full cache folder only costs speed, never correctness."""
    target = _cache_file(cache_dir, catalog.sources[0].sha256)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(catalog, handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(target)
    except OSError:
        return
