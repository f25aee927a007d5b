"""GitHub Actions expressions as far as credentials and names go (the :class:`~connectors.ci.publish.Refs`
of GitHub). Pure: no I/O.

``${{ secrets.X }}`` is a stored secret (``GITHUB_TOKEN`` is the job's own token, not a secret),
``${{ github.token }}`` the job token, ``${{ vars.X }}`` a plain-text configuration variable,
``${{ env.X }}`` and a shell's ``$X`` whatever the step's environment holds, ``${{ steps.S.outputs.O }}``
what step ``S`` produced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from connectors.ci.publish import COMPARED, Route
from connectors.ci.shell import Command, case_mapped, replaced_patterns, shell_vars

EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
# (a context is a whole word: `steps.esc-secrets.outputs.NPM_TOKEN` is a step's output, not `secrets.outputs`)
_SECRET = re.compile(r"(?<![\w.-])secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
_VAR = re.compile(r"(?<![\w.-])vars\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
_ENV = re.compile(r"(?<![\w.-])env\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
_STEP_OUT = re.compile(r"\bsteps\s*\.\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\.\s*outputs\b(?:\s*\.\s*([\w-]+))?")
_NEEDS_OUT = re.compile(r"\bneeds\s*\.\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\.\s*outputs\s*\.\s*([\w-]+)")
_JOB_TOKEN = re.compile(r"\bgithub\s*\.\s*token\b")
_EXPORT = re.compile(r"""^\s*echo\s+["']?([A-Za-z_][A-Za-z0-9_]*)=(.*?)["']?\s*>>\s*["']?\$\{?GITHUB_ENV\}?["']?\s*$""")
_MAX_DEPTH = 4
#: `{ echo "NAME<<EOF"` … `echo EOF` `} >> "$GITHUB_ENV"` (also `echo 'NAME<<EOF'`, `printf`, any delimiter, one
#: held in a variable: box's random `$EOF`).
_GROUPED_BLOCK = re.compile(
    r"""\{\s*\n?\s*(?:echo|printf)\s+["']?(?P<name>[A-Za-z_][A-Za-z0-9_]*)<<(?P<delim>\$?\{?[A-Za-z_][A-Za-z0-9_]*\}?)["']?\s*\n"""
    r"""(?P<body>.*?)\n\s*(?:echo|printf)\s+["']?(?P=delim)["']?\s*\n?\s*\}\s*>>?\s*["']?\$\{?GITHUB_ENV\b""",
    re.DOTALL,
)
#: `echo "NAME<<EOF" >> $GITHUB_ENV`, the first line of a block written line by line.
_LINE_BLOCK_START = re.compile(
    r"""^\s*(?:echo|printf)\s+["']?(?P<name>[A-Za-z_][A-Za-z0-9_]*)<<(?P<delim>\$?\{?[A-Za-z_][A-Za-z0-9_]*\}?)["']?\s*>>?\s*["']?\$\{?GITHUB_ENV\b"""
)
_TO_ENV = re.compile(r"""\s*>>?\s*["']?\$\{?GITHUB_ENV\}?["']?\s*$""")


def _echoed(line: str) -> str:
    """What ``echo``/``printf`` prints of one script line: its argument without options and outer quotes."""
    text = re.sub(r"^\s*(?:echo|printf)(?:\s+-[neE]+)*\s*", "", line.strip())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return text


