/**
 * One step of `npm test`: an npm script, the steps it waits for, whether it runs at the lower CPU priority, and its
 * own `nice` value where it has one.
 */
export interface Step {
  name: string;
  after: string[];
  background?: boolean;
  nice?: number;
}
export const STEPS: Step[];
export const BACKGROUND_NICE: number;
export const E2E_NICE: number;
