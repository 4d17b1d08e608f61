"""docker-compose.yml cannot run here (no Docker engine): check what it promises instead."""

from __future__ import annotations

import json
import os
import re
import subprocess
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


LOOPBACK_DEFAULT = "${VARLIB_BIND_ADDRESS:-127.0.0.1}:"
SETTINGS = {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "VARLIB_APP_ACCESS_KEY", "VARLIB_APP_SECRET_KEY",
            "VARLIB_SERVICE_ACCESS_KEY", "VARLIB_SERVICE_SECRET_KEY", "VARLIB_API_TOKENS", "VARLIB_BIND_ADDRESS"}  # fmt: skip


def test_every_published_port_listens_on_loopback_unless_opted_out_and_the_console_is_not_published() -> None:
    services = compose()["services"]
    published = {name: service.get("ports", []) for name, service in services.items()}
    assert published == {
        "minio": [f"{LOOPBACK_DEFAULT}9000:9000"],
        "create-bucket": [],
        "app": [f"{LOOPBACK_DEFAULT}8501:8501"],
        "api": [f"{LOOPBACK_DEFAULT}8000:8000"],
    }
    assert not any("9001" in port for ports in published.values() for port in ports)


def test_minio_refuses_the_example_password_before_it_starts() -> None:
    minio = compose()["services"]["minio"]
    assert minio["entrypoint"] == ["/bin/sh", "/deploy/check-settings.sh", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD",
                                   "--", "/usr/bin/docker-entrypoint.sh"]  # fmt: skip
    assert "./deploy:/deploy:ro" in minio["volumes"] and "minio-data:/data" in minio["volumes"]
    assert minio["healthcheck"]["test"][0] == "CMD"


def test_the_app_and_the_service_never_get_the_root_credentials() -> None:
    services = compose()["services"]
    for name, user in (("app", "VARLIB_APP"), ("api", "VARLIB_SERVICE")):
        env = services[name]["environment"]
        assert env["VARLIB_STORE"] == "s3://models" and env["AWS_ENDPOINT_URL"] == "http://minio:9000"
        assert env["AWS_ACCESS_KEY_ID"].startswith(f"${{{user}_ACCESS_KEY")
        assert env["AWS_SECRET_ACCESS_KEY"].startswith(f"${{{user}_SECRET_KEY")
        assert "MINIO_ROOT" not in str(env)
        assert services[name]["depends_on"] == {
            "minio": {"condition": "service_healthy"},
            "create-bucket": {"condition": "service_completed_successfully"},
        }
    assert services["api"]["environment"]["VARLIB_API_TOKENS"] == "${VARLIB_API_TOKENS:-}"
    assert "_stcore/health" in " ".join(services["app"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["api"]["healthcheck"]["test"])


def test_the_bucket_job_creates_restricted_users_and_policies() -> None:
    job = compose()["services"]["create-bucket"]
    assert job["depends_on"]["minio"]["condition"] == "service_healthy" and job["restart"] == "no"
    assert job["entrypoint"] == ["/bin/sh", "/deploy/create-bucket.sh"]
    script = (ROOT / "deploy" / "create-bucket.sh").read_text()
    for line in (
        "mc mb --ignore-existing store/models",
        "mc admin policy create store varlib-app /deploy/minio/app-policy.json",
        "mc admin policy create store varlib-service /deploy/minio/service-policy.json",
        'mc admin user add store "$VARLIB_APP_ACCESS_KEY" "$VARLIB_APP_SECRET_KEY"',
        'mc admin user add store "$VARLIB_SERVICE_ACCESS_KEY" "$VARLIB_SERVICE_SECRET_KEY"',
        'mc admin policy attach store varlib-app --user "$VARLIB_APP_ACCESS_KEY"',
        'mc admin policy attach store varlib-service --user "$VARLIB_SERVICE_ACCESS_KEY"',
    ):
        assert line in script.splitlines(), line
    assert script.index("check-settings.sh") < script.index("mc alias set")  # refuses example values first


def actions(policy: dict) -> dict[str, set[str]]:
    granted: dict[str, set[str]] = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        for resource in statement["Resource"]:
            granted.setdefault(resource, set()).update(statement["Action"])
    return granted


def test_the_app_may_write_the_models_bucket_only_and_the_service_only_read_it() -> None:
    app = json.loads((ROOT / "deploy" / "minio" / "app-policy.json").read_text())
    service = json.loads((ROOT / "deploy" / "minio" / "service-policy.json").read_text())
    assert actions(app) == {
        "arn:aws:s3:::models": {"s3:ListBucket", "s3:GetBucketLocation"},
        "arn:aws:s3:::models/*": {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
    }
    assert actions(service) == {
        "arn:aws:s3:::models": {"s3:ListBucket", "s3:GetBucketLocation"},
        "arn:aws:s3:::models/*": {"s3:GetObject"},
    }


def check_settings(env: dict[str, str], *names: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(ROOT / "deploy" / "check-settings.sh"), *names, "--", "echo", "started"],
                          env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True, timeout=30)  # fmt: skip


def test_the_settings_check_refuses_example_missing_and_short_secrets_without_echoing_them() -> None:
    example = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                   if "=" in line and not line.startswith("#"))  # fmt: skip
    names = ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "VARLIB_APP_SECRET_KEY")
    refused = check_settings(example, *names)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "error: MINIO_ROOT_PASSWORD still holds the example value from .env.example; choose a real one.",
        "error: VARLIB_APP_SECRET_KEY still holds the example value from .env.example; choose a real one.",
    ]
    short = check_settings({"MINIO_ROOT_USER": "admin", "MINIO_ROOT_PASSWORD": "tiny-secret"}, *names)
    assert short.stderr.splitlines() == [
        "error: MINIO_ROOT_PASSWORD is shorter than 16 characters; choose a longer random secret.",
        "error: VARLIB_APP_SECRET_KEY is not set; set it in .env (see .env.example).",
    ]
    assert "tiny-secret" not in short.stderr
    good = {"MINIO_ROOT_USER": "admin", "MINIO_ROOT_PASSWORD": "a" * 24, "VARLIB_APP_SECRET_KEY": "b" * 24}
    started = check_settings(good, *names)
    assert (started.returncode, started.stdout, started.stderr) == (0, "started\n", "")


def test_no_literal_secret_in_compose_and_env_example_names_every_variable() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert used == set(example) == SETTINGS
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
    assert api["environment"]["VARLIB_STORE"] == app["environment"]["VARLIB_STORE"]
    assert api["depends_on"] == app["depends_on"]
