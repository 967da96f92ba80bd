"""Views of the user overview: the clinic administrator adds and removes functions."""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.auth.access import current_clinic, require_permission
from app.blueprints.memberships import bp
from app.blueprints.memberships import services as svc
from app.blueprints.memberships.forms import AddFunctionForm, AddMemberForm, function_labels
from app.core.web import is_fragment_request, redirect_303, render_page


def _row_prefix(staff_user_id: int) -> str:
    """Each member's add-function form has its own field names and ids."""
    return f"member{staff_user_id}"


def _page(status=200, notice=None, error=None, add_form=None, row_form=None):
    """The overview; `row_form` replaces one member's add-function form (with its errors)."""
    clinic = current_clinic()
    members = svc.clinic_members(clinic.id)
    row_forms = {uid: AddFunctionForm(formdata=None, prefix=_row_prefix(uid)) for uid in members}
    if row_form is not None:
        row_forms[row_form[0]] = row_form[1]
    return render_page(
        "memberships/index.html", clinic=clinic, members=members, row_forms=row_forms,
        add_form=add_form or AddMemberForm(formdata=None, prefix="add"),
        administrators=svc.administrator_count(clinic.id), labels=function_labels(),
        notice=notice, error=error, status=status,
        push_url=url_for("memberships.index") if notice else None)


def _done(message: str):
    """After a change: htmx gets the overview with the notice, plain browsers a 303."""
    if is_fragment_request():
        return _page(notice=message)
    flash(message, "success")
    return redirect_303(url_for("memberships.index"))


@bp.get("/")
@require_permission("memberships")
def index():
    """Brugeroversigt: the clinic's staff and their functions."""
    return _page()


@bp.post("/<int:staff_user_id>/functions")
@require_permission("memberships")
def add_function(staff_user_id: int):
    """Give a member one more function."""
    user = svc.get_member(current_clinic().id, staff_user_id) or abort(404)
    form = AddFunctionForm(prefix=_row_prefix(staff_user_id))
    if not form.validate():
        return _page(422, row_form=(staff_user_id, form))
    try:
        svc.add_function(clinic_id=current_clinic().id, staff_user=user,
                         function=form.function.data, actor_id=current_user.user.id)
    except svc.MembershipError as exc:
        form.function.errors.append(str(exc))
        return _page(422, row_form=(staff_user_id, form))
    return _done(_("%(name)s er nu også %(function)s.", name=user.name,
                   function=function_labels()[form.function.data]))


@bp.post("/add")
@require_permission("memberships")
def add_member():
    """Give an existing account (by user ID) a function at this clinic."""
    form = AddMemberForm(prefix="add")
    if not form.validate():
        return _page(422, add_form=form)
    try:
        user = svc.add_member(clinic_id=current_clinic().id, legacy_user_id=form.user_id.data,
                              function=form.function.data, actor_id=current_user.user.id)
    except svc.MembershipError as exc:
        getattr(form, exc.field).errors.append(str(exc))
        return _page(422, add_form=form)
    return _done(_("%(name)s er tilføjet klinikken.", name=user.name))


@bp.post("/functions/<int:membership_id>/remove")
@require_permission("memberships")
def remove_function(membership_id: int):
    """Remove one function of a member."""
    membership = svc.get_membership(current_clinic().id, membership_id) or abort(404)
    label = function_labels()[membership.function]
    try:
        svc.remove_function(membership=membership, actor_id=current_user.user.id)
    except svc.MembershipError as exc:
        return _page(409, error=str(exc))
    return _done(_("Funktionen %(function)s er fjernet.", function=label))


@bp.route("/<int:staff_user_id>/end", methods=["GET", "POST"])
@require_permission("memberships")
def end_memberships(staff_user_id: int):
    """Fjern fra klinikken: confirm, then end all of the person's functions here."""
    clinic = current_clinic()
    user = svc.get_member(clinic.id, staff_user_id) or abort(404)
    if request.method == "GET":
        return render_page("memberships/end.html", clinic=clinic, user=user)
    try:
        svc.end_memberships(clinic_id=clinic.id, staff_user=user, actor_id=current_user.user.id)
    except svc.MembershipError as exc:
        return _page(409, error=str(exc))
    return _done(_("%(name)s har ikke længere adgang til klinikken.", name=user.name))
