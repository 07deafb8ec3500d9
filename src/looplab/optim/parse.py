"""Reply parsing: an LLM reply turned into updates of trainable parameters, or the reason it can't be.

Code replies: each fenced Python block (```python, ```py or a bare ```) is mapped to a trainable
`CodeParam` by the name of the function it defines; the whole block (helpers and imports included)
becomes the new source. A block defining several trainable functions is split at their top-level defs.
Example usage (`print(choose_action(...))`, an `if __name__ == "__main__":` block) is dropped. A text
parameter comes from a ```text NAME block, or from a top-level `NAME = "..."` (any string literal) in a
code block: small models write the whole artifact as one Python module, in a ```python or even a ```text
block, and the string becomes the text parameter's value while the assignment leaves the code. A reply
without fences whose code parses is accepted too (small models often forget the fence). When several
blocks give the same parameter, the last one wins.

JSON replies: `{"reasoning": "...", "updates": {"name": "value"}}`, in a ```json fence or inside prose
(OptoPrime's `"suggestion"` key is read as `"updates"`).

Each format falls back to the other when its own kind of block is missing. A name that is an input of a
trainable function, a fixed parameter or an unknown name is a failure whose reason says so: it is never
dropped silently. Reasons are written for the LLM (see `reasons.py`); the optimizer sends them back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from looplab.artifact import Artifact, CodeParam
from looplab.optim import reasons
from looplab.optim.blocks import (
    TEXT_LANGUAGES,
    Chunk,
    Fence,
    clean_code,
    defined_names,
    definition_of,
    find_fences,
    find_json_object,
    split_python,
    string_assignment,
    unfenced_code,
)
from looplab.optim.templates import ReplyFormat


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Updates by parameter name (trainable names only; not yet checked against invariants)."""

    updates: dict[str, str]
    reasoning: str


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why the reply gave no usable updates, in words meant for the LLM."""

    reason: str


ParseOutcome = ParseResult | ParseFailure


@dataclass(frozen=True, slots=True)
class ReplyNames:
    """What a name in a reply can refer to, for one artifact."""

    functions: dict[str, str]
    """Function name of each trainable code parameter -> the parameter's name."""
    signatures: dict[str, str]
    """Trainable code parameter -> its rendered signature, e.g. 'choose_action(ball_x, paddle_y)'."""
    texts: tuple[str, ...]
    """Trainable text parameters."""
    fixed_functions: dict[str, CodeParam]
    """Function name of each fixed code parameter -> the parameter."""
    fixed: frozenset[str]
    """Every parameter that is not trainable."""
    inputs: dict[str, str]
    """Argument name of a trainable function -> the function's name."""

    @classmethod
    def of(cls, artifact: Artifact) -> ReplyNames:
        functions: dict[str, str] = {}
        signatures: dict[str, str] = {}
        fixed_functions: dict[str, CodeParam] = {}
        inputs: dict[str, str] = {}
        for name, param in artifact.params.items():
            if not isinstance(param, CodeParam):
                continue
            signature = param.signature
            if name in artifact.trainable:
                functions[signature.name] = name
                signatures[name] = signature.render()
                inputs.update({argument.lstrip("*"): signature.name for argument in signature.parameters})
            else:
                fixed_functions[signature.name] = param
        texts = tuple(name for name in artifact.params if name in artifact.trainable and name not in signatures)
        fixed = frozenset(artifact.params) - artifact.trainable
        return cls(functions, signatures, texts, fixed_functions, fixed, inputs)

    @property
    def changeable(self) -> list[str]:
        return [*self.signatures, *self.texts]

    def knows(self, name: str) -> bool:
        """Whether `name` is a parameter, a function or an input of this artifact."""
        known = (self.signatures, self.texts, self.functions, self.inputs, self.fixed, self.fixed_functions)
        return any(name in names for names in known)

    def resolve(self, name: str) -> tuple[str | None, str | None]:
        """The trainable parameter `name` refers to, or why it refers to none."""
        if name in self.signatures or name in self.texts:
            return name, None
        if name in self.functions:
            return self.functions[name], None
        if name in self.inputs:
            return None, reasons.is_input(name, self.inputs[name])
        if name in self.fixed or name in self.fixed_functions:
            return None, reasons.is_fixed(name, self.changeable)
        return None, reasons.is_unknown(name, self.changeable)


def parse_reply(text: str, artifact: Artifact, reply_format: ReplyFormat = "code") -> ParseOutcome:
    """The updates a reply proposes, or why it proposes none that can be used."""
    if not text.strip():
        return ParseFailure(reasons.EMPTY_REPLY)
    names = ReplyNames.of(artifact)
    parsers: list[Callable[[str, ReplyNames], ParseOutcome | None]] = [_parse_code, _parse_json]
    if reply_format == "json":
        parsers.reverse()
    for parser in parsers:
        outcome = parser(text, names)
        if outcome is not None:
            return outcome
    fences = (["python"] if names.signatures else []) + ([f"text {names.texts[0]}"] if names.texts else [])
    return ParseFailure(reasons.no_block(fences, reply_format))


