// The test site's own script: a tall page for scroll depth, and a form handled in-page.
document.querySelector('.spacer').style.height = '4000px';
document.getElementById('contact').addEventListener('submit', (event) => {
  event.preventDefault();
  document.getElementById('title').textContent = 'Thanks!';
});
