"""Views of the onboarding wizard: one URL per step, each step an htmx-swappable block."""


from flask import flash, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app import audit, broker_sessions
from app.blueprints.auth import broker as broker_flow
from app.blueprints.auth.services import find_link
from app.blueprints.enrolment import invitations
from app.blueprints.onboarding import bp
from app.blueprints.onboarding import services as svc
from app.blueprints.onboarding.steps import BY_NAME, NUMBERED, RESUME
from app.core.db import get_session
from app.core.errors import render_error
from app.core.extensions import limiter
from app.core.forms import normalise_mobile
from app.core.mailer import MailNotSent
from app.core.web import is_fragment_request, leave, redirect_303, render_page
from app.oidc import BrokerLogin, staff_broker

WIZARD_KEY = "onboarding"  # the signed session holds only {"id", "step"} under this key


def remember_onboarding(row, *, invitation_id: int | None = None) -> None:
    """Keep the wizard's row id and step in the signed session.

    invitation_id: the invitation this MitID login was started for, waiting for "Er det dig?";
    any later login or step writes the key anew without it.
    """
    session[WIZARD_KEY] = {"id": row.id, "step": row.step}
    if invitation_id:
        session[WIZARD_KEY]["invitation"] = invitation_id


def forget_onboarding() -> None:
    """Drop any wizard from this browser's session (somebody else has logged in with MitID)."""
    session.pop(WIZARD_KEY, None)


def _pending():
    """The live onboarding of this browser, or None (an expired one leaves with a message)."""
    row = svc.get_onboarding((session.get(WIZARD_KEY) or {}).get("id"))
    if row is not None and svc.is_expired(row):
        session.pop(WIZARD_KEY)
        flash(_("Din onboarding er udløbet, fordi der er gået for lang tid siden dit login med "
                "MitID. Log ind med MitID igen for at fortsætte."), "info")
        return None
    return row


def _to_login():
    """No (live) onboarding in this browser: to the login page, with a full page load."""
    if is_fragment_request():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for("auth.login")
        return response
    return redirect(url_for("auth.login"), code=303 if request.method == "POST" else 302)


def _render(step, *, status=200, push=False, **ctx):
    """A page of the wizard in its frame (full page, or the frame's block for htmx)."""
    return render_page("onboarding/wizard.html", status=status, step=step,
                       numbered_steps=NUMBERED, push_url=url_for(step.endpoint) if push else None,
                       **ctx)


def _show(row, form=None, status=200, push=False):
    """Render the row's current step, as declared in steps.STEPS."""
    step = BY_NAME[row.step]
    return _render(step, status=status, push=push, **step.page(row, form))


def _advance(row):
    """After a valid POST: htmx gets the next step's fragment, plain browsers a 303."""
    remember_onboarding(row)
    if is_fragment_request():
        return _show(row, push=True)
    return redirect_303(url_for(BY_NAME[row.step].endpoint))


def _guard(step):
    """Return (row, None) when `step` is the current one, else (None, a redirect)."""
    row = _pending()
    if row is None:
        return None, _to_login()
    if row.step != step:
        return None, redirect(url_for(BY_NAME[row.step].endpoint))
    return row, None


def _invalid(row, form, exc: svc.OnboardingError | None = None):
    """Re-render the step with the error next to its field (422), keeping what was typed."""
    if exc is not None:
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None:
            field.errors = [*field.errors, str(exc)]
        else:
            form.form_errors.append(str(exc))
    return _show(row, form=form, status=422)


@bp.get("/")
def resume():
    """Offer to continue an abandoned onboarding or to start over."""
    row = _pending()
    if row is None:
        return _to_login()
    if row.step == "link":
        return redirect(url_for("onboarding.link"))
    return _render(RESUME, **RESUME.page(row))


