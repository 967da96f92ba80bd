// oidc-provider's documented Redis adapter, as its example has it for the version the bench runs
// (https://github.com/panva/node-oidc-provider/blob/v8.8.1/example/adapters/redis.js), for the
// bench peer's shared state: codes, tokens, sessions, grants and interactions in Redis, where a
// second instance would find them (as ours keeps them in PostgreSQL).
//
// Changed from the example, and only this: the client is made from the given `Redis` class (the
// ioredis module pinned in tests/peers/package.json; this file is outside that package, so it
// cannot import it by name), URL and key prefix (the bench's per-run prefix, deleted afterwards)
// instead of REDIS_URL and 'oidc:'; and lodash's `isEmpty` (not a dependency here) is the
// equivalent check for what `get` and `hgetall` return (null, a string, or an object).

const isEmpty = (data) => data == null
  || (typeof data === 'string' ? data.length === 0 : Object.keys(data).length === 0);

const grantable = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

const consumable = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

function grantKeyFor(id) {
  return `grant:${id}`;
}

function userCodeKeyFor(userCode) {
  return `userCode:${userCode}`;
}

function uidKeyFor(uid) {
  return `uid:${uid}`;
}

export default function redisAdapter(Redis, url, keyPrefix) {
  const client = new Redis(url, { keyPrefix });

  class RedisAdapter {
    constructor(name) {
      this.name = name;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      const store = consumable.has(this.name)
        ? { payload: JSON.stringify(payload) } : JSON.stringify(payload);

      const multi = client.multi();
      multi[consumable.has(this.name) ? 'hmset' : 'set'](key, store);

      if (expiresIn) {
        multi.expire(key, expiresIn);
      }

      if (grantable.has(this.name) && payload.grantId) {
        const grantKey = grantKeyFor(payload.grantId);
        multi.rpush(grantKey, key);
        // if you're seeing grant key lists growing out of acceptable proportions consider using
        // LTRIM here to trim the list to an appropriate length
        const ttl = await client.ttl(grantKey);
        if (expiresIn > ttl) {
          multi.expire(grantKey, expiresIn);
        }
      }

      if (payload.userCode) {
        const userCodeKey = userCodeKeyFor(payload.userCode);
        multi.set(userCodeKey, id);
        multi.expire(userCodeKey, expiresIn);
      }

      if (payload.uid) {
        const uidKey = uidKeyFor(payload.uid);
        multi.set(uidKey, id);
        multi.expire(uidKey, expiresIn);
      }

      await multi.exec();
    }

    async find(id) {
      const data = consumable.has(this.name)
        ? await client.hgetall(this.key(id))
        : await client.get(this.key(id));

      if (isEmpty(data)) {
        return undefined;
      }

      if (typeof data === 'string') {
        return JSON.parse(data);
      }
      const { payload, ...rest } = data;
      return {
        ...rest,
        ...JSON.parse(payload),
      };
    }

    async findByUid(uid) {
      const id = await client.get(uidKeyFor(uid));
      return this.find(id);
    }

    async findByUserCode(userCode) {
      const id = await client.get(userCodeKeyFor(userCode));
      return this.find(id);
    }

    async destroy(id) {
      const key = this.key(id);
      await client.del(key);
    }

    async revokeByGrantId(grantId) { // eslint-disable-line class-methods-use-this
      const multi = client.multi();
      const tokens = await client.lrange(grantKeyFor(grantId), 0, -1);
      tokens.forEach((token) => multi.del(token));
      multi.del(grantKeyFor(grantId));
      await multi.exec();
    }

    async consume(id) {
      await client.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
    }

    key(id) {
      return `${this.name}:${id}`;
    }
  }

  return { RedisAdapter, client };
}
