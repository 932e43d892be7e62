#!/usr/bin/env -S node --max-old-space-size=1024
// Entry point: registers the TypeScript loader, then runs the CLI.
// The heap limit above (`npm start` runs this file as a program) is what makes V8 collect garbage
// before it grows: left to its default on a large machine (a 4 GB limit), V8 lets the heap grow to
// four times its live size between collections, and a server under ingest peaked near 500 MB.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
process.exitCode = await runCli(process.argv.slice(2));
