"""INSEE files of the demo: RP IRIS bases (population by age, families) and Filosofi.

Owns the derived RP tables (sex, socio-professional categories, households and families) and
the Filosofi values, and writes ``base-ic-evol-struct-pop-YYYY.csv``,
``base-ic-couples-familles-menages-2021.csv``, ``FILO2021_DISP_COM.csv``,
``FILO2021_DISP_PAUVRES_COM.csv`` and ``DS_FILOSOFI_CC_2023_data.csv`` (with the imitated
secrecy rule ``s`` / ``nd``), and the income of the QPV (``revenu-disponible-qp24-2021_QP.csv``).

Layer « données » (demo.*): imports :mod:`.spec`, :mod:`.numbers` and :mod:`.model`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import AGE_GROUPS, DemoModel
from .numbers import _csv, _fmt, _fmt_fixed, _fmt_int, _q, _rng, _round_to
from .spec import DEMO_DEPARTEMENT, DEMO_REGION, FAMILY_YEAR, MODEL_YEARS

# --------------------------------------------------------------------------------------------
# Derived tables (still unrounded)
# --------------------------------------------------------------------------------------------

MALE_BROAD = np.array([0.512, 0.503, 0.494, 0.492, 0.472, 0.375])
CS_KIND = {
    "ville": [0.1, 2.8, 12, 15, 17, 10, 22, 21.1],
    "pole": [0.3, 3.2, 9, 15, 17, 13, 25, 17.5],
    "ca": [0.5, 3.5, 11, 17, 15, 11, 28, 14],
    "periurbain": [1.0, 4.0, 9, 17, 16, 13, 27, 13],
    "bourg": [1.5, 4.5, 5, 12, 16, 15, 32, 14],
    "rural": [4.0, 4.5, 4, 11, 14, 16, 34, 12.5],
}
MALE_CS = np.array([0.72, 0.72, 0.58, 0.47, 0.24, 0.8, 0.46, 0.40])
BROAD = ("0014", "1529", "3044", "4559", "6074", "75P")


def _rp_structure(model: DemoModel) -> pd.DataFrame:
    """All columns of base-ic-evol-struct-pop (without prefix), IRIS × model year."""
    rng = _rng(6)
    units = model.units
    pop = model.population
    n_years = len(MODEL_YEARS)
    u = np.repeat(np.arange(len(units)), n_years)  # unit index of each row
    f = {g: pop[g].to_numpy() for g in AGE_GROUPS}
    out = {"POP": pop["pop"].to_numpy()}
    out.update({f"POP{g}": f[g] for g in AGE_GROUPS})
    broad = {
        "0014": f["0002"] + f["0305"] + f["0610"] + f["1117"] * 4 / 7,
        "1529": f["1117"] * 3 / 7 + f["1824"] + f["2539"] * 5 / 15,
        "3044": f["2539"] * 10 / 15 + f["4054"] * 5 / 15,
        "4559": f["4054"] * 10 / 15 + f["5564"] * 5 / 10,
        "6074": f["5564"] * 5 / 10 + f["6579"] * 10 / 15,
        "75P": f["6579"] * 5 / 15 + f["80P"],
    }
    wide = {
        "0019": f["0002"] + f["0305"] + f["0610"] + f["1117"] + f["1824"] * 2 / 7,
        "2064": f["1824"] * 5 / 7 + f["2539"] + f["4054"] + f["5564"],
        "65P": f["6579"] + f["80P"],
    }
    out.update({f"POP{g}": v for g, v in broad.items()})
    out.update({f"POP{g}": v for g, v in wide.items()})
    # sex
    male = _q(MALE_BROAD + rng.normal(0, 0.006, size=(len(units), 6)))[u]
    males = {g: broad[g] * male[:, j] for j, g in enumerate(BROAD)}
    poph = sum(males.values())
    h0019 = wide["0019"] * _q(0.512 + rng.normal(0, 0.005, len(units)))[u]
    h65p = wide["65P"] * _q(0.44 + rng.normal(0, 0.008, len(units)))[u]
    h_all = {**males, "0019": h0019, "2064": poph - h0019 - h65p, "65P": h65p}
    out["POPH"] = poph
    out.update({f"H{g}": h_all[g] for g in (*BROAD, "0019", "2064", "65P")})
    out["POPF"] = out["POP"] - poph
    all_groups = {**broad, **wide}
    out.update({f"F{g}": all_groups[g] - h_all[g] for g in (*BROAD, "0019", "2064", "65P")})
    # socio-professional categories (complementary exploitation, C prefix)
    cs = np.array([CS_KIND[k] for k in units["kind"]]) * _q(
        rng.lognormal(0, 0.1, size=(len(units), 8))
    )
    cs = _q(cs / cs.sum(axis=1, keepdims=True))[u]
    pop15p = out["POP"] - broad["0014"]
    out["C:POP15P"] = pop15p
    for j in range(8):
        out[f"C:POP15P_CS{j + 1}"] = pop15p * cs[:, j]
    h15 = [pop15p * cs[:, j] * MALE_CS[j] for j in range(8)]
    out["C:H15P"] = sum(h15)
    out.update({f"C:H15P_CS{j + 1}": h15[j] for j in range(8)})
    out["C:F15P"] = pop15p - out["C:H15P"]
    out.update({f"C:F15P_CS{j + 1}": pop15p * cs[:, j] - h15[j] for j in range(8)})
    etr_mean = {"ville": 0.08, "pole": 0.06, "ca": 0.03, "periurbain": 0.025, "bourg": 0.03,
                "rural": 0.02}  # fmt: skip
    etr = _q(np.array([etr_mean[k] for k in units["kind"]]) * rng.uniform(0.6, 1.4, len(units)))
    out["POP_FR"] = out["POP"] * (1 - etr[u])
    out["POP_ETR"] = out["POP"] * etr[u]
    out["POP_IMM"] = out["POP"] * (etr[u] + 0.025)
    in_households = np.where(units["kind"] == "ville", 0.975, 0.986)[u]
    out["PMEN"] = out["POP"] * in_households
    out["PHORMEN"] = out["POP"] - out["PMEN"]
    frame = pd.DataFrame(out)
    frame.insert(0, "iris", pop["iris"].to_numpy())
    frame.insert(1, "annee", pop["annee"].to_numpy())
    return frame


PSEUL_RATE = {"1519": 0.01, "2024": 0.12, "2539": 0.15, "4054": 0.13, "5564": 0.18,
              "6579": 0.26, "80P": 0.46}  # fmt: skip
HOUSEHOLD_SIZE = {"ville": 1.95, "pole": 2.1, "ca": 2.25, "periurbain": 2.4, "bourg": 2.15,
                  "rural": 2.25}  # fmt: skip
ALONE_FACTOR = {"ville": 1.45, "pole": 1.2, "ca": 0.95, "periurbain": 0.85, "bourg": 1.15,
                "rural": 1.0}  # fmt: skip
LARGE_FAMILIES = {"ville": -0.03, "pole": 0.0, "ca": 0.01, "periurbain": 0.02, "bourg": 0.0,
                  "rural": 0.03}  # fmt: skip
MONO_SHARE = {"ville": 0.22, "pole": 0.18, "ca": 0.13, "periurbain": 0.12, "bourg": 0.14,
              "rural": 0.10}  # fmt: skip


def _families(model: DemoModel, year: int = FAMILY_YEAR) -> pd.DataFrame:
    """Columns of base-ic-couples-familles-menages (without prefix), IRIS of one year."""
    rng = _rng(7)
    units = model.units
    kind = units["kind"].to_numpy()
    pop = model.population[model.population["annee"] == year]
    f = {g: pop[g].to_numpy() for g in AGE_GROUPS}
    total = pop["pop"].to_numpy()
    ages = {
        "1519": f["1117"] * 3 / 7 + f["1824"] * 2 / 7,
        "2024": f["1824"] * 5 / 7,
        "2539": f["2539"],
        "4054": f["4054"],
        "5564": f["5564"],
        "6579": f["6579"],
        "80P": f["80P"],
    }
    alone_factor = np.array([ALONE_FACTOR[k] for k in kind]) * _q(rng.uniform(0.9, 1.1, len(kind)))
    alone = {g: ages[g] * PSEUL_RATE[g] * alone_factor for g in ages}
    pmen = total * np.where(kind == "ville", 0.975, 0.986)
    size = np.array([HOUSEHOLD_SIZE[k] for k in kind]) * _q(rng.uniform(0.96, 1.04, len(kind)))
    men = pmen / size
    menpseul = sum(alone.values())
    menhseul = menpseul * _q(rng.uniform(0.42, 0.48, len(kind)))
    mensfam = men * 0.025
    menfam = men - menpseul - mensfam
    mono = np.array([MONO_SHARE[k] for k in kind]) * _q(rng.uniform(0.85, 1.15, len(kind)))
    mono = mono + np.where(units["qpv"].to_numpy(), 0.08, 0.0)
    mencoupsenf = menfam * _q(rng.uniform(0.40, 0.48, len(kind)))
    menfammono = menfam * mono
    mencoupaenf = menfam - mencoupsenf - menfammono
    p_sfam = mensfam * 2.2
    p_coupsenf = mencoupsenf * 2.04
    p_mono = menfammono * 2.6
    p_fam = pmen - menpseul - p_sfam
    fam = menfam * 1.012
    coupaenf = mencoupaenf * 1.005
    fammono = menfammono * 1.03
    coupsenf = fam - coupaenf - fammono
    with_children = coupaenf + fammono
    # more large families in the QPV and the rural communes, fewer in the city centre
    large = np.array([LARGE_FAMILIES[k] for k in kind]) + np.where(units["qpv"], 0.06, 0.0)
    out = {
        "C:MEN": men,
        "C:MENPSEUL": menpseul,
        "C:MENHSEUL": menhseul,
        "C:MENFSEUL": menpseul - menhseul,
        "C:MENSFAM": mensfam,
        "C:MENFAM": menfam,
        "C:MENCOUPSENF": mencoupsenf,
        "C:MENCOUPAENF": mencoupaenf,
        "C:MENFAMMONO": menfammono,
        "C:PMEN": pmen,
        "C:PMEN_MENPSEUL": menpseul,
        "C:PMEN_MENHSEUL": menhseul,
        "C:PMEN_MENFSEUL": menpseul - menhseul,
        "C:PMEN_MENSFAM": p_sfam,
        "C:PMEN_MENFAM": p_fam,
        "C:PMEN_MENCOUPSENF": p_coupsenf,
        "C:PMEN_MENCOUPAENF": p_fam - p_coupsenf - p_mono,
        "C:PMEN_MENFAMMONO": p_mono,
        "P:POP15P": sum(ages.values()),
    }
    out.update({f"P:POP{g}": ages[g] for g in ages})
    out["P:POP15P_PSEUL"] = menpseul
    out.update({f"P:POP{g}_PSEUL": alone[g] for g in ages})
    out.update(
        {
            "C:FAM": fam,
            "C:COUPAENF": coupaenf,
            "C:FAMMONO": fammono,
            "C:HMONO": fammono * 0.16,
            "C:FMONO": fammono * 0.84,
            "C:COUPSENF": coupsenf,
            "C:NE24F1": with_children * (0.44 - large),
            "C:NE24F2": with_children * 0.38,
            "C:NE24F3": with_children * (0.13 + large * 0.6),
            "C:NE24F4P": with_children * (0.05 + large * 0.4),
        }
    )
    out["C:NE24F0"] = fam - with_children
    frame = pd.DataFrame(out)
    order = [c for c in frame.columns if not c.startswith("C:NE24F")]
    order += ["C:NE24F0", "C:NE24F1", "C:NE24F2", "C:NE24F3", "C:NE24F4P"]
    frame = frame[order]
    frame.insert(0, "iris", pop["iris"].to_numpy())
    frame.insert(1, "commune", pop["commune"].to_numpy())
    return frame


def _filosofi(model: DemoModel) -> pd.DataFrame:
    """Commune-level Filosofi 2021 values (unrounded), plus the 2023 evolution."""
    rng = _rng(8)
    c = model.communes
    fam = _families(model)
    men = fam.groupby("commune", sort=True)["C:MEN"].sum().to_numpy()
    cy = model.commune_years
    pop21 = cy[cy["annee"] == 2021]["pop_totale"].to_numpy()
    poverty = c["poverty"].to_numpy()
    q2 = _q(29_500 - 420 * poverty + rng.normal(0, 600, len(c)))
    spread = _q(rng.uniform(0.95, 1.06, len(c)))
    pov23 = _q(np.clip(poverty + rng.normal(0, 0.6, len(c)), 8.0, 30.0))
    return pd.DataFrame(
        {
            "commune": c["code"],
            "epci": c["epci"],
            "kind": c["kind"],
            "nbmen": np.floor(men * 0.985 + 0.5),
            "nbpers": np.floor(pop21 * 0.975 + 0.5),
            "q2": q2,
            "spread": spread,
            "poverty": poverty,
            "gini": _q(0.26 + 0.004 * (poverty - 8) + rng.normal(0, 0.01, len(c))),
            "med23": _q(q2 * 1.085 + rng.normal(0, 250, len(c))),
            "pov23": pov23,
            "nbmen23": np.floor(men * 0.985 * 1.012 + 0.5),
        }
    )


def _unit_geography(model: DemoModel) -> dict[str, list[str]]:
    """The 12 geography columns of the RP IRIS bases, one entry per IRIS."""
    c = model.communes.set_index("code")
    u = model.units
    kind = c.loc[u["commune"], "kind"].to_numpy()
    epci_idx = c.loc[u["commune"], "epci_idx"].to_numpy()
    pop21 = c.loc[u["commune"], "pop21"].to_numpy()
    bourg_rank = c[c["kind"] == "bourg"].index
    bourg_uu = {code: f"{DEMO_DEPARTEMENT}2{i + 1:02d}" for i, code in enumerate(bourg_rank)}
    city_uu = (kind == "ville") | ((epci_idx == 0) & ((kind == "pole") | (pop21 >= 1500)))
    uu = np.where(city_uu, f"{DEMO_DEPARTEMENT}601", f"{DEMO_DEPARTEMENT}000").astype(object)
    uu[(kind == "pole") & (epci_idx == 1)] = f"{DEMO_DEPARTEMENT}301"
    bourgs = kind == "bourg"
    uu[bourgs] = [bourg_uu[x] for x in u["commune"][bourgs]]
    return {
        "IRIS": u["iris"].tolist(),
        "REG": [DEMO_REGION] * len(u),
        "DEP": [DEMO_DEPARTEMENT] * len(u),
        "UU2020": list(uu),
        "COM": u["commune"].tolist(),
        "LIBCOM": c.loc[u["commune"], "nom"].tolist(),
        "TRIRIS": u["triris"].tolist(),
        "GRD_QUART": u["grd_quart"].tolist(),
        "LIBIRIS": u["libiris"].tolist(),
        "TYP_IRIS": u["typ_iris"].tolist(),
        "MODIF_IRIS": ["00"] * len(u),
        "LAB_IRIS": u["lab_iris"].tolist(),
    }


def _prefixed(name: str, yy: str) -> str:
    """'POP0002' -> 'P21_POP0002'; 'C:MEN' -> 'C21_MEN'; 'P:POP15P' -> 'P21_POP15P'."""
    if name[1:2] == ":":
        return f"{name[0]}{yy}_{name[2:]}"
    return f"P{yy}_{name}"


def _file_rp(model: DemoModel, structure: pd.DataFrame, year: int) -> bytes:
    """INSEE base-ic-evol-struct-pop-YYYY.csv: `;`, UTF-8, weighted float counts."""
    yy = f"{year % 100:02d}"
    table = structure[structure["annee"] == year]
    columns = _unit_geography(model)
    for name in table.columns[2:]:
        columns[_prefixed(name, yy)] = _fmt(table[name], 6)
    return _csv(columns, sep=";")


def _file_families(model: DemoModel) -> bytes:
    """INSEE base-ic-couples-familles-menages-2021.csv."""
    yy = f"{FAMILY_YEAR % 100:02d}"
    table = _families(model)
    columns = _unit_geography(model)
    for name in table.columns[2:]:
        columns[_prefixed(name, yy)] = _fmt(table[name], 6)
    return _csv(columns, sep=";")


FILO_DIST_RATIOS = np.array([0.52, 0.66, 0.78, 0.89, 1.11, 1.24, 1.42, 1.78])  # D1-4, D6-9
FILO_MEDIAN_MIN = 50  # fiscal households: median published from here
FILO_DETAIL_MIN = 1000  # fiscal households: distribution and poverty rates published from here


def _filosofi_published(filo: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (median published, detail published) and the 'nd' mask (not available)."""
    median_ok = filo["nbmen"].to_numpy() >= FILO_MEDIAN_MIN
    detail_ok = filo["nbmen"].to_numpy() >= FILO_DETAIL_MIN
    # one CA commune with detail 'nd' and one small commune with median 'nd'
    ca_detail = filo.index[detail_ok & (filo["kind"] == "ca").to_numpy()]
    small = filo.index[median_ok & ~detail_ok & (filo["kind"] == "rural").to_numpy()]
    nd = np.zeros(len(filo), dtype=bool)
    nd[[ca_detail[-1], small[-1]]] = True
    return median_ok, detail_ok, nd


