/** Severity of a log line, in increasing order. */
export type LogLevel = "debug" | "info" | "warn" | "error";
/** Output shape of log lines. */
export type LogFormat = "text" | "json";
/** Extra key/value context of a log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** Every accepted `--log-level`. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Where finished lines go; tests capture them, the node writes to stderr. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();
/** Writes a line to stderr synchronously (lines are never reordered or lost on exit). */
export function stderrSink(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** A structured logger: one line per event, text (`key=value`) or JSON. */
export class Logger {
  readonly #level: number;
  readonly #format: LogFormat;
  readonly #sink: LogSink;
  readonly #context: LogFields;
  readonly #clock: () => Date;

  constructor(
    options: { level: LogLevel; format: LogFormat; sink?: LogSink; clock?: () => Date },
    context: LogFields = {},
  ) {
    this.#level = LEVEL_RANK[options.level];
    this.#format = options.format;
    this.#sink = options.sink ?? stderrSink;
    this.#clock = options.clock ?? (() => new Date());
    this.#context = context;
  }

  /** A logger whose lines also carry `fields` (e.g. the component name). */
  with(fields: LogFields): Logger {
    const level = LOG_LEVELS.find((name) => LEVEL_RANK[name] === this.#level) ?? "info";
    return new Logger(
      { level, format: this.#format, sink: this.#sink, clock: this.#clock },
      { ...this.#context, ...fields },
    );
  }

  /** True when lines of `level` are written (skip building costly fields otherwise). */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#level;
  }

  debug(message: string, fields?: LogFields): void {
    this.#write("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#write("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#write("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#write("error", message, fields);
  }

  #write(level: LogLevel, message: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    const all: LogFields = { ...this.#context, ...fields };
    const time = this.#clock().toISOString();
    this.#sink(
      this.#format === "json"
        ? formatJson(time, level, message, all)
        : formatText(time, level, message, all),
    );
  }
}

function formatJson(time: string, level: LogLevel, message: string, fields: LogFields): string {
  const record: Record<string, unknown> = { time, level, msg: message };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) record[key] = value;
  }
  return JSON.stringify(record);
}

function formatText(time: string, level: LogLevel, message: string, fields: LogFields): string {
  let line = `${time} ${level.toUpperCase().padEnd(5)} ${message}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    line += ` ${key}=${quoteIfNeeded(String(value))}`;
  }
  return line;
}

function quoteIfNeeded(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}
