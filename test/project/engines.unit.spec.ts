/**
 * `engines` in package.json is what the README promises about Node: every installed package,
 * as the lockfile pins it, must run on every Node version it allows (npm ci warns otherwise).
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, any>;

describe('engines', () => {
  it("every locked package accepts every Node version that package.json's engines allows", () => {
    const allowed = read('package.json').engines.node as string;
    expect(semver.satisfies(process.version, allowed), `this Node ${process.version} is not in engines ${allowed}`).toBe(true);
    const lock = read('package-lock.json').packages as Record<string, { engines?: { node?: string } }>;
    const wanting = Object.entries(lock)
      .filter(([name, p]) => name !== '' && typeof p.engines?.node === 'string' && !semver.subset(allowed, p.engines.node))
      .map(([name, p]) => `${name.replace(/^.*node_modules\//, '')} wants ${p.engines!.node}`);
    expect(wanting).toEqual([]);
  });
});
