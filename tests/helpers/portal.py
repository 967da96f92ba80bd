"""The patient portal's flows as a person walks them, over HTTP, for the Flask test client."""

import re

from sqlalchemy import inspect, text
from sqlmodel import select

from app.blueprints.patients.services import create_patient
from app.core.db import get_engine, get_session
from app.models import Clinic, PortalUser
from app.security import cpr_index
from tests.helpers.http import app_path, post_form
from tests.helpers.mail import code_from
from tests.helpers.mitid import simulator_browser, walk_simulator

CPR = {
    "karen.jensen": "150381-2346",
    "peter.jensen": "220879-1235",
    "sofie.nielsen": "071198-3014",
    "lukas.nielsen": "300911-4217",
    "emma": "120616-4128",
    "ida": "140319-4562",  # a child the simulator's CPR register does not know
    "ole.hansen": "030344-1357",
}

PASSWORD = "Solskin2026x"

NEW_PASSWORD = "Regnvejr2027y"


def both_forms(cpr: str) -> tuple[str, str]:
    """A CPR number with and without its hyphen (either must never leak)."""
    return cpr, cpr.replace("-", "")


def assert_no_cpr(haystack: str, *cprs: str) -> None:
    """Neither form of any of the CPR numbers occurs in the text."""
    for number in cprs:
        for form in both_forms(number):
            assert form not in haystack, f"CPR {number[:6]}… leaked"


def mitid_back(client, authorize_url: str, persona: str, **walk):
    """Log in at the MitID simulator and follow the redirect back into the app."""
    back = walk_simulator(authorize_url, persona, browser=simulator_browser(client), **walk)
    return client.get(app_path(back))


def portal_mitid(client, key: str, persona: str, **walk):
    """Log ind med MitID at a clinic's portal; return the callback's response."""
    start = client.get(f"/portal/{key}/mitid")
    assert start.status_code == 302, start.status_code
    return mitid_back(client, start.location, persona, **walk)


def registration_data(persona: str = "sofie.nielsen", **overrides) -> dict:
    """A valid 'Opret ny bruger' form for a persona."""
    first, last = {"sofie.nielsen": ("Sofie", "Nielsen"), "karen.jensen": ("Karen", "Jensen"),
                   "lukas.nielsen": ("Lukas", "Nielsen"),
                   "peter.jensen": ("Peter", "Jensen")}[persona]
    email = f"{persona}@example.dk"
    data = {"cpr": CPR[persona], "first_name": first, "last_name": last, "email": email,
            "email_confirm": email, "mobile": "20 00 00 03", "password": PASSWORD,
            "password_confirm": PASSWORD, "accept_terms": "y"}
    data.update(overrides)
    return data


def child_data(**overrides) -> dict:
    """A valid 'Opret bruger under 15 år' form: Emma, confirmed by Karen."""
    data = {"child_cpr": CPR["emma"], "guardian_cpr": CPR["karen.jensen"], "first_name": "Emma",
            "last_name": "Jensen", "email": "karen.jensen@example.dk",
            "email_confirm": "karen.jensen@example.dk", "mobile": "", "password": PASSWORD,
            "password_confirm": PASSWORD, "accept_terms": "y"}
    data.update(overrides)
    return data


def on_to_mitid(client, key: str, sent) -> str:
    """From a valid registration POST to the broker: the Bekræft med MitID page, its link; the
    authorization URL."""
    assert (sent.status_code, sent.location) == (303, f"/portal/{key}/opret/mitid"), (
        sent.status_code, sent.get_data(as_text=True)[-1500:])
    page = client.get(sent.location).get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Fortsæt til MitID<', page).group(1)
    start = client.get(link)
    assert start.status_code == 302, start.status_code
    return start.location


def register(client, key: str, persona: str = "sofie.nielsen", *, mitid_as: str | None = None,
             **overrides):
    """Opret ny bruger, then MitID as `mitid_as` (default the persona); the callback's response."""
    sent = post_form(client, f"/portal/{key}/opret", registration_data(persona, **overrides))
    return mitid_back(client, on_to_mitid(client, key, sent), mitid_as or persona)


def register_child(client, key: str, *, mitid_as: str = "karen.jensen", **overrides):
    """Opret bruger under 15 år, then the guardian's MitID; the callback's response."""
    sent = post_form(client, f"/portal/{key}/opret-barn", child_data(**overrides))
    return mitid_back(client, on_to_mitid(client, key, sent), mitid_as)


def start_code_login(client, key: str, cpr: str, password: str = PASSWORD, *, htmx=False):
    """Log ind med sikkerhedskode, step 1 (CPR + password)."""
    return post_form(client, f"/portal/{key}/log-ind", {"cpr": cpr, "password": password},
                page=f"/portal/{key}", htmx=htmx)


def code_login(client, outbox, key: str, cpr: str, password: str = PASSWORD):
    """Both steps of security-code login; return the final response."""
    first = start_code_login(client, key, cpr, password)
    assert first.status_code == 303, (first.status_code, first.get_data(as_text=True)[-2000:])
    assert first.location == f"/portal/{key}/log-ind/sikkerhedskode"
    return post_form(client, first.location, {"code": code_from(outbox[-1])})


def logout(client, key: str):
    """Log ud of the portal."""
    return post_form(client, f"/portal/{key}/log-ud", {}, page=f"/portal/{key}/hjaelp")


def clinic_id(app, key: str) -> int:
    """The id of a demo clinic."""
    with app.app_context():
        return get_session().exec(select(Clinic.id).where(Clinic.key == key)).one()


def add_record(app, key: str, persona: str, *, email=None, mobile=None, no_mitid=False,
               names=None) -> int:
    """The clinic creates a stamkort (through the clinic workspace's service); its id."""
    first, last = names or {"ole.hansen": ("Ole", "Hansen"), "sofie.nielsen": ("Sofie", "Nielsen"),
                            "karen.jensen": ("Karen", "Jensen"), "emma": ("Emma", "Jensen"),
                            "ida": ("Ida", "Nielsen"),
                            "peter.jensen": ("Peter", "Jensen")}[persona]
    with app.app_context():
        record = create_patient(clinic_id=clinic_id(app, key), staff_user_id=1,
                                cpr_number=CPR[persona], first_name=first, last_name=last,
                                email=email, mobile=mobile, no_mitid=no_mitid)
        return record.id


def portal_user(app, persona: str) -> PortalUser | None:
    """The portal user of a persona's CPR, read fresh."""
    with app.app_context():
        db = get_session()
        user = db.exec(select(PortalUser).where(
            PortalUser.cpr_index == cpr_index(CPR[persona]))).first()
        db.expunge_all()
        return user


def database_text(app) -> str:
    """Every value of every table as text (to prove no plaintext CPR is stored)."""
    with app.app_context():
        engine = get_engine()
        parts = []
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608
                    parts.extend(str(value) for value in row)
        return "\n".join(parts)
