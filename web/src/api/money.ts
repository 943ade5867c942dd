// Amounts as the API has them (integer micro-USD) and as people write them (decimal dollars).
const MICROS = 1_000_000;

/** Exact decimal dollars for display: 1500 → "0.0015". */
export function usd(micros: number): string {
  return (micros / MICROS).toFixed(6).replace(/\.?0+$/, "");
}

/** What a person typed, in micro-USD; empty is null (no cap). */
export function toMicros(text: string): number | null {
  if (!text.trim()) return null;
  return Math.round(Number(text) * MICROS);
}
