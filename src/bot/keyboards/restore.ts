import { cb } from "./common.js";

export const restoreCb = {
  jobs: (page: number) => cb("rst", "jl", page),
  job: (jobId: number, page: number) => cb("rst", "j", jobId, page),
  run: (runId: number) => cb("rst", "r", runId),
  toSource: (runId: number, sourceId: number) => cb("rst", "t", runId, sourceId),
  toFile: (runId: number) => cb("rst", "f", runId),
  toNewDatabase: (runId: number, sourceId: number) => cb("rst", "n", runId, sourceId),
};

export const restorePattern = {
  jobs: /^rst:jl:(\d+)$/,
  job: /^rst:j:(\d+):(\d+)$/,
  run: /^rst:r:(\d+)$/,
  toSource: /^rst:t:(\d+):(\d+)$/,
  toFile: /^rst:f:(\d+)$/,
  toNewDatabase: /^rst:n:(\d+):(\d+)$/,
};