# --- code replies ----------------------------------------------------------------------------------------


def _parse_code(text: str, names: ReplyNames) -> ParseOutcome | None:
    """Updates from fenced (or bare) code and text blocks; None when the reply has no such block."""
    fences, prose = find_fences(text)
    wanted = [
        fence
        for fence in fences
        if (fence.holds_code and names.signatures) or (names.texts and fence.language in TEXT_LANGUAGES)
    ]
    if not wanted:
        if fences or not names.signatures:
            return None
        bare = unfenced_code(text)
        if bare is None:
            return None
        wanted = [Fence("python", "", bare, closed=True)]
        prose = text.replace(bare, "").strip()
    collector = _Collector(names)
    for fence in wanted:
        if fence.holds_code:
            collector.add_code(fence.body)
        else:
            collector.add_text(fence)
    return collector.outcome(prose)


@dataclass
class _Collector:
    """Gathers the updates of a code reply block by block; the last block for a parameter wins."""

    names: ReplyNames
    updates: dict[str, str] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    """Parameter -> why its latest block is unusable (a later good block clears it)."""
    errors: list[str] = field(default_factory=list)
    """Failures that stand whatever else the reply holds (a fixed or unknown name)."""
    weak: list[str] = field(default_factory=list)
    """Failures that count only when no block gave an update (a stray snippet, a wrong name)."""

    def set(self, param: str, value: str) -> None:
        self.updates[param] = value
        self.broken.pop(param, None)

    def add_code(self, body: str) -> None:
        source = clean_code(body)
        chunks = split_python(source)
        if isinstance(chunks, SyntaxError):
            targets = [self.names.functions[n] for n in defined_names(source) if n in self.names.functions]
            reason = reasons.does_not_parse(chunks.msg, chunks.lineno, targets)
            for target in targets:
                self.updates.pop(target, None)
                self.broken[target] = reason
            if not targets:
                self.weak.append(reason)
            return
        kept = []
        texts_set = False
        for chunk in chunks:
            if chunk.kind == "example":
                continue
            assigned = _text_assignment(chunk, self.names)
            if assigned is not None:
                self.set(assigned[0], assigned[1].strip("\n"))
                texts_set = True
                continue
            if chunk.name in self.names.fixed_functions and chunk.kind == "def":
                self._check_fixed_copy(chunk, self.names.fixed_functions[chunk.name])
                continue
            kept.append(chunk)
        mains = [
            i for i, chunk in enumerate(kept) if chunk.kind == "def" and chunk.name in self.names.functions
        ]
        if not mains:
            if not texts_set:
                self.weak.append(self._no_trainable_function([c.name for c in kept if c.kind == "def"]))
            return
        untouched = len(mains) == 1 and mains[0] == len(kept) - 1 and len(kept) == len(chunks)
        if untouched:
            self.set(self.names.functions[kept[-1].name], source + "\n")
            return
        for main, value in _assemble(kept, mains):
            self.set(self.names.functions[main], value)

    def _check_fixed_copy(self, chunk: Chunk, param: CodeParam) -> None:
        """A fixed function repeated in a block is left out; changing it is an error."""
        if definition_of(chunk.source, chunk.name) != definition_of(param.value, chunk.name):
            self.errors.append(reasons.is_fixed(param.name, self.names.changeable))

    def _no_trainable_function(self, defined: list[str]) -> str:
        if not defined:
            first = next(iter(self.names.signatures.values()), "")
            return reasons.NO_FUNCTION + (f" Write the complete definition: def {first}:" if first else "")
        if len(self.names.signatures) == 1:
            ((param, signature),) = self.names.signatures.items()
            function = next(f for f, p in self.names.functions.items() if p == param)
            return reasons.wrong_function(defined, function, signature)
        return reasons.not_changeable_function(defined, self.names.functions)

    def add_text(self, fence: Fence) -> None:
        label = fence.label.split()[0] if fence.label else ""
        if not label:
            if len(self.names.texts) != 1:
                self.errors.append(reasons.missing_text_label(self.names.texts))
                return
            label = self.names.texts[0]
        param, problem = self.names.resolve(label)
        if problem is not None:
            self.errors.append(problem)
        elif param not in self.names.texts:
            self.add_code(fence.body)  # a code parameter named in a ```text block: read it as code
        elif isinstance(module := _as_module(fence.body, self.names), SyntaxError):
            self.add_code(fence.body)  # marks the trainable functions it defines as broken
            self.updates.pop(param, None)
            self.broken[param] = reasons.text_is_broken_code(param, module.msg, module.lineno)
        elif module:
            self.add_code(fence.body)  # the whole artifact written as a module: read it as code
        else:
            self.set(param, fence.body.strip("\n"))

    def outcome(self, prose: str) -> ParseOutcome:
        if self.errors:
            return ParseFailure("\n".join(dict.fromkeys(self.errors)))
        if self.broken:
            return ParseFailure("\n".join(dict.fromkeys(self.broken.values())))
        if self.updates:
            return ParseResult(dict(self.updates), prose)
        return ParseFailure("\n".join(dict.fromkeys(self.weak)) or reasons.NO_FUNCTION)


