/**
 * Encoding transforms: utf16le/utf16be/utf16/wide turn text into UTF-16 bytes (kept as a byte
 * string), base64 and base64offset encode bytes into the text that appears in events.
 * Reference: pySigma modifiers.py (SigmaBase64OffsetModifier offsets, SigmaWideModifier).
 */
import { SigmaString } from '../sigma-string';
import { asStringValue, ModifierValueError, type SigmaValue } from './value';

type StringValue = Extract<SigmaValue, { kind: 'string' }>;

function toBytes(v: StringValue, text: string): Buffer {
  return Buffer.from(text, v.binary ? 'latin1' : 'utf8');
}

function literalText(v: StringValue, modifier: string): string {
  const text = v.string.plain;
  if (text === undefined) throw new ModifierValueError(`modifier '${modifier}' cannot encode a value with wildcards`);
  return text;
}

function encodeUtf16(modifier: string, littleEndian: boolean, bom: boolean) {
  return (value: SigmaValue): SigmaValue[] => {
    const v = asStringValue(value, modifier);
    const encode = (literal: string): string => {
      const le = Buffer.from(literal, 'utf16le');
      if (!littleEndian) le.swap16();
      return le.toString('latin1');
    };
    let string = v.string.mapLiterals(encode);
    if (bom) string = SigmaString.of([littleEndian ? '\xff\xfe' : '\xfe\xff', ...string.parts]);
    return [{ kind: 'string', string, raw: v.raw, binary: true }];
  };
}

export const utf16le = encodeUtf16('utf16le', true, false);
export const utf16be = encodeUtf16('utf16be', false, false);
/** `utf16`: little-endian with a byte order mark, as Windows writes it. */
export const utf16 = encodeUtf16('utf16', true, true);

export function base64(value: SigmaValue): SigmaValue[] {
  const v = asStringValue(value, 'base64');
  const encoded = toBytes(v, literalText(v, 'base64')).toString('base64');
  return [{ kind: 'string', string: SigmaString.literal(encoded), raw: encoded, binary: false }];
}

/** The three encodings of a value at byte offsets 0, 1, 2, trimmed to the characters that do not depend on neighbours. */
export function base64offset(value: SigmaValue): SigmaValue[] {
  const v = asStringValue(value, 'base64offset');
  const bytes = toBytes(v, literalText(v, 'base64offset'));
  const startOffsets = [0, 2, 3];
  const endOffsets = [undefined, -3, -2];
  return [0, 1, 2].map((i) => {
    const shifted = Buffer.concat([Buffer.alloc(i, ' '), bytes]).toString('base64');
    const encoded = shifted.slice(startOffsets[i], endOffsets[(bytes.length + i) % 3]);
    return { kind: 'string', string: SigmaString.literal(encoded), raw: encoded, binary: false };
  });
}
