/**
 * Test fixture: a throwaway CA and a leaf certificate for 127.0.0.1/localhost made with openssl,
 * so tests can serve models over real https on loopback. Used by tests only.
 * @module
 */

/** PEM texts, and the CA file path (for DENO_CERT in a subprocess). */
export interface TestTls {
  caPem: string;
  caPath: string;
  certPem: string;
  keyPem: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Creates the CA and leaf in `dir`. */
export async function makeTestTls(dir: string): Promise<TestTls> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=edgeclass test CA",
    ],
    dir,
  );
  await openssl(
    ["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"],
    dir,
  );
  await Deno.writeTextFile(
    `${dir}/leaf.ext`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "leaf.pem",
      "-days",
      "2",
      "-extfile",
      "leaf.ext",
    ],
    dir,
  );
  return {
    caPem: await Deno.readTextFile(`${dir}/ca.pem`),
    caPath: `${dir}/ca.pem`,
    certPem: await Deno.readTextFile(`${dir}/leaf.pem`),
    keyPem: await Deno.readTextFile(`${dir}/leaf.key`),
  };
}
