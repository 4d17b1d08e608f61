"""The REST forecast service: `python -m varlib serve`; Swagger UI at /apidocs, schema at /openapi.json.

Errors are JSON `{"error": CODE, "message": SENTENCE}` with one status per error type (table below);
never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal, TypeVar

import swagger_ui_bundle
from fastapi import Depends, FastAPI, Path, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from varlib._version import __version__
from varlib.analysis import estimation_document
from varlib.artifact import VersionSummary
from varlib.errors import (
    API_INPUTS,
    Forbidden,
    IntegrityError,
    InvalidInput,
    NotFound,
    StoreError,
    Unauthorized,
    VarlibError,
    VersionExists,
)
from varlib.exog import MAX_PATH_ROWS, path_from_rows
from varlib.model import MAX_FORECAST_STEPS, MIN_ALPHA, forecast_file_name, interval_level
from varlib.naming import MODEL_NAME_REGEX, VERSION_OR_LATEST_REGEX
from varlib.registry import ModelRegistry
from varlib.serving import DEFAULT_CACHE_SIZE, VersionCache
from varlib.tokens import TokenTable

log = logging.getLogger("varlib.api")
T = TypeVar("T")
STORE_WORKERS = 8  # threads that may wait on the store at once
FORECAST_WORKERS = max(1, os.cpu_count() or 1)  # forecasts are CPU work: one thread per core
MAX_WAITING = 64  # requests queued for either pool before new ones are turned away at once (503)
HEALTH_TIMEOUT_SECONDS = 2.0
FORECAST_TIMEOUT_SECONDS = 30.0


class _Pool:
    """A bounded pool of threads for one kind of work, so that one kind cannot starve the other.

    Store calls wait on the network; forecasts use the CPU. A hanging store fills only the store pool: cached
    releases are still served from the forecast pool, and /healthz always answers.
    """

    def __init__(self, workers: int, name: str, busy_message: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(workers + MAX_WAITING)
        self._busy_message = busy_message

    async def run(self, timeout: float, timeout_message: str, work: Callable[..., T], *args: Any) -> T:
        if not self._slots.acquire(blocking=False):
            raise StoreError(self._busy_message)
        try:
            future = self._executor.submit(work, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            raise StoreError(timeout_message) from None


# The one place where varlib errors become HTTP statuses.
ERROR_STATUS: dict[type[VarlibError], tuple[int, str]] = {
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    InvalidInput: (422, "invalid_input"),
    NotFound: (404, "not_found"),
    VersionExists: (409, "version_exists"),
    IntegrityError: (409, "integrity_error"),
    StoreError: (503, "store_unavailable"),
}


class ErrorBody(BaseModel):
    error: str = Field(description="machine-readable error code", examples=["not_found"])
    message: str = Field(description="one sentence saying what failed and where")


class StoreHealth(BaseModel):
    location: str
    ok: bool
    message: str | None = None


class CacheHealth(BaseModel):
    entries: int = Field(description="verified versions held in memory")
    max_entries: int
    loads: int = Field(description="versions fetched and verified from the store since the start")


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    version: str
    store: StoreHealth
    cache: CacheHealth


class VersionDetail(BaseModel):
    name: str
    version: str
    metadata: dict[str, Any] = Field(description="model.json: parameters, data ranges, lag table, metrics")
    manifest: dict[str, Any] = Field(description="manifest.json: sha256 and size of every object")
    estimation: dict[str, Any] | None = Field(
        description="Estimation output of each fit (`train`: the evaluation fit, `data`: the production fit): "
        "`terms` × `equations` matrices of `estimate`, `std_error`, `t_statistic`, `p_value` (null where "
        "undefined); per-equation `r_squared`, `adj_r_squared`, `residual_se`; `log_likelihood`, `aic`, `bic`, "
        "`hqic`, `fpe`, `det_sigma_u`, `sigma_u`. `source` is `stored` (kept in model.json) or `recomputed` (from "
        "the version's stored data, for versions stored without it). Null for models too large to hold it."
    )


class AliasTargetBody(BaseModel):
    version: str
    at: str
    by: str
    note: str = ""


class DeprecationBody(BaseModel):
    reason: str
    at: str
    by: str


class Aliases(BaseModel):
    name: str
    aliases: dict[str, AliasTargetBody] = Field(description="alias -> the release it points at, since when, by whom")
    deprecated: dict[str, DeprecationBody] = Field(description="deprecated releases: latest skips them")
    history: list[dict[str, Any]] = Field(description="every alias move, deprecation and SNAPSHOT deletion")


class ForecastCell(BaseModel):
    point: float
    lower: float
    upper: float
    actual: float | None = Field(None, description="the test data's value where the step falls inside it")


class ForecastRequest(BaseModel):
    steps: int = Field(ge=1, le=MAX_FORECAST_STEPS, description="steps after the end of the data (or training rows)")
    alpha: float = Field(0.05, ge=MIN_ALPHA, lt=1, description="1 - interval level: 0.05 gives 95%")
    origin: Literal["data", "train"] | None = Field(None, description="data (default) or train, as in the GET")
    exog: list[dict[str, Any]] | None = Field(
        None, max_length=MAX_PATH_ROWS,
        description="the exogenous variables' future values in levels: a row per forecast date, "
        "{'date': '2009-10-01', VARIABLE: value, ...}",
        json_schema_extra={"items": {"type": "object", "required": ["date"], "properties": {"date": {"type": "string"}},
                                     "additionalProperties": {"type": "number"}}},
    )  # fmt: skip

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "steps": 2, "alpha": 0.05,
        "exog": [{"date": "2009-10-01", "tbilrate": 0.1}, {"date": "2010-01-01", "tbilrate": 0.25}],
    }]})  # fmt: skip


class ForecastResponse(BaseModel):
    name: str
    version: str = Field(description="the concrete version served (latest resolved)")
    steps: int
    alpha: float
    interval_level: float = Field(description="the intervals' coverage in percent: 95 for alpha 0.05")
    origin: str = Field(
        description="data: from the end of the data (production fit); train: from the end of the training rows "
        "(evaluation fit), with test actuals where they overlap"
    )
    evaluation_only: bool = Field(
        description="the version was stored before production fits: its forecasts start after its training rows"
    )
    variables: list[str]
    exog_variables: list[str] = Field(
        default_factory=list, description="the exogenous variables whose path the forecast is conditioned on"
    )
    forecast: list[dict[str, Any]] = Field(
        description="one row per step: {'date': ISO date, VARIABLE: {point, lower, upper[, actual]}}"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "gdp", "version": "1.1.0", "steps": 2, "alpha": 0.05, "interval_level": 95.0,
                    "origin": "data", "evaluation_only": False, "variables": ["realgdp", "realcons"],
                    "forecast": [
                        {"date": "2009-10-01", "realgdp": {"point": 13046.2, "lower": 12871.5, "upper": 13223.3},
                         "realcons": {"point": 9301.4, "lower": 9195.0, "upper": 9409.0}},
                        {"date": "2010-01-01", "realgdp": {"point": 13108.9, "lower": 12826.3, "upper": 13397.8},
                         "realcons": {"point": 9349.7, "lower": 9178.5, "upper": 9524.0}},
                    ],
                }
            ]
        }
    )  # fmt: skip


# What each status's body looks like, for the API docs (each its own code, not not_found everywhere).
ERROR_EXAMPLES = {
    "unauthorized": "A valid bearer token is required (Authorization: Bearer <token>).",
    "forbidden": "The token 'dashboard' lacks the read scope.",
    "invalid_input": "steps must be a whole number from 1 to 1000, got 0.",
    "not_found": "Model 'gdp' has no version 9.9.9 in the S3 store s3://models.",
    "integrity_error": "var/0_0_1/model.json fails its sha256 check: the stored object was changed after publishing.",
    "store_unavailable": "The S3 store at http://minio:9000 did not answer within 10 s.",
}


def _error_response(status: int, code: str) -> dict[str, Any]:
    example = {"error": code, "message": ERROR_EXAMPLES[code]}
    return {"model": ErrorBody, "description": code.replace("_", " "),
            "content": {"application/json": {"example": example}}}  # fmt: skip


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: _error_response(status, code)
    for status, code in ERROR_STATUS.values()
    if code != "version_exists"  # the service never publishes: its 409 is a version that fails its checks
}
# The patterns are documented, not enforced by FastAPI: varlib's own check gives the clearer 422 message.
ModelName = Annotated[
    str,
    Path(description="model name: 1-64 of a-z, 0-9, '-', '_'", examples=["var"],
         json_schema_extra={"pattern": MODEL_NAME_REGEX}),
]  # fmt: skip
VersionText = Annotated[
    str,
    Path(description="MAJOR.MINOR.PATCH[-SNAPSHOT], latest (the highest release not deprecated) or @ALIAS",
         examples=["latest", "@production", "1.0.0"],
         json_schema_extra={"pattern": VERSION_OR_LATEST_REGEX}),
]  # fmt: skip


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message})


def create_app(
    registry: ModelRegistry, cache_size: int = DEFAULT_CACHE_SIZE, tokens: TokenTable | None = None
) -> FastAPI:
    """The service over one store; releases are cached in a bounded LRU of `cache_size` versions.

    With `tokens`, every endpoint but /healthz (and the API docs, which hold no data) needs a bearer token with the
    `read` scope: 401 without a valid one, 403 without the scope."""
    cache = VersionCache(registry, cache_size)
    bearer = HTTPBearer(auto_error=False, description="A token from VARLIB_API_TOKENS (`python -m varlib token`)")

    async def require_read(credentials: HTTPAuthorizationCredentials | None = Security(bearer)) -> None:  # noqa: B008
        if tokens is not None:
            tokens.check(credentials.credentials if credentials else None, "read")

    reads = [Depends(require_read)] if tokens is not None else []
    auth_responses: dict[int | str, dict[str, Any]] = (
        {401: {"model": ErrorBody, "description": "no valid bearer token"},
         403: {"model": ErrorBody, "description": "the token lacks the read scope"}} if tokens is not None else {}
    )  # fmt: skip
    store_timeout = float(getattr(registry.store, "timeout", 10.0))
    store_wait = 3 * store_timeout + 1  # a load makes up to three rounds of calls, each within the store's deadline
    store_pool = _Pool(
        STORE_WORKERS,
        "varlib-store",
        "The store is not keeping up: too many requests are waiting for it; try again shortly.",
    )
    forecast_pool = _Pool(FORECAST_WORKERS, "varlib-forecast",
                          "The service is busy: too many forecasts are waiting; try again shortly.")  # fmt: skip

    async def from_store(work: Callable[..., T], *args: Any) -> T:
        return await store_pool.run(store_wait, f"The {registry.store.location} did not answer within "
                                    f"{store_wait:g} s.", work, *args)  # fmt: skip

    async def computed(work: Callable[..., T], *args: Any) -> T:
        too_long = f"The forecast took longer than {FORECAST_TIMEOUT_SECONDS:g} s; ask for fewer steps."
        return await forecast_pool.run(FORECAST_TIMEOUT_SECONDS, too_long, work, *args)

    async def version_of(name: str, version: str) -> Any:
        # A cached release needs no store call at all: it is served even while the store hangs.
        return cache.peek(name, version) or await from_store(cache.get, name, version)

    app = FastAPI(
        title="varlib forecast service",
        version=__version__,
        description="Forecasts in levels, with intervals, from any stored VAR version. Models are verified "
        "(sha256) on load; releases are immutable and cached; `latest` and SNAPSHOTs are re-checked per request.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.cache = cache
    # Swagger UI from the swagger-ui-bundle package, not a CDN: the docs work on machines without internet.
    app.mount("/apidocs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="apidocs-assets")

    @app.get("/apidocs", include_in_schema=False)
    def apidocs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            swagger_js_url="/apidocs-assets/swagger-ui-bundle.js",
            swagger_css_url="/apidocs-assets/swagger-ui.css",
            swagger_favicon_url="/apidocs-assets/favicon-32x32.png",
        )

    @app.exception_handler(VarlibError)
    async def varlib_error(request: Request, exc: VarlibError) -> JSONResponse:
        status, code = next(
            (value for kind, value in ERROR_STATUS.items() if isinstance(exc, kind)), (500, "internal_error")
        )
        message = exc.worded(API_INPUTS) if isinstance(exc, InvalidInput) else str(exc)
        response = _error(status, code, message)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("query", "path"))
            problems.append(f"{where}: {problem.get('msg', 'invalid')}")
        return _error(422, "invalid_input", "Invalid request parameters: " + "; ".join(problems) + ".")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing errors (no such path, wrong method) in the same shape as every other error.
        if exc.status_code == 404:
            return _error(404, "not_found", f"No endpoint at {request.url.path}; see /apidocs.")
        if exc.status_code == 400:  # a body that is not JSON: bad input, like every other, documented as 422
            return _error(422, "invalid_input", "The request body is not JSON; send e.g. {\"steps\": 4} with "
                          "Content-Type: application/json.")  # fmt: skip
        response = _error(exc.status_code, "http_error", f"{exc.detail} ({request.method} {request.url.path}).")
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        if exc.status_code == 405:  # Starlette names the first route's methods; a path may have several routes
            allowed = sorted({method for route in app.routes if route.matches(request.scope)[0] == Match.PARTIAL
                              for method in getattr(route, "methods", None) or ()})  # fmt: skip
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s serving %s", type(exc).__name__, request.url.path)
        return _error(500, "internal_error", "The service failed unexpectedly; the error is in its log.")

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}}, tags=["service"])
    async def healthz() -> Any:
        """The service, and whether the store answers (503 when it does not); answers within seconds, always."""
        cache_health = CacheHealth(entries=len(cache), max_entries=cache.max_entries, loads=cache.loads)
        try:
            silent = f"The store did not answer within {HEALTH_TIMEOUT_SECONDS:g} s."
            await store_pool.run(HEALTH_TIMEOUT_SECONDS, silent, registry.store.check)
        except StoreError as exc:
            store = StoreHealth(location=registry.store.location, ok=False, message=str(exc))
            body = Health(status="store_unavailable", version=__version__, store=store, cache=cache_health)
            return JSONResponse(status_code=503, content=body.model_dump())
        store = StoreHealth(location=registry.store.location, ok=True)
        return Health(status="ok", version=__version__, store=store, cache=cache_health)

    @app.get("/models", response_model=list[str], responses=ERROR_RESPONSES | auth_responses, tags=["models"],
             dependencies=reads)  # fmt: skip
    async def list_models() -> list[str]:
        """Names of the stored models."""
        return await from_store(registry.list_models)

    @app.get("/models/{name}/versions", response_model=list[VersionSummary], responses=ERROR_RESPONSES | auth_responses,
             tags=["models"], dependencies=reads)  # fmt: skip
    async def list_versions(name: ModelName) -> list[dict[str, Any]]:
        """A model's versions with key metadata, newest first."""
        versions = await from_store(registry.list_versions, name)
        if not versions:
            raise NotFound(f"Model {name!r} has no versions in the {registry.store.location}.")
        return [v.to_dict() for v in versions]

    @app.get("/models/{name}/aliases", response_model=Aliases, responses=ERROR_RESPONSES | auth_responses,
             tags=["models"], dependencies=reads)  # fmt: skip
    async def aliases(name: ModelName) -> dict[str, Any]:
        """A model's aliases, deprecated releases, and the history of their changes (oldest first)."""
        lifecycle = await from_store(registry.lifecycle, name)
        return {"name": name, **lifecycle.to_document()}

    @app.get("/models/{name}/versions/{version}", response_model=VersionDetail,
             responses=ERROR_RESPONSES | auth_responses, tags=["models"], dependencies=reads)  # fmt: skip
    async def version_detail(name: ModelName, version: VersionText) -> dict[str, Any]:
        """One version's metadata and manifest (`latest` and `@ALIAS` allowed)."""
        loaded = await version_of(name, version)
        estimation = await computed(estimation_document, loaded)  # a refit, for versions stored without it
        return {"name": name, "version": str(loaded.version), "metadata": loaded.metadata, "manifest": loaded.manifest,
                "estimation": estimation}  # fmt: skip

    @app.get(
        "/models/{name}/versions/{version}/forecast",
        response_model=ForecastResponse,
        responses={**ERROR_RESPONSES, **auth_responses,
                   200: {"content": {"text/csv": {}}, "description": "JSON, or CSV on request"}},
        tags=["forecast"],
        dependencies=reads,
    )  # fmt: skip
    async def forecast(
        request: Request,
        name: ModelName,
        version: VersionText,
        steps: Annotated[int, Query(ge=1, le=MAX_FORECAST_STEPS, description="steps after the training data")],
        alpha: Annotated[float, Query(ge=MIN_ALPHA, lt=1, description="1 - interval level: 0.05 gives 95%")] = 0.05,
        origin: Annotated[
            Literal["data", "train"] | None,
            Query(description="data (default): from the end of the data; train: from the end of the training rows"),
        ] = None,
    ) -> Any:
        """Forecasts in levels with intervals: exactly `steps` rows, from the end of the data by default.

        `origin=train` forecasts from the end of the training rows with the evaluation fit, with the test data's
        values as `actual` where they overlap. A version stored before production fits (`evaluation_only`)
        forecasts from the end of its training rows by default, and refuses `origin=data` with 422.

        With `Accept: text/csv`, the same CSV as `python -m varlib forecast ... --csv`. A forecast beyond the
        service's limit of steps × variables² (VARLIB_MAX_FORECAST_CELLS) is refused with 422 before it runs.
        """
        return await forecast_response(request, name, version, steps, alpha, origin, None)

    @app.post(
        "/models/{name}/versions/{version}/forecast",
        response_model=ForecastResponse,
        responses={**ERROR_RESPONSES, **auth_responses,
                   200: {"content": {"text/csv": {}}, "description": "JSON, or CSV on request"}},
        tags=["forecast"],
        dependencies=reads,
    )  # fmt: skip
    async def forecast_with_path(request: Request, name: ModelName, version: VersionText, body: ForecastRequest) -> Any:
        """Forecasts as the GET gives them, with the future values of the model's exogenous variables in the body.

        A version with exogenous variables forecasts ahead only with their path: a row per forecast date, in levels,
        dated as the data are (2009-10-01 or 2009Q4). A missing variable or date is refused with 422 naming it.
        From the end of the training rows (`origin: train`), their test data are used where no path is given.
        """
        exog_path = path_from_rows(body.exog, "the body's exog rows") if body.exog is not None else None
        return await forecast_response(request, name, version, body.steps, body.alpha, body.origin, exog_path)

    async def forecast_response(
        request: Request, name: str, version: str, steps: int, alpha: float, origin: str | None, exog_path: Any
    ) -> Any:
        loaded = await version_of(name, version)
        loaded.limits.check_forecast(steps, loaded.model.k)  # refused at once, before any work
        fit = loaded.fit_for(origin)
        if exog_path is not None and not fit.exog_variables:
            raise InvalidInput(f"{name} {loaded.version} has no exogenous variables: leave exog out of the body.")
        if "text/csv" in request.headers.get("accept", ""):
            text = await computed(lambda: loaded.forecast(steps, alpha, origin, exog_path).to_csv(loaded.test_levels))
            filename = forecast_file_name(name, str(loaded.version), fit.origin, alpha)
            return Response(
                text,
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        records = await computed(
            lambda: loaded.forecast(steps, alpha, origin, exog_path).to_records(loaded.test_levels)
        )
        body = {
            "name": name,
            "version": str(loaded.version),
            "steps": steps,
            "alpha": alpha,
            "interval_level": interval_level(alpha),
            "origin": fit.origin,
            "evaluation_only": loaded.evaluation_only,
            "variables": loaded.model.variables,
            "exog_variables": fit.exog_variables,
            "forecast": records,
        }
        # Returned as is: the body is built to the schema above, and re-validating it would double the cost.
        return JSONResponse(body)

    return app
