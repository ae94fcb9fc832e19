import { describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, formatDecimal, isDecimalString, maxDecimal, minDecimal } from './decimal';

describe('decimal strings', () => {
  it('validates', () => {
    expect(['0', '1.5', '-2.25', '23142.31', '000.10'].every(isDecimalString)).toBe(true);
    expect(['', '.5', '1.', '1e5', 'NaN', ' 1', '1,000', '+1'].some(isDecimalString)).toBe(false);
    expect(isDecimalString(1.5)).toBe(false);
  });

  it('compares exactly across scales', () => {
    expect(compareDecimal('1.10', '1.1')).toBe(0);
    expect(compareDecimal('0.3', '0.29999999999999999999')).toBe(1);
    expect(compareDecimal('-1', '0.5')).toBe(-1);
    expect(maxDecimal('9.9', '10')).toBe('10');
    expect(minDecimal('9.9', '10')).toBe('9.9');
    expect(() => compareDecimal('abc', '1')).toThrow(RangeError);
  });

  it('adds without float error', () => {
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(addDecimal('2.131777', '0.01')).toBe('2.141777');
    expect(addDecimal('1', '0.005')).toBe('1.005');
    expect(addDecimal('-0.5', '0.25')).toBe('-0.25');
  });

  it('formats with thousands separators without rounding', () => {
    expect(formatDecimal('23142.31')).toBe('23,142.31');
    expect(formatDecimal('1234567.000100')).toBe('1,234,567.000100');
    expect(formatDecimal('999')).toBe('999');
    expect(formatDecimal('-1000.5')).toBe('-1,000.5');
  });
});
