"""Which requests the rate limiter counts: POSTs by default, and GETs only where a view says so."""

import pytest

from app.extensions import limiter


@pytest.mark.ratelimit
def test_a_get_route_with_its_own_limit_is_still_limited(app):
    """The MitID start (30 a minute per client) costs a round trip to the broker: its GETs count."""
    statuses = [app.test_client().get("/auth/mitid/login").status_code for _ in range(31)]
    assert statuses[:30] == [302] * 30 and statuses[30] == 429


@pytest.mark.ratelimit
def test_a_view_limited_for_posts_only_serves_any_number_of_page_views(client):
    """Glemt adgangskode: 5 POSTs a minute; reading the form is never refused."""
    statuses = {client.get("/portal/aarhus/glemt-adgangskode").status_code for _ in range(40)}
    assert statuses == {200}


@pytest.mark.ratelimit
@pytest.mark.parametrize(("endpoint", "limited"), [
    ("auth.mitid_login", None), ("auth.mitid_callback", None), ("onboarding.link", {"POST"}),
    ("portal.forgot_password", {"POST"}), ("auth.login", False)])
def test_views_say_which_methods_they_limit(app, endpoint, limited):
    assert getattr(app.view_functions[endpoint], "limited_methods", False) == limited
    assert limiter.enabled
