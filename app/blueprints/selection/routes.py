"""Views of the clinic and function pickers."""

from flask import abort, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.blueprints.auth.access import FUNCTION_LABELS, current_login_session
from app.blueprints.selection import bp
from app.blueprints.selection import services as svc
from app.core.web import redirect_303, render_page


@bp.route("/clinic", methods=["GET", "POST"])
@login_required
def choose_clinic():
    """"De klinikker du har adgang til": pick one (MitID Erhverv preselects its organisation)."""
    login_session = current_login_session()
    choices = svc.clinic_choices(current_user.user, login_session)
    if not choices:
        return redirect(url_for("main.index"))
    error = None
    if request.method == "POST":
        picked = request.form.get("clinic_id", type=int)
        if picked in choices:
            svc.choose_clinic(login_session, picked, choices[picked][1])
            session.pop("preselect_cvr", None)
            target = "main.index" if login_session.function else "selection.choose_function"
            return redirect_303(url_for(target))
        error = _("Vælg en klinik.")
    preselected = login_session.clinic_id
    cvr = session.get("preselect_cvr")
    for clinic_id, (clinic, _functions) in choices.items():
        if preselected is None and cvr and clinic.cvr == cvr:
            preselected = clinic_id
    return render_page("selection/clinic.html", choices=choices, preselected=preselected,
                       error=error, status=422 if error else 200)


@bp.route("/function", methods=["GET", "POST"])
@login_required
def choose_function():
    """Pick behandler, sekretær, … at the chosen clinic."""
    login_session = current_login_session()
    choices = svc.clinic_choices(current_user.user, login_session)
    if login_session.clinic_id not in choices:
        return redirect(url_for("selection.choose_clinic"))
    clinic, functions = choices[login_session.clinic_id]
    error = None
    if request.method == "POST":
        picked = request.form.get("function")
        if picked in functions:
            svc.choose_function(login_session, picked)
            return redirect_303(url_for("main.index"))
        if picked and picked in FUNCTION_LABELS:
            abort(403)  # a function this person does not have here
        error = _("Vælg en funktion.")
    return render_page("selection/function.html", clinic=clinic, functions=functions,
                       selected=login_session.function, error=error,
                       status=422 if error else 200)
