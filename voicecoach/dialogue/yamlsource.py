"""Read a dialogue script's YAML with line numbers, so every error can name its line.

It is ``yaml.safe_load`` with two changes:

- mappings come back as ``LineMap`` (a dict that remembers the line of itself and of each
  key), lists as ``LineList`` (remembers the line of each item);
- only ``true``/``false`` are booleans. YAML 1.1 would read the answer keys ``yes:``,
  ``no:`` and ``on:`` as booleans, which is never what a script writer means.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import yaml

log = logging.getLogger(__name__)


class LineMap(dict[Any, Any]):
    """A YAML mapping that knows where it was written (1-based lines)."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A YAML sequence that knows the line of each item (1-based)."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []


# The C parser when available: same safe constructors, ~10x faster (the fuzz test loads
# thousands of scripts); both report marks the same way.
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_Base):
    """SafeLoader that records marks; only the tags SafeLoader knows are accepted."""


# YAML 1.2 booleans only: drop the 1.1 resolver (yes/no/on/off) and add a strict one.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()  # type: ignore[attr-defined]
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Any:
    data = LineMap()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain word", key_node.start_mark
            )
        data[key] = _construct(loader, value_node)
        data.key_lines[key] = key_node.start_mark.line + 1


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> Any:
    data = LineList()
    data.line = node.start_mark.line + 1
    yield data
    for item in node.value:
        data.append(_construct(loader, item))
        data.item_lines.append(item.start_mark.line + 1)


def _construct(loader: _LineLoader, node: yaml.Node) -> Any:
    """A value, or a marked error at its line: scalar constructors raise plain
    ValueError/OverflowError on odd values (a date 2001-13-45, a float "1e99999")."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read this value ({exc})", node.start_mark
        ) from exc


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class YamlSyntaxError(Exception):
    """The text is not valid YAML; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse(text: str) -> Any:
    """Parse one YAML document with line marks; raise YamlSyntaxError for any YAML fault."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "not valid YAML"
        if "\t" in text and "tab" in str(exc).lower():
            problem += " (use spaces, not tabs, to indent)"
        raise YamlSyntaxError(problem, line) from exc
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (a NUL, a control character): its line, from
        # its position in the text.
        line = text[: max(0, exc.position)].count("\n") + 1
        raise YamlSyntaxError(f"a character YAML does not allow ({exc.reason})", line) from exc
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        # Without a mark (nesting too deep, an odd top-level value): the document's start.
        raise YamlSyntaxError(f"not valid YAML ({exc.__class__.__name__}: {exc})", 1) from exc
