import { defineConfig } from 'vite';

/**
 * The dev server's port: 8080, the demo site's, as the receiver of `npm start` allows http://127.0.0.1:8080 as the
 * site's origin; `PORT_SITE` moves it (give the receiver the same: `PORT_SITE=5173 node scripts/demo.mjs
 * --receiver-only`, and it allows that origin). `strictPort`: a taken port is an error naming it, never a silent
 * move to another port whose origin the receiver would refuse.
 */
function sitePort(): number {
  const raw = process.env.PORT_SITE;
  if (raw === undefined || raw === '') return 8080;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new Error(`PORT_SITE must be a port number, not ${raw}`);
  return port;
}

// Listens on 127.0.0.1 only, like every server of this repository.
export default defineConfig(() => {
  const port = sitePort();
  return {
    server: { host: '127.0.0.1', port, strictPort: true },
    preview: { host: '127.0.0.1', port, strictPort: true },
  };
});
