// The aisle page's camera scanning: only where the browser has BarcodeDetector and a camera
// (feature-detected; elsewhere the Scan buttons stay hidden and typing is the way). A button
// [data-scan-for=<input id>] opens the camera in the page's <video>, fills the input with the
// first barcode seen, and submits its form when it carries data-scan-submit.
(function () {
  const scanner = document.querySelector('[data-testid="scanner"]');
  const buttons = document.querySelectorAll('[data-scan-for]');
  const nav = window.navigator;
  const supported =
    scanner &&
    'BarcodeDetector' in window &&
    nav.mediaDevices &&
    typeof nav.mediaDevices.getUserMedia === 'function';
  if (!supported) return;
  const video = scanner.querySelector('video');
  const status = scanner.querySelector('[data-scan-status]');
  const say = (key) => (status.textContent = scanner.getAttribute('data-t-' + key) || '');
  const WANTED = ['ean_13', 'ean_8', 'upc_a', 'upc_e', 'code_128', 'code_39', 'qr_code', 'data_matrix'];
  let stream = null;
  let timer = null;

  function stop() {
    if (timer) window.clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    scanner.hidden = true;
  }

  async function start(input, submit) {
    stop();
    scanner.hidden = false;
    say('starting');
    let detector;
    try {
      const formats = (await window.BarcodeDetector.getSupportedFormats()).filter((f) => WANTED.includes(f));
      if (!formats.length) throw new Error('no formats');
      detector = new window.BarcodeDetector({ formats });
      stream = await nav.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (err) {
      say(err && err.name === 'NotAllowedError' ? 'denied' : 'unavailable');
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    say('aim');
    let busy = false;
    timer = window.setInterval(async () => {
      if (busy || video.readyState < 2) return;
      busy = true;
      try {
        const codes = await detector.detect(video);
        const value = codes.length ? String(codes[0].rawValue || '').trim() : '';
        if (value) {
          input.value = value.slice(0, 64);
          stop();
          input.focus();
          if (submit && input.form) input.form.requestSubmit();
        }
      } catch {
        // a frame that could not be read: the next one will do
      } finally {
        busy = false;
      }
    }, 250);
  }

  scanner.querySelector('[data-scan-stop]').addEventListener('click', stop);
  buttons.forEach((b) => {
    const input = document.getElementById(b.getAttribute('data-scan-for'));
    if (!input) return;
    b.hidden = false;
    b.addEventListener('click', () => start(input, b.hasAttribute('data-scan-submit')));
  });
  window.addEventListener('pagehide', stop);
})();
