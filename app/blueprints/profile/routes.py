"""Views of the profile page: see the consent and its history, withdraw or give it again."""

from flask import abort, flash, jsonify, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SubmitField

from app import consent
from app.blueprints.auth.access import confirmation_due
from app.blueprints.auth.sessions import end_other_session, open_sessions
from app.blueprints.onboarding.forms import CodeForm, ContactForm
from app.blueprints.profile import bp, export, mitid_links, services
from app.core.db import get_session
from app.core.errors import render_error
from app.core.forms import normalise_mobile
from app.core.web import is_fragment_request, redirect_303, render_page


@bp.get("/")
@login_required
def show():
    """The profile page."""
    user = current_user.user
    return render_page(
        "profile/show.html",
        user=user,
        **_links_context(),
        history=consent.consent_history(staff_user_id=user.id),
        has_consent=consent.has_consent(staff_user_id=user.id),
        consent_text=consent.PROFILE_SHARING_TEXT.split("\n\n"),
        consent_systems=consent.PROFILE_SHARING_SYSTEMS,
    )


def _links_context(**extra) -> dict:
    """What the MitID part of Min profil shows: the links, and which one this session uses."""
    return {"links": mitid_links.linked_identities(current_user.user.id),
            "current_link_id": current_user.login_session.mitid_link_id, **extra}


def _own_link_or_404(link_id: int):
    link = mitid_links.find_own_link(current_user.user.id, link_id)
    if link is None:
        abort(404)
    return link


@bp.get("/mitid/<int:link_id>/remove")
@login_required
def confirm_remove_mitid(link_id: int):
    """Fjern: are you sure? (a page of its own, or swapped in place of the list by htmx)."""
    link = _own_link_or_404(link_id)
    if link.id == current_user.login_session.mitid_link_id:
        return redirect(url_for("profile.show") + "#mitid-links")
    return render_page("profile/remove_mitid.html", block="confirm", link=link)


@bp.post("/mitid/<int:link_id>/remove")
@login_required
def remove_mitid(link_id: int):
    """Remove a linked MitID identity; not the one this session logged in with (400)."""
    link = _own_link_or_404(link_id)
    if not mitid_links.remove_link(link, current_session=current_user.login_session):
        return render_error(400, _("Dette MitID kan ikke fjernes nu"), _(
            "Du er logget ind med dette MitID, så det kan ikke fjernes. Log ind med et andet "
            "MitID, der er knyttet til din brugerkonto, for at fjerne det."))
    message = _("MitID er fjernet fra din brugerkonto.")
    if is_fragment_request():
        return render_page("profile/show.html", block="mitid_links",
                           **_links_context(removed=message))
    flash(message, "success")
    return redirect_303(url_for("profile.show") + "#mitid-links")


@bp.post("/consent/withdraw")
@login_required
def withdraw_consent():
    """Withdraw the consent with one click, as easily as it was given."""
    return _set_consent(given=False, message=_("Dit samtykke er trukket tilbage."))


@bp.post("/consent/give")
@login_required
def give_consent():
    """Give the consent again."""
    return _set_consent(given=True, message=_("Dit samtykke er registreret."))


def _set_consent(*, given: bool, message: str):
    """Record the change (a repeated click changes nothing) and go back to the profile."""
    user = current_user.user
    if consent.set_consent(staff_user_id=user.id, given=given, method="profile_page",
                           actor=f"staff:{user.id}"):
        get_session().commit()
        flash(message, "success")
    return redirect_303(url_for("profile.show"))


@bp.get("/sessions")
@login_required
def sessions():
    """The user's open sessions (several computers at once are fine); others can be ended."""
    rows = open_sessions(current_user.user.id)
    return render_page("profile/sessions.html", rows=rows,
                       current_id=current_user.login_session.id)


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """End one of the user's other sessions (on the server: that browser is logged out)."""
    if session_id == current_user.login_session.id:
        abort(400)
    if not end_other_session(current_user.user.id, session_id):
        abort(404)
    flash(_("Sessionen er afsluttet."), "success")
    return redirect_303(url_for("profile.sessions"))


class ConfirmForm(ContactForm):
    """The same fields as the onboarding's contact step, with "Bekræft"."""

    submit = SubmitField(_l("Bekræft"))


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
def confirm():
    """Are your e-mail and mobile still right? Confirm, or change them (a new e-mail needs a code)."""
    user = current_user.user
    form = ConfirmForm(data={"email": user.email, "mobile": user.mobile})
    if form.validate_on_submit():
        try:
            needs_code = services.confirm_contact(user, email=form.email.data,
                                                  mobile=normalise_mobile(form.mobile.data))
        except services.ConfirmationError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            if needs_code:
                return redirect_303(url_for("profile.confirm_email"))
            flash(_("Tak. Dine oplysninger er bekræftet."), "success")
            return redirect_303(url_for("main.index"))
    return render_page("profile/confirm.html", form=form, due=confirmation_due(user),
                       status=422 if form.is_submitted() else 200)


@bp.route("/confirm/email", methods=["GET", "POST"])
@login_required
def confirm_email():
    """The code sent to the new e-mail address."""
    user = current_user.user
    if not user.pending_email:
        return redirect(url_for("profile.confirm"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            services.verify_new_email(user, code=form.code.data)
        except services.ConfirmationError as exc:
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            flash(_("Din nye e-mailadresse er bekræftet."), "success")
            return redirect_303(url_for("main.index"))
    return render_page("profile/confirm_email.html", form=form, address=user.pending_email,
                       status=422 if form.is_submitted() else 200)


@bp.get("/data")
@login_required
def my_data():
    """Mine data: what is held about me, with consents and recent logins."""
    data = export.staff_export(current_user.user)
    return render_page("profile/data.html", data=data,
                       recent=sorted(data["login_session"], key=lambda r: r["created_at"],
                                     reverse=True)[:10])


@bp.get("/data.json")
@login_required
def my_data_json():
    """Download everything as JSON."""
    response = jsonify(export.staff_export(current_user.user))
    response.headers["Content-Disposition"] = 'attachment; filename="mine-data.json"'
    return response
