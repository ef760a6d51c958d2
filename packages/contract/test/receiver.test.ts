import { referenceBackend } from '../src/backends.js';
import { defineContract } from '../src/contract.js';

defineContract('reference receiver (SQLite in a temporary directory)', referenceBackend);
