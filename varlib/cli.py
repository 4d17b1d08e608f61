"""`python -m varlib`: train, publish, list and forecast from the command line.

Errors end the command with one line on stderr and the error's exit code; never a traceback
(set VARLIB_DEBUG=1 to see one for an unexpected failure).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from varlib.analysis import estimation_document, version_estimation
from varlib.artifact import VersionSummary
from varlib.data import (
    AGGREGATIONS,
    DATE_ORDERS,
    MACRODATA,
    MISSING_POLICIES,
    TARGET_FREQUENCIES,
    Dataset,
    ReadOptions,
    inspect_file,
    load_dataset,
    read_csv,
    read_excel,
)
from varlib.deterministic import split_dates
from varlib.errors import CLI_INPUTS, InvalidInput, VarlibError
from varlib.exog import read_path_csv
from varlib.formats import chosen_by_words, estimation_text, stability_words, terms_words
from varlib.kinds import KINDS
from varlib.model import ORIGIN_DATA, ORIGINS, TRENDS, Forecast
from varlib.model import iso_timestamp as model_timestamp
from varlib.refresh import DEFAULT_COMPARE_STEPS, RefreshResult, refresh
from varlib.registry import ModelRegistry
from varlib.registry.aliases import describe_event
from varlib.serving import DEFAULT_CACHE_SIZE
from varlib.tokens import SCOPES, TOKENS_ENV, TokenTable, new_token, token_entry, validate_token_name
from varlib.training import CRITERIA, TrainResult, TrainSpec, train
from varlib.vecm import DETERMINISTIC_TERMS

UNEXPECTED_EXIT = 70
VERSION_HELP = "a version such as 0.0.1, latest (the highest release not deprecated), or @ALIAS (e.g. @production)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other varlib error, instead of argparse's usage block.
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


class _Formatter(argparse.HelpFormatter):
    """Every option's help shows its default, unless it has none or the help already says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


STORE_HELP = "store URL: file://PATH or s3://BUCKET (default: $VARLIB_STORE or file://.varstore)"


