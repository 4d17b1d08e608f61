"""Bounds on the work one model or one request may cause.

A stored document is untrusted: before any work, its size and shape are checked against these limits (a model
outside them is an integrity error naming the field), and a request is checked before it runs (a clear
InvalidInput naming the limit). Training refuses what could never be loaded. Each limit can be raised or lowered
with an environment variable of the same name in upper case, prefixed VARLIB_ (e.g. VARLIB_MAX_VARIABLES).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from varlib.errors import ConfigurationError, InvalidInput

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_variables: int = 100  # K
    max_lag_order: int = 48  # p (12 years of quarters, 4 of months)
    max_coefficients: int = 250_000  # K²·p: the size of the coefficient matrices
    max_forecast_cells: int = 10_000_000  # steps × K²: the size of one forecast's covariance work
    max_model_bytes: int = 16 * MIB  # model.json
    max_data_bytes: int = 64 * MIB  # train.csv, test.csv
    max_manifest_bytes: int = 64 * 1024  # manifest.json (holds three checksums and a signature)
    max_index_bytes: int = 32 * MIB  # index.json (about 1 kB per version)

    @classmethod
    def from_settings(cls, settings: Mapping[str, str] | None = None) -> Limits:
        """Defaults, overridden by VARLIB_MAX_* settings; a bad value is a configuration error naming it."""
        env = os.environ if settings is None else settings
        values = {}
        for item in fields(cls):
            name = setting_name(item.name)
            text = env.get(name)
            if text is None or text == "":
                continue
            try:
                value = int(text)
            except ValueError:
                raise ConfigurationError(f"{name} must be a whole number, got {_shown(text)}.") from None
            if value < 1:
                raise ConfigurationError(f"{name} must be at least 1, got {value}.")
            values[item.name] = value
        return cls(**values)

    def check_shape(self, k: int, p: int, where: str) -> None:
        """Refuse K variables with p lags beyond the limits (InvalidInput naming the limit)."""
        if k > self.max_variables:
            raise InvalidInput(f"{where}: {k} variables, more than the {self.max_variables} allowed "
                               f"({setting_name('max_variables')}).")  # fmt: skip
        if p > self.max_lag_order:
            raise InvalidInput(f"{where}: lag order {p}, more than the {self.max_lag_order} allowed "
                               f"({setting_name('max_lag_order')}).")  # fmt: skip
        if k * k * p > self.max_coefficients:
            raise InvalidInput(
                f"{where}: {k} variables with {p} lags make {k * k * p:,} coefficients, more than the "
                f"{self.max_coefficients:,} allowed ({setting_name('max_coefficients')})."
            )

    def max_steps(self, k: int) -> int:
        return max(1, self.max_forecast_cells // max(k * k, 1))

    def check_forecast(self, steps: int, k: int) -> None:
        """Refuse a forecast whose work (steps × K²) is beyond the limit, before any of it is done."""
        if steps * k * k > self.max_forecast_cells:
            raise InvalidInput(
                f"A forecast of {steps} steps for {k} variables is beyond the limit of "
                f"{self.max_forecast_cells:,} steps × variables² ({setting_name('max_forecast_cells')}); "
                f"ask for at most {self.max_steps(k)} steps."
            )


def setting_name(field_name: str) -> str:
    return "VARLIB_" + field_name.upper()


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


DEFAULT_LIMITS = Limits()
LIMIT_SETTINGS = tuple(setting_name(item.name) for item in fields(Limits))  # VARLIB_MAX_VARIABLES, ...


def finite_positive_seconds(settings: Mapping[str, str], name: str, default: float, maximum: float) -> float:
    """A duration setting in seconds: a number above 0 and at most `maximum`; else a configuration error."""
    text = settings.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds, got {_shown(text)}.") from None
    if not math.isfinite(value) or value <= 0 or value > maximum:
        raise ConfigurationError(f"{name} must be more than 0 and at most {maximum:g} seconds, got {_shown(text)}.")
    return value
