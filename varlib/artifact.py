"""The one artifact format of a model version: JSON parameters, CSV data, a checksum manifest.

<name>/<MAJOR_MINOR_PATCH[-SNAPSHOT]>/model.json     parameters and metadata (no pickle)
                                     train.csv      level data the version was trained on
                                     test.csv       level data it was tested on
                                     manifest.json  key, sha256 and size of the three above; written last

The manifest says where each object is: normally the names above; a publish that finds them taken (by an
abandoned publish, or by the SNAPSHOT it replaces) writes its objects under `<publish id>/` in the same folder.
Everything read back is untrusted: bounded in size, parsed strictly, checked field by field (varlib.documents).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import platform
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

import numpy as np
import pandas as pd

from varlib._version import __version__
from varlib.data.calendar import period_label
from varlib.deterministic import DUMMY_KINDS, IMPULSE, MAX_DUMMIES, SEASONS, STEP, Deterministic, seasons_of
from varlib.documents import MAX_NAME, Fields, is_number, is_text, nested_numbers, nested_numbers_or_null
from varlib.errors import IntegrityError, InvalidInput
from varlib.estimation import (
    EQUATION_STATISTICS,
    MATRICES,
    SYSTEM_STATISTICS,
    EstimationOutput,
    expected_terms,
)
from varlib.estimation import from_document as estimation_from_document
from varlib.estimation import to_document as estimation_document
from varlib.identity import MAX_USER
from varlib.kinds import KINDS, kind_of
from varlib.limits import DEFAULT_LIMITS, Limits
from varlib.model import (
    ORIGIN_DATA,
    ORIGIN_TRAIN,
    ORIGINS,
    TRENDS,
    Forecast,
    Stability,
    VarModel,
    dated_csv,
    iso_timestamp,
)
from varlib.naming import MODEL_NAME_PATTERN, Version
from varlib.training import CRITERIA, MAX_EXOG, TrainResult, TrainSpec
from varlib.transforms import TRANSFORMS

MODEL_FORMAT = "varlib.var-model"
MANIFEST_FORMAT = "varlib.manifest"
FORMAT_VERSION = 2  # of model.json; 2: the production fit (on all rows) next to the evaluation fit
# 3: seasonal and date dummies, exogenous variables. Written only by versions that have them, so that a reader of
# format 2 (a replica not yet upgraded) refuses those plainly instead of forecasting without them, and reads every
# other version.
DUMMIES_FORMAT_VERSION = 3
READABLE_MODEL_VERSIONS = (1, 2, 3)  # 1: the evaluation fit only
MANIFEST_FORMAT_VERSION = 2  # 2: each object's key, and the publish sequence
READABLE_MANIFEST_VERSIONS = (1, 2)
PUBLISH_ID_PATTERN = re.compile(r"p-[0-9]{8}t[0-9]{6}z-[0-9a-f]{12}")
MODEL_FILE = "model.json"
TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"
MANIFEST_FILE = "manifest.json"
DATA_OBJECTS = (MODEL_FILE, TRAIN_FILE, TEST_FILE)
_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "varlib": __version__}
    for name in _PACKAGES:
        try:
            versions[name] = package_version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def _date_range(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "start": iso_timestamp(frame.index[0]),
        "end": iso_timestamp(frame.index[-1]),
        "rows": len(frame),
    }


def _stability_document(stability: Stability) -> dict[str, Any]:
    return {
        "stable": stability.stable,
        "max_modulus": stability.max_modulus,
        "eigenvalue_moduli": stability.eigenvalue_moduli,
    }


def _production_document(result: TrainResult) -> dict[str, Any]:
    production = result.production
    levels = result.levels
    return {
        "sample": _date_range(levels),
        "coefs": production.coefs.tolist(),
        "trend_coefs": production.trend_coefs.tolist(),
        "sigma_u": production.sigma_u.tolist(),
        "n_totobs": production.n_totobs,
        "nobs": result.production_nobs,
        "last_observations": production.last_observations.tolist(),
        "last_levels": production.last_levels.tolist(),
        "last_date": iso_timestamp(production.last_date),
        "stability": _stability_document(result.production_stability),
    } | _regressors_document(production)


def has_regressors(model: VarModel) -> bool:
    """Whether a fit has terms beyond the trend (dummies, exogenous variables), or is a VECM's: stored in format 3."""
    return bool(model.deterministic) or bool(model.exog_variables) or model.vecm is not None


def _regressors_document(model: VarModel) -> dict[str, Any]:
    """Format 3's coefficients of the dummies and exogenous variables of a fit, and the exogenous variables' last
    levels (where their differences start)."""
    if not has_regressors(model):
        return {}
    return {"dummy_coefs": model.dummy_coefs.tolist(), "exog_coefs": model.exog_coefs.tolist(),
            "last_exog_levels": model.last_exog_levels.tolist()}  # fmt: skip


def _dummies_document(model: VarModel) -> dict[str, Any]:
    """Format 3's terms of the evaluation fit (the production fit has the same terms)."""
    if not has_regressors(model):
        return {}
    return {"deterministic": model.deterministic.to_document()} | _regressors_document(model)


