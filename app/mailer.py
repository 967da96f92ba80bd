"""Sending e-mail: one generic sender, templates as email/<name>.txt + .html pairs."""

import logging

from flask import render_template
from flask_mail import Message

from app.extensions import mail

log = logging.getLogger(__name__)


def send_email(*, to: str, subject: str, template: str, **context) -> None:
    """Render a text+HTML e-mail and send it over SMTP."""
    message = Message(
        subject=subject,
        recipients=[to],
        body=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
    )
    mail.send(message)
    log.info("mail sent: template=%s", template)  # never the address or the content
