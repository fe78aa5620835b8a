/**
 * payloadSizeBound never undercounts the real Temporal payload (msgpack, payload-converter.ts), and stays close
 * enough to it to be useful as the router's and the correlator's size bound.
 */
import type { Detection } from '../../src/model/detection';
import { payloadPackr } from '../../src/temporal/payload-converter';
import { payloadSizeBound } from '../../src/temporal/payload-size';

function detection(i: number, field: string): Detection {
  return {
    eventId: `evt-${i}`,
    tenant: 'acme',
    source: 'cloudtrail',
    time: 1_796_000_000_000 + i,
    rules: [{ id: '965bbda2-d926-4d83-9016-9068abca2c7d', name: 'aws_cloudtrail_api_access_denied', title: 'AWS API Call Denied', level: 'informational', tags: ['attack.discovery', 'attack.t1580'] }],
    entities: [{ type: 'user', id: 'arn:aws:iam::111122223333:user/alice' }, { type: 'account', id: '111122223333' }],
    fields: { eventName: 'ListBuckets', errorCode: 'AccessDenied', 'requestParameters.bucketName': field, bytes: i * 1.5, ok: i % 2 === 0, none: null },
    summary: `s3.amazonaws.com ListBuckets ${field}`,
    rulesetVersion: 'f3a9c1e27b4d',
  };
}

test.each([
  ['small values and fixints', { a: 1, b: -5, c: true, d: null, e: 'x' }],
  ['large and fractional numbers', [2 ** 40, -(2 ** 33), 0.1, 1e300, -1.5]],
  ['strings around every header size', ['a'.repeat(31), 'a'.repeat(32), 'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(65_536)]],
  ['non-ASCII text (2-, 3- and 4-byte UTF-8)', { name: 'Zoë Ångström', path: '/srv/データ/ファイル', emoji: '🔥 burst 🔥' }],
  ['containers around every header size', { short: Array(15).fill(1), mid: Array(16).fill(1), big: Array(70_000).fill(0), map: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])) }],
  ['undefined fields (encoded as nil)', { a: undefined, b: [undefined] }],
])('%s: bound >= real payload', (_, value) => {
  expect(payloadSizeBound(value)).toBeGreaterThanOrEqual(payloadPackr.pack(value).length);
});

test('a batch of real-shaped detections: bound is above the real payload and within 15% of it', () => {
  const batch = { batchId: 'b'.repeat(32), detections: Array.from({ length: 300 }, (_, i) => detection(i, i % 3 === 0 ? 'bücket-ü'.repeat(40) : `bucket-${i}`)) };
  const real = payloadPackr.pack(batch).length;
  const bound = payloadSizeBound(batch);
  expect(bound).toBeGreaterThanOrEqual(real);
  expect(bound).toBeLessThan(real * 1.15);
});
