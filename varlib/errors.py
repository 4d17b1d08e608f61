"""The varlib error tree: every failure a user can cause or meet is one of these.

The CLI maps them to exit codes and the service to HTTP statuses, each in one place.
Messages are single sentences that say what failed and where, and never carry secrets.
"""

from __future__ import annotations

import re


class VarlibError(Exception):
    """Base of all errors varlib raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(VarlibError):
    """Data, parameters, model names or versions that cannot be used.

    A message may name the input to change as `{input:NAME}` (e.g. `{input:date_order}`): each front end words it
    its own way (`worded`): a flag in the CLI, a field in the dashboard; `str()` gives neutral words.
    """

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.template = message
        self.message = self.worded({})

    def worded(self, names: dict[str, str]) -> str:
        """The message with each `{input:NAME}` replaced by `names[NAME]`, or by the library's own words."""
        words = LIBRARY_INPUTS | names
        return re.sub(r"\{input:(\w+)\}", lambda m: words.get(m.group(1), m.group(1).replace("_", " ")),
                      self.template)  # fmt: skip


# How each input is named, per front end (see InvalidInput.worded).
LIBRARY_INPUTS = {
    "date_order": "the date order (date_order='day-first' or 'month-first')",
    "date_format": "date_format (e.g. '%d.%m.%Y')",
    "missing": "missing='drop' or 'interpolate'",
    "missing_interpolate": "missing='interpolate'",
    "date_column": "date_column",
    "delimiter": "delimiter",
    "decimal": "the decimal mark (decimal='.' or ',')",
    "thousands": "thousands",
    "encoding": "encoding",
    "sheet": "sheet",
    "gaps": "gaps='carry-forward' or 'interpolate'",
    "aggregate": "aggregate='monthly', 'quarterly' or 'yearly'",
    "start": "start",
    "end": "end",
    "seasonal": "seasonal=True",
    "dummy": "impulse dummy",
    "step_dummy": "step dummy",
    "exog": "exog",
    "exog_path": "exog_path",
    "coint_rank": "coint_rank",
    "deterministic": "deterministic",
    "kind": "kind",
    "transform": "the transform",
}
CLI_INPUTS = {
    "date_order": "--date-order day-first or --date-order month-first",
    "date_format": "--date-format (e.g. %d.%m.%Y)",
    "missing": "--missing drop or --missing interpolate",
    "missing_interpolate": "--missing interpolate",
    "date_column": "--date-column",
    "delimiter": "--delimiter",
    "decimal": "--decimal . or --decimal ,",
    "thousands": "--thousands",
    "encoding": "--encoding",
    "sheet": "--sheet",
    "gaps": "--fill-gaps carry-forward or interpolate",
    "aggregate": "--aggregate monthly, quarterly or yearly",
    "start": "--start",
    "end": "--end",
    "seasonal": "--seasonal",
    "dummy": "--dummy",
    "step_dummy": "--step-dummy",
    "exog": "--exog",
    "exog_path": "--exog-path",
    "coint_rank": "--coint-rank",
    "deterministic": "--deterministic",
    "kind": "--kind",
    "transform": "--transform",
}
DASHBOARD_INPUTS = {
    "date_order": "day-first or month-first in the Date order field",
    "date_format": "the Date format field (e.g. %d.%m.%Y)",
    "missing": "drop or interpolate in the Missing values field",
    "missing_interpolate": "interpolate in the Missing values field",
    "date_column": "the Date column field",
    "delimiter": "the Separator field",
    "decimal": "the Decimal mark field",
    "thousands": "the Thousands separator field",
    "encoding": "the Encoding field",
    "sheet": "the Sheet field",
    "gaps": "carry forward or interpolate in the Calendar gaps field",
    "aggregate": "a frequency in the Aggregate to field",
    "start": "the From field",
    "end": "the To field",
    "seasonal": "the Seasonal dummies box",
    "dummy": "Impulse dummy",
    "step_dummy": "Step dummy",
    "exog": "the Exogenous variables field",
    "exog_path": "the table of the exogenous variables' future values",
    "coint_rank": "the Cointegration rank field",
    "deterministic": "the VECM deterministic terms field",
    "kind": "the Model kind field",
    "transform": "the Transform per variable fields",
}
# The REST service: the forecast request's body fields.
API_INPUTS = {
    "exog_path": 'the body\'s exog rows ([{"date": ..., VARIABLE: value}, ...])',
}


class NotFound(VarlibError):
    """A model, version or object that does not exist in the store."""

    exit_code = 3


class VersionExists(VarlibError):
    """A release version that is already published (or being published right now)."""

    exit_code = 4


class IntegrityError(VarlibError):
    """A stored object that fails its checksum or cannot be parsed: corrupted or tampered."""

    exit_code = 5


class StoreError(VarlibError):
    """The store cannot be reached or refuses the request (down, bad credentials, timeout)."""

    exit_code = 6


class PreconditionFailed(StoreError):
    """A conditional write lost: the object exists, or changed since it was read."""


class AnswerLost(StoreError):
    """A request reached the store and its answer did not come back (a timeout, a dropped connection, a gateway
    error): it may or may not have taken effect. Writes settle it by reading back (varlib.store.confirmed)."""


class OutcomeUnknown(StoreError):
    """A write whose answer was lost, on a store that could not then be read: whether it took effect is unknown.
    `reason` says what failed, for a caller that words the whole operation's outcome."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ConfigurationError(StoreError):
    """A setting (environment variable or secret) that cannot be used; the message names the setting."""


class Unauthorized(VarlibError):
    """A call to the service without a valid bearer token."""

    exit_code = 7


class Forbidden(VarlibError):
    """A valid token without the scope the call needs."""

    exit_code = 8
