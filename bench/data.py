"""The benchmark database: migrations, the demo clinics and staff, and fictitious patients.

Two clinics carry the patients searched in the benchmark: `bench-10k` (10,000) and `bench-1m`
(1,000,000). Loading is one server-side INSERT ... SELECT per clinic with one shared, precomputed
CPR ciphertext and unique blind-index values; a clinic that already has its count and the current
DATA_VERSION is kept, so a second `make bench` reuses the data. Changing how the patients are made
means raising DATA_VERSION: the next `make bench` then reloads both clinics (most of the time is
the 1,000,000 rows, their indexes and the name-list trigger).
"""

import time

from sqlalchemy import text
from sqlmodel import select

from app import cpr, create_app
from app.blueprints.dev.demo import load_personas, seed_demo_data
from app.core.db import get_session
from app.core.migrate import upgrade
from app.models import Clinic, Membership, StaffUser
from app.security import hash_password
from app.simulator import subject_for
from bench import stack

PATIENT_CLINICS = {"bench-10k": 10_000, "bench-1m": 1_000_000}
CPR_SAMPLES = 40  # records per clinic with a real blind index, for searches by full CPR
SEARCH_USER = "bench.search"
WIZARD_PASSWORD = "Benchmark2024"  # noqa: S105 (fictitious bench accounts)
DATA_VERSION = 2  # 2: the long tail of names; kept as a comment on the patient_record table

# Danish first and last names, most common first. The load draws skewed towards the front so that
# the most common last name has about 4.4 % of the patients and the most common first name about
# 2.5 % (Danish figures: Nielsen/Jensen about 4.5 %, the commonest first names about 1 %).
FIRST_NAMES = (
    "Anne", "Kirsten", "Mette", "Hanne", "Anna", "Helle", "Susanne", "Lene", "Maria", "Marianne",
    "Lone", "Camilla", "Pia", "Louise", "Charlotte", "Tina", "Gitte", "Bente", "Jette", "Karen",
    "Inge", "Rikke", "Julie", "Emma", "Sofie", "Ida", "Freja", "Clara", "Laura", "Mathilde",
    "Signe", "Cecilie", "Maja", "Karina", "Line", "Birgit", "Dorthe", "Ulla", "Ellen", "Lise",
    "Peter", "Jens", "Lars", "Michael", "Henrik", "Thomas", "Søren", "Jan", "Niels", "Christian",
    "Martin", "Anders", "Morten", "Jesper", "Mads", "Rasmus", "Per", "Hans", "Ole", "Jørgen",
    "Erik", "Poul", "Frederik", "Kim", "Mikkel", "Jakob", "Kasper", "Nikolaj", "Steen", "Tommy",
    "Bent", "Johannes", "Allan", "Brian", "Carsten", "Flemming", "Torben", "Kenneth", "René",
    "Claus", "Bo", "Jacob", "Lasse", "Simon", "Lucas", "William", "Oscar", "Noah", "Victor",
    "Malthe", "Emil", "Oliver", "Alfred", "Karl", "Aksel", "Magnus", "Viggo", "Storm", "Bjørn",
    "Asger", "Gustav",
)
LAST_NAMES = (
    "Nielsen", "Jensen", "Hansen", "Andersen", "Pedersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen",
    "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Jakobsen", "Jacobsen",
    "Mikkelsen", "Olesen", "Frederiksen", "Laursen", "Henriksen", "Lund", "Schmidt", "Eriksen",
    "Holm", "Kristiansen", "Clausen", "Simonsen", "Svendsen", "Andreasen", "Iversen", "Jeppesen",
    "Mogensen", "Jespersen", "Nissen", "Lauridsen", "Frandsen", "Østergaard", "Jepsen", "Kjær",
    "Carlsen", "Vestergaard", "Jessen", "Nørgaard", "Dahl", "Christoffersen", "Skov", "Søndergaard",
    "Bertelsen", "Bruun", "Lassen", "Bach", "Gregersen", "Friis", "Johnsen", "Steffensen",
    "Kjeldsen", "Bech", "Krogh", "Lauritsen", "Danielsen", "Mathiesen", "Andresen", "Brandt",
    "Winther", "Toft", "Ravn", "Mathiasen", "Dam", "Holst", "Nilsson", "Lind", "Berg", "Schou",
    "Overgaard", "Kristoffersen", "Schultz", "Klausen", "Karlsen", "Paulsen", "Hermansen",
    "Thorsen", "Koch", "Thygesen", "Bak", "Kruse", "Bang", "Juhl", "Davidsen", "Berthelsen",
    "Nygaard", "Lorentzen", "Villadsen", "Lorenzen", "Damgaard", "Bjerre", "Mørch", "Hedegaard",
    "Bisgaard", "Frost", "Gade", "Enevoldsen", "Bendtsen", "Riis", "Ibsen", "Kirkegaard", "Stampe",
    "Hvidberg", "Ingvardsen", "Krarup", "Lykkegaard", "Mejlvang", "Nyborg", "Quist", "Rosenkilde",
    "Sandholm", "Tofteng", "Uhrenholt", "Wedel", "Zacho", "Aagaard",
)


