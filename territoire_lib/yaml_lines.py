"""YAML documents read with bounds and with the line of every key, duplicate keys refused.

Owns the bounded YAML reading shared by every YAML reader of the library (scenario files and
uploads, manifests, parameter files, the indicator catalogue): :func:`bounded_loader` refuses
a document over the YAML size cap (:func:`territoire_lib.input_limits.size_limit`, 1 Mo by
default) and :func:`single_node` composes it and refuses, before anything walks it, an alias
bomb (« billion laughs »: a few kilobytes whose aliases expand to more than
:data:`MAX_NODES` nodes), an alias that contains itself and a nesting deeper than
:data:`MAX_DEPTH`. Composing keeps one node per anchor, so this costs the size of the text,
never the size of the expansion.

It also owns :func:`load_yaml`, used by the indicator catalogue (``indicators/catalogue.yaml``)
and the manifest of a data folder (``manifeste.yaml``). It returns the document and the 1-based line of every node, keyed by its
path of keys (list items by their 0-based index, as text), so that checkers can name the line
of a wrong value. PyYAML keeps the last of two identical keys without a word; here a duplicated
key is a French :class:`~territoire_lib.errors.DataError` naming both lines.

``plain_codes=True`` reads the document the way a person means it when writing codes: a number
written with a leading zero (``01001``, YAML 1.1 octal) or with colons (``1:30``, sexagesimal)
stays text, and dates stay text; other numbers, booleans and null are typed as usual.

Layer « socle »: imports its own layer (errors, french, input_limits).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import DataError, Issue, quote
from .french import number
from .input_limits import YAML, size_limit, size_text

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

MAX_NODES = 100_000  # nodes of a document once its aliases are expanded (the catalogue: ~3 000)
MAX_DEPTH = 64  # nesting of mappings and lists (the catalogue: 5)


# -- the bounded part, shared by every YAML reader ----------------------------------------------
def bounded_loader(text: str, file: str, loader_class: type = _SafeLoader) -> Any:
    """A loader of ``loader_class`` on ``text``, once its size is checked against the YAML cap
    (French :class:`DataError` naming the size and the cap). The caller composes it with
    :func:`single_node` and disposes of it."""
    limit = size_limit(YAML)
    size = len(text.encode("utf-8", errors="replace")) if len(text) * 4 > limit else len(text)
    if size > limit:
        raise DataError(
            Issue(
                file,
                f"un document YAML de {size_text(size)}, au-delà de la taille maximale lue "
                f"({size_text(limit)})",
                f"un fichier YAML de {size_text(limit)} au plus (variable d'environnement "
                "TERRITOIRE_TAILLE_MAX_YAML pour relever la limite)",
            )
        )
    return loader_class(text)


def single_node(loader: Any, file: str) -> yaml.Node | None:
    """Compose the document of ``loader`` (raises ``yaml.YAMLError`` on a syntax error, as
    PyYAML does) and check its expansion (:func:`check_expansion`)."""
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise _depth_error(file, None) from None
    if node is not None:
        check_expansion(node, file)
    return node


def _depth_error(file: str, line: int | None) -> DataError:
    return DataError(
        Issue(
            file,
            f"des listes ou des rubriques imbriquées sur plus de {MAX_DEPTH} niveaux",
            "un document YAML d'une profondeur raisonnable (un scénario ou un manifeste en "
            "compte moins de 10)",
            line=line,
        )
    )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse a composed document whose aliases would expand to more than :data:`MAX_NODES`
    nodes, an alias inside its own anchor (a cycle) or a nesting deeper than
    :data:`MAX_DEPTH`. Each node is visited once: a node reached again through an alias
    adds its known expanded size without being walked again."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    aliased = False  # a node was reached twice: the document uses aliases
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size = 1 + sum(sizes[id(c)] for c in _children(node))
            if size > MAX_NODES:
                raise DataError(
                    Issue(
                        file,
                        "des alias YAML (« *nom ») qui, développés, donneraient plus de "
                        f"{number(MAX_NODES)} éléments : document refusé sans être développé "
                        "(bombe d'alias)"
                        if aliased
                        else f"un document de plus de {number(MAX_NODES)} éléments",
                        "un document sans alias, ou des alias qui se développent en peu d'éléments"
                        if aliased
                        else f"un document YAML de {number(MAX_NODES)} éléments au plus",
                        line=node.start_mark.line + 1,
                    )
                )
            sizes[key] = size
            continue
        if key in sizes:
            aliased = True
            continue
        if key in on_path:
            raise DataError(
                Issue(
                    file,
                    "un alias YAML qui se contient lui-même (ancre « &nom » reprise dans son "
                    "propre contenu)",
                    "des alias qui renvoient à des valeurs déjà complètes",
                    line=node.start_mark.line + 1,
                )
            )
        if depth > MAX_DEPTH:
            raise _depth_error(file, node.start_mark.line + 1)
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))


def load_yaml(
    text: str, file: str, expected: str, *, plain_codes: bool = False
) -> tuple[Any, Lines]:
    """Parse one YAML document; return it with the line of every node by path of keys.

    ``expected`` says what the file should be (« un manifeste YAML valide »), for the message
    of a syntax error. Raises :class:`DataError` on a syntax error (with its line) and on
    duplicated keys (one issue per repeated key, naming its line and the first one).
    """
    loader = bounded_loader(text, file, _CodesLoader if plain_codes else _SafeLoader)
    try:
        node = single_node(loader, file)
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
