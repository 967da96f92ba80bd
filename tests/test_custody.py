"""custody_of: the one question about forældremyndighed, and the source the config names."""

import pytest

from app import create_app
from app.custody import CONFIRMED, DENIED, UNKNOWN, custody_of
from tests.helpers.portal import CPR
from tests.test_app import _production_config


@pytest.mark.parametrize(("guardian", "child", "answer"), [
    ("karen.jensen", "emma", CONFIRMED),
    ("peter.jensen", "emma", CONFIRMED),
    ("sofie.nielsen", "emma", DENIED),  # the register knows Emma's custodians: not Sofie
    ("sofie.nielsen", "ida", UNKNOWN),  # a child the register does not know
    ("karen.jensen", "ida", UNKNOWN),
])
def test_the_simulator_answers_from_the_personas_parents_and_children(app, guardian, child,
                                                                       answer):
    with app.app_context():
        assert custody_of(CPR[guardian], CPR[child]) == answer


def test_cpr_numbers_are_compared_with_or_without_the_hyphen(app):
    with app.app_context():
        assert custody_of(CPR["karen.jensen"].replace("-", ""), CPR["emma"]) == CONFIRMED
        assert custody_of(CPR["karen.jensen"], CPR["emma"].replace("-", "")) == CONFIRMED


def test_development_and_tests_ask_the_simulator(app):
    assert app.config["CUSTODY_SOURCE"] == "simulator"


def test_without_a_source_every_answer_is_unknown(app_config):
    app_config["CUSTODY_SOURCE"] = None
    application = create_app(app_config)
    with application.app_context():
        assert custody_of(CPR["karen.jensen"], CPR["emma"]) == UNKNOWN
        assert custody_of(CPR["sofie.nielsen"], CPR["emma"]) == UNKNOWN
    application.extensions["db_engine"].dispose()


def test_production_has_no_custody_source_by_default(database_url):
    application = create_app(_production_config(database_url))
    assert application.config["CUSTODY_SOURCE"] is None
    with application.app_context():
        assert custody_of(CPR["karen.jensen"], CPR["emma"]) == UNKNOWN
    application.extensions["db_engine"].dispose()


def test_an_unknown_custody_source_is_refused_at_start(app_config):
    app_config["CUSTODY_SOURCE"] = "cpr-register-typo"
    with pytest.raises(RuntimeError, match="CUSTODY_SOURCE"):
        create_app(app_config)
