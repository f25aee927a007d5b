"""Reports written as they are produced: JSON documents whose long arrays are generated item by item,
encoded in chunks and written through :func:`reports._atomic.write_atomic_bytes` (a temporary file,
then a rename: never a half-written report). The output is byte for byte what ``json.dumps(doc,
indent=2, ensure_ascii=False)`` gives for the same document with every array materialised."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from reports._atomic import write_atomic_bytes

#: Chunks of about this many characters are written at once (fewer, larger writes).
_BUFFER = 1 << 16


class Stream:
    """An array of a streamed document whose items are produced only while it is written."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


class _StreamInside(Exception):
    """Raised from orjson's ``default`` hook when a value holds a :class:`Stream`."""


def _no_stream(value: Any) -> Any:
    if isinstance(value, Stream):
        raise _StreamInside
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _encode(value: Any, level: int) -> Iterator[str]:
    pad = "  " * level
    if not isinstance(value, Stream):
        # Most values hold no stream (every finding, every row): orjson encodes them whole, and stops at
        # the first stream it meets in the others (its ``default`` hook is called for nothing else). One
        # pass in C instead of a walk of every nested value in Python before each item was encoded.
        try:
            # orjson's indent-2 output is json.dumps(indent=2, ensure_ascii=False)'s, several times faster;
            # JSON strings carry no raw newline, so re-indenting the lines is exact.
            text = orjson.dumps(value, default=_no_stream, option=orjson.OPT_INDENT_2).decode("utf-8")
        except orjson.JSONEncodeError as e:
            if not isinstance(e.__cause__, _StreamInside):
                raise
        else:
            yield text.replace("\n", "\n" + pad) if level else text
            return
    if isinstance(value, Stream | list | tuple):
        first = True
        for item in value.items if isinstance(value, Stream) else value:
            yield ("[\n" if first else ",\n") + pad + "  "
            first = False
            yield from _encode(item, level + 1)
        yield "[]" if first else "\n" + pad + "]"
    else:  # a dict holding a stream
        sep = "{\n"
        for k, v in value.items():
            yield f"{sep}{pad}  {json.dumps(str(k), ensure_ascii=False)}: "
            sep = ",\n"
            yield from _encode(v, level + 1)
        yield "{}" if sep == "{\n" else "\n" + pad + "}"


def chunks(doc: Any) -> Iterator[bytes]:
    """``doc`` encoded as indented JSON with a final newline, in UTF-8 chunks; a :class:`Stream`
    anywhere in it is consumed item by item."""
    buf: list[str] = []
    size = 0
    for part in _encode(doc, 0):
        buf.append(part)
        size += len(part)
        if size >= _BUFFER:
            yield "".join(buf).encode("utf-8")
            buf, size = [], 0
    buf.append("\n")
    yield "".join(buf).encode("utf-8")


def text(doc: Any) -> str:
    """The streamed document as one string (tests, and callers that want the text)."""
    return b"".join(chunks(doc)).decode("utf-8")


def write(path: Path, doc: Any) -> None:
    """Write ``doc`` to ``path`` as :func:`chunks` produces it, atomically."""
    write_atomic_bytes(path, chunks(doc))


def lines(path: Path, rows: Iterable[str]) -> None:
    """Write text ``rows`` (each with its own line end) to ``path`` in chunks, atomically."""

    def encoded() -> Iterator[bytes]:
        buf: list[str] = []
        size = 0
        for row in rows:
            buf.append(row)
            size += len(row)
            if size >= _BUFFER:
                yield "".join(buf).encode("utf-8")
                buf, size = [], 0
        yield "".join(buf).encode("utf-8")

    write_atomic_bytes(path, encoded())