class _Commands:
    """Subcommands that take the global options after their name too, and describe themselves in --help."""

    def __init__(self, subparsers: argparse._SubParsersAction) -> None:
        self.subparsers = subparsers
        self.common = argparse.ArgumentParser(add_help=False)
        # SUPPRESS: given after the subcommand it sets the value, absent it leaves the global one alone.
        self.common.add_argument("--store", default=argparse.SUPPRESS, help=STORE_HELP)

    def add_parser(self, name: str, *, help: str) -> argparse.ArgumentParser:
        return self.subparsers.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                                          parents=[self.common], formatter_class=_Formatter)  # fmt: skip

    def nested(self, parser: argparse.ArgumentParser, dest: str) -> _Commands:
        return _Commands(parser.add_subparsers(dest=dest, required=True, parser_class=_Parser))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m varlib", description="VAR models for macro analysts, versioned in object storage.",
                     formatter_class=_Formatter)  # fmt: skip
    parser.add_argument("--store", help=STORE_HELP)
    commands = _Commands(parser.add_subparsers(dest="command", required=True, parser_class=_Parser))

    fit = commands.add_parser("train", help="select the lag order, fit a VAR, score it, optionally publish it")
    source = fit.add_mutually_exclusive_group()
    source.add_argument("--dataset", choices=[MACRODATA], help="a built-in dataset (default: macrodata)")
    source.add_argument("--csv", type=Path, help="a CSV file with a date column and numeric columns")
    source.add_argument("--xlsx", type=Path, help="an Excel workbook (.xlsx): a sheet with a date column and numbers")
    add_reading_options(fit)
    fit.add_argument("--columns", help="comma-separated variables (default: all but --exog)")
    fit.add_argument("--exog", help="comma-separated exogenous variables from the data (R vars' exogen=): regressors "
                     "of every equation; forecasts ahead need their future values (forecast --exog-path)")  # fmt: skip
    fit.add_argument(
        "--transform", default="none", help="none|diff|log|logdiff for all, or per variable: a=logdiff,b=diff"
    )
    fit.add_argument("--test-size", type=int, default=12, help="rows at the end held out for testing")
    fit.add_argument("--max-lags", type=int, default=12, help="largest lag order considered")
    order = fit.add_mutually_exclusive_group()
    order.add_argument("--ic", choices=CRITERIA, default="aic", help="criterion that chooses p")
    order.add_argument("--lags", type=int, help="a fixed lag order p instead of a criterion")
    fit.add_argument("--trend", choices=TRENDS, default="c", help="n: none, c: constant, ct: constant and trend")
    fit.add_argument("--kind", choices=KINDS, default="var",
                     help="var, or vecm: a vector error correction model of the (log) levels (transforms none or "
                     "log; p chosen on the levels VAR, p - 1 lagged differences)")  # fmt: skip
    fit.add_argument(
        "--coint-rank", type=int, help="VECM: the cointegration rank (default: chosen by Johansen's trace test at 5%%)"
    )
    fit.add_argument("--deterministic", choices=list(DETERMINISTIC_TERMS), default="ci",
                     help="VECM: deterministic terms as statsmodels names them: n none, co/ci a constant outside/"
                     "inside the cointegration relation, lo/li a linear trend outside/inside, colo, cili")  # fmt: skip
    fit.add_argument("--seasonal", action="store_true",
                     help="centred seasonal dummies for the data's frequency (monthly or quarterly), as R vars' "
                     "season=")  # fmt: skip
    fit.add_argument("--dummy", action="append", default=[], metavar="DATE",
                     help="an impulse dummy: 1 in this period, 0 elsewhere (e.g. 2008Q4; repeat for more)")  # fmt: skip
    fit.add_argument("--step-dummy", action="append", default=[], metavar="DATE",
                     help="a step dummy: 0 before this period, 1 from it on (e.g. 2008Q4; repeat)")  # fmt: skip
    fit.add_argument("--alpha", type=float, default=0.05, help="interval significance (0.05: 95%% intervals)")
    fit.add_argument("--publish", nargs=2, metavar=("NAME", "VERSION"), help="store the fitted model as this version")
    fit.add_argument("--note", default="", help="a note stored with the published version")
    fit.add_argument("--json", action="store_true", help="machine-readable output")

    listing = commands.add_parser("list", help="list models, or the versions of one model")
    listing.add_argument("name", nargs="?")
    listing.add_argument("--json", action="store_true")

    show = commands.add_parser("show", help="metadata of one version")
    show.add_argument("name")
    show.add_argument("version", help=VERSION_HELP)
    show.add_argument("--estimation", action="store_true",
                      help="also print the estimation output: coefficients with standard errors, t and p; R²; "
                      "log-likelihood, criteria, residual correlation")  # fmt: skip
    show.add_argument("--fit", choices=["data", "train"], default="data",
                      help="whose estimation output: data (the production fit, on all rows) or train (the "
                      "evaluation fit, on the training rows)")  # fmt: skip
    show.add_argument("--json", action="store_true", help="machine-readable output, estimation output included")

    forecast = commands.add_parser("forecast", help="forecast in levels, with intervals, from a stored version")
    forecast.add_argument("name")
    forecast.add_argument("version", help=VERSION_HELP)
    forecast.add_argument("--steps", type=int, required=True)
    forecast.add_argument("--alpha", type=float, default=0.05, help="interval significance (0.05: 95%% intervals)")
    forecast.add_argument(
        "--origin",
        choices=ORIGINS,
        help="data: from the end of the data, with the fit on all rows (the default); "
        "train: from the end of the training rows, with the evaluation fit, against the test data",
    )
    forecast.add_argument("--csv", type=Path, help="write the forecast to this CSV file")
    forecast.add_argument("--exog-path", type=Path,
                          help="for a model with exogenous variables: a CSV of their future values in levels, a date "
                          "column then a column per variable, a row per forecast date (from the end of the training "
                          "rows, their test data are used)")  # fmt: skip
    forecast.add_argument("--json", action="store_true")

    renew = commands.add_parser("refresh", help="refit a stored version's specification on new data, and compare")
    renew.add_argument("name")
    renew.add_argument("version", help=VERSION_HELP)
    renew_source = renew.add_mutually_exclusive_group(required=True)
    renew_source.add_argument("--csv", type=Path, help="the new data: a CSV with a date column and the variables")
    renew_source.add_argument("--xlsx", type=Path, help="the new data: an Excel workbook (.xlsx)")
    renew_source.add_argument("--dataset", choices=[MACRODATA], help="a built-in dataset")
    add_reading_options(renew)
    renew.add_argument("--reselect", action="store_true", help="choose the lag order again, by the stored criterion")
    renew.add_argument("--test-size", type=int, help="rows held out for testing (default: the stored test size)")
    renew.add_argument("--steps", type=int, default=DEFAULT_COMPARE_STEPS,
                       help="forecast steps compared with the parent's forecast")  # fmt: skip
    renew.add_argument("--publish", metavar="VERSION", help="publish the refresh as this version of NAME")
    renew.add_argument("--note", default="", help="a note stored with the published version")
    renew.add_argument("--json", action="store_true")

    look = commands.add_parser("inspect", help="what reading a CSV or Excel file would give, without training")
    look.add_argument("file", type=Path, help="a CSV file, or an Excel workbook (.xlsx)")
    add_reading_options(look)
    look.add_argument("--json", action="store_true")

    reindex = commands.add_parser("reindex", help="rebuild a model's version index from its manifests")
    reindex.add_argument("name")
    reindex.add_argument("--json", action="store_true")

    serve = commands.add_parser("serve", help="serve forecasts over HTTP (OpenAPI docs at /apidocs)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--cache-size", type=int, default=DEFAULT_CACHE_SIZE, help="release versions kept in memory")

    token = commands.add_parser("token", help="bearer tokens for the REST service (VARLIB_API_TOKENS)")
    token_commands = commands.nested(token, "token_command")
    token_create = token_commands.add_parser("create", help="make a token; prints it once, and its entry")
    token_create.add_argument("name", help="who uses it, e.g. forecasting-team (1-64 of A-Z, a-z, 0-9, _.@-)")
    token_create.add_argument("--scope", action="append", choices=SCOPES, help="read (the default) and/or write")
    token_create.add_argument("--json", action="store_true")

    delete = commands.add_parser("delete", help="delete a SNAPSHOT version (releases are immutable)")
    delete.add_argument("name")
    delete.add_argument("version")
    delete.add_argument("--json", action="store_true")

    alias = commands.add_parser("alias", help="named pointers to releases (production, candidate, ...)")
    alias_commands = commands.nested(alias, "alias_command")
    alias_set = alias_commands.add_parser("set", help="point an alias at a release (a move is kept in the history)")
    alias_set.add_argument("name")
    alias_set.add_argument("alias", help="1-64 of a-z, 0-9, '-', '_' (latest is reserved)")
    alias_set.add_argument("version", help="a release such as 1.0.0, latest, or @OTHER_ALIAS")
    alias_set.add_argument("--note", default="", help="why the alias moves (kept in the history)")
    alias_set.add_argument("--json", action="store_true")
    alias_list = alias_commands.add_parser("list", help="a model's aliases, deprecated releases and history")
    alias_list.add_argument("name")
    alias_list.add_argument("--json", action="store_true")
    alias_delete = alias_commands.add_parser("delete", help="remove an alias (kept in the history)")
    alias_delete.add_argument("name")
    alias_delete.add_argument("alias")
    alias_delete.add_argument("--note", default="")
    alias_delete.add_argument("--json", action="store_true")

    deprecate = commands.add_parser("deprecate", help="mark a release deprecated: latest skips it, aliases avoid it")
    deprecate.add_argument("name")
    deprecate.add_argument("version")
    deprecate.add_argument("--reason", required=True, help="shown wherever the release is listed")
    deprecate.add_argument("--json", action="store_true")
    undeprecate = commands.add_parser("undeprecate", help="lift a release's deprecation")
    undeprecate.add_argument("name")
    undeprecate.add_argument("version")
    undeprecate.add_argument("--note", default="")
    undeprecate.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except VarlibError as exc:
        message = exc.worded(CLI_INPUTS) if isinstance(exc, InvalidInput) else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("VARLIB_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}; rerun with VARLIB_DEBUG=1 for details.", file=sys.stderr)
        return UNEXPECTED_EXIT


