/** The folder-level import graph of the source tree, for the import-cycle test. */

const IMPORT_PATTERN = /(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g;

/** The folder a source file belongs to (`src/<folder>`, `protocol/<folder>`); a top-level file
 * (`src/main.ts`) stands for itself. */
export function folderOf(path: string): string {
  const parts = path.split("/");
  return parts.slice(0, 2).join("/");
}

/** Relative `from "./x"` specifiers of one file's imports and re-exports. */
export function importSpecifiers(source: string): string[] {
  return [...source.matchAll(IMPORT_PATTERN)].map((match) => match[1]!);
}

/** Joins a relative specifier onto the directory of `fromPath` (both repository-relative). */
export function resolveRelative(fromPath: string, specifier: string): string {
  const parts = fromPath.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** Folder → folders it imports from (other than itself), over `files` (path → source). */
export function folderGraph(files: Map<string, string>): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [path, source] of files) {
    const from = folderOf(path);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const specifier of importSpecifiers(source)) {
      const to = folderOf(resolveRelative(path, specifier));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** Every cycle of folders found by a depth-first search, each as `a -> b -> a`. */
export function folderCycles(graph: Map<string, Set<string>>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (folder: string) => {
    state.set(folder, "open");
    stack.push(folder);
    for (const next of graph.get(folder) ?? []) {
      if (state.get(next) === "open") {
        cycles.push([...stack.slice(stack.indexOf(next)), next].join(" -> "));
      } else if (state.get(next) === undefined) {
        visit(next);
      }
    }
    stack.pop();
    state.set(folder, "done");
  };
  for (const folder of [...graph.keys()].sort()) {
    if (state.get(folder) === undefined) visit(folder);
  }
  return cycles;
}
