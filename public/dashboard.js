// The dashboard's charts (Chart.js, served by the app from node_modules) and live numbers:
// polls /dashboard.json every 5 s and updates every tile, table and chart in place.
// No inline script or style (CSP): colours live here, sizes in app.css.
(function () {
  if (!document.getElementById('dash') || typeof window.Chart === 'undefined') return;
  const Chart = window.Chart;
  const C = {
    ok: '#137333',
    bad: '#b3261e',
    warn: '#c77700',
    live: '#0b6bcb',
    grey: '#9aa1ab',
    fair: '#e0a800',
  };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  const get = (o, path) => path.split('.').reduce((v, k) => (v == null ? v : v[k]), o);
  const go = (href) => (location.href = href);
  // The page's strings and zone come from the server (data-t-* and data-zone on #dash).
  const tx = document.getElementById('dash').dataset;
  const bandNames = JSON.parse(tx.tBands || '{}');
  const fill = (tpl, values) => String(tpl || '').replace(/\{(\w+)\}/g, (_m, k) => String(values[k]));
  const lang = document.documentElement.lang || undefined;
  // As the server writes times (server/i18n/format.ts): to the second, the zone shown.
  const longTime = new Intl.DateTimeFormat(lang, {
    year: 'numeric',
    month: lang === 'en' ? 'short' : '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone: tx.zone || undefined,
    timeZoneName: 'short',
  });
  const hourOf = new Intl.DateTimeFormat(lang, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: tx.zone || undefined,
  });
  // The zone goes last, as on the server (zh-CN's own pattern puts it between date and time).
  const when = (iso) => {
    if (!iso) return '';
    const parts = longTime.formatToParts(new Date(iso));
    const at = parts.findIndex((x) => x.type === 'timeZoneName');
    const zone = at >= 0 ? parts[at].value : '';
    const rest = parts.filter((_x, i) => i !== at && !(i === at - 1 && parts[i].type === 'literal'));
    return (
      rest
        .map((x) => x.value)
        .join('')
        .trim() +
      ' ' +
      zone
    ).trim();
  };

  const charts = {};
  function make(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas) return null;
    charts[id] = new Chart(canvas, config);
    return charts[id];
  }

  let stores = [];
  make('chart-aps', {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: tx.tOnline, data: [], backgroundColor: C.ok },
        { label: tx.tOffline, data: [], backgroundColor: C.bad },
      ],
    },
    options: {
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      onClick: (_e, els) => {
        const el = els[0];
        if (!el || !stores[el.index]) return;
        go('/devices/aps?store=' + stores[el.index].storeId + '&online=' + (el.datasetIndex ? 'no' : 'yes'));
      },
    },
  });
  make('chart-outcomes', {
    type: 'line',
    data: {
      labels: [],
      datasets: [
        {
          label: tx.tSuccess,
          data: [],
          borderColor: C.ok,
          backgroundColor: C.ok,
          yAxisID: 'y',
          spanGaps: true,
        },
        {
          label: tx.tConfirm,
          data: [],
          borderColor: C.live,
          backgroundColor: C.live,
          yAxisID: 'y1',
          spanGaps: true,
        },
      ],
    },
    options: {
      scales: {
        y: { min: 0, max: 100, title: { display: true, text: '%' } },
        y1: {
          position: 'right',
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          title: { display: true, text: 's' },
        },
      },
    },
  });
  const bandChart = (id, bands, colours, param) =>
    make(id, {
      type: 'bar',
      data: {
        labels: bands.map((b) => bandNames[b] || b),
        datasets: [{ label: tx.tLabels, data: [], backgroundColor: colours }],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: (_e, els) => els[0] && go('/health/labels?' + param + '=' + bands[els[0].index]),
      },
    });
  const BATTERY = ['critical', 'low', 'ok', 'unknown'];
  const SIGNAL = ['weak', 'fair', 'good', 'unknown'];
  bandChart('chart-battery', BATTERY, [C.bad, C.warn, C.ok, C.grey], 'battery');
  bandChart('chart-signal', SIGNAL, [C.bad, C.fair, C.ok, C.grey], 'signal');

  const td = (text, cls) => {
    const e = document.createElement('td');
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  };
  const link = (href, text, cls) => {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = String(text);
    if (cls) a.className = cls;
    return a;
  };

  function render(d) {
    const at = document.getElementById('dash-at');
    if (at) {
      at.textContent = when(d.at);
      at.setAttribute('datetime', d.at);
    }
    for (const n of document.querySelectorAll('[data-k]')) n.textContent = String(get(d, n.dataset.k) ?? 0);
    for (const t of document.querySelectorAll('[data-alert]')) {
      const v = Number(get(d, t.dataset.alert) || 0);
      t.classList.toggle(t.dataset.tone || 'warn', v > 0);
    }
    stores = d.aps.stores;
    const aps = charts['chart-aps'];
    if (aps) {
      aps.data.labels = stores.map((s) => s.code);
      aps.data.datasets[0].data = stores.map((s) => s.online);
      aps.data.datasets[1].data = stores.map((s) => s.offline);
      aps.update('none');
    }
    const out = charts['chart-outcomes'];
    if (out) {
      out.data.labels = d.series.hours.map((iso) => hourOf.format(new Date(iso)));
      out.data.datasets[0].data = d.series.successRate;
      out.data.datasets[1].data = d.series.avgConfirmSeconds;
      out.update('none');
    }
    const bat = charts['chart-battery'];
    if (bat) {
      bat.data.datasets[0].data = BATTERY.map((b) => d.labels.battery[b] || 0);
      bat.update('none');
    }
    const sig = charts['chart-signal'];
    if (sig) {
      sig.data.datasets[0].data = SIGNAL.map((b) => d.labels.signal[b] || 0);
      sig.update('none');
    }
    const body = document.getElementById('dash-stores');
    if (body && stores.length)
      body.replaceChildren(
        ...stores.map((s) => {
          const tr = document.createElement('tr');
          tr.dataset.store = s.storeId;
          const name = td(s.code + ' ');
          const muted = document.createElement('span');
          muted.className = 'muted';
          muted.textContent = s.name;
          name.appendChild(muted);
          tr.appendChild(name);
          const on = td();
          on.appendChild(link('/devices/aps?store=' + s.storeId + '&online=yes', s.online));
          tr.appendChild(on);
          const off = td();
          if (s.total === 0) {
            const b = document.createElement('span');
            b.className = 'badge block';
            b.textContent = tx.tNoAp;
            off.appendChild(b);
          } else {
            const a = link(
              '/devices/aps?store=' + s.storeId + '&online=no',
              s.offline,
              s.offline ? 'tone-bad' : '',
            );
            a.dataset.testid = 'store-offline';
            off.appendChild(a);
          }
          tr.appendChild(off);
          tr.appendChild(td(when(s.offlineSince)));
          return tr;
        }),
      );
    const stuck = document.getElementById('dash-stuck');
    if (stuck) {
      const rows = d.tasks.stuckTasks.map((t) => {
        const tr = document.createElement('tr');
        const id = td();
        id.appendChild(link('/tasks/' + t.id, t.id));
        tr.appendChild(id);
        tr.appendChild(td(fill(tx.tOf, { n: t.willMiss, open: t.open })));
        tr.appendChild(td(t.summary, 'muted'));
        return tr;
      });
      if (!rows.length) {
        const tr = document.createElement('tr');
        const cell = td(tx.tNoStuck, 'muted');
        cell.colSpan = 3;
        tr.appendChild(cell);
        rows.push(tr);
      }
      stuck.replaceChildren(...rows);
    }
    document.getElementById('dash').dataset.ready = '1';
  }

  // Pushed by the server (one snapshot for every viewer); polled only where EventSource is missing.
  const poll = () =>
    fetch('/dashboard.json', { headers: { accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then(render)
      .catch(() => {})
      .finally(() => setTimeout(poll, 5000));
  if (typeof window.EventSource === 'undefined') poll();
  else {
    const es = new EventSource('/dashboard/events');
    es.addEventListener('snapshot', (ev) => {
      try {
        render(JSON.parse(ev.data));
      } catch {
        // a snapshot the page cannot draw: keep the last one
      }
    });
  }
})();