def _registry(args: argparse.Namespace) -> ModelRegistry:
    return ModelRegistry.from_settings(args.store)


def _emit(args: argparse.Namespace, payload: Any, text: str) -> None:
    print(json.dumps(payload, indent=2) if args.json else text)


def parse_transforms(text: str, variables: list[str]) -> str | dict[str, str]:
    """'logdiff' for all, or 'a=logdiff,b=diff' (unnamed variables: none)."""
    if "=" not in text:
        return text.strip()
    transforms = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"Cannot read transform {part!r}: write VARIABLE=TRANSFORM, e.g. realgdp=logdiff.")
        if name.strip() not in variables:
            raise InvalidInput(f"Transform given for {name.strip()!r}, which is not among the chosen variables.")
        transforms[name.strip()] = value.strip()
    return transforms


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    """How to read a file; each is detected when not given (the Train page has the same fields)."""
    group = parser.add_argument_group("reading a file (each detected when not given)")
    group.add_argument("--date-column", help="the date column (default: detected; year and quarter columns are "
                       "combined)")  # fmt: skip
    group.add_argument("--date-order", choices=DATE_ORDERS, help="how to read dates like 01/02/2018 (default: the "
                       "order that gives evenly spaced dates)")  # fmt: skip
    group.add_argument("--date-format", help="the dates' format in strftime codes, e.g. %%d.%%m.%%Y")
    group.add_argument("--delimiter", help="the CSV's separator: comma, semicolon, tab or pipe")
    group.add_argument("--decimal", choices=[".", ","], help="the decimal mark")
    group.add_argument("--thousands", help="the thousands separator: , . ' or a space")
    group.add_argument("--encoding", help="the CSV's text encoding, e.g. utf-8, utf-16, cp1252")
    group.add_argument("--sheet", help="the Excel sheet (default: the first)")
    group.add_argument("--missing", choices=MISSING_POLICIES, default="error", help="empty cells: error (refuse; "
                       "the default), drop (rows at the start or end), interpolate")  # fmt: skip
    group.add_argument("--fill-gaps", choices=["carry-forward", "interpolate"],
                       help="dates absent from the calendar (business-day holidays, missing weeks): carry the last "
                       "value forward, or interpolate")  # fmt: skip
    group.add_argument("--aggregate", choices=list(TARGET_FREQUENCIES), help="aggregate to this lower frequency")
    group.add_argument("--aggregate-by", choices=AGGREGATIONS, default="mean", help="how to aggregate (default: "
                       "mean)")  # fmt: skip
    group.add_argument("--start", help="keep rows from this date (2018-01-01, 2018Q1 or 2018M01)")
    group.add_argument("--end", help="keep rows up to this date")


