/**
 * Where the contract's documents live: asyncapi.yaml at the top of the project and the JSON
 * Schemas it references in schemas/. The same paths hold in src/ (tests) and dist/ (npm start).
 */
import fs from 'node:fs';
import path from 'node:path';

export const PROJECT_DIR = path.resolve(import.meta.dirname, '../..');
export const ASYNCAPI_FILE = path.join(PROJECT_DIR, 'asyncapi.yaml');
export const SCHEMAS_DIR = path.join(PROJECT_DIR, 'schemas');

/**
 * The schema files by the URL path they are served under (`/schemas/events/x.schema.json`), so
 * that the `$ref`s of a fetched `/asyncapi.yaml` resolve against the worker itself. Only files
 * listed here are served: a path is looked up, never joined onto the file system.
 */
export function schemaFilesByUrlPath(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(SCHEMAS_DIR, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.schema.json')) continue;
    files.set(`/schemas/${entry.split(path.sep).join('/')}`, path.join(SCHEMAS_DIR, entry));
  }
  return files;
}
