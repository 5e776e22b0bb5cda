// Destructive forms carry data-confirm="question": the browser asks before sending them.
// The server still accepts only a POST with its CSRF token; this only guards against a slip.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!form || form.tagName !== 'FORM') return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
