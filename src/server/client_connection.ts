import {
  RespLimitError,
  type RespLimits,
  RespProtocolError,
  RespRequestDecoder,
  RespWriter,
} from "../../protocol/resp/mod.ts";
import type { CommandCall, CommandSpec, CommandTable, ReplyFn } from "../commands/command_table.ts";
import type { ClientSession } from "../commands/client_session.ts";
import type { NodeServices } from "../commands/node_services.ts";
import type { Logger } from "../log/logger.ts";
import { internalErrorLine } from "../commands/replies.ts";
import { ContractRespWriter } from "./contract_writer.ts";
import type { ByteConn } from "../util/tls_conn.ts";
import { TurnBudget } from "./turn_budget.ts";
import type { Auditor, AuditTicket } from "../audit/auditor.ts";
import { outcomeOf } from "../audit/audit_record.ts";
import { lowerAscii } from "../commands/command_table.ts";

/** Commands of one client run back to back at most, before others and the loop get a turn. */
export const COMMANDS_PER_SLICE_MAX = 256;
/**
 * Replies one client may have outstanding on a proposal (waiting on Raft or a forward); a
 * pipeline beyond waits for half of them to settle before more commands run, so one client
 * cannot queue thousands of proposals into a single Ready. A blocking wait that was committed
 * and queued no longer counts: its reply may depend on a release later in the same pipeline.
 */
export const PENDING_REPLIES_MAX = 1024;
/** Commands run between two looks at the turn's clock inside a slice. */
const COMMANDS_PER_CLOCK_READ = 32;
/**
 * First size of a connection's reply buffers; they grow as needed. Thousands of connections
 * arriving at once each allocated two 16 KiB buffers before (the GC then ran long pauses).
 */
const WRITER_BYTES_INITIAL = 512;
/** First read size of a connection; it doubles after each read that fills it, up to the max. */
const READ_BYTES_INITIAL = 4 * 1024;
const READ_BYTES_MAX = 64 * 1024;

/** Limits of one client connection. */
export interface ClientConnectionLimits {
  resp: Partial<RespLimits>;
  /** Unsent reply bytes allowed before the client is disconnected. */
  outputBytesMax: number;
  /** Client work per event-loop turn, shared by every connection of the server. */
  budget?: TurnBudget;
  /** Records commands in the audit log (`--audit-log`), when set. */
  auditor?: Auditor;
}

/** A reply slot that must be written in order: bytes already encoded, or an awaited outcome. */
type PendingReply = { writer: RespWriter } | { reply: ReplyFn | null; proposing: boolean };

/**
 * One client socket: decodes pipelined requests, dispatches them through the command table and
 * writes replies in request order. Reading never waits for writing; the unsent output is bounded
 * and a client that lets it grow past `outputBytesMax` is disconnected.
 */
