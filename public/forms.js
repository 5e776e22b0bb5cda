// Form errors for assistive technology: each field error (`.field-error[data-field]`, drawn by
// views/layout/field-error.ejs) is tied to its control with aria-describedby and aria-invalid,
// and the first control in error takes the focus, so a screen reader announces what is wrong
// where it is. Server-rendered pages keep working without this script.
(function () {
  const errors = document.querySelectorAll('.field-error[data-field]');
  let first = null;
  errors.forEach((el, i) => {
    if (!el.id) el.id = `field-error-${i}`;
    const scope = el.closest('label') || el.closest('fieldset') || el.closest('form') || document;
    const name = el.dataset.field;
    const control =
      (el.closest('label') && el.closest('label').querySelector('input,select,textarea')) ||
      scope.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!control) return;
    const ids = (control.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    if (!ids.includes(el.id)) ids.push(el.id);
    control.setAttribute('aria-describedby', ids.join(' '));
    control.setAttribute('aria-invalid', 'true');
    if (!first) first = control;
  });
  if (first) first.focus();
})();
