"""Mail goes out over kept SMTP connections, in policy.SMTP's wire format."""

import email
import smtplib
from email import policy

import pytest

from app.core import mailer


@pytest.fixture
def connects(monkeypatch):
    """Record each new SMTP connection (the real connect still runs)."""
    made = []
    real_connect = smtplib.SMTP.connect

    def connect(self, *args, **kwargs):
        made.append(args)
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", connect)
    mailer.close_idle_connections()
    yield made
    mailer.close_idle_connections()


def send(app, to: str) -> None:
    with app.test_request_context():
        mailer.send_email(to=to, subject="Din kode", template="onboarding_code", code="123456",
                          minutes=10)


def test_messages_one_after_another_share_one_connection(app, outbox, connects):
    for n in range(3):
        send(app, f"modtager{n}@example.dk")
    assert [mail.recipients for mail in outbox] == [[f"modtager{n}@example.dk"] for n in range(3)]
    assert len(connects) == 1


def test_a_connection_the_relay_dropped_is_replaced_and_the_message_still_goes(
        app, outbox, connects):
    import socket

    send(app, "forste@example.dk")
    mailer._idle[-1][1].host.sock.shutdown(socket.SHUT_RDWR)  # as a relay restart would
    send(app, "anden@example.dk")
    assert [mail.recipients for mail in outbox] == [["forste@example.dk"], ["anden@example.dk"]]
    assert len(connects) == 2


def test_an_idle_connection_is_replaced_before_it_is_used(app, outbox, connects, monkeypatch):
    send(app, "forste@example.dk")
    later = mailer.monotonic() + mailer.KEEP_SECONDS + 1
    monkeypatch.setattr(mailer, "monotonic", lambda: later)
    send(app, "anden@example.dk")
    assert len(outbox) == 2 and len(connects) == 2


def test_a_relay_that_cannot_be_reached_raises_and_nothing_is_kept(app, outbox, connects):
    # The kept connection to the first relay is closed when another relay is configured.
    send(app, "forste@example.dk")
    app.extensions["mail"].port = 1  # nothing listens there: another relay, and unreachable
    with pytest.raises(OSError):
        send(app, "anden@example.dk")
    assert mailer._idle == []
    assert [mail.recipients for mail in outbox] == [["forste@example.dk"]]


def test_a_relay_that_stops_answering_times_out_instead_of_holding_the_thread(
        app, connects, monkeypatch):
    import socket

    monkeypatch.setattr(mailer, "SMTP_TIMEOUT", 0.3)
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        app.extensions["mail"].port = silent.getsockname()[1]
        with pytest.raises((smtplib.SMTPException, OSError)):  # what the callers catch
            send(app, "forste@example.dk")
    assert mailer._idle == []


def test_threads_share_the_kept_connections_and_keep_a_few(app, outbox, connects,
                                                            monkeypatch):
    import threading

    monkeypatch.setattr(mailer, "KEEP_IDLE", 2)
    start = threading.Barrier(4)

    def burst(n):
        start.wait()
        send(app, f"samtidig{n}@example.dk")

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(outbox) == 4
    assert len(mailer._idle) <= 2  # the burst's other connections were closed after use
    used_before = len(connects)
    later = threading.Thread(target=send, args=(app, "senere@example.dk"))  # a new thread
    later.start()
    later.join(10)
    assert len(outbox) == 5 and len(connects) == used_before  # took a kept one


def test_the_wire_format_is_policy_smtps(app):
    with app.test_request_context():
        message = mailer._Message(subject="Bekræft din e-mail – KirPACS",
                                  recipients=["asger@example.dk"], body="Hej Åse\nKode: 123456",
                                  html="<p>Hej Åse</p><p>Kode: <b>123456</b></p>")
        mime = message._message()
        ours = mime.as_bytes()
        mime.policy = policy.SMTP  # flask-mail's own choice
        assert mime.as_bytes() == ours
    parsed = email.message_from_bytes(ours, policy=policy.default)
    assert parsed["Subject"] == "Bekræft din e-mail – KirPACS"
    assert parsed.get_body(("plain",)).get_content().startswith("Hej Åse")
    assert b"\r\n" in ours and b"\n\n" not in ours.replace(b"\r\n", b"")


def test_an_onboarding_step_whose_code_cannot_be_mailed_is_422_and_keeps_nothing(
        app, client, outbox, connects, monkeypatch):
    import socket

    from sqlmodel import select

    from app.models import EmailCode, Onboarding
    from tests.helpers.db import query_one
    from tests.helpers.http import post_form
    from tests.helpers.staff import onboard_until

    onboard_until(client, outbox, "asger.torring", "contact")
    monkeypatch.setattr(mailer, "SMTP_TIMEOUT", 0.3)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        app.extensions["mail"].port = silent.getsockname()[1]
        answer = post_form(client, "/onboarding/contact",
                           {"email": "privat@example.dk", "mobile": "20 12 34 56"})
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    assert "Vi kunne ikke sende e-mailen lige nu. Prøv igen om lidt." in body
    assert 'value="privat@example.dk"' in body  # what was typed is kept
    assert query_one(app, select(EmailCode)) == []
    assert [row.step for row in query_one(app, select(Onboarding))] == ["contact"]


def test_a_mail_not_sent_is_one_exception_logged_without_the_address(app, caplog):
    app.extensions["mail"].port = 1  # nothing listens there
    with pytest.raises(mailer.MailNotSent) as raised:
        send(app, "anden@example.dk")
    assert isinstance(raised.value.__cause__, OSError)
    assert "mail not sent" in caplog.text and "anden@example.dk" not in caplog.text
