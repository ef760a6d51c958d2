// Whether a build output is older than what it was made from: the e2e builds skip what is already fresh.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time of `paths` (files, or folders walked whole, node_modules left out). */
export function newest(paths) {
  let time = 0;
  const walk = (path) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== 'node_modules') walk(join(path, name));
    }
    time = Math.max(time, stat.mtimeMs);
  };
  for (const path of paths) if (existsSync(path)) walk(path);
  return time;
}

/** True when the file `stamp` holds `content` (what the build was made for) and is newer than every one of `inputs`. */
export const fresh = (stamp, content, inputs) =>
  existsSync(stamp) && readFileSync(stamp, 'utf8') === content && statSync(stamp).mtimeMs > newest(inputs);
