"""Streamlit glue shared by the pages: store settings, caches and session-state keys.

Pages lay out widgets; everything they compute comes from varlib through the cached functions here.
Session-state keys are plain strings (widget keys vanish when the user switches pages).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from varlib import (
    Dataset,
    Forecast,
    LagSelection,
    ModelRegistry,
    ModelVersion,
    StoreError,
    TrainResult,
    TrainSpec,
    VersionSummary,
    analysis,
    load_dataset,
    train,
)
from varlib.access import Actor, RoleMap
from varlib.data import Reading, ReadOptions, inspect_file, read_file
from varlib.errors import InvalidInput
from varlib.identity import USER_ENV, current_user
from varlib.limits import LIMIT_SETTINGS
from varlib.model import VarModel
from varlib.refresh import RefreshResult, refresh
from varlib.registry.aliases import Lifecycle
from varlib.store import STORE_ENV, store_url_from_env
from varlib.training import lag_table
from varlib.transforms import TRANSFORMS

# Session-state keys: results that must survive switching pages.
DATASET_CHOICE = "data_choice"  # (source label, file bytes or None, ReadOptions)
RESULTS_DATA = "train_results_data"  # data_identity of the data SELECTION and RESULT were computed on
SPEC = "train_spec"  # TrainSpec whose lag table is shown
SELECTION = "train_selection"  # LagSelection for SPEC
RESULT = "train_result"  # TrainResult of the last fit
FORECAST_MODEL = "forecast_model"  # model preselected on the Forecast page (set by Publish)
FORECAST_VERSION = "forecast_version"  # version preselected on the Forecast page
FORECAST_ORIGIN = "forecast_origin"  # where the Forecast page's forecast starts: data or train
ANALYZE_PANEL = "analyze_panel_shown"  # the Analyze page's open panel, kept across page switches
IRF_REQUEST = "irf_requested"  # (model key, periods) of the impulse responses asked for
BACKTEST_REQUEST = "backtest_requested"  # (model key, origins, horizon, reselect) of the backtest asked for
REFRESH = "refresh_result"  # the Refresh page's last result
REFRESH_PUBLISHED = "refresh_published"  # what the Refresh page last published, and from which fields
STORE_GENERATION = "store_generation"  # bumped after this session writes to the store: listings refresh
PUBLISH_NAME = "publish_name"  # the Publish page's fields, kept across page switches
PUBLISH_NOTE = "publish_note"
PUBLISH_SNAPSHOT = "publish_snapshot"
PUBLISH_VERSION = "publish_version"  # the version typed (None: follow the suggestion)
PUBLISHED = "publish_last"  # what the last publish of this session stored, and from which fields

SETTING_NAMES = (STORE_ENV, "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                 "AWS_SESSION_TOKEN", "VARLIB_S3_TIMEOUT", "VARLIB_SIGNING_KEY", USER_ENV, *LIMIT_SETTINGS)  # fmt: skip


def store_settings() -> dict[str, str]:
    """Store settings: the environment first, then `.streamlit/secrets.toml` for what it does not set."""
    settings = {name: os.environ[name] for name in SETTING_NAMES if os.environ.get(name)}
    try:
        secrets: Mapping = st.secrets
        for name in SETTING_NAMES:
            if name not in settings and name in secrets:
                settings[name] = str(secrets[name])
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        pass  # no secrets file: the environment (or the local default) is all there is
    return settings


def store_url() -> str:
    return store_url_from_env(store_settings())


@st.cache_resource(show_spinner=False)
def _registry(url: str, settings: tuple[tuple[str, str], ...]) -> ModelRegistry:
    return ModelRegistry.from_settings(url, dict(settings))


def registry() -> ModelRegistry:
    """The store client for this app, created once per URL and settings."""
    settings = store_settings()
    return _registry(store_url_from_env(settings), tuple(sorted(settings.items())))


def login_configured() -> bool:
    """Whether the dashboard requires a login: an `[auth]` section (Streamlit's st.login) in secrets."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def role_map() -> RoleMap:
    """`[varlib.roles]` from secrets: publishers and viewers (e-mails, group:NAME, '*')."""
    try:
        section = st.secrets.get("varlib", {})
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        section = {}
    roles = section.get("roles") if hasattr(section, "get") else None
    return RoleMap.from_mapping(dict(roles) if roles is not None else None)


def actor() -> Actor | None:
    """The logged-in user and their role; None without a login configured (the local single-user default, where
    whoever runs the app may write) or when the mapping gives the user no role."""
    if not login_configured() or not st.user.is_logged_in:
        return None
    email = st.user.get("email") or ""
    groups = st.user.get("groups") or []
    role = role_map().role_of(email, groups if isinstance(groups, list) else [])
    name = email or st.user.get("name") or "unknown"
    return Actor(str(name), role) if role else None


def may_write() -> bool:
    """Whether this session may publish, refresh into versions, move aliases, deprecate and delete."""
    if not login_configured():
        return True
    current = actor()
    return current is not None and current.may_write


def writer() -> ModelRegistry:
    """The registry for writes: acting as the logged-in user (the library refuses writes without the role)."""
    current = actor()
    return registry().acting_as(current) if current is not None else registry()


def user() -> str:
    """Who this session is, for the `by` of every write: VARLIB_USER, else the logged-in user, else the OS user."""
    logged_in = None
    try:
        if st.user.is_logged_in:
            logged_in = st.user.get("email") or st.user.get("name")
    except (AttributeError, KeyError, st.errors.StreamlitAPIException):
        pass  # the app has no login configured
    return current_user(store_settings(), logged_in)


def generation() -> int:
    return st.session_state.get(STORE_GENERATION, 0)


def store_changed() -> None:
    """Call after a publish or delete: cached listings are keyed on this counter."""
    st.session_state[STORE_GENERATION] = generation() + 1


@st.cache_data(ttl=10, show_spinner=False)
def _store_problem(url: str, store_generation: int) -> str | None:
    try:
        registry().store.check()
    except StoreError as exc:
        return str(exc)
    return None


def store_problem() -> str | None:
    """None when the store answers, else the one-sentence reason (checked at most every 10 s)."""
    return _store_problem(store_url(), generation())


# ----- data and training ------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def dataset(source: str, file_bytes: bytes | None, options: ReadOptions | None = None) -> Dataset:
    """The built-in data (`file_bytes` None) or an uploaded CSV or Excel file, read with `options`."""
    if file_bytes is None:
        return load_dataset(source)
    return read_file(file_bytes, name=source, options=options or ReadOptions())


@st.cache_data(show_spinner=False, max_entries=16)
def inspection(source: str, file_bytes: bytes, options: ReadOptions) -> Reading | None:
    """What reading the file detects, even where reading it needs a choice first; None if it cannot be read."""
    try:
        return inspect_file(file_bytes, name=source, options=options)
    except InvalidInput:
        return None


def data_identity(choice: tuple) -> str:
    """Which data a lag table or fit belongs to: the source, the file's bytes and the reading options."""
    source, file_bytes, options = choice
    digest = hashlib.sha256(repr((source, options)).encode())
    digest.update(file_bytes or b"")
    return digest.hexdigest()


@st.cache_data(show_spinner=False, max_entries=32)
def lag_selection(data: Dataset, spec: TrainSpec) -> LagSelection:
    return lag_table(data, spec)


@st.cache_data(show_spinner=False, max_entries=32)
def fit(data: Dataset, spec: TrainSpec) -> TrainResult:
    # The statsmodels results object is large and only needed in memory by tests; the UI drops it.
    return dataclasses.replace(train(data, spec), statsmodels_results=None)


# ----- analysis -----------------------------------------------------------------------------------


def fit_key(model: VarModel) -> str:
    """A stable identity of a fitted model, for caching its analyses across reruns and sessions."""
    digest = hashlib.sha256()
    for array in (model.coefs, model.trend_coefs, model.dummy_coefs, model.sigma_u, model.last_levels):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps([model.variables, model.transforms, model.trend, model.n_totobs,
                              model.deterministic.to_document()], default=str).encode())  # fmt: skip
    return "fit:" + digest.hexdigest()


