"""INSEE statistical files → commune observations (data-formats.md §3.3, §3.6, §3.7).

* RP "base infracommunale" (IRIS rows summed to communes): population by age
  (:func:`read_population_age`) and couples / families / households (:func:`read_families`);
* Filosofi 1, wide (:func:`read_filosofi_wide`, ``FILO20YY_DISP_COM.csv`` +
  ``FILO20YY_DISP_PAUVRES_COM.csv``) and Filosofi 2, long Melodi format
  (:func:`read_filosofi_long`).

Every reader returns observations in the long format of :mod:`.reading`
(``commune | annee | variable | valeur | statut``) with a :class:`LoadReport`, and raises
:class:`DataError` listing every problem (file, line, column, found, expected) in French.
Census counts are weighted estimates: they stay floats from the file to the sums.

Every value is checked against the plausibility bounds of its variable, every year against
its publisher's years (:mod:`.plausibility`).

Layer « sources »: imports socle (errors, geo, variables); its own layer (sources.reading,
sources.plausibility).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, IssueCollector, LoadReport, quote
from ..geo import (
    check_commune_codes,
    fold_arrondissements,
    is_arrondissement,
)
from ..variables import VARIABLES
from .plausibility import check_at_most, check_values, check_years, year_in_range, year_text
from .reading import (
    LINE,
    OBS_COLUMNS,
    STATUT_ESTIME,
    STATUT_PUBLIE,
    STATUT_SECRET,
    check_unique,
    melt_observations,
    normalise_observations,
    read_delimited,
    to_number,
)

# RP IRIS bases: column suffix (after the P21_/C21_ prefix) → variable
RP_POPULATION_COLUMNS = {
    "POP": "pop_totale",
    "POP0002": "pop_0_2",
    "POP0305": "pop_3_5",
    "POP0610": "pop_6_10",
    "POP1117": "pop_11_17",
    "POP1824": "pop_18_24",
    "POP65P": "pop_65_plus",
}
# a key « P:… » is read with the other letter (P21_POP80P_PSEUL in a file of C21_… columns)
RP_FAMILY_COLUMNS = {
    "MEN": "menages",
    "FAM": "familles",
    "FAMMONO": "familles_monoparentales",
    "COUPAENF": "couples_avec_enfants",
    "MENPSEUL": "menages_une_personne",
    "NE24F1": "familles_1_enfant",
    "NE24F2": "familles_2_enfants",
    "NE24F3": "familles_3_enfants",
    "NE24F4P": "familles_4_enfants_plus",
    # people living alone by age: the communal base and the demo carry 65-79 and 80+; the
    # IRIS base of 2022 has 55-79 and 80+ (its 65-79 columns are then noted as missing)
    "P:POP6579": "pop_65_79",
    "P:POP80P": "pop_80_plus",
    "P:POP6579_PSEUL": "personnes_seules_65_79",
    "P:POP80P_PSEUL": "personnes_seules_80_plus",
}
IRIS_PATTERN = r"^(?:\d{5}|2[AB]\d{3})\d{4}$"

# Filosofi
SECRET_MARKERS = ("s", "nd")
# variable → column stems, first found wins (2017 used MED17 / NBMENFISC17)
FILO_DISP_STEMS = {
    "menages_fiscaux": ("NBMEN", "NBMENFISC"),
    "personnes_menages_fiscaux": ("NBPERS", "NBPERSMENFISC"),
    "niveau_vie_median": ("Q2", "MED"),
}
FILO_PAUVRES_STEMS = {"taux_pauvrete_publie": ("TP60",)}
FILO_YEAR_PATTERN = re.compile(r"^(?:NBMENFISC|NBMEN|NBPERSMENFISC|NBPERS|Q2|MED|TP60)(\d{2})$")
FILO_FILE_YEAR = re.compile(r"FILO(20\d{2})", re.IGNORECASE)

MELODI_REQUIRED = [
    "GEO",
    "GEO_OBJECT",
    "FILOSOFI_MEASURE",
    "CONF_STATUS",
    "TIME_PERIOD",
    "OBS_VALUE",
]
MELODI_MEASURES = {
    "MED_SL": "niveau_vie_median",
    "PR_MD60": "taux_pauvrete_publie",
    "NUM_HH": "menages_fiscaux",
}
MELODI_PERSONS = re.compile(r"^NUM_PER")  # NUM_PER, NUM_PERS, NUM_PERSONS…
MELODI_SECRET_STATUS = ("C", "D")  # SDMX: confidential, secondary confidentiality
MELODI_LEVELS = {
    "COM": "commune",
    "ARM": "commune",
    "EPCI": "epci",
    "DEP": "departement",
    "REG": "region",
    "FRANCE": "france",
}
REFERENCE_COLUMNS = ["niveau", "code", "annee", "variable", "valeur"]

_SUMMABLE = {name: v.summable for name, v in VARIABLES.items()}


# -- shared helpers -------------------------------------------------------------------------


def _numbers(
    frame: pd.DataFrame,
    column: str,
    issues: IssueCollector,
    **kwargs,
) -> tuple[pd.Series, pd.Series]:
    """:func:`to_number` with the decimal mark detected (``.`` or ``,``) for the column."""
    raw = frame[column].astype("string").str.strip()
    comma = bool(raw.str.fullmatch(r"-?\d+,\d+").fillna(False).any())
    return to_number(frame, column, issues, decimal="," if comma else ".", **kwargs)


def _drop_empty(frame: pd.DataFrame, column: str, report: LoadReport, reason: str) -> pd.DataFrame:
    empty = frame[column] == ""
    if empty.any():
        report.drop(reason, int(empty.sum()), (f"ligne {n}" for n in frame.loc[empty, LINE]))
    return frame[~empty]


def _strip(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    frame = frame.copy()
    for col in columns:
        frame[col] = frame[col].astype(str).str.strip()
    return frame


def _report_unmatched(
    codes: pd.Series, known_communes: Iterable[str] | None, report: LoadReport
) -> None:
    if known_communes is None:
        return
    report.unmatched_codes = sorted(set(codes.unique()) - set(known_communes))


def _present(obs: pd.DataFrame) -> pd.DataFrame:
    """Drop observations that are neither a value nor a secret (not published at all)."""
    keep = obs["valeur"].notna() | (obs["statut"] == STATUT_SECRET)
    return obs[keep].reset_index(drop=True)


def _fold_arm_observations(
    obs: pd.DataFrame, report: LoadReport, *, rows: bool = True
) -> pd.DataFrame:
    """Fold PLM arrondissement observations into their commune.

    Only summable variables (counts) are summed; medians and rates of arrondissements cannot
    be folded and are dropped (reported). When the commune itself is published for the same
    year and variable, its arrondissements are dropped instead of being added twice. A sum
    with a secret part is secret. Left-out values are reported as dropped rows when each
    observation is a row of the file (``rows``), as notes otherwise.
    """

    def left_out(reason: str, count: int, examples: list[str]) -> None:
        if rows:
            report.drop(reason, count, examples)
        elif count:
            report.note(f"{count} {reason} (ex. {', '.join(examples[:5])}).")

    arm = is_arrondissement(obs["commune"]).to_numpy()
    if not arm.any():
        return obs
    base = obs[~arm]
    parts = obs[arm].copy()
    summable = parts["variable"].map(_SUMMABLE).fillna(False).astype(bool)
    left_out(
        "valeur d'arrondissement municipal non additionnable (médiane, taux) : non reportée "
        "sur la commune",
        int((~summable).sum()),
        sorted(set(parts.loc[~summable, "variable"])),
    )
    parts = parts[summable]
    parts["commune"] = fold_arrondissements(parts["commune"]).astype(str)
    key = ["commune", "annee", "variable"]
    merged = parts[key].merge(base[key].drop_duplicates(), on=key, how="left", indicator=True)
    already = (merged["_merge"] == "both").to_numpy()
    left_out(
        "arrondissement municipal déjà compris dans la commune publiée",
        int(already.sum()),
        sorted(set(parts.loc[already, "commune"])),
    )
    parts = parts[~already]
    if parts.empty:
        return base.reset_index(drop=True)
    parts = parts.assign(
        _secret=parts["statut"] == STATUT_SECRET,
        _estime=parts["statut"] == STATUT_ESTIME,
    )
    grouped = (
        parts.groupby(key, sort=False)
        .agg(
            valeur=("valeur", "sum"),
            _n=("valeur", "count"),
            _secret=("_secret", "any"),
            _estime=("_estime", "any"),
        )
        .reset_index()
    )
    grouped["valeur"] = grouped["valeur"].where((grouped["_n"] > 0) & ~grouped["_secret"])
    grouped["statut"] = np.select(
        [grouped["_secret"], grouped["_estime"]], [STATUT_SECRET, STATUT_ESTIME], STATUT_PUBLIE
    )
    report.note(
        f"{len(parts)} valeur(s) d'arrondissements municipaux (Paris, Lyon, Marseille) "
        "additionnée(s) dans leur commune."
    )
    out = pd.concat([base, grouped[OBS_COLUMNS]], ignore_index=True)
    return normalise_observations(out)


# -- RP IRIS bases --------------------------------------------------------------------------


def read_population_age(
    path: str | Path, known_communes: set[str] | None = None
) -> tuple[pd.DataFrame, LoadReport]:
    """Read ``base-ic-evol-struct-pop-YYYY.csv`` (IRIS rows) → commune observations.

    Variables ``pop_totale``, ``pop_0_2``, ``pop_3_5``, ``pop_6_10``, ``pop_11_17``,
    ``pop_18_24``, ``pop_65_plus`` (floats, IRIS summed by ``COM``, arrondissements
    folded); ``annee`` is the census year read from the column prefix (``P21_`` → 2021).
    Codes absent from ``known_communes`` are kept and listed in the report.
    """
    return _read_rp_iris(
        path,
        "P",
        RP_POPULATION_COLUMNS,
        "Insee, RP – population par âge (IRIS)",
        known_communes,
    )


def read_families(
    path: str | Path, known_communes: set[str] | None = None
) -> tuple[pd.DataFrame, LoadReport]:
    """Read ``base-ic-couples-familles-menages-YYYY.csv`` (IRIS rows) → commune observations.

    Variables ``menages``, ``familles``, ``familles_monoparentales``,
    ``couples_avec_enfants``, ``menages_une_personne``, families by number of children under
    25 (``C21_NE24F1`` … ``C21_NE24F4P``) and people aged 65-79 and 80 or more, all and
    living alone (``P21_POP6579``, ``P21_POP80P_PSEUL``…). A column absent from the file
    disables only the indicators that need it (noted in the report).
    """
    return _read_rp_iris(
        path,
        "C",
        RP_FAMILY_COLUMNS,
        "Insee, RP – couples, familles, ménages (IRIS)",
        known_communes,
    )


def _detect_rp_year(
    columns: Iterable[str], letter: str, suffixes: list[str], issues: IssueCollector
) -> tuple[str, list[str]]:
    """Two-digit census year of the header prefix (``P21_POP`` → '21'), and the other years.

    The year whose columns are the most complete wins, then the most recent one. A header with
    none of the columns is an issue; the columns missing for that year are the caller's to
    note (:meth:`LoadReport.missing_column`).
    """
    pattern = re.compile(rf"^{letter}(\d{{2}})_({'|'.join(suffixes)})$")
    found: dict[str, set[str]] = {}
    for col in columns:
        match = pattern.match(col)
        if match:
            found.setdefault(match.group(1), set()).add(match.group(2))
    first = suffixes[0]
    if not found:
        issues.add(
            f"aucune colonne {letter}21_{first}, {letter}22_{first}… (préfixe de l'année du "
            "recensement introuvable dans l'en-tête)",
            f"les colonnes du fichier Insee préfixées par l'année, ex. {letter}21_{first} pour "
            "le recensement 2021",
            line=1,
        )
        issues.raise_if_any()
    best = max(found, key=lambda yy: (len(found[yy]), int(yy)))
    return best, sorted(y for y in found if y != best)


def _check_iris(frame: pd.DataFrame, valid_com: pd.Series, issues: IssueCollector) -> None:
    iris = frame["IRIS"].astype("string")
    filled = iris != ""
    ok = iris.str.fullmatch(IRIS_PATTERN).fillna(False).astype(bool)
    for idx in (filled & ~ok)[filled & ~ok].index[:50]:
        text = str(iris.loc[idx])
        found = quote(text)
        if text.isdigit() and len(text) == 8:
            found += f" (le zéro initial a disparu : {text.zfill(9)} ?)"
        issues.add(
            found,
            "un code IRIS de 9 caractères : code commune + 4 chiffres (ex. 010010000)",
            line=int(frame.at[idx, LINE]),
            column="IRIS",
        )
    other = filled & ok & valid_com & (iris.str[:5] != frame["COM"])
    for idx in other[other].index[:50]:
        issues.add(
            f"l'IRIS {quote(iris.loc[idx])} pour la commune {frame.at[idx, 'COM']}",
            "un code IRIS commençant par le code de sa commune (colonne COM)",
            line=int(frame.at[idx, LINE]),
            column="IRIS",
        )


def _rp_column(letter: str, yy: str, suffix: str) -> str:
    """``C``, ``21``, ``FAM`` → ``C21_FAM``; ``P:POP80P`` → ``P21_POP80P``."""
    if ":" in suffix:
        letter, suffix = suffix.split(":", 1)
    return f"{letter}{yy}_{suffix}"


def _read_rp_iris(
    path: str | Path,
    letter: str,
    columns: Mapping[str, str],
    source: str,
    known_communes: Iterable[str] | None,
) -> tuple[pd.DataFrame, LoadReport]:
    path = Path(path)
    frame = read_delimited(path, sep=";", required=["IRIS", "COM"])
    report = LoadReport(source, path.name, rows_read=len(frame))
    issues = IssueCollector(path)
    own = [suffix for suffix in columns if ":" not in suffix]
    yy, other_years = _detect_rp_year(frame.columns, letter, own, issues)
    year = 2000 + int(yy)
    if not year_in_range(year, list(columns.values())):
        issues.add(
            f"l'année {year} (colonnes préfixées « {letter}{yy}_ »)",
            year_text(list(columns.values())),
            line=1,
        )
        issues.raise_if_any()
    value_cols = {_rp_column(letter, yy, suffix): var for suffix, var in columns.items()}
    # a missing column blocks only the indicators that need it (issue 13): noted, not fatal
    for col in [c for c in value_cols if c not in frame.columns]:
        report.missing_column(col, value_cols.pop(col))

    frame = _strip(frame, ["IRIS", "COM"])
    frame = _drop_empty(frame, "COM", report, "code commune (COM) vide")
    valid = check_commune_codes(frame["COM"], issues, "COM", frame[LINE])
    _check_iris(frame, valid, issues)
    check_unique(frame[frame["IRIS"] != ""], ["IRIS"], issues, "IRIS")
    values = {
        col: _numbers(frame, col, issues, allow_empty=False)[0].to_numpy() for col in value_cols
    }
    parsed = {col: pd.Series(v, index=frame.index) for col, v in values.items()}
    for col, variable in value_cols.items():
        check_values(frame, parsed[col], col, variable, issues, report, communes=frame["COM"])
    check_at_most(frame, parsed, value_cols, issues)  # children within the population…
    issues.raise_if_any()

    wide = pd.DataFrame(values, index=frame.index)
    wide["commune"] = fold_arrondissements(frame["COM"]).astype(str)
    summed = wide.groupby("commune", sort=True).sum(min_count=1).reset_index()
    summed["annee"] = year
    obs = _present(melt_observations(summed, value_cols))

    report.rows_kept = len(frame)
    report.note(
        f"{len(frame)} IRIS regroupés en {len(summed)} communes (recensement {year}, "
        "effectifs pondérés non arrondis)."
    )
    n_arm = int(is_arrondissement(frame["COM"]).sum())
    if n_arm:
        report.note(
            f"{n_arm} IRIS d'arrondissements municipaux regroupés dans leur commune "
            "(Paris, Lyon, Marseille)."
        )
    if other_years:
        report.note(
            "Colonnes d'autres années ignorées : "
            + ", ".join(f"{letter}{y}_…" for y in other_years)
            + f" (seule l'année {year} est lue)."
        )
    _report_unmatched(obs["commune"], known_communes, report)
    return obs, report


# -- Filosofi 1 (wide) ----------------------------------------------------------------------


def _filosofi_year(frame: pd.DataFrame, path: Path, issues: IssueCollector) -> str | None:
    """Two-digit year from the column names (``Q221`` → '21'), else from the file name."""
    years = sorted(
        {m.group(1) for c in frame.columns if (m := FILO_YEAR_PATTERN.match(str(c).upper()))}
    )
    if years:
        return years[-1]
    match = FILO_FILE_YEAR.search(path.name)
    if match:
        return match.group(1)[2:]
    issues.add(
        "aucune colonne datée (NBMEN21, Q221, TP6021…) et aucune année « FILO2021 » dans le nom "
        "du fichier",
        "un fichier Filosofi de l'Insee (colonnes suffixées par l'année sur 2 chiffres)",
        line=1,
    )
    return None


def _pick_columns(
    frame: pd.DataFrame,
    stems: Mapping[str, tuple[str, ...]],
    yy: str,
    issues: IssueCollector,
    report: LoadReport | None = None,
) -> dict[str, str]:
    """variable → column of the file. With a ``report``, a missing column is recorded there
    (the file loads without that variable) as long as one variable is found; otherwise every
    missing column is an issue."""
    upper = {str(c).upper(): c for c in frame.columns}
    out: dict[str, str] = {}
    missing: dict[str, str] = {}
    for variable, candidates in stems.items():
        names = [f"{stem}{yy}" for stem in candidates]
        col = next((upper[n] for n in names if n in upper), None)
        if col is None:
            missing[names[0]] = variable
        else:
            out[variable] = col
    for name, variable in missing.items():
        if report is not None and out:
            report.missing_column(name, variable)
        else:
            issues.add(f"aucune colonne « {name} »", f"la colonne « {name} »", line=1, column=name)
    return out


def _filosofi_frame(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    issues: IssueCollector,
    report: LoadReport,
) -> pd.DataFrame:
    """Checked commune frame: commune, one value column and one ``<var>_secret`` per variable."""
    frame = _strip(frame, ["CODGEO"])
    frame = _drop_empty(frame, "CODGEO", report, "code commune (CODGEO) vide")
    check_commune_codes(frame["CODGEO"], issues, "CODGEO", frame[LINE])
    check_unique(frame, ["CODGEO"], issues, "commune")
    out = pd.DataFrame({"commune": frame["CODGEO"].astype(str)}, index=frame.index)
    for variable, col in columns.items():
        values, secret = _numbers(frame, col, issues, secret_markers=SECRET_MARKERS)
        check_values(frame, values, col, variable, issues, report, communes=frame["CODGEO"])
        out[variable] = values
        out[f"{variable}_secret"] = secret.to_numpy()
        report.secret_values += int(secret.sum())
    check_at_most(  # households within persons
        frame,
        {col: out[v] for v, col in columns.items()},
        {c: v for v, c in columns.items()},
        issues,
    )
    return out.reset_index(drop=True)


def read_filosofi_wide(
    disp_path: str | Path | None,
    pauvres_path: str | Path | None,
    known_communes: set[str] | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """Read ``FILO20YY_DISP_COM.csv`` and/or ``FILO20YY_DISP_PAUVRES_COM.csv`` → observations.

    Variables ``menages_fiscaux`` (NBMENYY), ``personnes_menages_fiscaux`` (NBPERSYY),
    ``niveau_vie_median`` (Q2YY) from the first file, ``taux_pauvrete_publie`` (TP60YY) from
    the second, and, with both, ``personnes_pauvres`` = TP60YY / 100 × NBPERSYY (statut
    ``estime``; ``secret`` when the rate or the persons are secret). The two files are joined
    on CODGEO (outer join: the poverty rate exists only for the larger communes). Either file
    may be given alone (None for the other): what it cannot give is noted in the report.
    A column of the first file absent from it is noted too, and the rest is loaded. Secret
    markers ``s``/``nd`` give statut ``secret`` with a NaN value.
    """
    if disp_path is None and pauvres_path is None:
        raise ValueError("read_filosofi_wide: give the DISP file, the PAUVRES file or both")
    paths = {"d": disp_path, "p": pauvres_path}
    paths = {k: Path(v) for k, v in paths.items() if v is not None}
    frames = {k: read_delimited(v, sep=";", required=["CODGEO"]) for k, v in paths.items()}
    report = LoadReport(
        "Insee, Filosofi – revenus disponibles",
        " + ".join(p.name for p in paths.values()),
        rows_read=sum(len(f) for f in frames.values()),
    )
    issues = {k: IssueCollector(v) for k, v in paths.items()}

    def raise_if_any() -> None:
        found = [i for c in issues.values() for i in c.issues]
        if found:
            raise DataError(found)

    years = {k: _filosofi_year(frames[k], paths[k], issues[k]) for k in paths}
    for k, yy in years.items():
        if yy and not year_in_range(2000 + int(yy), ["menages_fiscaux"]):
            issues[k].add(f"l'année 20{yy}", year_text(["menages_fiscaux"]), line=1)
    if years.get("d") and years.get("p") and years["d"] != years["p"]:
        issues["p"].add(
            f"des données de 20{years['p']}",
            f"la même année que le fichier « {paths['d'].name} » (20{years['d']})",
            line=1,
            column=f"TP60{years['p']}",
        )
    raise_if_any()
    stems = {"d": FILO_DISP_STEMS, "p": FILO_PAUVRES_STEMS}
    cols = {
        k: _pick_columns(frames[k], stems[k], years[k], issues[k], report if k == "d" else None)
        for k in paths
    }
    raise_if_any()
    parts = {k: _filosofi_frame(frames[k], cols[k], issues[k], report) for k in paths}
    raise_if_any()
    report.rows_kept = sum(len(p) for p in parts.values())

    if "p" in parts:
        parts["p"]["_in_pauvres"] = True
    if len(parts) == 2:
        m = parts["d"].merge(parts["p"], on="commune", how="outer", sort=True)
    else:
        m = next(iter(parts.values())).sort_values("commune").reset_index(drop=True)
    variables = [v for k in parts for v in cols[k]]
    for v in [*FILO_DISP_STEMS, *FILO_PAUVRES_STEMS]:
        if v not in m:  # a variable of the file not given (or without its column)
            m[v], m[f"{v}_secret"] = np.nan, False
    for col in [c for c in m.columns if c.endswith("_secret")] + ["_in_pauvres"]:
        if col not in m:
            m[col] = False
        m[col] = m[col].astype("boolean").fillna(False).astype(bool)
    if {"taux_pauvrete_publie", "personnes_menages_fiscaux"} <= set(variables):
        m["personnes_pauvres"] = m["taux_pauvrete_publie"] / 100.0 * m["personnes_menages_fiscaux"]
        m["personnes_pauvres_secret"] = m["_in_pauvres"] & (
            m["taux_pauvrete_publie_secret"] | m["personnes_menages_fiscaux_secret"]
        )
        variables.append("personnes_pauvres")
    m["annee"] = 2000 + int(years.get("d") or years["p"])
    obs = melt_observations(
        m,
        {v: v for v in variables},
        statut={"personnes_pauvres": STATUT_ESTIME},
        secret={v: m[f"{v}_secret"] for v in variables},
    )
    obs = _fold_arm_observations(_present(obs), report, rows=False)

    if "p" in parts:
        n_rate = int(m["taux_pauvrete_publie"].notna().sum())
        report.note(
            f"Taux de pauvreté publié pour {n_rate} commune(s) sur {len(m)} (l'Insee ne le "
            "diffuse que pour les communes assez peuplées)"
            + (
                " ; personnes pauvres estimées = taux × personnes des ménages fiscaux."
                if "personnes_pauvres" in variables
                else "."
            )
        )
    if "d" not in parts:
        report.note(
            "Fichier des revenus (FILO…_DISP_COM.csv) non fourni : seul le taux de pauvreté "
            "publié de chaque commune est chargé ; sans le nombre de personnes des ménages "
            "fiscaux, le taux de pauvreté d'un EPCI ou d'un périmètre (ratio de sommes) n'est "
            "pas calculable."
        )
        report.missing_column(f"NBPERS{years['p']}", "personnes_menages_fiscaux")
    elif "p" not in parts:
        report.note(
            "Fichier du taux de pauvreté (FILO…_DISP_PAUVRES_COM.csv) non fourni : revenus et "
            "niveau de vie médian chargés, pas le taux de pauvreté."
        )
        report.missing_column(f"TP60{years['d']}", "personnes_pauvres")
    _report_unmatched(obs["commune"], known_communes, report)
    return obs, report


# -- Filosofi 2 (long Melodi format) --------------------------------------------------------


def _empty_references() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "niveau": pd.Series(dtype=str),
            "code": pd.Series(dtype=str),
            "annee": pd.Series(dtype="int64"),
            "variable": pd.Series(dtype=str),
            "valeur": pd.Series(dtype="float64"),
        }
    )


def read_filosofi_long(
    path: str | Path, known_communes: set[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, LoadReport]:
    """Read a Filosofi Melodi file (``GEO;GEO_OBJECT;FILOSOFI_MEASURE;…;OBS_VALUE``).

    Returns ``(observations, references, report)``. Observations are the communes
    (``GEO_OBJECT=COM``, plus ``ARM`` counts folded into their commune) with the variables
    ``niveau_vie_median`` (MED_SL), ``taux_pauvrete_publie`` (PR_MD60), ``menages_fiscaux``
    (NUM_HH) and, when the file gives the persons (a ``NUM_PER…`` measure),
    ``personnes_menages_fiscaux`` and ``personnes_pauvres`` (estimated). ``CONF_STATUS=C``
    gives statut ``secret``. ``references`` holds the EPCI / DEP / REG / FRANCE rows with the
    columns ``niveau, code, annee, variable, valeur`` (NaN when secret).
    """
    path = Path(path)
    frame = read_delimited(path, sep=";", required=MELODI_REQUIRED)
    report = LoadReport("Insee, Filosofi (format Melodi)", path.name, rows_read=len(frame))
    issues = IssueCollector(path)
    has_mult = "UNIT_MULT" in frame.columns
    frame = _strip(frame, MELODI_REQUIRED + (["UNIT_MULT"] if has_mult else []))
    frame = _drop_empty(frame, "GEO", report, "code géographique (GEO) vide")

    obj = frame["GEO_OBJECT"].str.upper()
    for level in sorted(set(obj) - set(MELODI_LEVELS)):
        report.drop(f"niveau géographique « {level} » non utilisé", int((obj == level).sum()))
    frame, obj = frame[obj.isin(MELODI_LEVELS)], obj[obj.isin(MELODI_LEVELS)]

    measure = frame["FILOSOFI_MEASURE"].str.upper()
    mapping = dict(MELODI_MEASURES)
    persons = sorted(m for m in set(measure) if MELODI_PERSONS.match(m))
    if persons:
        mapping[persons[0]] = "personnes_menages_fiscaux"
    unused = ~measure.isin(mapping)
    report.drop(
        "mesure Filosofi non utilisée",
        int(unused.sum()),
        sorted(set(measure[unused]))[:5],
    )
    frame, obj, measure = frame[~unused], obj[~unused], measure[~unused]

    bad_year = check_melodi_rows(frame, obj, issues, example_year=2021)
    check_unique(
        frame,
        ["GEO", "GEO_OBJECT", "FILOSOFI_MEASURE", "TIME_PERIOD"],
        issues,
        "combinaison GEO / GEO_OBJECT / FILOSOFI_MEASURE / TIME_PERIOD",
    )
    years = pd.to_numeric(frame["TIME_PERIOD"].where(~bad_year), errors="coerce")
    check_years(frame, years, "TIME_PERIOD", issues, ["menages_fiscaux"])
    secret = frame["CONF_STATUS"].str.upper().isin(MELODI_SECRET_STATUS)
    public = frame[~secret]
    values, _ = _numbers(public, "OBS_VALUE", issues)
    values = values.reindex(frame.index)
    if has_mult:
        mult, _ = to_number(public, "UNIT_MULT", issues, allow_negative=True)
        values = values * np.power(10.0, mult.reindex(frame.index).fillna(0.0))
    variable_of, communal_rows = measure.map(mapping), obj.isin(["COM", "ARM"])
    for variable in sorted(set(variable_of.dropna())):  # bounds by measure (COM rows: a commune)
        rows = (variable_of == variable) & ~secret
        check_values(
            frame[rows],
            values[rows],
            "OBS_VALUE",
            variable,
            issues,
            report,
            communes=frame.loc[rows, "GEO"],
            commune_rows=communal_rows[rows],
        )
    issues.raise_if_any()

    missing = ~secret & values.isna()
    report.drop(
        "valeur absente (ni nombre ni secret)",
        int(missing.sum()),
        (f"ligne {n}" for n in frame.loc[missing, LINE]),
    )
    keep = ~missing
    report.secret_values = int(secret[keep].sum())
    long = pd.DataFrame(
        {
            "objet": obj[keep].to_numpy(),
            "code": frame.loc[keep, "GEO"].astype(str).to_numpy(),
            "annee": pd.to_numeric(frame.loc[keep, "TIME_PERIOD"]).astype("int64").to_numpy(),
            "variable": measure[keep].map(mapping).to_numpy(),
            "valeur": values[keep].where(~secret[keep]).to_numpy(),
            "statut": np.where(secret[keep], STATUT_SECRET, STATUT_PUBLIE),
        }
    )

    if persons:
        key = ["objet", "code", "annee"]
        rate = long[long["variable"] == "taux_pauvrete_publie"]
        pers = long[long["variable"] == "personnes_menages_fiscaux"]
        both = rate.merge(pers, on=key, suffixes=("_t", "_p"))
        poor_secret = (both["statut_t"] == STATUT_SECRET) | (both["statut_p"] == STATUT_SECRET)
        poor = both[key].assign(
            variable="personnes_pauvres",
            valeur=(both["valeur_t"] / 100.0 * both["valeur_p"]).where(~poor_secret),
            statut=np.where(poor_secret, STATUT_SECRET, STATUT_ESTIME),
        )
        long = pd.concat([long, poor], ignore_index=True)
        if len(persons) > 1:
            report.note(
                f"Plusieurs mesures de personnes ({', '.join(persons)}) : seule {persons[0]} "
                "est utilisée."
            )
    else:
        report.note(
            "Le fichier ne donne pas le nombre de personnes des ménages fiscaux (aucune mesure "
            "NUM_PER…) : le nombre de personnes pauvres n'est pas calculable, seul le taux de "
            "pauvreté publié est conservé."
        )

    is_commune = long["objet"].isin(["COM", "ARM"])
    obs = normalise_observations(long[is_commune].rename(columns={"code": "commune"}))
    obs = _fold_arm_observations(obs, report)
    report.rows_kept = report.rows_read - report.rows_dropped
    refs = long[~is_commune]
    references = (
        pd.DataFrame(
            {
                "niveau": refs["objet"].map(MELODI_LEVELS).astype(str),
                "code": refs["code"].astype(str),
                "annee": refs["annee"].astype("int64"),
                "variable": refs["variable"].astype(str),
                "valeur": refs["valeur"].astype("float64"),
            }
        ).reset_index(drop=True)
        if len(refs)
        else _empty_references()
    )
    _report_unmatched(obs["commune"], known_communes, report)
    return obs, references, report


def check_melodi_rows(
    frame: pd.DataFrame, level: pd.Series, issues: IssueCollector, example_year: int
) -> pd.Series:
    """The checks every Insee Melodi file shares: ``TIME_PERIOD`` a 4-digit year, ``GEO`` a
    valid commune code on communal rows (``GEO_OBJECT`` COM or ARM), and an arrondissement
    code on ARM rows. Each problem is added to ``issues`` with its line and column; returns
    the mask of the rows whose year is malformed."""
    bad_year = ~frame["TIME_PERIOD"].str.fullmatch(r"\d{4}").fillna(False).astype(bool)
    for idx in bad_year[bad_year].index[:50]:
        issues.add(
            quote(frame.at[idx, "TIME_PERIOD"]),
            f"une année sur 4 chiffres (ex. {example_year})",
            line=int(frame.at[idx, LINE]),
            column="TIME_PERIOD",
        )
    communal = level.isin(["COM", "ARM"])
    check_commune_codes(frame.loc[communal, "GEO"], issues, "GEO", frame.loc[communal, LINE])
    not_arm = (level == "ARM") & ~is_arrondissement(frame["GEO"])
    for idx in not_arm[not_arm].index[:50]:
        issues.add(
            f"{quote(frame.at[idx, 'GEO'])} avec GEO_OBJECT=ARM",
            "un code d'arrondissement municipal (75101–75120, 13201–13216, 69381–69389)",
            line=int(frame.at[idx, LINE]),
            column="GEO",
        )
    return bad_year
