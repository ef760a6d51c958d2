import { defineConfig } from 'vite';

// Listens on 127.0.0.1 only, like every server of this repository; the receiver of `npm start` allows
// http://127.0.0.1:8080 as the demo site's origin, so the dev server takes that port.
export default defineConfig({
  server: { host: '127.0.0.1', port: 8080, strictPort: true },
  preview: { host: '127.0.0.1', port: 8080, strictPort: true },
});
