/**
 * Glob matching over bytes, as Redis matches key patterns (pure): `*` any run, `?` any one byte,
 * `[abc]`, `[a-z]`, `[^a]` a class, `\x` the byte x. Backtracks only to the last `*`, so a match
 * costs at most pattern length times text length steps.
 */
export function globMatch(pattern: Uint8Array, text: Uint8Array): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === STAR) {
      starP = p++;
      starT = t;
      continue;
    }
    if (p < pattern.length) {
      const step = matchOne(pattern, p, text[t]!);
      if (step > 0) {
        p += step;
        t++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    t = ++starT;
  }
  while (p < pattern.length && pattern[p] === STAR) p++;
  return p === pattern.length;
}

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const BACKSLASH = 0x5c;
const CARET = 0x5e;
const DASH = 0x2d;

/** Pattern bytes consumed when the element at `p` matches `byte`; 0 when it does not. */
function matchOne(pattern: Uint8Array, p: number, byte: number): number {
  const head = pattern[p]!;
  if (head === QUESTION) return 1;
  if (head === BACKSLASH && p + 1 < pattern.length) return pattern[p + 1] === byte ? 2 : 0;
  if (head !== OPEN) return head === byte ? 1 : 0;
  return matchClass(pattern, p, byte);
}

/** A `[...]` class at `p`; an unterminated class matches a literal `[`. */
function matchClass(pattern: Uint8Array, p: number, byte: number): number {
  let i = p + 1;
  const negated = pattern[i] === CARET;
  if (negated) i++;
  let matched = false;
  let first = true;
  while (i < pattern.length && (first || pattern[i] !== CLOSE)) {
    first = false;
    let low = pattern[i]!;
    if (low === BACKSLASH && i + 1 < pattern.length) low = pattern[++i]!;
    if (pattern[i + 1] === DASH && i + 2 < pattern.length && pattern[i + 2] !== CLOSE) {
      let high = pattern[i + 2]!;
      if (high === BACKSLASH && i + 3 < pattern.length) high = pattern[++i + 2]!;
      if (byte >= Math.min(low, high) && byte <= Math.max(low, high)) matched = true;
      i += 3;
    } else {
      if (byte === low) matched = true;
      i++;
    }
  }
  if (i >= pattern.length) return byte === OPEN ? 1 : 0;
  return matched !== negated ? i + 1 - p : 0;
}
