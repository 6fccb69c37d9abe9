#!/usr/bin/env node
// The CLI is TypeScript compiled to dist/ by `npm install` (the `prepare` script).
import { existsSync } from 'node:fs';
const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('vigil: dist/ is missing; run `npm install` (or `npm run build`) in the vigil directory first.');
  process.exit(1);
}
await import(main.href);
