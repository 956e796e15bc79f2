"""Cnaf files of the demo: Cafdata communal counts, Onape childcare files, legacy TAUXCOUV.

Owns the Cafdata counts per commune and year and the Onape places and rates by level, and
writes ``s_ben_com_f.csv``, ``ndur_s_qf_400_com_f.csv``, ``rsa_s_type_com_f.csv`` (rounded to
5, BOM, one non-localised row per year), ``ndur_s_qf_400_qpv_f.csv`` (the QPV level),
``txcouv_pe_*.csv`` / ``nbpla_pe_*.csv`` (with the ``XX`` placeholder EPCI rows and the
national file) and the legacy ``TAUXCOUV2021.csv``.

Layer « données » (demo.*): imports :mod:`.spec`, :mod:`.numbers` and :mod:`.model`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import DemoModel
from .numbers import _csv, _fmt_fixed, _fmt_int, _q, _rng, _round5, _round_to
from .spec import (
    CAF_YEARS,
    DEMO_DEPARTEMENT,
    DEMO_DEPARTEMENT_NAME,
    DEMO_REGION,
    DEMO_REGION_NAME,
    PE_YEARS,
    QPV_SPECS,
    ZONES_EMPLOI,
)

NATIONAL_LABEL = "FRANCE ENTIERE HORS MAYOTTE"


# national Onape rates (places per 100 children under 3) by component; 2020, 2022 and 2023
# globals are the published values, everything else is invented (see the README)
NATIONAL_RATES = {  # year: (psu, hors_psu, prescol, am, gad)
    2019: (18.3, 2.8, 3.6, 33.1, 1.3),
    2020: (18.6, 3.3, 3.3, 32.3, 1.3),
    2021: (18.9, 3.8, 3.2, 32.0, 1.3),
    2022: (19.0, 4.4, 3.0, 31.8, 1.3),
    2023: (19.2, 5.1, 3.1, 32.2, 1.3),
}
NATIONAL_GLOBAL = {2019: 59.1, 2020: 58.8, 2021: 59.2, 2022: 59.5, 2023: 60.9}
NATIONAL_UNDER3 = {2019: 2_281_000, 2020: 2_243_000, 2021: 2_204_000, 2022: 2_176_000,
                   2023: 2_131_000}  # fmt: skip


QF_BANDS = (
    "Moins de 400 euros",
    "Entre 400 et 799 euros",
    "Entre 800 et 1199 euros",
    "Entre 1200 et 1599 euros",
    "Entre 1600 et 1999 euros",
    "Entre 2000 et 3999 euros",
    "4000 euros ou plus",
    "Inconnu",
)
QF_BASE = np.array([0.10, 0.17, 0.18, 0.13, 0.09, 0.14, 0.02, 0.17])
QF_POVERTY_EXPONENT = np.array([1.2, 0.7, 0.2, -0.3, -0.6, -0.9, -1.2, 0.0])
QF_PERSONS = np.array([2.9, 3.1, 2.8, 2.6, 2.4, 2.3, 2.0, 1.3])

S_BEN_COLUMNS = (
    "dtreffre", "numcomdo", "nomcom", "indfoy_ndur", "indnbp_ndur", "indfoy_af", "indfoy_cf",
    "indfoy_asf", "indfoy_ndurpaje", "indfoy_ab", "indfoy_cmg", "indfoy_ndural", "indfoy_apl",
    "indfoy_als", "indfoy_alf", "indfoy_rsa", "indmtt_rsa", "indfoy_ppa", "indmtt_ppa",
    "indfoy_aah", "indfoy_aeeh",
)  # fmt: skip

PE_MODES = ("psu_col", "hors_psu_col", "eaje", "prescol", "am_ind", "gad_ind", "ind")


def _caf(model: DemoModel) -> pd.DataFrame:
    """Exact (unrounded) Cafdata counts per commune and December of CAF_YEARS."""
    rng = _rng(9)
    c = model.communes.set_index("code")
    cy = model.commune_years[model.commune_years["annee"].isin(CAF_YEARS)].reset_index(drop=True)
    code = cy["commune"].to_numpy()
    pov = c.loc[code, "poverty"].to_numpy()
    kind = c.loc[code, "kind"].to_numpy()
    year = cy["annee"].to_numpy()
    pop = cy["pop_totale"].to_numpy()
    kids = cy["pop_0_2"].to_numpy() / pop / 0.03  # 1 for a 3 % under-3 share
    # per commune parameters, repeated over the years
    ncom = len(c)
    rep = np.repeat(np.arange(ncom), len(CAF_YEARS))

    def param(mean, sd):
        return _q(mean + rng.normal(0, sd, ncom))[rep]

    msa = np.where(kind == "rural", 0.88, np.where(kind == "bourg", 0.94, 1.0))
    alloc = pop * (0.15 + 0.004 * (pov - 8) + param(0, 0.008)) * msa
    alloc = alloc * (1 + 0.004 * (year - 2020))
    rsa_year = np.select([year == y for y in CAF_YEARS], [1.08, 1.03, 0.99, 0.98, 1.0])
    ppa_year = np.select([year == y for y in CAF_YEARS], [0.93, 0.95, 0.98, 1.0, 1.02])
    reval = np.select([year == y for y in CAF_YEARS], [1.0, 1.005, 1.045, 1.10, 1.146])
    rsa = alloc * 0.11 * _q((pov / 14) ** 1.3) * rsa_year * param(1, 0.06)
    housing = alloc * 0.42 * (1 + (pov - 14) / 20) * param(1, 0.04)
    paje = alloc * 0.15 * kids * param(1, 0.05) * (1 - 0.02 * (year - 2020))
    cmg_share = np.where((kind == "rural") | (kind == "periurbain"), 0.42, 0.34)
    frame = pd.DataFrame(
        {
            "commune": code,
            "annee": year,
            "indfoy_ndur": alloc,
            "indnbp_ndur": alloc * param(2.35, 0.1),
            "indfoy_af": alloc * 0.36 * kids * param(1, 0.04),
            "indfoy_cf": alloc * 0.055 * kids * param(1, 0.08),
            "indfoy_asf": alloc * 0.05 * (1 + (pov - 14) / 14) * param(1, 0.08),
            "indfoy_ndurpaje": paje,
            "indfoy_ab": paje * 0.72,
            "indfoy_cmg": paje * cmg_share,
            "indfoy_ndural": housing,
            "indfoy_apl": housing * 0.48,
            "indfoy_als": housing * 0.37,
            "indfoy_alf": housing * 0.15,
            "indfoy_rsa": rsa,
            "indmtt_rsa": rsa * 540 * reval,
            "indfoy_ppa": alloc * 0.30 * ppa_year * param(1, 0.05),
            "indmtt_ppa": alloc * 0.30 * ppa_year * 185 * reval,
            "indfoy_aah": alloc * 0.085 * param(1, 0.08),
            "indfoy_aeeh": alloc * 0.028 * param(1, 0.1),
            "rsa_majore_share": np.where(
                kind == "ville", 0.15, np.where(kind == "rural", 0.10, 0.13)
            ),
            "poverty": pov,
        }
    )
    return frame


def _under3_next_january(model: DemoModel) -> pd.DataFrame:
    """Children aged 0-2 on 1 January N+1 per commune, keyed by CAF year N (``enfants``):
    the denominator of the published rates (Onape method)."""
    cy = model.commune_years[["commune", "annee", "pop_0_2"]]
    return cy.assign(annee=cy["annee"] - 1).rename(columns={"pop_0_2": "enfants"})


def _onape(model: DemoModel) -> dict[str, pd.DataFrame]:
    """Published places (integers) and rates (0.1) by level: com (> 10,000), epci, dep.

    Rates divide the places of December N by the children under 3 on 1 January N+1."""
    p = model.places.merge(
        model.communes[["code", "epci"]].rename(columns={"code": "commune"}), on="commune"
    ).merge(_under3_next_january(model), on=["commune", "annee"], how="left")
    pop21 = model.commune_years.query("annee == 2021").set_index("commune")["pop_totale"]
    big = pop21[pop21 > 10_000].index
    base = ["psu_col", "hors_psu_col", "prescol", "am_ind", "gad_ind"]
    levels = {
        "com": p[p["commune"].isin(big)].rename(columns={"commune": "key"}),
        "epci": p.groupby(["epci", "annee"], sort=True)[[*base, "enfants"]]
        .sum()
        .reset_index()
        .rename(columns={"epci": "key"}),
        "dep": p.groupby("annee", sort=True)[[*base, "enfants"]]
        .sum()
        .reset_index()
        .assign(key=DEMO_DEPARTEMENT),
    }
    out = {}
    for level, frame in levels.items():
        frame = frame.sort_values(["annee", "key"]).reset_index(drop=True)
        places = {m: _round_to(frame[m], 1).astype(np.int64) for m in base}
        places["eaje"] = places["psu_col"] + places["hors_psu_col"]
        places["ind"] = places["am_ind"] + places["gad_ind"]
        places["total"] = places["eaje"] + places["prescol"] + places["ind"]
        children = frame["enfants"].to_numpy()
        rates = {m: _round_to(v / children * 100, 0.1) for m, v in places.items()}
        table = pd.DataFrame({"key": frame["key"], "annee": frame["annee"]})
        for m, v in places.items():
            table[f"pl_{m}"] = v
        for m, v in rates.items():
            table[f"tx_{m}"] = v
        table["children"] = children
        out[level] = table
    return out


def _files_cafdata(model: DemoModel) -> tuple[bytes, bytes, bytes]:
    """Cafdata exports s_ben_com_f, ndur_s_qf_400_com_f, rsa_s_type_com_f (`;`, BOM)."""
    caf = _caf(model)
    names = model.communes.set_index("code")["nom"]
    dtref = [f"{y}-12" for y in caf["annee"]]
    nomcom = names.loc[caf["commune"]].tolist()
    # s_ben_com_f, plus one non-localised row (empty numcomdo) per year
    sben = {"dtreffre": dtref, "numcomdo": caf["commune"].tolist(), "nomcom": nomcom}
    unlocated = {
        "indfoy_ndur": 40, "indnbp_ndur": 65, "indfoy_af": 5, "indfoy_cf": 0, "indfoy_asf": 5,
        "indfoy_ndurpaje": 5, "indfoy_ab": 5, "indfoy_cmg": 0, "indfoy_ndural": 20,
        "indfoy_apl": 10, "indfoy_als": 10, "indfoy_alf": 0, "indfoy_rsa": 10,
        "indmtt_rsa": 5400, "indfoy_ppa": 10, "indmtt_ppa": 1900, "indfoy_aah": 5,
        "indfoy_aeeh": 0,
    }  # fmt: skip
    for name in S_BEN_COLUMNS[3:]:
        values = caf[name].to_numpy()
        rounded = _round_to(values, 100) if name.startswith("indmtt") else _round5(values)
        sben[name] = _fmt_int(rounded)
    extra = {"dtreffre": [f"{y}-12" for y in CAF_YEARS], "numcomdo": [""] * len(CAF_YEARS),
             "nomcom": [""] * len(CAF_YEARS)}  # fmt: skip
    extra.update({k: [str(v)] * len(CAF_YEARS) for k, v in unlocated.items()})
    frame = pd.concat([pd.DataFrame(sben), pd.DataFrame(extra)], ignore_index=True)
    frame["_empty"] = frame["numcomdo"] == ""
    frame = frame.sort_values(["dtreffre", "_empty", "numcomdo"], kind="stable")
    s_ben = _csv({k: frame[k].tolist() for k in S_BEN_COLUMNS}, sep=";", bom=True)
    # ndur_s_qf_400_com_f: 8 bands per commune and year
    pov = caf["poverty"].to_numpy()
    shares = QF_BASE[None, :] * _q((pov[:, None] / 14) ** QF_POVERTY_EXPONENT[None, :])
    shares = shares / shares.sum(axis=1, keepdims=True)
    exact = caf["indfoy_ndur"].to_numpy()[:, None] * shares  # (rows, 8)
    nb = len(QF_BANDS)
    qf = {
        "dtreffre": np.repeat(dtref, nb).tolist(),
        "numcomdo": np.repeat(caf["commune"].to_numpy(), nb).tolist(),
        "nomcom": np.repeat(np.array(nomcom, dtype=object), nb).tolist(),
        "qf_400": list(QF_BANDS) * len(caf),
        "indfoy_ndur": _fmt_int(_round5(exact.ravel())),
        "indnbp_ndur": _fmt_int(_round5((exact * QF_PERSONS[None, :]).ravel())),
    }
    ndur_qf = _csv(qf, sep=";", bom=True)
    # rsa_s_type_com_f: RSA majoré / non majoré
    rsa = caf["indfoy_rsa"].to_numpy()
    share_m = caf["rsa_majore_share"].to_numpy()
    exact = np.stack([rsa * share_m, rsa * (1 - share_m)], axis=1)
    persons = exact * np.array([2.55, 1.65])[None, :]
    rsa_type = {
        "dtreffre": np.repeat(dtref, 2).tolist(),
        "numcomdo": np.repeat(caf["commune"].to_numpy(), 2).tolist(),
        "nomcom": np.repeat(np.array(nomcom, dtype=object), 2).tolist(),
        "rsa_type": ["RSA majoré", "RSA non majoré"] * len(caf),
        "indfoy_rsa": _fmt_int(_round5(exact.ravel())),
        "indnbp_rsa": _fmt_int(_round5(persons.ravel())),
    }
    return s_ben, ndur_qf, _csv(rsa_type, sep=";", bom=True)


# ndur_s_qf_400_qpv_f: (commune, QPV code) → share of the commune's households living in the
# QPV and the poverty level that shapes its QF bands (the communes' own level is 8 to 22)
QPV_HOUSEHOLDS = {
    ("96001", "QN09601M"): (0.15, 34.0),
    ("96001", "QN09602M"): (0.12, 30.0),
    ("96001", "QN09603M"): (0.11, 27.0),
    ("96002", "QN09601M"): (0.14, 31.0),
}
QPV_COLUMNS = ("dtreffre", "numcomdo", "nomcom", "nomqpv", "qf_400", "indfoy_ndur", "indnbp_ndur")


def _file_caf_qpv(model: DemoModel) -> bytes:
    """Cafdata ndur_s_qf_400_qpv_f: households of each QPV part of a commune by QF band, every
    December of CAF_YEARS (`;`, BOM, rounded to 5)."""
    caf = _caf(model).set_index(["commune", "annee"])["indfoy_ndur"]
    names = model.communes.set_index("code")["nom"]
    qpv_names = {code: name for code, name, _ in QPV_SPECS}
    rows = []
    for (commune, qpv), (share, poverty) in QPV_HOUSEHOLDS.items():
        shares = QF_BASE * _q((poverty / 14) ** QF_POVERTY_EXPONENT)
        shares = shares / shares.sum()
        for year in CAF_YEARS:
            exact = caf.loc[(commune, year)] * share * shares
            rows.append((f"{year}-12", commune, names[commune], qpv_names[qpv], exact))
    rows.sort(key=lambda r: (r[0], r[1], r[3]))
    nb = len(QF_BANDS)
    exact = np.concatenate([r[4] for r in rows])
    columns = {
        "dtreffre": [r[0] for r in rows for _ in range(nb)],
        "numcomdo": [r[1] for r in rows for _ in range(nb)],
        "nomcom": [r[2] for r in rows for _ in range(nb)],
        "nomqpv": [r[3] for r in rows for _ in range(nb)],
        "qf_400": list(QF_BANDS) * len(rows),
        "indfoy_ndur": _fmt_int(_round5(exact)),
        "indnbp_ndur": _fmt_int(_round5(exact * np.tile(QF_PERSONS, len(rows)))),
    }
    return _csv({k: columns[k] for k in QPV_COLUMNS}, sep=";", bom=True)


XX_EPCI = {  # placeholder EPCI rows of the Cafdata Onape files: year -> global rate
    2019: 176.3, 2020: 188.9, 2021: 201.4, 2022: 190.2, 2023: 195.8,
}  # fmt: skip


def _pe_columns(suffix: str) -> tuple[list[str], list[str]]:
    rates = [f"txcouv_{m}_{suffix}" for m in PE_MODES] + [f"txcouv_{suffix}"]
    places = [f"pl_{m}_{suffix}" for m in PE_MODES] + [f"tot_offre_{suffix}"]
    return rates, places


def _files_onape(model: DemoModel) -> dict[str, bytes]:
    """Cafdata txcouv_pe_{com,epci,dep,nat} and nbpla_pe_* (`;`, BOM)."""
    tables = _onape(model)
    c = model.communes.set_index("code")
    epci_names = model.epcis.set_index("code")["nom"]
    modes = [*PE_MODES, "total"]
    files: dict[str, bytes] = {}

    def write(level: str, ident: dict[str, list[str]], annee: list[str], pl, tx) -> None:
        rate_cols, place_cols = _pe_columns(level)
        rates = {"annee": annee, **ident}
        places = {"annee": annee, **ident}
        for m, rc, pc in zip(modes, rate_cols, place_cols, strict=True):
            rates[rc] = _fmt_fixed(tx[m], 1)
            places[pc] = _fmt_int(pl[m])
        files[f"txcouv_pe_{level}.csv"] = _csv(rates, sep=";", bom=True)
        files[f"nbpla_pe_{level}.csv"] = _csv(places, sep=";", bom=True)

    dep_ident = {"numdep": DEMO_DEPARTEMENT, "nomdep": DEMO_DEPARTEMENT_NAME}
    # communes over 10,000 inhabitants
    t = tables["com"]
    keys = t["key"].to_numpy()
    ident = {
        "numcom": keys.tolist(),
        "nomcom": c.loc[keys, "nom"].tolist(),
        "numepci": c.loc[keys, "epci"].tolist(),
        "nomepci": c.loc[keys, "nom_epci"].tolist(),
        **{k: [v] * len(t) for k, v in dep_ident.items()},
    }
    write(
        "com",
        ident,
        _fmt_int(t["annee"]),
        {m: t[f"pl_{m}"].to_numpy() for m in modes},
        {m: t[f"tx_{m}"].to_numpy() for m in modes},
    )
    # EPCI, plus one placeholder row "XX" per year with extreme values
    t = tables["epci"]
    xx_years = np.array(PE_YEARS)
    xx_places = {"psu_col": 0, "hors_psu_col": 0, "eaje": 0, "prescol": 2, "am_ind": 44,
                 "gad_ind": 1, "ind": 45, "total": 47}  # fmt: skip
    xx_rates = {
        "total": np.array([XX_EPCI[y] for y in PE_YEARS]),
    }
    xx_rates.update({"psu_col": 0.0, "hors_psu_col": 0.0, "eaje": 0.0, "prescol": 8.3,
                     "gad_ind": 4.2})  # fmt: skip
    xx_rates["am_ind"] = xx_rates["total"] - 8.3 - 4.2
    xx_rates["ind"] = xx_rates["total"] - 8.3
    n_xx = len(xx_years)
    keys = t["key"].tolist() + ["XX"] * n_xx
    annee = t["annee"].tolist() + list(xx_years)
    order = np.lexsort((np.array([k == "XX" for k in keys]), np.array(annee)))
    ident = {
        "numepci": keys,
        "nomepci": [epci_names.get(k, "") for k in keys],
        **{k: [v] * len(keys) for k, v in dep_ident.items()},
    }
    pl = {m: np.concatenate([t[f"pl_{m}"].to_numpy(), np.full(n_xx, xx_places[m])]) for m in modes}
    tx = {
        m: np.concatenate([t[f"tx_{m}"].to_numpy(), np.broadcast_to(xx_rates[m], n_xx)])
        for m in modes
    }
    write(
        "epci",
        {k: [v[i] for i in order] for k, v in ident.items()},
        _fmt_int(np.array(annee)[order]),
        {m: v[order] for m, v in pl.items()},
        {m: v[order] for m, v in tx.items()},
    )
    # département
    t = tables["dep"]
    ident = {
        **{k: [v] * len(t) for k, v in dep_ident.items()},
        "numregi": [DEMO_REGION] * len(t),
        "nomregi": [DEMO_REGION_NAME] * len(t),
    }
    write(
        "dep",
        ident,
        _fmt_int(t["annee"]),
        {m: t[f"pl_{m}"].to_numpy() for m in modes},
        {m: t[f"tx_{m}"].to_numpy() for m in modes},
    )
    # national (annee is a date here)
    years = list(PE_YEARS)
    comp = np.array([NATIONAL_RATES[y] for y in years])  # psu, hors, prescol, am, gad
    under3 = np.array([NATIONAL_UNDER3[y] for y in years], dtype=float)
    tx = {
        "psu_col": comp[:, 0],
        "hors_psu_col": comp[:, 1],
        "eaje": comp[:, 0] + comp[:, 1],
        "prescol": comp[:, 2],
        "am_ind": comp[:, 3],
        "gad_ind": comp[:, 4],
        "ind": comp[:, 3] + comp[:, 4],
        "total": np.array([NATIONAL_GLOBAL[y] for y in years]),
    }
    base = ("psu_col", "hors_psu_col", "prescol", "am_ind", "gad_ind")
    pl = {m: _round_to(tx[m] * under3 / 100, 1).astype(np.int64) for m in base}
    pl["eaje"] = pl["psu_col"] + pl["hors_psu_col"]
    pl["ind"] = pl["am_ind"] + pl["gad_ind"]
    pl["total"] = pl["eaje"] + pl["prescol"] + pl["ind"]
    write(
        "nat",
        {"national": [NATIONAL_LABEL] * len(years)},
        [f"{y}-01-01" for y in years],
        pl,
        tx,
    )
    return files


def _file_tauxcouv(model: DemoModel) -> bytes:
    """Legacy data.caf.fr TAUXCOUV2021.csv: all communes, `;`, decimal comma, mixed case."""
    year = 2021
    c = model.communes
    tables = _onape(model)
    p = model.places[model.places["annee"] == year].set_index("commune")
    kids = _under3_next_january(model).query("annee == @year").set_index("commune")["enfants"]
    epci_rate = tables["epci"].query("annee == @year").set_index("key")["tx_total"]
    dep_rate = float(tables["dep"].query("annee == @year")["tx_total"].iloc[0])
    ze = np.where(c["epci_idx"] <= 1, 0, 1)
    n = len(c)
    columns = {
        "NUM_COM": ["99999", "XXXXX", *c["code"]],
        "NOM_COM": ["Étranger", "Commune inconnue", *c["nom"]],
        "NUM_EPCI": ["", "", *c["epci"]],
        "NOM_EPCI": ["", "", *c["nom_epci"]],
        "NUMZEMPL": ["", "", *[ZONES_EMPLOI[z][0] for z in ze]],
        "NOMZEMPL": ["", "", *[ZONES_EMPLOI[z][1] for z in ze]],
        "tauxcouv_com": ["", "", *_fmt_fixed(_round_to(
            p.loc[c["code"], "total"] / kids.loc[c["code"]] * 100, 0.1), 1, comma=True)],
        "tauxcouv_epci": ["", "", *_fmt_fixed(epci_rate.loc[c["epci"]], 1, comma=True)],
        "tauxcouv_dep": ["", "", *_fmt_fixed(np.full(n, dep_rate), 1, comma=True)],
        "tauxcouv_reg": ["", "", *_fmt_fixed(np.full(n, dep_rate), 1, comma=True)],
        "tauxcouv_fe": _fmt_fixed(np.full(n + 2, NATIONAL_GLOBAL[year]), 1, comma=True),
    }  # fmt: skip
    return _csv(columns, sep=";")