def _exog_document(model: VarModel) -> dict[str, Any]:
    if not has_regressors(model):
        return {}
    return {"exog": {"variables": model.exog_variables,
                     "transforms": dict(zip(model.exog_variables, model.exog_transforms, strict=True))}}  # fmt: skip


MAX_STORED_ESTIMATION_COEFFICIENTS = 25_000  # K²·p up to which model.json holds the estimation output


def stores_estimation(k: int, lag_order: int) -> bool:
    """Whether a version of this size stores its estimation output. It takes about eight times the coefficients
    (four statistics per coefficient, two fits): within this bound (K = 20 at p = 48, K = 50 at p = 10) model.json
    stays far below VARLIB_MAX_MODEL_BYTES; a larger model stores none (it can be recomputed from its stored data)."""
    return k * k * max(lag_order, 1) <= MAX_STORED_ESTIMATION_COEFFICIENTS


def model_document(
    result: TrainResult, name: str, version: Version, note: str, created: str, created_by: str = ""
) -> dict[str, Any]:
    """Everything model.json holds: parameters to forecast, plus metadata to judge the version.

    `model` is the evaluation fit (training rows; scored on the test rows); `production` is the same
    specification re-estimated on every row, which forecasts ahead from the end of the data.
    """
    model = result.model
    spec = result.spec
    if result.production is None:
        raise ValueError("a version is published with its production fit")
    return {
        "format": MODEL_FORMAT,
        "format_version": DUMMIES_FORMAT_VERSION if has_regressors(model) else FORMAT_VERSION,
        "name": name,
        "version": str(version),
        "created": created,
        "created_by": created_by,
        "note": note,
        "variables": model.variables,
        "transforms": dict(zip(model.variables, model.transforms, strict=True)),
        "data": {
            "source": result.dataset_source,
            "frequency": model.freq,
            "train": _date_range(result.train_levels),
            "test": _date_range(result.test_levels),
            "notes": result.notes,
        },
        "model": {
            "lag_order": model.lag_order,
            "chosen_by": result.chosen_by,
            "trend": model.trend,
            "coefs": model.coefs.tolist(),
            "trend_coefs": model.trend_coefs.tolist(),
            "sigma_u": model.sigma_u.tolist(),
            "n_totobs": model.n_totobs,
            "nobs": result.nobs,
            "last_observations": model.last_observations.tolist(),
            "last_levels": model.last_levels.tolist(),
            "last_date": iso_timestamp(model.last_date),
        }
        | _dummies_document(model),
        "production": _production_document(result),
        "lag_selection": {
            "max_lags": result.selection.max_lags,
            "trend": result.selection.trend,
            "selected": result.selection.selected,
            "table": [
                {"p": int(p), **{c: _finite(v) for c, v in row.items()}} for p, row in result.selection.table.iterrows()
            ],
        },
        "test": {
            "alpha": spec.alpha,
            "metrics": {v: asdict(m) for v, m in result.metrics.items()},
        },
        "stability": _stability_document(result.stability),
        "packages": _package_versions(),
    } | _exog_document(model) | kind_of(model.kind).document(result) | (
        {"lineage": result.lineage} if result.lineage else {}) | (
        {"estimation": {"fits": {origin: estimation_document(output) for origin, output in result.estimation.items()}}}
        if result.estimation and stores_estimation(model.k, model.lag_order) else {})  # fmt: skip


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    return dated_csv(frame).encode()


def to_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, allow_nan=False).encode()


def version_objects(
    result: TrainResult, name: str, version: Version, note: str, created: str, created_by: str = ""
) -> dict[str, bytes]:
    """The data objects of a version (manifest excluded), by file name."""
    return {
        MODEL_FILE: to_json(model_document(result, name, version, note, created, created_by)),
        TRAIN_FILE: frame_to_csv(result.train_levels),
        TEST_FILE: frame_to_csv(result.test_levels),
    }


def manifest_document(
    objects: dict[str, bytes],
    name: str,
    version: Version,
    created: str,
    keys: dict[str, str] | None = None,
    sequence: int = 1,
) -> dict[str, Any]:
    """The manifest: where each object is (relative to the version's folder), its sha256 and size.

    `sequence` is above every earlier publish of the model (the index's sequence, and the manifest replaced), so
    that a signed reader can tell a rolled-back SNAPSHOT from the one the index lists.
    """
    keys = keys or {}
    return {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_FORMAT_VERSION,
        "name": name,
        "version": str(version),
        "created": created,
        "sequence": sequence,
        "objects": {
            file: {"key": keys.get(file, file), "sha256": sha256_hex(data), "size": len(data)}
            for file, data in sorted(objects.items())
        },
    }


SIGNATURE_ALGORITHM = "HMAC-SHA256"


