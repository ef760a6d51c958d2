// The consent banner of consent.html. The stub first: calls made before trailmark.min.js has loaded are queued
// and replayed in order when it loads (see docs/script-tag.md). The choice is not remembered: this demo keeps
// nothing in the browser, so every visit asks again.
window.trailmark =
  window.trailmark ||
  function stub(...args) {
    stub.q = stub.q || [];
    stub.q.push(args);
  };

document.addEventListener('DOMContentLoaded', () => {
  const banner = document.getElementById('consent-banner');
  const status = document.getElementById('consent-status');
  const choose = (state, text) => () => {
    window.trailmark('consent', state);
    banner.hidden = true;
    status.textContent = text;
  };
  document.getElementById('consent-accept').addEventListener('click', choose('granted', 'Analytics accepted: events are sent.'));
  document.getElementById('consent-decline').addEventListener('click', choose('denied', 'Analytics declined: nothing is sent or stored.'));
});
