import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { alertEpisodes, type AlertEpisodeRow } from "../db/schema.js";

export type AlertEpisode = AlertEpisodeRow;

/** Open alert episodes, one per failing job (table `alert_episodes`); kept across restarts. */
export class AlertsRepo {
  constructor(private readonly db: Db) {}

  find(jobId: number): AlertEpisode | null {
    return this.db.select().from(alertEpisodes).where(eq(alertEpisodes.jobId, jobId)).get() ?? null;
  }

  /** Starts a new episode for the job, replacing an open one (a different reason). */
  start(jobId: number, reasonKey: string, at: Date): AlertEpisode {
    const row = { jobId, reasonKey, startedAt: at, count: 1, messages: {} };
    this.db.insert(alertEpisodes).values(row).onConflictDoUpdate({ target: alertEpisodes.jobId, set: { reasonKey, startedAt: at, count: 1, messages: {} } }).run();
    return row;
  }

  /** One more failure of the open episode; returns its new count. */
  repeat(jobId: number): number {
    const row = this.find(jobId);
    const count = (row?.count ?? 0) + 1;
    this.db.update(alertEpisodes).set({ count }).where(eq(alertEpisodes.jobId, jobId)).run();
    return count;
  }

  /** Remembers the message to edit in `chat` (written at once, so a restart edits it too). */
  setMessage(jobId: number, chat: string, messageId: number): void {
    const row = this.find(jobId);
    if (!row) return;
    this.db.update(alertEpisodes).set({ messages: { ...row.messages, [chat]: messageId } }).where(eq(alertEpisodes.jobId, jobId)).run();
  }

  /** Closes the episode (the job succeeded); returns what it was. */
  close(jobId: number): AlertEpisode | null {
    const row = this.find(jobId);
    if (row) this.db.delete(alertEpisodes).where(eq(alertEpisodes.jobId, jobId)).run();
    return row;
  }
}
