"""DREES « Panorama statistique Jeunesse, Sports, Cohésion sociale », table « Accueils
collectifs de mineurs sans hébergement » (source Djepva, base Siam/TAM; traitement Injep) →
département and France references (data-formats.md §7).

The DREES publishes this table as a web page per département (one column for the région, one
for the département, then « FRANCE métropolitaine » and « FRANCE entière »); no
machine-readable file with a fixed header could be confirmed. The loader therefore reads the
table as it is copied from the page into a spreadsheet and saved as CSV (``;``): one column of
row labels, then one column per area, and the manifest says which column is which::

    accueils_mineurs:
      fichier: drees_acm_2018_96.csv
      annee: 2018
      departement: "96"
      colonnes: {libelle: Libellé, departement: "Département de démonstration (fictif)",
                 france: FRANCE entière}

The rows are read as the page lays them out: a row without any number opens a section (« Le
mercredi », « En périscolaire », « Congés scolaires de Toussaint », « Au moins une période
d'activité le mercredi »…), and the rows under it give the number of communes, of places
(« Nombre de places ouvertes » or « déclarées ») and the places by age (« Moins de 6 ans »,
« 6-13 ans » / « 6-11 ans », « 14-17 ans » / « 12-17 ans »). Two rows stand before any
period: « Nombre de communes au sein du département » and « Nombre de communes disposant d'un
accueil de loisirs ». Numbers are French (« 3 808 »); an empty cell is a value the DREES does
not give. Labels the loader does not know are ignored and listed in the report.

Returns references ``niveau | code | annee | variable | valeur`` with ``niveau`` departement
(code from the manifest) or france (``FR``) and variables ``acm_<section>_<measure>``
(:data:`SECTIONS`, :data:`MEASURES`). These are context lines: département figures with no
commune detail, never summed into a territory.

Layer « sources »: imports the socle (:mod:`territoire_lib.errors`) and
:mod:`territoire_lib.sources.reading`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..errors import IssueCollector, LoadReport, fmt_int, quote
from .reading import LINE, read_delimited, to_number

SOURCE = "DREES, Panorama statistique (Djepva, Injep) — accueils collectifs de mineurs"
FRANCE_CODE = "FR"
REFERENCE_COLUMNS = ["niveau", "code", "annee", "variable", "valeur"]
# section key → words of its heading (normalised: lower case, no accents)
# (périscolaire first: its 2019 heading « au cours de la semaine (en périscolaire, y compris
# le mercredi ou le samedi) » names the other two)
SECTIONS = {
    "periscolaire": ("periscolaire", "au cours de la semaine"),
    "mercredi": ("mercredi",),
    "samedi": ("samedi",),
    "toussaint": ("toussaint",),
    "noel": ("noel",),
    "hiver": ("hiver",),
    "printemps": ("printemps",),
    "juillet": ("juillet",),
    "aout": ("aout",),
    "autres_jours": ("autres jours",),
    "annee": ("au cours de l'annee",),
}
SECTION_LABELS = {
    "mercredi": "le mercredi",
    "samedi": "le samedi",
    "periscolaire": "en périscolaire",
    "toussaint": "aux vacances de la Toussaint",
    "noel": "aux vacances de Noël",
    "hiver": "aux vacances d'hiver",
    "printemps": "aux vacances de printemps",
    "juillet": "en juillet",
    "aout": "en août",
    "autres_jours": "les autres jours",
    "annee": "sur l'année",
}
# measure key → label patterns (normalised), checked in order
MEASURES = (
    ("communes_total", r"^nombre de communes au sein"),
    ("communes_accueil_loisirs", r"^nombre de communes disposant d'un accueil de loisirs"),
    ("communes", r"^nombre de communes$"),
    ("lieux", r"^nombre de lieux d'accueils?$"),
    ("places", r"^nombre (?:total )?de places (?:ouvertes|declarees)"),
    ("moins_6", r"^moins de 6 ans"),
    ("age_6_13", r"^6 ?- ?13 ans"),
    ("age_6_11", r"^6 ?- ?11 ans"),
    ("age_14_17", r"^14 ?- ?17 ans"),
    ("age_12_17", r"^12 ?- ?17 ans"),
    ("handicap", r"^mineurs declares en situation de handicap"),
)
AGE_LABELS = {
    "moins_6": "moins de 6 ans",
    "age_6_13": "6-13 ans",
    "age_6_11": "6-11 ans",
    "age_14_17": "14-17 ans",
    "age_12_17": "12-17 ans",
}
REQUIRED_MAPPING = ("libelle", "departement")


def _key(text: object) -> str:
    """Lower case, no accents, straight apostrophes, single spaces."""
    raw = "" if text is None else str(text)
    plain = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    plain = plain.replace("’", "'").lower()
    return re.sub(r"\s+", " ", plain).strip(" :")


def _section(label: str) -> str | None:
    key = _key(label)
    for section, words in SECTIONS.items():
        if any(w in key for w in words):
            return section
    return None


def _measure(label: str) -> str | None:
    key = _key(label)
    for measure, pattern in MEASURES:
        if re.search(pattern, key):
            return measure
    return None


def read_acm_table(
    path: str | Path, year: int, departement: str, columns: Mapping[str, str]
) -> tuple[pd.DataFrame, LoadReport]:
    """Read the DREES table of accueils collectifs de mineurs of one département (see the
    module docstring for the layout and the manifest's column mapping).

    ``columns`` maps ``libelle`` (row labels), ``departement`` and optionally ``france`` to
    the file's column names. Raises :class:`~territoire_lib.errors.DataError` (French) for a
    missing column or text where a number is expected.
    """
    path = Path(path)
    issues = IssueCollector(path)
    for key in REQUIRED_MAPPING:
        if not columns.get(key):
            issues.add(
                f"aucune colonne « {key} » dans la correspondance du manifeste",
                "colonnes: {libelle: …, departement: …, france: …} (noms des colonnes du fichier)",
            )
    issues.raise_if_any()
    areas = {"departement": (columns["departement"], str(departement))}
    if columns.get("france"):
        areas["france"] = (columns["france"], FRANCE_CODE)
    wanted = [columns["libelle"], *(c for c, _ in areas.values())]
    frame = read_delimited(path, sep=";", required=wanted)
    report = LoadReport(SOURCE, path.name, rows_read=len(frame))
    values = {}
    for level, (column, _) in areas.items():
        cleaned = frame.assign(
            **{column: frame[column].astype("string").str.replace(r"[\s\u202f]", "", regex=True)}
        )
        values[level], _ = to_number(cleaned, column, issues, decimal=",")
    issues.raise_if_any()
    numbers = pd.DataFrame(values)
    labels = frame[columns["libelle"]].astype("string").fillna("").str.strip()
    section = None
    rows, ignored = [], []
    for idx in frame.index:  # a few dozen rows of a published table, in their order
        label = str(labels.loc[idx])
        if not label:
            continue
        if numbers.loc[idx].isna().all():
            found = _section(label)
            if found is not None:
                section = found
            continue
        measure = _measure(label)
        if measure is None:
            ignored.append(label)
            continue
        top = measure in ("communes_total", "communes_accueil_loisirs")
        if not top and section is None:
            ignored.append(label)
            continue
        name = f"acm_{measure}" if top else f"acm_{section}_{measure}"
        for level, (_, code) in areas.items():
            value = numbers.at[idx, level]
            if pd.notna(value):
                rows.append((level, code, int(year), name, float(value), int(frame.at[idx, LINE])))
    refs = pd.DataFrame(rows, columns=[*REFERENCE_COLUMNS, LINE])
    dup = refs.duplicated(["niveau", "variable"], keep="first")
    for line in refs.loc[dup, LINE].head(5):
        report.note(f"ligne {line} : chiffre déjà donné plus haut dans la même rubrique, ignoré")
    refs = refs[~dup]
    if ignored:
        shown = ", ".join(quote(x) for x in list(dict.fromkeys(ignored))[:5])
        report.note(f"{fmt_int(len(ignored))} ligne(s) non reprise(s) : {shown}")
    report.rows_kept = int(refs[LINE].nunique())
    report.note(
        f"{fmt_int(len(refs))} chiffre(s) de contexte ({year}) : département "
        + str(departement)
        + (" et France" if "france" in areas else "")
        + " ; aucun détail par commune"
    )
    return refs[REFERENCE_COLUMNS].reset_index(drop=True), report
