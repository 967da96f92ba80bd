"""The MitID identities linked to a staff account, as Min profil lists them, and removing one."""

from sqlmodel import select

from app import audit
from app.core.clock import utcnow
from app.core.db import get_session
from app.models import LoginSession, MitIDLink


def linked_identities(staff_user_id: int) -> list[MitIDLink]:
    """The account's MitID links: the private MitID first, then MitID Erhverv by organisation."""
    links = get_session().exec(
        select(MitIDLink).where(MitIDLink.staff_user_id == staff_user_id)).all()
    return sorted(links, key=lambda link: (link.cvr is not None, link.org_name or "", link.id))


def find_own_link(staff_user_id: int, link_id: int) -> MitIDLink | None:
    """One of the account's own links, or None (another's or unknown look the same)."""
    link = get_session().get(MitIDLink, link_id)
    return link if link is not None and link.staff_user_id == staff_user_id else None


def remove_link(link: MitIDLink, *, current_session: LoginSession) -> bool:
    """Remove a link and end the open sessions that came through it; commits.

    The identity of the current session cannot be removed (False): the person would be logged
    in through an identity the account no longer has.
    """
    if current_session.mitid_link_id == link.id:
        return False
    db = get_session()
    now = utcnow()
    # Row by row, not one UPDATE: ending a session this way also tells the sister systems that
    # hold its tokens (the back-channel queue sees ORM changes only). The sessions keep how they
    # were made (idp, broker_sub); only the link they named goes.
    for row in db.exec(select(LoginSession).where(LoginSession.mitid_link_id == link.id)):
        if row.ended_at is None:
            row.ended_at, row.ended_reason = now, "mitid_unlinked"
        row.mitid_link_id = None
    db.flush()  # the sessions let go of the link before it is deleted
    audit.record("mitid_unlinked", actor=f"staff:{link.staff_user_id}", target_type="staff_user",
                 target_id=link.staff_user_id, idp=link.idp, cvr=link.cvr)
    db.delete(link)
    db.commit()
    return True
