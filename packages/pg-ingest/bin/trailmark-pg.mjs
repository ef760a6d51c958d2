#!/usr/bin/env node
// The built CLI (`npm run build` first); `serve` keeps running, the other commands exit with their code.
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
if (process.argv[2] !== 'serve' || code !== 0) process.exitCode = code;
