import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCerts {
  readonly dir: string
  /** PEM of the test CA that signed the server certificate. */
  readonly caPem: string
  readonly certPem: string
  readonly keyPem: string
  readonly caFile: string
  readonly certFile: string
  readonly keyFile: string
}

/**
 * A throwaway CA and a server certificate for `localhost` / 127.0.0.1 / ::1, made with openssl
 * in a fresh temp dir. Servers use certPem/keyPem; clients trust caPem (or refuse without it).
 */
export function makeTestCerts(commonName = 'localhost'): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'alertmail-certs-'))
  const p = (name: string) => join(dir, name)
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=alertmail test CA',
    '-keyout', p('ca.key'), '-out', p('ca.pem')])
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${commonName}`, '-keyout', p('server.key'), '-out', p('server.csr')])
  writeFileSync(p('ext.cnf'), `subjectAltName=DNS:${commonName},DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`)
  run(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', p('ext.cnf'), '-out', p('server.pem')])
  return {
    dir,
    caPem: readFileSync(p('ca.pem'), 'utf8'),
    certPem: readFileSync(p('server.pem'), 'utf8'),
    keyPem: readFileSync(p('server.key'), 'utf8'),
    caFile: p('ca.pem'),
    certFile: p('server.pem'),
    keyFile: p('server.key'),
  }
}

/** Settings fields for STARTTLS (RFC 3207) to a test server whose certificate our test CA signed. */
export function startTlsSettings(host: string, port: number, caPem: string): { host: string; port: number; encryption: 'TLS'; startTls: true; tlsCa: string } {
  return { host, port, encryption: 'TLS', startTls: true, tlsCa: caPem }
}
