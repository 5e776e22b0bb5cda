// Label command histories (label page, aisle page): while a command shown is queued or sent,
// ask the API for the label's commands every 1.5 s and reload the page once one of them has
// changed state, so the server-rendered history (in the reader's language) shows it. Gives up
// after two minutes; the Refresh link still works.
(function () {
  const box = document.querySelector('[data-command-poll]');
  if (!box) return;
  const pending = () =>
    [...box.querySelectorAll('[data-cmd][data-state]')].filter((r) =>
      ['queued', 'sent'].includes(r.getAttribute('data-state')),
    );
  if (!pending().length) return;
  const url = box.getAttribute('data-command-poll');
  const until = Date.now() + 120000;
  const tick = async () => {
    if (Date.now() > until) return;
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (res.ok) {
        const body = await res.json();
        const now = new Map((body.items || []).map((c) => [c.cmdId, c.state]));
        const changed = pending().some((r) => {
          const s = now.get(r.getAttribute('data-cmd'));
          return s && s !== r.getAttribute('data-state');
        });
        if (changed) return location.reload();
      }
    } catch {
      // offline for a moment: try again at the next tick
    }
    window.setTimeout(tick, 1500);
  };
  window.setTimeout(tick, 1500);
})();
