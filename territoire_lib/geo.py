"""Geography: commune code rules, communes → EPCI → département → région, perimeters, aggregation.

Code rules (data-formats.md §0):

* a commune code is a 5-character string: ``01001``, ``2A004``, ``97101``;
* the département is the first 2 characters, or 3 when the code starts with ``97``;
* Paris, Lyon and Marseille arrondissements fold into their commune;
* an EPCI code is a 9-digit SIREN; ``ZZZZZZZZZ`` means "no EPCI".

A territory code given to :class:`Geography` may be an int (Papermill turns
``-p territoire 296000011`` into one) or an integral float (a spreadsheet cell): every lookup
goes through :meth:`Geography.resolve_code`, which also restores a lost leading zero (``1001``
→ ``01001``, ``1`` → ``01``) when the padded code exists, with a French remark
(:class:`TerritoryCodeRemark`).

All functions are vectorised over pandas Series.

Layer « socle »: imports its own layer (errors).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from .errors import IssueCollector, TerritoireError, quote

COMMUNE_CODE_PATTERN = r"^(?:\d{5}|2[AB]\d{3})$"
EPCI_CODE_PATTERN = r"^\d{9}$"
NO_EPCI = "ZZZZZZZZZ"

# (first arrondissement, last arrondissement, parent commune)
PLM_ARRONDISSEMENTS = (
    (75101, 75120, "75056"),  # Paris
    (13201, 13216, "13055"),  # Marseille
    (69381, 69389, "69123"),  # Lyon
)

LEVELS = ("commune", "epci", "departement", "region")
LEVEL_LABELS = {
    "commune": "Commune",
    "epci": "EPCI",
    "departement": "Département",
    "region": "Région",
    "perimetre": "Périmètre",
    "france": "France",
}


class UnknownTerritoryError(TerritoireError):
    """A territory code that is neither a commune, an EPCI, a département, a région nor a
    perimeter of the loaded dataset."""


class TerritoryCodeRemark(UserWarning):
    """A territory code read as another one (a lost leading zero restored); French message."""


EXPECTED_CODES = (
    "Attendu un code commune (5 caractères), un code EPCI (SIREN à 9 chiffres), un code "
    "département, « reg:CODE » pour une région ou le code d'un périmètre."
)


def plain_code(value: object) -> str:
    """A territory code as text, not yet checked: strings are stripped, ints and integral
    floats written without decimals (``296000011``, ``1001.0`` → ``1001``)."""
    if value is None or isinstance(value, bool):
        raise UnknownTerritoryError(f"Territoire inconnu : « {value} ». {EXPECTED_CODES}")
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        if float(value).is_integer():
            return str(int(value))
        raise UnknownTerritoryError(f"Territoire inconnu : « {value} ». {EXPECTED_CODES}")
    return str(value).strip()


def departement_of(codes: pd.Series) -> pd.Series:
    """Département code of each commune code (3 characters for 97x, 2 otherwise)."""
    codes = codes.astype("string")
    return codes.str[:2].where(~codes.str.startswith("97"), codes.str[:3])


def fold_arrondissements(codes: pd.Series) -> pd.Series:
    """Replace PLM arrondissement codes by their commune code; other codes are unchanged."""
    codes = codes.astype("string")
    numeric = pd.to_numeric(codes, errors="coerce")
    out = codes.copy()
    for first, last, parent in PLM_ARRONDISSEMENTS:
        out = out.mask(numeric.between(first, last).fillna(False).astype(bool), parent)
    return out


def is_arrondissement(codes: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(codes.astype("string"), errors="coerce")
    mask = pd.Series(False, index=codes.index)
    for first, last, _ in PLM_ARRONDISSEMENTS:
        mask |= numeric.between(first, last).fillna(False).astype(bool)
    return mask


def valid_commune_codes(codes: pd.Series) -> pd.Series:
    """Boolean mask of well-formed commune codes."""
    return codes.astype("string").str.fullmatch(COMMUNE_CODE_PATTERN).fillna(False).astype(bool)


def check_commune_codes(
    codes: pd.Series,
    issues: IssueCollector,
    column: str,
    lines: pd.Series | None = None,
) -> pd.Series:
    """Record an issue for every malformed commune code; return the mask of valid ones.

    A 4-digit code is reported as a lost leading zero (``1001`` for ``01001``), the classic
    damage done by a spreadsheet.
    """
    codes = codes.astype("string")
    ok = valid_commune_codes(codes)
    bad = codes[~ok]
    for idx, value in bad.items():
        line = int(lines.loc[idx]) if lines is not None else None
        text = "" if pd.isna(value) else str(value)
        if text.isdigit() and len(text) == 4:
            found = f"{quote(text)} (le zéro initial a disparu : {text.zfill(5)} ?)"
        else:
            found = quote(text)
        issues.add(
            found,
            "un code commune de 5 caractères (ex. 01001, 2A004, 97101)",
            line=line,
            column=column,
        )
    return ok


@dataclass
class Perimeter:
    """A named set of communes (a CTG perimeter, or any grouping)."""

    code: str
    name: str
    communes: tuple[str, ...]


@dataclass
class Geography:
    """Communes with their EPCI, département and région, plus names and perimeters.

    ``communes`` columns: code, nom, departement, region, epci, population (municipal).
    ``epcis`` columns: code, nom, nature.  ``departements``: code, nom, region.
    ``regions``: code, nom.
    """

    communes: pd.DataFrame
    epcis: pd.DataFrame
    departements: pd.DataFrame
    regions: pd.DataFrame
    perimeters: dict[str, Perimeter] = field(default_factory=dict)
    # added to « Territoire inconnu » (set by dataset.load_territory: which source was read)
    unknown_hint: str = field(default="", repr=False, compare=False)

    # -- lookup -------------------------------------------------------------------------------
    def __post_init__(self) -> None:
        self.communes = self.communes.reset_index(drop=True)
        self._commune_set = set(self.communes["code"])

    def add_perimeter(self, code: str, name: str, communes: Iterable[str]) -> Perimeter:
        members = tuple(dict.fromkeys(communes))
        unknown = [c for c in members if c not in self._commune_set]
        if unknown:
            raise UnknownTerritoryError(
                f"Le périmètre « {name} » contient des communes inconnues : {', '.join(unknown)}."
            )
        if not members:
            raise UnknownTerritoryError(f"Le périmètre « {name} » ne contient aucune commune.")
        per = Perimeter(code, name, members)
        self.perimeters[code] = per
        return per

    def _level(self, code: str) -> str | None:
        if code in self.perimeters:
            return "perimetre"
        if code in self._commune_set:
            return "commune"
        if code in set(self.epcis["code"]):
            return "epci"
        if code in set(self.departements["code"]):
            return "departement"
        low = code.lower()
        if low.startswith(("reg:", "reg")) and code[3:].lstrip(":") in set(self.regions["code"]):
            return "region"
        return None

    def resolve_code(self, code: object) -> tuple[str, str | None]:
        """The code as the geography knows it, and a French remark when it was read as
        another one: an int or float is written as text, and a code of digits whose leading
        zero was lost (``1001``, ``1``) becomes the commune or département it pads to
        (``01001``, ``01``) when that one exists. An unknown code is returned unchanged."""
        text = plain_code(code)
        if self._level(text) is not None or not text.isdigit():
            return text, None
        for width in (2, 5):  # département « 01 », commune « 01001 »
            padded = text.zfill(width)
            if len(text) < width and self._level(padded) is not None:
                what = "département" if width == 2 else "commune"
                return padded, (
                    f"Code « {text} » lu comme « {padded} » ({self.name_of(padded)}, "
                    f"{what}) : le zéro initial d'un code disparaît quand il passe pour un "
                    f"nombre (Papermill « -p territoire {text} », tableur). Écrivez le code "
                    f"entre guillemets (« {padded} »), ou « -r territoire {padded} » avec "
                    "Papermill."
                )
        return text, None

    def code(self, code: object) -> str:
        """:meth:`resolve_code` without the remark, which is issued as a
        :class:`TerritoryCodeRemark` warning (shown in a notebook)."""
        text, remark = self.resolve_code(code)
        if remark:
            warnings.warn(remark, TerritoryCodeRemark, stacklevel=3)
        return text

    def level_of(self, code: str) -> str:
        """Level of a territory code: commune, epci, departement, region or perimetre."""
        code = self.code(code)
        level = self._level(code)
        if level is None:
            hint = f" {self.unknown_hint}" if self.unknown_hint else ""
            raise UnknownTerritoryError(f"Territoire inconnu : « {code} ». {EXPECTED_CODES}{hint}")
        return level

    def members(self, code: str) -> list[str]:
        """Commune codes that make up a territory (any level or perimeter)."""
        code = self.code(code)
        level = self.level_of(code)
        c = self.communes
        if level == "perimetre":
            return list(self.perimeters[code].communes)
        if level == "commune":
            return [code]
        if level == "region":
            code = code[3:].lstrip(":")
        col = {"epci": "epci", "departement": "departement", "region": "region"}[level]
        return c.loc[c[col] == code, "code"].tolist()

    def name_of(self, code: str) -> str:
        code = self.code(code)
        level = self.level_of(code)
        if level == "perimetre":
            return self.perimeters[code].name
        if level == "region":
            code = code[3:].lstrip(":")
        table = {
            "commune": self.communes,
            "epci": self.epcis,
            "departement": self.departements,
            "region": self.regions,
        }[level]
        row = table.loc[table["code"] == code, "nom"]
        return str(row.iloc[0]) if len(row) else code

    def label(self, code: str) -> str:
        """'Commune de X', 'EPCI : CA du Val', … for titles."""
        code = self.code(code)
        level = self.level_of(code)
        return f"{self.name_of(code)} ({LEVEL_LABELS[level].lower()})"

    def choices(self, level: str) -> list[tuple[str, str]]:
        """(label, code) pairs sorted by name, for dropdowns."""
        table = {
            "commune": self.communes,
            "epci": self.epcis,
            "departement": self.departements,
            "region": self.regions,
        }.get(level)
        if level == "perimetre":
            return sorted((p.name, p.code) for p in self.perimeters.values())
        if table is None:
            raise ValueError(level)
        table = table.sort_values("nom", key=lambda s: s.str.normalize("NFKD"))
        return list(zip(table["nom"], table["code"], strict=True))

    # -- aggregation --------------------------------------------------------------------------
    def membership(self, level: str) -> pd.DataFrame:
        """Two columns (commune, territoire): which commune belongs to which territory.

        For ``perimetre`` a commune may belong to several perimeters.
        """
        c = self.communes
        if level == "commune":
            return pd.DataFrame({"commune": c["code"], "territoire": c["code"]})
        if level in ("epci", "departement", "region"):
            return pd.DataFrame({"commune": c["code"], "territoire": c[level]})
        if level == "france":
            return pd.DataFrame({"commune": c["code"], "territoire": "FR"})
        if level == "perimetre":
            rows = [(m, p.code) for p in self.perimeters.values() for m in p.communes]
            return pd.DataFrame(rows, columns=["commune", "territoire"])
        raise ValueError(f"niveau inconnu : {level}")

    def aggregate(
        self,
        frame: pd.DataFrame,
        level: str,
        value_columns: Iterable[str],
        by: Iterable[str] = (),
        commune_column: str = "commune",
    ) -> pd.DataFrame:
        """Sum ``value_columns`` of a commune-level frame to ``level`` (or to perimeters).

        Extra grouping keys (e.g. ``annee``) go in ``by``. Missing values stay missing only if
        every commune of the group is missing (``min_count=1``).
        """
        value_columns = list(value_columns)
        by = list(by)
        link = self.membership(level)
        merged = frame.merge(link, left_on=commune_column, right_on="commune", how="inner")
        return (
            merged.groupby(["territoire", *by], observed=True)[value_columns]
            .sum(min_count=1)
            .reset_index()
        )

    def subset(self, commune_codes: Iterable[str]) -> Geography:
        """A geography restricted to some communes (e.g. one département)."""
        keep = set(commune_codes)
        communes = self.communes[self.communes["code"].isin(keep)]
        return Geography(
            communes=communes,
            epcis=self.epcis[self.epcis["code"].isin(communes["epci"])],
            departements=self.departements[self.departements["code"].isin(communes["departement"])],
            regions=self.regions[self.regions["code"].isin(communes["region"])],
            perimeters={k: p for k, p in self.perimeters.items() if set(p.communes) <= keep},
        )


def perimeters_from_mapping(mapping: Mapping[str, Mapping]) -> list[Perimeter]:
    """Perimeters as declared in a manifest: {code: {nom: ..., communes: [...]}}."""
    return [
        Perimeter(str(code), str(spec.get("nom", code)), tuple(str(c) for c in spec["communes"]))
        for code, spec in mapping.items()
    ]
