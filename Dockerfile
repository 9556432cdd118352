# The bot and the runtime service, compiled, for those who run containers (App Service users need
# none: see README, "Deploy to Azure"). One image, two commands:
#   docker build -t runtime-bot .
#   docker run -p 3978:3978 --env-file .env runtime-bot        the bot (+ the embedded service unless RUNTIME_SERVICE_URL)
#   docker run -p 3979:3979 --env-file .env -e RUNTIME_SERVICE_HOST=0.0.0.0 runtime-bot node --no-deprecation dist/src/serviceMain.js
# The bot listens on 0.0.0.0 only with a MicrosoftAppId; the service off loopback only with a
# RUNTIME_SERVICE_TOKEN. Probe GET /readyz on either port.
ARG NODE_VERSION=20

# Build: the dev dependencies compile; `npm run stage` then makes /app/deploy holding dist/,
# package.json, package-lock.json and the production dependencies only (npm ci --omit=dev), the
# same folder App Service gets.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY cards ./cards
COPY catalogue ./catalogue
COPY manifest ./manifest
COPY playground ./playground
RUN npm run stage -- /app/deploy

# Run: the staged folder, owned by root and read-only to the non-root user that runs it.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/deploy ./
# STORAGE=file writes under /app/data (mount a volume there); STORAGE=blob needs no disk.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3978 3979
# node itself as PID 1 (not npm), so that SIGTERM reaches the product's shutdown.
CMD ["node", "--no-deprecation", "dist/src/index.js"]
