"""varlib: VAR models for macro analysts, stored as verified, versioned parameters in object storage."""

from varlib._version import __version__
from varlib.artifact import ModelVersion, VersionSummary
from varlib.data import Dataset, load_dataset, load_macrodata, read_csv
from varlib.errors import (
    IntegrityError,
    InvalidInput,
    NotFound,
    StoreError,
    VarlibError,
    VersionExists,
)
from varlib.model import Forecast, VarModel
from varlib.naming import Version, validate_model_name
from varlib.registry import ModelRegistry, PublishReceipt
from varlib.store import ModelStore, open_store
from varlib.training import LagSelection, TrainResult, TrainSpec, select_lag_order, train

__all__ = [
    "Dataset",
    "Forecast",
    "IntegrityError",
    "InvalidInput",
    "LagSelection",
    "ModelRegistry",
    "ModelStore",
    "ModelVersion",
    "NotFound",
    "PublishReceipt",
    "StoreError",
    "TrainResult",
    "TrainSpec",
    "VarModel",
    "VarlibError",
    "Version",
    "VersionExists",
    "VersionSummary",
    "__version__",
    "load_dataset",
    "load_macrodata",
    "open_store",
    "read_csv",
    "select_lag_order",
    "train",
    "validate_model_name",
]
