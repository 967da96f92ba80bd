"""Revocation (RFC 7009) and introspection (RFC 7662) of the tokens the provider issued.

A client only ever learns about, or revokes, its own tokens: a token of another client is
answered as if it were unknown (revocation: 200 and nothing happens; introspection:
`{"active": false}`), so neither endpoint tells one sister system anything about another's tokens.
"""

from datetime import UTC

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from app import audit
from app.core.clock import utcnow
from app.core.db import get_session
from app.provider import claims, clients, issuer
from app.provider.server import find_token, revoke_family

CONFIDENTIAL = tuple(method for method in clients.AUTH_METHODS if method != "none")


def _actor(client) -> str:
    return f"oidc_client:{client.client_id}"


class ProviderRevocation(RevocationEndpoint):
    """POST /oidc/revoke: a refresh token ends its family, an access token its own row.

    RFC 7009 §2.1: the client authenticates with its one method (a public client names itself);
    revoking an access token may revoke its refresh token too, and does here (they share a row).
    §2.1 would refuse another client's token; we answer it like an unknown token (§2.2: 200), so
    the answer does not tell whether the value is a live token of someone else.
    """

    CLIENT_AUTH_METHODS = clients.AUTH_METHODS

    def authenticate_token(self, request, client):
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token is not None and not token.check_client(client):
            audit.record("op_token_revocation_ignored", actor=_actor(client),
                         target_type="oidc_client", target_id=client.client_id,
                         reason="other_client", owner=token.row.client_id)
            get_session().commit()
            return None
        return token

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token, request):
        row = token.row
        if token.presented == "refresh_token":
            revoke_family(row.family)
        elif row.revoked_at is None:
            row.revoked_at = utcnow()
        audit.record("op_token_revoked", actor=_actor(request.client), target_type="oidc_client",
                     target_id=row.client_id, token_type=token.presented,
                     login_session_id=row.login_session_id)
        get_session().commit()


def _timestamp(moment) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


class ProviderIntrospection(IntrospectionEndpoint):
    """POST /oidc/introspect: is this token of mine active, and whose is it (RFC 7662 §2).

    Confidential clients only (a public client has no API to protect). Inactive: unknown,
    another client's, expired, revoked, a rotated refresh token, or its login session ended
    (Log ud, offboarding, the broker's logout). An active answer names the person by the ID
    token's `sub` and the login session by its `sid`; `token_type` is `Bearer` for an access
    token only, so an API that checks it never takes a refresh token for one.
    """

    CLIENT_AUTH_METHODS = CONFIDENTIAL

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        return token.check_client(client)

    def introspect_token(self, token):
        row, person = token.row, token.person
        found = {"active": True, "scope": row.scope, "client_id": row.client_id,
                 "sub": claims.subject_of(person.user),
                 "sid": claims.session_id_of(person.login_session), "iss": issuer(),
                 "iat": _timestamp(row.issued_at), "exp": _timestamp(token.expires_at()),
                 "token_use": token.presented}
        if token.presented == "access_token":
            found["token_type"] = "Bearer"  # noqa: S105 (a token type, RFC 6750)
        return found