def version_key(url: str, name: str, version: str, created: str) -> str:
    return f"version:{url}:{name}:{version}:{created}"


@dataclasses.dataclass
class Stationarity:
    tests: pd.DataFrame  # one row per variable and transform (analysis.stationarity_tests)
    verdicts: pd.DataFrame  # variable x transform: "stationary" / "non-stationary", with a "suggested" column
    suggested: dict[str, str]  # the transform suggested for each variable


@st.cache_data(show_spinner="Testing each variable for a unit root (ADF and KPSS)…", max_entries=64)
def stationarity(key: str, _levels: pd.DataFrame) -> Stationarity:
    """The tests and their verdict table for levels named by `key` (hashing the levels on every rerun would cost
    more than showing the table)."""
    tests = analysis.stationarity_tests(_levels)
    suggested = analysis.suggest_transforms(tests)
    present = set(tests["transform"])
    verdicts = tests.pivot(index="variable", columns="transform", values="verdict").reindex(
        index=list(_levels.columns), columns=[t for t in TRANSFORMS if t in present]
    )
    verdicts["suggested"] = [suggested[v] for v in verdicts.index]
    return Stationarity(tests, verdicts, suggested)


@st.cache_resource(show_spinner="Refitting the model from its training data…", max_entries=32)
def refit(key: str, _model: VarModel, _train_levels: pd.DataFrame) -> analysis.Refit:
    # A resource, not data: statsmodels results are large and only read.
    return analysis.refit(_model, _train_levels)


