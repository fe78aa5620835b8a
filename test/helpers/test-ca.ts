/**
 * A private certificate authority for TLS tests (openssl, as an operator would make one): a CA
 * certificate and a server certificate it signed for 127.0.0.1, so clients must be given the CA.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCa {
  /** PEM of the CA certificate (what clients trust). */
  caCert: string;
  /** PEM of the server certificate (CN and IP SAN 127.0.0.1) and its key. */
  serverCert: string;
  serverKey: string;
}

function openssl(args: string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr}`);
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-ca-'));
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=Vigil test CA', '-keyout', 'ca.key', '-out', 'ca.crt'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.crt'], dir);
  const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  return { caCert: read('ca.crt'), serverCert: read('server.crt'), serverKey: read('server.key') };
}