def _signed_bytes(document: dict[str, Any]) -> bytes:
    """The canonical bytes a signature covers: the document without its signature, keys sorted."""
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def sign_document(document: dict[str, Any], key: bytes) -> dict[str, Any]:
    """The document with an HMAC-SHA256 signature of its canonical bytes (manifests and indexes)."""
    signature = hmac.new(key, _signed_bytes(document), hashlib.sha256).hexdigest()
    return {**document, "signature": {"algorithm": SIGNATURE_ALGORITHM, "value": signature}}


def verify_signature(document: dict[str, Any], key: bytes, document_key: str) -> None:
    """Refuse a document that is unsigned or signed with another key (or changed since it was signed)."""
    signature = document.get("signature")
    if not isinstance(signature, dict) or not isinstance(signature.get("value"), str):
        raise IntegrityError(
            f"{document_key} is not signed, and this store requires signed versions (VARLIB_SIGNING_KEY is set)."
        )
    if signature.get("algorithm") != SIGNATURE_ALGORITHM:
        raise IntegrityError(f"{document_key} is not signed with {SIGNATURE_ALGORITHM}.")
    expected = hmac.new(key, _signed_bytes(document), hashlib.sha256).hexdigest()
    value = signature["value"]
    # compare_digest refuses non-ASCII text with a TypeError: such a value is simply not a valid signature.
    if not value.isascii() or not hmac.compare_digest(expected, value):
        raise IntegrityError(
            f"{document_key} has a signature that does not match: it was changed, or signed with another key."
        )


def check_manifest(
    manifest: dict[str, Any], key: str, name: str, version: Version, limits: Limits = DEFAULT_LIMITS
) -> dict[str, dict]:
    """The manifest's object table, after checking it describes this version and every data object.

    Each entry gets its `key` relative to the version's folder: the file's own name (format 1 always), or
    `<publish id>/<file>`; nothing else is accepted, so a manifest cannot point outside its version.
    """
    if manifest.get("format") != MANIFEST_FORMAT:
        raise IntegrityError(f"{key} is not a varlib manifest.")
    format_version = manifest.get("format_version")
    if format_version not in READABLE_MANIFEST_VERSIONS or isinstance(format_version, bool):
        shown = format_version if is_number(format_version) else "unknown"
        raise IntegrityError(
            f"{key} has format version {shown}; this varlib reads versions "
            f"{', '.join(map(str, READABLE_MANIFEST_VERSIONS))}."
        )
    if manifest.get("name") != name or manifest.get("version") != str(version):
        raise IntegrityError(f"{key} describes another model or version, not {name} {version}.")
    fields = Fields(manifest, key)
    if format_version >= 2:
        fields.integer("sequence", 1, 2**53)
    objects = manifest.get("objects")
    if not isinstance(objects, dict) or sorted(objects) != sorted(DATA_OBJECTS):
        raise IntegrityError(f"{key} does not list exactly {', '.join(DATA_OBJECTS)}.")
    checked = {}
    for file, entry in objects.items():
        limit = limits.max_model_bytes if file == MODEL_FILE else limits.max_data_bytes
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
            or isinstance(entry.get("size"), bool)
            or not isinstance(entry.get("size"), int)
            or not 0 <= entry["size"] <= limit
        ):
            raise IntegrityError(f"{key} has no valid sha256 and size (at most {limit:,} bytes) for {file}.")
        relative = entry.get("key", file) if format_version >= 2 else file
        if not isinstance(relative, str) or not is_object_key(relative, file):
            raise IntegrityError(f"{key} places {file} outside its version's folder.")
        checked[file] = {"key": relative, "sha256": entry["sha256"], "size": entry["size"]}
    return checked


def is_object_key(relative: str, file: str) -> bool:
    if relative == file:
        return True
    folder, _, rest = relative.partition("/")
    return rest == file and PUBLISH_ID_PATTERN.fullmatch(folder) is not None


def manifest_sequence(manifest: dict[str, Any]) -> int:
    """The publish sequence of a checked manifest (format 1 manifests predate it: 0)."""
    sequence = manifest.get("sequence", 0)
    return sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else 0


def verify_object(data: bytes, entry: dict[str, Any], key: str) -> None:
    if len(data) != entry["size"] or sha256_hex(data) != entry["sha256"]:
        raise IntegrityError(
            f"{key} fails its checksum (sha256 in the manifest does not match): "
            "it is corrupted or was changed after publishing."
        )


