// Where a move's files are and where they go. docs/hyperv.md "Storage".
import { fail, pass, type Verdict, warn } from "../verdict.ts";

/** A Windows absolute path (D:\VMs\x) or a UNC path (\\server\share\x), without characters Windows forbids. */
export function isWindowsPath(path: string): boolean {
  return (
    (/^[A-Za-z]:\\/.test(path) || /^\\\\[^\\]+\\[^\\]+/.test(path)) &&
    !/[<>"|?*]/.test(path.slice(2)) &&
    ![...path].some((c) => c.charCodeAt(0) < 32) &&
    path.length <= 260
  );
}

/** Storage every host reaches: SMB shares and cluster shared volumes. */
export function isSharedPath(path: string): boolean {
  return path.startsWith("\\\\") || /^[A-Za-z]:\\ClusterStorage\\/i.test(path);
}

/** A live move without -IncludeStorage: the destination must open the files where they are. */
export function storageReachable(vm: {
  name: string;
  path: string;
  hardDrives: { path: string }[];
}): Verdict {
  const local = [vm.path, ...vm.hardDrives.map((d) => d.path)].filter((p) => !isSharedPath(p));
  return local.length
    ? fail(
        `${vm.name} keeps files on host-local storage (${local[0]}); a live move without storage cannot reach them.`,
        "Move with includeStorage: true and a destinationStoragePath on the destination, or move the files to an SMB share first (moveVmStorage).",
        "PATH_NOT_FOUND",
      )
    : pass("The VM's files are on shared storage both hosts reach.");
}

export function storagePaths(targets: string[]): Verdict {
  if (targets.length === 0) {
    return fail(
      "No destination storage path given.",
      "Pass destinationStoragePath (or vhds for moveVmStorage).",
      "INVALID_PARAMETER",
    );
  }
  const bad = targets.filter((p) => !isWindowsPath(p));
  return bad.length
    ? fail(
        `Not a valid Windows path: ${JSON.stringify(bad[0])}.`,
        "Use an absolute path like D:\\VMs\\name or \\\\server\\share\\name.",
        "INVALID_PARAMETER",
      )
    : pass(`Files go to ${targets.join(", ")}.`);
}

const gib = (bytes: bigint) => `${(Number(bytes) / 2 ** 30).toFixed(1)} GiB`;

/** The target folder's volume exists on the host that receives the files, with room for them. */
export function storageRoom(
  target: { name: string; volumes: { root: string; freeBytes: bigint }[] } | null,
  folder: string,
  neededBytes: bigint,
): Verdict {
  if (isSharedPath(folder)) {
    return warn(
      `${folder} is a share; its free space is not reported.`,
      "Make sure the share has room for the VM's disks.",
    );
  }
  if (!target || target.volumes.length === 0) {
    return warn(
      "The destination's volumes are not known yet.",
      "Wait for the agent's next inventory report.",
    );
  }
  const root = folder.slice(0, 3).toLowerCase();
  const volume = target.volumes.find((v) => v.root.toLowerCase() === root);
  if (!volume) {
    return fail(
      `${target.name} has no volume ${folder.slice(0, 2)}.`,
      `Choose a folder on one of ${target.volumes.map((v) => v.root).join(", ")}.`,
      "PATH_NOT_FOUND",
    );
  }
  return volume.freeBytes >= neededBytes
    ? pass(`${volume.root} on ${target.name} has ${gib(volume.freeBytes)} free for ${gib(neededBytes)}.`)
    : fail(
        `${volume.root} on ${target.name} has ${gib(volume.freeBytes)} free; the disks need ${gib(neededBytes)}.`,
        "Free space there or choose another volume.",
        "PATH_NOT_FOUND",
      );
}
