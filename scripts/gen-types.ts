/** `npm run gen:types`: regenerate src/generated/messages.ts from schemas/. */
import fs from 'node:fs';
import { generateTypes, TYPES_FILE } from './generate-types.js';

fs.writeFileSync(TYPES_FILE, await generateTypes());
console.log(`wrote ${TYPES_FILE}`);
