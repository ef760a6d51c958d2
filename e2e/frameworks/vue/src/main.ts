/// <reference types="vite/client" />
// A Vue 3 + Vue Router app (render functions: no single-file components, so no compiler plugin), tracking with the
// recipe in trailmark.ts. Built by e2e/frameworks.spec.ts with Vite against the packed trailmark tarball.
import { createApp, h } from 'vue';
import { createRouter, createWebHistory, RouterLink, RouterView } from 'vue-router';
import { trackRouter } from './trailmark';

const page = (title: string, heading: string, links: [string, string][] = []) => ({
  meta: { title },
  component: { render: () => [h('h1', heading), ...links.map(([to, text]) => h(RouterLink, { to }, () => text))] },
});

const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', ...page('Home · Vue shop', 'Home', [['/about', 'About']]) },
    { path: '/about', ...page('About · Vue shop', 'About', [['/search?q=shoes', 'Search']]) },
    { path: '/search', ...page('Search · Vue shop', 'Search', [['/search?q=boots', 'Boots instead']]) },
  ],
});
router.afterEach((to) => {
  document.title = String(to.meta.title);
});

createApp({ render: () => h(RouterView) })
  .use(router)
  .mount('#app');
trackRouter(router);
