/**
 * Exact arithmetic on decimal strings ("23142.31", "0.001").
 *
 * The API sends prices and quantities as strings so that no precision is lost.
 * The app keeps them as strings in its state (comparisons and sums are done
 * exactly, via BigInt) and only turns them into JS numbers at the chart
 * boundary (see features/market/chartBars.ts).
 */

const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

/** True for plain decimal strings: optional minus, digits, optional fraction. No exponents. */
export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && DECIMAL_RE.test(value);
}

interface Scaled {
  units: bigint;
  scale: number;
}

function toScaled(value: string): Scaled {
  if (!isDecimalString(value)) throw new RangeError(`not a decimal string: ${JSON.stringify(value)}`);
  const negative = value.startsWith('-');
  const unsigned = negative ? value.slice(1) : value;
  const [intPart = '0', fracPart = ''] = unsigned.split('.');
  const units = BigInt(intPart + fracPart);
  return { units: negative ? -units : units, scale: fracPart.length };
}

function align(a: Scaled, b: Scaled): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

function fromScaled(units: bigint, scale: number): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** -1, 0 or 1, like a comparator. Throws RangeError on malformed input. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = align(toScaled(a), toScaled(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Exact sum; the result keeps the larger of the two scales ("1.5" + "0.25" = "1.75"). */
export function addDecimal(a: string, b: string): string {
  const [x, y, scale] = align(toScaled(a), toScaled(b));
  return fromScaled(x + y, scale);
}

export function maxDecimal(a: string, b: string): string {
  return compareDecimal(a, b) >= 0 ? a : b;
}

export function minDecimal(a: string, b: string): string {
  return compareDecimal(a, b) <= 0 ? a : b;
}

/** Number of digits after the decimal point ("23142.31" → 2). */
export function decimalPlaces(value: string): number {
  const dot = value.indexOf('.');
  return dot === -1 ? 0 : value.length - dot - 1;
}

/**
 * Display formatting that never goes through a float: adds thousands
 * separators to the integer part and keeps the fraction as sent.
 * "23142.31" → "23,142.31".
 */
export function formatDecimal(value: string): string {
  if (!isDecimalString(value)) return value;
  const negative = value.startsWith('-');
  const unsigned = negative ? value.slice(1) : value;
  const [intPart = '0', fracPart] = unsigned.split('.');
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fracPart === undefined ? '' : `.${fracPart}`}`;
}
