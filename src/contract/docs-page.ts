/**
 * The contract over HTTP: `/asyncapi.yaml`, the schema files it references under `/schemas/`,
 * and `/docs`, a readable page of it. The page is the AsyncAPI React component's standalone
 * bundle, served from node_modules by the worker itself: rendering it needs no network beyond
 * the worker (the browser fetches the document and its schemas from the same origin).
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ASYNCAPI_FILE, schemaFilesByUrlPath } from './asyncapi-document.js';

export interface HttpResponse {
  status: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

const require = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  '/docs/asyncapi-ui.js': { file: require.resolve('@asyncapi/react-component/browser/standalone/index.js'), type: 'text/javascript; charset=utf-8' },
  '/docs/asyncapi-ui.css': { file: require.resolve('@asyncapi/react-component/styles/default.min.css'), type: 'text/css; charset=utf-8' },
};

// Relative links, so that the page also works behind a proxy that mounts the worker under a path.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>collab-worker — contract (AsyncAPI)</title>
<link rel="stylesheet" href="docs/asyncapi-ui.css">
<style>body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }</style>
</head>
<body>
<div id="asyncapi"><noscript>This page needs JavaScript; the document itself is <a href="asyncapi.yaml">asyncapi.yaml</a>.</noscript></div>
<script src="docs/asyncapi-ui.js"></script>
<script>
AsyncApiStandalone.render({
  schema: { url: new URL('asyncapi.yaml', document.baseURI).href },
  config: { show: { sidebar: true }, sidebar: { showOperations: 'byDefault' } },
}, document.getElementById('asyncapi'));
</script>
</body>
</html>
`;

/** The response for a contract path, or undefined when `path` is not one. */
export async function contractResponse(path: string): Promise<HttpResponse | undefined> {
  if (path === '/docs') return { status: 200, type: 'text/html; charset=utf-8', body: PAGE };
  if (path === '/docs/') return { status: 301, type: 'text/plain', body: 'see /docs\n', headers: { location: '../docs' } };
  if (path === '/asyncapi.yaml') return { status: 200, type: 'application/yaml; charset=utf-8', body: await fs.readFile(ASYNCAPI_FILE) };
  const asset = ASSETS[path];
  if (asset) return { status: 200, type: asset.type, body: await fs.readFile(asset.file), headers: { 'cache-control': 'max-age=3600' } };
  if (path.startsWith('/schemas/')) {
    const file = schemaFilesByUrlPath().get(path);
    if (file) return { status: 200, type: 'application/schema+json', body: await fs.readFile(file) };
  }
  return undefined;
}
