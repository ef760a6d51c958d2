/** One package of the build: what it is built from and what it writes (paths relative to the repository). */
export interface BuildPackage {
  inputs: string[];
  outputs: string[];
}
export const PACKAGES: Record<string, BuildPackage>;
export function newest(path: string): number;
export function stalePackages(root?: string, packages?: Record<string, BuildPackage>): string[];
export function buildStale(options?: { log?: (line: string) => void }): string[];
