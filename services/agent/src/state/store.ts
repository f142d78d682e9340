// The agent's state folder: its credential and the journal of commands it has run. A write counts
// as done only once it is durable: the temp file is fsynced before the rename, and the folder after
// it (the rename itself lives in the folder's entry), so after a crash or power loss the file is
// either the old one or the new one, and a journalled "about to start this move" is never lost.
import nodeFs from "node:fs";
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

/** The file-system calls the store makes (a fake in tests checks the order of the durable write). */
export type StoreFs = Pick<
  typeof nodeFs,
  | "mkdirSync"
  | "readFileSync"
  | "openSync"
  | "writeSync"
  | "fsyncSync"
  | "closeSync"
  | "renameSync"
  | "unlinkSync"
>;

const JOURNAL_LIMIT = 2000;

export class StateStore {
  constructor(
    readonly dir: string,
    private readonly fs: StoreFs = nodeFs,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(name: string) {
    return path.join(this.dir, name);
  }

  private read<T>(name: string): T | null {
    try {
      return JSON.parse(this.fs.readFileSync(this.file(name), "utf8")) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new Error(`state file ${this.file(name)} is unreadable: ${(error as Error).message}`);
    }
  }

  /** temp file + fsync + rename + fsync of the folder; throws if any step fails (nothing counts as written). */
  private write(name: string, value: unknown, mode = 0o600) {
    const fs = this.fs;
    const target = this.file(name);
    const temp = `${target}.${process.pid}.tmp`;
    const fd = fs.openSync(temp, "w", mode);
    try {
      fs.writeSync(fd, JSON.stringify(value, null, 2));
      fs.fsyncSync(fd);
    } catch (error) {
      fs.closeSync(fd);
      fs.unlinkSync(temp);
      throw error;
    }
    fs.closeSync(fd);
    fs.renameSync(temp, target);
    syncFolder(fs, this.dir);
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

  /** Records (or replaces) an entry; keeps the newest JOURNAL_LIMIT. Returns once it is on disk. */
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

/**
 * fsync of a folder makes a rename in it durable. Windows cannot open a folder for fsync (EISDIR /
 * EPERM): there NTFS journals the rename's metadata itself, so that case is skipped.
 */
function syncFolder(fs: StoreFs, dir: string) {
  let fd: number;
  try {
    fd = fs.openSync(dir, "r");
  } catch (error) {
    if (process.platform === "win32") return;
    throw error;
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!(process.platform === "win32" && (code === "EISDIR" || code === "EPERM" || code === "EINVAL")))
      throw error;
  } finally {
    fs.closeSync(fd);
  }
}
