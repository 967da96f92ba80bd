"""The set-password page behind an invitation link (/invitation/<token> dispatches here by purpose)."""

from flask import request

from app.blueprints.enrolment import invitations
from app.blueprints.exemptions import services as svc
from app.blueprints.exemptions.forms import SetPasswordForm
from app.core.web import render_page


def set_password_page(invitation, *, on_unusable):
    """Show the user ID and let the external user choose a password, once."""
    user = invitations.invited_user(invitation)
    form = SetPasswordForm()
    if request.method == "GET":
        return render_page("exemptions/set_password.html", user=user, form=form)
    if not form.validate():
        return render_page("exemptions/set_password.html", user=user, form=form, status=422)
    if svc.set_password_from_invitation(invitation, form.password.data) is None:
        return on_unusable("used")
    return render_page("exemptions/password_set.html", user=user)
