import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateTypes, TYPES_FILE } from '../../scripts/generate-types.js';

describe('generated message types', () => {
  it('are what the schemas generate today (else run: npm run gen:types)', async () => {
    const committed = fs.readFileSync(TYPES_FILE, 'utf8');
    expect(await generateTypes(), 'src/generated/messages.ts is out of date: run `npm run gen:types` and commit it').toBe(committed);
  });
});
