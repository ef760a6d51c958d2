import { MAX_REVENUE_AMOUNT, type Props } from '@trailmark/protocol';

/**
 * Why `props.revenue` is not the shape the revenue reports read, `{ amount: <finite number>, currency: <ISO 4217 code,
 * three capital letters> }` and nothing else, or `undefined` when it is that or absent. The backends check the same
 * shape at admission; the SDK checks first so that a bad one is dropped from its event, with a warning, instead of
 * costing the event a round trip.
 */
export function revenueProblem(props: Props | undefined): string | undefined {
  const revenue = props?.revenue as { amount?: unknown; currency?: unknown } | undefined;
  if (revenue === undefined) return;
  return revenue === null ||
    typeof revenue !== 'object' ||
    !Number.isFinite(revenue.amount) ||
    // The servers refuse the whole event past this bound: the SDK drops the revenue alone, as for any bad revenue.
    Math.abs(revenue.amount as number) >= MAX_REVENUE_AMOUNT ||
    !/^[A-Z]{3}$/.test(revenue.currency as string) ||
    Object.keys(revenue).length !== 2
    ? __DEBUG_BUILD__
      ? 'revenue must be { amount: <finite number>, currency: <3 capital letters, ISO 4217> }'
      : 'revenue'
    : undefined;
}
