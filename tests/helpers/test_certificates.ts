/** Certificates made with `openssl` at test time, in a temporary directory. */

/** Files of one certificate: PEM certificate and key paths. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** Runs openssl in `dir`; throws NotFound when openssl is not installed. */
async function openssl(dir: string, ...args: string[]): Promise<void> {
  const result = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (!result.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(result.stderr)}`);
  }
}

/** A self-signed CA `name` (files `<name>.pem`, `<name>.key`) valid for two days. */
export async function makeCa(dir: string, name: string): Promise<CertFiles> {
  await openssl(
    dir,
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"],
    ...["-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.pem`],
  );
  return { cert: `${dir}/${name}.pem`, key: `${dir}/${name}.key` };
}

/**
 * A certificate `file` with CN=`commonName` and SAN IP:127.0.0.1, DNS:localhost signed by `ca`:
 * valid for two days, or already expired (valid on 1-2 January 2020) when `expired`.
 */
export async function makeCert(
  dir: string,
  ca: CertFiles,
  file: string,
  commonName: string,
  options: { expired?: boolean } = {},
): Promise<CertFiles> {
  await openssl(
    dir,
    ...["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${commonName}`],
    ...["-keyout", `${file}.key`, "-out", `${file}.csr`],
  );
  const san = "subjectAltName=IP:127.0.0.1,DNS:localhost";
  if (options.expired) {
    // `openssl x509` (3.0) cannot backdate; `openssl ca` takes explicit start and end dates.
    const db = `${dir}/${file}.db`;
    await Deno.mkdir(db);
    await Deno.writeTextFile(`${db}/index.txt`, "");
    await Deno.writeTextFile(`${db}/serial`, "01\n");
    await Deno.writeTextFile(
      `${dir}/${file}.cnf`,
      `[ca]\ndefault_ca = test\n[test]\ndatabase = ${db}/index.txt\nnew_certs_dir = ${db}\n` +
        `serial = ${db}/serial\ndefault_md = sha256\npolicy = any\n` +
        `x509_extensions = ext\n[any]\ncommonName = supplied\n[ext]\n${san}\n`,
    );
    await openssl(
      dir,
      ...[
        "ca",
        "-batch",
        "-notext",
        "-config",
        `${file}.cnf`,
        "-cert",
        ca.cert,
        "-keyfile",
        ca.key,
      ],
      ...["-in", `${file}.csr`, "-out", `${file}.pem`],
      ...["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"],
    );
  } else {
    await Deno.writeTextFile(`${dir}/${file}.ext`, `${san}\n`);
    await openssl(
      dir,
      ...["x509", "-req", "-in", `${file}.csr`, "-CA", ca.cert, "-CAkey", ca.key],
      ...["-CAcreateserial", "-days", "2", "-extfile", `${file}.ext`, "-out", `${file}.pem`],
    );
  }
  return { cert: `${dir}/${file}.pem`, key: `${dir}/${file}.key` };
}

/** True when `openssl` can be run. */
export async function hasOpenssl(): Promise<boolean> {
  try {
    await new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .output();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
