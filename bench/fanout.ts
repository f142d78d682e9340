export async function runFanoutBench(): Promise<void> {}
