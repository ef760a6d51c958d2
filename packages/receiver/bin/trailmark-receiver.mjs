#!/usr/bin/env node
// The CLI lives in the built package; this shim only starts it.
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
