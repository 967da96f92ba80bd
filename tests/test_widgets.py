"""app.widgets.html_params renders exactly what WTForms' own html_params renders."""

import pytest
from markupsafe import Markup
from wtforms.widgets import core

from app import widgets

ORIGINAL = widgets._ORIGINAL

CASES = [
    {},
    {"name": "email", "id": "email", "type": "email", "value": ""},
    {"class_": "form-input", "for_": "x", "value": 'a "quoted" <b>&amp;</b>'},
    {"checked": True, "readonly": False, "name": "consent", "abc": "hello"},
    {"data_hx_target": "#main", "aria_describedby": "a-hint a-error", "aria_invalid": "true"},
    {"value": Markup('<i class="x">safe</i>'), "title": Markup("a &amp; b")},
    {"maxlength": 254, "minlength": 0, "tabindex": -1, "step": 1.5},
    {"placeholder": "Skriv dit navn, f.eks. Søren Ærø", "name": "navn"},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_same_markup_as_wtforms(kwargs):
    ours, theirs = widgets.html_params(**kwargs), ORIGINAL(**kwargs)
    assert ours == theirs
    assert isinstance(ours, Markup)


def test_installed_where_widgets_look(app):
    assert core.html_params is widgets.html_params
    assert core.Input.html_params is widgets.html_params
    assert core.Button.html_params is widgets.html_params
