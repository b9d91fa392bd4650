/**
 * The CloudEvents envelope as the contract takes it: JSON structured mode (CloudEvents AMQP
 * binding, section 3.2), the whole event one JSON object in the body. Its data is in `data`, or
 * base64-encoded in `data_base64` (CloudEvents JSON format, section 3.1), which is decoded here
 * when it holds JSON. Binary content mode (attributes in `cloudEvents:*` application properties,
 * the body the data alone) is refused with a reason that says what to send instead.
 */

const ACCEPTED_CONTENT_TYPES = ['application/cloudevents+json', 'application/json'];
/** The AMQP binding's prefix of attribute headers (`cloudEvents:specversion`); `cloudEvents_` in older SDKs. */
const BINARY_MODE_HEADER = /^cloudEvents[:_]/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type EnvelopeRead = { ok: true; json: unknown } | { ok: false; reason: string; json?: unknown };

/**
 * The body's JSON with its data in `data`. Refused: a binary-mode message, a content type other
 * than JSON, a body that is not JSON, both `data` and `data_base64`, and a `data_base64` that is
 * not base64 of a JSON value (or whose `datacontenttype` is not JSON).
 */
export function readEnvelope(body: Buffer, contentType: string | undefined, headers: Record<string, unknown> = {}): EnvelopeRead {
  const binaryMode = Object.keys(headers).filter((k) => BINARY_MODE_HEADER.test(k));
  // A binary-mode message's attributes are its headers: they still tell support what it was.
  const attributes = Object.fromEntries(binaryMode.map((k) => [k.slice('cloudEvents:'.length), String(headers[k])]));
  const mediaType = contentType?.split(';')[0]!.trim().toLowerCase();
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    if (binaryMode.length) return { ok: false, reason: binaryModeRefused(binaryMode), json: attributes };
    return { ok: false, reason: `body is not valid JSON (${(err as Error).message})` };
  }
  const members = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (binaryMode.length && members?.specversion === undefined) return { ok: false, reason: binaryModeRefused(binaryMode), json: { ...attributes, data: json } };
  if (mediaType && !ACCEPTED_CONTENT_TYPES.includes(mediaType)) {
    return { ok: false, reason: `unsupported content type ${JSON.stringify(contentType)} (expected application/cloudevents+json or application/json)`, json };
  }
  if (!members || !('data_base64' in members)) return { ok: true, json };
  if ('data' in members) {
    return { ok: false, reason: 'the event has both data and data_base64: a CloudEvent carries its data in one of them (CloudEvents JSON format 3.1.1); send data alone', json };
  }
  return decodeDataBase64(members);
}

function binaryModeRefused(headers: string[]): string {
  return `binary content mode (AMQP headers ${headers.slice(0, 3).join(', ')}${headers.length > 3 ? ', …' : ''}) is not supported: `
    + 'send the event in structured mode, the whole CloudEvent as one JSON object in the body (specversion, id, source, type, data) '
    + 'with content type application/cloudevents+json';
}

function decodeDataBase64(members: Record<string, unknown>): EnvelopeRead {
  const { data_base64: encoded, ...rest } = members;
  const refuse = (why: string): EnvelopeRead => ({ ok: false, reason: `data_base64 ${why}; or send the data as JSON in data`, json: members });
  const dataType = typeof rest.datacontenttype === 'string' ? rest.datacontenttype.split(';')[0]!.trim().toLowerCase() : undefined;
  if (dataType !== undefined && dataType !== 'application/json' && !dataType.endsWith('+json')) {
    return refuse(`holds ${JSON.stringify(rest.datacontenttype)} (datacontenttype), and the contract's data is JSON: set datacontenttype to application/json`);
  }
  if (typeof encoded !== 'string' || !BASE64.test(encoded.replace(/\s+/g, ''))) return refuse('must be a base64 string (RFC 4648)');
  try {
    return { ok: true, json: { ...rest, data: JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as unknown } };
  } catch (err) {
    return refuse(`is not base64 of JSON (${(err as Error).message})`);
  }
}
