/**
 * A throwaway PKI made in the test process (no `openssl`): a CA, a server certificate for 127.0.0.1
 * and `localhost`, a client certificate signed by the same CA, and a second, unrelated CA for the
 * negative tests. Every certificate is X.509 v3 (rustls refuses v1) with ECDSA P-256 keys and
 * SHA-256 signatures, valid from an hour ago for a day.
 *
 * @module
 */

import "./reflect_metadata.ts";
import * as x509 from "@peculiar/x509";

/** The PEM texts of a test PKI. */
export interface TestPki {
  /** The CA certificate that signed {@linkcode TestPki.serverCert} and {@linkcode TestPki.clientCert}. */
  caCert: string;
  /** The server certificate (127.0.0.1 and `localhost`, `serverAuth`). */
  serverCert: string;
  /** The server's private key (PKCS#8). */
  serverKey: string;
  /** The client certificate (`clientAuth`). */
  clientCert: string;
  /** The client's private key (PKCS#8). */
  clientKey: string;
  /** A CA certificate that signed nothing here. */
  otherCaCert: string;
}

/** The files {@linkcode writePki} wrote (absolute paths). */
export interface PkiFiles {
  /** The directory. */
  dir: string;
  /** `ca.pem`: {@linkcode TestPki.caCert}. */
  caFile: string;
  /** `other-ca.pem`: {@linkcode TestPki.otherCaCert}. */
  otherCaFile: string;
  /** `client.pem`: {@linkcode TestPki.clientCert}. */
  clientCertFile: string;
  /** `client.key`: {@linkcode TestPki.clientKey}. */
  clientKeyFile: string;
}

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const HOUR = 60 * 60 * 1000;

function serialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x7f) | 0x01; // positive, and never a leading zero byte
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR) };
}

async function keyPair(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
}

async function pkcs8(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

interface Ca {
  name: string;
  keys: CryptoKeyPair;
  cert: x509.X509Certificate;
}

async function makeCa(name: string): Promise<Ca> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name,
    ...validity(),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { name, keys, cert };
}

async function makeLeaf(
  ca: Ca,
  subject: string,
  usage: x509.ExtendedKeyUsage,
  names: x509.JsonGeneralNames = [],
): Promise<{ cert: string; key: string }> {
  const keys = await keyPair();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: ca.name,
    ...validity(),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: algorithm,
    extensions,
  });
  return { cert: cert.toString("pem"), key: await pkcs8(keys.privateKey) };
}

/**
 * Makes a fresh PKI.
 *
 * @returns The certificates and keys, in PEM.
 */
export async function makeTestPki(): Promise<TestPki> {
  const ca = await makeCa("CN=mcp-bridge test CA");
  const other = await makeCa("CN=mcp-bridge other test CA");
  const server = await makeLeaf(ca, "CN=localhost", x509.ExtendedKeyUsage.serverAuth, [
    { type: "ip", value: "127.0.0.1" },
    { type: "dns", value: "localhost" },
  ]);
  const client = await makeLeaf(ca, "CN=mcp-bridge test client", x509.ExtendedKeyUsage.clientAuth);
  return {
    caCert: ca.cert.toString("pem"),
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCaCert: other.cert.toString("pem"),
  };
}

/**
 * Writes the CA certificates and the client's certificate and key to `dir` (made if missing; it must
 * be under `./.tmp`, the only place tests may write), each file with mode 0600.
 *
 * @param pki The PKI.
 * @param dir The directory.
 * @returns The absolute paths written.
 */
export async function writePki(pki: TestPki, dir: string): Promise<PkiFiles> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const real = await Deno.realPath(dir);
  const write = async (name: string, text: string) => {
    const path = `${real}/${name}`;
    await Deno.writeTextFile(path, text, { mode: 0o600 });
    await Deno.chmod(path, 0o600);
    return path;
  };
  return {
    dir: real,
    caFile: await write("ca.pem", pki.caCert),
    otherCaFile: await write("other-ca.pem", pki.otherCaCert),
    clientCertFile: await write("client.pem", pki.clientCert),
    clientKeyFile: await write("client.key", pki.clientKey),
  };
}