@st.cache_data(show_spinner="Running the residual tests…", max_entries=32)
def diagnostics(key: str, _fit: analysis.Refit) -> analysis.Diagnostics:
    return analysis.diagnostics(_fit)


@st.cache_data(show_spinner="Testing the cointegration rank…", max_entries=32)
def johansen(key: str, _fit, _train_levels: pd.DataFrame):
    """Johansen's tests on a VECM's training levels, with its lagged differences and deterministic terms."""
    from varlib import vecm
    from varlib.transforms import apply_transforms

    levels = apply_transforms(_train_levels[_fit.variables], dict(zip(_fit.variables, _fit.transforms, strict=True)))
    return vecm.johansen_tests(levels, _fit.deterministic, _fit.k_ar_diff)


@st.cache_data(show_spinner="Testing for unit roots…", max_entries=64)
def integrated_levels(key: str, _model: VarModel, _train_levels: pd.DataFrame) -> list[str]:
    return analysis.integrated_levels(_model, _train_levels)


@st.cache_data(show_spinner="Testing the residuals…", max_entries=64)
def residual_tests(key: str, _fit: analysis.Refit, lm_lags: int, arch_lags: int) -> analysis.ResidualTests:
    return analysis.residual_tests(_fit, lm_lags, arch_lags)


@st.cache_data(show_spinner="Testing the coefficients (lag exclusion, block exogeneity, Toda-Yamamoto)…",
               max_entries=32)  # fmt: skip
def coefficient_tests(key: str, _fit: analysis.Refit, _model: VarModel, _train_levels: pd.DataFrame
                      ) -> analysis.CoefficientTests:  # fmt: skip
    return analysis.coefficient_tests(_fit, _model, _train_levels)


@st.cache_data(show_spinner="Testing Granger and instantaneous causality…", max_entries=32)
def causality(key: str, _fit: analysis.Refit) -> analysis.Causality:
    return analysis.causality(_fit)


class _Results:
    """A bounded LRU of long computations that report progress while they run.

    st.cache_data cannot be used for them: it replays elements, and a progress bar made outside the cached
    function does not exist at replay time. Shared by all sessions through st.cache_resource.
    """

    def __init__(self, max_entries: int = 64) -> None:
        self._entries: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get_or_compute(self, key: tuple, compute: Callable[[], object]) -> object:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value


@st.cache_resource(show_spinner=False)
def _long_results() -> _Results:
    return _Results()


@st.cache_resource(show_spinner=False)
def _figures() -> _Results:
    return _Results(max_entries=256)


class _BuiltFigure(go.Figure):
    """A finished figure that gives st.plotly_chart the same dict on every rerun.

    st.plotly_chart calls to_dict(), which copies the figure and encodes each of its arrays again: 20-30 ms for
    the forecast figure of an 8-variable model, on every rerun. Nothing changes a built figure, so it is encoded
    once; the dict handed out is only read (serialised to JSON).
    """

    _encoded: dict

    def to_dict(self) -> dict:
        if "_encoded" not in self.__dict__:
            self._encoded = super().to_dict()
        return self._encoded


def _built(build: Callable[[], go.Figure]) -> go.Figure:
    built = build()
    built.__class__ = _BuiltFigure  # no copy: re-validating a figure costs as much as building it
    return built


