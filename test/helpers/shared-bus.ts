import { SharedEventBus } from '../../src/events/shared-event-bus.ts';
import { PgBroadcast, type BroadcastChannel } from '../../src/store/pg-broadcast.ts';

/**
 * What an API or worker process shares with the others on one PostgreSQL schema, as
 * `cli/runtime.ts` wires it: one LISTEN connection carrying the run events (a shared bus) and the
 * run stream log's notices. For tests that stand in for several processes.
 */
export interface SharedBus {
  events: SharedEventBus;
  streamChannel: BroadcastChannel;
  close(): Promise<void>;
}

export async function openSharedBus(databaseUrl: string, schema: string): Promise<SharedBus> {
  const broadcast = await PgBroadcast.open({ databaseUrl, schema, channels: ['events', 'stream'] });
  return {
    events: new SharedEventBus(broadcast.channel('events')),
    streamChannel: broadcast.channel('stream'),
    close: () => broadcast.close(),
  };
}
