// The documented pre-load stub, as a file (strict CSP): queues calls until the SDK loads.
window.trailmark =
  window.trailmark ||
  function () {
    window.trailmark.q = window.trailmark.q || [];
    // biome-ignore lint/complexity/noArguments: the stub must queue the call exactly as made
    window.trailmark.q.push(arguments);
  };
trailmark('track', 'before_load', { queued: 1 });
trailmark('identify', 'user-1');
