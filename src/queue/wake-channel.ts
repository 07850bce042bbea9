/**
 * A message every process on the database hears (PostgreSQL LISTEN/NOTIFY, see
 * store/pg-broadcast.ts): how a queue in one process wakes the idle workers of the others when
 * it makes a job claimable, instead of leaving them to find it at their next poll.
 */
export interface WakeChannel {
  send(message: string): void;
  /** Every message on the channel, this process's own included. */
  onMessage(fn: (message: string) => void): void;
}