def _as_module(body: str, names: ReplyNames) -> bool | SyntaxError:
    """Whether a text block holds Python that defines a trainable function or assigns a trainable text;
    the syntax error when it reads as such a module (a line does either) but does not parse.

    A broken module is not a text: taken as one, the code would go to the task model as its prompt.
    """
    chunks = split_python(clean_code(body))
    if isinstance(chunks, SyntaxError):
        assigned = {match.group(1) for match in _ASSIGNMENT.finditer(body)}
        defined = set(defined_names(body))
        return chunks if assigned & set(names.texts) or defined & set(names.functions) else False
    return any(
        (chunk.kind == "def" and chunk.name in names.functions) or _text_assignment(chunk, names) is not None
        for chunk in chunks
    )


_ASSIGNMENT = re.compile(r"""^\s*([A-Za-z_]\w*)\s*=\s*[rbuRBUfF]*["']""", re.MULTILINE)


def _text_assignment(chunk: Chunk, names: ReplyNames) -> tuple[str, str] | None:
    """`(text parameter, string)` when the chunk is a top-level `NAME = "..."` for a trainable text."""
    assigned = string_assignment(chunk.source) if chunk.kind == "other" else None
    return assigned if assigned is not None and assigned[0] in names.texts else None


def _assemble(chunks: list[Chunk], mains: list[int]) -> list[tuple[str, str]]:
    """Split a block at its trainable defs: each gets the imports, the chunks since the previous one, itself.

    Chunks after the last trainable def go to it, placed before it: the main function comes last, which is
    where `parse_function` looks for it.
    """
    imports = "\n".join(chunk.source.strip("\n") for chunk in chunks if chunk.kind == "import")
    values: list[tuple[str, str]] = []
    start = 0
    for position, main in enumerate(mains):
        end = len(chunks) if position == len(mains) - 1 else main
        rest = [c.source for i, c in enumerate(chunks[start:end], start) if c.kind != "import" and i != main]
        parts = ([imports] if imports else []) + rest + [chunks[main].source]
        values.append((chunks[main].name, "\n\n\n".join(part.strip("\n") for part in parts) + "\n"))
        start = main + 1
    return values


# --- JSON replies ----------------------------------------------------------------------------------------


def _parse_json(text: str, names: ReplyNames) -> ParseOutcome | None:
    """Updates from a JSON object; None when the reply holds no JSON object."""
    data = find_json_object(text)
    if data is None:
        return None
    raw = data.get("updates", data.get("suggestion"))
    if raw is None:
        direct = {key: value for key, value in data.items() if key != "reasoning"}
        if not any(names.knows(key) for key in direct):
            return ParseFailure(reasons.JSON_NO_UPDATES)
        raw = direct  # the model put the names at the top level
    if not isinstance(raw, dict):
        return ParseFailure(reasons.JSON_NO_UPDATES)
    if not raw:
        return ParseFailure(reasons.JSON_EMPTY_UPDATES)
    updates, problems = _json_updates(raw, names)
    if problems:
        return ParseFailure("\n".join(dict.fromkeys(problems)))
    reasoning = data.get("reasoning")
    return ParseResult(updates, reasoning if isinstance(reasoning, str) else "")


def _json_updates(raw: dict[str, Any], names: ReplyNames) -> tuple[dict[str, str], list[str]]:
    updates: dict[str, str] = {}
    problems: list[str] = []
    for key, value in raw.items():
        param, problem = names.resolve(str(key))
        if problem is not None or param is None:
            problems.append(problem or reasons.is_unknown(str(key), names.changeable))
        elif not isinstance(value, str):
            problems.append(reasons.not_a_string(param))
        elif param in names.signatures:
            fences, _ = find_fences(value)
            code = next((fence.body for fence in fences if fence.holds_code), value)
            updates[param] = clean_code(code) + "\n"
        else:
            updates[param] = value.strip("\n")
    return updates, problems
