export async function runReadBench(): Promise<void> {}