def reading_options(args: argparse.Namespace) -> ReadOptions:
    return ReadOptions(
        date_column=args.date_column, date_order=args.date_order, date_format=args.date_format,
        delimiter=args.delimiter, decimal=args.decimal, thousands=args.thousands, encoding=args.encoding,
        sheet=args.sheet, missing=args.missing, gaps=args.fill_gaps or "error", aggregate=args.aggregate,
        aggregate_by=args.aggregate_by, start=args.start, end=args.end,
    )  # fmt: skip


def _load_data(args: argparse.Namespace, columns: list[str] | None) -> Dataset:
    if args.csv is not None:
        return read_csv(args.csv, columns=columns, options=reading_options(args))
    if args.xlsx is not None:
        return read_excel(args.xlsx, columns=columns, options=reading_options(args))
    return load_dataset(args.dataset or MACRODATA)


def cmd_inspect(args: argparse.Namespace) -> int:
    reading = inspect_file(args.file, options=reading_options(args))
    _emit(args, reading.to_json(CLI_INPUTS), "\n".join(reading.lines(CLI_INPUTS)))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    exog = [c.strip() for c in args.exog.split(",") if c.strip()] if args.exog else []
    dataset = _load_data(args, [*columns, *[x for x in exog if x not in columns]] if columns else None)
    variables = columns or [v for v in dataset.variables if v not in exog]
    spec = TrainSpec.build(
        variables,
        parse_transforms(args.transform, [*variables, *exog]),
        test_size=args.test_size,
        max_lags=args.max_lags,
        criterion=None if args.lags is not None else args.ic,
        lags=args.lags,
        trend=args.trend,
        alpha=args.alpha,
        seasonal=args.seasonal,
        impulse_dummies=[d for text in args.dummy for d in split_dates(text)],
        step_dummies=[d for text in args.step_dummy for d in split_dates(text)],
        exog=exog,
        kind=args.kind,
        coint_rank=args.coint_rank,
        vecm_deterministic=args.deterministic,
    )
    registry = _registry(args) if args.publish else None
    if registry is not None:
        registry.planned_keys(*args.publish)  # refuse a bad name or version before the fit
    result = train(dataset, spec)
    payload = train_summary(result)
    text = format_train(result)
    if registry is not None:
        receipt = registry.publish(result, args.publish[0], args.publish[1], note=args.note)
        payload["published"] = {
            "name": receipt.name,
            "version": str(receipt.version),
            "keys": receipt.keys,
            "store": receipt.location,
            "index_updated": receipt.index_updated,
        }
        text += f"\n\nPublished {receipt.name} {receipt.version} to the {receipt.location}:\n"
        text += "\n".join(f"  {key}" for key in receipt.keys)
        if not receipt.index_updated:
            text += f"\nWarning: the version index was not updated; run `python -m varlib reindex {receipt.name}`."
    _emit(args, payload, text)
    return 0


