"""Static files: :class:`StaticResource`, which serves a directory under a URL prefix.

Safety first: a request never reaches a file outside the directory. Absolute paths,
``..`` segments (also when percent-encoded) and NUL bytes are refused; a symlink whose
target lies outside the directory is refused unless ``follow_symlinks=True``. Directory
listings (``show_index=True``) escape every name they print.

Speed: the first request for a name resolves it in a thread (``realpath`` walks every
component). A file found that way is remembered, by name, with its device and inode;
later requests for it only ``stat`` the remembered path inline and compare: the same
inode is the same file that passed the checks (if a directory on the way was swapped
for a symlink leading elsewhere, the inode differs and the name is resolved afresh).
The response then opens it inline too (see :mod:`heron.web.fileresponse`), for as
long as doing so stays fast (:class:`~heron.web.fileresponse.InlineOpen`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import os
import stat
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yarl import URL

from .. import hdrs
from .abc import ExpectHandler
from .exceptions import HTTPForbidden, HTTPNotFound
from .fileresponse import FileResponse, InlineOpen
from .resources import (
    _EMPTY,
    AbstractRoute,
    PrefixResource,
    ResourceRoute,
    UrlMappingMatchInfo,
    _Resolved,
    quote_path,
    unquote_safe,
)
from .response import Response, StreamResponse

if TYPE_CHECKING:
    from .request import Request

__all__ = ("StaticResource",)

_KNOWN_MAX = 1024  # names remembered per resource; the oldest is forgotten first


class StaticResource(PrefixResource):
    """Serve the files below ``directory`` at URL ``prefix`` (GET and HEAD)."""

    def __init__(
        self,
        prefix: str,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> None:
        super().__init__(prefix, name=name)
        try:
            resolved = Path(directory).expanduser().resolve(strict=True)
        except FileNotFoundError as exc:
            raise ValueError(f"No directory exists at {directory!r}") from exc
        if not resolved.is_dir():
            raise ValueError(f"Not a directory: {directory!r}")
        self._directory = resolved
        self._chunk_size = chunk_size
        self._show_index = show_index
        self._follow_symlinks = follow_symlinks
        self._append_version = append_version
        self._expect_handler = expect_handler
        self._routes: dict[str, ResourceRoute] = {
            method: ResourceRoute(method, self._handle, self, expect_handler=expect_handler)
            for method in (hdrs.METH_GET, hdrs.METH_HEAD)
        }
        self._allowed = frozenset(self._routes)
        # request filename -> (checked path, st_dev, st_ino) of a file served before
        self._known: dict[str, tuple[str, int, int]] = {}
        self._inline = InlineOpen()

    # --------------------------------------------------------------- routing

    def _resolve_sync(self, method: str, path: str) -> _Resolved:
        if not self._owns(path):
            return None, _EMPTY
        route = self._routes.get(method)
        if route is None:
            return None, self._allowed
        filename = unquote_safe(path[len(self._prefix) + 1 :])
        return UrlMappingMatchInfo({"filename": filename}, route), self._allowed

    async def resolve(self, request: Request) -> _Resolved:
        return self._resolve_sync(request.method, request.rel_url.path_safe)

    def set_options_route(self, handler: Any) -> None:
        """Answer OPTIONS on the prefix too (e.g. for CORS preflight)."""
        if hdrs.METH_OPTIONS in self._routes:
            raise RuntimeError("OPTIONS route was set already")
        self._routes[hdrs.METH_OPTIONS] = ResourceRoute(
            hdrs.METH_OPTIONS, handler, self, expect_handler=self._expect_handler
        )
        self._allowed = frozenset(self._routes)

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes.values())

    def get_info(self) -> dict[str, Any]:
        return {"directory": self._directory, "prefix": self._prefix, "routes": self._routes}

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<StaticResource {name} {self._prefix} -> {self._directory!r}>"

    # -------------------------------------------------------------- URL building

    def url_for(  # type: ignore[override]
        self, *, filename: str | os.PathLike[str], append_version: bool | None = None
    ) -> URL:
        """URL of ``filename`` under the prefix; ``append_version`` adds ``?v=<hash>``."""
        if append_version is None:
            append_version = self._append_version
        name = str(filename).replace(os.sep, "/").lstrip("/")
        url = URL.build(path=f"{self._prefix}/{quote_path(name, keep_slash=True)}", encoded=True)
        if not append_version:
            return url
        path = self._safe_path(name)
        if path is None or not path.is_file():
            return url  # nothing to hash: leave the URL unversioned
        stat = path.stat()
        return url.with_query(v=_file_hash(str(path), stat.st_mtime_ns, stat.st_size))

    # ------------------------------------------------------------------ serving

    def _safe_path(self, filename: str) -> Path | None:
        """The file for ``filename`` inside the directory, or None if it is refused."""
        if "\x00" in filename or filename.startswith("/") or ".." in filename.split("/"):
            return None
        candidate = self._directory / filename
        if self._follow_symlinks:
            # Lexically inside the root is enough: symlinks may point anywhere.
            normalized = Path(os.path.normpath(candidate))
            return normalized if normalized.is_relative_to(self._directory) else None
        resolved = candidate.resolve()
        return resolved if resolved.is_relative_to(self._directory) else None

    def _lookup(self, filename: str) -> tuple[str, Path | None]:
        """Blocking part of serving: classify the target (runs in a thread)."""
        if "\x00" in filename or filename.startswith("/") or ".." in filename.split("/"):
            return "forbidden", None
        path = self._safe_path(filename)
        if path is None:
            return "missing", None  # e.g. a symlink leading out of the root
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return "missing", None
        if stat.S_ISDIR(st.st_mode):
            return "dir", path
        if stat.S_ISREG(st.st_mode):
            self._remember(filename, str(path), st)
            return "file", path
        return "missing", None

    def _remember(self, filename: str, path: str, st: os.stat_result) -> None:
        known = self._known
        if len(known) >= _KNOWN_MAX:
            # Bounded: many distinct names must not grow memory without limit.
            # (Called from threads too: a concurrent pop may have emptied it.)
            try:
                del known[next(iter(known))]
            except (KeyError, RuntimeError, StopIteration):
                pass
        known[filename] = (path, st.st_dev, st.st_ino)

    def _recall(self, filename: str) -> str | None:
        """The checked path of a file served before, if it is still the same file."""
        entry = self._known.get(filename)
        if entry is None:
            return None
        path, dev, ino = entry
        started = time.perf_counter()
        try:
            # Inline on purpose: a stat of a path resolved a moment ago is served from
            # the kernel's caches, far cheaper than a hand-off to a thread.
            st = os.stat(path)
        except (OSError, ValueError):
            st = None
        self._inline.took(time.perf_counter() - started)
        if st is None or st.st_ino != ino or st.st_dev != dev or not stat.S_ISREG(st.st_mode):
            self._known.pop(filename, None)  # changed: resolve it again, in a thread
            return None
        return path

    async def _handle(self, request: Request) -> StreamResponse:
        filename = request.match_info["filename"]
        known = self._recall(filename) if self._inline.enabled else None
        if known is not None:
            response = FileResponse(known, chunk_size=self._chunk_size)
            response._inline = self._inline
            return response
        loop = asyncio.get_running_loop()
        kind, path = await loop.run_in_executor(None, self._lookup, filename)
        if kind == "forbidden":
            raise HTTPForbidden()
        if path is None:
            raise HTTPNotFound()
        if kind == "dir":
            if not self._show_index:
                raise HTTPForbidden()
            page = await loop.run_in_executor(None, self._index_page, path)
            return Response(text=page, content_type="text/html")
        response = FileResponse(path, chunk_size=self._chunk_size)
        response._inline = self._inline  # the thread just read its metadata
        return response

    def _index_page(self, directory: Path) -> str:
        """An HTML listing of ``directory`` with every name escaped."""
        relative = directory.relative_to(self._directory).as_posix()
        url_dir = self._prefix + "/" + ("" if relative == "." else relative + "/")
        title = html.escape(f"Index of {url_dir}")
        items: list[str] = []
        for entry in sorted(directory.iterdir(), key=lambda p: p.name):
            shown = entry.name + ("/" if entry.is_dir() else "")
            href = quote_path(url_dir + shown, keep_slash=True)
            items.append(
                f'<li><a href="{html.escape(href, quote=True)}">{html.escape(shown)}</a></li>'
            )
        return (
            f"<!DOCTYPE html>\n<html>\n<head>\n<title>{title}</title>\n</head>\n<body>\n"
            f"<h1>{title}</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>\n</body>\n</html>\n"
        )


@lru_cache(maxsize=256)
def _file_hash(path: str, mtime_ns: int, size: int) -> str:
    """Content hash for ``append_version``; cached while the file is unchanged."""
    digest = hashlib.sha256()
    with open(path, "rb") as fobj:
        for block in iter(lambda: fobj.read(1 << 16), b""):
            digest.update(block)
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=")
