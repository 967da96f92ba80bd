"""Danish names of audit actions for the audit log page."""

from flask_babel import lazy_gettext as _l

AUDIT_LABELS = {
    "patient_created": _l("Patient oprettet"),
    "patient_stamdata_changed": _l("Stamdata ændret"),
    "patient_communication_changed": _l("Kommunikation ændret"),
    "patient_no_mitid_set": _l("'Patienten har ikke MitID' sat"),
    "patient_no_mitid_cleared": _l("'Patienten har ikke MitID' fjernet"),
    "patient_cpr_revealed": _l("CPR-nummer vist"),
    "clinic_settings_changed": _l("Klinikkens indstillinger ændret"),
    "session_context_chosen": _l("Klinik/funktion valgt"),
    "registration_request_accepted": _l("Anmodning om oprettelse godkendt"),
    "registration_request_rejected": _l("Anmodning om oprettelse afvist"),
    "portal_child_custody_confirmed": _l("Forældremyndighed bekræftet af klinikken"),
    "portal_child_custody_denied": _l("Oprettelse af barn afvist: ingen forældremyndighed"),
    "portal_user_created_by_clinic": _l("Oprettet som bruger på Patientportalen"),
    "activation_link_sent": _l("Aktiveringslink sendt"),
    "portal_email_vouched": _l("Patientportal-brugerens e-mail bekræftet af klinikken"),
    "portal_email_vouch_cleared": _l("Klinikkens bekræftelse af e-mail fjernet"),
    "portal_user_unlinked": _l("Ubekræftet bruger fjernet fra stamkortet"),
}
