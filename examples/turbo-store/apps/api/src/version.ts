/** Shown by `GET /`: bump it on a branch to see which build answers. */
export const apiVersion = "1";
