"""The onboarding wizard declared once: its pages in order, each with its form and what it shows."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app import email_codes
from app.blueprints.onboarding.forms import (
    CodeForm,
    ConsentForm,
    ContactForm,
    InvitationConfirmForm,
    LegacyLoginForm,
)
from app.consent import PROFILE_SHARING_SYSTEMS, PROFILE_SHARING_TEXT
from app.core.web import mask_email

CODE_PURPOSE = "onboarding_email"  # the e-mail codes of the verify step


def _nothing(_row) -> dict:
    return {}


@dataclass(frozen=True)
class Step:
    """A page of the wizard; only the steps with a label are numbered in the step indicator."""

    name: str
    label: str | None = None
    form: type | None = None
    shows: Callable[[object], dict] = _nothing  # what the page shows of the onboarding row
    heading: str = _l("KirPACS onboarding")
    view: str | None = None  # the view of the step's URL, when not named as the step

    @property
    def template(self) -> str:
        """The step's own part of the page, inside the frame of onboarding/wizard.html."""
        return f"onboarding/_{self.name}.html"

    @property
    def endpoint(self) -> str:
        """The endpoint of the step's URL."""
        return f"onboarding.{self.view or self.name}"

    def page(self, row, form=None) -> dict:
        """The context of the step's page: its form and what it shows of the row."""
        return {"form": form or self.blank_form(row), **self.shows(row)}

    def blank_form(self, row):
        """The step's form as the page first shows it (the contact step shows what is stored)."""
        if self.form is None:
            return None
        form = self.form(formdata=None)
        if self.name == "contact":
            form.email.data, form.mobile.data = row.email, row.mobile
        return form


def _verify_page(row) -> dict:
    wait = email_codes.resend_wait_seconds(email=row.email, purpose=CODE_PURPOSE)
    return {"masked_email": mask_email(row.email), "resend_wait": wait}


def _consent_page(_row) -> dict:
    return {"consent_text": PROFILE_SHARING_TEXT.split("\n\n"),
            "consent_systems": PROFILE_SHARING_SYSTEMS}


# MitID login → (Er det dig? when an invitation waits) → link → contact → verify → consent → done.
STEPS = (
    Step("invitation", form=InvitationConfirmForm, heading=_l("Er det dig?"),
         view="confirm_invitation"),
    Step("link", _l("Knyt konto"), LegacyLoginForm,
         lambda row: {"name": row.name, "cvr": row.cvr, "org_name": row.org_name}),
    Step("contact", _l("E-mail og mobil"), ContactForm),
    Step("verify", _l("Verificer kode"), CodeForm, _verify_page),
    Step("consent", _l("Samtykke"), ConsentForm, _consent_page),
    Step("done", heading=""),
)
BY_NAME = {step.name: step for step in STEPS}
NUMBERED = tuple(step for step in STEPS if step.label)
RESUME = Step("resume", shows=lambda row: {"row": row})  # continue or start over


def next_step(name: str) -> str:
    """The numbered step after `name`: where a valid POST of that step goes."""
    names = [step.name for step in NUMBERED]
    return names[names.index(name) + 1]
