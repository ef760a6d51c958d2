import { referenceBackend } from '../src/backends.js';
import { defineContract } from '../src/contract.js';

defineContract('reference receiver (memory)', referenceBackend);
