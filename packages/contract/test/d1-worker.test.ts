import { d1Backend } from '../src/backends.js';
import { defineContract } from '../src/contract.js';

defineContract('d1 worker (Miniflare, dist/worker.js)', d1Backend);
