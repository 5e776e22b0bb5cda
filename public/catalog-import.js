// Fills the import form's textarea from a chosen file, so the CSV posts as form text
// (which carries the CSRF token). The server checks the size again.
const input = document.getElementById('import-file');
const form = document.getElementById('import-form');
if (input && form) {
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    if (!file) return;
    if (file.size > Number(input.dataset.maxBytes)) {
      window.alert(
        `${file.name} is larger than ${Math.round(Number(input.dataset.maxBytes) / 1024)} kB; split it into several files.`,
      );
      input.value = '';
      return;
    }
    file.text().then((text) => {
      form.elements.csv.value = text;
      form.elements.fileName.value = file.name;
    });
  });
}
