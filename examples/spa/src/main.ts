import './style.css';
import { help, home, notFound, pricing, signup, welcome } from './pages.js';
import { startRouter } from './router.js';
import { startTracking } from './tracking.js';

// The tracker starts before the first render, so the first page view is the landing page.
startTracking();
startRouter(
  document.getElementById('app') as HTMLElement,
  { '/': home, '/pricing': pricing, '/signup': signup, '/welcome': welcome, '/help': help },
  notFound,
);
