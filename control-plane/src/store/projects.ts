import { isoTime, type Now } from '../clock.js';
import { newId } from '../crypto.js';
import type { Database } from './database.js';
import type { EnvironmentRecord, ProjectRecord } from './records.js';

export class ProjectRecords {
  readonly #db: Database;
  readonly #now: Now;

  constructor(db: Database, now: Now) {
    this.#db = db;
    this.#now = now;
  }

  create(input: { name: string }): Promise<ProjectRecord> {
    const record: ProjectRecord = {
      id: newId('prj'),
      name: input.name,
      createdAt: isoTime(this.#now()),
    };
    return this.#db.mutate((data) => {
      data.projects.push(record);
      return structuredClone(record);
    });
  }

  list(): ProjectRecord[] {
    return structuredClone(this.#db.data.projects);
  }

  get(id: string): ProjectRecord | undefined {
    const record = this.#db.data.projects.find((project) => project.id === id);
    return record && structuredClone(record);
  }
}

export class EnvironmentRecords {
  readonly #db: Database;
  readonly #now: Now;

  constructor(db: Database, now: Now) {
    this.#db = db;
    this.#now = now;
  }

  create(input: { projectId: string; name: string; serverId: string }): Promise<EnvironmentRecord> {
    const record: EnvironmentRecord = {
      id: newId('env'),
      projectId: input.projectId,
      name: input.name,
      serverId: input.serverId,
      createdAt: isoTime(this.#now()),
    };
    return this.#db.mutate((data) => {
      data.environments.push(record);
      return structuredClone(record);
    });
  }

  listByProject(projectId: string): EnvironmentRecord[] {
    return structuredClone(this.#db.data.environments.filter((env) => env.projectId === projectId));
  }

  get(id: string): EnvironmentRecord | undefined {
    const record = this.#db.data.environments.find((env) => env.id === id);
    return record && structuredClone(record);
  }
}
