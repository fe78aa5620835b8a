/**
 * The two encodings Vigil puts on the wire: msgpack records on MQTT, standard msgpack in Temporal
 * payloads, and the codec endpoint that shows the latter as JSON in the Temporal UI (real HTTP):
 * loopback by default, one explicit CORS origin, optional bearer token, bounded bodies.
 */
import { randomBytes } from 'node:crypto';
import { encode as msgpackEncode, Packr } from 'msgpackr';
import type { EventBatch } from '../../src/model/event';
import { decodeBatch, encodeBatch } from '../../src/mqtt/wire-codec';
import { decodeWirePayload, startCodecServer, type CodecServer } from '../../src/temporal/codec-server';
import { MSGPACK_ENCODING, payloadConverter } from '../../src/temporal/payload-converter';
import { testLogger } from '../helpers/temporal-env';
import { runVigil, startVigil } from '../helpers/vigil-process';

const batch: EventBatch = {
  v: 1,
  collector: 'node-1',
  events: [
    { id: 'e1', time: 1_764_000_000_000, data: { eventName: 'CreateAccessKey', userIdentity: { arn: 'arn:aws:iam::1:user/a' }, n: 3, ok: true, none: null } },
    { id: 'e2', time: 1_764_000_000_001, data: { verb: 'create', objectRef: { resource: 'pods', subresource: 'exec' }, sourceIPs: ['10.0.0.1', '::1'] } },
  ],
};

describe('MQTT wire codec', () => {
  test('round-trips a batch exactly, smaller than JSON', () => {
    const bytes = encodeBatch(batch);
    expect(decodeBatch(bytes)).toEqual(batch);
    expect(bytes.length).toBeLessThan(Buffer.byteLength(JSON.stringify(batch)));
  });

  test('decodes plain msgpack from other producers too', () => {
    expect(decodeBatch(msgpackEncode(batch))).toEqual(batch);
  });

  test('rejects bytes that are not msgpack', () => {
    expect(() => decodeBatch(Buffer.from([0xc1]))).toThrow(/0xC1/);
    expect(() => decodeBatch(Buffer.from([0x82, 0xa5, 0x61]))).toThrow(); // map header with a truncated key
  });
});

describe('Temporal payload converter', () => {
  test('encodes as binary/msgpack and round-trips nested values', () => {
    const value = { batchId: 'b', detections: [{ eventId: 'e', fields: { a: 1, b: 'x', c: null, d: true } }] };
    const payload = payloadConverter.toPayload(value)!;
    expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe(MSGPACK_ENCODING);
    expect(payloadConverter.fromPayload(payload)).toEqual(value);
  });

  test('still decodes json/plain payloads (older histories, search attributes)', () => {
    const json = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":[1,2]}') };
    expect(payloadConverter.fromPayload(json)).toEqual({ a: [1, 2] });
  });
});

const toWire = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const origin = 'http://ui.example';

