/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Base URL of the primary backend (default the reference receiver of `npm start`, http://127.0.0.1:8787). */
  readonly VITE_TM_ENDPOINT?: string;
  /** The site's public write key (default `pk_demo`). */
  readonly VITE_TM_KEY?: string;
  /** The site id (default `demo`). */
  readonly VITE_TM_SITE?: string;
  /** A second backend every batch is copied to (off when empty). */
  readonly VITE_TM_MIRROR_ENDPOINT?: string;
  /** The mirror's write key (default: the primary's). */
  readonly VITE_TM_MIRROR_KEY?: string;
  /** Which adapter speaks to the mirror: `reference` (default), `postgres` or `d1`. */
  readonly VITE_TM_MIRROR_KIND?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