def figure(key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
    """A figure built once per result and shared by reruns and sessions (never changed after it is built).

    Building a plotly figure of many panels takes a tenth of a second or more; sending a built one, milliseconds.
    `key` names the result and everything else the figure shows.
    """

    def drawn() -> go.Figure:
        with st.spinner("Drawing the chart…"):
            return _built(build)

    return _figures().get_or_compute(key, drawn)


def impulse_responses(
    key: str, periods: int, fit: analysis.Refit, progress: analysis.Progress | None = None
) -> analysis.ImpulseResponses:
    """Computed once per model and horizon (seconds for many variables), then served from memory."""
    return _long_results().get_or_compute(
        ("irf", key, periods), lambda: analysis.impulse_responses(fit, periods, progress=progress)
    )


def backtest(
    key: str, origins: int, horizon: int, reselect: bool, levels: pd.DataFrame, freq: str, spec: TrainSpec,
    lag_order: int, progress: analysis.Progress | None = None,
) -> analysis.Backtest:  # fmt: skip
    return _long_results().get_or_compute(
        ("backtest", key, origins, horizon, reselect),
        lambda: analysis.backtest(levels, freq, spec, lag_order, origins, horizon, reselect, progress=progress),
    )


@st.cache_data(show_spinner="Forecasting with the baselines…", max_entries=32)
def baselines(key: str, _model: VarModel, _train_levels: pd.DataFrame, _test_levels: pd.DataFrame) -> pd.DataFrame:
    steps = len(_test_levels)
    transforms = dict(zip(_model.variables, _model.transforms, strict=True))
    transforms |= dict(zip(_model.exog_variables, _model.exog_transforms, strict=True))
    exog = pd.concat([_train_levels, _test_levels])[_model.exog_variables] if _model.exog_variables else None
    others = analysis.baseline_forecasts(_train_levels, transforms, _model.trend, steps, _model.lag_order,
                                         _model.deterministic, _model.freq, exog)  # fmt: skip
    exog_path = _test_levels[_model.exog_variables] if _model.exog_variables else None  # the test rows' actuals
    forecast = _model.forecast(steps, exog_path=exog_path).point
    return analysis.compare_with_baselines(forecast, _test_levels[_model.variables], others)


# ----- stored versions --------------------------------------------------------------------------


@st.cache_data(ttl=60, show_spinner="Listing the stored models…")
def model_names(url: str, store_generation: int) -> list[str]:
    return registry().list_models()


@st.cache_data(ttl=60, show_spinner="Listing the versions…")
def versions(url: str, name: str, store_generation: int) -> list[VersionSummary]:
    return registry().list_versions(name)


@st.cache_data(show_spinner=False, max_entries=16)
def refreshed(
    url: str, name: str, version: str, created: str, data_choice: tuple, reselect: bool, test_size: int,
    steps: int,
) -> RefreshResult:  # fmt: skip
    """A stored version refitted on new data (the Refresh page); keyed by the version's created time and the data."""
    parent = load_version(url, name, version, created)
    return refresh(parent, dataset(*data_choice), reselect=reselect, test_size=test_size, compare_steps=steps)


@st.cache_data(ttl=60, show_spinner="Reading the aliases and deprecations…")
def lifecycle(url: str, name: str, store_generation: int) -> Lifecycle:
    """The model's aliases, deprecations and their history."""
    return registry().lifecycle(name)


@st.cache_data(show_spinner="Loading the version and verifying its checksums…", max_entries=64)
def load_version(url: str, name: str, version: str, created: str) -> ModelVersion:
    """A verified version. Keyed by its created time: a republished SNAPSHOT is loaded afresh."""
    return registry().load(name, version)


@st.cache_data(show_spinner="Reading the estimation output…", max_entries=32)
def version_estimation(url: str, name: str, version: str, created: str) -> analysis.VersionEstimation:
    """Stored with the version, or recomputed from its stored data for versions stored without it."""
    return analysis.version_estimation(load_version(url, name, version, created))


@st.cache_data(show_spinner="Forecasting…", max_entries=256)
def forecast(
    url: str, name: str, version: str, created: str, steps: int, alpha: float, origin: str | None = None,
    exog_path: pd.DataFrame | None = None,
) -> Forecast:  # fmt: skip
    """Forecasts from `origin`: data (the production fit; the default) or train (the evaluation fit); with
    exogenous variables, conditioned on `exog_path`."""
    return load_version(url, name, version, created).forecast(steps, alpha, origin, exog_path)


@st.cache_data(show_spinner=False, max_entries=256)
def forecast_csv(
    url: str, name: str, version: str, created: str, steps: int, alpha: float, origin: str | None = None,
    exog_path: pd.DataFrame | None = None,
) -> str:  # fmt: skip
    """The same CSV bytes as `python -m varlib forecast ... --csv` (with --exog-path holding `exog_path`)."""
    test_levels = load_version(url, name, version, created).test_levels
    return forecast(url, name, version, created, steps, alpha, origin, exog_path).to_csv(test_levels)
