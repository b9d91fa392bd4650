/**
 * Health and metrics over HTTP. /healthz: the process is alive. /readyz: 200 only while the
 * worker is consuming (connected to the broker and subscribed). /metrics: Prometheus.
 * /asyncapi.yaml, /schemas/… and /docs: the contract (src/contract/docs-page.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { contractResponse, type HttpResponse } from '../contract/docs-page.js';

export interface HealthSource {
  ready(): { ready: boolean; detail: Record<string, unknown> };
}

export async function startHttpServer(port: number, health: HealthSource, registry: Registry): Promise<http.Server & { port: number }> {
  const server = http.createServer((req, res) => {
    void route(req.url ?? '/', health, registry).then(
      ({ status, type, body, headers }) => {
        res.writeHead(status, { ...headers, 'content-type': type });
        res.end(body);
      },
      (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err.message);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', resolve);
  });
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

async function route(url: string, health: HealthSource, registry: Registry): Promise<HttpResponse> {
  const path = url.split('?')[0];
  if (path === '/healthz') return { status: 200, type: 'application/json', body: JSON.stringify({ status: 'ok' }) };
  if (path === '/readyz') {
    const { ready, detail } = health.ready();
    return { status: ready ? 200 : 503, type: 'application/json', body: JSON.stringify({ ready, ...detail }) };
  }
  if (path === '/metrics') return { status: 200, type: registry.contentType, body: await registry.metrics() };
  const contract = await contractResponse(path!);
  if (contract) return contract;
  return { status: 404, type: 'text/plain', body: 'not found: try /healthz, /readyz, /metrics, /asyncapi.yaml or /docs\n' };
}
