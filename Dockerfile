FROM node:20-bookworm-slim
WORKDIR /app
# sqlite3 builds from source: the toolchain is needed at install time only
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY schemas ./schemas
COPY templates ./templates
ENV NODE_ENV=production
EXPOSE 8080
CMD ["npm", "start"]
