"""The optimiser's box of the scenario tab: a budget, a proposal, added to scenario A or B.

Owns :class:`OptimiserBox`: the budget inputs, the call to :func:`territoire_lib.optimise.optimise`
on the candidates of the chosen panel's scenario, the proposal in French and its levers
handed to :meth:`~.scenario_panel.ScenarioPanel.add_levers`.

Layer « applications » (12): may import every lower layer (here diagnostic and optimise,
lazily). Inside the package it imports :mod:`.scenario_panel`, :mod:`.scenario_results` and
:mod:`.messages`.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from .messages import LOG, error_html, esc, french_message
from .scenario_panel import ScenarioPanel
from .scenario_results import VERIFY_BADGE, euros
from .ui import note_html


def amount_input(
    description: str, value: int, low: int, high: int, step: int, width: str
) -> widgets.BoundedIntText:
    """A whole amount in euros, typed or stepped with the arrows, kept between ``low`` and
    ``high`` (the optimiser's budgets and cost per place)."""
    return widgets.BoundedIntText(
        value=value,
        min=low,
        max=high,
        step=step,
        style={"description_width": "initial"},
        description=description,
        layout=widgets.Layout(width=width),
    )


class OptimiserBox:
    """The optimiser's proposal for a budget, added on request to scenario A or B."""

    def __init__(self, territory, panels: dict[str, ScenarioPanel]):
        self.territory = territory
        self.panels = panels
        self.proposal = None
        self._needs: dict[str, pd.Series] = {}
        style = {"description_width": "initial"}
        self.target = widgets.Dropdown(
            options=[(f"Scénario {k}", k) for k in panels],
            description="Partir du scénario :",
            style=style,
        )
        # description, value, minimum, maximum, step, width
        self.investment = amount_input(
            "Budget d'investissement (€) :", 1_000_000, 0, 100_000_000, 50_000, "360px"
        )
        self.operating = amount_input(
            "Budget de fonctionnement (€ par an) :", 150_000, 0, 50_000_000, 10_000, "380px"
        )
        self.cost = amount_input(
            "Coût d'investissement par place de crèche (€) :", 30_000, 1, 200_000, 1_000, "420px"
        )
        self.block = widgets.Dropdown(
            options=[("1 place", 1), ("6 places", 6), ("12 places (micro-crèche)", 12)],
            value=12,
            description="Par blocs de :",
            style=style,
        )
        self.run = widgets.Button(
            description="Proposer une répartition", button_style="primary", icon="calculator"
        )
        self.apply = widgets.Button(
            description="Ajouter ces places au scénario", disabled=True, icon="plus"
        )
        self.out = widgets.HTML()
        self.run.on_click(lambda _b: self._run())
        self.apply.on_click(lambda _b: self._apply())
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    '<h2 lang="fr">Proposition de l\'optimiseur pour un budget</h2>'
                    '<p lang="fr">Où ouvrir des places de crèche PSU pour que le budget '
                    "serve d'abord les communes aux besoins les plus marqués et à la "
                    "couverture la plus faible.</p>"
                ),
                widgets.HBox(
                    [self.target, self.block], layout=widgets.Layout(flex_flow="row wrap")
                ),
                widgets.HBox(
                    [self.investment, self.operating], layout=widgets.Layout(flex_flow="row wrap")
                ),
                self.cost,
                widgets.HBox([self.run, self.apply]),
                self.out,
            ]
        )
        self.widget.add_class("tdb-optimiseur")

    def _needs_of(self, code: str) -> pd.Series:
        if code not in self._needs:
            from ..diagnostic import diagnose

            inc = diagnose(self.territory, code).inclusion
            self._needs[code] = inc.set_index("commune")["indice_besoins"]
        return self._needs[code]

    def _run(self) -> None:
        from ..optimise import candidates_from_scenario, optimise

        self.apply.disabled = True
        self.proposal = None
        self.out.value = "Calcul en cours…"
        try:
            panel = self.panels[self.target.value]
            scenario = panel.scenario()
            inv = dict(scenario.hypotheses["investissement_par_place"])
            note = ""
            if "creche_psu" not in inv:
                inv["creche_psu"] = float(self.cost.value)
                scenario = scenario.with_hypotheses(investissement_par_place=inv)
                note = (
                    f"Coût d'investissement retenu : {euros(self.cost.value)} par place "
                    "(hypothèse locale saisie ici, à vérifier)."
                )
            needs = self._needs_of(scenario.territoire)
            candidates, notes = candidates_from_scenario(
                self.territory, scenario, needs, taille_bloc=int(self.block.value)
            )
            proposal = optimise(
                candidates, float(self.investment.value), float(self.operating.value)
            )
        except Exception as exc:
            LOG.exception("optimiseur")
            self.out.value = error_html(
                french_message(
                    exc, "L'optimiseur ne peut pas proposer de répartition avec ces données."
                )
            )
            return
        self.proposal = (proposal, scenario.debut)
        lines = proposal.french().split("\n")
        head = f'<p class="tdb-phrase" id="proposition" lang="fr">{esc(lines[0])}</p>'
        rest = "".join(f"<li>{esc(x.lstrip('- '))}</li>" for x in lines[1:])
        extra = "".join(f"<li>{esc(n)}</li>" for n in notes)
        warn = f" {VERIFY_BADGE}" if notes else ""
        self.out.value = (
            head
            + (f'<ul lang="fr">{rest}</ul>' if rest else "")
            + (note_html(note) if note else "")
            + f'<details><summary>Méthode et coûts nets{warn}</summary><ul lang="fr">{extra}'
            "</ul></details>"
        )
        self.apply.disabled = proposal.total_places == 0

    def _apply(self) -> None:
        if self.proposal is None:
            return
        proposal, year = self.proposal
        panel = self.panels[self.target.value]
        try:
            panel.add_levers(
                proposal.to_levers(year),
                f"Proposition de l'optimiseur ajoutée : {proposal.total_places} places en {year}.",
            )
        except Exception as exc:
            LOG.exception("optimiseur → scénario")
            self.out.value += error_html(french_message(exc))
        self.apply.disabled = True
