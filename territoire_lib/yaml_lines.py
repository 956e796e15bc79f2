"""YAML documents read with the line of every key, duplicate keys refused.

Owns :func:`load_yaml`, the bounded YAML reading shared by the files a person writes by hand:
the indicator catalogue (``indicators/catalogue.yaml``) and the manifest of a data folder
(``manifeste.yaml``). It returns the document and the 1-based line of every node, keyed by its
path of keys (list items by their 0-based index, as text), so that checkers can name the line
of a wrong value. PyYAML keeps the last of two identical keys without a word; here a duplicated
key is a French :class:`~territoire_lib.errors.DataError` naming both lines.

``plain_codes=True`` reads the document the way a person means it when writing codes: a number
written with a leading zero (``01001``, YAML 1.1 octal) or with colons (``1:30``, sexagesimal)
stays text, and dates stay text; other numbers, booleans and null are typed as usual.

Layer « socle »: imports its own layer (errors).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import DataError, Issue, quote

# YAML 1.1 integers, without octal, binary, hexadecimal and sexagesimal forms
_DECIMAL_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


# libyaml's parser when PyYAML was built with it (several times faster), else pure Python
_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CodesLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """Safe loader keeping codes as written (see the module docstring)."""


_CodesLoader.yaml_implicit_resolvers = {
    first: [
        (tag, _DECIMAL_INT if tag == _INT_TAG else rx)
        for tag, rx in resolvers
        if tag != _TIMESTAMP_TAG
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

Lines = dict[tuple[str, ...], int]


def load_yaml(
    text: str, file: str, expected: str, *, plain_codes: bool = False
) -> tuple[Any, Lines]:
    """Parse one YAML document; return it with the line of every node by path of keys.

    ``expected`` says what the file should be (« un manifeste YAML valide »), for the message
    of a syntax error. Raises :class:`DataError` on a syntax error (with its line) and on
    duplicated keys (one issue per repeated key, naming its line and the first one).
    """
    loader = (_CodesLoader if plain_codes else _SafeLoader)(text)
    try:
        node = loader.get_single_node()
        issues = _duplicates(node, file) if node is not None else []
        if issues:
            raise DataError(issues)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or exc
        raise DataError(
            Issue(
                file,
                f"un YAML invalide ({problem})",
                expected,
                line=mark.line + 1 if mark else None,
            )
        ) from None
    finally:
        loader.dispose()
    lines: Lines = {}

    def walk(n: yaml.Node, path: tuple[str, ...]) -> None:
        lines.setdefault(path, n.start_mark.line + 1)  # a key's own line wins over its value's
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = str(k.value)
                lines[(*path, key)] = k.start_mark.line + 1
                walk(v, (*path, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, (*path, str(i)))

    if node is not None:
        walk(node, ())
    return data, lines


def _duplicates(root: yaml.Node, file: str) -> list[Issue]:
    """One issue per key written twice in the same mapping (anywhere in the document)."""
    issues: list[Issue] = []
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in node.value:
                key = str(k.value)
                line = k.start_mark.line + 1
                if key in seen:
                    where = " → ".join((*path, key))
                    issues.append(
                        Issue(
                            file,
                            f"la clé {quote(key)} écrite deux fois (déjà ligne {seen[key]}) : "
                            "la seconde remplacerait la première sans prévenir",
                            "chaque clé une seule fois ; réunissez les deux listes sous une "
                            f"seule clé « {key}: »",
                            line=line,
                            key=where,
                        )
                    )
                else:
                    seen[key] = line
                stack.append((v, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, (*path, str(i))) for i, v in enumerate(node.value))
    return sorted(issues, key=lambda i: i.line or 0)
