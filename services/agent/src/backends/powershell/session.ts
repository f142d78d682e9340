// One persistent PowerShell process per backend (node-powershell), running the fixed scripts in
// services/agent/ps. Calls are serialized; each has a timeout; a session that timed out, crashed or
// printed no result is killed and the next call starts a fresh one (re-running _init.ps1).
import { platform } from "node:os";
import { basename } from "node:path";
import { PowerShell, type PowerShellOptions } from "node-powershell";
import { HyperVError } from "../types.ts";
import { type Envelope, parseEnvelope } from "./parse.ts";

export interface SessionOptions {
  executable: string;
  scriptsDir: string;
  /** Imported with Import-Module -Force when the session starts (the tests' stub), or null. */
  psModulePath: string | null;
  callTimeoutMs: number;
  /**
   * For starting a session (PowerShell itself, then importing the Hyper-V module), which on a busy
   * host takes far longer than a call. Default: the call timeout, at least 60 s.
   */
  startTimeoutMs?: number;
  env: NodeJS.ProcessEnv;
}

/** node-powershell lets NODE_POWERSHELL override an explicit executable; we want the explicit one. */
class FerryPowerShell extends PowerShell {
  protected override setExecutable(options: { executable?: string }): string {
    return options.executable ?? process.env.NODE_POWERSHELL ?? "pwsh";
  }
}

/** child-shell keeps the exit promise private; we need it to notice a dead process while idle. */
interface ShellInternals {
  exitPromise?: Promise<void>;
}

interface Live {
  shell: FerryPowerShell;
  dead: boolean;
}

/** Quotes a path we own for a single-quoted PowerShell string (PowerShell also treats ‘ ’ ‚ ‛ as quotes). */
export function quotePowerShell(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201a\u201b]/g, "$&$&")}'`;
}

/** The one line a call sends: `& '<dir>/<op>.ps1' '<base64 of UTF-8 JSON>'`. Base64 carries no PowerShell syntax. */
export function buildCommand(scriptsDir: string, op: string, params: unknown): string {
  if (!/^[a-z_][a-z0-9-]*$/.test(op)) throw new Error(`invalid operation name ${op}`);
  const payload = Buffer.from(JSON.stringify(params ?? {}), "utf8").toString("base64");
  const script = `${scriptsDir.replace(/[\\/]+$/, "")}/${op}.ps1`;
  return `& ${quotePowerShell(script)} '${payload}'`;
}

export function isWindowsPowerShell(executable: string): boolean {
  return /^powershell(\.exe)?$/i.test(basename(executable));
}

export class PowerShellSession {
  private live: Live | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: SessionOptions) {}

  /** Runs `<op>.ps1` with params, after every call queued before it. */
  run(op: string, params: unknown): Promise<Envelope> {
    const result = this.tail.then(() => this.execute(op, params));
    this.tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.kill();
  }

  private async execute(op: string, params: unknown): Promise<Envelope> {
    if (this.closed) throw new HyperVError("BACKEND_UNAVAILABLE", "The PowerShell backend is closed.");
    const live = await this.ensureStarted();
    const envelope = await this.invoke(
      live,
      buildCommand(this.options.scriptsDir, op, params),
      op,
      this.options.callTimeoutMs,
    );
    if (!envelope) {
      // No result line: the script did not parse, was not found, or the session is in a bad state.
      await this.kill();
      throw new HyperVError(
        "BACKEND_UNAVAILABLE",
        `PowerShell returned no result for ${op}; the session was restarted.`,
      );
    }
    return envelope;
  }

  private async ensureStarted(): Promise<Live> {
    if (this.live && !this.live.dead) return this.live;
    await this.kill();
    const live = this.spawn();
    this.live = live;
    const envelope = await this.invoke(
      live,
      buildCommand(this.options.scriptsDir, "_init", { ModulePath: this.options.psModulePath }),
      "session start",
      this.options.startTimeoutMs ?? Math.max(this.options.callTimeoutMs, 60_000),
    );
    if (!envelope?.ok) {
      await this.kill();
      const detail = envelope && !envelope.ok ? " (the Hyper-V module could not be loaded)" : "";
      throw new HyperVError("BACKEND_UNAVAILABLE", `The PowerShell session could not start${detail}.`);
    }
    return live;
  }

  private spawn(): Live {
    const executableOptions: NonNullable<PowerShellOptions["executableOptions"]> = {
      "-NoProfile": true,
      "-NonInteractive": true,
    };
    if (isWindowsPowerShell(this.options.executable) || platform() === "win32") {
      executableOptions["-ExecutionPolicy"] = "Bypass";
    }
    const shell = new FerryPowerShell({
      executable: this.options.executable,
      executableOptions,
      spawnOptions: { env: this.options.env },
      throwOnInvocationError: false,
    });
    const live: Live = { shell, dead: false };
    const swallow = () => undefined;
    // A dead pipe must not become an unhandled 'error' event.
    shell.streams.stdin.on("error", swallow);
    shell.streams.stdout.on("error", swallow);
    shell.streams.stderr.on("error", swallow);
    const exit = (shell as unknown as ShellInternals).exitPromise;
    exit?.then(
      () => {
        live.dead = true;
      },
      () => {
        live.dead = true;
      },
    );
    return live;
  }

  private async invoke(
    live: Live,
    command: string,
    what: string,
    timeoutMs: number,
  ): Promise<Envelope | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const call = live.shell.invoke(command).then(
      (result) => ({ stdout: result.stdout?.toString("utf8") ?? "" }),
      () => null,
    );
    try {
      const outcome = await Promise.race([call, timeout]);
      if (outcome === "timeout") {
        await this.kill();
        throw new HyperVError(
          "BACKEND_UNAVAILABLE",
          `PowerShell did not answer ${what} within ${timeoutMs} ms; the session was restarted.`,
        );
      }
      if (outcome === null || live.dead) {
        await this.kill();
        throw new HyperVError(
          "BACKEND_UNAVAILABLE",
          `The PowerShell process ended during ${what}; the next call starts a new session.`,
        );
      }
      return parseEnvelope(outcome.stdout);
    } finally {
      clearTimeout(timer);
    }
  }

  private async kill(): Promise<void> {
    const live = this.live;
    this.live = null;
    if (!live || live.dead) return;
    live.dead = true;
    await live.shell.dispose("SIGKILL").catch(() => undefined);
  }
}
