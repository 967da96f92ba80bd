"""Form fields as a browser and a screen reader get them from render_field in _macros.html."""

from html.parser import HTMLParser

from flask import render_template_string
from wtforms import BooleanField, Form, StringField

from tests.helpers.http import post_form


class Elements(HTMLParser):
    """Each element's attributes by id, and which label points at which id."""

    def __init__(self, html: str):
        super().__init__()
        self.by_id, self.labels = {}, {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = (tag, attrs)
        if tag == "label" and "for" in attrs:
            self.labels[attrs["for"]] = attrs


def test_login_fields_have_labels_and_autocomplete(client):
    page = Elements(client.get("/login").get_data(as_text=True))
    for field, autocomplete in (("user_id", "username"), ("password", "current-password")):
        tag, attrs = page.by_id[field]
        assert tag == "input" and field in page.labels
        assert attrs["autocomplete"] == autocomplete and attrs["name"] == field
        assert "aria-invalid" not in attrs and "aria-describedby" not in attrs
    assert page.by_id["password"][1]["type"] == "password"


def test_a_field_in_error_points_at_its_message_and_keeps_the_escaped_value(client):
    typed = 'a "quoted" <b>&amp;'
    answer = post_form(client, "/login/password", {"user_id": typed, "password": ""}, page="/login")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    page = Elements(html)
    _tag, user_id = page.by_id["user_id"]
    assert user_id["value"] == typed and "<b>" not in html  # escaped, read back unchanged
    _tag, password = page.by_id["password"]
    assert password["aria-invalid"] == "true" and password["aria-describedby"] == "password-error"
    assert password.get("value", "") == ""  # a password is never rendered back
    assert "password-error" in page.by_id and "Skriv dit kodeord." in html


class _Form(Form):
    name = StringField("Navn")
    consent = BooleanField("Jeg giver samtykke")


def test_hint_inputmode_and_checkbox(app):
    template = ('{% from "_macros.html" import render_field %}'
                '{{ render_field(form.name, hint="Som på sygesikringskortet", inputmode="text") }}'
                '{{ render_field(form.consent) }}')
    with app.test_request_context():
        form = _Form(data={"name": "Søren Ærø", "consent": True})
        form.name.errors = ["Skriv dit navn."]
        page = Elements(render_template_string(template, form=form))
    _tag, name = page.by_id["name"]
    assert name["aria-describedby"] == "name-hint name-error" and name["aria-invalid"] == "true"
    assert name["inputmode"] == "text" and name["value"] == "Søren Ærø"
    assert {"name-hint", "name-error"} <= set(page.by_id)
    _tag, consent = page.by_id["consent"]
    assert consent["type"] == "checkbox" and "checked" in consent and "consent" in page.labels
    assert "aria-describedby" not in consent
