#!/usr/bin/env node
// Entry for `npx greenlight` from a checkout: Node >= 22.18 runs the TypeScript sources directly
// (type stripping), so the checkout needs no build step.
import '../src/cli/main.ts';
