"""Optional signing: with VARLIB_SIGNING_KEY, manifests are signed and unsigned or forged versions refused."""

from __future__ import annotations

import json

import pytest

from varlib import ModelRegistry
from varlib.artifact import manifest_document, to_json
from varlib.cli import main
from varlib.errors import IntegrityError
from varlib.naming import Version

KEY = b"team-signing-key-7fQ2"


def test_signed_versions_load_with_the_key(store, gdp_cons_result) -> None:
    signer = ModelRegistry(store, KEY)
    signer.publish(gdp_cons_result, "var", "0.0.1")
    manifest = json.loads(store.read("var/0_0_1/manifest.json").data)
    assert manifest["signature"]["algorithm"] == "HMAC-SHA256" and len(manifest["signature"]["value"]) == 64
    assert signer.load("var", "0.0.1").model.lag_order == 3
    assert ModelRegistry(store).load("var", "0.0.1")  # without a key, checksums are still verified


def test_unsigned_versions_are_refused_when_a_key_is_set(store, gdp_cons_result) -> None:
    ModelRegistry(store).publish(gdp_cons_result, "var", "0.0.1")
    with pytest.raises(IntegrityError) as info:
        ModelRegistry(store, KEY).load("var", "0.0.1")
    assert str(info.value) == (
        "var/0_0_1/manifest.json is not signed, and this store requires signed versions (VARLIB_SIGNING_KEY is set)."
    )


def test_another_key_is_refused(store, gdp_cons_result) -> None:
    ModelRegistry(store, b"someone-else").publish(gdp_cons_result, "var", "0.0.1")
    with pytest.raises(IntegrityError, match=r"has a signature that does not match: it was changed, or signed with"):
        ModelRegistry(store, KEY).load("var", "0.0.1")


def test_a_writer_without_the_key_cannot_forge_a_version(store, gdp_cons_result) -> None:
    """Rewrite model.json and a consistent manifest (checksums pass), keeping the old signature."""
    ModelRegistry(store, KEY).publish(gdp_cons_result, "var", "0.0.1")
    prefix = "var/0_0_1/"
    document = json.loads(store.read(prefix + "model.json").data)
    document["model"]["coefs"][0][0][0] = 0.9
    objects = {f: store.read(prefix + f).data for f in ("train.csv", "test.csv")} | {"model.json": to_json(document)}
    old = json.loads(store.read(prefix + "manifest.json").data)
    forged = manifest_document(objects, "var", Version(0, 0, 1), old["created"]) | {"signature": old["signature"]}
    store.write(prefix + "model.json", objects["model.json"])
    store.write(prefix + "manifest.json", to_json(forged))
    assert ModelRegistry(store).load("var", "0.0.1")  # checksums alone cannot tell
    with pytest.raises(IntegrityError, match=r"var/0_0_1/manifest.json has a signature that does not match"):
        ModelRegistry(store, KEY).load("var", "0.0.1")


def test_cli_reads_the_key_from_the_environment_and_never_prints_it(tmp_path, monkeypatch, capsys) -> None:
    store = ["--store", f"file://{tmp_path}"]
    train = ["train", "--columns", "realgdp,realcons", "--transform", "logdiff"]
    assert main([*store, *train, "--publish", "var", "0.0.1"]) == 0  # unsigned
    monkeypatch.setenv("VARLIB_SIGNING_KEY", KEY.decode())
    assert main([*store, *train, "--publish", "var", "0.0.2"]) == 0  # signed
    assert main([*store, "forecast", "var", "0.0.2", "--steps", "2"]) == 0
    assert main([*store, "forecast", "var", "0.0.1", "--steps", "2"]) == 5
    out = capsys.readouterr()
    assert out.err.strip().splitlines()[-1] == (
        "error: var/0_0_1/manifest.json is not signed, and this store requires signed versions "
        "(VARLIB_SIGNING_KEY is set)."
    )
    assert KEY.decode() not in out.out + out.err


