// Sends a chosen CSV file as its bytes (base64 in the form's fileData field, which posts with
// the CSRF token), so the server can tell UTF-8 from GB18030/GBK and decode it. The textarea
// is for pasted text; while a file is chosen it is set aside. The server checks the size again.
const input = document.getElementById('import-file');
const form = document.getElementById('import-form');
const note = document.getElementById('import-file-note');

function toBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  // base64url: nothing in it needs percent-encoding in the form body.
  return window.btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

if (input && form) {
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    form.elements.fileData.value = '';
    form.elements.csv.disabled = false;
    form.elements.csv.required = true;
    if (note) note.hidden = true;
    if (!file) return;
    if (file.size > Number(input.dataset.maxBytes)) {
      window.alert(`${file.name}: ${input.dataset.tooLarge}`);
      input.value = '';
      return;
    }
    file.arrayBuffer().then((buf) => {
      form.elements.fileData.value = toBase64(new Uint8Array(buf));
      form.elements.fileName.value = file.name;
      form.elements.csv.required = false;
      form.elements.csv.disabled = true;
      if (note) {
        note.textContent = `${note.dataset.chosen} ${file.name}`;
        note.hidden = false;
      }
      form.dataset.ready = 'file';
    });
  });
}