def train_summary(result: TrainResult) -> dict[str, Any]:
    table = result.selection.table
    return {
        "variables": result.model.variables,
        "transforms": dict(zip(result.model.variables, result.model.transforms, strict=True)),
        "lag_order": result.model.lag_order,
        "chosen_by": result.chosen_by,
        "trend": result.model.trend,
        "deterministic": result.model.deterministic.to_document(),
        "lag_selection": {
            "selected": result.selection.selected,
            "table": [{"p": int(p), **row.to_dict()} for p, row in table.iterrows()],
        },
        "train": {"start": str(result.train_levels.index[0].date()), "end": str(result.train_levels.index[-1].date())},
        "test": {"start": str(result.test_levels.index[0].date()), "end": str(result.test_levels.index[-1].date())},
        "metrics": {v: asdict(m) for v, m in result.metrics.items()},
        "stability": asdict(result.stability),
        "production": {
            "sample": {
                "start": model_timestamp(result.levels.index[0]),
                "end": model_timestamp(result.levels.index[-1]),
                "rows": len(result.levels),
            },
            "nobs": result.production_nobs,
            "stability": asdict(result.production_stability),
            "forecast_starts": model_timestamp(result.production.forecast_dates(1)[0]),
        },
        "notes": result.notes,
    }


def format_train(result: TrainResult) -> str:
    table = result.selection.table.copy()
    marks = table.copy().astype(str)
    for column in table.columns:
        best = table[column].idxmin()
        marks[column] = [f"{v:.6g}{' *' if p == best else ''}" for p, v in table[column].items()]
    lines = ["Lag selection (* = minimum):", marks.to_string()]
    by = "fixed" if result.chosen_by == "fixed" else result.chosen_by.upper()
    terms = terms_words(result.model.trend, result.model.regressors_words())
    lines.append(f"\nChosen lag order: p = {result.model.lag_order} ({by}); deterministic terms: {terms}.")
    state = "stable" if result.stability.stable else "NOT stable"
    lines.append(f"Stability: {state} (largest companion eigenvalue modulus {result.stability.max_modulus:.4f}).")
    lines.append(
        f"Test: {result.test_levels.index[0].date()} to {result.test_levels.index[-1].date()} "
        f"({len(result.test_levels)} rows), forecast in levels:"
    )
    metrics = pd.DataFrame({v: asdict(m) for v, m in result.metrics.items()}).T
    lines.append(metrics.to_string(float_format=lambda x: f"{x:.4g}"))
    production = result.production_stability
    lines.append(
        f"Production fit (same specification, p = {result.model.lag_order}) on all {len(result.levels)} rows, "
        f"{model_timestamp(result.levels.index[0])} to {model_timestamp(result.levels.index[-1])}: "
        f"{'stable' if production.stable else 'NOT stable'} (modulus {production.max_modulus:.4f}); "
        f"forecasts ahead start {model_timestamp(result.production.forecast_dates(1)[0])}."
    )
    if result.vecm:
        johansen = result.vecm["johansen"]
        lines.append(f"Johansen's tests on the training rows ({johansen.nobs} observations): rank "
                     f"{johansen.rank_by_trace} by the trace test, {johansen.rank_by_max_eigenvalue} by the maximum "
                     "eigenvalue, at 5%:")  # fmt: skip
        lines.append(johansen.table.to_string(float_format=lambda x: f"{x:.4g}"))
    lines.extend(f"Note: {note}." for note in result.notes)
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    if args.name is None:
        models = registry.list_models()
        _emit(args, models, "\n".join(models) if models else f"No models in the {registry.store.location}.")
        return 0
    versions = registry.list_versions(args.name)
    _emit(args, [v.to_dict() for v in versions], format_versions(args.name, versions, registry.store.location))
    return 0


def format_versions(name: str, versions: list[VersionSummary], location: str) -> str:
    if not versions:
        return f"Model {name!r} has no versions in the {location}."
    rows = [
        {
            "version": v.version,
            "status": "DEPRECATED" if v.deprecated else ("SNAPSHOT" if v.is_snapshot else "release"),
            "aliases": " ".join("@" + a for a in v.aliases) or "-",
            "created": v.created,
            "by": v.created_by or "-",
            "p": v.lag_order,
            "variables": ",".join(v.variables),
            "test RMSE": ", ".join(f"{k}={r:.4g}" for k, r in v.test_rmse.items()),
            "fits": "both" if v.production else "evaluation only",
        }
        for v in versions
    ]
    text = pd.DataFrame(rows).to_string(index=False)
    deprecated = [f"{v.version} is deprecated: {v.deprecated}" for v in versions if v.deprecated]
    return text + "".join(f"\n{line}" for line in deprecated)


