"""The national referential: every commune of the 101 départements with its EPCI, département,
région and municipal population, read from ``data/referentiel/`` (built by
``scripts/build_referentiel.py`` from the npm package ``@etalab/decoupage-administratif``).

Files (``,``-separated, UTF-8, one header line, codes as text)::

    communes.csv      code, nom, departement, region, epci, population
    epci.csv          code, nom, nature, population_municipale
    departements.csv  code, nom, region
    regions.csv       code, nom
    anciens_codes.csv ancien_code, code   (communes merged since into a current commune)

The parsed frames are cached in-process, keyed by folder and file modification times, so
loading the national geography a second time costs only the copy of four frames.

Layer « sources »: imports socle (errors, geo); its own layer (sources.reading).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import geo
from ..errors import DataError, Issue, IssueCollector, quote
from .reading import LINE, check_unique, read_delimited, to_number

REFERENTIEL_DIR = Path(__file__).resolve().parents[2] / "data" / "referentiel"

COLUMNS = {
    "communes": ["code", "nom", "departement", "region", "epci", "population"],
    "epci": ["code", "nom", "nature", "population_municipale"],
    "departements": ["code", "nom", "region"],
    "regions": ["code", "nom"],
}
POPULATION_COLUMNS = {"communes": "population", "epci": "population_municipale"}
WHAT = {"communes": "commune", "epci": "EPCI", "departements": "département", "regions": "région"}
FORMER_CODES_FILE = "anciens_codes.csv"
REBUILD_HINT = "régénérez-le avec « .venv/bin/python scripts/build_referentiel.py »"


def load_national_geography(folder: Path | None = None) -> geo.Geography:
    """The national :class:`geo.Geography` read from ``folder`` (default ``REFERENTIEL_DIR``).

    ``communes.population`` and ``epcis.population_municipale`` are float (NaN when unknown);
    every code column is str. Raises :class:`DataError` (French, naming file, line and column)
    when a file is missing or inconsistent.
    """
    folder = Path(folder) if folder is not None else REFERENTIEL_DIR
    folder = folder.resolve()
    frames = _parsed_frames(str(folder), _stamp(folder))
    # Copies are cheap (copy-on-write) and keep callers from altering the cached frames.
    return geo.Geography(
        communes=frames["communes"].copy(),
        epcis=frames["epci"].copy(),
        departements=frames["departements"].copy(),
        regions=frames["regions"].copy(),
    )


def geography_for_departements(codes: Iterable[str], folder: Path | None = None) -> geo.Geography:
    """The national geography restricted to the communes of some départements.

    Codes are matched as text after trimming and upper-casing (``2a`` → ``2A``); a one-digit
    code gets its leading zero back (``1`` → ``01``). An EPCI straddling a border is kept as one
    row, but only its communes inside the départements are present.
    """
    national = load_national_geography(folder)
    valid = national.departements["code"].tolist()
    wanted = [_normalise_departement(c) for c in codes]
    if not wanted:
        raise geo.UnknownTerritoryError(
            "Aucun département demandé. Donnez au moins un code département "
            f"(par exemple {_examples(valid)})."
        )
    unknown = [c for c in dict.fromkeys(wanted) if c not in set(valid)]
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise geo.UnknownTerritoryError(
            f"Département{plural} inconnu{plural} : {', '.join(quote(c) for c in unknown)}. "
            f"Codes valides, par exemple : {_examples(valid)} "
            f"({len(valid)} départements au référentiel ; les codes s'écrivent avec leur zéro "
            "initial, « 2A »/« 2B » pour la Corse, « 971 » à « 976 » outre-mer)."
        )
    communes = national.communes
    members = communes.loc[communes["departement"].isin(wanted), "code"]
    return national.subset(members)


def load_former_codes(folder: Path | None = None) -> pd.Series:
    """Former commune codes (merged since into a commune nouvelle) → the current commune's
    code, from ``anciens_codes.csv`` (all the mergers the referential's COG knows). Used to
    join polygons or rows of an older COG vintage to today's communes. Empty when the file
    is absent (a referential built before it existed)."""
    folder = (Path(folder) if folder is not None else REFERENTIEL_DIR).resolve()
    path = folder / FORMER_CODES_FILE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return pd.Series(dtype=str, name="code")
    return _former_codes(str(path), (stat.st_mtime_ns, stat.st_size)).copy()


@lru_cache(maxsize=2)
def _former_codes(path: str, stamp: tuple[int, int]) -> pd.Series:
    del stamp  # only part of the cache key
    frame = read_delimited(Path(path), sep=",", required=["ancien_code", "code"], encoding="utf-8")
    issues = IssueCollector(path)
    for col in ("ancien_code", "code"):
        frame[col] = frame[col].str.strip()
        geo.check_commune_codes(frame[col], issues, col, frame[LINE])
    check_unique(frame, ["ancien_code"], issues, "ancien code")
    issues.raise_if_any()
    return frame.set_index("ancien_code")["code"].rename("code")


# -- internals ------------------------------------------------------------------------------------
def _normalise_departement(code: object) -> str:
    text = str(code).strip().upper()
    return text.zfill(2) if text.isdigit() and len(text) == 1 else text


def _examples(valid: list[str]) -> str:
    picks = [c for c in ("01", "2A", "2B", "75", "90", "971", "976") if c in valid]
    return ", ".join(picks or valid[:5])


def _stamp(folder: Path) -> tuple[tuple[int, int], ...]:
    """(mtime, size) of each file: the cache key that notices a regenerated referential."""
    stamps = []
    for name in COLUMNS:
        path = folder / f"{name}.csv"
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise DataError(
                Issue(
                    path.name,
                    f"aucun fichier dans {folder}",
                    f"le fichier du référentiel national ({REBUILD_HINT})",
                )
            ) from None
        stamps.append((stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


@lru_cache(maxsize=4)
def _parsed_frames(folder: str, stamp: tuple[tuple[int, int], ...]) -> dict[str, pd.DataFrame]:
    del stamp  # only part of the cache key
    base = Path(folder)
    raw = {name: _read_table(base / f"{name}.csv", name) for name in COLUMNS}
    _check_links(raw, base)
    return {name: frame.drop(columns=LINE) for name, frame in raw.items()}


def _read_table(path: Path, name: str) -> pd.DataFrame:
    """One referential CSV, checked: codes well formed and unique, populations numeric."""
    frame = read_delimited(path, sep=",", required=COLUMNS[name], encoding="utf-8-sig")
    frame = frame[[*COLUMNS[name], LINE]]
    issues = IssueCollector(path)
    lines = frame[LINE]
    for col in COLUMNS[name]:
        frame[col] = frame[col].str.strip()
    if name == "communes":
        geo.check_commune_codes(frame["code"], issues, "code", lines)
        wrong = frame["departement"] != geo.departement_of(frame["code"]).fillna("")
        for idx in wrong[wrong].index[:50]:
            issues.add(
                f"le département {quote(frame.at[idx, 'departement'])} pour la commune "
                f"{quote(frame.at[idx, 'code'])}",
                "le département indiqué par le début du code commune",
                line=int(lines.loc[idx]),
                column="departement",
            )
        _check_pattern(frame, "epci", geo.EPCI_CODE_PATTERN, issues, "un SIREN à 9 chiffres")
    elif name == "epci":
        _check_pattern(frame, "code", geo.EPCI_CODE_PATTERN, issues, "un SIREN à 9 chiffres")
    else:
        _check_pattern(
            frame, "code", r"^(?:\d{2,3}|2[AB])$", issues, "un code de 2 ou 3 caractères"
        )
    if name in POPULATION_COLUMNS:
        col = POPULATION_COLUMNS[name]
        frame[col], _ = to_number(frame, col, issues)
    check_unique(frame, ["code"], issues, WHAT[name])
    issues.raise_if_any()
    return frame


def _check_pattern(
    frame: pd.DataFrame, column: str, pattern: str, issues: IssueCollector, expected: str
) -> None:
    values = frame[column]
    ok = values.str.fullmatch(pattern).fillna(False).astype(bool)
    if column == "epci":
        ok |= values == geo.NO_EPCI
        expected += f" ou {geo.NO_EPCI} (sans EPCI)"
    for idx in ok[~ok].index[:50]:
        issues.add(quote(values.loc[idx]), expected, line=int(frame.at[idx, LINE]), column=column)


def _check_links(raw: dict[str, pd.DataFrame], base: Path) -> None:
    """Every commune's EPCI, département and région, and every département's région, exist."""
    links = [
        ("communes", "epci", "epci", "un EPCI de epci.csv ou " + geo.NO_EPCI),
        ("communes", "departement", "departements", "un département de departements.csv"),
        ("communes", "region", "regions", "une région de regions.csv"),
        ("departements", "region", "regions", "une région de regions.csv"),
    ]
    issues: list[Issue] = []
    for table, column, target, expected in links:
        frame = raw[table]
        known = set(raw[target]["code"])
        if column == "epci":
            known.add(geo.NO_EPCI)
        bad = ~frame[column].isin(known)
        collector = IssueCollector(base / f"{table}.csv")
        for idx in bad[bad].index[:50]:
            collector.add(
                f"{quote(frame.at[idx, column])}, absent du référentiel",
                expected,
                line=int(frame.at[idx, LINE]),
                column=column,
            )
        issues.extend(collector.issues)
    if issues:
        raise DataError(issues)
