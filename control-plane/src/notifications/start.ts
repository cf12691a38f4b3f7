import type { NotifierDeps } from './notifier.js';
import { Notifier } from './notifier.js';
import { DEFAULT_RETRY, fetchPost } from './send.js';

/** The notifier of a running control plane: real HTTP posts, the default retries. */
export function startNotifier(deps: Omit<NotifierDeps, 'post' | 'policy'>): Notifier {
  const notifier = new Notifier({ ...deps, post: fetchPost, policy: DEFAULT_RETRY });
  notifier.start();
  return notifier;
}
