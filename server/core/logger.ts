import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Where secrets may appear in a logged object (a child logger with its own redact list must repeat these). */
export const REDACT = {
  paths: [
    'password',
    '*.password',
    'secret',
    '*.secret',
    'req.headers.cookie',
    'req.headers.authorization',
    'req.headers["x-api-key"]',
    'req.headers["x-csrf-token"]',

    'res.headers["set-cookie"]',
  ],
  censor: '[redacted]',
};

/** Structured JSON logs. Secrets are redacted wherever they may appear in a logged object. */
export function createLogger(level: string, name = 'esl', destination?: DestinationStream): Logger {
  return pino({ name, level, redact: REDACT }, destination);
}
