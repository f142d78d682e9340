// The agent's state folder: its credential and the journal of commands it has run. Files are
// written atomically (temp file + rename) so a crash never leaves half a file.
import fs from "node:fs";
import path from "node:path";

export interface Credential {
  apiUrl: string;
  hostName: string;
  hostId: string;
  secret: string;
}

export interface JournalEntry {
  commandId: string;
  succeeded: boolean;
  result: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  /** Whether the API acknowledged the answer. */
  acknowledged: boolean;
  at: string;
}

const JOURNAL_LIMIT = 2000;

export class StateStore {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(name: string) {
    return path.join(this.dir, name);
  }

  private read<T>(name: string): T | null {
    try {
      return JSON.parse(fs.readFileSync(this.file(name), "utf8")) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new Error(`state file ${this.file(name)} is unreadable: ${(error as Error).message}`);
    }
  }

  private write(name: string, value: unknown, mode = 0o600) {
    const target = this.file(name);
    const temp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(value, null, 2), { mode });
    fs.renameSync(temp, target);
  }

  credential(): Credential | null {
    return this.read<Credential>("credential.json");
  }

  saveCredential(credential: Credential) {
    this.write("credential.json", credential, 0o600);
  }

  journal(): JournalEntry[] {
    return this.read<JournalEntry[]>("journal.json") ?? [];
  }

  /** Records (or replaces) an entry; keeps the newest JOURNAL_LIMIT. */
  record(entry: JournalEntry) {
    const entries = this.journal().filter((e) => e.commandId !== entry.commandId);
    entries.push(entry);
    this.write("journal.json", entries.slice(-JOURNAL_LIMIT));
  }

  /** Generic small JSON values (event bookmark, job map). */
  get<T>(name: string): T | null {
    return this.read<T>(`${name}.json`);
  }

  set(name: string, value: unknown) {
    this.write(`${name}.json`, value);
  }
}