# The long tail: a real clinic of a million patients has tens of thousands of last names, most of
# them rare, and many double first names. Made from place-name parts (Bjerg + lund + gaard) and
# pairs of the first names above; a name of the tail is drawn for TAIL_SHARE of the patients.
_ROOTS = (
    "Ager", "Bjerg", "Birke", "Bro", "Dal", "Eng", "Fjord", "Fugle", "Grøn", "Hav", "Hede", "Hjort",
    "Kirke", "Kløv", "Kær", "Lyng", "Mose", "Mølle", "Nør", "Ege", "Rav", "Rosen", "Sand", "Skov",
    "Sten", "Strand", "Sol", "Sø", "Tjørne", "Vester", "Øster", "Sønder", "Vinde", "Ulv", "Ørne",
    "Pile", "Lange", "Bøge", "Ask", "Elle",
)
_MIDDLES = (
    "", "lund", "holm", "bæk", "høj", "mark", "vang", "ris", "toft", "kær", "dal", "vad", "by",
    "strup", "sted", "borg", "bo", "rød", "lev", "næs", "skov", "hus", "gård", "ager", "bjerg",
)
_ENDINGS = (
    "gaard", "sen", "holm", "lund", "berg", "mann", "strøm", "feldt", "kjær", "dahl", "bech",
    "skov", "høj", "toft", "bjerg", "", "by", "rup", "borg", "vig", "hauge", "bak", "ø", "mose",
    "sgaard",
)
LAST_NAME_TAIL = tuple(dict.fromkeys(
    (root + middle + ending).capitalize() for root in _ROOTS for middle in _MIDDLES
    for ending in _ENDINGS if middle or ending))
FIRST_NAME_TAIL = tuple(f"{a}-{b}" for a in FIRST_NAMES[:40] for b in FIRST_NAMES[:40] if a != b) \
    + tuple(f"{a}-{b}" for a in FIRST_NAMES[40:] for b in FIRST_NAMES[40:] if a != b)
TAIL_SHARE = 0.4


def app_config(database_url: str, mail_port: int = 25) -> dict:
    """The in-process app of the bench database (same keys as the served instances)."""
    return {
        "ENV_NAME": "production", "SIMULATOR_ENABLED": False, "DATABASE_URL": database_url,
        "SECRET_KEY": stack.STACK_SECRET_KEY, "CPR_ENCRYPTION_KEYS": stack.STACK_CPR_KEY,
        "CPR_INDEX_KEY": stack.STACK_CPR_INDEX_KEY, "MAIL_SERVER": stack.LOOPBACK,
        "MAIL_PORT": mail_port, "RATELIMIT_ENABLED": False, "REDIS_URL": None,
        "SESSION_COOKIE_SECURE": True, "ALLOW_SIMULATOR_BROKER_IN_PRODUCTION": True,
    }


def sample_cpr(clinic_number: int, i: int) -> str:
    """A valid, fictitious CPR number (born 1950-1999) for the samples."""
    day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 50 + (i * 7 + clinic_number) % 50
    return f"{day:02d}{month:02d}{year:02d}-{(clinic_number % 4)}{i:03d}"


def _ensure_clinic(key: str, number: int) -> Clinic:
    db = get_session()
    clinic = db.exec(select(Clinic).where(Clinic.key == key)).first()
    if clinic is None:
        clinic = Clinic(key=key, name=f"Benchmark-klinik {key}", cvr=f"9900{number:04d}",
                        self_registration="auto")
        db.add(clinic)
        db.flush()
    return clinic


def _ensure_staff(user_id: str, name: str, password_hash: str, memberships) -> StaffUser:
    db = get_session()
    user = db.exec(select(StaffUser).where(StaffUser.legacy_user_id == user_id)).first()
    if user is None:
        user = StaffUser(name=name, legacy_user_id=user_id, legacy_password_hash=password_hash)
        db.add(user)
        db.flush()
    for clinic_id, function in memberships:
        exists = db.exec(select(Membership).where(
            Membership.staff_user_id == user.id, Membership.clinic_id == clinic_id,
            Membership.function == function)).first()
        if exists is None:
            db.add(Membership(staff_user_id=user.id, clinic_id=clinic_id, function=function))
    return user


