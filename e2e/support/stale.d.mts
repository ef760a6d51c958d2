/** The newest modification time of `paths` (files, or folders walked whole, node_modules left out). */
export function newest(paths: string[]): number;
/** True when the file `stamp` holds `content` and is newer than every one of `inputs`. */
export function fresh(stamp: string, content: string, inputs: string[]): boolean;
