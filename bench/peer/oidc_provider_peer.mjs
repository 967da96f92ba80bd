// The reference OP of `make bench`'s sso part: panva's oidc-provider (OpenID Certified), served on
// loopback and configured like Klinikadgang's provider through its public configuration only.
//
//   node bench/peer/oidc_provider_peer.mjs   (settings from the environment, below)
//
// PEER_PORT            loopback port to listen on
// PEER_CLIENT_ID       the one confidential client (client_secret_basic)
// PEER_CLIENT_SECRET
// PEER_REDIRECT_URI    its one redirect URI (exact match)
// PEER_COOKIE_KEY      signs the provider's cookies (as SECRET_KEY signs ours)
// PEER_ACCOUNT         JSON: the fixed account's claims (`sub` and what the scopes release)
// PEER_MODULE          path of oidc-provider's lib/index.js (installed under tests/peers)
// PEER_REDIS_URL       optional: keep the state in Redis (redis_adapter.mjs, oidc-provider's
// PEER_REDIS_PREFIX      documented example adapter) under this key prefix; without it, in the
//                        provider's default in-process memory adapter
//
// Like ours: code flow only with PKCE S256 (RFC 7636), ES256 ID tokens, opaque access
// tokens of 300 s for the userinfo endpoint, a refresh token on every code exchange of a client
// allowed the refresh grant, rotated on every use with the chain revoked on reuse (RFC 9700
// §4.14.2), an 8-hour login session, and the grant given once (`loadExistingGrant`), as our
// recorded consent is. The first authorization request's login interaction is finished here
// without a page (`provider.interactionFinished`): that is how the bench gets its session cookie.
// With PEER_REDIS_URL its state (codes, tokens, sessions, grants) is in Redis, where a second
// instance would find it, as ours keeps it in PostgreSQL: configured alike. Without it, the state
// lives in the provider's default in-process memory adapter, which its authors mark as for
// development only and which cannot be shared between processes. Either way, one Node.js process.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import redisAdapter from './redis_adapter.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const { default: Provider } = await import(pathToFileURL(env('PEER_MODULE')).href);
const port = Number(env('PEER_PORT'));
const issuer = `http://127.0.0.1:${port}`;
const account = JSON.parse(env('PEER_ACCOUNT'));
const scope = 'openid profile clinic offline_access';

let adapter; // undefined: the provider's default memory adapter
let redis;
if (process.env.PEER_REDIS_URL) {
  // ioredis from tests/peers/node_modules, where oidc-provider is installed.
  const Redis = createRequire(env('PEER_MODULE'))('ioredis');
  ({ RedisAdapter: adapter, client: redis } = redisAdapter(Redis, env('PEER_REDIS_URL'),
    env('PEER_REDIS_PREFIX')));
  await redis.ping(); // fail at start, not at the first request
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(9).toString('base64url'),
  alg: 'ES256',
  use: 'sig',
};

const provider = new Provider(issuer, {
  ...(adapter ? { adapter } : {}),
  clients: [{
    client_id: env('PEER_CLIENT_ID'),
    client_secret: env('PEER_CLIENT_SECRET'),
    redirect_uris: [env('PEER_REDIRECT_URI')],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    scope,
  }],
  jwks: { keys: [signingKey] },
  responseTypes: ['code'],
  // PKCE: S256 only (this provider's default methods), required of public clients (its default
  // policy, and ours: RFC 9700 §2.1.1); the bench's client sends it on every request.
  scopes: ['openid', 'offline_access', 'profile', 'clinic'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    clinic: ['clinic', 'function', 'roles'],
  },
  async findAccount(ctx, sub) {
    if (sub !== account.sub) return undefined;
    return { accountId: sub, claims: async () => account };
  },
  // Ours issues a refresh token on every code exchange of a client registered with
  // offline_access (authlib's rule); OpenID Connect Core §11 has this provider drop offline_access
  // from a request without prompt=consent, so the same rule is given here.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    // The consent is given once for the fixed account (ours: the recorded consent).
    const grant = new ctx.oidc.provider.Grant({
      clientId: client.clientId,
      accountId: session.accountId,
    });
    grant.addOIDCScope(scope);
    await grant.save();
    session.grantIdFor(client.clientId, grant.jti);
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: [env('PEER_COOKIE_KEY')] },
  ttl: {
    AccessToken: 300,
    AuthorizationCode: 60,
    IdToken: 300,
    RefreshToken: 8 * 3600,
    Grant: 8 * 3600,
    Session: 8 * 3600,
    Interaction: 600,
  },
});

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/interaction/')) {
    // The bench's one login: the fixed account, no page.
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name !== 'login') {
        throw new Error(`unexpected prompt ${details.prompt.name}`);
      }
      await provider.interactionFinished(req, res, { login: { accountId: account.sub } },
        { mergeWithLastSubmission: false });
    } catch (error) {
      res.statusCode = 400;
      res.end(String(error));
    }
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 5000; // gunicorn.conf.py's keep-alive for ours
server.listen(port, '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    redis?.disconnect();
    process.exit(0);
  });
}
