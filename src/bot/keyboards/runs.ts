import { cb } from "./common.js";

/** jobId 0 = every job. */
export const runsCb = {
  page: (jobId: number, page: number) => cb("runs", jobId, page),
  /** The deleted jobs that left runs. */
  deleted: (page: number) => cb("runs", "d", page),
  /** A deleted job's runs, named by the id of any of its runs. */
  deletedJob: (runId: number, page: number) => cb("runs", "o", runId, page),
};

export const runsPattern = {
  page: /^runs:(\d+):(\d+)$/,
  deleted: /^runs:d:(\d+)$/,
  deletedJob: /^runs:o:(\d+):(\d+)$/,
};
