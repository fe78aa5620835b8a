/**
 * The frame: the unit a segment is written in, one per durable append (one group commit of MQTT
 * messages). A frame is a fixed 36-byte little-endian header and a payload of raw-deflate bytes:
 *
 *   0  magic 'VGF1'     4  flags (bit 0: block start)     8  payload length
 *  12  events          16  min event time (f64, epoch ms) 24  max event time (f64)
 *  32  CRC-32 of header bytes 0-31 and the payload
 *
 * The payloads of a segment are one raw-deflate stream, ended by a sync flush after every frame (so a
 * frame's events are decodable once the frame is on disk) and by a full flush, which resets the
 * dictionary, at the end of each block: a block (frames from one with the block-start flag up to the
 * next) decompresses without anything before it. The CRC covers the header too, so a torn or
 * overwritten header is detected like a torn payload.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 36;
const MAGIC = 0x31464756; // 'VGF1' read as little-endian u32
const BLOCK_START = 1;

export interface FrameHeader {
  readonly blockStart: boolean;
  readonly payloadBytes: number;
  readonly events: number;
  readonly minTime: number;
  readonly maxTime: number;
}

export function encodeFrame(header: Omit<FrameHeader, 'payloadBytes'>, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(MAGIC, 0);
  frame.writeUInt32LE(header.blockStart ? BLOCK_START : 0, 4);
  frame.writeUInt32LE(payload.length, 8);
  frame.writeUInt32LE(header.events, 12);
  frame.writeDoubleLE(header.minTime, 16);
  frame.writeDoubleLE(header.maxTime, 24);
  payload.copy(frame, FRAME_HEADER_BYTES);
  frame.writeUInt32LE(crc32(payload, crc32(frame.subarray(0, 32))), 32);
  return frame;
}

/** Why the bytes at an offset are not a frame: the end of what was written, or damage. */
export type FrameFault = 'short header' | 'bad magic' | 'short payload' | 'checksum mismatch';

/**
 * The header at `bytes[at..]`, checked as far as the header alone allows (magic, flags); the CRC needs
 * the payload: see checkFrame.
 */
export function readFrameHeader(bytes: Buffer, at: number): FrameHeader | FrameFault {
  if (bytes.length - at < FRAME_HEADER_BYTES) return 'short header';
  if (bytes.readUInt32LE(at) !== MAGIC || (bytes.readUInt32LE(at + 4) & ~BLOCK_START) !== 0) return 'bad magic';
  return {
    blockStart: (bytes.readUInt32LE(at + 4) & BLOCK_START) !== 0,
    payloadBytes: bytes.readUInt32LE(at + 8),
    events: bytes.readUInt32LE(at + 12),
    minTime: bytes.readDoubleLE(at + 16),
    maxTime: bytes.readDoubleLE(at + 24),
  };
}

/** The frame's payload when all of it is in `bytes` and its CRC matches. */
export function checkFrame(bytes: Buffer, at: number, header: FrameHeader): Buffer | FrameFault {
  const end = at + FRAME_HEADER_BYTES + header.payloadBytes;
  if (bytes.length < end) return 'short payload';
  const payload = bytes.subarray(at + FRAME_HEADER_BYTES, end);
  if (crc32(payload, crc32(bytes.subarray(at, at + 32))) !== bytes.readUInt32LE(at + 32)) return 'checksum mismatch';
  return payload;
}
