"""COG files of the demo: ``v_commune_2024.csv`` and the EPCI composition workbook.

Owns the COG name conventions (TNCC, NCC, NCCENR), the commune rows with the delegated
communes of the commune nouvelle, and the ``Intercommunalite_Metropole_au_01-01-2024.xlsx``
sheets (written by :mod:`.xlsx`).

Layer « données » (demo.*): imports :mod:`.spec`, :mod:`.numbers`, :mod:`.model` and
:mod:`.xlsx`.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from .model import DemoModel
from .numbers import _csv
from .spec import COMMUNE_NOUVELLE, DEMO_DEPARTEMENT, DEMO_REGION
from .xlsx import _xlsx


def _ascii_upper(text: str) -> str:
    plain = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return plain.upper().replace("-", " ").replace("'", " ")


_ARTICLES = (("Les ", "4"), ("La ", "3"), ("Le ", "2"), ("L'", "5"))


def _cog_names(libelle: str) -> tuple[str, str, str]:
    """(TNCC, NCC, NCCENR) of a commune name, following the COG conventions."""
    for article, tncc in _ARTICLES:
        if libelle.startswith(article):
            rich = libelle[len(article) :]
            return tncc, _ascii_upper(rich), rich
    first = _ascii_upper(libelle[0])
    return ("1" if first in "AEIOUY" else "0"), _ascii_upper(libelle), libelle


def _file_cog(model: DemoModel) -> bytes:
    """INSEE v_commune_2024.csv: `,`, UTF-8, COM rows plus the delegated communes (COMD)."""
    c = model.communes
    tncc, ncc, nccenr = zip(*(_cog_names(n) for n in c["nom"]), strict=True)
    position = c.groupby("epci_idx").cumcount().to_numpy()
    canton = c["epci_idx"].to_numpy() * 2 + position % 2 + 1
    can = [f"{DEMO_DEPARTEMENT}{k:02d}" for k in canton]
    can[0] = f"{DEMO_DEPARTEMENT}99"  # the city spans several cantons (pseudo-canton)
    rows = pd.DataFrame(
        {
            "TYPECOM": "COM",
            "COM": c["code"],
            "REG": DEMO_REGION,
            "DEP": DEMO_DEPARTEMENT,
            "CTCD": f"{DEMO_DEPARTEMENT}D",
            "ARR": np.where(c["epci_idx"] <= 1, f"{DEMO_DEPARTEMENT}1", f"{DEMO_DEPARTEMENT}2"),
            "TNCC": tncc,
            "NCC": ncc,
            "NCCENR": nccenr,
            "LIBELLE": c["nom"],
            "CAN": can,
            "COMPARENT": "",
        }
    )
    parent, delegated = COMMUNE_NOUVELLE
    comd = pd.DataFrame(
        [
            ["COMD", code, "", "", "", "", *_cog_names(name), name, "", parent]
            for code, name in delegated
        ],
        columns=rows.columns,
    )
    rows = pd.concat([rows, comd], ignore_index=True)
    rows = rows.sort_values(["COM", "TYPECOM"], kind="stable")  # COM before COMD
    return _csv({k: rows[k].astype(str).tolist() for k in rows.columns}, sep=",")


def _file_epci_xlsx(model: DemoModel) -> bytes:
    """INSEE Intercommunalite_Metropole_au_01-01-2024.xlsx: two sheets, 5 label rows."""
    c, e = model.communes, model.epcis
    fictif = (
        "Données fictives générées par « territoire demo » au format du fichier Insee "
        "(département de démonstration, code 96)"
    )
    source = "Source : format Insee, Code officiel géographique 2024 ; DGCL, Banatic (imités)"
    composition = [
        ["Composition communale des EPCI à fiscalité propre au 1er janvier 2024"],
        [fictif],
        [source],
        [],
        [
            "Code géographique",
            "Libellé géographique",
            "EPCI - Métropole",
            "Libellé de l'EPCI / Métropole",
            "Département",
            "Région",
        ],
        ["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"],
    ] + [
        [code, nom, epci, nom_epci, DEMO_DEPARTEMENT, DEMO_REGION]
        for code, nom, epci, nom_epci in zip(
            c["code"], c["nom"], c["epci"], c["nom_epci"], strict=True
        )
    ]
    epcis = [
        ["EPCI à fiscalité propre au 1er janvier 2024"],
        [fictif],
        [source],
        [],
        ["EPCI - Métropole", "Libellé de l'EPCI / Métropole", "Nature d'EPCI",
         "Nombre de communes"],
        ["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"],
    ] + [
        [code, nom, nature, int(nb)]
        for code, nom, nature, nb in zip(e["code"], e["nom"], e["nature"], e["nb_com"], strict=True)
    ]  # fmt: skip
    return _xlsx(
        [("Composition_communale", composition), ("EPCI", epcis)],
        title="Intercommunalités au 1er janvier 2024 (fictif)",
    )
