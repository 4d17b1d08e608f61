"""The one artifact format of a model version: JSON parameters, CSV data, a checksum manifest.

<name>/<MAJOR_MINOR_PATCH[-SNAPSHOT]>/model.json     parameters and metadata (no pickle)
                                     train.csv      level data the version was trained on
                                     test.csv       level data it was tested on
                                     manifest.json  sha256 and size of the three above; written last
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

import numpy as np
import pandas as pd

from varlib._version import __version__
from varlib.errors import IntegrityError
from varlib.model import Forecast, VarModel, dated_csv
from varlib.naming import Version
from varlib.training import TrainResult, TrainSpec

MODEL_FORMAT = "varlib.var-model"
MANIFEST_FORMAT = "varlib.manifest"
FORMAT_VERSION = 1
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
        "start": frame.index[0].strftime("%Y-%m-%d"),
        "end": frame.index[-1].strftime("%Y-%m-%d"),
        "rows": len(frame),
    }


def model_document(result: TrainResult, name: str, version: Version, note: str, created: str) -> dict[str, Any]:
    """Everything model.json holds: parameters to forecast, plus metadata to judge the version."""
    model = result.model
    spec = result.spec
    return {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": str(version),
        "created": created,
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
            "last_date": model.last_date.strftime("%Y-%m-%d"),
        },
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
        "stability": {
            "stable": result.stability.stable,
            "max_modulus": result.stability.max_modulus,
            "eigenvalue_moduli": result.stability.eigenvalue_moduli,
        },
        "packages": _package_versions(),
    }


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    return dated_csv(frame).encode()


def to_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2, allow_nan=False).encode()


def version_objects(result: TrainResult, name: str, version: Version, note: str, created: str) -> dict[str, bytes]:
    """The data objects of a version (manifest excluded), by file name."""
    return {
        MODEL_FILE: to_json(model_document(result, name, version, note, created)),
        TRAIN_FILE: frame_to_csv(result.train_levels),
        TEST_FILE: frame_to_csv(result.test_levels),
    }


def manifest_document(objects: dict[str, bytes], name: str, version: Version, created: str) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        "version": str(version),
        "created": created,
        "objects": {file: {"sha256": sha256_hex(data), "size": len(data)} for file, data in sorted(objects.items())},
    }


SIGNATURE_ALGORITHM = "HMAC-SHA256"


def _signed_bytes(manifest: dict[str, Any]) -> bytes:
    """The canonical bytes a signature covers: the manifest without its signature, keys sorted."""
    unsigned = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def sign_manifest(manifest: dict[str, Any], key: bytes) -> dict[str, Any]:
    signature = hmac.new(key, _signed_bytes(manifest), hashlib.sha256).hexdigest()
    return {**manifest, "signature": {"algorithm": SIGNATURE_ALGORITHM, "value": signature}}


def verify_signature(manifest: dict[str, Any], key: bytes, manifest_key: str) -> None:
    """Refuse a manifest that is unsigned or signed with another key (or changed since it was signed)."""
    signature = manifest.get("signature")
    if not isinstance(signature, dict) or not isinstance(signature.get("value"), str):
        raise IntegrityError(
            f"{manifest_key} is not signed, and this store requires signed versions (VARLIB_SIGNING_KEY is set)."
        )
    if signature.get("algorithm") != SIGNATURE_ALGORITHM:
        raise IntegrityError(
            f"{manifest_key} is signed with {signature.get('algorithm')!r}, not {SIGNATURE_ALGORITHM}."
        )
    expected = hmac.new(key, _signed_bytes(manifest), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature["value"]):
        raise IntegrityError(
            f"{manifest_key} has a signature that does not match: it was changed, or signed with another key."
        )


def parse_json(data: bytes, key: str) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise IntegrityError(f"{key} is not valid JSON: it is corrupted or was changed after publishing.") from None
    if not isinstance(document, dict):
        raise IntegrityError(f"{key} does not hold a JSON object: it is corrupted or was changed after publishing.")
    return document


def check_manifest(manifest: dict[str, Any], key: str, name: str, version: Version) -> dict[str, dict]:
    """The manifest's object table, after checking it describes this version and every data object."""
    if manifest.get("format") != MANIFEST_FORMAT:
        raise IntegrityError(f"{key} is not a varlib manifest.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IntegrityError(
            f"{key} has format version {manifest.get('format_version')!r}; this varlib reads version {FORMAT_VERSION}."
        )
    if manifest.get("name") != name or manifest.get("version") != str(version):
        raise IntegrityError(f"{key} describes {manifest.get('name')!r} {manifest.get('version')!r}, not this version.")
    objects = manifest.get("objects")
    if not isinstance(objects, dict) or sorted(objects) != sorted(DATA_OBJECTS):
        raise IntegrityError(f"{key} does not list exactly {', '.join(DATA_OBJECTS)}.")
    for file, entry in objects.items():
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(entry.get("size"), int)
        ):
            raise IntegrityError(f"{key} has no valid sha256 and size for {file}.")
    return objects


