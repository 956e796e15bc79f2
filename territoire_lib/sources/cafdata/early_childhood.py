"""ONAPE early-childhood files: ``txcouv_pe_*`` (coverage rates) and ``nbpla_pe_*`` (places).

Owns :func:`read_early_childhood` and :func:`rate_variable`: the levels (com, epci, dep, reg,
nat) and their column stems, the published references at every level, the commune places
(published over 10,000 inhabitants) and the fallback sharing the EPCI residual among the
other communes pro rata of their children aged 0–2.

Layer « sources »: imports the socle (:mod:`territoire_lib.errors`, :mod:`territoire_lib.geo`),
:mod:`territoire_lib.sources.reading`, :mod:`territoire_lib.sources.plausibility` (bounds of
rates and places, years of the publisher) and :mod:`.common`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import IssueCollector, LoadReport, TerritoireError, fmt_int, quote
from ...geo import (
    EPCI_CODE_PATTERN,
    NO_EPCI,
    check_commune_codes,
    departement_of,
    fold_arrondissements,
)
from ..plausibility import check_values, check_years
from ..reading import (
    LINE,
    STATUT_ESTIME,
    STATUT_PUBLIE,
    empty_observations,
    melt_observations,
    normalise_observations,
    read_delimited,
    to_number,
)
from .common import (
    FRANCE_CODE,
    MAX_REPORTED,
    SOURCE_PE,
    _check_unique,
    _lower_columns,
    _normalise_references,
    _require_columns,
)

# --------------------------------------------------------------------------------------------
# Early childhood: txcouv_pe_* and nbpla_pe_* (ONAPE coverage rate, places)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Level:
    niveau: str
    key: str | None  # code column (None: national file, code FR)
    suffix: str
    pattern: str  # regex of a valid code
    expected: str  # French description of a valid code


PE_LEVELS = {
    "com": _Level(
        "commune", "numcom", "com", r"\d{5}|2[AB]\d{3}", "un code commune de 5 caractères"
    ),
    "epci": _Level(
        "epci",
        "numepci",
        "epci",
        EPCI_CODE_PATTERN.strip("^$"),
        "un code EPCI (SIREN à 9 chiffres)",
    ),
    "dep": _Level(
        "departement", "numdep", "dep", r"\d{2}|2[AB]|97\d", "un code département (ex. 01, 2A, 974)"
    ),
    "reg": _Level("region", "numregi", "reg", r"\d{2}", "un code région de 2 chiffres (ex. 84)"),
    "nat": _Level("france", None, "nat", "", ""),
}

# (mode, candidate stems): the first stem present wins; the national file uses shorter stems
RATE_STEMS = [
    ("eaje_psu", ("txcouv_psu_col", "txcouv_psu")),
    ("eaje_hors_psu", ("txcouv_hors_psu_col", "txcouv_hors_psu")),
    ("eaje", ("txcouv_eaje",)),
    ("prescolarisation", ("txcouv_prescol",)),
    ("assistantes_maternelles", ("txcouv_am_ind", "txcouv_am")),
    ("garde_domicile", ("txcouv_gad_ind", "txcouv_gad")),
    ("accueil_individuel", ("txcouv_ind",)),
    ("total", ("txcouv",)),
]
PLACE_STEMS = [
    ("eaje_psu", ("pl_psu_col", "pl_psu")),
    ("eaje_hors_psu", ("pl_hors_psu_col", "pl_hors_psu")),
    ("eaje", ("pl_eaje",)),
    ("prescolarisation", ("pl_prescol",)),
    ("assistantes_maternelles", ("pl_am_ind", "pl_am")),
    ("garde_domicile", ("pl_gad_ind", "pl_gad")),
    ("accueil_individuel", ("pl_ind",)),
    ("total", ("tot_offre",)),
]
PLACE_VARS = [f"places_{mode}" for mode, _ in PLACE_STEMS]
IND = "places_accueil_individuel"
AM = "places_assistantes_maternelles"
GAD = "places_garde_domicile"
DROP_PE_PLACEHOLDER = "ligne fictive (code XX, XXX… : valeurs hors territoire, à ne pas utiliser)"
FALLBACK_NOTE = "{n} communes sous 10 000 habitants : places estimées par repli sur l'EPCI"
# the Cnaf publishes commune rows for communes of at least this population only
COMMUNE_ROWS_FROM = 10_000
LARGE_FALLBACK_NOTE = (
    "{n} commune(s) de 10 000 habitants ou plus sans ligne dans le fichier communal "
    "(nbpla_pe_com) pour au moins une année : places estimées elles aussi par repli sur "
    "l'EPCI, à vérifier — {detail}"
)


def rate_variable(mode: str) -> str:
    """Name of a published coverage-rate variable (``total`` is the global rate)."""
    return "taux_couverture_publie" if mode == "total" else f"taux_couverture_{mode}_publie"


def read_early_childhood(
    rate_files: Mapping[str, Path | Sequence[Path]],
    place_files: Mapping[str, Path | Sequence[Path]],
    communes: pd.DataFrame,
    children_0_2: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, LoadReport]:
    """Read the ONAPE family ``txcouv_pe_{com,epci,dep,reg,nat}`` and ``nbpla_pe_*``.

    ``rate_files`` and ``place_files`` map a level (``com``, ``epci``, ``dep``, ``reg``,
    ``nat``; any may be missing) to its CSV export, or to a list of exports (e.g. the
    ``_hist`` file then the current file: for a year present in several files, the last file
    wins). Columns carry the level suffix (``txcouv_psu_col_epci``, ``tot_offre_com``…);
    ``annee`` is an int, or a date (``2023-01-01`` → 2023) in the national file, which is read
    defensively (``txcouv_am_nat`` or ``txcouv_am_ind_nat``). Numbers use ``.`` (``,`` is
    accepted). Placeholder rows (``numepci="XX"``, ``numdep="XXX"``…) are dropped and
    reported. Rates above 100 are kept as published.

    ``communes`` is the geography frame (columns ``code``, ``epci``, ``population``).
    ``children_0_2`` are observations (variable ``pop_0_2``) used to share EPCI places.

    Returns ``(observations, references, report)``:

    1. commune observations of places (``places_eaje_psu`` … ``places_total``) for the
       communes of ``communes``. Communes present in ``nbpla_pe_com`` (over 10,000
       inhabitants) get statut ``publie`` (arrondissements summed into their commune);
       ``places_accueil_individuel``, when not published, is assistantes maternelles + garde
       à domicile with statut ``estime``.

       **Fallback** for every other commune of the geography, per year and per variable: the
       EPCI's published places minus the places of the EPCI's communes that have their own
       rows (their EPCI is the file's ``numepci``, else the geography's) are shared among
       the remaining communes of the EPCI pro rata of their children aged 0–2 (the RP year
       closest to the CAF year; ties go to the earlier RP year), statut ``estime``. The sum
       over the EPCI thus equals the published EPCI figure and each small commune gets the
       EPCI's residual coverage rate. Without ``children_0_2`` the shares follow
       ``population``. A commune without a children count weighs 0; if a whole EPCI residual
       group weighs 0 the places are shared equally. A negative residual (rounding, or a
       geography vintage differing from the file's) is set to 0 and reported. Communes
       without an EPCI (``ZZZZZZZZZ``) or whose EPCI has no published row get no estimate.
       Limitation: when the geography holds only part of an EPCI, the residual is shared
       among the communes it holds.
    2. references (``niveau | code | annee | variable | valeur``): published rates
       (``taux_couverture_publie``, ``taux_couverture_<mode>_publie``) and place counts
       (``places_<mode>``) at every level, as published (arrondissement codes kept as is;
       national code ``FR``).
    """
    for level in [*rate_files, *place_files]:
        if level not in PE_LEVELS:
            raise TerritoireError(
                f"Niveau inconnu « {level} » pour les fichiers d'accueil du jeune enfant : "
                "attendu com, epci, dep, reg ou nat."
            )
    names = [p.name for f in (*rate_files.values(), *place_files.values()) for p in _paths(f)]
    report = LoadReport(source=SOURCE_PE, file=", ".join(names))

    rates = {
        lv: _read_pe_level(f, PE_LEVELS[lv], RATE_STEMS, "txcouv", report)
        for lv, f in rate_files.items()
    }
    places = {
        lv: _read_pe_level(f, PE_LEVELS[lv], PLACE_STEMS, "places", report)
        for lv, f in place_files.items()
    }

    references = _references(rates, places)
    observations = _commune_places(places, communes, children_0_2, report)
    return observations, references, report


def _paths(files: Path | Sequence[Path] | str) -> list[Path]:
    if isinstance(files, (str, Path)):
        return [Path(files)]
    return [Path(f) for f in files]


def _read_pe_level(
    files: Path | Sequence[Path],
    level: _Level,
    stems: list[tuple[str, tuple[str, ...]]],
    kind: str,
    report: LoadReport,
) -> pd.DataFrame:
    """Read the file(s) of one level; returns a wide frame code, annee, [numepci], variables."""
    parts = []
    for path in _paths(files):
        parts.append(_read_pe_file(path, level, stems, kind, report))
    frame = pd.concat(parts, ignore_index=True)
    if len(parts) > 1:
        overlap = frame.duplicated(["code", "annee"], keep="last")
        if overlap.any():
            years = ", ".join(str(y) for y in sorted(frame.loc[overlap, "annee"].unique()))
            report.note(
                f"niveau {level.niveau} : année(s) {years} présente(s) dans plusieurs fichiers, "
                "le dernier fichier donné l'emporte"
            )
        frame = frame[~overlap].reset_index(drop=True)
    return frame


def _read_pe_file(
    path: Path,
    level: _Level,
    stems: list[tuple[str, tuple[str, ...]]],
    kind: str,
    report: LoadReport,
) -> pd.DataFrame:
    frame = _lower_columns(read_delimited(path, sep=";"))
    issues = IssueCollector(path)
    s = level.suffix
    columns: dict[str, str] = {}  # file column → variable
    for mode, candidates in stems:
        found = next((f"{c}_{s}" for c in candidates if f"{c}_{s}" in frame.columns), None)
        if found:
            variable = rate_variable(mode) if kind == "txcouv" else f"places_{mode}"
            columns[found] = variable
    total = f"{stems[-1][1][0]}_{s}"
    required = ["annee", *([level.key] if level.key else []), total]
    _require_columns(frame, required, issues)
    issues.raise_if_any()
    report.rows_read += len(frame)

    if level.key:
        code = frame[level.key].astype("string").str.strip().fillna("")
        placeholder = (code == "") | code.str.fullmatch(r"X+", case=False).fillna(False).astype(
            bool
        )
        report.drop(
            DROP_PE_PLACEHOLDER,
            int(placeholder.sum()),
            (f"{path.name} ligne {n}" for n in frame.loc[placeholder, LINE]),
        )
        frame = frame.loc[~placeholder].copy()
        frame["code"] = code[~placeholder]
        if level.niveau == "commune":
            check_commune_codes(frame["code"], issues, level.key, frame[LINE])
        else:
            _check_codes(frame, level, issues)
    else:
        frame["code"] = FRANCE_CODE
    report.rows_kept += len(frame)

    variables = list(columns.values())
    frame["annee"] = check_years(frame, _year_of_annee(frame, issues), "annee", issues, variables)
    checkable = frame[frame["annee"].notna()]
    _check_unique(
        checkable, ["code", "annee"], issues, f"{level.niveau}-année", level.key or "annee"
    )
    out = pd.DataFrame({"code": frame["code"].astype(str), "annee": frame["annee"]})
    for column, variable in columns.items():
        decimal = frame[[column, LINE]].copy()
        decimal[column] = decimal[column].astype("string").str.replace(",", ".", regex=False)
        out[variable], _ = to_number(decimal, column, issues)
        check_values(  # bounds of the variable: a count over a commune's maximum on its rows
            frame,
            out[variable],
            column,
            variable,
            issues,
            report,
            commune_rows=pd.Series(level.niveau == "commune", index=frame.index),
        )
    if level.niveau == "commune" and "numepci" in frame.columns:
        epci = frame["numepci"].astype("string").str.strip()
        out["numepci"] = epci.where(epci.str.fullmatch(r"\d{9}").fillna(False).astype(bool))
    issues.raise_if_any()
    out["annee"] = out["annee"].astype("int64")
    return out.reset_index(drop=True)


def _year_of_annee(frame: pd.DataFrame, issues: IssueCollector) -> pd.Series:
    """``annee`` as an int: ``2023``, or a date ``2023-01-01`` (national file) → 2023."""
    raw = frame["annee"].astype("string").str.strip()
    year = pd.to_numeric(
        raw.str.extract(r"^(\d{4})(?:-\d{2}(?:-\d{2})?(?:[T ].*)?)?$")[0], errors="coerce"
    )
    for idx in year[year.isna()].index[:MAX_REPORTED]:
        issues.add(
            quote(raw.loc[idx]),
            "une année (ex. 2023) ou une date (ex. 2023-01-01)",
            line=int(frame.at[idx, LINE]),
            column="annee",
        )
    return year


def _check_codes(frame: pd.DataFrame, level: _Level, issues: IssueCollector) -> None:
    codes = frame["code"]
    ok = codes.str.fullmatch(level.pattern).fillna(False).astype(bool)
    for idx in ok[~ok].index[:MAX_REPORTED]:
        text = str(codes.loc[idx])
        found = quote(text)
        if text.isdigit() and len(text) == 1 and level.niveau in ("departement", "region"):
            found += f" (le zéro initial a disparu : {text.zfill(2)} ?)"
        issues.add(found, level.expected, line=int(frame.at[idx, LINE]), column=level.key)


def _references(rates: dict[str, pd.DataFrame], places: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for tables in (rates, places):
        for lv, wide in tables.items():
            value_columns = [c for c in wide.columns if c not in ("code", "annee", "numepci")]
            long = wide.melt(
                id_vars=["code", "annee"],
                value_vars=value_columns,
                var_name="variable",
                value_name="valeur",
            )
            long.insert(0, "niveau", PE_LEVELS[lv].niveau)
            parts.append(long)
    return _normalise_references(pd.concat(parts, ignore_index=True) if parts else None)


def _fill_individual(wide: pd.DataFrame) -> pd.Series:
    """Fill ``places_accueil_individuel`` from am + gad where not published; returns the
    mask of filled rows."""
    if IND not in wide.columns:
        wide[IND] = np.nan
    if AM in wide.columns and GAD in wide.columns:
        missing = wide[IND].isna() & wide[AM].notna() & wide[GAD].notna()
        wide.loc[missing, IND] = wide.loc[missing, AM] + wide.loc[missing, GAD]
    else:
        missing = pd.Series(False, index=wide.index)
    return missing


def _commune_places(
    places: dict[str, pd.DataFrame],
    communes: pd.DataFrame,
    children_0_2: pd.DataFrame | None,
    report: LoadReport,
) -> pd.DataFrame:
    geo = pd.DataFrame(
        {
            "commune": communes["code"].astype(str).to_numpy(),
            "epci": communes["epci"].astype("string").to_numpy(),
            "population": pd.to_numeric(communes["population"], errors="coerce").to_numpy()
            if "population" in communes.columns
            else np.nan,
        }
    )
    geo_codes = set(geo["commune"])
    parts = []

    # 1. communes with their own published rows (arrondissements folded)
    com = places.get("com")
    published = pd.DataFrame(
        {
            "commune": pd.Series([], dtype=str),
            "annee": pd.Series([], dtype="int64"),
            "epci": pd.Series([], dtype=str),
        }
    )
    if com is not None and len(com):
        com = com.copy()
        com["commune"] = fold_arrondissements(com["code"]).astype(str)
        if "numepci" not in com.columns:
            com["numepci"] = pd.NA
        variables = [v for v in PLACE_VARS if v in com.columns]
        folded = com.groupby(["commune", "annee"], sort=True)[variables].sum(min_count=1)
        folded["numepci"] = com.groupby(["commune", "annee"], sort=True)["numepci"].first()
        folded = folded.reset_index()
        filled = _fill_individual(folded)
        variables = [v for v in PLACE_VARS if v in folded.columns]
        in_geo = folded["commune"].isin(geo_codes)
        deps = set(departement_of(geo["commune"]).dropna())
        out_of_geo = folded.loc[~in_geo, "commune"]
        report.unmatched_codes = sorted(
            set(out_of_geo[departement_of(out_of_geo).isin(deps).fillna(False).astype(bool)])
        )
        statut = {v: STATUT_PUBLIE for v in variables}
        obs = melt_observations(folded[in_geo], {v: v for v in variables}, statut=statut)
        # accueil individuel computed as am + gad: estimated
        filled_keys = folded.loc[in_geo & filled, ["commune", "annee"]].assign(variable=IND)
        if len(filled_keys):
            flag = (
                obs.merge(
                    filled_keys.assign(_f=True), on=["commune", "annee", "variable"], how="left"
                )["_f"]
                .fillna(False)
                .astype(bool)
                .to_numpy()
            )
            obs.loc[flag, "statut"] = STATUT_ESTIME
        parts.append(obs)
        geo_epci = geo.set_index("commune")["epci"]
        epci_of = (
            folded["numepci"]
            .astype("string")
            .fillna(folded["commune"].map(geo_epci).astype("string"))
        )
        folded["epci"] = epci_of.astype(str).where(epci_of.notna())
        published = folded

    # 2. fallback: the EPCI residual shared among the other communes of the EPCI
    epci = places.get("epci")
    if epci is None or not len(epci):
        if len(geo):
            report.note(
                "aucun fichier nbpla_pe_epci : les communes sous 10 000 habitants n'ont pas "
                "de places estimées"
            )
    else:
        parts.append(_fallback(epci.copy(), published, geo, children_0_2, report))

    if not parts:
        return empty_observations()
    obs = pd.concat(parts, ignore_index=True)
    obs = obs[obs["valeur"].notna()]
    return normalise_observations(
        obs.sort_values(["commune", "annee", "variable"], kind="stable").reset_index(drop=True)
    )


def _fallback(
    epci: pd.DataFrame,
    published: pd.DataFrame,
    geo: pd.DataFrame,
    children_0_2: pd.DataFrame | None,
    report: LoadReport,
) -> pd.DataFrame:
    _fill_individual(epci)
    variables = [v for v in PLACE_VARS if v in epci.columns]
    epci = epci.rename(columns={"code": "epci"})[["epci", "annee", *variables]]

    # places of the communes with their own rows, summed per EPCI and year
    pub_vars = [v for v in variables if v in published.columns]
    pub_sum = (
        published.dropna(subset=["epci"])
        .groupby(["epci", "annee"])[pub_vars]
        .sum()
        .add_prefix("pub_")
        .reset_index()
        if pub_vars
        else pd.DataFrame({"epci": pd.Series([], dtype=str), "annee": pd.Series([], dtype="int64")})
    )
    pub_sum["epci"] = pub_sum["epci"].astype(str)

    # candidate communes: every commune of the geography, every year, minus published ones
    years = pd.DataFrame({"annee": np.sort(epci["annee"].unique())})
    cand = geo[["commune", "epci", "population"]].merge(years, how="cross")
    own = published[["commune", "annee"]].assign(_own=True)
    cand = cand.merge(own, on=["commune", "annee"], how="left")
    cand = cand[cand["_own"].isna()].drop(columns="_own")
    no_epci = cand["epci"].isna() | (cand["epci"] == NO_EPCI) | (cand["epci"] == "")
    n_no_epci = cand.loc[no_epci, "commune"].nunique()
    if n_no_epci:
        report.note(f"{fmt_int(n_no_epci)} commune(s) sans EPCI : places non estimées")
    cand = cand[~no_epci]
    cand["epci"] = cand["epci"].astype(str)
    epci["epci"] = epci["epci"].astype(str)
    with_epci = cand.merge(
        epci[["epci", "annee"]].assign(_e=True), on=["epci", "annee"], how="left"
    )
    missing = with_epci["_e"].isna().to_numpy()
    if missing.any():
        report.note(
            f"{fmt_int(with_epci.loc[missing, 'commune'].nunique())} commune(s) dont l'EPCI "
            "n'a pas de ligne publiée pour au moins une année : places non estimées"
        )
    cand = cand[~missing]

    cand["poids"] = _weights(cand, children_0_2, report)
    group = ["epci", "annee"]
    total = cand.groupby(group)["poids"].transform("sum")
    size = cand.groupby(group)["commune"].transform("size")
    cand["part"] = np.where(total > 0, cand["poids"] / total.where(total > 0), 1.0 / size)
    equal = cand.loc[total.to_numpy() <= 0, group].drop_duplicates()
    if len(equal):
        report.note(
            f"{fmt_int(len(equal))} EPCI-année(s) sans pondération connue pour les communes à "
            "estimer : places partagées à parts égales"
        )

    merged = cand.merge(epci, on=group, how="left").merge(pub_sum, on=group, how="left")
    negative = pd.Series(False, index=merged.index)
    for v in variables:
        pub = merged[f"pub_{v}"].fillna(0.0) if f"pub_{v}" in merged else 0.0
        residual = merged[v] - pub
        negative |= residual < 0
        merged[v] = residual.clip(lower=0) * merged["part"]
    if negative.any():
        n = merged.loc[negative, group].drop_duplicates().shape[0]
        report.note(
            f"{fmt_int(n)} EPCI-année(s) où les communes de plus de 10 000 habitants ont plus "
            "de places que l'EPCI publié : reste ramené à 0"
        )
    _note_fallback(merged, published, report)
    return melt_observations(merged, {v: v for v in variables}, statut=STATUT_ESTIME)


def _note_fallback(merged: pd.DataFrame, published: pd.DataFrame, report: LoadReport) -> None:
    """Count the communes estimated from their EPCI: those under 10,000 inhabitants (the
    expected case), and apart, those of 10,000 or more (or with commune rows other years)
    that lack a commune row some year — never counted as « sous 10 000 habitants »."""
    est = merged[["commune", "annee", "population"]].drop_duplicates(["commune", "annee"])
    large = (est["population"] >= COMMUNE_ROWS_FROM).fillna(False).astype(bool) | est[
        "commune"
    ].isin(set(published["commune"]))
    n_small = est.loc[~large, "commune"].nunique()
    if n_small:
        report.note(FALLBACK_NOTE.format(n=fmt_int(n_small)))
    if large.any():
        years = est[large].groupby("commune")["annee"].agg(lambda y: ", ".join(map(str, sorted(y))))
        shown = [f"{code} ({y})" for code, y in years.head(10).items()]
        more = f" et {fmt_int(len(years) - 10)} autre(s)" if len(years) > 10 else ""
        report.note(
            LARGE_FALLBACK_NOTE.format(n=fmt_int(len(years)), detail=", ".join(shown) + more)
        )


def _weights(
    cand: pd.DataFrame, children_0_2: pd.DataFrame | None, report: LoadReport
) -> pd.Series:
    """Children 0–2 of each candidate commune (RP year closest to the CAF year), or the
    population when no children observations are given."""
    kids = None
    if children_0_2 is not None:
        kids = children_0_2[children_0_2["variable"] == "pop_0_2"]
        if not len(kids):
            report.note("aucun effectif d'enfants de 0 à 2 ans : répartition selon la population")
            kids = None
    if kids is None:
        weights = cand["population"].astype("float64")
        what = "population"
    else:
        rp_years = np.sort(kids["annee"].astype("int64").unique())
        caf_years = np.sort(cand["annee"].unique())
        closest = rp_years[np.abs(caf_years[:, None] - rp_years[None, :]).argmin(axis=1)]
        link = pd.DataFrame({"annee": caf_years, "_rp": closest})
        k = kids.assign(commune=kids["commune"].astype(str), _rp=kids["annee"].astype("int64"))
        k = k.groupby(["commune", "_rp"])["valeur"].sum(min_count=1).rename("_kids").reset_index()
        w = cand[["commune", "annee"]].merge(link, on="annee", how="left")
        w = w.merge(k, on=["commune", "_rp"], how="left")
        weights = pd.Series(w["_kids"].to_numpy(), index=cand.index, dtype="float64")
        what = "effectif d'enfants de 0 à 2 ans"
    missing = weights.isna()
    if missing.any():
        report.note(
            f"{fmt_int(cand.loc[missing, 'commune'].nunique())} commune(s) sans {what} : "
            "comptée(s) pour 0 dans la répartition des places de l'EPCI"
        )
    return weights.fillna(0.0).clip(lower=0)
