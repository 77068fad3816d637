import type { Message } from "../../src/raft/mod.ts";

type TraceItem = { timeMs: number; text: string | null; message: Message | null };

/** A bounded ring of recent simulation events, formatted only when a run fails. */
export class Trace {
  #items: TraceItem[] = [];
  #next = 0;
  readonly #capacity: number;

  /** Keeps the last `capacity` events. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Records a free-form event. */
  note(timeMs: number, text: string): void {
    this.#push({ timeMs, text, message: null });
  }

  /** Records a delivered message. */
  message(timeMs: number, message: Message): void {
    this.#push({ timeMs, text: null, message });
  }

  #push(item: TraceItem): void {
    if (this.#items.length < this.#capacity) this.#items.push(item);
    else this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** The recorded events, oldest first, one line each. */
  lines(): string[] {
    const ordered = this.#items.length < this.#capacity
      ? this.#items
      : [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
    return ordered.map((item) => `${item.timeMs.toFixed(2).padStart(9)}ms ${describe(item)}`);
  }
}

function describe(item: TraceItem): string {
  const m = item.message;
  if (m === null) return item.text ?? "";
  let text = `${m.from}->${m.to} ${m.type} term=${m.term} index=${m.index} logTerm=${m.logTerm}`;
  if (m.groupId !== 1) text = `g${m.groupId} ${text}`; // Several groups per node.
  if (m.entries.length > 0) {
    text += ` entries=${m.entries[0]!.index}..${m.entries.at(-1)!.index}`;
  }
  if (m.commitIndex > 0) text += ` commit=${m.commitIndex}`;
  if (m.reject) text += ` REJECT hint=${m.rejectHint}`;
  if (m.context > 0) text += ` ctx=${m.context}`;
  if (m.snapshot !== null) {
    text += ` snap=${m.snapshot.index}@${m.snapshot.offsetBytes}/${m.snapshot.totalBytes}`;
  }
  return text;
}
