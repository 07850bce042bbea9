#!/usr/bin/env node
// Entry for `npx greenlight` from a checkout: Node >= 22.18 runs the TypeScript sources directly
// (type stripping), so the checkout needs no build step.
import { enableCompileCache } from 'node:module';

// Every start strips the types of a few hundred files and compiles them again; Node's compile
// cache (in the OS temp folder, keyed by file content) keeps both, which cuts a CLI start's CPU
// time by about 40%. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
enableCompileCache?.();
await import('../src/cli/main.ts');
