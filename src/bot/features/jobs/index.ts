import { Composer } from "grammy";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import type { BackgroundTasks } from "../../tasks.js";
import { jobCardFeature } from "./card.js";
import { jobDeleteFeature } from "./delete.js";
import { jobDrillFeature } from "./drill.js";
import { runNowFeature } from "./run-now.js";

/**
 * Jobs, one file per area: the list and card (enable/disable), run now, delete and drills.
 * Changing a setting (the card's ✏️, schedule and destinations buttons) is the edit dialog's
 * (conversations/edit-job.ts); a job's history is the runs feature's (/logs).
 */
export function jobsFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  return new Composer<BotContext>(
    jobCardFeature(deps),
    runNowFeature(deps, tasks),
    jobDeleteFeature(deps),
    jobDrillFeature(deps, tasks),
  );
}
