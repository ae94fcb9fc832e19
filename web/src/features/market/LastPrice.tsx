import { formatDecimal } from '../../lib/decimal';
import type { PriceDirection } from './marketState';

const ARROWS: Record<PriceDirection, string> = { up: '▲', down: '▼', flat: '' };
const DIRECTION_TEXT: Record<PriceDirection, string> = { up: 'up', down: 'down', flat: 'unchanged' };

export function LastPrice({ price, direction, quote }: { price: string | null; direction: PriceDirection; quote: string }) {
  return (
    <div className="last-price" data-direction={direction}>
      <span className="last-price__label" id="last-price-label">
        Last price
      </span>
      <span className="last-price__row">
        <span className="last-price__arrow" aria-hidden="true">
          {ARROWS[direction]}
        </span>
        <output
          className="last-price__value"
          data-testid="last-price"
          data-direction={direction}
          data-price={price ?? ''}
          aria-live="polite"
          aria-atomic="true"
          aria-labelledby="last-price-label"
          title={price ? `${price} ${quote}, ${DIRECTION_TEXT[direction]}` : undefined}
        >
          {price ? formatDecimal(price) : '—'}
        </output>
        <span className="last-price__quote">{quote}</span>
      </span>
    </div>
  );
}
