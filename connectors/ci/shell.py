"""A CI step's shell script → the commands it runs. Pure: no I/O.

Not a shell: enough of one to find the commands a publish catalogue describes. Line continuations are
joined, so are lines inside a quote or a ``$( … )`` that spans them, a here-document written to a file
(``cat > f <<EOF``) is that command's ``stdin``, comments dropped, and a line is split
at ``;``, ``&&``, ``||``, ``|`` and ``&`` outside quotes and command substitutions;
a command piped into another is kept as that command's ``stdin``. CI expressions (``${{ … }}``) are
opaque words whatever spaces or operators they hold.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_GH_EXPR = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_CONTINUATION = re.compile(r"(?:\\|`)[ \t]*\r?$")
#: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``$env:VAR`` (PowerShell), ``%VAR%`` (cmd).
_SHELL_VAR = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$(?:env:)?([A-Za-z_][A-Za-z0-9_]*)|%([A-Za-z_][A-Za-z0-9_]*)%"
)


@dataclass(frozen=True)
class Command:
    """One simple command of a script."""

    text: str
    words: tuple[str, ...]
    stdin: str | None  # the command piped into this one
    line: int  # 0-based line of the script where it starts


def _protect(script: str) -> tuple[str, list[str]]:
    saved: list[str] = []

    def keep(m: re.Match[str]) -> str:
        saved.append(m.group(0))
        return f"\x00{len(saved) - 1}\x00"

    return _GH_EXPR.sub(keep, script), saved


def _restore(text: str, saved: list[str]) -> str:
    if "\x00" not in text:
        return text
    return re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], text)


class _Scan:
    """Where a shell text is: inside quotes, ``$( … )`` or backticks (a stack), or at the top level."""

    def __init__(self) -> None:
        self.stack: list[str] = []

    @property
    def top(self) -> bool:
        """At the top level, where separators and comments count."""
        return not self.stack

    def step(self, line: str, i: int) -> int:
        """Advance over the token at ``line[i]`` (already known not to be a top-level separator or
        comment); return how many characters it spans."""
        c = line[i]
        ctx = self.stack[-1] if self.stack else ""
        if ctx == "'":
            if c == "'":
                self.stack.pop()
            return 1
        if c == "\\" and i + 1 < len(line):
            return 2
        if ctx == "`":
            if c == "`":
                self.stack.pop()
            return 1
        if c == "$" and line[i + 1 : i + 2] == "(":
            self.stack.append("(")
            return 2
        if ctx == '"':
            if c == '"':
                self.stack.pop()
            elif c == "`":
                self.stack.append("`")
            return 1
        # top level or inside $( … ): quotes and nested parentheses open here
        if c in "'\"`":
            self.stack.append(c)
        elif c == "(" and ctx == "(":
            self.stack.append("(")
        elif c == ")" and ctx == "(":
            self.stack.pop()
        return 1


def _segments(line: str) -> Iterator[tuple[str, str]]:
    """Split a command line at separators outside quotes and ``$( … )``: (segment, the operator that ends it)."""
    out: list[str] = []
    scan = _Scan()
    i = 0
    in_test = False  # inside `[[ … ]]`, where `&&` and `||` join conditions (`[[ -z "$N" || ! "$N" =~ ^[0-9]+$ ]]`)
    while i < len(line):
        c = line[i]
        if scan.top:
            if c == "#" and (not out or out[-1][-1:].isspace()):
                break  # a comment runs to the end of the line
            before, after = line[i - 1 : i] if i else " ", line[i + 2 : i + 3] or " "
            if line[i : i + 2] in ("[[", "]]") and before.isspace() and after.isspace():
                in_test = line[i] == "["
                out.append(line[i : i + 2])
                i += 2
                continue
            if in_test and line[i : i + 2] in ("&&", "||"):
                out.append(line[i : i + 2])
                i += 2
                continue
            if c == "&" and (line[i + 1 : i + 2] == ">" or (out and out[-1].endswith(">"))):
                out.append(c)  # a redirection (&>, 2>&1), not a separator
                i += 1
                continue
            if c in ";|&" or c == "\n":
                op = line[i : i + 2] if line[i : i + 2] in ("&&", "||") else c
                yield "".join(out), op
                out = []
                i += len(op)
                continue
        n = scan.step(line, i)
        out.append(line[i : i + n])
        i += n
    yield "".join(out), ""


def _open_after(text: str) -> bool:
    """Whether ``text`` ends inside a quote or a ``$( … )`` (a command that goes on on the next line)."""
    scan = _Scan()
    i = 0
    while i < len(text):
        if scan.top and text[i] == "#" and (i == 0 or text[i - 1].isspace()):
            nl = text.find("\n", i)
            if nl < 0:
                break
            i = nl
            continue
        i += scan.step(text, i)
    return not scan.top


#: A quote left open joins at most this many following lines (an apostrophe in prose must not swallow a script).
_MAX_JOINED = 60
#: A here-document (`<<EOF`, `<<-'EOF'`) and the commands that only write one to a file (`cat > f <<EOF`,
#: `tee f <<EOF`); a here-document fed to a shell (`bash <<EOF`, `ssh host <<EOF`, `cat <<EOF | sh`) is commands
#: and stays so.
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]\w*)\1")
_WRITES_FILE = re.compile(r"(?:sudo\s+)?(?:cat|tee)\b")


def words(text: str) -> tuple[str, ...]:
    """Shell words of one command (quotes removed); whitespace split when it does not parse."""
    try:
        return tuple(shlex.split(text, comments=False, posix=True))
    except ValueError:
        return tuple(text.split())


def commands(script: str) -> list[Command]:
    """The simple commands of a script, in order."""
    protected, saved = _protect(script)
    lines = protected.split("\n")
    out: list[Command] = []
    i = 0
    while i < len(lines):
        start, current = i, lines[i]
        while i + 1 < len(lines):
            if _CONTINUATION.search(current):
                current = _CONTINUATION.sub(" ", current) + lines[i + 1]
                i += 1
                continue
            if _open_after(current):
                # a quote or $( … ) spanning lines: the command goes on until it closes, if it does soon
                j = i + 1
                joined = current
                while j < len(lines) and j - i <= _MAX_JOINED:
                    joined += "\n" + lines[j]
                    if not _open_after(joined):
                        break
                    j += 1
                if j < len(lines) and j - i <= _MAX_JOINED:
                    current, i = joined, j
                    continue
            break
        body = ""
        m = _HEREDOC.search(current)
        if m is not None and _WRITES_FILE.match(current.strip()) and "|" not in current[m.end() :]:
            # `cat > ~/.gem/credentials <<'EOF'` … `EOF`: the lines up to the delimiter are the file's
            # content (data, not commands), the standard input of the command that writes them
            j = i + 1
            while j < len(lines) and lines[j].strip() != m.group(2):
                j += 1
            if j < len(lines):
                body, i = "\n" + "\n".join(lines[i + 1 : j]), j
        piped: str | None = None
        for seg, op in _segments(current):
            text = seg.strip()
            if text:
                restored = _restore(text, saved)
                ws = tuple(_restore(w, saved) for w in words(text))
                # the here-document is what the command reads: its standard input, as a pipe's would be
                given = _restore(body.lstrip("\n"), saved) if body and "<<" in text else piped
                out.append(Command(text=restored, words=ws, stdin=given, line=start))
                piped = restored if op == "|" else None
            else:
                piped = None
        i += 1
    return out


#: The first line of a shell function's definition: `name() {`, `function name {`, `function name() {` (the brace
#: may follow on the next line, or the whole body on this one: `name() { cmd; }`).
_FUNCTION_START = re.compile(
    r"^\s*(?:function\s+([A-Za-z_][\w-]*)\s*(?:\(\s*\))?|([A-Za-z_][\w-]*)\s*\(\s*\))\s*(\{.*)?$"
)


def functions(script: str) -> tuple[str, dict[str, str]]:
    """A script's shell function definitions, taken out: the script with each definition's lines blanked (a
    function's body runs only where it is called, not where it is defined), and each function's body by name.
    Braces are counted on lines that open a block at their end (`{`) or close one at their start (`}`), so a
    `${VAR}` in the body does not end it."""
    if "(" not in script and "function" not in script:
        return script, {}
    lines = script.split("\n")
    found: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _FUNCTION_START.match(lines[i])
        if m is None:
            i += 1
            continue
        name = m.group(1) or m.group(2)
        rest = (m.group(3) or "").strip()
        start = i
        if rest.startswith("{") and rest.endswith("}") and len(rest) > 1:
            body = [rest[1:-1]]  # `name() { cmd; }`
        else:
            if not rest:
                if i + 1 >= len(lines) or lines[i + 1].strip() != "{":
                    i += 1
                    continue  # `name()` alone is a call of something else, not a definition
                i += 1
            depth, body = 1, []
            while i + 1 < len(lines) and depth > 0:
                i += 1
                text = lines[i].strip()
                if text.startswith("}"):
                    depth -= 1
                    if depth == 0:
                        break
                if text.endswith("{") and not text.endswith("${"):
                    depth += 1
                body.append(lines[i])
            if depth > 0:
                i = start + 1
                continue  # no closing brace: not a definition regwarden can read
        found[name] = "\n".join(body)
        for k in range(start, i + 1):
            lines[k] = ""
        i += 1
    return "\n".join(lines), found


_POSITIONAL = re.compile(r"\$\{?([1-9])\}?|\$\{?[@*]\}?")


def with_arguments(body: str, args: tuple[str, ...]) -> str:
    """A function's body as a call with ``args`` runs it: ``$1``…``$9``, ``$@`` and ``$*`` replaced by them
    (quotes of the arguments dropped; the body's own quotes stay)."""
    plain = [a[1:-1] if len(a) >= 2 and a[0] == a[-1] and a[0] in "'\"" else a for a in args]

    def arg(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return " ".join(plain)
        n = int(m.group(1))
        return plain[n - 1] if n <= len(plain) else ""

    return _POSITIONAL.sub(arg, body)


#: A pattern substitution with a literal replacement (`${tag/${GHCR_REPO}/docker.io/acme/app}`).
_PATTERN_SUB = re.compile(r"\$\{[A-Za-z_]\w*//?(?:\$\{\w+\}|[^/{}])*/([^{}$]*)\}")


#: The same made by `sed` on a variable's value (`$(echo "$source" | sed -e 's,ghcr.io/acme/app,docker.io/acme/app,')`).
_SED_SUB = re.compile(
    r"""\$\(\s*echo\s+(?:-n\s+)?"?\$\{?\w+\}?"?\s*\|\s*sed\s+(?:-[eE]\s+)?['"]?s([,|/#:@])(?:(?!\1).)*\1((?:(?!\1)[^'"$])*)\1[a-zA-Z]*['"]?\s*\)"""
)


#: A value only case-mapped by `tr` (`$(echo "ghcr.io/${{ github.repository }}" | tr '[:upper:]' '[:lower:]')`, which
#: registries that refuse capitals need): it names what it echoes.
_CASE_MAPPED = re.compile(
    r"""\$\(\s*echo\s+(?:-n\s+)?(?:"([^"$()`]*)"|'([^'$()`]*)'|([^\s"'|$()`]+))\s*\|\s*tr\s+[^|()]*\)"""
)

#: `echo "name=value" >> "$GITHUB_OUTPUT"`: a step's output (GitHub Actions).
STEP_OUTPUT = re.compile(r"""^echo\s+["']?([A-Za-z_][\w-]*)=(.*?)["']?\s*>>\s*["']?\$\{?GITHUB_OUTPUT\}?["']?\s*$""")


def case_mapped(text: str) -> str:
    """``text`` with each `$(echo VALUE | tr …)` read as VALUE (a case mapping changes no registry's name)."""
    if "tr" not in text or "$(" not in text:
        return text
    return _CASE_MAPPED.sub(lambda m: m.group(1) if m.group(1) is not None else (m.group(2) or m.group(3) or ""), text)


def computed(value: str) -> bool:
    """Whether a variable's whole value is a command's output (`$(…)` or backquotes), known only when the job runs."""
    v = value.strip()
    return (v.startswith("$(") and v.endswith(")") and not v.startswith("$((")) or (len(v) > 1 and v[0] == v[-1] == "`")


def replaced_patterns(text: str) -> str:
    """``text`` with each pattern substitution of a literal replacement read as that replacement followed by
    what is left of the value (``${tag/${GHCR_REPO}/docker.io/acme/app}`` → ``docker.io/acme/app*``), also one made
    by `echo "$X" | sed 's,A,B,'`: where an image is copied to, the replacement names it."""
    if "${" in text:
        text = _PATTERN_SUB.sub(lambda m: m.group(1) + "*", text)
    if "sed" in text:
        text = _SED_SUB.sub(lambda m: m.group(2) + "*", text)
    return text


def shell_vars(text: str) -> list[str]:
    """Names of the environment variables a piece of shell text expands."""
    return [a or b or c for a, b, c in _SHELL_VAR.findall(text)]


def with_values(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each variable it expands (the forms :func:`shell_vars` reads) replaced by its value in
    ``values``; a variable ``values`` does not hold is left as written."""
    return _SHELL_VAR.sub(lambda m: values.get(m.group(1) or m.group(2) or m.group(3), m.group(0)), text)


def flag_values(ws: tuple[str, ...], flags: tuple[str, ...]) -> list[str]:
    """Values given to any of ``flags`` (``--f v``, ``--f=v``, ``-fv`` for one-letter flags, and
    ``-Dname=`` style prefixes when a flag ends with ``=``)."""
    values: list[str] = []
    for i, w in enumerate(ws):
        for f in flags:
            if f.endswith("="):
                if w.startswith(f):
                    values.append(w[len(f) :])
            elif w == f and i + 1 < len(ws):
                values.append(ws[i + 1])
            elif w.startswith(f + "="):
                values.append(w[len(f) + 1 :])
            elif len(f) == 2 and f.startswith("-") and not f.startswith("--") and w.startswith(f) and len(w) > 2:
                values.append(w[2:])
    return values


def has_flag(ws: tuple[str, ...], flags: tuple[str, ...]) -> bool:
    """Whether any of ``flags`` is given and set (``--dry-run``, ``--dry-run=true``); a value from a
    variable (``--dry-run="$DRY"``) can be false, so it does not count."""
    for w in ws:
        for f in flags:
            value = w.split("=", 1)[1] if w.startswith(f + "=") else None
            if w == f or (value is not None and value.lower() not in ("false", "0", "no") and "$" not in value):
                return True
            if "=" in f and w == f:
                return True
    return False
