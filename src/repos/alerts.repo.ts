import { and, eq, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client.js";
import { alertEpisodes, mirrorAlertEpisodes, type AlertEpisodeRow } from "../db/schema.js";

/** An open alert episode: the same failure, told once per chat and edited on each repeat. */
export type AlertEpisode = Pick<AlertEpisodeRow, "reasonKey" | "startedAt" | "count" | "messages">;

/** The open episode of one thing that fails (a job's runs, a job's mirror chat at one destination). */
export interface EpisodeStore {
  find(): AlertEpisode | null;
  /** Starts a new episode, replacing an open one (a different reason). */
  start(reasonKey: string, at: Date): AlertEpisode;
  /** One more failure of the open episode; returns its new count. */
  repeat(): number;
  /** Remembers the message to edit in `chat` (written at once, so a restart edits it too). */
  setMessage(chat: string, messageId: number): void;
  /** Closes the episode (it recovered); returns what it was. */
  close(): AlertEpisode | null;
}

/**
 * Open alert episodes, kept across restarts: one per failing job (table `alert_episodes`), and
 * one per job and destination whose mirror copy fails (table `mirror_alert_episodes`).
 */
export class AlertsRepo {
  constructor(private readonly db: Db) {}

  /** The episode of a job's failing runs. */
  forJob(jobId: number): EpisodeStore {
    return episodeStore(this.db, alertEpisodes, eq(alertEpisodes.jobId, jobId), { jobId }, [alertEpisodes.jobId]);
  }

  /** The episode of a job's failing mirror copies at one destination. */
  forMirror(jobId: number, destinationId: number): EpisodeStore {
    const t = mirrorAlertEpisodes;
    return episodeStore(this.db, t, and(eq(t.jobId, jobId), eq(t.destinationId, destinationId))!, { jobId, destinationId }, [t.jobId, t.destinationId]);
  }
}

type EpisodeTable = typeof alertEpisodes | typeof mirrorAlertEpisodes;

/** One table's episode row, found by `where` and keyed by `keys` (`target`: its primary key columns). */
function episodeStore(db: Db, table: EpisodeTable, where: SQL, keys: Record<string, number>, target: SQLiteColumn[]): EpisodeStore {
  // Both tables have the same episode columns; drizzle cannot type an insert into either of two tables.
  const t = table as typeof alertEpisodes;
  const find = (): AlertEpisode | null => {
    const row = db.select({ reasonKey: t.reasonKey, startedAt: t.startedAt, count: t.count, messages: t.messages }).from(t).where(where).get();
    return row ?? null;
  };
  return {
    find,
    start(reasonKey, at) {
      const episode = { reasonKey, startedAt: at, count: 1, messages: {} };
      db.insert(t)
        .values({ ...keys, ...episode } as typeof alertEpisodes.$inferInsert)
        .onConflictDoUpdate({ target, set: episode })
        .run();
      return episode;
    },
    repeat() {
      const count = (find()?.count ?? 0) + 1;
      db.update(t).set({ count }).where(where).run();
      return count;
    },
    setMessage(chat, messageId) {
      const row = find();
      if (!row) return;
      db.update(t).set({ messages: { ...row.messages, [chat]: messageId } }).where(where).run();
    },
    close() {
      const row = find();
      if (row) db.delete(t).where(where).run();
      return row;
    },
  };
}
