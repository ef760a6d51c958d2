import { describe, expect, it } from 'vitest';
import { serveApp } from '../../examples/react-router/serve.mjs';

describe('examples/react-router’s run command (npm start -w examples/react-router)', () => {
  it('serves the app under /react/ with its events pointed at the receiver, for the demo site', async () => {
    const { url, close } = await serveApp({ port: 0, receiver: 'http://127.0.0.1:18787' });
    try {
      const page = await (await fetch(`${url}/react/pricing`)).text();
      expect(page).toContain('<meta name="trailmark-endpoint" content="http://127.0.0.1:18787/v1/batch?key=pk_demo" />');
      expect(page).toContain('<meta name="trailmark-site" content="demo" />');
      expect(page).toContain("connect-src 'self' http://127.0.0.1:18787");
      expect((await fetch(`${url}/`, { redirect: 'manual' })).headers.get('location')).toBe('/react/');
      const app = await fetch(`${url}/react/app.js`);
      // The bundle, built by `npm run build` (npm test builds first).
      expect(app.status).toBe(200);
      expect(app.headers.get('content-type')).toContain('javascript');
    } finally {
      await close();
    }
  });
});
