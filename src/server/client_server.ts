import type { CommandTable } from "../commands/command_table.ts";
import { ClientSession } from "../commands/client_session.ts";
import type { NodeServices } from "../commands/node_services.ts";
import type { NodeConfig } from "../config/node_config.ts";
import type { Logger } from "../log/logger.ts";
import { ClientConnection } from "./client_connection.ts";
import { listenClientAuthTls } from "../util/client_auth_tls.ts";
import type { ByteConn } from "../util/tls_conn.ts";
import { TurnBudget } from "./turn_budget.ts";
import type { Auditor } from "../audit/auditor.ts";

/** Connections accepted back to back at most before the accept loop yields to the event loop. */
const ACCEPTS_PER_TURN_MAX = 16;

/**
 * Connections the kernel queues for the client port before it resets new ones (listen(2)
 * backlog; Deno's default is 511). A storm of a few thousand clients connecting at once must
 * wait in the queue while the accept loop takes them a burst per turn, not be reset. Linux caps
 * it at net.core.somaxconn (4,096 since Linux 5.4); it is also never above `--max-clients`.
 */
export const CLIENT_ACCEPT_BACKLOG_MAX = 4_096;

const MAX_CLIENTS_REPLY = new TextEncoder().encode("-ERR max number of clients reached\r\n");

/** The client port: accepts RESP connections up to a maximum count. */
export class ClientServer {
  readonly #config: NodeConfig;
  readonly #table: CommandTable;
  readonly #services: NodeServices;
  readonly #logger: Logger;
  readonly #connections = new Map<number, ClientConnection>();
  /** Client work per event-loop turn, across every connection. */
  readonly budget = new TurnBudget();
  #listener: { close(): void } | null = null;
  #nextClientId = 1;

  readonly #auditor: Auditor | null;

  /** `auditor`: records client commands in the audit log (`--audit-log`). */
  constructor(
    config: NodeConfig,
    table: CommandTable,
    services: NodeServices,
    logger: Logger,
    auditor: Auditor | null = null,
  ) {
    this.#auditor = auditor;
    this.#config = config;
    this.#table = table;
    this.#services = services;
    this.#logger = logger.with({ component: "client" });
  }

  /** Binds the client port (TLS when configured); throws if the address is in use. */
  async listen(): Promise<void> {
    const { host, port } = this.#config.clientAddress;
    const tls = this.#config.tls;
    if (tls !== null && tls.clientAuth) {
      this.#listener = await listenClientAuthTls(
        this.#config.clientAddress,
        tls,
        (conn) => this.#accept(conn),
        (remote, reason) => this.#logger.warn("refused client TLS connection", { remote, reason }),
      );
      return;
    }
    const tcpBacklog = Math.min(CLIENT_ACCEPT_BACKLOG_MAX, this.#config.clientCountMax);
    const listener = tls === null
      ? Deno.listen({ hostname: host, port, transport: "tcp", tcpBacklog })
      : Deno.listenTls({
        hostname: host,
        port,
        tcpBacklog,
        cert: await Deno.readTextFile(tls.certFile),
        key: await Deno.readTextFile(tls.keyFile),
      });
    this.#listener = listener;
    void this.#acceptLoop(listener);
  }

  /** Sessions of the connected clients. */
  *sessions(): Iterable<ClientSession> {
    for (const connection of this.#connections.values()) yield connection.session;
  }

  /** Stops accepting and closes every client. */
  close(): void {
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
    for (const connection of this.#connections.values()) connection.close();
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    try {
      let acceptedInBurst = 0;
      for await (const conn of listener) {
        this.#accept(conn);
        // A storm of connections is accepted a burst per turn, so timers and peer reads run in
        // between; not queued behind client commands, or the kernel's accept queue overflows
        // and clients that believe they are connected get reset.
        if (++acceptedInBurst < ACCEPTS_PER_TURN_MAX) continue;
        acceptedInBurst = 0;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch (error) {
      this.#logger.debug("client listener stopped", { error: String(error) });
    }
  }

  #accept(conn: ByteConn): void {
    this.#services.stats.connectionsReceived++;
    if (this.#connections.size >= this.#config.clientCountMax) {
      this.#services.stats.connectionsRejected++;
      void conn.write(MAX_CLIENTS_REPLY).catch(() => {}).finally(() => closeQuietly(conn));
      return;
    }
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const remote = conn.remoteAddr as Deno.NetAddr;
    const session = new ClientSession(
      this.#nextClientId++,
      `${remote.hostname}:${remote.port}`,
      this.#services.nowMs(),
      this.#services.acl.startsAuthenticated(),
    );
    const connection = new ClientConnection(
      conn,
      session,
      this.#table,
      this.#services,
      this.#logger,
      {
        resp: {
          bulkBytesMax: this.#config.bulkBytesMax,
          argumentCountMax: this.#config.argumentCountMax,
        },
        outputBytesMax: this.#config.clientOutputBytesMax,
        budget: this.budget,
        ...(this.#auditor === null ? {} : { auditor: this.#auditor }),
      },
    );
    this.#connections.set(session.id, connection);
    void connection.serve().finally(() => this.#connections.delete(session.id));
  }
}

function closeQuietly(conn: ByteConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
