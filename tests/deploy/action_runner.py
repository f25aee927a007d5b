"""Run a composite action's ``run:`` steps the way the GitHub runner does, without GitHub.

Each step's ``env:`` is evaluated (``${{ inputs.X }}``, ``github.*``, ``runner.*``, ``steps.ID.outputs.X``),
its script runs in ``bash --noprofile --norc -eo pipefail`` (what ``shell: bash`` means), and the files the
runner hands a step (``GITHUB_OUTPUT``, ``GITHUB_PATH``) are read back: outputs become
``steps.ID.outputs``, paths are prepended to ``PATH`` for the steps after it. ``uses:`` steps are not run;
their ``with:`` is evaluated and recorded, so a test can check what they would upload or cache.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class StepRun:
    """What one step did: its script's exit code (None for ``uses:``) and what it produced."""

    name: str
    uses: str | None
    code: int | None
    outputs: dict[str, str] = field(default_factory=dict)
    with_: dict[str, str] = field(default_factory=dict)
    output: str = ""


@dataclass
class Runner:
    """The state a job carries between the steps of one action."""

    action: dict[str, Any]
    inputs: dict[str, str]
    action_path: Path
    workspace: Path
    temp: Path
    context: dict[str, str] = field(default_factory=dict)
    steps: dict[str, dict[str, str]] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)

    def value(self, ref: str) -> str:
        """One context reference, as the runner would substitute it."""
        parts = ref.split(".")
        if parts[0] == "inputs":
            declared = self.action.get("inputs", {}).get(parts[1], {})
            return self.inputs.get(parts[1], str(declared.get("default", "")))
        if parts[0] == "steps" and parts[2] == "outputs":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        if ref == "github.action_path":
            return str(self.action_path)
        if ref == "runner.temp":
            return str(self.temp)
        if ref in self.context:
            return self.context[ref]
        raise KeyError(f"no value for ${{{{ {ref} }}}} in this runner")

    def expand(self, text: str) -> str:
        """Substitute every ``${{ ref }}`` of a plain reference."""
        return _EXPR.sub(lambda m: self.value(m.group(1)), text)

    def run(self, environ: dict[str, str], skip: frozenset[str] = frozenset()) -> list[StepRun]:
        """Every step in order (but those named in ``skip``); a failing ``run:`` stops the action, as on
        GitHub."""
        done: list[StepRun] = []
        for i, step in enumerate(self.action["runs"]["steps"]):
            sid = str(step.get("id") or f"step{i}")
            name = str(step.get("name") or step.get("uses") or sid)
            if name in skip:
                continue
            if "uses" in step:
                with_ = {k: self.expand(str(v)) for k, v in (step.get("with") or {}).items()}
                done.append(StepRun(name, str(step["uses"]), None, with_=with_))
                continue
            out_file, path_file = self.temp / f"output-{sid}", self.temp / f"path-{sid}"
            out_file.write_text("")
            path_file.write_text("")
            env = {
                **environ,
                **{k: self.expand(str(v)) for k, v in (step.get("env") or {}).items()},
                "GITHUB_OUTPUT": str(out_file),
                "GITHUB_PATH": str(path_file),
                "GITHUB_WORKSPACE": str(self.workspace),
                "RUNNER_TEMP": str(self.temp),
                "PATH": os.pathsep.join([*self.path, environ["PATH"]]),
            }
            assert step.get("shell") == "bash", f"{name}: only bash steps are emulated"
            script = self.temp / f"step-{sid}.sh"
            # The scripts take every value from env: (an expression pasted into a script is an injection).
            assert "${{" not in str(step["run"]), f"{name}: expression inside run:"
            script.write_text(str(step["run"]))
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
            self.steps[sid] = outputs
            self.path = [p for p in path_file.read_text().splitlines() if p] + self.path
            done.append(StepRun(name, None, proc.returncode, outputs, output=proc.stdout + proc.stderr))
            if proc.returncode != 0:
                break
        return done