def check_model_document(document: dict[str, Any], key: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Check every field of model.json that anything reads, bounded by `limits`, before any work is done."""
    top = Fields(document, key)
    format_version = document.get("format_version")
    if (
        document.get("format") != MODEL_FORMAT
        or isinstance(format_version, bool)
        or format_version not in READABLE_MODEL_VERSIONS
    ):
        readable = " or ".join(map(str, READABLE_MODEL_VERSIONS))
        raise IntegrityError(f"{key} is not a varlib model of format version {readable}.")
    if not MODEL_NAME_PATTERN.fullmatch(top.text("name", 64)):
        top.fail("is not a model name", "name")
    top.text("version", 64)
    top.text("created", 64)
    top.text("note", optional=True)
    if "created_by" in document:
        top.text("created_by", MAX_USER)
    params = top.sub("model")
    variables = top.items("variables", limits.max_variables, lambda v: is_text(v, MAX_NAME) and v != "", "names")
    k = len(variables)
    if k < 1 or len(set(variables)) != k:
        top.fail("must name distinct variables", "variables")
    p = params.integer("lag_order", 0, limits.max_lag_order)
    if k * k * p > limits.max_coefficients:
        params.fail(f"with {k} variables makes more than the {limits.max_coefficients:,} coefficients allowed",
                    "lag_order")  # fmt: skip
    transforms = top.mapping("transforms", k)
    if sorted(transforms) != sorted(variables) or not all(t in TRANSFORMS for t in transforms.values()):
        top.fail("must give one of " + ", ".join(TRANSFORMS) + " for each variable", "transforms")
    trend = params.choice("trend", TRENDS)
    deterministic, exog, kind, kind_spec = Deterministic(), [], kind_of("var"), None
    if format_version >= DUMMIES_FORMAT_VERSION:
        deterministic = _check_deterministic(params, document)
        exog = _check_exog(top, variables)
        name = document.get("kind", "var")
        if name not in KINDS:
            top.fail(f"is not a model kind ({' or '.join(KINDS)})", "kind")
        kind = kind_of(name)
        kind_spec = kind.check(top, variables, p, trend, deterministic, transforms)
        if not deterministic and not exog and kind_spec is None:
            top.fail("holds neither dummies nor exogenous variables (format 3 is for versions with them)", "exog")
    regressors = (deterministic.count, len(exog)) if format_version >= DUMMIES_FORMAT_VERSION else None
    _check_parameters(params, p, k, trend, regressors)
    params.choice("chosen_by", (*CRITERIA, "fixed"))
    if format_version >= 2:
        production = top.sub("production")
        _check_parameters(production, p, k, trend, regressors)
        sample = production.sub("sample")
        _timestamp(sample, "start")
        _timestamp(sample, "end")
        sample.integer("rows", 0, 10**9)
        _check_stability(production.sub("stability"), k, p)
    data = top.sub("data")
    data.text("source", 1000)
    frequency = data.text("frequency", 32)
    try:
        pd.tseries.frequencies.to_offset(frequency)
    except (ValueError, TypeError):
        data.fail("is not a frequency", "frequency")
    for part in ("train", "test"):
        span = data.sub(part)
        _timestamp(span, "start")
        _timestamp(span, "end")
        span.integer("rows", 0, 10**9)
    data.items("notes", 100, is_text, "text")
    selection = top.sub("lag_selection")
    selection.integer("max_lags", 0, limits.max_lag_order)
    selection.choice("trend", TRENDS)
    chosen = selection.mapping("selected", len(CRITERIA))
    if not all(c in CRITERIA and isinstance(v, int) and not isinstance(v, bool) for c, v in chosen.items()):
        selection.fail("is not a lag order per criterion", "selected")
    table = selection.items("table", limits.max_lag_order + 1, lambda row: isinstance(row, dict), "rows")
    for row in table:
        Fields(row, key, "lag_selection.table[]").integer("p", 0, limits.max_lag_order)
        if not all(row.get(c) is None or is_number(row.get(c)) for c in CRITERIA):
            selection.fail("holds a criterion that is not a number", "table")
    test = top.sub("test")
    test.number("alpha")
    metrics = test.mapping("metrics", k)
    if sorted(metrics) != sorted(variables):
        test.fail("must hold metrics for each variable", "metrics")
    for entry in metrics.values():
        row = Fields(entry, key, "test.metrics[]")
        row.number("rmse")
        row.number("mae")
        row.number("mape", optional=True)
        row.number("theil_u", optional=True)
        row.integer("mape_skipped_zeros", 0, 10**9)
    _check_stability(top.sub("stability"), k, p)
    packages = top.mapping("packages", 50)
    if not all(is_text(n, 100) and is_text(v, 100) for n, v in packages.items()):
        top.fail("is not a table of package versions", "packages")
    if "lineage" in document:
        _check_lineage(top.sub("lineage"), variables, limits)
    if "estimation" in document:  # versions stored before it have none
        estimation = top.sub("estimation")
        fits = estimation.mapping("fits", 2)
        if not set(fits) <= {ORIGIN_TRAIN, ORIGIN_DATA}:
            estimation.fail("names a fit other than train and data", "fits")
        for origin in fits:
            terms = kind.estimation_terms(variables, p, trend, [*deterministic.names(frequency), *exog], kind_spec,
                                          deterministic.seasons)  # fmt: skip
            _check_estimation(estimation.sub("fits").sub(origin), variables, p, trend,
                              [*deterministic.names(frequency), *exog], terms)  # fmt: skip


def _check_exog(top: Fields, variables: list[str]) -> list[str]:
    """Format 3's exogenous variables: distinct names that are not the model's variables, a transform each."""
    exog = top.sub("exog")
    names = exog.items("variables", MAX_EXOG, lambda v: is_text(v, MAX_NAME) and v != "", "names")
    if len(set(names)) != len(names) or set(names) & set(variables):
        exog.fail("must name distinct columns that are not the model's variables", "variables")
    transforms = exog.mapping("transforms", MAX_EXOG)
    if sorted(transforms) != sorted(names) or not all(t in TRANSFORMS for t in transforms.values()):
        exog.fail("must give one of " + ", ".join(TRANSFORMS) + " for each exogenous variable", "transforms")
    return list(names)


def _check_deterministic(params: Fields, document: dict[str, Any]) -> Deterministic:
    """Format 3's seasonal and date dummies: seasons of the data's frequency, at most MAX_DUMMIES dated dummies."""
    terms = params.sub("deterministic")
    seasons = terms.get("seasons")
    if isinstance(seasons, bool) or seasons not in (0, *SEASONS):
        terms.fail("is not 0, 4 or 12", "seasons")
    frequency = document.get("data", {}).get("frequency") if isinstance(document.get("data"), dict) else None
    if seasons and seasons_of(frequency if isinstance(frequency, str) else None) != seasons:
        terms.fail("does not match the data's frequency", "seasons")
    dummies = terms.items("dummies", MAX_DUMMIES, lambda d: isinstance(d, dict), "dummies")
    for entry in dummies:
        row = Fields(entry, params.key, "model.deterministic.dummies[]")
        row.choice("kind", DUMMY_KINDS)
        _timestamp(row, "date")
    return Deterministic.from_document({"seasons": seasons, "dummies": dummies})


def _check_estimation(
    fit: Fields, variables: list[str], p: int, trend: str, extra_terms: list[str], terms: list[str] | None = None
) -> None:
    """One fit's estimation output: exactly the terms of p lags of these variables, this trend and these dummies
    (or a VECM's `terms`), matrices of that shape holding numbers or null (undefined), statistics per equation and
    for the system."""
    k = len(variables)
    terms = terms if terms is not None else expected_terms(variables, p, trend, extra_terms)
    if fit.get("terms") != terms:
        fit.fail(f"does not list the {len(terms)} terms of a VAR({p}) with trend {trend}", "terms")
    for name in MATRICES:
        if not nested_numbers_or_null(fit.get(name), (len(terms), k)):
            fit.fail(f"does not have shape {(len(terms), k)} of numbers", name)
    equations = fit.sub("equations")
    for name in EQUATION_STATISTICS:
        if not nested_numbers_or_null(equations.get(name), (k,)):
            equations.fail(f"does not hold {k} numbers", name)
    for name in SYSTEM_STATISTICS:
        value = fit.get(name)
        if value is not None and not is_number(value):
            fit.fail("is not a number", name)
    if not nested_numbers(fit.get("sigma_u"), (k, k)):
        fit.fail(f"does not have shape {(k, k)} of finite numbers", "sigma_u")
    fit.integer("nobs", 0, 10**9)
    fit.boolean("centered")


def _check_parameters(params: Fields, p: int, k: int, trend: str, regressors: tuple[int, int] | None = None) -> None:
    """A fit's parameters (the evaluation fit's `model`, or `production`): shapes for p lags of k variables, and in
    format 3 for its (dummies, exogenous variables)."""
    n_trend = {"n": 0, "c": 1, "ct": 2}[trend]
    shapes = [("coefs", (p, k, k)), ("trend_coefs", (n_trend, k)), ("sigma_u", (k, k)),
              ("last_observations", (p, k)), ("last_levels", (k,))]  # fmt: skip
    if regressors is not None:
        dummies, exog = regressors
        shapes += [("dummy_coefs", (dummies, k)), ("exog_coefs", (exog, k)), ("last_exog_levels", (exog,))]
    for field_name, shape in shapes:
        if not nested_numbers(params.get(field_name), shape):
            params.fail(f"does not have shape {shape} of finite numbers", field_name)
    params.integer("n_totobs", 0, 10**9)
    params.integer("nobs", 0, 10**9)
    _timestamp(params, "last_date")


MAX_REVISION_ROWS = 100  # forecast steps compared, per variable (varlib.refresh.MAX_COMPARE_STEPS)


def _check_lineage(lineage: Fields, variables: list[str], limits: Limits) -> None:
    """A refresh's record: its parent, and the data and forecast revisions (bounded by the model's variables)."""
    parent = lineage.sub("parent")
    if not MODEL_NAME_PATTERN.fullmatch(parent.text("name", 64)):
        parent.fail("is not a model name", "name")
    if Version.from_text(parent.text("version", 64)) is None:
        parent.fail("is not a version", "version")
    if not re.fullmatch(r"[0-9a-f]{64}", parent.text("manifest_sha256", 64)):
        parent.fail("is not a sha256", "manifest_sha256")
    lineage.integer("new_rows", 0, 10**9)
    lineage.text("lag_order", 64)
    for entry in lineage.items("data_revisions", len(variables), lambda e: isinstance(e, dict), "revisions"):
        row = Fields(entry, lineage.key, "lineage.data_revisions[]")
        row.choice("variable", tuple(variables))
        row.integer("rows", 0, 10**9)
        row.number("largest_change")
        for name in ("at", "first", "last"):
            row.text(name, 40)
    revision = lineage.sub("forecast_revision")
    revision.choice("parent_origin", ORIGINS)
    rows = revision.items("rows", MAX_REVISION_ROWS * len(variables), lambda e: isinstance(e, dict), "rows")
    for entry in rows:
        row = Fields(entry, lineage.key, "lineage.forecast_revision.rows[]")
        row.text("date", 40)
        row.choice("variable", tuple(variables))
        row.number("parent")
        row.number("new")
    for entry in lineage.mapping("parent_metrics", limits.max_variables).values():
        row = Fields(entry, lineage.key, "lineage.parent_metrics[]")
        row.number("rmse", optional=True)
        row.number("theil_u", optional=True)


def _check_stability(stability: Fields, k: int, p: int) -> None:
    stability.boolean("stable")
    stability.number("max_modulus")
    stability.items("eigenvalue_moduli", max(k * p, 1), is_number, "numbers")


def _timestamp(fields: Fields, field: str) -> pd.Timestamp:
    text = fields.text(field, 40)
    try:
        moment = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        moment = pd.NaT
    if moment is pd.NaT or moment.tzinfo is not None:
        fields.fail("is not an ISO date", field)
    return moment


def model_from_document(document: dict[str, Any], key: str, limits: Limits = DEFAULT_LIMITS) -> VarModel:
    """The evaluation fit from model.json, after checking every field (check_model_document)."""
    check_model_document(document, key, limits)
    return _fit_from(document, document["model"], ORIGIN_TRAIN)


def production_from_document(document: dict[str, Any]) -> VarModel | None:
    """The production fit of a checked model.json; None for a version stored before it existed (format 1)."""
    if "production" not in document or document["format_version"] < 2:
        return None
    return _fit_from(document, document["production"], ORIGIN_DATA)


def _fit_from(document: dict[str, Any], params: dict[str, Any], origin: str) -> VarModel:
    variables = list(document["variables"])
    p, k = document["model"]["lag_order"], len(variables)
    trend = document["model"]["trend"]
    n_trend = {"n": 0, "c": 1, "ct": 2}[trend]
    deterministic = deterministic_of(document)
    exog = document["exog"] if document["format_version"] >= DUMMIES_FORMAT_VERSION else {"variables": []}
    m = len(exog["variables"])

    def array(field: str, shape: tuple[int, ...]) -> np.ndarray:
        return np.asarray(params[field], dtype=float).reshape(shape)

    return VarModel(
        variables=variables,
        transforms=[document["transforms"][v] for v in variables],
        trend=trend,
        coefs=array("coefs", (p, k, k)),
        trend_coefs=array("trend_coefs", (n_trend, k)),
        sigma_u=array("sigma_u", (k, k)),
        n_totobs=params["n_totobs"],
        last_observations=array("last_observations", (p, k)),
        last_levels=array("last_levels", (k,)),
        last_date=pd.Timestamp(params["last_date"]),
        freq=document["data"]["frequency"],
        origin=origin,
        deterministic=deterministic,
        dummy_coefs=array("dummy_coefs", (deterministic.count, k)) if "dummy_coefs" in params else np.zeros((0, k)),
        exog_variables=list(exog["variables"]),
        exog_transforms=[exog["transforms"][x] for x in exog["variables"]],
        exog_coefs=array("exog_coefs", (m, k)) if m else np.zeros((0, k)),
        last_exog_levels=array("last_exog_levels", (m,)) if m else np.zeros(0),
        vecm=kind_spec_of(document),
    )


def frame_from_csv(data: bytes, key: str, variables: list[str], freq: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(data), index_col="date", parse_dates=["date"], date_format="ISO8601")
        frame = frame.astype(float)
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise IntegrityError(f"{key} is not a readable CSV of dates and numbers.") from None
    if not isinstance(frame.index, pd.DatetimeIndex):  # a cell that is not an ISO date leaves the column as text
        raise IntegrityError(f"{key} is not a readable CSV of dates and numbers.")
    if list(frame.columns) != variables:
        raise IntegrityError(f"{key} does not have the model's variables as its columns.")
    if frame.index.tz is not None or not np.isfinite(frame.to_numpy()).all():
        raise IntegrityError(f"{key} holds dates with time zones, or missing or infinite values.")
    regular = pd.date_range(frame.index[0], periods=len(frame), freq=freq) if len(frame) else frame.index
    if frame.index.equals(regular):
        frame.index.freq = freq
    return frame


LIVE_FIELDS = ("deprecated", "aliases")
MAX_TERMS_WORDS = 4000  # seasonal dummies, MAX_DUMMIES date dummies and MAX_EXOG exogenous variables, in words


def kind_spec_of(document: dict[str, Any]) -> Any:
    """The kind's specification stored in a checked model.json (None for a VAR, and before format 3)."""
    if document["format_version"] < DUMMIES_FORMAT_VERSION:
        return None
    return kind_of(document.get("kind", "var")).spec_of(document)


