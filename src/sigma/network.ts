/**
 * CIDR networks for the `cidr` modifier, IPv4 and IPv6 alike, as 4- or 16-byte prefixes.
 * An IPv4 address never matches an IPv6 network and vice versa (Reference: pySigma SigmaCIDRExpression).
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface IpNetwork {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

export function parseIp(text: string): Uint8Array | undefined {
  const address = text.includes('%') ? text.slice(0, text.indexOf('%')) : text; // drop an IPv6 zone id
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;
  let groups = address;
  const tailV4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tailV4) {
    const b = tailV4[1]!.split('.').map(Number);
    groups = address.slice(0, tailV4.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [left, right] = groups.split('::') as [string, string | undefined];
  const leftParts = left ? left.split(':') : [];
  const rightParts = right ? right.split(':') : [];
  const zeros = right === undefined ? [] : Array<string>(8 - leftParts.length - rightParts.length).fill('0');
  const words = [...leftParts, ...zeros, ...rightParts].map((w) => parseInt(w, 16));
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

export function parseCidr(text: string): IpNetwork | undefined {
  const [address, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || address === undefined) return undefined;
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const prefix = prefixText === undefined ? max : /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { bytes, prefix };
}

export function networkContains(network: IpNetwork, address: Uint8Array): boolean {
  if (address.length !== network.bytes.length) return false;
  const full = network.prefix >> 3;
  for (let i = 0; i < full; i++) if (address[i] !== network.bytes[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[full]! & mask) === (network.bytes[full]! & mask);
}