def _files_filosofi(model: DemoModel) -> tuple[bytes, bytes]:
    """INSEE FILO2021_DISP_COM.csv and FILO2021_DISP_PAUVRES_COM.csv (`;`, secret 's'/'nd')."""
    filo = _filosofi(model)
    median_ok, detail_ok, nd = _filosofi_published(filo)
    q2 = _round_to(filo["q2"], 10)
    spread = filo["spread"].to_numpy()
    pov = filo["poverty"].to_numpy()
    shape = spread * (1 + 0.01 * (pov - 14))
    deciles = _round_to(q2[:, None] * (1 + (FILO_DIST_RATIOS[None, :] - 1) * shape[:, None]), 10)
    q1 = _round_to(q2 * (1 - 0.27 * shape), 10)
    q3 = _round_to(q2 * (1 + 0.32 * shape), 10)
    pact = 72 - 0.4 * (pov - 14)
    ptsa = pact - 8
    pcho = np.full(len(filo), 3.0)
    ppen = np.full(len(filo), 31.0) - 0.2 * (pov - 14)
    ppat = np.full(len(filo), 12.0)
    ppsoc = 5 + 0.35 * (pov - 8)
    pimpot = 100 - (pact + ppen + ppat + ppsoc)

    def masked(values: list[str], ok: np.ndarray) -> list[str]:
        return [v if keep else "s" for v, keep in zip(values, ok, strict=True)]

    def mark_nd(values: list[str], where: np.ndarray) -> list[str]:
        return ["nd" if flag else v for v, flag in zip(values, where, strict=True)]

    nd_detail = nd & detail_ok
    nd_median = nd & ~detail_ok
    disp = {
        "CODGEO": filo["commune"].tolist(),
        "NBMEN21": _fmt_int(filo["nbmen"]),
        "NBPERS21": _fmt_int(filo["nbpers"]),
        "NBUC21": _fmt(filo["nbpers"] * 0.668, 1),
        "Q121": masked(_fmt(q1, 0), detail_ok),
        "Q221": mark_nd(masked(_fmt(q2, 0), median_ok), nd_median | nd_detail),
        "Q321": masked(_fmt(q3, 0), detail_ok),
        "Q3_Q1": masked(_fmt_fixed(q3 / q1, 2), detail_ok),
    }
    for j, d in enumerate((1, 2, 3, 4, 6, 7, 8, 9)):
        disp[f"D{d}21"] = masked(_fmt(deciles[:, j], 0), detail_ok)
    disp["RD"] = masked(_fmt_fixed(deciles[:, 7] / deciles[:, 0], 1), detail_ok)
    disp["S80S2021"] = masked(_fmt_fixed(deciles[:, 7] / deciles[:, 0] * 0.93, 1), detail_ok)
    disp["GI21"] = masked(_fmt_fixed(filo["gini"], 3), detail_ok)
    parts = {
        "PACT21": pact, "PTSA21": ptsa, "PCHO21": pcho, "PBEN21": pact - ptsa - pcho,
        "PPEN21": ppen, "PPAT21": ppat, "PPSOC21": ppsoc, "PPFAM21": ppsoc * 0.3,
        "PPMINI21": ppsoc * 0.35, "PPLOGT21": ppsoc * 0.35, "PIMPOT21": pimpot,
    }  # fmt: skip
    for name, values in parts.items():
        disp[name] = masked(_fmt_fixed(values, 1), detail_ok)
    for name in list(disp)[4:]:
        if name != "Q221":
            disp[name] = mark_nd(disp[name], nd_detail)
    pauvres = {
        "CODGEO": filo["commune"].tolist(),
        "TP6021": mark_nd(masked(_fmt_fixed(pov, 1), detail_ok), nd_detail),
        "TP4021": mark_nd(masked(_fmt_fixed(pov * 0.27, 1), detail_ok), nd_detail),
        "TP5021": mark_nd(masked(_fmt_fixed(pov * 0.58, 1), detail_ok), nd_detail),
    }
    return _csv(disp, sep=";", bom=True), _csv(pauvres, sep=";", bom=True)


