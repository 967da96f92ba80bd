"""The flows as a person walks them, over HTTP, for the Flask test client."""

from app.db import get_session
from tests.support import app_path, code_from, csrf_from, walk_simulator

STAFF_LOGINS = {
    "asger.torring": ("ato", "Kirpacs2024"),
    "mette.kjaer": ("mkj", "Rygcenter2024"),
    "jonas.holm": ("jho", "Sekretaer2024"),
}


def login_with_mitid(client, persona: str, **walk):
    """Click NEMLOG-IN, log in at the simulator, come back; return the callback's response."""
    start = client.get("/auth/mitid/login")
    assert start.status_code == 302, start.status_code
    back = walk_simulator(start.location, persona, **walk)
    return client.get(app_path(back))


def post_form(client, path: str, data: dict, *, htmx: bool = False, page: str | None = None):
    """POST a form with the CSRF token of the page it lives on."""
    html = client.get(page or path).get_data(as_text=True)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path, data={"csrf_token": csrf_from(html), **data}, headers=headers)


def onboard_until(client, outbox, persona: str, step: str, email="privat@example.dk"):
    """Walk the onboarding of a persona up to (not through) `step`."""
    login_with_mitid(client, persona)
    if step == "link":
        return
    user_id, password = STAFF_LOGINS[persona]
    assert post_form(client, "/onboarding/link",
                     {"user_id": user_id, "password": password}).status_code == 303
    if step == "contact":
        return
    assert post_form(client, "/onboarding/contact",
                     {"email": email, "mobile": "20 12 34 56"}).status_code == 303
    if step == "verify":
        return
    code = code_from(outbox[-1])
    assert post_form(client, "/onboarding/verify", {"code": code}).status_code == 303


def query_one(app, statement):
    """Run a query in an app context and return all rows."""
    with app.app_context():
        db = get_session()
        rows = db.exec(statement).all()
        db.expunge_all()  # keep the loaded values readable after the context closes
        return rows


CLINIC_IDS = {"vejle": 1, "aarhus": 2, "odense": 3}  # the order the demo data creates them


def login_as(client, persona: str, *, clinic: str | None = None, function: str | None = None):
    """Log a staff persona in with MitID and walk the clinic and function pickers."""
    answer = login_with_mitid(client, persona)
    if answer.location == "/select/clinic":
        answer = post_form(client, "/select/clinic", {"clinic_id": CLINIC_IDS[clinic]})
    if answer.location == "/select/function":
        answer = post_form(client, "/select/function", {"function": function})
    assert answer.location in ("/", "/?welcome=1"), answer.location
    return client
