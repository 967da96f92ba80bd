"""Help pages for clinic staff (the patient portal has its own)."""

from flask import Blueprint

from app.core.web import render_page

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("/")
def staff():
    """Hjælp til login for klinikpersonale."""
    return render_page("help/staff.html")