def _file_filosofi_long(model: DemoModel) -> bytes:
    """INSEE DS_FILOSOFI_CC_2023_data.csv (Melodi long format): COM, EPCI and DEP rows."""
    filo = _filosofi(model)
    nbmen = filo["nbmen23"].to_numpy()
    persons = filo["nbpers"].to_numpy()
    med = filo["med23"].to_numpy()
    pov = filo["pov23"].to_numpy()
    groups = {"EPCI": filo["epci"].to_numpy(), "DEP": np.full(len(filo), DEMO_DEPARTEMENT)}
    geo = [filo["commune"].to_numpy()]
    obj = [np.full(len(filo), "COM")]
    values = {"NUM_HH": [nbmen], "NUM_PER": [persons], "MED_SL": [med], "PR_MD60": [pov]}
    for level, keys in groups.items():
        frame = pd.DataFrame(
            {"key": keys, "hh": nbmen, "medw": med * nbmen, "pers": persons, "povw": pov * persons}
        )
        agg = frame.groupby("key", sort=True).sum()
        geo.append(agg.index.to_numpy())
        obj.append(np.full(len(agg), level))
        values["NUM_HH"].append(agg["hh"].to_numpy())
        values["NUM_PER"].append(agg["pers"].to_numpy())
        values["MED_SL"].append(agg["medw"].to_numpy() / agg["hh"].to_numpy())
        values["PR_MD60"].append(agg["povw"].to_numpy() / agg["pers"].to_numpy())
    geo_all = np.concatenate(geo)
    obj_all = np.concatenate(obj)
    hh_all = np.concatenate(values["NUM_HH"])
    is_com = obj_all == "COM"
    measures = {
        "MED_SL": ("EUR_YR", _fmt(_round_to(np.concatenate(values["MED_SL"]), 10), 0),
                   ~is_com | (hh_all >= FILO_MEDIAN_MIN)),
        "NUM_HH": ("HH", _fmt(hh_all, 0), np.ones(len(hh_all), dtype=bool)),
        "NUM_PER": ("IND", _fmt(np.concatenate(values["NUM_PER"]), 0),
                    np.ones(len(hh_all), dtype=bool)),
        "PR_MD60": ("PT", _fmt_fixed(np.concatenate(values["PR_MD60"]), 1),
                    ~is_com | (hh_all >= FILO_DETAIL_MIN)),
    }  # fmt: skip
    parts = []
    for measure, (unit, text, ok) in measures.items():
        parts.append(
            pd.DataFrame(
                {
                    "GEO": geo_all,
                    "GEO_OBJECT": obj_all,
                    "FILOSOFI_MEASURE": measure,
                    "UNIT_MEASURE": unit,
                    "UNIT_MULT": "0",
                    "CONF_STATUS": np.where(ok, "F", "C"),
                    "OBS_STATUS": np.where(ok, "A", "O"),
                    "TIME_PERIOD": "2023",
                    "OBS_VALUE": np.where(ok, text, ""),
                    "order": np.select([obj_all == "COM", obj_all == "EPCI"], [0, 1], 2),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True).sort_values(
        ["order", "GEO", "FILOSOFI_MEASURE"], kind="stable"
    )
    table = table.drop(columns="order")
    return _csv({k: table[k].astype(str).tolist() for k in table.columns}, sep=";")


# QPV code → (median as a share of its commune's Filosofi 2021 median, poverty rate %)
QPV_INCOME = {"QN09601M": (0.58, 46.2), "QN09602M": (0.63, 41.4), "QN09603M": (0.67, 37.9)}
QPV_INCOME_FILE = "revenu-disponible-qp24-2021_QP.csv"


def _file_qpv_income(model: DemoModel) -> bytes:
    """INSEE income and poverty by QPV, 2021 (``revenu-disponible-qp24-2021_QP.csv``): `;`,
    key CODGEO, one row per QPV of the 2024 geography, values of the main commune's
    median (Filosofi 2021) times a QPV ratio."""
    filo = _filosofi(model).set_index("commune")
    median = _round_to(filo.loc["96001", "q2"], 10)
    codes = sorted(QPV_INCOME)
    med = np.array([_round_to(median * QPV_INCOME[c][0], 10) for c in codes])
    tp60 = np.array([QPV_INCOME[c][1] for c in codes])
    columns = {
        "CODGEO": codes,
        "DISP_MED_A21": _fmt(med, 0),
        "DISP_TP60_A21": _fmt_fixed(tp60, 1),
        "DISP_PPSOC_A21": _fmt_fixed(8 + 0.45 * (tp60 - 14), 1),
        "DISP_D1_A21": _fmt(_round_to(med * 0.52, 10), 0),
        "DISP_D9_A21": _fmt(_round_to(med * 1.95, 10), 0),
        "DISP_RD_A21": _fmt_fixed(np.full(len(codes), 1.95 / 0.52), 1),
    }
    return _csv(columns, sep=";")
