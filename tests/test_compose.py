"""docker-compose.yml cannot run here (no Docker engine): check what it promises instead."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_pinned_images() -> None:
    services = compose()["services"]
    assert set(services) == {"minio", "create-bucket", "app", "api"}
    for name in ("minio", "create-bucket"):
        image = services[name]["image"]
        assert re.fullmatch(r"minio/(minio|mc):RELEASE\.\d{4}-\d\d-\d\dT[\d-]+Z", image), image
    assert services["app"]["build"] == services["api"]["build"] == "."


def test_minio_ports_volume_and_healthcheck() -> None:
    minio = compose()["services"]["minio"]
    assert {"9000:9000", "9001:9001"} <= set(minio["ports"])
    assert "minio-data:/data" in minio["volumes"] and "minio-data" in compose()["volumes"]
    assert "--console-address" in minio["command"]
    assert minio["healthcheck"]["test"][0] == "CMD"


def test_bucket_job_creates_models_after_minio_is_healthy() -> None:
    job = compose()["services"]["create-bucket"]
    assert job["depends_on"]["minio"]["condition"] == "service_healthy"
    assert "mc mb --ignore-existing store/models" in job["entrypoint"][-1]
    assert job["restart"] == "no"


def test_app_is_wired_to_minio_with_credentials_from_env_file() -> None:
    app = compose()["services"]["app"]
    env = app["environment"]
    assert env["VARLIB_STORE"] == "s3://models"
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert env["AWS_ACCESS_KEY_ID"].startswith("${MINIO_ROOT_USER")
    assert env["AWS_SECRET_ACCESS_KEY"].startswith("${MINIO_ROOT_PASSWORD")
    assert "8501:8501" in app["ports"]
    assert app["depends_on"] == {
        "minio": {"condition": "service_healthy"},
        "create-bucket": {"condition": "service_completed_successfully"},
    }
    assert "_stcore/health" in " ".join(app["healthcheck"]["test"])


def test_no_literal_secret_in_compose_and_env_example_names_every_variable() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert used == set(example) == {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_dockerfile_copies_what_the_app_needs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+)", dockerfile, flags=re.MULTILINE):
        assert (ROOT / source).exists(), source
    assert 'CMD ["streamlit", "run", "app.py"' in dockerfile


def test_api_serves_the_same_store_as_the_app() -> None:
    services = compose()["services"]
    api, app = services["api"], services["app"]
    assert api["command"] == ["python", "-m", "varlib", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert api["environment"] == app["environment"]
    assert api["depends_on"] == app["depends_on"]
    assert "8000:8000" in api["ports"]
    assert "/healthz" in " ".join(api["healthcheck"]["test"])
