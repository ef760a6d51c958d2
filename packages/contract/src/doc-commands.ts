import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One `curl` command of a Markdown file: where it is and its text (continuation lines and quoted newlines kept). */
export interface DocCommand {
  file: string;
  line: number;
  command: string;
}

/**
 * The `curl` commands of the ```sh blocks of one Markdown text. A command ends at a newline that is neither inside
 * quotes nor escaped by a backslash, or at a `#` comment; the quotes the docs use (single, double, `$(…)` inside
 * double) are followed so a JSON body over several lines stays one command.
 */
export function curlCommands(markdown: string, file = ''): DocCommand[] {
  const found: DocCommand[] = [];
  const block = /^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm;
  for (let match = block.exec(markdown); match; match = block.exec(markdown)) {
    const body = match[1] ?? '';
    const firstLine = markdown.slice(0, match.index).split('\n').length + 1;
    let i = 0;
    while (i < body.length) {
      const at = body.indexOf('curl ', i);
      if (at === -1) break;
      // Only a command's first word: `curl` at the start of a line (after spaces), not in a comment or a word.
      const lineStart = body.lastIndexOf('\n', at - 1) + 1;
      if (body.slice(lineStart, at).trim() !== '') {
        i = at + 5;
        continue;
      }
      let quote: string | null = null;
      let end = at;
      for (; end < body.length; end++) {
        const c = body[end];
        if (quote) {
          if (c === quote) quote = null;
          continue;
        }
        if (c === "'" || c === '"') quote = c;
        else if (c === '\\' && body[end + 1] === '\n') end++;
        else if (c === '\n' || (c === '#' && /\s/.test(body[end - 1] ?? ''))) break;
      }
      found.push({ file, line: firstLine + body.slice(0, at).split('\n').length - 1, command: body.slice(at, end).trim() });
      i = end;
    }
  }
  return found;
}

/** The Markdown files a user reads: the README, docs/ and each package's and example's README. */
export function docFiles(root: string): string[] {
  const files: string[] = [join(root, 'README.md')];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.md')) files.push(path);
    }
  };
  walk(join(root, 'docs'));
  for (const parent of ['packages', 'examples'])
    for (const entry of readdirSync(join(root, parent))) {
      const readme = join(root, parent, entry, 'README.md');
      try {
        if (statSync(readme).isFile()) files.push(readme);
      } catch {
        // No README in this folder: nothing to read.
      }
    }
  return files;
}

/** Every `curl` command of the docs, each named by its file (relative to `root`) and line. */
export function docCurlCommands(root: string): DocCommand[] {
  return docFiles(root).flatMap((path) => curlCommands(readFileSync(path, 'utf8'), relative(root, path)));
}
