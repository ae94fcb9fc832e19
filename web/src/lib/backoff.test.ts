import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff';

describe('backoff schedule', () => {
  it('doubles from the base and caps at the maximum', () => {
    const ceilings = Array.from({ length: 10 }, (_, n) => backoffCeiling(n));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
  });

  it('honours custom options and survives huge attempt numbers', () => {
    expect(backoffCeiling(3, { baseMs: 100, factor: 3, maxMs: 10_000 })).toBe(2700);
    expect(backoffCeiling(10_000)).toBe(30_000);
    expect(backoffCeiling(-5)).toBe(500);
  });

  it('applies equal jitter: every delay is within [ceiling/2, ceiling]', () => {
    expect(backoffDelay(0, {}, () => 0)).toBe(250);
    expect(backoffDelay(0, {}, () => 0.999999)).toBe(500);
    expect(backoffDelay(4, {}, () => 0.5)).toBe(6000);
    expect(backoffDelay(20, {}, () => 0)).toBe(15_000);
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const ceiling = backoffCeiling(attempt);
      for (let i = 0; i < 50; i += 1) {
        const d = backoffDelay(attempt);
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('actually jitters (different random values give different delays)', () => {
    const values = new Set([0.1, 0.4, 0.7].map((r) => backoffDelay(5, {}, () => r)));
    expect(values.size).toBe(3);
  });

  it('clamps a misbehaving random source', () => {
    expect(backoffDelay(1, {}, () => 7)).toBe(1000);
    expect(backoffDelay(1, {}, () => -1)).toBe(500);
  });
});
