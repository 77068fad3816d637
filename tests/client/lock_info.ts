import type { RespValue } from "../../protocol/resp/mod.ts";
import { callNode } from "../../src/node/join.ts";

const decoder = new TextDecoder();

function text(value: RespValue | undefined): string {
  if (value?.type === "bulk") return decoder.decode(value.value);
  if (value?.type === "simple") return value.value;
  throw new Error(`not a string: ${JSON.stringify(value)}`);
}

function items(value: RespValue | undefined): RespValue[] {
  if (value?.type === "array") return value.value;
  throw new Error(`not an array: ${JSON.stringify(value)}`);
}

/** The holders of lock `name` as `owner token` strings, from `LOCK.INFO` on 127.0.0.1:port. */
export async function lockHolders(port: number, name: string): Promise<string[]> {
  const reply = await callNode({ host: "127.0.0.1", port }, ["LOCK.INFO", name], 10_000);
  return items(items(reply)[1]).map((holder) => {
    const [owner, token] = items(holder);
    if (token?.type !== "integer") throw new Error(`bad token: ${JSON.stringify(token)}`);
    return `${text(owner)} ${token.value}`;
  });
}
