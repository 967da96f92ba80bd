"""The reference page: a bare Flask + Jinja app, served by the same gunicorn setup in the bench.

    gunicorn -c gunicorn.conf.py bench.bare_app:app

It renders a page like the staff login page (layout, sections, a form through a macro, about the
same number of bytes) with nothing else: no extensions, no database, no session.
"""

from flask import Flask, render_template

app = Flask(__name__)

LINKS = [("Forside", "/"), ("Hjælp", "/help"), ("Kontakt", "/contact"), ("Om", "/about")]
TEXT = ("Log ind med MitID via NemLog-in. Det er valgfrit, om du vil bruge dit private MitID "
        "eller dit erhvervs MitID, og første gang knytter du dit MitID til din brugerkonto.")
SECTIONS = [{"heading": "Log ind med MitID", "text": [TEXT, TEXT, TEXT]},
            {"heading": "Eksterne brugere", "text": [TEXT]}]
FIELDS = [("user_id", "Bruger ID", "text", "Det bruger ID, klinikken har givet dig.", None),
          ("password", "Kodeord", "password", None, None)]  # name, label, type, hint, value


@app.get("/")
def page():
    return render_template("bare.html", title="Log ind", links=LINKS, sections=SECTIONS,
                           fields=FIELDS, token="x" * 88,
                           notice="Fra 2. oktober 2024 kan du kun logge ind med MitID. " * 2)
