/**
 * The `revenue` property of an event: `props.revenue = { amount, currency }`, an amount (any finite number; a
 * refund is negative) in an ISO 4217 currency (three uppercase letters). Servers refuse an event whose revenue is
 * malformed, with its own reason, and keep the rest of its batch; the dashboard sums it per goal and currency.
 */

/** Amounts at or past this size are refused (the backends sum them as integer millionths). */
export const MAX_REVENUE_AMOUNT = 1e12;

/** A valid revenue value. */
export interface Revenue {
  amount: number;
  currency: string;
}

/** Why a `props.revenue` value is not a revenue, or `undefined` when it is one. */
export function revenueProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'props.revenue must be an object { amount, currency }';
  }
  const { amount, currency, ...rest } = value as Record<string, unknown>;
  if (typeof amount !== 'number' || !Number.isFinite(amount)) return 'props.revenue.amount must be a finite number';
  if (Math.abs(amount) >= MAX_REVENUE_AMOUNT) return 'props.revenue.amount must be below 10^12 in size';
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    return 'props.revenue.currency must be an ISO 4217 code of three uppercase letters (EUR, USD, JPY …)';
  }
  if (Object.keys(rest).length > 0) return 'props.revenue holds only amount and currency';
  return undefined;
}

/** The event's revenue when its props hold a valid one. */
export function revenueOf(props: Record<string, unknown> | undefined): Revenue | undefined {
  const value = props?.revenue;
  return value !== undefined && revenueProblem(value) === undefined ? (value as Revenue) : undefined;
}

/**
 * An amount in millionths, an integer: every backend sums these, so the same events give the same total whatever
 * order they are added in (floating-point sums depend on the order).
 */
export const revenueMicros = (amount: number): number => Math.round(amount * 1_000_000);