export class ClientConnection {
  readonly session: ClientSession;
  readonly #conn: ByteConn;
  readonly #table: CommandTable;
  readonly #services: NodeServices;
  readonly #logger: Logger;
  readonly #limits: ClientConnectionLimits;
  readonly #decoder: RespRequestDecoder;
  readonly #budget: TurnBudget;
  /** Bytes asked of the next read (see READ_BYTES_INITIAL). */
  #readBytes = READ_BYTES_INITIAL;
  /** Reports an error line with a code outside the contract (rewritten by the writer). */
  readonly #foreignCode = (line: string) =>
    this.#logger.error("reply with a non-contract error code rewritten", {
      client: this.session.address,
      line: line.slice(0, 200),
    });
  /** Replies accumulate here while a write is in flight. */
  #out: RespWriter = new ContractRespWriter(WRITER_BYTES_INITIAL, this.#foreignCode);
  /** The buffer being written (or idle and empty); made at the first write. */
  #spare: RespWriter | null = null;
  #writeInFlightBytes = 0;
  #writing = false;
  /** Replies waiting behind an asynchronous command, oldest first. */
  readonly #pending: PendingReply[] = [];
  /**
   * Index of the oldest slot of `#pending` still waiting. Taken slots are skipped and cut off in
   * bulk, not shifted one by one: a shift moves every slot behind it once the array is large, and
   * draining a pipeline of 20,000 replies then cost seconds in one turn.
   */
  #pendingHead = 0;
  /** Async replies still waiting on a proposal (see PENDING_REPLIES_MAX). */
  #proposingCount = 0;
  /** Resolves a pipeline waiting for its outstanding replies to drain (see PENDING_REPLIES_MAX). */
  #onPendingDrained: (() => void) | null = null;
  /** A flush is queued for the end of this turn (replies settled together leave together). */
  #flushQueued = false;
  #closeAfterFlush = false;
  #closed = false;
  /** The audit buffer was full (block policy): the next command waits for room. */
  #auditWait: Promise<void> | null = null;
  readonly #call: CommandCall;

  constructor(
    conn: ByteConn,
    session: ClientSession,
    table: CommandTable,
    services: NodeServices,
    logger: Logger,
    limits: ClientConnectionLimits,
  ) {
    this.#conn = conn;
    this.session = session;
    this.#table = table;
    this.#services = services;
    this.#logger = logger;
    this.#limits = limits;
    this.#decoder = new RespRequestDecoder(limits.resp, READ_BYTES_INITIAL);
    this.#budget = limits.budget ?? new TurnBudget();
    this.#call = { args: [], session, out: this.#out, services };
  }

  /** Serves the connection until the client leaves, misbehaves or the node closes it. */
  async serve(): Promise<void> {
    try {
      while (!this.#closed && !this.#closeAfterFlush) {
        const region = this.#decoder.writable(this.#readBytes);
        const count = await this.#conn.read(region);
        if (count === null) break;
        if (count === region.length && this.#readBytes < READ_BYTES_MAX) this.#readBytes *= 2;
        this.#decoder.commit(count);
        this.#services.stats.inputBytes += count;
        // One clock read serves the budget's check and the slice's commands.
        const nowMs = this.#budget.now();
        if (!this.#budget.tryTake(nowMs) || this.#processBuffered(nowMs)) {
          await this.#processInSlices();
        }
        this.#checkOutputBound();
        this.#flush();
      }
    } catch (error) {
      if (!this.#closed) this.#logger.debug("client read failed", { error: String(error) });
    }
    if (!this.#closeAfterFlush) this.close();
    else this.#flush();
  }

  /** Closes the socket now; pending replies are dropped. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onPendingDrained?.();
    this.#onPendingDrained = null;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
    this.session.closed();
  }

  /** Unsent reply bytes held for this client. */
  outputBytes(): number {
    let total = this.#out.byteLength + this.#writeInFlightBytes;
    for (let i = this.#pendingHead; i < this.#pending.length; i++) {
      const slot = this.#pending[i]!;
      if ("writer" in slot) total += slot.writer.byteLength;
    }
    return total;
  }

  /**
   * The rest of a read's commands, a slice per turn of the budget: a pipeline of 100,000
   * commands or a storm of connections cannot hold the loop past heartbeats and Raft ticks.
   * Reading waits meanwhile, so the client's input stays bounded by the decoder's limits.
   */
  async #processInSlices(): Promise<void> {
    do {
      this.#checkOutputBound();
      this.#flush();
      if (this.#proposingCount >= PENDING_REPLIES_MAX) {
        await new Promise<void>((resolve) => this.#onPendingDrained = resolve);
        if (this.#closed) return;
      }
      if (this.#auditWait !== null) {
        await this.#auditWait;
        this.#auditWait = null;
        if (this.#closed) return;
      }
      // Commands after an AUTH run as the user it names, or not at all: wait for its outcome.
      while (this.session.authenticating !== null) {
        await this.session.authenticating.catch(() => {});
        if (this.#closed) return;
      }
      if (!this.#budget.tryTake()) {
        this.#services.stats.clientReadsDeferred++;
        await this.#budget.nextTurn();
      }
      if (this.#closed) return;
    } while (this.#processBuffered());
  }

  /**
   * Runs buffered commands, at most a slice; true when more may be left for a later turn.
   * `nowMs`: a clock read made after the commands arrived, before this call (default: now).
   */
  #processBuffered(nowMs: number = this.#budget.now()): boolean {
    // One clock read for the slice: its commands arrived before it and run before the next await.
    this.#call.nowMs = nowMs;
    for (let executed = 0; executed < COMMANDS_PER_SLICE_MAX; executed++) {
      // A slice of slow commands (cold code, big arguments) ends early when the turn's time is up.
      if (executed > 0 && executed % COMMANDS_PER_CLOCK_READ === 0 && !this.#budget.hasTime()) {
        return true;
      }
      let args: Uint8Array[] | undefined;
      try {
        args = this.#decoder.next();
      } catch (error) {
        this.#rejectInput(error);
        return false;
      }
      if (args === undefined) return false;
      this.#execute(args);
      if (this.#proposingCount >= PENDING_REPLIES_MAX) return true;
      if (this.session.authenticating !== null || this.#auditWait !== null) return true;
      if (this.session.closeRequested) {
        this.#closeAfterFlush = true;
        return false;
      }
    }
    return true;
  }

  #rejectInput(error: unknown): void {
    if (!(error instanceof RespProtocolError) && !(error instanceof RespLimitError)) throw error;
    this.#services.stats.protocolErrors++;
    const line = error instanceof RespLimitError
      ? `LIMIT ${error.message}`
      : `ERR ${error.message}`;
    this.#logger.info("client dropped: bad input", {
      client: this.session.address,
      reason: error.message,
    });
    this.#target().error(line);
    this.#closeAfterFlush = true;
  }

  /** Where a synchronous reply goes: straight out, or behind a pending async reply. */
  #target(): RespWriter {
    if (this.#pending.length === this.#pendingHead) return this.#out;
    const tail = this.#pending[this.#pending.length - 1]!;
    if ("writer" in tail) return tail.writer;
    const writer = new ContractRespWriter(256, this.#foreignCode);
    this.#pending.push({ writer });
    return writer;
  }

  #execute(args: Uint8Array[]): void {
    this.#services.stats.commandsProcessed++;
    const out = this.#target();
    const session = this.session;
    const resolution = this.#table.resolve(args, session.authenticated, false, session.user);
    if (resolution.error !== undefined) {
      out.error(resolution.error);
      if (resolution.denied !== undefined) {
        const { command, spec } = resolution.denied;
        this.#limits.auditor?.refused(session, command, spec, args);
      }
      return;
    }
    this.session.lastCommand = resolution.spec.name;
    const ticket = this.#auditTicket(args, resolution.spec);
    const call = this.#call;
    call.args = args;
    call.out = out;
    // A blocking command's slot exists before it runs: the router reports its queued wait.
    let slot: PendingReply | null = null;
    if (resolution.spec.wait !== undefined) {
      const waiting: PendingReply = { reply: null, proposing: true };
      call.onQueued = () => this.#settleProposal(waiting);
      slot = waiting;
    } else if (call.onQueued !== undefined) delete call.onQueued;
    const lengthBefore = out.byteLength;
    let result: void | Promise<ReplyFn>;
    try {
      result = resolution.spec.handler!(call);
    } catch (error) {
      this.#handlerFailed(error);
      ticket?.finish("ERR");
      // A handler that threw after writing part of its reply left the stream unrepairable.
      if (out.byteLength === lengthBefore) out.error(internalErrorLine(error));
      else this.close();
      return;
    }
    if (result === undefined) {
      ticket?.finish(outcomeOf(out.bytes().subarray(lengthBefore)));
      return;
    }
    if (ticket !== null) {
      result = result.then((reply) => audited(reply, ticket), (error) => {
        ticket.finish("ERR");
        throw error;
      });
    }
    const pendingSlot: PendingReply = slot ?? { reply: null, proposing: true };
    this.#pending.push(pendingSlot);
    this.#proposingCount++;
    // The guard is attached at once: a rejection waiting behind an earlier reply is handled.
    result.then((reply) => {
      pendingSlot.reply = reply;
      this.#settleProposal(pendingSlot);
      this.#drainSettled();
    }, (error) => {
      this.#handlerFailed(error);
      const line = internalErrorLine(error);
      pendingSlot.reply = (writer) => writer.error(line);
      this.#settleProposal(pendingSlot);
      this.#drainSettled();
    });
  }

  /** An audit ticket for this call when it is recorded; pauses the connection when full. */
  #auditTicket(args: Uint8Array[], spec: CommandSpec): AuditTicket | null {
    const auditor = this.#limits.auditor;
    if (auditor === undefined) return null;
    const top = lowerAscii(args[0]!);
    const command = spec.name === top ? top : `${top}|${spec.name}`;
    const { ticket, blocked } = auditor.begin(this.session, command, spec, args);
    if (blocked) this.#auditWait = auditor.log.roomAvailable();
    return ticket;
  }

  /**
   * Moves every settled reply at the head of the queue into the output, in request order, and
   * queues one flush for the end of this turn: replies of pipelined or concurrent requests that
   * settle together (one applied Raft batch) leave in one write.
   */
  #drainSettled(): void {
    if (this.#closed) return;
    try {
      while (this.#pending.length > this.#pendingHead) {
        const head = this.#pending[this.#pendingHead]!;
        if ("writer" in head) this.#out.raw(head.writer.bytes());
        else if (head.reply !== null) head.reply(this.#out, this.session.protocol);
        else break;
        this.#takePendingHead();
      }
    } catch (error) {
      // A reply that fails while encoding leaves the stream unrepairable.
      this.#handlerFailed(error);
      this.close();
      return;
    }
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  /** A reply stops waiting on its proposal (settled, or its wait queued); may resume reading. */
  #settleProposal(slot: PendingReply): void {
    if (!("proposing" in slot) || !slot.proposing) return;
    slot.proposing = false;
    this.#proposingCount--;
    if (this.#onPendingDrained !== null && this.#proposingCount <= PENDING_REPLIES_MAX / 2) {
      const resume = this.#onPendingDrained;
      this.#onPendingDrained = null;
      resume();
    }
  }

  /** Drops the oldest pending slot; compacts once the taken ones are the larger half. */
  #takePendingHead(): void {
    this.#pendingHead++;
    if (this.#pendingHead === this.#pending.length) {
      this.#pending.length = 0;
      this.#pendingHead = 0;
    } else if (this.#pendingHead >= 1024 && this.#pendingHead * 2 >= this.#pending.length) {
      this.#pending.splice(0, this.#pendingHead);
      this.#pendingHead = 0;
    }
  }

  /** Logs a handler that threw or rejected: a bug, not a refusal (answered `-ERR internal error`). */
  #handlerFailed(error: unknown): void {
    this.#logger.error("command failed unexpectedly", {
      client: this.session.address,
      command: this.session.lastCommand,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }

  #checkOutputBound(): void {
    if (this.#closed || this.outputBytes() <= this.#limits.outputBytesMax) return;
    this.#services.stats.outputLimitDisconnects++;
    this.#logger.warn("client dropped: output buffer limit", {
      client: this.session.address,
      outputBytes: this.outputBytes(),
      outputBytesMax: this.#limits.outputBytesMax,
    });
    this.close();
  }

  /** Starts writing the accumulated replies unless a write is already in flight. */
  #flush(): void {
    if (this.#closed || this.#writing) return;
    if (this.#out.byteLength === 0) {
      if (this.#closeAfterFlush && this.#pending.length === this.#pendingHead) this.close();
      return;
    }
    const sending = this.#out;
    this.#out = this.#spare ?? new ContractRespWriter(WRITER_BYTES_INITIAL, this.#foreignCode);
    this.#spare = sending;
    this.#writing = true;
    this.#writeInFlightBytes = sending.byteLength;
    void this.#writeAll(sending.bytes()).then(() => {
      sending.reset();
      this.#writing = false;
      this.#writeInFlightBytes = 0;
      this.#flush();
    });
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    try {
      let offset = 0;
      while (offset < data.length) offset += await this.#conn.write(data.subarray(offset));
      this.#services.stats.outputBytes += data.length;
    } catch (error) {
      if (!this.#closed) this.#logger.debug("client write failed", { error: String(error) });
      this.close();
    }
  }
}

/** `reply`, finishing `ticket` with the outcome it writes. */
function audited(reply: ReplyFn, ticket: AuditTicket): ReplyFn {
  return (out, version) => {
    const lengthBefore = out.byteLength;
    reply(out, version);
    ticket.finish(outcomeOf(out.bytes().subarray(lengthBefore)));
  };
}
