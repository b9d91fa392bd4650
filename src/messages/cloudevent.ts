/** The CloudEvents envelope of everything the worker publishes. */
export const WORKER_SOURCE = '/collab-worker';

export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
}

export function envelope<T>(type: string, id: string, data: T, time: Date): CloudEvent<T> {
  return { specversion: '1.0', id, source: WORKER_SOURCE, type, time: time.toISOString(), datacontenttype: 'application/json', data };
}
