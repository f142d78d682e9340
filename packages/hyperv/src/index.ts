// @ferry/hyperv: what Ferry knows about Hyper-V live migration, as pure functions.
// Each rule is documented in docs/hyperv.md with its Microsoft source.
export {};
