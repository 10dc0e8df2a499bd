#!/usr/bin/env node
// Entry for `npx speakup-sync`: runs the TypeScript sources through tsx (a runtime dependency),
// so `npm ci` alone leaves the tool runnable without a build step.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