def _load_patients(clinic: Clinic, number: int, count: int, log) -> None:
    """Replace the clinic's patients by `count` fictitious ones (server-side, one statement)."""
    db = get_session()
    db.execute(text("DELETE FROM patient_record WHERE clinic_id = :c"), {"c": clinic.id})
    shared_ciphertext = cpr.protect(sample_cpr(number, 999))[0]
    started = time.monotonic()
    db.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    db.execute(text("SELECT setseed(:seed)"), {"seed": 0.1 * number})
    db.execute(text("""
        WITH draws AS MATERIALIZED (
            SELECT g, random() AS a, random() AS b, random() AS c, random() AS d
            FROM generate_series(1, :n) AS g),
        names AS MATERIALIZED (
            SELECT g,
                   CASE WHEN c < :tail THEN (CAST(:ftail AS text[]))[1 + floor(a * :nft)::int]
                        ELSE (CAST(:firsts AS text[]))[1 + floor(power(a, 1.25) * :nf)::int]
                   END AS f,
                   CASE WHEN d < :tail THEN (CAST(:ltail AS text[]))[1 + floor(power(b, 1.3) * :nlt)::int]
                        ELSE (CAST(:lasts AS text[]))[1 + floor(power(b, 1.6) * :nl)::int]
                   END AS l
            FROM draws)
        INSERT INTO patient_record (clinic_id, cpr_encrypted, cpr_index, first_name, last_name,
                                    search_name, no_mitid, created_at, updated_at)
        SELECT :clinic, :ct, encode(sha256(convert_to(:clinic || ':' || g, 'UTF8')), 'hex'),
               f, l, lower(f || ' ' || l), false, now(), now()
        FROM names
    """), {"firsts": list(FIRST_NAMES), "lasts": list(LAST_NAMES), "nf": len(FIRST_NAMES),
           "nl": len(LAST_NAMES), "ftail": list(FIRST_NAME_TAIL), "ltail": list(LAST_NAME_TAIL),
           "nft": len(FIRST_NAME_TAIL), "nlt": len(LAST_NAME_TAIL), "tail": TAIL_SHARE,
           "n": count - CPR_SAMPLES, "clinic": clinic.id, "ct": shared_ciphertext})
    rows = []
    for i in range(CPR_SAMPLES):
        number_ = sample_cpr(number, i)
        encrypted, index = cpr.protect(number_)
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
        rows.append({"clinic": clinic.id, "ct": encrypted, "ix": index, "f": first, "l": last,
                     "s": f"{first} {last}".lower()})
    db.execute(text("""
        INSERT INTO patient_record (clinic_id, cpr_encrypted, cpr_index, first_name, last_name,
                                    search_name, no_mitid, created_at, updated_at)
        VALUES (:clinic, :ct, :ix, :f, :l, :s, false, now(), now())"""), rows)
    db.commit()
    log(f"  loaded {count:,} patients into {clinic.key} in {time.monotonic() - started:.1f} s")


def _data_version(db) -> int | None:
    """The DATA_VERSION the bench patients were loaded with (a comment on their table)."""
    comment = db.execute(text("SELECT obj_description('patient_record'::regclass, 'pg_class')")
                         ).scalar_one()
    if comment and comment.startswith("bench data "):
        return int(comment.removeprefix("bench data "))
    return None


def prepare(database_url: str, *, log=print, wizard_users: int = 0) -> dict:
    """Create, migrate and fill the bench database (idempotent); returns ids the bench needs."""
    if stack.create_database(database_url):
        log(f"  created database {stack.database_name(database_url)}")
    upgrade(database_url)
    app = create_app(app_config(database_url))
    try:
        with app.app_context():
            db = get_session()
            seed_demo_data(load_personas(), subject_for=subject_for, patients_per_clinic=0)
            clinics = {}
            loaded = False
            version = _data_version(db)
            for number, (key, count) in enumerate(PATIENT_CLINICS.items(), start=1):
                clinic = _ensure_clinic(key, number)
                db.commit()
                have = db.execute(text("SELECT count(*) FROM patient_record WHERE clinic_id = :c"),
                                  {"c": clinic.id}).scalar_one()
                if have != count or version != DATA_VERSION:
                    _load_patients(clinic, number, count, log)
                    loaded = True
                clinics[key] = clinic.id
            password_hash = hash_password(WIZARD_PASSWORD)
            _ensure_staff(SEARCH_USER, "Bench Søgning", password_hash,
                          [(cid, "secretary") for cid in clinics.values()])
            for i in range(wizard_users):
                _ensure_staff(f"bench.w{i:04d}", f"Bench Wizard {i}", password_hash,
                              [(clinics["bench-10k"], "clinician")])
            if loaded:
                db.execute(text(f"COMMENT ON TABLE patient_record IS 'bench data {DATA_VERSION}'"))
            db.commit()
        if loaded:
            engine = app.extensions["db_engine"]
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE patient_record"))
                conn.execute(text("VACUUM ANALYZE patient_name"))
        return {"clinics": clinics}
    finally:
        app.extensions["db_engine"].dispose()
