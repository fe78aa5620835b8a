/**
 * Temporal payloads as MessagePack (`binary/msgpack`): smaller histories than JSON, so more events
 * fit in a run before continue-as-new. Loaded by path on both Worker and Client (and bundled into the
 * workflow sandbox), so it must stay dependency-light and compiled (dist/src/temporal/payload-converter.js).
 *
 * Standard MessagePack (`useRecords: false`), not msgpackr's record extension: the codec endpoint and any
 * non-JS reader must decode it. JSON stays last so `json/plain` payloads (search attributes' own converter,
 * older histories) still decode.
 */
import {
  BinaryPayloadConverter,
  CompositePayloadConverter,
  JsonPayloadConverter,
  METADATA_ENCODING_KEY,
  UndefinedPayloadConverter,
  ValueError,
  type Payload,
  type PayloadConverterWithEncoding,
} from '@temporalio/common';
import { encode } from '@temporalio/common/lib/encoding';
import { Packr } from 'msgpackr';

export const MSGPACK_ENCODING = 'binary/msgpack';

export const payloadPackr = new Packr({ useRecords: false, moreTypes: false, encodeUndefinedAsNil: true });

export class MsgpackPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = MSGPACK_ENCODING;

  toPayload<T>(value: T): Payload | undefined {
    if (value === undefined) return undefined;
    return { metadata: { [METADATA_ENCODING_KEY]: encode(MSGPACK_ENCODING) }, data: payloadPackr.pack(value) };
  }

  fromPayload<T>(payload: Payload): T {
    if (payload.data === undefined || payload.data === null) throw new ValueError('msgpack payload has no data');
    return payloadPackr.unpack(payload.data) as T;
  }
}

export const payloadConverter = new CompositePayloadConverter(
  new UndefinedPayloadConverter(),
  new BinaryPayloadConverter(),
  new MsgpackPayloadConverter(),
  new JsonPayloadConverter(),
);
