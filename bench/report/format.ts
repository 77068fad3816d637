/** Number formatting shared by the report's Markdown and the parts' texts (en-US, fixed digits). */

/** `value` with thousands separators and exactly `digits` fraction digits ("1,234.5"). */
export function fixed(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Integers as they are, other values to about three significant digits ("0.412", "12.3"). */
export function significant(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return fixed(value, 0);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return fixed(value, 0);
  if (magnitude >= 10) return fixed(value, 1);
  if (magnitude >= 1) return fixed(value, 2);
  return fixed(value, 3);
}

/** A ratio as "2.41x" (or "-" when there is none). */
export function ratioText(ratio: number | null): string {
  return ratio === null ? "-" : `${significant(ratio)}x`;
}
