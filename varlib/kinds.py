"""Model kinds: what a VAR and a VECM each do their own way, behind one small interface.

Whatever trains, stores, verifies, lists, forecasts, refreshes and serves versions asks a version's kind
(`kind_of(name)`) instead of branching on it. A kind validates its specification, fits a version's two fits,
writes and checks its own section of model.json, names its estimation terms, refits a stored version from its
data, says itself in words, and names the analyses that do not apply to it, with the reason. Forecasting needs
nothing of the kind: every kind is stored with the `VarModel` it is (a VECM's is its VAR representation in levels),
which forecasts in levels with intervals.

The VAR kind lives in varlib.training, the VECM kind in varlib.vecm; a third kind is one new module that defines a
ModelKind and is named in KIND_MODULES.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from varlib.errors import InvalidInput

if TYPE_CHECKING:
    from varlib.deterministic import Deterministic
    from varlib.documents import Fields
    from varlib.model import VarModel
    from varlib.training import FitContext, TrainResult, TrainSpec

REFIT_TOLERANCE = 1e-8  # relative to the parameters' scale: a refit that reproduces them differs by rounding only
KIND_MODULES = {"var": "varlib.training", "vecm": "varlib.vecm"}  # each module defines KIND, a ModelKind
KINDS = tuple(KIND_MODULES)


@dataclass
class Refit:
    """A fit rebuilt from level data, and whether it reproduces the given parameters. `results` are statsmodels'
    (VARResults, or VECMResults for a VECM); `kind_fit` is what the kind keeps of the refit (a VECM's VecmFit)."""

    results: Any
    variables: list[str]
    transforms: list[str]
    matches: bool
    max_difference: float  # largest absolute difference over the compared parameters
    dates: pd.DatetimeIndex | None = None  # of the transformed training rows
    kind: str = "var"
    kind_fit: Any = None

    def message(self) -> str:
        if self.matches:
            return f"The refit reproduces the stored parameters (largest difference {self.max_difference:.1e})."
        return (
            f"The refit from the stored training data does NOT reproduce the stored parameters (largest "
            f"difference {self.max_difference:.3g}): the version's model and data disagree, so these diagnostics "
            "describe the data, not the stored model."
        )


class ModelKind:
    """One kind of model. Subclasses override what their kind does differently; the defaults are a VAR's."""

    name = ""
    title = ""  # for people: "VAR", "VECM"
    # Analyses (the Analyze page's panels and sections) that do not apply to this kind, with the reason.
    not_applicable: dict[str, str] = {}  # noqa: RUF012  (read only)

    def validate(self, spec: TrainSpec) -> None:
        """Refuse a specification this kind cannot fit (InvalidInput, one sentence)."""

    def selection_trend(self, spec: TrainSpec) -> str:
        """The trend of the VAR the lag order is chosen on."""
        return spec.trend

    def fit(self, context: FitContext) -> TrainResult:
        raise NotImplementedError

    def document(self, result: TrainResult) -> dict[str, Any]:
        """The kind's own fields of model.json (none for a VAR)."""
        return {}

    def check(self, top: Fields, variables: list[str], p: int, trend: str, deterministic: Deterministic,
              transforms: dict[str, str]) -> Any:  # fmt: skip
        """Check the kind's fields of a model.json (IntegrityError naming the field); returns what spec_of gives."""
        return None

    def spec_of(self, document: dict[str, Any]) -> Any:
        """The kind's specification from a checked model.json, as VarModel holds it (None for a VAR)."""
        return None

    def estimation_terms(self, variables: list[str], p: int, trend: str, extra: list[str], spec: Any,
                         seasons: int) -> list[str] | None:  # fmt: skip
        """The terms of its estimation output; None: a VAR's (trend, dummies, exogenous, lags)."""
        return None

    def refit(self, model: VarModel, levels: pd.DataFrame) -> Refit:
        raise NotImplementedError

    def estimation(self, refit: Refit, model: VarModel) -> Any:
        """The estimation output (an EstimationOutput) of a refit, for versions stored without it."""
        raise NotImplementedError

    # What the analyses ask of a refit where a kind differs from a VAR; None: the VAR's way (varlib.analysis).

    def companion(self, refit: Refit) -> tuple[Any, int] | None:
        """The companion matrix's eigenvalues, and how many of them are unit roots by construction."""
        return None

    def causality(self, refit: Refit) -> tuple[pd.DataFrame, pd.Series, str] | None:
        """Granger p-values (caused × causing), instantaneous causality p-values, and the tests in words."""
        return None

    def impulse_responses(self, refit: Refit, periods: int) -> tuple[Any, Any, Any, Any, list[bool]] | None:
        """Orthogonalised responses (h, response, shock), their lower and upper bands, the FEVD, and per variable
        whether its responses are cumulated."""
        return None

    def words(self, spec: Any) -> str:
        """The kind's specification in words, for metadata lines ("" for a VAR)."""
        return ""


def kind_of(name: str) -> ModelKind:
    """The kind named `name` (var or vecm)."""
    module = KIND_MODULES.get(name)
    if module is None:
        raise InvalidInput(f"Unknown model kind {str(name)[:40]!r} ({{input:kind}}): use {' or '.join(KINDS)}.")
    return importlib.import_module(module).KIND
