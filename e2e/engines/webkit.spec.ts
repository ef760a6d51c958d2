// The cross-engine suite's scenarios in WebKit (e2e/engines/suite.ts).

import { engineSuite } from './suite.js';
import { webkit } from './webkit.js';

engineSuite(webkit);
