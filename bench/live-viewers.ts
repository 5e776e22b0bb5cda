// The open live streams of bench:live, in a process of their own: reading hundreds of event
// streams is the viewers' browsers' work, and done in the benchmark's own process it delayed the
// timed requests it measures (every page, /healthz included, paid for the parsing of the streams).
// Driven over IPC by bench/live.ts: `{ open: [{ url, cookie }] }` opens streams, `{ count: true }`
// answers `{ streams, events, bytes, silent }` (silent: open streams with no event yet), `{ close: true }`
// closes them all and exits.

interface OpenRequest {
  open?: { url: string; cookie: string }[];
  count?: boolean;
  close?: boolean;
}

/** An open live stream: counts its events (an event ends with a blank line) until closed. */
class Stream {
  private ctrl = new AbortController();
  events = 0;
  bytes = 0;
  constructor(url: string, cookie: string) {
    void fetch(url, { headers: { cookie }, signal: this.ctrl.signal })
      .then(async (res) => {
        const reader = res.body!.getReader();
        const text = new TextDecoder();
        let carry = ''; // the previous chunk's last character, when it may begin an event's end
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          this.bytes += value.length;
          const parts = (carry + text.decode(value, { stream: true })).split('\n\n');
          this.events += parts.length - 1;
          carry = parts[parts.length - 1].slice(-1);
        }
      })
      .catch(() => {});
  }
  close() {
    this.ctrl.abort();
  }
}

const streams: Stream[] = [];
const send = (m: object) => process.send?.(m);

process.on('message', (m: OpenRequest) => {
  if (m.open) for (const { url, cookie } of m.open) streams.push(new Stream(url, cookie));
  if (m.count)
    send({
      streams: streams.length,
      events: streams.reduce((n, s) => n + s.events, 0),
      bytes: streams.reduce((n, s) => n + s.bytes, 0),
      silent: streams.filter((s) => s.events === 0).length,
    });
  if (m.close) {
    for (const s of streams) s.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
send({ ready: true });
