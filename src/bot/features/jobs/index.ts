import { Composer } from "grammy";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import type { BackgroundTasks } from "../../tasks.js";
import { jobCardFeature } from "./card.js";
import { jobDeleteFeature } from "./delete.js";
import { jobDestinationsFeature } from "./destinations.js";
import { jobDrillFeature } from "./drill.js";
import { runNowFeature } from "./run-now.js";
import { jobScheduleFeature } from "./schedule.js";

/**
 * Jobs, one file per area: the list and card (enable/disable), run now, the schedule, the
 * destinations and delete. A job's history is the runs feature's (/logs).
 */
export function jobsFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  return new Composer<BotContext>(
    jobCardFeature(deps),
    runNowFeature(deps, tasks),
    jobScheduleFeature(deps),
    jobDestinationsFeature(deps),
    jobDeleteFeature(deps),
    jobDrillFeature(deps, tasks),
  );
}