@bp.route("/invitation", methods=["GET", "POST"])
def confirm_invitation():
    """Er det dig? After MitID, the invited account's name; only a yes attaches the account."""
    row = _pending()
    if row is None:
        return _to_login()
    invitation_id = session[WIZARD_KEY].get("invitation")
    if request.method == "GET":
        invitation = invitations.open_invitation(invitation_id)
        if invitation is None:
            remember_onboarding(row)
            return redirect(url_for("onboarding.resume"))
        step = BY_NAME["invitation"]
        return _render(step, **step.page(row), user=invitations.invited_user(invitation),
                       clinics=invitations.invited_clinic_names(invitation))
    remember_onboarding(row)  # asked once: the invitation leaves the session either way
    if not (invitation_id and BY_NAME["invitation"].form().confirm.data):
        return redirect_303(url_for("onboarding.resume"))
    if not invitations.claim_invitation_for_onboarding(invitation_id, row):
        return render_error(410, _("Invitationen kan ikke længere bruges"), _(
            "Linket er allerede brugt eller udløbet, så dit MitID er ikke knyttet til "
            "brugerkontoen. Kontakt din klinik, hvis du har brug for et nyt link."))
    return redirect_303(url_for(BY_NAME[row.step].endpoint))


@bp.post("/afbryd")
def abandon():
    """Afbryd og log ud: drop the onboarding and end the MitID login at the broker too."""
    row = _pending()
    id_token = row.id_token if row is not None else None
    if row is not None:
        svc.abandon_onboarding(row)
    forget_onboarding()
    broker_sessions.logged_out(staff_broker(), row_id=None)
    if is_fragment_request():  # htmx navigates (no form-action): straight on, with the hint
        return leave(broker_sessions.end_session_url(
            staff_broker(), id_token=id_token,
            post_logout_redirect_uri=broker_flow.post_logout_url()) or url_for("auth.logged_out"))
    # Without JS, our page links on to the broker, which then has no id_token_hint to go by.
    return redirect_303(url_for("auth.logged_out"))


@bp.post("/restart")
def restart():
    """Start the onboarding over."""
    row = _pending()
    if row is None:
        return _to_login()
    svc.restart_onboarding(row)
    return _advance(row)


