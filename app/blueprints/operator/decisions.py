"""The operator's approve/reject of a request, shared by the enrolment and exemption queues."""

from collections.abc import Callable

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.operator.forms import DecisionForm
from app.core.db import get_session
from app.core.mailer import MailNotSent
from app.core.web import redirect_303


def decision_page(subject, *, render: Callable, approve: Callable, reject: Callable,
                  conflicts: tuple[type[Exception], ...], conflict_message: Callable = str,
                  approved: str, rejected: str, list_endpoint: str):
    """Show a request with the DecisionForm, or approve/reject it and go back to the queue."""
    form = DecisionForm()
    if not form.is_submitted():
        return render(subject)
    if not form.validate():
        return render(subject, form, 422)
    decide = approve if form.approve.data else reject
    try:
        decide(subject, operator_id=current_user.user.id, note=form.note.data)
    except conflicts as exc:
        get_session().rollback()
        form.form_errors.append(conflict_message(exc))
        return render(subject, form, 409)
    except MailNotSent:
        # The decision and its e-mails go together: without the mail nothing is saved.
        get_session().rollback()
        form.form_errors.append(_("Vi kunne ikke sende e-mails lige nu, så intet er gemt. "
                                  "Prøv igen om lidt."))
        return render(subject, form, 503)
    flash(approved if form.approve.data else rejected, "success")
    return redirect_303(url_for(list_endpoint))
