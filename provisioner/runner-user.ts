/**
 * The unprivileged OS user everything an environment runs runs as when previewd is root
 * (runtimes/process/child-identity.ts). Named here because root's git must also know it: a
 * repository that user owns is never trusted (sources/worktree-git.ts).
 */
export const runnerUser = "previewd-run";
