// A raw MQTT 3.1.1 connection for the tests that must control every packet: what is written is
// written as given, every packet received is kept, and nothing is acknowledged unless the test
// sends the acknowledgement (mqtt.js always acknowledges).
import net from 'node:net';
import mqttPacket, { generate, type Packet } from 'mqtt-packet';
import { waitFor } from './wait.js';

export interface RawLogin {
  clientId: string;
  username: string;
  password: string;
}

export class RawMqtt {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly s: net.Socket;
  readonly ready: Promise<void>;
  onPacket: ((p: Packet) => void) | null = null;

  /** `login(name)`: the CONNECT's Client ID, user name and password for `name` */
  constructor(
    port: number,
    private readonly login: (name: string) => RawLogin,
  ) {
    this.s = net.connect(port, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => {
      this.packets.push(p);
      this.onPacket?.(p);
    });
    parser.on('error', () => {});
    this.s.on('data', (d) => parser.parse(d));
    this.s.on('error', () => {});
    this.s.on('close', () => (this.closed = true));
    this.ready = new Promise((r) => this.s.once('connect', () => r()));
  }

  async send(p: Parameters<typeof generate>[0]) {
    await this.ready;
    await new Promise<void>((r) => this.s.write(generate(p), () => r()));
  }

  /** CONNECT as `name`; the CONNACK, or null when the broker closed the connection instead */
  async connect(name: string, extra: Record<string, unknown> = {}) {
    const login = this.login(name);
    await this.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      ...login,
      password: Buffer.from(login.password),
      ...extra,
    } as Parameters<typeof generate>[0]);
    const ack = await waitFor('CONNACK or close', () =>
      this.closed ? 'closed' : this.packets.find((p) => p.cmd === 'connack'),
    );
    return ack === 'closed' ? null : (ack as Packet & { returnCode: number });
  }

  of<C extends Packet['cmd']>(cmd: C) {
    return this.packets.filter((p) => p.cmd === cmd) as Extract<Packet, { cmd: C }>[];
  }

  /** a clean DISCONNECT, then the broker's close */
  async disconnect() {
    await this.send({ cmd: 'disconnect' });
    await waitFor('closed', () => this.closed);
  }

  destroy() {
    this.s.destroy();
  }
}
