// A Signaturgruppen-like MitID broker for the interop tests: panva's oidc-provider (OpenID
// Certified), configured through its public options only, as the Signaturgruppen broker
// documents itself:
//   https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/mitid.html
//   https://signaturgruppen-a-s.github.io/signaturgruppen-broker-documentation/idps/mitid-erhverv.html
// - discovery, JWKS, authorization code flow, userinfo, RP-initiated logout (end_session);
// - back-channel logout to each client's backchannel_logout_uri when a session ends there;
// - ID tokens signed ES256 with an EC P-256 key made at start;
// - scopes `mitid` and `nemlogin` name the broker's claims (mitid.*, nemlogin.*); `idp`, `loa`
//   and the other identity claims come with `openid`; all of them in the ID token as well as in
//   userinfo (conformIdTokenClaims off), as the broker answers;
// - the broker's own request parameters idp_values and idp_params are accepted (checked for
//   form, then not acted on: the account decides the answer).
//
// Usage: node broker.mjs CONFIG.json, where the JSON holds
//   {"port": 5555, "clients": [<client metadata>], "accounts": {"<sub>": {...claims}}}
// The person types the account's sub at the dev login page (any password): devInteractions
// takes what is typed as the account id, which is the ID token's and the logout token's sub.
// Once listening it prints one line, "listening <issuer>"; back-channel logout deliveries are
// logged to stderr. It serves loopback only and stops on SIGTERM.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

const signingKey = {
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
  kid: 'broker-es256-1',
  use: 'sig',
  alg: 'ES256',
};

const LEVELS = ['low', 'substantial', 'high'];

// idp_values: identity providers, space separated (identity-providers.html: "mitid nemid").
function checkIdpValues(ctx, value) {
  if (value !== undefined && !/^[a-z_]+( [a-z_]+)*$/.test(value)) {
    throw new errors.InvalidRequest('idp_values must be identity provider names, space separated');
  }
}

// idp_params: JSON; its "mitid" member may take loa_value low|substantial|high (mitid.html).
function checkIdpParams(ctx, value) {
  if (value === undefined) return;
  let parsed;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new errors.InvalidRequest('idp_params must be JSON');
  }
  const loa = parsed?.mitid?.loa_value;
  if (loa !== undefined && !LEVELS.includes(loa)) {
    throw new errors.InvalidRequest('idp_params mitid.loa_value must be low, substantial or high');
  }
}

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingKey] },
  enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    // The ID token's identity claims (mitid.html, mitid-erhverv.html "ID Token identity claims").
    openid: ['sub', 'idp', 'identity_type', 'loa', 'ial', 'aal'],
    mitid: ['mitid.uuid', 'mitid.identity_name', 'mitid.age', 'mitid.date_of_birth'],
    // mitid-erhverv.html, scope nemlogin ("List of claims").
    nemlogin: [
      'nemlogin.date_of_birth', 'nemlogin.email', 'nemlogin.name', 'nemlogin.family_name',
      'nemlogin.given_name', 'nemlogin.nemid.rid', 'nemlogin.org_name',
      'nemlogin.persistent_professional_id', 'nemlogin.cvr', 'nemlogin.se_number',
      'nemlogin.p_number', 'nemlogin.cpr_uuid',
    ],
  },
  conformIdTokenClaims: false,
  extraParams: { idp_values: checkIdpValues, idp_params: checkIdpParams },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
  },
  async findAccount(ctx, sub) {
    const account = config.accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { ...account, sub }; } };
  },
  // The broker asks no consent of its own for a registered client: grant what the client asks
  // (the "skip consent" recipe of the loadExistingGrant option).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    const grant = (grantId && await ctx.oidc.provider.Grant.find(grantId))
      || new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
    grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
    await grant.save();
    return grant;
  },
});

provider.on('backchannel.success', (ctx, client) => {
  process.stderr.write(`backchannel.success ${client.clientId}\n`);
});
provider.on('backchannel.error', (ctx, err, client) => {
  process.stderr.write(`backchannel.error ${client.clientId}: ${err.message}\n`);
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
