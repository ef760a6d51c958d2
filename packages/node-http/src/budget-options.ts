/**
 * A budget (plain whole numbers: rows, ms, places) with the options given over its defaults, each checked to be a
 * non-negative integer and `concurrency` at least 1: the stats budgets of pg-ingest and the ClickHouse backend.
 */
export function budgetWith<B extends { concurrency: number }>(defaults: B, options: Partial<B> = {}): B {
  const budget = { ...defaults };
  for (const name of Object.keys(options) as Array<keyof B & string>) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`statsBudget.${name} must be a non-negative integer`);
    budget[name] = value as B[keyof B & string];
  }
  if (budget.concurrency < 1) throw new Error('statsBudget.concurrency must be at least 1');
  return budget;
}
