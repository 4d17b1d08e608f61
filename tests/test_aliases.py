"""Aliases (`@production`), deprecation and the history of both, through the library, the CLI and the service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from varlib import IntegrityError, InvalidInput, ModelRegistry, NotFound
from varlib.api import create_app
from varlib.cli import main
from varlib.registry.aliases import aliases_key

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def releases(registry, gdp_cons_result) -> ModelRegistry:
    for version in ("1.0.0", "1.1.0", "1.2.0", "2.0.0-SNAPSHOT"):
        registry.publish(gdp_cons_result, "gdp", version)
    return registry


def test_set_move_and_delete_keep_a_history(releases) -> None:
    assert releases.set_alias("gdp", "production", "1.0.0", note="first round", by="ana") == ""
    assert releases.resolve("gdp", "@production") == releases.resolve("gdp", "1.0.0")
    assert releases.set_alias("gdp", "production", "1.1.0", note="2009Q3 data", by="ben") == "1.0.0"
    assert releases.set_alias("gdp", "candidate", "@production", by="ana") == ""  # promote by alias
    assert str(releases.load("gdp", "@candidate").version) == "1.1.0"
    assert releases.delete_alias("gdp", "candidate", by="ana") == "1.1.0"
    lifecycle = releases.lifecycle("gdp")
    assert {a: t.version for a, t in lifecycle.aliases.items()} == {"production": "1.1.0"}
    assert [(e["event"], e.get("alias"), e.get("from"), e.get("to"), e["by"]) for e in lifecycle.history] == [
        ("alias-set", "production", None, "1.0.0", "ana"),
        ("alias-set", "production", "1.0.0", "1.1.0", "ben"),
        ("alias-set", "candidate", None, "1.1.0", "ana"),
        ("alias-deleted", "candidate", "1.1.0", None, "ana"),
    ]
    assert lifecycle.history[1]["note"] == "2009Q3 data" and lifecycle.history[0]["at"].endswith("Z")
    listed = {v.version: v.aliases for v in releases.list_versions("gdp")}
    assert listed["1.1.0"] == ("production",) and listed["1.0.0"] == ()


def test_alias_rules_give_clear_errors(releases) -> None:
    cases = [
        (("gdp", "latest", "1.0.0"), InvalidInput, "The alias 'latest' is reserved"),
        (("gdp", "Prod!", "1.0.0"), InvalidInput, "Invalid alias 'Prod!': use 1-64 lowercase letters"),
        (("gdp", "production", "2.0.0-SNAPSHOT"), InvalidInput, "An alias may point at a release only; "
                                                                 "2.0.0-SNAPSHOT of model 'gdp' is a SNAPSHOT."),
        (("gdp", "production", "9.9.9"), NotFound, "Version 9.9.9 of model 'gdp' does not exist"),
        (("gdp", "production", "@nothing"), NotFound, "Model 'gdp' has no alias 'nothing'"),
    ]  # fmt: skip
    for args, error, message in cases:
        with pytest.raises(error) as info:
            releases.set_alias(*args)
        assert str(info.value).startswith(message)
    assert releases.lifecycle("gdp").history == []  # nothing refused was recorded


def test_deprecated_release_is_skipped_by_latest_refused_as_target_and_still_loadable(releases) -> None:
    assert str(releases.resolve("gdp", "latest")) == "1.2.0"
    releases.deprecate("gdp", "1.2.0", reason="revised GDP data were wrong", by="ana")
    assert str(releases.resolve("gdp", "latest")) == "1.1.0"
    assert str(releases.load("gdp", "1.2.0").version) == "1.2.0"  # still loadable by its exact version
    with pytest.raises(InvalidInput) as info:
        releases.set_alias("gdp", "production", "1.2.0")
    assert str(info.value) == (
        "Release 1.2.0 of model 'gdp' is deprecated (revised GDP data were wrong); an alias cannot be moved onto it."
    )
    listed = {v.version: v.deprecated for v in releases.list_versions("gdp")}
    assert listed == {"2.0.0-SNAPSHOT": None, "1.2.0": "revised GDP data were wrong", "1.1.0": None, "1.0.0": None}
    releases.set_alias("gdp", "production", "1.1.0")
    with pytest.raises(InvalidInput, match=r"target of alias @production; move or delete the alias"):
        releases.deprecate("gdp", "1.1.0", reason="x")
    with pytest.raises(InvalidInput, match="Give a reason"):
        releases.deprecate("gdp", "1.0.0", reason="  ")
    with pytest.raises(InvalidInput, match="a release only"):
        releases.deprecate("gdp", "2.0.0-SNAPSHOT", reason="x")
    releases.undeprecate("gdp", "1.2.0", note="the data were right after all")
    assert str(releases.resolve("gdp", "latest")) == "1.2.0"
    for version in ("1.2.0", "1.0.0"):
        releases.deprecate("gdp", version, reason="old")
    releases.delete_alias("gdp", "production")
    releases.deprecate("gdp", "1.1.0", reason="old")
    with pytest.raises(NotFound, match=r"has no release version in the .* \(every release is deprecated\)\."):
        releases.resolve("gdp", "latest")
    events = [e["event"] for e in releases.lifecycle("gdp").history]
    assert events.count("deprecated") == 4 and events.count("undeprecated") == 1


def test_every_write_records_who_and_when(registry, gdp_cons_result, monkeypatch) -> None:
    monkeypatch.setenv("VARLIB_USER", "ana@bank.example")
    registry.publish(gdp_cons_result, "gdp", "1.0.0")
    registry.publish(gdp_cons_result, "gdp", "1.1.0-SNAPSHOT", by="ben")
    assert registry.load("gdp", "1.0.0").metadata["created_by"] == "ana@bank.example"
    assert {v.version: v.created_by for v in registry.list_versions("gdp")} == {
        "1.1.0-SNAPSHOT": "ben", "1.0.0": "ana@bank.example"
    }  # fmt: skip
    registry.delete_snapshot("gdp", "1.1.0-SNAPSHOT")
    registry.set_alias("gdp", "production", "1.0.0")
    history = registry.lifecycle("gdp").history
    assert [(e["event"], e.get("version"), e["by"]) for e in history] == [
        ("snapshot-deleted", "1.1.0-SNAPSHOT", "ana@bank.example"),
        ("alias-set", None, "ana@bank.example"),
    ]
    monkeypatch.delenv("VARLIB_USER")
    registry.set_alias("gdp", "candidate", "1.0.0")
    assert registry.lifecycle("gdp").history[-1]["by"]  # the operating-system user


def _alias_cli(store_url: str, settings: dict[str, str], *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VARLIB_"))}
    env.update(settings, PYTHONPATH=str(ROOT), VARLIB_USER=f"mover-{args[-1]}")
    return subprocess.Popen([sys.executable, "-m", "varlib", "--store", store_url, "alias", "set", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_eight_processes_moving_one_alias_lose_no_history_entry(store_url_and_settings, gdp_cons_result) -> None:
    url, settings = store_url_and_settings
    registry = ModelRegistry.from_settings(url, settings)
    targets = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
    for version in targets:
        registry.publish(gdp_cons_result, "gdp", version)
    movers = [_alias_cli(url, settings, "gdp", "production", targets[i % 4]) for i in range(8)]
    for mover in movers:
        _, err = mover.communicate(timeout=120)
        assert mover.returncode == 0, err
    lifecycle = registry.lifecycle("gdp")
    assert len(lifecycle.history) == 8
    assert sorted(e["by"] for e in lifecycle.history) == sorted(f"mover-{targets[i % 4]}" for i in range(8))
    # Each move saw the one before it: the history is a chain, and the alias is where the last move put it.
    chain = [e["from"] for e in lifecycle.history[1:]]
    assert chain == [e["to"] for e in lifecycle.history[:-1]] and lifecycle.history[0]["from"] is None
    assert lifecycle.aliases["production"].version == lifecycle.history[-1]["to"]


def test_aliases_through_the_cli_and_the_service(releases, store_url_and_settings, monkeypatch, capsys) -> None:
    url, settings = store_url_and_settings
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    store = ["--store", url]
    assert main([*store, "alias", "set", "gdp", "production", "1.1.0", "--note", "Q3 round"]) == 0
    assert capsys.readouterr().out.strip() == "@production of gdp now points at 1.1.0."
    assert main([*store, "forecast", "gdp", "@production", "--steps", "4", "--json"]) == 0
    via_cli = json.loads(capsys.readouterr().out)
    assert via_cli["version"] == "1.1.0" and via_cli["origin"] == "data"
    assert main([*store, "deprecate", "gdp", "1.2.0", "--reason", "wrong vintage"]) == 0
    assert main([*store, "list", "gdp"]) == 0
    listing = capsys.readouterr().out
    assert "1.2.0 is deprecated: wrong vintage" in listing and "@production" in listing
    assert main([*store, "alias", "list", "gdp", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["aliases"]["production"]["version"] == "1.1.0"
    assert main([*store, "alias", "set", "gdp", "candidate", "1.2.0"]) == 2
    assert capsys.readouterr().err.startswith("error: Release 1.2.0 of model 'gdp' is deprecated (wrong vintage)")

    client = TestClient(create_app(releases))
    served = client.get("/models/gdp/versions/@production/forecast?steps=4").json()
    assert served["version"] == "1.1.0" and served["forecast"] == via_cli["forecast"]
    assert client.get("/models/gdp/versions/latest").json()["version"] == "1.1.0"  # 1.2.0 is deprecated
    assert client.get("/models/gdp/versions/1.2.0").status_code == 200  # yet loadable by its version
    body = client.get("/models/gdp/aliases").json()
    assert body["aliases"]["production"]["version"] == "1.1.0" and body["deprecated"]["1.2.0"]["reason"]
    versions = {v["version"]: v for v in client.get("/models/gdp/versions").json()}
    assert versions["1.1.0"]["aliases"] == ["production"] and versions["1.2.0"]["deprecated"] == "wrong vintage"
    missing = client.get("/models/gdp/versions/@nothing/forecast?steps=1")
    assert missing.status_code == 404 and "has no alias 'nothing'" in missing.json()["message"]
    # A move is seen by the service at once: the alias is resolved per request.
    releases.set_alias("gdp", "production", "1.0.0")
    assert client.get("/models/gdp/versions/@production/forecast?steps=1").json()["version"] == "1.0.0"


def test_a_tampered_or_unsigned_aliases_document_is_refused_with_a_key(store, gdp_cons_result) -> None:
    signed = ModelRegistry(store, signing_key=b"k" * 32)
    signed.publish(gdp_cons_result, "gdp", "1.0.0")
    signed.publish(gdp_cons_result, "gdp", "1.1.0")
    signed.set_alias("gdp", "production", "1.0.0")
    document = json.loads(store.read(aliases_key("gdp")).data)
    document["aliases"]["production"]["version"] = "1.1.0"
    store.write(aliases_key("gdp"), json.dumps(document).encode())
    with pytest.raises(IntegrityError, match="signature that does not match"):
        ModelRegistry(store, signing_key=b"k" * 32).resolve("gdp", "@production")
    del document["signature"]
    store.write(aliases_key("gdp"), json.dumps(document).encode())
    with pytest.raises(IntegrityError, match="is not signed"):
        ModelRegistry(store, signing_key=b"k" * 32).resolve("gdp", "@production")


def test_a_crafted_aliases_document_is_refused_field_by_field(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "gdp", "1.0.0")
    crafted = {"format": "varlib.aliases", "model": "gdp", "sequence": 1, "deprecated": {}, "history": [],
               "aliases": {"production": {"version": "../../etc", "at": "x", "by": "y"}}}  # fmt: skip
    registry.store.write(aliases_key("gdp"), json.dumps(crafted).encode())
    with pytest.raises(IntegrityError) as info:
        registry.resolve("gdp", "@production")
    assert str(info.value) == (
        "gdp/aliases.json: field aliases['production'].version is not an alias of a release version."
    )


def test_lifecycle_mistakes_are_one_sentence_each(releases) -> None:
    releases.deprecate("gdp", "1.0.0", reason="old vintage")
    cases = [
        (lambda: releases.deprecate("gdp", "1.0.0", reason="again"), InvalidInput,
         "Release 1.0.0 of model 'gdp' is already deprecated (old vintage)."),
        (lambda: releases.undeprecate("gdp", "1.1.0"), InvalidInput, "Release 1.1.0 of model 'gdp' is not deprecated."),
        (lambda: releases.delete_alias("gdp", "candidate"), NotFound,
         "Model 'gdp' has no alias 'candidate' in the "),
        (lambda: releases.set_alias("gdp", "production", "1.0.0"), InvalidInput,
         "Release 1.0.0 of model 'gdp' is deprecated (old vintage); an alias cannot be moved onto it."),
        (lambda: releases.set_alias("gdp", "production", "1.1.0", note="x" * 10_001), InvalidInput,
         "The note is longer than the 10,000 characters allowed."),
    ]  # fmt: skip
    for action, error, message in cases:
        with pytest.raises(error) as info:
            action()
        assert str(info.value).startswith(message)
        assert str(info.value).count(". ") == 0  # one sentence
    assert [e["event"] for e in releases.lifecycle("gdp").history] == ["deprecated"]
