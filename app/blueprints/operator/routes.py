"""Views of the operator's page: switch the outage fallback on and off with a reason."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from app.blueprints.auth import policy
from app.blueprints.auth.access import require_operator
from app.blueprints.operator import bp
from app.blueprints.operator.forms import FallbackForm
from app.core.db import get_session
from app.core.web import redirect_303, render_page
from app.models import OutageFallbackSwitch


def _page(form=None, status=200):
    history = get_session().exec(
        select(OutageFallbackSwitch).order_by(OutageFallbackSwitch.switched_at.desc(),
                                              OutageFallbackSwitch.id.desc()).limit(20)).all()
    state = history[0] if history else None
    form = form or FallbackForm(formdata=None, on="0" if state and state.on else "1")
    return render_page("operator/index.html", form=form, state=state, history=history,
                       status=status)


@bp.get("/")
@require_operator
def index():
    """The operator's page with the fallback switch and its history."""
    return _page()


@bp.post("/fallback")
@require_operator
def switch_fallback():
    """Switch "MitID-nedbrud: log ind med brugernavn og adgangskode" on or off."""
    form = FallbackForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    on = form.on.data == "1"
    policy.switch_fallback(on=on, reason=form.reason.data, actor=f"operator:{current_user.user.id}")
    flash(_("Alternativt login er slået til.") if on else _("Alternativt login er slået fra."),
          "success")
    return redirect_303(url_for("operator.index"))
