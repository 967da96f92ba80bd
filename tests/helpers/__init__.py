"""Test helpers, one home: each name means one thing (servers, http, mail, mitid, db, staff, portal)."""
