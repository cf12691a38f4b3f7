/// <reference lib="dom" />
import type { ActionResponse, Service } from '@berth/protocol';
import { api } from '../api.js';
import { toast } from '../toast.js';

// Expose and unexpose: queued jobs, answered "Added to queue" as every other action is.

const path = (service: Service, action: string) =>
  `/api/v1/services/${encodeURIComponent(service.id)}/${action}`;

export async function exposeDatabase(service: Service, port?: number): Promise<ActionResponse> {
  const answer = await api<ActionResponse>(
    'POST',
    path(service, 'expose'),
    port === undefined ? {} : { port },
  );
  toast(answer.message, {
    detail: `Expose ${service.name}${port === undefined ? ' on a free port' : ` on port ${port}`}`,
  });
  return answer;
}

export async function unexposeDatabase(service: Service): Promise<ActionResponse> {
  const answer = await api<ActionResponse>('POST', path(service, 'unexpose'));
  toast(answer.message, { detail: `Unexpose ${service.name}` });
  return answer;
}
