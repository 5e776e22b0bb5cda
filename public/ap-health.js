// The AP health page's status chart (Chart.js served by the app); data from the canvas's data-series.
(function () {
  const canvas = document.getElementById('chart-ap-status');
  if (!canvas || typeof window.Chart === 'undefined') return;
  const s = JSON.parse(canvas.dataset.series || '{}');
  const Chart = window.Chart;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  new Chart(canvas, {
    type: 'line',
    data: {
      labels: (s.at || []).map((t) => t.slice(5, 16).replace('T', ' ')),
      datasets: [
        {
          label: 'labels reported',
          data: s.labels || [],
          borderColor: '#0b6bcb',
          backgroundColor: '#0b6bcb',
          yAxisID: 'y',
        },
        {
          label: 'average signal (dBm)',
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
