/**
 * The wire decoder takes bytes from any producer and yields only JSON-safe values (README "Wire
 * format"): what msgpack can carry and JSON cannot is converted, so the archive and dead letters can
 * always serialise what ingest decoded.
 */
import { Packr } from 'msgpackr';
import { decodeBatch, MAX_NESTING } from '../../src/mqtt/wire-codec';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

test.each<[string, Buffer, unknown]>([
  ['uint64 above 2^53 → decimal string', hex('cf0020000000000001'), '9007199254740993'],
  ['uint64 at 2^53 → number', hex('cf0020000000000000'), 2 ** 53],
  ['uint64 epoch milliseconds → number', hex('cf0000019b0a3c2e00'), 0x19b0a3c2e00],
  ['int64 below -2^53 → decimal string', hex('d3ffdfffffffffffff'), '-9007199254740993'],
  ['int64 -1 → number', hex('d3ffffffffffffffff'), -1],
  ["msgpackr's BigInt extension → decimal string", new Packr({ useBigIntExtension: true }).pack(2n ** 70n), '1180591620717411303424'],
  ['float64 NaN → null', hex('cb7ff8000000000000'), null],
  ['float64 -Infinity → null', hex('cbfff0000000000000'), null],
  ['timestamp (ext -1) → ISO 8601', hex('d6ff00000001'), '1970-01-01T00:00:01.000Z'],
  ['bin 8 → base64', hex('c4026869'), 'aGk='],
  ["msgpackr's Set extension → array", new Packr({ moreTypes: true }).pack(new Set([1, 'a'])), [1, 'a']],
  ['nested inside an event', new Packr({ useRecords: false }).pack({ events: [{ data: { a: [2n ** 64n - 1n, NaN] } }] }), { events: [{ data: { a: ['18446744073709551615', null] } }] }],
])('%s', (_name, bytes, expected) => {
  const value = decodeBatch(bytes);
  expect(value).toEqual(expected);
  expect(() => JSON.stringify(value)).not.toThrow();
});

test('refuses reference cycles (structured clone extension) and nesting deeper than the bound', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(() => decodeBatch(new Packr({ structuredClone: true }).pack(cyclic))).toThrow(/[Ss]tructured clone/);
  let deep: unknown = 1;
  for (let i = 0; i < MAX_NESTING + 1; i++) deep = [deep];
  expect(() => decodeBatch(new Packr({ useRecords: false }).pack(deep))).toThrow(`nested deeper than ${MAX_NESTING} levels`);
});
