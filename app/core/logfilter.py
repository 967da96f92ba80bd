"""Keep secrets out of access logs: link tokens, OAuth codes and states are redacted."""

import logging
import re

# Query parameters that carry secrets, and long opaque path segments (link tokens).
_SECRET_PARAMS = re.compile(r"([?&](?:code|state|token|nonce|session_state)=)[^&\s\"']+")
_TOKEN_SEGMENT = re.compile(r"/[A-Za-z0-9_\-.]{32,}(?=[/?\s\"']|$)")
# Anything shaped like a CPR number (DDMMYY-SSSS, with or without the hyphen, or %2D-encoded).
_CPR_LIKE = re.compile(r"(?<!\d)\d{6}(?:-|%2D|%2d)?\d{4}(?!\d)")


def redact(text: str) -> str:
    """Replace secret-bearing parts of a request line."""
    text = _SECRET_PARAMS.sub(r"\1[redacted]", text)
    text = _CPR_LIKE.sub("[cpr]", text)
    return _TOKEN_SEGMENT.sub("/[redacted]", text)


class RedactSecretsFilter(logging.Filter):
    """A logging filter that redacts request lines before they are written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = redact(record.getMessage())
            record.args = None
        else:
            record.msg = redact(str(record.msg))
        return True


def install(*logger_names: str) -> None:
    """Attach the filter to the named loggers (werkzeug, gunicorn.access, …)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
            logger.addFilter(RedactSecretsFilter())
