FROM node:20-bookworm-slim AS build
WORKDIR /app
# sqlite3 builds from source: the toolchain is needed at install time only
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY asyncapi.yaml ./
COPY templates ./templates
COPY views ./views
COPY test/fixtures ./test/fixtures
# 8081: the support console and API, when configured (SUPPORT_HOST=0.0.0.0 to reach it from outside the container)
EXPOSE 8080 8081
CMD ["node", "--enable-source-maps", "dist/main.js"]