def terms_of(document: dict[str, Any]) -> str:
    """A checked model.json's terms beyond the trend in words: 'seasonal dummies (quarterly, centred), exogenous
    oil (diff)'; "" for none."""
    words = deterministic_of(document).describe(document["data"]["frequency"])
    name = document.get("kind", "var") if document["format_version"] >= DUMMIES_FORMAT_VERSION else "var"
    said = kind_of(name).words(kind_spec_of(document))
    if said:
        words = ", ".join(w for w in (said, words) if w)
    if document["format_version"] >= DUMMIES_FORMAT_VERSION and document["exog"]["variables"]:
        exog = document["exog"]
        listed = "exogenous " + ", ".join(f"{x} ({exog['transforms'][x]})" for x in exog["variables"])
        words = f"{words}, {listed}" if words else listed
    return words


def deterministic_of(document: dict[str, Any]) -> Deterministic:
    """The seasonal and date dummies of a checked model.json (none before format 3)."""
    if document["format_version"] < DUMMIES_FORMAT_VERSION:
        return Deterministic()
    return Deterministic.from_document(document["model"]["deterministic"])


def _parent_of(document: dict[str, Any]) -> str:
    parent = document.get("lineage", {}).get("parent")
    return f"{parent['name']} {parent['version']}" if parent else ""


