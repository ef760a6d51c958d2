#!/usr/bin/env node
// The built CLI (`npm run build` first): serve, ingest, loader and store keep running; help exits.
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
