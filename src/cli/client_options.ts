import type { Command } from "commander";
import { DEFAULT_ENDPOINTS, DsyncClient } from "../client/mod.ts";
import { envOption } from "./env_option.ts";

/** Exit status of a client subcommand that could not reach the cluster or was refused by it. */
export const EXIT_UNAVAILABLE = 69;
/** Exit status of a bad option value. */
export const EXIT_USAGE = 64;

/** Adds `--endpoints`, `--user` and `--password` (and their `DSYNC_*` variables) to `command`. */
export function withClientOptions(command: Command): Command {
  return command
    .addOption(
      envOption("--endpoints <list>", "nodes to reach, HOST:PORT,...").default(
        DEFAULT_ENDPOINTS.join(","),
      ),
    )
    .addOption(envOption("--user <name>", "user name, when ACLs are on"))
    .addOption(envOption("--password <password>", "password, when ACLs (or --requirepass) are on"));
}

/** A client from the options added by withClientOptions. */
export function clientFromOptions(raw: Record<string, string | undefined>): DsyncClient {
  const endpoints = (raw.endpoints ?? DEFAULT_ENDPOINTS.join(",")).split(",").filter((e) => e);
  return new DsyncClient({
    endpoints,
    ...(raw.user === undefined ? {} : { user: raw.user }),
    ...(raw.password === undefined ? {} : { password: raw.password }),
  });
}

/**
 * Parses a millisecond option: an integer in `min..max`, or undefined when not given. Exits with
 * EXIT_USAGE otherwise.
 */
export function msOption(
  raw: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    console.error(`dsync: invalid ${flag} '${raw}': expected an integer ${min}-${max}`);
    Deno.exit(EXIT_USAGE);
  }
  return value;
}

/** Prints `error` as `dsync <what>: message` on stderr and returns EXIT_UNAVAILABLE. */
export function reportFailure(what: string, error: unknown): number {
  console.error(`dsync ${what}: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT_UNAVAILABLE;
}
