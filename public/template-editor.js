// Live preview of the template editor: the unsaved JSON is drawn by the server
// (POST /render/preview) a moment after each change and shown beside the editor,
// or the problems are listed by field. No inline script (CSP); images as data: URLs.
(function () {
  const box = document.getElementById('preview');
  const body = document.getElementById('template-body');
  if (!box || !body) return;
  const img = document.getElementById('preview-img');
  const status = document.getElementById('preview-status');
  const list = document.getElementById('preview-errors');
  const csrf = document.querySelector('#template-form input[name="_csrf"]');
  const sku = document.getElementById('preview-sku');
  const store = document.getElementById('preview-store');
  const promo = document.getElementById('preview-promo');
  const page = document.getElementById('preview-page');
  // the page's language: the strings come from the section's data attributes
  const say = box.dataset;
  let timer = null;
  let seq = 0;

  async function draw() {
    const mine = ++seq;
    status.textContent = say.rendering;
    let res;
    let data;
    try {
      res = await fetch('/render/preview', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-csrf-token': csrf ? csrf.value : '',
        },
        body: JSON.stringify({
          model: box.dataset.model,
          template: body.value,
          sku: sku ? sku.value : '',
          store: store ? store.value : '',
          promo: promo ? promo.checked : false,
          page: page ? Number(page.value) : 1,
        }),
      });
      data = await res.json();
    } catch (err) {
      if (mine === seq) status.textContent = say.failed + ' ' + err;
      return;
    }
    if (mine !== seq) return;
    list.replaceChildren();
    if (res.ok) {
      img.src = 'data:image/png;base64,' + data.png;
      img.classList.remove('stale');
      status.textContent = say.previewOf + ' ' + data.imageHash.slice(0, 16) + '…';
      return;
    }
    img.classList.add('stale');
    const e = data.error || {};
    status.textContent = e.message || say.cannotDraw;
    for (const [field, msg] of Object.entries(e.fields || {})) {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = field;
      li.append(code, ': ' + msg);
      list.appendChild(li);
    }
  }

  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(draw, 300);
  };
  body.addEventListener('input', later);
  for (const el of [sku, store, promo, page]) if (el) el.addEventListener('change', later);
  if (sku) sku.addEventListener('input', later);
  draw();
})();
