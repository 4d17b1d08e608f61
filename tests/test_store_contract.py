"""One contract for every store backend: run on file:// and on a real S3 server (SeaweedFS)."""

from __future__ import annotations

import pytest

from varlib.errors import NotFound, PreconditionFailed, StoreError
from varlib.store import ModelStore, open_store
from varlib.store.local import LocalStore
from varlib.store.s3 import S3Store


def test_write_then_read_returns_bytes_and_etag(store: ModelStore) -> None:
    etag = store.write("m/0_0_1/model.json", b'{"a": 1}')
    stored = store.read("m/0_0_1/model.json")
    assert stored.data == b'{"a": 1}'
    assert stored.etag == etag == store.etag("m/0_0_1/model.json")


def test_missing_object_is_not_found_naming_key_and_store(store: ModelStore) -> None:
    with pytest.raises(NotFound, match=r"m/0_0_9/model\.json does not exist in the (local|S3) store"):
        store.read("m/0_0_9/model.json")
    assert store.etag("m/0_0_9/model.json") is None


def test_create_only_write_refuses_existing_key_and_keeps_it(store: ModelStore) -> None:
    store.write("m/x.json", b"first", if_absent=True)
    with pytest.raises(PreconditionFailed):
        store.write("m/x.json", b"second", if_absent=True)
    assert store.read("m/x.json").data == b"first"


def test_compare_and_swap_write(store: ModelStore) -> None:
    etag = store.write("m/index.json", b"v1")
    new_etag = store.write("m/index.json", b"v2", if_match=etag)
    assert new_etag != etag
    with pytest.raises(PreconditionFailed):
        store.write("m/index.json", b"v3", if_match=etag)  # stale etag: another writer won
    assert store.read("m/index.json").data == b"v2"
    with pytest.raises(PreconditionFailed):
        store.write("m/absent.json", b"x", if_match=etag)


def test_listing_children_and_keys(store: ModelStore) -> None:
    assert store.list_children("") == []
    for key in ("a/0_0_1/model.json", "a/0_0_2/model.json", "a/index.json", "b/0_1_0/model.json"):
        store.write(key, b"x")
    assert store.list_children("") == ["a", "b"]
    assert store.list_children("a") == ["0_0_1", "0_0_2"]
    assert store.list_keys("a/") == ["a/0_0_1/model.json", "a/0_0_2/model.json", "a/index.json"]
    assert store.list_children("missing") == []


def test_delete_is_idempotent(store: ModelStore) -> None:
    store.write("a/k", b"x")
    store.delete("a/k")
    store.delete("a/k")
    assert store.etag("a/k") is None


def test_check_passes_on_a_working_store(store: ModelStore) -> None:
    store.check()


def test_location_names_the_store_without_secrets(store: ModelStore, store_url_and_settings) -> None:
    _, settings = store_url_and_settings
    assert "store" in store.location
    for secret in (settings.get("AWS_SECRET_ACCESS_KEY"), settings.get("AWS_ACCESS_KEY_ID")):
        if secret:
            assert secret not in store.location


def test_open_store_picks_backend_by_scheme(tmp_path, s3_server) -> None:
    assert isinstance(open_store(f"file://{tmp_path}"), LocalStore)
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert open_store("file://.varstore", {}).root.name == ".varstore"
    assert isinstance(open_store("s3://models", s3_server.settings()), S3Store)
    assert open_store(None, {"VARLIB_STORE": f"file://{tmp_path}/x"}).root == tmp_path / "x"


def test_open_store_default_is_varstore_in_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store(None, {})
    assert store.root == tmp_path / ".varstore"


def test_unknown_scheme_lists_known_ones() -> None:
    with pytest.raises(StoreError, match=r"Unknown store scheme 'gs' in VARLIB_STORE: use one of file://, s3://"):
        open_store("gs://bucket", {})


def test_s3_url_refuses_credentials_in_url() -> None:
    with pytest.raises(StoreError, match="credentials go in the environment") as info:
        open_store("s3://KEY:hunter2@models", {})
    assert "hunter2" not in str(info.value)


def test_s3_bucket_is_created_on_first_write(s3_server) -> None:
    store = open_store("s3://fresh-bucket-for-create-test", s3_server.settings())
    assert store.list_children("") == []  # reading a missing bucket is just empty
    store.write("a/b", b"x")
    assert store.read("a/b").data == b"x"


def test_s3_prefix_keeps_keys_relative(s3_server) -> None:
    store = open_store("s3://prefixed-bucket/team/models", s3_server.settings())
    store.write("var/index.json", b"x")
    assert store.list_children("") == ["var"]
    assert store.list_keys("") == ["var/index.json"]
