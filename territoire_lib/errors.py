"""Errors and load reports shared by every loader.

Every problem found in a user's file becomes an :class:`Issue` that names the file, the line,
the column, what was found and what was expected. Loaders collect issues and raise a single
:class:`DataError` carrying all of them (up to a cap), whose message is in French.

Layer « socle »: imports its own layer (french, variables).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .variables import VARIABLES

MAX_ISSUES = 50


class TerritoireError(Exception):
    """Base class of errors meant to be shown to a user (message in French)."""


@dataclass(frozen=True)
class Issue:
    """One problem in one place of one file."""

    file: str
    found: str
    expected: str
    line: int | None = None
    column: str | None = None
    key: str | None = None  # the key of a YAML file (« fichiers → filosofi »)

    def __str__(self) -> str:
        where = [f"fichier « {self.file} »"]
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.column is not None:
            where.append(f"colonne « {self.column} »")
        if self.key is not None:
            where.append(f"clé « {self.key} »")
        return f"{', '.join(where)} : trouvé {self.found} ; attendu {self.expected}."


class DataError(TerritoireError):
    """A file cannot be read as expected; carries one or more :class:`Issue`."""

    def __init__(self, issues: Iterable[Issue] | Issue):
        if isinstance(issues, Issue):
            issues = [issues]
        self.issues: list[Issue] = list(issues)
        super().__init__(self.french())

    def french(self) -> str:
        lines = [str(i) for i in self.issues[:MAX_ISSUES]]
        more = len(self.issues) - MAX_ISSUES
        if more > 0:
            lines.append(f"… et {more} autre(s) problème(s) du même fichier.")
        head = "Le fichier ne peut pas être chargé" if len(lines) == 1 else "Problèmes de données"
        return head + " :\n- " + "\n- ".join(lines)


class IssueCollector:
    """Collects issues while a file is read; raises them all at once."""

    def __init__(self, file: str | Path):
        self.file = Path(file).name
        self.issues: list[Issue] = []

    def add(
        self, found: str, expected: str, line: int | None = None, column: str | None = None
    ) -> None:
        self.issues.append(Issue(self.file, found, expected, line, column))

    def raise_if_any(self) -> None:
        if self.issues:
            raise DataError(self.issues)


def quote(value: object) -> str:
    """French quoting of a found value, with a readable form of empty values."""
    text = "" if value is None else str(value)
    if text == "" or text.lower() == "nan":
        return "une valeur vide"
    if len(text) > 60:
        text = text[:57] + "…"
    return f"« {text} »"


@dataclass
class LoadReport:
    """What happened while one file was loaded: shown to users in French."""

    source: str
    file: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_examples: dict[str, list[str]] = field(default_factory=dict)
    unmatched_codes: list[str] = field(default_factory=list)
    blurred_values: int = 0
    secret_values: int = 0
    notes: list[str] = field(default_factory=list)
    # columns absent from the file → the variable each would have given (loaded without it)
    missing_columns: dict[str, str] = field(default_factory=dict)
    # what a reader of any result must know (gaps, approximations): carried into the
    # diagnostic's « Limites des données » and the batch index
    warnings: list[str] = field(default_factory=list)

    def drop(self, reason: str, count: int, examples: Iterable[object] = ()) -> None:
        """Record `count` rows dropped for `reason` (a French phrase)."""
        if count <= 0:
            return
        self.dropped[reason] = self.dropped.get(reason, 0) + int(count)
        ex = self.dropped_examples.setdefault(reason, [])
        for e in examples:
            if len(ex) >= 5:
                break
            ex.append(str(e))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def warn(self, text: str) -> None:
        """Record a limit of the loaded data (French sentence, shown wherever results are)."""
        if text not in self.warnings:
            self.warnings.append(text)

    def missing_column(self, column: str, variable: str) -> None:
        """Record a column absent from the file: the file is loaded without that variable."""
        self.missing_columns[column] = variable

    def missing_column_texts(self, uses: Mapping[str, Sequence[str]] | None = None) -> list[str]:
        """One French sentence per absent column, naming the indicators it disables when
        ``uses`` (variable → labels of the indicators that need it) is given."""
        out = []
        for column, variable in self.missing_columns.items():
            known = VARIABLES.get(variable)
            label = known.label if known else variable
            if uses is None:
                effect = "les indicateurs qui l'utilisent sont « n.d. »"
            elif uses.get(variable):
                effect = "indicateurs désactivés (« n.d. ») : " + ", ".join(uses[variable])
            else:
                effect = "aucun indicateur du catalogue ne l'utilise"
            out.append(
                f"colonne « {column} » absente : la variable « {label} » n'est pas chargée ; "
                f"{effect}."
            )
        return out

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def french(self, uses: Mapping[str, Sequence[str]] | None = None) -> str:
        """A short French paragraph, as printed by `territoire import` (``uses``: see
        :meth:`missing_column_texts`)."""
        out = [f"{self.source} — {self.file}"]
        out.append(
            f"  lignes lues : {fmt_int(self.rows_read)} ; conservées : {fmt_int(self.rows_kept)}"
        )
        for reason, n in self.dropped.items():
            ex = self.dropped_examples.get(reason) or []
            tail = f" (ex. {', '.join(ex)})" if ex else ""
            out.append(f"  écartées : {fmt_int(n)} — {reason}{tail}")
        if self.unmatched_codes:
            shown = ", ".join(self.unmatched_codes[:10])
            more = len(self.unmatched_codes) - 10
            more_txt = f" et {more} autres" if more > 0 else ""
            out.append(
                f"  codes absents du référentiel : {len(self.unmatched_codes)} ({shown}{more_txt})"
            )
        if self.blurred_values:
            out.append(
                f"  valeurs arrondies à 5 par le secret statistique : {fmt_int(self.blurred_values)}"
            )
        if self.secret_values:
            out.append(
                f"  valeurs couvertes par le secret statistique : {fmt_int(self.secret_values)}"
            )
        out.extend(f"  remarque : {n}" for n in self.notes)
        out.extend(f"  remarque : {t}" for t in self.missing_column_texts(uses))
        out.extend(f"  attention : {w}" for w in self.warnings)
        return "\n".join(out)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "fichier": self.file,
            "lignes_lues": self.rows_read,
            "lignes_conservees": self.rows_kept,
            "lignes_ecartees": dict(self.dropped),
            "codes_non_trouves": list(self.unmatched_codes),
            "valeurs_arrondies": self.blurred_values,
            "valeurs_secretes": self.secret_values,
            "remarques": list(self.notes),
            "colonnes_absentes": dict(self.missing_columns),
            "avertissements": list(self.warnings),
        }


def fmt_int(n: int | float) -> str:
    """1234567 -> '1 234 567' (French thousands separator, narrow no-break space)."""
    from .french import number

    return number(round(n), 0)
