"""One crèche's PSU from its annual figures, for a manager or a CAF adviser to check by hand.

Owns :func:`psu_calculator` (the calculation behind ``territoire psu`` and the notebooks:
places, hours performed and billed, operating costs and family participations of one year,
as read on the crèche's accounts) and :class:`PsuCalculation` (every figure of the
calculation with the arithmetic that gives it and its « à vérifier » flag; French text, table
and XLSX workbook).

The figures follow :mod:`.eaje` (one code path with the scenarios)::

    taux de facturation   = heures facturées / heures réalisées
    prix de revient       = charges / heures facturées
    prix plafond          = barème PSU at the taux de facturation (or the value given)
    participation horaire = participations familiales / heures facturées
    PSU = (min(prix de revient, prix plafond) × 66 % × heures facturées
           − participations familiales) × part du régime général
    total CAF = PSU + bonus ; reste à charge = charges − participations − total CAF

Layer « règles »: imports the socle (``french``, ``files``, ``xlsx_cells``) and the modules of ``rules`` below
it: :mod:`.base`, :mod:`.parameters`, :mod:`.loading`, :mod:`.simulation`, :mod:`.eaje`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import french
from ..files import atomic_path, output_path
from ..xlsx_cells import protect_sheet
from .base import A_VERIFIER, CONFIRMEE, RulesError, _is_number, fmt_date
from .eaje import EajeFunding, EajeInput, simulate_eaje
from .loading import load_parameters
from .parameters import ParameterSet
from .simulation import _when

WARN = f"⚠ {A_VERIFIER}"
FOURNI = "fourni"
BONUSES = [  # key of EajeFunding and of its flags, French label
    ("bonus_mixite", "Bonus mixité sociale"),
    ("bonus_handicap", "Bonus inclusion handicap"),
    ("bonus_territoire", "Bonus territoire CTG"),
    ("bonus_trajectoire", "Bonus trajectoire"),
    ("bonus_attractivite", "Bonus attractivité"),
]
_CEILING_PARAMS = ("psu.prix_plafond", "psu.modulation_tf", "psu.seuil_tf")


def _num(x: float, decimals: int = 2) -> str:
    return french.number(x, decimals)


def _hourly(x: float) -> str:
    """€/h with the digits a reader needs to redo the sum: 2 decimals, up to 4 if not exact."""
    for decimals in (2, 3, 4):
        if abs(x * 10**decimals - round(x * 10**decimals)) < 1e-9:
            return _num(x, decimals)
    return _num(x, 4)


def _eur(x: float) -> str:
    return french.euros(x, 2)


def _amount(x: float) -> str:
    """A figure as given or computed: « 800 000 » when whole, else 2 decimals (« 56 756,70 »)."""
    r = round(float(x), 2)
    if abs(r - round(r)) < 1e-9:
        return french.number(round(r), 0)
    return french.number(x, 2)


def _pct(share: float) -> str:
    """« 108 % », « 104,17 % »: a share with no useless zero (2 decimals at most)."""
    return f"{_amount(100 * share)}{french.NNBSP}%"


@dataclass
class PsuCalculation:
    """Every figure of one crèche's PSU calculation (see the module docstring).

    ``lignes``: one row per figure: ``cle``, ``ligne`` (French), ``valeur`` (a number),
    ``unite``, ``calcul`` (the arithmetic, French) and ``a_verifier`` (the « à vérifier »
    parameters the figure rests on). ``a_verifier``: the French description of those
    parameters; ``notes``: French remarks (carried-forward values, bonuses not counted…).
    """

    saisie: dict[str, Any]
    periode: str
    taux_facturation: float
    prix_de_revient: float
    prix_plafond: float
    prix_plafond_statut: str  # « confirmée », « à vérifier » or « fourni »
    prix_retenu: float
    participation_horaire: float
    psu: float
    bonus: dict[str, float]
    total_caf: float
    reste_a_charge: float
    reste_par_place: float
    reste_par_heure_facturee: float
    lignes: pd.DataFrame
    a_verifier: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    financement: EajeFunding | None = None

    def texte(self) -> str:
        """The calculation in French, one figure per line with its arithmetic."""
        s = self.saisie
        head = [
            f"Calcul de la PSU d'une crèche — {self.periode}",
            f"Données : {_amount(s['places'])} places ; {_amount(s['heures_realisees'])} heures "
            f"réalisées ; {_amount(s['heures_facturees'])} heures facturées ; charges "
            f"{_amount(s['charges'])} € ; participations familiales "
            f"{_amount(s['participations'])} € ; "
            + ("couches et repas fournis" if s["couches_repas"] else "sans couches ni repas")
            + f" ; part du régime général {_pct(s['part_regime_general'])}.",
            "",
        ]
        shown = [self._shown(r.valeur, r.unite) for r in self.lignes.itertuples(index=False)]
        w_label = max(len(x) for x in self.lignes["ligne"])
        w_amount = max(len(x) for x in shown)
        out = list(head)
        for r, amount in zip(self.lignes.itertuples(index=False), shown, strict=True):
            flag = f"  {WARN}" if r.a_verifier else ""
            out.append(f"{r.ligne.ljust(w_label)}  {amount.rjust(w_amount)}{flag}")
            out.append(f"    = {r.calcul}")
        if self.a_verifier:
            out += ["", f"Valeurs {A_VERIFIER} utilisées (montants marqués ⚠) :"]
            out += [f"  ⚠ {x}" for x in self.a_verifier]
        if self.notes:
            out += ["", "Remarques :"] + [f"  - {n}" for n in self.notes]
        return "\n".join(out)

    @staticmethod
    def _shown(value: float, unit: str) -> str:
        if unit == "%":
            return _pct(value)
        if unit == "€/h":
            return f"{_hourly(value)} €/h"
        if unit == "€":
            return _eur(value)
        return f"{_num(value)} {unit}"

    def tableau(self) -> pd.DataFrame:
        """The figures as a table with French headers (numbers stay numbers)."""
        t = self.lignes
        return pd.DataFrame(
            {
                "Ligne": t["ligne"],
                "Valeur": t["valeur"],
                "Unité": t["unite"],
                "Calcul": t["calcul"],
                "À vérifier": [WARN if f else "" for f in t["a_verifier"]],
            }
        )

    def to_xlsx(self, path: str | Path, overwrite: bool = False) -> Path:
        """The calculation in one workbook (sheets « Calcul PSU », « Données saisies »,
        « À vérifier »), written to a temporary file then renamed onto `path`."""
        from openpyxl import Workbook
        from openpyxl.styles import Font

        target = output_path(path, ".xlsx", overwrite)
        wb = Workbook()
        ws = wb.active
        ws.title = "Calcul PSU"
        ws.append([f"Calcul de la PSU d'une crèche — {self.periode}"])
        ws["A1"].font = Font(bold=True)
        ws.append([])
        headers = ["Ligne", "Valeur", "Unité", "Calcul", "À vérifier"]
        ws.append(headers)
        formats = {"%": "0.00%", "€/h": "#,##0.0000", "€": "#,##0.00"}
        for r in self.lignes.itertuples(index=False):
            ws.append([r.ligne, float(r.valeur), r.unite, r.calcul, WARN if r.a_verifier else ""])
            ws.cell(ws.max_row, 2).number_format = formats.get(r.unite, "#,##0.00")
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for col, width in zip("ABCDE", (42, 16, 8, 90, 14), strict=True):
            ws.column_dimensions[col].width = width
        data = wb.create_sheet("Données saisies")
        data.append(["Donnée", "Valeur"])
        for label, value in _input_rows(self.saisie):
            data.append([label, value])
        data.column_dimensions["A"].width = 52
        data.column_dimensions["B"].width = 16
        check = wb.create_sheet("À vérifier")
        check.append(["Valeurs à vérifier et remarques"])
        for x in self.a_verifier:
            check.append([f"⚠ {x}"])
        for n in self.notes:
            check.append([n])
        check.column_dimensions["A"].width = 120
        for sheet in (data, check):
            for cell in sheet[1]:
                cell.font = Font(bold=True)
        for sheet in wb.worksheets:  # text stays text, never a formula
            protect_sheet(sheet)
        with atomic_path(target) as tmp:
            wb.save(tmp)
        return target


def _input_rows(s: dict[str, Any]) -> list[tuple[str, Any]]:
    """The « Données saisies » sheet: (French label, value as entered)."""
    rows = [
        ("Places", s["places"]),
        ("Heures réalisées", s["heures_realisees"]),
        ("Heures facturées", s["heures_facturees"]),
        ("Charges de fonctionnement (€)", s["charges"]),
        ("Participations familiales (€)", s["participations"]),
        ("Couches et repas fournis", "oui" if s["couches_repas"] else "non"),
        ("Prix plafond fourni (€/h)", s["prix_plafond"] if s["prix_plafond"] else "non"),
        ("Part du régime général", s["part_regime_general"]),
        ("Enfants en situation de handicap", s["enfants_handicap"]),
        ("Enfants accueillis", s["enfants_accueillis"] if s["enfants_accueillis"] else "—"),
        ("Crèche en QPV", "oui" if s["qpv"] else "non"),
        ("Crèche en FRR", "oui" if s["frr"] else "non"),
        ("CTG signée", "oui" if s["ctg"] else "non"),
        ("Places nouvelles", s["nouvelles_places"]),
        ("Règles appliquées", s["date"]),
    ]
    return rows


def _check(s: dict[str, Any]) -> None:
    problems = []

    def number(key: str, label: str, *, strict: bool, high: float | None = None) -> None:
        x = s[key]
        ok = _is_number(x) and (x > 0 if strict else x >= 0) and (high is None or x <= high)
        if not ok:
            bound = "strictement positif" if strict else "positif ou nul"
            rng = f" et au plus {_num(high, 0)}" if high is not None else ""
            problems.append(f"{label} : trouvé {french_value(x)} ; attendu un nombre {bound}{rng}")

    number("places", "places (--places)", strict=True)
    number("heures_realisees", "heures réalisées (--heures-realisees)", strict=True)
    number("heures_facturees", "heures facturées (--heures-facturees)", strict=True)
    number("charges", "charges de fonctionnement (--charges)", strict=True)
    number("participations", "participations familiales (--participations)", strict=False)
    number("part_regime_general", "part du régime général (--part-regime-general)", strict=False, high=1)  # fmt: skip
    if s["prix_plafond"] is not None:
        number("prix_plafond", "prix plafond (--prix-plafond)", strict=True)
    k, m = s["enfants_handicap"], s["enfants_accueillis"]
    if k and m is None:
        problems.append(
            f"enfants en situation de handicap (--enfants-handicap) : trouvé {french_value(k)} "
            "sans le nombre d'enfants accueillis ; attendu aussi --enfants-accueillis (la part "
            "d'enfants en situation de handicap choisit le taux du bonus inclusion handicap)"
        )
    for key, label in (("enfants_handicap", "enfants en situation de handicap (--enfants-handicap)"),
                       ("enfants_accueillis", "enfants accueillis (--enfants-accueillis)")):  # fmt: skip
        x = s[key]
        if x is not None and not (_is_number(x) and x >= 0 and float(x).is_integer()):
            problems.append(f"{label} : trouvé {french_value(x)} ; attendu un nombre entier d'enfants")  # fmt: skip
    if _is_number(k) and _is_number(m):
        if m <= 0 and k > 0:
            problems.append(
                f"enfants accueillis (--enfants-accueillis) : trouvé {french_value(m)} ; attendu "
                "au moins un enfant accueilli"
            )
        elif k > m:
            problems.append(
                f"enfants en situation de handicap (--enfants-handicap) : trouvé {_num(k, 0)} "
                f"pour {_num(m, 0)} enfants accueillis ; attendu au plus le nombre d'enfants "
                "accueillis"
            )
    if s["qpv"] and s["frr"]:
        problems.append(
            "zonage : trouvé à la fois --qpv et --frr ; attendu l'un ou l'autre (une seule "
            "tranche QPV ou FRR du bonus territoire)"
        )
    n = s["nouvelles_places"]
    if not (_is_number(n) and n >= 0 and float(n).is_integer()):
        problems.append(f"places nouvelles (--nouvelles-places) : trouvé {french_value(n)} ; attendu un nombre entier de places")  # fmt: skip
    elif _is_number(s["places"]) and n > s["places"]:
        problems.append(
            f"places nouvelles (--nouvelles-places) : trouvé {_num(n, 0)} pour "
            f"{_num(s['places'], 0)} places ; attendu au plus le nombre de places"
        )
    if problems:
        raise RulesError("Calcul de la PSU impossible :\n- " + "\n- ".join(problems))


def french_value(x: Any) -> str:
    """A value as the user gave it, in French quotes (numbers in French format)."""
    if _is_number(x):
        return f"« {french.auto_number(x)} »"
    return f"« {x} »"


def psu_calculator(
    places: float,
    heures_realisees: float,
    heures_facturees: float,
    charges: float,
    participations: float,
    *,
    couches_repas: bool = True,
    prix_plafond: float | None = None,
    part_regime_general: float = 1.0,
    enfants_handicap: int | None = None,
    enfants_accueillis: int | None = None,
    qpv: bool = False,
    frr: bool = False,
    ctg: bool = False,
    nouvelles_places: int = 0,
    date: Any = None,
    params: ParameterSet | None = None,
) -> PsuCalculation:
    """The PSU and bonuses of one crèche for a year, from its annual figures.

    `charges`: annual operating costs (€); `participations`: family participations billed in
    the year (€). `prix_plafond`: a ceiling (€/h) to use instead of the dated barème (e.g. the
    one on the CAF's notification). `part_regime_general`: share of the régime général (1 =
    100 %). `enfants_handicap` out of `enfants_accueillis`: children with a disability
    (bonus inclusion handicap). `qpv` / `frr`: the crèche's zoning (bonus territoire tier);
    `ctg`: a CTG is signed (bonus territoire); `nouvelles_places`: places opened under the
    CTG. `date`: the rules in force at that date, applied to the whole year (default:
    today); a year (int): the rules of that year pro rata temporis.
    """
    saisie = {
        "places": places,
        "heures_realisees": heures_realisees,
        "heures_facturees": heures_facturees,
        "charges": charges,
        "participations": participations,
        "couches_repas": bool(couches_repas),
        "prix_plafond": prix_plafond,
        "part_regime_general": part_regime_general,
        "enfants_handicap": enfants_handicap or 0,
        "enfants_accueillis": enfants_accueillis,
        "qpv": bool(qpv),
        "frr": bool(frr),
        "ctg": bool(ctg),
        "nouvelles_places": nouvelles_places,
    }
    _check({**saisie, "enfants_handicap": enfants_handicap})
    when = _when(date)
    saisie["date"] = str(when) if isinstance(when, int) else when.isoformat()
    params = params or load_parameters()
    share = enfants_handicap / enfants_accueillis if enfants_handicap else 0.0
    f = simulate_eaje(
        EajeInput(
            places=float(places),
            heures_realisees=float(heures_realisees),
            heures_facturees=float(heures_facturees),
            charges=float(charges),
            participation_horaire=float(participations) / float(heures_facturees),
            couches_repas=bool(couches_repas),
            prix_plafond=None if prix_plafond is None else float(prix_plafond),
            part_regime_general=float(part_regime_general),
            part_enfants_aeeh=float(share),
            qpv=bool(qpv),
            frr=bool(frr),
            ctg=bool(ctg),
            places_nouvelles=float(nouvelles_places),
            nom="crèche",
        ),
        when,
        params=params,
    )
    return _build(saisie, f, when, params)


def _build(
    s: dict[str, Any], f: EajeFunding, when: dt.date | int, params: ParameterSet
) -> PsuCalculation:
    flags = f.a_verifier_par_ligne
    ceiling_flags = [n for n in flags.get("psu", []) if n.startswith(_CEILING_PARAMS)]
    status = A_VERIFIER if ceiling_flags else CONFIRMEE
    if s["prix_plafond"] is not None:
        status = FOURNI
    first, last = (dt.date(when, 1, 1), dt.date(when, 12, 31)) if isinstance(when, int) else (when, when)  # fmt: skip
    carried = [x.rsplit(" : ", 1)[1] for x in params.describe(ceiling_flags, first, last) if " : " in x]  # fmt: skip
    shown_status = {FOURNI: FOURNI, CONFIRMEE: "valeur confirmée"}.get(
        status, f"valeur {A_VERIFIER}"
    )
    if carried and status != FOURNI:
        shown_status = carried[0]  # « valeur 2025 reconduite, à vérifier »
    bonus = {key: float(getattr(f, key)) for key, _ in BONUSES}
    total = f.psu + sum(bonus.values())
    rest = s["charges"] - f.participations_familiales - total
    caf_flags = list(dict.fromkeys(flags.get("psu", []) + [n for k, _ in BONUSES for n in flags.get(k, [])]))  # fmt: skip
    h_real, h_fact, charges, pf = (
        s["heures_realisees"], s["heures_facturees"], s["charges"], s["participations"]
    )  # fmt: skip
    n = s["places"]
    psu_rate = float(params.at("psu.taux", when if isinstance(when, dt.date) else dt.date(when, 1, 1)).value)  # fmt: skip
    ceiling_how = (
        "fourni par l'utilisateur"
        if status == FOURNI
        else _ceiling_text(f.taux_facturation, s["couches_repas"], when, params)
    )
    lines = [
        ("taux_facturation", "Taux de facturation", f.taux_facturation, "%",
         f"heures facturées / heures réalisées = {_amount(h_fact)} / {_amount(h_real)}", []),
        ("prix_de_revient", "Prix de revient par heure facturée", f.prix_de_revient_horaire, "€/h",
         f"charges / heures facturées = {_amount(charges)} / {_amount(h_fact)}", []),
        ("prix_plafond", f"Prix plafond PSU ({shown_status})",
         f.prix_plafond_horaire, "€/h",
         ceiling_how, ceiling_flags),
        ("prix_retenu", "Prix horaire retenu", f.prix_retenu_horaire, "€/h",
         f"le plus petit des deux : min({_hourly(f.prix_de_revient_horaire)} ; "
         f"{_hourly(f.prix_plafond_horaire)})", ceiling_flags),
        ("participation_horaire", "Participation familiale horaire moyenne",
         f.participation_horaire_moyenne, "€/h",
         f"participations / heures facturées = {_amount(pf)} / {_amount(h_fact)}",
         flags.get("familles", [])),
        ("psu", "Prestation de service unique (PSU)", f.psu, "€",
         f"(min({_hourly(f.prix_de_revient_horaire)} ; {_hourly(f.prix_plafond_horaire)}) × "
         f"{_pct(psu_rate)} × {_amount(h_fact)} − {_amount(pf)}) × "
         f"{_pct(s['part_regime_general'])} (part du régime général ; nulle si négative)", flags.get("psu", [])),
    ]  # fmt: skip
    for key, label in BONUSES:
        lines.append((key, label, bonus[key], "€", _bonus_text(key, f, s), flags.get(key, [])))
    lines += [
        ("total_caf", "Total CAF (PSU et bonus)", total, "€",
         f"PSU + bonus = {_amount(f.psu)} + " + " + ".join(_amount(bonus[k]) for k, _ in BONUSES), caf_flags),
        ("reste", "Reste à charge du gestionnaire", rest, "€",
         f"charges − participations − total CAF = {_amount(charges)} − {_amount(pf)} − "
         f"{_amount(total)}",
         caf_flags),
        ("reste_place", "Reste à charge par place", rest / n, "€",
         f"{_amount(rest)} / {_amount(n)} places", caf_flags),
        ("reste_heure", "Reste à charge par heure facturée", rest / h_fact, "€/h",
         f"{_amount(rest)} / {_amount(h_fact)} heures facturées", caf_flags),
    ]  # fmt: skip
    table = pd.DataFrame(lines, columns=["cle", "ligne", "valeur", "unite", "calcul", "a_verifier"])
    used = list(dict.fromkeys(n for names in table["a_verifier"] for n in names))
    periode = (
        f"règles de l'année {when} au prorata" if isinstance(when, int) else f"règles au {fmt_date(when)}"
    )  # fmt: skip
    # each « à vérifier » parameter, with « valeur 2025 reconduite » when carried forward;
    # free-text flags (e.g. an amount not entered) are kept as they are
    described = params.describe(used, first, last)
    carried = {x.rsplit(" : ", 1)[0] for x in described if " : " in x}
    notes = [n for n in f.notes if n.rsplit(" : ", 1)[0] not in carried]
    return PsuCalculation(
        saisie=s,
        periode=periode,
        taux_facturation=f.taux_facturation,
        prix_de_revient=f.prix_de_revient_horaire,
        prix_plafond=f.prix_plafond_horaire,
        prix_plafond_statut=status,
        prix_retenu=f.prix_retenu_horaire,
        participation_horaire=f.participation_horaire_moyenne,
        psu=f.psu,
        bonus=bonus,
        total_caf=total,
        reste_a_charge=rest,
        reste_par_place=rest / n,
        reste_par_heure_facturee=rest / h_fact,
        lignes=table,
        a_verifier=described,
        notes=notes,
        financement=f,
    )


def _ceiling_text(tf: float, couches_repas: bool, when: dt.date | int, params: ParameterSet) -> str:
    """How the barème gives the ceiling at this taux de facturation (French)."""
    kind = "avec couches et repas" if couches_repas else "sans couches ni repas"
    if isinstance(when, int):
        return (
            f"barème PSU {kind} au taux de facturation {_pct(tf)}, moyenne des règles de "
            f"l'année {when} au prorata de leur durée"
        )
    base = "psu.prix_plafond_" + ("avec" if couches_repas else "sans") + "_couches_repas"
    mode = str(params.at("psu.modulation_tf", when).value)
    lo = float(params.at("psu.seuil_tf_bas", when).value)
    hi = float(params.at("psu.seuil_tf_haut", when).value)

    def price(key: str) -> str:
        return _hourly(float(params.at(f"{base}.{key}", when).value))

    if tf <= lo:
        return f"barème PSU {kind}, taux de facturation jusqu'à {_pct(lo)} : prix maximal"
    if mode == "lineaire":
        if tf >= hi:
            return f"barème PSU {kind}, taux de facturation d'au moins {_pct(hi)} : prix minimal"
        return (
            f"barème PSU {kind}, décroissance linéaire entre {_pct(lo)} et {_pct(hi)} : "
            f"{price('maximum')} − ({_amount(100 * tf)} − {_amount(100 * lo)}) / "
            f"({_amount(100 * hi)} − {_amount(100 * lo)}) × ({price('maximum')} − "
            f"{price('minimum')})"
        )
    if tf > hi:
        return f"barème PSU {kind}, taux de facturation au-delà de {_pct(hi)} : prix minimal"
    return f"barème PSU {kind}, taux de facturation entre {_pct(lo)} et {_pct(hi)} : palier intermédiaire"


def _bonus_text(key: str, f: EajeFunding, s: dict[str, Any]) -> str:
    """Why a bonus has its amount, or why it is not due (French)."""
    n = s["places"]
    per = getattr(f, key) / n
    if key == "bonus_mixite":
        return (
            f"participation moyenne {_hourly(f.participation_horaire_moyenne)} €/h → "
            f"{_amount(per)} € par place × {_amount(n)} places"
        )
    if key == "bonus_handicap":
        k, m = s["enfants_handicap"], s["enfants_accueillis"]
        if not k:
            return "aucun enfant en situation de handicap accueilli : non dû"
        return (
            f"{_amount(k)} enfants en situation de handicap sur {_amount(m)} accueillis "
            f"({_pct(k / m)}) → {_amount(per)} € par place × {_amount(n)} places"
        )
    if key == "bonus_attractivite":
        return "revalorisation salariale non saisie : non compté"
    if not s["ctg"]:
        return "pas de CTG signée : non dû"
    if key == "bonus_territoire":
        new = s["nouvelles_places"]
        tier = "QPV ou FRR" if s["qpv"] or s["frr"] else "hors QPV et FRR"
        parts = []
        if new:
            parts.append(f"{_amount(new)} places nouvelles × {_amount(f.bonus_territoire / new)} € ({tier})")  # fmt: skip
        if n - new > 0:
            parts.append(
                f"{_amount(n - new)} places existantes : montant ex-CEJ propre au territoire, "
                "non saisi (0 €)"
            )
        return " ; ".join(parts)
    return "croissance des places cofinancées 2023-2027 non saisie : non compté"
