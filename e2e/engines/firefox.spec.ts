// The cross-engine suite's scenarios in Firefox (e2e/engines/suite.ts).
import { firefox } from './firefox.js';
import { engineSuite } from './suite.js';

engineSuite(firefox);
