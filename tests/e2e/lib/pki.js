'use strict';
// A throwaway PKI for TLS tests, made with the openssl command line: a CA, server certificates
// for 127.0.0.1/localhost, and client certificates. Private keys are written with mode 0600.

const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

class Pki {
  constructor(name = 'spanvault-test') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spanvault-pki-'));
    this.caCert = this.file('ca.crt');
    this.caKey = this.file('ca.key');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
             '-keyout', this.caKey, '-out', this.caCert, '-days', '2',
             '-subj', `/CN=${name} CA`], this.dir);
    fs.chmodSync(this.caKey, 0o600);
  }

  file(name) { return path.join(this.dir, name); }

  // Issues a certificate signed by the CA: { cert, key } paths named after `name`.
  // `server`: for 127.0.0.1 and localhost; otherwise a client certificate.
  issue(name, { server = true } = {}) {
    const key = this.file(`${name}.key`);
    const csr = this.file(`${name}.csr`);
    const cert = this.file(`${name}.crt`);
    const ext = this.file(`${name}.ext`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
             '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], this.dir);
    fs.chmodSync(key, 0o600);
    fs.writeFileSync(ext, server
        ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
        : 'extendedKeyUsage=clientAuth\n');
    openssl(['x509', '-req', '-in', csr, '-CA', this.caCert, '-CAkey', this.caKey,
             '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], this.dir);
    return { cert, key };
  }

  ca() { return fs.readFileSync(this.caCert); }

  // The SHA-256 fingerprint of a PEM certificate file, as Node's getPeerCertificate() shows it.
  static fingerprint(certFile) {
    return new crypto.X509Certificate(fs.readFileSync(certFile)).fingerprint256;
  }

  remove() { fs.rmSync(this.dir, { recursive: true, force: true }); }
}

// Replaces `to` by the contents of `from` atomically (write beside, then rename), as a
// certificate manager does, keeping `mode`.
function replaceFile(from, to, mode = 0o600) {
  const tmp = `${to}.new`;
  fs.writeFileSync(tmp, fs.readFileSync(from), { mode });
  fs.renameSync(tmp, to);
}

module.exports = { Pki, replaceFile };
