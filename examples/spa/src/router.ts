/** A page of the app: renders into `main` and may return a cleanup. */
export type Page = (main: HTMLElement, navigate: (path: string) => void) => void;

/**
 * History-API routing: in-app links (`a[data-route]`) push a new URL without a reload, back/forward re-render,
 * and a route's own hash routing (`/help#/faq`) re-renders on `hashchange`. Page views are the tracker's job:
 * `pageviews()` sees each of these navigations by itself.
 */
export function startRouter(main: HTMLElement, routes: Record<string, Page>, notFound: Page): (path: string) => void {
  const render = () => {
    const page = routes[location.pathname] ?? notFound;
    main.replaceChildren();
    page(main, navigate);
    document.title = `${main.querySelector('h1')?.textContent ?? 'Page'} – Trailmark SPA`;
  };
  const navigate = (path: string) => {
    if (path === location.pathname + location.search + location.hash) return;
    history.pushState(null, '', path);
    render();
  };
  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest?.('a[data-route]');
    if (!(link instanceof HTMLAnchorElement) || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    navigate(link.pathname + link.search + link.hash);
  });
  window.addEventListener('popstate', render);
  window.addEventListener('hashchange', render);
  render();
  return navigate;
}
