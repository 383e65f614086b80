import pytest

from smschannel.errors import InvalidConfiguration
from smschannel.templates import (
    CANNED_PLACEHOLDERS,
    OPT_OUT_PLACEHOLDERS,
    TRIGGER_PLACEHOLDERS,
    check_template,
    context_values,
    render,
    unknown_placeholders,
)


def test_double_braces_render_and_unknown_values_render_empty() -> None:
    assert render("Hi {{contactName}} from {{ accountName }}", {"accountName": lambda: "Acme"}) == "Hi  from Acme"


def test_single_braces_are_text_unless_asked_for() -> None:
    values = {"accountName": lambda: "Acme"}
    assert render("{accountName}", values) == "{accountName}"
    assert render("{accountName} {other} {{accountName}}", values, single_brace=True) == "Acme {other} Acme"


def test_a_value_with_braces_is_not_rendered_again() -> None:
    assert render("{{accountName}}", {"accountName": lambda: "{accountName}"}, single_brace=True) == "{accountName}"


def test_values_are_computed_once_and_only_when_used() -> None:
    calls: list[str] = []

    def name() -> str:
        calls.append("name")
        return "Acme"

    assert render("{{accountName}}{{accountName}}", {"accountName": name, "waitMinutes": lambda: 1 / 0}) == "AcmeAcme"
    assert calls == ["name"]


def test_unknown_placeholders_against_a_set_of_names() -> None:
    assert unknown_placeholders("{{accountName}} {{phone}}", OPT_OUT_PLACEHOLDERS) == ["phone"]
    assert unknown_placeholders("{{phone}}") == []


# --- the one engine: dotted names, fallbacks, validation at save time -------------------------------------------


def test_dotted_names_and_every_fallback_syntax() -> None:
    values = {"contact.name": lambda: None, "agent.name": lambda: "Ada", "account.name": lambda: ""}
    assert render("Hi {{contact.name|there}}, {{agent.name}} here", values) == "Hi there, Ada here"
    assert render("Hi {{ contact.name || 'there' }}!", values) == "Hi there!"
    assert render('Hi {{contact.name || "you two"}}!', values) == "Hi you two!"
    assert render("Hi {{contact.name | friend }}!", values) == "Hi friend!"
    assert render("{{account.name|Acme}}/{{account.name}}", values) == "Acme/"  # empty counts as missing
    assert render("{{agent.name|nobody}}", values) == "Ada"  # a known value wins over the fallback


def test_context_values_look_the_contact_up_once_for_all_its_names() -> None:
    lookups: list[int] = []

    def name() -> str:
        lookups.append(1)
        return "Grace Hopper"

    values = context_values("i-1", "+14155550123", "Acme", name, lambda: "Ada")
    text = "{{contact.firstName}} {{contact.name}} {{contactName}} {{phone}} {{interaction.id}} {{accountName}}"
    assert render(text, values) == "Grace Grace Hopper Grace Hopper +14155550123 i-1 Acme"
    assert lookups == [1]


def test_an_unknown_or_malformed_placeholder_is_refused_naming_the_field() -> None:
    check_template("Hi {{contact.name|there}} from {{agent.name}}", CANNED_PLACEHOLDERS, "text")
    with pytest.raises(InvalidConfiguration) as unknown:
        check_template("Hi {{contact.first_name}}", CANNED_PLACEHOLDERS, "text")
    assert unknown.value.field == "text" and "{{contact.first_name}}" in unknown.value.message
    with pytest.raises(InvalidConfiguration) as malformed:
        check_template("Hi {{contact name}}", CANNED_PLACEHOLDERS, "text")
    assert "{{contact name}}" in malformed.value.message
    # The replying agent is no name of an auto-reply (a trigger answers before any agent does).
    with pytest.raises(InvalidConfiguration):
        check_template("{{agent.name}}", TRIGGER_PLACEHOLDERS, "actions[0].text")
    check_template("{{queuePosition}} {{contact.name|there}}", TRIGGER_PLACEHOLDERS, "actions[0].text")
