// Label commands as the platform composes them: the service that stores and audits them (every
// role that serves pages or the API), their pages and REST API (web role), and the worker's
// sender and sweep. APs' acks come in through the pipeline's uplink worker (the `commandAcks` port).
import type { DownlinkPublisher } from '../../broker/downlink.js';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import type { CommandAckSink } from '../tasks/uplink-worker.js';
import { CommandDispatcher } from './command-dispatcher.js';
import { CommandQueue, CommandWorker } from './command-queue.js';
import { commandsApiRoutes } from './commands-api-routes.js';
import { commandsRoutes } from './commands-routes.js';
import { LabelCommandsService } from './commands-service.js';

export interface CommandsPorts {
  /** Asks for label commands (the aisle page). */
  commands: LabelCommandsService;
  /** Applies APs' `command.ack` messages (the worker role), else null. */
  commandAcks: CommandAckSink | null;
}

export function createCommandsModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: { downlink: DownlinkPublisher | null },
): DomainModule<CommandsPorts> {
  const { config, pool, log } = ctx;
  const queue = new CommandQueue(ctx.redisUrl, config.REDIS_PREFIX);
  const commands = new LabelCommandsService(
    pool,
    (uids) => queue.enqueue(uids),
    log,
    config.LABEL_COMMAND_ACK_SECONDS,
  );
  const dispatcher =
    roles.has('worker') && deps.downlink
      ? new CommandDispatcher(pool, deps.downlink, log, {
          parentTopic: config.MQTT_PARENT_TOPIC,
          ackSeconds: config.LABEL_COMMAND_ACK_SECONDS,
        })
      : null;
  return {
    name: 'commands',
    services: [
      queue,
      ...(dispatcher
        ? [
            new CommandWorker(
              dispatcher,
              ctx.redisUrl,
              config.REDIS_PREFIX,
              log,
              config.LABEL_COMMAND_SWEEP_MS,
            ),
          ]
        : []),
    ],
    routes: [commandsRoutes(commands), commandsApiRoutes(commands)],
    ports: { commands, commandAcks: dispatcher ? (from, json) => dispatcher.applyAck(from, json) : null },
  };
}
