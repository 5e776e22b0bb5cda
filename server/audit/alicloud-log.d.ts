// The slice of @alicloud/log 1.2.6 (CommonJS, untyped) the audit trail uses.
declare module '@alicloud/log' {
  import type { Agent } from 'node:http';

  interface ClientConfig {
    endpoint: string;
    accessKeyId: string;
    accessKeySecret: string;
  }
  /** Passed through to httpx.request for one call. */
  interface RequestOptions {
    agent?: Agent;
    timeout?: number;
  }
  interface PostLogs {
    logs: { timestamp: number; content: Record<string, string> }[];
    topic?: string;
    source?: string;
    tags?: Record<string, string>[];
  }
  class Client {
    constructor(config: ClientConfig);
    postLogStoreLogs(
      project: string,
      logstore: string,
      data: PostLogs,
      options?: RequestOptions,
    ): Promise<unknown>;
    getLogs(
      project: string,
      logstore: string,
      from: Date,
      to: Date,
      data?: { query?: string; line?: number; offset?: number; reverse?: boolean; topic?: string },
      options?: RequestOptions,
    ): Promise<unknown>;
  }
  export default Client;
}
