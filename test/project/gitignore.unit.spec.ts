/**
 * `.gitignore` names what the project writes, where it writes it: every default output is
 * ignored, and no line names a path nothing writes (it once named `/preview/` while previews
 * went to `var/preview`).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ignored = (file: string) => {
  try {
    return execFileSync('git', ['check-ignore', '-v', '--no-index', file], { cwd: ROOT, encoding: 'utf8' }).split('\t')[0]!.split(':').pop()!;
  } catch {
    return undefined;
  }
};

describe('.gitignore', () => {
  it('ignores every default output, and names nothing else', () => {
    const config = loadConfig({});
    const previewDefault = /'--out <dir>'.*'(\.\/[^']+)'/.exec(fs.readFileSync(path.join(ROOT, 'src/cli/templates.ts'), 'utf8'))![1]!;
    const outputs = [
      path.join(previewDefault, 'admin-welcome.spiris.sv.html'),
      path.join(config.mailDir, 'x.eml'),
      config.databasePath,
      `${config.databasePath}-wal`,
      `${config.databasePath}-shm`,
      'dist/main.js',
      'node_modules/x/index.js',
      'coverage/index.html',
      // DATABASE_PATH outside var/
      'elsewhere.db',
      'elsewhere.db-wal',
      'elsewhere.db-shm',
    ].map((p) => path.relative(ROOT, path.resolve(ROOT, p)));
    const patterns = outputs.map((p) => [p, ignored(p)] as const);
    expect(patterns.filter(([, pattern]) => pattern === undefined).map(([p]) => p)).toEqual([]);
    const lines = fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const used = new Set(patterns.map(([, pattern]) => pattern));
    expect(lines.filter((l) => !used.has(l))).toEqual([]);
  });
});
