// The product page's price history charts (Chart.js, served by the app from node_modules):
// the shelf price per store as a step line, promotions in red. Data and strings come from
// data-* attributes (no inline script: strict CSP).
(function () {
  const section = document.getElementById('price-history');
  if (!section || typeof window.Chart === 'undefined') return;
  const Chart = window.Chart;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  const C = { price: '#0b6bcb', promo: '#b3261e' };
  const lang = document.documentElement.lang || undefined;
  const tx = section.dataset;
  for (const canvas of section.querySelectorAll('canvas.price-chart')) {
    const steps = JSON.parse(canvas.dataset.steps || '[]');
    if (!steps.length) continue;
    const day = new Intl.DateTimeFormat(lang, {
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: canvas.dataset.zone || tx.zone || undefined,
    });
    const money = new Intl.NumberFormat(lang, {
      style: 'currency',
      currency: canvas.dataset.currency || 'CNY',
    });
    const points = steps.map((s) => ({ x: Date.parse(s.from), y: Number(s.price), promo: s.promo }));
    const last = steps[steps.length - 1];
    // An open last step (still in force) is drawn up to now, or a day past its start when that is later.
    const end = last.to ? Date.parse(last.to) : Math.max(Date.now(), Date.parse(last.from) + 86_400_000);
    points.push({ x: end, y: Number(last.price), promo: last.promo });
    const colour = (p) => (p && p.promo ? C.promo : C.price);
    new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          {
            label: tx.tPrice,
            data: points,
            stepped: 'before',
            borderWidth: 2,
            borderColor: C.price,
            pointRadius: 3,
            pointBackgroundColor: points.map(colour),
            pointBorderColor: points.map(colour),
            segment: { borderColor: (ctx) => colour(points[ctx.p0DataIndex]) },
          },
        ],
      },
      options: {
        parsing: false,
        scales: {
          x: { type: 'linear', ticks: { maxTicksLimit: 6, callback: (v) => day.format(new Date(v)) } },
          y: { beginAtZero: false, ticks: { callback: (v) => money.format(v) } },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? day.format(new Date(items[0].parsed.x)) : ''),
              label: (item) =>
                `${points[item.dataIndex].promo ? tx.tPromo : tx.tPrice}: ${money.format(item.parsed.y)}`,
            },
          },
        },
      },
    });
  }
})();
