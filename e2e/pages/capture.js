// The capture page's own script: handlers that fail as a page's code does, and a form handled in-page.
document.getElementById('broken').addEventListener('click', () => {
  // A personal detail in an error message, as apps write them: it must arrive redacted.
  throw new TypeError('no account for jane.doe@example.com');
});
document.getElementById('rejects').addEventListener('click', () => {
  Promise.reject(new Error('payment declined'));
});
document.getElementById('signup').addEventListener('submit', (event) => {
  event.preventDefault();
  document.getElementById('title').textContent = 'Thanks!';
});