def test_an_edited_index_is_refused_under_signing(store, gdp_cons_result) -> None:
    """Someone without the key removes the newest release from the index: latest must not silently go back."""
    signer = ModelRegistry(store, KEY)
    signer.publish(gdp_cons_result, "var", "0.0.1")
    signer.publish(gdp_cons_result, "var", "0.0.2")
    index = json.loads(store.read("var/index.json").data)
    del index["versions"]["0.0.2"]
    store.write("var/index.json", json.dumps(index).encode())
    reader = ModelRegistry(store, KEY)
    with pytest.raises(IntegrityError) as info:
        reader.list_versions("var")
    assert str(info.value) == (
        "var/index.json has a signature that does not match: it was changed, or signed with another key; "
        "rebuild it with `python -m varlib reindex var` with the signing key set."
    )
    assert str(reader.resolve("var", "latest")) == "0.0.2"  # from its own signed pointer, not the edited index
    report = signer.rebuild_index("var")  # the key holder repairs it from the signed manifests
    assert [v.version for v in report.versions] == ["0.0.2", "0.0.1"]
    assert str(reader.resolve("var", "latest")) == "0.0.2"


def test_an_unsigned_index_is_refused_under_signing(store, gdp_cons_result) -> None:
    ModelRegistry(store, KEY).publish(gdp_cons_result, "var", "0.0.1")
    index = json.loads(store.read("var/index.json").data)
    del index["signature"]
    store.write("var/index.json", json.dumps(index).encode())
    with pytest.raises(IntegrityError, match=r"^var/index.json is not signed, and this store requires signed"):
        ModelRegistry(store, KEY).list_versions("var")


def test_a_replayed_index_is_refused(store, gdp_cons_result) -> None:
    """An older, validly signed index written back: a process that has read the newer one refuses it."""
    signer = ModelRegistry(store, KEY)
    signer.publish(gdp_cons_result, "var", "0.0.1")
    old_index = store.read("var/index.json").data
    signer.publish(gdp_cons_result, "var", "0.0.2")
    service = ModelRegistry(store, KEY)  # a long-running reader
    assert str(service.resolve("var", "latest")) == "0.0.2"
    service.list_versions("var")
    store.write("var/index.json", old_index)
    with pytest.raises(IntegrityError, match=r"^var/index.json is older \(sequence 1\) than the index this process "
                                             r"already read \(sequence 2\): it was rolled back"):  # fmt: skip
        service.list_versions("var")


def test_a_replayed_latest_pointer_is_refused(store, gdp_cons_result) -> None:
    """`latest` has its own signed pointer (aliases.json): an older copy written back is refused the same way."""
    signer = ModelRegistry(store, KEY)
    signer.publish(gdp_cons_result, "var", "0.0.1")
    old_pointer = store.read("var/aliases.json").data
    signer.publish(gdp_cons_result, "var", "0.0.2")
    service = ModelRegistry(store, KEY)
    assert str(service.resolve("var", "latest")) == "0.0.2"
    store.write("var/aliases.json", old_pointer)
    with pytest.raises(IntegrityError, match=r"^var/aliases.json is older \(sequence 1\) than the one this process "
                                             r"already read \(sequence 2\): it was rolled back"):  # fmt: skip
        service.resolve("var", "latest")


def test_a_rolled_back_snapshot_is_refused(store, gdp_cons_result) -> None:
    """Older signed objects of a SNAPSHOT restored by someone without the key: refused, not served."""
    signer = ModelRegistry(store, KEY)
    signer.publish(gdp_cons_result, "var", "1.0.0-SNAPSHOT", note="first")
    prefix = "var/1_0_0-SNAPSHOT/"
    saved = {key: store.read(key).data for key in store.list_keys(prefix)}
    signer.publish(gdp_cons_result, "var", "1.0.0-SNAPSHOT", note="second")
    assert ModelRegistry(store, KEY).load("var", "1.0.0-SNAPSHOT").metadata["note"] == "second"
    for key in store.list_keys(prefix):
        store.delete(key)
    for key, data in saved.items():
        store.write(key, data)
    assert ModelRegistry(store).load("var", "1.0.0-SNAPSHOT").metadata["note"] == "first"  # checksums alone: fine
    with pytest.raises(IntegrityError, match=r"^var/1_0_0-SNAPSHOT/manifest.json is an older publish \(sequence 1\) "
                                             r"than the index lists \(sequence 2\): it was rolled back"):  # fmt: skip
        ModelRegistry(store, KEY).load("var", "1.0.0-SNAPSHOT")