class GitHubRefs:
    """Credential references of one repository's workflows."""

    ci = "github"

    def __init__(self, repo: str) -> None:
        self.repo = repo
        self.owner, _, self.name = repo.partition("/")

    def routes(self, text: str, env: Mapping[str, str], in_script: bool) -> list[Route]:
        """Where the credential in ``text`` comes from."""
        return self._routes(text, env, in_script, 0)

    def _routes(self, text: str, env: Mapping[str, str], in_script: bool, depth: int) -> list[Route]:
        out: list[Route] = []
        if depth > _MAX_DEPTH:
            return out
        for expr in EXPR.findall(text):
            expr = COMPARED.sub(" ", expr)  # `vars.USE_TESTPYPI == 'true'` hands over a boolean, not the value
            for dotted, indexed in _SECRET.findall(expr):
                name = dotted or indexed
                out.append(
                    Route("job_token", "GITHUB_TOKEN") if name.upper() == "GITHUB_TOKEN" else Route("secret", name)
                )
            if _JOB_TOKEN.search(expr):
                out.append(Route("job_token", "github.token"))
            for dotted, indexed in _VAR.findall(expr):
                out.append(Route("variable", dotted or indexed))
            for dotted, indexed in _ENV.findall(expr):
                value = env.get(dotted or indexed)
                if value is not None:
                    out += self._routes(value, env, False, depth + 1)
            for step, output in _STEP_OUT.findall(expr):
                out.append(Route("step_output", step, output))
        if in_script:
            for name in shell_vars(EXPR.sub(" ", text)):
                value = env.get(name)
                if value is not None:
                    out += self._routes(value, env, True, depth + 1)
                elif name in ("GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN"):
                    continue
        return out

    def scope(self, text: str) -> str | None:
        """What of this repository expanding ``text`` may read: its name, when ``text`` names any of the
        ``repository`` contexts or variables :meth:`expand` knows (all spelled with "repository"); else
        nothing, and an analysis of ``text`` holds in every repository (:class:`connectors.ci.publish.Memo`)."""
        return self.repo if "repository" in text.lower() else None

    def expand(self, text: str, env: Mapping[str, str]) -> str:
        """``text`` with ``env``, ``github.repository`` and friends replaced; anything unknown is ``*``."""
        return self._expand(text, env, 0)

    def _expand(self, text: str, env: Mapping[str, str], depth: int) -> str:
        if depth > _MAX_DEPTH:
            return "*"

        def expr(m: re.Match[str]) -> str:
            e = m.group(1).strip()
            known = {
                "github.repository": self.repo,
                "github.repository_owner": self.owner,
                "github.event.repository.name": self.name,
                "github.event.repository.full_name": self.repo,
            }
            if e in known:
                return known[e]
            env_m = _ENV.fullmatch(e)
            if env_m and (value := env.get(env_m.group(1) or env_m.group(2))) is not None:
                return self._expand(value, env, depth + 1)
            # a step's output its script wrote (`echo "value=ghcr.io/${{ github.repository }}" >> "$GITHUB_OUTPUT"`),
            # kept by the analysis under `steps.<id>.outputs.<name>`
            out_m = _STEP_OUT.fullmatch(e)
            if out_m and (value := env.get(f"steps.{out_m.group(1)}.outputs.{out_m.group(2)}")) is not None:
                return self._expand(value, env, depth + 1)
            # an output of a job this one needs, as that job's script spelled it (`JobBuilder`'s `needs_outputs`)
            needs_m = _NEEDS_OUT.fullmatch(e)
            if needs_m and (value := env.get(f"needs.{needs_m.group(1)}.outputs.{needs_m.group(2)}")) is not None:
                return value
            # `cond && 'docker.io/acme/app' || ''`: the value is one of its literals; the last
            # non-empty one is the usual fallback and names the registry as well as any.
            literals = [lit for lit in re.findall(r"'((?:[^']|'')*)'", COMPARED.sub(" ", e)) if lit.strip()]
            return literals[-1] if literals else "*"

        out = replaced_patterns(EXPR.sub(expr, text))

        def var(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2) or m.group(3)
            if name == "GITHUB_REPOSITORY":
                return self.repo
            if name == "GITHUB_REPOSITORY_OWNER":
                return self.owner
            value = env.get(name)
            return self._expand(value, env, depth + 1) if value is not None else "*"

        return case_mapped(
            re.sub(
                r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)|%([A-Za-z_][A-Za-z0-9_]*)%", var, out
            )
        )

    def block_exports(self, script: str) -> Mapping[str, str]:
        """``NAME<<DELIMITER`` … ``DELIMITER`` written to ``$GITHUB_ENV`` (GitHub's multi-line syntax), by a group
        (``{ echo "TAGS<<EOF"; echo "$TAGS"; echo EOF; } >> "$GITHUB_ENV"``) or line by line (each ``echo … >>
        $GITHUB_ENV``): NAME holds the lines between, joined by newlines."""
        if "<<" not in script or "GITHUB_ENV" not in script:
            return {}
        out: dict[str, str] = {}
        for m in _GROUPED_BLOCK.finditer(script):
            out[m.group("name")] = "\n".join(_echoed(line) for line in m.group("body").splitlines() if line.strip())
        lines = script.splitlines()
        i = 0
        while i < len(lines):
            start = _LINE_BLOCK_START.match(lines[i])
            i += 1
            if start is None:
                continue
            body: list[str] = []
            while i < len(lines) and _TO_ENV.search(lines[i]):
                text = _echoed(_TO_ENV.sub("", lines[i]))
                i += 1
                if text == start.group("delim"):
                    out[start.group("name")] = "\n".join(body)
                    break
                body.append(text)
        return out

    def exports(self, command: Command) -> Mapping[str, str]:
        """``echo "NAME=value" >> $GITHUB_ENV``: NAME is in the environment of every later step."""
        if "GITHUB_ENV" not in command.text:
            return {}
        m = _EXPORT.match(command.text)
        return {m.group(1): m.group(2)} if m else {}
