"""Roles (issue 11): viewers read, publishers write; the library refuses a write without the role, the dashboard
shows viewers no write control, and every write records the logged-in user. The login itself (st.login against an
OpenID Connect provider) is exercised in the browser; here AppTest seeds the logged-in user."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import APP, TIMEOUT, assert_no_exception, button, clean_environment, page_text, shown  # noqa: F401
from varlib import ModelRegistry, open_store
from varlib.access import PUBLISHER, VIEWER, Actor, RoleMap
from varlib.errors import ConfigurationError, Forbidden

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "varlib",
        "client_secret": "s" * 32, "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}  # fmt: skip
ROLES = {"publishers": ["ana@bank.example", "group:forecasting"], "viewers": ["*"]}


def test_the_role_map_reads_emails_groups_and_anyone() -> None:
    roles = RoleMap.from_mapping(ROLES)
    assert roles.role_of("Ana@Bank.example") == PUBLISHER
    assert roles.role_of("ben@bank.example", ["Forecasting"]) == PUBLISHER
    assert roles.role_of("vic@bank.example") == VIEWER
    only_listed = RoleMap.from_mapping({"publishers": ["ana@bank.example"], "viewers": ["vic@bank.example"]})
    assert only_listed.role_of("eve@elsewhere.example") is None
    assert RoleMap.from_mapping(None).role_of("anyone@bank.example") == VIEWER  # no publisher unless listed
    for bad, message in (({"admins": []}, "[varlib.roles] has 'admins'; it may hold only publishers and viewers."),
                         ({"publishers": "ana@bank.example"}, "[varlib.roles] publishers must be a list of e-mail "
                          "addresses, group:NAME entries or '*'.")):  # fmt: skip
        with pytest.raises(ConfigurationError) as info:
            RoleMap.from_mapping(bad)
        assert str(info.value) == message


def test_the_library_refuses_every_write_without_the_role(registry, gdp_cons_result) -> None:
    registry.publish(gdp_cons_result, "gdp", "1.0.0")
    registry.publish(gdp_cons_result, "gdp", "1.1.0-SNAPSHOT")
    viewer = registry.acting_as(Actor("vic@bank.example", VIEWER))
    writes = {
        "publishing gdp 2.0.0": lambda: viewer.publish(gdp_cons_result, "gdp", "2.0.0"),
        "moving @production of gdp": lambda: viewer.set_alias("gdp", "production", "1.0.0"),
        "deprecating gdp 1.0.0": lambda: viewer.deprecate("gdp", "1.0.0", reason="x"),
        "deleting gdp 1.1.0-SNAPSHOT": lambda: viewer.delete_snapshot("gdp", "1.1.0-SNAPSHOT"),
        "rebuilding the index of gdp": lambda: viewer.rebuild_index("gdp"),
    }
    for action, write in writes.items():
        with pytest.raises(Forbidden) as info:
            write()
        assert str(info.value) == (
            f"vic@bank.example has the viewer role, which may only read: {action} needs the publisher role."
        )
    assert [v.version for v in viewer.list_versions("gdp")] == ["1.1.0-SNAPSHOT", "1.0.0"]  # reads are fine
    assert viewer.load("gdp", "1.0.0").forecast(2).point.shape == (2, 2)
    assert registry.lifecycle("gdp").history == []  # nothing was written

    publisher = registry.acting_as(Actor("ana@bank.example", PUBLISHER))
    publisher.publish(gdp_cons_result, "gdp", "2.0.0", by="someone else")  # a logged-in user writes as themselves
    publisher.set_alias("gdp", "production", "2.0.0")
    assert registry.load("gdp", "2.0.0").metadata["created_by"] == "ana@bank.example"
    assert registry.lifecycle("gdp").history[-1]["by"] == "ana@bank.example"


def dashboard(tmp_path, user: dict | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.secrets["varlib"] = {"roles": ROLES}
    at.secrets["VARLIB_STORE"] = f"file://{tmp_path / 'store'}"
    if user is not None:
        at.user = user
    return at


def test_without_a_login_no_page_is_shown(tmp_path) -> None:
    at = dashboard(tmp_path, {"is_logged_in": False}).run()
    assert_no_exception(at)
    assert [b.label for b in at.button] == ["Log in"]
    assert "Log in to see and use the models in this store." in page_text(at) and "Train a VAR" not in page_text(at)


def test_a_viewer_sees_no_write_control_and_a_publisher_publishes_as_themselves(tmp_path, gdp_cons_result) -> None:
    ModelRegistry(open_store(f"file://{tmp_path / 'store'}")).publish(gdp_cons_result, "var", "0.0.1")
    viewer = {"is_logged_in": True, "email": "vic@bank.example", "name": "Vic"}
    at = dashboard(tmp_path, viewer).run()
    assert_no_exception(at)
    assert "Logged in as vic@bank.example · viewer" in page_text(at)
    at.form_submit_button[0].click().run()
    button(at, "Fit VAR").click().run()
    at.switch_page("pages/publish.py").run()
    assert_no_exception(at)
    assert not any(b.label == "Publish" for b in at.button)
    assert "Publishing needs the publisher role; vic@bank.example may only read." in page_text(at)
    at.switch_page("pages/registry.py").run()
    assert_no_exception(at)
    labels = [b.label for b in at.button]
    assert "Set alias" not in labels and "Deprecate release" not in labels and "Delete SNAPSHOT" not in labels
    assert "need the publisher role; vic@bank.example may only read." in page_text(at)

    publisher = dashboard(tmp_path, {"is_logged_in": True, "email": "ana@bank.example"}).run()
    publisher.form_submit_button[0].click().run()
    button(publisher, "Fit VAR").click().run()
    publisher.switch_page("pages/publish.py").run()
    publisher.text_input[1].set_value("0.0.2").run()
    next(box for box in publisher.checkbox if "is permanent" in box.label).check().run()
    button(publisher, "Publish").click().run()
    assert_no_exception(publisher)
    stored = ModelRegistry(open_store(f"file://{tmp_path / 'store'}")).load("var", "0.0.2")
    assert stored.metadata["created_by"] == "ana@bank.example"


def test_a_logged_in_user_without_a_role_is_told_so(tmp_path) -> None:
    at = dashboard(tmp_path, {"is_logged_in": True, "email": "eve@elsewhere.example"})
    at.secrets["varlib"] = {"roles": {"publishers": ["ana@bank.example"], "viewers": ["vic@bank.example"]}}
    at.run()
    assert_no_exception(at)
    assert [shown(e.value) for e in at.error][-1] == (
        "eve@elsewhere.example has no role in varlib: ask an administrator to add you to the viewers or publishers."
    )
    assert "Train a VAR" not in page_text(at)


def test_a_roles_mapping_that_cannot_be_read_is_one_message_not_a_traceback(tmp_path) -> None:
    at = dashboard(tmp_path, {"is_logged_in": True, "email": "ana@bank.example"})
    at.secrets["varlib"] = {"roles": {"publishers": "ana@bank.example"}}
    at.run()
    assert_no_exception(at)
    assert [shown(e.value) for e in at.error] == [
        "[varlib.roles] publishers must be a list of e-mail addresses, group:NAME entries or '*'."
    ]
    assert "Train a VAR" not in page_text(at)
