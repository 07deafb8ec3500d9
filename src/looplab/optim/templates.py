"""Prompt templates: the optimizer's prompts, kept as data files that ship inside the package.

Each file in `looplab/optim/templates/` starts with a header of `# key: value` lines (an indented line
`#   more` continues the previous value) and a blank line, then the body:

    # name: optoprime
    # reply: code
    # purpose: what the template is for
    # system: the system message sent with it (optional)

    ## Goal
    {objective}

Substitution replaces only the known `{name}` tokens listed in `PLACEHOLDERS`, in one pass, so braces in
code, JSON examples or a prompt's own `{question}` placeholders are left alone and an inserted value is
never scanned again. A paragraph of the body (text between blank lines) that names a token whose value
is empty is left out whole, so an empty section does not leave a dangling heading for a small model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

from looplab.errors import ConfigError

ReplyFormat = Literal["code", "json"]
REPLY_FORMATS: tuple[ReplyFormat, ...] = get_args(ReplyFormat)

PLACEHOLDERS: frozenset[str] = frozenset(
    {
        # sections of the rendered evidence
        "objective",
        "parameters",
        "frozen",
        "trials",
        "evaluation",
        "history",
        "constraints",
        # filled by the optimizer from the evidence and the artifact
        "score",
        "feedback",
        "reply_instructions",
        # repair.md and the reply-format templates
        "reason",
        "targets",
    }
)

_TOKEN = re.compile(r"\{([a-z_]+)\}")
_HEADER_LINE = re.compile(r"^# ([a-z_]+):\s*(.*)$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*)$")
_HEADER_KEYS = frozenset({"name", "reply", "purpose", "system"})
_PACKAGE = "looplab.optim"
_FOLDER = "templates"


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One prompt template: its name, the reply format it asks for, what it is for, and its body."""

    name: str
    reply_format: ReplyFormat
    purpose: str
    body: str
    system: str = ""
    """The system message sent with this template ('' for templates that are not a first message)."""

    @property
    def placeholders(self) -> frozenset[str]:
        """The known `{name}` tokens the body uses."""
        return frozenset(name for name in _TOKEN.findall(self.body) if name in PLACEHOLDERS)

    def fill(self, values: Mapping[str, str]) -> str:
        """The body with every token replaced; a paragraph naming an empty value is dropped.

        Every token the body uses must have a value (possibly empty): a missing one is a bug in the
        caller or the template, reported as `ConfigError`.
        """
        missing = sorted(self.placeholders - set(values))
        if missing:
            raise ConfigError(f"Prompt template {self.name!r} needs values for {missing}; none were given.")
        paragraphs = []
        for paragraph in self.body.split("\n\n"):
            used = {name for name in _TOKEN.findall(paragraph) if name in PLACEHOLDERS}
            if any(not values[name].strip() for name in used):
                continue
            paragraphs.append(_substitute(paragraph, values))
        return "\n\n".join(paragraphs).strip() + "\n"


def _substitute(text: str, values: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name].strip("\n") if name in PLACEHOLDERS else match.group(0)

    return _TOKEN.sub(replace, text)


def parse_template(text: str, source: str) -> PromptTemplate:
    """Split a template file into its header fields and body; `ConfigError` naming `source` if malformed."""
    header, separator, body = text.partition("\n\n")
    if not separator or not body.strip():
        raise ConfigError(f"Prompt template {source}: expected a '# key: value' header, a blank line, a body.")
    fields: dict[str, str] = {}
    key = ""
    for line in header.splitlines():
        field = _HEADER_LINE.match(line)
        continuation = _CONTINUATION.match(line)
        if field and field.group(1) in _HEADER_KEYS:
            key = field.group(1)
            fields[key] = field.group(2).strip()
        elif continuation and key:
            fields[key] += " " + continuation.group(1).strip()
        else:
            raise ConfigError(
                f"Prompt template {source}: header line {line!r} is not '# key: value' "
                f"with a key in {sorted(_HEADER_KEYS)}."
            )
    missing = sorted({"name", "reply", "purpose"} - set(fields))
    if missing:
        raise ConfigError(f"Prompt template {source}: the header lacks {missing}.")
    reply = fields["reply"]
    if reply not in REPLY_FORMATS:
        raise ConfigError(
            f"Prompt template {source}: reply must be one of {list(REPLY_FORMATS)}, not {reply!r}."
        )
    reply_format: ReplyFormat = "json" if reply == "json" else "code"
    return PromptTemplate(
        name=fields["name"],
        reply_format=reply_format,
        purpose=fields["purpose"],
        body=body.strip("\n") + "\n",
        system=fields.get("system", ""),
    )


def template_names() -> tuple[str, ...]:
    """The names of the templates shipped in the package, sorted."""
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    return tuple(sorted(entry.name[:-3] for entry in folder.iterdir() if entry.name.endswith(".md")))


@cache
def load_template(name: str) -> PromptTemplate:
    """The shipped template `name` (e.g. 'optoprime', 'repair'), read with importlib.resources."""
    entry = resources.files(_PACKAGE).joinpath(_FOLDER).joinpath(f"{name}.md")
    if not entry.is_file():
        raise ConfigError(
            f"No prompt template named {name!r}; the shipped templates are {list(template_names())}."
        )
    template = parse_template(entry.read_text(encoding="utf-8"), f"{name}.md")
    if template.name != name:
        raise ConfigError(f"Prompt template {name}.md names itself {template.name!r}; the names must match.")
    return template