@dataclass(frozen=True)
class VersionSummary:
    """The key metadata of a version: one entry of a model's index, one row of a version listing."""

    name: str
    version: str
    created: str
    lag_order: int
    variables: list[str]
    transforms: dict[str, str]
    trend: str
    test_rmse: dict[str, float]
    train_start: str
    train_end: str
    test_start: str
    test_end: str
    stable: bool
    note: str = ""
    production: bool = False  # False: stored before production fits (format 1), "evaluation fit only"
    created_by: str = ""
    parent: str = ""  # a refresh's parent, e.g. "gdp 1.0.0"
    terms: str = ""  # seasonal and date dummies in words (Deterministic.describe); "" for none
    # Live state from aliases.json, filled in by listings (never stored in the index): the deprecation reason,
    # and the aliases that point at this version.
    deprecated: str | None = None
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_model_document(cls, document: dict[str, Any]) -> VersionSummary:
        data = document["data"]
        return cls(
            name=document["name"],
            version=document["version"],
            created=document["created"],
            lag_order=int(document["model"]["lag_order"]),
            variables=list(document["variables"]),
            transforms=dict(document["transforms"]),
            trend=document["model"]["trend"],
            test_rmse={v: m["rmse"] for v, m in document["test"]["metrics"].items()},
            train_start=data["train"]["start"],
            train_end=data["train"]["end"],
            test_start=data["test"]["start"],
            test_end=data["test"]["end"],
            stable=bool(document["stability"]["stable"]),
            note=document.get("note", ""),
            production="production" in document,
            created_by=document.get("created_by", ""),
            parent=_parent_of(document),
            terms=terms_of(document),
        )

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> VersionSummary:
        return cls(**{f: entry[f] for f in cls.__dataclass_fields__ if f in entry and f not in LIVE_FIELDS})

    @classmethod
    def from_index_entry(
        cls, version: str, entry: Any, index_key: str, limits: Limits = DEFAULT_LIMITS
    ) -> VersionSummary:
        """An index entry, checked field by field: a bad one is an IntegrityError naming the index and entry."""
        where = f"versions[{version[:40]!r}]" if isinstance(version, str) else "versions"
        fields = Fields(entry, index_key, where)
        if fields.text("version", 64) != version or Version.from_text(version) is None:
            fields.fail("does not hold a valid version matching its key", "version")
        for name in ("name", "created", "trend", "train_start", "train_end", "test_start", "test_end"):
            fields.text(name, 64)
        fields.text("note", optional=True)
        for optional_text in ("created_by", "parent"):
            if optional_text in entry:
                fields.text(optional_text, 200)
        if "terms" in entry:
            fields.text("terms", MAX_TERMS_WORDS)
        fields.integer("lag_order", 0, limits.max_lag_order)
        fields.boolean("stable")
        if "production" in entry:
            fields.boolean("production")
        fields.items("variables", limits.max_variables, lambda v: is_text(v, MAX_NAME), "names")
        transforms = fields.mapping("transforms", limits.max_variables)
        rmse = fields.mapping("test_rmse", limits.max_variables)
        if not all(is_text(n, MAX_NAME) and is_text(t, 16) for n, t in transforms.items()):
            fields.fail("is not a transform per variable", "transforms")
        if not all(is_text(n, MAX_NAME) and is_number(r) for n, r in rmse.items()):
            fields.fail("is not a number per variable", "test_rmse")
        return cls.from_dict(entry)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"aliases": list(self.aliases)}

    def index_entry(self) -> dict[str, Any]:
        """What the index stores: everything but the live state (aliases, deprecation) kept in aliases.json."""
        return {k: v for k, v in asdict(self).items() if k not in LIVE_FIELDS}

    @property
    def semver(self) -> Version:
        return Version.parse(self.version)

    @property
    def is_snapshot(self) -> bool:
        return self.semver.is_snapshot


