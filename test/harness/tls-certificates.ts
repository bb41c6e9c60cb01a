import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { RedisServer } from './redis-server';

const execFileAsync = promisify(execFile);

export interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The CA certificate, for a client's `tls: { ca }`. */
  ca: Buffer;
}

/**
 * Our own openssl config, so the result does not depend on the system's
 * openssl.cnf defaults: a CA that can only sign, and a server certificate valid
 * for 127.0.0.1 and localhost (clients check the SAN, not the CN).
 */
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = nestjs-stateful-redis test
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** Creates a throwaway CA and a server certificate signed by it in `dir` (which must exist). */
async function createTestCertificates(dir: string): Promise<TestCertificates> {
  const config = join(dir, 'openssl.cnf');
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  writeFileSync(config, OPENSSL_CONFIG);
  // P-256 keys: instant to generate, accepted by Redis, redis-cli and Node alike.
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...newKey,
    '-config',
    config,
    '-extensions',
    'ca',
    '-subj',
    '/CN=nestjs-stateful-redis test CA',
    '-days',
    '2',
    '-keyout',
    caKey,
    '-out',
    caFile,
  ]);
  await openssl([
    'req',
    '-new',
    ...newKey,
    '-config',
    config,
    '-subj',
    '/CN=localhost',
    '-keyout',
    keyFile,
    '-out',
    csr,
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-set_serial',
    '1',
    '-days',
    '2',
    '-extfile',
    config,
    '-extensions',
    'server',
    '-out',
    certFile,
  ]);
  return { caFile, certFile, keyFile, ca: readFileSync(caFile) };
}

/**
 * Starts a TLS-only `redis-server` (plain port off, client certificates not
 * required) with fresh certificates; `server.dispose()` also removes them.
 */
export async function startTlsRedis(): Promise<{ server: RedisServer; tlsPort: number; certs: TestCertificates }> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-tls-'));
  try {
    const certs = await createTestCertificates(dir);
    const tlsPort = await freePort();
    const server = await RedisServer.start({ port: tlsPort, tls: certs, removeOnDispose: [dir] });
    return { server, tlsPort, certs };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 10_000 });
  } catch (error) {
    const { code, stderr = '' } = error as { code?: string | number; stderr?: string };
    const hint = code === 'ENOENT' ? ' (openssl is not installed: apt-get install -y openssl)' : '';
    throw new Error(`openssl ${args[0]} failed${hint}: ${(error as Error).message}\n${stderr}`, { cause: error });
  }
}