def cmd_show(args: argparse.Namespace) -> int:
    version = _registry(args).load(args.name, args.version)
    meta, model = version.metadata, version.model
    if version.production is None:
        fits = "evaluation fit only (stored before production fits): forecasts start after the training rows"
    else:
        sample = meta["production"]["sample"]
        fits = f"evaluation fit, and production fit on all {sample['rows']} rows to {sample['end']}"
    lineage = meta.get("lineage")
    text = "\n".join(
        [
            f"{version.name} {version.version} (created {meta['created']} by {meta.get('created_by') or 'unknown'})",
            f"fits: {fits}",
            *(
                [
                    f"refresh of {lineage['parent']['name']} {lineage['parent']['version']} with "
                    f"{lineage['new_rows']} new rows"
                ]
                if lineage
                else []
            ),
            f"variables: {', '.join(f'{v} ({t})' for v, t in meta['transforms'].items())}",
            f"lag order {meta['model']['lag_order']} {chosen_by_words(meta['model']['chosen_by'])}, "
            f"deterministic terms: {terms_words(model.trend, model.regressors_words())}",
            f"train {meta['data']['train']['start']} to {meta['data']['train']['end']}, "
            f"test {meta['data']['test']['start']} to {meta['data']['test']['end']}",
            f"evaluation fit {stability_words(meta['stability']['stable'])}",
            f"note: {meta.get('note') or '-'}",
        ]
    )
    if args.json:
        _emit(args, {"metadata": meta, "manifest": version.manifest, "estimation": estimation_document(version)}, "")
        return 0
    if args.estimation:
        estimation = version_estimation(version)
        if args.fit not in estimation.fits:
            raise InvalidInput(f"--fit data: {version.name} {version.version} was stored before versions had a "
                               "production fit; use --fit train.")  # fmt: skip
        fit = args.fit
        text += f"\n\n{estimation.describe()}\n{estimation_text(estimation.fits[fit], fit)}"
        if meta.get("kind") == "vecm":
            text += "\n\n" + cointegration_text(meta["vecm"], model.variables, fit)
    print(text)
    return 0


def cointegration_text(section: dict, variables: list[str], fit: str) -> str:
    """A stored VECM's cointegration relations (β, normalised) with standard errors, and Johansen's table."""
    stored = section["fits"][fit]
    lines = [f"Cointegration relations (β, normalised) of the {fit} fit:"]
    inside = (["const"] if "ci" in section["deterministic"] else []) + (["lin_trend"] if "li" in
                                                                        section["deterministic"] else [])  # fmt: skip
    for j in range(section["rank"]):
        for name, value, error in [(f"{v}(t-1)", stored["beta"][i][j], stored["stderr_beta"][i][j])
                                   for i, v in enumerate(variables)] + [
                                  (t, stored["det_coint"][i][j], stored["stderr_det_coint"][i][j])
                                  for i, t in enumerate(inside)]:  # fmt: skip
            shown = f"({error:.4g})" if error else "(normalised)"
            lines.append(f"  ec{j + 1}  {name:<24} {value: .4g} {shown}")
    lines.append("Johansen's tests on the training rows (H0: rank <= r0):")
    for row in section["johansen"]:
        lines.append(f"  r0 = {row['r0']}: trace {row['trace']:.4g} (95% {row['trace 95%']:.4g}), max-eigenvalue "
                     f"{row['max-eigenvalue']:.4g} (95% {row['max 95%']:.4g})")  # fmt: skip
    return "\n".join(lines)


def cmd_forecast(args: argparse.Namespace) -> int:
    version = _registry(args).load(args.name, args.version)
    exog_path = read_path_csv(args.exog_path) if args.exog_path is not None else None
    if exog_path is not None and not version.model.exog_variables:
        raise InvalidInput(f"--exog-path: {version.name} {version.version} has no exogenous variables; leave it out.")
    forecast = version.forecast(args.steps, args.alpha, args.origin, exog_path)
    csv_text = forecast.to_csv(version.test_levels)
    if args.csv is not None:
        try:
            args.csv.write_text(csv_text)
        except OSError as exc:
            raise InvalidInput(f"Cannot write the forecast to {args.csv}: {exc.strerror or exc}.") from None
    payload = {
        "name": version.name,
        "version": str(version.version),
        "alpha": args.alpha,
        "interval_level": forecast.interval_level,
        "origin": forecast.origin,
        "evaluation_only": version.evaluation_only,
        "forecast": forecast.to_records(version.test_levels),
    }
    if args.csv is not None:
        text = (f"Wrote {args.steps} rows of {version.name} {version.version} forecasts "
                f"{describe_origin(forecast)} to {args.csv}.")  # fmt: skip
    else:
        text = csv_text.rstrip("\n")
    if version.evaluation_only:
        print(f"Note: {version.name} {version.version} has the evaluation fit only (stored before production fits): "
              "its forecasts start after its training rows, not after the latest data.", file=sys.stderr)  # fmt: skip
    _emit(args, payload, text)
    return 0


