/**
 * Exponential backoff with "equal jitter":
 *   cap     = min(maxMs, baseMs * factor^attempt)
 *   delay   = cap/2 + random() * cap/2
 * so every delay lies in [cap/2, cap]: never a thundering-herd burst of
 * immediate retries, yet clients that failed together spread out.
 */
export interface BackoffOptions {
  /** Delay cap for the first retry (attempt 0). Default 500 ms. */
  baseMs?: number;
  /** Upper bound for any delay. Default 30 s. */
  maxMs?: number;
  /** Growth factor per attempt. Default 2. */
  factor?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 500, maxMs: 30_000, factor: 2 };

/** The un-jittered ceiling for a given attempt (0-based). */
export function backoffCeiling(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs, maxMs, factor } = { ...DEFAULT_BACKOFF, ...options };
  const n = Math.max(0, Math.floor(attempt));
  // Guard against Infinity/overflow for very large attempt counts.
  const raw = baseMs * Math.pow(factor, Math.min(n, 64));
  return Math.min(maxMs, Number.isFinite(raw) ? raw : maxMs);
}

/** Jittered delay in ms for a given attempt (0-based). `random` must return a value in [0, 1). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, options);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling / 2 + r * (ceiling / 2));
}
