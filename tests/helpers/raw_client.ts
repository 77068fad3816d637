/** A raw TCP client for byte-exact protocol tests. */
export class RawClient {
  readonly #conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to 127.0.0.1:port. */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends text or bytes as they are. */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
  }

  /** Reads until exactly `text.length` bytes arrived (or the peer closed), returns them. */
  async readBytes(byteCount: number, timeoutMs = 5_000): Promise<string> {
    const timer = setTimeout(() => this.close(), timeoutMs);
    try {
      while (this.#buffer.length < byteCount && !this.#closed) {
        const chunk = new Uint8Array(64 * 1024);
        const count = await this.#conn.read(chunk).catch(() => null);
        if (count === null) {
          this.#closed = true;
          break;
        }
        const joined = new Uint8Array(this.#buffer.length + count);
        joined.set(this.#buffer);
        joined.set(chunk.subarray(0, count), this.#buffer.length);
        this.#buffer = joined;
      }
    } finally {
      clearTimeout(timer);
    }
    const taken = this.#buffer.subarray(0, byteCount);
    this.#buffer = this.#buffer.slice(taken.length);
    return new TextDecoder().decode(taken);
  }

  /** True once the server closed the connection (waits up to `timeoutMs`). */
  async closedByServer(timeoutMs = 5_000): Promise<boolean> {
    await this.readBytes(Number.MAX_SAFE_INTEGER, timeoutMs);
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // closed already
    }
  }
}
