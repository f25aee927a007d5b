"""The token formats table (``token_formats.yaml``): credentials by their own shape, and the places a
credential is written (command-line options, config lines, URLs).

:func:`formats` and :func:`forms` return the validated rows with their compiled patterns;
:mod:`scanner.redact` applies them to whatever collection writes, and the plaintext detector of the
CI connectors to what it reports.
"""

from __future__ import annotations

import re
from functools import cache, cached_property

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scanner.knowledge import read_table

_ID = r"^[a-z0-9-]+$"


class TokenFormat(BaseModel):
    """A credential recognisable by its own shape (a fixed prefix, an alphabet, a length)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    label: str
    prefix: str = Field(min_length=2)
    #: Other prefixes the same pattern covers (GitHub App tokens: ghu_, ghs_, ghr_).
    also: tuple[str, ...] = ()
    #: Rows of registries.yaml whose ``token_prefixes`` name ``prefix`` or one of ``also``.
    registries: tuple[str, ...] = ()
    #: False for identifiers shaped like credentials (an AWS access key id): recognised, never redacted.
    secret: bool = True
    pattern: str
    example: str
    near_miss: str
    docs: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The pattern, anchored so that it does not start inside a longer word."""
        return re.compile(rf"(?<![A-Za-z0-9])(?:{self.pattern})")

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Every prefix this row recognises."""
        return (self.prefix, *self.also)


class CredentialForm(BaseModel):
    """A place a credential is written: the ``value`` group of ``pattern`` is the credential."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID)
    label: str
    #: Lowercase words of which every match holds one, in any case: a text without any of them is not
    #: searched with ``pattern`` (tests/scanner/test_token_formats.py holds each row to it).
    keywords: tuple[str, ...] = Field(min_length=1)
    pattern: str
    example: str
    value: str
    fixed: str

    @field_validator("keywords")
    @classmethod
    def _lowercase(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not k or k != k.lower() for k in value):
            raise ValueError("keywords are non-empty lowercase words (the text is searched lowercased)")
        return value

    @field_validator("pattern")
    @classmethod
    def _has_value_group(cls, value: str) -> str:
        if "value" not in re.compile(value).groupindex:
            raise ValueError("a credential form needs a named group 'value'")
        return value

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The compiled pattern."""
        return re.compile(self.pattern)


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    formats: tuple[TokenFormat, ...]
    forms: tuple[CredentialForm, ...]


@cache
def _table() -> _Table:
    table = _Table.model_validate(read_table("token_formats.yaml"))
    ids = [f.id for f in table.formats] + [f.id for f in table.forms]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"token_formats.yaml: ids listed twice: {', '.join(dupes)}")
    return table


def formats() -> tuple[TokenFormat, ...]:
    """Every token format, in table order."""
    return _table().formats


def forms() -> tuple[CredentialForm, ...]:
    """Every credential form, in table order."""
    return _table().forms
