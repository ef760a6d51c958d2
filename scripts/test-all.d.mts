/** One step of `npm test`: an npm script, the steps it waits for, and whether it runs at the lower CPU priority. */
export interface Step {
  name: string;
  after: string[];
  background?: boolean;
}
export const STEPS: Step[];
export const BACKGROUND_NICE: number;