def verify_object(data: bytes, entry: dict[str, Any], key: str) -> None:
    if len(data) != entry["size"] or sha256_hex(data) != entry["sha256"]:
        raise IntegrityError(
            f"{key} fails its checksum (sha256 in the manifest does not match): "
            "it is corrupted or was changed after publishing."
        )


def _array(document: dict, field_name: str, shape: tuple[int, ...], key: str) -> np.ndarray:
    try:
        value = np.asarray(document[field_name], dtype=float).reshape(shape)
    except (KeyError, TypeError, ValueError):
        raise IntegrityError(f"{key}: field model.{field_name} is missing or does not have shape {shape}.") from None
    if not np.isfinite(value).all():
        raise IntegrityError(f"{key}: field model.{field_name} holds non-finite numbers.")
    return value


def model_from_document(document: dict[str, Any], key: str) -> VarModel:
    """Rebuild the parameter-only model from model.json, checking every field it needs."""
    if document.get("format") != MODEL_FORMAT or document.get("format_version") != FORMAT_VERSION:
        raise IntegrityError(f"{key} is not a varlib model of format version {FORMAT_VERSION}.")
    try:
        variables = [str(v) for v in document["variables"]]
        transforms = [str(document["transforms"][v]) for v in variables]
        params = document["model"]
        p, k = int(params["lag_order"]), len(variables)
        trend = str(params["trend"])
        n_trend = {"n": 0, "c": 1, "ct": 2}[trend]
        model = VarModel(
            variables=variables,
            transforms=transforms,
            trend=trend,
            coefs=_array(params, "coefs", (p, k, k), key),
            trend_coefs=_array(params, "trend_coefs", (n_trend, k), key),
            sigma_u=_array(params, "sigma_u", (k, k), key),
            n_totobs=int(params["n_totobs"]),
            last_observations=_array(params, "last_observations", (p, k), key),
            last_levels=_array(params, "last_levels", (k,), key),
            last_date=pd.Timestamp(params["last_date"]),
            freq=str(document["data"]["frequency"]),
        )
        pd.tseries.frequencies.to_offset(model.freq)
    except IntegrityError:
        raise
    except (KeyError, TypeError, ValueError):
        raise IntegrityError(f"{key} lacks a field the model needs, or holds one of the wrong type.") from None
    return model


def frame_from_csv(data: bytes, key: str, variables: list[str], freq: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(data), index_col="date", parse_dates=["date"])
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise IntegrityError(f"{key} is not a readable CSV with a date column.") from None
    if list(frame.columns) != variables:
        raise IntegrityError(f"{key} has columns {list(frame.columns)}, expected {variables}.")
    frame = frame.astype(float)
    regular = pd.date_range(frame.index[0], periods=len(frame), freq=freq) if len(frame) else frame.index
    if frame.index.equals(regular):
        frame.index.freq = freq
    return frame


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
        )

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> VersionSummary:
        return cls(**{f: entry[f] for f in cls.__dataclass_fields__ if f in entry})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

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

    def forecast(self, steps: int, alpha: float = 0.05) -> Forecast:
        return self.model.forecast(steps, alpha)

    def forecast_csv(self, steps: int, alpha: float = 0.05) -> str:
        """The forecast as CSV, with the test actuals where the steps overlap them."""
        return self.forecast(steps, alpha).to_csv(self.test_levels)

    @property
    def summary(self) -> VersionSummary:
        return VersionSummary.from_model_document(self.metadata)

    @property
    def spec(self) -> TrainSpec:
        """The training specification this version was fitted with (for backtests and refits)."""
        meta = self.metadata
        chosen_by = meta["model"]["chosen_by"]
        fixed = chosen_by == "fixed"
        return TrainSpec(
            variables=list(meta["variables"]),
            transforms=dict(meta["transforms"]),
            test_size=int(meta["data"]["test"]["rows"]),
            max_lags=int(meta["lag_selection"]["max_lags"]),
            criterion=None if fixed else chosen_by,
            lags=int(meta["model"]["lag_order"]) if fixed else None,
            trend=meta["model"]["trend"],
            alpha=float(meta["test"]["alpha"]),
        )
