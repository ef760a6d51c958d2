export const STAGES: string[][];
