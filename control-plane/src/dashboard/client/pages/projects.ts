/// <reference lib="dom" />
import type { Project } from '@berth/protocol';
import { isOwner } from '../access.js';
import { api } from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { href, navigate } from '../router.js';
import { button, onSubmit, card, emptyState, errorBox, field, input, pageHeader } from '../ui.js';
import { loadInto, setTitle, type Page, type PageContext } from './page.js';

export function projectsPage(ctx: PageContext): Page {
  setTitle('Projects');
  const list = h('div', { class: 'stack' });
  const element = h(
    'div',
    { class: 'page' },
    pageHeader({
      title: 'Projects',
      description:
        'A project groups environments, and each environment runs its services on one server.',
    }),
    list,
    // Only the owner creates projects.
    isOwner() ? newProjectForm() : null,
  );
  loadInto(
    list,
    async () => {
      const projects = await api<Project[]>('GET', '/api/v1/projects');
      if (projects.length === 0) {
        return emptyState(
          'No projects yet',
          isOwner()
            ? 'Create the first one below.'
            : 'No project is shared with you yet: ask the owner for a role in one.',
        );
      }
      return h(
        'ul',
        { class: 'tiles' },
        ...projects.map((project) =>
          h(
            'li',
            {},
            h(
              'a',
              { class: 'tile', attrs: { href: href.project(project.id) } },
              icon('folder', 20),
              h('span', { class: 'tile-title' }, project.name),
              icon('chevron', 16),
            ),
          ),
        ),
      );
    },
    ctx.signal,
  );
  return { element };
}

function newProjectForm(): HTMLElement {
  const name = input({ name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
  const errors = errorBox();
  const submit = button('Create project', { kind: 'primary', icon: 'plus', submit: true });
  const form = h(
    'form',
    { class: 'inline-form', attrs: { 'aria-label': 'New project' } },
    field('Project name', name),
    submit,
  );
  onSubmit(form, {
    submit: submit,
    errors,
    run: async () => {
      const project = await api<Project>('POST', '/api/v1/projects', { name: name.value });
      navigate(href.project(project.id));
    },
  });
  return card(h('h2', { class: 'card-title' }, 'New project'), errors.element, form);
}
