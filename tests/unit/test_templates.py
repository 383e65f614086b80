from smschannel.templates import OPT_OUT_PLACEHOLDERS, render, unknown_placeholders


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
