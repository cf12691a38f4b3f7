/// <reference lib="dom" />
import type { GitCredential } from '@berth/protocol';
import { api } from '../api.js';
import { h, replace, type Child } from '../dom.js';
import type { ServiceModel } from '../service-model.js';
import { copyButton } from '../ui.js';
import type { TabView } from './service.js';

function fact(label: string, value: string, copy?: string): Child[] {
  const id = `credential-${label.toLowerCase().replace(/ /g, '-')}`;
  return [
    h('dt', { attrs: { id } }, label),
    h(
      'dd',
      { class: 'connection-value', attrs: { 'aria-labelledby': id } },
      h('code', { class: 'mono', data: { field: label } }, value),
      copy === undefined ? null : copyButton(copy, label.toLowerCase()),
    ),
  ];
}

function credentialFacts(credential: GitCredential): Child[] {
  const named = credential.name ? fact('Name', credential.name) : [];
  if (credential.type === 'https')
    return [
      ...fact('Credential', `HTTPS token ${credential.id}`),
      ...named,
      ...fact('Username', credential.username),
    ];
  const hostKeys =
    credential.hostKeys.length === 0
      ? fact('Host key', 'not known yet: the first deployment learns it')
      : credential.hostKeys.flatMap((key) =>
          fact(`Host key of ${key.host}`, `${key.fingerprint} (${key.keyType}, ${key.origin})`),
        );
  return [
    ...fact('Credential', `SSH deploy key ${credential.id}`),
    ...named,
    ...fact('Public key', credential.publicKey, credential.publicKey),
    ...hostKeys,
  ];
}

/**
 * The credential of a private git source: the deploy key's public half to copy into the git
 * host, and the host key fingerprint once known; for a token, its username. Never a secret.
 */
export function gitCredentialCard(model: ServiceModel): TabView {
  const list = h('dl', { class: 'facts connection-facts' });
  const hint = h('p', { class: 'hint' });
  // Read again on each change of the service: a deployment may have learned the host key.
  const render = () => {
    const source = model.service?.source;
    const id = source?.type === 'git' ? source.credentialId : undefined;
    element.hidden = id === undefined;
    if (id === undefined) return;
    void api<GitCredential>('GET', `/api/v1/git-credentials/${encodeURIComponent(id)}`)
      .then((credential) => {
        replace(list, ...credentialFacts(credential));
        replace(
          hint,
          credential.type === 'ssh'
            ? 'Add the public key to the repository’s deploy keys (read access is enough). Compare the host key fingerprint with the one your git host publishes.'
            : 'git receives the token only while it fetches; it never appears in the logs.',
        );
      })
      .catch(() => replace(list, ...fact('Credential', `${id} could not be loaded`)));
  };
  const element = h(
    'section',
    { class: 'card connection-card', attrs: { 'aria-label': 'Git credential' } },
    h('div', { class: 'card-header' }, h('h3', { class: 'card-title' }, 'Git credential')),
    list,
    hint,
  );
  render();
  const unsubscribe = model.subscribe((change) => {
    if (change.type === 'service' || change.type === 'snapshot') render();
  });
  return { element, dispose: unsubscribe };
}
