/**
 * A real HTTP server speaking the S3 REST API subset the archive uses, path-style, one bucket, objects in memory:
 * PutObject, GetObject (with `Range`), HeadObject, DeleteObject, ListObjectsV2 (prefix, max-keys, continuation
 * token; `pageSize` keys a page by default, small so tests cross pages). Every request's Signature V4 is checked
 * (verifySigV4: S3 signs the path as sent) and so is its `x-amz-content-sha256` against the body; failures answer
 * with S3's own error XML (SignatureDoesNotMatch, InvalidAccessKeyId, XAmzContentSHA256Mismatch, NoSuchKey, ...).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4, type AwsCredentials } from './aws-iam';

export interface S3Fake {
  /** The endpoint (no bucket). */
  readonly url: string;
  readonly bucket: string;
  readonly objects: Map<string, Buffer>;
  /** Requests by method and outcome, e.g. `PUT 200`, `GET 403`. */
  readonly counts: Map<string, number>;
  close(): Promise<void>;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startS3Fake(credentials: AwsCredentials[], bucket: string, pageSize = 4): Promise<S3Fake> {
  const objects = new Map<string, Buffer>();
  const counts = new Map<string, number>();
  let endpoint = '';

  const reply = (res: ServerResponse, method: string, status: number, body: string | Buffer = '', headers: Record<string, string> = {}): void => {
    counts.set(`${method} ${status}`, (counts.get(`${method} ${status}`) ?? 0) + 1);
    res.writeHead(status, { ...(typeof body === 'string' && body ? { 'content-type': 'application/xml' } : {}), ...headers });
    res.end(body);
  };
  const error = (res: ServerResponse, method: string, status: number, code: string, message: string): void =>
    reply(res, method, status, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);

  const handle = async (req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', endpoint);
    const verdict = await verifySigV4({ method, url, headers: req.headers, body: '' }, credentials, false);
    if (verdict === 'unknown-key') return error(res, method, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    if (verdict === 'mismatch') return error(res, method, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    if (req.headers['x-amz-content-sha256'] !== createHash('sha256').update(body).digest('hex')) {
      return error(res, method, 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const [, name, ...rest] = url.pathname.split('/');
    if (name !== bucket) return error(res, method, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = rest.map(decodeURIComponent).join('/');
    if (key === '' && method === 'GET' && url.searchParams.get('list-type') === '2') return list(res, url.searchParams);
    const stored = objects.get(key);
    switch (method) {
      case 'PUT':
        objects.set(key, body);
        return reply(res, method, 200, '', { etag: `"${createHash('md5').update(body).digest('hex')}"` });
      case 'DELETE':
        objects.delete(key);
        return reply(res, method, 204);
      case 'HEAD':
        return stored ? reply(res, method, 200, '', { 'content-length': String(stored.length) }) : reply(res, method, 404);
      case 'GET': {
        if (!stored) return error(res, method, 404, 'NoSuchKey', 'The specified key does not exist.');
        const range = /^bytes=(\d+)-(\d+)?$/.exec(String(req.headers.range ?? ''));
        if (!range) return reply(res, method, 200, stored);
        const start = Number(range[1]);
        if (start >= stored.length) return error(res, method, 416, 'InvalidRange', 'The requested range is not satisfiable');
        const end = Math.min(stored.length - 1, range[2] === undefined ? Infinity : Number(range[2]));
        return reply(res, method, 206, stored.subarray(start, end + 1), { 'content-range': `bytes ${start}-${end}/${stored.length}` });
      }
      default:
        return error(res, method, 405, 'MethodNotAllowed', method);
    }
  };

  const list = (res: ServerResponse, params: URLSearchParams): void => {
    const prefix = params.get('prefix') ?? '';
    const max = Math.min(Number(params.get('max-keys') ?? pageSize), pageSize);
    const after = params.get('continuation-token') ? Buffer.from(params.get('continuation-token')!, 'base64url').toString() : '';
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > max;
    const contents = page.map((k) => `<Contents><Key>${xmlEscape(k)}</Key><Size>${objects.get(k)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('');
    const next = truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]!).toString('base64url')}</NextContinuationToken>` : '';
    reply(
      res,
      'LIST',
      200,
      `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
    );
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks), res).catch((err: Error) => error(res, req.method ?? 'GET', 500, 'InternalError', err.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: endpoint, bucket, objects, counts, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
