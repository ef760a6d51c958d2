import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (a minute or more of waiting on servers each: the contract suites' 10,000-request runs
 * and slow-client cut-offs, the ClickHouse cluster), longest first. Vitest's own order puts unknown files by size,
 * and these are a few lines each (the suite is in packages/contract/src), so on a fresh clone they started last and
 * the run waited on one of them alone at the end; started first, the short files fill the other worker around them.
 */
export const LONGEST_FIRST = [
  'packages/contract/test/d1-worker.test.ts',
  'packages/contract/test/pg-ingest.test.ts',
  'packages/contract/test/clickhouse.test.ts',
  'packages/contract/test/receiver.test.ts',
  'packages/contract/test/stats.test.ts',
  'packages/clickhouse/test/cluster.test.ts',
  'packages/pg-ingest/test/migrate.test.ts',
  'packages/contract/test/privacy.test.ts',
];

/** Vitest's order, with the files of LONGEST_FIRST ahead of all others, in that order. */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = LONGEST_FIRST.indexOf(relative(this.ctx.config.root, spec.moduleId).replaceAll('\\', '/'));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    // Array.prototype.sort is stable: the other files keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