@bp.route("/link", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def link():
    """Log in once with the legacy user ID and password."""
    row, redirect_response = _guard("link")
    if redirect_response or request.method == "GET":
        return redirect_response or _show(row)
    form = BY_NAME["link"].form()
    if not form.validate_on_submit():
        return _invalid(row, form)
    try:
        svc.link_legacy_account(row, user_id=form.user_id.data, password=form.password.data)
    except svc.OnboardingError as exc:
        form.password.data = ""
        return _invalid(row, form, exc)
    return _advance(row)


@bp.get("/link/mitid")
@limiter.limit("20 per minute")
def confirm_with_mitid():
    """Bekræft med dit private MitID: a second MitID login, with an identity already linked.

    A GET navigation like NEMLOG-IN (no form, so CSP form-action does not hold its redirect to
    the broker); the pending onboarding it is for rides in this one login's state.
    """
    row, redirect_response = _guard("link")
    if redirect_response:
        return redirect_response
    if not row.cvr:  # only a new MitID Erhverv identity joins an account this way
        return redirect(url_for("onboarding.link"))
    return broker_flow.start_login(proves_onboarding=row.id)


def link_with_linked_identity(identity, onboarding_id: int):
    """The callback of Bekræft med dit private MitID: link the pending identity, or say why not.

    Only this browser's own live onboarding (its id in the signed session and in the login's
    state) can be completed, and only to the account of the identity just logged in with.
    """
    row = svc.get_onboarding(onboarding_id) \
        if (session.get(WIZARD_KEY) or {}).get("id") == onboarding_id else None
    if row is None or svc.is_expired(row):
        forget_onboarding()
        audit.record("mitid_link_refused_expired", actor="anonymous", target_type="onboarding",
                     target_id=onboarding_id)
        get_session().commit()
        return render_error(410, _("Din onboarding er udløbet"), _(
            "Der er gået for lang tid siden dit login med MitID Erhverv. Log ind med MitID "
            "Erhverv igen for at knytte det til din brugerkonto."),
            retry_url=url_for("auth.mitid_login"))
    try:
        target = svc.link_with_linked_identity(row, find_link(identity.sub),
                                               broker=BrokerLogin.of(identity))
    except IntegrityError:  # linked meanwhile, by another browser
        get_session().rollback()
        return _link_refused("taken")
    except svc.LinkRefused as exc:
        return _link_refused(exc.reason)
    return redirect(target)


def _link_refused(reason: str):
    """Why the new MitID identity was not linked (403, Danish); only "unlinked" may retry."""
    if reason == "unlinked":
        return render_error(403, _("Dette MitID er ikke knyttet til din brugerkonto"), _(
            "Det MitID, du bekræftede med, er ikke knyttet til en brugerkonto. Bekræft med dit "
            "private MitID eller et andet MitID, som du allerede logger ind med."),
            retry_url=url_for("onboarding.link"))
    forget_onboarding()
    texts = {
        "name": _("Navnet på dit MitID Erhverv passer ikke med navnet på brugerkontoen. Dit "
                  "MitID Erhverv er ikke knyttet til brugerkontoen."),
        "cvr": _("Dit MitID Erhverv er til en organisation (CVR), som ikke er en af "
                 "brugerkontoens klinikker. Dit MitID Erhverv er ikke knyttet til "
                 "brugerkontoen. Er det en fejl, så kontakt en administrator i din klinik."),
        "taken": _("Din brugerkonto har allerede et MitID Erhverv til denne organisation. Fjern "
                   "det under Min profil, hvis du vil knytte et nyt."),
    }
    return render_error(403, _("Dit MitID Erhverv kan ikke knyttes"), texts[reason])


@bp.route("/contact", methods=["GET", "POST"])
def contact():
    """Private e-mail and mobile, then a code by e-mail."""
    row, redirect_response = _guard("contact")
    if redirect_response or request.method == "GET":
        return redirect_response or _show(row)
    form = BY_NAME["contact"].form()
    if not form.validate_on_submit():
        return _invalid(row, form)
    try:
        svc.save_contact_and_send_code(
            row, email=form.email.data, mobile=normalise_mobile(form.mobile.data)
        )
    except svc.OnboardingError as exc:
        return _invalid(row, form, exc)
    except MailNotSent:
        get_session().rollback()
        return _invalid(row, form, svc.OnboardingError(
            _("Vi kunne ikke sende e-mailen lige nu. Prøv igen om lidt."), field="email"))
    return _advance(row)


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def verify():
    """The 6-digit code from the e-mail."""
    row, redirect_response = _guard("verify")
    if redirect_response or request.method == "GET":
        return redirect_response or _show(row)
    form = BY_NAME["verify"].form()
    if not form.validate_on_submit():
        return _invalid(row, form)
    try:
        svc.verify_onboarding_code(row, code=form.code.data)
    except svc.OnboardingError as exc:
        form.code.data = ""
        return _invalid(row, form, exc)
    return _advance(row)


@bp.post("/verify/resend")
@limiter.limit("10 per hour")
def resend_code():
    """Gensend kode: a new code to the same address, after a cooldown."""
    row, redirect_response = _guard("verify")
    if redirect_response:
        return redirect_response
    form = BY_NAME["verify"].form(formdata=None)
    try:
        svc.send_onboarding_code(row)
    except svc.OnboardingError as exc:
        return _invalid(row, form, exc)
    except MailNotSent:
        get_session().rollback()
        return _invalid(row, form, svc.OnboardingError(
            _("Vi kunne ikke sende e-mailen lige nu. Prøv igen om lidt.")))
    return _show(row, form=form) if is_fragment_request() else redirect_303(
        url_for("onboarding.verify"))


@bp.post("/verify/other-email")
def other_email():
    """Benyt anden email: back to the address step."""
    row, redirect_response = _guard("verify")
    if redirect_response:
        return redirect_response
    svc.use_other_email(row)
    return _advance(row)


@bp.route("/consent", methods=["GET", "POST"])
def consent():
    """Consent to share profile data; then the link is stored and the user logged in."""
    row, redirect_response = _guard("consent")
    if redirect_response or request.method == "GET":
        return redirect_response or _show(row)
    form = BY_NAME["consent"].form()
    if not form.validate_on_submit():
        return _invalid(row, form)
    try:
        target = svc.complete_onboarding(row)
    except IntegrityError:
        get_session().rollback()
        return _invalid(row, form, svc.OnboardingError(
            _("Denne brugerkonto er allerede knyttet til et andet MitID. Kontakt support.")))
    if target == url_for("main.index"):
        target = url_for("main.index", welcome=1)
    return _finish_redirect(target)


def _finish_redirect(url: str):
    """Leave the wizard with a full page load (htmx: HX-Redirect)."""
    if is_fragment_request():
        response = _render(BY_NAME["done"], url=url)
        response.headers["HX-Redirect"] = url
        return response
    return redirect_303(url)