def describe_origin(forecast: Forecast) -> str:
    """'from the end of the data (first step 2009-10-01), 95% intervals': what a forecast holds, in words."""
    where = "data" if forecast.origin == ORIGIN_DATA else "training rows"
    first = model_timestamp(forecast.point.index[0])
    return f"from the end of the {where} (first step {first}), {forecast.interval_level:g}% intervals"


def cmd_refresh(args: argparse.Namespace) -> int:
    registry = _registry(args)
    if args.publish:
        registry.planned_keys(args.name, args.publish)  # refuse a bad version before the fit
    parent = registry.load(args.name, args.version)
    dataset = _load_data(args, parent.model.variables if args.csv is not None or args.xlsx is not None else None)
    refreshed = refresh(parent, dataset, reselect=args.reselect, test_size=args.test_size, compare_steps=args.steps)
    payload = refresh_summary(refreshed)
    text = format_refresh(refreshed)
    if args.publish:
        receipt = registry.publish(refreshed.result, args.name, args.publish, note=args.note)
        payload["published"] = {"name": receipt.name, "version": str(receipt.version), "keys": receipt.keys,
                                "store": receipt.location, "index_updated": receipt.index_updated}  # fmt: skip
        text += f"\n\nPublished {receipt.name} {receipt.version} (parent {parent.name} {parent.version}) to the "
        text += f"{receipt.location}."
        if not receipt.index_updated:
            text += f"\nWarning: the version index was not updated; run `python -m varlib reindex {receipt.name}`."
    _emit(args, payload, text)
    return 0


def refresh_summary(refreshed: RefreshResult) -> dict[str, Any]:
    result = refreshed.result
    return {
        "parent": result.lineage["parent"],
        "new_rows": refreshed.new_rows,
        "data": {"start": model_timestamp(result.levels.index[0]), "end": model_timestamp(result.levels.index[-1])},
        "lag_order": result.model.lag_order,
        "lag_order_kept": refreshed.lag_order_kept,
        "data_revisions": [asdict(r) for r in refreshed.revisions],
        "forecast_revision": refreshed.forecast_revision.replace({float("nan"): None}).to_dict(orient="records"),
        "metrics": {
            "parent": refreshed.parent.metadata["test"]["metrics"],
            "new": {v: asdict(m) for v, m in result.metrics.items()},
        },
        "notes": refreshed.notes + result.notes,
    }


def format_refresh(refreshed: RefreshResult) -> str:
    result, parent = refreshed.result, refreshed.parent
    kept = "kept" if refreshed.lag_order_kept else f"reselected by {result.chosen_by.upper()}"
    lines = [
        f"Refreshed {parent.name} {parent.version}: {refreshed.new_rows} new rows, data now "
        f"{model_timestamp(result.levels.index[0])} to {model_timestamp(result.levels.index[-1])}; "
        f"lag order p = {result.model.lag_order} ({kept}), test size {len(result.test_levels)}.",
    ]
    if refreshed.revisions:
        lines.append("Data revisions (stored rows the new data change):")
        for r in refreshed.revisions:
            lines.append(f"  {r.variable}: {r.rows} rows from {r.first} to {r.last}, largest change "
                         f"{r.largest_change:+.6g} at {r.at}")  # fmt: skip
    else:
        lines.append("No data revisions: the stored rows are unchanged.")
    table = refreshed.forecast_revision.pivot(index="date", columns="variable", values=["parent", "new", "revision"])
    table = table.swaplevel(axis=1).reindex(columns=result.model.variables, level=0)
    lines.append(f"Forecast revision (new production forecast against {parent.version}'s, same dates):")
    lines.append(table.to_string(float_format=lambda x: f"{x:.6g}"))
    lines.append("Test metrics:")
    lines.append(refreshed.metrics.to_string(float_format=lambda x: f"{x:.4g}"))
    lines.extend(f"Note: {note}." for note in refreshed.notes + result.notes)
    return "\n".join(lines)


def cmd_reindex(args: argparse.Namespace) -> int:
    report = _registry(args).rebuild_index(args.name)
    text = f"Rebuilt the index of {args.name!r}: {len(report.versions)} versions."
    text += "".join(f"\nSkipped {problem}." for problem in report.skipped)
    payload = {"versions": [v.to_dict() for v in report.versions], "skipped": report.skipped}
    _emit(args, payload, text)
    return 0


