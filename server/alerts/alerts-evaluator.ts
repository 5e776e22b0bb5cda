// The worker's alert evaluation every ALERTS_EVALUATE_SECONDS. A failed round (MySQL away) is
// logged and the next one runs as usual; rounds never overlap in one process, and a rule's row
// lock keeps the workers of a cluster from evaluating the same rule at once.
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import type { AlertsService } from './alerts-service.js';

export class AlertsEvaluator implements Service {
  readonly name = 'alerts';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly alerts: AlertsService,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  async start() {
    this.timer = setInterval(() => this.round(), this.intervalMs);
  }

  private round() {
    if (this.running) return;
    this.running = this.alerts
      .evaluate()
      .then(
        (n) => {
          if (n.opened || n.resolved) this.log.info(n, 'alerts evaluated');
        },
        (err: unknown) => this.log.error({ err }, 'alert evaluation failed'),
      )
      .finally(() => (this.running = null));
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
