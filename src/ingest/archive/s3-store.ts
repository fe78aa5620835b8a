/**
 * The archive's segment store on an S3-compatible object store (AWS S3, MinIO, Ceph RGW...), over its REST API
 * with path-style URLs (`{endpoint}/{bucket}/{key}`) and Signature V4 (sigv4.ts): PutObject, ranged GetObject,
 * ListObjectsV2 (prefix, continuation) and DeleteObject.
 *
 * S3 objects cannot be appended to, and an event is acknowledged only once durable. So a segment is stored as
 * its **parts**: every durable append (one group commit of the segment writer) is one PutObject of
 * `{segment}~{n}` (n = 00000001, 00000002, ... in order), and the segment is their concatenation: `list` shows
 * it as one object (`{segment}`, the parts' total size) and `read` maps its byte ranges onto the parts. **Durable
 * on S3 means: the part's PutObject returned 200.** S3 stores an object redundantly before it answers (and
 * readers see it at once: S3 is read-after-write consistent), so the append resolves, and ingest acknowledges,
 * only then. A crash mid-append leaves no part or a whole one (a PUT is atomic), never a torn one; a part
 * whose append failed is never followed by another (the writer closes the segment). Indexes (`.vidx`) are
 * plain objects written whole by `put`.
 *
 * The cost of this mapping is one request per group commit; while S3 is slow, appends group into larger parts
 * by themselves (segment-writer.ts). Parts are never rewritten; retention deletes a segment's parts with it.
 */
import { VigilError } from '../../error-codes';
import type { AppendTarget, SegmentStore, StoredObject } from './segment-store';
import { signRequest, uriEncode, type SigV4Credentials } from './sigv4';

export interface S3StoreSettings {
  /** `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000` (MinIO). */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: SigV4Credentials;
}

const PART = /^(.+\.vseg)~(\d{8})$/;
/** Ranged GETs in flight at once when a read spans several parts. */
const PARALLEL_GETS = 8;
const partKey = (segment: string, n: number): string => `${segment}~${String(n).padStart(8, '0')}`;

interface Part {
  readonly key: string;
  readonly start: number;
  readonly size: number;
}

export class S3Store implements SegmentStore {
  readonly location: string;
  /** Part layouts of segments read lately: a sealed segment's never changes; a growing one is listed again when read past its end. */
  private readonly layouts = new Map<string, Part[]>();

  constructor(private readonly settings: S3StoreSettings) {
    this.location = `${settings.endpoint.replace(/\/$/, '')}/${settings.bucket}`;
  }

  async create(key: string): Promise<AppendTarget> {
    if ((await this.partsOf(key)).length > 0) throw new Error(`archive segment ${key} already exists in ${this.location}`);
    return new PartAppender(this, key);
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    await this.request('PUT', key, { body: bytes });
  }

  async read(key: string, start: number, end: number): Promise<Buffer | undefined> {
    if (!key.endsWith('.vseg')) return this.getRange(key, start, end);
    let parts = this.layouts.get(key);
    const known = parts?.length ? parts[parts.length - 1]!.start + parts[parts.length - 1]!.size : 0;
    if (!parts || end > known) {
      parts = await this.partsOf(key);
      this.layouts.set(key, parts);
    }
    if (parts.length === 0) return this.getRange(key, start, end);
    // A block spans many small parts (one per group commit): they are fetched PARALLEL_GETS at a time.
    const wanted = parts.filter((p) => p.start < end && p.start + p.size > start);
    const chunks: Buffer[] = [];
    for (let i = 0; i < wanted.length; i += PARALLEL_GETS) {
      const got = await Promise.all(wanted.slice(i, i + PARALLEL_GETS).map((p) => this.getRange(p.key, Math.max(start, p.start) - p.start, Math.min(end, p.start + p.size) - p.start)));
      for (const bytes of got) {
        if (!bytes) return Buffer.concat(chunks); // deleted under us (retention): the segment ends here
        chunks.push(bytes);
      }
    }
    return Buffer.concat(chunks);
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const segments = new Map<string, number>();
    const found: StoredObject[] = [];
    for (const object of await this.listRaw(prefix)) {
      const part = PART.exec(object.key);
      if (part) segments.set(part[1]!, (segments.get(part[1]!) ?? 0) + object.size);
      else found.push(object);
    }
    for (const [key, size] of segments) found.push({ key, size });
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    if (key.endsWith('.vseg')) for (const part of await this.partsOf(key)) await this.request('DELETE', part.key);
    this.layouts.delete(key);
    await this.request('DELETE', key);
  }

