// Live progress on the task page: follows /tasks/:id/events (server-sent events) and
// updates the counts, the progress bar and the per-AP table. No inline script (CSP).
(function () {
  const live = document.getElementById('task-live');
  if (!live || live.dataset.active !== '1') return;
  const id = live.dataset.task;
  const es = new EventSource('/tasks/' + encodeURIComponent(id) + '/events');
  const text = (el, v) => {
    if (el) el.textContent = String(v);
  };
  es.addEventListener('progress', (ev) => {
    const d = JSON.parse(ev.data);
    text(document.getElementById('task-state'), d.state);
    text(document.getElementById('task-done'), d.done);
    text(document.getElementById('task-total'), d.total);
    const bar = document.getElementById('task-progress');
    if (bar) {
      bar.max = d.total || 1;
      bar.value = d.done;
    }
    for (const td of document.querySelectorAll('[data-count]')) text(td, d.counts[td.dataset.count] || 0);
    const body = document.getElementById('task-aps');
    if (body) {
      body.replaceChildren(
        ...d.breakdown.map((b) => {
          const tr = document.createElement('tr');
          for (const v of [b.groupId, b.ap || '—', b.state, b.n]) {
            const td = document.createElement('td');
            td.textContent = String(v);
            tr.appendChild(td);
          }
          return tr;
        }),
      );
    }
    if (!d.active) {
      es.close();
      const cancel = document.getElementById('cancel-form');
      if (cancel) cancel.remove();
      refreshItems();
    }
  });
  // The per-label table is server-rendered (paged, filtered): fetch this page once more when the
  // task is final and swap in its rows, so every label shows its final state without a reload.
  function refreshItems() {
    const body = document.getElementById('task-items');
    if (!body) return;
    fetch(location.href, { headers: { accept: 'text/html' } })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('task-items');
        if (fresh) body.replaceWith(fresh);
      })
      .catch(() => {});
  }
  // On a dropped stream the browser reconnects by itself; a finished task closes it above.
})();
