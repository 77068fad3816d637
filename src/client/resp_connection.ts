import { encodeCommand, RespReplyDecoder, type RespValue } from "../../protocol/resp/mod.ts";

/** A minimal sequential RESP client (join, load tools, tests): one command in flight. */
export class RespConnection {
  readonly #conn: Deno.Conn;
  readonly #decoder = new RespReplyDecoder();
  readonly #buffer = new Uint8Array(64 * 1024);

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Replies bigger than this are refused (a misbehaving server cannot exhaust memory). */
  static readonly replyBytesMax = 16 * 1024 * 1024;

  /** Connects to host:port with TCP_NODELAY. */
  static async open(host: string, port: number): Promise<RespConnection> {
    const conn = await Deno.connect({ hostname: host, port });
    conn.setNoDelay(true);
    return new RespConnection(conn);
  }

  /**
   * Connects over TLS, trusting `tls.caPem`; with `certPem`/`keyPem` it presents a client
   * certificate (a node started with `--tls-client-auth` requires one).
   */
  static async openTls(
    host: string,
    port: number,
    tls: { caPem: string; certPem?: string; keyPem?: string },
  ): Promise<RespConnection> {
    const conn = await Deno.connectTls({
      hostname: host,
      port,
      caCerts: [tls.caPem],
      ...(tls.certPem === undefined || tls.keyPem === undefined
        ? {}
        : { cert: tls.certPem, key: tls.keyPem }),
    });
    return new RespConnection(conn);
  }

  /** Sends one command and waits for its reply. */
  async call(args: Array<string | Uint8Array>): Promise<RespValue> {
    const request = encodeCommand(args);
    for (let offset = 0; offset < request.length;) {
      offset += await this.#conn.write(request.subarray(offset));
    }
    let receivedBytes = 0;
    for (;;) {
      const value = this.#decoder.next();
      if (value !== undefined) return value;
      const count = await this.#conn.read(this.#buffer);
      if (count === null) throw new Error("connection closed by the server");
      receivedBytes += count;
      if (receivedBytes > RespConnection.replyBytesMax) {
        this.close();
        throw new Error(`reply exceeds ${RespConnection.replyBytesMax} bytes`);
      }
      this.#decoder.push(this.#buffer.subarray(0, count));
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** A reply as text: strings as they are, errors as "-CODE ...", integers in decimal, else JSON. */
export function replyText(value: RespValue): string {
  switch (value.type) {
    case "simple":
      return value.value;
    case "error":
      return `-${value.value}`;
    case "integer":
      return String(value.value);
    case "bulk":
    case "verbatim":
      return new TextDecoder().decode(value.value);
    default:
      return JSON.stringify(value);
  }
}
