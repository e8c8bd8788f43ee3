"""What `rules check` reports: one problem per mistake, at file:line:col, with a stable code.

The codes are a contract for editors, CI annotations and people searching the docs: a code keeps its
meaning forever; a new kind of problem gets a new code. `qa-audit rules check --help` and the README
list them (both from `CODES`).
"""

from __future__ import annotations

from dataclasses import dataclass

CODES: dict[str, str] = {
    "QA001": "not a readable YAML file (syntax, encoding, size, nesting, object tags)",
    "QA002": "duplicate key in a mapping (YAML keeps only the last)",
    "QA003": "rule directory or file not found, or no .yaml files in it",
    "QA101": "unknown key",
    "QA102": "wrong type of value",
    "QA103": "value not among the allowed ones",
    "QA104": "required key missing",
    "QA105": "value out of range (too small, too large, too short, too long, bad pattern)",
    "QA106": "a condition needs exactly one operator",
    "QA107": "a key that goes only with another key",
    "QA108": "not a finite number (.nan, .inf)",
    "QA109": "bad example turn",
    "QA110": "repeated item where items must be unique",
    "QA111": "a constraint of the rule's kind (e.g. a metric rule needs min or max)",
    "QA201": "bad regex (RE2 syntax)",
    "QA202": "regex too large for the linear-time engine",
    "QA203": "at_least is larger than its phrase list",
    "QA204": "empty or whitespace-only phrase",
    "QA205": "a learned rule's model cannot be loaded",
    "QA301": "duplicate rule id",
    "QA302": "a second `pack:` section",
    "QA303": "`yields_to` names no rule of the pack, the rule itself, or a rule that yields in turn",
    "QA401": "redundant phrase: already covered by another phrase of the same list (warning)",
    "QA402": "oversized phrase lists in one rule (warning)",
    "QA501": "a rule's example does not give what it says (fire / pass)",
    "QA601": "the rule fires suspiciously often on the corpus (warning)",
}

MAX_SHOWN = 60  # characters of a value quoted in a message


def clip(value: object, limit: int = MAX_SHOWN) -> str:
    """`repr` of a value, cut to `limit` characters (a 5,000-phrase list is never printed whole)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, (list, tuple)):
        return f"{text[: limit - 20]}… ({len(value)} items)"
    return text[: limit - 1] + "…"


@dataclass(frozen=True)
class RuleProblem:
    """One problem in a rule file, pointing at file:line:col (1-based; col 0 when unknown)."""

    file: str
    line: int
    message: str
    hint: str = ""
    col: int = 0
    code: str = ""
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.col else f"{self.file}:{self.line}"
        code = f"{self.code} " if self.code else ""
        warn = "warning: " if self.severity == "warning" else ""
        tail = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}: {code}{warn}{self.message}{tail}"

    def to_json(self) -> dict[str, object]:
        """The problem as `rules check --format json` prints it."""
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class RuleLoadError(Exception):
    """The rule files are invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def codes_help() -> str:
    """The code list as `rules check --help` shows it."""
    return "\n".join(f"    {code}  {text}" for code, text in CODES.items())


CHECK_HELP = f"""Check rule files like a linter: every problem as `file:line:col: CODE message (hint)`.

    Strict validation (unknown keys, wrong types, bad regexes, duplicate ids...; exit 2), warnings
    about phrases (redundant, oversized lists), then every rule's own examples (exit 1 when one does not
    give what it says, shown at the example's own line), then every rule over a corpus: a warning
    (exit 0) for a rule that fires on more than --max-fire-rate of the turns (forbid rules) or fails more
    than that share of the conversations (other kinds) it looks at.

    \b
    Codes:
{codes_help()}

    \b
    Examples:
      qa-audit rules check --rules my_rules/
      qa-audit rules check --rules my_rules/ --corpus exports/2026-11-21/
      qa-audit rules check --format json > problems.json
    """
