/// <reference lib="dom" />
import type { Project, ProjectGrants, ProjectRole } from '@berth/protocol';
import { ALL_PROJECTS, grantsFromRows, ROLE_LABELS } from '../access.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { button } from '../ui.js';

const ROLES: ProjectRole[] = ['viewer', 'deployer', 'admin'];

/**
 * Rows of project + role, the grants of a member or an invite. "All projects" grants the role
 * in every project, present and future; a project's own row wins over it.
 */
export function grantsEditor(
  projects: Project[],
  initial: ProjectGrants,
): { element: HTMLElement; read: () => ProjectGrants } {
  const rows = h('div', { class: 'rows' });
  const readers: (() => { projectId: string; role: ProjectRole })[] = [];
  const addRow = (projectId = '', role: ProjectRole = 'viewer') => {
    const project = h(
      'select',
      { class: 'input', attrs: { 'aria-label': 'Project' } },
      h('option', { attrs: { value: ALL_PROJECTS } }, 'All projects'),
      ...projects.map((p) => h('option', { attrs: { value: p.id } }, p.name)),
    );
    // A grant to a project since removed still shows, by its id.
    if (projectId && projectId !== ALL_PROJECTS && !projects.some((p) => p.id === projectId)) {
      project.append(h('option', { attrs: { value: projectId } }, projectId));
    }
    project.value = projectId || (projects[0]?.id ?? ALL_PROJECTS);
    const roleSelect = h(
      'select',
      { class: 'input', attrs: { 'aria-label': 'Role' } },
      ...ROLES.map((r) => h('option', { attrs: { value: r } }, ROLE_LABELS[r])),
    );
    roleSelect.value = role;
    const read = () => ({ projectId: project.value, role: roleSelect.value as ProjectRole });
    readers.push(read);
    const row = h('div', { class: 'row row-grant' }, project, roleSelect);
    row.append(
      h(
        'button',
        {
          class: 'icon-button',
          attrs: { type: 'button', 'aria-label': 'Remove project', title: 'Remove project' },
          on: {
            click: () => {
              readers.splice(readers.indexOf(read), 1);
              row.remove();
            },
          },
        },
        icon('trash'),
      ),
    );
    rows.append(row);
  };
  for (const [projectId, role] of Object.entries(initial)) addRow(projectId, role);
  const element = h(
    'fieldset',
    { class: 'fieldset' },
    h('legend', {}, 'Projects and roles'),
    h(
      'p',
      { class: 'hint' },
      'Viewer: read only, never a secret. Deployer: also deploy, restart, stop, roll back, back up and restore. Admin: also change settings and read secrets.',
    ),
    rows,
    h(
      'div',
      { class: 'row-actions' },
      button('Add project', { icon: 'plus', kind: 'ghost', onClick: () => addRow() }),
    ),
  );
  return { element, read: () => grantsFromRows(readers.map((read) => read())) };
}
