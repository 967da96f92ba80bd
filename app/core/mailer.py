"""Sending e-mail: one generic sender, templates as email/<name>.txt + .html pairs.

SMTP connections to the relay are kept for the next message (a few per process): an onboarding
step or a security-code login mails one code, and a new connection for each (connect, EHLO,
STARTTLS and login on a real relay, QUIT) cost more than the message itself.
"""

import atexit
import logging
import smtplib
import threading
from email import policy
from time import monotonic

from flask import current_app, render_template
from flask_mail import Connection, Message

log = logging.getLogger(__name__)

# policy.SMTP's wire format (CRLF) with the older header handling: the same bytes for our
# messages (tests/test_mailer.py compares them) in half the time; flask-mail's policy.SMTP
# parsed every header again while writing it out.
_WIRE = policy.compat32.clone(linesep="\r\n")
# An idle connection is used again within this many seconds of its last message. Relays close
# idle connections (Postfix after 300 s), so an older one is closed instead.
KEEP_SECONDS = 30
KEEP_IDLE = 4  # idle connections kept per process; a burst's others are closed after use
# Seconds any SMTP step may take: a relay that stops answering must not hold the request
# threads (flask-mail sets no timeout: it waited for ever).
SMTP_TIMEOUT = 10

_idle: list[tuple[tuple, Connection, float]] = []  # (relay, connection, last used), newest last
_idle_lock = threading.Lock()


# An OSError like everything it wraps (smtplib.SMTPException is one), so a caller that still
# catches (SMTPException, OSError) keeps working; new callers catch MailNotSent.
class MailNotSent(OSError):
    """The relay did not take an e-mail; the SMTP or socket error is its __cause__."""


class _Connection(Connection):
    """flask-mail's connection, with SMTP_TIMEOUT on connecting and on every step after."""

    def configure_host(self):
        mail = self.mail
        smtp = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
        host = smtp(mail.server, mail.port, timeout=SMTP_TIMEOUT)
        host.set_debuglevel(int(mail.debug))
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


class _Message(Message):
    """flask-mail's message, written out with _WIRE."""

    def _message(self):
        mime = super()._message()
        mime.policy = _WIRE
        return mime


def _relay(state) -> tuple:
    return (state.server, state.port, state.use_ssl, state.use_tls, state.username,
            state.suppress)


def _close(connection: Connection, *, politely: bool = False) -> None:
    """Close a connection; QUIT only on one that just answered (a silent relay would hang it)."""
    host = connection.host
    if host is None:
        return
    try:
        host.quit() if politely else host.close()
    except (smtplib.SMTPException, OSError):
        host.close()


def close_idle_connections() -> None:
    """Close the kept connections (at exit, and in tests)."""
    with _idle_lock:
        idle = [connection for _relay_, connection, _used in _idle]
        _idle.clear()
    for connection in idle:
        _close(connection)


atexit.register(close_idle_connections)


def _take_idle(relay: tuple) -> Connection | None:
    """An idle connection to `relay` used recently enough, or None; closes the stale ones."""
    stale, found = [], None
    with _idle_lock:
        now = monotonic()
        while _idle and found is None:
            kept_relay, connection, used = _idle.pop()
            if kept_relay == relay and now - used <= KEEP_SECONDS:
                found = connection
            else:
                stale.append(connection)
    for connection in stale:
        _close(connection)
    return found


def _keep(relay: tuple, connection: Connection) -> None:
    """Keep a connection that just sent a message, unless enough are kept already."""
    with _idle_lock:
        if len(_idle) < KEEP_IDLE:
            _idle.append((relay, connection, monotonic()))
            return
    _close(connection, politely=True)


def _deliver(message: Message) -> None:
    """Send over a kept connection; a new one when there is none or the relay closed it."""
    state = current_app.extensions["mail"]
    relay = _relay(state)
    connection = _take_idle(relay)
    if connection is not None:
        try:
            connection.send(message)
        except smtplib.SMTPServerDisconnected:
            _close(connection)
            connection = None  # the relay closed it since: once more, on a new connection
        except BaseException:
            _close(connection)
            raise
    if connection is None:
        connection = _Connection(state).__enter__()  # connects: EHLO, STARTTLS, login
        try:
            connection.send(message)
        except BaseException:
            _close(connection)
            raise
    _keep(relay, connection)


def send_email(*, to: str, subject: str, template: str, **context) -> None:
    """Render a text+HTML e-mail and send it over SMTP; raises MailNotSent when it was not."""
    message = _Message(
        subject=subject,
        recipients=[to],
        body=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
    )
    try:
        _deliver(message)
    except OSError as exc:  # smtplib.SMTPException is an OSError too
        log.warning("mail not sent: template=%s error=%s", template, type(exc).__name__)
        raise MailNotSent(template) from exc
    log.info("mail sent: template=%s", template)  # never the address or the content
