/**
 * Generates the TypeScript types of every message from schemas/ with json-schema-to-typescript.
 * Deterministic: the same schemas always give the same text, so a test can compare.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compile } from 'json-schema-to-typescript';

export const SCHEMAS_DIR = path.resolve(import.meta.dirname, '../schemas');
export const TYPES_FILE = path.resolve(import.meta.dirname, '../src/generated/messages.ts');

const HEADER = `/* eslint-disable */
/**
 * Generated from schemas/ by json-schema-to-typescript. Do not edit by hand:
 * change the schema and run \`npm run gen:types\`.
 */`;

function schemaFiles(): string[] {
  return ['events', 'commands']
    .flatMap((dir) => fs.readdirSync(path.join(SCHEMAS_DIR, dir)).map((f) => path.join(dir, f)))
    .filter((f) => f.endsWith('.schema.json'))
    .sort();
}

export async function generateTypes(): Promise<string> {
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const file of schemaFiles()) {
    const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as object;
    const ts = await compile(schema, '', {
      bannerComment: '',
      cwd: path.dirname(path.join(SCHEMAS_DIR, file)),
      // Incoming data may carry extra fields (tolerant reader); the types name only the contract's.
      additionalProperties: false,
      declareExternallyReferenced: true,
      style: { singleQuote: true, printWidth: 120 },
    });
    // Shared definitions come out of every file that references them: keep the first.
    // Each block: an optional doc comment and the declaration it documents.
    for (const block of ts.split(/\n(?=\/\*\*|export )/).reduce<string[]>(joinCommentsToDeclarations, [])) {
      const name = /^export (?:interface|type) (\w+)/.exec(block.trim())?.[1];
      if (name && seen.has(name)) continue;
      if (name) seen.add(name);
      parts.push(block.trim());
    }
  }
  return `${HEADER}\n\n${parts.filter(Boolean).join('\n\n')}\n`;
}

function joinCommentsToDeclarations(blocks: string[], part: string): string[] {
  const previous = blocks[blocks.length - 1];
  if (previous !== undefined && previous.trim().startsWith('/**') && !previous.includes('export ')) {
    blocks[blocks.length - 1] = `${previous.trim()}\n${part.trim()}`;
  } else {
    blocks.push(part);
  }
  return blocks;
}
