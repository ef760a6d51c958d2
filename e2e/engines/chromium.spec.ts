// The cross-engine suite's scenarios in Chromium (e2e/engines/suite.ts).
import { chromium } from './chromium.js';
import { engineSuite } from './suite.js';

engineSuite(chromium);
