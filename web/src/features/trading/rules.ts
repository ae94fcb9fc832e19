/**
 * Reading a rule's definition for the list. The definition is the rules service's own JSON; the
 * list names its order in words and shows the rest as key=value so nothing is hidden.
 */
const ORDER_KEYS = ['kind', 'side', 'amount', 'quantity', 'quote_amount', 'symbol'] as const;

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function describeRule(definition: Readonly<Record<string, unknown>>, symbol: string): string {
  const side = typeof definition.side === 'string' ? definition.side.toLowerCase() : null;
  const size = definition.amount ?? definition.quantity ?? definition.quote_amount ?? null;
  const head = [side === 'buy' ? 'Buy' : side === 'sell' ? 'Sell' : null, size === null ? null : text(size), symbol]
    .filter((part) => part !== null)
    .join(' ');
  const rest = Object.entries(definition)
    .filter(([key]) => !(ORDER_KEYS as readonly string[]).includes(key))
    .map(([key, value]) => `${key}=${text(value)}`);
  return rest.length > 0 ? `${head} · ${rest.join(', ')}` : head;
}

/** What the user can do with a rule in this status (the server refuses anything else with 409). */
export function ruleActions(status: string): ('pause' | 'resume' | 'delete')[] {
  switch (status) {
    case 'active':
      return ['pause', 'delete'];
    case 'paused':
      return ['resume', 'delete'];
    case 'fired':
      return ['delete'];
    default:
      return [];
  }
}