  /** Stores part `n` of `segment` (PartAppender). */
  async putPart(segment: string, n: number, bytes: Buffer): Promise<void> {
    await this.request('PUT', partKey(segment, n), { body: bytes });
  }

  private async partsOf(segment: string): Promise<Part[]> {
    const parts: Part[] = [];
    let start = 0;
    for (const object of await this.listRaw(`${segment}~`)) {
      if (!PART.test(object.key)) continue;
      parts.push({ key: object.key, start, size: object.size });
      start += object.size;
    }
    return parts;
  }

  /** Bytes [start, end) of an object, fewer at its end; undefined when it does not exist. */
  private async getRange(key: string, start: number, end: number): Promise<Buffer | undefined> {
    if (end <= start) return Buffer.alloc(0);
    const response = await this.request('GET', key, { headers: { range: `bytes=${start}-${end - 1}` }, accept: [404, 416] });
    if (response.status === 404) return undefined;
    if (response.status === 416) return Buffer.alloc(0); // the range starts at or past the end
    const bytes = Buffer.from(await response.arrayBuffer());
    // A server that ignores Range answers 200 with the whole object.
    return response.status === 200 ? bytes.subarray(start, end) : bytes;
  }

  /** Every object under `prefix` in key order, page by page (ListObjectsV2, 1,000 keys a page). */
  private async listRaw(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) };
      const xml = await (await this.request('GET', '', { query })).text();
      for (const [, body] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        objects.push({ key: xmlText(body!, 'Key') ?? '', size: Number(xmlText(body!, 'Size') ?? 0) });
      }
      token = xmlText(xml, 'IsTruncated') === 'true' ? xmlText(xml, 'NextContinuationToken') : undefined;
    } while (token);
    return objects;
  }

  private async request(method: string, key: string, options: { body?: Buffer; headers?: Record<string, string>; query?: Record<string, string>; accept?: number[] } = {}): Promise<Response> {
    const url = new URL(`${this.location}/${key.split('/').map(uriEncode).join('/')}`);
    if (key === '') url.pathname = url.pathname.replace(/\/$/, '');
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const headers = signRequest({ method, url, headers: options.headers ?? {}, ...(options.body ? { body: options.body } : {}) }, this.settings.credentials, this.settings.region, 's3');
    delete headers['host']; // fetch sets it (the same value)
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(options.body ? { body: options.body } : {}) });
    } catch (err) {
      throw new VigilError('VGL_ARCHIVE_STORE', `${method} ${this.location}/${key}: ${(err as Error).message} (cause: ${String((err as { cause?: unknown }).cause ?? 'none')})`, { field: 'VIGIL_ARCHIVE_S3_ENDPOINT' });
    }
    if (response.ok || options.accept?.includes(response.status) || (method === 'DELETE' && response.status === 404)) return response;
    const text = await response.text();
    const code = xmlText(text, 'Code') ?? `HTTP ${response.status}`;
    const message = xmlText(text, 'Message') ?? text.slice(0, 200);
    const hint = /Signature|AccessKey|AccessDenied|Authorization/.test(code)
      ? ': check VIGIL_ARCHIVE_S3_ACCESS_KEY_ID, VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY and VIGIL_ARCHIVE_S3_REGION'
      : '';
    throw new VigilError('VGL_ARCHIVE_STORE', `S3 refused ${method} ${this.location}/${key} (${response.status} ${code}: ${message})${hint}`, { field: hint ? 'VIGIL_ARCHIVE_S3_SECRET_ACCESS_KEY' : 'VIGIL_ARCHIVE_S3_ENDPOINT' });
  }
}

/** Appends as numbered parts, one PutObject each, in order: the next is sent only after the previous one succeeded. */
class PartAppender implements AppendTarget {
  private next = 1;

  constructor(
    private readonly store: S3Store,
    private readonly key: string,
  ) {}

  async append(bytes: Buffer): Promise<void> {
    await this.store.putPart(this.key, this.next, bytes);
    this.next += 1;
  }

  async close(): Promise<void> {}
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of the first `<tag>` element in `xml`, entities decoded. */
function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m?.[1]?.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e.startsWith('#x') || e.startsWith('#X') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : entities[e]!,
  );
}
