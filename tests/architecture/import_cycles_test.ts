import assert from "node:assert/strict";
import { folderCycles, folderGraph } from "./folder_imports.ts";

const ROOT = new URL("../../", import.meta.url);

async function sourceFiles(dir: string, files: Map<string, string>): Promise<void> {
  for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await sourceFiles(path, files);
    else if (entry.name.endsWith(".ts")) {
      files.set(path, await Deno.readTextFile(new URL(path, ROOT)));
    }
  }
}

Deno.test("no import cycle between folders of src/ and protocol/", async () => {
  const files = new Map<string, string>();
  await sourceFiles("src", files);
  await sourceFiles("protocol", files);
  assert.ok(files.size > 100, `found only ${files.size} source files`);
  assert.deepEqual(folderCycles(folderGraph(files)), []);
});

Deno.test("the cycle check finds a cycle between two folders, and through three", () => {
  const files = new Map([
    ["src/a/x.ts", 'import { y } from "../b/y.ts";'],
    ["src/b/y.ts", 'import type { x } from "../a/x.ts";\nexport const y = 1;'],
    ["src/c/z.ts", 'export { w } from "../d/w.ts";'],
    ["src/d/w.ts", 'import { v } from "../e/v.ts";'],
    ["src/e/v.ts", 'import { z } from "../c/z.ts";'],
    ["src/f/u.ts", 'import { y } from "../b/y.ts";\nimport { q } from "./q.ts";'],
  ]);
  assert.deepEqual(folderCycles(folderGraph(files)), [
    "src/a -> src/b -> src/a",
    "src/c -> src/d -> src/e -> src/c",
  ]);
});
