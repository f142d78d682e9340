// Every Windows-only command the agent runs (sc.exe, icacls.exe, eventcreate.exe, the service wrapper)
// goes through a CommandRunner: the real one spawns the program with an argument array (no shell, so
// no argument is ever parsed as command syntax); tests pass a recording stub and assert exact calls.
import { execFile } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(file: string, args: string[]): Promise<CommandResult>;
}

export const systemRunner: CommandRunner = {
  run(file, args) {
    return new Promise((resolve) => {
      execFile(
        file,
        args,
        { windowsHide: true, timeout: 120_000, maxBuffer: 4 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code =
            error === null
              ? 0
              : typeof (error as { code?: unknown }).code === "number"
                ? (error as { code: number }).code
                : 1;
          const spawnError =
            error && typeof (error as { code?: unknown }).code === "string" ? `${error.message}\n` : "";
          resolve({ code, stdout: String(stdout), stderr: spawnError + String(stderr) });
        },
      );
    });
  },
};

/** A runner that records every call and answers from `answer` (default: exit 0, no output). */
export function recordingRunner(
  answer: (file: string, args: string[]) => Partial<CommandResult> = () => ({}),
) {
  const calls: { file: string; args: string[] }[] = [];
  const runner: CommandRunner = {
    async run(file, args) {
      calls.push({ file, args: [...args] });
      return { code: 0, stdout: "", stderr: "", ...answer(file, args) };
    },
  };
  return { runner, calls };
}
