"""Development-only pages: the local mail outbox. Never registered in production."""

from flask import Blueprint, current_app, render_template

from app.blueprints.dev.mail import read_outbox

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox():
    """Mail received by the local SMTP sink, newest first."""
    mails = read_outbox(current_app.config["OUTBOX_DIR"])
    return render_template("dev/outbox.html", mails=mails)
