/**
 * A throw-away PKI made with the openssl CLI: a CA, a server certificate for 127.0.0.1 signed by it, a
 * client certificate signed by it (as the API server would present) and a client certificate from
 * another CA (what a forger has). EC P-256 keys keep generation fast.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface KeyPair {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

export interface TestPki {
  ca: KeyPair;
  server: KeyPair;
  client: KeyPair;
  rogueClient: KeyPair;
}

const openssl = (dir: string, args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
};

function read(dir: string, name: string): KeyPair {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}.key`);
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`]);
}

function signed(dir: string, name: string, ca: string, subject: string, extensions: string): void {
  writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-pki-'));
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'rogue-ca');
  signed(dir, 'server', 'ca', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed(dir, 'client', 'ca', '/CN=kube-apiserver', 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'rogue-client', 'rogue-ca', '/CN=kube-apiserver', 'extendedKeyUsage=clientAuth\n');
  return { ca: read(dir, 'ca'), server: read(dir, 'server'), client: read(dir, 'client'), rogueClient: read(dir, 'rogue-client') };
}
