/** The example `preview.yaml` from SPEC "The manifest", verbatim. Tests parse it; it must keep parsing. */
export const specExampleManifest = `version: 1
name: shop                        # optional; default: the folder's name
install: npm ci                   # optional; once per worktree and lockfile, before builds
services:                         # backing services, a fresh instance per environment
  db:
    type: postgres                # process runtime: embedded Postgres; docker/k8s: an image
    image: postgres:16            # optional, docker/k8s only
    database: shop                # default: the service key
apps:
  api:
    path: apps/api                # working dir, relative to the monorepo root (default ".")
    build: npm run build          # optional, run in \`path\`; cached per commit and input hash
    start: node dist/server.js    # how the process runtime starts it
    health: /healthz              # HTTP GET path; ready on 2xx/3xx (default "/")
    env:                          # values may interpolate \${...}, see below
      DATABASE_URL: \${services.db.url}
      WEB_URL: \${apps.web.url}
    depends_on: [db]              # apps or services started and healthy first
    docker:                       # docker and kubernetes runtimes
      dockerfile: apps/api/Dockerfile   # relative to the monorepo root; or \`image:\`
      context: .
      port: 3000                  # the port the container listens on
  web: { path: apps/web, start: node server.js }
flags:
  new-checkout: { type: boolean, default: false, description: Route /checkout to the new flow }
  banner-text:  { type: string,  default: "Welcome" }
  page-size:    { type: number,  default: 20 }
seed:
  scenarios: seed-scenarios       # folder of scenario files (default "seed-scenarios")
  default: demo                   # scenario loaded when none is asked for
`;
