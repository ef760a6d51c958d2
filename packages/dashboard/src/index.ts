import { startDashboard } from './main.js';

// The page's one script: everything it does starts here, after the document is parsed (the tag is deferred).
startDashboard();
