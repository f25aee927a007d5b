"""Which CI/CD variables a GitLab job receives. Pure.

A job gets the project's, its groups' (nearest subgroup first) and the instance's variables, one value per
name (project before group before instance), but only those whose environment scope matches the job's
``environment:`` (``*`` matches every job, with or without one) and, for a protected variable, only when
the job can run on a protected branch or tag. When that cannot be told (the protected branches and tags
were not collected), the read is kept with ``protected_ref_only`` on the edge.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from connectors.gitlab.raw import Variable
from scanner.model import NodeId

Tri = bool | None


@dataclass(frozen=True)
class CiVariable:
    """A CI/CD variable node as a job can see it."""

    id: NodeId
    key: str
    level: str  # "project", "group" or "instance"
    owner: str  # the project or group path, or "instance"
    variable: Variable
    file: str  # bundle file it was listed in

    @property
    def name(self) -> str:
        """The variable's name."""
        return self.key

    @property
    def where(self) -> str:
        """Where it is set, for reports."""
        scope = self.variable.environment_scope
        env = f", environment {scope}" if scope != "*" else ""
        flags = ", protected" if self.variable.protected else ""
        return f"{self.level} {self.owner} (CI/CD variable{env}{flags})"

    @property
    def scope(self) -> str:
        """The project or group that holds it."""
        return self.owner

    @property
    def native(self) -> str:
        """The native id reused by the credential it holds."""
        return f"{self.owner}/{self.key}/{self.variable.environment_scope}"

    @property
    def created_at(self) -> str:
        """GitLab does not say when a variable was set."""
        return ""

    @property
    def updated_at(self) -> str:
        """Nor when it was last changed."""
        return ""


def scope_matches(scope: str, environment: str | None) -> bool:
    """Whether a variable's environment scope applies to a job deploying to ``environment``."""
    if scope == "*":
        return True
    if environment is None:
        return False
    # `review/$CI_COMMIT_REF_SLUG`: any value of the variable
    sample = re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", "x", environment)
    return fnmatch.fnmatchcase(environment, scope) or fnmatch.fnmatchcase(sample, scope) or scope == environment


@dataclass(frozen=True)
class Visible:
    """A variable a job receives, with the condition it holds under (``protected_ref_only``)."""

    var: CiVariable
    conditional: bool


class VariableScope:
    """The variables of one project and everything above it, in GitLab's order of precedence."""

    def __init__(self, levels: list[list[CiVariable]], complete: bool, instance: bool = False) -> None:
        """``levels``: project, then groups nearest first, then instance; ``complete``: the project's and its
        groups' lists were collected; ``instance``: the instance's too (an administrator's list, opt-in)."""
        self.levels = levels
        self.complete = complete
        self.instance = instance

    @property
    def all_listed(self) -> bool:
        """Every list that could hold a variable was collected: a name none shows is empty at run time."""
        return self.complete and self.instance

    def visible(self, environment: str | None, protected: Tri) -> dict[str, list[Visible]]:
        """Variables by name that a job with ``environment``, running on a protected ref or not
        (``protected``: True, False or unknown), receives."""
        out: dict[str, list[Visible]] = {}
        settled: set[str] = set()
        for level in self.levels:
            found: dict[str, list[Visible]] = {}
            for v in level:
                if v.key in settled or not scope_matches(v.variable.environment_scope, environment):
                    continue
                if v.variable.protected and protected is False:
                    continue
                conditional = v.variable.protected and protected is not True
                found.setdefault(v.key, []).append(Visible(v, conditional))
            for key, items in found.items():
                out.setdefault(key, []).extend(items)
                if any(not i.conditional for i in items):
                    settled.add(key)  # an unconditional value here hides the levels below
        return out
