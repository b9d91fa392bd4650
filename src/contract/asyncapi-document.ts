/**
 * Where the contract's documents live: asyncapi.yaml at the top of the project and the JSON
 * Schemas it references in schemas/. The same paths hold in src/ (tests) and dist/ (npm start).
 */
import path from 'node:path';

export const PROJECT_DIR = path.resolve(import.meta.dirname, '../..');
export const ASYNCAPI_FILE = path.join(PROJECT_DIR, 'asyncapi.yaml');
export const SCHEMAS_DIR = path.join(PROJECT_DIR, 'schemas');
