// The AP health page's status chart (Chart.js served by the app); data from the canvas's data-series.
(function () {
  const canvas = document.getElementById('chart-ap-status');
  if (!canvas || typeof window.Chart === 'undefined') return;
  const s = JSON.parse(canvas.dataset.series || '{}');
  const Chart = window.Chart;
  // Times in the zone the page shows (the store's), in the page's language.
  const when = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: canvas.dataset.zone || undefined,
  });
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  new Chart(canvas, {
    type: 'line',
    data: {
      labels: (s.at || []).map((t) => when.format(new Date(t))),
      datasets: [
        {
          label: canvas.dataset.tLabels,
          data: s.labels || [],
          borderColor: '#0b6bcb',
          backgroundColor: '#0b6bcb',
          yAxisID: 'y',
        },
        {
          label: canvas.dataset.tSignal,
          data: s.rssiAvg || [],
          borderColor: '#137333',
          backgroundColor: '#137333',
          yAxisID: 'y1',
          spanGaps: true,
        },
      ],
    },
    options: {
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        y1: { position: 'right', grid: { drawOnChartArea: false } },
      },
    },
  });
})();