describe('codec endpoint', () => {
  let server: CodecServer;
  beforeAll(async () => {
    server = await startCodecServer({ port: 0, allowedOrigin: origin, logger: testLogger });
  });
  afterAll(() => server.close());

  const post = (route: string, body: unknown) =>
    fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body) });

  test('binds loopback unless told otherwise', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('/decode turns msgpack into JSON and passes other encodings through; /encode reverses it', async () => {
    const value = { tenant: 'acme', risk: 73, tags: ['attack.t1609'] };
    const msgpack = toWire(payloadConverter.toPayload(value)!);
    const binary = { metadata: { encoding: Buffer.from('binary/plain').toString('base64') }, data: Buffer.from('raw').toString('base64') };
    const res = await post('/decode', { payloads: [msgpack, binary] });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    const decoded = ((await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
    expect(Buffer.from(decoded[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded[0]!.data, 'base64').toString())).toEqual(value);
    expect(decoded[1]).toEqual(binary);

    const reencoded = ((await (await post('/encode', { payloads: [decoded[0]] })).json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads[0]!;
    expect(payloadConverter.fromPayload({ metadata: { encoding: Buffer.from(reencoded.metadata.encoding!, 'base64') }, data: Buffer.from(reencoded.data, 'base64') })).toEqual(value);
  });

  test('answers the browser preflight of its UI origin and rejects malformed bodies', async () => {
    const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
    expect((await post('/decode', { nope: true })).status).toBe(400);
    expect((await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'not json' })).status).toBe(400);
    // Not JSON at all (a form or text/plain, which a page could send without a preflight): refused.
    expect((await fetch(`${server.url}/decode`, { method: 'POST', body: 'payloads=1' })).status).toBe(415);
    expect((await fetch(`${server.url}/other`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
  });

  test('another origin gets no CORS grant and its requests are refused (403); the origin is never reflected', async () => {
    const evil = 'http://evil.example';
    const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: evil, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).not.toBe(evil);
    const res = await fetch(`${server.url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: evil }, body: JSON.stringify({ payloads: [] }) });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).not.toBe(evil);
  });
});

describe('codec endpoint on payloads other SDKs wrote', () => {
  test('/decode shows 64-bit integers (msgpack uint64/int64) as JSON numbers or decimal strings instead of failing', () => {
    const foreign = new Packr({ useRecords: false }).pack({ count: 2n ** 40n, id: 2n ** 63n + 1n });
    const decoded = decodeWirePayload({ metadata: { encoding: Buffer.from(MSGPACK_ENCODING).toString('base64') }, data: foreign.toString('base64') });
    expect(JSON.parse(Buffer.from(decoded.data!, 'base64').toString())).toEqual({ count: 2 ** 40, id: '9223372036854775809' });
  });
});

describe('codec endpoint with a token and a body bound', () => {
  const token = randomBytes(32).toString('hex');
  let server: CodecServer;
  beforeAll(async () => {
    server = await startCodecServer({ port: 0, allowedOrigin: origin, logger: testLogger, token, maxBodyBytes: 64 * 1024 });
  });
  afterAll(() => server.close());

  const decode = (headers: Record<string, string>, body: unknown = { payloads: [toWire(payloadConverter.toPayload({ a: 1 })!)] }) =>
    fetch(`${server.url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  test('requests without the bearer token, or with another, get 401; the preflight (which carries no credentials) still passes', async () => {
    expect((await decode({})).status).toBe(401);
    expect((await decode({ authorization: `Bearer ${randomBytes(32).toString('hex')}` })).status).toBe(401);
    expect((await decode({ authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` })).status).toBe(401);
    const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const ok = await decode({ authorization: `Bearer ${token}`, origin });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { payloads: unknown[] }).payloads).toHaveLength(1);
  });

  test('a body over the bound gets 413, authenticated or not', async () => {
    const big = { payloads: [{ metadata: {}, data: 'A'.repeat(128 * 1024) }] };
    expect((await decode({ authorization: `Bearer ${token}` }, big)).status).toBe(413);
    expect((await decode({}, big)).status).toBe(401);
  });
});

test('a wildcard or non-origin CORS setting is refused', async () => {
  for (const allowedOrigin of ['*', 'http://ui.example/path', 'ui.example', 'null']) {
    await expect(startCodecServer({ port: 0, allowedOrigin, logger: testLogger })).rejects.toMatchObject({ code: 'VGL_CONFIG_INVALID' });
  }
  const run = runVigil(['codec', '--ui-origin', '*'], { VIGIL_CODEC_PORT: '0' });
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/^VGL_CONFIG_INVALID: field --ui-origin: /);
});

test('`vigil codec` listens on loopback by default and on VIGIL_CODEC_HOST when set', async () => {
  for (const [env, host] of [[{}, '127.0.0.1'], [{ VIGIL_CODEC_HOST: '::1' }, '[::1]']] as const) {
    const codec = startVigil(['codec'], { VIGIL_CODEC_PORT: '0', LOG_LEVEL: 'warn', ...env });
    try {
      let url: string | undefined;
      while (!url) {
        url = /codec endpoint: (\S+)/.exec(codec.output())?.[1];
        if (codec.child.exitCode !== null) throw new Error(`vigil codec exited: ${codec.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(url).toMatch(new RegExp(`^http://${host.replace(/[[\]]/g, '\\$&')}:\\d+$`));
      const res = await fetch(`${url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' });
      expect(res.status).toBe(200);
    } finally {
      await codec.stop();
    }
  }
});
