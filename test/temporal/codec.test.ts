/**
 * The two encodings Vigil puts on the wire: msgpack records on MQTT, standard msgpack in Temporal
 * payloads, and the codec endpoint that shows the latter as JSON in the Temporal UI (real HTTP).
 */
import { encode as msgpackEncode, Packr } from 'msgpackr';
import type { EventBatch } from '../../src/model/event';
import { decodeBatch, encodeBatch } from '../../src/mqtt/wire-codec';
import { decodeWirePayload, startCodecServer, type CodecServer } from '../../src/temporal/codec-server';
import { MSGPACK_ENCODING, payloadConverter } from '../../src/temporal/payload-converter';
import { testLogger } from '../helpers/temporal-env';

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

describe('codec endpoint', () => {
  let server: CodecServer;
  beforeAll(async () => {
    server = await startCodecServer(0, 'http://ui.example', testLogger);
  });
  afterAll(() => server.close());

  const toWire = (p: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  });
  const post = (route: string, body: unknown) =>
    fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://ui.example' }, body: JSON.stringify(body) });

  test('/decode turns msgpack into JSON and passes other encodings through; /encode reverses it', async () => {
    const value = { tenant: 'acme', risk: 73, tags: ['attack.t1609'] };
    const msgpack = toWire(payloadConverter.toPayload(value)!);
    const binary = { metadata: { encoding: Buffer.from('binary/plain').toString('base64') }, data: Buffer.from('raw').toString('base64') };
    const res = await post('/decode', { payloads: [msgpack, binary] });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://ui.example');
    const decoded = ((await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
    expect(Buffer.from(decoded[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded[0]!.data, 'base64').toString())).toEqual(value);
    expect(decoded[1]).toEqual(binary);

    const reencoded = ((await (await post('/encode', { payloads: [decoded[0]] })).json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads[0]!;
    expect(payloadConverter.fromPayload({ metadata: { encoding: Buffer.from(reencoded.metadata.encoding!, 'base64') }, data: Buffer.from(reencoded.data, 'base64') })).toEqual(value);
  });

  test('answers the browser preflight and rejects malformed bodies with 400', async () => {
    const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://ui.example', 'access-control-request-headers': 'content-type,x-namespace' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
    expect((await post('/decode', { nope: true })).status).toBe(400);
    expect((await fetch(`${server.url}/decode`, { method: 'POST', body: 'not json' })).status).toBe(400);
    expect((await fetch(`${server.url}/other`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('codec endpoint on payloads other SDKs wrote', () => {
  test('/decode shows 64-bit integers (msgpack uint64/int64) as JSON numbers or decimal strings instead of failing', () => {
    const foreign = new Packr({ useRecords: false }).pack({ count: 2n ** 40n, id: 2n ** 63n + 1n });
    const decoded = decodeWirePayload({ metadata: { encoding: Buffer.from(MSGPACK_ENCODING).toString('base64') }, data: foreign.toString('base64') });
    expect(JSON.parse(Buffer.from(decoded.data!, 'base64').toString())).toEqual({ count: 2 ** 40, id: '9223372036854775809' });
  });
});
