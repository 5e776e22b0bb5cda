// Live task pages, no inline script (CSP).
// Task page: follows /tasks/:id/events (server-sent events) and updates the state, outcome line,
// progress bar, counts, diagnosis, per-AP table and the per-label rows of the page shown.
// Task list: polls /tasks/active.json and updates the running tasks' rows.
(function () {
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  const text = (node, v) => {
    if (node) node.textContent = String(v);
  };
  const badge = (cls, name) => el('span', 'badge ' + cls, name);
  // The page's strings come from the server in its language (data-t-* attributes, {name} placeholders).
  const fill = (tpl, values) => String(tpl || '').replace(/\{(\w+)\}/g, (_m, k) => String(values[k]));

  function setBar(svg, bar) {
    if (!svg) return;
    for (const s of bar) {
      const r = svg.querySelector('[data-seg="' + s.cls + '"]');
      if (r) {
        r.setAttribute('x', String(s.x));
        r.setAttribute('width', String(s.w));
      }
    }
  }

  function setState(node, state, name) {
    if (!node) return;
    node.className = 'badge state state-' + state;
    node.dataset.state = state;
    node.textContent = name;
  }

  // ---- one task ----
  const live = document.getElementById('task-live');
  if (live && live.dataset.active === '1') {
    const id = live.dataset.task;
    const q = new URLSearchParams({ page: live.dataset.page || '1', state: live.dataset.state || '' });
    const es = new EventSource('/tasks/' + encodeURIComponent(id) + '/events?' + q.toString());
    es.addEventListener('progress', (ev) => {
      const d = JSON.parse(ev.data);
      setState(document.getElementById('task-state'), d.state, d.stateName);
      const out = document.getElementById('task-outcome');
      if (out) {
        out.className = 'outcome tone-' + d.outcome.tone;
        out.dataset.tone = d.outcome.tone;
        out.textContent = d.outcome.text;
      }
      text(document.getElementById('task-done'), d.done);
      text(document.getElementById('task-total'), d.total);
      setBar(document.getElementById('task-bar'), d.bar);
      for (const td of document.querySelectorAll('[data-count]')) text(td, d.counts[td.dataset.count] || 0);
      text(
        document.getElementById('task-open'),
        (d.counts.pending || 0) + (d.counts.sent || 0) + (d.counts.failed || 0),
      );
      renderDiagnosis(d);
      const aps = document.getElementById('task-aps');
      if (aps)
        aps.replaceChildren(
          ...d.breakdown.map((b) => {
            const tr = el('tr');
            for (const v of [b.groupId, b.ap || '—', b.state, b.n]) tr.appendChild(el('td', '', v));
            return tr;
          }),
        );
      if (d.items) renderItems(d.items, !d.active);
      if (!d.active) {
        es.close();
        const cancel = document.getElementById('cancel-confirm');
        if (cancel) cancel.remove();
        const diag = document.getElementById('task-diagnosis');
        if (diag) diag.hidden = true;
        // The re-send buttons need the server's form (and its CSRF token): load the page once more.
        refreshActions();
      }
    });
    // On a dropped stream the browser reconnects by itself; a finished task closes it above.
  }

  function renderDiagnosis(d) {
    const f = document.getElementById('task-forecast');
    if (f && d.forecast) {
      f.className = d.forecast.willMiss ? 'tone-warn' : '';
      const values = { n: d.forecast.willMiss, open: d.forecast.open };
      f.textContent = fill(d.forecast.willMiss ? live.dataset.tWillMiss : live.dataset.tOnTrack, values);
    }
    const body = document.getElementById('task-blocked');
    if (!body) return;
    const rows = d.blocked.map((b) => {
      const tr = el('tr');
      tr.dataset.reason = b.reason;
      const reason = el('td');
      reason.appendChild(badge('block', b.name));
      if (b.error) reason.appendChild(el('span', 'muted', ' ' + b.error));
      if (b.untilText) {
        const until = el('span', 'muted', ' ' + b.untilText);
        until.setAttribute('data-testid', 'quiet-until');
        reason.appendChild(until);
      }
      tr.appendChild(reason);
      for (const v of [b.groupId, b.clientId || '—', b.labels, b.sinceText]) tr.appendChild(el('td', '', v));
      return tr;
    });
    if (!rows.length) {
      const tr = el('tr', 'empty');
      const td = el('td', 'muted', live.dataset.tNoneBlocks);
      td.colSpan = 5;
      tr.appendChild(td);
      rows.push(tr);
    }
    body.replaceChildren(...rows);
  }

  // a cell with a main line and a muted second line
  function stacked(cls, main, sub) {
    const td = el('td', cls);
    td.appendChild(el('span', cls === 'nowrap' ? '' : 'nowrap', main));
    if (sub) {
      td.appendChild(el('br'));
      td.appendChild(el('span', 'muted', sub));
    }
    return td;
  }

  function renderItems(items) {
    const body = document.getElementById('task-items');
    if (!body) return;
    body.replaceChildren(
      ...items.map((i) => {
        const tr = el('tr');
        tr.dataset.item = i.itemId;
        const label = el('td', 'nowrap');
        label.appendChild(el('code', '', i.labelId));
        tr.appendChild(label);
        tr.appendChild(stacked('', i.sku, i.name));
        tr.appendChild(stacked('nowrap', i.priceText, i.promoText));
        const st = el('td');
        st.dataset.state = i.state;
        st.appendChild(badge('state state-' + i.state, i.stateName));
        tr.appendChild(st);
        tr.appendChild(el('td', '', i.attempts));
        tr.appendChild(i.confirmedAt ? stacked('', i.confirmedText, i.confirmedBy || '') : el('td'));
        const why = el('td');
        if (i.blocked) {
          const b = badge('block', i.blockedName);
          b.dataset.blocked = i.blocked;
          why.appendChild(b);
          if (i.ap && i.blocked !== 'label_unreported' && i.blocked !== 'no_ap')
            why.appendChild(el('span', 'muted', ' ' + i.ap));
          why.appendChild(document.createTextNode(' '));
        }
        why.appendChild(document.createTextNode(i.error || ''));
        tr.appendChild(why);
        tr.appendChild(el('td'));
        return tr;
      }),
    );
  }

  function refreshActions() {
    fetch(location.href, { headers: { accept: 'text/html' } })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
      .then((html) => {
        const doc = new DOMParser().parseFromString(html, 'text/html');
        for (const id of ['task-items', 'task-actions']) {
          const fresh = doc.getElementById(id);
          const cur = document.getElementById(id);
          if (fresh && cur) cur.replaceWith(fresh);
        }
      })
      .catch(() => {});
  }

  // ---- the task list ----
  const list = document.getElementById('task-list');
  if (list && list.querySelector('tr[data-active="1"]')) {
    const poll = () => {
      fetch('/tasks/active.json', { headers: { accept: 'application/json' } })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
        .then((d) => {
          const byId = new Map(d.tasks.map((t) => [t.id, t]));
          let running = 0;
          for (const tr of list.querySelectorAll('tr[data-active="1"]')) {
            const t = byId.get(tr.dataset.task);
            if (!t) {
              // finished since: its final figures are on the next load of the list
              tr.dataset.active = '0';
              const cell = tr.querySelector('[data-field="blocked"]');
              if (cell) cell.textContent = list.dataset.tFinished;
              continue;
            }
            running++;
            setState(tr.querySelector('[data-field="state"]'), t.state, t.stateName);
            text(tr.querySelector('[data-field="done"]'), t.done);
            text(tr.querySelector('[data-field="confirmed"]'), t.counts.confirmed || 0);
            text(
              tr.querySelector('[data-field="missed"]'),
              (t.counts.failed || 0) + (t.counts.timed_out || 0),
            );
            setBar(tr.querySelector('svg.bar'), t.bar);
            const cell = tr.querySelector('[data-field="blocked"]');
            if (cell) {
              cell.replaceChildren();
              if (t.forecast && t.forecast.willMiss) {
                cell.appendChild(
                  el('span', 'tone-warn', fill(list.dataset.tWillMiss, { n: t.forecast.willMiss })),
                );
                cell.appendChild(el('br'));
              }
              cell.appendChild(el('span', 'muted', t.summary));
            }
          }
          if (running) setTimeout(poll, 2000);
        })
        .catch(() => setTimeout(poll, 5000));
    };
    setTimeout(poll, 2000);
  }
})();
