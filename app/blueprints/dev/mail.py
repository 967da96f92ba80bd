"""Development mail: a local SMTP sink (aiosmtpd) that files every message for /dev/outbox."""

import email
import email.policy
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    """One received message, as the outbox shows it."""

    received_at: datetime  # aware UTC
    sender: str
    recipients: list[str]
    subject: str
    text: str


def parse_message(raw: bytes, received_at: float, sender: str, recipients) -> ReceivedMail:
    """Extract subject and plain text from a raw message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    at = datetime.fromtimestamp(received_at, UTC)
    return ReceivedMail(at, sender, list(recipients), str(msg["Subject"] or ""), text)


class FilingHandler:
    """aiosmtpd handler that writes each message to a directory as an .eml file."""

    def __init__(self, directory: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time():.6f}-{uuid.uuid4().hex[:8]}"
        header = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: " + ", ".join(
            envelope.rcpt_tos) + "\r\n"
        (self.directory / f"{name}.eml").write_bytes(header.encode() + envelope.original_content)
        return "250 Message accepted for delivery"


def read_outbox(directory: str, limit: int = 50) -> list[ReceivedMail]:
    """The newest messages filed by FilingHandler, newest first."""
    path = Path(directory)
    if not path.is_dir():
        return []
    files = sorted(path.glob("*.eml"), reverse=True)[:limit]
    mails = []
    for file in files:
        raw = file.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        to = [a.strip() for a in str(msg["X-Envelope-To"] or "").split(",") if a.strip()]
        mails.append(parse_message(raw, float(file.name.split("-")[0]),
                                   str(msg["X-Envelope-From"] or ""), to))
    return mails


def start_smtp_sink(handler, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    """Start an SMTP server in a background thread."""
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    return controller
