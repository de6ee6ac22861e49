import { cb } from "./common.js";

/** jobId 0 = every job. */
export const runsCb = {
  page: (jobId: number, page: number) => cb("runs", jobId, page),
};

export const runsPattern = {
  page: /^runs:(\d+):(\d+)$/,
};