@dataclass
class ModelVersion:
    """A stored version, loaded and verified: its parameters, metadata and level data."""

    name: str
    version: Version
    metadata: dict[str, Any]
    model: VarModel
    train_levels: pd.DataFrame | None  # None when loaded without data
    test_levels: pd.DataFrame | None
    manifest: dict[str, Any] = field(repr=False)
    manifest_etag: str = ""
    limits: Limits = field(default=DEFAULT_LIMITS, repr=False)
    production: VarModel | None = None  # the fit on every row; None for versions stored before it (format 1)
    manifest_sha256: str = ""  # of the stored manifest's bytes: what a refresh records as its parent

    @property
    def evaluation_only(self) -> bool:
        """Stored before production fits: forecasts start after the training rows whatever the origin asked."""
        return self.production is None

    def fit_for(self, origin: str | None = None) -> VarModel:
        """The fit that forecasts from `origin`: `data` (the production fit; the default) or `train`.

        A version stored before production fits has only its evaluation fit: the default falls back to it,
        and asking for `data` explicitly is refused, so that nobody takes an old forecast for a new one.
        """
        if origin is not None and origin not in ORIGINS:
            raise InvalidInput(f"Unknown forecast origin {str(origin)[:40]!r}: use data (from the end of the data) "
                               "or train (from the end of the training rows).")  # fmt: skip
        if origin == ORIGIN_TRAIN:
            return self.model
        if self.production is None:
            if origin == ORIGIN_DATA:
                raise InvalidInput(
                    f"{self.name} {self.version} was stored before versions had a production fit, so it can only "
                    f"forecast from the end of its training data ({self.model.last_date.date()}): use origin train."
                )
            return self.model
        return self.production

    def forecast(
        self, steps: int, alpha: float = 0.05, origin: str | None = None, exog_path: pd.DataFrame | None = None
    ) -> Forecast:
        """Level forecasts from `origin` (see fit_for); the Forecast says which origin it holds. With exogenous
        variables, their path over the forecast dates (levels); from the training rows it defaults to their test
        data, where the steps stay within them."""
        fit = self.fit_for(origin)
        if exog_path is None and fit.exog_variables and fit.origin == ORIGIN_TRAIN and self.test_levels is not None:
            exog_path = self.test_levels[fit.exog_variables]
        return fit.forecast(steps, alpha, self.limits, exog_path=exog_path)

    def forecast_csv(
        self, steps: int, alpha: float = 0.05, origin: str | None = None, exog_path: pd.DataFrame | None = None
    ) -> str:
        """The forecast as CSV, with the test actuals where the steps overlap them."""
        return self.forecast(steps, alpha, origin, exog_path).to_csv(self.test_levels)

    @property
    def levels(self) -> pd.DataFrame | None:
        """All the version's data (training, then test rows); None when loaded without data."""
        if self.train_levels is None or self.test_levels is None:
            return None
        return pd.concat([self.train_levels, self.test_levels])

    @property
    def estimation(self) -> dict[str, EstimationOutput]:
        """The estimation output of each stored fit ("train", "data"); empty for versions stored before it."""
        fits = self.metadata.get("estimation", {}).get("fits", {})
        return {origin: estimation_from_document(doc, self.model.variables) for origin, doc in fits.items()}

    @property
    def summary(self) -> VersionSummary:
        return VersionSummary.from_model_document(self.metadata)

    @property
    def spec(self) -> TrainSpec:
        """The training specification this version was fitted with (for backtests and refits)."""
        meta = self.metadata
        chosen_by = meta["model"]["chosen_by"]
        fixed = chosen_by == "fixed"
        model = self.model
        dummies = {kind: [period_label(d.date, model.freq) for d in model.deterministic.dummies if d.kind == kind]
                   for kind in (IMPULSE, STEP)}  # fmt: skip
        return TrainSpec(
            variables=list(meta["variables"]),
            transforms=dict(meta["transforms"]) | dict(zip(model.exog_variables, model.exog_transforms, strict=True)),
            test_size=int(meta["data"]["test"]["rows"]),
            max_lags=int(meta["lag_selection"]["max_lags"]),
            criterion=None if fixed else chosen_by,
            lags=int(meta["model"]["lag_order"]) if fixed else None,
            trend=meta["model"]["trend"],
            alpha=float(meta["test"]["alpha"]),
            seasonal=bool(model.deterministic.seasons),
            impulse_dummies=dummies[IMPULSE],
            step_dummies=dummies[STEP],
            exog=list(model.exog_variables),
            kind=model.kind,
            coint_rank=model.vecm.rank if model.vecm else None,
            vecm_deterministic=model.vecm.deterministic if model.vecm else "ci",
        )
