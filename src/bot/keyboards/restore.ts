import { cb } from "./common.js";

export const restoreCb = {
  jobs: (page: number) => cb("rst", "jl", page),
  job: (jobId: number, page: number) => cb("rst", "j", jobId, page),
  run: (runId: number) => cb("rst", "r", runId),
  toSource: (runId: number, sourceId: number) => cb("rst", "t", runId, sourceId),
  toFile: (runId: number) => cb("rst", "f", runId),
  toNewDatabase: (runId: number, sourceId: number) => cb("rst", "n", runId, sourceId),
  /** SQLite: a new file beside the source's. */
  toNewFile: (runId: number, sourceId: number) => cb("rst", "nf", runId, sourceId),
  /** The deleted jobs that left restorable runs. */
  deleted: (page: number) => cb("rst", "dl", page),
  /** A deleted job's runs, named by the id of any of its runs (names may be too long for callback data). */
  deletedJob: (runId: number, page: number) => cb("rst", "dj", runId, page),
  /** One run's actions (from the history): restore, verify, send me the file. */
  actions: (runId: number) => cb("rst", "a", runId),
  verify: (runId: number) => cb("rst", "v", runId),
};

export const restorePattern = {
  jobs: /^rst:jl:(\d+)$/,
  job: /^rst:j:(\d+):(\d+)$/,
  run: /^rst:r:(\d+)$/,
  toSource: /^rst:t:(\d+):(\d+)$/,
  toFile: /^rst:f:(\d+)$/,
  toNewDatabase: /^rst:n:(\d+):(\d+)$/,
  toNewFile: /^rst:nf:(\d+):(\d+)$/,
  deleted: /^rst:dl:(\d+)$/,
  deletedJob: /^rst:dj:(\d+):(\d+)$/,
  actions: /^rst:a:(\d+)$/,
  verify: /^rst:v:(\d+)$/,
};
