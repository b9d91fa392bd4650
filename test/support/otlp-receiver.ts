/**
 * A local OTLP/HTTP collector in the test process: takes what an exporter POSTs to /v1/traces
 * (JSON, possibly gzipped) and keeps every span, with ids as hex.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait.js';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  status: { code?: number; message?: string };
  serviceName: unknown;
}

type Json = Record<string, any>;

/** OTLP/JSON writes ids as hex; tolerate base64 (the protobuf-JSON default) as well. */
function hex(id: unknown): string | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  return /^[0-9a-f]+$/.test(id) && (id.length === 32 || id.length === 16) ? id : Buffer.from(id, 'base64').toString('hex');
}

function value(v: Json): unknown {
  return v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests++;
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      if (req.url !== '/v1/traces' || !String(req.headers['content-type']).includes('json')) {
        res.writeHead(415).end();
        return;
      }
      this.collect(JSON.parse(body.toString('utf8')) as Json);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** What OTEL_EXPORTER_OTLP_ENDPOINT would be set to. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  waitForSpans(what: string, predicate: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
    return waitFor(() => predicate(this.spans) && this.spans, `spans: ${what} (have ${this.spans.map((s) => s.name).join(', ')})`);
  }

  private collect(body: Json): void {
    for (const rs of (body.resourceSpans ?? []) as Json[]) {
      const resource = Object.fromEntries(((rs.resource?.attributes ?? []) as Json[]).map((a) => [a.key, value(a.value as Json)]));
      for (const ss of (rs.scopeSpans ?? []) as Json[]) {
        for (const s of (ss.spans ?? []) as Json[]) {
          this.spans.push({
            traceId: hex(s.traceId)!,
            spanId: hex(s.spanId)!,
            parentSpanId: hex(s.parentSpanId),
            name: s.name as string,
            kind: s.kind as number,
            attributes: Object.fromEntries(((s.attributes ?? []) as Json[]).map((a) => [a.key, value(a.value as Json)])),
            links: ((s.links ?? []) as Json[]).map((l) => ({ traceId: hex(l.traceId)!, spanId: hex(l.spanId)! })),
            status: (s.status ?? {}) as ReceivedSpan['status'],
            serviceName: resource['service.name'],
          });
        }
      }
    }
  }
}
