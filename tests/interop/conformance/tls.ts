/**
 * A throwaway CA and a `localhost` server certificate it signed (with the
 * subjectAltName rustls requires), so the conformance run can also go over
 * TLS with ALPN `h2`, as `h2spec -t` does.
 *
 * @module
 */

import { requireTool, run } from "../_server_helpers.ts";

/** Paths of the generated PEM files. */
export interface TlsFiles {
  /** The CA certificate (trust anchor for the client). */
  readonly ca: string;
  /** The server certificate (`--cert`). */
  readonly cert: string;
  /** The server key (`--key`). */
  readonly key: string;
}

/**
 * Creates a P-256 CA and a server certificate for `localhost` in `dir`.
 *
 * @param dir An existing directory.
 * @returns The three paths.
 * @throws {Error} When openssl is missing or fails.
 */
export async function makeCaAndCertificate(dir: string): Promise<TlsFiles> {
  await requireTool("openssl", "apt-get install openssl");
  const ca = `${dir}/ca.pem`, caKey = `${dir}/ca.key`;
  const cert = `${dir}/cert.pem`, key = `${dir}/key.pem`, csr = `${dir}/leaf.csr`;
  const ext = `${dir}/leaf.ext`;
  await Deno.writeTextFile(
    ext,
    "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const steps: string[][] = [
    [
      "req",
      "-x509",
      ...ec,
      "-subj",
      "/CN=conformance test CA",
      "-days",
      "1",
      "-keyout",
      caKey,
      "-out",
      ca,
    ],
    ["req", ...ec, "-subj", "/CN=localhost", "-keyout", key, "-out", csr],
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      ext,
      "-out",
      cert,
    ],
  ];
  for (const args of steps) {
    const result = await run("openssl", args, { cwd: dir });
    if (result.code !== 0) throw new Error(`openssl ${args[0]} failed:\n${result.stderr}`);
  }
  return { ca, cert, key };
}