def cmd_alias(args: argparse.Namespace) -> int:
    registry = _registry(args)
    if args.alias_command == "set":
        previous = registry.set_alias(args.name, args.alias, args.version, note=args.note)
        target = registry.resolve(args.name, "@" + args.alias)
        moved = f" (was {previous})" if previous else ""
        payload = {"name": args.name, "alias": args.alias, "version": str(target), "previous": previous or None}
        _emit(args, payload, f"@{args.alias} of {args.name} now points at {target}{moved}.")
    elif args.alias_command == "delete":
        removed = registry.delete_alias(args.name, args.alias, note=args.note)
        payload = {"name": args.name, "alias": args.alias, "deleted": True, "was": removed}
        _emit(args, payload, f"Deleted @{args.alias} of {args.name} (it pointed at {removed}).")
    else:
        lifecycle = registry.lifecycle(args.name)
        _emit(args, lifecycle.to_document(), format_lifecycle(args.name, lifecycle))
    return 0


def format_lifecycle(name: str, lifecycle: Any) -> str:
    lines = [f"Aliases of {name}:" if lifecycle.aliases else f"Model {name!r} has no aliases."]
    for alias, target in sorted(lifecycle.aliases.items()):
        lines.append(f"  @{alias} -> {target.version} (since {target.at}, by {target.by})")
    for version, deprecation in sorted(lifecycle.deprecated.items()):
        lines.append(f"Deprecated {version}: {deprecation.reason} ({deprecation.at}, by {deprecation.by})")
    if lifecycle.history:
        lines.append("History (oldest first):")
    for event in lifecycle.history:
        lines.append("  " + describe_event(event))
    return "\n".join(lines)


def cmd_deprecate(args: argparse.Namespace) -> int:
    release = _registry(args).deprecate(args.name, args.version, args.reason)
    payload = {"name": args.name, "version": str(release), "deprecated": args.reason.strip()}
    _emit(args, payload, f"Deprecated {args.name} {release}: latest now skips it and no alias can be moved onto it.")
    return 0


def cmd_undeprecate(args: argparse.Namespace) -> int:
    release = _registry(args).undeprecate(args.name, args.version, note=args.note)
    _emit(args, {"name": args.name, "version": str(release), "deprecated": None},
          f"{args.name} {release} is no longer deprecated.")  # fmt: skip
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    _registry(args).delete_snapshot(args.name, args.version)
    _emit(args, {"deleted": {"name": args.name, "version": args.version}}, f"Deleted {args.name} {args.version}.")
    return 0


def _check_can_listen(host: str, port: int) -> None:
    """Refuse a busy or invalid address in varlib's own words (uvicorn would exit with its own code 3)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind((host, port))
    except OSError as exc:
        raise InvalidInput(f"Cannot serve on {host}:{port}: {exc.strerror or exc}.") from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from varlib.api import create_app

    if args.cache_size < 1:
        raise InvalidInput(f"The cache size must be at least 1, got {args.cache_size}.")
    tokens = TokenTable.from_settings()
    _check_can_listen(args.host, args.port)
    registry = _registry(args)
    access = f"{len(tokens.entries)} tokens" if tokens else "no tokens: open to anyone who can reach it"
    print(f"Serving forecasts from the {registry.store.location} on http://{args.host}:{args.port} "
          f"(docs at /apidocs; {access}).", file=sys.stderr)  # fmt: skip
    if tokens is None and not _is_loopback(args.host):
        warning = (f"Warning: {args.host} is reachable from other machines and {TOKENS_ENV} is not set, so anyone "
                   "who can reach it can read every model; see `python -m varlib token create --help`.")  # fmt: skip
        print(warning, file=sys.stderr)
    uvicorn.run(create_app(registry, args.cache_size, tokens), host=args.host, port=args.port, log_level="warning")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def cmd_token(args: argparse.Namespace) -> int:
    scopes = sorted(set(args.scope or ["read"]), key=SCOPES.index)
    token = new_token()
    entry = token_entry(validate_token_name(args.name), scopes, token)
    text = (f"Token for {args.name} ({' and '.join(scopes)}); shown once, keep it secret:\n  {token}\n"
            f"Add this entry to {TOKENS_ENV} (comma- or line-separated; it holds only the token's sha256):\n"
            f"  {entry}")  # fmt: skip
    _emit(args, {"name": args.name, "scopes": scopes, "token": token, "entry": entry}, text)
    return 0


_COMMANDS = {
    "train": cmd_train,
    "inspect": cmd_inspect,
    "list": cmd_list,
    "show": cmd_show,
    "forecast": cmd_forecast,
    "reindex": cmd_reindex,
    "delete": cmd_delete,
    "serve": cmd_serve,
    "alias": cmd_alias,
    "token": cmd_token,
    "refresh": cmd_refresh,
    "deprecate": cmd_deprecate,
    "undeprecate": cmd_undeprecate,
}
